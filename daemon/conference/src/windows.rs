//! Who fills which window: the default layout that grows with the conference until an operator
//! fixes one (one window for one participant, two side by side, then the smallest grid that
//! shows everyone — 2x2, 3x2, 3x3, 4x3, 4x4, 5x4, 5x5), and the order in which automatic
//! windows take participants (the active speaker first in speaker layouts). The media plane
//! composes with [`order`]; the running conference reports [`fill`] to the manager page.

use tessera_mixer::layout::{Layout, LayoutType, ParticipantId, Slot};

/// The steps of the adaptive grid: window counts (columns x rows as the mixer arranges them).
pub const STEPS: [u8; 9] = [1, 2, 4, 6, 9, 12, 16, 20, 25];

/// How many windows the default layout has for `participants` (at least one, at most 25).
pub fn windows_for(participants: usize) -> u8 {
    STEPS.iter().copied().find(|w| *w as usize >= participants).unwrap_or(tessera_mixer::layout::MAX_WINDOWS)
}

/// The default layout for `participants` on screen: a grid of [`windows_for`] windows.
pub fn adaptive(participants: usize) -> Layout {
    Layout { windows: windows_for(participants), ..Layout::default() }
}

/// The order in which `layout`'s automatic windows take the participants on screen: join
/// order, except that a speaker layout (any but the grid) whose first window is automatic
/// puts the active speaker first, large.
pub fn order(
    layout: &Layout,
    present_in_join_order: &[ParticipantId],
    speaker: Option<ParticipantId>,
) -> Vec<ParticipantId> {
    let mut out = present_in_join_order.to_vec();
    if layout.kind != LayoutType::Grid
        && layout.slots.first().is_none_or(|s| *s == Slot::Auto)
        && let Some(sp) = speaker
        && let Some(i) = out.iter().position(|p| *p == sp)
    {
        let p = out.remove(i);
        out.insert(0, p);
    }
    out
}

/// Who each window of `layout` shows: one entry per window.
pub fn fill(
    layout: &Layout,
    present_in_join_order: &[ParticipantId],
    speaker: Option<ParticipantId>,
) -> Vec<Option<ParticipantId>> {
    layout.assign(&order(layout, present_in_join_order, speaker))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_grows_by_the_guide_steps() {
        let expect = [(0, 1), (1, 1), (2, 2), (3, 4), (4, 4), (5, 6), (6, 6), (7, 9), (9, 9), (10, 12), (12, 12)];
        for (n, w) in expect {
            assert_eq!(windows_for(n), w, "{n} participants");
        }
        let more = [(13, 16), (16, 16), (17, 20), (20, 20), (21, 25), (25, 25), (40, 25)];
        for (n, w) in more {
            assert_eq!(windows_for(n), w, "{n} participants");
        }
        assert!(adaptive(5).validate().is_ok());
        assert_eq!(adaptive(5).kind, LayoutType::Grid);
    }

    #[test]
    fn the_speaker_goes_first_in_speaker_layouts_only() {
        let grid = Layout { windows: 4, ..Layout::default() };
        assert_eq!(fill(&grid, &[1, 2, 3], Some(3)), [Some(1), Some(2), Some(3), None]);
        let below = Layout { kind: LayoutType::OneLargeBelow, windows: 3, ..Layout::default() };
        assert_eq!(fill(&below, &[1, 2, 3], Some(3)), [Some(3), Some(1), Some(2)]);
        // A speaker who is not on screen changes nothing; nor does a first window assigned.
        assert_eq!(fill(&below, &[1, 2, 3], Some(9)), [Some(1), Some(2), Some(3)]);
        let pinned = Layout { slots: vec![Slot::Participant(2)], ..below };
        assert_eq!(fill(&pinned, &[1, 2, 3], Some(3)), [Some(2), Some(1), Some(3)]);
    }
}
