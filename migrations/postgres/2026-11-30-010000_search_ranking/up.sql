-- Search ranks its candidates by a small vector beside the full one: the title (weight A)
-- and the opening words of the text (weight B). Ranking with the full vector meant
-- detoasting each candidate's whole tsvector (a 1,000-word post's is tens of kilobytes);
-- this one is small enough to stay in the row. Matching still uses the full, GIN-indexed
-- vector, so every word of a post is found; only the order of the found ones comes from
-- the opening. 600 characters are about the first 100 words.
ALTER TABLE posts ADD COLUMN rank_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', left(search_text, 600)), 'B')
) STORED;
