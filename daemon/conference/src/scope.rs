//! Which layout a change applies to: `"all"`, `{"group": "webrtc"}` (or `"sip_h323"`) or
//! `{"participant": 3}`. The form before 0.2 — `{"scope": "group", "target": "web_rtc"}` — is
//! still read, for one release.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tessera_mixer::layout::{EndpointGroup, ParticipantId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everyone without a group or individual layout.
    All,
    /// SIP/H.323 or WebRTC endpoints.
    Group(EndpointGroup),
    /// One participant (an individual layout).
    Participant(ParticipantId),
}

/// How a scope is written and read.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Form {
    Name(String),
    Group {
        group: Group,
    },
    Participant {
        participant: ParticipantId,
    },
    /// The old form, for one release.
    Tagged(Tagged),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "scope", content = "target")]
enum Tagged {
    All,
    Group(Group),
    Participant(ParticipantId),
}

/// A group as the API writes it: `sip_h323` or `webrtc` (`web_rtc`, the layout model's own
/// spelling, is read too).
#[derive(Clone, Copy, Serialize, Deserialize)]
enum Group {
    #[serde(rename = "sip_h323")]
    SipH323,
    #[serde(rename = "webrtc", alias = "web_rtc")]
    WebRtc,
}

impl From<Group> for EndpointGroup {
    fn from(g: Group) -> Self {
        match g {
            Group::SipH323 => EndpointGroup::SipH323,
            Group::WebRtc => EndpointGroup::WebRtc,
        }
    }
}

impl From<EndpointGroup> for Group {
    fn from(g: EndpointGroup) -> Self {
        match g {
            EndpointGroup::SipH323 => Group::SipH323,
            EndpointGroup::WebRtc => Group::WebRtc,
        }
    }
}

const EXPECTED: &str = r#"scope: "all", {"group": "sip_h323"}, {"group": "webrtc"} or {"participant": ID}"#;

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bad = || serde::de::Error::custom(EXPECTED);
        Ok(match Form::deserialize(d).map_err(|_| bad())? {
            Form::Name(n) if n == "all" => Scope::All,
            Form::Name(_) => return Err(bad()),
            Form::Group { group } | Form::Tagged(Tagged::Group(group)) => Scope::Group(group.into()),
            Form::Participant { participant } | Form::Tagged(Tagged::Participant(participant)) => {
                Scope::Participant(participant)
            }
            Form::Tagged(Tagged::All) => Scope::All,
        })
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Scope::All => Form::Name("all".into()),
            Scope::Group(g) => Form::Group { group: g.into() },
            Scope::Participant(participant) => Form::Participant { participant },
        }
        .serialize(s)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::All => f.write_str("all"),
            Scope::Group(EndpointGroup::SipH323) => f.write_str("group sip_h323"),
            Scope::Group(EndpointGroup::WebRtc) => f.write_str("group webrtc"),
            Scope::Participant(p) => write!(f, "participant {p}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_forms_are_read_and_the_natural_one_is_written() {
        let cases = [
            (json!("all"), Scope::All),
            (json!({"group": "webrtc"}), Scope::Group(EndpointGroup::WebRtc)),
            (json!({"group": "sip_h323"}), Scope::Group(EndpointGroup::SipH323)),
            (json!({"participant": 3}), Scope::Participant(3)),
            (json!({"scope": "all"}), Scope::All),
            (json!({"scope": "group", "target": "web_rtc"}), Scope::Group(EndpointGroup::WebRtc)),
            (json!({"scope": "participant", "target": 3}), Scope::Participant(3)),
        ];
        for (v, want) in cases {
            assert_eq!(serde_json::from_value::<Scope>(v.clone()).unwrap(), want, "{v}");
        }
        assert_eq!(serde_json::to_value(Scope::All).unwrap(), json!("all"));
        assert_eq!(serde_json::to_value(Scope::Group(EndpointGroup::WebRtc)).unwrap(), json!({"group": "webrtc"}));
        assert_eq!(serde_json::to_value(Scope::Participant(3)).unwrap(), json!({"participant": 3}));
    }

    #[test]
    fn anything_else_is_refused_with_the_forms_named() {
        for v in [json!("everyone"), json!({"group": "h323"}), json!({"participant": -1}), json!(3), json!(null)] {
            let e = serde_json::from_value::<Scope>(v.clone()).unwrap_err().to_string();
            assert!(e.contains(r#""all""#) && e.contains("participant"), "{v}: {e}");
        }
    }
}
