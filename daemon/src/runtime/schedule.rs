//! Scheduled conferences start on time: every second the dispatcher asks the store which
//! scheduled conferences should be running now and starts those that are not. Each conference
//! ends itself at its scheduled end. One that was ended early is not restarted by the schedule
//! within the same occurrence (it can still be started by hand).

use super::{Dispatcher, StartedBy};

pub(super) async fn tick(d: &mut Dispatcher) {
    let now = chrono::Utc::now().timestamp();
    let due = match d.store.scheduled_running_at(now).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "reading the schedule failed");
            return;
        }
    };
    // Forget ended conferences whose window has passed, so their next occurrence starts.
    d.ended.retain(|id| due.contains(id));
    for id in due {
        if d.is_running(&id) || d.ended.contains(&id) {
            continue;
        }
        match d.start(&id, StartedBy::Schedule).await {
            Ok(_) => tracing::info!(conference = %id, "scheduled conference started"),
            Err(e) => {
                tracing::error!(conference = %id, error = %e, "scheduled conference could not start");
                d.ended.insert(id);
            }
        }
    }
}
