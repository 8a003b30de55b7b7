//! SIP over TCP: messages back to back on a connection, framed by Content-Length. A malformed
//! message is answered (when it looks like a request) and the connection closed, since framing
//! cannot be trusted after it; an idle or oversized connection is closed.

use super::answer::answer;
use super::limits::Limits;
use std::sync::Arc;
use std::time::Duration;
use tessera_sip_h323_bridge::sip::check::{classify, parse_failure};
use tessera_sip_h323_bridge::sip::message::{Framing, MAX_MESSAGE, ParseError, parse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const IDLE: Duration = Duration::from_secs(60);

pub async fn serve(listener: TcpListener, limits: Arc<Limits>) {
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
        let limits = limits.clone();
        tokio::spawn(async move {
            connection(stream, from.ip(), &limits).await;
            limits.release(from.ip());
        });
    }
}

async fn connection(mut stream: TcpStream, ip: std::net::IpAddr, limits: &Limits) {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
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
                    let (reply, label) = answer(classify(m));
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
                    return;
                }
            }
        }
        if buf.len() > MAX_MESSAGE {
            return;
        }
        match tokio::time::timeout(IDLE, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
