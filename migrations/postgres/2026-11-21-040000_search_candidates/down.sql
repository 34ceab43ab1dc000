DROP INDEX posts_visibility_idx;
