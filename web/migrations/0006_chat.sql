-- The conference chat: every message sent from a conference page while the conference runs,
-- kept for the chat history (the owner's analytics). A guest has no user id.
CREATE TABLE chat_messages (
    id            BIGINT PRIMARY KEY,
    conference_id TEXT NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
    at_ms         BIGINT NOT NULL,
    user_id       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    sender_name   TEXT NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX chat_messages_conference ON chat_messages (conference_id, at_ms);
