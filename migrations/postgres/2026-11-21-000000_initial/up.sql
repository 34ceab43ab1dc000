-- Folio's content model (see DESIGN.md). Timestamps are UTC, written by the application.
-- Enumerated text columns (role, status, kind, purpose) are validated in Rust, so a new
-- value never needs a table rebuild here.

CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,              -- stored lower-cased
    display_name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,               -- public author page /author/{slug}
    password_hash TEXT,                      -- NULL: no usable password (imported, invited)
    role TEXT NOT NULL,                      -- contributor | author | editor | admin
    status TEXT NOT NULL DEFAULT 'active',   -- active | disabled
    bio TEXT NOT NULL DEFAULT '',
    website TEXT,
    session_epoch INTEGER NOT NULL DEFAULT 0, -- bumped to end every session of the user
    last_login_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_role_idx ON users (role);

CREATE TABLE media (
    id SERIAL PRIMARY KEY,
    uploader_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    file_name TEXT NOT NULL,                 -- the uploader's name for it: a label only
    storage_key TEXT NOT NULL,               -- content-addressed path under the media directory
    sha256 TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    width INTEGER,
    height INTEGER,
    alt_text TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX media_created_idx ON media (created_at, id);
CREATE INDEX media_type_idx ON media (mime_type, created_at);
CREATE INDEX media_sha256_idx ON media (sha256);
CREATE INDEX media_uploader_idx ON media (uploader_id);

-- Posts and pages share one table (kind). Visible to the public when
-- status = 'published' AND published_at <= now AND deleted_at IS NULL.
CREATE TABLE posts (
    id SERIAL PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'post',       -- post | page
    status TEXT NOT NULL DEFAULT 'draft',    -- draft | pending | published
    title TEXT NOT NULL DEFAULT '',
    slug TEXT NOT NULL UNIQUE,
    body_markdown TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL DEFAULT '',      -- sanitised rendering, cached at save
    excerpt TEXT NOT NULL DEFAULT '',
    author_id INTEGER NOT NULL REFERENCES users (id),
    featured_media_id INTEGER REFERENCES media (id) ON DELETE SET NULL,
    meta_title TEXT,
    meta_description TEXT,
    canonical_url TEXT,
    version INTEGER NOT NULL DEFAULT 1,      -- optimistic locking
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    deleted_at TIMESTAMP                     -- in the trash since
);
-- Home page, feeds, sitemap: newest published first.
CREATE INDEX posts_public_idx ON posts (kind, status, published_at, id) WHERE deleted_at IS NULL;
-- Author archives and "my posts".
CREATE INDEX posts_author_idx ON posts (author_id, kind, status, published_at);
-- Admin lists sorted by last change.
CREATE INDEX posts_updated_idx ON posts (kind, updated_at, id);
CREATE INDEX posts_deleted_idx ON posts (deleted_at);
CREATE INDEX posts_featured_media_idx ON posts (featured_media_id);

CREATE TABLE tags (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE post_tags (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);
-- Tag archives: posts of a tag.
CREATE INDEX post_tags_tag_idx ON post_tags (tag_id, post_id);

CREATE TABLE revisions (
    id SERIAL PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    is_autosave BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX revisions_post_idx ON revisions (post_id, created_at, id);
-- At most one rolling autosave per user and post.
CREATE UNIQUE INDEX revisions_autosave_idx ON revisions (post_id, author_id) WHERE is_autosave = TRUE;

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    id SERIAL PRIMARY KEY,
    actor_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL DEFAULT '',
    target_id INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    ip_address TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);

-- Old slugs and imported permalinks that answer 301 to a post's current URL.
CREATE TABLE redirects (
    id SERIAL PRIMARY KEY,
    from_path TEXT NOT NULL UNIQUE,
    post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE,
    to_path TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK (post_id IS NOT NULL OR to_path IS NOT NULL)
);
CREATE INDEX redirects_post_idx ON redirects (post_id);

-- One-time secrets (setup link, invitations, password resets), kept only as hashes.
CREATE TABLE tokens (
    id SERIAL PRIMARY KEY,
    purpose TEXT NOT NULL,                   -- setup | invitation | password_reset
    token_hash TEXT NOT NULL UNIQUE,         -- SHA-256 of the secret, hex
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    email TEXT,
    role TEXT,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,                    -- NULL: good until used
    used_at TIMESTAMP
);
CREATE INDEX tokens_purpose_idx ON tokens (purpose, used_at);
CREATE INDEX tokens_user_idx ON tokens (user_id);
CREATE INDEX tokens_created_by_idx ON tokens (created_by);
