//! The one error type of the HTTP layer. Client errors carry a message (and, for input, the
//! field) meant for the user; server errors are logged with their cause and answered with a
//! generic message, so database text never reaches a client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{field}: {message}")]
    Field { field: String, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("sign-in required")]
    Unauthorized,
    #[error("{0}")]
    WrongCredentials(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    Locked { message: String, locked_until: i64 },
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unavailable(String),
    /// The account must choose a new password first: pages go to `/password`, the API is 403.
    #[error("choose a new password first (the page /password, or POST /api/v1/me/password)")]
    PasswordChangeRequired { page: bool },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Field { field: field.into(), message: message.into() }
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

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Error::PasswordChangeRequired { page: true } = self {
            return axum::response::Redirect::to("/password").into_response();
        }
        if let Error::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let body = Body {
            error: self.to_string(),
            field: match &self {
                Error::Field { field, .. } => Some(field),
                _ => None,
            },
            locked_until: match &self {
                Error::Locked { locked_until, .. } => Some(*locked_until),
                _ => None,
            },
        };
        (status, Json(body)).into_response()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
