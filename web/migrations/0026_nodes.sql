-- Several Tessera nodes sharing one PostgreSQL: each `tessera serve` registers itself and keeps
-- a heartbeat (times in Unix milliseconds); each running conference is owned by exactly one
-- node through a lease that the owner renews with its heartbeat and that another node may take
-- once it has expired (its owner stopped heartbeating).
CREATE TABLE nodes (
    name          TEXT PRIMARY KEY,
    http_url      TEXT NOT NULL,
    sip_host      TEXT NOT NULL,
    capacity      BIGINT NOT NULL,
    participants  BIGINT NOT NULL,
    conferences   BIGINT NOT NULL,
    started_at    BIGINT NOT NULL,
    heartbeat_at  BIGINT NOT NULL
);

CREATE TABLE conference_leases (
    conference_id TEXT PRIMARY KEY,
    node          TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX conference_leases_node ON conference_leases (node);
CREATE INDEX conference_leases_expiry ON conference_leases (expires_at);
