//! Nodes and conference leases: what several `tessera serve`s sharing one database know of each
//! other. Each node upserts its row with every heartbeat, and renews all its leases in the same
//! beat with one statement (not one per conference); a lease is taken with one conditional
//! upsert, which succeeds only when nobody holds it or its holder let it expire — so two nodes
//! racing for one conference cannot both win. The rules that choose a node are the conference
//! core's (`tessera_conference::placement`).

use super::{Result, Store};
use sqlx::Row;

/// A node as it last said it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    pub name: String,
    /// Where its web server is reached (its public URL).
    pub http_url: String,
    /// The host SIP and H.323 callers are sent to.
    pub sip_host: String,
    /// How many participants it takes.
    pub capacity: i64,
    pub participants: i64,
    pub conferences: i64,
    pub started_at: i64,
    /// Unix milliseconds.
    pub heartbeat_at: i64,
}

/// What asking for a conference's lease gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// This node owns the conference until the lease's expiry (and renews it).
    Taken,
    /// Another node owns it.
    HeldBy(String),
}

impl Store {
    /// One heartbeat: the node's row (made on the first), and every lease it holds renewed until
    /// `expires_at`. Returns how many leases were renewed.
    pub async fn heartbeat(&self, n: &NodeRow, expires_at: i64) -> Result<u64> {
        sqlx::query(
            "INSERT INTO nodes (name, http_url, sip_host, capacity, participants, conferences, started_at, heartbeat_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (name) DO UPDATE SET http_url = excluded.http_url, sip_host = excluded.sip_host,
               capacity = excluded.capacity, participants = excluded.participants,
               conferences = excluded.conferences, started_at = excluded.started_at,
               heartbeat_at = excluded.heartbeat_at",
        )
        .bind(&n.name)
        .bind(&n.http_url)
        .bind(&n.sip_host)
        .bind(n.capacity)
        .bind(n.participants)
        .bind(n.conferences)
        .bind(n.started_at)
        .bind(n.heartbeat_at)
        .execute(&self.pool)
        .await?;
        let renewed = sqlx::query("UPDATE conference_leases SET expires_at = $1 WHERE node = $2")
            .bind(expires_at)
            .bind(&n.name)
            .execute(&self.pool)
            .await?;
        Ok(renewed.rows_affected())
    }

    /// Every node that has ever beaten (the placement rule tells the living by their beat).
    pub async fn nodes(&self) -> Result<Vec<NodeRow>> {
        let rows = sqlx::query(
            "SELECT name, http_url, sip_host, capacity, participants, conferences, started_at, heartbeat_at
             FROM nodes ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NodeRow {
                    name: r.try_get("name")?,
                    http_url: r.try_get("http_url")?,
                    sip_host: r.try_get("sip_host")?,
                    capacity: r.try_get("capacity")?,
                    participants: r.try_get("participants")?,
                    conferences: r.try_get("conferences")?,
                    started_at: r.try_get("started_at")?,
                    heartbeat_at: r.try_get("heartbeat_at")?,
                })
            })
            .collect()
    }

    /// Takes `conference`'s lease for `node` until `expires_at`, when nobody holds it, `node`
    /// already does, or its holder's lease ran out before `now`.
    pub async fn take_lease(&self, conference: &str, node: &str, now: i64, expires_at: i64) -> Result<Lease> {
        let done = sqlx::query(
            "INSERT INTO conference_leases (conference_id, node, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (conference_id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at
             WHERE conference_leases.node = excluded.node OR conference_leases.expires_at < $4",
        )
        .bind(conference)
        .bind(node)
        .bind(expires_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(Lease::Taken);
        }
        let owner = sqlx::query("SELECT node FROM conference_leases WHERE conference_id = $1")
            .bind(conference)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match owner {
            Some(r) => Lease::HeldBy(r.try_get("node")?),
            // Released in between: the next attempt will take it.
            None => Lease::HeldBy(String::new()),
        })
    }

    /// Gives a conference up (it ended), when `node` holds it.
    pub async fn release_lease(&self, conference: &str, node: &str) -> Result<()> {
        sqlx::query("DELETE FROM conference_leases WHERE conference_id = $1 AND node = $2")
            .bind(conference)
            .bind(node)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Who owns `conference` at `now`, if anyone.
    pub async fn lease_owner(&self, conference: &str, now: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT node FROM conference_leases WHERE conference_id = $1 AND expires_at >= $2")
            .bind(conference)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("node")).transpose()?)
    }

    /// Conferences whose owner stopped renewing before `now` (they must start again elsewhere),
    /// at most `limit`, longest expired first.
    pub async fn expired_leases(&self, now: i64, limit: i64) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT conference_id, node FROM conference_leases WHERE expires_at < $1 ORDER BY expires_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("conference_id")?, r.try_get("node")?))).collect()
    }

    /// How many conferences' leases `node` holds.
    pub async fn lease_count(&self, node: &str) -> Result<i64> {
        let r = sqlx::query("SELECT count(*) AS n FROM conference_leases WHERE node = $1")
            .bind(node)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("n")?)
    }

    /// A node stopping cleanly: its row and its leases go at once (nothing waits for expiry).
    pub async fn leave(&self, node: &str) -> Result<()> {
        sqlx::query("DELETE FROM conference_leases WHERE node = $1").bind(node).execute(&self.pool).await?;
        sqlx::query("DELETE FROM nodes WHERE name = $1").bind(node).execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, at: i64) -> NodeRow {
        NodeRow {
            name: name.into(),
            http_url: format!("https://{name}.example.com"),
            sip_host: format!("{name}.example.com"),
            capacity: 100,
            participants: 3,
            conferences: 1,
            started_at: 0,
            heartbeat_at: at,
        }
    }

    crate::both_backends!(leases_go_to_one_node_and_expire_with_its_heartbeat, |store| {
        assert_eq!(store.heartbeat(&node("a", 1000), 11_000).await.unwrap(), 0);
        store.heartbeat(&node("b", 1000), 11_000).await.unwrap();
        let mut again = node("a", 2000);
        again.participants = 7;
        store.heartbeat(&again, 12_000).await.unwrap();
        let nodes = store.nodes().await.unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!((nodes[0].participants, nodes[0].heartbeat_at), (7, 2000));

        assert_eq!(store.take_lease("c1", "a", 2000, 12_000).await.unwrap(), Lease::Taken);
        assert_eq!(store.take_lease("c1", "b", 2000, 12_000).await.unwrap(), Lease::HeldBy("a".into()));
        assert_eq!(store.take_lease("c1", "a", 2500, 12_500).await.unwrap(), Lease::Taken, "the owner again");
        assert_eq!(store.lease_owner("c1", 3000).await.unwrap().as_deref(), Some("a"));
        // a's heartbeats renew it; b cannot take it while they do.
        assert_eq!(store.heartbeat(&node("a", 10_000), 20_000).await.unwrap(), 1);
        assert_eq!(store.take_lease("c1", "b", 15_000, 25_000).await.unwrap(), Lease::HeldBy("a".into()));
        assert!(store.expired_leases(15_000, 10).await.unwrap().is_empty());
        // a stops: after the expiry the lease is b's for the taking.
        assert_eq!(store.lease_owner("c1", 20_001).await.unwrap(), None);
        assert_eq!(store.expired_leases(20_001, 10).await.unwrap(), [("c1".to_string(), "a".to_string())]);
        assert_eq!(store.take_lease("c1", "b", 20_001, 30_000).await.unwrap(), Lease::Taken);
        assert_eq!(store.heartbeat(&node("a", 20_002), 30_002).await.unwrap(), 0, "a lost it");
        store.release_lease("c1", "a").await.unwrap();
        assert_eq!(store.lease_owner("c1", 20_003).await.unwrap().as_deref(), Some("b"), "only the owner releases");
        store.release_lease("c1", "b").await.unwrap();
        assert_eq!(store.lease_owner("c1", 20_003).await.unwrap(), None);
        store.take_lease("c2", "b", 0, 100_000).await.unwrap();
        assert_eq!(store.lease_count("b").await.unwrap(), 1);
        store.leave("b").await.unwrap();
        assert_eq!(store.lease_count("b").await.unwrap(), 0);
        assert_eq!(store.lease_owner("c2", 1).await.unwrap(), None);
        assert_eq!(store.nodes().await.unwrap().len(), 1);
    });
}
