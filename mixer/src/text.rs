//! Name labels and initials: antialiased text rasterised with `fontdue` from the font embedded at
//! build time (see `build.rs`), kept as alpha masks so a label is drawn again only when its text
//! or size changes.

use fontdue::{Font, FontSettings};
use std::sync::OnceLock;

static FONT_BYTES: &[u8] = include_bytes!(env!("TESSERA_FONT_PATH"));

pub fn font() -> &'static Font {
    static FONT: OnceLock<Font> = OnceLock::new();
    // unwrap: the embedded font was checked to exist at build time, and a test parses it.
    FONT.get_or_init(|| Font::from_bytes(FONT_BYTES, FontSettings::default()).unwrap())
}

/// Text rendered to coverage values (0 = transparent, 255 = opaque).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask {
    pub width: usize,
    pub height: usize,
    pub alpha: Vec<u8>,
}

/// Renders one line at `px` pixels, at most `max_width` wide (cut with an ellipsis).
pub fn render(text: &str, px: f32, max_width: usize) -> Mask {
    let f = font();
    let line = f.horizontal_line_metrics(px);
    let (ascent, descent) = line.map(|l| (l.ascent, l.descent)).unwrap_or((px * 0.8, -px * 0.2));
    let height = (ascent - descent).ceil().max(1.0) as usize;
    let advance = |c: char| f.metrics(c, px).advance_width;
    // Fit: drop characters from the end until the text and an ellipsis fit.
    let chars: Vec<char> = text.chars().filter(|c| !c.is_control()).collect();
    let total: f32 = chars.iter().map(|&c| advance(c)).sum();
    let mut shown = chars.clone();
    if total.ceil() as usize > max_width {
        let ell = advance('…');
        let mut w = 0.0;
        shown.clear();
        for &c in &chars {
            if (w + advance(c) + ell).ceil() as usize > max_width {
                break;
            }
            w += advance(c);
            shown.push(c);
        }
        shown.push('…');
    }
    let width = (shown.iter().map(|&c| advance(c)).sum::<f32>().ceil() as usize).clamp(1, max_width.max(1));
    let mut alpha = vec![0u8; width * height];
    let mut pen = 0.0f32;
    for c in shown {
        let (m, bitmap) = f.rasterize(c, px);
        let gx = (pen + m.xmin as f32).round() as i64;
        let gy = (ascent - m.height as f32 - m.ymin as f32).round() as i64;
        for row in 0..m.height {
            for col in 0..m.width {
                let (x, y) = (gx + col as i64, gy + row as i64);
                if x >= 0 && y >= 0 && (x as usize) < width && (y as usize) < height {
                    let a = &mut alpha[y as usize * width + x as usize];
                    *a = (*a).max(bitmap[row * m.width + col]);
                }
            }
        }
        pen += m.advance_width;
    }
    Mask { width, height, alpha }
}

/// Up to two initials for a placeholder: "Anna Petrova" → "AP", "Юлия" → "Ю".
pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_latin_and_cyrillic_with_antialiasing() {
        for text in ["Alice", "Юлия Иванова"] {
            let m = render(text, 24.0, 1000);
            let solid = m.alpha.iter().filter(|&&a| a == 255).count();
            let partial = m.alpha.iter().filter(|&&a| a > 0 && a < 255).count();
            assert!(solid > 20 && partial > 20, "{text}: {solid} solid, {partial} partial pixels");
            assert!(m.height >= 24 && m.width > 40, "{text}: {}x{}", m.width, m.height);
        }
        // Every Cyrillic letter has a glyph (index 0 is the missing-glyph box).
        for c in 'А'..='я' {
            assert_ne!(font().lookup_glyph_index(c), 0, "no glyph for {c}");
        }
    }

    #[test]
    fn long_text_is_cut_to_the_width() {
        let m = render("A very long participant name that does not fit", 20.0, 100);
        assert!(m.width <= 100);
        assert_eq!(initials("anna maria petrova"), "AM");
        assert_eq!(initials("  "), "");
    }
}
