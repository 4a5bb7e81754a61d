//! The desk's jobs against a real database with the demo park loaded, on SQLite and (when
//! configured, always in CI) PostgreSQL, with a controlled clock: the demo desk itself, the
//! SLA watcher and the automatic close.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Duration;
use parkops_app::clock::ManualClock;
use parkops_app::demo_desk::{LEVEL_COUNTS, SCENARIO_TITLES};
use parkops_app::desk::NewTicket;
use parkops_app::ports::desk::{TicketFilter, TicketId, TicketRecord};
use parkops_app::{App, Caller};
use parkops_domain::audit::SigningKey;
use parkops_domain::ticket::{ClosedBy, Level, SupportLine, TicketKind, TicketState};
use parkops_domain::time::Timestamp;
use parkops_jobs::{Job, JobOutcome};
use parkops_store::{DatabaseUrl, Db};
use parkops_testkit::{TestDatabase, databases};

/// 2026-11-25 (a Wednesday) 10:00 China Standard Time.
const WEDNESDAY_10H: i64 = 1_795_572_000_000;

struct Park {
    app: App,
    clock: Arc<ManualClock>,
    /// How long `load_demo` took.
    load: std::time::Duration,
}

async fn park(t: &TestDatabase, start: i64) -> Park {
    let url = DatabaseUrl::resolve(Some(&t.url), std::path::Path::new(".")).expect("url");
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(start)));
    let app = App {
        store: Arc::new(db),
        clock: clock.clone(),
        audit_key: Arc::new(SigningKey::from_seed([11; 32])),
        audit_origin: "JB".into(),
        checkpoint_every: 100_000,
    };
    let started = std::time::Instant::now();
    assert!(app.load_demo(&Caller::command_line()).await.expect("demo"));
    let load = started.elapsed();
    eprintln!("demo load on {:?}: {load:?}", t.engine);
    Park { app, clock, load }
}

impl Park {
    async fn caller(&self, username: &str) -> Caller {
        let user = self.app.store.user_by_username(username).await.expect("read").expect("user");
        let p = self.app.principal_of(&user).await.expect("principal");
        Caller { principal: Some(p), ip: "127.0.0.1".into(), request_id: format!("test-{username}") }
    }

    async fn tickets(&self) -> Vec<TicketRecord> {
        self.app.store.tickets_all(&TicketFilter::default(), 100_000).await.expect("tickets")
    }

    async fn ticket(&self, id: TicketId) -> TicketRecord {
        self.app.store.ticket(id).await.expect("read").expect("ticket")
    }

    async fn events(&self, id: TicketId) -> Vec<String> {
        self.app.store.ticket_events(id).await.expect("events").into_iter().map(|e| e.kind).collect()
    }

    async fn open(&self, who: &str, level: &str) -> TicketRecord {
        let input = NewTicket {
            kind: "fault_report".into(),
            level: level.into(),
            domain: "safety_production".into(),
            title: format!("{level} 报警推送中断"),
            description: "规则引擎无输出".into(),
            location: "园区数据中心".into(),
            affected: "规则引擎".into(),
            ..NewTicket::default()
        };
        self.app.open_ticket(&self.caller(who).await, input).await.expect("open")
    }

    async fn run(&self, job: Job) -> JobOutcome {
        job.run(&self.app, &parkops_testkit::SilentNotifier).await.expect("job")
    }

    /// Notifications of `event` about `ticket` in a user's inbox.
    async fn notified(&self, username: &str, event: &str, ticket: TicketId) -> usize {
        let c = self.caller(username).await;
        let inbox = self.app.my_notifications(&c).await.expect("inbox");
        inbox.iter().filter(|n| n.event == event && n.ticket_id == Some(ticket)).count()
    }
}

fn watched(warnings: u32, breaches: u32) -> JobOutcome {
    JobOutcome::SlaWatched { warnings, breaches }
}

#[tokio::test]
async fn the_demo_desk_has_its_history_lines_and_a_verifiable_chain() {
    for t in databases().await {
        let p = park(&t, WEDNESDAY_10H).await;
        let e = t.engine;
        assert!(p.load < std::time::Duration::from_secs(20), "demo load took {:?} on {e:?}", p.load);
        let tickets = p.tickets().await;
        for (level, n) in LEVEL_COUNTS {
            assert_eq!(tickets.iter().filter(|x| x.level == level).count(), n, "{level:?} on {e:?}");
        }
        let incidents = tickets.iter().filter(|x| x.level != Level::Suggestion).count();
        assert_eq!(incidents, 120);
        assert!(tickets.iter().filter(|x| x.kind == TicketKind::Suggestion).count() >= 4);
        for title in SCENARIO_TITLES {
            assert_eq!(tickets.iter().filter(|x| x.title == title).count(), 1, "{title}");
        }
        // Numbers: JB + CST creation day + sequence, unique.
        let numbers: BTreeSet<_> = tickets.iter().map(|x| x.number.clone()).collect();
        assert_eq!(numbers.len(), tickets.len());
        for x in &tickets {
            let day = x.created_at.to_cst().format("%Y%m%d").to_string();
            assert!(x.number.starts_with(&format!("JB{day}")) && x.number.len() == 14, "{}", x.number);
        }
        // 90 days of history ending now, a live queue, most closed, some rated and breached.
        let now = p.app.clock.now();
        assert!(tickets.iter().all(|x| x.created_at <= now && x.created_at >= now.plus(Duration::days(-91))));
        let state =
            |code: &str| tickets.iter().filter(|x| parkops_domain::ticket::state_code(&x.state) == code).count();
        assert!(state("new") >= 1 && state("acknowledged") >= 1 && state("in_progress") >= 1 && state("waiting") >= 2);
        assert!(state("resolved") >= 2 && state("closed") > 100, "{e:?}");
        assert!(tickets.iter().filter(|x| x.rating.is_some()).count() > 20);
        assert!(tickets.iter().any(|x| x.sla_flags[3]), "some breached");
        // Scenario 7 breached and escalated on its timeline.
        let seven = tickets.iter().find(|x| x.title == SCENARIO_TITLES[6]).expect("scenario 7");
        let events = p.events(seven.id).await;
        assert!(events.iter().filter(|k| *k == "sla_breach").count() == 2, "{events:?}");
        assert!(events.iter().filter(|k| *k == "escalated").count() >= 2);
        assert_eq!(seven.line, SupportLine::L3);
        // The lines, the policy and the calendar, version 1 each.
        let m = p.caller("jb.manager").await;
        let lines = p.app.support_lines(&m).await.expect("lines");
        let lead = |l: SupportLine| lines.iter().find(|x| x.line == l).expect("line");
        let username = |id| {
            let store = p.app.store.clone();
            async move { store.user(id).await.expect("read").expect("user").username }
        };
        assert_eq!(username(lead(SupportLine::L1).lead_user_id.expect("lead")).await, "jb.op01");
        assert_eq!(username(lead(SupportLine::L2).lead_user_id.expect("lead")).await, "jb.tech01");
        assert_eq!(username(lead(SupportLine::L3).lead_user_id.expect("lead")).await, "jb.tech08");
        let sizes: Vec<_> = lines.iter().map(|l| (l.line, l.members.len())).collect();
        assert_eq!(sizes, vec![(SupportLine::L1, 10), (SupportLine::L2, 8), (SupportLine::L3, 18)]);
        let (_, history) = p.app.sla_policy_view(&m).await.expect("policy");
        assert_eq!(history.iter().map(|h| h.0).collect::<Vec<_>>(), vec![1]);
        let years = p.app.calendar_view(&m).await.expect("calendar");
        assert!(years.iter().any(|(y, _, v)| *y == 2026 && *v == 1));
        // Every created object is in the record chain, and the chain verifies.
        let report =
            parkops_app::audit::verify_store(p.app.store.as_ref(), &p.app.audit_key.verifying_key(), "JB", &[])
                .await
                .expect("read chain");
        assert_eq!(report.result, Ok(()), "{e:?}");
        let actions: Vec<_> =
            p.app.store.audit_after(0, 100_000).await.expect("audit").into_iter().map(|r| r.entry.action).collect();
        assert_eq!(actions.iter().filter(|a| *a == "ticket.open").count(), tickets.len());
        assert_eq!(actions.iter().filter(|a| *a == "support_line.update").count(), 3);
        // Nothing is due right after the load.
        assert_eq!(p.run(Job::WatchSla).await, watched(0, 0), "{e:?}");
        assert_eq!(p.run(Job::AutoCloseTickets).await, JobOutcome::TicketsAutoClosed { closed: 0 });
        // Loading the desk again changes nothing.
        let park_id = p.app.store.parks().await.expect("parks")[0].id;
        p.app.load_demo_desk(&Caller::command_line(), park_id).await.expect("again");
        assert_eq!(p.tickets().await.len(), tickets.len());
        // A ticket opened now continues the day's numbering.
        let today = tickets.iter().filter(|x| x.number.starts_with("JB20261125")).count();
        let fresh = p.open("jb.ent01", "minor").await;
        assert_eq!(fresh.number, format!("JB20261125{:04}", today + 1));
    }
}

#[tokio::test]
async fn watch_sla_warns_then_breaches_once_each_and_escalates() {
    for t in databases().await {
        let p = park(&t, WEDNESDAY_10H).await;
        let e = t.engine;
        let ticket = p.open("jb.ent01", "fatal").await;
        // 81 % of the 15-minute response target.
        p.clock.advance(Duration::seconds(12 * 60 + 10));
        assert_eq!(p.run(Job::WatchSla).await, watched(1, 0), "{e:?}");
        assert_eq!(p.run(Job::WatchSla).await, watched(0, 0), "a warning is raised once");
        assert_eq!(p.events(ticket.id).await, vec!["created", "sla_warning"]);
        assert_eq!(p.notified("jb.op01", "sla_warning", ticket.id).await, 1, "the first line's lead");
        // Past 100 %: one breach, one line up, the managers told.
        p.clock.advance(Duration::minutes(4));
        assert_eq!(p.run(Job::WatchSla).await, watched(0, 1), "{e:?}");
        assert_eq!(p.run(Job::WatchSla).await, watched(0, 0), "a breach is raised once");
        let now = p.ticket(ticket.id).await;
        assert_eq!(now.line, SupportLine::L2);
        assert_eq!(now.sla_flags, [true, true, false, false]);
        assert_eq!(p.events(ticket.id).await, vec!["created", "sla_warning", "sla_breach", "escalated"]);
        assert_eq!(p.notified("jb.manager", "sla_breach", ticket.id).await, 1);
        assert_eq!(p.notified("jb.tech01", "ticket_escalated", ticket.id).await, 1, "the second line hears");
        let actions: Vec<_> =
            p.app.store.audit_after(0, 100_000).await.expect("audit").into_iter().map(|r| r.entry.action).collect();
        assert_eq!(actions.iter().filter(|a| *a == "ticket.sla_warning").count(), 1);
        assert_eq!(actions.iter().filter(|a| *a == "ticket.sla_breach").count(), 1);
    }
}

#[tokio::test]
async fn resolved_tickets_close_automatically_after_the_confirmation_period() {
    for t in databases().await {
        let p = park(&t, WEDNESDAY_10H).await;
        let e = t.engine;
        let demo_resolved: Vec<_> = p
            .tickets()
            .await
            .into_iter()
            .filter(|x| matches!(x.state, TicketState::Resolved { .. }))
            .map(|x| x.id)
            .collect();
        assert!(demo_resolved.len() >= 2, "{e:?}");
        let ticket = p.open("jb.ent02", "general").await;
        let op = p.caller("jb.op01").await;
        p.app.ticket_action(&op, ticket.id, "resolve", "", "已远程恢复").await.expect("resolve");
        assert_eq!(p.run(Job::AutoCloseTickets).await, JobOutcome::TicketsAutoClosed { closed: 0 });
        // Ten minutes short of 72 hours on: the demo's resolved tickets (resolved at least half
        // an hour before the load) are past the confirmation period, the new one is not.
        p.clock.advance(Duration::hours(72) - Duration::minutes(10));
        let closed = u32::try_from(demo_resolved.len()).expect("count");
        assert_eq!(p.run(Job::AutoCloseTickets).await, JobOutcome::TicketsAutoClosed { closed }, "{e:?}");
        assert!(matches!(p.ticket(ticket.id).await.state, TicketState::Resolved { .. }));
        for id in &demo_resolved {
            assert!(matches!(p.ticket(*id).await.state, TicketState::Closed { by: ClosedBy::Automatic, .. }));
        }
        p.clock.advance(Duration::minutes(11));
        assert_eq!(p.run(Job::AutoCloseTickets).await, JobOutcome::TicketsAutoClosed { closed: 1 });
        assert!(matches!(p.ticket(ticket.id).await.state, TicketState::Closed { by: ClosedBy::Automatic, .. }));
        let last = p.app.store.ticket_events(ticket.id).await.expect("events").pop().expect("event");
        assert_eq!((last.kind.as_str(), last.actor.as_str()), ("auto_close", "system"));
        assert_eq!(p.run(Job::AutoCloseTickets).await, JobOutcome::TicketsAutoClosed { closed: 0 });
    }
}

// Calibration register (R-9.1.1d).
#[tokio::test]
async fn the_calibration_reminder_tells_owners_once_per_due_date() {
    for t in databases().await {
        let p = park(&t, WEDNESDAY_10H).await;
        let park_id = p.app.store.parks().await.expect("parks")[0].id;
        p.app.load_demo_calibrations(&Caller::command_line(), park_id).await.expect("demo register");
        // The demo's overdue detectors (and the stations never calibrated) are reminded once.
        let JobOutcome::CalibrationsReminded { overdue, notifications, .. } = p.run(Job::RemindCalibrations).await
        else {
            panic!("the reminder job reports reminders");
        };
        assert!(overdue >= 20 && notifications > 0, "{:?}: {overdue} {notifications}", t.engine);
        let again = p.run(Job::RemindCalibrations).await;
        assert!(again.is_idle(), "nothing twice: {again:?}");
        // A month on, more fall due and are reminded, once.
        p.clock.advance(Duration::days(31));
        assert!(!p.run(Job::RemindCalibrations).await.is_idle());
        assert!(p.run(Job::RemindCalibrations).await.is_idle());
    }
}
