//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. A test in
//! `lib.rs` checks that every API route of the router is described here.

use serde_json::{Value, json};
use utoipa::openapi::schema::{ObjectBuilder, Type};

/// A role in a conference (`tessera_conference::Role`, outside this crate).
pub fn role_schema() -> utoipa::openapi::Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["owner", "moderator", "participant"])).build()
}

/// The layout group of an endpoint (`tessera_mixer::layout::EndpointGroup`); null for synthetic
/// participants.
pub fn group_schema() -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([Some("sip_h323"), Some("web_rtc"), None]))
        .build()
}

/// The mixer's layouts of a running conference (`tessera_mixer::layout::LayoutSet`).
pub fn layout_set_schema() -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "The layouts that apply: `all` (everyone), per endpoint group, per participant, and display names",
        ))
        .build()
}

/// Which layout a change applies to (`tessera_conference::Scope`): `"all"`, `{"group": …}` or
/// `{"participant": id}`.
pub fn scope_schema() -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .description(Some(r#"Which layout: "all", {"group": "sip_h323" | "web_rtc"} or {"participant": id}"#))
        .build()
}

/// The mixer's layout model (`tessera_mixer::layout::Layout`, outside this crate).
pub fn layout_schema() -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "The mixer's layout: kind, windows, content_slot, slots (auto, empty or a participant), name_position, locked",
        ))
        .build()
}

fn err() -> Value {
    json!({ "description": "error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn ok(desc: &str) -> Value {
    json!({ "description": desc, "content": { "application/json": { "schema": { "type": "object" } } } })
}

/// (method, path, summary, needs CSRF header)
pub const OPERATIONS: &[(&str, &str, &str, bool)] = &[
    ("post", "/api/v1/session", "Sign in with login and password; sets the session cookie", false),
    ("delete", "/api/v1/session", "Sign out", true),
    ("get", "/api/v1/me", "The signed-in user's profile, rights, license and CSRF token", false),
    (
        "patch",
        "/api/v1/me",
        "Change profile fields (display_name, email, phone, company, position, language, time_zone)",
        true,
    ),
    ("get", "/api/v1/me/avatar", "The user's avatar image", false),
    ("put", "/api/v1/me/avatar", "Set the avatar (PNG, JPEG or WebP body; Content-Type must match)", true),
    ("delete", "/api/v1/me/avatar", "Remove the avatar", true),
    ("post", "/api/v1/me/license/renew", "Renew a temporary PRO license for 24 hours, where allowed", true),
    (
        "get",
        "/api/v1/me/calls",
        "The user's calls with other users, newest first: direction, peer, start, answer, end, duration, result",
        false,
    ),
    (
        "post",
        "/api/v1/me/calls",
        "Call a user ({\"to\": login}) or a SIP address (make calls right): 201 with the call's room to join",
        true,
    ),
    ("post", "/api/v1/me/calls/{id}/answer", "Answer a call ringing to you: the room to join", true),
    ("post", "/api/v1/me/calls/{id}/decline", "Decline a call ringing to you", true),
    ("post", "/api/v1/me/calls/{id}/cancel", "Cancel your call while it rings", true),
    ("get", "/api/v1/admin/audit", "The audit log, newest first (administrators; limit, format=csv)", false),
    (
        "get",
        "/api/v1/admin/live",
        "What runs now (administrators): conferences with their participants and each link's address, codecs, \
         packet loss and jitter (RTCP receiver reports); SIP registrations; CPU, load and memory",
        false,
    ),
    ("get", "/api/v1/admin/settings", "The server-wide settings with their values and meaning (administrators)", false),
    (
        "put",
        "/api/v1/admin/settings",
        "Change settings: {key: value}; all are checked before any is written; one fixed by the configuration is refused",
        true,
    ),
    (
        "post",
        "/api/v1/admin/smtp/test",
        "Send a test message now ({to}): 503 with the SMTP server's answer if it fails",
        true,
    ),
    (
        "get",
        "/api/v1/admin/users",
        "Accounts (administrators): q searches login, name and email; page (25 each)",
        false,
    ),
    (
        "post",
        "/api/v1/admin/users",
        "Add an account: login, display_name, email, admin, password (left out: one is generated, returned once, \
         and must be changed at the first sign-in), or send_link (email on: a link to choose one is mailed)",
        true,
    ),
    ("get", "/api/v1/admin/users/{id}", "An account with its rights, license and lock", false),
    (
        "patch",
        "/api/v1/admin/users/{id}",
        "Change an account: display_name, email, disabled, admin, rights (the whole set), \
         license ({kind: none|permanent|temporary, until: YYYY-MM-DD})",
        true,
    ),
    ("post", "/api/v1/admin/users/{id}/lock", "Lock the account for the lockout period", true),
    ("post", "/api/v1/admin/users/{id}/unlock", "Lift the account's lock", true),
    ("post", "/api/v1/admin/users/{id}/password", "Reset the password: a generated one, returned once", true),
    (
        "post",
        "/api/v1/admin/users/{id}/password-link",
        "Mail the user a link to choose a new password (email on; works once, 72 hours)",
        true,
    ),
    ("get", "/api/v1/home", "Today's conferences, up to five virtual rooms, rights and license", false),
    ("get", "/api/v1/conferences/{id}", "One conference the user takes part in (404 otherwise)", false),
    ("get", "/api/v1/conferences/{id}/live", "A running conference: participants, layouts, podium, outputs", false),
    (
        "post",
        "/api/v1/conferences/{id}/live",
        "Control a conference: {\"action\": start | end | add_synthetic | add_rtp | add_devices | camera_control | remove | apply_layout | preview | rename | device | podium | moderator | presenter, ...}; apply_layout takes the layout_version it was edited from as version (409 when stale)",
        true,
    ),
    (
        "post",
        "/api/v1/conferences/{id}/calls",
        "Add a participant to the running conference; the server calls them over SIP: {\"user\": id} (at their registered phone; also added to the participants), {\"contact\": id} (the caller's address book) or {\"address\": \"sip:…\", \"name\": …}. 202 when calling (progress as the events calling, ringing, call_failed, joined); 200 with calling false for a user without a registered phone; 409 when not running",
        true,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/participants/{pid}/devices",
        "A browser participant's cameras, microphones and speakers and the ones in use (owner, moderators, operators; 409 for endpoints that do not report them)",
        false,
    ),
    (
        "post",
        "/api/v1/conferences/{id}/participants/{pid}/devices",
        "Choose a browser participant's devices: {\"camera\", \"microphone\", \"speaker\"} by id, among those it reported (202; its page switches)",
        true,
    ),
    (
        "get",
        "/api/v1/devices",
        "The cameras, microphones and loudspeakers attached to the server (operators; 409 when [devices] is off)",
        false,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/devices",
        "The server's devices stored with the conference: each joins as one participant whenever it runs (owner, moderators, operators)",
        false,
    ),
    (
        "post",
        "/api/v1/conferences/{id}/devices",
        "Attach the server's devices to the conference (operators): {name, camera, microphone, speaker, echo_cancellation, start_room} with ids from /api/v1/devices; 422 naming the field for an unknown or unusable device, 409 for a device attached to it already; joins within a second when it runs, and start_room starts a virtual room now and whenever the server starts",
        true,
    ),
    (
        "delete",
        "/api/v1/conferences/{id}/devices/{aid}",
        "Detach the server's devices (operators): the participant leaves",
        true,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/devices/{aid}/presets",
        "The attached camera's presets: [{name, controls: {pan, tilt, zoom, focus}}] (operators)",
        false,
    ),
    (
        "put",
        "/api/v1/conferences/{id}/devices/{aid}/presets/{name}",
        "Remember where the attached camera is now as preset name (operators; the conference runs)",
        true,
    ),
    ("delete", "/api/v1/conferences/{id}/devices/{aid}/presets/{name}", "Forget a camera preset (operators)", true),
    (
        "post",
        "/api/v1/conferences/{id}/devices/{aid}/presets/{name}/recall",
        "Move the attached camera to a preset (operators; the conference runs)",
        true,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/events",
        "The connection history (joined, left, device changes, recording); owner and operators",
        false,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/recordings",
        "The conference's recordings: file, format, start, end, duration, size, state (owner and operators)",
        false,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/recordings/{rid}",
        "Download a recording (owner and operators; Range requests answered with 206; 409 while it is being made)",
        false,
    ),
    (
        "delete",
        "/api/v1/conferences/{id}/recordings/{rid}",
        "Delete a recording and its file (owner and operators)",
        true,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/analytics/entries",
        "Participants' entries (owner and operators): users invited and webinar guests signed up, when added and joined; filters q, auth (all|users|guests), status (all|joined|absent), from, to (YYYY-MM-DD in the user's time zone); answers {total, from_ms, to_ms, rows}",
        false,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/analytics/connections",
        "Connection history (owner and operators): every join, leave and event; filters q (name), from, to; answers {total, from_ms, to_ms, rows}",
        false,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/analytics/chat",
        "Chat history (owner and operators); filters q (all words), sender, from, to; answers {total, from_ms, to_ms, rows}",
        false,
    ),
    ("get", "/api/v1/conferences/{id}/multicast.sdp", "The SDP of the running multicast output", false),
    (
        "get",
        "/api/v1/conferences/{id}/chat",
        "The chat history, oldest first (conference pages and SIP MESSAGE); owner and operators",
        false,
    ),
    (
        "post",
        "/api/v1/conferences",
        "Schedule a conference or create a virtual room (the scheduling form's input; 201 with its id)",
        true,
    ),
    (
        "put",
        "/api/v1/conferences/{id}",
        "Change a conference (owner or operator; the same input as creating; the ID stays)",
        true,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/settings",
        "A conference's settings as the scheduling form's input (owner or operator)",
        false,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/mail",
        "What the conference's invitees were mailed (invitations, updates, cancellations, join links) and whether each went (owner or operator)",
        false,
    ),
    (
        "get",
        "/api/v1/meetings",
        "Occurrences of the user's scheduled conferences starting in [from, to) (UTC seconds, at most 62 days)",
        false,
    ),
    ("get", "/api/v1/users", "Users whose login or name starts with q (the participants picker), at most 20", false),
    ("get", "/api/v1/templates", "The user's templates", false),
    (
        "post",
        "/api/v1/templates",
        "Create a template: {name, settings} with settings as the scheduling form's input",
        true,
    ),
    ("get", "/api/v1/templates/{id}", "One of the user's templates", false),
    ("put", "/api/v1/templates/{id}", "Change a template", true),
    ("delete", "/api/v1/templates/{id}", "Delete a template", true),
    (
        "post",
        "/api/v1/templates/{id}/conference",
        "Create a conference from a template (a passed start moves to the next day)",
        true,
    ),
    (
        "get",
        "/api/v1/contacts",
        "The user's address book and the shared one (shared: true): users of the server and SIP/H.323 addresses",
        false,
    ),
    ("get", "/api/v1/address-book", "The shared address book the administrator provides to every user", false),
    (
        "post",
        "/api/v1/address-book",
        "Add to the shared address book (operators): {login} or {address}, and an optional name",
        true,
    ),
    ("delete", "/api/v1/address-book/{id}", "Remove an entry of the shared address book (operators)", true),
    (
        "post",
        "/api/v1/contacts",
        "Add a contact: {login} or {address}, and an optional name (needs the edit address book right)",
        true,
    ),
    ("delete", "/api/v1/contacts/{id}", "Remove a contact (needs the edit address book right)", true),
    (
        "get",
        "/api/v1/conferences/{id}/registrants",
        "A webinar's guests who signed up, with their answers (owner or operator)",
        false,
    ),
    ("post", "/api/v1/me/password", "Change your password: the current one and the new one", true),
    (
        "post",
        "/c/{id}/register",
        "Sign up for a webinar as a guest (from the webinar's own page: same origin): the personal join link, or where it was emailed",
        false,
    ),
    ("post", "/c/{id}/attend", "Add yourself to a webinar's participants, where the organiser allows it", true),
    ("get", "/api/v1/openapi.json", "This document", false),
    // Last: the routing test deletes its conference here.
    (
        "delete",
        "/api/v1/conferences/{id}",
        "Delete a conference (owner or operator); a running one is ended first",
        true,
    ),
];

type Schemas = serde_json::Map<String, Value>;
/// Puts a type's schema (and those it refers to) in the components, and refers to it.
type Gen = fn(&mut Schemas) -> Value;

fn one<T: utoipa::ToSchema>(c: &mut Schemas) -> Value {
    let mut deps = Vec::new();
    T::schemas(&mut deps);
    for (name, schema) in deps {
        c.insert(name, serde_json::to_value(schema).unwrap_or_default());
    }
    c.insert(T::name().into_owned(), serde_json::to_value(T::schema()).unwrap_or_default());
    json!({ "$ref": format!("#/components/schemas/{}", T::name()) })
}

fn many<T: utoipa::ToSchema>(c: &mut Schemas) -> Value {
    json!({ "type": "array", "items": one::<T>(c) })
}

/// An analytics answer with rows of `R`: written in place, since every instance of the generic
/// `Answer` would otherwise take the same component name.
fn answer<R: utoipa::ToSchema + serde::Serialize>(c: &mut Schemas) -> Value {
    one::<R>(c);
    serde_json::to_value(<crate::analytics::Answer<R> as utoipa::PartialSchema>::schema()).unwrap_or_default()
}

/// The request body and the success response of an operation, from the handlers' own types
/// (`utoipa::ToSchema` derived on them): what the document says is what the handlers read and
/// write.
fn typed(method: &str, path: &str) -> (Option<Gen>, Option<Gen>) {
    use crate::store::{CallRow, ChatMessage, ConferenceRow, Contact, EventRow, OutboxRow, RecordingRow, Registrant};
    macro_rules! g {
        (one $t:ty) => {
            Some(one::<$t> as Gen)
        };
        (many $t:ty) => {
            Some(many::<$t> as Gen)
        };
        (answer $t:ty) => {
            Some(answer::<$t> as Gen)
        };
    }
    match (method, path) {
        ("post", "/api/v1/session") => (g!(one crate::signin::SignInRequest), g!(one crate::signin::SignedIn)),
        ("get", "/api/v1/me") | ("patch", "/api/v1/me") => {
            (if method == "patch" { g!(one crate::profile::ProfilePatch) } else { None }, g!(one crate::profile::Me))
        }
        ("post", "/api/v1/me/password") => (g!(one crate::password_change::ChangeRequest), None),
        ("post", "/api/v1/me/license/renew") => (None, g!(one crate::store::License)),
        ("get", "/api/v1/me/calls") => (None, g!(many CallRow)),
        ("post", "/api/v1/me/calls") => (g!(one crate::calling::StartCall), g!(one crate::calling::Started)),
        ("post", "/api/v1/me/calls/{id}/answer") => (None, g!(one crate::calling::Answered)),
        ("get", "/api/v1/home") => (None, g!(one crate::home::HomeData)),
        ("post", "/api/v1/conferences") => {
            (g!(one crate::scheduling::input::ConferenceInput), g!(one crate::scheduling::Saved))
        }
        ("put", "/api/v1/conferences/{id}") => {
            (g!(one crate::scheduling::input::ConferenceInput), g!(one crate::scheduling::Saved))
        }
        ("get", "/api/v1/conferences/{id}") => (None, g!(one ConferenceRow)),
        ("delete", "/api/v1/conferences/{id}") => (None, g!(one crate::scheduling::Deleted)),
        ("get", "/api/v1/conferences/{id}/settings") => (None, g!(one crate::scheduling::input::ConferenceInput)),
        ("get", "/api/v1/conferences/{id}/mail") => (None, g!(many OutboxRow)),
        ("get", "/api/v1/conferences/{id}/live") => (None, g!(one crate::control::LiveState)),
        ("post", "/api/v1/conferences/{id}/live") => {
            (g!(one crate::control::Request), g!(one crate::control::LiveState))
        }
        ("get", "/api/v1/conferences/{id}/events") => (None, g!(many EventRow)),
        ("get", "/api/v1/conferences/{id}/recordings") => (None, g!(many RecordingRow)),
        ("get", "/api/v1/conferences/{id}/chat") => (None, g!(many ChatMessage)),
        ("get", "/api/v1/conferences/{id}/registrants") => (None, g!(many Registrant)),
        ("post", "/api/v1/conferences/{id}/calls") => (g!(one crate::dialout::AddInput), g!(one crate::dialout::Added)),
        ("get", "/api/v1/conferences/{id}/participants/{pid}/devices") => {
            (None, g!(one crate::remote_devices::DeviceList))
        }
        ("post", "/api/v1/conferences/{id}/participants/{pid}/devices") => {
            (g!(one crate::remote_devices::Choice), None)
        }
        ("get", "/api/v1/devices") => (None, g!(one crate::server_devices::Available)),
        ("get", "/api/v1/conferences/{id}/devices") => (None, g!(many crate::store::Attachment)),
        ("get", "/api/v1/conferences/{id}/devices/{aid}/presets") => (None, g!(many crate::server_devices::Preset)),
        ("post", "/api/v1/conferences/{id}/devices") => {
            (g!(one crate::server_devices::AttachRequest), g!(one crate::store::Attachment))
        }
        ("get", "/api/v1/meetings") => (None, g!(many ConferenceRow)),
        ("get", "/api/v1/users") => (None, g!(many crate::scheduling::FoundUser)),
        ("get", "/api/v1/templates") => (None, g!(many crate::store::Template)),
        ("get", "/api/v1/templates/{id}") => (None, g!(one crate::store::Template)),
        ("post", "/api/v1/templates") | ("put", "/api/v1/templates/{id}") => {
            (g!(one crate::scheduling::templates::TemplateInput), g!(one crate::store::Template))
        }
        ("post", "/api/v1/templates/{id}/conference") => (None, g!(one crate::scheduling::Saved)),
        ("get", "/api/v1/contacts") | ("get", "/api/v1/address-book") => (None, g!(many Contact)),
        ("post", "/api/v1/contacts") | ("post", "/api/v1/address-book") => {
            (g!(one crate::contacts::NewContact), g!(one crate::contacts::NewId))
        }
        ("post", "/c/{id}/register") => {
            (g!(one crate::registration::SignUpInput), g!(one crate::registration::SignedUp))
        }
        ("post", "/c/{id}/attend") => (None, g!(one crate::registration::Attending)),
        ("get", "/api/v1/admin/users") => (None, g!(one crate::admin_users::AccountPage)),
        ("post", "/api/v1/admin/users") => {
            (g!(one crate::admin_users::NewAccount), g!(one crate::admin_users::Created))
        }
        ("post", "/api/v1/admin/users/{id}/lock") => (None, g!(one crate::admin_users::LockedUntil)),
        ("post", "/api/v1/admin/users/{id}/unlock") => (None, g!(one crate::admin_users::Unlocked)),
        ("post", "/api/v1/admin/users/{id}/password") => (None, g!(one crate::admin_users::NewPassword)),
        ("post", "/api/v1/admin/users/{id}/password-link") => (None, g!(one crate::admin_users::LinkMailed)),
        ("get", "/api/v1/admin/audit") => (None, g!(many crate::store::AuditEntry)),
        ("get", "/api/v1/conferences/{id}/analytics/entries") => (None, g!(answer crate::store::Entry)),
        ("get", "/api/v1/conferences/{id}/analytics/connections") => (None, g!(answer EventRow)),
        ("get", "/api/v1/conferences/{id}/analytics/chat") => (None, g!(answer ChatMessage)),
        ("get", "/api/v1/admin/users/{id}") => (None, g!(one crate::admin_users::Account)),
        ("patch", "/api/v1/admin/users/{id}") => {
            (g!(one crate::admin_users::AccountChange), g!(one crate::admin_users::Account))
        }
        ("get", "/api/v1/admin/settings") | ("put", "/api/v1/admin/settings") => {
            (None, g!(many crate::admin_api::SettingView))
        }
        ("post", "/api/v1/admin/smtp/test") => (g!(one crate::admin_api::SmtpTest), g!(one crate::admin_api::Sent)),
        ("get", "/api/v1/admin/live") => (None, g!(one crate::admin_api::Live)),
        _ => (None, None),
    }
}

/// The status a successful call answers with, where it is not 200 (what the handlers return).
fn success_status(method: &str, path: &str) -> &'static str {
    match (method, path) {
        ("post", "/api/v1/conferences")
        | ("post", "/api/v1/templates")
        | ("post", "/api/v1/templates/{id}/conference")
        | ("post", "/api/v1/me/calls")
        | ("post", "/api/v1/contacts")
        | ("post", "/api/v1/address-book")
        | ("post", "/api/v1/admin/users")
        | ("post", "/c/{id}/register")
        | ("post", "/api/v1/conferences/{id}/devices") => "201",
        ("post", "/api/v1/conferences/{id}/participants/{pid}/devices") => "202",
        ("delete", "/api/v1/session")
        | ("put", "/api/v1/me/avatar")
        | ("delete", "/api/v1/me/avatar")
        | ("post", "/api/v1/me/password")
        | ("post", "/api/v1/me/calls/{id}/decline")
        | ("post", "/api/v1/me/calls/{id}/cancel")
        | ("delete", "/api/v1/conferences/{id}/recordings/{rid}")
        | ("delete", "/api/v1/templates/{id}")
        | ("delete", "/api/v1/contacts/{id}")
        | ("delete", "/api/v1/address-book/{id}")
        | ("delete", "/api/v1/conferences/{id}/devices/{aid}")
        | ("put", "/api/v1/conferences/{id}/devices/{aid}/presets/{name}")
        | ("delete", "/api/v1/conferences/{id}/devices/{aid}/presets/{name}")
        | ("post", "/api/v1/conferences/{id}/devices/{aid}/presets/{name}/recall") => "204",
        _ => "200",
    }
}

/// The answers that are not JSON: files, images, SDP, CSV.
fn other_media(method: &str, path: &str) -> Option<Value> {
    let binary = json!({ "schema": { "type": "string", "contentMediaType": "application/octet-stream" } });
    Some(match (method, path) {
        ("get", "/api/v1/me/avatar") => json!({ "description": "the avatar image",
            "content": { "image/png": binary, "image/jpeg": binary, "image/webp": binary } }),
        ("get", "/api/v1/conferences/{id}/recordings/{rid}") => json!({
            "description": "the recording's file (a Range request gets 206 with that part)",
            "content": { "application/octet-stream": binary } }),
        ("get", "/api/v1/conferences/{id}/multicast.sdp") => json!({ "description": "the SDP of the multicast output",
            "content": { "application/sdp": { "schema": { "type": "string" } } } }),
        ("get", "/api/v1/openapi.json") => json!({ "description": "this document",
            "content": { "application/json": { "schema": { "type": "object" } } } }),
        _ => return None,
    })
}

pub fn document() -> Value {
    let mut schemas = Schemas::new();
    let mut paths = serde_json::Map::new();
    for (method, path, summary, csrf) in OPERATIONS {
        let mut op = json!({
            "summary": summary,
            "responses": { "200": ok("success"), "4XX": err() },
        });
        if *csrf {
            op["parameters"] =
                json!([{ "name": "X-CSRF-Token", "in": "header", "required": true, "schema": { "type": "string" } }]);
        }
        // Every `{name}` of the path is a path parameter (ids of conferences are strings; the
        // others are numbers).
        let mut params = op["parameters"].as_array().cloned().unwrap_or_default();
        for name in path.split('{').skip(1).filter_map(|p| p.split('}').next()) {
            let schema = if name == "id" { json!({ "type": "string" }) } else { json!({ "type": "integer" }) };
            params.push(json!({ "name": name, "in": "path", "required": true, "schema": schema }));
        }
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        let (body, response) = typed(method, path);
        let answers = response.is_some() || other_media(method, path).is_some();
        if let Some(body) = body {
            op["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": body(&mut schemas) } } });
        }
        if let Some(response) = response {
            op["responses"]["200"] = json!({ "description": "success", "content": { "application/json": { "schema": response(&mut schemas) } } });
        }
        if let Some(media) = other_media(method, path) {
            op["responses"]["200"] = media;
        }
        match success_status(method, path) {
            "200" => {}
            "204" => {
                op["responses"].as_object_mut().map(|r| r.remove("200"));
                op["responses"]["204"] = json!({ "description": "done; no body" });
            }
            "202" if !answers => {
                op["responses"].as_object_mut().map(|r| r.remove("200"));
                op["responses"]["202"] = json!({ "description": "accepted; no body" });
            }
            code => {
                let answer = op["responses"].as_object_mut().and_then(|r| r.remove("200")).unwrap_or_default();
                op["responses"][code] = answer;
            }
        }
        if *path == "/api/v1/admin/audit" {
            op["responses"]["200"]["content"]["text/csv"] = json!({ "schema": { "type": "string" } });
        }
        if *path == "/api/v1/conferences/{id}/calls" {
            op["responses"]["202"] = op["responses"]["200"].clone();
            op["responses"]["202"]["description"] = "calling: progress follows as events".into();
        }
        if *method == "put" && *path == "/api/v1/admin/settings" {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": {
                "type": "object", "description": "setting key → new value (see GET)",
                "additionalProperties": { "type": "string" } } } } });
        }
        if *method == "put" && *path == "/api/v1/me/avatar" {
            let image = json!({ "schema": { "type": "string", "contentMediaType": "application/octet-stream" } });
            op["requestBody"] = json!({ "required": true, "content": { "image/png": image, "image/jpeg": image, "image/webp": image } });
        }
        if *method == "post" && *path == "/api/v1/session" {
            op["responses"]["401"] = json!({ "description": "wrong username or password" });
            op["responses"]["423"] = json!({ "description": "the account is locked" });
            op["responses"]["429"] = json!({ "description": "too many failures from this address" });
        }
        if op.get("requestBody").is_some() {
            op["responses"]["422"] = json!({ "description": "a field is invalid: `field` names it" });
        }
        if *path == "/api/v1/meetings" {
            op["parameters"] = json!([
                { "name": "from", "in": "query", "required": true, "schema": { "type": "integer" } },
                { "name": "to", "in": "query", "required": true, "schema": { "type": "integer" } }]);
        }
        if path.contains("/analytics/") {
            let names: &[&str] = match path.rsplit('/').next() {
                Some("entries") => &["q", "auth", "status", "from", "to"],
                Some("chat") => &["q", "sender", "from", "to"],
                _ => &["q", "from", "to"],
            };
            let mut params = op["parameters"].as_array().cloned().unwrap_or_default();
            params.extend(
                names
                    .iter()
                    .map(|n| json!({ "name": n, "in": "query", "required": false, "schema": { "type": "string" } })),
            );
            op["parameters"] = Value::Array(params);
        }
        if *path == "/api/v1/users" {
            op["parameters"] =
                json!([{ "name": "q", "in": "query", "required": true, "schema": { "type": "string" } }]);
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    schemas.insert(
        "Error".into(),
        json!({ "type": "object", "required": ["error"], "properties": {
            "error": { "type": "string" }, "field": { "type": "string" }, "locked_until": { "type": "integer" } } }),
    );
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Tessera personal area API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Session cookie authentication: POST /api/v1/session, then send the cookie and, on state-changing calls, the X-CSRF-Token header with the csrf_token it returned." },
        "paths": paths,
        "components": { "schemas": schemas }
    })
}
