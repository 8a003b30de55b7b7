-- The media plane: per-conference output settings, the recordings index and the connection
-- history (every event of a running conference).
ALTER TABLE conferences ADD COLUMN record BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conferences ADD COLUMN cameras_off_on_join BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conferences ADD COLUMN microphones_off_on_join BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conferences ADD COLUMN multicast_group TEXT;
ALTER TABLE conferences ADD COLUMN multicast_port BIGINT;
ALTER TABLE conferences ADD COLUMN multicast_ttl BIGINT;
ALTER TABLE conferences ADD COLUMN layouts TEXT;

CREATE TABLE recordings (
    id            BIGINT PRIMARY KEY,
    conference_id TEXT NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
    file_name     TEXT NOT NULL,
    format        TEXT NOT NULL,
    started_at    BIGINT NOT NULL,
    ended_at      BIGINT,
    duration_ms   BIGINT,
    size_bytes    BIGINT,
    state         TEXT NOT NULL CHECK (state IN ('recording', 'complete', 'interrupted', 'failed')),
    error         TEXT
);
CREATE INDEX recordings_conference ON recordings (conference_id, started_at);

CREATE TABLE conference_events (
    id            BIGINT PRIMARY KEY,
    conference_id TEXT NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
    at_ms         BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    participant   BIGINT,
    name          TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX conference_events_conference ON conference_events (conference_id, at_ms);
