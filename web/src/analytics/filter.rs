//! The analytics' filters, read from a query string and applied to rows: the same for the page
//! and the JSON API. Sans-IO: the rows come in, the rows shown go out.

use crate::error::{Error, Result};
use crate::msg;
use crate::store::{ChatMessage, Entry, EntryKind, EventRow};
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;

/// The longest search text.
const MAX_SEARCH: usize = 200;

/// The query string as sent (every field optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    pub tab: Option<String>,
    /// Name or email (entries), name (connections), words (chat).
    pub q: Option<String>,
    /// Chat: the sender's name.
    pub sender: Option<String>,
    /// Entries: `all`, `users`, `guests`.
    pub auth: Option<String>,
    /// Entries: `all`, `joined`, `absent`.
    pub status: Option<String>,
    /// Dates (`YYYY-MM-DD`) in the reader's time zone; `to` is included.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Entries: the one selected (`user-ID` or `guest-ID`).
    pub show: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Entries,
    Connections,
    Chat,
}

impl Tab {
    pub const ALL: [Tab; 3] = [Tab::Entries, Tab::Connections, Tab::Chat];

    pub fn as_str(self) -> &'static str {
        match self {
            Tab::Entries => "entries",
            Tab::Connections => "connections",
            Tab::Chat => "chat",
        }
    }

    pub fn parse(s: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Auth {
    #[default]
    All,
    Users,
    Guests,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    All,
    Joined,
    Absent,
}

/// The filters, validated. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub tab: Tab,
    /// Lowercased; empty: no search.
    pub q: String,
    pub sender: String,
    pub auth: Auth,
    pub status: Status,
    /// As given, for the form.
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
    pub show: Option<(EntryKind, i64)>,
}

fn choice<T: Copy>(field: &'static str, v: Option<&str>, options: &[(&str, T)], default: T) -> Result<T> {
    match v.filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => options.iter().find(|(k, _)| *k == v).map(|(_, t)| *t).ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(k, _)| *k).collect();
            Error::field(field, msg!("err.one", join = names.join(", ")))
        }),
    }
}

fn text(field: &'static str, v: Option<&str>) -> Result<String> {
    let v = v.unwrap_or("").trim();
    if v.chars().count() > MAX_SEARCH {
        return Err(Error::field(field, msg!("err.max.chars", max = MAX_SEARCH)));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::field(field, msg!("err.not.contain.control.characters")));
    }
    Ok(v.to_lowercase())
}

fn date(field: &'static str, v: Option<&str>) -> Result<Option<NaiveDate>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::field(field, msg!("err.date.written.yyyy.mm"))),
    }
}

impl Filter {
    pub fn parse(q: &Query) -> Result<Filter> {
        let tab = match q.tab.as_deref().filter(|t| !t.is_empty()) {
            None => Tab::default(),
            Some(t) => Tab::parse(t).ok_or_else(|| Error::field("tab", msg!("err.entries.connections.chat")))?,
        };
        let from_date = date("from", q.from.as_deref())?;
        let to_date = date("to", q.to.as_deref())?;
        if let (Some(f), Some(t)) = (from_date, to_date)
            && t < f
        {
            return Err(Error::field("to", msg!("err.not.before.start.interval")));
        }
        let show = match q.show.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(parse_show(s).ok_or_else(|| Error::field("show", msg!("err.user.id.guest.id")))?),
        };
        Ok(Filter {
            tab,
            q: text("q", q.q.as_deref())?,
            sender: text("sender", q.sender.as_deref())?,
            auth: choice(
                "auth",
                q.auth.as_deref(),
                &[("all", Auth::All), ("users", Auth::Users), ("guests", Auth::Guests)],
                Auth::All,
            )?,
            status: choice(
                "status",
                q.status.as_deref(),
                &[("all", Status::All), ("joined", Status::Joined), ("absent", Status::Absent)],
                Status::All,
            )?,
            from_date,
            to_date,
            show,
        })
    }

    /// The interval in Unix milliseconds, `[from, to)`: the dates given (the whole of `to`), in
    /// the reader's time zone; where one is missing, `default`'s bound.
    pub fn interval(&self, tz: Tz, default: (i64, i64)) -> (i64, i64) {
        let start = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|t| tz.from_local_datetime(&t).earliest())
                .map_or(i64::MIN, |t| t.timestamp_millis())
        };
        let from = self.from_date.map_or(default.0, start);
        let to = self.to_date.and_then(|d| d.succ_opt()).map_or(default.1, start);
        (from, to)
    }
}

pub fn show_key(kind: EntryKind, id: i64) -> String {
    match kind {
        EntryKind::User => format!("user-{id}"),
        EntryKind::Guest => format!("guest-{id}"),
    }
}

fn parse_show(s: &str) -> Option<(EntryKind, i64)> {
    let (k, id) = s.split_once('-')?;
    let kind = match k {
        "user" => EntryKind::User,
        "guest" => EntryKind::Guest,
        _ => return None,
    };
    Some((kind, id.parse().ok()?))
}

fn within(t: i64, (from, to): (i64, i64)) -> bool {
    t >= from && t < to
}

/// Whether an entry joined within the interval (its first and last joins bracket it).
pub fn joined_within(e: &Entry, span: (i64, i64)) -> bool {
    matches!((e.first_joined_ms, e.last_joined_ms), (Some(f), Some(l)) if f < span.1 && l >= span.0)
}

/// The entries shown: added or joined within the interval, then the search and the filters.
pub fn entries<'a>(all: &'a [Entry], f: &Filter, span: (i64, i64)) -> Vec<&'a Entry> {
    all.iter()
        .filter(|e| within(e.added_at.saturating_mul(1000), span) || joined_within(e, span))
        .filter(|e| match f.auth {
            Auth::All => true,
            Auth::Users => e.kind == EntryKind::User,
            Auth::Guests => e.kind == EntryKind::Guest,
        })
        .filter(|e| match f.status {
            Status::All => true,
            Status::Joined => joined_within(e, span),
            Status::Absent => !joined_within(e, span),
        })
        .filter(|e| {
            f.q.is_empty()
                || e.name.to_lowercase().contains(&f.q)
                || e.email.to_lowercase().contains(&f.q)
                || e.login.to_lowercase().contains(&f.q)
        })
        .collect()
}

/// The connection history shown: within the interval, the name searched for.
pub fn connections<'a>(all: &'a [EventRow], f: &Filter, span: (i64, i64)) -> Vec<&'a EventRow> {
    all.iter()
        .filter(|e| within(e.at_ms, span))
        .filter(|e| f.q.is_empty() || e.name.to_lowercase().contains(&f.q))
        .collect()
}

/// The chat shown: within the interval, every word searched for in the text, the sender's name.
pub fn chat<'a>(all: &'a [ChatMessage], f: &Filter, span: (i64, i64)) -> Vec<&'a ChatMessage> {
    let words: Vec<&str> = f.q.split_whitespace().collect();
    all.iter()
        .filter(|m| within(m.at_ms, span))
        .filter(|m| f.sender.is_empty() || m.from.to_lowercase().contains(&f.sender))
        .filter(|m| {
            let text = m.text.to_lowercase();
            words.iter().all(|w| text.contains(w))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Role;

    fn entry(kind: EntryKind, name: &str, added: i64, joined: Option<i64>) -> Entry {
        Entry {
            kind,
            id: added,
            name: name.into(),
            login: String::new(),
            email: format!("{}@example.org", name.to_lowercase()),
            role: (kind == EntryKind::User).then_some(Role::Participant),
            added_at: added,
            first_joined_ms: joined,
            last_joined_ms: joined,
            joins: i64::from(joined.is_some()),
            details: Vec::new(),
        }
    }

    fn query(pairs: &[(&str, &str)]) -> Result<Filter> {
        let enc = |v: &str| -> String { v.bytes().map(|b| format!("%{b:02X}")).collect() };
        let s: String = pairs.iter().map(|(k, v)| format!("{k}={}&", enc(v))).collect();
        let q: Query = serde_urlencoded_like(&s);
        Filter::parse(&q)
    }

    /// The query string as axum's `Query` reads it.
    fn serde_urlencoded_like(s: &str) -> Query {
        let uri: axum::http::Uri = format!("/?{s}").parse().unwrap();
        axum::extract::Query::<Query>::try_from_uri(&uri).unwrap().0
    }

    #[test]
    fn filters_combine_and_the_interval_bounds_them() {
        let all = [
            entry(EntryKind::User, "Ann Bronson", 10, Some(50_000)),
            entry(EntryKind::User, "Bill", 20, None),
            entry(EntryKind::Guest, "Гость", 30, Some(60_000)),
            entry(EntryKind::Guest, "Late", 900, None),
        ];
        let span = (0, 100_000);
        let names = |f: &Filter, span| entries(&all, f, span).iter().map(|e| e.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&query(&[]).unwrap(), span).len(), 3);
        assert_eq!(names(&query(&[("auth", "guests")]).unwrap(), span), ["Гость"]);
        assert_eq!(names(&query(&[("status", "absent")]).unwrap(), span), ["Bill"]);
        assert_eq!(names(&query(&[("status", "joined"), ("auth", "users")]).unwrap(), span), ["Ann Bronson"]);
        assert_eq!(names(&query(&[("q", "BRON")]).unwrap(), span), ["Ann Bronson"]);
        assert_eq!(names(&query(&[("q", "гость@")]).unwrap(), span), ["Гость"]);
        // Joined within the interval though added before it.
        assert_eq!(names(&query(&[]).unwrap(), (40_000, 55_000)), ["Ann Bronson"]);
    }

    #[test]
    fn bad_filters_name_their_field() {
        let field = |r: Result<Filter>| match r {
            Err(Error::Field { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(query(&[("auth", "robots")])), "auth");
        assert_eq!(field(query(&[("status", "maybe")])), "status");
        assert_eq!(field(query(&[("tab", "x")])), "tab");
        assert_eq!(field(query(&[("from", "2026-13-01")])), "from");
        assert_eq!(field(query(&[("from", "2026-12-05"), ("to", "2026-12-04")])), "to");
        assert_eq!(field(query(&[("q", &"x".repeat(201))])), "q");
        assert_eq!(field(query(&[("show", "user-x")])), "show");
    }

    #[test]
    fn dates_are_whole_days_in_the_readers_zone() {
        let f = query(&[("from", "2026-12-04"), ("to", "2026-12-04")]).unwrap();
        let (a, b) = f.interval(chrono_tz::Europe::Moscow, (0, 0));
        assert_eq!(b - a, 86_400_000);
        // Midnight in Moscow is 21:00 UTC the day before.
        assert_eq!(a, chrono::Utc.with_ymd_and_hms(2026, 12, 3, 21, 0, 0).unwrap().timestamp_millis());
        assert_eq!(query(&[]).unwrap().interval(chrono_tz::UTC, (5, 6)), (5, 6));
    }

    #[test]
    fn chat_needs_every_word_and_the_sender() {
        let m = |from: &str, text: &str, at| ChatMessage {
            conference: "c".into(),
            at_ms: at,
            user_id: None,
            from: from.into(),
            text: text.into(),
            file: None,
            origin: String::new(),
        };
        let all = [m("Ann", "Привет всем", 1), m("Bob", "hello all", 2), m("Ann", "hello again", 3)];
        let f = query(&[("q", "hello"), ("sender", "ann")]).unwrap();
        assert_eq!(chat(&all, &f, (0, 10)).len(), 1);
        let f = query(&[("q", "всем привет")]).unwrap();
        assert_eq!(chat(&all, &f, (0, 10)).len(), 1);
        assert_eq!(chat(&all, &query(&[]).unwrap(), (2, 3)).len(), 1);
    }
}
