//! Requests inside a call: ACK, CANCEL, BYE, INFO (DTMF, picture_fast_update), MESSAGE (chat),
//! re-INVITE (hold, a new address), UPDATE; and the 2xx retransmissions of a call Tessera placed.

use super::*;

impl Call {
    /// A message inside the call.
    pub(super) async fn in_dialog(&mut self, m: Inbound, entry: &mut Option<Entry>) -> Flow {
        let h = m.msg.headers.clone();
        let tag = self.dialog.local_tag.clone();
        let Some(method) = m.msg.method().map(str::to_string) else {
            // A response to a request of ours; a retransmitted 2xx to the INVITE Tessera sent
            // means the callee did not get the ACK.
            let ok_again = matches!(
                &m.msg.start,
                tessera_sip_h323_bridge::sip::message::StartLine::Response { code: 200..=299, .. }
            ) && cseq(&m.msg).is_some_and(|c| c.1 == "INVITE");
            if let Some(ack) = self.ack.as_ref().filter(|_| ok_again) {
                m.path.send(ack.clone());
            }
            return Flow::Go;
        };
        match method.as_str() {
            "ACK" => {
                // Only an ACK that carries the tag of Tessera's 2xx, which whoever sent the INVITE
                // from a spoofed address never saw.
                if !self.acks_our_2xx(&m.msg) {
                    return Flow::Go;
                }
                if self.pending.as_ref().is_some_and(|p| cseq(&m.msg).map(|c| c.0) == Some(p.cseq)) {
                    self.pending = None;
                }
                if !self.confirmed {
                    self.confirmed = true;
                    return Flow::Confirmed;
                }
            }
            "CANCEL" => m.respond(200, reply(&h, 200, "OK", &tag, &[], b"")),
            "BYE" => {
                m.respond(200, reply(&h, 200, "OK", &tag, &[], b""));
                return Flow::End(None);
            }
            "INFO" => {
                let ct = h.single("Content-Type").ok().flatten().unwrap_or_default().to_ascii_lowercase();
                if ct.starts_with("application/media_control+xml") {
                    if String::from_utf8_lossy(&m.msg.body).contains("picture_fast_update") {
                        self.keyframe("INFO").await;
                    }
                } else if let Some(d) = dtmf::from_info(&ct, &m.msg.body) {
                    m.respond(200, reply(&h, 200, "OK", &tag, &[], b""));
                    let Some(e) = entry.as_mut() else {
                        self.key(d).await;
                        return Flow::Go;
                    };
                    return match self.pin_digit(e, d).await {
                        Ok(true) => Flow::Admitted,
                        Ok(false) => Flow::Go,
                        Err(why) => Flow::End(Some(why)),
                    };
                }
                m.respond(200, reply(&h, 200, "OK", &tag, &[], b""));
            }
            "MESSAGE" if entry.is_none() => {
                let guest = self.guest.map(|g| g.chat);
                let (conference, call_id) = (&self.conference, &self.dialog.call_id);
                let r = crate::sip::chat::receive(&self.ctx, conference, &self.name, call_id, &m.msg, guest).await;
                match r {
                    Ok(()) => m.respond(200, reply(&h, 200, "OK", &tag, &[], b"")),
                    Err((code, why)) => m.respond(code, reply(&h, code, why, &tag, &[], b"")),
                }
            }
            "INVITE" => self.reinvite(m).await,
            // A session refresh (RFC 4028), or an UPDATE without an offer.
            "UPDATE" if m.msg.body.is_empty() => {
                self.refreshed = Instant::now();
                let extra: Vec<_> = self.session.into_iter().flat_map(session_timer::answer_headers).collect();
                m.respond(200, reply(&h, 200, "OK", &tag, &extra, b""));
            }
            _ => {
                let allow = ("Allow", METHODS.join(", "));
                m.respond(405, reply(&h, 405, "Method Not Allowed in a call", &tag, &[allow], b""));
            }
        }
        Flow::Go
    }

    /// A new offer in the call: hold, resume, a new address. Codecs stay as negotiated; the
    /// answer keeps Tessera's ports.
    async fn reinvite(&mut self, m: Inbound) {
        let h = m.msg.headers.clone();
        let tag = self.dialog.local_tag.clone();
        let Some((n, _)) = cseq(&m.msg) else { return };
        if n <= self.dialog.remote_cseq {
            m.respond(
                500,
                reply(&h, 500, "Server Internal Error (CSeq out of order)", &tag, &[("Retry-After", "1".into())], b""),
            );
            return;
        }
        self.dialog.remote_cseq = n;
        // Any re-INVITE refreshes the session (RFC 4028).
        self.refreshed = Instant::now();
        let offer = match sdp::parse(&m.msg.body) {
            Ok(o) => o,
            Err(_) if m.msg.body.is_empty() => {
                m.respond(
                    488,
                    reply(&h, 488, "Not Acceptable Here (an offer in the re-INVITE is needed)", &tag, &[], b""),
                );
                return;
            }
            Err(e) => {
                m.respond(400, reply(&h, 400, &format!("Bad Request ({e})"), &tag, &[], b""));
                return;
            }
        };
        let choice = match negotiate::choose(&offer, self.srtp.keys.is_some()) {
            Ok(c)
                if c.audio.as_ref().map(|a| &a.crypto) != self.choice.audio.as_ref().map(|a| &a.crypto)
                    || c.video.as_ref().map(|v| &v.crypto) != self.choice.video.as_ref().map(|v| &v.crypto) =>
            {
                // The media plane holds the keys of the call's start; new ones (or plain RTP in
                // an SRTP call) would not be read.
                m.respond(
                    488,
                    reply(&h, 488, "Not Acceptable Here (SRTP keys cannot change within a call)", &tag, &[], b""),
                );
                return;
            }
            Ok(c)
                if c.audio.as_ref().map(|a| a.codec) == self.choice.audio.as_ref().map(|a| a.codec)
                    && c.video.as_ref().map(|v| v.codec) == self.choice.video.as_ref().map(|v| v.codec) =>
            {
                c
            }
            Ok(_) => {
                m.respond(
                    488,
                    reply(&h, 488, "Not Acceptable Here (codecs cannot change within a call)", &tag, &[], b""),
                );
                return;
            }
            Err(e) => {
                m.respond(488, reply(&h, 488, &format!("Not Acceptable Here ({e})"), &tag, &[], b""));
                return;
            }
        };
        self.choice = choice;
        self.version += 1;
        let sdp = self.answer_sdp(&offer);
        if let Some(p) = self.participant {
            let (video_to, audio_to) = self.media_targets();
            let req = Request::SendTo { participant: p, video_to, audio_to };
            if let Err(e) = self.control.call(&self.conference, None, req).await {
                tracing::warn!(error = %e, "SIP: media change not applied");
            }
        }
        let held = self.choice.audio.as_ref().is_some_and(|a| a.peer.is_none());
        tracing::info!(conference = %self.conference, name = %self.name, held, "SIP re-INVITE");
        let ok = self.ok(&h, sdp.as_bytes());
        // The re-INVITE's own path (it may be a new UDP transaction).
        m.path.send(ok.clone());
        if !m.path.reliable() {
            let now = Instant::now();
            self.pending = Some(Pending { bytes: ok, cseq: n, next: now + T1, interval: T1, give_up: now + T1 * 64 });
        }
    }
}
