-- What happened at each revision (saved, autosaved, published, scheduled, unpublished,
-- restored, imported …), for the history page. Rows from before were saves, or the
-- rolling autosave.
ALTER TABLE revisions ADD COLUMN event TEXT NOT NULL DEFAULT 'saved';
UPDATE revisions SET event = 'autosaved' WHERE is_autosave;
