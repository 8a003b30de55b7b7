//! Test databases: a fresh SQLite file, and a fresh PostgreSQL database when
//! `TESSERA_TEST_POSTGRES_URL` names a server (CI sets `TESSERA_REQUIRE_POSTGRES=1` so that a
//! missing server fails loudly instead of silently testing SQLite only).

use super::Store;

pub struct TestDb {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.drop_pg.take() {
            // Best effort: a leftover test database is harmless and named as such.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        use sqlx::Connection;
                        if let Ok(mut c) = sqlx::AnyConnection::connect(&admin_url).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .execute(&mut c)
                            .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = Store::open(&url).await.expect("open sqlite");
    TestDb { store, _dir: Some(dir), drop_pg: None }
}

pub async fn postgres() -> Option<TestDb> {
    let Ok(admin_url) = std::env::var("TESSERA_TEST_POSTGRES_URL") else {
        if std::env::var("TESSERA_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
            panic!("TESSERA_REQUIRE_POSTGRES=1 but TESSERA_TEST_POSTGRES_URL is not set");
        }
        eprintln!("note: TESSERA_TEST_POSTGRES_URL unset; PostgreSQL half of this test not run");
        return None;
    };
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("tessera_t_{}", super::new_id());
    let mut c = sqlx::AnyConnection::connect(&admin_url).await.expect("connect to PostgreSQL test server");
    // The name is ours: a fixed prefix and a number.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .expect("create test database");
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).expect("database URL has a path");
    let store = Store::open(&format!("{base}/{name}")).await.expect("open postgres");
    Some(TestDb { store, _dir: None, drop_pg: Some((admin_url, name)) })
}

/// Runs a store test body against SQLite and (when configured) PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$store:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($store: $crate::store::Store) $body
            #[tokio::test]
            async fn sqlite() {
                let db = $crate::store::testing::sqlite().await;
                run(db.store.clone()).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::store::testing::postgres().await {
                    run(db.store.clone()).await;
                }
            }
        }
    };
}

/// A private virtual room `id` named `name`, owned by `owner` (created at time 0).
pub async fn room(store: &Store, id: &str, name: &str, owner: i64) {
    let c = super::NewConference {
        id,
        name,
        owner_id: owner,
        kind: super::ConferenceKind::Room,
        public: false,
        starts_at: None,
        duration_minutes: None,
        pin: None,
        join_without_invitation: false,
        encrypted_media: false,
    };
    store.create_conference(c, 0).await.expect("create the room");
}
