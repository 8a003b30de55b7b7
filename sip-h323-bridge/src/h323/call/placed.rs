//! Calls this server places: the Setup with Fast Connect proposals (every codec this server
//! speaks, each to send and to receive), H.245 tunnelled, and the callee's answers. The first
//! answer with Fast Connect channels decides them; the Connect makes the call what an answered
//! inbound call is: capability set and master/slave determination go out (tunnelled, or on the
//! H.245 connection the callee names), and without Fast Connect the channels open over H.245.

use super::{Call, Output, State};
use crate::h323::h245::channels::{self, Local};
use crate::h323::h245::codec::{Codec, H264};
use crate::h323::h245::{Out, capabilities};
use crate::h323::q931::MessageType;
use crate::h323::signalling::{Answer, Placing, Signal};
use std::time::{Duration, Instant};

/// How long a callee may take to answer (as SIP's dial-out rings).
pub const RING_TIMEOUT: Duration = Duration::from_secs(60);

impl Call {
    /// Places a call: `values` are this call's (call reference, conference and call IDs, the
    /// display; tunnelling is asked for), `placing` whom it is from and for, `codecs` what this
    /// server proposes in its order of preference (sessions `local` gives no address for are
    /// left out). The first output is the Setup.
    pub fn place(
        mut values: Answer,
        placing: &Placing,
        codecs: &[Codec],
        local: impl Fn(u8) -> Option<Local> + Send + Sync + 'static,
        video: H264,
        our_number: u32,
        now: Instant,
    ) -> (Call, Vec<Output>) {
        values.from_destination = false;
        values.h245_tunnelling = true;
        values.fast_start = channels::propose_fast_start(codecs, &local);
        let setup = values.setup(placing);
        values.fast_start.clear();
        let mut call = Call::with(State::Calling, values, Box::new(local), video, our_number, now);
        call.deadline = now + RING_TIMEOUT;
        call.proposed = codecs.to_vec();
        let mut out = Vec::new();
        call.signal(&mut out, setup);
        (call, out)
    }

    /// Whether the callee answered (a call this server placed).
    pub fn answered(&self) -> bool {
        !self.proposed.is_empty() && self.state != State::Calling && self.told.contains(&Output::Answered)
    }

    /// The Q.931 cause of the far end's Release Complete, if it sent one with a cause.
    pub fn cause(&self) -> Option<u8> {
        self.cause
    }

    /// Says a step of the callee's progress once.
    fn tell(&mut self, o: Output, out: &mut Vec<Output>) {
        if !self.told.contains(&o) {
            self.told.push(o.clone());
            out.push(o);
        }
    }

    /// A callee's answer while the call is placed.
    pub(super) fn on_answer(&mut self, signal: &Signal, out: &mut Vec<Output>) {
        // The callee may refuse tunnelling (then H.245 goes on the connection it names): said
        // with `false`, or by a Connect that does not say `true` (earlier answers that leave it
        // out decide nothing).
        let refused = match signal.body.h323_uu_pdu.h245_tunnelling {
            Some(t) => !t,
            None => signal.q931.kind == MessageType::Connect,
        };
        if refused && self.tunnelling {
            self.tunnelling = false;
            self.answer.h245_tunnelling = false;
            for m in std::mem::take(&mut self.queued) {
                out.push(Output::H245(m));
            }
        }
        if !self.tunnelling
            && let Some(at) = signal.h245_address()
            && !self.told.iter().any(|o| matches!(o, Output::ConnectH245(_)))
        {
            self.tell(Output::ConnectH245(at), out);
        }
        let fast = signal.fast_start();
        if !self.fast_answered && !fast.is_empty() {
            self.fast_answered = true;
            let got = channels::accepted_fast_start(&fast, &self.proposed);
            for c in got.receive {
                if (self.local)(c.codec.session()).is_none() {
                    continue;
                }
                self.receiving.push(c.codec.session());
                if c.codec.is_video() {
                    self.video_pt = Some(c.payload_type);
                }
                out.push(Output::Receive(c));
            }
            for c in got.send {
                self.sending.push(c.codec.session());
                out.push(Output::Send(c));
            }
        }
        match signal.q931.kind {
            MessageType::CallProceeding => self.tell(Output::Proceeding, out),
            MessageType::Alerting => self.tell(Output::Ringing, out),
            MessageType::Connect => {
                self.state = State::Connected;
                self.deadline = self.now + super::MEDIA_TIMEOUT;
                self.tell(Output::Answered, out);
                let caps = capabilities::ours(1, &self.video);
                self.h245(Out::Capabilities(Box::new(caps)), out);
                self.h245(Out::MasterSlave { number: self.our_number }, out);
                // Fast Connect's channels are all there will be at the start.
                if self.has_media() {
                    self.settle(out);
                }
            }
            _ => {}
        }
    }
}
