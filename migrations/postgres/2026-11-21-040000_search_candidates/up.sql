-- Search checks whether each candidate post is visible: an index-only answer, without
-- visiting the rows (kept the same as on SQLite, where it matters more).
CREATE INDEX posts_visibility_idx ON posts (id, status, published_at, deleted_at);
