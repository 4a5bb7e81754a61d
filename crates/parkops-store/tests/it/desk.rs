//! The service desk's promises (issue #3 "Done when"), on SQLite and PostgreSQL, with a
//! controlled clock: due times from the configured targets, the working calendar, pauses,
//! warning and escalation once each, and reporters seeing only their own tickets.

use std::sync::Arc;

use chrono::Duration;
use parkops_app::clock::ManualClock;
use parkops_app::desk::NewTicket;
use parkops_app::ports::desk::TicketFilter;
use parkops_app::ports::{PageRequest, UserFilter};
use parkops_app::{App, AppError, Caller};
use parkops_domain::audit::SigningKey;
use parkops_domain::ticket::{SupportLine, TicketState};
use parkops_domain::time::Timestamp;
use parkops_store::{DatabaseUrl, Db};
use parkops_testkit::{TestDatabase, databases};

/// 2026-11-25 (a Wednesday) 10:00 China Standard Time.
const WEDNESDAY_10H: i64 = 1_795_572_000_000;

struct Desk {
    app: App,
    clock: Arc<ManualClock>,
    db: Db,
}

async fn desk(t: &TestDatabase, start: i64) -> Desk {
    let url = DatabaseUrl::resolve(Some(&t.url), std::path::Path::new(".")).expect("url");
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(start)));
    let app = App {
        store: Arc::new(db.clone()),
        clock: clock.clone(),
        audit_key: Arc::new(SigningKey::from_seed([9; 32])),
        audit_origin: "test".into(),
        checkpoint_every: 10_000,
    };
    app.load_demo(&Caller::command_line()).await.expect("demo");
    Desk { app, clock, db }
}

impl Desk {
    async fn caller(&self, username: &str) -> Caller {
        let user = self.app.store.user_by_username(username).await.expect("read").expect("user");
        let p = self.app.principal_of(&user).await.expect("principal");
        Caller { principal: Some(p), ip: "127.0.0.1".into(), request_id: format!("test-{username}") }
    }

    async fn open(&self, who: &str, level: &str) -> parkops_app::ports::desk::TicketRecord {
        let c = self.caller(who).await;
        let input = NewTicket {
            kind: "fault_report".into(),
            level: level.into(),
            domain: "safety_production".into(),
            title: format!("{level} 测试故障"),
            description: "有毒气体探测器数值冻结".into(),
            location: "储运区 T-3".into(),
            affected: "GDS-T3".into(),
            ..NewTicket::default()
        };
        self.app.open_ticket(&c, input).await.expect("open")
    }

    fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    async fn events(&self, id: uuid::Uuid) -> Vec<String> {
        self.app.store.ticket_events(id).await.expect("events").into_iter().map(|e| e.kind).collect()
    }
}

#[tokio::test]
async fn a_fatal_fault_gets_its_due_times_from_the_configured_targets() {
    for t in databases().await {
        let d = desk(&t, WEDNESDAY_10H).await;
        // The desk manager sets 致命 to 10 min / 2 h, around the clock.
        let m = d.caller("jb.manager").await;
        let (mut policy, _) = d.app.sla_policy_view(&m).await.expect("policy");
        policy["targets"]["fatal"] =
            serde_json::json!({ "response_minutes": 10, "resolve_minutes": 120, "coverage": "7x24" });
        d.app.update_sla_policy(&m, &policy).await.expect("store policy");
        let ticket = d.open("jb.ent01", "fatal").await;
        let now = Timestamp::from_millis(WEDNESDAY_10H);
        assert_eq!(ticket.response_due_at, Some(now.plus(Duration::minutes(10))), "{:?}", t.engine);
        assert_eq!(ticket.resolve_due_at, Some(now.plus(Duration::minutes(120))));
        assert!(ticket.number.starts_with("JB20261125"), "{}", ticket.number);
        // A bad policy is refused and changes nothing.
        let mut bad = policy.clone();
        bad["targets"]["fatal"]["response_minutes"] = serde_json::json!(0);
        assert!(matches!(d.app.update_sla_policy(&m, &bad).await, Err(AppError::Invalid(_))));
        let (now_policy, history) = d.app.sla_policy_view(&m).await.expect("policy");
        assert_eq!(now_policy["targets"]["fatal"]["response_minutes"], 10);
        assert!(!history.is_empty());
    }
}

#[tokio::test]
async fn a_general_ticket_opened_before_a_holiday_is_due_after_it() {
    for t in databases().await {
        // Wednesday 30 September 2026, 16:00 CST: the working day before the National Day week.
        let start = WEDNESDAY_10H - Duration::days(56).num_milliseconds() + Duration::hours(6).num_milliseconds();
        let d = desk(&t, start).await;
        assert_eq!(d.app.clock.now().display_cst(), "2026-09-30 16:00:00");
        let ticket = d.open("jb.ent02", "general").await;
        // 4 working hours: one on 30 Sept, three on Thursday 8 October (first day back).
        assert_eq!(
            ticket.response_due_at.map(Timestamp::display_cst).as_deref(),
            Some("2026-10-08 12:00:00"),
            "{:?}",
            t.engine
        );
    }
}

#[tokio::test]
async fn a_paused_tickets_due_time_moves_by_the_pause() {
    for t in databases().await {
        let d = desk(&t, WEDNESDAY_10H).await;
        let ticket = d.open("jb.ent03", "fatal").await;
        let due = ticket.resolve_due_at.expect("due");
        let op = d.caller("jb.op01").await;
        d.app.ticket_action(&op, ticket.id, "acknowledge", "", "").await.expect("ack");
        d.advance(Duration::minutes(20));
        let waiting = d.app.ticket_action(&op, ticket.id, "wait", "vendor", "等待厂家备件").await.expect("wait");
        assert!(matches!(waiting.state, TicketState::Waiting { .. }));
        assert_eq!(waiting.resolve_due_at, None, "no due time while paused");
        d.advance(Duration::minutes(45));
        let resumed = d.app.ticket_action(&op, ticket.id, "resume", "", "备件到货").await.expect("resume");
        assert_eq!(resumed.resolve_due_at, Some(due.plus(Duration::minutes(45))), "{:?}", t.engine);
        // A transition the state does not allow is refused and changes nothing.
        let refused = d.app.ticket_action(&op, ticket.id, "confirm", "", "").await;
        assert!(matches!(refused, Err(AppError::Conflict(ref k)) if k.starts_with("err-ticket-transition")));
        let detail = d.app.ticket_detail(&op, ticket.id).await.expect("detail");
        assert_eq!(detail.ticket.state, TicketState::InProgress);
        assert_eq!(d.events(ticket.id).await, vec!["created", "acknowledge", "wait", "resume"]);
    }
}

#[tokio::test]
async fn sla_warning_and_escalation_happen_once_each_with_timeline_and_notifications() {
    for t in databases().await {
        let d = desk(&t, WEDNESDAY_10H).await;
        let m = d.caller("jb.manager").await;
        let user = |n: &str| {
            let store = d.app.store.clone();
            let n = n.to_owned();
            async move { store.user_by_username(&n).await.expect("read").expect("user").id.to_string() }
        };
        d.app
            .set_support_line(
                &m,
                "l1",
                "运维保障组",
                &user("jb.op01").await,
                &[user("jb.op01").await, user("jb.op02").await],
            )
            .await
            .expect("l1");
        d.app
            .set_support_line(&m, "l2", "运维支持组", &user("jb.tech01").await, &[user("jb.tech01").await])
            .await
            .expect("l2");
        let ticket = d.open("jb.ent01", "fatal").await;
        // 12 of 15 minutes: 80 % of the response target.
        d.advance(Duration::minutes(12));
        let r = d.app.watch_sla().await.expect("watch");
        assert_eq!((r.warnings, r.breaches), (1, 0), "{:?}", t.engine);
        assert_eq!(d.app.watch_sla().await.expect("again").warnings, 0, "a warning is raised once");
        // Past 100 %: one breach, one line up, the manager told.
        d.advance(Duration::minutes(4));
        let r = d.app.watch_sla().await.expect("watch");
        assert_eq!((r.warnings, r.breaches), (0, 1));
        assert_eq!(
            d.app.watch_sla().await.expect("again"),
            parkops_app::desk::WatchReport::default(),
            "a breach is raised once"
        );
        let now = d.app.store.ticket(ticket.id).await.expect("read").expect("ticket");
        assert_eq!(now.line, SupportLine::L2);
        let events = d.events(ticket.id).await;
        assert_eq!(events, vec!["created", "sla_warning", "sla_breach", "escalated"]);
        let manager = d.app.my_notifications(&m).await.expect("inbox");
        assert_eq!(manager.iter().filter(|n| n.event == "sla_breach" && n.ticket_id == Some(ticket.id)).count(), 1);
        // The navigation's badge counts the unread ones, at most up to its cap, and none once read.
        let me = m.principal.as_ref().expect("principal").user_id;
        let unread = i64::try_from(manager.iter().filter(|n| n.read_at.is_none()).count()).expect("count");
        assert!(unread >= 1);
        assert_eq!(d.app.store.unread_notifications(me, 1000).await.expect("count"), unread, "{:?}", t.engine);
        assert_eq!(d.app.store.unread_notifications(me, 1).await.expect("count"), 1);
        d.app.read_notifications(&m).await.expect("read");
        assert_eq!(d.app.store.unread_notifications(me, 1000).await.expect("count"), 0);
        let lead = d.app.my_notifications(&d.caller("jb.op01").await).await.expect("inbox");
        assert!(lead.iter().any(|n| n.event == "sla_warning" && n.ticket_id == Some(ticket.id)));
        let tech = d.app.my_notifications(&d.caller("jb.tech01").await).await.expect("inbox");
        assert!(tech.iter().any(|n| n.event == "ticket_escalated"));
        // Each step is in the record chain.
        let actions: Vec<_> =
            d.app.store.audit_after(0, 100_000).await.expect("audit").into_iter().map(|r| r.entry.action).collect();
        assert_eq!(actions.iter().filter(|a| *a == "ticket.sla_warning").count(), 1);
        assert_eq!(actions.iter().filter(|a| *a == "ticket.sla_breach").count(), 1);
    }
}

#[tokio::test]
async fn a_reporter_follows_only_their_own_tickets() {
    for t in databases().await {
        let d = desk(&t, WEDNESDAY_10H).await;
        let mine = d.open("jb.ent01", "severe").await;
        let other = d.caller("jb.ent05").await;
        assert!(matches!(d.app.ticket_detail(&other, mine.id).await, Err(AppError::NotFound)), "{:?}", t.engine);
        let list = d
            .app
            .ticket_queue(&other, TicketFilter::default(), PageRequest::clamped(None, Some(200)))
            .await
            .expect("queue");
        assert!(list.items.iter().all(|x| x.reporter_user_id == other.principal.as_ref().map(|p| p.user_id)));
        assert!(!list.items.iter().any(|x| x.id == mine.id));
        // By number: the reporter and anyone with the reporter's phone; nobody else.
        let me = d.caller("jb.ent01").await;
        assert_eq!(d.app.lookup_ticket(&me, &mine.number, "").await.expect("own").number, mine.number);
        let anon = Caller::anonymous("10.0.0.1", "r");
        assert!(matches!(d.app.lookup_ticket(&anon, &mine.number, "0000").await, Err(AppError::NotFound)));
        let tail: String = mine.reporter_phone.chars().rev().take(4).collect::<String>().chars().rev().collect();
        let seen = d.app.lookup_ticket(&anon, &mine.number, &tail).await.expect("by phone");
        assert_eq!(seen.state, "new");
        // The reporter cannot work the ticket.
        assert!(matches!(d.app.ticket_action(&me, mine.id, "resolve", "", "").await, Err(AppError::Forbidden { .. })));
    }
}

#[tokio::test]
async fn the_reporter_confirms_and_rates_and_the_timeline_is_append_only() {
    for t in databases().await {
        let d = desk(&t, WEDNESDAY_10H).await;
        let ticket = d.open("jb.ent07", "minor").await;
        let op = d.caller("jb.op03").await;
        let me = d.caller("jb.ent07").await;
        d.app.ticket_action(&op, ticket.id, "start", "", "").await.expect("start");
        d.app.comment_ticket(&op, ticket.id, "handover", "交班：已远程重启网关").await.expect("handover");
        d.app.ticket_action(&op, ticket.id, "resolve", "", "已恢复").await.expect("resolve");
        assert!(
            matches!(d.app.rate_ticket(&me, ticket.id, 5, "").await, Err(AppError::Conflict(_))),
            "only once closed"
        );
        d.app.ticket_action(&me, ticket.id, "confirm", "", "").await.expect("confirm");
        let rated = d.app.rate_ticket(&me, ticket.id, 4, "响应及时").await.expect("rate");
        assert_eq!(rated.rating, Some(4));
        assert!(matches!(d.app.rate_ticket(&me, ticket.id, 5, "").await, Err(AppError::Conflict(_))), "once");
        assert!(matches!(
            d.app.rate_ticket(&me, ticket.id, 9, "").await,
            Err(AppError::Invalid(_)) | Err(AppError::Conflict(_))
        ));
        let sql = format!("UPDATE ticket_event SET note = 'x' WHERE ticket_id = '{}'", ticket.id);
        assert!(sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(d.db.pool()).await.is_err(), "{:?}", t.engine);
        // Supervisors read everything (R-5.1) but cannot work tickets.
        let sup = d.caller("jb.sup01").await;
        assert!(d.app.ticket_detail(&sup, ticket.id).await.is_ok());
        assert!(matches!(
            d.app.ticket_action(&sup, ticket.id, "reopen", "", "复发").await,
            Err(AppError::Forbidden { .. })
        ));
        let managers = d
            .app
            .store
            .users(
                &UserFilter { post: Some(parkops_domain::access::Post::Manager), ..UserFilter::default() },
                PageRequest::clamped(None, None),
            )
            .await
            .expect("users");
        assert_eq!(managers.total, 1);
    }
}

#[tokio::test]
async fn the_calendar_is_versioned_data_and_bad_dates_are_refused() {
    for t in databases().await {
        let d = desk(&t, WEDNESDAY_10H).await;
        let m = d.caller("jb.manager").await;
        let bad = d.app.update_calendar(&m, 2027, "2027-01-01, 2027-02-30", "").await;
        assert!(matches!(bad, Err(AppError::Invalid(ref f)) if f[0].key == "err-calendar-date"));
        let bad = d.app.update_calendar(&m, 2027, "2027-10-01", "2027-10-01").await;
        assert!(matches!(bad, Err(AppError::Invalid(ref f)) if f[0].key == "err-calendar-both"));
        d.app.update_calendar(&m, 2027, "2027-01-01\n2027-02-06 2027-02-07", "2027-01-31").await.expect("store 2027");
        let years = d.app.calendar_view(&m).await.expect("view");
        assert!(years.iter().any(|(y, s, v)| *y == 2027 && *v >= 1 && s.makeup_days.len() == 1), "{:?}", t.engine);
        let cfg = d.app.desk_config().await.expect("config");
        assert!(
            cfg.calendar.is_working_day(chrono::NaiveDate::from_ymd_opt(2027, 1, 31).expect("date")),
            "a make-up Sunday works"
        );
    }
}

#[tokio::test]
async fn a_suppliers_manager_cannot_run_the_parks_desk() {
    for t in databases().await {
        let d = desk(&t, WEDNESDAY_10H).await;
        // A manager post inside a product vendor: management scope over that vendor only.
        let vendor = d.app.store.user_by_username("jb.vendor01").await.expect("read").expect("user");
        let sys = d.caller("jb.sysadmin").await;
        let input = parkops_app::user::NewUser {
            org_id: vendor.org_id.to_string(),
            username: "jb.vendor.mgr".into(),
            display_name: "厂家经理".into(),
            posts: vec!["manager".into()],
            password: "Vendor#Mgr2026".into(),
            ..parkops_app::user::NewUser::default()
        };
        d.app.create_user(&sys, input).await.expect("create");
        let mgr = d.caller("jb.vendor.mgr").await;
        let (policy, _) = d.app.sla_policy_view(&mgr).await.expect("may read");
        assert!(
            matches!(d.app.update_sla_policy(&mgr, &policy).await, Err(AppError::Forbidden { .. })),
            "{:?}",
            t.engine
        );
        assert!(matches!(d.app.update_calendar(&mgr, 2027, "2027-01-01", "").await, Err(AppError::Forbidden { .. })));
        assert!(matches!(d.app.set_support_line(&mgr, "l1", "x", "", &[]).await, Err(AppError::Forbidden { .. })));
        assert!(matches!(d.app.channels(&mgr).await, Err(AppError::Forbidden { .. })));
        // The park's own desk manager still can.
        let m = d.caller("jb.manager").await;
        assert!(d.app.update_sla_policy(&m, &policy).await.is_ok());
    }
}

#[tokio::test]
async fn reporters_do_not_see_the_desks_internal_entries() {
    for t in databases().await {
        let d = desk(&t, WEDNESDAY_10H).await;
        let ticket = d.open("jb.ent09", "general").await;
        let op = d.caller("jb.op01").await;
        d.app.comment_ticket(&op, ticket.id, "handover", "内部交接：疑似厂家固件问题").await.expect("handover");
        d.app.comment_ticket(&op, ticket.id, "comment", "已安排技术员到场").await.expect("comment");
        let me = d.caller("jb.ent09").await;
        let kinds: Vec<_> =
            d.app.ticket_detail(&me, ticket.id).await.expect("own").events.into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec!["created", "comment"], "{:?}", t.engine);
        let staff: Vec<_> =
            d.app.ticket_detail(&op, ticket.id).await.expect("desk").events.into_iter().map(|e| e.kind).collect();
        assert_eq!(staff, vec!["created", "handover", "comment"]);
    }
}

#[tokio::test]
async fn tickets_are_numbered_per_park_and_day_from_a_counter() {
    for t in databases().await {
        let d = desk(&t, WEDNESDAY_10H).await;
        let park = d.app.store.parks().await.expect("parks")[0].id;
        let day_start = Timestamp::from_millis(WEDNESDAY_10H - Duration::hours(10).num_milliseconds());
        let before = d
            .app
            .store
            .tickets(
                &TicketFilter { park_id: Some(park), from: Some(day_start), ..TicketFilter::default() },
                PageRequest::clamped(Some(1), Some(20)),
            )
            .await
            .expect("today's tickets")
            .total;
        // The day's first counter value continues after the tickets already stored (the demo's).
        let first = d.open("jb.ent01", "general").await;
        let second = d.open("jb.ent02", "minor").await;
        assert_eq!(first.number, format!("JB20261125{:04}", before + 1), "{:?}", t.engine);
        assert_eq!(second.number, format!("JB20261125{:04}", before + 2));
        // A new China-time day starts again at 1.
        d.advance(Duration::days(1));
        assert_eq!(d.open("jb.ent01", "general").await.number, "JB202611260001");
        // The timeline of a new ticket starts at entry 1.
        let events = d.app.store.ticket_events(second.id).await.expect("events");
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1]);
    }
}

#[tokio::test]
async fn an_unknown_asset_code_is_refused_and_nothing_is_stored() {
    for t in databases().await {
        let d = desk(&t, WEDNESDAY_10H).await;
        let c = d.caller("jb.op01").await;
        let before = ticket_total(&d).await;
        let input = NewTicket {
            kind: "fault_report".into(),
            level: "general".into(),
            domain: "closed_area".into(),
            title: "摄像机黑屏".into(),
            asset_code: "JB-NO-SUCH-CI".into(),
            ..NewTicket::default()
        };
        match d.app.open_ticket(&c, input).await {
            Err(AppError::Invalid(errors)) => {
                assert!(errors.iter().any(|e| e.field == "asset_code"), "{errors:?} {:?}", t.engine);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(ticket_total(&d).await, before);
    }
}

async fn ticket_total(d: &Desk) -> i64 {
    d.app.store.tickets(&TicketFilter::default(), PageRequest::clamped(Some(1), Some(20))).await.expect("count").total
}
