//! Authentication: password hashing, setting passwords (web hash and SIP digest together),
//! passwords known to be published, the lockout service shared by every way in, and sessions.

pub mod credentials;
pub mod lockout;
pub mod password;
pub mod published;
pub mod session;

pub use lockout::{AuthOutcome, LockoutPolicy, LockoutService};
pub use session::{ApiUser, CurrentUser, PageUser};
