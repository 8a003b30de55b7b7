//! The connection history written in batches: a conference's events (joined, left, calls…) are
//! queued and a writer task stores whatever has gathered in one transaction, so a busy server
//! does not pay one commit per join and per leave, and a conference never waits on the
//! database to admit someone. Reading the history first waits for what was queued before it.

use super::{Result, Store, new_id};
use tokio::sync::{mpsc, oneshot};

/// One event to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub conference: String,
    pub at_ms: i64,
    pub kind: tessera_conference::EventKind,
    pub participant: Option<i64>,
    /// The user a participant who joined or left signed in as.
    pub user: Option<i64>,
    pub name: String,
    pub detail: String,
}

enum Msg {
    Event(NewEvent),
    /// Answered once everything queued before it is stored.
    Flush(oneshot::Sender<()>),
}

/// Events stored per transaction at most.
const BATCH: usize = 512;

pub(super) struct History {
    tx: mpsc::UnboundedSender<Msg>,
}

impl History {
    pub(super) fn start(store: Store) -> History {
        let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(m) => batch.push(m),
                        Err(_) => break,
                    }
                }
                let events: Vec<&NewEvent> =
                    batch.iter().filter_map(|m| if let Msg::Event(e) = m { Some(e) } else { None }).collect();
                if !events.is_empty()
                    && let Err(e) = store.write_events(&events).await
                {
                    tracing::warn!(error = %e, events = events.len(), "writing the connection history failed");
                }
                for m in batch {
                    if let Msg::Flush(done) = m {
                        let _ = done.send(());
                    }
                }
            }
        });
        History { tx }
    }
}

impl Store {
    fn history(&self) -> &History {
        self.history.get_or_init(|| History::start(self.clone()))
    }

    /// Queues an event of a conference's history (stored within moments, in order).
    pub fn record_event(&self, e: NewEvent) {
        let _ = self.history().tx.send(Msg::Event(e));
    }

    /// Waits until every event queued so far is stored.
    pub async fn flush_events(&self) {
        let Some(h) = self.history.get() else { return };
        let (done, wait) = oneshot::channel();
        if h.tx.send(Msg::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }

    async fn write_events(&self, events: &[&NewEvent]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for e in events {
            sqlx::query(
                "INSERT INTO conference_events (id, conference_id, at_ms, kind, participant, name, detail, user_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(new_id())
            .bind(&e.conference)
            .bind(e.at_ms)
            .bind(e.kind.as_str())
            .bind(e.participant)
            .bind(&e.name)
            .bind(&e.detail)
            .bind(e.user)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
