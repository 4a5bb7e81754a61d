//! ParkOps background jobs: a closed catalogue of jobs ([`Job`]) and the scheduler ([`run`])
//! that runs each at its configured interval ([`JobIntervals`]) until cancelled.
//!
//! The scheduler owns timing; a job owns its logic and does it through the app's use cases,
//! like a web handler would. A failing job is logged with its name and the scheduler carries
//! on. Jobs are idempotent, so running one twice (after a restart, say) does no harm.
//!
//! Never: write SQL, read the system clock (time comes from the app's clock), or run unless
//! this instance holds the singleton lock ([`SINGLETON_KEY`]) — the binary takes it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use parkops_app::notify::Notifier;
use parkops_app::{App, AppError};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// The advisory-lock key that elects the one instance running the jobs when several
/// `serve` instances share a PostgreSQL database (the bytes spell `parkops` and a 1).
pub const SINGLETON_KEY: i64 = 0x7061_726b_6f70_7301;

/// Every background job. Closed: adding one forces a decision on its interval and logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// Signs an audit checkpoint over the chain head once enough records have accrued
    /// (`App::checkpoint_every`), so a rewrite of the database is detectable (R-8.1.2d).
    SignAuditCheckpoint,
    /// Storage housekeeping: moves the SQLite WAL into the database file and removes stale
    /// sessions, off the request path.
    MaintainStorage,
    /// The desk's SLA watcher: warns at 80 % of a target, escalates one line and
    /// tells the managers at 100 %, once each per clock and ticket.
    WatchSla,
    /// Closes resolved tickets the reporter left unanswered for the configured time.
    AutoCloseTickets,
    /// Sends queued notifications through their channels within each platform's rate limit,
    /// as digests when throttled, retrying with backoff.
    DeliverNotifications,
    // Inspections, maintenance and calibration by plan (issue #4).
    /// Generates the due tasks of every active plan (idempotent: one task per plan, CI and
    /// due date), then marks late tasks overdue and escalates them, once each (R-9.1.1a).
    RunSchedules,
    // Calibration register (R-9.1.1d).
    /// Reminds the owners of CIs whose calibration falls due within 30 days or is overdue
    /// (or never happened), once per CI, reminder and due date (daily by default).
    RemindCalibrations,
}

/// What a job run did, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// A checkpoint was signed at this seq.
    CheckpointSigned {
        /// The chain length the checkpoint covers.
        seq: i64,
    },
    /// Too few records since the last checkpoint; nothing signed.
    NoCheckpointDue,
    /// Housekeeping done.
    StorageMaintained {
        /// Stale sessions removed.
        sessions_removed: u64,
    },
    /// The SLA clocks were looked at.
    SlaWatched {
        /// Warnings raised.
        warnings: u32,
        /// Breaches raised, each escalating its ticket one line.
        breaches: u32,
    },
    /// Resolved tickets past the confirmation period were closed.
    TicketsAutoClosed {
        /// How many.
        closed: u32,
    },
    /// Queued notifications were delivered.
    NotificationsDelivered {
        /// Deliveries sent (each a message or a digest).
        sent: u32,
        /// Of which digests.
        digests: u32,
        /// Attempts to retry later.
        retrying: u32,
        /// Deliveries given up.
        failed: u32,
    },
    /// Plans generated their due tasks and late tasks were watched.
    SchedulesRun {
        /// Tasks created.
        created: u64,
        /// Tasks marked overdue.
        overdue: u32,
        /// Tasks escalated.
        escalated: u32,
    },
    /// Owners of CIs falling due or overdue for calibration were reminded.
    CalibrationsReminded {
        /// CIs reported overdue (or never calibrated).
        overdue: u32,
        /// CIs reported due soon.
        due_soon: u32,
        /// Notifications written.
        notifications: u32,
    },
}

impl JobOutcome {
    /// Whether the run found nothing to do (logged at debug level, not info).
    #[must_use]
    pub const fn is_idle(&self) -> bool {
        matches!(
            self,
            Self::NoCheckpointDue
                | Self::SlaWatched { warnings: 0, breaches: 0 }
                | Self::TicketsAutoClosed { closed: 0 }
                | Self::NotificationsDelivered { sent: 0, digests: 0, retrying: 0, failed: 0 }
                | Self::SchedulesRun { created: 0, overdue: 0, escalated: 0 }
                | Self::CalibrationsReminded { overdue: 0, due_soon: 0, notifications: 0 }
        )
    }
}

/// How often each job runs. Parsed by the binary from its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobIntervals {
    /// Interval of [`Job::SignAuditCheckpoint`].
    pub sign_audit_checkpoint: Duration,
    /// Interval of [`Job::MaintainStorage`].
    pub maintain_storage: Duration,
    /// Interval of [`Job::WatchSla`].
    pub watch_sla: Duration,
    /// Interval of [`Job::AutoCloseTickets`].
    pub auto_close_tickets: Duration,
    /// Interval of [`Job::DeliverNotifications`].
    pub deliver_notifications: Duration,
    /// Interval of [`Job::RunSchedules`].
    pub run_schedules: Duration,
    /// Interval of [`Job::RemindCalibrations`].
    pub remind_calibrations: Duration,
}

/// One job and how often it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The job.
    pub job: Job,
    /// Time between the starts of two runs (a run that overruns delays the next).
    pub every: Duration,
}

impl Job {
    /// Every job.
    pub const ALL: [Self; 7] = [
        Self::SignAuditCheckpoint,
        Self::MaintainStorage,
        Self::WatchSla,
        Self::AutoCloseTickets,
        Self::DeliverNotifications,
        Self::RunSchedules,
        Self::RemindCalibrations,
    ];

    /// Stable name, used in logs.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::SignAuditCheckpoint => "sign_audit_checkpoint",
            Self::MaintainStorage => "maintain_storage",
            Self::WatchSla => "watch_sla",
            Self::AutoCloseTickets => "auto_close_tickets",
            Self::DeliverNotifications => "deliver_notifications",
            Self::RunSchedules => "run_schedules",
            Self::RemindCalibrations => "remind_calibrations",
        }
    }

    /// This job's interval in `intervals`.
    #[must_use]
    pub const fn interval(self, intervals: &JobIntervals) -> Duration {
        match self {
            Self::SignAuditCheckpoint => intervals.sign_audit_checkpoint,
            Self::MaintainStorage => intervals.maintain_storage,
            Self::WatchSla => intervals.watch_sla,
            Self::AutoCloseTickets => intervals.auto_close_tickets,
            Self::DeliverNotifications => intervals.deliver_notifications,
            Self::RunSchedules => intervals.run_schedules,
            Self::RemindCalibrations => intervals.remind_calibrations,
        }
    }

    /// Runs the job once.
    ///
    /// # Errors
    /// The use case's [`AppError`], typically [`AppError::Unavailable`] when storage fails.
    pub async fn run(self, app: &App, notifier: &dyn Notifier) -> Result<JobOutcome, AppError> {
        match self {
            Self::SignAuditCheckpoint => Ok(match app.checkpoint_if_due(false).await? {
                Some(cp) => JobOutcome::CheckpointSigned { seq: cp.seq },
                None => JobOutcome::NoCheckpointDue,
            }),
            Self::MaintainStorage => {
                Ok(JobOutcome::StorageMaintained { sessions_removed: app.maintain_storage().await? })
            }
            Self::WatchSla => {
                let r = app.watch_sla().await?;
                Ok(JobOutcome::SlaWatched { warnings: r.warnings, breaches: r.breaches })
            }
            Self::AutoCloseTickets => Ok(JobOutcome::TicketsAutoClosed { closed: app.auto_close_tickets().await? }),
            Self::DeliverNotifications => {
                let r = app.deliver_notifications(notifier).await?;
                Ok(JobOutcome::NotificationsDelivered {
                    sent: r.sent,
                    digests: r.digests,
                    retrying: r.retrying,
                    failed: r.failed,
                })
            }
            Self::RunSchedules => {
                let (generated, watched) = app.run_schedules().await?;
                Ok(JobOutcome::SchedulesRun {
                    created: generated.created,
                    overdue: watched.overdue,
                    escalated: watched.escalated,
                })
            }
            Self::RemindCalibrations => {
                let r = app.notify_calibration_due().await?;
                Ok(JobOutcome::CalibrationsReminded {
                    overdue: r.overdue,
                    due_soon: r.due_soon,
                    notifications: r.notifications,
                })
            }
        }
    }
}

impl fmt::Display for JobOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CheckpointSigned { seq } => write!(f, "checkpoint signed at seq {seq}"),
            Self::NoCheckpointDue => f.write_str("no checkpoint due"),
            Self::StorageMaintained { sessions_removed } => {
                write!(f, "storage maintained, {sessions_removed} stale sessions removed")
            }
            Self::SlaWatched { warnings, breaches } => {
                write!(f, "SLA clocks watched, {warnings} warnings and {breaches} breaches raised")
            }
            Self::TicketsAutoClosed { closed } => write!(f, "{closed} resolved tickets closed automatically"),
            Self::NotificationsDelivered { sent, digests, retrying, failed } => {
                write!(f, "notifications: {sent} sent ({digests} digests), {retrying} to retry, {failed} given up")
            }
            Self::SchedulesRun { created, overdue, escalated } => {
                write!(f, "schedules: {created} tasks generated, {overdue} marked overdue, {escalated} escalated")
            }
            Self::CalibrationsReminded { overdue, due_soon, notifications } => write!(
                f,
                "calibrations: owners of {overdue} overdue and {due_soon} due-soon CIs reminded ({notifications} notifications)"
            ),
        }
    }
}

impl JobIntervals {
    /// A schedule for every job in the catalogue.
    #[must_use]
    pub fn schedules(&self) -> Vec<Schedule> {
        Job::ALL.iter().map(|&job| Schedule { job, every: job.interval(self) }).collect()
    }
}

/// Runs `jobs` until `cancel` fires, each at its interval (the first run right away). A job
/// that fails, or even panics, is logged and runs again at its next tick. Returns once
/// every job loop has stopped; a run in progress at cancellation is allowed to finish.
pub async fn run(app: App, notifier: Arc<dyn Notifier>, jobs: Vec<Schedule>, cancel: CancellationToken) {
    let mut loops = tokio::task::JoinSet::new();
    for schedule in jobs {
        let span = tracing::info_span!("job", job = schedule.job.name());
        loops.spawn(job_loop(app.clone(), notifier.clone(), schedule, cancel.clone()).instrument(span));
    }
    while let Some(ended) = loops.join_next().await {
        if let Err(e) = ended {
            tracing::error!(error = %e, "a job loop ended abnormally");
        }
    }
    tracing::info!("scheduler stopped");
}

async fn job_loop(app: App, notifier: Arc<dyn Notifier>, schedule: Schedule, cancel: CancellationToken) {
    // A zero interval would spin; tokio refuses it outright.
    let mut ticks = tokio::time::interval(schedule.every.max(Duration::from_millis(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::debug!(every = ?schedule.every, "job scheduled");
    loop {
        tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            _ = ticks.tick() => {}
        }
        run_once(&app, &notifier, schedule.job).await;
    }
}

/// One run, in its own task so a panic cannot end the job's loop.
async fn run_once(app: &App, notifier: &Arc<dyn Notifier>, job: Job) {
    let started = tokio::time::Instant::now();
    let task_app = app.clone();
    let task_notifier = notifier.clone();
    let result = tokio::spawn(async move { job.run(&task_app, task_notifier.as_ref()).await }).await;
    let elapsed = started.elapsed();
    match result {
        Ok(Ok(outcome)) if outcome.is_idle() => tracing::debug!(?elapsed, "{outcome}"),
        Ok(Ok(outcome)) => tracing::info!(?elapsed, "{outcome}"),
        Ok(Err(e)) => tracing::error!(?elapsed, error = %ErrorChain(&e), "job failed; it runs again at its next tick"),
        Err(e) => tracing::error!(?elapsed, error = %e, "job panicked; it runs again at its next tick"),
    }
}

/// Formats an error with its sources: `unavailable: storage unavailable: connection refused`.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_trait::async_trait;
    use parkops_app::StoreError;
    use parkops_app::clock::ManualClock;
    use parkops_app::ports::asset::{
        AssetClassRecord, AssetEventRecord, AssetFacets, AssetFilter, AssetRecord, LocationRecord, RelationRecord,
        SparePartRecord, StockMovementRecord,
    };
    use parkops_app::ports::desk::{
        AttachmentRecord, CalendarRecord, NotificationRecord, SupportLineRecord, TicketEvent, TicketFilter, TicketId,
        TicketRecord,
    };
    use parkops_app::ports::{
        ApiTokenRecord, AuditFilter, JobDescriptionRecord, OrgFilter, Page, PageRequest, PolicyRecord, SessionRecord,
        Store, Tx, UserFilter, UserRecord,
    };
    use parkops_domain::asset::{AssetId, SparePartId};
    use parkops_domain::audit::{AuditRecord, Checkpoint, Hash, SigningKey};
    use parkops_domain::id::{OrgId, ParkId, UserId};
    use parkops_domain::org::{Organisation, Park};
    use parkops_domain::time::Timestamp;
    use tokio::sync::mpsc;

    use super::*;

    /// A store whose database is down: every call fails, and each job's first read is reported.
    struct DownStore {
        calls: mpsc::UnboundedSender<&'static str>,
    }

    fn down() -> StoreError {
        StoreError::Unavailable(Box::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        )))
    }

    #[async_trait]
    impl parkops_app::ports::asset::AssetReads for DownStore {
        async fn asset(&self, _: AssetId) -> Result<Option<AssetRecord>, StoreError> {
            Err(down())
        }
        async fn asset_by_code(&self, _: ParkId, _: &str) -> Result<Option<AssetRecord>, StoreError> {
            Err(down())
        }
        async fn assets_by_codes(&self, _: ParkId, _: &[String]) -> Result<Vec<AssetRecord>, StoreError> {
            Err(down())
        }
        async fn assets_by_ids(&self, _: &[AssetId]) -> Result<Vec<AssetRecord>, StoreError> {
            Err(down())
        }
        async fn assets(&self, _: &AssetFilter, _: PageRequest) -> Result<Page<AssetRecord>, StoreError> {
            Err(down())
        }
        async fn asset_list(
            &self,
            _: &AssetFilter,
            _: PageRequest,
        ) -> Result<(Vec<AssetRecord>, AssetFacets), StoreError> {
            Err(down())
        }
        async fn asset_facets(&self, _: &AssetFilter) -> Result<AssetFacets, StoreError> {
            Err(down())
        }
        async fn asset_events(&self, _: AssetId) -> Result<Vec<AssetEventRecord>, StoreError> {
            Err(down())
        }
        async fn relations_touching(&self, _: &[AssetId]) -> Result<Vec<RelationRecord>, StoreError> {
            Err(down())
        }
        async fn relations_from(&self, _: &[AssetId]) -> Result<Vec<RelationRecord>, StoreError> {
            Err(down())
        }
        async fn locations(&self, _: ParkId) -> Result<Vec<LocationRecord>, StoreError> {
            Err(down())
        }
        async fn asset_classes(&self, _: ParkId) -> Result<Vec<AssetClassRecord>, StoreError> {
            Err(down())
        }
        async fn spare_parts(&self, _: ParkId) -> Result<Vec<SparePartRecord>, StoreError> {
            Err(down())
        }
        async fn spare_part(&self, _: SparePartId) -> Result<Option<SparePartRecord>, StoreError> {
            Err(down())
        }
        async fn stock_movements(&self, _: SparePartId) -> Result<Vec<StockMovementRecord>, StoreError> {
            Err(down())
        }
    }

    #[async_trait]
    impl parkops_app::ports::notify::NotifyReads for DownStore {
        async fn channels(&self, _: ParkId) -> Result<Vec<parkops_app::ports::notify::ChannelRecord>, StoreError> {
            Err(down())
        }
        async fn channel(
            &self,
            _: uuid::Uuid,
        ) -> Result<Option<parkops_app::ports::notify::ChannelRecord>, StoreError> {
            Err(down())
        }
        async fn channels_with_work(
            &self,
            _: Timestamp,
        ) -> Result<Vec<parkops_app::ports::notify::ChannelRecord>, StoreError> {
            Err(down())
        }
        async fn pending_messages(
            &self,
            _: uuid::Uuid,
            _: i64,
        ) -> Result<Vec<parkops_app::ports::notify::QueuedMessage>, StoreError> {
            Err(down())
        }
        async fn attempts_since(&self, _: uuid::Uuid, _: Timestamp) -> Result<Vec<Timestamp>, StoreError> {
            Err(down())
        }
        async fn deliveries_to_retry(
            &self,
            _: uuid::Uuid,
            _: Timestamp,
        ) -> Result<Vec<parkops_app::ports::notify::DeliveryRecord>, StoreError> {
            Err(down())
        }
        async fn deliveries(
            &self,
            _: ParkId,
            _: i64,
        ) -> Result<Vec<(parkops_app::ports::notify::DeliveryRecord, String)>, StoreError> {
            Err(down())
        }
    }

    #[async_trait]
    impl parkops_app::ports::desk::DeskReads for DownStore {
        async fn ticket(&self, _: TicketId) -> Result<Option<TicketRecord>, StoreError> {
            Err(down())
        }
        async fn ticket_by_number(&self, _: &str) -> Result<Option<TicketRecord>, StoreError> {
            Err(down())
        }
        async fn tickets(&self, _: &TicketFilter, _: PageRequest) -> Result<Page<TicketRecord>, StoreError> {
            Err(down())
        }
        async fn tickets_all(&self, _: &TicketFilter, _: i64) -> Result<Vec<TicketRecord>, StoreError> {
            Err(down())
        }
        async fn tickets_to_watch(&self, _: i64) -> Result<Vec<TicketRecord>, StoreError> {
            Err(down())
        }
        async fn tickets_resolved_before(&self, _: Timestamp, _: i64) -> Result<Vec<TicketRecord>, StoreError> {
            Err(down())
        }
        async fn ticket_events(&self, _: TicketId) -> Result<Vec<TicketEvent>, StoreError> {
            Err(down())
        }
        async fn ticket_pauses(&self, _: TicketId) -> Result<Vec<parkops_domain::sla::Pause>, StoreError> {
            Err(down())
        }
        async fn attachments(&self, _: TicketId) -> Result<Vec<AttachmentRecord>, StoreError> {
            Err(down())
        }
        async fn attachment_data(&self, _: uuid::Uuid) -> Result<Option<(AttachmentRecord, Vec<u8>)>, StoreError> {
            Err(down())
        }
        async fn support_lines(&self, _: ParkId) -> Result<Vec<SupportLineRecord>, StoreError> {
            Err(down())
        }
        async fn sla_policy(&self) -> Result<Option<(i64, String)>, StoreError> {
            Err(down())
        }
        async fn sla_history(&self) -> Result<Vec<(i64, String, String, Timestamp)>, StoreError> {
            Err(down())
        }
        async fn calendars(&self) -> Result<Vec<CalendarRecord>, StoreError> {
            Err(down())
        }
        async fn notifications(&self, _: UserId, _: i64) -> Result<Vec<NotificationRecord>, StoreError> {
            Err(down())
        }
        async fn unread_notifications(&self, _: UserId, _: i64) -> Result<i64, StoreError> {
            Err(down())
        }
    }

    // Calibration register (R-9.1.1d).
    #[async_trait]
    impl parkops_app::ports::calibration::CalibrationReads for DownStore {
        async fn calibration(
            &self,
            _: parkops_domain::calibration::CalibrationId,
        ) -> Result<Option<parkops_app::ports::calibration::CalibrationRecord>, StoreError> {
            Err(down())
        }
        async fn calibration_versions(
            &self,
            _: parkops_domain::calibration::CalibrationId,
        ) -> Result<Vec<parkops_app::ports::calibration::CalibrationRecord>, StoreError> {
            Err(down())
        }
        async fn calibrations_of_asset(
            &self,
            _: AssetId,
        ) -> Result<Vec<parkops_app::ports::calibration::CalibrationRecord>, StoreError> {
            Err(down())
        }
        async fn calibration_heads(
            &self,
            _: &parkops_app::ports::calibration::RecordFilter,
            _: PageRequest,
        ) -> Result<Page<parkops_app::ports::calibration::HeadRecord>, StoreError> {
            Err(down())
        }
        async fn calibration_status(
            &self,
            _: AssetId,
        ) -> Result<Option<parkops_app::ports::calibration::CalibrationStatus>, StoreError> {
            Err(down())
        }
        async fn calibration_due(
            &self,
            _: &parkops_app::ports::calibration::DueFilter,
            _: PageRequest,
        ) -> Result<Page<parkops_app::ports::calibration::DueRow>, StoreError> {
            Err(down())
        }
        async fn calibration_due_counts(
            &self,
            _: &parkops_app::ports::calibration::DueFilter,
            _: chrono::NaiveDate,
            _: chrono::NaiveDate,
        ) -> Result<Vec<parkops_app::ports::calibration::DueCount>, StoreError> {
            Err(down())
        }
        async fn calibration_attachments(
            &self,
            _: &[parkops_domain::calibration::CalibrationId],
        ) -> Result<Vec<parkops_app::ports::calibration::CalibrationAttachment>, StoreError> {
            Err(down())
        }
        async fn calibration_attachment_data(
            &self,
            _: uuid::Uuid,
        ) -> Result<Option<(parkops_app::ports::calibration::CalibrationAttachment, Vec<u8>)>, StoreError> {
            Err(down())
        }
        async fn calibration_cycles(
            &self,
            _: ParkId,
        ) -> Result<Vec<parkops_app::ports::calibration::CycleRecord>, StoreError> {
            Err(down())
        }
        async fn calibration_notices(
            &self,
            _: &[AssetId],
        ) -> Result<Vec<parkops_app::ports::calibration::NoticeRecord>, StoreError> {
            Err(down())
        }
    }

    // Inspections, maintenance and calibration by plan (issue #4).
    #[async_trait]
    impl parkops_app::ports::schedule::ScheduleReads for DownStore {
        async fn standards(&self, _: ParkId) -> Result<Vec<parkops_app::ports::schedule::StandardRecord>, StoreError> {
            Err(down())
        }
        async fn standard(
            &self,
            _: parkops_domain::schedule::StandardId,
        ) -> Result<Option<parkops_app::ports::schedule::StandardRecord>, StoreError> {
            Err(down())
        }
        async fn plans(&self, _: ParkId) -> Result<Vec<parkops_app::ports::schedule::PlanRecord>, StoreError> {
            Err(down())
        }
        async fn active_plans(&self) -> Result<Vec<parkops_app::ports::schedule::PlanRecord>, StoreError> {
            Err(down())
        }
        async fn plan(
            &self,
            _: parkops_domain::schedule::PlanId,
        ) -> Result<Option<parkops_app::ports::schedule::PlanRecord>, StoreError> {
            Err(down())
        }
        async fn tasks(
            &self,
            _: &parkops_app::ports::schedule::TaskFilter,
            _: PageRequest,
        ) -> Result<Page<parkops_app::ports::schedule::TaskRecord>, StoreError> {
            Err(down())
        }
        async fn task(
            &self,
            _: parkops_domain::schedule::TaskId,
        ) -> Result<Option<parkops_app::ports::schedule::TaskRecord>, StoreError> {
            Err(down())
        }
        async fn task_keys(
            &self,
            _: parkops_domain::schedule::PlanId,
            _: &[chrono::NaiveDate],
        ) -> Result<Vec<(AssetId, chrono::NaiveDate)>, StoreError> {
            Err(down())
        }
        async fn tasks_to_watch(
            &self,
            _: Timestamp,
            _: i64,
        ) -> Result<Vec<parkops_app::ports::schedule::TaskRecord>, StoreError> {
            Err(down())
        }
        async fn task_day_counts(
            &self,
            _: &parkops_app::ports::schedule::TaskFilter,
        ) -> Result<Vec<parkops_app::ports::schedule::DayCount>, StoreError> {
            Err(down())
        }
        async fn task_events(
            &self,
            _: parkops_domain::schedule::TaskId,
        ) -> Result<Vec<parkops_app::ports::schedule::TaskEventRecord>, StoreError> {
            Err(down())
        }
        async fn results(
            &self,
            _: parkops_domain::schedule::TaskId,
        ) -> Result<Vec<parkops_app::ports::schedule::ResultRecord>, StoreError> {
            Err(down())
        }
        async fn result(
            &self,
            _: parkops_domain::schedule::ResultId,
        ) -> Result<Option<parkops_app::ports::schedule::ResultRecord>, StoreError> {
            Err(down())
        }
        async fn photos(
            &self,
            _: parkops_domain::schedule::TaskId,
        ) -> Result<Vec<parkops_app::ports::schedule::PhotoRecord>, StoreError> {
            Err(down())
        }
        async fn photo(
            &self,
            _: parkops_domain::schedule::PhotoId,
        ) -> Result<Option<(parkops_app::ports::schedule::PhotoRecord, Vec<u8>)>, StoreError> {
            Err(down())
        }
    }

    #[async_trait]
    impl Store for DownStore {
        async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
            Err(down())
        }
        async fn parks(&self) -> Result<Vec<Park>, StoreError> {
            Err(down())
        }
        async fn org(&self, _: OrgId) -> Result<Option<Organisation>, StoreError> {
            Err(down())
        }
        async fn orgs(&self, _: &OrgFilter, _: PageRequest) -> Result<Page<Organisation>, StoreError> {
            Err(down())
        }
        async fn user(&self, _: UserId) -> Result<Option<UserRecord>, StoreError> {
            Err(down())
        }
        async fn user_by_username(&self, _: &str) -> Result<Option<UserRecord>, StoreError> {
            Err(down())
        }
        async fn users(&self, _: &UserFilter, _: PageRequest) -> Result<Page<UserRecord>, StoreError> {
            Err(down())
        }
        async fn count_users(&self) -> Result<i64, StoreError> {
            Err(down())
        }
        async fn password_history(&self, _: UserId, _: u32) -> Result<Vec<String>, StoreError> {
            Err(down())
        }
        async fn session(&self, _: &str) -> Result<Option<SessionRecord>, StoreError> {
            Err(down())
        }
        async fn touch_session(&self, _: &str, _: Timestamp) -> Result<(), StoreError> {
            Err(down())
        }
        async fn sessions_of(&self, _: UserId) -> Result<Vec<SessionRecord>, StoreError> {
            Err(down())
        }
        async fn api_token(&self, _: &str) -> Result<Option<ApiTokenRecord>, StoreError> {
            Err(down())
        }
        async fn api_tokens_of(&self, _: UserId) -> Result<Vec<ApiTokenRecord>, StoreError> {
            Err(down())
        }
        async fn job_descriptions(&self, _: ParkId) -> Result<Vec<JobDescriptionRecord>, StoreError> {
            Err(down())
        }
        async fn policy(&self) -> Result<Option<PolicyRecord>, StoreError> {
            let _ = self.calls.send("policy");
            Err(down())
        }
        async fn policy_history(&self) -> Result<Vec<PolicyRecord>, StoreError> {
            Err(down())
        }
        async fn audit_page(&self, _: &AuditFilter, _: PageRequest) -> Result<Page<AuditRecord>, StoreError> {
            Err(down())
        }
        async fn audit_after(&self, _: i64, _: i64) -> Result<Vec<AuditRecord>, StoreError> {
            Err(down())
        }
        async fn audit_head(&self) -> Result<(i64, Hash), StoreError> {
            let _ = self.calls.send("audit_head");
            Err(down())
        }
        async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
            Err(down())
        }
        async fn maintain(&self, _: Timestamp) -> Result<u64, StoreError> {
            Err(down())
        }
    }

    fn app_with_database_down() -> (App, mpsc::UnboundedReceiver<&'static str>) {
        let (calls, rx) = mpsc::unbounded_channel();
        let app = App {
            store: Arc::new(DownStore { calls }),
            clock: Arc::new(ManualClock::new(Timestamp::from_millis(1_767_225_600_000))),
            audit_key: Arc::new(SigningKey::from_seed([7; 32])),
            audit_origin: "test".into(),
            checkpoint_every: 1000,
        };
        (app, rx)
    }

    #[tokio::test]
    async fn each_job_reports_storage_failure_as_an_error() {
        let (app, _calls) = app_with_database_down();
        for job in Job::ALL {
            assert!(
                matches!(job.run(&app, &parkops_testkit::SilentNotifier).await, Err(AppError::Unavailable(_))),
                "{}",
                job.name()
            );
        }
    }

    #[tokio::test]
    async fn a_failing_job_runs_again_at_its_next_tick_until_cancelled() {
        let (app, mut calls) = app_with_database_down();
        let cancel = CancellationToken::new();
        let every = Duration::from_millis(5);
        let jobs =
            vec![Schedule { job: Job::SignAuditCheckpoint, every }, Schedule { job: Job::MaintainStorage, every }];
        let scheduler = tokio::spawn(run(app, Arc::new(parkops_testkit::SilentNotifier), jobs, cancel.clone()));
        // Waits on the runs themselves, not on a clock: three failed runs of each job.
        let wait = async {
            let (mut checkpoints, mut maintenance) = (0, 0);
            while checkpoints < 3 || maintenance < 3 {
                match calls.recv().await {
                    Some("audit_head") => checkpoints += 1,
                    Some(_) => maintenance += 1,
                    None => break,
                }
            }
            (checkpoints, maintenance)
        };
        let (checkpoints, maintenance) =
            tokio::time::timeout(Duration::from_secs(30), wait).await.expect("jobs kept running");
        assert!(checkpoints >= 3 && maintenance >= 3);
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(30), scheduler)
            .await
            .expect("scheduler stops on cancel")
            .expect("no panic");
    }

    #[tokio::test]
    async fn a_cancelled_scheduler_returns_without_running_a_job() {
        let (app, mut calls) = app_with_database_down();
        let cancel = CancellationToken::new();
        cancel.cancel();
        run(
            app,
            Arc::new(parkops_testkit::SilentNotifier),
            JobIntervals {
                sign_audit_checkpoint: Duration::from_secs(1),
                maintain_storage: Duration::from_secs(1),
                watch_sla: Duration::from_secs(1),
                auto_close_tickets: Duration::from_secs(1),
                deliver_notifications: Duration::from_secs(1),
                run_schedules: Duration::from_secs(1),
                remind_calibrations: Duration::from_secs(1),
            }
            .schedules(),
            cancel,
        )
        .await;
        assert!(calls.try_recv().is_err(), "no job ran");
    }

    #[test]
    fn every_job_gets_its_own_interval() {
        let intervals = JobIntervals {
            sign_audit_checkpoint: Duration::from_secs(300),
            maintain_storage: Duration::from_secs(3600),
            watch_sla: Duration::from_secs(60),
            auto_close_tickets: Duration::from_secs(600),
            deliver_notifications: Duration::from_secs(5),
            run_schedules: Duration::from_secs(600),
            remind_calibrations: Duration::from_secs(86_400),
        };
        let schedules = intervals.schedules();
        assert_eq!(schedules.len(), Job::ALL.len());
        assert_eq!(schedules[0], Schedule { job: Job::SignAuditCheckpoint, every: Duration::from_secs(300) });
        assert_eq!(schedules[1], Schedule { job: Job::MaintainStorage, every: Duration::from_secs(3600) });
        assert_eq!(schedules[2], Schedule { job: Job::WatchSla, every: Duration::from_secs(60) });
        assert_eq!(schedules[3], Schedule { job: Job::AutoCloseTickets, every: Duration::from_secs(600) });
        assert_eq!(schedules[4], Schedule { job: Job::DeliverNotifications, every: Duration::from_secs(5) });
        assert_eq!(schedules[5], Schedule { job: Job::RunSchedules, every: Duration::from_secs(600) });
        assert_eq!(schedules[6], Schedule { job: Job::RemindCalibrations, every: Duration::from_secs(86_400) });
        let names: std::collections::HashSet<_> = Job::ALL.iter().map(|j| j.name()).collect();
        assert_eq!(names.len(), Job::ALL.len(), "names are distinct");
    }

    #[test]
    fn outcomes_read_well_in_the_log_and_idle_runs_are_quiet() {
        let watched = JobOutcome::SlaWatched { warnings: 1, breaches: 2 };
        assert_eq!(watched.to_string(), "SLA clocks watched, 1 warnings and 2 breaches raised");
        assert!(!watched.is_idle());
        assert!(JobOutcome::SlaWatched { warnings: 0, breaches: 0 }.is_idle());
        let closed = JobOutcome::TicketsAutoClosed { closed: 3 };
        assert_eq!(closed.to_string(), "3 resolved tickets closed automatically");
        assert!(!closed.is_idle() && JobOutcome::TicketsAutoClosed { closed: 0 }.is_idle());
        assert!(JobOutcome::NoCheckpointDue.is_idle());
        assert!(!JobOutcome::StorageMaintained { sessions_removed: 0 }.is_idle());
    }

    #[test]
    fn error_chain_names_every_source() {
        let e = AppError::Unavailable(down());
        assert_eq!(ErrorChain(&e).to_string(), "unavailable: storage unavailable: connection refused");
    }
}
