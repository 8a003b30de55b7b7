//! The Registration tab of the scheduling form: when sign-up closes, whether the list closes
//! when full, whether signed-in users may Attend, and the sign-up form's fields (standard ones
//! and up to ten custom ones, in the organiser's order). The form's fields are set when the
//! registration is first saved and do not change afterwards: answers already given keep their
//! meaning.

use crate::error::{Error, Result};
use crate::msg;
use crate::recurrence::{Schedule, local_to_utc};
use crate::store::{Closes, FormField, Registration};
use serde::{Deserialize, Serialize};

/// Standard fields, in their usual order; `name` is always there and always required.
pub const STANDARD_FIELDS: [&str; 5] = ["name", "email", "phone", "organization", "position"];
pub const MAX_CUSTOM_FIELDS: usize = 10;
pub const MAX_LABEL_CHARS: usize = 100;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationInput {
    pub enabled: bool,
    /// `never` (recurring only), `start` (default), `end` or `custom`.
    pub closes: String,
    /// `custom`: opens at this local date and time (the conference's time zone)…
    pub opens: String,
    /// …and closes at this one.
    pub closes_at: String,
    pub close_when_full: bool,
    pub allow_attend: bool,
    /// Empty: name and email.
    pub fields: Vec<FieldInput>,
}

impl Default for RegistrationInput {
    fn default() -> Self {
        RegistrationInput {
            enabled: false,
            closes: "start".into(),
            opens: String::new(),
            closes_at: String::new(),
            close_when_full: false,
            allow_attend: false,
            fields: Vec::new(),
        }
    }
}

/// A standard field by `key`, or a custom one: no key (or `custom`, or the `c1`… it was given)
/// and a label.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldInput {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub required: bool,
}

pub fn default_fields() -> Vec<FormField> {
    vec![
        FormField { key: "name".into(), label: String::new(), required: true },
        FormField { key: "email".into(), label: String::new(), required: true },
    ]
}

fn is_custom_key(k: &str) -> bool {
    k.is_empty() || k == "custom" || (k.starts_with('c') && k[1..].parse::<u8>().is_ok_and(|n| (1..=10).contains(&n)))
}

/// The fields as given, checked; custom ones numbered `c1`… in order.
fn fields(input: &[FieldInput]) -> Result<Vec<FormField>> {
    if input.is_empty() {
        return Ok(default_fields());
    }
    let field = "registration_fields";
    let mut out: Vec<FormField> = Vec::new();
    let mut custom = 0;
    for f in input {
        let key = f.key.trim();
        if STANDARD_FIELDS.contains(&key) {
            if out.iter().any(|o| o.key == key) {
                return Err(Error::field(field, msg!("err.field.listed.twice", key = format!("{:?}", key))));
            }
            out.push(FormField { key: key.into(), label: String::new(), required: f.required || key == "name" });
        } else if is_custom_key(key) {
            custom += 1;
            if custom > MAX_CUSTOM_FIELDS {
                return Err(Error::field(
                    field,
                    msg!("err.at.most.custom.fields", max_custom_fields = MAX_CUSTOM_FIELDS),
                ));
            }
            let label = f.label.trim();
            if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
                return Err(Error::field(
                    field,
                    msg!("err.custom.field.needs.label", max_label_chars = MAX_LABEL_CHARS),
                ));
            }
            out.push(FormField { key: format!("c{custom}"), label: label.into(), required: f.required });
        } else {
            return Err(Error::field(field, msg!("err.not.field.use.name", key = format!("{:?}", key))));
        }
    }
    if !out.iter().any(|f| f.key == "name") {
        out.insert(0, FormField { key: "name".into(), label: String::new(), required: true });
    }
    Ok(out)
}

/// What else validating the tab needs.
pub struct Scope<'a> {
    pub public: bool,
    pub scheduled: bool,
    pub tz: chrono_tz::Tz,
    pub schedule: Option<&'a Schedule>,
    /// The conference's registration as stored (when editing).
    pub stored: Option<&'a Registration>,
}

pub fn validate(input: Option<&RegistrationInput>, s: &Scope<'_>) -> Result<Option<Registration>> {
    let Some(r) = input else { return Ok(None) };
    // Registration that was never switched on is not stored: the organiser can still shape the
    // form when they first switch it on.
    if !r.enabled && s.stored.is_none() {
        return Ok(None);
    }
    if !s.public || !s.scheduled {
        if !r.enabled {
            return Ok(None);
        }
        let why = if s.public { msg!("err.registration.scheduled.only") } else { msg!("err.registration.public.only") };
        return Err(Error::field("registration", why));
    }
    let closes = match r.closes.as_str() {
        "never" => Closes::Never,
        "start" => Closes::Start,
        "end" => Closes::End,
        "custom" => Closes::Custom,
        _ => return Err(Error::field("registration_closes", msg!("err.never.start.end.custom"))),
    };
    let recurring = s.schedule.is_some_and(|x| x.recurrence.is_some());
    if closes == Closes::Never && !recurring {
        return Err(Error::field("registration_closes", msg!("err.without.limitation.recurring.conferences")));
    }
    let (opens_at, closes_at) = if closes == Closes::Custom {
        let o = crate::scheduling::input::parse_local("registration_opens", &r.opens)?;
        let c = crate::scheduling::input::parse_local("registration_closes_at", &r.closes_at)?;
        let (o, c) = (local_to_utc(s.tz, o), local_to_utc(s.tz, c));
        if c <= o {
            return Err(Error::field("registration_closes_at", msg!("err.after.opening")));
        }
        (Some(o), Some(c))
    } else {
        (None, None)
    };
    let given = fields(&r.fields)?;
    let fields = match s.stored {
        // Answers already given keep their meaning: the form stays as it was first saved.
        Some(stored) => {
            let same = |a: &[FormField], b: &[FormField]| {
                a.len() == b.len()
                    && a.iter().zip(b).all(|(x, y)| {
                        x.label == y.label && x.required == y.required && (x.key == y.key || x.key.starts_with('c'))
                    })
            };
            if !r.fields.is_empty() && !same(&given, &stored.fields) {
                return Err(Error::field("registration_fields", msg!("err.sign.up.form.set")));
            }
            stored.fields.clone()
        }
        None => given,
    };
    Ok(Some(Registration {
        enabled: r.enabled,
        closes,
        opens_at,
        closes_at,
        close_when_full: r.close_when_full,
        allow_attend: r.allow_attend,
        fields,
    }))
}

/// The tab's input for a stored registration.
pub fn input_of(r: &Registration, tz: chrono_tz::Tz) -> RegistrationInput {
    let fmt = |t: Option<i64>| {
        t.map(|t| crate::recurrence::utc_to_local(tz, t).format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
    };
    RegistrationInput {
        enabled: r.enabled,
        closes: r.closes.as_str().into(),
        opens: fmt(r.opens_at),
        closes_at: fmt(r.closes_at),
        close_when_full: r.close_when_full,
        allow_attend: r.allow_attend,
        fields: r
            .fields
            .iter()
            .map(|f| FieldInput { key: f.key.clone(), label: f.label.clone(), required: f.required })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the organiser's fields and a guest's answers, checking them ends with a
        /// result or an error naming a field, and never panics.
        #[test]
        fn fields_and_answers_never_panic(
            keys in proptest::collection::vec("name|email|phone|organization|position|custom|c[0-9]{1,3}|\\PC{0,8}", 0..14),
            labels in proptest::collection::vec("\\PC{0,120}", 0..14),
            answers in proptest::collection::btree_map("name|email|phone|c[0-9]{1,2}|\\PC{0,6}", "\\PC{0,600}", 0..8),
        ) {
            let input: Vec<FieldInput> = keys.iter().zip(labels.iter().chain(std::iter::repeat(&String::new())))
                .map(|(k, l)| FieldInput { key: k.clone(), label: l.clone(), required: l.len() % 2 == 0 })
                .collect();
            match fields(&input) {
                Ok(f) => {
                    prop_assert!(f.iter().filter(|x| x.key.starts_with('c')).count() <= MAX_CUSTOM_FIELDS);
                    prop_assert!(f.iter().any(|x| x.key == "name" && x.required));
                    match crate::registration::check_answers(&f, &answers) {
                        Ok(a) => prop_assert!(a.keys().all(|k| f.iter().any(|x| &x.key == k))),
                        Err(Error::Field { .. }) => {}
                        Err(e) => prop_assert!(false, "unexpected {e}"),
                    }
                }
                Err(Error::Field { field, .. }) => prop_assert_eq!(field, "registration_fields"),
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }
    }

    fn custom(label: &str) -> FieldInput {
        FieldInput { key: String::new(), label: label.into(), required: false }
    }

    #[test]
    fn fields_are_checked_and_numbered() {
        let f = fields(&[
            FieldInput { key: "email".into(), label: String::new(), required: true },
            custom("Company size"),
            custom("Role"),
        ])
        .unwrap();
        let keys: Vec<&str> = f.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["name", "email", "c1", "c2"]);
        assert!(f[0].required, "the name is always required");
        let ten: Vec<FieldInput> = (0..10).map(|i| custom(&format!("Q{i}"))).collect();
        assert!(fields(&ten).is_ok());
        for n in [11, 12] {
            let many: Vec<FieldInput> = (0..n).map(|i| custom(&format!("Q{i}"))).collect();
            assert!(matches!(fields(&many), Err(Error::Field { field, .. }) if field == "registration_fields"), "{n}");
        }
        assert!(fields(&[custom("")]).is_err());
        assert!(fields(&[custom(&"x".repeat(101))]).is_err());
        assert!(fields(&[FieldInput { key: "shoe_size".into(), label: String::new(), required: false }]).is_err());
        let twice = FieldInput { key: "phone".into(), label: String::new(), required: false };
        assert!(fields(&[twice.clone(), twice]).is_err());
    }
}
