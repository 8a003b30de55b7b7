-- A user's address book: users of the server and SIP/H.323 addresses, each with a name.
CREATE TABLE address_book (
    id              BIGINT PRIMARY KEY,
    owner_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    contact_user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    address         TEXT,
    name            TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    CHECK ((contact_user_id IS NULL) <> (address IS NULL))
);
CREATE UNIQUE INDEX address_book_user ON address_book (owner_id, contact_user_id);
CREATE UNIQUE INDEX address_book_address ON address_book (owner_id, address);
