-- Set-password links an administrator has mailed to a user (a new account, a reset): only the
-- SHA-256 of each link's token is kept; a link works once, until it expires.
CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX password_links_user ON password_links (user_id);
