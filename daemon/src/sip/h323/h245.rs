//! A call's separate H.245 connection, for callers that do not tunnel H.245 in the call
//! signalling: this server connects to the address the caller's Setup names, or listens on an
//! address it gives in the Connect. Either way only the caller's own IP address is spoken to,
//! so a Setup cannot make this server open TCP connections to third parties, and a connection
//! from anywhere else is refused. Messages written before the connection exists wait for it.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tessera_sip_h323_bridge::h323::tpkt::{self, Framer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// How long connecting to the caller's H.245 address may take.
const CONNECT_WAIT: Duration = Duration::from_secs(5);
/// Messages kept while the connection is not there yet (a capability set, master/slave
/// determination, channels and their answers are fewer).
const MAX_WAITING: usize = 32;

enum State {
    None,
    Listening(TcpListener),
    Open { rd: OwnedReadHalf, wr: OwnedWriteHalf, framer: Framer },
}

pub(super) struct Link {
    caller: IpAddr,
    state: State,
    waiting: Vec<Vec<u8>>,
    buf: Vec<u8>,
}

/// What the connection brought.
pub(super) enum Got {
    /// The caller connected to this server's address.
    Accepted(SocketAddr),
    /// One H.245 message (a TPKT payload).
    Message(Vec<u8>),
    /// The connection is over: the reason.
    Closed(String),
}

impl Link {
    pub(super) fn new(caller: IpAddr) -> Link {
        Link { caller, state: State::None, waiting: Vec::new(), buf: vec![0; 4096] }
    }

    pub(super) fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }

    /// Connects to the caller's H.245 address; refuses an address that is not the caller's.
    pub(super) async fn connect(&mut self, at: SocketAddr) -> Result<(), String> {
        if at.ip() != self.caller {
            return Err(format!("the H.245 address {at} is not the caller's"));
        }
        let stream = match tokio::time::timeout(CONNECT_WAIT, TcpStream::connect(at)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(format!("connecting to {at}: {e}")),
            Err(_) => return Err(format!("connecting to {at}: no answer within 5 s")),
        };
        self.opened(stream).await
    }

    /// Listens for the caller's connection on `here` (port chosen by the system); the address
    /// to give the caller.
    pub(super) async fn listen(&mut self, here: IpAddr) -> Result<SocketAddr, String> {
        let l = TcpListener::bind((here, 0)).await.map_err(|e| format!("no TCP port for H.245: {e}"))?;
        let port = l.local_addr().map_err(|e| e.to_string())?.port();
        self.state = State::Listening(l);
        Ok(SocketAddr::new(here, port))
    }

    async fn opened(&mut self, stream: TcpStream) -> Result<(), String> {
        let _ = stream.set_nodelay(true);
        let (rd, mut wr) = stream.into_split();
        for m in std::mem::take(&mut self.waiting) {
            write(&mut wr, &m).await?;
        }
        self.state = State::Open { rd, wr, framer: Framer::new() };
        Ok(())
    }

    /// Sends one message now, or once the connection is there.
    pub(super) async fn send(&mut self, message: Vec<u8>) -> Result<(), String> {
        match &mut self.state {
            State::Open { wr, .. } => write(wr, &message).await,
            _ if self.waiting.len() >= MAX_WAITING => Err("too many H.245 messages wait for the connection".into()),
            _ => {
                self.waiting.push(message);
                Ok(())
            }
        }
    }

    /// The next thing the connection brings; never ready while there is no connection.
    pub(super) async fn next(&mut self) -> Got {
        loop {
            let accepted = match &mut self.state {
                State::None => return std::future::pending().await,
                State::Open { rd, framer, .. } => return read(rd, framer, &mut self.buf).await,
                State::Listening(l) => l.accept().await,
            };
            match accepted {
                Ok((stream, from)) if from.ip() == self.caller => {
                    return match self.opened(stream).await {
                        Ok(()) => Got::Accepted(from),
                        Err(e) => Got::Closed(e),
                    };
                }
                // Somebody else: refused, and the caller may still come.
                Ok((_, from)) => {
                    tracing::info!(from = %from, caller = %self.caller, "H.323: an H.245 connection from another address refused");
                    metrics::counter!("tessera_sip_media_refused_total").increment(1);
                }
                Err(e) => return Got::Closed(format!("accepting the H.245 connection: {e}")),
            }
        }
    }
}

async fn read(rd: &mut OwnedReadHalf, framer: &mut Framer, buf: &mut [u8]) -> Got {
    loop {
        match framer.next_packet() {
            Ok(Some(p)) => return Got::Message(p),
            Ok(None) => {}
            Err(e) => return Got::Closed(format!("the caller sent what is not TPKT on H.245 ({e})")),
        }
        match rd.read(buf).await {
            Ok(0) => return Got::Closed("the H.245 connection closed".into()),
            Ok(n) => framer.push(&buf[..n]),
            Err(e) => return Got::Closed(format!("the H.245 connection failed: {e}")),
        }
    }
}

async fn write(wr: &mut OwnedWriteHalf, message: &[u8]) -> Result<(), String> {
    let framed = tpkt::frame(message).map_err(|e| format!("an H.245 message too long for TPKT: {e}"))?;
    wr.write_all(&framed).await.map_err(|e| format!("the H.245 connection failed: {e}"))
}
