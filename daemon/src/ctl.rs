//! `tessera ctl`: a live command line for the running server, like `asterisk -rx` or `fs_cli`,
//! for scripts and SSH sessions. It talks to the server over a Unix socket only its owner may
//! open (mode 0600; no network port): `$TESSERA_CTL_SOCKET`, else `$RUNTIME_DIRECTORY/ctl.sock`
//! (the systemd unit's `RuntimeDirectory=tessera`), else `DATA_DIR/ctl.sock`.
//!
//! One JSON line asks, one JSON line answers (`{"ok":true,"result":…}` or `{"ok":false,"error":…}`).
//! `drain` answers when the last conference has ended (or its timeout passed) and then the
//! server stops as on SIGTERM, for an upgrade.

use crate::cli::CtlCommand;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tessera_web::control::{Control, Request as Live};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// Where the socket is.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("TESSERA_CTL_SOCKET").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(d) = std::env::var_os("RUNTIME_DIRECTORY").filter(|d| !d.is_empty()) {
        // systemd may list several directories, separated by colons: the first is ours.
        let first = d.to_string_lossy().split(':').next().unwrap_or_default().to_string();
        return PathBuf::from(first).join("ctl.sock");
    }
    data_dir.join("ctl.sock")
}

/// Where the client looks: as the server chose, else the systemd unit's socket, which a shell
/// (without the unit's `RUNTIME_DIRECTORY`) does not know of.
fn client_socket_path(data_dir: &Path) -> PathBuf {
    let chosen = socket_path(data_dir);
    let unit = PathBuf::from("/run/tessera/ctl.sock");
    if !chosen.exists() && unit.exists() { unit } else { chosen }
}

/// Whether a server answers on the control socket of `data_dir` (the restore refuses then).
pub async fn server_running(data_dir: &Path) -> bool {
    UnixStream::connect(client_socket_path(data_dir)).await.is_ok()
}

/// What a client asks.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Ask {
    // Empty struct variants, not unit ones: serde enforces `deny_unknown_fields` only on these.
    Status {},
    Conferences {},
    Participants { conference: String },
    Registrations {},
    Kick { conference: String, participant: u64 },
    End { conference: String },
    Drain { timeout_seconds: u64 },
}

/// What the server side needs.
pub struct Server {
    pub control: Option<Control>,
    pub registrations: Box<dyn Fn() -> Vec<(String, String, u64)> + Send + Sync>,
    pub started: std::time::Instant,
    /// For the audit log of what changed something (kick, end, drain).
    pub store: tessera_web::store::Store,
    /// Told when a drain has finished: the server stops.
    pub drained: Arc<tokio::sync::Notify>,
}

/// Listens on `path` (replacing a stale socket), owner-only.
pub fn listen(path: &Path) -> anyhow::Result<UnixListener> {
    if path.exists() {
        // A socket left by a server that died; a live one would still answer.
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            bail!("{} is in use: is another Tessera running with this data directory?", path.display());
        }
        std::fs::remove_file(path).with_context(|| format!("removing the stale {}", path.display()))?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let l = UnixListener::bind(path).with_context(|| format!("the control socket {}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("making {} owner-only", path.display()))?;
    Ok(l)
}

pub async fn serve(listener: UnixListener, server: Arc<Server>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let server = server.clone();
        let actor = stream.peer_cred().map_or_else(|_| "unknown".to_string(), |c| user_name(c.uid()));
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut line = String::new();
            let mut reader = BufReader::new(read.take(64 * 1024));
            if reader.read_line(&mut line).await.is_err() {
                return;
            }
            let answer = match serde_json::from_str::<Ask>(&line) {
                Ok(ask) => {
                    tracing::info!(?ask, actor = %actor, "control command");
                    let changes = matches!(ask, Ask::Kick { .. } | Ask::End { .. } | Ask::Drain { .. });
                    let action = format!("{ask:?}");
                    if changes {
                        // Written before it runs: a drain ends with the server.
                        server.audit(&actor, &action, "started").await;
                    }
                    let answer = server.answer(ask).await;
                    if changes {
                        let outcome = answer.as_ref().map_or_else(|e| format!("{e:#}"), |_| "ok".to_string());
                        server.audit(&actor, &action, &outcome).await;
                    }
                    match answer {
                        Ok(result) => json!({ "ok": true, "result": result }),
                        Err(e) => json!({ "ok": false, "error": format!("{e:#}") }),
                    }
                }
                Err(e) => json!({ "ok": false, "error": format!("not a command: {e}") }),
            };
            let _ = write.write_all(format!("{answer}\n").as_bytes()).await;
            let _ = write.shutdown().await;
        });
    }
}

use tokio::io::AsyncReadExt as _;

/// A uid's name, from /etc/passwd.
fn user_name(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_string())
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

impl Server {
    async fn audit(&self, actor: &str, action: &str, outcome: &str) {
        let e = tessera_web::store::AuditEntry {
            at_ms: chrono::Utc::now().timestamp_millis(),
            actor: actor.to_string(),
            source: "ctl".into(),
            action: action.to_string(),
            outcome: outcome.to_string(),
        };
        if let Err(e) = self.store.audit(&e).await {
            tracing::error!(error = %e, "the audit log did not take a control command");
        }
    }

    fn control(&self) -> anyhow::Result<&Control> {
        self.control.as_ref().context("the media plane is not running on this server")
    }

    async fn live(&self, conference: &str, request: Live) -> anyhow::Result<tessera_web::control::LiveState> {
        self.control()?.call(conference, None, request).await.map_err(|e| anyhow::anyhow!("{conference}: {e}"))
    }

    async fn answer(&self, ask: Ask) -> anyhow::Result<Value> {
        Ok(match ask {
            Ask::Status {} => {
                let running = self.control.as_ref().map(|c| c.occupancy.all()).unwrap_or_default();
                json!({
                    "version": env!("CARGO_PKG_VERSION"),
                    "uptime_seconds": self.started.elapsed().as_secs(),
                    "conferences": running.len(),
                    "participants": running.iter().map(|(_, n)| n).sum::<usize>(),
                    "registrations": (self.registrations)().len(),
                    "draining": self.control.as_ref().is_some_and(|c| c.draining.load(Ordering::Acquire)),
                })
            }
            Ask::Conferences {} => {
                let running = self.control()?.occupancy.all();
                json!(running.iter().map(|(id, n)| json!({ "conference": id, "participants": n })).collect::<Vec<_>>())
            }
            Ask::Participants { conference } => {
                let live = self.live(&conference, Live::Status).await?;
                if !live.running {
                    bail!("{conference} is not running");
                }
                serde_json::to_value(&live.participants)?
            }
            Ask::Registrations {} => {
                json!((self.registrations)()
                .into_iter()
                .map(|(login, contact, expires)| json!({ "login": login, "contact": contact, "expires_in": expires }))
                .collect::<Vec<_>>())
            }
            Ask::Kick { conference, participant } => {
                self.live(&conference, Live::Remove { participant }).await?;
                json!({ "removed": participant })
            }
            Ask::End { conference } => {
                self.live(&conference, Live::End).await?;
                json!({ "ended": conference })
            }
            Ask::Drain { timeout_seconds } => {
                let control = self.control()?;
                control.draining.store(true, Ordering::Release);
                tracing::warn!(
                    timeout_seconds,
                    "draining: no new conferences or joins; stopping when the last one ends"
                );
                let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_seconds);
                let mut left = control.occupancy.all();
                while !left.is_empty() && tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    left = control.occupancy.all();
                }
                tracing::warn!(still_running = left.len(), "drained: stopping");
                self.drained.notify_one();
                json!({ "drained": left.is_empty(), "still_running": left.len() })
            }
        })
    }
}

/// The client side: asks, prints, and fails (exit status 1) when the server says no.
pub async fn run(data_dir: &Path, cmd: CtlCommand) -> anyhow::Result<()> {
    let (ask, json_out) = match cmd {
        CtlCommand::Status { json } => (Ask::Status {}, json),
        CtlCommand::Conferences { json } => (Ask::Conferences {}, json),
        CtlCommand::Participants { conference, json } => (Ask::Participants { conference }, json),
        CtlCommand::Registrations { json } => (Ask::Registrations {}, json),
        CtlCommand::Kick { conference, participant } => (Ask::Kick { conference, participant }, false),
        CtlCommand::End { conference } => (Ask::End { conference }, false),
        CtlCommand::Drain { timeout_seconds } => (Ask::Drain { timeout_seconds }, false),
    };
    let path = client_socket_path(data_dir);
    let stream = UnixStream::connect(&path).await.with_context(|| {
        format!("cannot reach the server at {}: is it running, and are you its user?", path.display())
    })?;
    let (read, mut write) = stream.into_split();
    write.write_all(format!("{}\n", serde_json::to_string(&ask)?).as_bytes()).await?;
    let mut line = String::new();
    BufReader::new(read).read_line(&mut line).await?;
    let answer: Value = serde_json::from_str(&line).context("the server's answer")?;
    if answer["ok"] != true {
        bail!("{}", answer["error"].as_str().unwrap_or("the server refused"));
    }
    let result = &answer["result"];
    if json_out {
        println!("{result}");
        return Ok(());
    }
    print!("{}", human(&ask, result));
    Ok(())
}

/// A table or a line for people.
fn human(ask: &Ask, r: &Value) -> String {
    let rows = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match ask {
        Ask::Status {} => format!(
            "version {}, up {} s, {} conferences running with {} participants, {} registrations{}\n",
            s(&r["version"]),
            r["uptime_seconds"],
            r["conferences"],
            r["participants"],
            r["registrations"],
            if r["draining"] == true { ", DRAINING" } else { "" }
        ),
        Ask::Conferences {} => {
            rows(r).iter().map(|c| format!("{}\t{} participants\n", s(&c["conference"]), c["participants"])).collect()
        }
        Ask::Participants { .. } => rows(r)
            .iter()
            .map(|p| {
                format!(
                    "{}\t{}\t{}\tmic {}\tcam {}\n",
                    p["id"],
                    s(&p["name"]),
                    s(&p["kind"]),
                    if p["microphone"] == true { "on" } else { "off" },
                    if p["camera"] == true { "on" } else { "off" }
                )
            })
            .collect(),
        Ask::Registrations {} => rows(r)
            .iter()
            .map(|g| format!("{}\t{}\t{} s\n", s(&g["login"]), s(&g["contact"]), g["expires_in"]))
            .collect(),
        Ask::Kick { participant, .. } => format!("removed participant {participant}\n"),
        Ask::End { conference } => format!("ended {conference}\n"),
        Ask::Drain { .. } => format!(
            "drained ({} still running); the server is stopping\n",
            r["still_running"].as_u64().unwrap_or_default()
        ),
    }
}
