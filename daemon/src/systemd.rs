//! systemd integration: READY/STOPPING notifications and watchdog pings. Outside systemd
//! (no `NOTIFY_SOCKET`) every call is a no-op.

use sd_notify::NotifyState;
use std::time::Duration;

pub fn ready(status: &str) {
    let _ = sd_notify::notify(false, &[NotifyState::Ready, NotifyState::Status(status)]);
}

pub fn stopping() {
    let _ = sd_notify::notify(false, &[NotifyState::Stopping]);
}

/// The interval at which to ping the watchdog (half of `WatchdogSec`), if enabled.
pub fn watchdog_interval() -> Option<Duration> {
    let mut usec = 0u64;
    sd_notify::watchdog_enabled(false, &mut usec).then(|| Duration::from_micros(usec / 2))
}

pub fn watchdog_ping() {
    let _ = sd_notify::notify(false, &[NotifyState::Watchdog]);
}
