//! The listeners that are off unless configured (an empty string): each read as a socket
//! address, or an error naming its key and an example.

use super::Config;
use anyhow::Context;
use std::net::SocketAddr;

/// `value` of `key` as an address; `None` when empty.
fn optional(key: &str, value: &str, example: &str) -> anyhow::Result<Option<SocketAddr>> {
    if value.is_empty() {
        return Ok(None);
    }
    value.parse().map(Some).with_context(|| format!("{key} = {value:?} is not an address like {example}"))
}

impl Config {
    pub fn rtsp_listen(&self) -> anyhow::Result<Option<SocketAddr>> {
        optional("media.rtsp_listen", &self.media.rtsp_listen, "127.0.0.1:8554")
    }

    pub fn h323_listen(&self) -> anyhow::Result<Option<SocketAddr>> {
        optional("sip.h323_listen", &self.sip.h323_listen, "0.0.0.0:1720")
    }

    pub fn h323_gatekeeper_listen(&self) -> anyhow::Result<Option<SocketAddr>> {
        optional("sip.h323_gatekeeper_listen", &self.sip.h323_gatekeeper_listen, "0.0.0.0:1719")
    }

    pub fn sip_tls_listen(&self) -> anyhow::Result<Option<SocketAddr>> {
        optional("sip.tls_listen", &self.sip.tls_listen, "0.0.0.0:5061")
    }
}
