-- Failed-login counters, per account ("account:EMAIL") and per client address
-- ("address:IP"), shared by every node through the database.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

-- Invitations and reset links can be withdrawn before they are used.
ALTER TABLE tokens ADD COLUMN revoked_at TIMESTAMP;
