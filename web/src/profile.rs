//! Profile settings: account information, the avatar (webcam photo or upload), the interface
//! language and the time zone. `GET/PATCH /api/v1/me`, `PUT/GET/DELETE /api/v1/me/avatar`.

use crate::auth::{ApiUser, CurrentUser, PageUser};
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::i18n::{Lang, tr};
use crate::layout::{notice, page};
use crate::msg;
use crate::rights::Right;
use crate::state::{AppState, now};
use crate::store::{License, ProfileUpdate, UserRow};
use crate::validate;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use maud::html;
use serde::{Deserialize, Serialize};

/// Hard cap on any avatar request body, whatever the configured limit, so a huge upload is cut
/// off while it streams in.
const AVATAR_BODY_CAP: usize = 16 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(profile_page).post(profile_submit))
        .route("/api/v1/me", get(me_api).patch(patch_me_api))
        .route(
            "/api/v1/me/avatar",
            get(get_avatar).put(put_avatar).delete(delete_avatar).layer(DefaultBodyLimit::max(AVATAR_BODY_CAP)),
        )
}

/// Profile fields as they arrive; every field optional so that PATCH changes only what it names.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    display_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    company: Option<String>,
    position: Option<String>,
    language: Option<String>,
    time_zone: Option<String>,
}

impl ProfilePatch {
    /// Validates every given field and merges it over the current profile.
    fn apply(self, cur: &UserRow) -> Result<ProfileUpdate> {
        let pick = |v: Option<String>, c: &str| v.unwrap_or_else(|| c.to_string());
        Ok(ProfileUpdate {
            display_name: validate::text("display_name", &pick(self.display_name, &cur.display_name), 100, false)?,
            email: validate::email("email", &pick(self.email, &cur.email))?,
            phone: validate::phone("phone", &pick(self.phone, &cur.phone))?,
            company: validate::text("company", &pick(self.company, &cur.company), 100, false)?,
            position: validate::text("position", &pick(self.position, &cur.position), 100, false)?,
            language: validate::language("language", &pick(self.language, &cur.language))?,
            time_zone: validate::time_zone("time_zone", &pick(self.time_zone, &cur.time_zone))?,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Me {
    id: i64,
    login: String,
    display_name: String,
    email: String,
    phone: String,
    company: String,
    position: String,
    language: String,
    time_zone: String,
    rights: Vec<Right>,
    license: Option<License>,
    has_avatar: bool,
    csrf_token: String,
}

async fn me(state: &AppState, u: &CurrentUser) -> Result<Me> {
    let id = u.user.id;
    let (rights, license, avatar) =
        tokio::try_join!(state.store.rights_of(id), state.store.license(id), state.store.avatar(id))?;
    let r = &u.user;
    Ok(Me {
        id,
        login: r.login.clone(),
        display_name: r.display_name.clone(),
        email: r.email.clone(),
        phone: r.phone.clone(),
        company: r.company.clone(),
        position: r.position.clone(),
        language: r.language.clone(),
        time_zone: r.time_zone.clone(),
        rights,
        license,
        has_avatar: avatar.is_some(),
        csrf_token: u.csrf.clone(),
    })
}

async fn me_api(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<Json<Me>> {
    Ok(Json(me(&state, &u).await?))
}

async fn patch_me_api(
    State(state): State<AppState>,
    ApiUser(mut u): ApiUser,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> Result<Json<Me>> {
    let upd = patch.apply(&u.user)?;
    state.store.update_profile(u.user.id, &upd, now()).await?;
    u.user = state.store.user_by_id(u.user.id).await?.ok_or(Error::NotFound)?;
    Ok(Json(me(&state, &u).await?))
}

#[derive(Deserialize)]
struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: FormFields,
}

#[derive(Deserialize, Default)]
struct FormFields {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    time_zone: String,
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

fn render(u: &CurrentUser, has_avatar: bool, values: &UserRow, saved: bool, error: Option<(&str, &str)>) -> String {
    let lang = u.lang;
    let err_for = |f: &str| error.filter(|(ef, _)| *ef == f).map(|(_, m)| m.to_string());
    let field = |name: &'static str, key: &'static str, kind: &'static str, value: &str| {
        html! {
            label for=(name) { (tr(lang, key)) }
            input id=(name) type=(kind) name=(name) value=(value) maxlength="254";
            @if let Some(m) = err_for(name) { div.field-error data-field=(name) { (m) } }
        }
    };
    let tzs = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
    let body = html! {
        h1 { (tr(lang, "profile.title")) }
        @if saved { (notice("ok", tr(lang, "profile.saved"))) }
        @if let Some((f, m)) = error { (notice("error", &format!("{f}: {m}"))) }
        p.tabs { a href="#account" { (tr(lang, "profile.account")) } a href="#avatar" { (tr(lang, "profile.avatar")) } a href="#other" { (tr(lang, "profile.other")) } }
        form #profile-form method="post" action="/profile" {
            input type="hidden" name="csrf" value=(u.csrf);
            section.card #account {
                h2 { (tr(lang, "profile.account")) }
                label { (tr(lang, "profile.login")) } p { code { (values.login) } " " a #change-password href="/password" { (tr(lang, "password.link")) } }
                (field("display_name", "profile.display_name", "text", &values.display_name))
                (field("email", "profile.email", "email", &values.email))
                (field("phone", "profile.phone", "tel", &values.phone))
                (field("company", "profile.company", "text", &values.company))
                (field("position", "profile.position", "text", &values.position))
            }
            section.card #other {
                h2 { (tr(lang, "profile.other")) }
                label for="language" { (tr(lang, "profile.language")) }
                select #language name="language" {
                    @for l in Lang::ALL { option value=(l.code()) selected[l.code() == values.language] { (l.native_name()) } }
                }
                label for="time_zone" { (tr(lang, "profile.time_zone")) }
                select #time_zone name="time_zone" translate="no" {
                    @for t in tzs { option value=(t) selected[t == values.time_zone] { (t) } }
                }
                @if let Some(m) = err_for("time_zone") { div.field-error data-field="time_zone" { (m) } }
            }
            p { button #save type="submit" { (tr(lang, "profile.save")) } }
        }
        section.card #avatar {
            h2 { (tr(lang, "profile.avatar")) }
            img.avatar #avatar-img alt="" src=(if has_avatar { "/api/v1/me/avatar" } else { "" }) hidden[!has_avatar];
            p.muted { (tr(lang, "profile.avatar_hint")) }
            p {
                button.secondary #make-photo type="button" { (tr(lang, "profile.make_photo")) } " "
                label.button.secondary for="upload" style="display:inline" { (tr(lang, "profile.upload")) }
                input #upload type="file" accept="image/png,image/jpeg,image/webp" hidden;
                @if has_avatar { " " button.secondary #remove-avatar type="button" { (tr(lang, "profile.remove_avatar")) } }
            }
            div #camera hidden {
                video.preview #camera-video autoplay playsinline muted {}
                p { button #take-photo type="button" { (tr(lang, "profile.take")) } }
            }
            p #avatar-status role="status" data-saved=(tr(lang, "profile.avatar_saved")) data-camera-error=(tr(lang, "profile.camera_error")) {}
        }
        meta name="csrf-token" content=(u.csrf);
        script src="/static/profile.js" {}
    };
    page(lang, tr(lang, "profile.title"), Some(u), body).into_string()
}

async fn profile_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<SavedQuery>,
) -> Result<Html<String>> {
    let has_avatar = state.store.avatar(u.user.id).await?.is_some();
    Ok(Html(render(&u, has_avatar, &u.user, q.saved.is_some(), None)))
}

async fn profile_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(f): Form<ProfileForm>,
) -> Result<Response> {
    u.check_csrf(&f.csrf)?;
    let x = f.fields;
    let patch = ProfilePatch {
        display_name: Some(x.display_name.clone()),
        email: Some(x.email.clone()),
        phone: Some(x.phone.clone()),
        company: Some(x.company.clone()),
        position: Some(x.position.clone()),
        language: Some(x.language.clone()),
        time_zone: Some(x.time_zone.clone()),
    };
    match patch.apply(&u.user) {
        Ok(upd) => {
            state.store.update_profile(u.user.id, &upd, now()).await?;
            Ok(Redirect::to("/profile?saved=1").into_response())
        }
        Err(Error::Field { field, message }) => {
            // Show what the user typed, with the error next to its field; nothing was stored.
            let mut shown = u.user.clone();
            shown.display_name = x.display_name;
            shown.email = x.email;
            shown.phone = x.phone;
            shown.company = x.company;
            shown.position = x.position;
            let has_avatar = state.store.avatar(u.user.id).await?.is_some();
            let html = render(&u, has_avatar, &shown, false, Some((&field, &message.render(u.lang))));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Checks an uploaded avatar: declared type, magic bytes, size and dimensions.
pub fn check_avatar(content_type: Option<&str>, body: &[u8], max_bytes: usize) -> Result<&'static str> {
    if body.is_empty() {
        return Err(Error::field("avatar", msg!("err.empty")));
    }
    if body.len() > max_bytes {
        return Err(Error::PayloadTooLarge(msg!("err.avatar.at.most.bytes", max_bytes = max_bytes, len = body.len())));
    }
    let sniffed = if body.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if body.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if body.len() > 12 && &body[0..4] == b"RIFF" && &body[8..12] == b"WEBP" {
        "image/webp"
    } else {
        return Err(Error::UnsupportedMediaType(msg!("err.avatar.png.jpeg.webp")));
    };
    let declared = content_type.unwrap_or("").split(';').next().unwrap_or("").trim();
    if declared != sniffed {
        return Err(Error::UnsupportedMediaType(msg!(
            "err.avatar.content.type.does",
            declared = format!("{:?}", declared),
            sniffed = sniffed
        )));
    }
    let size = imagesize::blob_size(body).map_err(|_| Error::field("avatar", msg!("err.image.damaged.truncated")))?;
    if !(16..=4096).contains(&size.width) || !(16..=4096).contains(&size.height) {
        return Err(Error::field(
            "avatar",
            msg!("err.between.16.4096.pixels", width = size.width, height = size.height),
        ));
    }
    Ok(sniffed)
}

async fn put_avatar(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let kind = check_avatar(ct, &body, state.config.avatar_max_bytes)?;
    state.store.set_avatar(u.user.id, kind, &body, now()).await?;
    tracing::info!(login = %u.user.login, bytes = body.len(), "avatar changed");
    Ok(StatusCode::NO_CONTENT)
}

async fn get_avatar(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<Response> {
    let (ct, data, _) = state.store.avatar(u.user.id).await?.ok_or(Error::NotFound)?;
    Ok(([(header::CONTENT_TYPE, ct), (header::CACHE_CONTROL, "private, no-cache".into())], data).into_response())
}

async fn delete_avatar(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<StatusCode> {
    state.store.delete_avatar(u.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        v
    }

    #[test]
    fn avatar_checks() {
        assert_eq!(check_avatar(Some("image/png"), &png(64, 64), 1000).unwrap(), "image/png");
        assert!(matches!(check_avatar(Some("image/jpeg"), &png(64, 64), 1000), Err(Error::UnsupportedMediaType(_))));
        assert!(matches!(check_avatar(Some("image/png"), b"hello", 1000), Err(Error::UnsupportedMediaType(_))));
        assert!(matches!(check_avatar(Some("image/png"), &png(8, 8), 1000), Err(Error::Field { .. })));
        assert!(matches!(check_avatar(Some("image/png"), &png(64, 64), 10), Err(Error::PayloadTooLarge(_))));
        assert!(matches!(check_avatar(Some("image/png"), &[], 10), Err(Error::Field { .. })));
    }
}
