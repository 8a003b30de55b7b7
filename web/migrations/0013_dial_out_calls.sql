-- The call history also keeps the calls a conference places (dial-outs): the user who placed
-- them is the caller; the callee is a user (called at their registered phone) or an address;
-- the conference is named so that its owner can reach its card. The table is rebuilt because a
-- column's NOT NULL cannot be dropped on SQLite.
CREATE TABLE user_calls_v2 (
    id            BIGINT PRIMARY KEY,
    caller_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    callee_id     BIGINT REFERENCES users (id) ON DELETE CASCADE,
    callee_address TEXT NOT NULL DEFAULT '',
    conference_id TEXT,
    started_at    BIGINT NOT NULL,
    answered_at   BIGINT,
    ended_at      BIGINT,
    result        TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT ''
);
INSERT INTO user_calls_v2 (id, caller_id, callee_id, started_at, answered_at, ended_at, result, detail)
    SELECT id, caller_id, callee_id, started_at, answered_at, ended_at, result, detail FROM user_calls;
DROP TABLE user_calls;
ALTER TABLE user_calls_v2 RENAME TO user_calls;
CREATE INDEX user_calls_caller ON user_calls (caller_id, started_at);
CREATE INDEX user_calls_callee ON user_calls (callee_id, started_at);
