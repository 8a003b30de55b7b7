-- Scheduling: recurrence, email invitations, guests' permissions, speakers, external addresses
-- and templates.

-- The recurrence rule in RFC 5545 RRULE syntax (FREQ, INTERVAL, BYDAY, COUNT, UNTIL as a local
-- date), NULL for a single meeting. series_ends_at is the end of the last occurrence (UTC
-- seconds), kept so that range queries can skip series that are over.
ALTER TABLE conferences ADD COLUMN recurrence TEXT;
ALTER TABLE conferences ADD COLUMN series_ends_at BIGINT;
ALTER TABLE conferences ADD COLUMN email_invitations BIGINT NOT NULL DEFAULT 0;
-- Public conferences: what guests may do, as a comma-separated list (chat, microphone, camera).
ALTER TABLE conferences ADD COLUMN guest_permissions TEXT NOT NULL DEFAULT 'chat,microphone,camera';
CREATE INDEX conferences_series_end ON conferences (series_ends_at);

-- Role-based conferences: participants who are active speakers (on the podium) from the start.
ALTER TABLE conference_participants ADD COLUMN speaker BIGINT NOT NULL DEFAULT 0;

-- Endpoints invited by address (SIP or H.323), not users of the server.
CREATE TABLE conference_addresses (
    conference_id TEXT NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
    address       TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('moderator', 'participant')),
    speaker       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (conference_id, address)
);

-- A user's templates: the scheduling form's settings as JSON.
CREATE TABLE conference_templates (
    id         BIGINT PRIMARY KEY,
    owner_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    settings   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX conference_templates_owner ON conference_templates (owner_id, name);
