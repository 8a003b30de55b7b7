-- Calls between users (SIP, through Tessera's proxy, which stays in their path): who called
-- whom, when it rang, was answered and ended (Unix milliseconds), and how it went.
CREATE TABLE user_calls (
    id           BIGINT PRIMARY KEY,
    caller_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    callee_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    started_at   BIGINT NOT NULL,
    answered_at  BIGINT,
    ended_at     BIGINT,
    result       TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX user_calls_caller ON user_calls (caller_id, started_at);
CREATE INDEX user_calls_callee ON user_calls (callee_id, started_at);
