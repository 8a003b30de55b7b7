//! The WebRTC side of the media plane as the web sees it: the conference page's WebSocket hands
//! a browser's SDP offer to [`Rtc::join`], which the daemon serves (ICE, DTLS-SRTP and the RTP
//! relay into the conference runtime live there), and gets back the answer and a handle whose
//! drop ends the participant.

use crate::control::ControlError;
use crate::msg;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
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
    /// A webinar guest: the devices the organiser lets guests use.
    pub guest: Option<crate::control::GuestDevices>,
    /// Where the browser connects from (the page's address), for the administrator's live view.
    pub address: Option<std::net::IpAddr>,
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
    /// The largest window the browser's picture is shown in (`None`: nowhere): the page scales
    /// what it sends down to it.
    pub shown: tokio::sync::watch::Receiver<Option<(u32, u32)>>,
}

pub type JoinReply = Result<Joined, ControlError>;

/// Conference pages in a call (open WebSockets) from one address at most: enough for an office
/// behind one NAT address, not for one client to exhaust the media plane.
pub const MAX_PAGES_PER_ADDRESS: usize = 50;

/// The web's handle on the daemon's WebRTC peers.
#[derive(Clone)]
pub struct Rtc {
    tx: mpsc::Sender<(JoinRequest, oneshot::Sender<JoinReply>)>,
    pages: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One open conference page of an address; dropping it frees the place.
pub struct PageSlot {
    pages: Arc<Mutex<HashMap<IpAddr, usize>>>,
    addr: IpAddr,
}

impl Drop for PageSlot {
    fn drop(&mut self) {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = pages.get_mut(&self.addr) {
            *n -= 1;
            if *n == 0 {
                pages.remove(&self.addr);
            }
        }
    }
}

impl Rtc {
    pub fn channel() -> (Rtc, mpsc::Receiver<(JoinRequest, oneshot::Sender<JoinReply>)>) {
        let (tx, rx) = mpsc::channel(64);
        (Rtc { tx, pages: Arc::default() }, rx)
    }

    /// A place for one more page of `addr`, or `None` when it has `MAX_PAGES_PER_ADDRESS` open.
    pub fn page_slot(&self, addr: IpAddr) -> Option<PageSlot> {
        let addr = crate::net::source(addr);
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        let n = pages.entry(addr).or_insert(0);
        if *n >= MAX_PAGES_PER_ADDRESS {
            return None;
        }
        *n += 1;
        Some(PageSlot { pages: self.pages.clone(), addr })
    }

    pub async fn join(&self, req: JoinRequest) -> JoinReply {
        let (reply, rx) = oneshot::channel();
        self.tx.send((req, reply)).await.map_err(|_| ControlError::Unavailable(msg!("err.webrtc.not.running")))?;
        rx.await.map_err(|_| ControlError::Unavailable(msg!("err.webrtc.did.not.answer")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_per_address_are_capped_and_freed() {
        let (rtc, _rx) = Rtc::channel();
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let b: IpAddr = "192.0.2.8".parse().unwrap();
        let held: Vec<PageSlot> = (0..MAX_PAGES_PER_ADDRESS).map(|_| rtc.page_slot(a).unwrap()).collect();
        assert!(rtc.page_slot(a).is_none());
        assert!(rtc.page_slot(b).is_some(), "another address is not affected");
        drop(held);
        let again = rtc.page_slot(a).expect("free again");
        assert_eq!(rtc.pages.lock().unwrap().get(&a), Some(&1));
        drop(again);
        assert!(rtc.pages.lock().unwrap().is_empty(), "no entry is kept for an address with no page");
    }
}
