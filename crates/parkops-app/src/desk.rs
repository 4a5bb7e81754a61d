//! The service desk: opening tickets (staff and the reporter portal), the lifecycle
//! with its timeline, SLA clocks on the working calendar with warning at 80 % and escalation
//! at 100 % (once each), support lines, progress lookup by number, ratings, statistics.
//!
//! Every change writes the ticket, its timeline entry, any notifications (outbox) and its
//! audit record in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate, NaiveTime};
use parkops_domain::access::{Capability, Post, Principal, Scope};
use parkops_domain::asset::AssetId;
use parkops_domain::audit::Outcome;
use parkops_domain::calendar::{WorkingCalendar, YearSchedule};
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::sla::{ClockState, Coverage, Pause, SlaClock, SlaPolicy, Target as SlaTarget};
use parkops_domain::ticket::{
    self, BusinessDomain, HandlingMode, Level, Priority, Rating, SupportLine, TicketAction, TicketKind, TicketState,
    WaitingOn,
};
use parkops_domain::time::Timestamp;
use serde_json::{Value, json};

use crate::ports::desk::{
    AttachmentRecord, CalendarRecord, NotificationRecord, SupportLineRecord, TicketEvent, TicketFilter, TicketId,
    TicketRecord,
};
use crate::ports::{Page, PageRequest, Tx, UserFilter};
use crate::{App, AppError, Caller, FieldError};

/// The desk's configuration in force: SLA targets, calendar, automatic close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskConfig {
    /// SLA policy version (0 = the built-in default).
    pub version: i64,
    /// Targets.
    pub sla: SlaPolicy,
    /// Working calendar.
    pub calendar: WorkingCalendar,
    /// Resolved tickets close by themselves after this long without the reporter's answer.
    pub auto_close: Duration,
}

/// A new ticket as submitted (form or API).
#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    /// Kind code.
    pub kind: String,
    /// Level code.
    pub level: String,
    /// Priority code; empty for the level's default.
    pub priority: String,
    /// Business-domain code.
    pub domain: String,
    /// Handling-mode code; empty for remote.
    pub handling_mode: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Reporter name for an outside contact (staff registering a call); empty for oneself.
    pub reporter_name: String,
    /// Reporter phone.
    pub reporter_phone: String,
    /// Enterprise organisation id, if any.
    pub enterprise_org_id: String,
    /// Location.
    pub location: String,
    /// Affected system or asset, as free text.
    pub affected: String,
    /// Code of the CI in the asset register, if the reporter knows it (empty: none).
    pub asset_code: String,
}

/// A validated ticket for [`App::open_ticket_in`]: what the opener decided; numbering, SLA
/// targets and due times come from the desk.
#[derive(Debug, Clone)]
pub(crate) struct TicketDraft {
    pub(crate) park_id: ParkId,
    pub(crate) kind: TicketKind,
    pub(crate) level: Level,
    pub(crate) priority: Priority,
    pub(crate) domain: BusinessDomain,
    pub(crate) handling_mode: HandlingMode,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) reporter_user_id: Option<UserId>,
    pub(crate) reporter_name: String,
    pub(crate) reporter_phone: String,
    pub(crate) enterprise_org_id: Option<OrgId>,
    pub(crate) location: String,
    pub(crate) affected: String,
    pub(crate) asset_id: Option<AssetId>,
}

/// What opening a ticket reads before the writer gate ([`App::open_ticket_in`]).
struct TicketOpening {
    cfg: DeskConfig,
    park_code: String,
    first_line: BTreeSet<UserId>,
}

/// One SLA clock as shown to people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockView {
    /// Target.
    pub target: Duration,
    /// Elapsed service time.
    pub elapsed: Duration,
    /// Percent of the target.
    pub percent: i64,
    /// Due instant, or None while paused or stopped.
    pub due: Option<Timestamp>,
    /// Whether the clock still runs (not met yet).
    pub running: bool,
}

/// A ticket with everything its page shows.
#[derive(Debug, Clone)]
pub struct TicketDetail {
    /// The ticket.
    pub ticket: TicketRecord,
    /// Timeline.
    pub events: Vec<TicketEvent>,
    /// Pauses.
    pub pauses: Vec<Pause>,
    /// Attachments.
    pub attachments: Vec<AttachmentRecord>,
    /// Response clock.
    pub response: ClockView,
    /// Resolution clock.
    pub resolve: ClockView,
}

/// What a reporter or outside contact may see of a ticket when looking it up by number.
#[derive(Debug, Clone)]
pub struct PublicTicket {
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Level.
    pub level: Level,
    /// State code.
    pub state: &'static str,
    /// Opened.
    pub created_at: Timestamp,
    /// Resolution due, if running.
    pub resolve_due_at: Option<Timestamp>,
    /// Progress: time, kind and public note of each step (internal comments left out).
    pub steps: Vec<(Timestamp, String, String)>,
}

/// What the SLA watcher did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchReport {
    /// Warnings raised.
    pub warnings: u32,
    /// Breaches raised (each escalating one line).
    pub breaches: u32,
}

/// Desk statistics for a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeskStats {
    /// Open tickets by level.
    pub open_by_level: Vec<(Level, i64)>,
    /// Tickets opened in the period by level.
    pub opened_by_level: Vec<(Level, i64)>,
    /// Attainment by level: (level, responded in time %, resolved in time %, count).
    pub attainment_by_level: Vec<(Level, f64, f64, i64)>,
    /// Attainment by support line.
    pub attainment_by_line: Vec<(SupportLine, f64, f64, i64)>,
    /// Attainment by the assignee's organisation (team or supplier): (name, response %, resolve %, count).
    pub attainment_by_org: Vec<(String, f64, f64, i64)>,
    /// Mean time to acknowledge, minutes.
    pub mtta_minutes: f64,
    /// Mean time to resolve, minutes.
    pub mttr_minutes: f64,
    /// Mean satisfaction, 1–5 (0 when unrated).
    pub satisfaction: f64,
    /// Tickets opened per day in the period: (date, count).
    pub per_day: Vec<(NaiveDate, i64)>,
}

fn parse_or<T>(
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
    field: &'static str,
    key: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let v = parse(value.trim());
    if v.is_none() {
        errors.push(FieldError::new(field, key));
    }
    v
}

fn policy_to_json(p: &SlaPolicy, cal: &WorkingCalendar, auto_close: Duration) -> Value {
    let targets: serde_json::Map<String, Value> = p
        .targets
        .iter()
        .map(|(l, t)| {
            (
                l.code().to_owned(),
                json!({ "response_minutes": t.response.num_minutes(), "resolve_minutes": t.resolve.num_minutes(), "coverage": t.coverage.code() }),
            )
        })
        .collect();
    json!({
        "targets": targets, "warn_percent": p.warn_percent,
        "day_start": cal.day_start.format("%H:%M").to_string(), "day_end": cal.day_end.format("%H:%M").to_string(),
        "auto_close_hours": auto_close.num_hours(),
    })
}

/// Reads a policy document; every field is checked and refused with its own message.
///
/// # Errors
/// The refused fields.
pub fn policy_from_json(v: &Value) -> Result<(SlaPolicy, NaiveTime, NaiveTime, Duration), Vec<FieldError>> {
    let mut errors = Vec::new();
    let defaults = SlaPolicy::default();
    let mut targets = BTreeMap::new();
    for &level in Level::ALL {
        let d = defaults.target(level);
        let t = &v["targets"][level.code()];
        let minutes = |k: &str, dflt: Duration| t.get(k).and_then(Value::as_i64).map_or(dflt, Duration::minutes);
        let coverage = t.get("coverage").and_then(Value::as_str).map_or(Some(d.coverage), Coverage::parse);
        let target = SlaTarget {
            response: minutes("response_minutes", d.response),
            resolve: minutes("resolve_minutes", d.resolve),
            coverage: coverage.unwrap_or(d.coverage),
        };
        if coverage.is_none() {
            errors.push(FieldError::new("coverage", "err-sla-coverage").arg("level", level.code()));
        }
        if target.response <= Duration::zero()
            || target.resolve < target.response
            || target.resolve > Duration::days(365)
        {
            errors.push(FieldError::new("targets", "err-sla-target").arg("level", level.code()));
        }
        targets.insert(level, target);
    }
    let warn = v.get("warn_percent").and_then(Value::as_u64).map_or(80, |n| u32::try_from(n).unwrap_or(0));
    if !(1..=99).contains(&warn) {
        errors.push(FieldError::new("warn_percent", "err-sla-warn"));
    }
    let time = |k: &str, dflt: NaiveTime| match v.get(k).and_then(Value::as_str) {
        None => Some(dflt),
        Some(s) => NaiveTime::parse_from_str(s, "%H:%M").ok(),
    };
    let default_cal = WorkingCalendar::default();
    let (start, end) = (time("day_start", default_cal.day_start), time("day_end", default_cal.day_end));
    let (start, end) = match (start, end) {
        (Some(a), Some(b)) if a < b => (a, b),
        _ => {
            errors.push(FieldError::new("day_start", "err-sla-hours"));
            (default_cal.day_start, default_cal.day_end)
        }
    };
    let auto_close = v.get("auto_close_hours").and_then(Value::as_i64).unwrap_or(72);
    if !(1..=24 * 30).contains(&auto_close) {
        errors.push(FieldError::new("auto_close_hours", "err-sla-auto-close"));
    }
    if errors.is_empty() {
        Ok((SlaPolicy { targets, warn_percent: warn }, start, end, Duration::hours(auto_close)))
    } else {
        Err(errors)
    }
}

/// A calendar year's schedule as JSON.
fn schedule_json(s: &YearSchedule) -> Value {
    let dates = |d: &BTreeSet<NaiveDate>| d.iter().map(|x| x.format("%Y-%m-%d").to_string()).collect::<Vec<_>>();
    json!({ "holidays": dates(&s.holidays), "makeup_days": dates(&s.makeup_days) })
}

fn schedule_from_json(v: &Value) -> Option<YearSchedule> {
    let dates = |k: &str| -> Option<BTreeSet<NaiveDate>> {
        v.get(k)?
            .as_array()?
            .iter()
            .map(|d| d.as_str().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()))
            .collect()
    };
    Some(YearSchedule { holidays: dates("holidays")?, makeup_days: dates("makeup_days")? })
}

/// Parses a list of dates written one per line or separated by commas or spaces.
///
/// # Errors
/// The first text that is not a `YYYY-MM-DD` date.
pub fn parse_dates(text: &str) -> Result<BTreeSet<NaiveDate>, String> {
    text.split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| s.to_owned()))
        .collect()
}

fn clock<'a>(cal: &'a WorkingCalendar, t: &TicketRecord, target_ms: i64, pauses: &'a [Pause]) -> SlaClock<'a> {
    SlaClock {
        calendar: cal,
        coverage: Coverage::parse(&t.coverage).unwrap_or(Coverage::TwentyFourSeven),
        target: Duration::milliseconds(target_ms),
        started: t.created_at,
        pauses,
    }
}

fn due_of(c: &SlaClock<'_>, now: Timestamp) -> Option<Timestamp> {
    match c.state(now) {
        ClockState::Running { due } => Some(due),
        ClockState::Paused => None,
    }
}

fn actor(caller: &Caller) -> String {
    caller.principal.as_ref().map_or_else(
        || if caller.ip == "system" { "system".to_owned() } else { "portal".to_owned() },
        |p| p.username.clone(),
    )
}

fn ticket_detail_json(t: &TicketRecord) -> Value {
    json!({
        "number": t.number, "kind": t.kind.code(), "level": t.level.code(), "state": ticket::state_code(&t.state),
        "line": t.line.code(), "assignee": t.assignee_user_id.map(|u| u.to_string()), "title": t.title,
    })
}

impl App {
    /// The desk configuration in force (defaults until something is stored).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn desk_config(&self) -> Result<DeskConfig, AppError> {
        let mut calendar = WorkingCalendar::default();
        let (version, sla, auto_close) = match self.store.sla_policy().await? {
            Some((version, body)) => {
                let parsed = serde_json::from_str::<Value>(&body).ok().and_then(|v| policy_from_json(&v).ok());
                match parsed {
                    Some((sla, start, end, auto)) => {
                        calendar.day_start = start;
                        calendar.day_end = end;
                        (version, sla, auto)
                    }
                    None => (version, SlaPolicy::default(), Duration::hours(72)),
                }
            }
            None => (0, SlaPolicy::default(), Duration::hours(72)),
        };
        for c in self.store.calendars().await? {
            if let (Ok(year), Some(s)) = (
                i32::try_from(c.year),
                serde_json::from_str::<Value>(&c.body).ok().and_then(|v| schedule_from_json(&v)),
            ) {
                calendar.years.insert(year, s);
            }
        }
        Ok(DeskConfig { version, sla, calendar, auto_close })
    }

    /// The principal if it may run the whole park's desk (SLA targets, calendar, lines,
    /// closing outright): management scope over the park, not one organisation.
    pub(crate) fn require_desk_manager(caller: &Caller) -> Result<&Principal, AppError> {
        let p = caller.principal()?;
        if p.scope_of(Capability::TicketManage) == Some(Scope::Park) {
            Ok(p)
        } else {
            Err(AppError::Forbidden { capability: Capability::TicketManage })
        }
    }

    fn can_see_ticket(p: &Principal, t: &TicketRecord, assignee_org: Option<OrgId>) -> bool {
        if p.park_id != t.park_id {
            return false;
        }
        match p.scope_of(Capability::TicketView) {
            Some(Scope::Park) => true,
            Some(Scope::OwnOrganisation) if assignee_org == Some(p.org_id) => true,
            _ => p.has(Capability::TicketReport) && t.reporter_user_id == Some(p.user_id),
        }
    }

    fn can_work_ticket(p: &Principal, t: &TicketRecord, assignee_org: Option<OrgId>) -> bool {
        p.park_id == t.park_id
            && match p.scope_of(Capability::TicketWork) {
                Some(Scope::Park) => true,
                Some(Scope::OwnOrganisation) => assignee_org == Some(p.org_id),
                None => false,
            }
    }

    async fn assignee_org(&self, t: &TicketRecord) -> Result<Option<OrgId>, AppError> {
        Ok(match t.assignee_user_id {
            Some(u) => self.store.user(u).await?.map(|u| u.org_id),
            None => None,
        })
    }

    /// A ticket the caller may see (otherwise "not found", so numbers leak nothing).
    async fn visible_ticket(&self, caller: &Caller, id: TicketId) -> Result<TicketRecord, AppError> {
        let p = caller.principal()?;
        let t = self.store.ticket(id).await?.ok_or(AppError::NotFound)?;
        let org = self.assignee_org(&t).await?;
        if Self::can_see_ticket(p, &t, org) { Ok(t) } else { Err(AppError::NotFound) }
    }

    async fn workable_ticket(&self, caller: &Caller, id: TicketId) -> Result<TicketRecord, AppError> {
        let t = self.visible_ticket(caller, id).await?;
        let org = self.assignee_org(&t).await?;
        if Self::can_work_ticket(caller.principal()?, &t, org) {
            Ok(t)
        } else {
            Err(AppError::Forbidden { capability: Capability::TicketWork })
        }
    }

    /// Opens a ticket. Staff may register one for an outside contact; a reporter opens their own.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming every refused field; nothing is stored then.
    pub async fn open_ticket(&self, caller: &Caller, input: NewTicket) -> Result<TicketRecord, AppError> {
        let p = caller.require_any(Capability::TicketReport)?.clone();
        let mut errors = Vec::new();
        let kind = parse_or(&input.kind, TicketKind::parse, "kind", "err-ticket-kind", &mut errors);
        let level = parse_or(&input.level, Level::parse, "level", "err-ticket-level", &mut errors);
        let domain = parse_or(&input.domain, BusinessDomain::parse, "domain", "err-ticket-domain", &mut errors);
        let handling = if input.handling_mode.trim().is_empty() {
            Some(HandlingMode::Remote)
        } else {
            parse_or(&input.handling_mode, HandlingMode::parse, "handling_mode", "err-ticket-mode", &mut errors)
        };
        let priority = if input.priority.trim().is_empty() {
            level.map(Level::default_priority)
        } else {
            parse_or(&input.priority, Priority::parse, "priority", "err-ticket-priority", &mut errors)
        };
        let title = input.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > 100 {
            errors.push(FieldError::new("title", "err-required-100"));
        }
        if input.description.chars().count() > 5000 {
            errors.push(FieldError::new("description", "err-too-long").arg("max", 5000));
        }
        for (field, value, max) in [
            ("location", &input.location, 100),
            ("affected", &input.affected, 100),
            ("reporter_name", &input.reporter_name, 50),
        ] {
            if value.chars().count() > max {
                errors.push(FieldError::new(field, "err-too-long").arg("max", max));
            }
        }
        let phone = input.reporter_phone.trim();
        if phone.chars().count() > 30 || !phone.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c)) {
            errors.push(FieldError::new("reporter_phone", "err-phone"));
        }
        // Staff (who may see the desk) can register a call from an outside contact.
        let for_other = !input.reporter_name.trim().is_empty() && p.has(Capability::TicketView);
        if for_other && phone.is_empty() {
            errors.push(FieldError::new("reporter_phone", "err-ticket-phone-needed"));
        }
        let enterprise = if input.enterprise_org_id.trim().is_empty() {
            None
        } else {
            match OrgId::parse(input.enterprise_org_id.trim()) {
                Ok(id) if self.store.org(id).await?.is_some_and(|o| o.park_id == p.park_id) => Some(id),
                _ => {
                    errors.push(FieldError::new("enterprise_org_id", "err-org"));
                    None
                }
            }
        };
        let asset = if input.asset_code.trim().is_empty() {
            None
        } else {
            let found = self.store.asset_by_code(p.park_id, input.asset_code.trim()).await?;
            if found.is_none() {
                errors.push(FieldError::new("asset_code", "err-ticket-asset"));
            }
            found.map(|a| a.id)
        };
        let (Some(kind), Some(level), Some(domain), Some(handling), Some(priority)) =
            (kind, level, domain, handling, priority)
        else {
            return Err(AppError::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let enterprise =
            enterprise.or_else(|| (p.org_type == parkops_domain::org::OrgType::Enterprise).then_some(p.org_id));
        let draft = TicketDraft {
            park_id: p.park_id,
            kind,
            level,
            priority,
            domain,
            handling_mode: handling,
            title,
            description: input.description.trim().to_owned(),
            reporter_user_id: if for_other { None } else { Some(p.user_id) },
            reporter_name: if for_other { input.reporter_name.trim().to_owned() } else { p.display_name.clone() },
            reporter_phone: if for_other || !phone.is_empty() { phone.to_owned() } else { p.phone.clone() },
            enterprise_org_id: enterprise,
            location: input.location.trim().to_owned(),
            affected: input.affected.trim().to_owned(),
            asset_id: asset,
        };
        // What numbering and the due times need is read before the writer gate is taken.
        let opening = self.ticket_opening(draft.park_id, draft.level).await?;
        let mut tx = self.store.begin().await?;
        let t = self.open_ticket_with(&mut *tx, caller, draft, &opening).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// What opening a ticket of `level` in `park` reads: the desk configuration, the park's
    /// code, and for severe and fatal tickets the first line to tell.
    async fn ticket_opening(&self, park: ParkId, level: Level) -> Result<TicketOpening, AppError> {
        let cfg = self.desk_config().await?;
        let code = self.store.parks().await?.into_iter().find(|x| x.id == park).ok_or(AppError::NotFound)?.code;
        let mut first_line = BTreeSet::new();
        if matches!(level, Level::Fatal | Level::Severe) {
            let lines = self.store.support_lines(park).await?;
            if let Some(l1) = lines.iter().find(|l| l.line == SupportLine::L1) {
                first_line.extend(l1.lead_user_id);
                first_line.extend(l1.members.iter().copied());
            }
        }
        Ok(TicketOpening { cfg, park_code: code, first_line })
    }

    /// Opens a validated ticket inside the caller's transaction: numbers it, sets its SLA due
    /// times from the targets in force, writes the first timeline entry, tells the first line
    /// of severe and fatal ones and appends the `ticket.open` record. Other use cases (a failed
    /// inspection item, an alert) open their tickets through it in their own transaction.
    ///
    /// # Errors
    /// [`AppError::Unavailable`]; [`AppError::NotFound`] for an unknown park.
    pub(crate) async fn open_ticket_in(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        d: TicketDraft,
    ) -> Result<TicketRecord, AppError> {
        let opening = self.ticket_opening(d.park_id, d.level).await?;
        self.open_ticket_with(tx, caller, d, &opening).await
    }

    async fn open_ticket_with(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        d: TicketDraft,
        opening: &TicketOpening,
    ) -> Result<TicketRecord, AppError> {
        let cfg = &opening.cfg;
        let target = cfg.sla.target(d.level);
        let now = self.clock.now();
        let cst = now.to_cst();
        let day_start = Timestamp::from_millis(
            cst.date_naive().and_time(NaiveTime::MIN).and_utc().timestamp_millis() - 8 * 3_600_000,
        );
        let day = cst.format("%Y%m%d").to_string();
        let mut t = TicketRecord {
            id: uuid::Uuid::now_v7(),
            park_id: d.park_id,
            number: String::new(),
            kind: d.kind,
            level: d.level,
            priority: d.priority,
            domain: d.domain,
            handling_mode: d.handling_mode,
            line: SupportLine::L1,
            title: d.title,
            description: d.description,
            reporter_user_id: d.reporter_user_id,
            reporter_name: d.reporter_name,
            reporter_phone: d.reporter_phone,
            enterprise_org_id: d.enterprise_org_id,
            location: d.location,
            affected: d.affected,
            asset_id: d.asset_id,
            assignee_user_id: None,
            state: TicketState::New,
            sla_version: cfg.version,
            response_target_ms: target.response.num_milliseconds(),
            resolve_target_ms: target.resolve.num_milliseconds(),
            coverage: target.coverage.code().to_owned(),
            response_due_at: None,
            resolve_due_at: None,
            acknowledged_at: None,
            resolved_at: None,
            sla_flags: [false; 4],
            rating: None,
            rating_comment: String::new(),
            created_by: actor(caller),
            created_at: now,
            updated_at: now,
        };
        t.response_due_at = due_of(&clock(&cfg.calendar, &t, t.response_target_ms, &[]), now);
        t.resolve_due_at = due_of(&clock(&cfg.calendar, &t, t.resolve_target_ms, &[]), now);
        let n = tx.next_ticket_number(t.park_id, &day, day_start).await?;
        t.number = format!("{}{day}{n:04}", opening.park_code);
        tx.insert_ticket(&t).await?;
        // A new ticket's timeline starts at 1 (no need to look up the last entry).
        let first = TicketEvent {
            ticket_id: t.id,
            seq: 1,
            at: now,
            actor: actor(caller),
            kind: "created".to_owned(),
            from_state: String::new(),
            to_state: "new".to_owned(),
            note: t.description.chars().take(500).collect(),
        };
        tx.append_ticket_event(&first).await?;
        // The first line hears of severe and fatal tickets at once.
        if matches!(t.level, Level::Fatal | Level::Severe) {
            self.notify(tx, &t, &opening.first_line, "ticket_opened", now).await?;
        }
        tx.audit(
            caller.entry(
                "ticket.open",
                "ticket",
                &t.id.to_string(),
                Outcome::Success,
                ticket_detail_json(&t).to_string(),
            ),
            now,
        )
        .await?;
        Ok(t)
    }

    #[allow(clippy::too_many_arguments, reason = "a timeline entry has this many parts")]
    async fn event(
        &self,
        tx: &mut dyn Tx,
        t: &TicketRecord,
        caller: &Caller,
        kind: &str,
        from: &str,
        to: &str,
        note: &str,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let e = TicketEvent {
            ticket_id: t.id,
            seq: 0,
            at: now,
            actor: actor(caller),
            kind: kind.to_owned(),
            from_state: from.to_owned(),
            to_state: to.to_owned(),
            note: note.to_owned(),
        };
        tx.append_ticket_event(&e).await?;
        Ok(())
    }

    async fn notify(
        &self,
        tx: &mut dyn Tx,
        t: &TicketRecord,
        to: &BTreeSet<UserId>,
        event: &str,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let inbox: Vec<NotificationRecord> = to
            .iter()
            .map(|user| NotificationRecord {
                id: uuid::Uuid::now_v7(),
                park_id: t.park_id,
                user_id: *user,
                ticket_id: Some(t.id),
                event: event.to_owned(),
                level: t.level.code().to_owned(),
                title: format!("[{}] {}", t.number, t.title),
                body: format!("{} · {} · {}", event, t.level.code(), ticket::state_code(&t.state)),
                created_at: now,
                read_at: None,
            })
            .collect();
        tx.insert_notifications(&inbox).await?;
        self.queue_for_channels(tx, t, event, now).await
    }

    /// Applies a lifecycle action (acknowledge, start, wait, resume, resolve, confirm, close, reopen).
    ///
    /// # Errors
    /// [`AppError::Conflict`] (`err-ticket-transition`) when the state does not allow it;
    /// [`AppError::Forbidden`] when the caller may not.
    pub async fn ticket_action(
        &self,
        caller: &Caller,
        id: TicketId,
        action: &str,
        waiting_on: &str,
        note: &str,
    ) -> Result<TicketRecord, AppError> {
        let action = match action {
            "acknowledge" => TicketAction::Acknowledge,
            "start" => TicketAction::Start,
            "wait" => TicketAction::Wait {
                on: WaitingOn::parse(waiting_on)
                    .ok_or_else(|| AppError::field("waiting_on", "err-ticket-waiting-on"))?,
            },
            "resume" => TicketAction::Resume,
            "resolve" => TicketAction::Resolve,
            "confirm" => TicketAction::Confirm,
            "close" => TicketAction::Close,
            "reopen" => TicketAction::Reopen,
            _ => return Err(AppError::field("action", "err-ticket-action")),
        };
        if note.chars().count() > 2000 {
            return Err(AppError::Invalid(vec![FieldError::new("note", "err-too-long").arg("max", 2000)]));
        }
        let p = caller.principal()?.clone();
        let t = self.visible_ticket(caller, id).await?;
        let org = self.assignee_org(&t).await?;
        // The reporter confirms or reopens their own ticket; everything else is desk work,
        // and closing outright is for the desk's management.
        let own = t.reporter_user_id == Some(p.user_id);
        let allowed = match action {
            TicketAction::Confirm => own || Self::can_work_ticket(&p, &t, org),
            TicketAction::Reopen => own || Self::can_work_ticket(&p, &t, org),
            TicketAction::Close => p.scope_of(Capability::TicketManage) == Some(Scope::Park) && p.park_id == t.park_id,
            _ => Self::can_work_ticket(&p, &t, org),
        };
        if !allowed {
            return Err(AppError::Forbidden { capability: Capability::TicketWork });
        }
        if matches!(action, TicketAction::Reopen) && note.trim().is_empty() {
            return Err(AppError::field("note", "err-ticket-reason"));
        }
        self.apply(caller, t, &action, note).await
    }

    async fn apply(
        &self,
        caller: &Caller,
        mut t: TicketRecord,
        action: &TicketAction,
        note: &str,
    ) -> Result<TicketRecord, AppError> {
        let now = self.clock.now();
        let cfg = self.desk_config().await?;
        let before = t.state.clone();
        let next = ticket::transition(&t.state, action, now)
            .map_err(|e| AppError::Conflict(format!("err-ticket-transition:{}:{}", e.state, e.action)))?;
        let mut pauses = self.store.ticket_pauses(t.id).await?;
        let mut tx = self.store.begin().await?;
        // Any action on a new ticket is its first response.
        if t.acknowledged_at.is_none() && !matches!(next, TicketState::New) {
            t.acknowledged_at = Some(now);
            t.response_due_at = None;
            let response = clock(&cfg.calendar, &t, t.response_target_ms, &[]);
            if response.percent(now) >= 100 {
                t.sla_flags[1] = true;
            }
        }
        match (&before, &next) {
            (_, TicketState::Waiting { .. }) => {
                tx.start_pause(t.id, now).await?;
                pauses.push(Pause { start: now, end: None });
            }
            (TicketState::Waiting { .. }, _) => {
                tx.end_pause(t.id, now).await?;
                if let Some(last) = pauses.last_mut() {
                    last.end = Some(now);
                }
            }
            _ => {}
        }
        match &next {
            TicketState::Resolved { .. } => {
                t.resolved_at = Some(now);
                t.resolve_due_at = None;
                if clock(&cfg.calendar, &t, t.resolve_target_ms, &pauses).percent(now) >= 100 {
                    t.sla_flags[3] = true;
                }
            }
            TicketState::Closed { .. } => t.resolve_due_at = None,
            TicketState::InProgress if matches!(action, TicketAction::Reopen) => {
                // The time it stood resolved does not count against the desk.
                if let Some(resolved) = t.resolved_at.take() {
                    tx.start_pause(t.id, resolved).await?;
                    tx.end_pause(t.id, now).await?;
                    pauses.push(Pause { start: resolved, end: Some(now) });
                }
                t.resolve_due_at = due_of(&clock(&cfg.calendar, &t, t.resolve_target_ms, &pauses), now);
            }
            _ => t.resolve_due_at = due_of(&clock(&cfg.calendar, &t, t.resolve_target_ms, &pauses), now),
        }
        t.state = next;
        t.updated_at = now;
        tx.update_ticket(&t).await?;
        self.event(
            &mut *tx,
            &t,
            caller,
            action.code(),
            ticket::state_code(&before),
            ticket::state_code(&t.state),
            note,
            now,
        )
        .await?;
        if matches!(t.state, TicketState::Resolved { .. }) {
            let to: BTreeSet<UserId> = t.reporter_user_id.into_iter().collect();
            self.notify(&mut *tx, &t, &to, "ticket_resolved", now).await?;
        }
        let detail = json!({ "action": action.code(), "from": ticket::state_code(&before), "to": ticket::state_code(&t.state), "note": note });
        tx.audit(
            caller.entry(
                &format!("ticket.{}", action.code()),
                "ticket",
                &t.id.to_string(),
                Outcome::Success,
                detail.to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Assigns a ticket to a support line and, optionally, a person on it; `dispatch` marks
    /// an on-site dispatch.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an unknown line or a person not on it.
    pub async fn assign_ticket(
        &self,
        caller: &Caller,
        id: TicketId,
        line: &str,
        assignee: &str,
        note: &str,
        dispatch: bool,
    ) -> Result<TicketRecord, AppError> {
        let mut t = self.workable_ticket(caller, id).await?;
        let line = SupportLine::parse(line).ok_or_else(|| AppError::field("line", "err-ticket-line"))?;
        let assignee = if assignee.trim().is_empty() {
            None
        } else {
            let u = UserId::parse(assignee.trim()).map_err(|_| AppError::field("assignee", "err-ticket-assignee"))?;
            let user = self.store.user(u).await?.filter(|x| x.park_id == t.park_id && x.is_active);
            let Some(user) = user else { return Err(AppError::field("assignee", "err-ticket-assignee")) };
            let lines = self.store.support_lines(t.park_id).await?;
            let on_line = lines
                .iter()
                .any(|l| l.line == line && (l.members.contains(&user.id) || l.lead_user_id == Some(user.id)));
            let is_supplier = user.posts.contains(&Post::SupplierEngineer);
            if !on_line && !is_supplier {
                return Err(AppError::field("assignee", "err-ticket-not-on-line"));
            }
            Some(user.id)
        };
        if dispatch && t.handling_mode == HandlingMode::Remote {
            t.handling_mode = HandlingMode::Both;
        }
        let now = self.clock.now();
        let from = t.line.code().to_owned();
        t.line = line;
        t.assignee_user_id = assignee;
        t.updated_at = now;
        let mut tx = self.store.begin().await?;
        tx.update_ticket(&t).await?;
        let kind = if dispatch { "dispatch" } else { "assigned" };
        self.event(&mut *tx, &t, caller, kind, &from, line.code(), note, now).await?;
        let to: BTreeSet<UserId> = assignee.into_iter().collect();
        self.notify(&mut *tx, &t, &to, "ticket_assigned", now).await?;
        let detail = json!({ "line": line.code(), "assignee": assignee.map(|u| u.to_string()), "dispatch": dispatch, "note": note });
        tx.audit(caller.entry("ticket.assign", "ticket", &t.id.to_string(), Outcome::Success, detail.to_string()), now)
            .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Escalates by hand to the next support line, with a handover note.
    ///
    /// # Errors
    /// [`AppError::Conflict`] at the third line or on a closed ticket.
    pub async fn escalate_ticket(&self, caller: &Caller, id: TicketId, note: &str) -> Result<TicketRecord, AppError> {
        let t = self.workable_ticket(caller, id).await?;
        if !ticket::is_open(&t.state) {
            return Err(AppError::Conflict("err-ticket-not-open".into()));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let t = self
            .escalate_in(&mut *tx, caller, t, note, now)
            .await?
            .ok_or_else(|| AppError::Conflict("err-ticket-top-line".into()))?;
        tx.audit(
            caller.entry(
                "ticket.escalate",
                "ticket",
                &t.id.to_string(),
                Outcome::Success,
                json!({ "line": t.line.code(), "note": note }).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Moves a ticket one line up inside `tx`, notifying the new line; None at the top.
    async fn escalate_in(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        mut t: TicketRecord,
        note: &str,
        now: Timestamp,
    ) -> Result<Option<TicketRecord>, AppError> {
        let Some(next) = t.line.next() else { return Ok(None) };
        let from = t.line;
        t.line = next;
        t.assignee_user_id = None;
        t.updated_at = now;
        tx.update_ticket(&t).await?;
        self.event(tx, &t, caller, "escalated", from.code(), next.code(), note, now).await?;
        let lines = self.store.support_lines(t.park_id).await?;
        let to: BTreeSet<UserId> = lines
            .iter()
            .filter(|l| l.line == next)
            .flat_map(|l| l.lead_user_id.into_iter().chain(l.members.iter().copied()))
            .collect();
        self.notify(tx, &t, &to, "ticket_escalated", now).await?;
        Ok(Some(t))
    }

    /// Adds a comment, a handover note (between lines or shifts) or a dispatch note.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an empty or over-long note.
    pub async fn comment_ticket(&self, caller: &Caller, id: TicketId, kind: &str, note: &str) -> Result<(), AppError> {
        let t = self.visible_ticket(caller, id).await?;
        let kind = match kind {
            "comment" | "handover" => kind,
            _ => return Err(AppError::field("kind", "err-ticket-comment-kind")),
        };
        let p = caller.principal()?;
        let org = self.assignee_org(&t).await?;
        if !(Self::can_work_ticket(p, &t, org) || t.reporter_user_id == Some(p.user_id)) {
            return Err(AppError::Forbidden { capability: Capability::TicketWork });
        }
        if kind == "handover" && !Self::can_work_ticket(p, &t, org) {
            return Err(AppError::Forbidden { capability: Capability::TicketWork });
        }
        if note.trim().is_empty() || note.chars().count() > 2000 {
            return Err(AppError::field("note", "err-required-2000"));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let state = ticket::state_code(&t.state);
        self.event(&mut *tx, &t, caller, kind, state, state, note.trim(), now).await?;
        tx.audit(
            caller.entry(
                &format!("ticket.{kind}"),
                "ticket",
                &t.id.to_string(),
                Outcome::Success,
                json!({ "note": note.trim() }).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The reporter rates the service of a closed ticket, once.
    ///
    /// # Errors
    /// [`AppError::Conflict`] when not closed or already rated; [`AppError::Forbidden`] for anyone but the reporter.
    pub async fn rate_ticket(
        &self,
        caller: &Caller,
        id: TicketId,
        stars: i64,
        comment: &str,
    ) -> Result<TicketRecord, AppError> {
        let mut t = self.visible_ticket(caller, id).await?;
        if t.reporter_user_id != Some(caller.principal()?.user_id) {
            return Err(AppError::Forbidden { capability: Capability::TicketReport });
        }
        let rating = u8::try_from(stars)
            .ok()
            .and_then(Rating::new)
            .ok_or_else(|| AppError::field("rating", "err-ticket-rating"))?;
        if comment.chars().count() > 500 {
            return Err(AppError::Invalid(vec![FieldError::new("rating_comment", "err-too-long").arg("max", 500)]));
        }
        if !matches!(t.state, TicketState::Closed { .. }) || t.rating.is_some() {
            return Err(AppError::Conflict("err-ticket-rate-state".into()));
        }
        let now = self.clock.now();
        t.rating = Some(i64::from(rating.stars()));
        t.rating_comment = comment.trim().to_owned();
        t.updated_at = now;
        let mut tx = self.store.begin().await?;
        tx.update_ticket(&t).await?;
        self.event(
            &mut *tx,
            &t,
            caller,
            "rated",
            "closed",
            "closed",
            &format!("{}★ {}", rating.stars(), t.rating_comment),
            now,
        )
        .await?;
        tx.audit(
            caller.entry(
                "ticket.rate",
                "ticket",
                &t.id.to_string(),
                Outcome::Success,
                json!({ "stars": rating.stars(), "comment": t.rating_comment }).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Attaches a file (≤ 10 MiB), kept with its SHA-256.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an empty, too large or badly named file.
    pub async fn attach_to_ticket(
        &self,
        caller: &Caller,
        id: TicketId,
        name: &str,
        content_type: &str,
        data: &[u8],
    ) -> Result<AttachmentRecord, AppError> {
        let t = self.visible_ticket(caller, id).await?;
        let p = caller.principal()?;
        let org = self.assignee_org(&t).await?;
        if !(Self::can_work_ticket(p, &t, org) || t.reporter_user_id == Some(p.user_id)) {
            return Err(AppError::Forbidden { capability: Capability::TicketWork });
        }
        let name: String =
            name.rsplit(['/', '\\']).next().unwrap_or("").chars().filter(|c| !c.is_control()).take(120).collect();
        if name.trim().is_empty() || data.is_empty() || data.len() > 10 * 1024 * 1024 {
            return Err(AppError::field("file", "err-attachment"));
        }
        let now = self.clock.now();
        let rec = AttachmentRecord {
            id: uuid::Uuid::now_v7(),
            ticket_id: t.id,
            name,
            content_type: if content_type.is_empty() {
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
        tx.insert_attachment(&rec, data).await?;
        let state = ticket::state_code(&t.state);
        self.event(
            &mut *tx,
            &t,
            caller,
            "attachment",
            state,
            state,
            &format!("{} ({} B, sha256 {})", rec.name, rec.size, rec.sha256),
            now,
        )
        .await?;
        tx.audit(
            caller.entry(
                "ticket.attach",
                "ticket",
                &t.id.to_string(),
                Outcome::Success,
                json!({ "name": rec.name, "size": rec.size, "sha256": rec.sha256 }).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// An attachment's content, if the caller may see its ticket.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn attachment(&self, caller: &Caller, id: uuid::Uuid) -> Result<(AttachmentRecord, Vec<u8>), AppError> {
        let (rec, data) = self.store.attachment_data(id).await?.ok_or(AppError::NotFound)?;
        self.visible_ticket(caller, rec.ticket_id).await?;
        Ok((rec, data))
    }

    fn clock_view(
        cfg: &DeskConfig,
        t: &TicketRecord,
        target_ms: i64,
        pauses: &[Pause],
        stop: Option<Timestamp>,
        now: Timestamp,
    ) -> ClockView {
        let c = clock(&cfg.calendar, t, target_ms, pauses);
        let at = stop.unwrap_or(now);
        ClockView {
            target: c.target,
            elapsed: c.elapsed(at),
            percent: c.percent(at),
            due: if stop.is_some() { None } else { due_of(&c, now) },
            running: stop.is_none(),
        }
    }

    /// One ticket with its timeline, attachments and clocks.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when absent or not visible to the caller.
    pub async fn ticket_detail(&self, caller: &Caller, id: TicketId) -> Result<TicketDetail, AppError> {
        let ticket = self.visible_ticket(caller, id).await?;
        let cfg = self.desk_config().await?;
        let now = self.clock.now();
        let pauses = self.store.ticket_pauses(id).await?;
        let response = Self::clock_view(&cfg, &ticket, ticket.response_target_ms, &[], ticket.acknowledged_at, now);
        let stop = ticket.resolved_at.or(match ticket.state {
            TicketState::Closed { at, .. } => Some(at),
            _ => None,
        });
        let resolve = Self::clock_view(&cfg, &ticket, ticket.resolve_target_ms, &pauses, stop, now);
        // Handover notes and SLA entries are the desk's internal record; a reporter (who may
        // not see the desk) gets the rest of the timeline.
        let internal = !caller.principal()?.has(Capability::TicketView);
        let events = self
            .store
            .ticket_events(id)
            .await?
            .into_iter()
            .filter(|e| !(internal && matches!(e.kind.as_str(), "handover" | "sla_warning" | "sla_breach")))
            .collect();
        Ok(TicketDetail { events, attachments: self.store.attachments(id).await?, pauses, ticket, response, resolve })
    }

    /// Narrows a filter to what the caller may see.
    fn scoped(p: &Principal, mut f: TicketFilter) -> Result<TicketFilter, AppError> {
        f.park_id = Some(p.park_id);
        match p.scope_of(Capability::TicketView) {
            Some(Scope::Park) => {}
            Some(Scope::OwnOrganisation) => f.assignee_org = Some(p.org_id),
            None if p.has(Capability::TicketReport) => f.reporter = Some(p.user_id),
            None => return Err(AppError::Forbidden { capability: Capability::TicketView }),
        }
        Ok(f)
    }

    /// Tickets visible to the caller, open ones by the nearest due time first.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without a desk capability.
    pub async fn ticket_queue(
        &self,
        caller: &Caller,
        filter: TicketFilter,
        page: PageRequest,
    ) -> Result<Page<TicketRecord>, AppError> {
        let p = caller.principal()?;
        Ok(self.store.tickets(&Self::scoped(p, filter)?, page).await?)
    }

    /// Up to 100,000 tickets for an export; the export itself is recorded.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without a desk capability.
    pub async fn ticket_export(&self, caller: &Caller, filter: TicketFilter) -> Result<Vec<TicketRecord>, AppError> {
        let p = caller.principal()?;
        let rows = self.store.tickets_all(&Self::scoped(p, filter)?, 100_000).await?;
        let mut tx = self.store.begin().await?;
        tx.audit(
            caller.entry("ticket.export", "ticket", "", Outcome::Success, json!({ "rows": rows.len() }).to_string()),
            self.clock.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Progress lookup by number for anyone holding the number and the reporter's phone
    /// (outside contacts), or for the logged-in reporter of the ticket. Internal notes stay hidden.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when the number and phone do not match (nothing is revealed).
    pub async fn lookup_ticket(&self, caller: &Caller, number: &str, phone: &str) -> Result<PublicTicket, AppError> {
        let t = self.store.ticket_by_number(number).await?.ok_or(AppError::NotFound)?;
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        let own = caller.principal.as_ref().is_some_and(|p| t.reporter_user_id == Some(p.user_id));
        let phone_ok = !t.reporter_phone.is_empty()
            && digits(phone).len() >= 4
            && digits(&t.reporter_phone).ends_with(&digits(phone));
        if !(own || phone_ok) {
            return Err(AppError::NotFound);
        }
        let steps = self
            .store
            .ticket_events(t.id)
            .await?
            .into_iter()
            .filter(|e| !matches!(e.kind.as_str(), "handover" | "sla_warning" | "sla_breach"))
            // The opening description stays with the reporter who wrote it.
            .map(|e| {
                let note = if e.kind == "created" { String::new() } else { e.note };
                (e.at, e.kind, note)
            })
            .collect();
        Ok(PublicTicket {
            number: t.number,
            title: t.title,
            level: t.level,
            state: ticket::state_code(&t.state),
            created_at: t.created_at,
            resolve_due_at: t.resolve_due_at,
            steps,
        })
    }

    /// The SLA watcher: at 80 % (configurable) of a target the assignee and the line lead are
    /// warned; at 100 % the ticket escalates one line and the manager is notified. Each happens
    /// once per clock and ticket, with timeline entries. Idempotent: run it as often as wanted.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn watch_sla(&self) -> Result<WatchReport, AppError> {
        let cfg = self.desk_config().await?;
        let now = self.clock.now();
        let caller = Caller::system();
        let mut report = WatchReport::default();
        for t in self.store.tickets_to_watch(10_000).await? {
            let pauses = self.store.ticket_pauses(t.id).await?;
            let response =
                (t.acknowledged_at.is_none()).then(|| clock(&cfg.calendar, &t, t.response_target_ms, &[]).percent(now));
            let resolve =
                ticket::is_open(&t.state).then(|| clock(&cfg.calendar, &t, t.resolve_target_ms, &pauses).percent(now));
            let warn = i64::from(cfg.sla.warn_percent);
            // (flag index, percent, is breach, which clock)
            let mut due_flags = Vec::new();
            if let Some(p) = response {
                if p >= warn && !t.sla_flags[0] {
                    due_flags.push((0, p, false, "response"));
                }
                if p >= 100 && !t.sla_flags[1] {
                    due_flags.push((1, p, true, "response"));
                }
            }
            if let Some(p) = resolve {
                if p >= warn && !t.sla_flags[2] {
                    due_flags.push((2, p, false, "resolve"));
                }
                if p >= 100 && !t.sla_flags[3] {
                    due_flags.push((3, p, true, "resolve"));
                }
            }
            if due_flags.is_empty() {
                continue;
            }
            let lines = self.store.support_lines(t.park_id).await?;
            let managers = self
                .store
                .users(
                    &UserFilter {
                        park_id: Some(t.park_id),
                        post: Some(Post::Manager),
                        active: Some(true),
                        ..UserFilter::default()
                    },
                    PageRequest { page: 1, per_page: 50 },
                )
                .await?
                .items;
            let mut t = t;
            let mut tx = self.store.begin().await?;
            for (flag, percent, breach, which) in due_flags {
                t.sla_flags[flag] = true;
                t.updated_at = now;
                tx.update_ticket(&t).await?;
                let state = ticket::state_code(&t.state);
                let note = format!("{which} {percent}%");
                if breach {
                    report.breaches += 1;
                    self.event(&mut *tx, &t, &caller, "sla_breach", state, state, &note, now).await?;
                    let to: BTreeSet<UserId> = managers.iter().map(|m| m.id).collect();
                    self.notify(&mut *tx, &t, &to, "sla_breach", now).await?;
                    if let Some(up) = self.escalate_in(&mut *tx, &caller, t.clone(), &note, now).await? {
                        t = up;
                    }
                    tx.audit(
                        caller.entry(
                            "ticket.sla_breach",
                            "ticket",
                            &t.id.to_string(),
                            Outcome::Success,
                            json!({ "clock": which, "percent": percent, "line": t.line.code() }).to_string(),
                        ),
                        now,
                    )
                    .await?;
                } else {
                    report.warnings += 1;
                    self.event(&mut *tx, &t, &caller, "sla_warning", state, state, &note, now).await?;
                    let mut to: BTreeSet<UserId> = t.assignee_user_id.into_iter().collect();
                    to.extend(lines.iter().filter(|l| l.line == t.line).filter_map(|l| l.lead_user_id));
                    self.notify(&mut *tx, &t, &to, "sla_warning", now).await?;
                    tx.audit(
                        caller.entry(
                            "ticket.sla_warning",
                            "ticket",
                            &t.id.to_string(),
                            Outcome::Success,
                            json!({ "clock": which, "percent": percent }).to_string(),
                        ),
                        now,
                    )
                    .await?;
                }
            }
            tx.commit().await?;
        }
        Ok(report)
    }

    /// Closes resolved tickets the reporter left unanswered for the configured time.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn auto_close_tickets(&self) -> Result<u32, AppError> {
        let cfg = self.desk_config().await?;
        let now = self.clock.now();
        let mut closed = 0;
        for t in self.store.tickets_resolved_before(now.plus(-cfg.auto_close), 1000).await? {
            self.apply(&Caller::system(), t, &TicketAction::AutoClose, "").await?;
            closed += 1;
        }
        Ok(closed)
    }

    /// Desk statistics for tickets opened in `[from, until)`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::TicketView`].
    pub async fn desk_stats(&self, caller: &Caller, from: Timestamp, until: Timestamp) -> Result<DeskStats, AppError> {
        let p = caller.require_any(Capability::TicketView)?;
        let open = TicketFilter {
            states: vec!["new".into(), "acknowledged".into(), "in_progress".into(), "waiting".into()],
            ..TicketFilter::default()
        };
        let open = self.store.tickets_all(&Self::scoped(p, open)?, 100_000).await?;
        let period = Self::scoped(p, TicketFilter { from: Some(from), until: Some(until), ..TicketFilter::default() })?;
        let rows = self.store.tickets_all(&period, 100_000).await?;
        let count =
            |v: &[TicketRecord], l: Level| i64::try_from(v.iter().filter(|t| t.level == l).count()).unwrap_or(0);
        let rate = |group: &[&TicketRecord]| -> (f64, f64, i64) {
            let responded: Vec<_> = group.iter().filter(|t| t.acknowledged_at.is_some()).collect();
            let resolved: Vec<_> = group.iter().filter(|t| t.resolved_at.is_some()).collect();
            let pct = |ok: usize, all: usize| {
                if all == 0 {
                    100.0
                } else {
                    f64::from(u32::try_from(ok).unwrap_or(0)) * 100.0 / f64::from(u32::try_from(all).unwrap_or(1))
                }
            };
            (
                pct(responded.iter().filter(|t| !t.sla_flags[1]).count(), responded.len()),
                pct(resolved.iter().filter(|t| !t.sla_flags[3]).count(), resolved.len()),
                i64::try_from(group.len()).unwrap_or(0),
            )
        };
        let by_level = Level::ALL
            .iter()
            .map(|&l| {
                let g: Vec<_> = rows.iter().filter(|t| t.level == l).collect();
                let (a, b, n) = rate(&g);
                (l, a, b, n)
            })
            .collect();
        let by_line = SupportLine::ALL
            .iter()
            .map(|&l| {
                let g: Vec<_> = rows.iter().filter(|t| t.line == l).collect();
                let (a, b, n) = rate(&g);
                (l, a, b, n)
            })
            .collect();
        let mut by_org: BTreeMap<String, Vec<&TicketRecord>> = BTreeMap::new();
        let mut org_names: BTreeMap<UserId, String> = BTreeMap::new();
        for t in &rows {
            let Some(u) = t.assignee_user_id else { continue };
            if let std::collections::btree_map::Entry::Vacant(slot) = org_names.entry(u) {
                let name = match self.store.user(u).await? {
                    Some(user) => self.store.org(user.org_id).await?.map(|o| o.name).unwrap_or_default(),
                    None => String::new(),
                };
                slot.insert(name);
            }
            by_org.entry(org_names.get(&u).cloned().unwrap_or_default()).or_default().push(t);
        }
        let attainment_by_org = by_org
            .into_iter()
            .map(|(name, g)| {
                let (a, b, n) = rate(&g);
                (name, a, b, n)
            })
            .collect();
        let mean =
            |v: Vec<i64>| if v.is_empty() { 0.0 } else { v.iter().map(|x| *x as f64).sum::<f64>() / v.len() as f64 };
        let mtta =
            mean(rows.iter().filter_map(|t| t.acknowledged_at.map(|a| a.since(t.created_at).num_minutes())).collect());
        let mttr =
            mean(rows.iter().filter_map(|t| t.resolved_at.map(|a| a.since(t.created_at).num_minutes())).collect());
        let satisfaction = mean(rows.iter().filter_map(|t| t.rating).collect());
        let mut per_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        let mut day = from.to_cst().date_naive();
        let last = until.plus(Duration::milliseconds(-1)).to_cst().date_naive();
        while day <= last {
            per_day.insert(day, 0);
            day = day.succ_opt().unwrap_or(last);
            if day == last {
                per_day.insert(day, 0);
                break;
            }
        }
        for t in &rows {
            *per_day.entry(t.created_at.to_cst().date_naive()).or_default() += 1;
        }
        Ok(DeskStats {
            open_by_level: Level::ALL.iter().map(|&l| (l, count(&open, l))).collect(),
            opened_by_level: Level::ALL.iter().map(|&l| (l, count(&rows, l))).collect(),
            attainment_by_level: by_level,
            attainment_by_line: by_line,
            attainment_by_org,
            mtta_minutes: mtta,
            mttr_minutes: mttr,
            satisfaction,
            per_day: per_day.into_iter().collect(),
        })
    }

    /// The SLA policy in force as JSON, with all stored versions `(version, body, by, at)`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::TicketView`].
    pub async fn sla_policy_view(
        &self,
        caller: &Caller,
    ) -> Result<(Value, Vec<(i64, String, String, Timestamp)>), AppError> {
        caller.require_any(Capability::TicketView)?;
        let cfg = self.desk_config().await?;
        Ok((policy_to_json(&cfg.sla, &cfg.calendar, cfg.auto_close), self.store.sla_history().await?))
    }

    /// Stores a new SLA policy version. Open tickets keep the targets they were opened with.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming each refused field.
    pub async fn update_sla_policy(&self, caller: &Caller, body: &Value) -> Result<Value, AppError> {
        let p = Self::require_desk_manager(caller)?;
        let (sla, start, end, auto) = policy_from_json(body).map_err(AppError::Invalid)?;
        let cal = WorkingCalendar { day_start: start, day_end: end, ..WorkingCalendar::default() };
        let doc = policy_to_json(&sla, &cal, auto);
        let version = self.store.sla_policy().await?.map_or(1, |(v, _)| v + 1);
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.insert_sla_policy(version, &doc.to_string(), &p.username, now).await?;
        tx.audit(
            caller.entry("sla_policy.update", "sla_policy", &version.to_string(), Outcome::Success, doc.to_string()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(doc)
    }

    /// The calendar years in force: (year, schedule, stored version or 0 for the shipped one).
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::TicketView`].
    pub async fn calendar_view(&self, caller: &Caller) -> Result<Vec<(i32, YearSchedule, i64)>, AppError> {
        caller.require_any(Capability::TicketView)?;
        let cfg = self.desk_config().await?;
        let stored: BTreeMap<i64, i64> =
            self.store.calendars().await?.into_iter().map(|c| (c.year, c.version)).collect();
        Ok(cfg
            .calendar
            .years
            .into_iter()
            .map(|(y, s)| {
                let v = stored.get(&i64::from(y)).copied().unwrap_or(0);
                (y, s, v)
            })
            .collect())
    }

    /// Stores a year's official schedule (holidays and make-up working days) as a new version.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a bad date, a date outside the year, or a date in both lists.
    pub async fn update_calendar(
        &self,
        caller: &Caller,
        year: i32,
        holidays: &str,
        makeup: &str,
    ) -> Result<YearSchedule, AppError> {
        let p = Self::require_desk_manager(caller)?;
        if !(2000..=2100).contains(&year) {
            return Err(AppError::field("year", "err-calendar-year"));
        }
        let mut errors = Vec::new();
        let h = parse_dates(holidays)
            .map_err(|bad| errors.push(FieldError::new("holidays", "err-calendar-date").arg("date", bad)))
            .ok();
        let m = parse_dates(makeup)
            .map_err(|bad| errors.push(FieldError::new("makeup_days", "err-calendar-date").arg("date", bad)))
            .ok();
        let (Some(holidays), Some(makeup_days)) = (h, m) else { return Err(AppError::Invalid(errors)) };
        let schedule = YearSchedule { holidays, makeup_days };
        if let Err(e) = schedule.validate(year) {
            let f = match e {
                parkops_domain::calendar::CalendarError::WrongYear { date, .. } => {
                    FieldError::new("holidays", "err-calendar-wrong-year").arg("date", date)
                }
                parkops_domain::calendar::CalendarError::Both(date) => {
                    FieldError::new("makeup_days", "err-calendar-both").arg("date", date)
                }
                parkops_domain::calendar::CalendarError::Hours => FieldError::new("holidays", "err-sla-hours"),
            };
            return Err(AppError::Invalid(vec![f]));
        }
        let version =
            self.store.calendars().await?.iter().find(|c| c.year == i64::from(year)).map_or(1, |c| c.version + 1);
        let now = self.clock.now();
        let rec = CalendarRecord {
            year: i64::from(year),
            version,
            body: schedule_json(&schedule).to_string(),
            created_by: p.username.clone(),
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_calendar(&rec).await?;
        tx.audit(
            caller.entry("calendar.update", "calendar", &year.to_string(), Outcome::Success, rec.body.clone()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(schedule)
    }

    /// The caller park's support lines.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::TicketView`].
    pub async fn support_lines(&self, caller: &Caller) -> Result<Vec<SupportLineRecord>, AppError> {
        let p = caller.require_any(Capability::TicketView)?;
        Ok(self.store.support_lines(p.park_id).await?)
    }

    /// Sets a support line's name, lead and members (all users of the caller's park).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an unknown line or user.
    pub async fn set_support_line(
        &self,
        caller: &Caller,
        line: &str,
        name: &str,
        lead: &str,
        members: &[String],
    ) -> Result<SupportLineRecord, AppError> {
        let p = Self::require_desk_manager(caller)?.clone();
        let line = SupportLine::parse(line).ok_or_else(|| AppError::field("line", "err-ticket-line"))?;
        if name.trim().is_empty() || name.chars().count() > 50 {
            return Err(AppError::field("name", "err-required-50"));
        }
        let mut ids = Vec::new();
        for m in members.iter().chain(std::iter::once(&lead.to_owned())).filter(|s| !s.trim().is_empty()) {
            let id = UserId::parse(m.trim()).map_err(|_| AppError::field("members", "err-ticket-assignee"))?;
            if self.store.user(id).await?.is_none_or(|u| u.park_id != p.park_id) {
                return Err(AppError::field("members", "err-ticket-assignee"));
            }
            ids.push(id);
        }
        let lead = if lead.trim().is_empty() { None } else { UserId::parse(lead.trim()).ok() };
        let mut member_ids: Vec<UserId> = members.iter().filter_map(|m| UserId::parse(m.trim()).ok()).collect();
        member_ids.sort();
        member_ids.dedup();
        let rec = SupportLineRecord {
            park_id: p.park_id,
            line,
            name: name.trim().to_owned(),
            lead_user_id: lead,
            members: member_ids,
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.put_support_line(&rec).await?;
        let detail = json!({ "line": line.code(), "name": rec.name, "lead": lead.map(|u| u.to_string()), "members": rec.members.iter().map(ToString::to_string).collect::<Vec<_>>() });
        tx.audit(
            caller.entry("support_line.update", "support_line", line.code(), Outcome::Success, detail.to_string()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// The caller's notifications, newest first.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`].
    pub async fn my_notifications(&self, caller: &Caller) -> Result<Vec<NotificationRecord>, AppError> {
        let p = caller.principal()?;
        Ok(self.store.notifications(p.user_id, 200).await?)
    }

    /// Marks the caller's notifications read.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`].
    pub async fn read_notifications(&self, caller: &Caller) -> Result<u64, AppError> {
        let p = caller.principal()?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let n = tx.mark_notifications_read(p.user_id, now).await?;
        tx.audit(
            caller.entry("notification.read", "notification", "", Outcome::Success, json!({ "marked": n }).to_string()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Whether `park` has its support lines (used by the demo and first-run checks).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn has_support_lines(&self, park: ParkId) -> Result<bool, AppError> {
        Ok(!self.store.support_lines(park).await?.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sla_policy_document_round_trips_and_is_checked() {
        let cal = WorkingCalendar::default();
        let doc = policy_to_json(&SlaPolicy::default(), &cal, Duration::hours(72));
        let (sla, start, end, auto) = policy_from_json(&doc).expect("valid");
        assert_eq!(sla, SlaPolicy::default());
        assert_eq!((start, end, auto), (cal.day_start, cal.day_end, Duration::hours(72)));
        let bad = json!({ "targets": { "fatal": { "response_minutes": 0 } }, "warn_percent": 100, "day_start": "18:00", "day_end": "09:00" });
        let errors = policy_from_json(&bad).expect_err("refused");
        let keys: Vec<_> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, vec!["err-sla-target", "err-sla-warn", "err-sla-hours"]);
    }

    #[test]
    fn dates_are_parsed_from_lists() {
        let d = parse_dates("2027-01-01, 2027-01-02\n2027-02-10").expect("dates");
        assert_eq!(d.len(), 3);
        assert_eq!(parse_dates("2027-13-01"), Err("2027-13-01".to_owned()));
    }
}
