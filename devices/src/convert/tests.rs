use super::*;

/// A 4x2 YUYV frame: left half (Y 80, U 90, V 240, red-ish), right half (Y 40, U 240, V 110,
/// blue-ish), the bottom row brighter by 20 with its chroma 10 higher.
fn yuyv_frame() -> RawFrame {
    let row = |dy: u8, dc: u8| [80 + dy, 90 + dc, 80 + dy, 240 - dc, 40 + dy, 240 - dc, 40 + dy, 110 + dc];
    let mut data = row(0, 0).to_vec();
    data.extend(row(20, 10));
    RawFrame { format: PixelFormat::Yuyv, width: 4, height: 2, data }
}

#[test]
fn yuyv_lands_where_it_should() {
    let p = to_i420(&yuyv_frame()).unwrap();
    assert_eq!(p.y(), [80, 80, 40, 40, 100, 100, 60, 60]);
    // The two rows' chroma, averaged: left (90+100)/2 and (240+230)/2, right (240+230)/2 and (110+120)/2.
    assert_eq!(p.u(), [95, 235]);
    assert_eq!(p.v(), [235, 115]);
}

#[test]
fn nv12_lands_where_it_should() {
    // 4x2: Y row by row, then one row of interleaved U/V for the two chroma blocks.
    let data = vec![1, 2, 3, 4, 5, 6, 7, 8, 100, 200, 110, 210];
    let p = to_i420(&RawFrame { format: PixelFormat::Nv12, width: 4, height: 2, data }).unwrap();
    assert_eq!(p.y(), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(p.u(), [100, 110]);
    assert_eq!(p.v(), [200, 210]);
}

/// A 64x32 JPEG: the left half red, the right half blue, as a camera's encoder makes it.
fn jpeg(quality: u8) -> Vec<u8> {
    let (w, h) = (64usize, 32usize);
    let mut rgb = Vec::with_capacity(w * h * 3);
    for _y in 0..h {
        for x in 0..w {
            rgb.extend(if x < w / 2 { [220, 30, 30] } else { [30, 30, 220] });
        }
    }
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, quality);
    e.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_1);
    e.encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

/// BT.601 limited range, as JPEG's full-range YCbCr lands after conversion (within a few steps).
fn near(got: u8, want: u8) -> bool {
    got.abs_diff(want) <= 6
}

fn check_red_left_blue_right(p: &I420) {
    let (w, h) = (p.width as usize, p.height as usize);
    // Red: Y ≈ 0.299*220 + 0.587*30 + 0.114*30 ≈ 87, Cb ≈ 128 - 0.1687*220 - 0.3313*30 + 0.5*30 ≈ 96,
    // Cr ≈ 128 + 0.5*220 - 0.4187*30 - 0.0813*30 ≈ 223. Blue: Y ≈ 47, Cb ≈ 223, Cr ≈ 110.
    let (y, u, v) = (p.y(), p.u(), p.v());
    for row in [0, h / 2, h - 1] {
        assert!(near(y[row * w + 4], 87), "red Y {}", y[row * w + 4]);
        assert!(near(y[row * w + w - 4], 47), "blue Y {}", y[row * w + w - 4]);
    }
    let cw = w / 2;
    assert!(near(u[2], 96) && near(v[2], 223), "red chroma {} {}", u[2], v[2]);
    assert!(near(u[cw - 2], 223) && near(v[cw - 2], 110), "blue chroma {} {}", u[cw - 2], v[cw - 2]);
}

#[test]
fn mjpeg_lands_where_it_should() {
    let frame = RawFrame { format: PixelFormat::Mjpeg, width: 64, height: 32, data: jpeg(95) };
    check_red_left_blue_right(&to_i420(&frame).unwrap());
}

/// UVC cameras send MJPEG frames without Huffman tables (DHT): the standard ones apply.
#[test]
fn mjpeg_without_huffman_tables_decodes_with_the_standard_ones() {
    let full = jpeg(95);
    let mut stripped = Vec::new();
    let mut i = 2;
    stripped.extend(&full[..2]);
    while i + 4 <= full.len() && full[i] == 0xFF {
        let marker = full[i + 1];
        let len = usize::from(full[i + 2]) << 8 | usize::from(full[i + 3]);
        if marker == 0xDA {
            stripped.extend(&full[i..]);
            break;
        }
        if marker != 0xC4 {
            stripped.extend(&full[i..i + 2 + len]);
        }
        i += 2 + len;
    }
    assert!(stripped.len() < full.len(), "the DHT segments were taken out");
    let frame = RawFrame { format: PixelFormat::Mjpeg, width: 64, height: 32, data: stripped };
    check_red_left_blue_right(&to_i420(&frame).unwrap());
}

#[test]
fn frames_that_do_not_match_their_size_are_refused() {
    let mut f = yuyv_frame();
    f.data.pop();
    assert_eq!(to_i420(&f).unwrap_err().to_string(), "a 4x2 yuyv frame is 16 bytes, this one is 15");
    let odd = RawFrame { format: PixelFormat::Nv12, width: 3, height: 2, data: vec![0; 9] };
    assert!(matches!(to_i420(&odd), Err(ConvertError::Size { .. })));
    let lying = RawFrame { format: PixelFormat::Mjpeg, width: 640, height: 480, data: jpeg(80) };
    assert_eq!(to_i420(&lying).unwrap_err(), ConvertError::JpegSize { width: 640, height: 480, got_w: 64, got_h: 32 });
    let garbage = RawFrame { format: PixelFormat::Mjpeg, width: 64, height: 32, data: vec![0xFF, 0xD8, 1, 2, 3] };
    assert!(matches!(to_i420(&garbage), Err(ConvertError::Jpeg(_))));
}

proptest::proptest! {
    /// Whatever bytes a camera (or a broken driver) hands over, conversion answers, never panics.
    #[test]
    fn conversion_never_panics(
        format in proptest::sample::select(vec![PixelFormat::Yuyv, PixelFormat::Nv12, PixelFormat::Mjpeg, PixelFormat::I420]),
        width in 0u32..40,
        height in 0u32..40,
        data in proptest::collection::vec(proptest::num::u8::ANY, 0..4000),
        jpeg_prefix in proptest::bool::ANY,
    ) {
        let mut data = data;
        if jpeg_prefix {
            let mut j = jpeg(50);
            let cut = data.len().min(j.len());
            j[cut / 2..cut].copy_from_slice(&data[..cut - cut / 2]);
            data = j;
        }
        let _ = to_i420(&RawFrame { format, width, height, data });
    }
}
