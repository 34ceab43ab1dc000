-- What the WordPress importer made from which item of which site, so importing the same
-- file again adds nothing twice. A post or media record deleted since takes its row with it
-- (the next import brings it back).
CREATE TABLE imported_items (
    source TEXT NOT NULL,
    wp_id BIGINT NOT NULL,
    post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE,
    media_id INTEGER REFERENCES media (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source, wp_id),
    CHECK (post_id IS NOT NULL OR media_id IS NOT NULL)
);
CREATE INDEX imported_items_post_idx ON imported_items (post_id);
CREATE INDEX imported_items_media_idx ON imported_items (media_id);
