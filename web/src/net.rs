//! What per-address limits count (SIP message rates and connections, sign-in and PIN
//! throttles, pages in calls, sign-ups): an IPv4 address, or an IPv6 /64. One subscriber's
//! network is a /64, where a host picks any of 2^64 addresses at will: counted one address at a
//! time, it would escape every limit. IPv4-mapped IPv6 addresses count as their IPv4 address.

use std::net::{IpAddr, Ipv6Addr};

/// The unit `ip` is counted in.
pub fn source(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::source;
    use std::net::IpAddr;

    #[test]
    fn ipv6_counts_by_64_and_ipv4_as_itself() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(source(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(source(ip("2001:db8:1:2:ffff:1:2:3")), source(ip("2001:db8:1:2::9")));
        assert_ne!(source(ip("2001:db8:1:2::1")), source(ip("2001:db8:1:3::1")));
        assert_eq!(source(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(source(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }
}
