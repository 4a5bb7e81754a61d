//! 90 days of the demo park's inspection history (`shared/domain.md` §4.3): the demo plans
//! are set up as of 90 days ago and the 90 days are replayed through the schedules' own use
//! cases on a clock that steps through them. The scheduler generates the due tasks on the
//! days they enter their three days' lead (the due dates come from the recurrence) and
//! watches the late ones; each plan's technician records its tasks item by item on or up to
//! two days before the due date, about 2.5 % of the items out of range on work older than a week (each opens its
//! ticket on the desk through the normal result path, linked to the CI), one result is
//! corrected the next day with its reason, and about one task in fifty is left undone, so it
//! turns overdue and escalates. Every record is written and audited by the same code as the
//! pages; values come from a hash of the CI code, the due date and the item, never from the
//! clock or a random source.
//!
//! To stay quick to load, the replay works a sample of the cameras, gateways and CEMS
//! stations (the plans are edited to the sample at the start and back to all their CIs at the
//! end, both audited). Today ends with the sample's tasks done, including those that have just
//! appeared; the other CIs' tasks come with the scheduler's next run. The yearly
//! verification plan is paused for the replay and resumed today: its past verifications are
//! the calibration register's records, not tasks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use parkops_domain::asset::AssetId;
use parkops_domain::id::{ParkId, UserId};
use parkops_domain::recurrence::Shift;
use parkops_domain::schedule::{self as domain, CheckItem, ItemKind, PlanKind, TaskState};

use super::PlanInput;
use super::tasks::{PhotoUpload, ResultInput};
use crate::clock::{Clock, ManualClock};
use crate::ports::PageRequest;
use crate::ports::schedule::{PlanRecord, StandardRecord, TaskFilter, TaskRecord};
use crate::{App, AppError, Caller};

/// Days of history.
const DAYS: i64 = 90;
/// Out-of-range items per thousand (of the items that can fail).
const FAIL_PER_MILLE: u64 = 25;
/// One task in this many (due at least ten days ago) is left undone: overdue and escalated.
const LEFT_UNDONE_ONE_IN: u64 = 50;
/// A 4×3 grey PNG: the stand-in for the site photos the standards ask for.
const PHOTO: [u8; 73] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x03, 0x08, 0x02, 0x00, 0x00, 0x00, 0x3b, 0x96, 0x39, 0x91, 0x00, 0x00, 0x00, 0x10, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xa8, 0xea, 0x9a, 0x09, 0x47, 0x0c, 0x38, 0x39, 0x00, 0x78, 0x44, 0x13, 0x5d,
    0x25, 0x79, 0x16, 0x20, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// What the replay wrote, for the log.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    results: u32,
    tickets: u32,
    corrections: u32,
    left_undone: u32,
}

/// The replay inspects one in this many of the park's own cameras, its edge gateways and its
/// CEMS stations (the plans get all of them back at the end), so the history stays quick to
/// load: every test that starts from the demo pays for it.
const CAMERA_SAMPLE: usize = 20;
const GATEWAY_SAMPLE: usize = 3;
const CEMS_SAMPLE: usize = 9;

/// The people of the replay: the manager who keeps the plans and the technicians who work them.
struct Crew {
    manager: Caller,
    technicians: Vec<Caller>,
}

impl App {
    /// Sets up the demo park's plans as of 90 days ago ([`App::load_demo_schedules`]) and
    /// replays the 90 days up to now through the schedules' use cases (see the module notes).
    /// Does nothing when the park has plans already.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when the demo's manager or technicians are missing;
    /// [`AppError::Unavailable`].
    pub async fn load_demo_schedule_history(&self, caller: &Caller, park: ParkId) -> Result<(), AppError> {
        if !self.store.plans(park).await?.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let start = now.plus(Duration::days(-DAYS));
        let clock = Arc::new(ManualClock::new(start));
        let past = App { clock: clock.clone(), ..self.clone() };
        let crew = self.demo_crew().await?;
        past.load_demo_schedules(caller, park).await?;
        // The plans as the replay works them: each inspection plan given to its technician, a
        // sample of the cameras and CEMS stations; the yearly verification paused.
        let mut restore = Vec::new();
        let mut paused = Vec::new();
        for plan in self.store.plans(park).await? {
            if plan.kind == PlanKind::Calibration {
                past.set_plan_paused(&crew.manager, plan.id, true, "演示：检定历史见校准台账，本计划自今日起执行")
                    .await?;
                paused.push(plan.id);
                continue;
            }
            let (tech, sample) = match plan.standard_code.as_str() {
                "camera_monthly" => (5, CAMERA_SAMPLE),
                "edge_gateway_monthly" => (3, GATEWAY_SAMPLE),
                "machine_room_monthly" => (4, 1),
                _ => (6, CEMS_SAMPLE),
            };
            let all = past.plan_targets(&plan).await?;
            let codes: Vec<&str> = all.iter().map(|a| a.code.as_str()).collect();
            let explicit: Vec<String> =
                if plan.target.assets.is_empty() { Vec::new() } else { all.iter().map(|a| a.code.clone()).collect() };
            let sampled: Vec<&str> = codes.iter().copied().step_by(sample).collect();
            let mut input = plan_input(&plan, if sample == 1 { explicit.join(",") } else { sampled.join(",") });
            input.assignee_user = super::actor(&crew.technicians[tech]);
            input.note = if sample == 1 {
                "演示：指派技术员".to_owned()
            } else {
                format!("演示：指派技术员；演示历史按每 {sample} 个抽 1 个执行")
            };
            let edited = past.save_plan(&crew.manager, Some(plan.id), input).await?;
            if sample > 1 {
                let mut back = plan_input(&edited, explicit.join(","));
                back.assignee_user = super::actor(&crew.technicians[tech]);
                back.note = "演示：恢复全部目标".to_owned();
                restore.push((plan.id, back));
            }
        }
        let mut standards: BTreeMap<_, StandardRecord> = BTreeMap::new();
        for s in self.store.standards(park).await? {
            standards.insert(s.id, s);
        }
        let mut by_user: BTreeMap<UserId, &Caller> = BTreeMap::new();
        for c in &crew.technicians {
            if let Some(p) = &c.principal {
                by_user.insert(p.user_id, c);
            }
        }
        let today = domain::cst_date(now);
        // The scheduler runs on the days a due date enters its lead window: the other runs
        // would find nothing to do.
        let calendar = self.desk_config().await?.calendar;
        let mut run_on = BTreeSet::new();
        for plan in self.store.plans(park).await?.iter().filter(|p| !p.paused) {
            let window = domain::generation_window(&plan.recurrence, &calendar, plan.effective_from, None, today, 0);
            for due in window.dates {
                run_on.insert(due.checked_sub_days(chrono::Days::new(u64::from(plan.lead_days))).unwrap_or(due));
            }
        }
        // The desk's SLA watcher runs with the scheduler for a week after a finding's ticket.
        let mut watch_sla_until = None;
        let mut out = Tally::default();
        let mut to_correct = None;
        past.generate_due_tasks(&crew.manager).await?;
        for day in 1..=DAYS {
            let base = start.plus(Duration::days(day));
            let last = day == DAYS;
            // The final day stays inside [today's midnight, now]: nothing is written after now.
            let work_from = if last {
                let since_midnight = (now.as_millis() + 8 * 3_600_000).rem_euclid(86_400_000);
                now.plus(-Duration::milliseconds(since_midnight.min(2 * 3_600_000)))
            } else {
                base.plus(Duration::hours(-3))
            };
            clock.advance(work_from.since(clock.now()).max(Duration::zero()));
            if let Some((id, recorded)) = to_correct.take() {
                // The sensor's reading differs from what was written down, whatever that was.
                let read = if recorded == "54" { "56" } else { "54" };
                let input = ResultInput {
                    values: [("humidity".to_owned(), read.to_owned())].into(),
                    reason: format!("抄录错误：相对湿度误记为{recorded}%RH，以温湿度传感器记录{read}%RH为准"),
                    ..ResultInput::default()
                };
                past.correct_result(&crew.technicians[4], id, input).await?;
                out.corrections += 1;
            }
            if last {
                // Today: the scheduler runs, then the day's work, including the tasks that have
                // just appeared, then the plans get all their CIs back (their tasks come with
                // the scheduler's next run, as in a live park).
                for id in paused.drain(..) {
                    past.set_plan_paused(&crew.manager, id, false, "演示：自今日起按计划执行").await?;
                }
                past.generate_due_tasks(&crew.manager).await?;
                past.watch_tasks().await?;
                past.watch_sla().await?;
            }
            let date = domain::cst_date(base);
            let due = past.demo_open_tasks(park, date.checked_add_days(chrono::Days::new(3)).unwrap_or(date)).await?;
            let ids: Vec<AssetId> = due.iter().map(|t| t.asset_id).collect();
            let codes: BTreeMap<AssetId, String> =
                self.store.assets_by_ids(&ids).await?.into_iter().map(|a| (a.id, a.code)).collect();
            let mut work = Vec::new();
            for t in due {
                let code = codes.get(&t.asset_id).cloned().unwrap_or_default();
                let seed = fnv(&format!("{code}|{}", t.due_date));
                let planned = t.due_date.checked_sub_days(chrono::Days::new(seed % 3)).unwrap_or(t.due_date);
                let late_enough = t.due_date.checked_add_days(chrono::Days::new(10)).is_some_and(|d| d <= today);
                if late_enough && (seed >> 8).is_multiple_of(LEFT_UNDONE_ONE_IN) {
                    out.left_undone += u32::from(t.due_date == date);
                    continue;
                }
                if last || planned <= date {
                    work.push((t, code, seed));
                }
            }
            // The day's work, evenly spaced up to the scheduler's run (or now).
            let end = if last { now } else { base };
            let slots = i64::try_from(work.len()).unwrap_or(i64::MAX - 1) + 1;
            let gap = Duration::milliseconds((end.since(clock.now()).num_milliseconds() / slots).max(0));
            for (t, code, seed) in work {
                clock.advance(gap);
                let Some(standard) = t.standard_id.and_then(|s| standards.get(&s)) else { continue };
                let tech = t.assignee_user_id.and_then(|u| by_user.get(&u).copied()).unwrap_or(&crew.technicians[7]);
                // Findings only on work a week old or more: their tickets have run their course on
                // the desk's clock by now.
                let may_fail = t.due_date.checked_add_days(chrono::Days::new(7)).is_some_and(|d| d <= today);
                let input = result_input(standard, &code, t.due_date, seed, may_fail);
                let outcome = past.record_result(tech, t.id, input).await?;
                out.results += 1;
                if outcome.ticket.is_some() {
                    out.tickets += 1;
                    watch_sla_until = date.checked_add_days(chrono::Days::new(7));
                }
                if out.corrections == 0 && to_correct.is_none() && standard.code == "machine_room_monthly" {
                    let humidity = outcome.result.items.iter().find(|i| i.code == "humidity");
                    to_correct = humidity.map(|i| (outcome.result.id, i.value.clone()));
                }
            }
            if !last && run_on.contains(&date) {
                clock.advance(base.since(clock.now()).max(Duration::zero()));
                past.generate_due_tasks(&crew.manager).await?;
                past.watch_tasks().await?;
                if watch_sla_until.is_some_and(|d| date <= d) {
                    past.watch_sla().await?;
                }
            }
        }
        for (id, input) in restore {
            self.save_plan(&crew.manager, Some(id), input).await?;
        }
        tracing::info!(?out, "demo inspection history loaded");
        Ok(())
    }

    async fn demo_crew(&self) -> Result<Crew, AppError> {
        let mut technicians = Vec::new();
        for n in 1..=8 {
            technicians.push(self.demo_caller(&format!("jb.tech{n:02}")).await?);
        }
        Ok(Crew { manager: self.demo_caller("jb.manager").await?, technicians })
    }

    /// A demo account as a caller, as if signed in.
    async fn demo_caller(&self, username: &str) -> Result<Caller, AppError> {
        let user = self.store.user_by_username(username).await?.ok_or(AppError::NotFound)?;
        let principal = self.principal_of(&user).await?;
        Ok(Caller { principal: Some(principal), ip: "demo".into(), request_id: format!("demo-{username}") })
    }

    /// The park's open tasks due up to `until` that are not late yet, by due date and id.
    async fn demo_open_tasks(&self, park: ParkId, until: NaiveDate) -> Result<Vec<TaskRecord>, AppError> {
        let filter = TaskFilter {
            park_id: Some(park),
            states: vec![TaskState::Open],
            due_until: Some(until),
            ..TaskFilter::default()
        };
        let mut out = Vec::new();
        for page in 1.. {
            let got = self.store.tasks(&filter, PageRequest { page, per_page: 500 }).await?;
            let n = got.items.len();
            out.extend(got.items.into_iter().filter(|t| t.kind.uses_standard() && t.overdue_at.is_none()));
            if n < 500 {
                break;
            }
        }
        out.sort_by_key(|t| (t.due_date, t.id));
        Ok(out)
    }
}

/// A plan as its edit form would submit it, with `assets` as the explicit CI codes.
fn plan_input(plan: &PlanRecord, assets: String) -> PlanInput {
    let r = &plan.recurrence;
    PlanInput {
        kind: plan.kind.code().to_owned(),
        name: plan.name.clone(),
        standard_code: plan.standard_code.clone(),
        class: plan.target.class.clone(),
        zone: plan.target.zone.map(|z| z.to_string()).unwrap_or_default(),
        enterprise: plan.target.enterprise.map(|o| o.to_string()).unwrap_or_default(),
        assets,
        anchor: r.anchor().to_string(),
        every_unit: r.every().unit_code().to_owned(),
        every_count: r.every().count().to_string(),
        on_working_days: r.shift() == Shift::NextWorkingDay,
        assignee_org: plan.assignee_org_id.map(|o| o.to_string()).unwrap_or_default(),
        assignee_user: plan.assignee_user_id.map(|u| u.to_string()).unwrap_or_default(),
        owner: plan.owner_user_id.map(|u| u.to_string()).unwrap_or_default(),
        lead_days: plan.lead_days.to_string(),
        grace_days: plan.grace_days.to_string(),
        escalate_after_days: plan.escalate_after_days.map(|d| d.to_string()).unwrap_or_default(),
        note: String::new(),
    }
}

/// The values, notes and photos of one result: realistic values inside the ranges, and about
/// 2.5 % of the items that can fail out of range.
fn result_input(standard: &StandardRecord, code: &str, due: NaiveDate, seed: u64, may_fail: bool) -> ResultInput {
    let mut input = ResultInput::default();
    for (k, item) in standard.items.iter().enumerate() {
        let h = mix(seed ^ fnv(&item.code) ^ (u64::try_from(k).unwrap_or(0) << 40));
        let fails = may_fail && !matches!(item.kind, ItemKind::Text) && h % 1000 < FAIL_PER_MILLE;
        let (value, note) = value_for(item, h >> 10, fails, due);
        input.values.insert(item.code.clone(), value);
        if !note.is_empty() {
            input.notes.insert(item.code.clone(), note.to_owned());
        }
        if item.photo_required {
            input.photos.insert(
                item.code.clone(),
                PhotoUpload {
                    name: format!("{code}-{}.png", item.code),
                    content_type: "image/png".into(),
                    data: PHOTO.to_vec(),
                },
            );
        }
    }
    input
}

/// A value for `item` from the hash `h`: out of range when `fails`, with the note a technician
/// would add.
fn value_for(item: &CheckItem, h: u64, fails: bool, due: NaiveDate) -> (String, &'static str) {
    let unit = |lo: f64, hi: f64| lo + (hi - lo) * f64::from(u32::try_from(h % 1000).unwrap_or(0)) / 1000.0;
    let one = |x: f64| format!("{x:.1}");
    let whole = |x: f64| format!("{}", x.round());
    match (item.code.as_str(), &item.kind) {
        (_, ItemKind::YesNo { expected }) => {
            let answer = if fails { !expected } else { *expected };
            let note = if fails { "现场发现异常，已拍照并报修" } else { "" };
            ((if answer { "是" } else { "否" }).to_owned(), note)
        }
        (_, ItemKind::Choice { options, accepted }) => {
            let refused: Vec<&String> = options.iter().filter(|o| !accepted.contains(o)).collect();
            match (fails, refused.first()) {
                (true, Some(o)) => ((*o).clone(), "需处理，已报修"),
                _ => {
                    // Mostly the first accepted answer, sometimes the next.
                    let i = usize::from(h.is_multiple_of(5) && accepted.len() > 1);
                    (accepted.get(i).cloned().unwrap_or_default(), "")
                }
            }
        }
        (_, ItemKind::Text) => {
            let v = if h.is_multiple_of(9) {
                "立杆防腐层轻微剥落，已记录，下次维护处理"
            } else {
                "无"
            };
            (v.to_owned(), "")
        }
        ("time_offset", _) => (if fails { whole(unit(8.0, 40.0)) } else { one(unit(0.0, 3.0)) }, ""),
        ("retention_days", _) => (if fails { whole(unit(18.0, 28.0)) } else { whole(unit(31.0, 45.0)) }, ""),
        ("data_delay", _) => (if fails { whole(unit(20.0, 90.0)) } else { one(unit(0.5, 6.0)) }, ""),
        ("backlog", _) => (if fails { whole(unit(1500.0, 6000.0)) } else { whole(unit(0.0, 120.0)) }, ""),
        ("clock_offset", _) => (if fails { whole(unit(12.0, 60.0)) } else { one(unit(0.0, 4.0)) }, ""),
        ("cert_days", _) => (if fails { whole(unit(5.0, 28.0)) } else { whole(unit(60.0, 360.0)) }, ""),
        ("cabinet_temp", _) => (if fails { one(unit(56.0, 63.0)) } else { one(unit(28.0, 46.0)) }, ""),
        ("room_temp", _) => (if fails { one(unit(27.5, 31.0)) } else { one(unit(21.0, 25.5)) }, ""),
        ("humidity", _) => (if fails { whole(unit(76.0, 85.0)) } else { whole(unit(40.0, 60.0)) }, ""),
        ("ups_load", _) => (if fails { whole(unit(82.0, 91.0)) } else { whole(unit(35.0, 62.0)) }, ""),
        ("line_temp", _) => (if fails { whole(unit(95.0, 118.0)) } else { whole(unit(130.0, 150.0)) }, ""),
        ("cooler_temp", _) => (if fails { one(unit(6.5, 9.0)) } else { one(unit(3.0, 5.0)) }, ""),
        ("gas_pressure", _) => {
            // The cylinder empties over the quarter; a new one is fitted below 2 MPa.
            let weeks = f64::from(due.iso_week().week() % 13);
            (if fails { one(unit(0.4, 0.9)) } else { one(2.0 + 7.5 - weeks * 0.55 + unit(0.0, 0.5)) }, "")
        }
        ("zero_drift" | "span_drift", _) => (if fails { one(unit(2.6, 4.0)) } else { one(unit(-1.8, 1.8)) }, ""),
        (_, ItemKind::Numeric { min, max, .. }) => {
            let lo = min.map(|d| d.to_f64());
            let hi = max.map(|d| d.to_f64());
            let v = match (lo, hi, fails) {
                (Some(l), Some(u), false) => unit(l + (u - l) * 0.2, l + (u - l) * 0.7),
                (Some(l), Some(u), true) => u + (u - l) * unit(0.1, 0.4),
                (Some(l), None, false) => l * unit(1.1, 1.5) + 1.0,
                (Some(l), None, true) => l * unit(0.5, 0.9) - 1.0,
                (None, Some(u), false) => u * unit(0.5, 0.85),
                (None, Some(u), true) => u * unit(1.1, 1.3) + 1.0,
                (None, None, _) => unit(0.0, 100.0),
            };
            (one(v), "")
        }
    }
}

/// FNV-1a of a text.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parkops_domain::schedule::{Verdict, default_standards, evaluate};

    #[test]
    fn generated_values_pass_or_fail_as_intended() {
        let due = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
        for s in default_standards() {
            for item in &s.items {
                for h in 0..200 {
                    let (good, _) = value_for(item, h, false, due);
                    assert_eq!(evaluate(item, &good).map(|e| e.verdict), Ok(Verdict::Pass), "{} {good}", item.code);
                    if !matches!(item.kind, ItemKind::Text) {
                        let (bad, _) = value_for(item, h, true, due);
                        assert_eq!(evaluate(item, &bad).map(|e| e.verdict), Ok(Verdict::Fail), "{} {bad}", item.code);
                    }
                }
            }
        }
    }
}
