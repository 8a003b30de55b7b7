//! The address browsers are told to send to behind a 1:1 NAT (`media.external_address`): the
//! answer's host candidates of that address's family carry it instead of the local address
//! their socket is bound to, as mediasoup's `announcedIp` does. The ICE agent (lite) keeps its
//! sockets; the NAT forwards what the browser sends to the public address. (The webrtc crate
//! 0.21 stores a 1:1 NAT setting but does not apply it.)

use std::net::IpAddr;

/// `sdp` with every host candidate of `external`'s family on `external`.
pub fn host_candidates_on(sdp: &str, external: IpAddr) -> String {
    let mut out = String::with_capacity(sdp.len());
    for line in sdp.split_inclusive('\n') {
        out.push_str(&rewrite(line, external).unwrap_or_else(|| line.to_string()));
    }
    out
}

/// `a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ host …`
fn rewrite(line: &str, external: IpAddr) -> Option<String> {
    let body = line.strip_prefix("a=candidate:")?;
    let fields: Vec<&str> = body.split(' ').collect();
    if fields.len() < 8 || fields[6] != "typ" || fields[7].trim_end() != "host" {
        return None;
    }
    let local: IpAddr = fields[4].parse().ok()?;
    if local.is_ipv4() != external.is_ipv4() {
        return None;
    }
    let external = external.to_string();
    let mut fields = fields;
    fields[4] = &external;
    Some(format!("a=candidate:{}", fields.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_candidates_of_the_family_carry_the_external_address() {
        let sdp = "v=0\r\na=candidate:1 1 udp 2130706431 10.0.0.5 40000 typ host\r\n\
                   a=candidate:2 1 udp 2130706431 2001:db8::5 40002 typ host\r\n\
                   a=candidate:3 1 tcp 1671430143 10.0.0.5 9 typ host tcptype passive\r\n\
                   a=candidate:4 1 udp 1694498815 198.51.100.1 40004 typ srflx raddr 10.0.0.5 rport 40004\r\n\
                   a=end-of-candidates\r\n";
        let out = host_candidates_on(sdp, "203.0.113.7".parse().unwrap());
        assert_eq!(
            out,
            "v=0\r\na=candidate:1 1 udp 2130706431 203.0.113.7 40000 typ host\r\n\
             a=candidate:2 1 udp 2130706431 2001:db8::5 40002 typ host\r\n\
             a=candidate:3 1 tcp 1671430143 203.0.113.7 9 typ host tcptype passive\r\n\
             a=candidate:4 1 udp 1694498815 198.51.100.1 40004 typ srflx raddr 10.0.0.5 rport 40004\r\n\
             a=end-of-candidates\r\n"
        );
        assert_eq!(host_candidates_on("a=candidate:x\r\n", "203.0.113.7".parse().unwrap()), "a=candidate:x\r\n");
    }
}
