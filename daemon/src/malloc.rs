//! glibc's allocator under a media server's load. glibc raises its mmap threshold each time a
//! large block is freed (up to 32 MB), so after a while video frames, encoder buffers and canvases
//! come from the heap arenas instead of their own mappings, and the arenas keep what they held at
//! the busiest moment: the soak benchmark saw resident memory grow about 40 MB a minute while
//! conferences started and ended, with no leak (heaptrack: a 29 MB peak heap). A fixed threshold
//! keeps large blocks in mappings that go back to the system when freed; with it the same soak is
//! flat (about 105 MB under load, 73 MB idle, against 218 MB and rising).
//!
//! The threshold can only be set before `main` (the `GLIBC_TUNABLES` environment variable) or by
//! `mallopt`, which needs `unsafe` (forbidden in this workspace), so `tessera serve` executes
//! itself again, same process id and arguments, with the tunable added. An administrator's own
//! `glibc.malloc.*` tunables are left as they are.

/// The tunable added: blocks of 128 KiB and more are mapped on their own.
pub const TUNABLE: &str = "glibc.malloc.mmap_threshold=131072";
/// Set on the second execution, so that it never loops (glibc may drop `GLIBC_TUNABLES` in a
/// privileged process).
const MARKER: &str = "TESSERA_MALLOC_TUNED";

/// What the environment asks for: `Some(value)` of `GLIBC_TUNABLES` to execute again with, or
/// `None` when the administrator set malloc tunables or this is already the second execution.
pub fn tunables_to_set(current: Option<&str>, marker: bool) -> Option<String> {
    let current = current.unwrap_or("");
    if marker || current.contains("glibc.malloc.") {
        return None;
    }
    Some(if current.is_empty() { TUNABLE.to_string() } else { format!("{current}:{TUNABLE}") })
}

/// Executes this program again with the fixed threshold; returns only when it does not (nothing
/// to do, or `exec` failed, which is reported and otherwise harmless).
pub fn fix_mmap_threshold() {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return;
    }
    let current = std::env::var("GLIBC_TUNABLES").ok();
    let Some(value) = tunables_to_set(current.as_deref(), std::env::var_os(MARKER).is_some()) else { return };
    let Ok(exe) = std::env::current_exe() else { return };
    use std::os::unix::process::CommandExt;
    let mut args = std::env::args_os();
    let mut cmd = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        cmd.arg0(arg0);
    }
    let err = cmd.args(args).env("GLIBC_TUNABLES", value).env(MARKER, "1").exec();
    eprintln!("tessera: could not start again with a fixed malloc threshold ({err}); going on with glibc's defaults");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_threshold_once_and_keeps_the_administrators_tunables() {
        assert_eq!(tunables_to_set(None, false).as_deref(), Some(TUNABLE));
        assert_eq!(tunables_to_set(Some(""), false).as_deref(), Some(TUNABLE));
        assert_eq!(
            tunables_to_set(Some("glibc.pthread.rseq=0"), false),
            Some(format!("glibc.pthread.rseq=0:{TUNABLE}"))
        );
        assert_eq!(tunables_to_set(Some("glibc.malloc.arena_max=2"), false), None, "the administrator's choice");
        assert_eq!(tunables_to_set(None, true), None, "never a second time");
    }
}
