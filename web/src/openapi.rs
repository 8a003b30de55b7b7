//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. A test in
//! `lib.rs` checks that every API route of the router is described here.

use serde_json::{Value, json};

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
        "Control a conference: {\"action\": start | end | add_synthetic | remove | apply_layout | preview | rename | device | podium | moderator | presenter, ...}; apply_layout takes the layout_version it was edited from as version (409 when stale)",
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
    ("get", "/api/v1/openapi.json", "This document", false),
    // Last: the routing test deletes its conference here.
    (
        "delete",
        "/api/v1/conferences/{id}",
        "Delete a conference (owner or operator); a running one is ended first",
        true,
    ),
];

/// The scheduling form's input (`scheduling::input::ConferenceInput`).
fn conference_input() -> Value {
    let s = json!({ "type": "string" });
    let b = json!({ "type": "boolean" });
    let mut v = json!({
        "type": "object", "additionalProperties": false,
        "properties": {
            "name": { "type": "string", "maxLength": 200 },
            "access": { "enum": ["private", "public"] },
            "kind": { "enum": ["scheduled", "room"] },
            "mode": { "enum": tessera_conference::Mode::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>() },
            "active_speakers": { "type": "integer" },
            "start": { "type": "string", "description": "YYYY-MM-DDTHH:MM in time_zone" },
            "end": { "type": ["string", "null"] },
            "duration_minutes": { "type": ["integer", "null"] },
            "time_zone": s,
            "recurrence": { "type": ["object", "null"], "properties": {
                "freq": { "enum": ["daily", "weekly", "monthly"] }, "interval": { "type": "integer" },
                "days": { "type": "array", "items": { "enum": ["mo", "tu", "we", "th", "fr", "sa", "su"] } },
                "until": { "type": ["string", "null"] }, "count": { "type": ["integer", "null"] } } },
            "participants": { "type": "array", "items": { "type": "object", "properties": {
                "login": s, "role": { "enum": ["moderator", "participant"] }, "speaker": b } } },
            "addresses": { "type": "array", "items": { "type": "object", "properties": {
                "address": s, "role": { "enum": ["moderator", "participant"] }, "speaker": b } } },
            "layout": { "type": ["object", "null"], "description": "The mixer's layout: kind, windows, content_slot, slots, name_position, locked" },
            "id": s, "pin": s,
            "join_without_invitation": b, "cameras_off_on_join": b, "microphones_off_on_join": b,
            "guest_permissions": { "type": "array", "items": { "enum": ["chat", "microphone", "camera"] } },
            "record": b, "email_invitations": b, "location": s, "description": s,
            "save_as_template": b, "template_name": s
        }
    });
    v["properties"]["registration"] = registration_input();
    v
}

/// The Registration tab's settings (`registration::input::RegistrationInput`).
fn registration_input() -> Value {
    let b = json!({ "type": "boolean" });
    json!({ "type": ["object", "null"], "additionalProperties": false,
        "description": "Webinars (public scheduled): sign-up settings; the fields are fixed once saved",
        "properties": {
            "enabled": b, "closes": { "enum": ["never", "start", "end", "custom"] },
            "opens": { "type": "string", "description": "custom: YYYY-MM-DDTHH:MM in time_zone" },
            "closes_at": { "type": "string", "description": "custom: YYYY-MM-DDTHH:MM in time_zone" },
            "close_when_full": b, "allow_attend": b,
            "fields": { "type": "array", "items": { "type": "object", "properties": {
                "key": { "type": "string", "description": "name, email, phone, organization, position; empty for a custom field" },
                "label": { "type": "string", "description": "a custom field's label (at most 10 custom fields)" },
                "required": b } } } } })
}

pub fn document() -> Value {
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
        if *method == "post" && *path == "/api/v1/session" {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["login", "password"], "additionalProperties": false,
                "properties": { "login": { "type": "string", "maxLength": 64 }, "password": { "type": "string", "maxLength": 256 } } } } } });
            op["responses"]["401"] = json!({ "description": "wrong username or password" });
            op["responses"]["423"] = json!({ "description": "the account is locked" });
            op["responses"]["429"] = json!({ "description": "too many failures from this address" });
        }
        if *method == "patch" && *path == "/api/v1/me" {
            let s = json!({ "type": "string" });
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": {
                "type": "object", "additionalProperties": false,
                "properties": { "display_name": s, "email": s, "phone": s, "company": s, "position": s,
                    "language": { "enum": ["en", "ru"] }, "time_zone": s } } } } });
        }
        if *path == "/api/v1/conferences" || (*method == "put" && *path == "/api/v1/conferences/{id}") {
            op["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": conference_input() } } });
            op["responses"]["422"] = json!({ "description": "a field is invalid: `field` names it" });
        }
        if *path == "/api/v1/templates" && *method == "post" || *method == "put" && *path == "/api/v1/templates/{id}" {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["name", "settings"], "additionalProperties": false,
                "properties": { "name": { "type": "string" }, "settings": conference_input() } } } } });
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
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Tessera personal area API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Session cookie authentication: POST /api/v1/session, then send the cookie and, on state-changing calls, the X-CSRF-Token header with the csrf_token it returned." },
        "paths": paths,
        "components": { "schemas": { "Error": { "type": "object", "required": ["error"], "properties": {
            "error": { "type": "string" }, "field": { "type": "string" }, "locked_until": { "type": "integer" } } } } }
    })
}
