//! Error answers in the asker's language. Handlers answer errors in English (see `error.rs`);
//! this middleware writes them again in the language of the signed-in user's profile, or of the
//! request's `Accept-Language` for anyone else. The session loader tells it which user asked
//! through [`AskerLang`], so no request reads the session twice.

use crate::error::Localizable;
use crate::i18n::Lang;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::{Arc, OnceLock};

/// A request extension: the language of the signed-in user, once the session is loaded.
#[derive(Debug, Clone, Default)]
pub struct AskerLang(Arc<OnceLock<Lang>>);

impl AskerLang {
    pub fn set(&self, lang: Lang) {
        let _ = self.0.set(lang);
    }
}

pub async fn localize(mut req: Request, next: Next) -> Response {
    let asker = AskerLang::default();
    req.extensions_mut().insert(asker.clone());
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).cloned();
    let resp = next.run(req).await;
    let Some(loc) = resp.extensions().get::<Localizable>().cloned() else { return resp };
    // Parsed only for an error answer, not on every request.
    let lang = asker
        .0
        .get()
        .copied()
        .unwrap_or_else(|| Lang::from_accept_language(accept.as_ref().and_then(|v| v.to_str().ok())));
    if lang == Lang::En {
        return resp;
    }
    let (mut parts, _) = resp.into_parts();
    let body = serde_json::to_vec(&loc.body(lang).0).unwrap_or_default();
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    parts.headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
    Response::from_parts(parts, Body::from(body))
}
