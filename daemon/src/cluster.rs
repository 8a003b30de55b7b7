//! This node among the others that share its database (`[cluster]`): it registers itself and
//! beats every third of the lease time (name, addresses, capacity, participants and conferences
//! now), each beat renewing the leases of the conferences it runs; a conference starts here
//! only when this node takes its lease, so two nodes never run one conference. A single server
//! is a cluster of one: the same rows, nobody to share them with.

use crate::config::Config;
use std::sync::Arc;
use std::time::Duration;
use tessera_web::store::{Lease, NodeRow, Store};

pub struct Cluster {
    pub name: String,
    pub lease_ms: i64,
    store: Store,
    http_url: String,
    sip_host: String,
    capacity: i64,
    started_at: i64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Cluster {
    pub fn new(store: Store, config: &Config) -> Arc<Cluster> {
        let web = config.web();
        Arc::new(Cluster {
            name: config.cluster.name(),
            lease_ms: i64::from(config.cluster.lease_seconds) * 1000,
            store,
            http_url: web.public_url,
            sip_host: web.sip_host,
            capacity: config.cluster.capacity.into(),
            started_at: now_ms(),
        })
    }

    /// Takes `conference`'s lease before it starts here; the error says which node runs it.
    pub async fn claim(&self, conference: &str) -> Result<(), String> {
        let now = now_ms();
        match self.store.take_lease(conference, &self.name, now, now + self.lease_ms).await {
            Ok(Lease::Taken) => Ok(()),
            Ok(Lease::HeldBy(node)) => {
                metrics::counter!("tessera_cluster_leases_refused_total").increment(1);
                Err(format!("the conference runs on node {node:?}"))
            }
            Err(e) => Err(format!("the conference's lease could not be taken: {e}")),
        }
    }

    /// Gives up the lease of a conference that ended here.
    pub async fn release(&self, conference: &str) {
        if let Err(e) = self.store.release_lease(conference, &self.name).await {
            tracing::warn!(conference, error = %e, "releasing the conference's lease failed; it expires by itself");
        }
    }

    /// Beats until the task is aborted; `load` says (participants, conferences) now.
    pub fn beat(self: Arc<Self>, load: impl Fn() -> (i64, i64) + Send + 'static) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis((self.lease_ms / 3).max(1000) as u64));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                tick.tick().await;
                let (participants, conferences) = load();
                let now = now_ms();
                let row = NodeRow {
                    name: self.name.clone(),
                    http_url: self.http_url.clone(),
                    sip_host: self.sip_host.clone(),
                    capacity: self.capacity,
                    participants,
                    conferences,
                    started_at: self.started_at,
                    heartbeat_at: now,
                };
                let started = std::time::Instant::now();
                match self.store.heartbeat(&row, now + self.lease_ms).await {
                    Ok(renewed) => {
                        metrics::histogram!("tessera_cluster_heartbeat_seconds")
                            .record(started.elapsed().as_secs_f64());
                        if failing {
                            tracing::info!(node = %self.name, leases = renewed, "heartbeats reach the database again");
                            failing = false;
                        }
                        if renewed < conferences as u64 {
                            tracing::warn!(node = %self.name, renewed, running = conferences, "some conferences' leases were not renewed (taken over by another node?)");
                        }
                    }
                    Err(e) => {
                        metrics::counter!("tessera_cluster_heartbeat_failures_total").increment(1);
                        if !failing {
                            tracing::error!(node = %self.name, error = %e, "the heartbeat failed: this node's leases expire if it keeps failing");
                            failing = true;
                        }
                    }
                }
            }
        })
    }

    /// A clean stop: this node's row and leases go at once.
    pub async fn leave(&self) {
        if let Err(e) = self.store.leave(&self.name).await {
            tracing::warn!(node = %self.name, error = %e, "leaving the cluster failed; the leases expire by themselves");
        }
    }
}
