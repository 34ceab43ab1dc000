DROP INDEX tokens_post_idx;
ALTER TABLE tokens DROP COLUMN post_id;
