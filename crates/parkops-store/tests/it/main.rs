//! The store contract suite: every test runs on SQLite and, when configured (always in CI),
//! on PostgreSQL, each on a fresh database.

mod asset;
// Calibration register (R-9.1.1d).
mod calibration;
// Demo asset register (issue 4).
mod demo_asset;
// Demo inspection history (issue 4).
mod demo_schedule;
mod desk;
mod notify;
// Inspections, maintenance and calibration by plan (issue #4).
mod schedule;

use std::sync::Arc;

use parkops_app::clock::ManualClock;
use parkops_app::ports::{AuditFilter, PageRequest};
use parkops_app::user::NewUser;
use parkops_app::{App, Caller, StoreError};
use parkops_domain::audit::{ChainBreak, Outcome, SigningKey};
use parkops_domain::time::Timestamp;
use parkops_store::{Backend, DatabaseUrl, Db};
use parkops_testkit::{TestDatabase, databases};

async fn open(t: &TestDatabase) -> Db {
    let url = DatabaseUrl::resolve(Some(&t.url), std::path::Path::new(".")).expect("url");
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    db
}

fn app(db: &Db) -> App {
    App {
        store: Arc::new(db.clone()),
        clock: Arc::new(ManualClock::new(Timestamp::from_millis(1_767_225_600_000))),
        audit_key: Arc::new(SigningKey::from_seed([3; 32])),
        audit_origin: "test".into(),
        checkpoint_every: 1000,
    }
}

async fn exec(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(db.pool()).await.map(|_| ())
}

/// Removes the append-only triggers, as an attacker with write access to the file would.
async fn drop_triggers(db: &Db) {
    let sql = match db.backend() {
        Backend::Sqlite => "DROP TRIGGER audit_event_no_update; DROP TRIGGER audit_event_no_delete;",
        Backend::Postgres => "DROP TRIGGER audit_event_append_only ON audit_event;",
    };
    exec(db, sql).await.expect("drop triggers");
}

async fn demo_app(t: &TestDatabase) -> (Db, App) {
    let db = open(t).await;
    let app = app(&db);
    assert!(app.load_demo(&Caller::command_line()).await.expect("demo"));
    (db, app)
}

async fn verify(app: &App) -> Result<(), ChainBreak> {
    parkops_app::audit::verify_store(app.store.as_ref(), &app.audit_key.verifying_key(), &app.audit_origin, &[])
        .await
        .expect("read chain")
        .result
}

#[test]
fn migrations_have_the_same_names_on_both_engines() {
    let (sqlite, postgres) = parkops_store::migration_names();
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
}

#[tokio::test]
async fn sqlite_runs_durable() {
    let t = TestDatabase::sqlite();
    let db = open(&t).await;
    let d: std::collections::BTreeMap<_, _> = db.durability().await.expect("pragmas").into_iter().collect();
    assert_eq!(d["synchronous"], 2, "synchronous=FULL");
    assert_eq!(d["foreign_keys"], 1);
    assert_eq!(d["secure_delete"], 1);
    assert_eq!(d["journal_mode_wal"], 1);
}

/// A write transaction dropped without commit (a use case's error path) leaves nothing behind
/// and releases the writer gate (it holds the gate until its rollback is done, in a task of its
/// own): the next writer proceeds and only its record is in the chain. This does not show the
/// lazy-rollback hang itself: the writer pool hands the next writer the same connection, which
/// sqlx rolls back first; the hang needed a connection nobody reused (seen in a test's
/// `DROP SCHEMA`).
#[tokio::test]
async fn an_abandoned_write_transaction_rolls_back_before_the_next_writer() {
    for t in databases().await {
        let db = open(&t).await;
        let app = app(&db);
        let (before, _) = app.store.audit_head().await.expect("head");
        for round in 0..3 {
            let mut tx = app.store.begin().await.expect("begin");
            let e =
                Caller::command_line().entry("test.abandoned", "t", &round.to_string(), Outcome::Success, "{}".into());
            tx.audit(e, app.clock.now()).await.expect("append");
            drop(tx);
        }
        let mut tx = app.store.begin().await.expect("the next writer gets the gate");
        let e = Caller::command_line().entry("test.kept", "t", "1", Outcome::Success, "{}".into());
        tx.audit(e, app.clock.now()).await.expect("append");
        tx.commit().await.expect("commit");
        let (after, _) = app.store.audit_head().await.expect("head");
        assert_eq!(after, before + 1, "{:?}: only the committed record is in the chain", t.engine);
        assert_eq!(verify(&app).await, Ok(()));
    }
}

/// PostgreSQL commits writes asynchronously inside the writer gate and waits for the WAL flush
/// after it (ADR 0011): when a commit returns, the WAL is on disk past it.
#[tokio::test]
async fn postgres_acknowledges_a_write_only_once_it_is_flushed() {
    for t in databases().await {
        let db = open(&t).await;
        if db.backend() != Backend::Postgres {
            continue;
        }
        let app = app(&db);
        let lsn = |sql: &'static str| {
            let pool = db.pool().clone();
            async move {
                let row = sqlx::query(sql).fetch_one(&pool).await.expect("lsn");
                sqlx::Row::try_get::<String, _>(&row, 0).expect("text")
            }
        };
        for i in 0..20 {
            let before = lsn("SELECT pg_current_wal_insert_lsn()::text").await;
            let mut tx = app.store.begin().await.expect("begin");
            let e = Caller::command_line().entry("test.write", "t", &i.to_string(), Outcome::Success, "{}".into());
            tx.audit(e, app.clock.now()).await.expect("append");
            tx.commit().await.expect("commit");
            let flushed_past: bool = {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT pg_current_wal_flush_lsn() > '{before}'::pg_lsn AS past"
                )))
                .fetch_one(db.pool())
                .await
                .expect("compare");
                sqlx::Row::try_get(&row, 0).expect("bool")
            };
            assert!(flushed_past, "write {i}: the WAL was not flushed past {before} when commit returned");
        }
        // Writes stay readable and the chain whole.
        assert_eq!(verify(&app).await, Ok(()));
    }
}

#[tokio::test]
async fn demo_load_leaves_a_verifiable_chain_and_is_idempotent() {
    for t in databases().await {
        let (_db, app) = demo_app(&t).await;
        assert!(!app.load_demo(&Caller::command_line()).await.expect("again"), "{:?}", t.engine);
        assert!(app.store.count_users().await.expect("count") >= 95);
        let (head, _) = app.store.audit_head().await.expect("head");
        assert!(head > 150);
        assert_eq!(verify(&app).await, Ok(()), "{:?}", t.engine);
    }
}

#[tokio::test]
async fn commit_without_audit_is_refused_and_rolled_back() {
    for t in databases().await {
        let db = open(&t).await;
        let app = app(&db);
        let mut tx = app.store.begin().await.expect("begin");
        let park = parkops_domain::org::Park {
            id: parkops_domain::id::ParkId::from_uuid(uuid::Uuid::now_v7()),
            code: "X".into(),
            name: "x".into(),
        };
        tx.insert_park(&park, Timestamp::from_millis(0)).await.expect("insert");
        assert!(matches!(tx.commit().await, Err(StoreError::Unaudited)));
        assert!(app.store.parks().await.expect("parks").is_empty(), "{:?}", t.engine);
    }
}

#[tokio::test]
async fn database_refuses_update_and_delete_of_audit_rows() {
    for t in databases().await {
        let (db, _app) = demo_app(&t).await;
        assert!(exec(&db, "UPDATE audit_event SET actor_name = 'x' WHERE seq = 3").await.is_err(), "{:?}", t.engine);
        assert!(exec(&db, "DELETE FROM audit_event WHERE seq = 3").await.is_err(), "{:?}", t.engine);
        assert!(exec(&db, "DELETE FROM audit_checkpoint").await.is_ok(), "deleting nothing is not an error");
    }
}

#[tokio::test]
async fn edit_delete_and_reorder_are_named_by_first_bad_seq() {
    for t in databases().await {
        // Edit a field.
        let (db, app) = demo_app(&t).await;
        drop_triggers(&db).await;
        exec(&db, "UPDATE audit_event SET actor_name = 'mallory' WHERE seq = 17").await.expect("edit");
        assert_eq!(verify(&app).await.map_err(|e| e.first_bad_seq()), Err(17), "edit on {:?}", t.engine);
        // Edit the detail.
        exec(&db, "UPDATE audit_event SET actor_name = 'cli' WHERE seq = 17").await.expect("restore");
        assert_eq!(verify(&app).await, Ok(()));
        exec(&db, "UPDATE audit_event SET detail = '{}' WHERE seq = 40").await.expect("edit detail");
        assert_eq!(verify(&app).await, Err(ChainBreak::Detail { seq: 40 }), "{:?}", t.engine);
    }
    for t in databases().await {
        // Delete a row.
        let (db, app) = demo_app(&t).await;
        drop_triggers(&db).await;
        exec(&db, "DELETE FROM audit_event WHERE seq = 25").await.expect("delete");
        assert_eq!(verify(&app).await.map_err(|e| e.first_bad_seq()), Err(25), "delete on {:?}", t.engine);
    }
    for t in databases().await {
        // Swap two rows' positions.
        let (db, app) = demo_app(&t).await;
        drop_triggers(&db).await;
        exec(&db, "UPDATE audit_event SET seq = -1 WHERE seq = 30").await.expect("swap 1");
        exec(&db, "UPDATE audit_event SET seq = 30 WHERE seq = 31").await.expect("swap 2");
        exec(&db, "UPDATE audit_event SET seq = 31 WHERE seq = -1").await.expect("swap 3");
        assert_eq!(verify(&app).await.map_err(|e| e.first_bad_seq()), Err(30), "reorder on {:?}", t.engine);
    }
}

#[tokio::test]
async fn truncation_behind_a_checkpoint_is_detected() {
    for t in databases().await {
        let (db, app) = demo_app(&t).await;
        let cp = app.checkpoint_if_due(true).await.expect("checkpoint").expect("signed");
        assert_eq!(verify(&app).await, Ok(()));
        drop_triggers(&db).await;
        exec(&db, "DELETE FROM audit_event WHERE seq > 100").await.expect("truncate");
        assert_eq!(
            verify(&app).await,
            Err(ChainBreak::Truncated { seq: 101, checkpoint_seq: cp.seq }),
            "{:?}",
            t.engine
        );
    }
}

#[tokio::test]
async fn concurrent_writers_keep_one_chain() {
    for t in databases().await {
        let (_db, app) = demo_app(&t).await;
        let (before, _) = app.store.audit_head().await.expect("head");
        let mut tasks = Vec::new();
        for i in 0..8 {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                for k in 0..5 {
                    let mut tx = app.store.begin().await.expect("begin");
                    let e = Caller::command_line().entry(
                        "test.write",
                        "t",
                        &format!("{i}-{k}"),
                        Outcome::Success,
                        "{}".into(),
                    );
                    tx.audit(e, app.clock.now()).await.expect("append");
                    tx.commit().await.expect("commit");
                }
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        let (after, _) = app.store.audit_head().await.expect("head");
        assert_eq!(after - before, 40, "{:?}", t.engine);
        assert_eq!(verify(&app).await, Ok(()), "{:?}", t.engine);
    }
}

#[tokio::test]
async fn usernames_are_unique_case_insensitively_and_admins_exclusive_in_the_schema() {
    for t in databases().await {
        let (db, app) = demo_app(&t).await;
        let org = app.store.user_by_username("jb.manager").await.expect("read").expect("manager").org_id;
        let input = NewUser {
            org_id: org.to_string(),
            username: "JB.Manager".into(),
            display_name: "重复".into(),
            posts: vec!["technician".into()],
            password: "Another#Pass2026".into(),
            ..NewUser::default()
        };
        let err = app.create_user_from_console(input).await.expect_err("duplicate");
        assert!(matches!(err, parkops_app::AppError::Invalid(ref f) if f[0].key == "err-username-taken"), "{err:?}");
        // Second admin post for the same account: the partial unique index refuses it.
        let sys = app.store.user_by_username("jb.sysadmin").await.expect("read").expect("sysadmin").id;
        let sql = format!("INSERT INTO user_post (user_id, post, is_admin) VALUES ('{sys}', 'audit_admin', 1)");
        assert!(exec(&db, &sql).await.is_err(), "{:?}", t.engine);
    }
}

#[tokio::test]
async fn audit_filters_and_paging() {
    for t in databases().await {
        let (_db, app) = demo_app(&t).await;
        let filter = AuditFilter { action: Some("user.".into()), ..AuditFilter::default() };
        let page = app.store.audit_page(&filter, PageRequest { page: 2, per_page: 10 }).await.expect("page");
        assert_eq!(page.items.len(), 10);
        assert!(page.total >= 95);
        assert!(page.items.iter().all(|r| r.entry.action.starts_with("user.")));
        assert!(page.items.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
        // `_` in a filter is a literal, not a wildcard.
        let none = AuditFilter { action: Some("user_".into()), ..AuditFilter::default() };
        assert_eq!(app.store.audit_page(&none, PageRequest::clamped(None, None)).await.expect("page").total, 0);
    }
}
