//! ParkOps test kit (dev-dependency only): fresh databases on every backend, loudly.
//!
//! Key types: [`TestDatabase`] (a fresh SQLite file or PostgreSQL schema, removed on drop)
//! and [`databases`] (one of each available backend). PostgreSQL comes from
//! `PARKOPS_TEST_POSTGRES_URL`; with `CI=true` it is required and its absence fails the run.
//! Outside CI a missing PostgreSQL is reported on stderr, never skipped silently.
//!
//! The kit hands out URLs, not store types, so it can serve the store's own tests.

use std::path::PathBuf;

/// Which engine a test database runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A schema of its own on the PostgreSQL server.
    Postgres,
}

/// A fresh, empty database. Dropping it removes the file or schema.
#[derive(Debug)]
pub struct TestDatabase {
    /// The engine.
    pub engine: Engine,
    /// What to pass as `--database-url`.
    pub url: String,
    /// For SQLite, the database file.
    pub path: Option<PathBuf>,
    dir: Option<PathBuf>,
    schema: Option<(String, String)>,
}

impl TestDatabase {
    /// A new SQLite database file in a fresh temporary directory.
    ///
    /// # Panics
    /// When the temporary directory cannot be created.
    #[must_use]
    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("parkops-test-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let path = dir.join("parkops.db");
        Self {
            engine: Engine::Sqlite,
            url: format!("sqlite://{}", path.display()),
            path: Some(path),
            dir: Some(dir),
            schema: None,
        }
    }

    /// A new PostgreSQL schema, or `None` (with a note on stderr) when no server is configured.
    ///
    /// # Panics
    /// With `CI=true` and no `PARKOPS_TEST_POSTGRES_URL`, or when the server refuses.
    pub async fn postgres() -> Option<Self> {
        let base = postgres_url()?;
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        let mut conn = connect_pg(&base).await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut conn)
            .await
            .expect("create test schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        // Named after the schema, so that dropping it can end this database's own sessions.
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}&application_name={schema}");
        Some(Self { engine: Engine::Postgres, url, path: None, dir: None, schema: Some((base, schema)) })
    }

    /// The data directory for a server started on this database (SQLite: the file's folder).
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| {
            let d = std::env::temp_dir().join(format!("parkops-data-{}", uuid::Uuid::now_v7().simple()));
            let _ = std::fs::create_dir_all(&d);
            d
        })
    }
}

async fn connect_pg(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at PARKOPS_TEST_POSTGRES_URL refused: {e}"))
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((base, schema)) = self.schema.take() {
            // Drop runs outside async context: a short-lived runtime on its own thread, which
            // this thread waits for. A transaction the test abandoned may still hold the schema's
            // tables: its rollback is a task of the test's runtime, which cannot run while this
            // thread waits, so `DROP SCHEMA` would wait for it for ever. The schema's own sessions
            // are ended first (their transactions roll back); a lock held by anything else fails
            // the drop after a while, leaving the schema, rather than hanging the test.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async move {
                    let mut conn = connect_pg(&base).await;
                    let drop_schema = format!(
                        "SET lock_timeout = '60s'; \
                         SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE application_name = '{schema}' AND pid <> pg_backend_pid(); \
                         DROP SCHEMA {schema} CASCADE"
                    );
                    if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(drop_schema)).execute(&mut conn).await {
                        eprintln!("NOTE: test schema {schema} left in place: {e}");
                    }
                });
            })
            .join();
        }
    }
}

/// Whether this run is CI (`CI=true`), where every service is required.
#[must_use]
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The PostgreSQL base URL for tests.
///
/// # Panics
/// With `CI=true` and the variable unset: CI must not pass without PostgreSQL.
#[must_use]
pub fn postgres_url() -> Option<String> {
    match std::env::var("PARKOPS_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if is_ci() => panic!("CI=true but PARKOPS_TEST_POSTGRES_URL is not set: PostgreSQL tests are required in CI"),
        _ => {
            eprintln!("NOTE: PARKOPS_TEST_POSTGRES_URL is not set; this test ran on SQLite only, not on PostgreSQL");
            None
        }
    }
}

/// A fresh database on each available engine: SQLite always, PostgreSQL when configured.
pub async fn databases() -> Vec<TestDatabase> {
    let mut out = vec![TestDatabase::sqlite()];
    if let Some(pg) = TestDatabase::postgres().await {
        out.push(pg);
    }
    out
}

/// A notifier that accepts every message: for tests in which channels play no part.
#[derive(Debug, Clone, Copy, Default)]
pub struct SilentNotifier;

#[async_trait::async_trait]
impl parkops_app::notify::Notifier for SilentNotifier {
    async fn send(
        &self,
        _: &parkops_app::ports::notify::ChannelRecord,
        _: &parkops_domain::notify::Message,
        _: parkops_domain::time::Timestamp,
    ) -> Result<(), parkops_app::notify::SendFailure> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// A test that ends with a transaction still open on its PostgreSQL schema (an abandoned
    /// write, whose rollback is a task the test's runtime never gets to run) still has its
    /// schema dropped, and the drop does not wait for that transaction for ever.
    #[tokio::test]
    async fn a_schema_is_dropped_though_a_transaction_on_it_was_abandoned() {
        let Some(db) = TestDatabase::postgres().await else { return };
        let (base, schema) = db.schema.clone().expect("a PostgreSQL test database has a schema");
        let mut held = sqlx::PgConnection::connect(&db.url).await.expect("connect to the test schema");
        sqlx::raw_sql("CREATE TABLE t (n int); BEGIN; INSERT INTO t VALUES (1); LOCK TABLE t")
            .execute(&mut held)
            .await
            .expect("an open transaction holding the table");
        // Dropped on this runtime's only thread while `held` stays open and idle in its transaction.
        drop(db);
        let mut conn = connect_pg(&base).await;
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1")
            .bind(&schema)
            .fetch_one(&mut conn)
            .await
            .expect("read the catalog");
        assert_eq!(left, 0, "schema {schema} was dropped");
        assert!(sqlx::query("SELECT 1").execute(&mut held).await.is_err(), "the abandoned session was ended");
    }
}
