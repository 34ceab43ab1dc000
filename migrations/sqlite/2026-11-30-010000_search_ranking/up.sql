-- PostgreSQL ranks search candidates by a small vector of the title and the opening words
-- (see migrations/postgres). SQLite's FTS5 ranks with bm25 from its own index, whose cost
-- does not grow with the length of the posts: nothing changes here. The migration exists
-- so the two trees stay paired by name.
SELECT 1;
