//! A call's row in the call history (`store::calls`), written as the call goes without holding
//! it up: calls between users (the proxy) and calls a conference places (the dialler).

use tessera_web::store::{CallResult, Store};

/// `None` when the store did not take the call.
pub(super) struct History {
    store: Store,
    id: Option<i64>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl History {
    fn of(store: &Store, id: tessera_web::store::Result<i64>) -> History {
        let id = match id {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::error!(error = %e, "SIP: the call history did not take a call");
                None
            }
        };
        History { store: store.clone(), id }
    }

    /// A call whose row is kept elsewhere (a leg of a call between users).
    pub(super) fn none(store: &Store) -> History {
        History { store: store.clone(), id: None }
    }

    pub(super) async fn user_call(store: &Store, caller: i64, callee: i64) -> History {
        History::of(store, store.call_started(caller, callee, now_ms()).await)
    }

    /// A call `conference` places for `actor` to a user's phone or an address.
    pub(super) async fn dial_out(
        store: &Store,
        actor: i64,
        callee: Option<i64>,
        address: &str,
        conference: &str,
    ) -> History {
        History::of(store, store.dial_out_started(actor, callee, address, conference, now_ms()).await)
    }

    pub(super) fn answered(&self) {
        let (store, Some(id)) = (self.store.clone(), self.id) else { return };
        tokio::spawn(async move { store.call_answered(id, now_ms()).await });
    }

    pub(super) fn ended(&self, result: CallResult, detail: String) {
        let (store, Some(id)) = (self.store.clone(), self.id) else { return };
        tokio::spawn(async move { store.call_ended(id, now_ms(), result, &detail).await });
    }
}
