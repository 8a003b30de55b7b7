//! Accounts as the administrator manages them. Each change has one home here, called by the
//! control panel (`/admin/users…`), its JSON API (`/api/v1/admin/users…`) and, for what it
//! shares, `tessera admin user …`. Every change is checked whole before any of it is written, so
//! a bad field changes nothing.

use crate::admin_api::{AdminUser, audited};
use crate::auth::credentials;
use crate::auth::lockout::{lock_login, unlock_login};
use crate::auth::session::ClientAddr;
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::msg;
use crate::rights::Right;
use crate::state::{AppState, now};
use crate::store::{License, LicenseKind, NewUser, ProfileUpdate, Store, StoreError, UserRow};
use crate::validate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// Accounts on one page of the list.
pub const PAGE_SIZE: i64 = 25;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/users", get(list_api).post(create_api))
        .route("/api/v1/admin/users/{id}", get(get_api).patch(change_api))
        .route("/api/v1/admin/users/{id}/unlock", post(unlock_api))
        .route("/api/v1/admin/users/{id}/lock", post(lock_api))
        .route("/api/v1/admin/users/{id}/password", post(password_api))
        .route("/api/v1/admin/users/{id}/password-link", post(password_link_api))
}

/// An account as the panel shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Account {
    #[serde(flatten)]
    pub user: UserRow,
    pub rights: Vec<Right>,
    pub license: Option<License>,
    /// While locked after failed sign-ins (or by an administrator): until when, UTC seconds.
    pub locked_until: Option<i64>,
}

pub async fn account(store: &Store, user: UserRow, now: i64) -> Result<Account> {
    let (rights, license, failures) =
        tokio::try_join!(store.rights_of(user.id), store.license(user.id), store.failure_state(&user.login))?;
    let locked_until = failures.and_then(|f| f.locked_until).filter(|&t| t > now);
    Ok(Account { user, rights, license, locked_until })
}

pub async fn find(store: &Store, id: i64) -> Result<UserRow> {
    store.user_by_id(id).await?.ok_or(Error::NotFound)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountPage {
    pub accounts: Vec<Account>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

/// One page (from 1) of the accounts matching `q`.
pub async fn search(store: &Store, q: &str, page: i64, now: i64) -> Result<AccountPage> {
    let q = validate::text("q", q, 100, false)?;
    if !(1..=100_000).contains(&page) {
        return Err(Error::field("page", msg!("err.from.1")));
    }
    let (rows, total) = store.search_users(&q, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let mut accounts = Vec::with_capacity(rows.len());
    for u in rows {
        accounts.push(account(store, u, now).await?);
    }
    Ok(AccountPage { accounts, total, page, page_size: PAGE_SIZE })
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    pub login: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    /// Given: the account's password. Left out: one is generated, shown once, and must be
    /// changed at the first sign-in.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub admin: bool,
    /// Mail the user a link to choose their own password (email must be on): no password is
    /// generated for anyone to see. See [`crate::password_links`].
    #[serde(default)]
    pub send_link: bool,
}

/// Creates an account; the generated password, when none was given and no link is to be mailed
/// (the caller mails it: [`crate::password_links::mail`]).
pub async fn create(store: &Store, a: &NewAccount, now: i64) -> Result<(UserRow, Option<String>)> {
    let login = validate::login("login", &a.login)?;
    let display = validate::text("display_name", &a.display_name, 100, false)?;
    let email = validate::email("email", &a.email)?;
    let (password, generated) = match &a.password {
        Some(_) if a.send_link => return Err(Error::field("password", msg!("err.give.password.mail.link"))),
        Some(p) => (validate::new_password("password", p)?, false),
        None => (credentials::generate_password(), true),
    };
    let hash = crate::auth::password::hash_async(password.clone()).await.map_err(Error::Internal)?;
    let u = match store.create_user(NewUser { login: &login, password_hash: &hash, display_name: &display }, now).await
    {
        Err(StoreError::Conflict(_)) => {
            return Err(Error::field("login", msg!("err.user.already.exists", login = format!("{:?}", login))));
        }
        r => r?,
    };
    credentials::save_sip_digest(store, u.id, &login, &password, now).await.map_err(Error::Internal)?;
    if !email.is_empty() {
        store.update_profile(u.id, &ProfileUpdate { email, ..profile_of(&u) }, now).await?;
    }
    if a.admin {
        store.set_admin(u.id, true).await?;
    }
    if generated {
        store.require_password_change(u.id).await?;
    }
    let u = find(store, u.id).await?;
    Ok((u, (generated && !a.send_link).then_some(password)))
}

fn profile_of(u: &UserRow) -> ProfileUpdate {
    ProfileUpdate {
        display_name: u.display_name.clone(),
        email: u.email.clone(),
        phone: u.phone.clone(),
        company: u.company.clone(),
        position: u.position.clone(),
        language: u.language.clone(),
        time_zone: u.time_zone.clone(),
    }
}

/// A license as the administrator sets it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LicenseChange {
    None,
    Permanent,
    /// Until the end of this day (UTC), `YYYY-MM-DD`.
    Temporary {
        until: String,
    },
}

impl LicenseChange {
    fn resolve(&self, now: i64) -> Result<Option<License>> {
        Ok(match self {
            LicenseChange::None => None,
            LicenseChange::Permanent => Some(License { kind: LicenseKind::Permanent, expires_at: None }),
            LicenseChange::Temporary { until } => {
                let day = chrono::NaiveDate::parse_from_str(until.trim(), "%Y-%m-%d")
                    .map_err(|_| Error::field("license.until", msg!("err.date.yyyy.mm.dd")))?;
                let end = day.and_hms_opt(23, 59, 59).map(|t| t.and_utc().timestamp()).unwrap_or(0);
                if end <= now {
                    return Err(Error::field("license.until", msg!("err.day.over")));
                }
                Some(License { kind: LicenseKind::Temporary, expires_at: Some(end) })
            }
        })
    }
}

/// What an administrator changes in an account; what is left out stays.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub disabled: Option<bool>,
    pub admin: Option<bool>,
    /// The whole set of rights the account has afterwards.
    pub rights: Option<Vec<Right>>,
    pub license: Option<LicenseChange>,
}

/// Applies a change by the administrator `actor` to `target`. An administrator cannot disable
/// themselves or give up their own role, so the server always keeps one who can undo mistakes.
pub async fn change(store: &Store, actor: &UserRow, target: &UserRow, c: &AccountChange, now: i64) -> Result<()> {
    let display = c.display_name.as_deref().map(|d| validate::text("display_name", d, 100, false)).transpose()?;
    let email = c.email.as_deref().map(|e| validate::email("email", e)).transpose()?;
    let license = c.license.as_ref().map(|l| l.resolve(now)).transpose()?;
    if actor.id == target.id && c.disabled == Some(true) {
        return Err(Error::field("disabled", msg!("err.you.cannot.disable.your")));
    }
    if actor.id == target.id && c.admin == Some(false) {
        return Err(Error::field("admin", msg!("err.you.cannot.give.up")));
    }
    if display.is_some() || email.is_some() {
        let mut p = profile_of(target);
        if let Some(d) = display {
            p.display_name = d;
        }
        if let Some(e) = email {
            p.email = e;
        }
        store.update_profile(target.id, &p, now).await?;
    }
    if let Some(rights) = &c.rights {
        let have = store.rights_of(target.id).await?;
        let gone: Vec<Right> = have.iter().filter(|r| !rights.contains(r)).copied().collect();
        store.revoke_rights(target.id, &gone).await?;
        store.grant_rights(target.id, rights).await?;
    }
    match license {
        Some(Some(l)) => store.set_license(target.id, l, now).await?,
        Some(None) => {
            store.revoke_license(target.id).await?;
        }
        None => {}
    }
    if let Some(a) = c.admin {
        store.set_admin(target.id, a).await?;
    }
    if let Some(d) = c.disabled {
        store.set_disabled(target.id, d, now).await?;
    }
    Ok(())
}

/// A new generated password for `target`, shown once; their sessions end and they must choose
/// their own at the next sign-in.
pub async fn reset_password(store: &Store, target: &UserRow, now: i64) -> Result<String> {
    let password = credentials::generate_password();
    credentials::set_password(store, target.id, &target.login, &password, now).await.map_err(Error::Internal)?;
    store.require_password_change(target.id).await?;
    Ok(password)
}

pub async fn unlock(store: &Store, target: &UserRow) -> Result<bool> {
    Ok(unlock_login(store, &target.login).await?)
}

/// Locks an account for the lockout policy's period, as failed sign-ins would.
pub async fn lock(store: &Store, actor: &UserRow, target: &UserRow, now: i64) -> Result<i64> {
    if actor.id == target.id {
        return Err(Error::field("id", msg!("err.you.cannot.lock.your")));
    }
    Ok(lock_login(store, &target.login, now).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<i64>,
}

async fn list_api(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<AccountPage>> {
    Ok(Json(search(&state.store, &q.q, q.page.unwrap_or(1), now()).await?))
}

/// A new account, and its generated password this once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    #[serde(flatten)]
    account: Account,
    /// The generated password, this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

async fn create_api(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    ApiJson(a): ApiJson<NewAccount>,
) -> Result<Response> {
    let (user, password) = create_and_mail(&state, &u, addr, &a).await?;
    let account = account(&state.store, user, now()).await?;
    Ok((StatusCode::CREATED, Json(Created { account, password })).into_response())
}

/// Creates an account (audited) and, when asked, mails its set-password link; the generated
/// password when one is to be shown. Whether a link can be mailed is checked before anything is
/// created.
pub async fn create_and_mail(
    state: &AppState,
    u: &crate::auth::CurrentUser,
    addr: Option<std::net::IpAddr>,
    a: &NewAccount,
) -> Result<(UserRow, Option<String>)> {
    let action = format!("user.create {} admin={} send_link={}", a.login.trim(), a.admin, a.send_link);
    let checked = if a.send_link { crate::password_links::check_mailable(state, &a.email) } else { Ok(()) };
    let r = match checked {
        Ok(()) => create(&state.store, a, now()).await,
        Err(e) => Err(e),
    };
    let (user, password) = audited(state, u, addr, action, r).await?;
    if a.send_link {
        let r = crate::password_links::mail(state, &user, true).await;
        audited(state, u, addr, format!("user.mail_password_link {}", user.login), r).await.map_err(|e| {
            Error::Unavailable(msg!("err.account.was.made.but", login = &user.login, e = e.to_string()))
        })?;
    }
    Ok((user, password))
}

/// A password link went to the account's address.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LinkMailed {
    pub sent: bool,
    /// How long the link works.
    pub valid_hours: i64,
}

/// An account's lock was lifted (`was_locked`: whether it had one).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Unlocked {
    pub was_locked: bool,
}

/// An account locked until then (Unix seconds).
#[derive(Serialize, utoipa::ToSchema)]
pub struct LockedUntil {
    pub locked_until: i64,
}

/// A generated password, shown this once; the user must change it at the next sign-in.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewPassword {
    pub password: String,
    pub must_change: bool,
}

async fn password_link_api(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<i64>,
) -> Result<Json<LinkMailed>> {
    let mail = async |t: &UserRow| crate::password_links::mail(&state, t, false).await;
    act_on(&state, &u, addr, id, "mail_password_link", mail).await?;
    Ok(Json(LinkMailed { sent: true, valid_hours: crate::password_links::LINK_HOURS }))
}

async fn get_api(State(state): State<AppState>, AdminUser(_): AdminUser, Path(id): Path<i64>) -> Result<Json<Account>> {
    Ok(Json(account(&state.store, find(&state.store, id).await?, now()).await?))
}

/// What a change does, for the audit log (never a password).
pub fn describe(login: &str, c: &AccountChange) -> String {
    let mut parts = vec![format!("user.change {login}")];
    if let Some(d) = &c.display_name {
        parts.push(format!("display_name={d:?}"));
    }
    if let Some(e) = &c.email {
        parts.push(format!("email={e:?}"));
    }
    if let Some(d) = c.disabled {
        parts.push(format!("disabled={d}"));
    }
    if let Some(a) = c.admin {
        parts.push(format!("admin={a}"));
    }
    if let Some(r) = &c.rights {
        parts.push(format!("rights=[{}]", r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")));
    }
    match &c.license {
        Some(LicenseChange::None) => parts.push("license=none".into()),
        Some(LicenseChange::Permanent) => parts.push("license=permanent".into()),
        Some(LicenseChange::Temporary { until }) => parts.push(format!("license=until {until}")),
        None => {}
    }
    parts.join(" ")
}

async fn change_api(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<i64>,
    ApiJson(c): ApiJson<AccountChange>,
) -> Result<Json<Account>> {
    let target = find(&state.store, id).await?;
    let r = change(&state.store, &u.user, &target, &c, now()).await;
    audited(&state, &u, addr, describe(&target.login, &c), r).await?;
    Ok(Json(account(&state.store, find(&state.store, id).await?, now()).await?))
}

/// Finds account `id`, does `act` to it and records that in the audit log as `user.VERB LOGIN`.
async fn act_on<T>(
    state: &AppState,
    u: &crate::auth::CurrentUser,
    addr: Option<std::net::IpAddr>,
    id: i64,
    verb: &str,
    act: impl AsyncFnOnce(&UserRow) -> Result<T>,
) -> Result<T> {
    let target = find(&state.store, id).await?;
    let r = act(&target).await;
    audited(state, u, addr, format!("user.{verb} {}", target.login), r).await
}

async fn unlock_api(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<i64>,
) -> Result<Json<Unlocked>> {
    let was = act_on(&state, &u, addr, id, "unlock", async |t| unlock(&state.store, t).await).await?;
    Ok(Json(Unlocked { was_locked: was }))
}

async fn lock_api(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<i64>,
) -> Result<Json<LockedUntil>> {
    let until = act_on(&state, &u, addr, id, "lock", async |t| lock(&state.store, &u.user, t, now()).await).await?;
    Ok(Json(LockedUntil { locked_until: until }))
}

async fn password_api(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<i64>,
) -> Result<Json<NewPassword>> {
    let reset = async |t: &UserRow| reset_password(&state.store, t, now()).await;
    let password = act_on(&state, &u, addr, id, "reset_password", reset).await?;
    Ok(Json(NewPassword { password, must_change: true }))
}
