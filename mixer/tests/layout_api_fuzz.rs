//! Arbitrary input to the layout API — JSON from the web, any window count, slots, names,
//! canvas sizes and frames — yields a canvas or an error, never a panic.

use proptest::prelude::*;
use tessera_mixer::compositor::{Compositor, Source};
use tessera_mixer::frame::{Frame, FrameRef, Yuv};
use tessera_mixer::layout::{Fit, Layout, LayoutSet, LayoutType, NamePosition, Slot};
use tessera_mixer::tiles::TileCache;

fn layout() -> impl Strategy<Value = Layout> {
    (
        prop::sample::select(LayoutType::ALL.to_vec()),
        0u8..=30,
        any::<bool>(),
        prop::collection::vec(
            prop_oneof![Just(Slot::Auto), Just(Slot::Empty), (0u64..12).prop_map(Slot::Participant)],
            0..30,
        ),
        prop::sample::select(vec![NamePosition::Top, NamePosition::Bottom, NamePosition::Hidden]),
        prop::collection::btree_map(0u64..12, "\\PC{0,80}", 0..4),
        prop::sample::select(vec![Fit::Fit, Fit::Crop]),
    )
        .prop_map(|(kind, windows, content_slot, slots, name_position, display_names, fit)| Layout {
            kind,
            windows,
            content_slot,
            slots,
            name_position,
            display_names,
            locked: false,
            fit,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn compose_never_panics(l in layout(), w in 0u32..700, h in 0u32..500, n in 0usize..12,
                            sizes in prop::collection::vec((1u32..200, 1u32..200), 12), camera in any::<u16>()) {
        let frames: Vec<Option<Frame>> = sizes.iter().map(|&(a, b)| Frame::new(a * 2, b * 2, Yuv(90, 100, 150)).ok()).collect();
        let names: Vec<String> = (0..n).map(|i| format!("P{i} Юзер")).collect();
        let sources: Vec<Source> = (0..n)
            .map(|i| Source {
                id: i as u64,
                seq: 1,
                frame: if camera & (1 << i) != 0 { frames[i].as_ref().map(Frame::as_ref) } else { None },
                name: &names[i],
                muted: i % 3 == 0,
            })
            .collect();
        if let Ok(mut c) = Compositor::new(w & !1, h & !1, Yuv::BLACK) {
            let mut tiles = TileCache::new();
            let _ = c.compose(&l, &sources, sources.first(), &mut tiles);
            let _ = c.compose(&l, &sources, None, &mut tiles);
        }
    }

    #[test]
    fn any_json_is_parsed_or_refused(s in "\\PC{0,300}") {
        if let Ok(set) = serde_json::from_str::<LayoutSet>(&s) {
            let _ = set.validate();
        }
    }

    #[test]
    fn any_buffer_is_a_frame_or_an_error(w in 0u32..100, h in 0u32..100, len in 0usize..20000, stride in 0usize..200) {
        let buf = vec![0u8; len];
        let _ = FrameRef::packed_i420(w, h, &buf);
        let _ = FrameRef::i420(w, h, &buf, stride, &buf, stride / 2, &buf, stride / 2);
        let _ = FrameRef::nv12(w, h, &buf, stride, &buf, stride);
    }
}
