DROP INDEX posts_search_idx;
ALTER TABLE posts DROP COLUMN search_vector;
ALTER TABLE posts DROP COLUMN search_text;
