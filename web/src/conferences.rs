//! Conferences as the signed-in user sees them. Scheduling comes with its own issue; here a
//! user can read the conferences they take part in, and only those.

use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::ConferenceRow;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/conferences/{id}", get(get_conference))
}

/// 404 both for a conference that does not exist and for one the user is not in, so that ids
/// cannot be probed.
async fn get_conference(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ConferenceRow>> {
    if id.len() > 64 {
        return Err(Error::NotFound);
    }
    state.store.conference_for(u.user.id, &id).await?.map(Json).ok_or(Error::NotFound)
}
