//! Adding people to a running meeting: the server calls them (SIP dial-out). The web decides
//! who may ask and whom (`POST /api/v1/conferences/{id}/calls`: a user, one of the caller's
//! address-book contacts, or a SIP address) and hands the order to the daemon's SIP side
//! through [`Dialer`]; the call's progress (calling, ringing, failed, joined) comes back as
//! events of the conference, which the conference manager shows.
//!
//! A user added this way also joins the conference's participants, so they can come in from the
//! conference page too; a user without a registered SIP phone is only added.

use crate::auth::ApiUser;
use crate::control::{ControlError, Request};
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::live::{Access, access};
use crate::msg;
use crate::rights::Right;
use crate::state::AppState;
use crate::store::Role;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

/// Whom the server calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A user, at the SIP phone they registered with (their newest registration).
    User(String),
    /// A SIP address (`sip:user@host[:port][;transport=tcp]`).
    Address(String),
}

/// One call to place into a running conference.
#[derive(Debug, Clone)]
pub struct DialOrder {
    pub conference: String,
    /// Shown to the callee as the caller's name.
    pub conference_name: String,
    pub target: Target,
    /// The name the callee gets in the roster and the layout.
    pub name: String,
    /// The user called: their scheduled role and layout window apply.
    pub user: Option<i64>,
    /// Who asked, for the logs.
    pub actor: i64,
    /// Whether the call gets a row of its own in the call history (not when it is one leg of a
    /// call between users, which has its row already).
    pub history: bool,
    /// What the conference asks of its media: calls Tessera places carry plain RTP, so a
    /// conference that takes encrypted media only gets none.
    pub media_rule: crate::admission::MediaRule,
}

/// A call that is being placed: its SIP Call-ID and the URI it goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Dialling {
    pub call: String,
    pub to: String,
}

pub type DialReply = std::result::Result<Dialling, ControlError>;

/// Calls in progress into one conference, at most (a typo'd loop in a script must not ring a
/// whole address book at once).
pub const MAX_DIALLING_PER_CONFERENCE: usize = 25;

/// The web's handle on the SIP side's dial-out.
#[derive(Clone)]
pub struct Dialer {
    tx: mpsc::Sender<(DialOrder, oneshot::Sender<DialReply>)>,
}

impl Dialer {
    pub fn channel() -> (Dialer, mpsc::Receiver<(DialOrder, oneshot::Sender<DialReply>)>) {
        let (tx, rx) = mpsc::channel(64);
        (Dialer { tx }, rx)
    }

    pub async fn dial(&self, order: DialOrder) -> DialReply {
        let (reply, rx) = oneshot::channel();
        self.tx.send((order, reply)).await.map_err(|_| ControlError::Unavailable(msg!("err.sip.not.running")))?;
        rx.await.map_err(|_| ControlError::Unavailable(msg!("err.sip.did.not.answer")))?
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/conferences/{id}/calls", post(add))
}

/// Exactly one of `user`, `contact` and `address`; `name` names an address in the roster.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddInput {
    #[serde(default)]
    pub user: Option<i64>,
    #[serde(default)]
    pub contact: Option<i64>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Added {
    pub name: String,
    /// A user who was not on the list of participants is now.
    pub added_to_participants: bool,
    /// The server is calling them (progress comes as the conference's events).
    pub calling: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<Dialling>,
    pub message: String,
}

/// An `h323:` address may be called when H.323 is on and the address names a host to call;
/// other addresses pass.
pub(crate) fn h323_callable(state: &AppState, field: &str, a: &str) -> Result<()> {
    if !a.starts_with("h323:") {
        return Ok(());
    }
    if state.config.h323_port.is_none() {
        return Err(Error::field(field, msg!("err.dial.h323.off")));
    }
    tessera_sip_h323_bridge::h323::url::parse(a)
        .map(|_| ())
        .map_err(|e| Error::field(field, msg!("err.dial.not.h323", address = format!("{a:?}"), why = e.to_string())))
}

/// Whom an order reaches, as decided from the input.
struct Whom {
    name: String,
    target: Target,
    user: Option<i64>,
}

async fn resolve(state: &AppState, me: i64, input: &AddInput) -> Result<Whom> {
    let given = [input.user.is_some(), input.contact.is_some(), input.address.is_some()];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(Error::field("user", msg!("err.give.exactly.one.user")));
    }
    let name = match input.name.as_deref().map(str::trim) {
        Some(n) if n.chars().count() > 64 || n.chars().any(char::is_control) => {
            return Err(Error::field("name", msg!("err.at.most.64.characters")));
        }
        Some(n) if !n.is_empty() => Some(n.to_string()),
        _ => None,
    };
    let user = |id: i64, field: &'static str| async move {
        let u = state.store.user_by_id(id).await?.filter(|u| !u.disabled);
        u.ok_or_else(|| Error::field(field, msg!("err.no.user", id = id)))
    };
    // Calling an address (rather than a user of this server) can reach any system and cost
    // money through a gateway: it needs the "make calls" right.
    let may_call_addresses = state.store.rights_of(me).await?.contains(&Right::MakeCalls);
    let address = |a: &str, field: &str, name: Option<String>| -> Result<Whom> {
        if !may_call_addresses {
            return Err(Error::Forbidden(msg!("err.calling.address.needs.make")));
        }
        let a = crate::scheduling::input::address(field, a)?;
        h323_callable(state, field, &a)?;
        let shown = name.unwrap_or_else(|| a.trim_start_matches("sips:").trim_start_matches("sip:").to_string());
        Ok(Whom { name: shown, target: Target::Address(a), user: None })
    };
    if let Some(id) = input.user {
        let u = user(id, "user").await?;
        let shown =
            name.unwrap_or_else(|| if u.display_name.is_empty() { u.login.clone() } else { u.display_name.clone() });
        return Ok(Whom { name: shown, target: Target::User(u.login), user: Some(u.id) });
    }
    if let Some(id) = input.contact {
        // Only the asker's own address book.
        let c = state.store.contacts(me).await?.into_iter().find(|c| c.id == id);
        let c = c.ok_or_else(|| Error::field("contact", msg!("err.no.contact.your.address", id = id)))?;
        return match (c.user_id, c.address) {
            (Some(uid), _) => {
                let u = user(uid, "contact").await?;
                Ok(Whom { name: name.unwrap_or(c.name), target: Target::User(u.login), user: Some(u.id) })
            }
            (None, Some(a)) => address(&a, "contact", Some(name.unwrap_or(c.name))),
            (None, None) => Err(Error::field("contact", msg!("err.contact.has.neither.user"))),
        };
    }
    address(input.address.as_deref().unwrap_or_default(), "address", name)
}

/// `POST /api/v1/conferences/{id}/calls`: the owner, moderators and operators add someone to
/// the running conference; the server calls them.
async fn add(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AddInput>,
) -> Result<(StatusCode, Json<Added>)> {
    let id = id.to_ascii_lowercase();
    if access(&state, u.user.id, &id).await? < Access::Control {
        return Err(Error::Forbidden(msg!("err.only.owner.moderators.operators.3")));
    }
    let whom = resolve(&state, u.user.id, &input).await?;
    let control = state.control.as_ref().ok_or_else(|| Error::Unavailable(msg!("err.media.plane.not.running")))?;
    let live = control.call(&id, Some(u.user.id), Request::Status).await.map_err(crate::live::control_error)?;
    if !live.running {
        return Err(Error::Conflict(msg!("err.conference.not.running.start")));
    }
    let mut added = false;
    if let Some(uid) = whom.user
        && state.store.role_in(uid, &id).await?.is_none()
    {
        state.store.add_participant(&id, uid, Role::Participant).await?;
        added = true;
    }
    let dialer = state.dialer.as_ref().ok_or_else(|| Error::Unavailable(msg!("err.sip.not.running.server")))?;
    let dial_in = state.store.dial_in(&id).await?.ok_or(Error::NotFound)?;
    let order = DialOrder {
        conference: id.clone(),
        conference_name: dial_in.name,
        target: whom.target,
        name: whom.name.clone(),
        user: whom.user,
        actor: u.user.id,
        history: true,
        media_rule: crate::admission::MediaRule { encrypted_only: dial_in.encrypted_media },
    };
    match dialer.dial(order).await {
        Ok(d) => {
            tracing::info!(conference = %id, actor = u.user.id, to = %d.to, "dialling out");
            let message = crate::i18n::trf(u.lang, "mgr.dial.calling", &[("name", crate::i18n::Arg::from(&whom.name))]);
            Ok((
                StatusCode::ACCEPTED,
                Json(Added { name: whom.name, added_to_participants: added, calling: true, call: Some(d), message }),
            ))
        }
        // A user without a registered phone is still on the list: they can join from the page.
        Err(ControlError::Invalid { field, message }) if field == "user" && whom.user.is_some() => {
            let message = msg!("err.dial.join.from.page", why = message.render(u.lang)).render(u.lang);
            Ok((
                StatusCode::OK,
                Json(Added { name: whom.name, added_to_participants: added, calling: false, call: None, message }),
            ))
        }
        Err(e) => Err(crate::live::control_error(e)),
    }
}

#[cfg(test)]
mod tests {
    use crate::rights::Right;
    use crate::store::Role;
    use crate::tests::App;
    use serde_json::json;

    crate::both_backends!(only_controllers_add_and_every_field_is_checked, |store| {
        let app = App::new(store.clone());
        let alice = app.user("alice", "alice-password").await;
        let dave = app.user("dave", "dave-password").await;
        let bob = app.user("bob", "bob-password").await;
        app.user("carol", "carol-password").await;
        store.grant_rights(alice, &[Right::EditAddressBook, Right::MakeCalls]).await.unwrap();
        app.room("ops", "Ops", alice, false).await;
        store.add_participant("ops", dave, Role::Participant).await.unwrap();
        let s = app.sign_in("alice", "alice-password").await;
        let carols_contact = {
            let carol = app.sign_in("carol", "carol-password").await;
            store
                .grant_rights(store.user_by_login("carol").await.unwrap().unwrap().id, &[Right::EditAddressBook])
                .await
                .unwrap();
            let r = app.json("POST", "/api/v1/contacts", Some(&carol), json!({"address": "sip:desk@10.0.0.9"})).await;
            assert_eq!(r.status, 201, "{}", r.text());
            r.json()["id"].as_i64().unwrap()
        };
        let add = |body: serde_json::Value| {
            let (app, s) = (&app, &s);
            async move { app.json("POST", "/api/v1/conferences/ops/calls", Some(s), body).await }
        };
        for (body, field) in [
            (json!({}), "user"),
            (json!({"user": bob, "contact": 1}), "user"),
            (json!({"user": 12345}), "user"),
            (json!({"contact": carols_contact}), "contact"),
            (json!({"address": ""}), "address"),
            (json!({"address": "sip:"}), "address"),
            (json!({"address": "h323:10.0.0.7"}), "address"),
            (json!({"address": "sip:desk@10.0.0.9", "name": "x".repeat(65)}), "name"),
        ] {
            let r = add(body.clone()).await;
            assert_eq!(
                (r.status.as_u16(), r.json()["field"].as_str().map(String::from)),
                (422, Some(field.to_string())),
                "{body}: {}",
                r.text()
            );
        }
        // Without the "make calls" right, addresses are refused; users may still be called.
        store.revoke_rights(alice, &[Right::MakeCalls]).await.unwrap();
        let r = add(json!({"address": "sip:desk@10.0.0.9"})).await;
        assert_eq!(r.status, 403, "{}", r.text());
        assert!(r.text().contains("make calls"), "{}", r.text());
        // Valid, but this server runs no media plane: said so, and bob was not added.
        let r = add(json!({"user": bob})).await;
        assert_eq!(r.status, 503, "{}", r.text());
        assert_eq!(store.role_in(bob, "ops").await.unwrap(), None);
        // Participants may not add; others do not see the conference.
        let d = app.sign_in("dave", "dave-password").await;
        assert_eq!(app.json("POST", "/api/v1/conferences/ops/calls", Some(&d), json!({"user": bob})).await.status, 403);
        let b = app.sign_in("bob", "bob-password").await;
        assert_eq!(app.json("POST", "/api/v1/conferences/ops/calls", Some(&b), json!({"user": bob})).await.status, 404);
        assert_eq!(app.json("POST", "/api/v1/conferences/ops/calls", None, json!({"user": bob})).await.status, 401);
    });
}
