//! `tessera admin …`: the administrator's tools, working on the same database as the running
//! server (SQLite in WAL mode allows both at once; PostgreSQL naturally does).

use crate::cli::{
    AddressBookCommand, AdminCommand, ConferenceCommand, LicenseCommand, LockoutCommand, RightsCommand,
    SettingsCommand, UserCommand,
};
use crate::config::Config;
use anyhow::{Context, bail};
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use std::io::BufRead;
use tessera_web::i18n::{Lang, tr};
use tessera_web::rights::Right;
use tessera_web::store::{
    ConferenceKind, License, LicenseKind, MediaUpdate, NewConference, Role, Setting, Store, UserRow,
};
use tessera_web::validate;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub async fn run(config: &Config, cmd: AdminCommand) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    // A restore replaces the database file: nothing may hold it open.
    let restored = match &cmd {
        AdminCommand::Restore { file } => {
            Some(crate::backup::restore(&config.database_url(), &config.data_dir, file).await)
        }
        _ => None,
    };
    let store = Store::open(&config.database_url()).await.context("opening the database")?;
    store.fix(config.fixed.clone());
    // Every command that changes something goes to the audit log (passwords come on stdin, so
    // none is in what is written).
    let read_only = matches!(
        &cmd,
        AdminCommand::Audit { .. }
            | AdminCommand::User(UserCommand::List)
            | AdminCommand::Rights(RightsCommand::List { .. })
            | AdminCommand::License(LicenseCommand::Show { .. })
            | AdminCommand::Lockout(LockoutCommand::Show)
            | AdminCommand::Settings(SettingsCommand::List | SettingsCommand::Get { .. })
            | AdminCommand::AddressBook(AddressBookCommand::List)
    );
    let action = format!("{cmd:?}");
    let r = match cmd {
        AdminCommand::Audit { csv, limit } => audit_log(&store, csv, limit).await,
        AdminCommand::Backup { file } => crate::backup::backup(&store, &file).await,
        AdminCommand::Restore { .. } => restored.unwrap_or_else(|| Ok(String::new())).map(|_| ()),
        AdminCommand::User(c) => user(&store, c).await,
        AdminCommand::Rights(c) => rights(&store, c).await,
        AdminCommand::License(c) => license(&store, c).await,
        AdminCommand::Lockout(c) => lockout(&store, c).await,
        AdminCommand::Settings(c) => settings(&store, c).await,
        AdminCommand::Conference(c) => conference(&store, c, &config.web().public_url).await,
        AdminCommand::AddressBook(c) => address_book(&store, c).await,
    };
    if !read_only {
        let outcome = match &r {
            Ok(()) => "ok".to_string(),
            Err(e) => format!("{e:#}"),
        };
        let entry = tessera_web::store::AuditEntry {
            at_ms: chrono::Utc::now().timestamp_millis(),
            actor: system_user(),
            source: "cli".into(),
            action,
            outcome,
        };
        if let Err(e) = store.audit(&entry).await {
            eprintln!("warning: the audit log did not take this action: {e}");
        }
    }
    store.close().await;
    r
}

/// Who runs the command line: the user behind sudo, else the login.
pub fn system_user() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

async fn audit_log(store: &Store, csv: bool, limit: i64) -> anyhow::Result<()> {
    let rows = store.audit_log(limit.clamp(1, 100_000)).await?;
    let when = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .unwrap_or_default()
    };
    if csv {
        use std::io::Write;
        std::io::stdout().write_all(&tessera_web::admin_api::audit_csv(&rows)?)?;
        return Ok(());
    }
    for e in rows {
        println!("{}  {:<12} {:<6} {}  [{}]", when(e.at_ms), e.actor, e.source, e.action, e.outcome);
    }
    Ok(())
}

fn field_err(e: tessera_web::error::Error) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn address_book(store: &Store, cmd: AddressBookCommand) -> anyhow::Result<()> {
    match cmd {
        AddressBookCommand::Add { login, address, name } => {
            let name = validate::text("name", &name, 100, false).map_err(field_err)?;
            let (user, address) = match (login, address) {
                (Some(l), _) => (Some(find_user(store, &l).await?.id), None),
                (None, Some(a)) => {
                    (None, Some(tessera_web::scheduling::input::address("address", a.trim()).map_err(field_err)?))
                }
                (None, None) => bail!("give --login or --address"),
            };
            match store.add_shared_contact(user, address.as_deref(), &name, now()).await {
                Ok(id) => println!("added to the shared address book (id {id})"),
                Err(tessera_web::store::StoreError::Conflict(_)) => bail!("that is in the shared address book already"),
                Err(e) => return Err(e.into()),
            }
        }
        AddressBookCommand::List => {
            for c in store.shared_contacts().await? {
                println!("{:<18} {:<32} {}", c.id, c.name, c.login.or(c.address).unwrap_or_default());
            }
        }
        AddressBookCommand::Remove { id } => {
            if !store.delete_shared_contact(id).await? {
                bail!("no entry {id} in the shared address book");
            }
            println!("removed");
        }
    }
    Ok(())
}

async fn find_user(store: &Store, login: &str) -> anyhow::Result<UserRow> {
    let login = login.trim().to_lowercase();
    store.user_by_login(&login).await?.with_context(|| format!("no user {login:?}"))
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let pw = line.trim_end_matches(['\n', '\r']).to_string();
    validate::new_password("password", &pw).map_err(field_err)
}

async fn user(store: &Store, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add { login, display_name, email } => {
            // Checked before the password is asked for.
            validate::login("login", &login).map_err(field_err)?;
            let a = tessera_web::admin_users::NewAccount {
                login,
                display_name: display_name.unwrap_or_default(),
                email: email.unwrap_or_default(),
                password: Some(read_password()?),
                admin: false,
                send_link: false,
            };
            let (u, _) = tessera_web::admin_users::create(store, &a, now()).await.map_err(field_err)?;
            println!("added user {}", u.login);
        }
        UserCommand::List => {
            let t = now();
            println!("{:<24} {:<28} {:<10} {:<28} RIGHTS", "LOGIN", "NAME", "STATE", "LICENSE");
            for u in store.list_users().await? {
                let locked = store.failure_state(&u.login).await?.and_then(|s| s.locked_until).filter(|&x| x > t);
                let state = if u.disabled {
                    "disabled"
                } else if locked.is_some() {
                    "locked"
                } else {
                    "active"
                };
                let lic = describe_license(store.license(u.id).await?, t);
                let rights: Vec<_> = store.rights_of(u.id).await?.iter().map(|r| r.as_str()).collect();
                println!("{:<24} {:<28} {:<10} {:<28} {}", u.login, u.display_name, state, lic, rights.join(","));
            }
        }
        UserCommand::SetPassword { login } => {
            let u = find_user(store, &login).await?;
            let pw = read_password()?;
            tessera_web::auth::credentials::set_password(store, u.id, &u.login, &pw, now()).await?;
            println!("password of {} changed; their sessions were ended", u.login);
        }
        UserCommand::Disable { login } => {
            let u = find_user(store, &login).await?;
            store.set_disabled(u.id, true, now()).await?;
            println!("{} disabled; their sessions were ended", u.login);
        }
        UserCommand::Enable { login } => {
            let u = find_user(store, &login).await?;
            store.set_disabled(u.id, false, now()).await?;
            println!("{} enabled", u.login);
        }
        UserCommand::Admin { login, revoke } => {
            let u = find_user(store, &login).await?;
            store.set_admin(u.id, !revoke).await?;
            println!("{} {} the administrator role", u.login, if revoke { "no longer has" } else { "now has" });
        }
        UserCommand::Unlock { login } => {
            let login = login.trim().to_lowercase();
            if tessera_web::auth::lockout::unlock_login(store, &login).await? {
                println!("{login} unlocked");
            } else {
                println!("{login} was not locked and had no failed sign-ins");
            }
        }
    }
    Ok(())
}

fn describe_license(l: Option<License>, t: i64) -> String {
    match l {
        None => "none".into(),
        Some(License { kind: LicenseKind::Permanent, .. }) => "permanent".into(),
        Some(l @ License { kind: LicenseKind::Temporary, expires_at }) => {
            let when = expires_at
                .and_then(|e| chrono::Utc.timestamp_opt(e, 0).single())
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            if l.is_valid(t) { format!("temporary until {when}") } else { format!("expired {when}") }
        }
    }
}

fn parse_rights(names: &[String]) -> anyhow::Result<Vec<Right>> {
    if names.iter().any(|n| n == "all") {
        return Ok(Right::ALL.to_vec());
    }
    names.iter().map(|n| n.parse::<Right>().map_err(anyhow::Error::from)).collect()
}

async fn rights(store: &Store, cmd: RightsCommand) -> anyhow::Result<()> {
    match cmd {
        RightsCommand::Grant { login, rights } => {
            let u = find_user(store, &login).await?;
            let r = parse_rights(&rights)?;
            store.grant_rights(u.id, &r).await?;
            println!("granted {} to {}", r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "), u.login);
        }
        RightsCommand::Revoke { login, rights } => {
            let u = find_user(store, &login).await?;
            let r = parse_rights(&rights)?;
            store.revoke_rights(u.id, &r).await?;
            println!("revoked {} from {}", r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "), u.login);
        }
        RightsCommand::List { login: Some(login) } => {
            let u = find_user(store, &login).await?;
            let have = store.rights_of(u.id).await?;
            for r in Right::ALL {
                println!(
                    "{} {:<20} {}",
                    if have.contains(&r) { "[x]" } else { "[ ]" },
                    r.as_str(),
                    tr(Lang::En, r.title_key())
                );
            }
        }
        RightsCommand::List { login: None } => {
            for r in Right::ALL {
                println!("{:<20} {}: {}", r.as_str(), tr(Lang::En, r.title_key()), tr(Lang::En, r.help_key()));
            }
        }
    }
    Ok(())
}

fn parse_until(s: &str) -> anyhow::Result<i64> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        // The whole named day counts.
        return Ok(d.and_hms_opt(23, 59, 59).map(|t| t.and_utc().timestamp()).unwrap_or(0));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .map(|t| t.and_utc().timestamp())
        .with_context(|| format!("--until {s:?}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)"))
}

async fn license(store: &Store, cmd: LicenseCommand) -> anyhow::Result<()> {
    let t = now();
    match cmd {
        LicenseCommand::Grant { login, permanent, days, until } => {
            let u = find_user(store, &login).await?;
            let l = match (permanent, days, until) {
                (true, _, _) => License { kind: LicenseKind::Permanent, expires_at: None },
                (false, Some(d), None) if (1..=3650).contains(&d) => {
                    License { kind: LicenseKind::Temporary, expires_at: Some(t + i64::from(d) * 86_400) }
                }
                (false, Some(d), None) => bail!("--days {d}: must be from 1 to 3650"),
                (false, None, Some(s)) => {
                    let e = parse_until(&s)?;
                    if e <= t {
                        bail!("--until {s}: that is in the past");
                    }
                    License { kind: LicenseKind::Temporary, expires_at: Some(e) }
                }
                _ => bail!("say --permanent, or --days N or --until DATE for a temporary license"),
            };
            store.set_license(u.id, l, t).await?;
            println!("{}: {}", u.login, describe_license(Some(l), t));
        }
        LicenseCommand::Revoke { login } => {
            let u = find_user(store, &login).await?;
            let had = store.revoke_license(u.id).await?;
            println!("{}: {}", u.login, if had { "license revoked" } else { "had no license" });
        }
        LicenseCommand::Show { login } => {
            let u = find_user(store, &login).await?;
            println!("{}: {}", u.login, describe_license(store.license(u.id).await?, t));
        }
    }
    Ok(())
}

async fn set_setting(store: &Store, s: Setting, v: &str) -> anyhow::Result<String> {
    match store.set_setting(s, v).await? {
        Ok(v) => Ok(v),
        Err(msg) => bail!("{msg}"),
    }
}

async fn lockout(store: &Store, cmd: LockoutCommand) -> anyhow::Result<()> {
    if let LockoutCommand::Set { attempts, minutes } = &cmd {
        if attempts.is_none() && minutes.is_none() {
            bail!("say --attempts N and/or --minutes M");
        }
        if let Some(a) = attempts {
            set_setting(store, Setting::LockoutMaxAttempts, a).await?;
        }
        if let Some(m) = minutes {
            set_setting(store, Setting::LockoutPeriodMinutes, m).await?;
        }
    }
    let s = store.settings().await?;
    println!(
        "an account is locked for {} minutes after {} failed sign-ins (web, SIP and H.323 alike)",
        s.lockout_period_minutes, s.lockout_max_attempts
    );
    Ok(())
}

async fn settings(store: &Store, cmd: SettingsCommand) -> anyhow::Result<()> {
    let lookup = |k: &str| {
        Setting::from_key(k).with_context(|| {
            format!("unknown setting {k:?}; the settings are: {}", Setting::ALL.map(|s| s.key()).join(", "))
        })
    };
    match cmd {
        SettingsCommand::List => {
            for s in Setting::ALL {
                let fixed = store.fixed_source(s).map(|f| format!(" [set in {f}]")).unwrap_or_default();
                println!("{} = {}    # {}{fixed}", s.key(), store.setting(s).await?, s.description());
            }
        }
        SettingsCommand::Get { key } => println!("{}", store.setting(lookup(&key)?).await?),
        SettingsCommand::Set { key, value } => {
            let s = lookup(&key)?;
            let v = set_setting(store, s, &value).await?;
            println!("{} = {v}", s.key());
        }
    }
    Ok(())
}

/// Conference IDs appear in URLs and SIP addresses: 1-64 of a-z, 0-9, '-', '_', '.'.
pub fn valid_conference_id(id: &str) -> anyhow::Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if !ok {
        bail!("conference ID {id:?}: use 1-64 characters of a-z, 0-9, '-', '_' and '.', not starting with '.'");
    }
    Ok(())
}

async fn conference(store: &Store, cmd: ConferenceCommand, public_url: &str) -> anyhow::Result<()> {
    match cmd {
        ConferenceCommand::Add {
            id,
            name,
            owner,
            room,
            start,
            duration,
            time_zone,
            public,
            pin,
            join_without_invitation,
            encrypted_media,
        } => {
            if public && join_without_invitation {
                bail!("--join-without-invitation is for private conferences (a public one admits everyone)");
            }
            valid_conference_id(&id)?;
            let name = validate::text("name", &name, 200, true).map_err(field_err)?;
            let owner = find_user(store, &owner).await?;
            if let Some(p) = &pin
                && (p.len() < 4 || p.len() > 16 || !p.chars().all(|c| c.is_ascii_digit()))
            {
                bail!("--pin: 4 to 16 digits");
            }
            let (kind, starts_at, dur) = if room {
                (ConferenceKind::Room, None, None)
            } else {
                let tz: chrono_tz::Tz = time_zone
                    .parse()
                    .map_err(|_| anyhow::anyhow!("--time-zone {time_zone:?} is not an IANA time zone"))?;
                let s = start.as_deref().unwrap_or_default();
                let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
                    .with_context(|| format!("--start {s:?}: expected YYYY-MM-DDTHH:MM"))?;
                let at = tz
                    .from_local_datetime(&local)
                    .earliest()
                    .with_context(|| format!("--start {s}: no such time in {tz}"))?;
                if !(1..=7 * 24 * 60).contains(&duration) {
                    bail!("--duration {duration}: 1 to 10080 minutes");
                }
                (ConferenceKind::Scheduled, Some(at.timestamp()), Some(i64::from(duration)))
            };
            let c = NewConference {
                id: &id,
                name: &name,
                owner_id: owner.id,
                kind,
                public,
                starts_at,
                duration_minutes: dur,
                pin: pin.as_deref(),
                join_without_invitation,
                encrypted_media,
            };
            match store.create_conference(c, now()).await {
                Err(tessera_web::store::StoreError::Conflict(_)) => bail!("a conference with ID {id:?} already exists"),
                r => r?,
            }
            println!("created {} {id} ({name}) owned by {}", kind.as_str(), owner.login);
        }
        ConferenceCommand::Media {
            id,
            mode,
            active_speakers,
            record,
            multicast,
            ttl,
            no_multicast,
            stream,
            no_stream,
            hls,
            hls_new_key,
            no_hls,
            cameras_off_on_join,
            microphones_off_on_join,
        } => {
            let current = store.media_settings(&id).await?.ok_or_else(|| anyhow::anyhow!("no conference {id:?}"))?;
            if let Some(n) = active_speakers
                && !(1..=25).contains(&n)
            {
                bail!("--active-speakers {n}: 1 to 25");
            }
            let multicast = if no_multicast {
                Some(None)
            } else if let Some(m) = multicast {
                let (g, p) =
                    m.rsplit_once(':').ok_or_else(|| anyhow::anyhow!("--multicast {m:?}: expected GROUP:PORT"))?;
                let cfg = crate::media::multicast::MulticastConfig {
                    group: g.parse().map_err(|_| anyhow::anyhow!("--multicast {m:?}: {g:?} is not an IPv4 address"))?,
                    port: p.parse().map_err(|_| anyhow::anyhow!("--multicast {m:?}: {p:?} is not a port"))?,
                    ttl,
                };
                cfg.validate().map_err(|e| anyhow::anyhow!("--multicast: {e}"))?;
                Some(Some((cfg.group.to_string(), i64::from(cfg.port), i64::from(cfg.ttl))))
            } else {
                None
            };
            let stream_url = if no_stream {
                Some(None)
            } else if let Some(url) = stream {
                let url = if url == "-" {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).context("--stream -: reading the URL from standard input")?;
                    line.trim().to_string()
                } else {
                    url
                };
                let target = crate::media::push::StreamTarget::parse(&url)
                    .map_err(|e| anyhow::anyhow!("--stream: the URL {e}"))?;
                Some(Some(target.url().to_string()))
            } else {
                None
            };
            // A key is made once and kept (a published address stays valid) until a new one is
            // asked for, which shuts the old address at once.
            let hls_key = if no_hls {
                Some(None)
            } else if hls_new_key || (hls && current.hls_key.is_none()) {
                Some(Some(tessera_web::auth::session::new_token()))
            } else {
                None
            };
            let mode = match (mode, active_speakers) {
                (None, None) => None,
                (m, n) => {
                    let m = m.map(|m| m.parse::<tessera_conference::Mode>()).transpose()?;
                    Some((m.unwrap_or(current.mode), n.map_or(current.active_speakers, i64::from)))
                }
            };
            let u = MediaUpdate {
                record,
                cameras_off_on_join,
                microphones_off_on_join,
                multicast,
                stream_url,
                hls_key,
                mode,
            };
            store.update_media(&id, &u, now()).await?;
            let s = store.media_settings(&id).await?.ok_or_else(|| anyhow::anyhow!("no conference {id:?}"))?;
            println!(
                "{id}: mode {} ({} active speakers), record {}, multicast {}, stream {}, cameras off on join {}, microphones off on join {}",
                s.mode,
                s.active_speakers,
                s.record,
                s.multicast_group.map_or("none".into(), |g| format!(
                    "{g}:{} ttl {}",
                    s.multicast_port.unwrap_or(0),
                    s.multicast_ttl.unwrap_or(1)
                )),
                // The key stays out of what is printed (terminals are logged and shared).
                s.stream_url.as_deref().map_or("none".into(), |u| crate::media::push::StreamTarget::parse(u)
                    .map_or_else(|e| format!("invalid ({e})"), |t| t.redacted())),
                s.cameras_off_on_join,
                s.microphones_off_on_join
            );
            match &s.hls_key {
                Some(key) => println!("HLS: {public_url}{}", tessera_web::hls::playlist_path(&id, key)),
                None => println!("HLS: off"),
            }
            println!("(a running conference takes the new settings when it next starts)");
        }
        ConferenceCommand::Invite { id, login, role } => {
            let u = find_user(store, &login).await?;
            let role = if role == "moderator" { Role::Moderator } else { Role::Participant };
            if !store.conference_exists(&id).await? {
                bail!("no conference {id:?}");
            }
            store.add_participant(&id, u.id, role).await?;
            println!("{} is now a {} of {id}", u.login, role.as_str());
        }
    }
    Ok(())
}
