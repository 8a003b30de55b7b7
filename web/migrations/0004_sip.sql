-- SIP digest authentication: H(login:realm:password) in MD5 and SHA-256, written whenever a
-- password is set (the argon2id hash cannot produce them). Password-equivalent for SIP only.
CREATE TABLE sip_digests (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    realm      TEXT NOT NULL,
    ha1_md5    TEXT NOT NULL,
    ha1_sha256 TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
