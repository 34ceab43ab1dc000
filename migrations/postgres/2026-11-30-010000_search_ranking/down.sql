ALTER TABLE posts DROP COLUMN rank_vector;
