-- The address book the administrator provides to every user (CLI and API), read-only for them:
-- users of the server and SIP/H.323 addresses, each with a name.
CREATE TABLE shared_contacts (
    id              BIGINT PRIMARY KEY,
    contact_user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    address         TEXT,
    name            TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    CHECK ((contact_user_id IS NULL) <> (address IS NULL))
);
CREATE UNIQUE INDEX shared_contacts_user ON shared_contacts (contact_user_id);
CREATE UNIQUE INDEX shared_contacts_address ON shared_contacts (address);
