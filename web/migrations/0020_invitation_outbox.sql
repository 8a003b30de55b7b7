-- Calendar invitations as iTIP requests (RFC 5546): each conference's SEQUENCE, raised on every
-- change its invitees are told of, and the outbox of messages on their way to the SMTP server,
-- retried with growing delays. A row outlives its conference (a cancellation is sent after the
-- conference is gone); the message text is cleared once sent, the row stays as the delivery log.
ALTER TABLE conferences ADD COLUMN calendar_sequence BIGINT NOT NULL DEFAULT 0;

CREATE TABLE mail_outbox (
    id              BIGINT PRIMARY KEY,
    conference_id   TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('request', 'cancel', 'join_link')),
    sender          TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    message         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_conference ON mail_outbox (conference_id, created_at);
