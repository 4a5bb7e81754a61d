//! The storage port of the calibration register (R-9.1.1d): record versions (append-only: a
//! correction is a new version naming the one it corrects and why), their attachments, the
//! per-CI status the overdue list reads (the latest valid record's due date, kept in step with
//! every record), the versioned class cycles and the reminders already sent.

use async_trait::async_trait;
use chrono::NaiveDate;
use parkops_domain::asset::{AssetId, LifecycleState, LocationId};
use parkops_domain::calibration::{CalibrationId, Conclusion, Cycle, Method, NoticeKind};
use parkops_domain::id::{OrgId, ParkId};
use parkops_domain::time::Timestamp;

use super::asset::AssetRecord;
use super::{Page, PageRequest};
use crate::StoreError;

/// One measured point as stored (canonical decimal text; `allowed` empty when not stated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointRecord {
    /// Nominal value.
    pub nominal: String,
    /// Reading.
    pub reading: String,
    /// Error.
    pub error: String,
    /// Allowed error.
    pub allowed: String,
}

/// One version of a calibration record (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalibrationRecord {
    /// This version's id.
    pub id: CalibrationId,
    /// Park.
    pub park_id: ParkId,
    /// The CI calibrated.
    pub asset_id: AssetId,
    /// The CI's class when recorded.
    pub class: String,
    /// Version, from 1 (the original).
    pub version: i64,
    /// The original's id (its own for version 1).
    pub root_id: CalibrationId,
    /// The version this one corrects (none for the original).
    pub corrects_id: Option<CalibrationId>,
    /// Why it was corrected (empty for the original).
    pub correction_reason: String,
    /// Method.
    pub method: Method,
    /// Reference standard (标准物质/标准器) name.
    pub standard_name: String,
    /// The reference standard's certificate number.
    pub standard_certificate: String,
    /// The reference standard's validity.
    pub standard_valid_until: Option<NaiveDate>,
    /// Certificate (or report) number of this calibration.
    pub certificate_no: String,
    /// Performing body (metrology institute, supplier …).
    pub performer: String,
    /// The performing body's organisation in the park's register, if it is one.
    pub performer_org_id: Option<OrgId>,
    /// The day it was performed.
    pub performed_on: NaiveDate,
    /// Conclusion.
    pub conclusion: Conclusion,
    /// Measured points.
    pub points: Vec<PointRecord>,
    /// The cycle applied: the CI's own (`calibration_cycle`, days) or its class's (months).
    pub cycle: Cycle,
    /// The due date the cycle gives.
    pub computed_due: NaiveDate,
    /// The due date set (the computed one unless overridden).
    pub next_due: NaiveDate,
    /// Why the due date was overridden (empty when it was not).
    pub next_due_reason: String,
    /// The schedules' calibration task this record completes, if any.
    pub task_id: Option<uuid::Uuid>,
    /// Free text.
    pub note: String,
    /// Who recorded it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
}

/// Where a CI stands: its latest valid record (the newest version of the record performed
/// last). A projection of the records, rewritten with every record or correction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalibrationStatus {
    /// The CI.
    pub asset_id: AssetId,
    /// Park.
    pub park_id: ParkId,
    /// The record version in force.
    pub record_id: CalibrationId,
    /// Performed.
    pub performed_on: NaiveDate,
    /// Conclusion.
    pub conclusion: Conclusion,
    /// Due date.
    pub next_due: NaiveDate,
    /// Rewritten at.
    pub updated_at: Timestamp,
}

/// A file attached to a record version (a certificate scan), kept with its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalibrationAttachment {
    /// Identifier.
    pub id: uuid::Uuid,
    /// The record version it was attached to.
    pub record_id: CalibrationId,
    /// File name.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Uploaded by.
    pub created_by: String,
    /// Uploaded.
    pub created_at: Timestamp,
}

/// One version of a class's calibration cycle in a park (append-only, versioned per class).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleRecord {
    /// Park.
    pub park_id: ParkId,
    /// Class code.
    pub class: String,
    /// Version, from 1 (version 0 means the built-in default, never stored).
    pub version: i64,
    /// Whether the class is calibrated.
    pub enabled: bool,
    /// Cycle in months.
    pub cycle_months: i64,
    /// Method expected.
    pub method: Method,
    /// The rule followed, e.g. `JJG 693-2011`.
    pub basis: String,
    /// Why it changed.
    pub note: String,
    /// Who stored it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
}

/// A reminder sent to a CI's owners for one due date (append-only; at most one per CI, kind
/// and due date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRecord {
    /// Park.
    pub park_id: ParkId,
    /// The CI.
    pub asset_id: AssetId,
    /// Which reminder.
    pub kind: NoticeKind,
    /// The due date it was for (`never` for a CI never calibrated).
    pub due_key: String,
    /// How many people were notified.
    pub recipients: i64,
    /// Sent.
    pub created_at: Timestamp,
}

/// Filter of the register (record list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// Park.
    pub park_id: Option<ParkId>,
    /// Only this CI.
    pub asset: Option<AssetId>,
    /// Class codes (empty: all).
    pub classes: Vec<String>,
    /// The CI's enterprise.
    pub enterprise: Option<OrgId>,
    /// The CI's zone.
    pub zone: Option<LocationId>,
    /// The CI's site.
    pub site: Option<LocationId>,
    /// Conclusion.
    pub conclusion: Option<Conclusion>,
    /// Method.
    pub method: Option<Method>,
    /// Performed on or after.
    pub from: Option<NaiveDate>,
    /// Performed on or before.
    pub until: Option<NaiveDate>,
    /// Only CIs of this organisation, as enterprise or maintainer (own-organisation scope).
    pub org_scope: Option<OrgId>,
    /// Text in the CI's code or name, or the certificate number.
    pub text: Option<String>,
}

/// Filter of the due lists: CIs of calibrated classes in the given states.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueFilter {
    /// Park.
    pub park_id: Option<ParkId>,
    /// Calibrated class codes (empty: none — nothing matches).
    pub classes: Vec<String>,
    /// Lifecycle states that count (the instrument measures).
    pub states: Vec<LifecycleState>,
    /// Enterprise.
    pub enterprise: Option<OrgId>,
    /// Zone.
    pub zone: Option<LocationId>,
    /// Site.
    pub site: Option<LocationId>,
    /// Own-organisation scope.
    pub org_scope: Option<OrgId>,
    /// Include CIs never calibrated.
    pub include_never: bool,
    /// Due on or after (none: no lower bound).
    pub due_from: Option<NaiveDate>,
    /// Due on or before (none: no upper bound).
    pub due_until: Option<NaiveDate>,
}

/// A CI on a due list with its status (none: never calibrated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRow {
    /// The CI.
    pub asset: AssetRecord,
    /// Its status.
    pub status: Option<CalibrationStatus>,
}

/// A record's newest version on the register, with whether it is the CI's record in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadRecord {
    /// The newest version.
    pub record: CalibrationRecord,
    /// Whether it sets the CI's current due date.
    pub in_force: bool,
}

/// Counts of one enterprise and class on the due lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCount {
    /// Enterprise (none: park-owned).
    pub enterprise: Option<OrgId>,
    /// Class code.
    pub class: String,
    /// CIs that count.
    pub total: i64,
    /// Never calibrated.
    pub never: i64,
    /// Past their due date.
    pub overdue: i64,
    /// Due from today to the end of the reminder window.
    pub due_soon: i64,
}

/// Calibration reads.
#[async_trait]
pub trait CalibrationReads: Send + Sync {
    /// One record version.
    async fn calibration(&self, id: CalibrationId) -> Result<Option<CalibrationRecord>, StoreError>;
    /// Every version of a record, by version.
    async fn calibration_versions(&self, root: CalibrationId) -> Result<Vec<CalibrationRecord>, StoreError>;
    /// Every version of every record of a CI, newest performed first, then by version.
    async fn calibrations_of_asset(&self, asset: AssetId) -> Result<Vec<CalibrationRecord>, StoreError>;
    /// The newest versions (those not corrected) matching a filter, newest performed first.
    async fn calibration_heads(&self, filter: &RecordFilter, page: PageRequest)
    -> Result<Page<HeadRecord>, StoreError>;
    /// A CI's status.
    async fn calibration_status(&self, asset: AssetId) -> Result<Option<CalibrationStatus>, StoreError>;
    /// CIs on a due list, never calibrated first, then by due date and code.
    async fn calibration_due(&self, filter: &DueFilter, page: PageRequest) -> Result<Page<DueRow>, StoreError>;
    /// Counts per enterprise and class for the CIs of a due filter (its due bounds ignored):
    /// due soon means due from `today` to `soon_until`.
    async fn calibration_due_counts(
        &self,
        filter: &DueFilter,
        today: NaiveDate,
        soon_until: NaiveDate,
    ) -> Result<Vec<DueCount>, StoreError>;
    /// Attachments of these record versions (without content), oldest first.
    async fn calibration_attachments(&self, ids: &[CalibrationId]) -> Result<Vec<CalibrationAttachment>, StoreError>;
    /// An attachment with its content.
    async fn calibration_attachment_data(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<(CalibrationAttachment, Vec<u8>)>, StoreError>;
    /// Every stored cycle version of a park, by class then newest version first.
    async fn calibration_cycles(&self, park: ParkId) -> Result<Vec<CycleRecord>, StoreError>;
    /// The reminders sent for these CIs (any number; looked up in chunks).
    async fn calibration_notices(&self, assets: &[AssetId]) -> Result<Vec<NoticeRecord>, StoreError>;
}

/// Calibration writes (inside a [`super::Tx`], so each comes with its audit record).
#[async_trait]
pub trait CalibrationWrites: Send {
    /// Appends a record version. [`StoreError::Conflict`] `calibration_record_corrected_once`
    /// when the version it corrects was already corrected.
    async fn insert_calibration(&mut self, r: &CalibrationRecord) -> Result<(), StoreError>;
    /// Adds or replaces a CI's status.
    async fn put_calibration_status(&mut self, s: &CalibrationStatus) -> Result<(), StoreError>;
    /// Appends an attachment.
    async fn insert_calibration_attachment(&mut self, a: &CalibrationAttachment, data: &[u8])
    -> Result<(), StoreError>;
    /// Appends a cycle version.
    async fn insert_calibration_cycle(&mut self, c: &CycleRecord) -> Result<(), StoreError>;
    /// Appends a reminder unless one exists for the CI, kind and due date; returns whether it
    /// was added.
    async fn insert_calibration_notice(&mut self, n: &NoticeRecord) -> Result<bool, StoreError>;
}
