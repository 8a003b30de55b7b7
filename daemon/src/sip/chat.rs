//! The conference chat for SIP endpoints (RFC 3428 MESSAGE inside the call): what a phone sends
//! is stored and shown on the conference pages; what the pages send reaches phones that list
//! MESSAGE in their Allow header.

use super::Context;
use tessera_conference::chat::ChatRefusal;
use tessera_sip_h323_bridge::sip::message::Message;
use tessera_web::store::ChatMessage;

/// A MESSAGE from the phone into the conference's chat: `Err((status, reason))` to answer.
/// `guest`: `Some(allowed)` for a webinar guest (the core's rule decides).
pub(super) async fn receive(
    ctx: &Context,
    conference: &str,
    name: &str,
    call_id: &str,
    m: &Message,
    guest: Option<bool>,
) -> Result<(), (u16, &'static str)> {
    let ct = m.headers.single("Content-Type").ok().flatten().unwrap_or_default().to_ascii_lowercase();
    if !ct.starts_with("text/plain") {
        return Err((415, "Unsupported Media Type (text/plain only)"));
    }
    let Ok(text) = std::str::from_utf8(&m.body) else { return Err((400, "Bad Request (the text is not UTF-8)")) };
    let text = tessera_conference::chat::message(text, guest).map_err(|r| match r {
        ChatRefusal::NotAllowed => (403, "Forbidden (the organiser does not let guests use the chat)"),
        ChatRefusal::Empty => (400, "Bad Request (an empty message)"),
        ChatRefusal::TooLong => (413, "Request Entity Too Large (at most 2000 characters)"),
    })?;
    let msg = ChatMessage {
        conference: conference.to_string(),
        at_ms: chrono::Utc::now().timestamp_millis(),
        user_id: None,
        from: name.to_string(),
        text,
        file: None,
        origin: format!("sip:{call_id}"),
    };
    if let Err(e) = ctx.store.add_chat_message(&msg).await {
        tracing::error!(error = %e, "SIP: storing a chat message failed");
        return Err((500, "Server Internal Error (storage)"));
    }
    metrics::counter!("tessera_chat_messages_total").increment(1);
    if let Some(chat) = &ctx.chat {
        let _ = chat.send(msg);
    }
    Ok(())
}

/// Whether the phone takes MESSAGE requests (its INVITE's Allow header lists them).
pub(super) fn accepts_messages(invite: &Message) -> bool {
    invite.headers.all("Allow").flat_map(|a| a.split(',')).any(|m| m.trim().eq_ignore_ascii_case("MESSAGE"))
}

/// The text a phone is sent for a chat message: who wrote it, then what.
pub(super) fn body(m: &ChatMessage) -> String {
    format!("{}: {}", m.from, m.text)
}
