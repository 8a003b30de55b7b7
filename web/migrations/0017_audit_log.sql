-- Every administrative action: who (an account, or the system user at the command line), from
-- where (web address, cli, ctl), what, and how it went. Kept for the administrator to read and
-- export; never edited.
CREATE TABLE audit_log (
    id      BIGINT PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    source  TEXT NOT NULL,
    action  TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at_ms);
