//! The header list of a message: names as received, compared case-insensitively with compact
//! forms expanded, values unfolded. Order is kept (Via and Route order matter).

/// RFC 3261 (and extensions') compact header forms.
const COMPACT: &[(&str, &str)] = &[
    ("i", "call-id"),
    ("m", "contact"),
    ("e", "content-encoding"),
    ("l", "content-length"),
    ("c", "content-type"),
    ("f", "from"),
    ("s", "subject"),
    ("k", "supported"),
    ("t", "to"),
    ("v", "via"),
    ("o", "event"),
    ("r", "refer-to"),
    ("u", "allow-events"),
    ("x", "session-expires"),
    ("b", "referred-by"),
    ("a", "accept-contact"),
    ("j", "reject-contact"),
    ("d", "request-disposition"),
    ("y", "identity"),
    ("n", "identity-info"),
];

/// The full lowercase name for a header name as received.
pub fn canonical(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    COMPACT.iter().find(|(c, _)| *c == lower).map_or(lower, |(_, full)| full.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// As received.
    pub name: String,
    /// Lowercase, compact forms expanded.
    pub key: String,
    /// Unfolded (continuation lines joined with one space), trimmed.
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<Header>);

impl Headers {
    pub fn push(&mut self, name: &str, value: &str) {
        self.0.push(Header { name: name.to_string(), key: canonical(name), value: value.to_string() });
    }

    /// Every header line of this name, in order.
    pub fn all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let key = canonical(name);
        self.0.iter().filter(move |h| h.key == key).map(|h| h.value.as_str())
    }

    /// The value of a header that may appear once; `Err` names it when it appears more often.
    pub fn single(&self, name: &str) -> Result<Option<&str>, String> {
        let mut it = self.all(name);
        let first = it.next();
        if it.next().is_some() {
            return Err(format!("{name} appears more than once"));
        }
        Ok(first)
    }

    /// Reads header lines (after the start line): continuation lines are joined to the header
    /// they continue. `strict` refuses what RFC 3261 does not allow (a line without ':', a
    /// malformed name, a continuation before any header); otherwise such lines are skipped, to
    /// read what can be read of a message that will be refused anyway.
    pub fn read<'a>(lines: impl Iterator<Item = &'a str>, strict: bool) -> Result<Headers, String> {
        let mut headers = Headers::default();
        let mut current: Option<(String, String)> = None;
        for line in lines {
            if line.is_empty() {
                // Only at the end of a datagram that lacks the empty line after its headers.
                continue;
            }
            if line.starts_with([' ', '\t']) {
                match current.as_mut() {
                    Some((_, value)) => {
                        if !value.is_empty() {
                            value.push(' ');
                        }
                        value.push_str(line.trim());
                    }
                    None if strict => return Err("a continuation line before any header".into()),
                    None => {}
                }
                continue;
            }
            if let Some((n, v)) = current.take() {
                headers.push(&n, &v);
            }
            let Some((name, value)) = line.split_once(':') else {
                if strict {
                    return Err(format!("header line {line:?} has no ':'"));
                }
                continue;
            };
            let name = name.trim_end_matches([' ', '\t']);
            if !super::is_token(name) {
                if strict {
                    return Err(format!("header name {name:?} is malformed"));
                }
                continue;
            }
            current = Some((name.to_string(), value.trim().to_string()));
        }
        if let Some((n, v)) = current.take() {
            headers.push(&n, &v);
        }
        Ok(headers)
    }

    /// All values of a list header (comma-separated and/or repeated), split at top-level commas
    /// (not inside quotes or angle brackets).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.all(name).flat_map(split_list).collect()
    }
}

/// Splits `a, "b,c" <d,e>, f` at the commas that separate values.
pub fn split_list(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    let mut cur = String::new();
    for c in v.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' if !angle => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_names_and_lists() {
        let mut h = Headers::default();
        h.push("v", "SIP/2.0/UDP a, SIP/2.0/TCP b");
        h.push("Via", "SIP/2.0/UDP c");
        h.push("m", r#""x, y" <sip:a@b>, <sip:c,d@e>"#);
        assert_eq!(h.list("VIA"), ["SIP/2.0/UDP a", "SIP/2.0/TCP b", "SIP/2.0/UDP c"]);
        assert_eq!(h.list("contact"), [r#""x, y" <sip:a@b>"#, "<sip:c,d@e>"]);
        assert!(h.single("via").is_err());
        assert_eq!(h.single("to"), Ok(None));
    }
}
