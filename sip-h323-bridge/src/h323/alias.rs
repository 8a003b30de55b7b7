//! Aliases (H.225.0 AliasAddress): how endpoints name themselves and whom they call. An h323-ID
//! is a BMPString (UTF-16), dialled digits and URLs are IA5 text.

use rasn::types::{BmpString, Ia5String};
use tessera_h323_asn::h323_messages::AliasAddress;

/// A BMPString of 1 to `max_units` UTF-16 units; `None` if empty or longer, or if it holds a
/// character outside the Basic Multilingual Plane (a BMPString cannot carry it).
pub fn bmp(text: &str, max_units: usize) -> Option<BmpString> {
    let units: Vec<u16> = text.encode_utf16().collect();
    if units.is_empty() || units.len() > max_units || units.iter().any(|u| (0xd800..0xe000).contains(u)) {
        return None;
    }
    // rasn reads a byte slice as big-endian UTF-16 pairs (a `&str` would be read the same way,
    // two ASCII letters to one character): give it the pairs.
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    BmpString::try_from(bytes.as_slice()).ok()
}

/// The text of a BMPString (a unit that is half a pair reads as U+FFFD).
pub fn bmp_text(b: &BmpString) -> String {
    char::decode_utf16(b.clone().into_vec()).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
}

/// An h323-ID of at most 256 UTF-16 units (H.225.0's bound).
pub fn h323_id(name: &str) -> Option<AliasAddress> {
    bmp(name, 256).map(AliasAddress::h323_ID)
}

/// Dialled digits (`0-9 * # ,`, 1 to 128 of them).
pub fn dialled_digits(digits: &str) -> Option<AliasAddress> {
    let ok = !digits.is_empty()
        && digits.len() <= 128
        && digits.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'*' | b'#' | b','));
    if !ok {
        return None;
    }
    Ia5String::try_from(digits).ok().map(AliasAddress::dialledDigits)
}

/// The alias as text: the name of an h323-ID, the digits, the URL or the e-mail address. Other
/// kinds (transport addresses, party numbers) are `None`.
pub fn text(alias: &AliasAddress) -> Option<String> {
    match alias {
        AliasAddress::h323_ID(b) => Some(bmp_text(b)),
        AliasAddress::dialledDigits(s) | AliasAddress::url_ID(s) | AliasAddress::email_ID(s) => {
            Some(String::from_utf8_lossy(s.as_iso646_bytes()).into_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_digits_read_back() {
        for name in ["Room 101", "Переговорная 3", "会议室"] {
            assert_eq!(text(&h323_id(name).unwrap()).as_deref(), Some(name));
        }
        assert_eq!(text(&dialled_digits("4321#").unwrap()).as_deref(), Some("4321#"));
        assert!(h323_id("").is_none());
        assert!(h323_id(&"x".repeat(257)).is_none());
        assert!(h323_id("🎥").is_none(), "outside the BMP");
        assert!(dialled_digits("12a").is_none());
        assert!(dialled_digits("").is_none());
    }

    #[test]
    fn an_h323_id_is_utf16_on_the_wire() {
        let encoded = rasn::aper::encode(&h323_id("AB").unwrap()).unwrap();
        // choice index 1, length 2 (minus one), then 0x0041 0x0042.
        assert!(hex::encode(&encoded).ends_with("00410042"), "{}", hex::encode(&encoded));
    }
}
