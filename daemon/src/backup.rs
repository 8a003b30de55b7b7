//! `tessera admin backup FILE` and `tessera admin restore FILE`: the SQLite database, copied
//! consistently while the server runs (`VACUUM INTO`, one transaction's snapshot), and put back
//! while it is stopped. PostgreSQL has its own tools (`pg_dump`, see the README); recordings and
//! chat files are plain files in the data directory.

use anyhow::{Context, bail};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use tessera_web::store::{Backend, Store};

fn pg_advice() -> anyhow::Error {
    anyhow::anyhow!(
        "this server's database is PostgreSQL: back it up with pg_dump and restore with pg_restore (see the README)"
    )
}

/// Writes a consistent copy of the running database to `file` (which must not exist), readable
/// by its owner only: it holds password hashes and SIP digests.
pub async fn backup(store: &Store, file: &Path) -> anyhow::Result<()> {
    if store.backend() != Backend::Sqlite {
        return Err(pg_advice());
    }
    if file.exists() {
        bail!("{} exists already: give a new file name", file.display());
    }
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!("{}: no such directory", dir.display());
    }
    store.backup_into(&file.to_string_lossy()).await.with_context(|| format!("writing {}", file.display()))?;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    let size = std::fs::metadata(file)?.len();
    println!("backed up the database to {} ({} KB)", file.display(), size / 1024);
    Ok(())
}

/// The SQLite file of a `sqlite://PATH?…` URL.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://")?;
    Some(PathBuf::from(rest.split('?').next().unwrap_or(rest)))
}

/// Puts a backup in place of the database. The server must be stopped; the database it replaces
/// is kept beside it (`tessera.db.before-restore-TIME`). Returns what was done, for the audit log.
pub async fn restore(database_url: &str, data_dir: &Path, file: &Path) -> anyhow::Result<String> {
    let Some(db) = sqlite_path(database_url) else { return Err(pg_advice()) };
    if crate::ctl::server_running(data_dir).await {
        bail!("the server is running: stop it first (systemctl stop tessera), then restore, then start it");
    }
    // The file must be a Tessera database: a copy of it opens (an older backup's copy takes the
    // migrations it lacks, as the server will on start) and has accounts.
    let check = db.with_extension("restore-check");
    std::fs::copy(file, &check).with_context(|| format!("reading {}", file.display()))?;
    let checked = async {
        let probe = Store::open(&format!("sqlite://{}?mode=rw", check.display())).await?;
        let users = probe.count_users().await?;
        probe.close().await;
        anyhow::Ok(users)
    }
    .await;
    for ext in ["restore-check", "restore-check-wal", "restore-check-shm"] {
        let _ = std::fs::remove_file(db.with_extension(ext));
    }
    let users = checked.with_context(|| format!("{} is not a Tessera backup", file.display()))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut kept = None;
    if db.exists() {
        let old = db.with_extension(format!("db.before-restore-{stamp}"));
        std::fs::rename(&db, &old).with_context(|| format!("moving {} aside", db.display()))?;
        for ext in ["db-wal", "db-shm"] {
            let side = db.with_extension(ext);
            if side.exists() {
                std::fs::rename(&side, old.with_extension(format!("db.before-restore-{stamp}-{}", &ext[3..])))?;
            }
        }
        kept = Some(old);
    }
    let tmp = db.with_extension("db.restoring");
    std::fs::copy(file, &tmp).with_context(|| format!("copying {}", file.display()))?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    std::fs::rename(&tmp, &db).with_context(|| format!("putting the backup at {}", db.display()))?;
    let kept = kept.map(|k| format!("; the database it replaced is kept as {}", k.display())).unwrap_or_default();
    let said = format!("restored {} ({users} accounts) to {}{kept}", file.display(), db.display());
    println!("{said}");
    Ok(said)
}
