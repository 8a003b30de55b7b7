-- Devices attached to the server (a room's camera, microphone and loudspeaker) stored with a
-- conference: they join as one participant whenever it runs; `start_room` starts a virtual room
-- for them (when attached, and when the server starts).
CREATE TABLE device_attachments (
    id                BIGINT PRIMARY KEY,
    conference_id     TEXT NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    camera            TEXT,
    microphone        TEXT,
    speaker           TEXT,
    echo_cancellation BIGINT NOT NULL DEFAULT 1,
    start_room        BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL
);
CREATE INDEX device_attachments_by_conference ON device_attachments (conference_id);

-- A stored camera's named positions (pan, tilt, zoom, focus as JSON), recalled from the manager.
CREATE TABLE camera_presets (
    attachment_id BIGINT NOT NULL REFERENCES device_attachments (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    controls      TEXT NOT NULL,
    PRIMARY KEY (attachment_id, name)
);
