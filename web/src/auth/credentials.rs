//! Setting a user's password: the argon2id hash for the web, the SIP digest secrets (HA1 for
//! MD5 and SHA-256, RFC 7616) for phones and the H.235.1 key (SHA-1 of the password) for H.323
//! registration, always together, so that a changed password stops working everywhere at once.

use super::password;
use crate::store::Store;
use tessera_sip_h323_bridge::sip::digest::{Algorithm, ha1};

/// The digest realm of every SIP challenge.
pub const SIP_REALM: &str = "tessera";

/// Writes the SIP digest secrets and the H.235.1 key of `password` (the account's own password).
pub async fn save_sip_digest(store: &Store, user_id: i64, login: &str, password: &str, now: i64) -> anyhow::Result<()> {
    let md5 = ha1(Algorithm::Md5, login, SIP_REALM, password);
    let sha = ha1(Algorithm::Sha256, login, SIP_REALM, password);
    let h235 = hex::encode(tessera_sip_h323_bridge::h323::h235::key(password));
    store.set_sip_digest(user_id, SIP_REALM, &md5, &sha, &h235, now).await?;
    Ok(())
}

/// Sets a new password (validated by the caller): hash and digest secrets; ends the user's
/// sessions and lifts a required change.
pub async fn set_password(
    store: &Store,
    user_id: i64,
    login: &str,
    new_password: &str,
    now: i64,
) -> anyhow::Result<()> {
    let hash = password::hash_async(new_password.to_string()).await?;
    store.set_password_hash(user_id, &hash, now).await?;
    save_sip_digest(store, user_id, login, new_password, now).await
}

/// A random password handed to an administrator (the first start, a published password
/// replaced): 20 characters from an alphabet without look-alikes, about 116 bits.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}
