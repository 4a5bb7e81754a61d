//! The demo park's inspection history (`shared/domain.md` §4.3), on SQLite and PostgreSQL:
//! after `load_demo` and `load_demo_history` the park has its plans, past results entered item by item, an
//! out-of-range item whose ticket is linked to its CI, a correction naming its original and
//! why, tasks left overdue and escalated, and an audit chain that verifies; loading again
//! changes nothing.

use std::time::Instant;

use parkops_app::Caller;
use parkops_app::clock::ManualClock;
use parkops_app::ports::PageRequest;
use parkops_app::ports::desk::TicketFilter;
use parkops_app::ports::schedule::{Lateness, ResultRecord, TaskFilter};
use parkops_domain::schedule::{PlanKind, TaskState, Verdict};
use parkops_domain::time::Timestamp;
use parkops_testkit::databases;

use crate::{demo_app, verify};

#[tokio::test]
async fn the_demo_has_ninety_days_of_inspection_history() {
    for t in databases().await {
        let started = Instant::now();
        let (_db, app) = demo_app(&t).await;
        app.load_demo_history(&Caller::command_line()).await.expect("demo history");
        eprintln!("{:?}: demo with its inspection history in {:?}", t.engine, started.elapsed());
        let park = app.store.parks().await.expect("parks")[0].id;
        let plans = app.store.plans(park).await.expect("plans");
        assert_eq!(plans.len(), 5, "{:?}", t.engine);
        let page = PageRequest { page: 1, per_page: 2000 };
        let mut results: Vec<ResultRecord> = Vec::new();
        for plan in &plans {
            let filter = TaskFilter { plan_id: Some(plan.id), ..TaskFilter::default() };
            let tasks = app.store.tasks(&filter, page).await.expect("tasks").items;
            if plan.kind == PlanKind::Calibration {
                assert!(tasks.is_empty(), "the yearly verification starts today: {}", tasks.len());
                assert!(!plan.paused);
                continue;
            }
            let done = tasks.iter().filter(|x| x.state == TaskState::Done).count();
            assert!(done * 10 >= tasks.len() * 9, "{}: {done} of {} done", plan.name, tasks.len());
            assert!(plan.assignee_user_id.is_some(), "{} has its technician", plan.name);
            for task in tasks.iter().filter(|x| x.state == TaskState::Done) {
                assert!(task.closed_at.is_some_and(|at| at <= app.clock.now()), "recorded in the past");
                results.extend(app.store.results(task.id).await.expect("results"));
            }
        }
        let originals = results.iter().filter(|r| r.version == 1).count();
        assert!(originals > 100, "{originals} results");
        assert!(results.iter().all(|r| !r.items.is_empty() && r.items.iter().all(|i| !i.value.is_empty())));
        let items: usize = results.iter().map(|r| r.items.len()).sum();
        let failed: usize = results.iter().flat_map(|r| &r.items).filter(|i| i.verdict == Verdict::Fail).count();
        assert!(failed * 100 >= items && failed * 100 <= items * 5, "{failed} of {items} items out of range");

        // Every failed original opened its ticket, linked to the CI.
        for r in results.iter().filter(|r| r.version == 1 && !r.passed) {
            let ticket = app.store.ticket(r.ticket_id.expect("a ticket")).await.expect("read").expect("ticket");
            assert_eq!(ticket.asset_id, Some(r.asset_id), "{:?}", t.engine);
        }
        assert!(results.iter().any(|r| !r.passed), "at least one out-of-range result");

        // One correction, naming its original and why; the original stays.
        let corrections: Vec<&ResultRecord> = results.iter().filter(|r| r.version > 1).collect();
        assert_eq!(corrections.len(), 1);
        let c = corrections[0];
        let original = results.iter().find(|r| Some(r.id) == c.corrects).expect("the original is kept");
        assert_eq!((original.version, original.task_id), (1, c.task_id));
        assert!(c.reason.contains("抄录错误"), "{}", c.reason);
        assert_ne!(original.items, c.items);

        // A handful left undone: overdue and escalated.
        let late = TaskFilter { park_id: Some(park), lateness: Some(Lateness::Escalated), ..TaskFilter::default() };
        let escalated = app.store.tasks(&late, page).await.expect("late").items;
        assert!((1..=20).contains(&escalated.len()), "{} escalated", escalated.len());
        assert!(escalated.iter().all(|x| x.overdue_at.is_some() && x.state == TaskState::Open));
        // Nothing else is left open to turn late by itself.
        let open = TaskFilter { park_id: Some(park), states: vec![TaskState::Open], ..TaskFilter::default() };
        assert_eq!(app.store.tasks(&open, page).await.expect("open").total, i64::try_from(escalated.len()).expect("n"));

        assert_eq!(verify(&app).await, Ok(()), "{:?}", t.engine);

        // Loading again changes nothing.
        let any = TicketFilter { park_id: Some(park), ..TicketFilter::default() };
        let tickets = app.store.tickets_all(&any, 10_000).await.expect("tickets").len();
        let all = TaskFilter { park_id: Some(park), ..TaskFilter::default() };
        let tasks = app.store.tasks(&all, page).await.expect("tasks").total;
        assert!(!app.load_demo(&Caller::command_line()).await.expect("again"));
        app.load_demo_history(&Caller::command_line()).await.expect("history again");
        assert_eq!(app.store.tasks(&all, page).await.expect("tasks").total, tasks);
        assert_eq!(app.store.tickets_all(&any, 10_000).await.expect("tickets").len(), tickets);
        assert_eq!(verify(&app).await, Ok(()));
    }
}

/// The history is drawn from the day it is loaded on. On 2026-12-04 the machine room's first
/// monthly result happened to record the humidity that the demo's correction wrote, and the
/// correction was refused as changing nothing, which failed `parkops demo` and `serve --demo`.
#[tokio::test]
async fn the_demo_history_loads_on_the_day_its_correction_once_changed_nothing() {
    for t in databases().await {
        let db = crate::open(&t).await;
        let mut app = crate::app(&db);
        // 2026-12-04 21:37 UTC.
        app.clock = std::sync::Arc::new(ManualClock::new(Timestamp::from_millis(1_796_420_220_000)));
        assert!(app.load_demo(&Caller::command_line()).await.expect("demo"));
        app.load_demo_history(&Caller::command_line()).await.expect("demo history");
        let park = app.store.parks().await.expect("parks")[0].id;
        let mut corrections = Vec::new();
        for plan in app.store.plans(park).await.expect("plans") {
            let filter = TaskFilter { plan_id: Some(plan.id), ..TaskFilter::default() };
            for task in app.store.tasks(&filter, PageRequest { page: 1, per_page: 2000 }).await.expect("tasks").items {
                corrections
                    .extend(app.store.results(task.id).await.expect("results").into_iter().filter(|r| r.version > 1));
            }
        }
        assert_eq!(corrections.len(), 1, "{:?}", t.engine);
        assert!(corrections[0].reason.contains("以温湿度传感器记录"), "{}", corrections[0].reason);
    }
}
