//! The one error type of the HTTP layer. Client errors carry a message (and, for input, the
//! field) meant for the user; server errors are logged with their cause and answered with a
//! generic message, so database text never reaches a client.
//!
//! A message is a [`Msg`]: a key of the Fluent catalogue (`web/locales/*/errors.ftl`) with its
//! arguments. The answer is written in English; the `localize` middleware of `lib.rs` writes it
//! again in the language of whoever asked (their profile, or `Accept-Language`).

use crate::i18n::{Arg, Lang, tr, trf};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What an error says: a catalogue message with its arguments, or text from another component
/// (the conference core's refusals, a parser's error) that is shown as it comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Key(&'static str, Vec<(&'static str, Arg)>),
    Text(String),
}

impl Msg {
    pub fn text(t: impl Into<String>) -> Msg {
        Msg::Text(t.into())
    }

    pub fn render(&self, lang: Lang) -> String {
        match self {
            Msg::Key(k, args) if args.is_empty() => tr(lang, k).to_string(),
            Msg::Key(k, args) => trf(lang, k, args),
            Msg::Text(t) => t.clone(),
        }
    }
}

/// The conference core's refusals name the same catalogue.
impl From<tessera_conference::Said> for Msg {
    fn from(s: tessera_conference::Said) -> Msg {
        use tessera_conference::{Said, SaidArg};
        match s {
            Said::Text(t) => Msg::Text(t),
            Said::Key(k, args) => Msg::Key(
                k,
                args.into_iter()
                    .map(|(n, v)| {
                        (
                            n,
                            match v {
                                SaidArg::Num(x) => Arg::Num(x),
                                SaidArg::Str(s) => Arg::Str(s),
                            },
                        )
                    })
                    .collect(),
            ),
        }
    }
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// `msg!("err.required")`, `msg!("err.max.chars", max = 64)`: a catalogue message.
#[macro_export]
macro_rules! msg {
    ($key:literal) => {
        $crate::error::Msg::Key($key, Vec::new())
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::error::Msg::Key($key, vec![$((stringify!($name), $crate::i18n::Arg::from($value))),+])
    };
}

#[derive(Debug)]
pub enum Error {
    Field {
        field: String,
        message: Msg,
    },
    BadRequest(Msg),
    Unauthorized,
    WrongCredentials(Msg),
    Forbidden(Msg),
    NotFound,
    Conflict(Msg),
    Locked {
        message: Msg,
        locked_until: i64,
    },
    TooManyRequests(Msg),
    PayloadTooLarge(Msg),
    UnsupportedMediaType(Msg),
    Unavailable(Msg),
    /// The account must choose a new password first: pages go to `/password`, the API is 403.
    PasswordChangeRequired {
        page: bool,
    },
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Error {
        Error::Internal(e)
    }
}

impl Error {
    pub fn field(field: impl Into<String>, message: Msg) -> Error {
        Error::Field { field: field.into(), message }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Field { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized | Error::WrongCredentials(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::PasswordChangeRequired { .. } => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Locked { .. } => StatusCode::LOCKED,
            Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user is told, without the field.
    pub fn message(&self) -> Msg {
        match self {
            Error::Field { message, .. }
            | Error::BadRequest(message)
            | Error::WrongCredentials(message)
            | Error::Forbidden(message)
            | Error::Conflict(message)
            | Error::Locked { message, .. }
            | Error::TooManyRequests(message)
            | Error::PayloadTooLarge(message)
            | Error::UnsupportedMediaType(message)
            | Error::Unavailable(message) => message.clone(),
            Error::Unauthorized => msg!("err.sign.in.required"),
            Error::NotFound => msg!("err.not.found"),
            Error::PasswordChangeRequired { .. } => msg!("err.password.change.first"),
            Error::Internal(_) => msg!("err.internal"),
        }
    }

    /// The whole sentence in `lang`: "title: is required".
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Error::Field { field, message } => format!("{field}: {}", message.render(lang)),
            e => e.message().render(lang),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Internal(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Error {
        Error::Internal(anyhow::Error::new(e))
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locked_until: Option<i64>,
}

/// A response extension on every error answer: what the `localize` middleware needs to write
/// the answer again in the asker's language.
#[derive(Debug, Clone)]
pub struct Localizable {
    field: Option<String>,
    locked_until: Option<i64>,
    message: Msg,
}

impl Localizable {
    /// The JSON answer in `lang`.
    pub fn body(&self, lang: Lang) -> Json<serde_json::Value> {
        let error = match &self.field {
            Some(f) => format!("{f}: {}", self.message.render(lang)),
            None => self.message.render(lang),
        };
        let body = Body { error, field: self.field.as_deref(), locked_until: self.locked_until };
        Json(serde_json::to_value(body).unwrap_or_default())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Error::PasswordChangeRequired { page: true } = self {
            return axum::response::Redirect::to("/password").into_response();
        }
        if let Error::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let loc = Localizable {
            field: match &self {
                Error::Field { field, .. } => Some(field.clone()),
                _ => None,
            },
            locked_until: match &self {
                Error::Locked { locked_until, .. } => Some(*locked_until),
                _ => None,
            },
            message: self.message(),
        };
        let mut resp = (status, loc.body(Lang::En)).into_response();
        resp.extensions_mut().insert(loc);
        resp
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_render_in_each_language() {
        let e = Error::field("title", msg!("err.max.chars", max = 64usize));
        assert_eq!(e.to_string(), "title: must be at most 64 characters");
        assert_eq!(e.render(Lang::Ru), "title: не длиннее 64 символов");
        assert_eq!(Error::NotFound.render(Lang::Ru), "не найдено");
        assert_eq!(Error::Conflict(Msg::text("as it comes")).render(Lang::Ru), "as it comes");
    }
}
