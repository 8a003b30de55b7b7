-- Analytics: when each invitee was added to the list (kept across edits of the conference; the
-- rows that exist get the conference's creation time), which user a participant of the
-- connection history was, and when a webinar guest first joined.
ALTER TABLE conference_participants ADD COLUMN added_at BIGINT NOT NULL DEFAULT 0;
UPDATE conference_participants SET added_at =
    (SELECT c.created_at FROM conferences c WHERE c.id = conference_participants.conference_id);

ALTER TABLE conference_events ADD COLUMN user_id BIGINT;
-- Who joined when, read from the index alone.
CREATE INDEX conference_events_joins ON conference_events (conference_id, kind, user_id, at_ms);

ALTER TABLE conference_guests ADD COLUMN first_joined_at BIGINT;
UPDATE conference_guests SET first_joined_at = last_joined_at;

-- Retention removes old rows by time.
CREATE INDEX conference_events_at ON conference_events (at_ms);
CREATE INDEX chat_messages_at ON chat_messages (at_ms);
