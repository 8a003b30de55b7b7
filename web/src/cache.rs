//! Read caches for the hottest pages: sessions (looked up on every signed-in request) and the
//! main page's data. An entry is valid only for the store generation it was read at: every write
//! to cached data bumps the generation (`Store::changed`), in this process at once and, for
//! writes by another process such as `tessera admin`, through the stored counter that a
//! background task polls every `POLL`. So a change made here is seen by the next request, and a
//! change made by the administrator's command line within `POLL`.

use crate::conference_page::PageData;
use crate::home::HomeData;
use crate::store::{ConferenceRow, SessionRow, Store};
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
        });
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(poll(Arc::downgrade(&cache), store.clone()));
        }
        cache
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
