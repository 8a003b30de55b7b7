//! argon2id password hashes (PHC strings). Hashing is CPU-heavy, so async callers run it on the
//! blocking pool.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

fn hasher() -> Argon2<'static> {
    // OWASP's recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
    // unwrap: these constants are within argon2's documented bounds.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let h = hasher().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("hashing password: {e}"))?;
    Ok(h.to_string())
}

/// Whether `password` matches `phc`. A malformed stored hash never matches.
pub fn verify(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

pub async fn hash_async(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

pub async fn verify_async(phc: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&phc, &password)).await.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_and_verify() {
        let h = super::hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(super::verify(&h, "correct horse"));
        assert!(!super::verify(&h, "correct horsE"));
        assert!(!super::verify("garbage", "x"));
    }
}
