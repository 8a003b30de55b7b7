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
            Ok(_) => {
                tracing::info!(conference = %id, "scheduled conference started");
                call_invited_addresses(d, &id).await;
            }
            Err(e) => {
                tracing::error!(conference = %id, error = %e, "scheduled conference could not start");
                d.ended.insert(id);
            }
        }
    }
}

/// A scheduled conference that starts calls the SIP and H.323 addresses invited to it (room
/// systems and phones cannot open the conference page); how each call goes is in its history.
async fn call_invited_addresses(d: &Dispatcher, id: &str) {
    let Some(dialer) = d.dialer.clone() else { return };
    let c = match d.store.editable_conference(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(conference = %id, error = %e, "reading the invited addresses failed");
            return;
        }
    };
    // Calling addresses needs the owner's "make calls" right, as it does from the manager.
    let may_call = match d.store.rights_of(c.owner_id).await {
        Ok(r) => r.contains(&tessera_web::rights::Right::MakeCalls),
        Err(e) => {
            tracing::warn!(conference = %id, error = %e, "reading the owner's rights failed");
            false
        }
    };
    let callable = |a: &str| a.starts_with("sip:") || a.starts_with("h323:");
    if !may_call && c.addresses.iter().any(|a| callable(&a.address)) {
        tracing::info!(conference = %id, "the invited addresses are not called: the owner lacks the 'make calls' right");
        return;
    }
    for a in c.addresses.into_iter().filter(|a| callable(&a.address)) {
        let order = tessera_web::dialout::DialOrder {
            conference: id.to_string(),
            conference_name: c.settings.name.clone(),
            name: a.address.trim_start_matches("sip:").trim_start_matches("h323:").chars().take(64).collect(),
            target: tessera_web::dialout::Target::Address(a.address.clone()),
            user: None,
            actor: c.owner_id,
            history: true,
            media_rule: tessera_web::admission::MediaRule { encrypted_only: c.settings.encrypted_media },
        };
        let dialer = dialer.clone();
        // Not on the dispatcher: placing a call goes through the SIP side, which may ask the runtime.
        tokio::spawn(async move {
            if let Err(e) = dialer.dial(order).await {
                tracing::warn!(address = %a.address, error = %e, "an invited address could not be called");
            }
        });
    }
}
