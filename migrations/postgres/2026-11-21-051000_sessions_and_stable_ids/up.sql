-- Server-side login sessions. (Ids: PostgreSQL's serial sequences never hand out a value
-- twice, so unlike SQLite no table needs rebuilding.)
--
-- One row per login. The cookie carries a random 256-bit token; only its SHA-256 is kept
-- here. Logging out deletes the row; revoking a user's sessions deletes all of theirs;
-- deleting the user deletes them with it.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    user_agent TEXT,
    ip_address TEXT
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_last_seen_idx ON sessions (last_seen_at);
