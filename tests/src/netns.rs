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
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(out.try_clone().expect("server log"))
            .stderr(out)
            .spawn()
            .expect("start tessera in the namespace");
        crate::KillOnDrop(child)
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
