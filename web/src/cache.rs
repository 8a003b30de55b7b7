//! Read caches for the hottest pages: sessions (looked up on every signed-in request) and the
//! main page's data. An entry is valid only for the store generation it was read at: every write
//! to cached data bumps the generation (`Store::changed`), in this process at once and, for
//! writes by another process such as `tessera admin`, through the stored counter that a
//! background task polls every `POLL`. So a change made here is seen by the next request, and a
//! change made by the administrator's command line within `POLL`.

use crate::conference_page::PageData;
use crate::home::HomeData;
use crate::store::{ChatMessage, ConferenceRow, Entry, EventRow, SessionRow, Store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

pub const POLL: Duration = Duration::from_millis(500);
/// Past this many entries a map is emptied rather than grown: a crude but safe bound.
const MAX_ENTRIES: usize = 50_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(i64, u64);

#[derive(Clone)]
pub struct CachedSession {
    pub row: SessionRow,
    /// The last request, which the database learns at most once a minute.
    pub last_seen_at: i64,
    generation: Generation,
}

struct CachedHome {
    generation: Generation,
    day_start: i64,
    /// Reload after this instant (a license expiring changes what the page says).
    valid_until: i64,
    data: Arc<HomeData>,
}

/// Which of a user's conference lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKey {
    /// Every scheduled conference (Meetings → All meetings).
    AllScheduled,
    /// The virtual rooms.
    Rooms,
    /// The occurrences starting in `[from, to)` (a calendar month).
    Between(i64, i64),
}

type Lists = HashMap<(i64, ListKey), (Generation, Arc<Vec<ConferenceRow>>)>;
type Loads = HashMap<(i64, ListKey), Arc<tokio::sync::Mutex<()>>>;
type Fragments = HashMap<(i64, String), (Generation, Arc<str>)>;
/// A conference's history as read, valid while its stamp (row count, newest time) is the same.
type Histories<T, S = (i64, i64)> = Mutex<HashMap<String, (S, Arc<Vec<T>>)>>;
/// What the list of participants depends on: the store generation (invitees, users' names,
/// sign-ups), the joins in the history, and the guests' joins.
type EntriesStamp = (Generation, (i64, i64), (i64, i64));
/// Conferences whose histories are kept at most (each analytics reader's one).
const MAX_HISTORIES: usize = 64;

pub struct Cache {
    stored_generation: AtomicI64,
    sessions: Mutex<HashMap<String, CachedSession>>,
    homes: Mutex<HashMap<i64, CachedHome>>,
    lists: Mutex<Lists>,
    fragments: Mutex<Fragments>,
    /// Conference pages' stored data, by conference id (the page every guest of a webinar opens).
    pages: Mutex<HashMap<String, (Generation, Arc<PageData>)>>,
    /// One lock per list being read from the store, so that requests that miss together wait
    /// for one load instead of all querying (see `scheduling::lists`).
    loading: Mutex<Loads>,
    /// Connection and chat histories for the analytics: rows are only ever added (or removed by
    /// retention), so a cheap count of a conference's rows tells whether what was read is current,
    /// whichever process wrote them.
    events: Histories<EventRow>,
    chats: Histories<ChatMessage>,
    entries: Histories<Entry, EntriesStamp>,
    /// The settings as last read.
    settings: Mutex<Option<(Generation, Arc<crate::store::Settings>)>>,
}

fn cached<T, S: PartialEq>(map: &Histories<T, S>, id: &str, stamp: S) -> Option<Arc<Vec<T>>> {
    let m = map.lock().unwrap_or_else(|p| p.into_inner());
    m.get(id).filter(|(s, _)| *s == stamp).map(|(_, rows)| rows.clone())
}

fn keep<T, S>(map: &Histories<T, S>, id: &str, stamp: S, rows: Arc<Vec<T>>) {
    let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
    if m.len() >= MAX_HISTORIES {
        m.clear();
    }
    m.insert(id.to_string(), (stamp, rows));
}

impl Cache {
    /// A conference's connection history, read again only when rows were added or removed.
    pub async fn events(&self, store: &Store, id: &str, limit: i64) -> crate::store::Result<Arc<Vec<EventRow>>> {
        let stamp = store.events_stamp(id).await?;
        if let Some(rows) = cached(&self.events, id, stamp) {
            return Ok(rows);
        }
        let rows = Arc::new(store.events(id, limit).await?);
        keep(&self.events, id, stamp, rows.clone());
        Ok(rows)
    }

    /// A conference's list of participants with their joins, likewise.
    pub async fn entries(&self, store: &Store, id: &str) -> crate::store::Result<Arc<Vec<Entry>>> {
        let stamp = (self.generation(store), store.events_stamp(id).await?, store.guests_stamp(id).await?);
        if let Some(rows) = cached(&self.entries, id, stamp) {
            return Ok(rows);
        }
        let rows = Arc::new(store.entries(id).await?);
        keep(&self.entries, id, stamp, rows.clone());
        Ok(rows)
    }

    /// A conference's chat history, likewise.
    pub async fn chats(&self, store: &Store, id: &str, limit: i64) -> crate::store::Result<Arc<Vec<ChatMessage>>> {
        let stamp = store.chat_stamp(id).await?;
        if let Some(rows) = cached(&self.chats, id, stamp) {
            return Ok(rows);
        }
        let rows = Arc::new(store.chat_history(id, limit).await?);
        keep(&self.chats, id, stamp, rows.clone());
        Ok(rows)
    }
}

impl Cache {
    /// A cache, and the task that polls the stored generation for as long as the cache lives.
    pub fn start(store: &Store) -> Arc<Cache> {
        let cache = Arc::new(Cache {
            stored_generation: AtomicI64::new(-1),
            sessions: Mutex::new(HashMap::new()),
            homes: Mutex::new(HashMap::new()),
            lists: Mutex::new(HashMap::new()),
            fragments: Mutex::new(HashMap::new()),
            pages: Mutex::new(HashMap::new()),
            loading: Mutex::new(HashMap::new()),
            events: Mutex::new(HashMap::new()),
            chats: Mutex::new(HashMap::new()),
            entries: Mutex::new(HashMap::new()),
            settings: Mutex::new(None),
        });
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(poll(Arc::downgrade(&cache), store.clone()));
        }
        cache
    }

    /// The server-wide settings (with what the configuration fixes), read again after any write.
    pub async fn settings(&self, store: &Store) -> crate::store::Result<Arc<crate::store::Settings>> {
        let g = self.generation(store);
        if let Some((at, s)) = self.settings.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && *at == g
        {
            return Ok(s.clone());
        }
        let s = Arc::new(store.settings().await?);
        *self.settings.lock().unwrap_or_else(|p| p.into_inner()) = Some((g, s.clone()));
        Ok(s)
    }

    pub fn generation(&self, store: &Store) -> Generation {
        Generation(self.stored_generation.load(Ordering::Acquire), store.local_changes())
    }

    pub fn session(&self, hash: &str, g: Generation) -> Option<CachedSession> {
        let map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash).filter(|s| s.generation == g).cloned()
    }

    pub fn put_session(&self, hash: &str, row: SessionRow, last_seen_at: i64, g: Generation) {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(hash.to_string(), CachedSession { row, last_seen_at, generation: g });
    }

    /// Notes a request on a cached session; returns the updated entry.
    pub fn seen(&self, hash: &str, now: i64, touched_db: bool) {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = map.get_mut(hash) {
            s.last_seen_at = now;
            if touched_db {
                s.row.last_seen_at = now;
            }
        }
    }

    pub fn forget_session(&self, hash: &str) {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(hash);
    }

    pub fn home(&self, user_id: i64, g: Generation, day_start: i64, now: i64) -> Option<Arc<HomeData>> {
        let map = self.homes.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&user_id)
            .filter(|h| h.generation == g && h.day_start == day_start && now < h.valid_until)
            .map(|h| h.data.clone())
    }

    pub fn put_home(&self, user_id: i64, g: Generation, day_start: i64, valid_until: i64, data: Arc<HomeData>) {
        let mut map = self.homes.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(user_id, CachedHome { generation: g, day_start, valid_until, data });
    }
}

impl Cache {
    pub fn list(&self, user_id: i64, key: ListKey, g: Generation) -> Option<Arc<Vec<ConferenceRow>>> {
        let map = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(user_id, key)).filter(|(lg, _)| *lg == g).map(|(_, l)| l.clone())
    }

    pub fn put_list(&self, user_id: i64, key: ListKey, g: Generation, list: Arc<Vec<ConferenceRow>>) {
        let mut map = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES / 10 {
            map.clear();
        }
        map.insert((user_id, key), (g, list));
    }

    /// The lock to hold while loading one user's list.
    pub fn load_lock(&self, user_id: i64, key: ListKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.loading.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES / 10 {
            map.retain(|_, l| Arc::strong_count(l) > 1);
        }
        map.entry((user_id, key)).or_default().clone()
    }

    /// Rendered HTML of a page part that depends only on stored data (and what `key` names).
    pub fn fragment(&self, user_id: i64, key: &str, g: Generation) -> Option<Arc<str>> {
        let map = self.fragments.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(user_id, key.to_string())).filter(|(fg, _)| *fg == g).map(|(_, h)| h.clone())
    }

    pub fn put_fragment(&self, user_id: i64, key: &str, g: Generation, html: Arc<str>) {
        let mut map = self.fragments.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES / 10 {
            map.clear();
        }
        map.insert((user_id, key.to_string()), (g, html));
    }
}

impl Cache {
    pub fn page(&self, id: &str, g: Generation) -> Option<Arc<PageData>> {
        let map = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).filter(|(pg, _)| *pg == g).map(|(_, d)| d.clone())
    }

    pub fn put_page(&self, id: &str, g: Generation, data: Arc<PageData>) {
        let mut map = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES / 10 {
            map.clear();
        }
        map.insert(id.to_string(), (g, data));
    }
}

async fn poll(cache: Weak<Cache>, store: Store) {
    let mut tick = tokio::time::interval(POLL);
    loop {
        tick.tick().await;
        let Some(c) = cache.upgrade() else { return };
        match store.generation().await {
            Ok(g) => c.stored_generation.store(g, Ordering::Release),
            Err(e) => tracing::warn!(error = %e, "reading the store generation failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{ChatMessage, NewEvent, NewUser, Role};
    use tessera_conference::EventKind;

    crate::both_backends!(histories_are_read_again_when_rows_come_or_go, |store| {
        let cache = crate::cache::Cache::start(&store);
        let owner = store.create_user(NewUser { login: "o", password_hash: "x", display_name: "" }, 0).await.unwrap();
        crate::store::testing::room(&store, "h1", "H", owner.id).await;
        let event = |at_ms: i64, user: Option<i64>| NewEvent {
            conference: "h1".into(),
            at_ms,
            kind: EventKind::Joined,
            participant: Some(1),
            user,
            name: "Ann".into(),
            detail: String::new(),
        };
        store.record_event(event(5, None));
        assert_eq!(cache.events(&store, "h1", 100).await.unwrap().len(), 1);
        let first = cache.events(&store, "h1", 100).await.unwrap();
        assert!(
            std::sync::Arc::ptr_eq(&first, &cache.events(&store, "h1", 100).await.unwrap()),
            "kept while unchanged"
        );
        store.record_event(event(6, Some(owner.id)));
        assert_eq!(cache.events(&store, "h1", 100).await.unwrap().len(), 2);
        // The owner's join shows in the entries at once, and a new invitee too.
        let e = cache.entries(&store, "h1").await.unwrap();
        assert_eq!((e.len(), e[0].joins), (1, 1));
        let ann = store.create_user(NewUser { login: "ann", password_hash: "x", display_name: "" }, 0).await.unwrap();
        store.add_participant("h1", ann.id, Role::Participant).await.unwrap();
        assert_eq!(cache.entries(&store, "h1").await.unwrap().len(), 2);
        // Chat, and retention taking rows away.
        let msg = ChatMessage {
            conference: "h1".into(),
            at_ms: 7,
            user_id: None,
            from: "Ann".into(),
            text: "hi".into(),
            file: None,
            origin: String::new(),
        };
        assert!(cache.chats(&store, "h1", 100).await.unwrap().is_empty());
        store.add_chat_message(&msg).await.unwrap();
        assert_eq!(cache.chats(&store, "h1", 100).await.unwrap().len(), 1);
        store.prune_history(Some(6), Some(100), None).await.unwrap();
        assert_eq!(cache.events(&store, "h1", 100).await.unwrap().len(), 1);
        assert!(cache.chats(&store, "h1", 100).await.unwrap().is_empty());
    });
}
