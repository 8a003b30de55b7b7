//! Calendar export of a scheduled conference: an RFC 5545 `.ics` (with the recurrence rule and
//! a VTIMEZONE for the conference's zone over the series' years), and links that open the
//! event in Google Calendar and Outlook. The same text, with an iTIP method (RFC 5546), is what
//! invitations carry: `REQUEST` with ORGANIZER, ATTENDEEs and a SEQUENCE raised on every change,
//! `CANCEL` when the conference is deleted or an invitee removed.

use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::i18n::{Lang, tr};
use crate::msg;
use crate::recurrence::{Recurrence, utc_to_local};
use crate::state::{AppState, WebConfig, now};
use crate::store::{ConferenceSettings, Invitee};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Offset, TimeZone};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

pub fn router() -> Router<AppState> {
    Router::new().route("/conferences/{id}/calendar.ics", get(ics_file))
}

/// Escapes TEXT values (RFC 5545 3.3.11).
fn text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            ';' => o.push_str("\\;"),
            ',' => o.push_str("\\,"),
            '\n' => o.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

/// Folds a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn offset_at(tz: Tz, t: i64) -> (i32, bool, String) {
    let o = tz.offset_from_utc_datetime(&chrono::DateTime::from_timestamp(t, 0).unwrap_or_default().naive_utc());
    (o.fix().local_minus_utc(), !o.dst_offset().is_zero(), o.abbreviation().unwrap_or("").to_string())
}

fn fmt_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    format!("{sign}{:02}{:02}", a / 3600, (a % 3600) / 60)
}

/// A VTIMEZONE that is exact over `[from, to]`: the offset at `from`, then every transition.
fn vtimezone(tz: Tz, from: i64, to: i64, out: &mut Vec<String>) {
    out.push("BEGIN:VTIMEZONE".into());
    out.push(format!("TZID:{}", tz.name()));
    let mut push = |kind: &str, at: i64, before: i32, after: (i32, bool, String)| {
        let local = chrono::DateTime::from_timestamp(at + i64::from(before), 0).unwrap_or_default().naive_utc();
        out.push(format!("BEGIN:{kind}"));
        out.push(format!("DTSTART:{}", local.format("%Y%m%dT%H%M%S")));
        out.push(format!("TZOFFSETFROM:{}", fmt_offset(before)));
        out.push(format!("TZOFFSETTO:{}", fmt_offset(after.0)));
        if !after.2.is_empty() {
            out.push(format!("TZNAME:{}", text(&after.2)));
        }
        out.push(format!("END:{kind}"));
    };
    let start = from - 86_400;
    let first = offset_at(tz, start);
    push(if first.1 { "DAYLIGHT" } else { "STANDARD" }, start, first.0, first.clone());
    let mut t = start;
    let mut cur = first.0;
    while t < to + 86_400 {
        let next = offset_at(tz, t + 86_400);
        if next.0 != cur {
            // Narrow the change down to the second.
            let (mut lo, mut hi) = (t, t + 86_400);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, mid).0 == cur { lo = mid } else { hi = mid }
            }
            let after = offset_at(tz, hi);
            push(if after.1 { "DAYLIGHT" } else { "STANDARD" }, hi, cur, after.clone());
            cur = after.0;
        }
        t += 86_400;
    }
    out.push("END:VTIMEZONE".into());
}

/// The join text every export carries, in `lang`.
pub fn details(config: &WebConfig, id: &str, s: &ConferenceSettings, lang: Lang) -> String {
    let base = config.public_url.trim_end_matches('/');
    let t = |k: &'static str| tr(lang, k);
    let mut d =
        format!("{} {base}/c/{id}\n{} sip:{id}@{}", t("mail.join_browser"), t("mail.join_sip"), config.sip_host);
    if let Some(p) = &s.pin {
        d.push_str(&format!("\n{}: {p}", t("conf.pin")));
    }
    if !s.description.is_empty() {
        d.push_str("\n\n");
        d.push_str(&s.description);
    }
    d
}

/// The iTIP method of a calendar text (RFC 5546 1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A download: the event as it is, for anyone's calendar.
    Publish,
    /// An invitation or an update of one: ATTENDEEs are the invitees.
    Request,
    /// A cancellation: the event is gone for the listed ATTENDEEs.
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// Who a calendar text is from and for, and its version.
pub struct Itip<'a> {
    pub method: Method,
    /// The conference's calendar SEQUENCE: raised on every change mailed to its invitees.
    pub sequence: i64,
    /// The organiser's name and email address (REQUEST and CANCEL need one).
    pub organizer: Option<(&'a str, &'a str)>,
    /// The language of the human-readable text.
    pub lang: Lang,
}

impl Itip<'_> {
    pub fn publish(sequence: i64, lang: Lang) -> Itip<'static> {
        Itip { method: Method::Publish, sequence, organizer: None, lang }
    }
}

/// A CN parameter value: quoted, without the characters a quoted value may not hold.
fn cn(name: &str) -> String {
    format!("\"{}\"", name.replace(['"', '\r', '\n'], ""))
}

/// The `.ics` text of a scheduled conference (a room gives an empty calendar); `attendees` are
/// those the text names (all invitees, or those a cancellation is for).
pub fn calendar(config: &WebConfig, id: &str, s: &ConferenceSettings, attendees: &[Invitee], itip: &Itip) -> String {
    let tz: Tz = s.time_zone.parse().unwrap_or(Tz::UTC);
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Tessera//Scheduling//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        format!("METHOD:{}", itip.method.as_str()),
    ];
    if let Some(sched) = s.schedule() {
        vtimezone(tz, sched.starts_at, sched.series_end(), &mut lines);
        let local = |t: i64| utc_to_local(tz, t).format("%Y%m%dT%H%M%S").to_string();
        let host = config.sip_host.as_str();
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:{id}@{host}"));
        lines.push(format!("SEQUENCE:{}", itip.sequence));
        lines.push(format!(
            "DTSTAMP:{}",
            chrono::DateTime::from_timestamp(now(), 0).unwrap_or_default().format("%Y%m%dT%H%M%SZ")
        ));
        lines.push(format!("DTSTART;TZID={}:{}", tz.name(), local(sched.starts_at)));
        lines.push(format!("DTEND;TZID={}:{}", tz.name(), local(sched.starts_at + sched.duration_secs())));
        if let Some(r) = s.recurrence.as_deref().and_then(|r| Recurrence::parse(r).ok()) {
            lines.push(format!("RRULE:{}", r.ics_rrule(tz)));
        }
        lines.push(format!("SUMMARY:{}", text(&s.name)));
        lines.push(format!("DESCRIPTION:{}", text(&details(config, id, s, itip.lang))));
        if !s.location.is_empty() {
            lines.push(format!("LOCATION:{}", text(&s.location)));
        }
        lines.push(format!("URL:{}/c/{id}", config.public_url.trim_end_matches('/')));
        if let Some((name, email)) = itip.organizer {
            lines.push(format!("ORGANIZER;CN={}:mailto:{email}", cn(name)));
        }
        let (role, status) = match itip.method {
            Method::Cancel => (";ROLE=REQ-PARTICIPANT", "CANCELLED"),
            Method::Request => (";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE", "CONFIRMED"),
            Method::Publish => ("", "CONFIRMED"),
        };
        lines.push(format!("STATUS:{status}"));
        for p in attendees.iter().filter(|p| !p.email.is_empty()) {
            lines.push(format!("ATTENDEE;CN={}{role}:mailto:{}", cn(&p.name), p.email));
        }
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in &lines {
        fold(l, &mut out);
    }
    out
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn enc(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

fn utc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap_or_default().format("%Y%m%dT%H%M%SZ").to_string()
}

/// Opens the event (with its recurrence) in Google Calendar.
pub fn google_link(config: &WebConfig, id: &str, s: &ConferenceSettings, lang: Lang) -> Option<String> {
    let sched = s.schedule()?;
    let mut url = format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}/{}&ctz={}&details={}",
        enc(&s.name),
        utc(sched.starts_at),
        utc(sched.starts_at + sched.duration_secs()),
        enc(&s.time_zone),
        enc(&details(config, id, s, lang)),
    );
    if !s.location.is_empty() {
        url.push_str(&format!("&location={}", enc(&s.location)));
    }
    if let Some(r) = &sched.recurrence {
        url.push_str(&format!("&recur={}", enc(&format!("RRULE:{}", r.ics_rrule(sched.tz)))));
    }
    Some(url)
}

/// Opens the first occurrence in Outlook on the web (its links cannot carry a recurrence:
/// the `.ics` can).
pub fn outlook_link(config: &WebConfig, id: &str, s: &ConferenceSettings, lang: Lang) -> Option<String> {
    let sched = s.schedule()?;
    let iso =
        |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap_or_default().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    Some(format!(
        "https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&subject={}&startdt={}&enddt={}&body={}&location={}",
        enc(&s.name),
        enc(&iso(sched.starts_at)),
        enc(&iso(sched.starts_at + sched.duration_secs())),
        enc(&details(config, id, s, lang)),
        enc(&s.location),
    ))
}

/// `GET /conferences/{id}/calendar.ics`: for those who take part (others: 404).
async fn ics_file(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<String>) -> Result<Response> {
    if id.len() > 64 || state.store.role_in(u.user.id, &id).await?.is_none() {
        return Err(Error::NotFound);
    }
    let c = state.store.editable_conference(&id).await?.ok_or(Error::NotFound)?;
    if c.settings.starts_at.is_none() {
        return Err(Error::Conflict(msg!("err.virtual.room.has.no")));
    }
    let sequence = state.store.calendar_sequence(&c.id).await?;
    let attendees: Vec<Invitee> = c.participants.into_iter().filter(|p| p.role != crate::store::Role::Owner).collect();
    let body = calendar(&state.config, &c.id, &c.settings, &attendees, &Itip::publish(sequence, u.lang));
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}.ics\"", c.id)),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_escaping() {
        let mut out = String::new();
        fold(&"é".repeat(60), &mut out);
        assert!(out.split("\r\n").all(|l| l.len() <= 75), "{out:?}");
        assert_eq!(out.replace("\r\n ", ""), format!("{}\r\n", "é".repeat(60)));
        assert_eq!(text("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
    }

    #[test]
    fn vtimezone_lists_the_changes_of_the_range() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let from = chrono::Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap().timestamp();
        let to = chrono::Utc.with_ymd_and_hms(2027, 12, 31, 0, 0, 0).unwrap().timestamp();
        let mut lines = Vec::new();
        vtimezone(tz, from, to, &mut lines);
        let text = lines.join("\n");
        assert!(
            text.contains("BEGIN:DAYLIGHT\nDTSTART:20270328T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200"),
            "{text}"
        );
        assert!(
            text.contains("BEGIN:STANDARD\nDTSTART:20271031T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100"),
            "{text}"
        );
    }
}
