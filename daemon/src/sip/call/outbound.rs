//! When and where a call's media may be sent: not before the caller's ACK (with Tessera's To
//! tag) confirms the dialog, and only where the one rule of `media::destination` allows (for an
//! anonymous caller, the address it signals from); the PIN prompt follows the same rule.

use super::*;
use crate::media::destination::{Asker, Refusal, check as check_destination};

impl Call {
    /// Whether an ACK carries the tag of Tessera's 2xx (which a spoofed INVITE's sender never
    /// saw).
    pub(super) fn acks_our_2xx(&self, m: &tessera_sip_h323_bridge::sip::message::Message) -> bool {
        let to =
            m.headers.single("To").ok().flatten().and_then(|t| tessera_sip_h323_bridge::sip::name_addr::parse(t).ok());
        to.and_then(|n| n.tag().map(str::to_string)).as_deref() == Some(self.dialog.local_tag.as_str())
    }

    /// Where the peer's media of one kind may be sent now, if anywhere (the SDP address, checked
    /// by the one rule in `media::destination`).
    pub(super) fn destination(&self, peer: Option<(IpAddr, u16, u16)>) -> Option<SocketAddr> {
        let (ip, port, _) = peer?;
        let to = SocketAddr::new(ip, port);
        let from = self.invite.path.peer().ip();
        let asker = Asker::Signalling { from, proven: self.proven };
        match check_destination(to, asker) {
            Ok(()) => Some(to),
            // An anonymous caller whose SDP names another address (a phone behind a NAT gives
            // its private one): its port at the address it signals from, the only place media
            // may go before its own arrives; then the mix follows where that comes from.
            Err(Refusal::UntilLatched) => {
                let at_source = SocketAddr::new(from, port);
                check_destination(at_source, asker).ok().map(|()| at_source)
            }
            Err(r) => {
                tracing::info!(conference = %self.conference, peer = %self.invite.path.peer(), to = %to, reason = r.reason(), "SIP: no media sent to the address in the SDP");
                metrics::counter!("tessera_sip_media_refused_total").increment(1);
                None
            }
        }
    }

    /// The addresses to send video and audio to, once the dialog is confirmed.
    pub(super) fn media_targets(&self) -> (Option<String>, Option<String>) {
        if !self.confirmed {
            return (None, None);
        }
        let video =
            self.choice.video.as_ref().and_then(|v| self.destination(v.peer)).filter(|_| self.choice.sends_video());
        let audio = self.choice.audio.as_ref().and_then(|a| self.destination(a.peer));
        (video.map(|a| a.to_string()), audio.map(|a| a.to_string()))
    }

    /// The PIN prompt, to the caller's audio address if media may go there.
    pub(super) fn prompt(&self) -> Option<Prompt> {
        let a = self.choice.audio.as_ref()?;
        let to = self.destination(a.peer)?;
        let protect = crate::media::srtp::protector(self.media_keys().and_then(|k| k.audio).as_ref()).ok()?;
        Prompt::start(to, audio_codec(a.codec), a.pt, protect)
            .map_err(|e| tracing::warn!(error = %format!("{e:#}"), "SIP: no PIN prompt"))
            .ok()
    }

    /// The dialog was confirmed after the caller joined: its media starts flowing now.
    pub(super) async fn send_media(&mut self) {
        let Some(p) = self.participant else { return };
        let (video_to, audio_to) = self.media_targets();
        if video_to.is_none() && audio_to.is_none() {
            return;
        }
        let req = Request::SendTo { participant: p, video_to, audio_to };
        if let Err(e) = self.control.call(&self.conference, None, req).await {
            tracing::warn!(error = %e, "SIP: media not started");
        }
    }
}
