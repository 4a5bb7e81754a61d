//! The calibration register (R-9.1.1d): which classes are calibrated and how often (the class
//! cycles, built in and changed per park in versions), calibration records as original records
//! (append-only; a correction is a new version naming the one it corrects and why), their
//! certificate scans, the overdue and due-soon lists per enterprise and class, and the daily
//! reminder to a CI's owners.
//!
//! A failed calibration (不合格) that becomes the CI's record in force opens the CI's fault in
//! the same transaction as the record: the CI turns faulty with a `fault` entry on its
//! timeline and its own `asset.lifecycle` audit record. It is written here rather than through
//! [`crate::asset::AssetRegister::lifecycle`] so the record and the fault commit together, and
//! because the person recording (a supplier's engineer, say) need not be allowed to keep the
//! register.
//!
//! Who is reminded: the CI's person responsible (`owner`), the members of its owner
//! organisation — the enterprise it belongs to — holding an O&M post (manager, technician or
//! operator), and the managers and engineers of its maintaining supplier. A CI with none of
//! these reminds the park side's managers, so a reminder always reaches someone.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use parkops_domain::access::{Capability, Post, Principal, Scope};
use parkops_domain::asset::{self, AssetId, Decimal, LifecycleEvent, LifecycleState, LocationId};
use parkops_domain::audit::Outcome;
use parkops_domain::calibration::{
    self as cal, CalibrationError, CalibrationId, ClassCycle, Conclusion, Cycle, DueState, MeasuredPoint, Method,
    NoticeKind, RecordFacts,
};
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::schedule::TaskId;
use parkops_domain::time::Timestamp;
use serde_json::json;

use crate::ports::asset::{AssetEventRecord, AssetRecord};
use crate::ports::calibration::{
    CalibrationAttachment, CalibrationRecord, CalibrationStatus, CycleRecord, DueCount, DueFilter, DueRow, HeadRecord,
    NoticeRecord, PointRecord, RecordFilter,
};
use crate::ports::desk::NotificationRecord;
use crate::ports::{OrgFilter, Page, PageRequest, Tx, UserFilter, UserRecord};
use crate::{App, AppError, Caller, FieldError};

/// The lifecycle states in which an instrument measures and so must be calibrated.
pub const MEASURING: [LifecycleState; 2] = [LifecycleState::TrialRun, LifecycleState::InService];

/// Most measured points in one record.
pub const MAX_POINTS: usize = 20;

/// Largest attachment, in bytes (as for tickets).
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;

/// Longest export (rows).
const EXPORT_MAX: i64 = 10_000;

// ---------------------------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------------------------

/// A measured point as entered; a row left blank is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PointInput {
    /// Nominal value.
    pub nominal: String,
    /// Reading.
    pub reading: String,
    /// Error; empty to compute `reading − nominal`.
    pub error: String,
    /// Allowed error; empty when not stated.
    pub allowed: String,
}

/// A calibration as entered in the form or sent to the API. Text as typed.
#[derive(Debug, Clone, Default)]
pub struct CalibrationInput {
    /// The CI: id or code (for a correction: empty, or the record's CI).
    pub asset: String,
    /// Method code or Chinese term; empty for the class's expected method.
    pub method: String,
    /// Reference standard name.
    pub standard_name: String,
    /// Its certificate number.
    pub standard_certificate: String,
    /// Its validity (`YYYY-MM-DD`).
    pub standard_valid_until: String,
    /// This calibration's certificate number.
    pub certificate_no: String,
    /// Performing body.
    pub performer: String,
    /// Performing organisation's id, if it is in the register.
    pub performer_org: String,
    /// The day (`YYYY-MM-DD`).
    pub performed_on: String,
    /// Conclusion code or Chinese term.
    pub conclusion: String,
    /// Measured points.
    pub points: Vec<PointInput>,
    /// Next due date; empty for the one the cycle gives.
    pub next_due: String,
    /// Why the due date differs from the cycle's.
    pub next_due_reason: String,
    /// The calibration task fulfilled (id), if any.
    pub task: String,
    /// Free text.
    pub note: String,
}

/// What recording did.
#[derive(Debug, Clone)]
pub struct RecordOutcome {
    /// The version written.
    pub record: CalibrationRecord,
    /// Whether it sets the CI's due date now.
    pub in_force: bool,
    /// Whether the CI was set faulty (a failed calibration in force).
    pub fault_opened: bool,
}

/// A class's cycle as in force in a park.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleView {
    /// The cycle.
    pub cycle: ClassCycle,
    /// The class's name.
    pub class_name: String,
    /// Stored version (0: the built-in default).
    pub version: i64,
    /// Who stored the version in force (empty for the default).
    pub updated_by: String,
    /// When.
    pub updated_at: Option<Timestamp>,
}

/// The cycle settings page.
#[derive(Debug, Clone)]
pub struct CycleSettings {
    /// The cycle in force of every class that has one, by class code.
    pub cycles: Vec<CycleView>,
    /// Every stored version, by class then newest first.
    pub history: Vec<CycleRecord>,
    /// Every class of the park (code, name), for the form.
    pub classes: Vec<(String, String)>,
    /// Whether the caller may change them.
    pub can_edit: bool,
}

/// A cycle as entered.
#[derive(Debug, Clone, Default)]
pub struct CycleInput {
    /// Class code.
    pub class: String,
    /// Whether the class is calibrated.
    pub enabled: bool,
    /// Months.
    pub cycle_months: String,
    /// Method code.
    pub method: String,
    /// The rule followed.
    pub basis: String,
    /// Why it changes.
    pub note: String,
}

/// The register's filters, as text from the form or query string.
#[derive(Debug, Clone, Default)]
pub struct RegisterQuery {
    /// Class code.
    pub class: String,
    /// Enterprise id.
    pub enterprise: String,
    /// Zone id.
    pub zone: String,
    /// Conclusion code.
    pub conclusion: String,
    /// Method code.
    pub method: String,
    /// Performed on or after (`YYYY-MM-DD`).
    pub from: String,
    /// Performed on or before.
    pub until: String,
    /// Text in CI code or name, or certificate number.
    pub text: String,
    /// Only this CI (id).
    pub asset: String,
}

/// One line of the register.
#[derive(Debug, Clone)]
pub struct RegisterRow {
    /// The newest version of the record, and whether it is in force.
    pub head: HeadRecord,
    /// The CI.
    pub asset: Option<AssetRecord>,
    /// The CI's due state on the day, for records in force.
    pub due: Option<DueState>,
}

/// One page of the register with display names for the ids on it.
#[derive(Debug, Clone)]
pub struct RegisterList {
    /// The page.
    pub page: Page<RegisterRow>,
    /// Names of class codes, organisation and location ids.
    pub names: BTreeMap<String, String>,
}

/// The due lists' filters.
#[derive(Debug, Clone, Default)]
pub struct DueQuery {
    /// `overdue` (default: past due or never calibrated), `due_soon` (within 30 days) or `all`
    /// (both).
    pub status: String,
    /// Class code.
    pub class: String,
    /// Enterprise id.
    pub enterprise: String,
    /// Zone id.
    pub zone: String,
}

/// A CI on a due list.
#[derive(Debug, Clone)]
pub struct DueItem {
    /// The CI and its status.
    pub row: DueRow,
    /// Where it stands today.
    pub state: DueState,
}

/// The overdue or due-soon list: counts per enterprise and class, and one page of CIs.
#[derive(Debug, Clone)]
pub struct DueList {
    /// Counts per enterprise and class (every calibrated CI in reach, by the filter).
    pub counts: Vec<DueCount>,
    /// The page.
    pub page: Page<DueItem>,
    /// Names of class codes, organisation and location ids.
    pub names: BTreeMap<String, String>,
    /// The day the list was computed for (China Standard Time).
    pub today: NaiveDate,
}

/// A record with all its versions.
#[derive(Debug, Clone)]
pub struct CalibrationDetail {
    /// The CI.
    pub asset: AssetRecord,
    /// Every version, oldest first (the first is the original).
    pub versions: Vec<CalibrationRecord>,
    /// Attachments of any version.
    pub attachments: Vec<CalibrationAttachment>,
    /// The CI's status.
    pub status: Option<CalibrationStatus>,
    /// Whether the newest version is the CI's record in force.
    pub in_force: bool,
    /// Whether the caller may correct it and attach files.
    pub can_correct: bool,
    /// Names of class codes, organisation and location ids.
    pub names: BTreeMap<String, String>,
}

impl CalibrationDetail {
    /// The newest version.
    ///
    /// # Panics
    /// Never: a detail always has its original.
    #[must_use]
    pub fn head(&self) -> &CalibrationRecord {
        self.versions.last().expect("a record has at least its original version")
    }
}

/// A CI's calibrations, for its detail page.
#[derive(Debug, Clone)]
pub struct CalibrationHistory {
    /// Its status (none: never calibrated).
    pub status: Option<CalibrationStatus>,
    /// Where it stands today; none when its class is not calibrated.
    pub state: Option<DueState>,
    /// Every version of every record, newest performed first.
    pub records: Vec<CalibrationRecord>,
}

/// What the reminder job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeReport {
    /// CIs whose owners were told they are overdue.
    pub overdue: u32,
    /// CIs whose owners were told they fall due soon.
    pub due_soon: u32,
    /// Notifications written.
    pub notifications: u32,
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The day of `now` in China Standard Time.
#[must_use]
pub fn day_of(now: Timestamp) -> NaiveDate {
    now.to_cst().date_naive()
}

/// A date as stored and shown.
#[must_use]
pub fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    asset::parse_date(text)
}

/// The cycle a CI is calibrated on: its own `calibration_cycle` attribute (days, as the
/// register keeps it for instruments with an individual cycle) when set, else its class's.
fn cycle_of(a: &AssetRecord, class: &ClassCycle) -> Cycle {
    a.attributes
        .get("calibration_cycle")
        .and_then(|d| d.trim().parse::<u32>().ok())
        .and_then(Cycle::days)
        .or_else(|| class.cycle())
        .unwrap_or(Cycle::Months(12))
}

fn can_on(p: &Principal, capability: Capability, a: &AssetRecord) -> bool {
    a.park_id == p.park_id
        && match p.scope_of(capability) {
            Some(Scope::Park) => true,
            Some(Scope::OwnOrganisation) => {
                a.enterprise_org_id == Some(p.org_id) || a.maintainer_org_id == Some(p.org_id)
            }
            None => false,
        }
}

fn org_scope(p: &Principal, capability: Capability) -> Result<Option<OrgId>, AppError> {
    match p.scope_of(capability) {
        Some(Scope::Park) => Ok(None),
        Some(Scope::OwnOrganisation) => Ok(Some(p.org_id)),
        None => Err(AppError::Forbidden { capability }),
    }
}

fn text_field(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    text: &str,
    required: bool,
    max: usize,
    key: &'static str,
) -> String {
    let t = text.trim();
    if (required && t.is_empty()) || t.chars().count() > max {
        errors.push(if required { FieldError::new(field, key) } else { FieldError::new(field, key).arg("max", max) });
    }
    t.to_owned()
}

fn opt_date(errors: &mut Vec<FieldError>, field: &'static str, text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    parse_date(t).or_else(|| {
        errors.push(FieldError::new(field, "err-calibration-date"));
        None
    })
}

fn point_record(p: &MeasuredPoint) -> PointRecord {
    PointRecord {
        nominal: p.nominal.to_string(),
        reading: p.reading.to_string(),
        error: p.error.to_string(),
        allowed: p.allowed.map(|a| a.to_string()).unwrap_or_default(),
    }
}

/// The point as the domain sees it (a stored point always parses; a bad one counts as zero).
fn measured(p: &PointRecord) -> MeasuredPoint {
    let zero = Decimal::parse("0").expect("zero is a decimal");
    let d = |t: &str| Decimal::parse(t).unwrap_or(zero);
    MeasuredPoint {
        nominal: d(&p.nominal),
        reading: d(&p.reading),
        error: d(&p.error),
        allowed: (!p.allowed.is_empty()).then(|| d(&p.allowed)),
    }
}

/// The versions nobody corrected (one per record), from all versions of a CI's records.
fn heads(all: &[CalibrationRecord]) -> Vec<&CalibrationRecord> {
    let corrected: BTreeSet<CalibrationId> = all.iter().filter_map(|r| r.corrects_id).collect();
    all.iter().filter(|r| !corrected.contains(&r.id)).collect()
}

/// The record in force among heads: performed last, then recorded last.
fn in_force<'a>(heads: impl IntoIterator<Item = &'a CalibrationRecord>) -> Option<&'a CalibrationRecord> {
    heads.into_iter().max_by_key(|r| (r.performed_on, r.created_at, r.version))
}

fn status_of(r: &CalibrationRecord, now: Timestamp) -> CalibrationStatus {
    CalibrationStatus {
        asset_id: r.asset_id,
        park_id: r.park_id,
        record_id: r.id,
        performed_on: r.performed_on,
        conclusion: r.conclusion,
        next_due: r.next_due,
        updated_at: now,
    }
}

fn record_detail(r: &CalibrationRecord, asset_code: &str) -> serde_json::Value {
    json!({
        "asset": asset_code, "class": r.class, "version": r.version, "root": r.root_id.to_string(),
        "corrects": r.corrects_id.map(|c| c.to_string()), "reason": r.correction_reason, "method": r.method.code(),
        "certificate_no": r.certificate_no, "performer": r.performer, "performed_on": date_text(r.performed_on),
        "conclusion": r.conclusion.code(), "next_due": date_text(r.next_due), "computed_due": date_text(r.computed_due),
        "next_due_reason": r.next_due_reason, "points": r.points.len(), "task": r.task_id.map(|t| t.to_string()),
    })
}

/// The fields of a version that a correction may change, for "nothing changed".
fn substance(r: &CalibrationRecord) -> impl PartialEq + use<> {
    (
        r.method,
        r.standard_name.clone(),
        r.standard_certificate.clone(),
        r.standard_valid_until,
        r.certificate_no.clone(),
        r.performer.clone(),
        r.performer_org_id,
        r.performed_on,
        r.conclusion,
        r.points.clone(),
        (r.next_due, r.next_due_reason.clone(), r.task_id, r.note.clone()),
    )
}

/// People looked up once per reminder run.
#[derive(Default)]
struct RecipientCache {
    /// Whether each owner is an active user of the CI's park.
    owners: BTreeMap<UserId, bool>,
    /// Active users per organisation.
    by_org: BTreeMap<OrgId, Vec<UserRecord>>,
    /// The park side's managers, when a CI has nobody else.
    fallback: Option<Vec<UserId>>,
}

/// Past this many CIs of one kind in one run, a person gets one digest instead.
const DIGEST_FROM: usize = 3;

/// A reminder's message to its recipients.
#[derive(Debug, Clone)]
struct Message {
    code: String,
    title: String,
    body: String,
}

/// One reminder to write.
struct Notice<'a> {
    row: &'a DueRow,
    kind: NoticeKind,
    due_key: &'a str,
    state: DueState,
    class: &'a str,
    to: &'a BTreeSet<UserId>,
}

/// A validated calibration, ready to store.
struct Checked {
    method: Method,
    standard_name: String,
    standard_certificate: String,
    standard_valid_until: Option<NaiveDate>,
    certificate_no: String,
    performer: String,
    performer_org_id: Option<OrgId>,
    performed_on: NaiveDate,
    conclusion: Conclusion,
    points: Vec<MeasuredPoint>,
    computed_due: NaiveDate,
    next_due: NaiveDate,
    next_due_reason: String,
    task_id: Option<uuid::Uuid>,
    note: String,
}

fn domain_error(e: CalibrationError) -> FieldError {
    match e {
        CalibrationError::PerformedInFuture { .. } => FieldError::new("performed_on", "err-calibration-future"),
        CalibrationError::StandardExpired { valid_until, .. } => {
            FieldError::new("standard_valid_until", "err-calibration-standard-expired")
                .arg("date", date_text(valid_until))
        }
        CalibrationError::PointOutOfTolerance { position } => {
            FieldError::new("points", "err-calibration-point-tolerance").arg("position", position)
        }
        CalibrationError::DueBeforePerformed { .. } => FieldError::new("next_due", "err-calibration-due-before"),
        CalibrationError::OverrideWithoutReason { computed } => {
            FieldError::new("next_due_reason", "err-calibration-due-reason").arg("date", date_text(computed))
        }
    }
}

/// The points given, each with its row's 1-based position.
fn parse_points(errors: &mut Vec<FieldError>, input: &[PointInput]) -> Vec<(usize, MeasuredPoint)> {
    let rows: Vec<(usize, &PointInput)> = input
        .iter()
        .enumerate()
        .filter(|(_, p)| ![&p.nominal, &p.reading, &p.error, &p.allowed].iter().all(|t| t.trim().is_empty()))
        .map(|(i, p)| (i + 1, p))
        .collect();
    if rows.len() > MAX_POINTS {
        errors.push(FieldError::new("points", "err-calibration-points").arg("max", MAX_POINTS));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (position, p) in rows {
        let req = |t: &str| Decimal::parse(t);
        let opt = |t: &str| if t.trim().is_empty() { Some(None) } else { Decimal::parse(t).map(Some) };
        match (req(&p.nominal), req(&p.reading), opt(&p.error), opt(&p.allowed)) {
            (Some(n), Some(r), Some(e), Some(a)) if a.is_none_or(|a| !a.to_string().starts_with('-')) => {
                out.push((position, MeasuredPoint::new(n, r, e, a)));
            }
            _ => errors.push(FieldError::new("points", "err-calibration-point").arg("position", position)),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------

impl App {
    /// The cycles in force in a park: the built-in ones overlaid with the stored versions.
    async fn cycles_in_force(
        &self,
        park: ParkId,
    ) -> Result<BTreeMap<String, (ClassCycle, Option<CycleRecord>)>, AppError> {
        let mut out: BTreeMap<String, (ClassCycle, Option<CycleRecord>)> =
            cal::built_in_cycles().into_iter().map(|c| (c.class.clone(), (c, None))).collect();
        let mut seen = BTreeSet::new();
        // Newest version first per class: the first seen is the one in force.
        for r in self.store.calibration_cycles(park).await? {
            if !seen.insert(r.class.clone()) {
                continue;
            }
            let Some(months) = u32::try_from(r.cycle_months).ok().filter(|m| Cycle::months(*m).is_some()) else {
                tracing::warn!(class = %r.class, "stored calibration cycle out of range; skipped");
                continue;
            };
            let c = ClassCycle {
                class: r.class.clone(),
                enabled: r.enabled,
                months,
                method: r.method,
                basis: r.basis.clone(),
            };
            out.insert(r.class.clone(), (c, Some(r)));
        }
        Ok(out)
    }

    /// The calibrated classes of a park (enabled cycles), by code.
    async fn calibrated(&self, park: ParkId) -> Result<BTreeMap<String, ClassCycle>, AppError> {
        Ok(self
            .cycles_in_force(park)
            .await?
            .into_iter()
            .filter(|(_, (c, _))| c.enabled)
            .map(|(k, (c, _))| (k, c))
            .collect())
    }

    /// A CI the caller may see (otherwise "not found", so codes leak nothing).
    async fn visible_asset(&self, p: &Principal, text: &str) -> Result<AssetRecord, AppError> {
        let t = text.trim();
        let found = match AssetId::parse(t) {
            Ok(id) => self.store.asset(id).await?,
            Err(_) if t.is_empty() => None,
            Err(_) => self.store.asset_by_code(p.park_id, t).await?,
        };
        found.filter(|a| can_on(p, Capability::AssetView, a)).ok_or(AppError::NotFound)
    }

    /// Display names of the class codes, organisation and location ids of some CIs.
    async fn names_for<'a>(
        &self,
        park: ParkId,
        assets: impl IntoIterator<Item = &'a AssetRecord>,
        extra_orgs: impl IntoIterator<Item = OrgId>,
        extra_classes: impl IntoIterator<Item = String>,
    ) -> Result<BTreeMap<String, String>, AppError> {
        let mut names = BTreeMap::new();
        let registry = asset::ClassRegistry::built_in();
        let custom: BTreeMap<String, String> =
            self.store.asset_classes(park).await?.into_iter().map(|c| (c.code, c.name)).collect();
        let mut classes: BTreeSet<String> = extra_classes.into_iter().collect();
        let mut orgs: BTreeSet<OrgId> = extra_orgs.into_iter().collect();
        let mut locations: BTreeSet<LocationId> = BTreeSet::new();
        for a in assets {
            classes.insert(a.class.clone());
            orgs.extend([a.enterprise_org_id, a.maintainer_org_id].into_iter().flatten());
            locations.extend([a.location.zone, a.location.site, a.location.point].into_iter().flatten());
        }
        for c in classes {
            let name =
                registry.get(&c).map(|k| k.name.clone()).or_else(|| custom.get(&c).filter(|n| !n.is_empty()).cloned());
            names.insert(c.clone(), name.unwrap_or(c));
        }
        for o in orgs {
            if let Some(org) = self.store.org(o).await? {
                names.insert(o.to_string(), org.name);
            }
        }
        if !locations.is_empty() {
            for l in self.store.locations(park).await? {
                if locations.contains(&l.id) {
                    names.insert(l.id.to_string(), l.name);
                }
            }
        }
        Ok(names)
    }

    async fn check_input(
        &self,
        p: &Principal,
        cycle: Cycle,
        default_method: Method,
        input: &CalibrationInput,
        today: NaiveDate,
    ) -> Result<Checked, AppError> {
        let mut errors = Vec::new();
        let method = match input.method.trim() {
            "" => default_method,
            m => Method::parse(m).unwrap_or_else(|| {
                errors.push(FieldError::new("method", "err-calibration-method"));
                default_method
            }),
        };
        let standard_name =
            text_field(&mut errors, "standard_name", &input.standard_name, true, 100, "err-required-100");
        let standard_certificate =
            text_field(&mut errors, "standard_certificate", &input.standard_certificate, false, 64, "err-too-long");
        let standard_valid_until = opt_date(&mut errors, "standard_valid_until", &input.standard_valid_until);
        let certificate_no =
            text_field(&mut errors, "certificate_no", &input.certificate_no, true, 64, "err-required-64");
        let performer_org_id = match input.performer_org.trim() {
            "" => None,
            t => match OrgId::parse(t) {
                Ok(id) => match self.store.org(id).await? {
                    Some(o) if o.park_id == p.park_id => Some(o),
                    _ => {
                        errors.push(FieldError::new("performer_org", "err-org"));
                        None
                    }
                },
                Err(_) => {
                    errors.push(FieldError::new("performer_org", "err-org"));
                    None
                }
            },
        };
        let typed = input.performer.trim();
        let performer = if typed.is_empty() {
            performer_org_id.as_ref().map(|o| o.name.clone()).unwrap_or_default()
        } else {
            typed.to_owned()
        };
        let performer = text_field(&mut errors, "performer", &performer, true, 100, "err-required-100");
        let performed_on = match input.performed_on.trim() {
            "" => {
                errors.push(FieldError::new("performed_on", "err-required"));
                None
            }
            t => opt_date(&mut errors, "performed_on", t),
        };
        let conclusion = Conclusion::parse(&input.conclusion);
        if conclusion.is_none() {
            errors.push(FieldError::new("conclusion", "err-calibration-conclusion"));
        }
        let points = parse_points(&mut errors, &input.points);
        let override_due = opt_date(&mut errors, "next_due", &input.next_due);
        let next_due_reason =
            text_field(&mut errors, "next_due_reason", &input.next_due_reason, false, 500, "err-too-long");
        let task_id = match input.task.trim() {
            "" => None,
            t => uuid::Uuid::parse_str(t).map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new("task", "err-calibration-task"));
                None
            }),
        };
        let note = text_field(&mut errors, "note", &input.note, false, 2000, "err-too-long");
        let (Some(performed_on), Some(conclusion)) = (performed_on, conclusion) else {
            return Err(AppError::Invalid(errors));
        };
        let computed_due = cal::next_due(performed_on, cycle, conclusion);
        let next_due = override_due.unwrap_or(computed_due);
        let facts = RecordFacts {
            performed: performed_on,
            standard_valid_until,
            conclusion,
            points: points.iter().map(|(_, p)| p.clone()).collect(),
            next_due,
            computed_due,
            due_reason: next_due_reason.clone(),
        };
        if let Err(found) = cal::check_record(&facts, today) {
            // The domain counts the points it was given; the form counts its rows.
            let row_of = |n: usize| points.get(n.saturating_sub(1)).map_or(n, |(row, _)| *row);
            errors.extend(found.into_iter().map(|e| match e {
                CalibrationError::PointOutOfTolerance { position } => {
                    domain_error(CalibrationError::PointOutOfTolerance { position: row_of(position) })
                }
                e => domain_error(e),
            }));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(Checked {
            method,
            standard_name,
            standard_certificate,
            standard_valid_until,
            certificate_no,
            performer,
            performer_org_id: performer_org_id.map(|o| o.id),
            performed_on,
            conclusion,
            points: points.into_iter().map(|(_, p)| p).collect(),
            computed_due,
            // The reason is kept only for a date that differs from the cycle's.
            next_due_reason: if next_due == computed_due { String::new() } else { next_due_reason },
            next_due,
            task_id,
            note,
        })
    }

    /// A named calibration task must be one of this CI's, visible to the caller.
    async fn check_task(&self, caller: &Caller, a: &AssetRecord, task: Option<uuid::Uuid>) -> Result<(), AppError> {
        let Some(task) = task else { return Ok(()) };
        match self.calibration_task(caller, TaskId::from_uuid(task)).await {
            Ok(t) if t.asset_id == a.id => Ok(()),
            Ok(_) | Err(AppError::NotFound | AppError::Forbidden { .. }) => {
                Err(AppError::field("task", "err-calibration-task"))
            }
            Err(e) => Err(e),
        }
    }

    /// Writes a version, the CI's status and, for a failure in force, the CI's fault, with
    /// their audit records, in one transaction.
    async fn write_version(
        &self,
        caller: &Caller,
        mut a: AssetRecord,
        rec: CalibrationRecord,
        existing: &[CalibrationRecord],
        action: &str,
    ) -> Result<RecordOutcome, AppError> {
        let now = rec.created_at;
        let mut all: Vec<CalibrationRecord> = existing.to_vec();
        all.push(rec.clone());
        let current = in_force(heads(&all)).cloned();
        let is_in_force = current.as_ref().is_some_and(|c| c.id == rec.id);
        let fault = is_in_force
            && rec.conclusion == Conclusion::Fail
            && asset::transition(a.state, LifecycleEvent::Fault).is_ok();
        let mut tx = self.store.begin().await?;
        let first = async {
            tx.insert_calibration(&rec).await.map_err(|e| match e {
                crate::StoreError::Conflict { .. } => AppError::Conflict("err-calibration-not-latest".to_owned()),
                e => e.into(),
            })?;
            // The schedules' calibration task it fulfils is done by this record, in this
            // transaction (unless the version corrected already named it).
            if let Some(task) = rec.task_id
                && !existing.iter().any(|r| Some(r.id) == rec.corrects_id && r.task_id == Some(task))
            {
                let record_ref = format!("calibration:{}", rec.id);
                self.complete_task_by_record(&mut *tx, caller, TaskId::from_uuid(task), &record_ref).await?;
            }
            Ok::<(), AppError>(())
        }
        .await;
        if let Err(e) = first {
            // Nothing is audited yet, so the commit refuses and rolls back at once: a refused
            // record (a concurrent correction, a task already done) must not leave its
            // transaction's locks to a lazy rollback.
            let _ = tx.commit().await;
            return Err(e);
        }
        if let Some(c) = &current {
            tx.put_calibration_status(&status_of(c, now)).await?;
        }
        tx.audit(
            caller.entry(
                action,
                "calibration",
                &rec.id.to_string(),
                Outcome::Success,
                record_detail(&rec, &a.code).to_string(),
            ),
            now,
        )
        .await?;
        if fault {
            let before = a.state;
            a.state = LifecycleState::Faulty;
            a.state_since = now;
            a.updated_at = now;
            tx.update_asset(&a).await?;
            let data = json!({ "calibration": rec.id.to_string(), "certificate_no": rec.certificate_no });
            let actor = caller.principal.as_ref().map_or_else(|| "system".to_owned(), |p| p.username.clone());
            tx.append_asset_event(&AssetEventRecord {
                asset_id: a.id,
                seq: 0,
                at: now,
                actor,
                kind: LifecycleEvent::Fault.code().to_owned(),
                from_state: before.code().to_owned(),
                to_state: LifecycleState::Faulty.code().to_owned(),
                note: format!("校准不合格（证书 {}，{}）", rec.certificate_no, date_text(rec.performed_on)),
                data: data.to_string(),
            })
            .await?;
            let detail = json!({
                "code": a.code, "event": "fault", "from": before.code(), "to": "faulty",
                "calibration": rec.id.to_string(),
            });
            tx.audit(
                caller.entry("asset.lifecycle", "asset", &a.id.to_string(), Outcome::Success, detail.to_string()),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(RecordOutcome { record: rec, in_force: is_in_force, fault_opened: fault })
    }

    /// Records a calibration of a CI (an original record, version 1). The next due date comes
    /// from the CI's own cycle (its `calibration_cycle` attribute, days) or else its class's,
    /// unless overridden with a reason. A failure that becomes the CI's
    /// record in force sets the CI faulty.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::CalibrationRecord`] on the CI;
    /// [`AppError::NotFound`] for a CI the caller cannot see; [`AppError::Invalid`] naming
    /// every refused field (the CI's class not calibrated among them).
    pub async fn record_calibration(
        &self,
        caller: &Caller,
        input: CalibrationInput,
    ) -> Result<RecordOutcome, AppError> {
        let p = caller.require_any(Capability::CalibrationRecord)?.clone();
        if input.asset.trim().is_empty() {
            return Err(AppError::field("asset", "err-calibration-asset"));
        }
        let a = match self.visible_asset(&p, &input.asset).await {
            Ok(a) => a,
            Err(AppError::NotFound) => return Err(AppError::field("asset", "err-calibration-asset")),
            Err(e) => return Err(e),
        };
        if !can_on(&p, Capability::CalibrationRecord, &a) {
            return Err(AppError::Forbidden { capability: Capability::CalibrationRecord });
        }
        let calibrated = self.calibrated(p.park_id).await?;
        let Some(class) = calibrated.get(&a.class) else {
            return Err(AppError::field("asset", "err-calibration-class"));
        };
        let cycle = cycle_of(&a, class);
        let now = self.clock.now();
        let c = self.check_input(&p, cycle, class.method, &input, day_of(now)).await?;
        self.check_task(caller, &a, c.task_id).await?;
        let id = CalibrationId::from_uuid(uuid::Uuid::now_v7());
        let rec = CalibrationRecord {
            id,
            park_id: a.park_id,
            asset_id: a.id,
            class: a.class.clone(),
            version: 1,
            root_id: id,
            corrects_id: None,
            correction_reason: String::new(),
            method: c.method,
            standard_name: c.standard_name,
            standard_certificate: c.standard_certificate,
            standard_valid_until: c.standard_valid_until,
            certificate_no: c.certificate_no,
            performer: c.performer,
            performer_org_id: c.performer_org_id,
            performed_on: c.performed_on,
            conclusion: c.conclusion,
            points: c.points.iter().map(point_record).collect(),
            cycle,
            computed_due: c.computed_due,
            next_due: c.next_due,
            next_due_reason: c.next_due_reason,
            task_id: c.task_id,
            note: c.note,
            created_by: p.username.clone(),
            created_at: now,
        };
        let existing = self.store.calibrations_of_asset(a.id).await?;
        self.write_version(caller, a, rec, &existing, "calibration.record").await
    }

    /// Corrects a record: a new version naming the newest one and why. The original stays as
    /// it was. The cycle of the original applies; the CI cannot change.
    ///
    /// # Errors
    /// [`AppError::Invalid`] without a reason or for refused fields; [`AppError::Conflict`]
    /// `err-calibration-not-latest` when `id` is not the newest version,
    /// `err-calibration-unchanged` when nothing would change; [`AppError::NotFound`],
    /// [`AppError::Forbidden`] as for recording.
    pub async fn correct_calibration(
        &self,
        caller: &Caller,
        id: CalibrationId,
        input: CalibrationInput,
        reason: &str,
    ) -> Result<RecordOutcome, AppError> {
        let p = caller.require_any(Capability::CalibrationRecord)?.clone();
        let old = self.store.calibration(id).await?.ok_or(AppError::NotFound)?;
        let a = self.visible_asset(&p, &old.asset_id.to_string()).await?;
        if !can_on(&p, Capability::CalibrationRecord, &a) {
            return Err(AppError::Forbidden { capability: Capability::CalibrationRecord });
        }
        let named = input.asset.trim();
        if !named.is_empty() && named != a.code && named != a.id.to_string() {
            return Err(AppError::field("asset", "err-calibration-asset-fixed"));
        }
        let mut errors = Vec::new();
        let reason = text_field(&mut errors, "reason", reason, true, 500, "err-calibration-reason");
        let cycle = old.cycle;
        let now = self.clock.now();
        let c = match self.check_input(&p, cycle, old.method, &input, day_of(now)).await {
            Ok(c) if errors.is_empty() => c,
            Ok(_) => return Err(AppError::Invalid(errors)),
            Err(AppError::Invalid(more)) => {
                errors.extend(more);
                return Err(AppError::Invalid(errors));
            }
            Err(e) => return Err(e),
        };
        let existing = self.store.calibrations_of_asset(a.id).await?;
        if existing.iter().any(|r| r.corrects_id == Some(old.id)) {
            return Err(AppError::Conflict("err-calibration-not-latest".to_owned()));
        }
        let new_id = CalibrationId::from_uuid(uuid::Uuid::now_v7());
        let rec = CalibrationRecord {
            id: new_id,
            park_id: old.park_id,
            asset_id: old.asset_id,
            class: old.class.clone(),
            version: old.version + 1,
            root_id: old.root_id,
            corrects_id: Some(old.id),
            correction_reason: reason,
            method: c.method,
            standard_name: c.standard_name,
            standard_certificate: c.standard_certificate,
            standard_valid_until: c.standard_valid_until,
            certificate_no: c.certificate_no,
            performer: c.performer,
            performer_org_id: c.performer_org_id,
            performed_on: c.performed_on,
            conclusion: c.conclusion,
            points: c.points.iter().map(point_record).collect(),
            cycle: old.cycle,
            computed_due: c.computed_due,
            next_due: c.next_due,
            next_due_reason: c.next_due_reason,
            task_id: c.task_id,
            note: c.note,
            created_by: p.username.clone(),
            created_at: now,
        };
        if rec.task_id != old.task_id {
            self.check_task(caller, &a, rec.task_id).await?;
        }
        if substance(&rec) == substance(&old) {
            return Err(AppError::Conflict("err-calibration-unchanged".to_owned()));
        }
        self.write_version(caller, a, rec, &existing, "calibration.correct").await
    }

    /// Attaches a file (a certificate scan, ≤ 10 MiB) to a record version, kept with its SHA-256.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an empty, too large or badly named file; otherwise as for
    /// correcting.
    pub async fn attach_to_calibration(
        &self,
        caller: &Caller,
        id: CalibrationId,
        name: &str,
        content_type: &str,
        data: &[u8],
    ) -> Result<CalibrationAttachment, AppError> {
        let p = caller.require_any(Capability::CalibrationRecord)?.clone();
        let rec = self.store.calibration(id).await?.ok_or(AppError::NotFound)?;
        let a = self.visible_asset(&p, &rec.asset_id.to_string()).await?;
        if !can_on(&p, Capability::CalibrationRecord, &a) {
            return Err(AppError::Forbidden { capability: Capability::CalibrationRecord });
        }
        let name: String =
            name.rsplit(['/', '\\']).next().unwrap_or("").chars().filter(|c| !c.is_control()).take(120).collect();
        if name.trim().is_empty() || data.is_empty() || data.len() > MAX_ATTACHMENT {
            return Err(AppError::field("file", "err-attachment"));
        }
        let now = self.clock.now();
        let att = CalibrationAttachment {
            id: uuid::Uuid::now_v7(),
            record_id: rec.id,
            name,
            content_type: if content_type.trim().is_empty() {
                "application/octet-stream".into()
            } else {
                content_type.chars().take(100).collect()
            },
            size: i64::try_from(data.len()).unwrap_or(i64::MAX),
            sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(data)),
            created_by: p.username.clone(),
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_calibration_attachment(&att, data).await?;
        let detail = json!({
            "record": rec.id.to_string(), "asset": a.code, "name": att.name, "size": att.size, "sha256": att.sha256,
        });
        tx.audit(
            caller.entry(
                "calibration.attach",
                "calibration",
                &rec.id.to_string(),
                Outcome::Success,
                detail.to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(att)
    }

    /// An attachment with its content, if the caller may see its CI.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn calibration_attachment(
        &self,
        caller: &Caller,
        id: uuid::Uuid,
    ) -> Result<(CalibrationAttachment, Vec<u8>), AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        let (att, data) = self.store.calibration_attachment_data(id).await?.ok_or(AppError::NotFound)?;
        let rec = self.store.calibration(att.record_id).await?.ok_or(AppError::NotFound)?;
        self.visible_asset(&p, &rec.asset_id.to_string()).await?;
        Ok((att, data))
    }

    /// A record with every version (any version's id), its CI and attachments.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a record whose CI the caller cannot see.
    pub async fn calibration_detail(&self, caller: &Caller, id: CalibrationId) -> Result<CalibrationDetail, AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        let rec = self.store.calibration(id).await?.ok_or(AppError::NotFound)?;
        let a = self.visible_asset(&p, &rec.asset_id.to_string()).await?;
        let versions = self.store.calibration_versions(rec.root_id).await?;
        let ids: Vec<CalibrationId> = versions.iter().map(|v| v.id).collect();
        let attachments = self.store.calibration_attachments(&ids).await?;
        let status = self.store.calibration_status(a.id).await?;
        let head = versions.last().map(|v| v.id);
        let orgs: Vec<OrgId> = versions.iter().filter_map(|v| v.performer_org_id).collect();
        let names = self.names_for(p.park_id, [&a], orgs, [rec.class.clone()]).await?;
        Ok(CalibrationDetail {
            in_force: status.as_ref().is_some_and(|s| Some(s.record_id) == head),
            can_correct: can_on(&p, Capability::CalibrationRecord, &a),
            asset: a,
            versions,
            attachments,
            status,
            names,
        })
    }

    fn record_filter(p: &Principal, q: &RegisterQuery) -> Result<RecordFilter, AppError> {
        let mut errors = Vec::new();
        let org_scope = org_scope(p, Capability::AssetView)?;
        let mut id = |text: &str, field: &'static str| match text.trim() {
            "" => None,
            t => OrgId::parse(t).map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new(field, "err-org"));
                None
            }),
        };
        let enterprise = id(&q.enterprise, "enterprise");
        let zone = match q.zone.trim() {
            "" => None,
            t => LocationId::parse(t).map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new("zone", "err-asset-location"));
                None
            }),
        };
        let asset = match q.asset.trim() {
            "" => None,
            t => AssetId::parse(t).map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new("asset", "err-calibration-asset"));
                None
            }),
        };
        let conclusion = match q.conclusion.trim() {
            "" => None,
            t => Conclusion::parse(t).or_else(|| {
                errors.push(FieldError::new("conclusion", "err-calibration-conclusion"));
                None
            }),
        };
        let method = match q.method.trim() {
            "" => None,
            t => Method::parse(t).or_else(|| {
                errors.push(FieldError::new("method", "err-calibration-method"));
                None
            }),
        };
        let from = opt_date(&mut errors, "from", &q.from);
        let until = opt_date(&mut errors, "until", &q.until);
        let text = text_field(&mut errors, "q", &q.text, false, 100, "err-too-long");
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(RecordFilter {
            park_id: Some(p.park_id),
            asset,
            classes: Some(q.class.trim()).filter(|c| !c.is_empty()).map(str::to_owned).into_iter().collect(),
            enterprise,
            zone,
            site: None,
            conclusion,
            method,
            from,
            until,
            org_scope,
            text: (!text.is_empty()).then_some(text),
        })
    }

    async fn register_rows(&self, page: Page<HeadRecord>, today: NaiveDate) -> Result<Page<RegisterRow>, AppError> {
        let ids: Vec<AssetId> = page.items.iter().map(|h| h.record.asset_id).collect();
        let by_id: BTreeMap<AssetId, AssetRecord> =
            self.store.assets_by_ids(&ids).await?.into_iter().map(|a| (a.id, a)).collect();
        let items = page
            .items
            .into_iter()
            .map(|head| RegisterRow {
                asset: by_id.get(&head.record.asset_id).cloned(),
                due: head.in_force.then(|| cal::due_state(Some(head.record.next_due), today)),
                head,
            })
            .collect();
        Ok(Page { items, total: page.total, request: page.request })
    }

    /// One page of the register: the newest version of each record matching the query, newest
    /// performed first, with the CI and, for records in force, its due state.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AssetView`]; [`AppError::Invalid`] for a
    /// malformed filter.
    pub async fn calibration_register(
        &self,
        caller: &Caller,
        query: &RegisterQuery,
        page: PageRequest,
    ) -> Result<RegisterList, AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        let filter = Self::record_filter(&p, query)?;
        let heads = self.store.calibration_heads(&filter, page).await?;
        let rows = self.register_rows(heads, day_of(self.clock.now())).await?;
        let assets: Vec<&AssetRecord> = rows.items.iter().filter_map(|r| r.asset.as_ref()).collect();
        let orgs: Vec<OrgId> = rows.items.iter().filter_map(|r| r.head.record.performer_org_id).collect();
        let classes: Vec<String> = rows.items.iter().map(|r| r.head.record.class.clone()).collect();
        let names = self.names_for(p.park_id, assets, orgs, classes).await?;
        Ok(RegisterList { page: rows, names })
    }

    /// Every line of the register matching the query (up to 10,000), for export; the export
    /// itself is recorded.
    ///
    /// # Errors
    /// As [`App::calibration_register`].
    pub async fn calibration_register_export(
        &self,
        caller: &Caller,
        query: &RegisterQuery,
    ) -> Result<RegisterList, AppError> {
        let list = self.calibration_register(caller, query, PageRequest { page: 1, per_page: EXPORT_MAX }).await?;
        self.record_export(caller, "register", list.page.items.len()).await?;
        Ok(list)
    }

    async fn record_export(&self, caller: &Caller, list: &str, rows: usize) -> Result<(), AppError> {
        let mut tx = self.store.begin().await?;
        let detail = json!({ "list": list, "rows": rows });
        tx.audit(
            caller.entry("calibration.export", "calibration", "", Outcome::Success, detail.to_string()),
            self.clock.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn due_filter(&self, p: &Principal, q: &DueQuery, today: NaiveDate) -> Result<DueFilter, AppError> {
        let mut errors = Vec::new();
        let org_scope = org_scope(p, Capability::AssetView)?;
        let calibrated = self.calibrated(p.park_id).await?;
        let classes: Vec<String> = match q.class.trim() {
            "" => calibrated.keys().cloned().collect(),
            c if calibrated.contains_key(c) => vec![c.to_owned()],
            _ => {
                errors.push(FieldError::new("class", "err-calibration-class"));
                Vec::new()
            }
        };
        let enterprise = match q.enterprise.trim() {
            "" => None,
            t => OrgId::parse(t).map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new("enterprise", "err-org"));
                None
            }),
        };
        let zone = match q.zone.trim() {
            "" => None,
            t => LocationId::parse(t).map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new("zone", "err-asset-location"));
                None
            }),
        };
        let soon = today + chrono::Duration::days(cal::DUE_SOON_DAYS);
        let (include_never, due_from, due_until) = match q.status.trim() {
            "" | "overdue" => (true, None, Some(today - chrono::Duration::days(1))),
            "due_soon" => (false, Some(today), Some(soon)),
            "all" => (true, None, Some(soon)),
            _ => {
                errors.push(FieldError::new("status", "err-calibration-status"));
                (true, None, None)
            }
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(DueFilter {
            park_id: Some(p.park_id),
            classes,
            states: MEASURING.to_vec(),
            enterprise,
            zone,
            site: None,
            org_scope,
            include_never,
            due_from,
            due_until,
        })
    }

    /// The overdue list (default), the due-soon list or both: CIs of calibrated classes that
    /// measure (trial run, in service) whose latest valid record is past due — or that were
    /// never calibrated — or falls due within 30 days; with counts per enterprise and class.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AssetView`]; [`AppError::Invalid`] for a
    /// malformed filter.
    pub async fn calibration_due(
        &self,
        caller: &Caller,
        query: &DueQuery,
        page: PageRequest,
    ) -> Result<DueList, AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        let today = day_of(self.clock.now());
        let filter = self.due_filter(&p, query, today).await?;
        let counts = self
            .store
            .calibration_due_counts(&filter, today, today + chrono::Duration::days(cal::DUE_SOON_DAYS))
            .await?;
        let rows = self.store.calibration_due(&filter, page).await?;
        let items = rows
            .items
            .into_iter()
            .map(|row| DueItem { state: cal::due_state(row.status.as_ref().map(|s| s.next_due), today), row })
            .collect();
        let page = Page { items, total: rows.total, request: rows.request };
        let assets: Vec<&AssetRecord> = page.items.iter().map(|i| &i.row.asset).collect();
        let orgs: Vec<OrgId> = counts.iter().filter_map(|c| c.enterprise).collect();
        let classes: Vec<String> =
            counts.iter().map(|c| c.class.clone()).chain(filter.classes.iter().cloned()).collect();
        let names = self.names_for(p.park_id, assets, orgs, classes).await?;
        Ok(DueList { counts, page, names, today })
    }

    /// Every CI of a due list (up to 10,000), for export; the export itself is recorded.
    ///
    /// # Errors
    /// As [`App::calibration_due`].
    pub async fn calibration_due_export(&self, caller: &Caller, query: &DueQuery) -> Result<DueList, AppError> {
        let list = self.calibration_due(caller, query, PageRequest { page: 1, per_page: EXPORT_MAX }).await?;
        self.record_export(caller, "due", list.page.items.len()).await?;
        Ok(list)
    }

    /// A CI's calibrations, for the CI's own page: its status, where it stands today, and every
    /// version of every record.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a CI the caller cannot see.
    pub async fn calibrations_of(&self, caller: &Caller, asset: AssetId) -> Result<CalibrationHistory, AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        let a = self.visible_asset(&p, &asset.to_string()).await?;
        let status = self.store.calibration_status(a.id).await?;
        let calibrated = self.calibrated(p.park_id).await?.contains_key(&a.class);
        let today = day_of(self.clock.now());
        Ok(CalibrationHistory {
            state: calibrated.then(|| cal::due_state(status.as_ref().map(|s| s.next_due), today)),
            status,
            records: self.store.calibrations_of_asset(a.id).await?,
        })
    }

    /// The cycle of every calibrated (or once calibrated) class, with the stored versions.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AssetView`].
    pub async fn calibration_cycles(&self, caller: &Caller) -> Result<CycleSettings, AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        let classes: Vec<(String, String)> =
            self.assets().classes(caller).await?.into_iter().map(|c| (c.code, c.name)).collect();
        let name_of: BTreeMap<&str, &str> = classes.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
        let cycles = self
            .cycles_in_force(p.park_id)
            .await?
            .into_values()
            .map(|(cycle, rec)| CycleView {
                class_name: name_of.get(cycle.class.as_str()).map_or_else(|| cycle.class.clone(), |n| (*n).to_owned()),
                version: rec.as_ref().map_or(0, |r| r.version),
                updated_by: rec.as_ref().map(|r| r.created_by.clone()).unwrap_or_default(),
                updated_at: rec.as_ref().map(|r| r.created_at),
                cycle,
            })
            .collect();
        Ok(CycleSettings {
            cycles,
            history: self.store.calibration_cycles(p.park_id).await?,
            can_edit: p.scope_of(Capability::AssetManage) == Some(Scope::Park),
            classes,
        })
    }

    /// Stores a new version of a class's cycle (park-wide register keepers only). A version
    /// that changes nothing writes nothing and returns the one in force.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without park-wide [`Capability::AssetManage`];
    /// [`AppError::Invalid`] for an unknown class, a cycle outside 1–120 months, an unknown
    /// method, or text too long.
    pub async fn set_calibration_cycle(&self, caller: &Caller, input: CycleInput) -> Result<CycleView, AppError> {
        let p = caller.require_any(Capability::AssetManage)?.clone();
        if p.scope_of(Capability::AssetManage) != Some(Scope::Park) {
            return Err(AppError::Forbidden { capability: Capability::AssetManage });
        }
        let classes = self.assets().classes(caller).await?;
        let mut errors = Vec::new();
        let class = classes.iter().find(|c| c.code == input.class.trim());
        if class.is_none() {
            errors.push(FieldError::new("class", "err-calibration-cycle-class"));
        }
        let months = input.cycle_months.trim().parse::<u32>().ok().filter(|m| Cycle::months(*m).is_some());
        if months.is_none() {
            errors.push(FieldError::new("cycle_months", "err-calibration-cycle").arg("max", cal::MAX_CYCLE_MONTHS));
        }
        let method = Method::parse(&input.method);
        if method.is_none() {
            errors.push(FieldError::new("method", "err-calibration-method"));
        }
        let basis = text_field(&mut errors, "basis", &input.basis, false, 100, "err-too-long");
        let note = text_field(&mut errors, "note", &input.note, false, 500, "err-too-long");
        let (Some(class), Some(months), Some(method), true) = (class, months, method, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let current = self.cycles_in_force(p.park_id).await?.remove(&class.code);
        let wanted = ClassCycle { class: class.code.clone(), enabled: input.enabled, months, method, basis };
        let now = self.clock.now();
        let version = match &current {
            Some((c, rec)) if *c == wanted => {
                return Ok(CycleView {
                    cycle: c.clone(),
                    class_name: class.name.clone(),
                    version: rec.as_ref().map_or(0, |r| r.version),
                    updated_by: rec.as_ref().map(|r| r.created_by.clone()).unwrap_or_default(),
                    updated_at: rec.as_ref().map(|r| r.created_at),
                });
            }
            Some((_, Some(rec))) => rec.version + 1,
            Some((_, None)) | None => 1,
        };
        let rec = CycleRecord {
            park_id: p.park_id,
            class: wanted.class.clone(),
            version,
            enabled: wanted.enabled,
            cycle_months: i64::from(months),
            method,
            basis: wanted.basis.clone(),
            note,
            created_by: p.username.clone(),
            created_at: now,
        };
        let before = current.map(
            |(c, _)| json!({ "enabled": c.enabled, "months": c.months, "method": c.method.code(), "basis": c.basis }),
        );
        let detail = json!({
            "class": rec.class, "version": version, "enabled": rec.enabled, "months": rec.cycle_months,
            "method": method.code(), "basis": rec.basis, "note": rec.note, "before": before,
        });
        let mut tx = self.store.begin().await?;
        tx.insert_calibration_cycle(&rec).await?;
        tx.audit(
            caller.entry(
                "calibration.cycle_update",
                "calibration_cycle",
                &rec.class,
                Outcome::Success,
                detail.to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(CycleView {
            cycle: wanted,
            class_name: class.name.clone(),
            version,
            updated_by: p.username,
            updated_at: Some(now),
        })
    }

    /// The people a CI's reminder goes to (see the module documentation).
    async fn recipients(&self, a: &AssetRecord, cache: &mut RecipientCache) -> Result<BTreeSet<UserId>, AppError> {
        let RecipientCache { owners, by_org, fallback } = cache;
        let mut to = BTreeSet::new();
        if let Some(owner) = a.owner_user_id {
            if let std::collections::btree_map::Entry::Vacant(slot) = owners.entry(owner) {
                let active = self.store.user(owner).await?.filter(|u| u.is_active && u.park_id == a.park_id);
                slot.insert(active.is_some());
            }
            if owners.get(&owner) == Some(&true) {
                to.insert(owner);
            }
        }
        let groups = [
            (a.enterprise_org_id, &[Post::Manager, Post::Technician, Post::Operator][..]),
            (a.maintainer_org_id, &[Post::Manager, Post::SupplierEngineer][..]),
        ];
        for (org, posts) in groups {
            let Some(org) = org else { continue };
            if let std::collections::btree_map::Entry::Vacant(slot) = by_org.entry(org) {
                let filter = UserFilter {
                    park_id: Some(a.park_id),
                    org_id: Some(org),
                    active: Some(true),
                    ..UserFilter::default()
                };
                slot.insert(self.store.users(&filter, PageRequest { page: 1, per_page: 200 }).await?.items);
            }
            let members = by_org.get(&org).map_or(&[][..], Vec::as_slice);
            to.extend(members.iter().filter(|u| posts.iter().any(|p| u.posts.contains(p))).map(|u| u.id));
        }
        if to.is_empty() {
            if fallback.is_none() {
                let filter = UserFilter {
                    park_id: Some(a.park_id),
                    post: Some(Post::Manager),
                    active: Some(true),
                    ..UserFilter::default()
                };
                let mut ids = Vec::new();
                for u in self.store.users(&filter, PageRequest { page: 1, per_page: 200 }).await?.items {
                    if self.store.org(u.org_id).await?.is_some_and(|o| !o.org_type.is_external()) {
                        ids.push(u.id);
                    }
                }
                *fallback = Some(ids);
            }
            to.extend(fallback.iter().flatten().copied());
        }
        Ok(to)
    }

    /// The daily reminder (idempotent): for every CI of a calibrated class that measures, once
    /// when it falls due within 30 days and once when it is overdue (or was never calibrated),
    /// never twice for the same due date, its owners get an in-app notification. Each reminder
    /// is written with its notifications and an audit record in one transaction.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn notify_calibration_due(&self) -> Result<NoticeReport, AppError> {
        let caller = Caller::system();
        let now = self.clock.now();
        let today = day_of(now);
        let mut report = NoticeReport::default();
        for park in self.store.parks().await? {
            let calibrated = self.calibrated(park.id).await?;
            if calibrated.is_empty() {
                continue;
            }
            let filter = DueFilter {
                park_id: Some(park.id),
                classes: calibrated.keys().cloned().collect(),
                states: MEASURING.to_vec(),
                include_never: true,
                due_until: Some(today + chrono::Duration::days(cal::DUE_SOON_DAYS)),
                ..DueFilter::default()
            };
            let names = self.names_for(park.id, [], [], calibrated.keys().cloned()).await?;
            let mut cache = RecipientCache::default();
            let mut page = 1;
            loop {
                let rows = self.store.calibration_due(&filter, PageRequest { page, per_page: 200 }).await?;
                let n = rows.items.len();
                let ids: Vec<AssetId> = rows.items.iter().map(|r| r.asset.id).collect();
                let sent: BTreeSet<(AssetId, NoticeKind, String)> = self
                    .store
                    .calibration_notices(&ids)
                    .await?
                    .into_iter()
                    .map(|n| (n.asset_id, n.kind, n.due_key))
                    .collect();
                // What this page has to say, looked up before any transaction starts.
                let mut pending = Vec::new();
                for row in rows.items {
                    let due = row.status.as_ref().map(|s| s.next_due);
                    let state = cal::due_state(due, today);
                    let Some(kind) = state.notice() else { continue };
                    let due_key = due.map_or_else(|| "never".to_owned(), date_text);
                    if sent.contains(&(row.asset.id, kind, due_key.clone())) {
                        continue;
                    }
                    let to = self.recipients(&row.asset, &mut cache).await?;
                    let class = names.get(&row.asset.class).cloned().unwrap_or_else(|| row.asset.class.clone());
                    pending.push((row, kind, due_key, state, class, to));
                }
                if !pending.is_empty() {
                    // One transaction per page: each reminder with its audit record, and the
                    // notifications they call for (outbox: written with their cause).
                    let mut tx = self.store.begin().await?;
                    let mut page_report = NoticeReport::default();
                    let written = async {
                        let mut inbox: BTreeMap<(UserId, NoticeKind), Vec<Message>> = BTreeMap::new();
                        for (row, kind, due_key, state, class, to) in &pending {
                            let notice = Notice { row, kind: *kind, due_key, state: *state, class, to };
                            if let Some(message) = Self::write_notice(&mut *tx, &caller, &notice, now).await? {
                                match kind {
                                    NoticeKind::Overdue => page_report.overdue += 1,
                                    NoticeKind::DueSoon => page_report.due_soon += 1,
                                }
                                for user in to {
                                    inbox.entry((*user, *kind)).or_default().push(message.clone());
                                }
                            }
                        }
                        if !inbox.is_empty() {
                            page_report.notifications += Self::deliver_notices(&mut *tx, park.id, inbox, now).await?;
                        }
                        Ok::<bool, AppError>(page_report.overdue + page_report.due_soon > 0)
                    }
                    .await;
                    match written {
                        Ok(true) => {
                            tx.commit().await?;
                            report.overdue += page_report.overdue;
                            report.due_soon += page_report.due_soon;
                            report.notifications += page_report.notifications;
                        }
                        // Nothing new after all (another run got there first): with nothing
                        // audited the commit refuses and rolls back at once, rather than
                        // leaving the transaction's locks to a lazy rollback.
                        Ok(false) => {
                            let _ = tx.commit().await;
                        }
                        // A storage failure part-way: dropped, never committed half-written.
                        Err(e) => {
                            drop(tx);
                            return Err(e);
                        }
                    }
                }
                if n < 200 {
                    break;
                }
                page += 1;
            }
        }
        Ok(report)
    }

    /// Writes one reminder (unless it exists) with its audit record in `tx`; returns the
    /// message it calls for, or none when it was already there.
    async fn write_notice(
        tx: &mut dyn Tx,
        caller: &Caller,
        n: &Notice<'_>,
        now: Timestamp,
    ) -> Result<Option<Message>, AppError> {
        let a = &n.row.asset;
        let notice = NoticeRecord {
            park_id: a.park_id,
            asset_id: a.id,
            kind: n.kind,
            due_key: n.due_key.to_owned(),
            recipients: i64::try_from(n.to.len()).unwrap_or(i64::MAX),
            created_at: now,
        };
        if !tx.insert_calibration_notice(&notice).await? {
            // Another run got there first.
            return Ok(None);
        }
        let detail = json!({ "code": a.code, "kind": n.kind.code(), "due": n.due_key, "recipients": n.to.len() });
        tx.audit(
            caller.entry("calibration.notify", "asset", &a.id.to_string(), Outcome::Success, detail.to_string()),
            now,
        )
        .await?;
        let (class, due_key) = (n.class, n.due_key);
        let title = match n.kind {
            NoticeKind::Overdue => format!("计量校准逾期：{} {}", a.code, a.name),
            NoticeKind::DueSoon => format!("计量校准即将到期：{} {}", a.code, a.name),
        };
        let body = match n.state {
            DueState::Never => format!("{class}「{}」尚无校准记录，请尽快安排校准。", a.code),
            DueState::Overdue { days } => format!("{class}「{}」应于 {due_key} 前完成校准，已逾期 {days} 天。", a.code),
            DueState::DueSoon { days } | DueState::Valid { days } => {
                format!("{class}「{}」将于 {due_key} 到期（剩余 {days} 天），请安排校准。", a.code)
            }
        };
        Ok(Some(Message { code: a.code.clone(), title, body }))
    }

    /// Writes the notifications of one transaction's reminders: each person gets one message
    /// per CI, or, past [`DIGEST_FROM`] CIs of one kind, one digest naming them. Returns how
    /// many notifications were written.
    async fn deliver_notices(
        tx: &mut dyn Tx,
        park: ParkId,
        inbox: BTreeMap<(UserId, NoticeKind), Vec<Message>>,
        now: Timestamp,
    ) -> Result<u32, AppError> {
        let mut written = 0;
        for ((user, kind), messages) in inbox {
            let event = match kind {
                NoticeKind::Overdue => "calibration_overdue",
                NoticeKind::DueSoon => "calibration_due_soon",
            };
            let out = if messages.len() > DIGEST_FROM {
                let shown: Vec<&str> = messages.iter().take(20).map(|m| m.code.as_str()).collect();
                let more = if messages.len() > shown.len() { " 等" } else { "" };
                let title = match kind {
                    NoticeKind::Overdue => format!("计量校准逾期：{} 台设备", messages.len()),
                    NoticeKind::DueSoon => format!("计量校准即将到期：{} 台设备", messages.len()),
                };
                vec![Message {
                    code: String::new(),
                    title,
                    body: format!("{}{more}，详见逾期清单。", shown.join("、")),
                }]
            } else {
                messages
            };
            let inbox: Vec<NotificationRecord> = out
                .into_iter()
                .map(|m| NotificationRecord {
                    id: uuid::Uuid::now_v7(),
                    park_id: park,
                    user_id: user,
                    ticket_id: None,
                    event: event.to_owned(),
                    level: String::new(),
                    title: m.title,
                    body: m.body,
                    created_at: now,
                    read_at: None,
                })
                .collect();
            tx.insert_notifications(&inbox).await?;
            written += u32::try_from(inbox.len()).unwrap_or(u32::MAX);
        }
        Ok(written)
    }

    /// The enterprises of the caller's park (id, name), for filters.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AssetView`].
    pub async fn calibration_enterprises(&self, caller: &Caller) -> Result<Vec<(OrgId, String)>, AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        let filter = OrgFilter {
            park_id: Some(p.park_id),
            org_type: Some("enterprise".to_owned()),
            only: org_scope(&p, Capability::AssetView)?,
            ..OrgFilter::default()
        };
        let mut out = Vec::new();
        for page in 1.. {
            let items = self.store.orgs(&filter, PageRequest { page, per_page: 200 }).await?.items;
            let n = items.len();
            out.extend(items.into_iter().map(|o| (o.id, o.name)));
            if n < 200 {
                break;
            }
        }
        Ok(out)
    }

    /// Organisations that may perform calibrations (suppliers, product vendors, the service
    /// organisation), for the form's choice.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::CalibrationRecord`].
    pub async fn calibration_performers(&self, caller: &Caller) -> Result<Vec<(OrgId, String)>, AppError> {
        let p = caller.require_any(Capability::CalibrationRecord)?.clone();
        let mut out = Vec::new();
        for org_type in ["product_vendor", "service_organisation"] {
            let filter =
                OrgFilter { park_id: Some(p.park_id), org_type: Some(org_type.to_owned()), ..OrgFilter::default() };
            let items = self.store.orgs(&filter, PageRequest { page: 1, per_page: 200 }).await?.items;
            out.extend(items.into_iter().filter(|o| o.is_active).map(|o| (o.id, o.name)));
        }
        Ok(out)
    }

    /// The zones of the caller's park (id, name), for filters.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AssetView`].
    pub async fn calibration_zones(&self, caller: &Caller) -> Result<Vec<(LocationId, String)>, AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        Ok(self
            .store
            .locations(p.park_id)
            .await?
            .into_iter()
            .filter(|l| l.level == asset::LocationLevel::Zone)
            .map(|l| (l.id, l.name))
            .collect())
    }

    /// The calibrated classes of the caller's park (code, name), for filters and the form.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AssetView`].
    pub async fn calibrated_classes(&self, caller: &Caller) -> Result<Vec<(String, String, ClassCycle)>, AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        let calibrated = self.calibrated(p.park_id).await?;
        let names = self.names_for(p.park_id, [], [], calibrated.keys().cloned()).await?;
        Ok(calibrated
            .into_iter()
            .map(|(code, c)| {
                let name = names.get(&code).cloned().unwrap_or_else(|| code.clone());
                (code, name, c)
            })
            .collect())
    }

    /// The demo park's calibration register: an original record for every CI of a calibrated
    /// class whose register entry names its last verification (`last_verification`, with
    /// `certificate_no` and `next_verification` when given), so the overdue list matches the
    /// register (the demo's 25 detectors overdue, the rest valid). Written in batches, each with
    /// one audit record; does nothing once the park has any calibration record. Returns the
    /// records written.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn load_demo_calibrations(&self, caller: &Caller, park: ParkId) -> Result<usize, AppError> {
        let any = RecordFilter { park_id: Some(park), ..RecordFilter::default() };
        if self.store.calibration_heads(&any, PageRequest { page: 1, per_page: 1 }).await?.total > 0 {
            return Ok(0);
        }
        let calibrated = self.calibrated(park).await?;
        let filter = DueFilter {
            park_id: Some(park),
            classes: calibrated.keys().cloned().collect(),
            include_never: true,
            ..DueFilter::default()
        };
        let all = self.store.calibration_due(&filter, PageRequest { page: 1, per_page: 100_000 }).await?;
        let mut orgs: BTreeMap<OrgId, String> = BTreeMap::new();
        let by = caller.principal.as_ref().map_or_else(|| "system".to_owned(), |p| p.username.clone());
        let now = self.clock.now();
        let mut records = Vec::new();
        for row in all.items {
            let a = row.asset;
            let (Some(class), Some(last)) =
                (calibrated.get(&a.class), a.attributes.get("last_verification").and_then(|d| parse_date(d)))
            else {
                continue;
            };
            let performer = match a.maintainer_org_id {
                Some(o) => {
                    if let std::collections::btree_map::Entry::Vacant(slot) = orgs.entry(o) {
                        slot.insert(self.store.org(o).await?.map(|x| x.name).unwrap_or_default());
                    }
                    orgs.get(&o).cloned().unwrap_or_default()
                }
                None => String::new(),
            };
            let cycle = cycle_of(&a, class);
            let computed_due = cal::next_due(last, cycle, Conclusion::Pass);
            let stated = a.attributes.get("next_verification").and_then(|d| parse_date(d));
            let (next_due, next_due_reason) = match stated {
                Some(d) if d != computed_due && d >= last => (d, "按检定/校准证书有效期".to_owned()),
                _ => (computed_due, String::new()),
            };
            let standard = match (a.class.as_str(), a.attributes.get("gas_kind").map(String::as_str)) {
                ("gas_detector", Some("有毒")) => "硫化氢标准气体 25 μmol/mol",
                ("gas_detector", Some("氧气")) => "氧中氮标准气体 18 %VOL",
                ("gas_detector", _) => "甲烷标准气体 50 %LEL",
                ("water_analyzer", _) => "水质标准样品（国家有证）",
                ("flowmeter", _) => "标准流量装置",
                _ => "有证标准气体",
            };
            let id = CalibrationId::from_uuid(uuid::Uuid::now_v7());
            records.push(CalibrationRecord {
                id,
                park_id: park,
                asset_id: a.id,
                class: a.class.clone(),
                version: 1,
                root_id: id,
                corrects_id: None,
                correction_reason: String::new(),
                method: class.method,
                standard_name: standard.to_owned(),
                standard_certificate: String::new(),
                standard_valid_until: None,
                certificate_no: a
                    .attributes
                    .get("certificate_no")
                    .cloned()
                    .unwrap_or_else(|| format!("DEMO-{}", a.code)),
                performer: if performer.is_empty() { "江滨市计量检定测试院".to_owned() } else { performer },
                performer_org_id: a.maintainer_org_id,
                performed_on: last,
                conclusion: Conclusion::Pass,
                points: Vec::new(),
                cycle,
                computed_due,
                next_due,
                next_due_reason,
                task_id: None,
                note: String::new(),
                created_by: by.clone(),
                created_at: now,
            });
        }
        for batch in records.chunks(500) {
            let mut tx = self.store.begin().await?;
            for r in batch {
                tx.insert_calibration(r).await?;
                tx.put_calibration_status(&status_of(r, now)).await?;
            }
            let detail = json!({ "demo": true, "records": batch.len() });
            tx.audit(caller.entry("calibration.import", "calibration", "", Outcome::Success, detail.to_string()), now)
                .await?;
            tx.commit().await?;
        }
        Ok(records.len())
    }

    /// The measured points of a stored record as the domain sees them (for pages that show
    /// whether each point is within its allowed error).
    #[must_use]
    pub fn calibration_points(record: &CalibrationRecord) -> Vec<MeasuredPoint> {
        record.points.iter().map(measured).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: u128, performed: &str, version: i64, corrects: Option<u128>, at: i64) -> CalibrationRecord {
        let id_of = |n: u128| CalibrationId::from_uuid(uuid::Uuid::from_u128(n));
        CalibrationRecord {
            id: id_of(id),
            park_id: ParkId::from_uuid(uuid::Uuid::from_u128(1)),
            asset_id: AssetId::from_uuid(uuid::Uuid::from_u128(2)),
            class: "gas_detector".into(),
            version,
            root_id: id_of(id),
            corrects_id: corrects.map(id_of),
            correction_reason: String::new(),
            method: Method::ValueTransfer,
            standard_name: "甲烷标准气体".into(),
            standard_certificate: String::new(),
            standard_valid_until: None,
            certificate_no: "JD-1".into(),
            performer: "市计量院".into(),
            performer_org_id: None,
            performed_on: parse_date(performed).expect("date"),
            conclusion: Conclusion::Pass,
            points: Vec::new(),
            cycle: Cycle::Months(12),
            computed_due: parse_date(performed).expect("date"),
            next_due: parse_date(performed).expect("date"),
            next_due_reason: String::new(),
            task_id: None,
            note: String::new(),
            created_by: "t".into(),
            created_at: Timestamp::from_millis(at),
        }
    }

    #[test]
    fn the_record_in_force_is_the_newest_version_of_the_record_performed_last() {
        let original = rec(10, "2025-03-01", 1, None, 1);
        let later = rec(20, "2025-09-01", 1, None, 2);
        // A correction moves the later record's date before the first: the first is in force.
        let corrected = rec(21, "2025-02-01", 2, Some(20), 3);
        let all = vec![original.clone(), later.clone()];
        assert_eq!(in_force(heads(&all)).map(|r| r.id), Some(later.id));
        let all = vec![original.clone(), later, corrected];
        let h = heads(&all);
        assert_eq!(h.len(), 2, "the corrected version is no head");
        assert_eq!(in_force(h).map(|r| r.id), Some(original.id));
    }

    #[test]
    fn blank_point_rows_are_ignored_and_bad_ones_named_by_position() {
        let mut errors = Vec::new();
        let input = vec![
            PointInput { nominal: "0".into(), reading: "0.5".into(), error: String::new(), allowed: "3".into() },
            PointInput::default(),
            PointInput { nominal: "50".into(), reading: "五十".into(), error: String::new(), allowed: String::new() },
            PointInput { nominal: "50".into(), reading: "50".into(), error: String::new(), allowed: "-1".into() },
        ];
        let points: Vec<MeasuredPoint> = parse_points(&mut errors, &input).into_iter().map(|(_, p)| p).collect();
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].error.to_string(), "0.5");
        let positions: Vec<_> = errors.iter().map(|e| e.args[0].1.clone()).collect();
        assert_eq!(positions, vec!["3", "4"]);
        assert_eq!(point_record(&points[0]).allowed, "3");
        assert_eq!(measured(&point_record(&points[0])), points[0]);
    }
}
