//! Where dial-out may call: a server that calls any host and port on request is a port scanner
//! (the call history tells which ports answer) and a toll-fraud relay. By default Tessera refuses
//! loopback, link-local (and so the cloud metadata address 169.254.169.254), multicast,
//! broadcast and unspecified addresses, and allows public and private ranges, where room systems
//! live. An administrator may restrict further (`[dial_out] allowed_domains`,
//! `allowed_networks`): a name must then be in an allowed domain, an address in an allowed
//! network; an allowed network also lifts the default refusals inside it (the tests allow
//! `127.0.0.0/8`).

use anyhow::{Context, bail};
use std::net::IpAddr;

#[derive(Debug, Clone, Default)]
pub struct DialPolicy {
    domains: Vec<String>,
    networks: Vec<(IpAddr, u8)>,
}

fn parse_network(s: &str) -> anyhow::Result<(IpAddr, u8)> {
    let (ip, len) = match s.split_once('/') {
        Some((ip, len)) => (ip, Some(len)),
        None => (s, None),
    };
    let ip: IpAddr = ip.trim().parse().with_context(|| format!("{s:?} is not a network like 10.1.0.0/16"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|&l| l <= max)
            .with_context(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        None => max,
    };
    Ok((ip, len))
}

fn contains((net, len): (IpAddr, u8), ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len)) };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// Addresses no call should reach unless an administrator allows their network by name.
fn refused_by_default(ip: IpAddr) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let link_local = match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        // fd00:ec2::254: a cloud's IPv6 metadata address.
        IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) == 0xfe80 || v6 == std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
        }
    };
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_unspecified() {
        Some("an unspecified address")
    } else if link_local {
        Some("a link-local or cloud metadata address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if matches!(ip, IpAddr::V4(v4) if v4.is_broadcast()) {
        Some("a broadcast address")
    } else {
        None
    }
}

impl DialPolicy {
    pub fn new(domains: &[String], networks: &[String]) -> anyhow::Result<DialPolicy> {
        let mut d = Vec::new();
        for raw in domains {
            let name = raw.trim().trim_start_matches("*.").trim_end_matches('.').to_ascii_lowercase();
            if name.is_empty() || name.contains(['/', ':', ' ', '@']) {
                bail!("dial_out.allowed_domains: {raw:?} is not a domain name");
            }
            d.push(name);
        }
        let networks = networks
            .iter()
            .map(|n| parse_network(n))
            .collect::<anyhow::Result<_>>()
            .context("dial_out.allowed_networks")?;
        Ok(DialPolicy { domains: d, networks })
    }

    /// Whether a host as written in an address may be called (before it is resolved).
    pub fn host(&self, host: &str) -> Result<(), &'static str> {
        if host.parse::<IpAddr>().is_ok() {
            if !self.domains.is_empty() && self.networks.is_empty() {
                return Err("only names in the allowed domains may be called");
            }
            return Ok(());
        }
        if self.domains.is_empty() {
            return Ok(());
        }
        let h = host.trim_end_matches('.').to_ascii_lowercase();
        let allowed = self.domains.iter().any(|d| h == *d || h.ends_with(&format!(".{d}")));
        if allowed { Ok(()) } else { Err("not in the allowed domains") }
    }

    /// Whether an address (as resolved) may be called.
    pub fn address(&self, ip: IpAddr) -> Result<(), &'static str> {
        if self.networks.iter().any(|&n| contains(n, ip)) {
            return Ok(());
        }
        if let Some(why) = refused_by_default(ip) {
            return Err(why);
        }
        if !self.networks.is_empty() {
            return Err("not in the allowed networks");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn by_default_private_and_public_but_not_loopback_or_metadata() {
        let p = DialPolicy::default();
        for ok in ["10.1.2.3", "192.168.0.20", "172.16.5.5", "203.0.113.9", "2001:db8::1"] {
            assert_eq!(p.address(ip(ok)), Ok(()), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            "127.9.9.9",
            "::1",
            "169.254.169.254",
            "169.254.1.1",
            "fe80::1",
            "fd00:ec2::254",
            "224.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "::ffff:127.0.0.1",
        ] {
            assert!(p.address(ip(bad)).is_err(), "{bad}");
        }
        assert_eq!(p.host("pbx.example.org"), Ok(()));
    }

    #[test]
    fn an_administrator_restricts_and_allows() {
        let p = DialPolicy::new(&["example.org".into()], &["10.0.0.0/8".into(), "127.0.0.0/8".into()]).unwrap();
        assert_eq!(p.host("pbx.example.org"), Ok(()));
        assert_eq!(p.host("example.org"), Ok(()));
        assert!(p.host("evil-example.org").is_err());
        assert!(p.host("example.org.evil.net").is_err());
        assert_eq!(p.address(ip("10.9.8.7")), Ok(()));
        assert_eq!(p.address(ip("127.0.0.1")), Ok(()), "an allowed network lifts the default");
        assert!(p.address(ip("192.168.1.1")).is_err());
        assert!(p.address(ip("169.254.169.254")).is_err());
        let names_only = DialPolicy::new(&["example.org".into()], &[]).unwrap();
        assert!(names_only.host("203.0.113.9").is_err(), "an address literal bypassing the domains");
        assert!(DialPolicy::new(&[], &["10.0.0.0/33".into()]).is_err());
        assert!(DialPolicy::new(&[], &["not-a-net".into()]).is_err());
        assert!(DialPolicy::new(&["a/b".into()], &[]).is_err());
    }
}
