//! SRTP on the media plane's sockets: packets a SIP peer protected with its SDES key are
//! unprotected as they arrive (in a GStreamer pad probe or the native G.711 reader) before
//! anything reads them, and what Tessera sends that peer is protected just before it leaves
//! (a probe on the `udpsink`, or the native writer). A packet that fails authentication or
//! replays an earlier one is dropped like malformed RTP. The cipher is the bridge's
//! [`tessera_sip_h323_bridge::rtp::srtp`].

use gstreamer as gst;
use gstreamer::prelude::*;
use std::sync::Mutex;
pub use tessera_sip_h323_bridge::rtp::srtp::{MediaKeys, Pair, Srtp};

/// The protecting context of a medium's keys, if it has keys.
pub fn protector(keys: Option<&Pair>) -> anyhow::Result<Option<Srtp>> {
    keys.map(Pair::protect).transpose().map_err(anyhow::Error::msg)
}

/// Replaces `buf`'s bytes with `f(bytes)` when that is no longer than them (unprotecting
/// shortens a packet by its tag), keeping the buffer's metadata (the sender's address
/// `udpsrc` noted); `false` when `f` refused the packet.
pub fn shrink(buf: &mut gst::Buffer, f: impl FnOnce(&[u8]) -> Option<Vec<u8>>) -> bool {
    let Some(out) = buf.map_readable().ok().and_then(|m| f(&m)) else { return false };
    let b = buf.make_mut();
    if out.len() > b.size() {
        return false;
    }
    match b.map_writable() {
        Ok(mut m) => m[..out.len()].copy_from_slice(&out),
        Err(_) => return false,
    }
    b.set_size(out.len());
    true
}

/// Protects every packet reaching `sink` (a `udpsink`) with `srtp`, whether it comes alone or
/// in a buffer list (payloaders push lists of fragments); one that cannot be protected is
/// dropped, never sent in the clear.
pub fn protect_sink(sink: &gst::Element, srtp: Srtp) {
    let Some(pad) = sink.static_pad("sink") else { return };
    let srtp = Mutex::new(srtp);
    let seal = move |b: &gst::BufferRef| -> Option<gst::Buffer> {
        let m = b.map_readable().ok()?;
        let v = srtp.lock().unwrap_or_else(|p| p.into_inner()).protect_rtp(&m)?;
        let mut out = gst::Buffer::from_mut_slice(v);
        if let Some(o) = out.get_mut() {
            o.set_pts(b.pts());
        }
        Some(out)
    };
    pad.add_probe(gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST, move |_, info| {
        if let Some(buf) = info.buffer_mut() {
            return match seal(buf) {
                Some(out) => {
                    *buf = out;
                    gst::PadProbeReturn::Ok
                }
                None => super::DISCARD,
            };
        }
        if let Some(list) = info.buffer_list_mut() {
            let mut sealed = gst::BufferList::new_sized(list.len());
            if let Some(s) = sealed.get_mut() {
                list.iter().filter_map(&seal).for_each(|b| s.add(b));
            }
            *list = sealed;
        }
        gst::PadProbeReturn::Ok
    });
}
