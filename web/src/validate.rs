//! Field validation shared by forms and the JSON API. Each check returns the cleaned value or an
//! `Error::Field` that names the field and says what is wrong.

use crate::error::Error;
use crate::msg;

/// Trims and checks free text: at most `max` characters, no control characters.
pub fn text(field: &str, value: &str, max: usize, required: bool) -> Result<String, Error> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(Error::field(field, msg!("err.required")));
    }
    if v.chars().count() > max {
        return Err(Error::field(field, msg!("err.max.chars", max = max)));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::field(field, msg!("err.not.contain.control.characters")));
    }
    Ok(v.to_string())
}

/// A login: 1-64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit.
/// Logins double as SIP user names, hence the narrow alphabet.
pub fn login(field: &str, value: &str) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::field(field, msg!("err.required")));
    }
    if v.len() > 64 {
        return Err(Error::field(field, msg!("err.max.chars", max = 64u32)));
    }
    let ok_first = v.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok_rest = v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if !ok_first || !ok_rest {
        return Err(Error::field(field, msg!("err.may.contain.only.lower")));
    }
    Ok(v.to_string())
}

pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 256;

pub fn new_password(field: &str, value: &str) -> Result<String, Error> {
    let n = value.chars().count();
    if n < MIN_PASSWORD {
        return Err(Error::field(field, msg!("err.at.least.characters", min_password = MIN_PASSWORD)));
    }
    if n > MAX_PASSWORD {
        return Err(Error::field(field, msg!("err.max.chars", max = MAX_PASSWORD)));
    }
    if crate::auth::published::is_published(value) {
        return Err(Error::field(field, msg!("err.was.published.may.not")));
    }
    Ok(value.to_string())
}

pub fn email(field: &str, value: &str) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    if v.len() > 254 {
        return Err(Error::field(field, msg!("err.max.chars", max = 254u32)));
    }
    let valid = match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !v.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c))
        }
        None => false,
    };
    if !valid {
        return Err(Error::field(field, msg!("err.email.address.like.name")));
    }
    Ok(v.to_string())
}

pub fn phone(field: &str, value: &str) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    if v.len() > 32 {
        return Err(Error::field(field, msg!("err.max.chars", max = 32u32)));
    }
    if !v.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) || !v.chars().any(|c| c.is_ascii_digit()) {
        return Err(Error::field(field, msg!("err.may.contain.only.digits")));
    }
    Ok(v.to_string())
}

pub fn language(field: &str, value: &str) -> Result<String, Error> {
    match crate::i18n::Lang::from_code(value.trim()) {
        Some(l) => Ok(l.code().to_string()),
        None => Err(Error::field(field, msg!("err.one.en.ru"))),
    }
}

pub fn time_zone(field: &str, value: &str) -> Result<String, Error> {
    let v = value.trim();
    match v.parse::<chrono_tz::Tz>() {
        Ok(tz) => Ok(tz.name().to_string()),
        Err(_) => Err(Error::field(field, msg!("err.iana.time.zone.such"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(login("login", " alice ").unwrap(), "alice");
        assert!(login("login", "Alice").is_err());
        assert!(login("login", "-a").is_err());
        assert!(login("login", "a b").is_err());
        assert!(email("email", "a@b.org").is_ok());
        assert!(email("email", "a@b").is_err());
        assert!(email("email", "a b@c.org").is_err());
        assert_eq!(email("email", "").unwrap(), "");
        assert!(phone("phone", "+7 (495) 123-45-67").is_ok());
        assert!(phone("phone", "call me").is_err());
        assert_eq!(time_zone("tz", "Europe/Moscow").unwrap(), "Europe/Moscow");
        assert!(time_zone("tz", "Mars/Base").is_err());
        assert!(text("name", "a\u{7}", 10, false).is_err());
        assert!(text("name", "", 10, true).is_err());
        assert!(text("name", "Юлия", 4, true).is_ok());
        assert!(text("name", "Юлия!", 4, true).is_err());
    }

    proptest! {
        #[test]
        fn validators_never_panic_and_name_their_field(s in "\\PC*") {
            for r in [login("f", &s), email("f", &s), phone("f", &s), language("f", &s), time_zone("f", &s), text("f", &s, 20, true)] {
                if let Err(Error::Field { field, .. }) = r { prop_assert_eq!(field, "f"); }
            }
        }
    }
}
