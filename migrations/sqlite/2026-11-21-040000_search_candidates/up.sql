-- Search checks whether each candidate post is visible. Those columns sit after the long
-- Markdown and HTML in the row, so reading them from the table walks its overflow pages;
-- this covering index answers them from a few index pages.
CREATE INDEX posts_visibility_idx ON posts (id, status, published_at, deleted_at);
