ALTER TABLE revisions DROP COLUMN event;
