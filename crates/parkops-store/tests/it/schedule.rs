//! Inspections by plan on SQLite and PostgreSQL (R-9.1.1a, R-8.1.2d): standards, plans, tasks,
//! results and photos round-trip through the store; generation is unique per plan, CI and due
//! date; result records, their items, photos, standard versions and task timelines refuse
//! UPDATE and DELETE in the database itself; a supplier sees the tasks of what it maintains.

use std::collections::BTreeMap;
use std::sync::Arc;

use parkops_app::asset::{AssetInput, LocationInput};
use parkops_app::clock::{Clock, ManualClock};
use parkops_app::ports::PageRequest;
use parkops_app::ports::asset::AssetRecord;
use parkops_app::ports::schedule::{Lateness, TaskFilter};
use parkops_app::schedule::{PhotoUpload, PlanInput, ResultInput, TaskQuery};
use parkops_app::{App, AppError, Caller};
use parkops_domain::audit::{Outcome, SigningKey};
use parkops_domain::schedule::{Finding, PlanKind, TaskState, Verdict};
use parkops_domain::time::Timestamp;
use parkops_store::{DatabaseUrl, Db};
use parkops_testkit::{TestDatabase, databases};

/// 2026-01-01 08:00 China Standard Time.
const NEW_YEAR: i64 = 1_767_225_600_000;

struct Park {
    app: App,
    db: Db,
    clock: Arc<ManualClock>,
}

async fn park(t: &TestDatabase) -> Park {
    let url = DatabaseUrl::resolve(Some(&t.url), std::path::Path::new(".")).expect("url");
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(NEW_YEAR)));
    let app = App {
        store: Arc::new(db.clone()),
        clock: clock.clone(),
        audit_key: Arc::new(SigningKey::from_seed([6; 32])),
        audit_origin: "test".into(),
        checkpoint_every: 100_000,
    };
    app.load_demo(&Caller::command_line()).await.expect("demo");
    Park { app, db, clock }
}

impl Park {
    async fn caller(&self, username: &str) -> Caller {
        let user = self.app.store.user_by_username(username).await.expect("read").expect("user");
        let p = self.app.principal_of(&user).await.expect("principal");
        Caller { principal: Some(p), ip: "127.0.0.1".into(), request_id: format!("test-{username}") }
    }

    /// A zone of its own with `n` cameras in service, maintained by the video supplier.
    async fn cameras(&self, zone: &str, n: usize) -> (String, Vec<AssetRecord>) {
        let m = self.caller("jb.manager").await;
        let loc = LocationInput {
            level: "zone".into(),
            code: zone.into(),
            name: format!("{zone} 测试区"),
            ..LocationInput::default()
        };
        let zone_rec = self.app.assets().put_location(&m, loc).await.expect("zone");
        let mut out = Vec::new();
        for k in 1..=n {
            let input = AssetInput {
                code: format!("{zone}-CAM-{k:03}"),
                name: format!("测试摄像机 {k}"),
                class: "camera".into(),
                state: "in_service".into(),
                location: zone.into(),
                maintainer: "华瞳视频技术有限公司".into(),
                attributes: [("camera_type".to_owned(), "枪机".to_owned())].into(),
                ..AssetInput::default()
            };
            out.push(self.app.assets().create(&m, input).await.expect("camera"));
        }
        (zone_rec.id.to_string(), out)
    }

    async fn plan(&self, zone: &str, anchor: &str, lead: &str) -> parkops_app::ports::schedule::PlanRecord {
        let m = self.caller("jb.manager").await;
        let input = PlanInput {
            kind: "inspection".into(),
            name: "测试区摄像机月度巡检".into(),
            standard_code: "camera_monthly".into(),
            zone: zone.into(),
            anchor: anchor.into(),
            every_unit: "month".into(),
            every_count: "1".into(),
            lead_days: lead.into(),
            grace_days: "0".into(),
            escalate_after_days: "1".into(),
            assignee_user: "jb.tech01".into(),
            owner: "jb.manager".into(),
            ..PlanInput::default()
        };
        self.app.save_plan(&m, None, input).await.expect("plan")
    }
}

fn passing(retention: &str) -> ResultInput {
    let values: BTreeMap<String, String> = [
        ("online", "yes"),
        ("image_clear", "是"),
        ("time_offset", "2"),
        ("housing", "yes"),
        ("lens", "清洁"),
        ("retention_days", retention),
        ("mounting", "yes"),
        ("remark", "无"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let photo = PhotoUpload {
        name: "画面.jpg".into(),
        content_type: "image/jpeg".into(),
        data: b"\xff\xd8\xff\xe0jpeg".to_vec(),
    };
    ResultInput { values, photos: [("image_clear".to_owned(), photo)].into(), ..ResultInput::default() }
}

async fn refused(db: &Db, sql: String) -> bool {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(db.pool()).await.is_err()
}

#[tokio::test]
async fn records_round_trip_and_the_database_refuses_to_rewrite_them() {
    for t in databases().await {
        let p = park(&t).await;
        let m = p.caller("jb.manager").await;
        assert_eq!(p.app.install_default_standards(&m).await.expect("defaults"), 5, "{:?}", t.engine);
        assert_eq!(p.app.install_default_standards(&m).await.expect("again"), 0, "installed once");
        let (zone, cams) = p.cameras("ZS", 2).await;
        let plan = p.plan(&zone, "2026-01-05", "10").await;
        assert_eq!(p.app.store.plan(plan.id).await.expect("read").as_ref(), Some(&plan), "plan round trip");
        let first = p.app.generate_due_tasks(&m).await.expect("generate");
        assert_eq!(first.created, 2);
        assert_eq!(p.app.generate_due_tasks(&m).await.expect("again").created, 0, "unique per plan, CI, date");
        let filter = TaskFilter { plan_id: Some(plan.id), ..TaskFilter::default() };
        let tasks = p.app.store.tasks(&filter, PageRequest { page: 1, per_page: 50 }).await.expect("tasks").items;
        assert_eq!(tasks.len(), 2);
        assert!(tasks.iter().all(|x| x.due_date.to_string() == "2026-01-05" && x.state == TaskState::Open));
        // The same tasks once more, straight into the store: nothing is added.
        let mut tx = p.app.store.begin().await.expect("begin");
        let dup: Vec<_> = tasks
            .iter()
            .map(|x| parkops_app::ports::schedule::TaskRecord {
                id: parkops_domain::schedule::TaskId::from_uuid(uuid::Uuid::now_v7()),
                ..x.clone()
            })
            .collect();
        assert_eq!(tx.insert_tasks(&dup).await.expect("insert"), 0);
        tx.audit(m.entry("test", "test", "", Outcome::Success, "{}".into()), p.clock.now()).await.expect("audit");
        tx.commit().await.expect("commit");

        // Record, read back, correct.
        let tech = p.caller("jb.tech01").await;
        let task = &tasks[0];
        let out = p.app.record_result(&tech, task.id, passing("20")).await.expect("record");
        let ticket = out.ticket.expect("20 days of recordings is out of range");
        assert_eq!(ticket.asset_id, Some(task.asset_id), "the ticket names the CI");
        let stored = p.app.store.result(out.result.id).await.expect("read").expect("result");
        assert_eq!(stored, out.result, "result round trip with items");
        let retention = stored.items.iter().find(|i| i.code == "retention_days").expect("item");
        assert_eq!((retention.verdict, retention.finding), (Verdict::Fail, Some(Finding::BelowMin)));
        let photo_id = stored.items.iter().find(|i| i.code == "image_clear").and_then(|i| i.photo_id).expect("photo");
        let (photo, data) = p.app.store.photo(photo_id).await.expect("read").expect("photo");
        assert_eq!(data, b"\xff\xd8\xff\xe0jpeg");
        assert_eq!(
            photo.sha256, "195dc2e36f7128a2a49831a8c8e93a098c3f0ba4d9318fb5fd578ac1302bcc7e",
            "SHA-256 of the bytes"
        );
        let correction = ResultInput {
            values: [("retention_days".to_owned(), "35".to_owned())].into(),
            reason: "NVR 查询日期读错，实际保存 35 天".into(),
            ..ResultInput::default()
        };
        let v2 = p.app.correct_result(&tech, out.result.id, correction).await.expect("correct").result;
        assert_eq!((v2.version, v2.corrects, v2.passed), (2, Some(out.result.id), true));
        assert_eq!(v2.ticket_id, Some(ticket.id), "the ticket stays linked");
        assert_eq!(p.app.store.result(out.result.id).await.expect("read"), Some(stored.clone()), "original unchanged");
        let versions = p.app.store.results(task.id).await.expect("versions");
        assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), vec![1, 2]);

        // The database refuses to rewrite any record, whatever the application does.
        let rid = out.result.id.to_string();
        for sql in [
            format!("UPDATE inspection_result SET reason = 'x' WHERE id = '{rid}'"),
            format!("DELETE FROM inspection_result WHERE id = '{}'", v2.id),
            format!("UPDATE inspection_result_item SET value = '40' WHERE result_id = '{rid}'"),
            format!("DELETE FROM inspection_result_item WHERE result_id = '{rid}'"),
            format!("UPDATE inspection_photo SET sha256 = 'x' WHERE id = '{photo_id}'"),
            format!("DELETE FROM inspection_photo WHERE id = '{photo_id}'"),
            format!("UPDATE inspection_standard SET name = 'x' WHERE park_id = '{}'", task.park_id),
            format!("DELETE FROM schedule_task_event WHERE task_id = '{}'", task.id),
        ] {
            assert!(refused(&p.db, sql.clone()).await, "{:?}: {sql}", t.engine);
        }
        assert_eq!(p.app.store.result(out.result.id).await.expect("read"), Some(stored), "still the original");

        // Every task state is stored and read back.
        let other = &tasks[1];
        p.app.start_task(&tech, other.id).await.expect("start");
        assert_eq!(p.app.store.task(other.id).await.expect("read").expect("task").state, TaskState::InProgress);
        p.app.cancel_task(&m, other.id, "设备临时拆除").await.expect("cancel");
        let cancelled = p.app.store.task(other.id).await.expect("read").expect("task");
        assert_eq!(cancelled.state, TaskState::Cancelled);
        assert_eq!(p.app.store.task(task.id).await.expect("read").expect("task").state, TaskState::Done);
        let events: Vec<String> =
            p.app.store.task_events(other.id).await.expect("events").into_iter().map(|e| e.kind).collect();
        assert_eq!(events, vec!["started", "cancelled"]);
        assert!(matches!(p.app.start_task(&tech, other.id).await, Err(AppError::Conflict(_))));
        assert_eq!(cams.len(), 2);
    }
}

#[tokio::test]
async fn filters_calendar_counts_and_lateness() {
    for t in databases().await {
        let p = park(&t).await;
        let m = p.caller("jb.manager").await;
        p.app.install_default_standards(&m).await.expect("defaults");
        let (zone, _) = p.cameras("ZF", 3).await;
        let plan = p.plan(&zone, "2026-01-03", "3").await;
        p.app.generate_due_tasks(&m).await.expect("generate");
        // Past due (grace 0): overdue from 4 January; escalated a day later.
        p.clock.advance(chrono::Duration::days(3));
        let w = p.app.watch_tasks().await.expect("watch");
        assert_eq!((w.overdue, w.escalated), (3, 0), "{:?}", t.engine);
        let late = TaskFilter { lateness: Some(Lateness::Overdue), ..TaskFilter::default() };
        assert_eq!(p.app.store.tasks(&late, PageRequest { page: 1, per_page: 10 }).await.expect("late").total, 3);
        let q = TaskQuery { status: "overdue".into(), plan: plan.id.to_string(), ..TaskQuery::default() };
        let list = p.app.schedule_tasks(&m, &q, PageRequest { page: 1, per_page: 2 }).await.expect("list");
        assert_eq!((list.page.total, list.page.items.len()), (3, 2), "paged");
        assert_eq!(list.assets.len(), 2);
        let cal = p.app.due_calendar(&m, "2026-01", &TaskQuery::default()).await.expect("calendar");
        let day = cal.days.iter().find(|d| d.plan_id == plan.id).expect("the plan's day");
        assert_eq!((day.date.to_string().as_str(), day.total, day.done, day.overdue), ("2026-01-03", 3, 0, 3));
        let bad = TaskQuery { from: "3 January".into(), ..TaskQuery::default() };
        assert!(matches!(
            p.app.schedule_tasks(&m, &bad, PageRequest::clamped(None, None)).await,
            Err(AppError::Invalid(_))
        ));
        assert_eq!(plan.kind, PlanKind::Inspection);
    }
}

#[tokio::test]
async fn a_supplier_sees_and_works_the_tasks_of_what_it_maintains_only() {
    for t in databases().await {
        let p = park(&t).await;
        let m = p.caller("jb.manager").await;
        p.app.install_default_standards(&m).await.expect("defaults");
        let (zone, _) = p.cameras("ZV", 2).await;
        p.plan(&zone, "2026-01-05", "10").await;
        p.app.generate_due_tasks(&m).await.expect("generate");
        // jb.vendor03 works for the video supplier that maintains the cameras; jb.vendor01 does not.
        let video = p.caller("jb.vendor03").await;
        let platform = p.caller("jb.vendor01").await;
        let all = TaskQuery::default();
        let seen = p.app.schedule_tasks(&video, &all, PageRequest::clamped(None, None)).await.expect("video");
        assert_eq!(seen.page.total, 2, "{:?}", t.engine);
        let none = p.app.schedule_tasks(&platform, &all, PageRequest::clamped(None, None)).await.expect("platform");
        assert_eq!(none.page.total, 0);
        let task = seen.page.items[0].id;
        assert!(matches!(p.app.schedule_task(&platform, task).await, Err(AppError::NotFound)));
        assert!(matches!(p.app.record_result(&platform, task, passing("40")).await, Err(AppError::NotFound)));
        let out = p.app.record_result(&video, task, passing("40")).await.expect("the maintainer records");
        assert!(out.result.passed && out.ticket.is_none());
        // A supervisor reads and records nothing.
        let sup = p.caller("jb.sup01").await;
        assert!(p.app.schedule_task(&sup, task).await.is_ok());
        assert!(matches!(
            p.app.record_result(&sup, seen.page.items[1].id, passing("40")).await,
            Err(AppError::Forbidden { .. })
        ));
    }
}

#[tokio::test]
async fn the_demo_plans_load_once_and_the_scheduler_fills_them() {
    for t in databases().await {
        let p = park(&t).await;
        let park_id = p.app.store.parks().await.expect("parks")[0].id;
        let cli = Caller::command_line();
        p.app.load_demo_schedules(&cli, park_id).await.expect("demo plans");
        p.app.load_demo_schedules(&cli, park_id).await.expect("again");
        let m = p.caller("jb.manager").await;
        let plans = p.app.schedule_plans(&m).await.expect("plans");
        assert_eq!(plans.len(), 5, "{:?}", t.engine);
        assert_eq!(p.app.inspection_standards(&m).await.expect("standards").len(), 5);
        let report = p.app.generate_all_due_tasks().await.expect("job");
        assert_eq!(report.plans, 5);
        for plan in &plans {
            let filter = TaskFilter { plan_id: Some(plan.id), ..TaskFilter::default() };
            let n = p.app.store.tasks(&filter, PageRequest { page: 1, per_page: 1 }).await.expect("tasks").total;
            // Everything but the yearly verification falls due within the three days' lead.
            assert_eq!(n > 0, plan.kind != PlanKind::Calibration, "{} has {n} tasks", plan.name);
        }
        let cameras = plans.iter().find(|x| x.standard_code == "camera_monthly").expect("camera plan");
        assert!(!cameras.target.assets.is_empty(), "the park's own cameras are listed");
    }
}
