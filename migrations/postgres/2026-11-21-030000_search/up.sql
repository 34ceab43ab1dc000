-- Full-text search over title (weight A) and the plain text of the body (weight B, written
-- by the application at save). 'simple' configuration: no language-specific stemming, so
-- every site language is treated alike. Ranking and snippets in db::dialect.
ALTER TABLE posts ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', search_text), 'B')
) STORED;
CREATE INDEX posts_search_idx ON posts USING GIN (search_vector);
