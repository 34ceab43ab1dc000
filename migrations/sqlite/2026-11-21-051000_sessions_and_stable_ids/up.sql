-- Server-side login sessions, and ids that are never handed out twice.
--
-- Without AUTOINCREMENT, SQLite gives a new row max(id) + 1, so deleting the newest user
-- (post, media, …) and creating another reuses its id — and anything that still names the
-- old id (a cookie, a link, a bookmark) names the new row. SQLite can't add AUTOINCREMENT
-- to an existing table: each table with an id is rebuilt (create, copy, drop, rename,
-- recreate its indexes and triggers).
--
-- This must run with foreign keys OFF (`db::migrations::run_pending` switches them off for
-- the migration connection): with them on, dropping `posts` would cascade-delete every
-- revision, tag link, redirect and preview link. The last statement checks that every
-- reference still holds, and fails (rolling everything back) if one doesn't.

CREATE TABLE users_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    email TEXT NOT NULL UNIQUE,              -- stored lower-cased
    display_name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,               -- public author page /author/{slug}
    password_hash TEXT,                      -- NULL: no usable password (imported, invited)
    role TEXT NOT NULL,                      -- contributor | author | editor | admin
    status TEXT NOT NULL DEFAULT 'active',   -- active | disabled
    bio TEXT NOT NULL DEFAULT '',
    website TEXT,
    session_epoch INTEGER NOT NULL DEFAULT 0, -- counts revocations (sessions live in `sessions`)
    last_login_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO users_new (id, email, display_name, slug, password_hash, role, status, bio,
                       website, session_epoch, last_login_at, created_at, updated_at)
    SELECT id, email, display_name, slug, password_hash, role, status, bio,
           website, session_epoch, last_login_at, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_role_idx ON users (role);

CREATE TABLE media_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    uploader_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    file_name TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    width INTEGER,
    height INTEGER,
    alt_text TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
INSERT INTO media_new (id, uploader_id, file_name, storage_key, sha256, mime_type, size_bytes,
                       width, height, alt_text, caption, created_at)
    SELECT id, uploader_id, file_name, storage_key, sha256, mime_type, size_bytes,
           width, height, alt_text, caption, created_at FROM media;
DROP TABLE media;
ALTER TABLE media_new RENAME TO media;
CREATE INDEX media_created_idx ON media (created_at, id);
CREATE INDEX media_type_idx ON media (mime_type, created_at);
CREATE INDEX media_sha256_idx ON media (sha256);
CREATE INDEX media_uploader_idx ON media (uploader_id);

-- The search triggers go with the old table; the FTS index keeps its rows (keyed by the
-- preserved ids) and the triggers are recreated on the new table below.
DROP TRIGGER posts_fts_after_insert;
DROP TRIGGER posts_fts_after_delete;
DROP TRIGGER posts_fts_after_update;
CREATE TABLE posts_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'post',
    status TEXT NOT NULL DEFAULT 'draft',
    title TEXT NOT NULL DEFAULT '',
    slug TEXT NOT NULL UNIQUE,
    body_markdown TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL DEFAULT '',
    excerpt TEXT NOT NULL DEFAULT '',
    author_id INTEGER NOT NULL REFERENCES users (id),
    featured_media_id INTEGER REFERENCES media (id) ON DELETE SET NULL,
    meta_title TEXT,
    meta_description TEXT,
    canonical_url TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    deleted_at TIMESTAMP,
    search_text TEXT NOT NULL DEFAULT ''
);
INSERT INTO posts_new (id, kind, status, title, slug, body_markdown, body_html, excerpt,
                       author_id, featured_media_id, meta_title, meta_description,
                       canonical_url, version, created_at, updated_at, published_at,
                       deleted_at, search_text)
    SELECT id, kind, status, title, slug, body_markdown, body_html, excerpt,
           author_id, featured_media_id, meta_title, meta_description,
           canonical_url, version, created_at, updated_at, published_at,
           deleted_at, search_text FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
CREATE INDEX posts_public_idx ON posts (kind, status, published_at, id) WHERE deleted_at IS NULL;
CREATE INDEX posts_author_idx ON posts (author_id, kind, status, published_at);
CREATE INDEX posts_updated_idx ON posts (kind, updated_at, id);
CREATE INDEX posts_deleted_idx ON posts (deleted_at);
CREATE INDEX posts_featured_media_idx ON posts (featured_media_id);
CREATE INDEX posts_visibility_idx ON posts (id, status, published_at, deleted_at);
CREATE TRIGGER posts_fts_after_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, title, search_text) VALUES (new.id, new.title, new.search_text);
END;
CREATE TRIGGER posts_fts_after_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, search_text) VALUES ('delete', old.id, old.title, old.search_text);
END;
CREATE TRIGGER posts_fts_after_update AFTER UPDATE OF title, search_text ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, search_text) VALUES ('delete', old.id, old.title, old.search_text);
    INSERT INTO posts_fts (rowid, title, search_text) VALUES (new.id, new.title, new.search_text);
END;

CREATE TABLE tags_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
INSERT INTO tags_new (id, name, slug, description, created_at)
    SELECT id, name, slug, description, created_at FROM tags;
DROP TABLE tags;
ALTER TABLE tags_new RENAME TO tags;

CREATE TABLE revisions_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    is_autosave BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO revisions_new (id, post_id, author_id, title, body_markdown, is_autosave, created_at)
    SELECT id, post_id, author_id, title, body_markdown, is_autosave, created_at FROM revisions;
DROP TABLE revisions;
ALTER TABLE revisions_new RENAME TO revisions;
CREATE INDEX revisions_post_idx ON revisions (post_id, created_at, id);
CREATE UNIQUE INDEX revisions_autosave_idx ON revisions (post_id, author_id) WHERE is_autosave = TRUE;

CREATE TABLE audit_log_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    actor_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL DEFAULT '',
    target_id INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    ip_address TEXT,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO audit_log_new (id, actor_id, action, target_type, target_id, detail, ip_address, created_at)
    SELECT id, actor_id, action, target_type, target_id, detail, ip_address, created_at FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_created_idx ON audit_log (created_at, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);

CREATE TABLE redirects_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    from_path TEXT NOT NULL UNIQUE,
    post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE,
    to_path TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK (post_id IS NOT NULL OR to_path IS NOT NULL)
);
INSERT INTO redirects_new (id, from_path, post_id, to_path, created_at)
    SELECT id, from_path, post_id, to_path, created_at FROM redirects;
DROP TABLE redirects;
ALTER TABLE redirects_new RENAME TO redirects;
CREATE INDEX redirects_post_idx ON redirects (post_id);

CREATE TABLE tokens_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    purpose TEXT NOT NULL,                   -- setup | invitation | password_reset | preview
    token_hash TEXT NOT NULL UNIQUE,         -- SHA-256 of the secret, hex
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    email TEXT,
    role TEXT,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE
);
INSERT INTO tokens_new (id, purpose, token_hash, user_id, email, role, created_by, created_at,
                        expires_at, used_at, revoked_at, post_id)
    SELECT id, purpose, token_hash, user_id, email, role, created_by, created_at,
           expires_at, used_at, revoked_at, post_id FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_purpose_idx ON tokens (purpose, used_at);
CREATE INDEX tokens_user_idx ON tokens (user_id);
CREATE INDEX tokens_created_by_idx ON tokens (created_by);
CREATE INDEX tokens_post_idx ON tokens (post_id);

-- Copying the rows with their ids set each table's counter (sqlite_sequence) to its
-- largest id; from here on a deleted id, even the largest, is never handed out again.

-- One row per login. The cookie carries a random 256-bit token; only its SHA-256 is kept
-- here. Logging out deletes the row; revoking a user's sessions deletes all of theirs;
-- deleting the user deletes them with it.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    user_agent TEXT,
    ip_address TEXT
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_last_seen_idx ON sessions (last_seen_at);

-- Every reference must still hold: a violation fails this CHECK and rolls back the whole
-- migration.
CREATE TEMP TABLE folio_foreign_key_check (violations INTEGER NOT NULL CHECK (violations = 0));
INSERT INTO folio_foreign_key_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE folio_foreign_key_check;
