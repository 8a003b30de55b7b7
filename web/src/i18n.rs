//! One mechanism for every string the interface shows, on Project Fluent (`fluent-bundle`): the
//! catalogues are `web/locales/<lang>/*.ftl`, built into the binary. `tr(lang, key)` gives a
//! message without arguments; `trf(lang, key, args)` formats one with arguments, where Fluent's
//! CLDR plural rules choose the form ("1 повторение", "2 повторения", "5 повторений"). Keys are
//! the message ids with dots for dashes (`cpage.owner` is `cpage-owner`). English and Russian are
//! complete (a test checks that both catalogues have the same messages); a missing key shows the
//! key itself, so a forgotten translation is visible rather than blank.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ru => "Русский",
        }
    }

    fn locale(self) -> unic_langid::LanguageIdentifier {
        match self {
            Lang::En => unic_langid::langid!("en"),
            Lang::Ru => unic_langid::langid!("ru"),
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The first supported language of an `Accept-Language` header, English otherwise.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(h) = header else { return Lang::En };
        let mut best: Option<(f32, Lang)> = None;
        for part in h.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok())).unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(l) = Lang::from_code(primary)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, l));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }
}

/// The catalogue files of a language, built into the binary.
fn sources(lang: Lang) -> [(&'static str, &'static str); 8] {
    macro_rules! files {
        ($l:literal) => {
            [
                ("main", include_str!(concat!("../locales/", $l, "/main.ftl"))),
                ("webinar", include_str!(concat!("../locales/", $l, "/webinar.ftl"))),
                ("manager", include_str!(concat!("../locales/", $l, "/manager.ftl"))),
                ("analytics", include_str!(concat!("../locales/", $l, "/analytics.ftl"))),
                ("scheduling", include_str!(concat!("../locales/", $l, "/scheduling.ftl"))),
                ("admin", include_str!(concat!("../locales/", $l, "/admin.ftl"))),
                ("mail", include_str!(concat!("../locales/", $l, "/mail.ftl"))),
                ("errors", include_str!(concat!("../locales/", $l, "/errors.ftl"))),
            ]
        };
    }
    match lang {
        Lang::En => files!("en"),
        Lang::Ru => files!("ru"),
    }
}

/// A language's bundle and every message formatted without arguments (what `tr` returns).
struct Catalogue {
    bundle: FluentBundle<FluentResource>,
    plain: HashMap<&'static str, &'static str>,
}

/// Builds a language's catalogue; every parse or overriding error is returned, so that a test
/// (and a start with a broken file) names it.
fn build(lang: Lang) -> (Catalogue, Vec<String>) {
    let mut bundle = FluentBundle::new_concurrent(vec![lang.locale()]);
    // The text goes into HTML and plain-text mail: no Unicode isolation marks around arguments.
    bundle.set_use_isolating(false);
    let mut problems = Vec::new();
    let mut ids = Vec::new();
    for (name, text) in sources(lang) {
        let res = match FluentResource::try_new(text.to_string()) {
            Ok(r) => r,
            Err((r, errs)) => {
                problems.extend(errs.iter().map(|e| format!("{}/{name}.ftl: {e:?}", lang.code())));
                r
            }
        };
        for entry in res.entries() {
            if let fluent_syntax::ast::Entry::Message(m) = entry {
                ids.push(m.id.name.to_string());
            }
        }
        if let Err(errs) = bundle.add_resource(res) {
            problems.extend(errs.iter().map(|e| format!("{}/{name}.ftl: {e:?}", lang.code())));
        }
    }
    let mut plain = HashMap::with_capacity(ids.len());
    for id in ids {
        let Some(pattern) = bundle.get_message(&id).and_then(|m| m.value()) else { continue };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, None, &mut errors).into_owned();
        // Leaked once per message when the catalogue is built: they live as long as the program.
        let key: &'static str = Box::leak(id.replace('-', ".").into_boxed_str());
        plain.insert(key, &*Box::leak(text.into_boxed_str()));
    }
    (Catalogue { bundle, plain }, problems)
}

static EN_CAT: LazyLock<Catalogue> = LazyLock::new(|| build(Lang::En).0);
static RU_CAT: LazyLock<Catalogue> = LazyLock::new(|| build(Lang::Ru).0);

fn catalogue(lang: Lang) -> &'static Catalogue {
    match lang {
        Lang::En => &EN_CAT,
        Lang::Ru => &RU_CAT,
    }
}

/// The message `key` in `lang`, without arguments.
pub fn tr(lang: Lang, key: &'static str) -> &'static str {
    catalogue(lang).plain.get(key).copied().unwrap_or(key)
}

/// The message `key` in `lang` with its arguments: numbers choose plural forms.
pub fn trf(lang: Lang, key: &str, args: &[(&str, Arg)]) -> String {
    let cat = catalogue(lang);
    let id = key.replace('.', "-");
    let Some(pattern) = cat.bundle.get_message(&id).and_then(|m| m.value()) else { return key.to_string() };
    let mut fa = FluentArgs::new();
    for (name, value) in args {
        match value {
            Arg::Num(n) => fa.set(*name, FluentValue::from(*n)),
            Arg::Str(s) => fa.set(*name, FluentValue::from(s.as_str())),
        }
    }
    let mut errors = Vec::new();
    let out = cat.bundle.format_pattern(pattern, Some(&fa), &mut errors).into_owned();
    if !errors.is_empty() {
        tracing::warn!(key, lang = lang.code(), errors = ?errors, "a message did not format cleanly");
    }
    out
}

/// An argument of [`trf`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Num(i64),
    Str(String),
}

impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Num(n)
    }
}

impl From<u32> for Arg {
    fn from(n: u32) -> Arg {
        Arg::Num(i64::from(n))
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

macro_rules! number_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Arg {
                Arg::Num(i64::from(n))
            }
        }
    )*};
}
number_args!(u8, u16, i32);

impl From<u64> for Arg {
    fn from(n: u64) -> Arg {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Str(s.clone())
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Str(s.to_string())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Str(s)
    }
}

const MONTHS: [&str; 12] = [
    "month.1", "month.2", "month.3", "month.4", "month.5", "month.6", "month.7", "month.8", "month.9", "month.10",
    "month.11", "month.12",
];
const MONTHS_OF: [&str; 12] = [
    "month.of.1",
    "month.of.2",
    "month.of.3",
    "month.of.4",
    "month.of.5",
    "month.of.6",
    "month.of.7",
    "month.of.8",
    "month.of.9",
    "month.of.10",
    "month.of.11",
    "month.of.12",
];

fn month_index(d: chrono::NaiveDate) -> usize {
    usize::try_from(chrono::Datelike::month0(&d)).unwrap_or(0).min(11)
}

/// A date as sentences write it: "16 March 2027", "16 марта 2027 г.".
pub fn long_date(lang: Lang, d: chrono::NaiveDate) -> String {
    let args = [
        ("day", Arg::from(chrono::Datelike::day(&d))),
        ("month", Arg::from(tr(lang, MONTHS_OF[month_index(d)]))),
        ("year", Arg::Num(i64::from(chrono::Datelike::year(&d)))),
    ];
    trf(lang, "date.long", &args)
}

/// A month as a calendar's heading names it: "December 2026", "Декабрь 2026".
pub fn month_year(lang: Lang, d: chrono::NaiveDate) -> String {
    let args = [
        ("month", Arg::from(tr(lang, MONTHS[month_index(d)]))),
        ("year", Arg::Num(i64::from(chrono::Datelike::year(&d)))),
    ];
    trf(lang, "date.month.year", &args)
}

/// Every message key of a language (for tests and the leftovers check).
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let mut k: Vec<&'static str> = catalogue(lang).plain.keys().copied().collect();
    k.sort_unstable();
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn catalogues_parse_and_have_the_same_messages() {
        let mut sets = Vec::new();
        for lang in Lang::ALL {
            let (cat, problems) = build(lang);
            assert!(problems.is_empty(), "{problems:#?}");
            sets.push(cat.plain.keys().cloned().collect::<BTreeSet<_>>());
        }
        let missing: Vec<_> = sets[0].symmetric_difference(&sets[1]).collect();
        assert!(missing.is_empty(), "messages in one language only: {missing:?}");
        assert!(sets[0].len() > 600, "{}", sets[0].len());
    }

    #[test]
    fn literal_braces_and_plurals() {
        assert_eq!(tr(Lang::En, "ring.calling"), "Calling {name}…");
        assert_eq!(tr(Lang::En, "no.such.key"), "no.such.key");
        let n = |lang, n: i64| trf(lang, "sched.occurrences.n", &[("n", Arg::Num(n))]);
        let ru: Vec<String> = [1, 2, 5, 11, 21, 22, 25, 111].iter().map(|k| n(Lang::Ru, *k)).collect();
        assert_eq!(
            ru,
            [
                "1 повторение",
                "2 повторения",
                "5 повторений",
                "11 повторений",
                "21 повторение",
                "22 повторения",
                "25 повторений",
                "111 повторений"
            ]
        );
        assert_eq!((n(Lang::En, 1), n(Lang::En, 21)), ("1 occurrence".to_string(), "21 occurrences".to_string()));
        assert_eq!(trf(Lang::Ru, "sched.every.weeks", &[("n", Arg::Num(2))]), "каждые 2 недели");
        assert_eq!(trf(Lang::En, "sched.every.weeks", &[("n", Arg::Num(1))]), "every week");
    }

    #[test]
    fn dates_and_months_are_named() {
        let d = chrono::NaiveDate::from_ymd_opt(2027, 3, 16).unwrap();
        assert_eq!(long_date(Lang::En, d), "16 March 2027");
        assert_eq!(long_date(Lang::Ru, d), "16 марта 2027 г.");
        assert_eq!(month_year(Lang::Ru, d), "Март 2027");
        assert_eq!(month_year(Lang::En, chrono::Datelike::with_month(&d, 12).unwrap()), "December 2027");
    }

    #[test]
    fn every_right_is_translated() {
        for r in crate::rights::Right::ALL {
            for l in Lang::ALL {
                assert_ne!(tr(l, r.title_key()), r.title_key());
                assert_ne!(tr(l, r.help_key()), r.help_key());
            }
        }
    }

    #[test]
    fn every_setting_is_described() {
        for s in crate::store::Setting::ALL {
            for l in Lang::ALL {
                assert_ne!(tr(l, s.description_key()), s.description_key(), "{}", l.code());
            }
        }
    }

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language(Some("ru-RU,ru;q=0.9,en;q=0.8")), Lang::Ru);
        assert_eq!(Lang::from_accept_language(Some("de,en;q=0.5,ru;q=0.4")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("xx")), Lang::En);
        assert_eq!(Lang::from_accept_language(None), Lang::En);
    }
}
