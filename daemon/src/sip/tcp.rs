//! SIP over TCP: messages back to back on a connection, framed by Content-Length. A malformed
//! message is answered (when it looks like a request) and the connection closed, since framing
//! cannot be trusted after it; an idle or oversized connection is closed.

use super::answer::{answer, is_local};
use super::limits::Limits;
use super::path::{Inbound, Path};
use std::sync::Arc;
use std::time::Duration;
use tessera_sip_h323_bridge::sip::check::Outcome;
use tessera_sip_h323_bridge::sip::check::{classify, parse_failure};
use tessera_sip_h323_bridge::sip::message::{Framing, MAX_MESSAGE, ParseError, parse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const IDLE: Duration = Duration::from_secs(60);
/// After the peer half-closes, how long to wait for answers still on their way.
const LINGER: Duration = Duration::from_secs(2);
/// A connection that carried an INVITE may be quiet for as long as a call lasts.
const IDLE_IN_CALL: Duration = Duration::from_secs(12 * 3600);

pub async fn serve(listener: TcpListener, limits: Arc<Limits>, ua: mpsc::Sender<Inbound>) {
    loop {
        let (stream, from) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "SIP TCP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if !limits.open_connection(from.ip()) {
            metrics::counter!("tessera_sip_messages_total", "transport" => "tcp", "outcome" => "connection_refused")
                .increment(1);
            drop(stream);
            continue;
        }
        let (limits, ua) = (limits.clone(), ua.clone());
        tokio::spawn(async move {
            connection(stream, from, &limits, ua).await;
            limits.release(from.ip());
        });
    }
}

async fn connection(mut stream: TcpStream, from: std::net::SocketAddr, limits: &Limits, ua: mpsc::Sender<Inbound>) {
    let ip = from.ip();
    let (out, mut out_rx) = mpsc::channel::<Vec<u8>>(64);
    let path = Path::Tcp { out, peer: from };
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut idle = IDLE;
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        // Answer every complete message in the buffer.
        loop {
            match parse(&buf, Framing::Stream) {
                Ok((m, used)) => {
                    buf.drain(..used);
                    if !limits.allow_message(ip) {
                        let _ = stream
                            .write_all(
                                b"SIP/2.0 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n",
                            )
                            .await;
                        metrics::counter!("tessera_sip_messages_total", "transport" => "tcp", "outcome" => "rate_limited").increment(1);
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
                        metrics::counter!("tessera_sip_messages_total", "transport" => "tcp", "outcome" => "to_ua")
                            .increment(1);
                        if ua.send(Inbound { msg, path: path.clone(), key: None }).await.is_err() {
                            return;
                        }
                        continue;
                    }
                    let (reply, label) = answer(outcome);
                    metrics::counter!("tessera_sip_messages_total", "transport" => "tcp", "outcome" => label)
                        .increment(1);
                    if let Some((_, bytes)) = reply
                        && stream.write_all(&bytes).await.is_err()
                    {
                        return;
                    }
                }
                Err(ParseError::Incomplete) => break,
                Err(e) => {
                    let (reply, label) = answer(parse_failure(&buf, e));
                    metrics::counter!("tessera_sip_messages_total", "transport" => "tcp", "outcome" => label)
                        .increment(1);
                    if let Some((_, bytes)) = reply {
                        let _ = stream.write_all(&bytes).await;
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
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Before closing: answers still being worked out for this connection go out first.
async fn linger(stream: &mut TcpStream, out_rx: &mut mpsc::Receiver<Vec<u8>>) {
    while let Ok(Some(bytes)) = tokio::time::timeout(LINGER, out_rx.recv()).await {
        if stream.write_all(&bytes).await.is_err() {
            return;
        }
    }
}
