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
-- On PostgreSQL the bump waits for COMMIT: the triggers are DEFERRABLE INITIALLY DEFERRED
-- constraint triggers, so a long transaction (a 10,000-post import) never holds the counter
-- row's lock while it runs — it is taken only for the moment of the commit — and a
-- transaction-local setting makes only the first of its deferred events bump the counter
-- (one bump per transaction). The bump commits atomically with the data, so a node that
-- sees the new number also sees what changed. (A sequence would not do: nextval is not
-- transactional, a poller could see it move before the data.)
CREATE TABLE site_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    counter BIGINT NOT NULL
);
INSERT INTO site_changes (id, counter) VALUES (1, 0);

CREATE FUNCTION folio_site_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('folio.site_changed', true) IS DISTINCT FROM '1' THEN
        PERFORM set_config('folio.site_changed', '1', true);
        UPDATE site_changes SET counter = counter + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER posts_site_changed_insert AFTER INSERT ON posts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.status = 'published')
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER posts_site_changed_update AFTER UPDATE ON posts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.status = 'published' OR NEW.status = 'published')
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER posts_site_changed_delete AFTER DELETE ON posts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.status = 'published')
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER tags_site_changed_insert AFTER INSERT ON tags
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER tags_site_changed_update AFTER UPDATE ON tags
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER tags_site_changed_delete AFTER DELETE ON tags
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER post_tags_site_changed_insert AFTER INSERT ON post_tags
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER post_tags_site_changed_update AFTER UPDATE ON post_tags
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER post_tags_site_changed_delete AFTER DELETE ON post_tags
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER media_site_changed_insert AFTER INSERT ON media
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER media_site_changed_update AFTER UPDATE ON media
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER media_site_changed_delete AFTER DELETE ON media
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER settings_site_changed_insert AFTER INSERT ON settings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER settings_site_changed_update AFTER UPDATE ON settings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER settings_site_changed_delete AFTER DELETE ON settings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER redirects_site_changed_insert AFTER INSERT ON redirects
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER redirects_site_changed_update AFTER UPDATE ON redirects
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER redirects_site_changed_delete AFTER DELETE ON redirects
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER users_site_changed_insert AFTER INSERT ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER users_site_changed_update AFTER UPDATE OF email, display_name, slug, role, status, bio, website ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.email IS DISTINCT FROM OLD.email
        OR NEW.display_name IS DISTINCT FROM OLD.display_name
        OR NEW.slug IS DISTINCT FROM OLD.slug
        OR NEW.role IS DISTINCT FROM OLD.role
        OR NEW.status IS DISTINCT FROM OLD.status
        OR NEW.bio IS DISTINCT FROM OLD.bio
        OR NEW.website IS DISTINCT FROM OLD.website)
    EXECUTE FUNCTION folio_site_changed();
CREATE CONSTRAINT TRIGGER users_site_changed_delete AFTER DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION folio_site_changed();
