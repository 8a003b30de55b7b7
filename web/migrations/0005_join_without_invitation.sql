-- A private conference that users of the server may join without an invitation (they still
-- sign in; guests still may not). Public conferences ignore it.
ALTER TABLE conferences ADD COLUMN join_without_invitation BIGINT NOT NULL DEFAULT 0;
