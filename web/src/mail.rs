//! Email invitations through the SMTP server the administrator configures (`[smtp]`): one
//! message per invited user with an email address, with the join link, the SIP address, the PIN
//! and the conference as an `.ics` attachment. Sent in the background; failures are logged
//! and counted, never shown as a failed save (the conference is saved either way).

use crate::state::AppState;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP (a relay on the same host or a trusted network).
    None,
    /// STARTTLS on the submission port (587), required.
    StartTls,
    /// TLS from the first byte (465).
    Tls,
}

#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: String,
    /// The sender: `Tessera <meetings@example.org>`.
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never reaches a log.
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(c: &SmtpConfig) -> anyhow::Result<Mailer> {
        let from: Mailbox =
            c.from.parse().map_err(|e| anyhow::anyhow!("smtp.from {:?} is not an email address: {e}", c.from))?;
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host).port(c.port);
        b = match c.security {
            Security::None => b.tls(Tls::None),
            Security::StartTls => b.tls(Tls::Required(TlsParameters::new(c.host.clone())?)),
            Security::Tls => b.tls(Tls::Wrapper(TlsParameters::new(c.host.clone())?)),
        };
        if !c.username.is_empty() {
            b = b.credentials(Credentials::new(c.username.clone(), c.password.clone()));
        }
        Ok(Mailer { transport: b.timeout(Some(Duration::from_secs(20))).build(), from })
    }

    /// The configured sender.
    pub fn from(&self) -> Mailbox {
        self.from.clone()
    }

    pub async fn send(&self, m: Message) -> anyhow::Result<()> {
        self.transport.send(m).await?;
        Ok(())
    }
}

/// Sends a test message to `to` now and says how the SMTP server answered (the administrator's
/// check of `[smtp]`).
pub async fn test_message(state: &AppState, to: &str) -> crate::error::Result<()> {
    use crate::error::Error;
    let Some(mailer) = state.mailer.clone() else {
        return Err(Error::Conflict("email is off: set [smtp] host in the configuration file".into()));
    };
    let to = crate::validate::email("to", to)?;
    let address = to.parse::<lettre::Address>().map_err(|e| Error::field("to", e.to_string()))?;
    let m = Message::builder()
        .from(mailer.from.clone())
        .to(Mailbox::new(None, address))
        .subject("Tessera: a test message")
        .singlepart(SinglePart::plain(format!(
            "This message checks the email settings of the Tessera server at {}.\nIf you read it, invitations will arrive too.\n",
            state.config.public_url
        )))
        .map_err(|e| Error::field("to", e.to_string()))?;
    mailer.send(m).await.map_err(|e| Error::Unavailable(format!("the SMTP server did not take the message: {e:#}")))
}

/// Builds the invitation messages for a conference's invited users (all, or only `only`) and
/// sends them in the background. Returns how many were queued.
pub async fn invite(state: &AppState, id: &str, only: Option<&[i64]>) -> crate::error::Result<usize> {
    let Some(mailer) = state.mailer.clone() else { return Ok(0) };
    let Some(c) = state.store.editable_conference(id).await? else { return Ok(0) };
    let ics = crate::scheduling::ics::calendar(&state.config, &c.id, &c.settings, &c.participants);
    let base = state.config.public_url.trim_end_matches('/');
    let link = format!("{base}/c/{}", c.id);
    let s = &c.settings;
    let tz: chrono_tz::Tz = s.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let when = match s.starts_at {
        Some(t) => format!(
            "When: {} ({}){}\n",
            crate::recurrence::utc_to_local(tz, t).format("%Y-%m-%d %H:%M"),
            s.time_zone,
            if s.recurrence.is_some() { ", recurring (see the attached calendar entry)" } else { "" }
        ),
        None => "A virtual room: join at any time.\n".to_string(),
    };
    let mut messages = Vec::new();
    for p in c.participants.iter().filter(|p| p.user_id != c.owner_id) {
        if only.is_some_and(|o| !o.contains(&p.user_id)) || p.email.is_empty() {
            continue;
        }
        let Ok(address) = p.email.parse::<lettre::Address>() else {
            tracing::warn!(conference = %id, user = %p.login, "invitation skipped: the user's email address is not usable");
            continue;
        };
        // lettre quotes and encodes the display name as needed.
        let to = Mailbox::new(Some(p.name.clone()), address);
        let body = format!(
            "You are invited to \"{}\".\n\n{when}Join from the browser: {link}\nJoin from a SIP endpoint: sip:{}@{}\n{}{}\n",
            s.name,
            c.id,
            state.config.sip_host,
            s.pin.as_deref().map(|p| format!("PIN: {p}\n")).unwrap_or_default(),
            if s.location.is_empty() { String::new() } else { format!("Location: {}\n", s.location) },
        );
        let m =
            Message::builder().from(mailer.from.clone()).to(to).subject(format!("Invitation: {}", s.name)).multipart(
                MultiPart::mixed().singlepart(SinglePart::plain(body)).singlepart(
                    Attachment::new("invite.ics".into()).body(
                        ics.clone(),
                        ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                            .unwrap_or(ContentType::TEXT_PLAIN),
                    ),
                ),
            );
        match m {
            Ok(m) => messages.push((p.login.clone(), m)),
            Err(e) => tracing::warn!(conference = %id, user = %p.login, error = %e, "invitation could not be built"),
        }
    }
    let n = messages.len();
    let id = id.to_string();
    tokio::spawn(send_all(mailer, id, messages));
    Ok(n)
}

/// Sends a webinar guest their unique join link (in the background; logged, never failing the
/// sign-up). The calendar entry carries no PIN: the link admits without one.
pub fn send_join_link(state: &AppState, c: &crate::store::EditableConference, name: &str, to: &str, url: &str) {
    let Some(mailer) = state.mailer.clone() else { return };
    let id = c.id.as_str();
    let Ok(address) = to.parse::<lettre::Address>() else {
        tracing::warn!(conference = %id, "join link not sent: the email address is not usable");
        return;
    };
    let mut s = c.settings.clone();
    s.pin = None;
    let ics = crate::scheduling::ics::calendar(&state.config, &c.id, &s, &[]);
    let tz: chrono_tz::Tz = s.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let when = s
        .starts_at
        .map(|t| {
            format!("When: {} ({})\n", crate::recurrence::utc_to_local(tz, t).format("%Y-%m-%d %H:%M"), s.time_zone)
        })
        .unwrap_or_default();
    let body = format!(
        "You have signed up for \"{}\".\n\n{when}Your personal join link (it works on one device at a time; do not share it):\n{url}\n",
        s.name
    );
    let m = Message::builder()
        .from(mailer.from.clone())
        .to(Mailbox::new(Some(name.to_string()), address))
        .subject(format!("Your link to join: {}", s.name))
        .multipart(MultiPart::mixed().singlepart(SinglePart::plain(body)).singlepart(
            Attachment::new("invite.ics".into()).body(
                ics,
                ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH").unwrap_or(ContentType::TEXT_PLAIN),
            ),
        ));
    match m {
        Ok(m) => {
            tokio::spawn(send_all(mailer, id.to_string(), vec![("guest".to_string(), m)]));
        }
        Err(e) => tracing::warn!(conference = %id, error = %e, "join link could not be built"),
    }
}

async fn send_all(mailer: Arc<Mailer>, id: String, messages: Vec<(String, Message)>) {
    for (login, m) in messages {
        match mailer.send(m).await {
            Ok(()) => {
                metrics::counter!("tessera_invitations_total", "result" => "sent").increment(1);
                tracing::info!(conference = %id, user = %login, "invitation sent");
            }
            Err(e) => {
                metrics::counter!("tessera_invitations_total", "result" => "failed").increment(1);
                tracing::warn!(conference = %id, user = %login, error = %e, "invitation could not be sent");
            }
        }
    }
}
