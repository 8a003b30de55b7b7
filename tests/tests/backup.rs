//! `tessera admin backup` while the server runs, and `restore` once it is stopped: what was in
//! the database at the backup comes back, what came after is gone, the replaced database is kept
//! beside it, and a restore is refused while the server runs or from a file that is no backup.

use std::os::unix::fs::PermissionsExt;
use tessera_e2e::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_running_restores_what_it_held() {
    let mut s = Server::start();
    s.add_user("alice", "alice-password");
    s.admin_ok(&["conference", "add", "weekly", "--name", "Weekly", "--owner", "alice", "--room"], "");
    // Sign-ins write while the backup is taken.
    let (_c, _) = s.sign_in("alice", "alice-password").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tessera-backup.db");
    let out = s.admin_ok(&["backup", file.to_str().unwrap()], "");
    assert!(out.contains("backed up"), "{out}");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "it holds password hashes");
    let again = s.admin(&["backup", file.to_str().unwrap()], "");
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("exists already"));

    assert!(s.admin_ok(&["audit"], "").contains("Backup"), "the backup is in the audit log");

    // After the backup: another account.
    s.add_user("bob", "bob-password");
    let running = s.admin(&["restore", file.to_str().unwrap()], "");
    let err = String::from_utf8_lossy(&running.stderr);
    assert!(!running.status.success() && err.contains("the server is running"), "{err}");

    s.stop();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database").unwrap();
    let bad = s.admin(&["restore", junk.to_str().unwrap()], "");
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("is not a Tessera backup"));
    let out = s.admin_ok(&["restore", file.to_str().unwrap()], "");
    assert!(out.contains("restored") && out.contains("before-restore"), "{out}");
    let kept: Vec<_> = std::fs::read_dir(s.data_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("before-restore"))
        .collect();
    assert!(!kept.is_empty(), "the replaced database is kept");

    s.restart();
    let users = s.admin_ok(&["user", "list"], "");
    assert!(users.contains("alice") && !users.contains("bob"), "{users}");
    let (alice, _) = s.sign_in("alice", "alice-password").await;
    let r = alice.get(format!("{}/api/v1/conferences/weekly", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200, "alice's conference came back");
    // The restore is in the (restored) audit log.
    let log = s.admin_ok(&["audit"], "");
    assert!(log.contains("Restore"), "{log}");
}
