//! SIP over UDP: one datagram, one message; answers go back to the source address.

use super::answer::answer;
use super::limits::Limits;
use std::sync::Arc;
use tessera_sip_h323_bridge::sip::check::datagram;
use tokio::net::UdpSocket;

pub async fn serve(socket: UdpSocket, limits: Arc<Limits>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "SIP UDP receive failed");
                continue;
            }
        };
        if !limits.allow_message(from.ip()) {
            metrics::counter!("tessera_sip_messages_total", "transport" => "udp", "outcome" => "rate_limited")
                .increment(1);
            continue;
        }
        let (reply, label) = answer(datagram(&buf[..n]));
        metrics::counter!("tessera_sip_messages_total", "transport" => "udp", "outcome" => label).increment(1);
        if let Some(bytes) = reply
            && let Err(e) = socket.send_to(&bytes, from).await
        {
            tracing::debug!(to = %from, error = %e, "SIP UDP send failed");
        }
    }
}
