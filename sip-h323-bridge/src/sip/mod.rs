//! SIP, bottom layer first: [`message`] (bytes ↔ messages), [`stream`] (messages as a stream
//! delivers them), [`headers`] (the header list,
//! compact forms, list splitting), [`uri`], [`name_addr`] (From, To, Contact), [`via`], and
//! [`check`] (what a UAS answers to a malformed request), [`transaction`] (server transactions),
//! [`client`] (Tessera calling out), [`dialog`].

pub mod check;
pub mod client;
pub mod dialog;
pub mod digest;
pub mod headers;
pub mod message;
pub mod name_addr;
pub mod response;
pub mod session_timer;
pub mod stream;
pub mod transaction;
pub mod uri;
pub mod via;

/// RFC 3261 `token` characters (method names, header names, parameter names).
pub fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}
