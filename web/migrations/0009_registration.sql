-- Webinar registration: the settings of a public scheduled conference's sign-up form, and the
-- guests who signed up (each with a unique join link, of which only the SHA-256 is kept).

CREATE TABLE conference_registration (
    conference_id   TEXT PRIMARY KEY REFERENCES conferences (id) ON DELETE CASCADE,
    enabled         BIGINT NOT NULL DEFAULT 0,
    -- never (recurring only), start, end, custom (opens_at .. closes_at)
    closes          TEXT NOT NULL CHECK (closes IN ('never', 'start', 'end', 'custom')),
    opens_at        BIGINT,
    closes_at       BIGINT,
    close_when_full BIGINT NOT NULL DEFAULT 0,
    allow_attend    BIGINT NOT NULL DEFAULT 0,
    -- The form's fields in order, as JSON: [{"key": "name", "label": "", "required": true}, ...]
    fields          TEXT NOT NULL
);

CREATE TABLE conference_guests (
    id             BIGINT PRIMARY KEY,
    conference_id  TEXT NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
    token_hash     TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    email          TEXT NOT NULL DEFAULT '',
    -- The form's answers by field key, as JSON.
    answers        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_joined_at BIGINT
);
CREATE INDEX conference_guests_conference ON conference_guests (conference_id, created_at);
CREATE UNIQUE INDEX conference_guests_email ON conference_guests (conference_id, email) WHERE email <> '';
