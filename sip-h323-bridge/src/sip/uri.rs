//! URIs in SIP: `sip:`/`sips:` URIs parsed into their parts (RFC 3261 §19.1), any other scheme
//! (`tel:`, `http:`, `urn:`…) kept whole, so a server can answer 416 to what it cannot use.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    pub secure: bool,
    /// Still escaped, as received (`%00` stays three characters: never truncated at a NUL).
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<(String, Option<String>)>,
    /// The `?…` part, unparsed.
    pub headers: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    Sip(SipUri),
    /// Another scheme, whole.
    Other {
        scheme: String,
        rest: String,
    },
}

impl Uri {
    pub fn scheme(&self) -> &str {
        match self {
            Uri::Sip(u) if u.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Other { scheme, .. } => scheme,
        }
    }
}

fn bad(why: impl Into<String>) -> String {
    why.into()
}

fn check_escapes(s: &str, what: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(bad(format!("{what}: '%' not followed by two hex digits")));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

fn is_param_char(c: char) -> bool {
    // paramchar = param-unreserved / unreserved / escaped
    c.is_ascii_alphanumeric() || "-_.!~*'()[]/:&+$%".contains(c)
}

pub fn parse(s: &str) -> Result<Uri, String> {
    if s.is_empty() {
        return Err(bad("empty URI"));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c)) {
        return Err(bad(format!("URI {s:?} contains spaces, control characters, quotes or angle brackets")));
    }
    let (scheme, rest) = s.split_once(':').ok_or_else(|| bad(format!("URI {s:?} has no scheme")))?;
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return Err(bad(format!("URI scheme {scheme:?} is malformed")));
    }
    let secure = match scheme.to_ascii_lowercase().as_str() {
        "sip" => false,
        "sips" => true,
        _ => {
            if rest.is_empty() {
                return Err(bad(format!("{scheme}: URI is empty")));
            }
            return Ok(Uri::Other { scheme: scheme.to_string(), rest: rest.to_string() });
        }
    };
    let (userinfo, rest) = match rest.split_once('@') {
        Some((u, r)) => (Some(u), r),
        None => (None, rest),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(u) => {
            let (user, pw) = match u.split_once(':') {
                Some((a, b)) => (a, Some(b)),
                None => (u, None),
            };
            if user.is_empty() {
                return Err(bad("empty user part before '@'"));
            }
            check_escapes(user, "user")?;
            if let Some(p) = pw {
                check_escapes(p, "password")?;
            }
            (Some(user.to_string()), pw.map(str::to_string))
        }
    };
    let (rest, headers) = match rest.split_once('?') {
        Some((a, h)) => (a, Some(h.to_string())),
        None => (rest, None),
    };
    let mut parts = rest.split(';');
    let hostport = parts.next().unwrap_or_default();
    let (host, port) = split_hostport(hostport)?;
    let mut params = Vec::new();
    for p in parts {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (p, None),
        };
        if name.is_empty() || !name.chars().all(is_param_char) {
            return Err(bad(format!("URI parameter {p:?} is malformed")));
        }
        if let Some(v) = value
            && (v.is_empty() || !v.chars().all(is_param_char))
        {
            return Err(bad(format!("URI parameter {p:?} has a malformed value")));
        }
        params.push((name.to_string(), value.map(str::to_string)));
    }
    Ok(Uri::Sip(SipUri { secure, user, password, host, port, params, headers }))
}

/// `host[:port]`, the host a name, IPv4 address or bracketed IPv6 reference.
pub fn split_hostport(hp: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(v6) = hp.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or_else(|| bad("unterminated IPv6 reference"))?;
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad(format!("{addr:?} is not an IPv6 address")));
        }
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(bad(format!("junk after IPv6 reference: {after:?}"))),
        };
        (format!("[{addr}]"), port)
    } else {
        match hp.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hp.to_string(), None),
        }
    };
    if !host.starts_with('[')
        && (host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
    {
        return Err(bad(format!("host {host:?} is malformed")));
    }
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad(format!("port {p:?} is not a number from 1 to 65535")))?,
        ),
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_uris() {
        let Uri::Sip(u) = parse("sip:user;par=u%40example.net@example.com:5070;lr;transport=tcp?Subject=x").unwrap()
        else {
            panic!()
        };
        assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
        assert_eq!((u.host.as_str(), u.port), ("example.com", Some(5070)));
        assert_eq!(u.params, [("lr".to_string(), None), ("transport".to_string(), Some("tcp".to_string()))]);
        assert_eq!(u.headers.as_deref(), Some("Subject=x"));
        let Uri::Sip(u) = parse("sips:[2001:db8::10]:5061").unwrap() else { panic!() };
        assert!(u.secure && u.host == "[2001:db8::10]" && u.port == Some(5061));
        assert_eq!(parse("tel:+1-201-555-0123").unwrap().scheme(), "tel");
        let Uri::Sip(u) = parse("sip:%00%00@example.com").unwrap() else { panic!() };
        assert_eq!(u.user.as_deref(), Some("%00%00"));
    }

    #[test]
    fn malformed_uris_say_why() {
        for bad in [
            "",
            "<sip:a@b>",
            "sip:a@b; lr",
            "sip:a@b;;x",
            "sip:@b",
            "sip:a@",
            "sip:a@b:0",
            "sip:a@b:70000",
            "sip:a%zz@b",
            "sip:a@[::1",
            "1sip:a",
            "nocolon",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
