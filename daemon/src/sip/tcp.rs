//! SIP over TCP and TLS: messages back to back on a connection, framed by Content-Length. A
//! malformed message is answered (when it looks like a request) and the connection closed, since
//! framing cannot be trusted after it; an idle or oversized connection is closed.

use super::answer::{answer, is_local};
use super::limits::Limits;
use super::path::{Inbound, Path};
use std::sync::Arc;
use std::time::Duration;
use tessera_sip_h323_bridge::sip::check::Outcome;
use tessera_sip_h323_bridge::sip::check::{classify, parse_failure};
use tessera_sip_h323_bridge::sip::message::{Framing, MAX_MESSAGE, ParseError, parse};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

const IDLE: Duration = Duration::from_secs(60);
/// After the peer half-closes, how long to wait for answers still on their way.
const LINGER: Duration = Duration::from_secs(2);
/// A connection that carried an INVITE may be quiet for as long as a call lasts.
const IDLE_IN_CALL: Duration = Duration::from_secs(12 * 3600);
/// A TLS handshake that takes longer than this is given up.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Accepts connections: plain TCP, or TLS when `tls` is given.
pub async fn serve(listener: TcpListener, limits: Arc<Limits>, ua: mpsc::Sender<Inbound>, tls: Option<TlsAcceptor>) {
    let transport = if tls.is_some() { "tls" } else { "tcp" };
    loop {
        let (stream, from) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, transport, "SIP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if !limits.open_connection(from.ip()) {
            metrics::counter!("tessera_sip_messages_total", "transport" => transport, "outcome" => "connection_refused")
                .increment(1);
            drop(stream);
            continue;
        }
        let (limits, ua, tls) = (limits.clone(), ua.clone(), tls.clone());
        tokio::spawn(async move {
            match tls {
                None => connection(stream, from, &limits, ua, false, Outbox::new(), IDLE).await,
                Some(acceptor) => match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => connection(stream, from, &limits, ua, true, Outbox::new(), IDLE).await,
                    Ok(Err(e)) => {
                        tracing::info!(peer = %from, error = %e, "SIP TLS handshake failed");
                        metrics::counter!("tessera_sip_messages_total", "transport" => "tls", "outcome" => "handshake_failed")
                            .increment(1);
                    }
                    Err(_) => {
                        tracing::info!(peer = %from, "SIP TLS handshake timed out");
                        metrics::counter!("tessera_sip_messages_total", "transport" => "tls", "outcome" => "handshake_failed")
                            .increment(1);
                    }
                },
            }
            limits.release(from.ip());
        });
    }
}

/// Writes and flushes (TLS buffers records until flushed).
async fn write<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// What the user agent writes to a connection.
struct Outbox(mpsc::Sender<Vec<u8>>, mpsc::Receiver<Vec<u8>>);

impl Outbox {
    fn new() -> Outbox {
        let (tx, rx) = mpsc::channel(64);
        Outbox(tx, rx)
    }
}

/// A connection Tessera opens to call out (plain TCP): its path, which reads into the user
/// agent like an accepted one. Kept open for as long as a call may last.
pub async fn connect(
    to: std::net::SocketAddr,
    limits: Arc<Limits>,
    ua: mpsc::Sender<Inbound>,
) -> std::io::Result<Path> {
    let stream = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(to))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connecting took over 5 s"))??;
    let outbox = Outbox::new();
    let path = Path::Tcp { out: outbox.0.clone(), peer: to, secure: false };
    tokio::spawn(async move { connection(stream, to, &limits, ua, false, outbox, IDLE_IN_CALL).await });
    Ok(path)
}

async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    from: std::net::SocketAddr,
    limits: &Limits,
    ua: mpsc::Sender<Inbound>,
    secure: bool,
    outbox: Outbox,
    mut idle: Duration,
) {
    let ip = from.ip();
    let transport = if secure { "tls" } else { "tcp" };
    let Outbox(out, mut out_rx) = outbox;
    let path = Path::Tcp { out, peer: from, secure };
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        // Answer every complete message in the buffer.
        loop {
            match parse(&buf, Framing::Stream) {
                Ok((m, used)) => {
                    buf.drain(..used);
                    if !limits.allow_message(ip) {
                        let _ = write(
                            &mut stream,
                            b"SIP/2.0 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n",
                        )
                        .await;
                        metrics::counter!("tessera_sip_messages_total", "transport" => transport, "outcome" => "rate_limited").increment(1);
                        return;
                    }
                    let outcome = classify(m);
                    let for_ua = match &outcome {
                        Outcome::Request(m) => !is_local(m.method()),
                        Outcome::Response(_) => true,
                        _ => false,
                    };
                    if for_ua {
                        let (Outcome::Request(msg) | Outcome::Response(msg)) = outcome else { continue };
                        if msg.method() == Some("INVITE") {
                            idle = IDLE_IN_CALL;
                        }
                        metrics::counter!("tessera_sip_messages_total", "transport" => transport, "outcome" => "to_ua")
                            .increment(1);
                        if ua.send(Inbound { msg, path: path.clone(), key: None }).await.is_err() {
                            return;
                        }
                        continue;
                    }
                    let (reply, label) = answer(outcome);
                    metrics::counter!("tessera_sip_messages_total", "transport" => transport, "outcome" => label)
                        .increment(1);
                    if let Some((_, bytes)) = reply
                        && write(&mut stream, &bytes).await.is_err()
                    {
                        return;
                    }
                }
                Err(ParseError::Incomplete) => break,
                Err(e) => {
                    let (reply, label) = answer(parse_failure(&buf, e));
                    metrics::counter!("tessera_sip_messages_total", "transport" => transport, "outcome" => label)
                        .increment(1);
                    if let Some((_, bytes)) = reply {
                        let _ = write(&mut stream, &bytes).await;
                    }
                    drop(path);
                    linger(&mut stream, &mut out_rx).await;
                    return;
                }
            }
        }
        if buf.len() > MAX_MESSAGE {
            return;
        }
        tokio::select! {
            r = tokio::time::timeout(idle, stream.read(&mut chunk)) => match r {
                Ok(Ok(0)) => {
                    drop(path);
                    linger(&mut stream, &mut out_rx).await;
                    return;
                }
                Ok(Err(_)) | Err(_) => return,
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            },
            Some(bytes) = out_rx.recv() => {
                if write(&mut stream, &bytes).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Before closing: answers still being worked out for this connection go out first.
async fn linger<S: AsyncWrite + Unpin>(stream: &mut S, out_rx: &mut mpsc::Receiver<Vec<u8>>) {
    while let Ok(Some(bytes)) = tokio::time::timeout(LINGER, out_rx.recv()).await {
        if write(stream, &bytes).await.is_err() {
            return;
        }
    }
}
