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
use tessera_sip_h323_bridge::sip::stream::StreamReader;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

/// After the peer half-closes, how long to wait for answers still on their way.
const LINGER: Duration = Duration::from_secs(2);
/// A connection that a call (or a registration) still uses may be quiet for as long as a call
/// lasts; once nothing uses it, `sip.tcp_idle_seconds` applies again. An INVITE alone does not
/// keep it open.
const IDLE_IN_USE: Duration = Duration::from_secs(12 * 3600);
/// A message must arrive whole within this long of its first byte, or the idle time if shorter
/// (a peer trickling bytes to hold a connection is cut off).
const MESSAGE_TIME: Duration = Duration::from_secs(30);
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
                None => connection(stream, from, &limits, ua, false, Outbox::new()).await,
                Some(acceptor) => match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => connection(stream, from, &limits, ua, true, Outbox::new()).await,
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

/// A connection Tessera opens to call out, plain TCP or, with `tls` (the connector and the name
/// the callee's certificate must carry), TLS: its path, which reads into the user agent like an
/// accepted one. Kept open while the call uses it.
pub async fn connect(
    to: std::net::SocketAddr,
    tls: Option<(&tokio_rustls::TlsConnector, tokio_rustls::rustls::pki_types::ServerName<'static>)>,
    limits: Arc<Limits>,
    ua: mpsc::Sender<Inbound>,
) -> std::io::Result<Path> {
    let timed_out = || std::io::Error::new(std::io::ErrorKind::TimedOut, "connecting took over 5 s");
    let stream = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(to))
        .await
        .map_err(|_| timed_out())??;
    let outbox = Outbox::new();
    let path = Path::Tcp { out: outbox.0.clone(), peer: to, secure: tls.is_some() };
    match tls {
        None => {
            tokio::spawn(async move { connection(stream, to, &limits, ua, false, outbox).await });
        }
        Some((connector, name)) => {
            let stream = tokio::time::timeout(Duration::from_secs(5), connector.connect(name, stream))
                .await
                .map_err(|_| timed_out())??;
            tokio::spawn(async move { connection(stream, to, &limits, ua, true, outbox).await });
        }
    }
    Ok(path)
}

async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    from: std::net::SocketAddr,
    limits: &Limits,
    ua: mpsc::Sender<Inbound>,
    secure: bool,
    outbox: Outbox,
) {
    let ip = from.ip();
    let transport = if secure { "tls" } else { "tcp" };
    let Outbox(out, mut out_rx) = outbox;
    // A handle of our own on the sending side: more than this one (and the path's) means a
    // call or a registration holds the connection.
    let in_use = out.clone();
    let path = Path::Tcp { out, peer: from, secure };
    let mut reader = StreamReader::default();
    let mut chunk = vec![0u8; 16 * 1024];
    let idle = limits.tcp_idle;
    let message_time = MESSAGE_TIME.min(idle);
    let mut quiet_since = tokio::time::Instant::now();
    // When the bytes of an incomplete message started to arrive.
    let mut partial_since: Option<tokio::time::Instant> = None;
    loop {
        // Answer every complete message received.
        loop {
            match reader.next_message() {
                Ok(Some(m)) => {
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
                Ok(None) => break,
                Err(e) => {
                    let (reply, label) = answer(parse_failure(reader.pending(), e));
                    metrics::counter!("tessera_sip_messages_total", "transport" => transport, "outcome" => label)
                        .increment(1);
                    if let Some((_, bytes)) = reply {
                        let _ = write(&mut stream, &bytes).await;
                    }
                    drop((path, in_use));
                    linger(&mut stream, &mut out_rx).await;
                    return;
                }
            }
        }
        let now = tokio::time::Instant::now();
        partial_since = if reader.pending().is_empty() { None } else { partial_since.or(Some(now)) };
        if partial_since.is_some_and(|t| now.duration_since(t) > message_time) {
            tracing::info!(peer = %from, transport, "SIP connection closed: a message took too long to arrive");
            metrics::counter!("tessera_sip_messages_total", "transport" => transport, "outcome" => "too_slow")
                .increment(1);
            return;
        }
        // Waits in steps, so that a connection nobody uses any more closes after IDLE even if
        // a call held it when the wait began.
        let step = partial_since
            .map_or(idle, |t| (t + message_time + Duration::from_millis(10)).saturating_duration_since(now));
        tokio::select! {
            r = tokio::time::timeout(step, stream.read(&mut chunk)) => match r {
                Ok(Ok(0)) => {
                    drop((path, in_use));
                    linger(&mut stream, &mut out_rx).await;
                    return;
                }
                Ok(Err(_)) => return,
                Err(_) => {
                    let quiet = quiet_since.elapsed();
                    let in_call = in_use.strong_count() > 2;
                    if partial_since.is_none() && (!in_call && quiet >= idle || quiet >= IDLE_IN_USE) {
                        return;
                    }
                }
                Ok(Ok(n)) => {
                    quiet_since = tokio::time::Instant::now();
                    reader.push(&chunk[..n]);
                }
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
