//! Conferences as the signed-in user sees them: a user can read the conferences they take part
//! in, and only those (the route is in `scheduling`, beside PUT and DELETE).

use crate::auth::ApiUser;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::ConferenceRow;
use axum::Json;
use axum::extract::{Path, State};

/// 404 both for a conference that does not exist and for one the user is not in, so that ids
/// cannot be probed.
pub async fn get_conference(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ConferenceRow>> {
    if id.len() > 64 {
        return Err(Error::NotFound);
    }
    state.store.conference_for(u.user.id, &id).await?.map(Json).ok_or(Error::NotFound)
}
