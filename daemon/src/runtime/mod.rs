//! The conference runtime: one task per running conference ([`conference`]) owning its roster,
//! mode and applied layouts, driving that conference's media engine; a dispatcher that routes
//! the web's control commands to it, starts conferences on request, on a participant joining a
//! virtual room, and on schedule ([`schedule`]), and ends them all on shutdown.

pub mod conference;
pub mod schedule;

use crate::media::handoff::Bound;
use crate::media::rtsp::RtspServer;
use conference::{Asked, ConfMsg, Done, MediaConfig};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tessera_web::control::{Control, ControlError, Envelope, LiveState, Reply, Request};
use tessera_web::error::Msg;
use tessera_web::store::Store;
use tokio::sync::{mpsc, oneshot};

pub struct Runtime {
    pub control: Control,
    /// The devices attached to the server, when `[devices]` is on.
    pub devices: Option<Arc<crate::local_devices::LocalDevices>>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// Why a conference started, which decides how it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartedBy {
    Request,
    Schedule,
    Join,
    /// A virtual room held open for the server's devices attached to it (`start_room`).
    Devices,
}

struct Dispatcher {
    store: Store,
    /// This node among those sharing the database: conferences start here only with their lease.
    cluster: Arc<crate::cluster::Cluster>,
    media: Arc<MediaConfig>,
    running: HashMap<String, mpsc::Sender<ConfMsg>>,
    /// Conferences that ended during their scheduled window.
    ended: HashSet<String>,
    done_tx: Done,
    control: Control,
    /// SIP dial-out, for the invited addresses of scheduled conferences.
    dialer: Option<tessera_web::dialout::Dialer>,
    /// Accounts known to be disabled (their participants have been removed).
    disabled: HashSet<i64>,
    /// The store's generation last seen (see [`Dispatcher::sync_devices`]).
    generation: Option<i64>,
    /// Stored attachments whose room was started for them in this run of the server.
    rooms_started: HashSet<i64>,
}

impl Runtime {
    pub fn start(
        store: Store,
        media: MediaConfig,
        rtsp: Option<Arc<RtspServer>>,
        dialer: Option<tessera_web::dialout::Dialer>,
        cluster: Arc<crate::cluster::Cluster>,
    ) -> Runtime {
        let (control, mut rx) = Control::channel();
        let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
        let (done_tx, mut done_rx) = mpsc::unbounded_channel();
        let mut media = media;
        media.rtsp = rtsp;
        let devices = media.devices.clone();
        let mut d = Dispatcher {
            store,
            media: Arc::new(media),
            running: HashMap::new(),
            ended: HashSet::new(),
            done_tx,
            control: control.clone(),
            dialer,
            disabled: HashSet::new(),
            generation: None,
            rooms_started: HashSet::new(),
            cluster,
        };
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    Some(e) = rx.recv() => d.receive(e).await,
                    Some((id, rest)) = done_rx.recv() => d.ended_task(id, rest).await,
                    _ = tick.tick() => {
                        schedule::tick(&mut d).await;
                        d.cut_off_disabled().await;
                        d.sync_devices().await;
                    }
                    _ = &mut stop_rx => break,
                }
            }
            d.end_all().await;
        });
        Runtime { control, devices, stop: Some(stop_tx), task }
    }

    /// Ends every running conference (recordings are finished and indexed), then returns.
    pub async fn shutdown(mut self, bound: Duration) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if tokio::time::timeout(bound, &mut self.task).await.is_err() {
            tracing::warn!("conferences still ending at the shutdown bound");
        }
    }
}

impl Dispatcher {
    /// A request from the web or an ingress. An attachment can only be sockets an ingress bound
    /// for a join ([`Bound`]); anything else is a bug, refused.
    async fn receive(&mut self, e: Envelope) {
        let bound = match e.attachment.map(|a| a.downcast::<Bound>()) {
            None => Bound::default(),
            Some(Ok(b)) => *b,
            Some(Err(_)) => {
                tracing::error!(conference = %e.command.conference, "a request came with an attachment the runtime does not know");
                let _ = e.reply.send(Err(ControlError::Unavailable(Msg::text("internal error: unknown attachment"))));
                return;
            }
        };
        let asked = Asked { request: e.command.request, actor: e.command.actor, bound, reply: e.reply };
        self.dispatch(e.command.conference, asked).await
    }

    async fn dispatch(&mut self, id: String, asked: Asked) {
        if let Some(tx) = self.running.get(&id) {
            match tx.try_send(ConfMsg::Control(Box::new(asked))) {
                Ok(()) => {}
                // A busy conference must not hold up the others: its request waits on its own.
                Err(mpsc::error::TrySendError::Full(m)) => {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        if let Err(e) = tx.send(m).await
                            && let ConfMsg::Control(asked) = e.0
                        {
                            let _ = asked.reply.send(Err(ControlError::NotRunning));
                        }
                    });
                }
                Err(mpsc::error::TrySendError::Closed(m)) => {
                    // The task just ended; answer as for a conference that is not running.
                    self.running.remove(&id);
                    if let ConfMsg::Control(asked) = m {
                        Box::pin(self.dispatch(id, *asked)).await;
                    }
                }
            }
            return;
        }
        let result = match asked.request {
            Request::Status => self.idle_status(&id).await,
            Request::Start => self.start(&id, StartedBy::Request).await,
            Request::AddSynthetic { .. } | Request::AddRtp { .. } | Request::AddDevices { .. } => {
                self.start(&id, StartedBy::Join).await
            }
            Request::End => Err(ControlError::NotRunning),
            _ => Err(ControlError::NotRunning),
        };
        match (result, &asked.request) {
            (Ok(_), Request::AddSynthetic { .. } | Request::AddRtp { .. } | Request::AddDevices { .. }) => {
                // Started by this join: now hand the join itself to the new task.
                Box::pin(self.dispatch(id, asked)).await
            }
            (r, _) => {
                let _ = asked.reply.send(r);
            }
        }
    }

    /// A user disabled since the last look (by `tessera admin user disable`, another process)
    /// leaves every running conference: their calls and pages end.
    async fn cut_off_disabled(&mut self) {
        let now_disabled = match self.store.disabled_user_ids().await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "reading disabled accounts failed");
                return;
            }
        };
        let new: Vec<i64> = now_disabled.iter().filter(|u| !self.disabled.contains(u)).copied().collect();
        self.disabled = now_disabled.into_iter().collect();
        for user in new {
            tracing::info!(user, "an account was disabled: its participants leave every conference");
            for tx in self.running.values() {
                let (reply, _) = oneshot::channel();
                let asked =
                    Asked { request: Request::RemoveUser { user }, actor: None, bound: Bound::default(), reply };
                let _ = tx.try_send(ConfMsg::Control(Box::new(asked)));
            }
        }
    }

    /// Devices attached to the server stored with conferences: when the store changed (an
    /// attachment made or removed through the API or by `tessera devices attach`, another
    /// process), each running conference brings its participants in line, and a virtual room
    /// marked `start_room` starts for its devices, once per attachment and run of the server
    /// (an operator who ends it ends it until the next start).
    async fn sync_devices(&mut self) {
        if self.media.devices.is_none() {
            return;
        }
        let generation = match self.store.generation().await {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(error = %e, "reading the store's generation failed");
                return;
            }
        };
        if self.generation == Some(generation) {
            return;
        }
        self.generation = Some(generation);
        let stored = match self.store.all_device_attachments().await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "reading the attached devices failed");
                return;
            }
        };
        for tx in self.running.values() {
            let (reply, _) = oneshot::channel();
            let asked = Asked { request: Request::SyncDevices, actor: None, bound: Bound::default(), reply };
            let _ = tx.try_send(ConfMsg::Control(Box::new(asked)));
        }
        for a in stored.into_iter().filter(|a| a.start_room) {
            if !self.rooms_started.insert(a.id) || self.is_running(&a.conference) {
                continue;
            }
            let room = matches!(
                self.store.media_settings(&a.conference).await,
                Ok(Some(s)) if s.kind == tessera_web::store::ConferenceKind::Room
            );
            if !room {
                continue;
            }
            match self.start(&a.conference, StartedBy::Devices).await {
                Ok(_) => {
                    tracing::info!(conference = %a.conference, attachment = a.id, "room started for the devices attached to it")
                }
                Err(e) => {
                    tracing::error!(conference = %a.conference, attachment = a.id, error = %e, "the room of attached devices could not start")
                }
            }
        }
    }

    async fn idle_status(&self, id: &str) -> Reply {
        let s = self
            .store
            .media_settings(id)
            .await
            .map_err(|e| ControlError::Unavailable(Msg::text(e.to_string())))?
            .ok_or_else(|| ControlError::NoConference(id.to_string()))?;
        let layouts: Option<tessera_mixer::layout::LayoutSet> =
            s.layouts.as_deref().and_then(|l| serde_json::from_str(l).ok());
        Ok(LiveState {
            conference: s.id,
            running: false,
            mode: s.mode,
            active_speakers: s.active_speakers,
            started_at_ms: None,
            participants: Vec::new(),
            layouts: layouts.clone().unwrap_or_default(),
            layout_version: 0,
            adaptive: tessera_conference::live::adapts(layouts.as_ref()),
            shown: Vec::new(),
            joined: None,
            podium: Vec::new(),
            podium_requests: Vec::new(),
            presenter: None,
            active_speaker: None,
            recording: None,
            rtsp_url: None,
            multicast: None,
            stream: None,
        })
    }

    pub(crate) async fn start(&mut self, id: &str, by: StartedBy) -> Reply {
        // Draining before a restart: nothing new starts (the schedule, a request, a join).
        if self.control.draining.load(std::sync::atomic::Ordering::Acquire) {
            return Err(ControlError::Unavailable(Msg::text(
                "the server is draining before a restart: nothing new starts",
            )));
        }
        let settings = self
            .store
            .media_settings(id)
            .await
            .map_err(|e| ControlError::Unavailable(Msg::text(e.to_string())))?
            .ok_or_else(|| ControlError::NoConference(id.to_string()))?;
        // One node runs a conference: the one that holds its lease.
        self.cluster.claim(id).await.map_err(|e| ControlError::Unavailable(Msg::text(e)))?;
        let (tx, rx) = mpsc::channel(64);
        let state = conference::start(
            settings,
            by,
            self.store.clone(),
            self.media.clone(),
            &self.control,
            rx,
            self.done_tx.clone(),
        )
        .await;
        let state = match state {
            Ok(s) => s,
            Err(e) => {
                self.cluster.release(id).await;
                return Err(ControlError::Unavailable(Msg::text(format!("the conference could not start: {e:#}"))));
            }
        };
        self.running.insert(id.to_string(), tx);
        Ok(state)
    }

    /// A conference task returned. Its entry goes unless a new instance already replaced it
    /// (a request that found the old channel closed starts one); what it had not read yet is
    /// dispatched again, so a join that raced with the end of a room starts it anew.
    async fn ended_task(&mut self, id: String, rest: Vec<ConfMsg>) {
        if self.running.get(&id).is_some_and(|tx| tx.is_closed()) {
            self.running.remove(&id);
        }
        // Ended by itself, by `end` (the schedule, a disabled owner) or replaced: unless it runs
        // again already, its lease goes — the heartbeat would otherwise renew it for ever.
        if !self.running.contains_key(&id) {
            self.cluster.release(&id).await;
        }
        self.ended.insert(id.clone());
        for m in rest {
            match m {
                ConfMsg::Control(asked) => Box::pin(self.dispatch(id.clone(), *asked)).await,
                ConfMsg::End(_, reply) => {
                    let _ = reply.send(());
                }
            }
        }
    }

    pub(crate) fn is_running(&self, id: &str) -> bool {
        self.running.contains_key(id)
    }

    pub(crate) async fn end(&mut self, id: &str, why: &str) {
        if let Some(tx) = self.running.remove(id) {
            let (reply, rx) = oneshot::channel();
            if tx.send(ConfMsg::End(why.to_string(), reply)).await.is_ok() {
                let _ = rx.await;
            }
        }
    }

    async fn end_all(&mut self) {
        let ids: Vec<String> = self.running.keys().cloned().collect();
        for id in ids {
            self.end(&id, "the server is stopping").await;
        }
    }
}
