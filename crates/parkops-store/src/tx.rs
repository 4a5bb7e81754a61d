//! Writes: the [`Tx`] half of the port. One write transaction at a time per database.

use std::collections::BTreeSet;

use async_trait::async_trait;
use parkops_app::StoreError;
use parkops_app::ports::{
    ApiTokenRecord, JobDescriptionRecord, PolicyRecord, SessionRecord, SessionStage, Tx, UserRecord,
};
use parkops_domain::access::Post;
use parkops_domain::audit::{self, AuditEntry, AuditRecord, Checkpoint, Hash};
use parkops_domain::id::{ApiTokenId, UserId};
use parkops_domain::org::{Organisation, Park};
use parkops_domain::session::LoginFailures;
use parkops_domain::time::Timestamp;
use sqlx::Any;

use crate::{Backend, Db, Sql, map_err};

/// A write transaction holding the writer gate, with the chain head read inside it.
///
/// Dropped without `commit` (a use case's error path), it rolls back at once in a task of its
/// own and only then opens the gate. sqlx alone would roll back when the connection is next
/// used; until then PostgreSQL keeps the transaction's locks — the `write_lock` row among them —
/// and the next writer would wait on them.
pub(crate) struct DbTx {
    /// `None` once committed or rolled back.
    tx: Option<sqlx::Transaction<'static, Any>>,
    head: (i64, Hash),
    audited: bool,
    gate: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// PostgreSQL: the pool on which `commit` waits for durability after releasing the gate.
    flush_on: Option<sqlx::AnyPool>,
    /// Rows written by the bulk statements (imports) per table; past [`BULK_ROWS`] the
    /// planner's statistics are refreshed after the commit.
    bulk: Vec<(&'static str, usize)>,
    /// Statements run just before the commit: the indexes a bulk write set aside, built again,
    /// and its foreign keys, added back (which checks every row once), as PostgreSQL wrote them
    /// from its catalog; and the register's facet counts, counted afresh (both engines,
    /// [`parkops_app::ports::asset::AssetWrites::defer_register_upkeep`]).
    before_commit: Vec<String>,
    /// SQLite: the connection's page cache before a bulk write raised it
    /// ([`DbTx::raise_page_cache`]), set back when the transaction ends.
    page_cache: Option<i64>,
    /// No statement has run since the transaction began (it may still move to another connection).
    fresh: bool,
    /// SQLite: the transaction runs on the bulk connection, without foreign keys
    /// ([`DbTx::switch_to_bulk_connection`]); the keys of the register's tables and of every
    /// table a bulk statement wrote are checked before the commit. Only the register's bulk
    /// writes run there (`AssetWrites::defer_register_upkeep`).
    keys_off: bool,
    /// A bulk statement without a statement journal failed: rows it wrote before the failure may
    /// stand, so the transaction can only roll back.
    broken: bool,
    /// The pool for that refresh and the engine.
    db: Db,
}

/// SQLite's page cache for a bulk write, in KiB (`PRAGMA cache_size` takes it negative). With
/// the default 2 MB a 100,000-CI import outgrows the cache and SQLite spills dirty pages to the
/// WAL before the commit and reads them back: inserting 100,000 CIs in `sqlite3` took 4.4–4.7 s
/// with the default, 3.2–3.8 s with 64 MiB, and with the wider key index of migration 0013 3.1 s
/// with 64 MiB and 2.8 s with 128 MiB — the differences almost all system time.
const BULK_PAGE_CACHE_KIB: i64 = 131_072;

fn ended() -> std::io::Error {
    std::io::Error::other("transaction already ended")
}

/// Runs `text`, a statement the store composed without any value of a request in it.
async fn exec_raw(conn: &mut sqlx::AnyConnection, text: String) -> Result<(), StoreError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(text)).execute(conn).await.map(|_| ()).map_err(map_err)
}

/// Sets the page cache of a SQLite connection (KiB when negative, pages when positive).
async fn set_page_cache(conn: &mut sqlx::AnyConnection, size: i64) -> Result<(), StoreError> {
    exec_raw(conn, format!("PRAGMA cache_size = {size}")).await
}

/// The tables a bulk write of the register writes (their keys are checked before the commit on
/// SQLite's bulk connection, [`DbTx::switch_to_bulk_connection`]).
const REGISTER_TABLES: [&str; 3] = ["asset", "asset_event", "asset_relation"];

/// Rows of one table written in one transaction from which its statistics are refreshed
/// after the commit ([`Db::statistics_settled`] waits for it): a large import otherwise leaves
/// the planner with the counts of a small register (PostgreSQL's autovacuum catches up within a
/// minute; SQLite never does on its own).
const BULK_ROWS: usize = 5_000;

impl Drop for DbTx {
    fn drop(&mut self) {
        let (Some(mut tx), gate) = (self.tx.take(), self.gate.take()) else { return };
        let page_cache = self.page_cache.take();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Some(size) = page_cache
                    && let Err(e) = set_page_cache(&mut tx, size).await
                {
                    tracing::warn!(error = %e, "setting back the page cache of an abandoned bulk write failed");
                }
                if let Err(e) = tx.rollback().await {
                    tracing::warn!(error = %e, "rolling back an abandoned write transaction failed");
                }
                drop(gate);
            });
        }
    }
}

impl DbTx {
    pub(crate) async fn begin(db: &Db) -> Result<Self, StoreError> {
        let gate = db.writer.clone().lock_owned().await;
        let (tx, head) = Self::open(db, &db.writer_pool).await?;
        let flush_on = (db.backend() == Backend::Postgres).then(|| db.pool.clone());
        Ok(Self {
            tx: Some(tx),
            head,
            audited: false,
            gate: Some(gate),
            flush_on,
            bulk: Vec::new(),
            before_commit: Vec::new(),
            page_cache: None,
            fresh: true,
            keys_off: false,
            broken: false,
            db: db.clone(),
        })
    }

    /// Begins a transaction on a connection of `pool` and reads the chain head in it.
    async fn open(db: &Db, pool: &sqlx::AnyPool) -> Result<(sqlx::Transaction<'static, Any>, (i64, Hash)), StoreError> {
        let mut tx = pool.begin().await.map_err(map_err)?;
        // First statement is a write: SQLite takes its write lock now (waiting on busy_timeout
        // for another process) and PostgreSQL locks the row until commit, so every writer on
        // this database, in any process, queues here and then reads the true chain head.
        // The same statement returns the chain head, which a trigger on `audit_event` keeps
        // in this row (migration 0005).
        //
        // On PostgreSQL the same statement also makes this transaction's commit asynchronous
        // (`set_config(…, true)` is `SET LOCAL`): the commit releases the row lock without
        // waiting for the WAL flush, and `commit` waits for durability after the gate is open
        // again (ADR 0011), so the next writer does not queue behind this one's fsync.
        let lock = match db.backend() {
            Backend::Sqlite => {
                "UPDATE write_lock SET n = n + 1 WHERE id = 1 RETURNING head_seq AS seq, head_hash AS hash"
            }
            Backend::Postgres => {
                "UPDATE write_lock SET n = n + 1 WHERE id = 1 AND set_config('synchronous_commit', 'off', true) = 'off' \
                 RETURNING head_seq AS seq, head_hash AS hash"
            }
        };
        let row = sqlx::query(lock).fetch_one(&mut *tx).await.map_err(map_err)?;
        let head = if crate::rows::int(&row, "seq")? == 0 {
            crate::read::head_of(None)?
        } else {
            crate::read::head_of(Some(&row))?
        };
        Ok((tx, head))
    }

    /// SQLite, before a bulk write of the register: moves this transaction, if no statement has
    /// run in it yet, to the connection that has foreign keys off (`Db::bulk_pool`) — rolling
    /// back the empty transaction and beginning again there, the gate held throughout. Its bulk
    /// statements then run as `INSERT OR FAIL` ([`Self::bulk_insert_verb`]), and before the
    /// commit every key of the tables written is checked at once (`PRAGMA foreign_key_check`).
    ///
    /// With neither a key nor a constraint that would undo a failed statement on its own,
    /// SQLite keeps no statement journal: in a transaction it otherwise copies every page a
    /// multi-row statement changes to a journal of that statement first, so that a failure
    /// halfway can undo the statement alone. With the keys' lookups that was about half of
    /// writing 100,000 CIs (6.0–7.1 s against 3.4–3.8 s without, A/B, docs/benchmarks.md
    /// figure 7). An import never wants a statement undone alone: it rolls back whole, and a
    /// failed bulk statement marks the transaction so ([`Self::bulk_failed`]). Returns whether
    /// the transaction moved.
    pub(crate) async fn switch_to_bulk_connection(&mut self) -> Result<bool, StoreError> {
        let Some(pool) = self.db.bulk_pool.clone() else { return Ok(false) };
        if !self.fresh {
            return Ok(false);
        }
        let Some(tx) = self.tx.take() else { return Err(crate::unavailable(ended())) };
        tx.rollback().await.map_err(map_err)?;
        let (tx, head) = Self::open(&self.db, &pool).await?;
        self.tx = Some(tx);
        self.head = head;
        self.keys_off = true;
        Ok(true)
    }

    /// Whether the transaction runs on SQLite's bulk connection ([`Self::switch_to_bulk_connection`]).
    pub(crate) const fn keys_off(&self) -> bool {
        self.keys_off
    }

    /// How a bulk statement starts: `INSERT OR FAIL INTO ` on SQLite's bulk connection
    /// ([`Self::switch_to_bulk_connection`]), else `INSERT INTO `.
    pub(crate) const fn bulk_insert_verb(&self) -> &'static str {
        if self.keys_off { "INSERT OR FAIL INTO " } else { "INSERT INTO " }
    }

    /// The error of a failed bulk statement, marking the transaction as one that can only roll
    /// back when the statement ran without a statement journal.
    pub(crate) fn bulk_failed(&mut self, e: StoreError) -> StoreError {
        self.broken |= self.keys_off;
        e
    }

    /// SQLite's bulk connection: the first reference of `tables` that names no row, as the
    /// conflict of a key named as PostgreSQL names it (`asset_zone_id_fkey`).
    async fn check_keys(&mut self, tables: &[&'static str]) -> Result<(), StoreError> {
        for table in tables {
            debug_assert!(table.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "a table name of this crate");
            let sql = format!(
                "SELECT k.\"from\" AS col FROM pragma_foreign_key_check('{table}') c \
                 JOIN pragma_foreign_key_list('{table}') k ON k.id = c.fkid LIMIT 1"
            );
            let found = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_optional(self.conn()?).await.map_err(map_err)?;
            if let Some(row) = found {
                let column = crate::rows::text(&row, "col")?;
                return Err(StoreError::Conflict { constraint: format!("{table}_{column}_fkey") });
            }
        }
        Ok(())
    }

    /// `batch` in the runs of one multi-row statement each, for rows of `params_per_row` bound
    /// values, within the engine's parameter budget ([`crate::sql`]; larger on SQLite's bulk
    /// connection, which keeps no statement journal).
    pub(crate) fn runs<'a, T>(&self, batch: &'a [T], params_per_row: usize) -> std::slice::Chunks<'a, T> {
        use crate::sql::{PARAMS_PER_STATEMENT, SQLITE_BULK_PARAMS_PER_STATEMENT, SQLITE_PARAMS_PER_STATEMENT};
        let params = match self.db.backend() {
            Backend::Sqlite if self.keys_off => SQLITE_BULK_PARAMS_PER_STATEMENT,
            Backend::Sqlite => SQLITE_PARAMS_PER_STATEMENT,
            Backend::Postgres => PARAMS_PER_STATEMENT,
        };
        batch.chunks((params / params_per_row.max(1)).max(1))
    }

    /// The database, for reads outside the transaction.
    pub(crate) const fn db(&self) -> &Db {
        &self.db
    }

    /// The engine of this transaction.
    pub(crate) fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Notes `rows` rows written to `table` by a bulk statement.
    pub(crate) fn wrote(&mut self, table: &'static str, rows: usize) {
        match self.bulk.iter_mut().find(|(t, _)| *t == table) {
            Some((_, n)) => *n += rows,
            None => self.bulk.push((table, rows)),
        }
    }

    /// Runs `text`, a statement PostgreSQL wrote from its own catalog (names quoted by
    /// `format('%I')`, definitions by `pg_get_constraintdef`) or one of the store's constants;
    /// no value of a request is in it.
    pub(crate) async fn exec_catalog_text(&mut self, text: String) -> Result<(), StoreError> {
        exec_raw(self.conn()?, text).await
    }

    /// Runs `texts` (see [`Self::exec_catalog_text`]) just before the commit, in order; the
    /// first that fails rolls the transaction back.
    pub(crate) fn before_commit(&mut self, texts: impl IntoIterator<Item = String>) {
        self.before_commit.extend(texts);
    }

    /// Whether statements wait for the commit (a bulk write set keys, indexes or the facet
    /// counts aside).
    pub(crate) fn has_deferred_checks(&self) -> bool {
        !self.before_commit.is_empty()
    }

    /// SQLite: raises the connection's page cache to [`BULK_PAGE_CACHE_KIB`] until the
    /// transaction ends (a bulk write's pages then stay in memory until the commit).
    pub(crate) async fn raise_page_cache(&mut self) -> Result<(), StoreError> {
        if self.backend() != Backend::Sqlite || self.page_cache.is_some() {
            return Ok(());
        }
        let old = self.fetch_int(Sql::new("PRAGMA cache_size"), "cache_size").await?;
        set_page_cache(self.conn()?, -BULK_PAGE_CACHE_KIB).await?;
        self.page_cache = Some(old);
        Ok(())
    }

    /// SQLite: sets the page cache a bulk write raised back to what it was
    /// ([`Self::raise_page_cache`]); `Drop` does the same before its rollback.
    async fn set_page_cache_back(&mut self) -> Result<(), StoreError> {
        match self.page_cache.take() {
            Some(size) => set_page_cache(self.conn()?, size).await,
            None => Ok(()),
        }
    }

    /// The transaction's connection.
    pub(crate) fn conn(&mut self) -> Result<&mut sqlx::AnyConnection, StoreError> {
        self.fresh = false;
        self.tx.as_deref_mut().ok_or_else(|| crate::unavailable(ended()))
    }

    pub(crate) async fn exec(&mut self, sql: Sql) -> Result<u64, StoreError> {
        sql.build(self.backend()).execute(self.conn()?).await.map(|r| r.rows_affected()).map_err(map_err)
    }

    /// Every row `sql` returns, read inside the transaction.
    pub(crate) async fn fetch_all(&mut self, sql: Sql) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
        sql.build(self.backend()).fetch_all(self.conn()?).await.map_err(map_err)
    }

    /// The integer `column` of the one row `sql` returns, read inside the transaction.
    pub(crate) async fn fetch_int(&mut self, sql: Sql, column: &'static str) -> Result<i64, StoreError> {
        let row = sql.build(self.backend()).fetch_one(self.conn()?).await.map_err(map_err)?;
        crate::rows::int(&row, column)
    }

    pub(crate) async fn exec_one(&mut self, sql: Sql) -> Result<(), StoreError> {
        match self.exec(sql).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    async fn insert_posts(&mut self, user: UserId, posts: &BTreeSet<Post>) -> Result<(), StoreError> {
        for p in posts {
            let mut sql = Sql::new("INSERT INTO user_post (user_id, post, is_admin) VALUES (");
            sql.bind(user.to_string())
                .push(", ")
                .bind(p.code().to_owned())
                .push(", ")
                .bind(i64::from(p.is_admin()))
                .push(")");
            self.exec(sql).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Tx for DbTx {
    async fn audit(&mut self, entry: AuditEntry, now: Timestamp) -> Result<AuditRecord, StoreError> {
        let (seq, prev) = self.head;
        let rec = audit::seal(entry, now, seq, prev);
        let e = &rec.entry;
        let mut sql = Sql::new(
            "INSERT INTO audit_event (seq, at, actor_id, actor_name, source_ip, request_id, action, entity_type, entity_id, \
             outcome, detail, detail_digest, prev_hash, hash) VALUES (",
        );
        sql.bind(rec.seq)
            .push(", ")
            .bind(rec.at.as_millis())
            .push(", ")
            .bind(e.actor_id.clone())
            .push(", ")
            .bind(e.actor_name.clone())
            .push(", ")
            .bind(e.source_ip.clone())
            .push(", ")
            .bind(e.request_id.clone())
            .push(", ")
            .bind(e.action.clone())
            .push(", ")
            .bind(e.entity_type.clone())
            .push(", ")
            .bind(e.entity_id.clone())
            .push(", ")
            .bind(e.outcome.code().to_owned())
            .push(", ")
            .bind(e.detail.clone())
            .push(", ")
            .bind(hex::encode(rec.detail_digest))
            .push(", ")
            .bind(hex::encode(rec.prev_hash))
            .push(", ")
            .bind(hex::encode(rec.hash))
            .push(")");
        self.exec(sql).await?;
        self.head = (rec.seq, rec.hash);
        self.audited = true;
        Ok(rec)
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        if self.broken {
            // A bulk statement without a journal failed halfway: `Drop` rolls back.
            return Err(crate::unavailable(std::io::Error::other(
                "a bulk statement failed; the transaction rolls back",
            )));
        }
        if !self.audited {
            // Roll back now (and refuse): the caller forgot the audit record.
            self.set_page_cache_back().await?;
            let Some(tx) = self.tx.take() else { return Err(StoreError::NotFound) };
            tx.rollback().await.map_err(map_err)?;
            return Err(StoreError::Unaudited);
        }
        for text in std::mem::take(&mut self.before_commit) {
            // On failure `Drop` rolls the transaction back and then opens the gate.
            self.exec_catalog_text(text).await?;
        }
        if self.keys_off {
            let mut tables: Vec<&'static str> = REGISTER_TABLES.to_vec();
            tables.extend(self.bulk.iter().map(|(t, _)| *t).filter(|t| !REGISTER_TABLES.contains(t)));
            self.check_keys(&tables).await?;
        }
        // Before the commit: the dirty pages stay in the cache until the commit writes them, and
        // are let go of as they become clean.
        self.set_page_cache_back().await?;
        let Some(tx) = self.tx.take() else { return Err(StoreError::NotFound) };
        tx.commit().await.map_err(map_err)?;
        drop(self.gate.take());
        if let Some(pool) = self.flush_on.take() {
            // Durability barrier: a transactional WAL message takes a transaction id and writes
            // WAL, so its autocommit is synchronous and flushes the WAL up to its commit record,
            // which lies after ours. (A bare `txid_current()` would not do: a transaction that
            // wrote no WAL of its own commits without a flush.) Concurrent barriers share
            // PostgreSQL's flushes (group commit). Nothing is acknowledged before this returns.
            sqlx::query("SELECT pg_logical_emit_message(true, 'parkops.flush', '')::text AS lsn")
                .execute(&pool)
                .await
                .map_err(map_err)?;
        }
        let large: Vec<&'static str> = self.bulk.iter().filter(|(_, n)| *n >= BULK_ROWS).map(|(t, _)| *t).collect();
        if !large.is_empty() {
            self.db.refresh_statistics_later(large).await;
        }
        Ok(())
    }

    async fn insert_park(&mut self, park: &Park, now: Timestamp) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO park (id, code, name, created_at) VALUES (");
        sql.bind(park.id.to_string())
            .push(", ")
            .bind(park.code.clone())
            .push(", ")
            .bind(park.name.clone())
            .push(", ")
            .bind(now.as_millis())
            .push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn insert_org(&mut self, o: &Organisation, now: Timestamp) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO organisation (id, park_id, org_type, code, name, contact, phone, is_active, created_at) VALUES (",
        );
        sql.bind(o.id.to_string())
            .push(", ")
            .bind(o.park_id.to_string())
            .push(", ")
            .bind(o.org_type.code().to_owned())
            .push(", ")
            .bind(o.code.clone())
            .push(", ")
            .bind(o.name.clone())
            .push(", ")
            .bind(o.contact.clone())
            .push(", ")
            .bind(o.phone.clone())
            .push(", ")
            .bind(i64::from(o.is_active))
            .push(", ")
            .bind(now.as_millis())
            .push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn update_org(&mut self, o: &Organisation) -> Result<(), StoreError> {
        let mut sql = Sql::new("UPDATE organisation SET org_type = ");
        sql.bind(o.org_type.code().to_owned())
            .push(", code = ")
            .bind(o.code.clone())
            .push(", name = ")
            .bind(o.name.clone())
            .push(", contact = ")
            .bind(o.contact.clone())
            .push(", phone = ")
            .bind(o.phone.clone())
            .push(", is_active = ")
            .bind(i64::from(o.is_active))
            .push(" WHERE id = ")
            .bind(o.id.to_string());
        self.exec_one(sql).await
    }

    async fn insert_user(&mut self, u: &UserRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO app_user (id, park_id, org_id, username, username_key, display_name, phone, email, password_hash, \
             password_changed_at, must_change_password, is_active, failed_count, locked_until, totp_secret, totp_last_step, \
             created_at, last_login_at) VALUES (",
        );
        sql.bind(u.id.to_string())
            .push(", ")
            .bind(u.park_id.to_string())
            .push(", ")
            .bind(u.org_id.to_string())
            .push(", ")
            .bind(u.username.clone())
            .push(", ")
            .bind(u.username.to_lowercase())
            .push(", ")
            .bind(u.display_name.clone())
            .push(", ")
            .bind(u.phone.clone())
            .push(", ")
            .bind(u.email.clone())
            .push(", ")
            .bind(u.password_hash.clone())
            .push(", ")
            .bind(u.password_changed_at.as_millis())
            .push(", ")
            .bind(i64::from(u.must_change_password))
            .push(", ")
            .bind(i64::from(u.is_active))
            .push(", ")
            .bind(i64::from(u.failures.count))
            .push(", ")
            .bind(u.failures.locked_until.map(Timestamp::as_millis))
            .push(", ")
            .bind(u.totp_secret.clone())
            .push(", ")
            .bind(u.totp_last_step)
            .push(", ")
            .bind(u.created_at.as_millis())
            .push(", ")
            .bind(u.last_login_at.map(Timestamp::as_millis))
            .push(")");
        self.exec(sql).await?;
        self.insert_posts(u.id, &u.posts).await
    }

    async fn update_user_profile(&mut self, u: &UserRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new("UPDATE app_user SET display_name = ");
        sql.bind(u.display_name.clone())
            .push(", phone = ")
            .bind(u.phone.clone())
            .push(", email = ")
            .bind(u.email.clone())
            .push(", is_active = ")
            .bind(i64::from(u.is_active))
            .push(" WHERE id = ")
            .bind(u.id.to_string());
        self.exec_one(sql).await
    }

    async fn set_posts(&mut self, user: UserId, posts: &BTreeSet<Post>) -> Result<(), StoreError> {
        let mut sql = Sql::new("DELETE FROM user_post WHERE user_id = ");
        sql.bind(user.to_string());
        self.exec(sql).await?;
        self.insert_posts(user, posts).await
    }

    async fn set_password(
        &mut self,
        user: UserId,
        hash: &str,
        must_change: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut sql =
            Sql::new("INSERT INTO password_history (user_id, password_hash, replaced_at) SELECT id, password_hash, ");
        sql.bind(now.as_millis()).push(" FROM app_user WHERE id = ").bind(user.to_string());
        self.exec(sql).await?;
        let mut sql = Sql::new("UPDATE app_user SET password_hash = ");
        sql.bind(hash.to_owned())
            .push(", password_changed_at = ")
            .bind(now.as_millis())
            .push(", must_change_password = ")
            .bind(i64::from(must_change))
            .push(" WHERE id = ")
            .bind(user.to_string());
        self.exec_one(sql).await
    }

    async fn set_failures(&mut self, user: UserId, f: LoginFailures) -> Result<(), StoreError> {
        let mut sql = Sql::new("UPDATE app_user SET failed_count = ");
        sql.bind(i64::from(f.count))
            .push(", locked_until = ")
            .bind(f.locked_until.map(Timestamp::as_millis))
            .push(", last_failure_at = ")
            .bind(f.last_failure_at.map(Timestamp::as_millis))
            .push(" WHERE id = ")
            .bind(user.to_string());
        self.exec_one(sql).await
    }

    async fn set_last_login(&mut self, user: UserId, now: Timestamp) -> Result<(), StoreError> {
        let mut sql = Sql::new("UPDATE app_user SET last_login_at = ");
        sql.bind(now.as_millis()).push(" WHERE id = ").bind(user.to_string());
        self.exec_one(sql).await
    }

    async fn set_totp(&mut self, user: UserId, secret: Option<&str>, last_step: i64) -> Result<(), StoreError> {
        let mut sql = Sql::new("UPDATE app_user SET totp_secret = ");
        sql.bind(secret.map(str::to_owned))
            .push(", totp_last_step = ")
            .bind(last_step)
            .push(" WHERE id = ")
            .bind(user.to_string());
        self.exec_one(sql).await
    }

    async fn insert_session(&mut self, s: &SessionRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO user_session (token_hash, user_id, stage, csrf_token, created_at, last_seen_at, ip) VALUES (",
        );
        sql.bind(s.token_hash.clone())
            .push(", ")
            .bind(s.user_id.to_string())
            .push(", ")
            .bind(s.stage.code().to_owned())
            .push(", ")
            .bind(s.csrf_token.clone())
            .push(", ")
            .bind(s.created_at.as_millis())
            .push(", ")
            .bind(s.last_seen_at.as_millis())
            .push(", ")
            .bind(s.ip.clone())
            .push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn advance_session(&mut self, old_hash: &str, new_hash: &str, stage: SessionStage) -> Result<(), StoreError> {
        let mut sql = Sql::new("UPDATE user_session SET token_hash = ");
        sql.bind(new_hash.to_owned())
            .push(", stage = ")
            .bind(stage.code().to_owned())
            .push(" WHERE token_hash = ")
            .bind(old_hash.to_owned());
        self.exec_one(sql).await
    }

    async fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        let mut sql = Sql::new("DELETE FROM user_session WHERE token_hash = ");
        sql.bind(token_hash.to_owned());
        self.exec(sql).await.map(|_| ())
    }

    async fn delete_sessions_of(&mut self, user: UserId) -> Result<u64, StoreError> {
        let mut sql = Sql::new("DELETE FROM user_session WHERE user_id = ");
        sql.bind(user.to_string());
        self.exec(sql).await
    }

    async fn insert_api_token(&mut self, t: &ApiTokenRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO api_token (id, user_id, name, token_hash, prefix, created_at, expires_at, revoked_at) VALUES (",
        );
        sql.bind(t.id.to_string())
            .push(", ")
            .bind(t.user_id.to_string())
            .push(", ")
            .bind(t.name.clone())
            .push(", ")
            .bind(t.token_hash.clone())
            .push(", ")
            .bind(t.prefix.clone())
            .push(", ")
            .bind(t.created_at.as_millis())
            .push(", ")
            .bind(t.expires_at.as_millis())
            .push(", ")
            .bind(t.revoked_at.map(Timestamp::as_millis))
            .push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn revoke_api_token(&mut self, id: ApiTokenId, user: UserId, now: Timestamp) -> Result<(), StoreError> {
        let mut sql = Sql::new("UPDATE api_token SET revoked_at = ");
        sql.bind(now.as_millis())
            .push(" WHERE id = ")
            .bind(id.to_string())
            .push(" AND user_id = ")
            .bind(user.to_string())
            .push(" AND revoked_at IS NULL");
        self.exec_one(sql).await
    }

    async fn insert_job_description(&mut self, j: &JobDescriptionRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO job_description (id, park_id, post, version, title, content, change_note, created_by, created_at) VALUES (",
        );
        sql.bind(j.id.to_string())
            .push(", ")
            .bind(j.park_id.to_string())
            .push(", ")
            .bind(j.post.code().to_owned())
            .push(", ")
            .bind(j.version)
            .push(", ")
            .bind(j.title.clone())
            .push(", ")
            .bind(j.content.clone())
            .push(", ")
            .bind(j.change_note.clone())
            .push(", ")
            .bind(j.created_by.clone())
            .push(", ")
            .bind(j.created_at.as_millis())
            .push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn insert_policy(&mut self, p: &PolicyRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO security_policy (version, body, created_by, created_at) VALUES (");
        sql.bind(p.version)
            .push(", ")
            .bind(p.body.clone())
            .push(", ")
            .bind(p.created_by.clone())
            .push(", ")
            .bind(p.created_at.as_millis())
            .push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn insert_checkpoint(&mut self, c: &Checkpoint) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO audit_checkpoint (seq, at, hash, signature) VALUES (");
        sql.bind(c.seq)
            .push(", ")
            .bind(c.at.as_millis())
            .push(", ")
            .bind(hex::encode(c.hash))
            .push(", ")
            .bind(hex::encode(c.signature))
            .push(")");
        self.exec(sql).await.map(|_| ())
    }
}
