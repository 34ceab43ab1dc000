-- A site-wide change counter (#14): one row, bumped by the triggers below inside the
-- transaction of every write to what the public site shows, whoever makes it — this node,
-- another node, or a CLI command (`folio import`, `import-wordpress`, `user`, `seed`).
-- Every `folio serve` polls it (src/freshness.rs) and empties its page and settings caches
-- when it moved.
--
-- Watched: posts (only rows that are or were published: drafts are not public), tags,
-- post_tags, media, settings, redirects, and users' public columns (not the login and
-- session bookkeeping: a login must not empty every node's cache). Not watched: revisions,
-- audit_log, tokens, sessions, login_throttle, imported_items. A migration that rebuilds a
-- watched table must create its triggers again (src/store/changes.rs lists the tables and
-- a test checks that every table is either watched or deliberately not).
--
-- SQLite has only row triggers; there is one writer at a time anyway, and the counter's page
-- stays in the transaction's cache. Measured with bench/wordpress.sh's 10,000-post export:
-- 60,291 bumps, about 5 % more CPU time; each transaction writes one more page to the WAL.
CREATE TABLE site_changes (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    counter BIGINT NOT NULL
);
INSERT INTO site_changes (id, counter) VALUES (1, 0);

CREATE TRIGGER posts_site_changed_insert AFTER INSERT ON posts
    WHEN new.status = 'published'
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER posts_site_changed_update AFTER UPDATE ON posts
    WHEN old.status = 'published' OR new.status = 'published'
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER posts_site_changed_delete AFTER DELETE ON posts
    WHEN old.status = 'published'
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER tags_site_changed_insert AFTER INSERT ON tags
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER tags_site_changed_update AFTER UPDATE ON tags
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER tags_site_changed_delete AFTER DELETE ON tags
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER post_tags_site_changed_insert AFTER INSERT ON post_tags
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER post_tags_site_changed_update AFTER UPDATE ON post_tags
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER post_tags_site_changed_delete AFTER DELETE ON post_tags
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER media_site_changed_insert AFTER INSERT ON media
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER media_site_changed_update AFTER UPDATE ON media
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER media_site_changed_delete AFTER DELETE ON media
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER settings_site_changed_insert AFTER INSERT ON settings
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER settings_site_changed_update AFTER UPDATE ON settings
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER settings_site_changed_delete AFTER DELETE ON settings
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER redirects_site_changed_insert AFTER INSERT ON redirects
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER redirects_site_changed_update AFTER UPDATE ON redirects
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER redirects_site_changed_delete AFTER DELETE ON redirects
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER users_site_changed_insert AFTER INSERT ON users
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER users_site_changed_update AFTER UPDATE OF email, display_name, slug, role, status, bio, website ON users
    WHEN new.email IS NOT old.email
      OR new.display_name IS NOT old.display_name
      OR new.slug IS NOT old.slug
      OR new.role IS NOT old.role
      OR new.status IS NOT old.status
      OR new.bio IS NOT old.bio
      OR new.website IS NOT old.website
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER users_site_changed_delete AFTER DELETE ON users
BEGIN
    UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
END;
