//! Reading a fragmented MP4 stream as a muxer writes it (`ftyp` `moov`, then `moof` `mdat`
//! pairs), enough to cut it into HLS's pieces: the initialization segment, and each fragment
//! with the track it carries, its decode time and whether it starts with a keyframe. Sans-IO:
//! bytes in, pieces out; nothing here trusts a size it has not checked.

use std::collections::HashMap;

/// The largest box taken: a fragment of a few seconds of 1080p is a few MB.
const MAX_BOX: usize = 64 << 20;

#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// `ftyp` and `moov`: what a player needs before any fragment.
    Init(Vec<u8>),
    /// A `moof` and its `mdat`.
    Fragment(Fragment),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fragment {
    pub bytes: Vec<u8>,
    /// Whether its track is the video track.
    pub video: bool,
    /// Its first sample's decode time, in seconds.
    pub time_s: f64,
    /// Whether its first sample is a sync sample (a keyframe).
    pub starts_with_keyframe: bool,
}

#[derive(Debug, Clone, Copy)]
struct Track {
    timescale: u32,
    video: bool,
    /// `trex`'s default sample flags.
    default_flags: u32,
}

#[derive(Default)]
pub struct Splitter {
    pending: Vec<u8>,
    init: Vec<u8>,
    /// The `moof` waiting for its `mdat`, and what it says.
    moof: Option<(Vec<u8>, u32, u64, Option<u32>)>,
    tracks: HashMap<u32, Track>,
}

impl Splitter {
    /// Takes the muxer's next bytes (any cut); returns the pieces they complete.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<Piece>, String> {
        self.pending.extend_from_slice(data);
        let mut out = Vec::new();
        let mut at = 0;
        while let Some((size, kind)) = header(&self.pending[at..])? {
            if self.pending.len() - at < size {
                break;
            }
            let b = &self.pending[at..at + size];
            match &kind {
                b"ftyp" => self.init = b.to_vec(),
                b"moov" => {
                    self.tracks = tracks(b)?;
                    self.init.extend_from_slice(b);
                    out.push(Piece::Init(std::mem::take(&mut self.init)));
                }
                b"moof" => {
                    let (track, time, first_flags) = fragment_of(b)?;
                    self.moof = Some((b.to_vec(), track, time, first_flags));
                }
                b"mdat" => {
                    let (mut bytes, track, time, first_flags) = self.moof.take().ok_or("an mdat without a moof")?;
                    let t = self.tracks.get(&track).ok_or_else(|| format!("a fragment of unknown track {track}"))?;
                    bytes.extend_from_slice(b);
                    let flags = first_flags.unwrap_or(t.default_flags);
                    out.push(Piece::Fragment(Fragment {
                        bytes,
                        video: t.video,
                        time_s: time as f64 / f64::from(t.timescale.max(1)),
                        starts_with_keyframe: flags & 0x0001_0000 == 0,
                    }));
                }
                // `free`, `mfra` (written at the end), `styp`…: nothing a live player needs.
                _ => {}
            }
            at += size;
        }
        self.pending.drain(..at);
        Ok(out)
    }
}

/// A box's size and type, when the header is all there.
fn header(b: &[u8]) -> Result<Option<(usize, [u8; 4])>, String> {
    if b.len() < 8 {
        return Ok(None);
    }
    let size = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let kind = [b[4], b[5], b[6], b[7]];
    let size = match size {
        1 => {
            if b.len() < 16 {
                return Ok(None);
            }
            usize::try_from(u64::from_be_bytes(b[8..16].try_into().map_err(|_| "short")?)).map_err(|_| "huge box")?
        }
        0 => return Err(format!("box {} runs to the end of the stream", String::from_utf8_lossy(&kind))),
        s => s,
    };
    if !(8..=MAX_BOX).contains(&size) {
        return Err(format!("box {} has size {size}", String::from_utf8_lossy(&kind)));
    }
    Ok(Some((size, kind)))
}

/// Boxes as (type, the whole box).
type Boxes<'a> = Vec<([u8; 4], &'a [u8])>;

/// The boxes inside `b` (a whole box).
fn children(b: &[u8]) -> Result<Boxes<'_>, String> {
    let mut out = Vec::new();
    let mut at = 8;
    while at < b.len() {
        let (size, kind) = header(&b[at..])?.ok_or("a truncated box")?;
        let end = at.checked_add(size).filter(|e| *e <= b.len()).ok_or("a box overruns its parent")?;
        out.push((kind, &b[at..end]));
        at = end;
    }
    Ok(out)
}

fn child<'a>(b: &'a [u8], kind: &[u8; 4]) -> Result<Option<&'a [u8]>, String> {
    Ok(children(b)?.into_iter().find(|(k, _)| k == kind).map(|(_, c)| c))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| "a short box".into())
}

fn u64_at(b: &[u8], at: usize) -> Result<u64, String> {
    Ok(u64::from(u32_at(b, at)?) << 32 | u64::from(u32_at(b, at + 4)?))
}

/// Each track's ID, timescale, kind and default sample flags, from `moov`.
fn tracks(moov: &[u8]) -> Result<HashMap<u32, Track>, String> {
    let mut defaults = HashMap::new();
    if let Some(mvex) = child(moov, b"mvex")? {
        for (k, trex) in children(mvex)? {
            if &k == b"trex" {
                // version/flags, track_ID, description index, duration, size, flags.
                defaults.insert(u32_at(trex, 12)?, u32_at(trex, 28)?);
            }
        }
    }
    let mut out = HashMap::new();
    for (k, trak) in children(moov)? {
        if &k != b"trak" {
            continue;
        }
        let tkhd = child(trak, b"tkhd")?.ok_or("a track without tkhd")?;
        let id = u32_at(tkhd, if tkhd.get(8) == Some(&1) { 28 } else { 20 })?;
        let mdia = child(trak, b"mdia")?.ok_or("a track without mdia")?;
        let mdhd = child(mdia, b"mdhd")?.ok_or("a track without mdhd")?;
        let timescale = u32_at(mdhd, if mdhd.get(8) == Some(&1) { 28 } else { 20 })?;
        let hdlr = child(mdia, b"hdlr")?.ok_or("a track without hdlr")?;
        let video = hdlr.get(16..20) == Some(b"vide");
        out.insert(id, Track { timescale, video, default_flags: defaults.get(&id).copied().unwrap_or(0) });
    }
    Ok(out)
}

/// A `moof`'s track, base decode time and first sample's flags (when it says them).
fn fragment_of(moof: &[u8]) -> Result<(u32, u64, Option<u32>), String> {
    let traf = child(moof, b"traf")?.ok_or("a moof without traf")?;
    let tfhd = child(traf, b"tfhd")?.ok_or("a traf without tfhd")?;
    let tf_flags = u32_at(tfhd, 8)? & 0x00ff_ffff;
    let track = u32_at(tfhd, 12)?;
    // Optional fields in order: base data offset (8), description index, duration, size, flags.
    let mut at = 16;
    let mut default_flags = None;
    for (bit, len) in [(0x01, 8), (0x02, 4), (0x08, 4), (0x10, 4), (0x20, 4)] {
        if tf_flags & bit != 0 {
            if bit == 0x20 {
                default_flags = Some(u32_at(tfhd, at)?);
            }
            at += len;
        }
    }
    let time = match child(traf, b"tfdt")? {
        Some(t) if t.get(8) == Some(&1) => u64_at(t, 12)?,
        Some(t) => u64::from(u32_at(t, 12)?),
        None => return Err("a traf without tfdt".into()),
    };
    let mut first = default_flags;
    if let Some(trun) = child(traf, b"trun")? {
        let flags = u32_at(trun, 8)? & 0x00ff_ffff;
        let mut at = 16 + if flags & 0x01 != 0 { 4 } else { 0 };
        if flags & 0x04 != 0 {
            first = Some(u32_at(trun, at)?);
        } else if flags & 0x400 != 0 {
            at += if flags & 0x100 != 0 { 4 } else { 0 } + if flags & 0x200 != 0 { 4 } else { 0 };
            first = Some(u32_at(trun, at)?);
        }
    }
    Ok((track, time, first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], parts: &[&[u8]]) -> Vec<u8> {
        let body: Vec<u8> = parts.concat();
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(&body);
        b
    }

    fn be(v: u32) -> [u8; 4] {
        v.to_be_bytes()
    }

    fn trak(id: u32, timescale: u32, handler: &[u8; 4]) -> Vec<u8> {
        let tkhd = boxed(b"tkhd", &[&be(0), &be(0), &be(0), &be(id), &[0; 60]]);
        let mdhd = boxed(b"mdhd", &[&be(0), &be(0), &be(0), &be(timescale), &be(0), &[0; 4]]);
        let hdlr = boxed(b"hdlr", &[&be(0), &be(0), handler, &[0; 13]]);
        boxed(b"trak", &[&tkhd, &boxed(b"mdia", &[&mdhd, &hdlr])])
    }

    /// A moof of `track` at `time` whose first sample has `flags` (in the trun).
    fn fragment(track: u32, time: u64, flags: u32) -> Vec<u8> {
        let tfhd = boxed(b"tfhd", &[&be(0x02_0000), &be(track)]);
        let tfdt = boxed(b"tfdt", &[&be(0x0100_0000), &time.to_be_bytes()]);
        let trun = boxed(b"trun", &[&be(0x0000_0305), &be(1), &be(0), &be(flags), &be(3000), &be(4)]);
        let moof = boxed(b"moof", &[&boxed(b"mfhd", &[&be(0), &be(1)]), &boxed(b"traf", &[&tfhd, &tfdt, &trun])]);
        [moof, boxed(b"mdat", &[b"data"])].concat()
    }

    fn stream() -> Vec<u8> {
        let trex = |id: u32, flags: u32| boxed(b"trex", &[&be(0), &be(id), &be(1), &be(0), &be(0), &be(flags)]);
        let mvex = boxed(b"mvex", &[&trex(1, 0x0101_0000), &trex(2, 0)]);
        let moov = boxed(
            b"moov",
            &[&boxed(b"mvhd", &[&[0; 100]]), &trak(1, 90_000, b"vide"), &trak(2, 48_000, b"soun"), &mvex],
        );
        [
            boxed(b"ftyp", &[b"iso6", &be(0)]),
            moov,
            fragment(1, 180_000, 0x0200_0000),
            fragment(2, 96_000, 0x0200_0000),
            fragment(1, 270_000, 0x0101_0000),
        ]
        .concat()
    }

    #[test]
    fn a_stream_cut_anywhere_gives_the_init_and_each_fragment() {
        let s = stream();
        for chunk in [1, 7, 100, s.len()] {
            let mut sp = Splitter::default();
            let mut pieces = Vec::new();
            for c in s.chunks(chunk) {
                pieces.extend(sp.push(c).unwrap());
            }
            assert_eq!(pieces.len(), 4, "chunks of {chunk}");
            let Piece::Init(init) = &pieces[0] else { panic!("{:?}", pieces[0]) };
            assert_eq!(&init[4..8], b"ftyp");
            let frags: Vec<(bool, f64, bool)> = pieces[1..]
                .iter()
                .map(|p| match p {
                    Piece::Fragment(f) => (f.video, f.time_s, f.starts_with_keyframe),
                    Piece::Init(_) => panic!("a second init"),
                })
                .collect();
            assert_eq!(frags, [(true, 2.0, true), (false, 2.0, true), (true, 3.0, false)]);
        }
    }

    #[test]
    fn broken_streams_are_errors_not_panics() {
        let s = stream();
        let moov_end = 8 + 8 + u32::from_be_bytes(s[16..20].try_into().unwrap()) as usize;
        for bad in [
            [&be(3)[..], b"moof"].concat(),
            [&be(0)[..], b"mdat"].concat(),
            [&be(u32::MAX)[..], b"mdat"].concat(),
            boxed(b"mdat", &[b"orphan"]),
            boxed(b"moof", &[&boxed(b"traf", &[&be(1)])]),
            boxed(b"moof", &[&boxed(b"traf", &[&boxed(b"tfhd", &[&be(0)])])]),
            boxed(b"moov", &[&boxed(b"trak", &[&boxed(b"tkhd", &[&be(0)])])]),
            [&s[..moov_end], &fragment(9, 0, 0)[..]].concat(),
        ] {
            let mut sp = Splitter::default();
            assert!(sp.push(&bad).is_err(), "{bad:?}");
        }
        // Every cut of a real stream either waits for more or gives pieces.
        for n in 0..s.len() {
            let mut sp = Splitter::default();
            let _ = sp.push(&s[..n]);
        }
    }
}
