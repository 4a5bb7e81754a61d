//! The calibration register's promises (issue #4 "Done when", R-9.1.1d), on SQLite and
//! PostgreSQL: a gas detector past its due date is on the overdue list and its owners are told
//! once; the next due date follows the class cycle; a correction keeps the original, whose row
//! the database refuses to change; a failure sets the CI faulty; scope; the task link.

use std::sync::Arc;

use parkops_app::calibration::{CalibrationInput, CycleInput, DueQuery, PointInput, RegisterQuery};
use parkops_app::clock::ManualClock;
use parkops_app::ports::PageRequest;
use parkops_app::ports::asset::{AssetRecord, LocationRecord};
use parkops_app::ports::calibration::CalibrationReads;
use parkops_app::ports::desk::DeskReads;
use parkops_app::{App, AppError, Caller};
use parkops_domain::asset::{AssetId, LifecycleState};
use parkops_domain::calibration::{Conclusion, Cycle, DueState, NoticeKind};
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
        audit_key: Arc::new(parkops_domain::audit::SigningKey::from_seed([7; 32])),
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

    /// A zone of its own, so the lists can be narrowed to this test's CIs.
    async fn zone(&self, code: &str) -> LocationRecord {
        let m = self.caller("jb.manager").await;
        let input = parkops_app::asset::LocationInput {
            level: "zone".into(),
            code: code.into(),
            name: format!("校准测试区{code}"),
            ..parkops_app::asset::LocationInput::default()
        };
        self.app.assets().put_location(&m, input).await.expect("zone")
    }

    /// A gas detector in service of enterprise E01, maintained by 安测气体仪表 (jb.vendor09
    /// and jb.vendor10), with jb.tech01 responsible.
    async fn detector(&self, code: &str, zone: &str) -> AssetRecord {
        let m = self.caller("jb.manager").await;
        let input = parkops_app::asset::AssetInput {
            code: code.into(),
            name: "储罐区可燃气体探测器".into(),
            class: "gas_detector".into(),
            state: "in_service".into(),
            location: zone.into(),
            enterprise: "JB-E01".into(),
            maintainer: "JB-GASDET".into(),
            owner: "jb.tech01".into(),
            attributes: [("tag_no", code), ("gas_kind", "可燃")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            ..parkops_app::asset::AssetInput::default()
        };
        self.app.assets().create(&m, input).await.expect("detector")
    }

    async fn asset(&self, id: AssetId) -> AssetRecord {
        self.app.store.asset(id).await.expect("read").expect("asset")
    }

    async fn audit_head(&self) -> i64 {
        self.app.store.audit_head().await.expect("head").0
    }

    async fn actions_after(&self, seq: i64) -> Vec<String> {
        self.app.store.audit_after(seq, 100_000).await.expect("audit").into_iter().map(|r| r.entry.action).collect()
    }
}

fn input(asset: &str, performed: &str, conclusion: &str) -> CalibrationInput {
    CalibrationInput {
        asset: asset.into(),
        standard_name: "甲烷标准气体 50%LEL".into(),
        standard_certificate: "GBW(E)061789".into(),
        standard_valid_until: "2026-12-31".into(),
        certificate_no: format!("JD-{performed}"),
        performer: "江滨市计量检定测试院".into(),
        performed_on: performed.into(),
        conclusion: conclusion.into(),
        points: vec![PointInput {
            nominal: "50".into(),
            reading: "51.2".into(),
            error: String::new(),
            allowed: "5".into(),
        }],
        ..CalibrationInput::default()
    }
}

fn fields(e: AppError) -> Vec<(String, String)> {
    match e {
        AppError::Invalid(f) => f.into_iter().map(|f| (f.field.to_owned(), f.key)).collect(),
        other => panic!("expected refused fields, got {other:?}"),
    }
}

fn date(text: &str) -> chrono::NaiveDate {
    parkops_domain::asset::parse_date(text).expect("date")
}

#[tokio::test]
async fn a_gas_detector_past_its_due_date_is_listed_overdue_and_its_owners_are_told_once() {
    for t in databases().await {
        let p = park(&t).await;
        let zone = p.zone("TZ-CAL").await;
        let gd = p.detector("T-GD-0001", "TZ-CAL").await;
        let tech = p.caller("jb.tech01").await;
        // Verified a year ago: due on 2026-01-05, four days from now.
        let out = p.app.record_calibration(&tech, input("T-GD-0001", "2025-01-05", "pass")).await.expect("record");
        assert_eq!(out.record.next_due, date("2026-01-05"), "{:?}", t.engine);
        assert!(out.in_force && !out.fault_opened);
        let by_zone =
            |status: &str| DueQuery { status: status.into(), zone: zone.id.to_string(), ..DueQuery::default() };
        let soon =
            p.app.calibration_due(&tech, &by_zone("due_soon"), PageRequest::clamped(None, None)).await.expect("due");
        assert_eq!(soon.page.items.len(), 1);
        assert_eq!(soon.page.items[0].state, DueState::DueSoon { days: 4 });
        let overdue = p.app.calibration_due(&tech, &by_zone("overdue"), PageRequest::clamped(None, None)).await;
        assert!(overdue.expect("overdue").page.items.is_empty());

        // The daily reminder tells the owners it falls due soon, once.
        let first = p.app.notify_calibration_due().await.expect("remind");
        assert!(first.due_soon >= 1);
        let notices = p.db.calibration_notices(&[gd.id]).await.expect("notices");
        assert_eq!(
            notices.iter().map(|n| (n.kind, n.due_key.as_str())).collect::<Vec<_>>(),
            vec![(NoticeKind::DueSoon, "2026-01-05")]
        );
        let again = p.app.notify_calibration_due().await.expect("again");
        assert_eq!(again, parkops_app::calibration::NoticeReport::default(), "nothing twice");

        // Nine days later it is five days overdue, on the overdue list of its enterprise and class.
        p.clock.advance(chrono::Duration::days(9));
        let list = p.app.calibration_due(&tech, &by_zone(""), PageRequest::clamped(None, None)).await.expect("due");
        assert_eq!(list.page.items.len(), 1);
        assert_eq!(list.page.items[0].row.asset.code, "T-GD-0001");
        assert_eq!(list.page.items[0].state, DueState::Overdue { days: 5 });
        let count = list.counts.iter().find(|c| c.class == "gas_detector").expect("gas detectors counted");
        assert_eq!((count.enterprise, count.total, count.overdue, count.never), (gd.enterprise_org_id, 1, 1, 0));

        // The owner, the enterprise's O&M staff (none in the demo) and the maintainer's
        // engineers are told it is overdue — once.
        let head = p.audit_head().await;
        let second = p.app.notify_calibration_due().await.expect("remind");
        assert!(second.overdue >= 1 && second.notifications >= 3, "{second:?}");
        let actions = p.actions_after(head).await;
        assert!(actions.iter().all(|a| a == "calibration.notify") && !actions.is_empty());
        assert_eq!(
            p.app.notify_calibration_due().await.expect("third"),
            parkops_app::calibration::NoticeReport::default()
        );
        for who in ["jb.tech01", "jb.vendor09", "jb.vendor10"] {
            // The demo's own detectors were due too: those come as digests, this one on its own.
            let user = p.app.store.user_by_username(who).await.expect("read").expect("user");
            let mine = p.db.notifications(user.id, 100_000).await.expect("inbox");
            let about: Vec<&str> = mine
                .iter()
                .filter(|n| n.title.contains("T-GD-0001") || n.body.contains("T-GD-0001"))
                .map(|n| n.event.as_str())
                .collect();
            // Newest first: told it falls due soon, then that it is overdue.
            assert_eq!(about, vec!["calibration_overdue", "calibration_due_soon"], "{who} on {:?}", t.engine);
        }
        let other = p.app.my_notifications(&p.caller("jb.vendor01").await).await.expect("inbox");
        assert!(
            other.iter().all(|n| !n.title.contains("T-GD-0001") && !n.body.contains("T-GD-0001")),
            "another supplier"
        );
        // The reminders are records too.
        let r = sqlx::raw_sql(sqlx::AssertSqlSafe("UPDATE calibration_notice SET recipients = 0".to_owned()))
            .execute(p.db.pool())
            .await;
        assert!(r.is_err(), "reminders are append-only on {:?}", t.engine);

        // A new passing calibration takes it off the list; a new due date may be reminded again.
        p.app.record_calibration(&tech, input("T-GD-0001", "2026-01-09", "pass")).await.expect("record");
        let list = p.app.calibration_due(&tech, &by_zone("all"), PageRequest::clamped(None, None)).await.expect("due");
        assert!(list.page.items.is_empty());
        assert_eq!(p.db.calibration_status(gd.id).await.expect("status").map(|s| s.next_due), Some(date("2027-01-09")));
    }
}

#[tokio::test]
async fn the_next_due_date_follows_the_class_cycle_and_an_override_needs_a_reason() {
    for t in databases().await {
        let p = park(&t).await;
        p.zone("TZ-CYC").await;
        p.detector("T-GD-0101", "TZ-CYC").await;
        let manager = p.caller("jb.manager").await;
        let tech = p.caller("jb.tech02").await;
        // Built in: twelve months.
        let r = p.app.record_calibration(&tech, input("T-GD-0101", "2025-06-30", "pass")).await.expect("record");
        assert_eq!((r.record.cycle, r.record.next_due), (Cycle::Months(12), date("2026-06-30")), "{:?}", t.engine);
        // The park shortens it to six months: a new, audited version of the class's cycle.
        let head = p.audit_head().await;
        let cycle = CycleInput {
            class: "gas_detector".into(),
            enabled: true,
            cycle_months: "6".into(),
            method: "value_transfer".into(),
            basis: "JJG 693-2011；园区规定半年一检".into(),
            note: "重大危险源区域加密".into(),
        };
        let v = p.app.set_calibration_cycle(&manager, cycle.clone()).await.expect("cycle");
        assert_eq!(v.version, 1);
        assert_eq!(p.actions_after(head).await, vec!["calibration.cycle_update"]);
        let same = p.app.set_calibration_cycle(&manager, cycle).await.expect("unchanged");
        assert_eq!(same.version, 1, "a change to nothing writes nothing");
        assert_eq!(p.audit_head().await, head + 1);
        let r = p.app.record_calibration(&tech, input("T-GD-0101", "2025-12-31", "pass_after_adjustment")).await;
        assert_eq!(r.expect("record").record.next_due, date("2026-06-30"));
        // A due date other than the cycle's needs a reason; with one it is kept.
        let mut moved = input("T-GD-0101", "2025-12-31", "pass");
        moved.next_due = "2026-05-15".into();
        let head = p.audit_head().await;
        let err = p.app.record_calibration(&tech, moved.clone()).await.expect_err("no reason");
        assert_eq!(fields(err), vec![("next_due_reason".into(), "err-calibration-due-reason".into())]);
        assert_eq!(p.audit_head().await, head, "nothing written");
        moved.next_due_reason = "与五月全厂停车检修同步".into();
        let r = p.app.record_calibration(&tech, moved).await.expect("record").record;
        assert_eq!((r.computed_due, r.next_due), (date("2026-06-30"), date("2026-05-15")));
        // Bad input names every field and writes nothing.
        let mut bad = input("T-GD-0101", "2026-01-02", "合格");
        bad.standard_valid_until = "2025-12-31".into();
        bad.certificate_no = String::new();
        bad.method = "检定".into();
        bad.points.push(PointInput {
            nominal: "100".into(),
            reading: "108".into(),
            error: String::new(),
            allowed: "5".into(),
        });
        bad.points.push(PointInput { nominal: "x".into(), ..PointInput::default() });
        let err = p.app.record_calibration(&tech, bad).await.expect_err("refused");
        assert_eq!(
            fields(err),
            vec![
                ("method".into(), "err-calibration-method".into()),
                ("certificate_no".into(), "err-required-64".into()),
                ("points".into(), "err-calibration-point".into()),
                ("performed_on".into(), "err-calibration-future".into()),
                ("standard_valid_until".into(), "err-calibration-standard-expired".into()),
                ("points".into(), "err-calibration-point-tolerance".into()),
            ]
        );
        // A CI with a cycle of its own (the register's `calibration_cycle`, in days) keeps it.
        let gd = p.asset(r.asset_id).await;
        let own = parkops_app::asset::AssetInput {
            code: gd.code.clone(),
            name: gd.name.clone(),
            class: gd.class.clone(),
            location: "TZ-CYC".into(),
            enterprise: "JB-E01".into(),
            maintainer: "JB-GASDET".into(),
            owner: "jb.tech01".into(),
            attributes: [("calibration_cycle".to_owned(), "180".to_owned())].into_iter().collect(),
            ..parkops_app::asset::AssetInput::default()
        };
        p.app.assets().update(&manager, gd.id, own).await.expect("own cycle");
        let r2 = p.app.record_calibration(&tech, input("T-GD-0101", "2025-12-31", "pass")).await.expect("record");
        assert_eq!((r2.record.cycle, r2.record.next_due), (Cycle::Days(180), date("2026-06-29")));
        // A CI that does not exist, and one of a class that is not calibrated.
        let err = p.app.record_calibration(&tech, input("T-NONE", "2025-12-31", "pass")).await.expect_err("unknown");
        assert_eq!(fields(err), vec![("asset".into(), "err-calibration-asset".into())]);
        let camera = parkops_app::asset::AssetInput {
            code: "T-CAM-0101".into(),
            name: "储罐区球机".into(),
            class: "camera".into(),
            state: "in_service".into(),
            attributes: [("camera_type".to_owned(), "球机".to_owned())].into_iter().collect(),
            ..parkops_app::asset::AssetInput::default()
        };
        p.app.assets().create(&manager, camera).await.expect("camera");
        let head = p.audit_head().await;
        let err = p.app.record_calibration(&tech, input("T-CAM-0101", "2025-12-31", "pass")).await.expect_err("class");
        assert_eq!(fields(err), vec![("asset".into(), "err-calibration-class".into())]);
        assert_eq!(p.audit_head().await, head);
        assert_eq!(p.asset(r.asset_id).await.code, "T-GD-0101");
    }
}

#[tokio::test]
async fn a_correction_is_a_new_version_and_the_original_row_cannot_be_changed() {
    for t in databases().await {
        let p = park(&t).await;
        p.zone("TZ-COR").await;
        let gd = p.detector("T-GD-0201", "TZ-COR").await;
        let tech = p.caller("jb.tech01").await;
        let original =
            p.app.record_calibration(&tech, input("T-GD-0201", "2025-03-01", "pass")).await.expect("v1").record;
        // The certificate said 2025-03-10: a corrected version names the original and why.
        let mut fixed = input("T-GD-0201", "2025-03-10", "pass");
        fixed.certificate_no = "JD-2025-0310".into();
        let err = p.app.correct_calibration(&tech, original.id, fixed.clone(), " ").await.expect_err("no reason");
        assert_eq!(fields(err), vec![("reason".into(), "err-calibration-reason".into())]);
        let head = p.audit_head().await;
        let v2 = p.app.correct_calibration(&tech, original.id, fixed.clone(), "证书日期录入错误").await.expect("v2");
        assert_eq!(p.actions_after(head).await, vec!["calibration.correct"]);
        let v2 = v2.record;
        assert_eq!((v2.version, v2.root_id, v2.corrects_id), (2, original.id, Some(original.id)), "{:?}", t.engine);
        assert_eq!(v2.correction_reason, "证书日期录入错误");
        assert_eq!(v2.next_due, date("2026-03-10"));
        // The original stays as it was, visible beside the correction.
        let versions = p.db.calibration_versions(original.id).await.expect("versions");
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0], original);
        let detail = p.app.calibration_detail(&tech, original.id).await.expect("detail");
        assert_eq!(detail.versions.len(), 2);
        assert_eq!(detail.head().id, v2.id);
        assert!(detail.in_force);
        // The register shows the newest version once; the CI's status follows it.
        let q = RegisterQuery { asset: gd.id.to_string(), ..RegisterQuery::default() };
        let reg = p.app.calibration_register(&tech, &q, PageRequest::clamped(None, None)).await.expect("register");
        assert_eq!(reg.page.items.iter().map(|r| r.head.record.id).collect::<Vec<_>>(), vec![v2.id]);
        assert!(reg.page.items[0].head.in_force);
        assert_eq!(p.db.calibration_status(gd.id).await.expect("status").map(|s| s.record_id), Some(v2.id));
        // Only the newest version can be corrected, and only by a change.
        let err = p.app.correct_calibration(&tech, original.id, fixed.clone(), "再改").await.expect_err("stale");
        assert!(matches!(err, AppError::Conflict(ref k) if k == "err-calibration-not-latest"), "{err:?}");
        let err = p.app.correct_calibration(&tech, v2.id, fixed, "再改一次").await.expect_err("same");
        assert!(matches!(err, AppError::Conflict(ref k) if k == "err-calibration-unchanged"), "{err:?}");
        // A certificate scan is kept with its SHA-256, beside the records.
        let scan = b"%PDF-1.4 certificate";
        let att = p.app.attach_to_calibration(&tech, v2.id, "证书.pdf", "application/pdf", scan).await.expect("attach");
        assert!(att.sha256.len() == 64 && att.sha256.bytes().all(|b| b.is_ascii_hexdigit()), "{}", att.sha256);
        assert_eq!(att.size, i64::try_from(scan.len()).expect("small"));
        let (_, data) = p.app.calibration_attachment(&tech, att.id).await.expect("download");
        assert_eq!(data, scan);
        // The database itself refuses to change or remove the records.
        for sql in [
            "UPDATE calibration_record SET certificate_no = 'X'",
            "DELETE FROM calibration_record",
            "UPDATE calibration_attachment SET name = 'x.pdf'",
            "DELETE FROM calibration_attachment",
        ] {
            let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(p.db.pool()).await;
            assert!(r.is_err(), "{sql} was accepted on {:?}", t.engine);
        }
        assert_eq!(p.db.calibration(original.id).await.expect("read"), Some(original));
    }
}

#[tokio::test]
async fn a_failed_calibration_sets_the_ci_faulty_in_the_same_transaction() {
    for t in databases().await {
        let p = park(&t).await;
        let zone = p.zone("TZ-FAIL").await;
        let gd = p.detector("T-GD-0301", "TZ-FAIL").await;
        let vendor = p.caller("jb.vendor09").await;
        let head = p.audit_head().await;
        let mut failed = input("T-GD-0301", "2025-12-30", "fail");
        failed.points[0].reading = "62".into();
        let out = p.app.record_calibration(&vendor, failed).await.expect("record");
        assert!(out.fault_opened && out.in_force, "{:?}", t.engine);
        assert_eq!(out.record.next_due, date("2025-12-30"), "due again at once");
        assert_eq!(p.actions_after(head).await, vec!["calibration.record", "asset.lifecycle"]);
        let a = p.asset(gd.id).await;
        assert_eq!(a.state, LifecycleState::Faulty);
        let last = p.db_events(gd.id).await;
        assert_eq!((last.kind.as_str(), last.to_state.as_str()), ("fault", "faulty"));
        assert!(last.note.contains("校准不合格"), "{}", last.note);
        // Faulty, it is not measuring, so not on the overdue list; repaired, it is, overdue
        // until a passing calibration.
        let tech = p.caller("jb.tech01").await;
        let q = DueQuery { zone: zone.id.to_string(), ..DueQuery::default() };
        let list = p.app.calibration_due(&tech, &q, PageRequest::clamped(None, None)).await.expect("due");
        assert!(list.page.items.is_empty());
        let repair = parkops_app::asset::LifecycleRequest { event: "repair".into(), ..Default::default() };
        p.app.assets().lifecycle(&tech, gd.id, repair).await.expect("repair");
        let list = p.app.calibration_due(&tech, &q, PageRequest::clamped(None, None)).await.expect("due");
        assert_eq!(list.page.items.iter().map(|i| i.state).collect::<Vec<_>>(), vec![DueState::Overdue { days: 2 }]);
        // An older failure recorded later is not in force and does not fault the CI again.
        p.app.record_calibration(&tech, input("T-GD-0301", "2025-12-31", "pass")).await.expect("pass");
        let late = p.app.record_calibration(&tech, input("T-GD-0301", "2025-06-01", "fail")).await.expect("old");
        assert!(!late.in_force && !late.fault_opened);
        assert_eq!(p.asset(gd.id).await.state, LifecycleState::InService);
        assert_eq!(out.record.conclusion, Conclusion::Fail);
    }
}

#[tokio::test]
async fn only_those_who_may_record_can_and_suppliers_only_on_what_they_maintain() {
    for t in databases().await {
        let p = park(&t).await;
        p.zone("TZ-ACL").await;
        p.detector("T-GD-0401", "TZ-ACL").await;
        let head = p.audit_head().await;
        for who in ["jb.op01", "jb.sup01", "jb.ent01"] {
            let err = p.app.record_calibration(&p.caller(who).await, input("T-GD-0401", "2025-12-01", "pass")).await;
            assert!(matches!(err, Err(AppError::Forbidden { .. })), "{who}: {err:?}");
        }
        // jb.vendor01 (another supplier) cannot even see it; jb.vendor09 (its maintainer) records it.
        let err =
            p.app.record_calibration(&p.caller("jb.vendor01").await, input("T-GD-0401", "2025-12-01", "pass")).await;
        assert_eq!(fields(err.expect_err("out of reach")), vec![("asset".into(), "err-calibration-asset".into())]);
        assert_eq!(p.audit_head().await, head);
        let vendor = p.caller("jb.vendor09").await;
        p.app.record_calibration(&vendor, input("T-GD-0401", "2025-12-01", "pass")).await.expect("maintainer");
        // Only park-wide register keepers change cycles.
        let cycle = CycleInput {
            class: "camera".into(),
            enabled: true,
            cycle_months: "12".into(),
            method: "calibration".into(),
            ..CycleInput::default()
        };
        for who in ["jb.vendor09", "jb.op01"] {
            let err = p.app.set_calibration_cycle(&p.caller(who).await, cycle.clone()).await;
            assert!(matches!(err, Err(AppError::Forbidden { .. })), "{who}");
        }
        let err = p
            .app
            .set_calibration_cycle(
                &p.caller("jb.tech01").await,
                CycleInput { cycle_months: "0".into(), ..cycle.clone() },
            )
            .await;
        assert_eq!(fields(err.expect_err("bad")), vec![("cycle_months".into(), "err-calibration-cycle".into())]);
        // The vendor's register shows only what it maintains.
        let mine =
            p.app.calibration_register(&vendor, &RegisterQuery::default(), PageRequest::clamped(None, None)).await;
        let mine = mine.expect("register");
        assert!(mine.page.items.iter().all(|r| {
            r.asset.as_ref().is_some_and(|a| a.maintainer_org_id == Some(vendor.principal.as_ref().expect("p").org_id))
        }));
        assert_eq!(mine.page.total, 1, "{:?}", t.engine);
    }
}

#[tokio::test]
async fn a_calibration_record_completes_its_calibration_task() {
    for t in databases().await {
        let p = park(&t).await;
        p.zone("TZ-TASK").await;
        let gd = p.detector("T-GD-0501", "TZ-TASK").await;
        let manager = p.caller("jb.manager").await;
        let plan = parkops_app::schedule::PlanInput {
            kind: "calibration".into(),
            name: "T-GD-0501 年度检定".into(),
            class: "gas_detector".into(),
            assets: "T-GD-0501".into(),
            anchor: "2026-01-05".into(),
            every_unit: "month".into(),
            every_count: "12".into(),
            lead_days: "30".into(),
            grace_days: "0".into(),
            ..Default::default()
        };
        p.app.save_plan(&manager, None, plan).await.expect("plan");
        p.app.generate_due_tasks(&manager).await.expect("generate");
        let tech = p.caller("jb.tech01").await;
        let tasks = p.app.pending_calibration_tasks(&tech, gd.id).await.expect("tasks");
        assert_eq!(tasks.len(), 1, "{:?}", t.engine);
        let mut with_task = input("T-GD-0501", "2026-01-01", "pass");
        with_task.task = tasks[0].id.to_string();
        let out = p.app.record_calibration(&tech, with_task).await.expect("record");
        assert_eq!(out.record.task_id.map(|x| x.to_string()), Some(tasks[0].id.to_string()));
        assert!(p.app.pending_calibration_tasks(&tech, gd.id).await.expect("tasks").is_empty(), "the task is done");
        let task = p.app.calibration_task(&tech, tasks[0].id).await.expect("task");
        assert_eq!(task.record_ref, format!("calibration:{}", out.record.id));
        // A task of another CI is refused.
        p.detector("T-GD-0502", "TZ-TASK").await;
        let mut wrong = input("T-GD-0502", "2026-01-01", "pass");
        wrong.task = tasks[0].id.to_string();
        let err = p.app.record_calibration(&tech, wrong).await.expect_err("other CI's task");
        assert_eq!(fields(err), vec![("task".into(), "err-calibration-task".into())]);
    }
}

impl Park {
    async fn db_events(&self, id: AssetId) -> parkops_app::ports::asset::AssetEventRecord {
        use parkops_app::ports::asset::AssetReads;
        self.db.asset_events(id).await.expect("events").pop().expect("an event")
    }
}

#[tokio::test]
async fn the_demo_register_matches_the_demo_assets_and_loads_once() {
    for t in databases().await {
        let p = park(&t).await;
        let system = Caller::command_line();
        let park_id = p.app.store.parks().await.expect("parks")[0].id;
        let started = std::time::Instant::now();
        let n = p.app.load_demo_calibrations(&system, park_id).await.expect("demo calibrations");
        eprintln!("{:?}: {n} demo calibration records in {:?}", t.engine, started.elapsed());
        assert!(n > 600, "{n}");
        assert_eq!(p.app.load_demo_calibrations(&system, park_id).await.expect("again"), 0, "once");
        let tech = p.caller("jb.tech01").await;
        let detectors = DueQuery { class: "gas_detector".into(), ..DueQuery::default() };
        let list = p.app.calibration_due(&tech, &detectors, PageRequest { page: 1, per_page: 200 }).await.expect("due");
        // The demo's detectors past their verification date that measure (most of its 25; a
        // faulty one is off the list), and nothing never calibrated.
        let today = parkops_app::calibration::day_of(Timestamp::from_millis(NEW_YEAR));
        let m = p.caller("jb.manager").await;
        let mut expected = 0;
        for page in 1..=5 {
            let q = parkops_app::asset::AssetQuery {
                classes: vec!["gas_detector".into()],
                states: vec!["in_service".into(), "trial_run".into()],
                ..Default::default()
            };
            let items = p.app.assets().list(&m, &q, PageRequest { page, per_page: 200 }, false).await.expect("list");
            expected += items
                .page
                .items
                .iter()
                .filter(|a| a.attributes.get("next_verification").is_some_and(|d| date(d) < today))
                .count();
        }
        assert!((20..=25).contains(&expected), "{expected}");
        assert_eq!(usize::try_from(list.page.total).expect("count"), expected, "{:?}", t.engine);
        assert!(list.page.items.iter().all(|i| matches!(i.state, DueState::Overdue { .. })));
    }
}
