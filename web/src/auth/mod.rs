//! Authentication: password hashing, the lockout service shared by every way in, and sessions.

pub mod lockout;
pub mod password;
pub mod session;

pub use lockout::{AuthOutcome, LockoutPolicy, LockoutService};
pub use session::{ApiUser, CurrentUser, PageUser};
