//! The SIP transports: UDP and TCP listeners on `sip.listen` that frame and check every message
//! with the bridge's sans-IO message layer and answer. Calls are not connected yet (that is the
//! SIP issue's next layers): OPTIONS is answered 200, other requests 480, malformed ones with the
//! status RFC 3261/4475 call for. Limits keep the server alive: message size, a rate per source
//! address, TCP connections per address and in all, idle TCP connections closed.

mod answer;
mod limits;
mod tcp;
mod udp;

use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct SipSettings {
    pub listen: SocketAddr,
    pub max_messages_per_second: u32,
    pub max_tcp_connections: usize,
    pub max_tcp_connections_per_address: usize,
}

pub struct SipServer {
    pub udp: SocketAddr,
    pub tcp: SocketAddr,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

pub async fn start(s: SipSettings) -> anyhow::Result<SipServer> {
    let udp = tokio::net::UdpSocket::bind(s.listen)
        .await
        .with_context(|| format!("SIP over UDP on {} (sip.listen / TESSERA_SIP_LISTEN)", s.listen))?;
    let tcp = tokio::net::TcpListener::bind(s.listen)
        .await
        .with_context(|| format!("SIP over TCP on {} (sip.listen / TESSERA_SIP_LISTEN)", s.listen))?;
    let (udp_addr, tcp_addr) = (udp.local_addr()?, tcp.local_addr()?);
    let limits = Arc::new(limits::Limits::new(&s));
    let tasks = vec![tokio::spawn(udp::serve(udp, limits.clone())), tokio::spawn(tcp::serve(tcp, limits))];
    tracing::info!(udp = %udp_addr, tcp = %tcp_addr, "SIP listening");
    Ok(SipServer { udp: udp_addr, tcp: tcp_addr, tasks })
}

impl Drop for SipServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
