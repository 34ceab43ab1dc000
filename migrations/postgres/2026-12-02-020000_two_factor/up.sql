-- Two-factor sign-in (#18): a user's TOTP secret (RFC 6238, base32) once confirmed, the last
-- time step a code was accepted for (a code works once), and single-use recovery codes
-- stored as SHA-256 hashes (they are random, 50 bits each: no slow hash needed).
CREATE TABLE two_factor (
    user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    last_step BIGINT NOT NULL DEFAULT 0,
    enabled_at TIMESTAMP NOT NULL
);

CREATE TABLE recovery_codes (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
