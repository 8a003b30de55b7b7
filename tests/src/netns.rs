//! A network namespace that a test creates and deletes: only its own loopback, so that what runs
//! inside (multicast receivers, softphones) sends nothing beyond this machine.

use std::process::{Command, Stdio};

pub struct Netns(String);

impl Netns {
    /// Creates the namespace (needs root, as CI has) with its loopback up.
    pub fn new(name: &str) -> Netns {
        let _ = Command::new("ip").args(["netns", "del", name]).stderr(Stdio::null()).status();
        let st =
            Command::new("ip").args(["netns", "add", name]).status().expect("ip is missing: apt-get install iproute2");
        assert!(st.success(), "creating a network namespace needs root (CI runs as root)");
        let ns = Netns(name.to_string());
        ns.run(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    /// A command that runs inside the namespace.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0]).args(args);
        c
    }

    /// Starts `tessera serve` with `args` and `env` inside the namespace, its output in `log`;
    /// killed when the returned guard drops.
    pub fn serve(&self, args: &[&str], env: &[(&str, String)], log: &std::path::Path) -> crate::KillOnDrop {
        let bin = crate::tessera_bin();
        let out = std::fs::File::create(log).expect("server log");
        let child = self
            .cmd(&[&[bin.to_str().unwrap_or_default(), "serve"][..], args].concat())
            .env(crate::NO_SYSTEM_CONFIG.0, crate::NO_SYSTEM_CONFIG.1)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(out.try_clone().expect("server log"))
            .stderr(out)
            .spawn()
            .expect("start tessera in the namespace");
        crate::KillOnDrop(child)
    }

    /// `serve`, then waits (up to a minute) until the server says where the personal area is.
    pub fn serve_ready(&self, env: &[(String, String)], log: &std::path::Path) -> crate::KillOnDrop {
        let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let server = self.serve(&[], &env, log);
        let t0 = std::time::Instant::now();
        let text = || std::fs::read_to_string(log).unwrap_or_default();
        while !text().contains("personal area at") {
            assert!(t0.elapsed() < std::time::Duration::from_secs(60), "the server did not start:\n{}", text());
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        server
    }

    /// Drops `percent` % of the UDP packets whose `direction` port (`sport` or `dport`) is in
    /// `ports` (`A-B`), at random, as they arrive (nftables: the namespace has no netem).
    pub fn lose_udp(&self, direction: &str, ports: &str, percent: u32) {
        let percent = percent.to_string();
        self.run(&["nft", "add", "table", "inet", "lossy"]);
        self.run(&["nft", "add", "chain", "inet", "lossy", "in", "{ type filter hook input priority 0; }"]);
        let rule = ["udp", direction, ports, "numgen", "random", "mod", "100", "<", &percent, "drop"];
        self.run(&[&["nft", "add", "rule", "inet", "lossy", "in"][..], &rule[..]].concat());
    }

    /// Drops the first UDP datagram from source ports `ports` (`A-B`) whose payload holds each
    /// `(offset, byte)` of `bytes`, and none after it: one chosen packet lost (nftables, counted
    /// as [`Netns::ruleset`] shows).
    pub fn lose_first_udp(&self, ports: &str, bytes: &[(usize, u8)]) {
        self.run(&["nft", "add", "table", "inet", "lossy"]);
        self.run(&["nft", "add", "chain", "inet", "lossy", "in", "{ type filter hook input priority 0; }"]);
        let mut rule = vec!["udp".to_string(), "sport".into(), ports.into()];
        for (offset, byte) in bytes {
            // The payload starts after the 8-byte UDP header.
            rule.extend([format!("@th,{},8", (8 + offset) * 8), byte.to_string()]);
        }
        rule.extend(["numgen", "inc", "mod", "1000000", "0", "counter", "drop"].map(String::from));
        let rule: Vec<&str> = rule.iter().map(String::as_str).collect();
        self.run(&[&["nft", "add", "rule", "inet", "lossy", "in"][..], &rule[..]].concat());
    }

    /// `nft list ruleset` in the namespace (rules with their counters).
    pub fn ruleset(&self) -> String {
        let o = self.cmd(&["nft", "list", "ruleset"]).output().expect("nft");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// coturn on the namespace's loopback at `port`, relaying to loopback peers (the server),
    /// with credentials made from `secret` (`use-auth-secret`), and `extra` options; its log in
    /// `dir`. Killed when the returned guard drops.
    pub fn coturn(&self, dir: &std::path::Path, port: u16, secret: &str, extra: &[&str]) -> crate::KillOnDrop {
        let log = dir.join("turn.log");
        crate::KillOnDrop(
            self.cmd(&["turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1"])
                .args([format!("--listening-port={port}"), format!("--static-auth-secret={secret}")])
                .args(["--use-auth-secret", "--realm=tessera.test", "--no-cli", "--no-tls", "--no-dtls"])
                .args(["--allow-loopback-peers", "--simple-log", &format!("--log-file={}", log.display())])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("turnserver (apt-get install coturn; scripts/test.sh does)"),
        )
    }

    /// Runs a set-up command inside the namespace; it must succeed.
    pub fn run(&self, args: &[&str]) {
        assert!(self.cmd(args).status().is_ok_and(|s| s.success()), "in the namespace: {args:?}");
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// The environment of a server for browsers in a namespace: its data in `dir`, the personal
/// area on `http`, RTSP on `rtsp`, pictures of `size` (`WxH`), SIP on a free port, RTP and WebRTC
/// on loopback, the administrator's password `admin-password`.
pub fn browser_server_env(dir: &std::path::Path, http: u16, rtsp: u16, size: &str) -> Vec<(String, String)> {
    [
        ("TESSERA_DATA_DIR", dir.join("data").display().to_string()),
        ("TESSERA_HTTP_LISTEN", format!("127.0.0.1:{http}")),
        ("TESSERA_RTSP_LISTEN", format!("127.0.0.1:{rtsp}")),
        ("TESSERA_MEDIA_SIZE", size.to_string()),
        ("TESSERA_SIP_LISTEN", format!("127.0.0.1:{}", crate::free_port())),
        ("TESSERA_RTP_BIND", "127.0.0.1".into()),
        ("TESSERA_WEBRTC_ICE_ADDRESSES", "127.0.0.1".into()),
        ("TESSERA_ADMIN_PASSWORD", "admin-password".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
