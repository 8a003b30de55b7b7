//! The default layout grows with the conference until an operator fixes one: one window for
//! one participant, two side by side, then the smallest grid that shows everyone — 2x2, 3x2,
//! 3x3, 4x3, 4x4, 5x4, 5x5.

/// The steps of the adaptive grid: window counts (columns x rows as the mixer arranges them).
pub const STEPS: [u8; 9] = [1, 2, 4, 6, 9, 12, 16, 20, 25];

/// How many windows the default layout has for `participants` (at least one, at most 25).
pub fn windows_for(participants: usize) -> u8 {
    STEPS.iter().copied().find(|w| *w as usize >= participants).unwrap_or(tessera_mixer::layout::MAX_WINDOWS)
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
    }
}
