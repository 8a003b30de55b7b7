//! The media keys a firewall and a NAT care about: the UDP port range media uses
//! (`media.rtp_ports`), the address peers are told to send to (`media.external_address`), the
//! DSCP marks of audio and video (`media.dscp_audio`, `media.dscp_video`), the H.264 encoder
//! (`media.video_encoder`), and the TURN relays browsers are given (`webrtc.turn_urls`,
//! `webrtc.turn_secret`).

use super::Config;
use anyhow::{Context, bail};
use std::net::IpAddr;
use std::ops::RangeInclusive;

/// The fewest ports a range may hold: one call's audio and video, RTP and RTCP, and a browser.
pub const MIN_RANGE: u16 = 8;

/// Reads `"10000-20000"`.
pub fn port_range(key: &str, value: &str) -> anyhow::Result<Option<RangeInclusive<u16>>> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let example = || format!("{key} = {value:?} is not a range of UDP ports like \"10000-20000\"");
    let (a, b) = v.split_once('-').with_context(example)?;
    let (a, b): (u16, u16) = (a.trim().parse().with_context(example)?, b.trim().parse().with_context(example)?);
    if a < 1024 || a > b {
        bail!("{key} = {value:?}: the first port must be 1024 or more and not above the last");
    }
    if b - a + 1 < MIN_RANGE {
        bail!("{key} = {value:?} holds {} ports; give at least {MIN_RANGE}", b - a + 1);
    }
    Ok(Some(a..=b))
}

impl Config {
    /// `media.rtp_ports`; `None`: ports the system picks.
    pub fn rtp_ports(&self) -> anyhow::Result<Option<RangeInclusive<u16>>> {
        port_range("media.rtp_ports", &self.media.rtp_ports)
    }

    /// `media.external_address`; `None`: peers are told the address they reach this host on.
    pub fn external_address(&self) -> anyhow::Result<Option<IpAddr>> {
        let v = self.media.external_address.trim();
        if v.is_empty() {
            return Ok(None);
        }
        let ip: IpAddr = v.parse().with_context(|| {
            format!("media.external_address = {v:?} is not an IP address (the public address of a 1:1 NAT)")
        })?;
        if ip.is_unspecified() || ip.is_multicast() {
            bail!("media.external_address = {v:?} cannot be reached: give the address peers send to");
        }
        Ok(Some(ip))
    }

    /// Checks the media keys (called by [`Config::validate`]).
    pub(super) fn validate_media(&self) -> anyhow::Result<()> {
        self.rtp_ports()?;
        self.external_address()?;
        crate::media::h264_encoder::wanted(&self.media.video_encoder)?;
        for (key, v) in [("media.dscp_audio", self.media.dscp_audio), ("media.dscp_video", self.media.dscp_video)] {
            if v > 63 {
                bail!("{key} = {v}: a DSCP value is 0 to 63 (46 is EF, 34 is AF41, 0 marks nothing)");
            }
        }
        for u in &self.webrtc.turn_urls {
            tessera_web::turn::check_url(u).map_err(|e| anyhow::anyhow!("webrtc.turn_urls: {u:?}: {e}"))?;
        }
        let w = &self.webrtc;
        if !w.turn_urls.is_empty() && w.turn_secret.chars().count() < 16 {
            bail!(
                "webrtc.turn_secret must be set (at least 16 characters, the relay's static-auth-secret) when webrtc.turn_urls is"
            );
        }
        if !(1..=168).contains(&w.turn_credential_hours) {
            bail!("webrtc.turn_credential_hours = {}: from 1 to 168", w.turn_credential_hours);
        }
        Ok(())
    }

    /// The TURN relays pages are given, if any.
    pub fn turn(&self) -> Option<tessera_web::turn::Turn> {
        let w = &self.webrtc;
        (!w.turn_urls.is_empty()).then(|| tessera_web::turn::Turn {
            urls: w.turn_urls.clone(),
            secret: w.turn_secret.clone(),
            ttl_secs: i64::from(w.turn_credential_hours) * 3600,
        })
    }

    /// The media keys' environment overrides.
    pub(super) fn apply_media_env(&mut self, get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = get("TESSERA_RTP_PORTS") {
            self.media.rtp_ports = v;
        }
        if let Some(v) = get("TESSERA_EXTERNAL_ADDRESS") {
            self.media.external_address = v;
        }
        if let Some(v) = get("TESSERA_VIDEO_ENCODER") {
            self.media.video_encoder = v;
        }
        if let Some(v) = get("TESSERA_TURN_URLS") {
            self.webrtc.turn_urls = v.split(',').map(|u| u.trim().to_string()).filter(|u| !u.is_empty()).collect();
        }
        if let Some(v) = get("TESSERA_TURN_SECRET") {
            self.webrtc.turn_secret = v;
        }
        for (name, field) in
            [("TESSERA_DSCP_AUDIO", &mut self.media.dscp_audio), ("TESSERA_DSCP_VIDEO", &mut self.media.dscp_video)]
        {
            if let Some(v) = get(name) {
                *field = v.trim().parse().with_context(|| format!("{name}={v:?} is not a number from 0 to 63"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_and_bad_ones_say_why() {
        assert_eq!(port_range("k", "").unwrap(), None);
        assert_eq!(port_range("k", " 10000-20000 ").unwrap(), Some(10000..=20000));
        for bad in ["10000", "a-b", "20000-10000", "80-2000", "10000-10003", "10000-70000"] {
            assert!(port_range("media.rtp_ports", bad).unwrap_err().to_string().contains("media.rtp_ports"), "{bad}");
        }
    }

    #[test]
    fn the_keys_are_checked() {
        let mut c = Config::default();
        c.media.external_address = "203.0.113.7".into();
        c.media.rtp_ports = "40000-40099".into();
        c.validate_media().unwrap();
        assert_eq!(c.external_address().unwrap(), Some("203.0.113.7".parse().unwrap()));
        c.media.external_address = "nat.example".into();
        assert!(c.validate_media().unwrap_err().to_string().contains("media.external_address"));
        c.media.external_address = "0.0.0.0".into();
        assert!(c.validate_media().is_err());
        c.media.external_address = String::new();
        c.media.dscp_audio = 64;
        assert!(c.validate_media().unwrap_err().to_string().contains("media.dscp_audio"));
        let env = |k: &str| (k == "TESSERA_DSCP_VIDEO").then(|| "x".to_string());
        assert!(c.apply_media_env(&env).unwrap_err().to_string().contains("TESSERA_DSCP_VIDEO"));
    }

    #[test]
    fn turn_needs_good_urls_and_a_secret() {
        let mut c = Config::default();
        assert!(c.turn().is_none());
        let env = |k: &str| match k {
            "TESSERA_TURN_URLS" => {
                Some("turn:turn.example.org:3478, turns:turn.example.org:443?transport=tcp".to_string())
            }
            _ => None,
        };
        c.apply_media_env(&env).unwrap();
        assert_eq!(c.webrtc.turn_urls.len(), 2);
        assert!(c.validate_media().unwrap_err().to_string().contains("webrtc.turn_secret"));
        c.webrtc.turn_secret = "a-long-shared-secret".into();
        c.validate_media().unwrap();
        assert_eq!(c.turn().unwrap().ttl_secs, 12 * 3600);
        c.webrtc.turn_urls.push("stun:x".into());
        assert!(c.validate_media().unwrap_err().to_string().contains("webrtc.turn_urls"));
    }
}
