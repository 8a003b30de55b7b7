//! What invitees are mailed, in each recipient's language: an invitation when they are invited
//! (an iTIP `REQUEST`, RFC 5546, that calendars add as an event), an update of it with a higher
//! SEQUENCE on every change of the conference, a `CANCEL` when they are removed or the
//! conference is deleted, and a webinar guest's join link. Messages go to the outbox
//! (`outbox`), which sends and retries them; a conference is saved whatever happens to its mail.

use crate::i18n::{Lang, tr};
use crate::mail::Mailer;
use crate::scheduling::ics::{self, Itip, Method};
use crate::state::{AppState, now};
use crate::store::{EditableConference, Invitee, OutboxKind, QueuedMail, Role};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

/// Why a conference's invitees are mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occasion {
    Invited,
    Changed,
    Removed,
    Deleted,
}

impl Occasion {
    fn method(self) -> Method {
        match self {
            Occasion::Invited | Occasion::Changed => Method::Request,
            Occasion::Removed | Occasion::Deleted => Method::Cancel,
        }
    }

    fn subject_key(self) -> &'static str {
        match self {
            Occasion::Invited => "mail.subject_invited",
            Occasion::Changed => "mail.subject_changed",
            Occasion::Removed | Occasion::Deleted => "mail.subject_cancelled",
        }
    }

    fn lead_key(self) -> &'static str {
        match self {
            Occasion::Invited => "mail.invited",
            Occasion::Changed => "mail.changed",
            Occasion::Removed => "mail.removed",
            Occasion::Deleted => "mail.deleted",
        }
    }
}

/// The time line of a message: the first start in the conference's zone.
fn when(c: &EditableConference, lang: Lang) -> String {
    let s = &c.settings;
    let t = |k: &'static str| tr(lang, k);
    match s.starts_at {
        Some(at) => {
            let tz: chrono_tz::Tz = s.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
            format!(
                "{}: {} ({}){}\n",
                t("mail.when"),
                crate::recurrence::utc_to_local(tz, at).format("%Y-%m-%d %H:%M"),
                s.time_zone,
                if s.recurrence.is_some() { format!(", {}", t("mail.recurring")) } else { String::new() }
            )
        }
        None => format!("{}\n", t("mail.room")),
    }
}

/// The organiser a calendar names: the owner, at their address, or the server's sender.
fn organizer(c: &EditableConference, mailer: &Mailer) -> (String, String) {
    let from = mailer.from();
    match c.participants.iter().find(|p| p.role == Role::Owner) {
        Some(o) if !o.email.is_empty() => (o.name.clone(), o.email.clone()),
        Some(o) => (o.name.clone(), from.email.to_string()),
        None => (from.name.unwrap_or_default(), from.email.to_string()),
    }
}

/// One conference message to one invitee, with its calendar text when the conference is
/// scheduled.
fn conference_mail(
    state: &AppState,
    mailer: &Mailer,
    c: &EditableConference,
    to: &Invitee,
    occasion: Occasion,
    sequence: i64,
) -> anyhow::Result<QueuedMail> {
    let lang = Lang::from_code(&to.language).unwrap_or(Lang::En);
    let t = |k: &'static str| tr(lang, k);
    let s = &c.settings;
    let mut body = format!("{} \"{}\".\n\n{}", t(occasion.lead_key()), s.name, when(c, lang));
    if matches!(occasion, Occasion::Invited | Occasion::Changed) {
        body.push_str(&ics::details(&state.config, &c.id, s, lang));
        body.push('\n');
        if !s.location.is_empty() {
            body.push_str(&format!("{}: {}\n", t("mail.location"), s.location));
        }
    }
    let subject = format!("{}: {}", t(occasion.subject_key()), s.name);
    let calendar = s.schedule().map(|_| {
        let (name, email) = organizer(c, mailer);
        let method = occasion.method();
        // An update names everyone invited; a cancellation only those it is for.
        let attendees: Vec<Invitee> = match occasion {
            Occasion::Invited | Occasion::Changed => {
                c.participants.iter().filter(|p| p.role != Role::Owner).cloned().collect()
            }
            Occasion::Removed | Occasion::Deleted => vec![to.clone()],
        };
        let itip = Itip { method, sequence, organizer: Some((&name, &email)), lang };
        (method, ics::calendar(&state.config, &c.id, s, &attendees, &itip))
    });
    let kind = match occasion.method() {
        Method::Cancel => OutboxKind::Cancel,
        _ => OutboxKind::Request,
    };
    build(mailer, &c.id, kind, (&to.name, &to.email), &subject, body, calendar)
}

/// A message with its text, and the calendar both as the part mail programs act on
/// (`text/calendar; method=…` beside the text) and as an `invite.ics` attachment.
fn build(
    mailer: &Mailer,
    conference_id: &str,
    kind: OutboxKind,
    (name, email): (&str, &str),
    subject: &str,
    body: String,
    calendar: Option<(Method, String)>,
) -> anyhow::Result<QueuedMail> {
    let address: Address = email.parse()?;
    // lettre quotes and encodes the display name as needed.
    let to = Mailbox::new(Some(name.to_string()), address.clone());
    let b = Message::builder().from(mailer.from()).to(to).subject(subject);
    let m =
        match calendar {
            Some((method, ics)) => {
                let calendar_type =
                    ContentType::parse(&format!("text/calendar; charset=utf-8; method={}", method.as_str()))?;
                let alternative = MultiPart::alternative()
                    .singlepart(SinglePart::plain(body))
                    .singlepart(SinglePart::builder().header(calendar_type).body(ics.clone()));
                b.multipart(MultiPart::mixed().multipart(alternative).singlepart(
                    Attachment::new("invite.ics".into()).body(ics, ContentType::parse("application/ics")?),
                ))?
            }
            None => b.singlepart(SinglePart::plain(body))?,
        };
    Ok(QueuedMail {
        conference_id: conference_id.to_string(),
        kind,
        sender: mailer.from().email.to_string(),
        recipient: address.to_string(),
        message: m.formatted(),
    })
}

/// Builds one message per recipient, leaving out (and logging) those whose address is unusable.
fn for_each(
    state: &AppState,
    mailer: &Mailer,
    c: &EditableConference,
    to: &[&Invitee],
    occasion: Occasion,
    sequence: i64,
) -> Vec<QueuedMail> {
    let mut out = Vec::new();
    for p in to.iter().filter(|p| p.user_id != c.owner_id && !p.email.is_empty()) {
        match conference_mail(state, mailer, c, p, occasion, sequence) {
            Ok(m) => out.push(m),
            Err(e) => {
                tracing::warn!(conference = %c.id, user = %p.login, error = %e, "invitation skipped: it could not be built")
            }
        }
    }
    out
}

/// When a message is sent: at once, or after `smtp.update_delay_secs` so that a newer one about
/// the same conference replaces it (the outbox keeps one waiting message per recipient).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    Now,
    AfterDelay,
}

/// Puts the messages in the outbox and wakes it; returns how many were queued.
async fn queue(state: &AppState, mailer: &Mailer, id: &str, mails: Vec<QueuedMail>, due: Due) -> usize {
    if mails.is_empty() {
        return 0;
    }
    let t = now();
    let at = match due {
        Due::Now => t,
        Due::AfterDelay => t + mailer.update_delay,
    };
    match state.store.queue_mail(&mails, t, at).await {
        Ok(replaced) => {
            if replaced > 0 {
                tracing::info!(conference = %id, replaced, "waiting invitation messages replaced by newer ones");
                metrics::counter!("tessera_invitations_total", "kind" => "any", "result" => "replaced")
                    .increment(replaced);
            }
            mailer.queued.notify_one();
            mails.len()
        }
        Err(e) => {
            tracing::warn!(conference = %id, error = %e, "invitations could not be queued");
            0
        }
    }
}

/// The conference as it is now, when its invitees are to be mailed (asked for, and readable).
async fn mailing(state: &AppState, id: &str) -> Option<EditableConference> {
    match state.store.editable_conference(id).await {
        Ok(Some(c)) if c.settings.email_invitations => Some(c),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(conference = %id, error = %e, "invitations could not be prepared");
            None
        }
    }
}

/// A new conference: everyone invited gets an invitation (SEQUENCE 0).
pub async fn created(state: &AppState, id: &str) -> usize {
    let Some(mailer) = state.mailer.clone() else { return 0 };
    let Some(c) = mailing(state, id).await else { return 0 };
    let to: Vec<&Invitee> = c.participants.iter().collect();
    let mails = for_each(state, &mailer, &c, &to, Occasion::Invited, 0);
    queue(state, &mailer, id, mails, Due::Now).await
}

/// A changed conference (`before` is how it was): a scheduled one raises its SEQUENCE, sends
/// everyone invited the update and those removed a cancellation; a room invites the newcomers.
pub async fn changed(state: &AppState, before: &EditableConference) -> usize {
    let Some(mailer) = state.mailer.clone() else { return 0 };
    let id = before.id.as_str();
    let Some(c) = mailing(state, id).await else { return 0 };
    let was_invited = |u: &Invitee| before.participants.iter().any(|p| p.user_id == u.user_id);
    let mut mails = Vec::new();
    if c.settings.schedule().is_some() {
        let sequence = match state.store.next_calendar_sequence(id).await {
            Ok(Some(s)) => s,
            Ok(None) => return 0,
            Err(e) => {
                tracing::warn!(conference = %id, error = %e, "invitations could not be prepared");
                return 0;
            }
        };
        let (old, new): (Vec<&Invitee>, Vec<&Invitee>) = c.participants.iter().partition(|p| was_invited(p));
        mails.extend(for_each(state, &mailer, &c, &old, Occasion::Changed, sequence));
        mails.extend(for_each(state, &mailer, &c, &new, Occasion::Invited, sequence));
        // Cancellations for the removed, while the old invitation still names them.
        let removed: Vec<&Invitee> =
            before.participants.iter().filter(|p| !c.participants.iter().any(|q| q.user_id == p.user_id)).collect();
        if before.settings.email_invitations && before.settings.schedule().is_some() {
            let gone = EditableConference { settings: c.settings.clone(), ..before.clone() };
            mails.extend(for_each(state, &mailer, &gone, &removed, Occasion::Removed, sequence));
        }
    } else {
        let new: Vec<&Invitee> = c.participants.iter().filter(|p| !was_invited(p)).collect();
        mails.extend(for_each(state, &mailer, &c, &new, Occasion::Invited, 0));
    }
    queue(state, &mailer, id, mails, Due::AfterDelay).await
}

/// The cancellations of a conference about to be deleted, built while it still exists; queue
/// them with [`deleted`] once it is gone.
pub async fn cancellations(state: &AppState, c: &EditableConference) -> Vec<QueuedMail> {
    let Some(mailer) = state.mailer.clone() else { return Vec::new() };
    if !c.settings.email_invitations || c.settings.schedule().is_none() {
        return Vec::new();
    }
    let sequence = match state.store.calendar_sequence(&c.id).await {
        Ok(s) => s + 1,
        Err(e) => {
            tracing::warn!(conference = %c.id, error = %e, "cancellations could not be prepared");
            return Vec::new();
        }
    };
    let to: Vec<&Invitee> = c.participants.iter().collect();
    for_each(state, &mailer, c, &to, Occasion::Deleted, sequence)
}

/// Queues the cancellations of a deleted conference.
pub async fn deleted(state: &AppState, id: &str, mails: Vec<QueuedMail>) -> usize {
    match state.mailer.clone() {
        Some(mailer) => queue(state, &mailer, id, mails, Due::Now).await,
        None => 0,
    }
}

/// Sends a webinar guest their unique join link, in the language of the page they signed up
/// on. The calendar entry carries no PIN: the link admits without one.
pub async fn join_link(state: &AppState, c: &EditableConference, (name, to): (&str, &str), url: &str, lang: Lang) {
    let Some(mailer) = state.mailer.clone() else { return };
    let t = |k: &'static str| tr(lang, k);
    let mut s = c.settings.clone();
    s.pin = None;
    let sequence = state.store.calendar_sequence(&c.id).await.unwrap_or(0);
    let calendar = s
        .schedule()
        .map(|_| (Method::Publish, ics::calendar(&state.config, &c.id, &s, &[], &Itip::publish(sequence, lang))));
    let when = match s.starts_at {
        Some(_) => when(c, lang),
        None => String::new(),
    };
    let body = format!("{} \"{}\".\n\n{when}{}\n{url}\n", t("mail.signed_up"), s.name, t("mail.personal_link"));
    let subject = format!("{}: {}", t("mail.subject_join_link"), s.name);
    match build(&mailer, &c.id, OutboxKind::JoinLink, (name, to), &subject, body, calendar) {
        Ok(m) => {
            queue(state, &mailer, &c.id, vec![m], Due::Now).await;
        }
        Err(e) => tracing::warn!(conference = %c.id, error = %e, "join link not sent: it could not be built"),
    }
}
