//! Camera frames to I420, the picture format the mixer takes: YUYV (4:2:2 packed), NV12 (4:2:0
//! with interleaved chroma), MJPEG (each frame a JPEG, decoded with `zune-jpeg`, which also knows
//! the Huffman tables UVC cameras leave out) and I420 itself.
//!
//! Sizes are even: a 4:2:0 picture's chroma covers 2x2 pixels. A frame whose bytes do not match
//! its size and format is refused with what was expected, never read out of bounds.

use serde::Serialize;
use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

/// How a camera delivers its pictures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PixelFormat {
    Yuyv,
    Nv12,
    Mjpeg,
    I420,
}

impl PixelFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            PixelFormat::Yuyv => "yuyv",
            PixelFormat::Nv12 => "nv12",
            PixelFormat::Mjpeg => "mjpeg",
            PixelFormat::I420 => "i420",
        }
    }
}

/// A picture as a camera delivered it.
#[derive(Clone, Debug)]
pub struct RawFrame {
    pub format: PixelFormat,
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// A planar 4:2:0 picture: `width * height` bytes of Y, then a quarter of that of U, then of V,
/// rows packed (stride = width).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct I420 {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl I420 {
    /// Bytes of a `width` x `height` I420 picture.
    pub fn len_for(width: u32, height: u32) -> usize {
        let y = width as usize * height as usize;
        y + y / 2
    }

    pub fn y(&self) -> &[u8] {
        &self.data[..self.width as usize * self.height as usize]
    }

    pub fn u(&self) -> &[u8] {
        let y = self.width as usize * self.height as usize;
        &self.data[y..y + y / 4]
    }

    pub fn v(&self) -> &[u8] {
        let y = self.width as usize * self.height as usize;
        &self.data[y + y / 4..]
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConvertError {
    #[error("a {width}x{height} picture: width and height must be even and at least 2")]
    Size { width: u32, height: u32 },
    #[error("a {width}x{height} {format} frame is {expected} bytes, this one is {got}")]
    Length { format: &'static str, width: u32, height: u32, expected: usize, got: usize },
    #[error("the JPEG frame does not decode: {0}")]
    Jpeg(String),
    #[error("the JPEG frame is {got_w}x{got_h}, the camera said {width}x{height}")]
    JpegSize { width: u32, height: u32, got_w: u32, got_h: u32 },
}

/// Converts `frame` to I420.
pub fn to_i420(frame: &RawFrame) -> Result<I420, ConvertError> {
    let (w, h) = (frame.width, frame.height);
    if w < 2 || h < 2 || w % 2 != 0 || h % 2 != 0 || w > 8192 || h > 8192 {
        return Err(ConvertError::Size { width: w, height: h });
    }
    let (wu, hu) = (w as usize, h as usize);
    let expect = |expected: usize| {
        if frame.data.len() == expected {
            Ok(())
        } else {
            Err(ConvertError::Length {
                format: frame.format.as_str(),
                width: w,
                height: h,
                expected,
                got: frame.data.len(),
            })
        }
    };
    match frame.format {
        PixelFormat::I420 => {
            expect(I420::len_for(w, h))?;
            Ok(I420 { width: w, height: h, data: frame.data.clone() })
        }
        PixelFormat::Yuyv => {
            expect(wu * hu * 2)?;
            Ok(yuyv(&frame.data, wu, hu))
        }
        PixelFormat::Nv12 => {
            expect(I420::len_for(w, h))?;
            Ok(nv12(&frame.data, wu, hu))
        }
        PixelFormat::Mjpeg => mjpeg(&frame.data, w, h),
    }
}

fn avg(a: u8, b: u8) -> u8 {
    (u16::from(a) + u16::from(b)).div_ceil(2) as u8
}

fn yuyv(src: &[u8], w: usize, h: usize) -> I420 {
    let mut out = vec![0u8; w * h * 3 / 2];
    let (y, chroma) = out.split_at_mut(w * h);
    let (u, v) = chroma.split_at_mut(w * h / 4);
    for (row, line) in src.chunks_exact(w * 2).enumerate() {
        for (x, px) in y[row * w..(row + 1) * w].chunks_exact_mut(2).enumerate() {
            px[0] = line[x * 4];
            px[1] = line[x * 4 + 2];
        }
    }
    // Chroma of each pair of rows, averaged (4:2:2 to 4:2:0).
    for cy in 0..h / 2 {
        let (top, bottom) = (&src[cy * 2 * w * 2..][..w * 2], &src[(cy * 2 + 1) * w * 2..][..w * 2]);
        for cx in 0..w / 2 {
            u[cy * w / 2 + cx] = avg(top[cx * 4 + 1], bottom[cx * 4 + 1]);
            v[cy * w / 2 + cx] = avg(top[cx * 4 + 3], bottom[cx * 4 + 3]);
        }
    }
    I420 { width: w as u32, height: h as u32, data: out }
}

fn nv12(src: &[u8], w: usize, h: usize) -> I420 {
    let mut out = vec![0u8; w * h * 3 / 2];
    out[..w * h].copy_from_slice(&src[..w * h]);
    let (u, v) = out[w * h..].split_at_mut(w * h / 4);
    for (i, uv) in src[w * h..].chunks_exact(2).enumerate() {
        u[i] = uv[0];
        v[i] = uv[1];
    }
    I420 { width: w as u32, height: h as u32, data: out }
}

/// An APP0 segment saying "AVI1": the frame is AVI MJPEG, whose missing tables are the standard ones.
const AVI1_APP0: [u8; 9] = [0xFF, 0xE0, 0x00, 0x07, b'A', b'V', b'I', b'1', 0];

/// Whether a DHT segment comes before the scan (segments walked by their lengths).
fn has_huffman_tables(jpeg: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        match jpeg[i + 1] {
            0xC4 => return true,
            0xDA => return false,
            _ => i += 2 + (usize::from(jpeg[i + 2]) << 8 | usize::from(jpeg[i + 3])),
        }
    }
    false
}

fn mjpeg(src: &[u8], w: u32, h: u32) -> Result<I420, ConvertError> {
    let options =
        DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::YCbCr).set_max_width(8192).set_max_height(8192);
    let marked;
    let src = if has_huffman_tables(src) {
        src
    } else {
        // UVC cameras leave the Huffman tables out, meaning the standard ones (Annex K.3);
        // `zune-jpeg` applies them to frames marked as AVI MJPEG (an APP0 "AVI1" segment),
        // which not every camera writes: mark the frame.
        marked = [&src[..2.min(src.len())], AVI1_APP0.as_slice(), &src[2.min(src.len())..]].concat();
        &marked
    };
    let mut decoder = JpegDecoder::new_with_options(std::io::Cursor::new(src), options);
    decoder.decode_headers().map_err(|e| ConvertError::Jpeg(format!("{e:?}")))?;
    let info = decoder.info().ok_or_else(|| ConvertError::Jpeg("no image header".into()))?;
    let (got_w, got_h) = (u32::from(info.width), u32::from(info.height));
    if (got_w, got_h) != (w, h) {
        return Err(ConvertError::JpegSize { width: w, height: h, got_w, got_h });
    }
    let size = decoder.output_buffer_size().ok_or_else(|| ConvertError::Jpeg("no output size".into()))?;
    let (wu, hu) = (w as usize, h as usize);
    if size != wu * hu * 3 {
        return Err(ConvertError::Jpeg(format!("{size} bytes of YCbCr for a {w}x{h} picture")));
    }
    let mut ycc = vec![0u8; size];
    decoder.decode_into(&mut ycc).map_err(|e| ConvertError::Jpeg(format!("{e:?}")))?;
    let mut out = vec![0u8; wu * hu * 3 / 2];
    let (y, chroma) = out.split_at_mut(wu * hu);
    let (u, v) = chroma.split_at_mut(wu * hu / 4);
    for (i, px) in ycc.chunks_exact(3).enumerate() {
        y[i] = px[0];
    }
    // Each 2x2 block's chroma, averaged (4:4:4 to 4:2:0).
    for cy in 0..hu / 2 {
        for cx in 0..wu / 2 {
            let at = |dx: usize, dy: usize| (((cy * 2 + dy) * wu) + cx * 2 + dx) * 3;
            let sum = |c: usize| {
                [(0, 0), (1, 0), (0, 1), (1, 1)].iter().map(|&(dx, dy)| u32::from(ycc[at(dx, dy) + c])).sum::<u32>()
            };
            u[cy * wu / 2 + cx] = ((sum(1) + 2) / 4) as u8;
            v[cy * wu / 2 + cx] = ((sum(2) + 2) / 4) as u8;
        }
    }
    Ok(I420 { width: w, height: h, data: out })
}

#[cfg(test)]
mod tests;
