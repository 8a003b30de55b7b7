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
    ("get", "/api/v1/home", "Today's conferences, up to five virtual rooms, rights and license", false),
    ("get", "/api/v1/conferences/{id}", "One conference the user takes part in (404 otherwise)", false),
    ("get", "/api/v1/conferences/{id}/live", "A running conference: participants, layouts, podium, outputs", false),
    (
        "post",
        "/api/v1/conferences/{id}/live",
        "Control a conference: {\"action\": start | end | add_synthetic | remove | apply_layout | rename | device | podium | moderator | presenter, ...}",
        true,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/events",
        "The connection history (joined, left, device changes, recording)",
        false,
    ),
    (
        "get",
        "/api/v1/conferences/{id}/recordings",
        "The conference's recordings: file, format, start, end, duration, size, state",
        false,
    ),
    ("get", "/api/v1/conferences/{id}/multicast.sdp", "The SDP of the running multicast output", false),
    (
        "get",
        "/api/v1/conferences/{id}/chat",
        "The chat history, oldest first (conference pages and SIP MESSAGE); for owner, moderators, operators",
        false,
    ),
    ("get", "/api/v1/openapi.json", "This document", false),
];

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
        if path.contains("{id}") {
            let mut params = op["parameters"].as_array().cloned().unwrap_or_default();
            params.push(json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }));
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
