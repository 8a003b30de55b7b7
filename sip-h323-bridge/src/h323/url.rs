//! H.323 addresses as people write them (the `h323` URL scheme of RFC 3508, and the forms
//! address books hold): `h323:room@10.0.0.7`, `h323:10.0.0.7:1721`, `h323:4321@gw.example.org`,
//! `h323:[2001:db8::7]`, with `;parameters` ignored. The part before `@` is whom to ask for at
//! that address (an E.164 number or an h323-ID); the host is where the call goes. An address
//! without a host names an endpoint only a gatekeeper could find, which this server does not
//! ask: it is refused.

use super::alias;
use tessera_h323_asn::h323_messages::AliasAddress;

/// The TCP port of H.323 call signalling (H.225.0).
pub const PORT: u16 = 1720;

/// An address to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Whom to ask for at the host: dialled digits or an h323-ID.
    pub alias: Option<String>,
    /// A name or an IP address, without brackets.
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("it does not start with h323:")]
    Scheme,
    #[error("it names no host to call (give user@host or host)")]
    NoHost,
    #[error("the host {0:?} is not a name or an IP address")]
    Host(String),
    #[error("the port {0:?} is not a number from 1 to 65535")]
    Port(String),
    #[error("the name before @ is empty, too long, or has characters an H.323 alias cannot carry")]
    Alias,
}

impl Address {
    /// The alias as H.225.0 carries it: digits (with `*`, `#`) as dialled digits, anything else
    /// as an h323-ID.
    pub fn destination(&self) -> Option<AliasAddress> {
        let a = self.alias.as_deref()?;
        alias::dialled_digits(a).or_else(|| alias::h323_id(a))
    }
}

fn host_ok(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

/// Reads `h323:[alias@]host[:port][;parameters]`.
pub fn parse(url: &str) -> Result<Address, UrlError> {
    let rest = url.trim();
    let rest = rest.strip_prefix("h323:").or_else(|| rest.strip_prefix("H323:")).ok_or(UrlError::Scheme)?;
    let rest = rest.split(';').next().unwrap_or_default();
    let (user, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    if hostport.is_empty() {
        return Err(UrlError::NoHost);
    }
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (h, after) = inner.split_once(']').ok_or_else(|| UrlError::Host(hostport.into()))?;
        if h.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlError::Host(h.into()));
        }
        match after {
            "" => (h, None),
            p => (h, Some(p.strip_prefix(':').ok_or_else(|| UrlError::Port(p.into()))?)),
        }
    } else if hostport.matches(':').count() > 1 {
        // A bare IPv6 address: no port can follow it unbracketed.
        (hostport, None)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if !host_ok(host) {
        return Err(UrlError::Host(host.into()));
    }
    let port = match port {
        None => PORT,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| UrlError::Port(p.into()))?,
    };
    let alias = match user {
        None => None,
        Some(u) => {
            let ok = !u.is_empty() && !u.chars().any(char::is_control);
            if !ok || (alias::dialled_digits(u).is_none() && alias::h323_id(u).is_none()) {
                return Err(UrlError::Alias);
            }
            Some(u.to_string())
        }
    };
    Ok(Address { alias, host: host.to_string(), port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(alias: Option<&str>, host: &str, port: u16) -> Address {
        Address { alias: alias.map(str::to_string), host: host.into(), port }
    }

    #[test]
    fn the_forms_people_write_read() {
        assert_eq!(parse("h323:room@10.0.0.7"), Ok(a(Some("room"), "10.0.0.7", 1720)));
        assert_eq!(parse("h323:10.0.0.7:1721"), Ok(a(None, "10.0.0.7", 1721)));
        assert_eq!(parse("h323:4321@gw.example.org;transport=tcp"), Ok(a(Some("4321"), "gw.example.org", 1720)));
        assert_eq!(parse("h323:[2001:db8::7]:1730"), Ok(a(None, "2001:db8::7", 1730)));
        assert_eq!(parse("h323:2001:db8::7"), Ok(a(None, "2001:db8::7", 1720)));
        assert_eq!(parse("h323:Room 101@10.0.0.7"), Ok(a(Some("Room 101"), "10.0.0.7", 1720)));
        let digits = parse("h323:4321@10.0.0.7").unwrap().destination().unwrap();
        assert!(matches!(digits, AliasAddress::dialledDigits(_)));
        let name = parse("h323:room@10.0.0.7").unwrap().destination().unwrap();
        assert!(matches!(name, AliasAddress::h323_ID(_)));
    }

    #[test]
    fn what_cannot_be_called_says_why() {
        assert_eq!(parse("sip:room@10.0.0.7"), Err(UrlError::Scheme));
        assert_eq!(parse("h323:"), Err(UrlError::NoHost));
        assert_eq!(parse("h323:room@"), Err(UrlError::NoHost));
        assert_eq!(parse("h323:10.0.0.7:0"), Err(UrlError::Port("0".into())));
        assert_eq!(parse("h323:10.0.0.7:http"), Err(UrlError::Port("http".into())));
        assert_eq!(parse("h323:[::1]x"), Err(UrlError::Port("x".into())));
        assert_eq!(parse("h323:[nothost]"), Err(UrlError::Host("nothost".into())));
        assert_eq!(parse("h323:a_b.example"), Err(UrlError::Host("a_b.example".into())));
        assert_eq!(parse("h323:@10.0.0.7"), Err(UrlError::Alias));
        assert_eq!(parse("h323:🎥@10.0.0.7"), Err(UrlError::Alias));
        assert_eq!(parse(&format!("h323:{}@10.0.0.7", "x".repeat(300))), Err(UrlError::Alias));
    }
}
