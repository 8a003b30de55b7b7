//! The facts the core's admission decision ([`tessera_conference::admission`]) needs, gathered
//! from the store, the running conferences and the lockout service. The conference page's
//! socket and the SIP bridge both ask through here, so they gather the same facts.

use crate::auth::lockout::LockoutService;
use crate::control::Control;
use crate::error::Result;
use crate::rights::Right;
use crate::store::{DialIn, Store};
use std::net::IpAddr;
pub use tessera_conference::admission::{
    Admission, Claim, Conference, MediaRule, PinCheck, PinGiven, PinGuard, Refusal, Registrant, Standing, UserFacts,
    decide, standing,
};

/// The conference's rules as the core reads them, with what [`presence`] found.
pub fn conference(d: &DialIn, now: Presence) -> Conference<'_> {
    Conference {
        id: &d.id,
        kind: d.kind,
        public: d.public,
        registration: d.registration,
        join_without_invitation: d.join_without_invitation,
        encrypted_media: d.encrypted_media,
        pin: d.pin.as_deref(),
        running: now.running,
        participants: now.participants,
        draining: now.draining,
    }
}

/// Whether a conference runs now, and how many are in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Presence {
    pub running: bool,
    pub participants: usize,
    /// The server drains before a restart (`tessera ctl drain`).
    pub draining: bool,
}

/// What the runtime keeps of it (no media plane: nothing runs); no round trip to the
/// conference's task.
pub fn presence(control: Option<&Control>, id: &str) -> Presence {
    let draining = control.is_some_and(|c| c.draining.load(std::sync::atomic::Ordering::Acquire));
    match control.and_then(|c| c.occupancy.get(id)) {
        Some(participants) => Presence { running: true, participants, draining },
        None => Presence { draining, ..Presence::default() },
    }
}

/// What a proven user brings to a conference: invitation, the operator right, a valid license.
pub async fn user_facts(store: &Store, user: i64, conference: &str, now: i64) -> Result<UserFacts> {
    Ok(UserFacts {
        id: user,
        invited: store.is_invited(user, conference).await?,
        operator: store.rights_of(user).await?.contains(&Right::Operator),
        licensed: store.license(user).await?.is_some_and(|l| l.is_valid(now)),
    })
}

/// The lockout service bound to one party's address and the current time.
pub struct Guard<'a> {
    pub lockout: &'a LockoutService,
    pub addr: Option<IpAddr>,
    pub now: i64,
}

impl PinGuard for Guard<'_> {
    fn check(&self, conference: &str, expected: &str, given: &str) -> PinCheck {
        self.lockout.check_pin(conference, expected, given, self.addr, self.now)
    }

    fn throttled(&self) -> bool {
        self.addr.is_some_and(|a| self.lockout.address_throttled(a, self.now))
    }
}
