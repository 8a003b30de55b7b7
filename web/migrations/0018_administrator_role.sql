-- The administrator role (distinct from the operator right, which is about conferences): it
-- opens the administration API. The account made at first start has it.
ALTER TABLE users ADD COLUMN is_admin BIGINT NOT NULL DEFAULT 0;
UPDATE users SET is_admin = 1 WHERE login = 'admin';
