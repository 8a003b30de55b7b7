//! Running SIPp scenarios against the server: SIPp's exit status is 0 only when every call of
//! the run went as the scenario says; its error log comes back for the failure message.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts SIPp on the scenario `xml` (written into `dir`) dialling `service` at `127.0.0.1:port`,
/// with free signalling and media ports and `extra` arguments (`-m 1` unless they say otherwise).
pub fn spawn(port: u16, dir: &Path, service: &str, xml: &str, extra: &[&str]) -> Child {
    let sf = dir.join(format!("{}.xml", service.replace(['*', '/'], "_")));
    std::fs::write(&sf, xml).expect("scenario file");
    let mut cmd = Command::new("sipp");
    cmd.current_dir(dir)
        .args([&format!("127.0.0.1:{port}"), "-sf", sf.to_str().unwrap_or_default(), "-s", service, "-i", "127.0.0.1"])
        .args(["-p", &crate::free_port().to_string(), "-mi", "127.0.0.1", "-mp", &crate::free_port().to_string()])
        .args(["-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err"]);
    if !extra.contains(&"-m") {
        cmd.args(["-m", "1"]);
    }
    cmd.args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sipp is missing: apt-get install sip-tester (scripts/test.sh does)")
}

/// Waits for SIPp: whether every call succeeded, and what it printed and logged as errors.
pub fn finish(child: Child, dir: &Path) -> (bool, String) {
    let o = child.wait_with_output().expect("sipp");
    let errors: String = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with("_errors.log"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_name().to_string_lossy().ends_with("_errors.log") {
            let _ = std::fs::remove_file(e.path());
        }
    }
    (
        o.status.success(),
        format!("{}{}\n{errors}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
    )
}
