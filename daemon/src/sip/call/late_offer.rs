//! A delayed offer: an INVITE without SDP gets Tessera's offer in the 200, and the caller's
//! answer comes in the ACK.

use super::*;

impl Call {
    /// An INVITE without an offer: the 200 carries Tessera's, the ACK the answer; then the call
    /// joins (or asks for the PIN) with what the answer kept.
    pub(super) async fn late_offer(
        &mut self,
        rx: &mut mpsc::Receiver<Inbound>,
        pin: Option<String>,
        events: tokio::sync::broadcast::Receiver<tessera_web::control::Event>,
    ) {
        // SRTP is offered where the conference takes nothing else (an endpoint that cannot
        // answer it could not join anyway); elsewhere plain RTP, which every endpoint takes.
        let mut local = self.local_sdp();
        if !self.srtp.rule.encrypted_only {
            local.srtp = None;
        }
        let ours = negotiate::offer(&local);
        let invite_cseq = cseq(&self.invite.msg).map_or(1, |c| c.0);
        let ok = self.ok(&self.invite.msg.headers.clone(), ours.as_bytes());
        self.send_2xx(ok, invite_cseq);
        tracing::info!(conference = %self.conference, name = %self.name, peer = %self.invite.path.peer(), "SIP call answered with an offer");
        metrics::counter!("tessera_sip_calls_total", "result" => "answered").increment(1);
        let why = match self.answer_in_ack(rx, invite_cseq).await {
            Ok(choice) => {
                if choice.audio.is_none() {
                    self.audio = None;
                }
                if choice.video.is_none() {
                    self.video = None;
                }
                self.choice = choice;
                self.rekey();
                if pin.is_some() {
                    self.lifetime(rx, pin, events).await
                } else {
                    match self.join().await {
                        Ok(()) => self.lifetime(rx, None, events).await,
                        Err(e) => Some(format!("could not join: {e}")),
                    }
                }
            }
            Err(why) => why,
        };
        self.hang_up(rx, why).await;
    }

    /// Waits for the ACK of the 200 that carried Tessera's offer (resending the 200 meanwhile)
    /// and reads the answer in it. `Err(None)`: the caller hung up first.
    async fn answer_in_ack(
        &mut self,
        rx: &mut mpsc::Receiver<Inbound>,
        invite_cseq: u32,
    ) -> Result<negotiate::Choice, Option<String>> {
        loop {
            let retransmit = self.pending.as_ref().map(|p| p.next);
            tokio::select! {
                biased;
                m = rx.recv() => {
                    let Some(m) = m else { return Err(Some("the server is stopping".into())) };
                    let h = m.msg.headers.clone();
                    match m.msg.method() {
                        Some("ACK") if cseq(&m.msg).map(|c| c.0) == Some(invite_cseq) && self.acks_our_2xx(&m.msg) => {
                            self.pending = None;
                            self.confirmed = true;
                            if m.msg.body.is_empty() {
                                return Err(Some("the ACK carried no SDP answer".into()));
                            }
                            let answer = sdp::parse(&m.msg.body).map_err(|e| Some(format!("the answer in the ACK: {e}")))?;
                            let choice = negotiate::choose(&answer, self.srtp.keys.is_some())
                                .map_err(|e| Some(format!("the answer in the ACK: {e}")))?;
                            self.srtp.rule.admits(choice.encrypted()).map_err(|_| {
                                Some("the answer in the ACK keeps plain RTP, and the conference takes encrypted media only".to_string())
                            })?;
                            return Ok(choice);
                        }
                        Some("BYE") => {
                            m.respond(200, reply(&h, 200, "OK", &self.dialog.local_tag, &[], b""));
                            return Err(None);
                        }
                        Some("ACK") | None => {}
                        Some(_) => {
                            // RFC 3261 §14.2: nothing else until the offer is answered.
                            let r = reply(&h, 491, "Request Pending", &self.dialog.local_tag, &[], b"");
                            m.respond(491, r);
                        }
                    }
                }
                _ = self.invite.path.closed() => {
                    self.participant_gone_quietly();
                    return Err(Some("the TCP connection closed".into()));
                }
                _ = sleep_until(retransmit) => {
                    if !self.resend_2xx() {
                        return Err(Some("no ACK with the answer".into()));
                    }
                }
            }
        }
    }
}
