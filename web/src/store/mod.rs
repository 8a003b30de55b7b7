//! The database: one `Store` over an sqlx `Any` pool, so the same queries run on the default
//! SQLite file and on PostgreSQL. Queries use `$N` placeholders, which both drivers accept, and
//! only the types both share (BIGINT, TEXT, bytes). Every query that reads user-visible rows
//! takes the signed-in user's id and filters by it.

mod analytics;
mod audit;
mod calls;
mod chat;
mod conferences;
mod contacts;
mod devices;
mod history;
mod licenses;
mod lockout;
mod media;
mod nodes;
mod outbox;
mod password_links;
mod registration;
mod retention;
mod schedule;
mod sessions;
mod settings;
mod sip;
mod users;

pub use analytics::{Entry, EntryKind, Span};
pub use audit::AuditEntry;
pub use calls::{CallResult, CallRow};
pub use chat::{ChatFile, ChatMessage, MAX_CHAT_CHARS};
use conferences::Column;
pub use conferences::{
    ConferenceKind, ConferencePage, ConferenceRow, DialIn, GuestPermissions, Mode, NewConference, Role,
};
pub use contacts::Contact;
pub use devices::{Attachment, NewAttachment, Positions};
pub use history::NewEvent;
pub use licenses::{License, LicenseKind};
pub use lockout::FailureState;
pub use media::{EventRow, MediaSettings, MediaUpdate, RecordingRow};
pub use nodes::{Lease, NodeRow};
pub use outbox::{OutboxKind, OutboxRow, OutboxStatus, QueuedMail};
pub use registration::{Closes, FormField, Registrant, Registration, SignUp};
pub use schedule::{AddressInvitee, ConferenceSettings, EditableConference, Invitee, Template};
pub use sessions::SessionRow;
pub use settings::{Fixed, Setting, Settings};
pub use sip::SipDigest;
pub use users::{NewUser, ProfileUpdate, UserRow};

use rand::Rng;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Errors of the storage layer. Their text is for logs, never for HTTP clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "this database was written by a newer Tessera (it has migration {0}, which this version does not know): \
         downgrades are not supported; run the newer version, or restore a backup taken before the upgrade"
    )]
    Newer(i64),
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Writes made through this process, so its own caches see them at once.
    local_changes: Arc<AtomicU64>,
    /// The connection history's batching writer, started with the first event.
    history: Arc<std::sync::OnceLock<history::History>>,
    /// Settings the configuration fixes (see [`settings::Fixed`]).
    fixed: Arc<std::sync::OnceLock<settings::Fixed>>,
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let mut opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        opts = match backend {
            // SQLite serialises writers anyway; a few connections let readers run beside them.
            Backend::Sqlite => opts.max_connections(4).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;")
                        .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => opts.max_connections(16),
        };
        let connect_opts = sqlx::any::AnyConnectOptions::from_str(url)?;
        let pool = opts.connect_with(connect_opts).await?;
        MIGRATOR.run(&pool).await.map_err(|e| match e {
            // Migrations only move forward: a version this build lacks was applied by a newer one.
            sqlx::migrate::MigrateError::VersionMissing(v) => StoreError::Newer(v),
            e => StoreError::Migrate(e),
        })?;
        Ok(Store {
            pool,
            backend,
            local_changes: Arc::new(AtomicU64::new(0)),
            history: Arc::default(),
            fixed: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Records that data a server may cache (users, rights, licenses, settings, conferences,
    /// sessions) changed: bumps the stored generation, which running servers poll, and the
    /// in-process counter.
    pub(crate) async fn changed(&self) -> Result<()> {
        self.local_changes.fetch_add(1, Ordering::AcqRel);
        sqlx::query("UPDATE store_generation SET n = n + 1 WHERE id = 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The stored generation (see `changed`).
    pub async fn generation(&self) -> Result<i64> {
        let row = sqlx::query("SELECT n FROM store_generation WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(sqlx::Row::try_get(&row, "n")?)
    }

    pub fn local_changes(&self) -> u64 {
        self.local_changes.load(Ordering::Acquire)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// SQLite only: a consistent copy of the whole database (one transaction's snapshot, taken
    /// while others read and write) in the new file `path`.
    pub async fn backup_into(&self, path: &str) -> Result<()> {
        sqlx::query("VACUUM INTO $1").bind(path).execute(&self.pool).await?;
        Ok(())
    }
}

/// A random positive id below 2^53, so that JavaScript clients read it exactly; collisions are
/// very unlikely and caught by the primary key anyway.
pub(crate) fn new_id() -> i64 {
    rand::rng().random_range(1..(1i64 << 53))
}

pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// Hides the password of a database URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}://{}:***{}", &url[..s], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => d.is_unique_violation() || d.message().contains("UNIQUE constraint failed"),
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password() {
        assert_eq!(redact_url("postgres://tessera:secret@127.0.0.1/db"), "postgres://tessera:***@127.0.0.1/db");
        assert_eq!(redact_url("sqlite:///var/lib/x.db"), "sqlite:///var/lib/x.db");
    }
}
