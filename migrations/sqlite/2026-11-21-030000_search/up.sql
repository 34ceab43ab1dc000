-- Full-text search over title and the plain text of the body (written by the application
-- at save), kept in sync with posts by triggers. Ranking and snippets in db::dialect.
ALTER TABLE posts ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

CREATE VIRTUAL TABLE posts_fts USING fts5(
    title, search_text,
    content = 'posts', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER posts_fts_after_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, title, search_text) VALUES (new.id, new.title, new.search_text);
END;

CREATE TRIGGER posts_fts_after_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, search_text) VALUES ('delete', old.id, old.title, old.search_text);
END;

CREATE TRIGGER posts_fts_after_update AFTER UPDATE OF title, search_text ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, search_text) VALUES ('delete', old.id, old.title, old.search_text);
    INSERT INTO posts_fts (rowid, title, search_text) VALUES (new.id, new.title, new.search_text);
END;

INSERT INTO posts_fts (posts_fts) VALUES ('rebuild');
