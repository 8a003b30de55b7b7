//! The layout model of the personal area and the conference manager: what a participant sees.
//! Serialisable as is, so the web stores and sends it unchanged.

use crate::error::MixerError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most video windows a layout may have (the content slot comes on top of these).
pub const MAX_WINDOWS: u8 = 25;

/// A participant's id within one conference.
pub type ParticipantId = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayoutType {
    /// Equal windows in rows and columns.
    Grid,
    /// One large window with the others in a column to its right.
    OneLargeBeside,
    /// One large window with the others in a row below it (the speaker layout).
    OneLargeBelow,
    /// Two large windows side by side with the others in a row below.
    TwoLargeBelow,
    /// One window filling the canvas with the others small in its lower right corner.
    PictureInPicture,
    /// All windows side by side in one row.
    Row,
    /// One large window in the centre with the others around it.
    OneLargeCentre,
}

impl LayoutType {
    pub const ALL: [LayoutType; 7] = [
        LayoutType::Grid,
        LayoutType::OneLargeBeside,
        LayoutType::OneLargeBelow,
        LayoutType::TwoLargeBelow,
        LayoutType::PictureInPicture,
        LayoutType::Row,
        LayoutType::OneLargeCentre,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamePosition {
    Top,
    #[default]
    Bottom,
    Hidden,
}

/// How a source whose aspect differs from its window is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// The whole picture, with bars.
    #[default]
    Fit,
    /// The window filled, the picture's edges cut.
    Crop,
}

/// What one window shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "participant")]
pub enum Slot {
    /// Filled automatically: participants in the order they joined, first at the upper left.
    #[default]
    Auto,
    Participant(ParticipantId),
    /// Deliberately left empty.
    Empty,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Layout {
    pub kind: LayoutType,
    /// Number of participant windows, 1 to `MAX_WINDOWS`.
    pub windows: u8,
    /// An extra, large window for shared screens and slides.
    pub content_slot: bool,
    /// One entry per window; missing entries are `Auto`.
    pub slots: Vec<Slot>,
    pub name_position: NamePosition,
    /// Names shown instead of the participant's own, in this layout only. (JSON object keys are
    /// strings; they are read as ids whatever serde buffers them as, e.g. inside a tagged enum.)
    #[serde(deserialize_with = "ids_as_keys")]
    pub display_names: BTreeMap<ParticipantId, String>,
    /// Participants may not change this layout.
    pub locked: bool,
    pub fit: Fit,
}

fn ids_as_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<ParticipantId, String>, D::Error> {
    use serde::de::Error;
    let raw = BTreeMap::<String, String>::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| match k.parse::<ParticipantId>() {
            Ok(id) => Ok((id, v)),
            Err(_) => Err(D::Error::custom(format!("display_names: {k:?} is not a participant id"))),
        })
        .collect()
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            kind: LayoutType::Grid,
            windows: 4,
            content_slot: false,
            slots: Vec::new(),
            name_position: NamePosition::Bottom,
            display_names: BTreeMap::new(),
            locked: false,
            fit: Fit::Fit,
        }
    }
}

/// The longest display name a layout keeps, in characters.
pub const MAX_NAME_CHARS: usize = 64;

impl Layout {
    pub fn validate(&self) -> Result<(), MixerError> {
        if self.windows == 0 || self.windows > MAX_WINDOWS {
            return Err(MixerError::WindowCount(self.windows as usize));
        }
        if self.slots.len() > self.windows as usize {
            return Err(MixerError::TooManySlots { slots: self.slots.len(), windows: self.windows as usize });
        }
        let mut seen = Vec::new();
        for s in &self.slots {
            if let Slot::Participant(p) = s {
                if seen.contains(p) {
                    return Err(MixerError::DuplicateParticipant(*p));
                }
                seen.push(*p);
            }
        }
        if self.kind == LayoutType::TwoLargeBelow && self.windows < 2 {
            return Err(MixerError::WindowCount(self.windows as usize));
        }
        for (p, n) in &self.display_names {
            if n.chars().count() > MAX_NAME_CHARS || n.chars().any(char::is_control) {
                return Err(MixerError::DisplayName(*p));
            }
        }
        Ok(())
    }

    /// Which participant each window shows, given who is present in join order. Assigned
    /// windows show their participant if present; `Auto` windows take the earliest joiners not
    /// shown elsewhere. Returns one entry per window.
    pub fn assign(&self, present_in_join_order: &[ParticipantId]) -> Vec<Option<ParticipantId>> {
        let n = self.windows as usize;
        let mut out = vec![None; n];
        let mut used = Vec::with_capacity(n);
        for (i, s) in self.slots.iter().enumerate().take(n) {
            if let Slot::Participant(p) = s
                && present_in_join_order.contains(p)
            {
                out[i] = Some(*p);
                used.push(*p);
            }
        }
        let mut rest = present_in_join_order.iter().filter(|p| !used.contains(p));
        for (i, o) in out.iter_mut().enumerate() {
            let auto = matches!(self.slots.get(i), None | Some(Slot::Auto));
            if o.is_none() && auto {
                *o = rest.next().copied();
            }
        }
        out
    }

    /// The name to draw for a participant in this layout.
    pub fn name_for<'a>(&'a self, p: ParticipantId, own: &'a str) -> &'a str {
        self.display_names.get(&p).map(String::as_str).unwrap_or(own)
    }
}

/// Groups of endpoints that can share a layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointGroup {
    /// SIP and H.323 room systems and phones.
    SipH323,
    WebRtc,
}

/// Layouts for everyone, per group of endpoints and per participant; the most specific wins.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LayoutSet {
    pub all: Layout,
    pub groups: BTreeMap<EndpointGroup, Layout>,
    pub participants: BTreeMap<ParticipantId, Layout>,
}

impl LayoutSet {
    pub fn resolve(&self, p: ParticipantId, g: EndpointGroup) -> &Layout {
        self.participants.get(&p).or_else(|| self.groups.get(&g)).unwrap_or(&self.all)
    }

    pub fn validate(&self) -> Result<(), MixerError> {
        self.all.validate()?;
        self.groups.values().chain(self.participants.values()).try_for_each(Layout::validate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_fill_takes_join_order_around_assignments() {
        let l = Layout { windows: 4, slots: vec![Slot::Auto, Slot::Participant(9), Slot::Empty], ..Layout::default() };
        assert_eq!(l.assign(&[5, 9, 7, 8]), vec![Some(5), Some(9), None, Some(7)]);
        // An assigned participant who is absent leaves the window empty rather than shuffling.
        assert_eq!(l.assign(&[5, 7]), vec![Some(5), None, None, Some(7)]);
    }

    #[test]
    fn validation() {
        assert!(Layout { windows: 0, ..Layout::default() }.validate().is_err());
        assert!(Layout { windows: 26, ..Layout::default() }.validate().is_err());
        assert!(Layout { windows: 25, ..Layout::default() }.validate().is_ok());
        let dup = Layout { slots: vec![Slot::Participant(1), Slot::Participant(1)], ..Layout::default() };
        assert!(matches!(dup.validate(), Err(MixerError::DuplicateParticipant(1))));
        let many = Layout { windows: 1, slots: vec![Slot::Auto, Slot::Auto], ..Layout::default() };
        assert!(many.validate().is_err());
    }

    #[test]
    fn serde_round_trip_and_most_specific_wins() {
        let mut set = LayoutSet::default();
        set.groups.insert(EndpointGroup::SipH323, Layout { kind: LayoutType::OneLargeBelow, ..Layout::default() });
        set.participants.insert(3, Layout { kind: LayoutType::PictureInPicture, windows: 2, ..Layout::default() });
        let json = serde_json::to_string(&set).unwrap();
        let back: LayoutSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, set);
        assert_eq!(set.resolve(3, EndpointGroup::SipH323).kind, LayoutType::PictureInPicture);
        assert_eq!(set.resolve(4, EndpointGroup::SipH323).kind, LayoutType::OneLargeBelow);
        assert_eq!(set.resolve(4, EndpointGroup::WebRtc).kind, LayoutType::Grid);
        assert!(serde_json::from_str::<Layout>(r#"{"windows": 4, "colour": 1}"#).is_err());
    }
}
