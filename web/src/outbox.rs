//! Sends what `invitations` queued: due messages in order, each claimed in the database first
//! (so two nodes never send one twice), retried with doubling delays when the SMTP server is
//! unreachable or answers 4xx, given up at once when it refuses for good (5xx) and after
//! [`MAX_ATTEMPTS`] tries otherwise. The organiser sees what did not go on the conference's card.

use crate::i18n::{Lang, tr};
use crate::mail::{Mailer, SendError};
use crate::state::now;
use crate::store::{OutboxKind, OutboxRow, OutboxStatus, Store};
use maud::{Markup, html};
use std::sync::Arc;
use std::time::Duration;

/// Tries before a message is given up (with a first delay of a minute: about eight hours).
pub const MAX_ATTEMPTS: i64 = 10;
/// The longest wait between two tries.
const MAX_DELAY: i64 = 6 * 3600;
/// How long a claimed message is left alone by other senders.
const LEASE: i64 = 300;

/// The wait after the `attempts`-th failed try, or None when it was the last.
pub fn retry_delay(attempts: i64, first: i64) -> Option<i64> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let doublings = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    Some(first.max(1).saturating_mul(1 << doublings).min(MAX_DELAY))
}

fn what(kind: OutboxKind) -> &'static str {
    match kind {
        OutboxKind::Request => "invitation",
        OutboxKind::Cancel => "cancellation",
        OutboxKind::JoinLink => "join link",
    }
}

/// Runs for the life of the server.
pub async fn run(store: Store, mailer: Arc<Mailer>) {
    loop {
        if let Err(e) = send_due(&store, &mailer).await {
            tracing::warn!(error = %e, "the mail outbox could not be read");
        }
        // Sleep until the next message is due, a minute at most, or until one is queued.
        let wait = match store.next_mail_due().await {
            Ok(Some(t)) => (t - now()).clamp(1, 60),
            _ => 60,
        };
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(wait.unsigned_abs())) => {}
            _ = mailer.queued.notified() => {}
        }
    }
}

async fn send_due(store: &Store, mailer: &Mailer) -> crate::store::Result<()> {
    loop {
        let t = now();
        let due = store.due_mail(t, 20).await?;
        if due.is_empty() {
            return Ok(());
        }
        for r in due {
            let Some((from, to, text)) = store.claim_mail(&r, t + LEASE).await? else { continue };
            let attempts = r.attempts + 1;
            let kind = what(r.kind);
            match mailer.send_raw(&from, &to, &text).await {
                Ok(()) => {
                    store.mail_sent(r.id, attempts, now()).await?;
                    metrics::counter!("tessera_invitations_total", "kind" => kind, "result" => "sent").increment(1);
                    tracing::info!(conference = %r.conference_id, mail = r.id, attempts, "{kind} sent");
                }
                Err(e) => {
                    let retry = match &e {
                        SendError::Permanent(_) => None,
                        SendError::Transient(_) => retry_delay(attempts, mailer.retry_after),
                    };
                    store.mail_failed(r.id, attempts, &e.to_string(), retry.map(|d| now() + d)).await?;
                    let result = if retry.is_some() { "retry" } else { "failed" };
                    metrics::counter!("tessera_invitations_total", "kind" => kind, "result" => result).increment(1);
                    match retry {
                        Some(d) => tracing::warn!(
                            conference = %r.conference_id, mail = r.id, attempts, retry_in_secs = d, error = %e,
                            "{kind} not sent yet: the SMTP server did not take it"
                        ),
                        None => tracing::error!(
                            conference = %r.conference_id, mail = r.id, attempts, error = %e,
                            "{kind} given up: the SMTP server did not take it"
                        ),
                    }
                }
            }
        }
    }
}

/// A conference's messages that have not gone: waiting after a failure, or given up.
pub async fn undelivered(store: &Store, conference_id: &str) -> crate::store::Result<Vec<OutboxRow>> {
    let rows = store.conference_mail(conference_id, 200).await?;
    Ok(rows.into_iter().filter(|r| r.status == OutboxStatus::Failed || !r.last_error.is_empty()).collect())
}

/// The card's report of [`undelivered`] messages (nothing when all went).
pub fn report(lang: Lang, tz: chrono_tz::Tz, rows: &[OutboxRow]) -> Markup {
    let t = |k: &'static str| tr(lang, k);
    let kind = |k: OutboxKind| {
        t(match k {
            OutboxKind::Request => "mail.kind.request",
            OutboxKind::Cancel => "mail.kind.cancel",
            OutboxKind::JoinLink => "mail.kind.join_link",
        })
    };
    html! {
        @if !rows.is_empty() {
            div #card-delivery role="status" {
                h3 { (t("mail.delivery")) }
                p.muted { (t("mail.delivery_help")) }
                ul {
                    @for r in rows {
                        li.error data-status=(if r.status == OutboxStatus::Failed { "failed" } else { "pending" }) {
                            (kind(r.kind)) " → " (r.recipient) ": "
                            @if r.status == OutboxStatus::Failed {
                                strong { (t("mail.status.failed")) }
                            } @else {
                                (t("mail.status.pending")) " " (crate::home::fmt_time(tz, r.next_attempt_at, "%Y-%m-%d %H:%M"))
                            }
                            " (" (r.attempts) " " (t("mail.attempts")) "). "
                            span.muted { (r.last_error) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_a_cap_and_stop() {
        assert_eq!(retry_delay(1, 60), Some(60));
        assert_eq!(retry_delay(2, 60), Some(120));
        assert_eq!(retry_delay(5, 60), Some(960));
        assert_eq!(retry_delay(9, 60), Some(15_360));
        assert_eq!(retry_delay(9, 600), Some(MAX_DELAY));
        assert_eq!(retry_delay(MAX_ATTEMPTS, 60), None);
        assert_eq!(retry_delay(3, 0), Some(4), "a zero first delay still waits");
        assert_eq!(retry_delay(-5, 1), Some(1));
    }
}
