//! Request extractors shared by the API: JSON bodies whose errors name the offending field.

use crate::error::Error;
use crate::msg;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

/// Like `axum::Json`, but a body that does not fit answers 422 naming the field
/// (`"field": "time_zone"`), and unknown fields are refused where the type says so.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let is_json =
            req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
                v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(Error::UnsupportedMediaType(msg!("err.body.json.content.type")));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| Error::PayloadTooLarge(msg!("err.could.not.read.body", e = e.to_string())))?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(Error::BadRequest(msg!("err.malformed.json", inner = inner.to_string())));
            }
            let msg = inner.to_string();
            // serde reports a missing or unknown field at the parent's path; name the field itself.
            let field = missing_or_unknown(&msg).unwrap_or(path);
            let field = if field == "." { "body".to_string() } else { field };
            Err(Error::field(field, crate::error::Msg::text(strip_position(&msg))))
        }
    }
}

fn missing_or_unknown(msg: &str) -> Option<String> {
    for prefix in ["missing field `", "unknown field `"] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            return rest.split('`').next().map(str::to_string);
        }
    }
    None
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        login: String,
        n: Option<u8>,
    }

    fn field_of(body: &str) -> String {
        match parse_json::<T>(body.as_bytes()) {
            Err(Error::Field { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_the_field() {
        assert_eq!(field_of(r#"{"login": 5}"#), "login");
        assert_eq!(field_of(r#"{"n": 1}"#), "login");
        assert_eq!(field_of(r#"{"login": "a", "n": 300}"#), "n");
        assert_eq!(field_of(r#"{"login": "a", "x": 1}"#), "x");
        assert!(matches!(parse_json::<T>(b"{"), Err(Error::BadRequest(_))));
        assert_eq!(field_of("[]"), "body");
    }
}
