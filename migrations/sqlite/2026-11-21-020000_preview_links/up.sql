-- Draft preview links (/preview/{token}) belong to a post.
ALTER TABLE tokens ADD COLUMN post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE;
CREATE INDEX tokens_post_idx ON tokens (post_id);
