//! The WebRTC side of the media plane as the web sees it: the conference page's WebSocket hands
//! a browser's SDP offer to [`Rtc::join`], which the daemon serves (ICE, DTLS-SRTP and the RTP
//! relay into the conference runtime live there), and gets back the answer and a handle whose
//! drop ends the participant.

use crate::control::ControlError;
use tessera_mixer::layout::ParticipantId;
use tokio::sync::{mpsc, oneshot};

/// A browser that wants to join.
#[derive(Debug)]
pub struct JoinRequest {
    pub conference: String,
    /// The name shown in the layout.
    pub name: String,
    /// The signed-in user, `None` for a guest.
    pub user: Option<i64>,
    /// The browser's SDP offer.
    pub offer: String,
    /// A screen share: video only, shown in the content slot.
    pub content: bool,
}

/// A browser that joined: the answer to send it, and the participant it became.
#[derive(Debug)]
pub struct Joined {
    pub participant: ParticipantId,
    pub answer: String,
    /// Drop it to leave (the WebSocket closed, or the page hung up).
    pub leave: oneshot::Sender<()>,
    /// Says why the media connection ended (ICE or DTLS failed, the peer went away, the
    /// participant was removed) when it ends on the server's side.
    pub ended: oneshot::Receiver<String>,
}

pub type JoinReply = Result<Joined, ControlError>;

/// The web's handle on the daemon's WebRTC peers.
#[derive(Clone)]
pub struct Rtc {
    tx: mpsc::Sender<(JoinRequest, oneshot::Sender<JoinReply>)>,
}

impl Rtc {
    pub fn channel() -> (Rtc, mpsc::Receiver<(JoinRequest, oneshot::Sender<JoinReply>)>) {
        let (tx, rx) = mpsc::channel(64);
        (Rtc { tx }, rx)
    }

    pub async fn join(&self, req: JoinRequest) -> JoinReply {
        let (reply, rx) = oneshot::channel();
        self.tx.send((req, reply)).await.map_err(|_| ControlError::Unavailable("WebRTC is not running".into()))?;
        rx.await.map_err(|_| ControlError::Unavailable("WebRTC did not answer".into()))?
    }
}
