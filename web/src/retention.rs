//! The retention policy the administrator sets (`[retention]` in the configuration): finished
//! recordings older than some days, or beyond a cap on the recordings folder (the oldest go
//! first), and connection history, chat and call history older than some days are removed. The
//! server applies it periodically; each recording removed is an event in its conference's history
//! and a log line. A recording still being made is never touched.

use crate::store::{NewEvent, RecordingRow, Store};
use tessera_conference::EventKind;

const DAY_MS: i64 = 86_400_000;

/// What to keep; `0` keeps that kind for ever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub recordings_days: u32,
    /// The recordings folder's cap in bytes.
    pub recordings_max_bytes: u64,
    pub history_days: u32,
    pub chat_days: u32,
    pub calls_days: u32,
}

impl Policy {
    pub fn keeps_everything(&self) -> bool {
        *self == Policy::default()
    }
}

/// What one pass removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// (conference, recording id, why)
    pub recordings: Vec<(String, i64, String)>,
    pub events: u64,
    pub chat: u64,
    pub calls: u64,
}

fn before(now_ms: i64, days: u32) -> Option<i64> {
    (days > 0).then(|| now_ms - i64::from(days) * DAY_MS)
}

/// A recording's size: its file's, or the index's when the file is gone.
fn size_of(dir: &std::path::Path, r: &RecordingRow) -> u64 {
    std::fs::metadata(dir.join(&r.file_name))
        .map(|m| m.len())
        .unwrap_or_else(|_| r.size_bytes.and_then(|s| u64::try_from(s).ok()).unwrap_or(0))
}

/// Which finished recordings (oldest first) go: those ended before the age limit, then the
/// oldest of the rest until the folder fits its cap. Sans-IO: sizes are given.
pub fn recordings_to_remove(rows: &[(RecordingRow, u64)], policy: &Policy, now_ms: i64) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let cutoff = before(now_ms, policy.recordings_days);
    let mut kept_bytes: u64 = 0;
    let mut kept = Vec::new();
    for (i, (r, size)) in rows.iter().enumerate() {
        let ended_ms = r.ended_at.unwrap_or(r.started_at).saturating_mul(1000);
        match cutoff {
            Some(c) if ended_ms < c => out.push((i, format!("older than {} days", policy.recordings_days))),
            _ => {
                kept_bytes += size;
                kept.push(i);
            }
        }
    }
    if policy.recordings_max_bytes > 0 {
        for i in kept {
            if kept_bytes <= policy.recordings_max_bytes {
                break;
            }
            kept_bytes -= rows[i].1;
            out.push((
                i,
                format!("the recordings folder is over its cap of {} MB", policy.recordings_max_bytes / 1_000_000),
            ));
        }
    }
    out
}

/// One pass of the policy at `now_ms`.
pub async fn apply(store: &Store, dir: &std::path::Path, policy: &Policy, now_ms: i64) -> anyhow::Result<Removed> {
    let mut removed = Removed::default();
    if policy.recordings_days > 0 || policy.recordings_max_bytes > 0 {
        let rows: Vec<(RecordingRow, u64)> =
            store.finished_recordings().await?.into_iter().map(|r| (r.clone(), size_of(dir, &r))).collect();
        for (i, why) in recordings_to_remove(&rows, policy, now_ms) {
            let r = &rows[i].0;
            if let Err(e) = crate::recordings::remove(store, dir, r).await {
                tracing::warn!(conference = %r.conference_id, recording = r.id, error = %e, "retention could not remove a recording");
                continue;
            }
            tracing::info!(conference = %r.conference_id, recording = r.id, file = %r.file_name, reason = %why, "retention removed a recording");
            store.record_event(NewEvent {
                conference: r.conference_id.clone(),
                at_ms: now_ms,
                kind: EventKind::RecordingRemoved,
                participant: None,
                user: None,
                name: r.file_name.clone(),
                detail: why.clone(),
            });
            removed.recordings.push((r.conference_id.clone(), r.id, why));
        }
        store.flush_events().await;
    }
    let (events, chat, calls) = store
        .prune_history(
            before(now_ms, policy.history_days),
            before(now_ms, policy.chat_days),
            before(now_ms, policy.calls_days),
        )
        .await?;
    (removed.events, removed.chat, removed.calls) = (events, chat, calls);
    if events + chat + calls > 0 {
        tracing::info!(events, chat, calls, "retention removed old history");
    }
    metrics::counter!("tessera_retention_removed_total", "kind" => "recording")
        .increment(removed.recordings.len() as u64);
    metrics::counter!("tessera_retention_removed_total", "kind" => "event").increment(events);
    metrics::counter!("tessera_retention_removed_total", "kind" => "chat").increment(chat);
    metrics::counter!("tessera_retention_removed_total", "kind" => "call").increment(calls);
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ChatMessage, NewUser};

    crate::both_backends!(old_recordings_and_history_go_and_the_cap_removes_the_oldest, |store| {
        let dir = tempfile::tempdir().unwrap();
        let owner = store.create_user(NewUser { login: "o", password_hash: "x", display_name: "" }, 0).await.unwrap();
        crate::store::testing::room(&store, "ret", "R", owner.id).await;
        let now_s: i64 = 100 * 86_400;
        // Three finished recordings (ended 40, 10 and 1 days ago) of 3, 2 and 1 MB, and one running.
        std::fs::create_dir_all(dir.path().join("ret")).unwrap();
        let mut ids = Vec::new();
        for (i, (age_days, mb)) in [(40, 3), (10, 2), (1, 1)].into_iter().enumerate() {
            let name = format!("ret/r{i}.mp4");
            std::fs::write(dir.path().join(&name), vec![0u8; mb * 1_000_000]).unwrap();
            let ended = now_s - age_days * 86_400;
            let id = store.recording_started("ret", &name, "mp4", ended - 60).await.unwrap();
            store.recording_finished(id, "complete", ended, 60_000, (mb * 1_000_000) as i64, None).await.unwrap();
            ids.push(id);
        }
        let running = store.recording_started("ret", "ret/live.mp4", "mp4", now_s - 90 * 86_400).await.unwrap();
        store
            .add_chat_message(&ChatMessage {
                conference: "ret".into(),
                at_ms: (now_s - 31 * 86_400) * 1000,
                user_id: None,
                from: "Old".into(),
                text: "old".into(),
                file: None,
                origin: String::new(),
            })
            .await
            .unwrap();
        let now_ms = now_s * 1000;

        // Nothing configured: nothing goes.
        let r = apply(&store, dir.path(), &Policy::default(), now_ms).await.unwrap();
        assert_eq!(r, Removed::default());

        // 30 days: the 40-day-old recording and the month-old chat go; the running one stays.
        let p = Policy { recordings_days: 30, chat_days: 30, ..Policy::default() };
        let r = apply(&store, dir.path(), &p, now_ms).await.unwrap();
        assert_eq!(r.recordings.iter().map(|x| x.1).collect::<Vec<_>>(), [ids[0]]);
        assert_eq!(r.chat, 1);
        assert!(!dir.path().join("ret/r0.mp4").exists());
        assert!(store.recording("ret", running).await.unwrap().is_some());

        // A 2.5 MB cap: the oldest left (2 MB) goes, the newest (1 MB) fits.
        let p = Policy { recordings_max_bytes: 2_500_000, ..Policy::default() };
        let r = apply(&store, dir.path(), &p, now_ms).await.unwrap();
        assert_eq!(r.recordings.iter().map(|x| x.1).collect::<Vec<_>>(), [ids[1]]);
        assert!(r.recordings[0].2.contains("cap of 2 MB"), "{:?}", r.recordings);
        let mut left: Vec<i64> = store.recordings("ret").await.unwrap().iter().map(|r| r.id).collect();
        let mut want = vec![ids[2], running];
        left.sort_unstable();
        want.sort_unstable();
        assert_eq!(left, want);

        // Each removal is in the conference's history; then the history itself ages out.
        let ev = store.events("ret", 100).await.unwrap();
        let mut removals: Vec<&str> =
            ev.iter().filter(|e| e.kind == EventKind::RecordingRemoved).map(|e| e.detail.as_str()).collect();
        removals.sort_unstable();
        assert_eq!(removals, ["older than 30 days", "the recordings folder is over its cap of 2 MB"]);
        let later = now_ms + 8 * DAY_MS;
        let r = apply(&store, dir.path(), &Policy { history_days: 7, ..Policy::default() }, later).await.unwrap();
        assert_eq!(r.events, 2);
        assert!(store.events("ret", 100).await.unwrap().is_empty());
    });
}
