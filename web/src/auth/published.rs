//! Passwords that were published and must never let anybody in. Release builds up to 2026-12
//! committed a runtime database and its generated administrator password to the repository, so
//! every installation that started from that database has an `admin` whose password anyone can
//! read. At start-up Tessera looks for accounts with such a password, replaces it with a new
//! random one that the daemon writes to a file only the service user can read (so that whoever
//! knows the published password cannot race the administrator to the change), and makes them
//! choose their own before anything else (`Store::require_password_change`): their sessions end,
//! and every page and API call but the password change refuses them.

use super::credentials::SIP_REALM;
use crate::store::{Store, UserRow};
use tessera_sip_h323_bridge::sip::digest::{Algorithm, ha1};

/// The administrator password of the database once committed as `tessera-data/tessera.db`.
pub const PUBLISHED_PASSWORDS: &[&str] = &["pkmTBGy4gxR7aGQ8f2CN"];

/// The argon2id hash that database held for it: installations made from it have this very
/// string (salt included) until the password changes.
const PUBLISHED_HASHES: &[&str] =
    &["$argon2id$v=19$m=19456,t=2,p=1$5tuWdmMUo7LZ/iknLOZrQw$a3rZXv5nJVK0FVUWR4QHypKVEoVD8w/P1/QChh6JhIQ"];

/// Whether `password` is one of the published ones.
pub fn is_published(password: &str) -> bool {
    PUBLISHED_PASSWORDS.contains(&password)
}

/// Finds accounts whose password is a published one, gives each a new random password and
/// requires them to choose their own; returns (login, the new password) for the caller to hand
/// to the administrator. No argon2 check at start-up: the committed hash is compared as a
/// string, and every account's SIP digest secret (which has no salt) against the password.
pub async fn replace_published(store: &Store, now: i64) -> anyhow::Result<Vec<(String, String)>> {
    let mut found = Vec::new();
    for u in store.list_users().await? {
        if u.must_change_password {
            continue;
        }
        if PUBLISHED_HASHES.contains(&u.password_hash.as_str()) || digest_is_published(store, &u).await? {
            let fresh = super::credentials::generate_password();
            super::credentials::set_password(store, u.id, &u.login, &fresh, now).await?;
            store.require_password_change(u.id).await?;
            found.push((u.login.clone(), fresh));
        }
    }
    Ok(found)
}

async fn digest_is_published(store: &Store, u: &UserRow) -> anyhow::Result<bool> {
    let Some(d) = store.sip_digest(&u.login).await? else { return Ok(false) };
    Ok(PUBLISHED_PASSWORDS.iter().any(|p| {
        let md5 = ha1(Algorithm::Md5, &u.login, SIP_REALM, p);
        crate::auth::session::constant_time_eq(md5.as_bytes(), d.ha1_md5.as_bytes())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::password;
    use crate::store::NewUser;

    crate::both_backends!(published_passwords_are_found_and_locked, |store| {
        let published = password::hash(PUBLISHED_PASSWORDS[0]).unwrap();
        let own = password::hash("a-password-of-her-own").unwrap();
        let admin = store
            .create_user(NewUser { login: "admin", password_hash: &published, display_name: "" }, 0)
            .await
            .unwrap();
        crate::auth::credentials::save_sip_digest(&store, admin.id, "admin", PUBLISHED_PASSWORDS[0], 0).await.unwrap();
        let alice =
            store.create_user(NewUser { login: "alice", password_hash: &own, display_name: "" }, 0).await.unwrap();
        // A user with the published password only in the SIP digest.
        let bob = store.create_user(NewUser { login: "bob", password_hash: &own, display_name: "" }, 0).await.unwrap();
        crate::auth::credentials::save_sip_digest(&store, bob.id, "bob", PUBLISHED_PASSWORDS[0], 0).await.unwrap();
        // The committed hash itself, without a digest (an account from before SIP digests).
        let carol = NewUser { login: "carol", password_hash: PUBLISHED_HASHES[0], display_name: "" };
        store.create_user(carol, 0).await.unwrap();
        store.create_session("s1", admin.id, "csrf", 0).await.unwrap();

        let found = replace_published(&store, 1).await.unwrap();
        let logins: Vec<_> = found.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(logins, ["admin", "bob", "carol"]);
        let a = store.user_by_id(admin.id).await.unwrap().unwrap();
        assert!(a.must_change_password);
        assert!(!password::verify(&a.password_hash, PUBLISHED_PASSWORDS[0]), "the published password still works");
        assert!(password::verify(&a.password_hash, &found[0].1), "the new password is not the one handed out");
        assert!(store.session("s1").await.unwrap().is_none(), "the admin's session survived");
        assert!(!digest_is_published(&store, &a).await.unwrap(), "the published digest still works over SIP");
        assert!(!store.user_by_id(alice.id).await.unwrap().unwrap().must_change_password);
        // Found once: the next start does not replace the handed-out password again.
        assert!(replace_published(&store, 2).await.unwrap().is_empty());

        // A new password lifts it; the next start finds nothing.
        crate::auth::credentials::set_password(&store, admin.id, "admin", "brand-new-password", 1).await.unwrap();
        assert!(!store.user_by_id(admin.id).await.unwrap().unwrap().must_change_password);
        assert!(store.sip_digest("admin").await.unwrap().is_some());
        crate::auth::credentials::set_password(&store, bob.id, "bob", "bobs-new-password", 1).await.unwrap();
        assert!(replace_published(&store, 3).await.unwrap().is_empty());
        assert!(is_published(PUBLISHED_PASSWORDS[0]) && !is_published("brand-new-password"));
    });
}
