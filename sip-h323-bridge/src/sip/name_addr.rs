//! `name-addr` / `addr-spec` with header parameters: the values of From, To, Contact,
//! Route and Record-Route (RFC 3261 §20.10, §25.1).

use super::is_token;
use super::uri::{self, Uri};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// Unquoted, escapes resolved.
    pub display: Option<String>,
    pub uri: Uri,
    pub params: Vec<(String, Option<String>)>,
}

impl NameAddr {
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_deref())
    }

    pub fn tag(&self) -> Option<&str> {
        self.param("tag").flatten()
    }
}

/// Reads a quoted string at the start of `s` (which starts with `"`): (unescaped text, rest).
pub fn quoted(s: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => match chars.next() {
                Some((_, e)) => out.push(e),
                None => break,
            },
            c => out.push(c),
        }
    }
    Err("unterminated quoted string".into())
}

/// `;name[=value]` parameters, whitespace around `;` and `=` allowed, no empty ones.
pub fn params(mut s: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Ok(out);
        }
        let Some(r) = s.strip_prefix(';') else {
            return Err(format!("expected ';' before {s:?}"));
        };
        let r = r.trim_start();
        let end = r.find(|c: char| c == ';' || c == '=' || c.is_whitespace()).unwrap_or(r.len());
        let name = &r[..end];
        if !is_token(name) {
            return Err(format!("empty or malformed parameter before {r:?}"));
        }
        let mut rest = r[end..].trim_start();
        let value = if let Some(v) = rest.strip_prefix('=') {
            let v = v.trim_start();
            if v.starts_with('"') {
                let (text, after) = quoted(v)?;
                rest = after;
                Some(text)
            } else {
                let vend = v.find(|c: char| c == ';' || c.is_whitespace()).unwrap_or(v.len());
                let value = &v[..vend];
                if value.is_empty() || !value.chars().all(|c| super::is_token_char(c) || ":[]".contains(c)) {
                    return Err(format!("parameter {name} has a malformed value"));
                }
                rest = &v[vend..];
                Some(value.to_string())
            }
        } else {
            None
        };
        out.push((name.to_string(), value));
        s = rest;
    }
}

pub fn parse(s: &str) -> Result<NameAddr, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty address".into());
    }
    let (display, rest) = if s.starts_with('"') {
        let (d, rest) = quoted(s)?;
        (Some(d), rest.trim_start())
    } else if let Some(lt) = s.find('<') {
        let d = s[..lt].trim();
        if !d.is_empty() && !d.split_whitespace().all(is_token) {
            return Err(format!("display name {d:?} must be quoted"));
        }
        (if d.is_empty() { None } else { Some(d.split_whitespace().collect::<Vec<_>>().join(" ")) }, &s[lt..])
    } else {
        (None, s)
    };
    if let Some(inner) = rest.strip_prefix('<') {
        let (u, after) = inner.split_once('>').ok_or("'<' without '>'")?;
        let uri = uri::parse(u)?;
        return Ok(NameAddr { display, uri, params: params(after)? });
    }
    if display.is_some() {
        return Err("a display name must be followed by <URI>".into());
    }
    // addr-spec: the URI ends at the first ';' (what follows are the header's parameters); it may
    // not carry '?' headers or commas without angle brackets.
    let (u, after) = match rest.find(';') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let u = u.trim_end();
    if u.contains('?') || u.contains(',') {
        return Err(format!("{u:?}: a URI with '?' or ',' must be enclosed in <>"));
    }
    Ok(NameAddr { display: None, uri: uri::parse(u)?, params: params(after)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_addresses() {
        let a = parse(r#""J Rosenberg \\\""       <sip:jdrosen@example.com> ;  tag = 98asjd8"#).unwrap();
        assert_eq!(a.display.as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(a.tag(), Some("98asjd8"));
        let a = parse("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n").unwrap();
        assert_eq!((a.display.as_deref(), a.tag()), (None, Some("1918181833n")));
        let a = parse(r#""caller"<sip:caller@example.com>;tag=323"#).unwrap();
        assert_eq!(a.display.as_deref(), Some("caller"));
        let a = parse("token1~` token2'+_ <sip:mundane@example.com>;p=\"x y\"").unwrap();
        assert_eq!(a.display.as_deref(), Some("token1~` token2'+_"));
        assert_eq!(a.param("p"), Some(Some("x y")));
        assert!(matches!(parse("<isbn:2983792873>").unwrap().uri, Uri::Other { .. }));
    }

    #[test]
    fn malformed_addresses() {
        for bad in [
            r#""Mr. J. User <sip:j.user@example.com>"#,
            "<sip:a@b>;;;;",
            "sip:user@example.com?Route=%3Csip:x%3E",
            "Bell <sip:a@b",
            "< sip:t.watson@example.org >",
            "Bell",
            "Watson, Thomas <sip:a@b>",
            "<sip:a@b>;tag=",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
