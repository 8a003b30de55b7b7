//! The SMTP server the administrator configures (`[smtp]`): the transport the outbox
//! (`outbox`) sends invitations through, and the administrator's test message. What the
//! messages say is in `invitations`.

use crate::msg;
use crate::state::AppState;
use lettre::address::Envelope;
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
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
    /// How long the outbox waits before retrying a message the server did not take; doubled on
    /// every further failure.
    pub retry_after_secs: u64,
    /// How long an invitation's update or cancellation waits, so that later ones replace it.
    pub update_delay_secs: u64,
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
            .field("retry_after_secs", &self.retry_after_secs)
            .field("update_delay_secs", &self.update_delay_secs)
            .finish_non_exhaustive()
    }
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The first retry's delay in seconds.
    pub retry_after: i64,
    /// How long updates and cancellations wait in the outbox, in seconds.
    pub update_delay: i64,
    /// Wakes the outbox when messages are queued.
    pub queued: tokio::sync::Notify,
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
        Ok(Mailer {
            transport: b.timeout(Some(Duration::from_secs(20))).build(),
            from,
            retry_after: i64::try_from(c.retry_after_secs.max(1)).unwrap_or(60),
            update_delay: i64::try_from(c.update_delay_secs).unwrap_or(60),
            queued: tokio::sync::Notify::new(),
        })
    }

    /// The configured sender.
    pub fn from(&self) -> Mailbox {
        self.from.clone()
    }

    pub async fn send(&self, m: Message) -> anyhow::Result<()> {
        self.transport.send(m).await?;
        Ok(())
    }

    /// Sends a message the outbox kept as text.
    pub async fn send_raw(&self, from: &str, to: &str, message: &[u8]) -> Result<(), SendError> {
        let from: Address = from.parse().map_err(|e| SendError::Permanent(format!("sender {from:?}: {e}")))?;
        let to: Address = to.parse().map_err(|e| SendError::Permanent(format!("recipient {to:?}: {e}")))?;
        let envelope = Envelope::new(Some(from), vec![to]).map_err(|e| SendError::Permanent(e.to_string()))?;
        match self.transport.send_raw(&envelope, message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("{e:#}"))),
            Err(e) => Err(SendError::Transient(format!("{e:#}"))),
        }
    }
}

/// Why a message did not go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The server refused it for good (a 5xx answer, an address it will never take).
    Permanent(String),
    /// Worth another try: no connection, a timeout, a 4xx answer.
    Transient(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Permanent(e) | SendError::Transient(e) => f.write_str(e),
        }
    }
}

/// Sends a test message to `to` now and says how the SMTP server answered (the administrator's
/// check of `[smtp]`).
pub async fn test_message(state: &AppState, lang: crate::i18n::Lang, to: &str) -> crate::error::Result<()> {
    use crate::error::Error;
    let Some(mailer) = state.mailer.clone() else {
        return Err(Error::Conflict(msg!("err.email.off.set.smtp")));
    };
    let to = crate::validate::email("to", to)?;
    let address =
        to.parse::<lettre::Address>().map_err(|e| Error::field("to", crate::error::Msg::text(e.to_string())))?;
    let m = Message::builder()
        .from(mailer.from.clone())
        .to(Mailbox::new(None, address))
        .subject(crate::i18n::tr(lang, "mail.test.subject"))
        .singlepart(SinglePart::plain(crate::i18n::trf(
            lang,
            "mail.test.body",
            &[("server", crate::i18n::Arg::from(&state.config.public_url))],
        )))
        .map_err(|e| Error::field("to", crate::error::Msg::text(e.to_string())))?;
    mailer.send(m).await.map_err(|e| Error::Unavailable(msg!("err.smtp.refused", why = format!("{e:#}"))))
}
