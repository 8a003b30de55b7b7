//! The cluster's database load, simulated against one PostgreSQL (`benches/cluster.sh`): N nodes
//! beating every third of the lease time through the store's own `heartbeat`, M conferences
//! placed by the core's placement rule and leased with `take_lease`, then one node silenced and
//! the time until every one of its conferences is owned by another node again.
//!
//!   cluster_sim --url postgres://… [--nodes 100] [--conferences 10000] [--lease-seconds 10]
//!               [--steady-seconds 15]
//!   cluster_sim --url postgres://… --max-beats SECONDS [--concurrency 8]
//!
//! Prints `key value` lines. All the simulated nodes share one connection pool (16
//! connections); real nodes each have their own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_conference::placement::{NodeLoad, choose};
use tessera_web::store::{Lease, NodeRow, Store};

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.into())
}

fn row(name: &str, participants: i64, conferences: i64) -> NodeRow {
    NodeRow {
        name: name.into(),
        http_url: format!("https://{name}.example.com"),
        sip_host: format!("{name}.example.com"),
        capacity: 1000,
        participants,
        conferences,
        started_at: 0,
        heartbeat_at: now_ms(),
    }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let store = Store::open(&arg(&args, "--url", "")).await?;
    if args.iter().any(|a| a == "--max-beats") {
        return max_beats(store, &args).await;
    }
    let nodes: usize = arg(&args, "--nodes", "100").parse()?;
    let conferences: usize = arg(&args, "--conferences", "10000").parse()?;
    let lease_ms: i64 = arg(&args, "--lease-seconds", "10").parse::<i64>()? * 1000;
    let steady = Duration::from_secs(arg(&args, "--steady-seconds", "15").parse()?);
    let names: Vec<String> = (0..nodes).map(|i| format!("node-{i:03}")).collect();
    let owned: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    for n in &names {
        store.heartbeat(&row(n, 0, 0), now_ms() + lease_ms).await?;
    }

    // Placement: each conference to the least-loaded node, as the rule says (the loads counted
    // here as the leases are taken), then leased.
    let started = Instant::now();
    let mut load: HashMap<String, i64> = HashMap::new();
    let mut latencies = Vec::with_capacity(conferences);
    for c in 0..conferences {
        let t = Instant::now();
        let loads: Vec<NodeLoad> = names
            .iter()
            .map(|n| NodeLoad {
                name: n,
                capacity: 1000,
                participants: load.get(n).copied().unwrap_or(0) * 2,
                conferences: load.get(n).copied().unwrap_or(0),
                heartbeat_at: now_ms(),
            })
            .collect();
        let chosen =
            choose(&loads, 2, now_ms(), lease_ms).ok_or_else(|| anyhow::anyhow!("no node has room"))?.to_string();
        let now = now_ms();
        anyhow::ensure!(store.take_lease(&format!("conf-{c:05}"), &chosen, now, now + lease_ms).await? == Lease::Taken);
        *load.entry(chosen).or_default() += 1;
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let placed_s = started.elapsed().as_secs_f64();
    println!("placed {conferences}");
    println!("placements_per_s {:.0}", conferences as f64 / placed_s);
    println!("placement_p99_ms {:.2}", percentile(&mut latencies, 0.99));
    *owned.lock().unwrap() = load;

    // Steady state: every node beats every third of the lease; node-000 falls silent at the end.
    let stop = Arc::new(AtomicBool::new(false));
    let silenced = Arc::new(AtomicBool::new(false));
    let beats = Arc::new(AtomicI64::new(0));
    let beat_ms: Arc<Mutex<Vec<f64>>> = Arc::default();
    let mut tasks = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let (store, n, owned, stop, silenced, beats, beat_ms) =
            (store.clone(), n.clone(), owned.clone(), stop.clone(), silenced.clone(), beats.clone(), beat_ms.clone());
        tasks.push(tokio::spawn(async move {
            let period = Duration::from_millis((lease_ms / 3) as u64);
            // Spread over the period, as nodes started at different times are.
            tokio::time::sleep(period * i as u32 / nodes as u32).await;
            let mut tick = tokio::time::interval(period);
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                if i == 0 && silenced.load(Ordering::Relaxed) {
                    continue;
                }
                let c = owned.lock().unwrap().get(&n).copied().unwrap_or(0);
                let t = Instant::now();
                if store.heartbeat(&row(&n, c * 2, c), now_ms() + lease_ms).await.is_ok() {
                    beats.fetch_add(1, Ordering::Relaxed);
                    beat_ms.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                }
                // The sweep: conferences whose owner went silent, to the node the rule picks.
                if let Ok(expired) = store.expired_leases(now_ms(), 1000).await {
                    let rows = match store.nodes().await {
                        Ok(r) => r,
                        Err(_) => continue,
                    };
                    for (conf, _) in expired {
                        let loads: Vec<NodeLoad> = rows
                            .iter()
                            .map(|r| NodeLoad {
                                name: &r.name,
                                capacity: r.capacity,
                                participants: r.participants,
                                conferences: r.conferences,
                                heartbeat_at: r.heartbeat_at,
                            })
                            .collect();
                        if choose(&loads, 2, now_ms(), lease_ms) == Some(n.as_str()) {
                            let now = now_ms();
                            if let Ok(Lease::Taken) = store.take_lease(&conf, &n, now, now + lease_ms).await {
                                *owned.lock().unwrap().entry(n.clone()).or_default() += 1;
                            }
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep(steady).await;
    let counted = beats.swap(0, Ordering::Relaxed);
    let mut ms = std::mem::take(&mut *beat_ms.lock().unwrap());
    println!("nodes {nodes}");
    println!("heartbeats_per_s {:.1}", counted as f64 / steady.as_secs_f64());
    println!("heartbeat_p50_ms {:.2}", percentile(&mut ms, 0.5));
    println!("heartbeat_p99_ms {:.2}", percentile(&mut ms, 0.99));

    // Fail-over: node-000 stops beating; how long until another node owns all it had.
    let victim_had = owned.lock().unwrap().get("node-000").copied().unwrap_or(0);
    silenced.store(true, Ordering::Relaxed);
    let t = Instant::now();
    loop {
        let left = store.lease_count("node-000").await?;
        if left == 0 {
            break;
        }
        anyhow::ensure!(t.elapsed() < Duration::from_secs(120), "{left} conferences still on the silent node");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("failed_over {victim_had}");
    println!("failover_s {:.2}", t.elapsed().as_secs_f64());
    println!("lease_s {:.0}", lease_ms as f64 / 1000.0);
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.abort();
    }
    Ok(())
}

/// Heartbeats as fast as `concurrency` connections take them, for `--max-beats` seconds: what
/// one PostgreSQL carries.
async fn max_beats(store: Store, args: &[String]) -> anyhow::Result<()> {
    let secs: u64 = arg(args, "--max-beats", "5").parse()?;
    let concurrency: usize = arg(args, "--concurrency", "8").parse()?;
    let until = Instant::now() + Duration::from_secs(secs);
    let done = Arc::new(AtomicI64::new(0));
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (store, done) = (store.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0usize;
            while Instant::now() < until {
                let n = format!("node-{:03}", (w * 13 + i) % 100);
                if store.heartbeat(&row(&n, 200, 100), now_ms() + 10_000).await.is_ok() {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    println!("beats_per_s {:.0}", done.load(Ordering::Relaxed) as f64 / secs as f64);
    Ok(())
}
