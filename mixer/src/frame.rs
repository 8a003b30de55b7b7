//! Raw video frames. Input is I420 or NV12 with any strides (validated, never trusted); the
//! canvas and cached tiles are tightly packed I420.

use crate::error::MixerError;

pub const MAX_DIMENSION: u32 = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    I420,
    Nv12,
}

/// A borrowed input frame. Construct with [`FrameRef::i420`] or [`FrameRef::nv12`], which check
/// every size and stride against the buffers.
#[derive(Debug, Clone, Copy)]
pub struct FrameRef<'a> {
    pub format: PixelFormat,
    pub width: u32,
    pub height: u32,
    pub y: &'a [u8],
    pub y_stride: usize,
    /// U (I420) or interleaved UV (NV12).
    pub u: &'a [u8],
    pub u_stride: usize,
    /// V (I420); empty for NV12.
    pub v: &'a [u8],
    pub v_stride: usize,
}

fn check_dims(width: u32, height: u32) -> Result<(), MixerError> {
    if width == 0 || height == 0 || width % 2 == 1 || height % 2 == 1 || width > MAX_DIMENSION || height > MAX_DIMENSION
    {
        return Err(MixerError::Frame(format!("size {width}x{height}: must be even, from 2 to {MAX_DIMENSION}")));
    }
    Ok(())
}

fn check_plane(name: &str, buf: &[u8], stride: usize, row_bytes: usize, rows: usize) -> Result<(), MixerError> {
    if stride < row_bytes {
        return Err(MixerError::Frame(format!("{name} stride {stride} is less than the row of {row_bytes} bytes")));
    }
    let need = stride * (rows - 1) + row_bytes;
    if buf.len() < need {
        return Err(MixerError::Frame(format!("{name} plane has {} bytes, needs {need}", buf.len())));
    }
    Ok(())
}

impl<'a> FrameRef<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn i420(
        width: u32,
        height: u32,
        y: &'a [u8],
        y_stride: usize,
        u: &'a [u8],
        u_stride: usize,
        v: &'a [u8],
        v_stride: usize,
    ) -> Result<FrameRef<'a>, MixerError> {
        check_dims(width, height)?;
        let (w, h) = (width as usize, height as usize);
        check_plane("Y", y, y_stride, w, h)?;
        check_plane("U", u, u_stride, w / 2, h / 2)?;
        check_plane("V", v, v_stride, w / 2, h / 2)?;
        Ok(FrameRef { format: PixelFormat::I420, width, height, y, y_stride, u, u_stride, v, v_stride })
    }

    pub fn nv12(
        width: u32,
        height: u32,
        y: &'a [u8],
        y_stride: usize,
        uv: &'a [u8],
        uv_stride: usize,
    ) -> Result<FrameRef<'a>, MixerError> {
        check_dims(width, height)?;
        let (w, h) = (width as usize, height as usize);
        check_plane("Y", y, y_stride, w, h)?;
        check_plane("UV", uv, uv_stride, w, h / 2)?;
        Ok(FrameRef {
            format: PixelFormat::Nv12,
            width,
            height,
            y,
            y_stride,
            u: uv,
            u_stride: uv_stride,
            v: &[],
            v_stride: 0,
        })
    }

    /// A packed I420 buffer of exactly `width * height * 3 / 2` bytes.
    pub fn packed_i420(width: u32, height: u32, data: &'a [u8]) -> Result<FrameRef<'a>, MixerError> {
        check_dims(width, height)?;
        let (w, h) = (width as usize, height as usize);
        if data.len() != w * h * 3 / 2 {
            return Err(MixerError::Frame(format!(
                "{} bytes for a {width}x{height} I420 frame, expected {}",
                data.len(),
                w * h * 3 / 2
            )));
        }
        let (y, uv) = data.split_at(w * h);
        let (u, v) = uv.split_at(w * h / 4);
        FrameRef::i420(width, height, y, w, u, w / 2, v, w / 2)
    }
}

/// A packed I420 image owned by the mixer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

/// A colour in video-range YUV (BT.601).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Yuv(pub u8, pub u8, pub u8);

impl Yuv {
    pub const BLACK: Yuv = Yuv(16, 128, 128);
    pub const WHITE: Yuv = Yuv(235, 128, 128);

    /// From 8-bit sRGB, BT.601 video range.
    pub fn from_rgb(r: u8, g: u8, b: u8) -> Yuv {
        let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
        let y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
        let u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
        let v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
        Yuv(y.clamp(0, 255) as u8, u.clamp(0, 255) as u8, v.clamp(0, 255) as u8)
    }
}

impl Frame {
    pub fn new(width: u32, height: u32, fill: Yuv) -> Result<Frame, MixerError> {
        check_dims(width, height)?;
        let (w, h) = (width as usize, height as usize);
        Ok(Frame { width, height, y: vec![fill.0; w * h], u: vec![fill.1; w * h / 4], v: vec![fill.2; w * h / 4] })
    }

    pub fn as_ref(&self) -> FrameRef<'_> {
        let w = self.width as usize;
        FrameRef {
            format: PixelFormat::I420,
            width: self.width,
            height: self.height,
            y: &self.y,
            y_stride: w,
            u: &self.u,
            u_stride: w / 2,
            v: &self.v,
            v_stride: w / 2,
        }
    }

    /// The Y, U and V at a pixel (for tests and probes).
    pub fn pixel(&self, x: u32, y: u32) -> Yuv {
        let w = self.width as usize;
        let (x, y) = (x as usize, y as usize);
        Yuv(self.y[y * w + x], self.u[(y / 2) * (w / 2) + x / 2], self.v[(y / 2) * (w / 2) + x / 2])
    }

    /// Packed I420 bytes (Y, then U, then V).
    pub fn to_packed(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.y.len() * 3 / 2);
        out.extend_from_slice(&self.y);
        out.extend_from_slice(&self.u);
        out.extend_from_slice(&self.v);
        out
    }

    pub fn fill_rect(&mut self, r: crate::geometry::Rect, c: Yuv) {
        let w = self.width as usize;
        let (x, y, rw, rh) = (r.x as usize, r.y as usize, r.w as usize, r.h as usize);
        for row in y..y + rh {
            self.y[row * w + x..row * w + x + rw].fill(c.0);
        }
        let cw = w / 2;
        for row in y / 2..(y + rh) / 2 {
            self.u[row * cw + x / 2..row * cw + (x + rw) / 2].fill(c.1);
            self.v[row * cw + x / 2..row * cw + (x + rw) / 2].fill(c.2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_refuses_bad_frames() {
        let buf = vec![0u8; 64 * 48 * 3 / 2];
        assert!(FrameRef::packed_i420(64, 48, &buf).is_ok());
        assert!(FrameRef::packed_i420(63, 48, &buf).is_err());
        assert!(FrameRef::packed_i420(0, 0, &[]).is_err());
        assert!(FrameRef::packed_i420(64, 48, &buf[1..]).is_err());
        let y = vec![0u8; 64 * 48];
        let c = vec![0u8; 32 * 24];
        assert!(FrameRef::i420(64, 48, &y, 63, &c, 32, &c, 32).is_err(), "stride below width");
        assert!(FrameRef::i420(64, 48, &y, 80, &c, 32, &c, 32).is_err(), "stride beyond the buffer");
        assert!(FrameRef::nv12(64, 48, &y, 64, &c, 64).is_err(), "UV plane too short");
        assert!(FrameRef::nv12(64, 48, &y, 64, &y[..64 * 24], 64).is_ok());
    }

    #[test]
    fn rgb_to_yuv() {
        assert_eq!(Yuv::from_rgb(0, 0, 0), Yuv(16, 128, 128));
        assert_eq!(Yuv::from_rgb(255, 255, 255), Yuv(235, 128, 128));
        let red = Yuv::from_rgb(255, 0, 0);
        assert!(red.2 > 230 && red.1 < 110, "{red:?}");
    }
}
