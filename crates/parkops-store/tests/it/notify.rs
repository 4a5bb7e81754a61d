//! Notification delivery on both engines, through a recording `Notifier`: subscription rules,
//! the platform's rate limit under a burst, digests, retries and the delivery log.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Duration;
use parkops_app::clock::ManualClock;
use parkops_app::desk::NewTicket;
use parkops_app::notify::{ChannelInput, Notifier, SendFailure};
use parkops_app::ports::notify::ChannelRecord;
use parkops_app::{App, Caller};
use parkops_domain::audit::SigningKey;
use parkops_domain::notify::Message;
use parkops_domain::time::Timestamp;
use parkops_store::{DatabaseUrl, Db};
use parkops_testkit::{TestDatabase, databases};

/// Records what was sent; answers with a scripted failure for the first `fail` sends.
#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<(Timestamp, Message)>>,
    fail: Mutex<u32>,
}

#[async_trait]
impl Notifier for Recorder {
    async fn send(&self, _: &ChannelRecord, message: &Message, now: Timestamp) -> Result<(), SendFailure> {
        let mut fail = self.fail.lock().expect("lock");
        if *fail > 0 {
            *fail -= 1;
            return Err(SendFailure::Retryable("130101 send too fast".into()));
        }
        self.sent.lock().expect("lock").push((now, message.clone()));
        Ok(())
    }
}

async fn setup(t: &TestDatabase) -> (App, Arc<ManualClock>) {
    let url = DatabaseUrl::resolve(Some(&t.url), std::path::Path::new(".")).expect("url");
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_795_572_000_000)));
    let app = App {
        store: Arc::new(db),
        clock: clock.clone(),
        audit_key: Arc::new(SigningKey::from_seed([2; 32])),
        audit_origin: "test".into(),
        checkpoint_every: 100_000,
    };
    app.load_demo(&Caller::command_line()).await.expect("demo");
    (app, clock)
}

async fn caller(app: &App, username: &str) -> Caller {
    let user = app.store.user_by_username(username).await.expect("read").expect("user");
    Caller {
        principal: Some(app.principal_of(&user).await.expect("principal")),
        ip: "127.0.0.1".into(),
        request_id: "t".into(),
    }
}

fn robot(levels: &[&str]) -> ChannelInput {
    ChannelInput {
        kind: "dingtalk".into(),
        name: "值班钉钉群".into(),
        endpoint: "https://oapi.dingtalk.example/robot/send?access_token=T".into(),
        secret: "SECabc".into(),
        enabled: true,
        levels: levels.iter().map(|s| (*s).to_owned()).collect(),
        events: vec!["ticket_opened".into()],
        ..ChannelInput::default()
    }
}

async fn open(app: &App, who: &Caller, level: &str, n: usize) {
    let input = NewTicket {
        kind: "fault_report".into(),
        level: level.into(),
        domain: "safety_production".into(),
        title: format!("告警风暴 第{n}条"),
        ..NewTicket::default()
    };
    app.open_ticket(who, input).await.expect("open");
}

#[tokio::test]
async fn a_burst_of_100_never_exceeds_the_robots_limit_and_arrives_as_digests() {
    for t in databases().await {
        let (app, clock) = setup(&t).await;
        let m = caller(&app, "jb.manager").await;
        let channel = app.save_channel(&m, None, robot(&["fatal", "severe"])).await.expect("channel");
        assert!(!format!("{channel:?}").contains("access_token"), "the token stays out of logs");
        let op = caller(&app, "jb.op01").await;
        // 100 severe tickets within 50 seconds (an alarm storm), and general ones the rule ignores.
        for n in 0..100 {
            open(&app, &op, "severe", n).await;
            if n % 10 == 0 {
                open(&app, &op, "general", n).await;
            }
            clock.advance(Duration::milliseconds(500));
        }
        let recorder = Recorder::default();
        // The delivery job runs every 5 seconds for five minutes.
        for _ in 0..60 {
            app.deliver_notifications(&recorder).await.expect("deliver");
            clock.advance(Duration::seconds(5));
        }
        let sent = recorder.sent.lock().expect("lock").clone();
        assert!(!sent.is_empty(), "{:?}", t.engine);
        for (i, (at, _)) in sent.iter().enumerate() {
            let window = sent[i..].iter().take_while(|(b, _)| b.since(*at) < Duration::minutes(1)).count();
            assert!(window <= 20, "more than 20 in a minute from {} on {:?}", at.display_cst(), t.engine);
        }
        let log = app.delivery_log(&m).await.expect("log");
        let covered: i64 = log.iter().map(|(d, _)| d.covers).sum();
        assert_eq!(covered, 100, "every severe alarm is delivered exactly once; general ones are not subscribed");
        assert!(log.iter().any(|(d, _)| d.covers > 1), "what the throttle held back came as a digest");
        assert!(sent.iter().any(|(_, m)| m.title.contains("条通知汇总")));
    }
}

#[tokio::test]
async fn a_throttled_send_is_retried_with_backoff_and_logged() {
    for t in databases().await {
        let (app, clock) = setup(&t).await;
        let m = caller(&app, "jb.manager").await;
        app.save_channel(&m, None, robot(&[])).await.expect("channel");
        let op = caller(&app, "jb.op02").await;
        open(&app, &op, "fatal", 1).await;
        let recorder = Recorder { fail: Mutex::new(1), ..Recorder::default() };
        let first = app.deliver_notifications(&recorder).await.expect("deliver");
        assert_eq!((first.sent, first.retrying), (0, 1), "{:?}", t.engine);
        // Too early for the retry (30 s backoff): nothing happens.
        clock.advance(Duration::seconds(10));
        assert_eq!(app.deliver_notifications(&recorder).await.expect("deliver").sent, 0);
        clock.advance(Duration::seconds(25));
        assert_eq!(app.deliver_notifications(&recorder).await.expect("deliver").sent, 1);
        let log = app.delivery_log(&m).await.expect("log");
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].0.status.as_str(), log[0].0.attempts), ("sent", 2));
        let actions: Vec<_> =
            app.store.audit_after(0, 100_000).await.expect("audit").into_iter().map(|r| r.entry.action).collect();
        assert_eq!(actions.iter().filter(|a| *a == "notification.deliver").count(), 2, "each attempt is on record");
    }
}

#[tokio::test]
async fn channels_are_validated_and_scoped_to_the_desk_manager() {
    for t in databases().await {
        let (app, _clock) = setup(&t).await;
        let m = caller(&app, "jb.manager").await;
        let bad = ChannelInput { endpoint: "file:///etc/passwd".into(), ..robot(&[]) };
        assert!(matches!(app.save_channel(&m, None, bad).await, Err(parkops_app::AppError::Invalid(_))));
        let op = caller(&app, "jb.op01").await;
        assert!(
            matches!(app.save_channel(&op, None, robot(&[])).await, Err(parkops_app::AppError::Forbidden { .. })),
            "{:?}",
            t.engine
        );
        assert!(app.channels(&m).await.expect("list").is_empty(), "nothing was stored");
    }
}
