//! The jobs, run directly against a real database (the scheduler's timing is the jobs
//! crate's own test).

use std::sync::Arc;

use parkops_app::audit::verify_store;
use parkops_app::clock::ManualClock;
use parkops_app::{App, Caller};
use parkops_domain::audit::SigningKey;
use parkops_domain::time::Timestamp;
use parkops_jobs::{Job, JobOutcome};
use parkops_store::{DatabaseUrl, Db};

#[tokio::test]
async fn jobs_sign_a_due_checkpoint_once_and_maintain_storage() {
    for t in parkops_testkit::databases().await {
        let url = DatabaseUrl::resolve(Some(&t.url), std::path::Path::new(".")).expect("url");
        let db = Db::connect(&url).await.expect("connect");
        db.migrate().await.expect("migrate");
        let app = App {
            store: Arc::new(db.clone()),
            clock: Arc::new(ManualClock::new(Timestamp::from_millis(1_767_225_600_000))),
            audit_key: Arc::new(SigningKey::from_seed([5; 32])),
            audit_origin: "JB".into(),
            checkpoint_every: 10,
        };
        assert_eq!(
            Job::SignAuditCheckpoint.run(&app, &parkops_testkit::SilentNotifier).await.expect("empty chain"),
            JobOutcome::NoCheckpointDue
        );
        assert!(app.load_demo(&Caller::command_line()).await.expect("demo"));
        let (head, _) = app.store.audit_head().await.expect("head");
        let signed = Job::SignAuditCheckpoint.run(&app, &parkops_testkit::SilentNotifier).await.expect("sign");
        assert_eq!(signed, JobOutcome::CheckpointSigned { seq: head + 1 }, "{:?}", t.engine);
        assert_eq!(
            Job::SignAuditCheckpoint.run(&app, &parkops_testkit::SilentNotifier).await.expect("again"),
            JobOutcome::NoCheckpointDue
        );
        assert_eq!(
            Job::MaintainStorage.run(&app, &parkops_testkit::SilentNotifier).await.expect("maintain"),
            JobOutcome::StorageMaintained { sessions_removed: 0 }
        );
        let report = verify_store(app.store.as_ref(), &app.audit_key.verifying_key(), "JB", &[]).await.expect("read");
        assert_eq!(report.result, Ok(()), "{:?}", t.engine);
        assert_eq!(report.checkpoints, 1);
    }
}
