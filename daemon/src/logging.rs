//! Where the log goes and how it looks. Text by default: on a terminal with colours; under
//! systemd (journald sets `JOURNAL_STREAM`) without timestamps (journald adds its own) and with
//! each line's priority as an sd-daemon prefix (`<3>` error … `<7>` debug), so `journalctl -p
//! warning` finds warnings. `log.format = "json"`: one JSON object per line (time, level, target,
//! fields, and the spans with their fields) for log collectors.

use std::fmt;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The sd-daemon priority prefix of a level (sd-daemon(3)).
pub fn priority(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "<3>",
        Level::WARN => "<4>",
        Level::INFO => "<6>",
        Level::DEBUG | Level::TRACE => "<7>",
    }
}

/// A format that puts each event's priority before the inner format's line.
struct WithPriority<F>(F);

impl<S, N, F> FormatEvent<S, N> for WithPriority<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut w: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        w.write_str(priority(event.metadata().level()))?;
        self.0.format_event(ctx, w, event)
    }
}

pub fn init(level: &str, format: &str) {
    // The WebRTC stack narrates every ICE and DTLS step at info; Tessera logs what matters of it
    // (joined, left, failed). Naming one of its crates in log.level overrides this.
    let quiet = ["webrtc", "rtc", "rtc_ice", "rtc_dtls", "rtc_srtp", "rtc_sctp", "rtc_interceptor"]
        .iter()
        .filter(|c| !level.contains(*c))
        .map(|c| format!(",{c}=warn"))
        .collect::<String>();
    let filter = EnvFilter::try_new(format!("{level}{quiet}")).unwrap_or_else(|_| EnvFilter::new("info"));
    let b = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        let _ = b.json().with_current_span(true).with_span_list(true).try_init();
        return;
    }
    let b = b.with_target(false);
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        let inner = tracing_subscriber::fmt::format().with_target(false).without_time().with_ansi(false);
        let _ = b.with_ansi(false).event_format(WithPriority(inner)).try_init();
    } else {
        // Colours only on a terminal: a log file or a pipe gets plain text.
        let _ = b.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).try_init();
    }
}
