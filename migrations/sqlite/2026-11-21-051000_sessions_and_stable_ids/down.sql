-- The tables keep AUTOINCREMENT (harmless, and rebuilding them again would risk more
-- than it gives back); only the sessions go.
DROP TABLE sessions;
