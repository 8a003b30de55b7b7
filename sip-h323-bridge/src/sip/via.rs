//! The Via header: `SIP / 2.0 / transport sent-by *( ; param )`, whitespace allowed around the
//! slashes (RFC 3261 §20.42).

use super::name_addr::params;
use super::uri::split_hostport;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Uppercase: UDP, TCP, TLS, SCTP, WS… (unknown ones are kept: they are legal).
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<(String, Option<String>)>,
}

impl Via {
    pub fn branch(&self) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case("branch")).and_then(|(_, v)| v.as_deref())
    }
}

pub fn parse(s: &str) -> Result<Via, String> {
    let mut parts = s.splitn(3, '/');
    let (proto, version, rest) = match (parts.next(), parts.next(), parts.next()) {
        (Some(p), Some(v), Some(r)) => (p.trim(), v.trim(), r.trim_start()),
        _ => return Err(format!("Via {s:?} lacks SIP/2.0/transport")),
    };
    if !proto.eq_ignore_ascii_case("SIP") || version != "2.0" {
        return Err(format!("Via protocol {proto}/{version} is not SIP/2.0"));
    }
    let tend = rest.find(char::is_whitespace).ok_or_else(|| format!("Via {s:?} has no sent-by"))?;
    let transport = &rest[..tend];
    if !super::is_token(transport) {
        return Err(format!("Via transport {transport:?} is malformed"));
    }
    let rest = rest[tend..].trim_start();
    let hend = rest.find(|c: char| c == ';' || c.is_whitespace()).unwrap_or(rest.len());
    let (host, port) = split_hostport(&rest[..hend])?;
    Ok(Via { transport: transport.to_ascii_uppercase(), host, port, params: params(&rest[hend..])? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vias() {
        let v = parse("SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!((v.transport.as_str(), v.host.as_str(), v.branch()), ("UDP", "192.0.2.2", Some("390skdjuw")));
        let v = parse("SIP/2.0/TCP spindle.example.com:5070 ;  branch  =   z9hG4bK9ikj8").unwrap();
        assert_eq!((v.port, v.branch()), (Some(5070), Some("z9hG4bK9ikj8")));
        assert_eq!(parse("SIP/2.0/FOO example.com").unwrap().transport, "FOO");
        for bad in ["SIP/2.0/UDP 192.0.2.15;;", "SIP/3.0/UDP a", "SIP/2.0/UDP", "SIP/2.0/UDP a b"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
