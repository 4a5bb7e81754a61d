//! ParkOps storage: the sqlx implementation of the app's [`parkops_app::ports::Store`] on
//! SQLite (default, one file) and PostgreSQL, through one code path (sqlx `Any`).
//!
//! Key types: [`Db`] (the pool, the backend and the writer gate), [`DatabaseUrl`].
//! Every write runs in a `DbTx` (module `tx`) that serialises writers, appends the audit chain in
//! the same transaction, and refuses to commit without an audit record.
//!
//! Dialect differences live in this crate only, each in a local `match` on [`Backend`]
//! with a comment. Migrations: `migrations/sqlite` and `migrations/postgres`, identical names.

mod asset;
// Calibration register (R-9.1.1d).
mod calibration;
mod desk;
mod notify;
mod read;
mod rows;
// Inspections, maintenance and calibration by plan (issue #4).
mod schedule;
mod sql;
mod tx;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parkops_app::StoreError;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use sql::Sql;

/// Which engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Where the database is. Parsed once from the command line or environment.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file, created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://…`).
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "Sqlite({})", p.display()),
            // The URL may hold a password: show the host part only.
            Self::Postgres(u) => write!(f, "Postgres({})", u.rsplit('@').next().unwrap_or("redacted")),
        }
    }
}

impl DatabaseUrl {
    /// The URL from `--database-url`, or the SQLite file `parkops.db` in the data directory.
    ///
    /// # Errors
    /// A message for a URL that is neither `postgres://`, `postgresql://` nor `sqlite://`.
    pub fn resolve(url: Option<&str>, data_dir: &Path) -> Result<Self, String> {
        match url {
            None | Some("") => Ok(Self::Sqlite(data_dir.join("parkops.db"))),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(Self::Postgres(u.to_owned()))
            }
            Some(u) if u.starts_with("sqlite://") => Ok(Self::Sqlite(PathBuf::from(u.trim_start_matches("sqlite://")))),
            Some(_) => Err("database URL must start with postgres:// or sqlite://".to_owned()),
        }
    }
}

/// The database: a pool, its backend, and the in-process writer gate.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// Connections for write transactions only, so the writer holding the gate never queues
    /// for a connection behind the readers of every request in flight.
    writer_pool: AnyPool,
    /// SQLite: one connection for bulk writes of the register, opened with foreign keys off
    /// (`PRAGMA foreign_keys` cannot change inside a transaction); a bulk write checks the keys
    /// of the tables it wrote before its commit instead (`DbTx::switch_to_bulk_connection`).
    /// Keeping them off on a connection of its own means no connection of `writer_pool` is
    /// ever left without its keys.
    bulk_pool: Option<AnyPool>,
    backend: Backend,
    /// Serialises write transactions inside this process (the `write_lock` row does it across processes).
    writer: Arc<tokio::sync::Mutex<()>>,
    /// The facet combinations of PostgreSQL's facet keys learnt so far (`asset::FacetKeys`).
    facet_keys: Arc<asset::FacetKeys>,
    /// Held for reading by each refresh of the planner's statistics that a bulk write's commit
    /// leaves running ([`Db::statistics_settled`] waits for them all).
    statistics: Arc<tokio::sync::RwLock<()>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend).finish_non_exhaustive()
    }
}

/// A SQLite connection's settings (see [`Db::connect`]), foreign keys `ON` or `OFF`.
macro_rules! sqlite_setup {
    ($keys:literal) => {
        concat!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ",
            $keys,
            "; PRAGMA secure_delete = ON; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0; \
             PRAGMA analysis_limit = 1000;"
        )
    };
}

/// Every SQLite connection's settings but the bulk writer's.
const SQLITE_SETUP: &str = sqlite_setup!("ON");
/// The settings of SQLite's bulk-write connection: foreign keys off (`Db::bulk_pool`).
const SQLITE_BULK_SETUP: &str = sqlite_setup!("OFF");

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub(crate) fn unavailable(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

/// Maps sqlx errors into the port's small error, keeping constraint names.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db)
            if db.is_unique_violation() || db.is_foreign_key_violation() || db.is_check_violation() =>
        {
            StoreError::Conflict { constraint: db.constraint().map_or_else(|| db.message().to_owned(), str::to_owned) }
        }
        e => unavailable(e),
    }
}

impl Db {
    /// Connects (creating the SQLite file if needed) and sets durability options.
    ///
    /// SQLite runs with WAL, `synchronous=FULL`, foreign keys, `secure_delete` and a 5 s busy
    /// timeout; automatic WAL checkpoints are off so no request pays for one — the
    /// maintenance job runs them ([`Db::checkpoint_wal`]).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database cannot be opened.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, StoreError> {
        install_default_drivers();
        let (text, backend, max) = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(unavailable)?;
                }
                (format!("sqlite://{}?mode=rwc", path.display()), Backend::Sqlite, 8)
            }
            DatabaseUrl::Postgres(u) => (u.clone(), Backend::Postgres, 16),
        };
        let options = |max: u32, sqlite_setup: &'static str| {
            AnyPoolOptions::new().max_connections(max).acquire_timeout(Duration::from_secs(10)).after_connect(
                move |conn, _meta| {
                    Box::pin(async move {
                        if conn.backend_name() == "SQLite" {
                            conn.execute(sqlite_setup).await?;
                        } else {
                            // The register's covering indexes are read whole by the list's facet
                            // counts and text search (migration 0010). With the default
                            // random_page_cost of 4, which prices every index page as a seek on a
                            // spinning disk, PostgreSQL read the 92 MB table instead of the 33 MB
                            // index at 104,314 CIs: 68 against 27 ms (docs/benchmarks.md figure 9,
                            // ADR 0013). 1.1 is PostgreSQL's own advice for SSDs and cached data;
                            // a value the server or the URL sets other than the default is kept.
                            conn.execute(
                                "SELECT set_config('random_page_cost', '1.1', false) \
                                 WHERE current_setting('random_page_cost') = '4'",
                            )
                            .await?;
                        }
                        Ok(())
                    })
                },
            )
        };
        let pool = options(max, SQLITE_SETUP).connect(&text).await.map_err(unavailable)?;
        // Writers are serialised by the gate: one connection is in use at a time, a second one
        // stands by while the first is being returned. Opened on first use.
        let writer_pool = options(2, SQLITE_SETUP).connect_lazy(&text).map_err(unavailable)?;
        let bulk_pool = match backend {
            Backend::Sqlite => Some(options(1, SQLITE_BULK_SETUP).connect_lazy(&text).map_err(unavailable)?),
            Backend::Postgres => None,
        };
        Ok(Self {
            pool,
            writer_pool,
            bulk_pool,
            backend,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            facet_keys: Arc::default(),
            statistics: Arc::default(),
        })
    }

    /// Applies pending migrations of this backend. Applied migrations are never edited.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when a migration fails.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator.run(&self.pool).await.map_err(unavailable)?;
        self.optimize().await
    }

    /// The engine.
    #[must_use]
    pub const fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for tests and benchmarks that need raw SQL.
    #[must_use]
    pub const fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The durability settings in force on one SQLite connection, as `(name, value)` pairs
    /// (empty on PostgreSQL). `serve` logs them and refuses weaker ones (G2).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn durability(&self) -> Result<Vec<(String, i64)>, StoreError> {
        use sqlx::Row;
        if self.backend != Backend::Sqlite {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        let mut out = Vec::new();
        for (name, sql) in [
            ("synchronous", "PRAGMA synchronous"),
            ("foreign_keys", "PRAGMA foreign_keys"),
            ("secure_delete", "PRAGMA secure_delete"),
        ] {
            let row = sqlx::query(sql).fetch_one(&mut *conn).await.map_err(unavailable)?;
            out.push((name.to_owned(), row.try_get::<i64, _>(0).map_err(unavailable)?));
        }
        let row = sqlx::query("PRAGMA journal_mode").fetch_one(&mut *conn).await.map_err(unavailable)?;
        let mode: String = row.try_get(0).map_err(unavailable)?;
        out.push(("journal_mode_wal".to_owned(), i64::from(mode.eq_ignore_ascii_case("wal"))));
        Ok(out)
    }

    /// Moves the SQLite WAL into the database file (a no-op on PostgreSQL). Run by the
    /// maintenance job, never on a request.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn checkpoint_wal(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await.map_err(unavailable)?;
        }
        Ok(())
    }

    /// Refreshes the planner's statistics of `tables` (names of this crate's tables): SQLite
    /// `ANALYZE` sampling about 1,000 rows per index (`analysis_limit`), PostgreSQL
    /// `VACUUM (ANALYZE)`, which also marks the pages whose rows every transaction sees in the
    /// visibility map. Without that mark PostgreSQL cannot answer from a covering index alone:
    /// after an import that rewrote all 100,000 CIs it counted a text search's facets by reading
    /// the whole table, twice its size with the old row versions, in 46 ms instead of 23 ms
    /// (docs/benchmarks.md figure 9). Run after bulk writes, never before a request's answer.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub(crate) async fn refresh_statistics(&self, tables: &[&'static str]) -> Result<(), StoreError> {
        // Each table on its own connection: PostgreSQL vacuums them side by side. `VACUUM` runs
        // only outside a transaction block: sent as a simple query, not a prepared statement.
        let mut runs = tokio::task::JoinSet::new();
        for t in tables {
            debug_assert!(t.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "a table name of this crate");
            let pool = self.pool.clone();
            let sql = match self.backend {
                Backend::Sqlite => format!("ANALYZE {t}"),
                Backend::Postgres => format!("VACUUM (ANALYZE) {t}"),
            };
            runs.spawn(async move { sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await.map(|_| ()) });
        }
        while let Some(done) = runs.join_next().await {
            done.map_err(unavailable)?.map_err(unavailable)?;
        }
        Ok(())
    }

    /// Refreshes the statistics of `tables` after a bulk write has answered
    /// ([`Self::refresh_statistics`]): in a task of its own, so that the import is not kept
    /// waiting for housekeeping that PostgreSQL's autovacuum would do within a minute anyway
    /// (0.3–0.8 s for the register after an import of 100,000 CIs on PostgreSQL; milliseconds on
    /// SQLite, which samples with `analysis_limit`). Until it ends, plans use the statistics from
    /// before, scaled to the table's size by PostgreSQL. A failure costs plans, not data: it is
    /// logged.
    pub(crate) async fn refresh_statistics_later(&self, tables: Vec<&'static str>) {
        let running = self.statistics.clone().read_owned().await;
        let db = self.clone();
        tokio::spawn(async move {
            if let Err(e) = db.refresh_statistics(&tables).await {
                tracing::warn!(error = %e, "refreshing statistics after a bulk write failed");
            }
            drop(running);
        });
    }

    /// Waits until every refresh of statistics that a bulk write left running has ended: for a
    /// command that exits after an import, and for tests and benchmarks that read the statistics.
    pub async fn statistics_settled(&self) {
        drop(self.statistics.write().await);
    }

    /// SQLite: `PRAGMA optimize`, which analyses the tables whose statistics are missing or
    /// out of date for the queries this connection ran; a no-op on PostgreSQL, whose
    /// autovacuum does the same. Run after migrations and by the maintenance job.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn optimize(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            // 0x10002: check every table, including those never analysed.
            sqlx::query("PRAGMA optimize = 0x10002").execute(&self.pool).await.map_err(unavailable)?;
        }
        Ok(())
    }

    /// Tries to become the one instance that runs singleton jobs: a PostgreSQL session-level
    /// advisory lock held on a dedicated connection for as long as the guard lives. On
    /// SQLite (one file, one server) the lock is always granted.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn try_singleton(&self, key: i64) -> Result<Option<SingletonGuard>, StoreError> {
        use sqlx::Row;
        match self.backend {
            Backend::Sqlite => Ok(Some(SingletonGuard { _conn: None })),
            Backend::Postgres => {
                let mut conn = self.pool.acquire().await.map_err(unavailable)?;
                let row = sqlx::query("SELECT CAST(CASE WHEN pg_try_advisory_lock($1) THEN 1 ELSE 0 END AS BIGINT)")
                    .bind(key)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(unavailable)?;
                let got: i64 = row.try_get(0).map_err(unavailable)?;
                Ok((got == 1).then(|| SingletonGuard { _conn: Some(conn.detach()) }))
            }
        }
    }
}

/// Holds the advisory lock's connection; dropping it closes the connection and frees the lock.
pub struct SingletonGuard {
    _conn: Option<sqlx::AnyConnection>,
}

impl std::fmt::Debug for SingletonGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SingletonGuard")
    }
}

/// The migration file names of each backend, for the parity check.
#[must_use]
pub fn migration_names() -> (Vec<String>, Vec<String>) {
    let names = |m: &sqlx::migrate::Migrator| m.iter().map(|x| format!("{}_{}", x.version, x.description)).collect();
    (names(&SQLITE_MIGRATOR), names(&POSTGRES_MIGRATOR))
}
