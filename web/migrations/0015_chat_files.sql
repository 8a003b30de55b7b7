-- Files sent in the conference chat (the file sharing right): each is one chat message whose
-- body is the file's name. The bytes live in DATA_DIR/files/<conference>/<id>; a file whose row
-- is gone (conference deleted, retention) is removed from there by the housekeeping sweep.
CREATE TABLE chat_files (
    id            TEXT PRIMARY KEY,
    conference_id TEXT NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
    at_ms         BIGINT NOT NULL,
    user_id       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    name          TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL
);
CREATE INDEX chat_files_conference ON chat_files (conference_id, at_ms);
ALTER TABLE chat_messages ADD COLUMN file_id TEXT;
