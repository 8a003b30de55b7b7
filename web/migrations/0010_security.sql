-- A user who must choose a new password before anything else (their password was published:
-- the administrator of installations made from a database once committed by mistake).
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
