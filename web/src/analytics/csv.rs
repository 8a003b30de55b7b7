//! The analytics as CSV files: RFC 4180 with a header row (the `csv` crate quotes what needs
//! quoting), UTF-8 with a byte-order mark so that spreadsheets read Cyrillic names, times in the
//! reader's time zone. A text cell that a spreadsheet would take for a formula (it begins with
//! `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading apostrophe, as OWASP advises;
//! numbers stay numbers.

use crate::i18n::{Lang, tr};
use crate::store::{ChatMessage, Entry, EntryKind, EventRow};
use chrono::TimeZone;
use chrono_tz::Tz;

const BOM: &[u8] = "\u{feff}".as_bytes();

/// A cell as a spreadsheet may read it safely.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().map_or(true, |n| !n.is_finite()) { format!("'{cell}").into() } else { cell.into() }
}

/// `YYYY-MM-DD HH:MM:SS` in `tz`.
fn time_ms(tz: Tz, ms: i64) -> String {
    tz.timestamp_millis_opt(ms).single().map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
}

struct Sheet {
    w: csv::Writer<Vec<u8>>,
}

impl Sheet {
    fn new(header: &[String]) -> Sheet {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(BOM.to_vec());
        // Writing to memory cannot fail.
        let _ = w.write_record(header);
        Sheet { w }
    }

    fn row(&mut self, cells: &[String]) {
        let _ = self.w.write_record(cells.iter().map(|c| neutralise(c).into_owned()));
    }

    fn finish(self) -> Vec<u8> {
        self.w.into_inner().unwrap_or_default()
    }
}

/// A header cell, with the time zone its times are in.
fn timed(lang: Lang, key: &'static str, tz: Tz) -> String {
    format!("{} ({})", tr(lang, key), tz.name())
}

pub fn entries(rows: &[Entry], lang: Lang, tz: Tz) -> Vec<u8> {
    let t = |k| tr(lang, k).to_string();
    let mut s = Sheet::new(&[
        t("an.col.name"),
        t("an.col.auth"),
        t("an.col.login"),
        t("an.col.email"),
        t("an.col.role"),
        timed(lang, "an.col.added", tz),
        t("an.col.joined"),
        timed(lang, "an.col.first_joined", tz),
        timed(lang, "an.col.last_joined", tz),
        t("an.col.joins"),
    ]);
    for e in rows {
        s.row(&[
            e.name.clone(),
            t(auth_key(e.kind)),
            e.login.clone(),
            e.email.clone(),
            e.role.map(|r| t(crate::home::role_key(r))).unwrap_or_default(),
            time_ms(tz, e.added_at.saturating_mul(1000)),
            t(if e.first_joined_ms.is_some() { "an.yes" } else { "an.no" }),
            e.first_joined_ms.map(|m| time_ms(tz, m)).unwrap_or_default(),
            e.last_joined_ms.map(|m| time_ms(tz, m)).unwrap_or_default(),
            e.joins.to_string(),
        ]);
    }
    s.finish()
}

pub fn auth_key(k: EntryKind) -> &'static str {
    match k {
        EntryKind::User => "an.auth.user",
        EntryKind::Guest => "an.auth.guest",
    }
}

pub fn connections(rows: &[EventRow], lang: Lang, tz: Tz) -> Vec<u8> {
    let t = |k| tr(lang, k).to_string();
    let mut s = Sheet::new(&[timed(lang, "an.col.time", tz), t("an.col.event"), t("an.col.name"), t("an.col.detail")]);
    for e in rows {
        s.row(&[time_ms(tz, e.at_ms), t(super::event_key(e.kind)), e.name.clone(), e.detail.clone()]);
    }
    s.finish()
}

pub fn chat(rows: &[ChatMessage], lang: Lang, tz: Tz) -> Vec<u8> {
    let t = |k| tr(lang, k).to_string();
    let mut s = Sheet::new(&[timed(lang, "an.col.time", tz), t("an.col.sender"), t("an.col.message")]);
    for m in rows {
        s.row(&[time_ms(tz, m.at_ms), m.from.clone(), m.text.clone()]);
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for risky in ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "=1"] {
            assert!(neutralise(risky).starts_with('\''), "{risky:?}");
        }
        for safe in ["-5", "+3", "-2.5", "Ann", "", "1e3", "a=b"] {
            assert_eq!(neutralise(safe), safe);
        }
        assert_eq!(neutralise("-inf"), "'-inf");
    }

    #[test]
    fn the_file_is_utf8_with_a_bom_quoted_with_crlf() {
        let m = ChatMessage {
            conference: "c".into(),
            at_ms: 0,
            user_id: None,
            from: "Анна, \"A\"".into(),
            text: "=cmd|' /C calc'!A0\nline".into(),
            file: None,
            origin: String::new(),
        };
        let out = chat(&[m], Lang::Ru, chrono_tz::Europe::Moscow);
        assert!(out.starts_with(BOM));
        let text = std::str::from_utf8(&out[3..]).unwrap();
        assert_eq!(
            text,
            "Время (Europe/Moscow),Отправитель,Сообщение\r\n\
             1970-01-01 03:00:00,\"Анна, \"\"A\"\"\",\"'=cmd|' /C calc'!A0\nline\"\r\n"
        );
    }
}
