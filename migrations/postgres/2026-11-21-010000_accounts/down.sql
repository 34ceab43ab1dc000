ALTER TABLE tokens DROP COLUMN revoked_at;
DROP TABLE login_throttle;
