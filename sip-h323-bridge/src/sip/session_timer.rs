//! SIP session timers (RFC 4028) as a UAS: a call whose caller supports them (`Supported: timer`
//! and a `Session-Expires`) is kept only while the caller refreshes it (re-INVITE or UPDATE)
//! within the interval; Tessera answers `refresher=uac` and ends the call when a refresh does
//! not come, so a caller that vanished without a BYE does not hold a place for ever.

use super::headers::Headers;
use std::time::Duration;

/// What the caller's request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// No session timer (the caller does not support them, or asks for none).
    None,
    /// The interval is below the server's minimum: answer 422 with `Min-SE`.
    TooSmall { min_se: u32 },
    /// Keep the session for `interval` seconds at a time, refreshed by the caller.
    Accepted { interval: u32 },
}

/// Reads a request's Session-Expires against the server's minimum (`min_se`, seconds).
pub fn read(h: &Headers, min_se: u32) -> Request {
    let supported = h.list("Supported").iter().any(|t| t.trim().eq_ignore_ascii_case("timer"));
    let Some(value) = h.single("Session-Expires").ok().flatten() else { return Request::None };
    let Some(n) = value.split(';').next().and_then(|n| n.trim().parse::<u32>().ok()) else {
        return Request::None;
    };
    if !supported || n == 0 {
        return Request::None;
    }
    if n < min_se { Request::TooSmall { min_se } } else { Request::Accepted { interval: n } }
}

/// The headers of a 2xx that accepts `interval`, with the caller as refresher.
pub fn answer_headers(interval: u32) -> [(&'static str, String); 2] {
    [("Session-Expires", format!("{interval};refresher=uac")), ("Require", "timer".to_string())]
}

/// How long after a refresh (or the 2xx) the call ends without another: the interval less the
/// smaller of 32 s and a third of it (RFC 4028 §10).
pub fn deadline(interval: u32) -> Duration {
    Duration::from_secs(u64::from(interval - (interval / 3).min(32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[(&str, &str)]) -> Headers {
        let mut h = Headers::default();
        for (n, v) in lines {
            h.push(n, v);
        }
        h
    }

    #[test]
    fn intervals_are_read_and_checked() {
        let h = headers(&[("Supported", "100rel, timer"), ("Session-Expires", "1800;refresher=uac")]);
        assert_eq!(read(&h, 90), Request::Accepted { interval: 1800 });
        let h = headers(&[("k", "timer"), ("x", "60")]);
        assert_eq!(read(&h, 90), Request::TooSmall { min_se: 90 });
        assert_eq!(read(&headers(&[("Session-Expires", "1800")]), 90), Request::None, "without Supported: timer");
        assert_eq!(read(&headers(&[("Supported", "timer")]), 90), Request::None);
        assert_eq!(read(&headers(&[("Supported", "timer"), ("Session-Expires", "soon")]), 90), Request::None);
        assert_eq!(deadline(1800), Duration::from_secs(1768));
        assert_eq!(deadline(90), Duration::from_secs(60));
        assert_eq!(deadline(3), Duration::from_secs(2));
        assert_eq!(answer_headers(90)[0].1, "90;refresher=uac");
    }
}
