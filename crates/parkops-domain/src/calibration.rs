//! The calibration register (R-9.1.1d): periodic value transfer (量值传递), calibration (校准)
//! and performance tests (性能测试) of online environmental monitors and gas detectors, with
//! their results and due dates.
//!
//! What is here: the methods and conclusions, the cycle of each calibrated class with the
//! built-in defaults (`shared/domain.md` §1.2 and §2.1: gas detectors per JJG 693-2011 yearly,
//! CEMS analysers per HJ 75-2017, wastewater analysers per HJ 355-2019, air and VOC stations
//! with multipoint calibration), the next due date of a record, the consistency rules of a
//! record (no future dates, a reference standard valid on the day, measured points within
//! their allowed error when the conclusion is a pass, a reason for an overridden due date) and
//! the due state of a CI on a given day. Pure data and functions: storing records, who may
//! write them and notifying owners is the application's business.

use chrono::{Months, NaiveDate};

use crate::asset::Decimal;

crate::id::id_type!(
    /// One calibration record version (each correction is a new version with its own id).
    CalibrationId
);

crate::asset::labelled_enum!(
    /// How the instrument was checked: the three methods R-9.1.1d names.
    Method {
        /// 量值传递: the value passed down from a reference standard, by legal verification
        /// (检定, e.g. JJG 693-2011 for gas detectors) or a calibration certificate.
        ValueTransfer = ("value_transfer", "量值传递"),
        /// 校准: zero, span and multipoint calibration against standard gases or samples.
        Calibration = ("calibration", "校准"),
        /// 性能测试: performance test or comparison (比对) against a reference method.
        PerformanceTest = ("performance_test", "性能测试"),
    }
);

crate::asset::labelled_enum!(
    /// The conclusion of a calibration (校准结论).
    Conclusion {
        /// 合格.
        Pass = ("pass", "合格"),
        /// 不合格 — the instrument is not fit for use: the CI becomes faulty.
        Fail = ("fail", "不合格"),
        /// 调整后合格 — fit after adjustment.
        PassAfterAdjustment = ("pass_after_adjustment", "调整后合格"),
    }
);

crate::asset::labelled_enum!(
    /// Which reminder a CI's owners were sent for one due date.
    NoticeKind {
        /// The due date is within the reminder window.
        DueSoon = ("due_soon", "即将到期"),
        /// The due date has passed, or the CI was never calibrated.
        Overdue = ("overdue", "逾期"),
    }
);

impl Conclusion {
    /// Whether the instrument may stay in use.
    #[must_use]
    pub const fn is_pass(self) -> bool {
        match self {
            Self::Pass | Self::PassAfterAdjustment => true,
            Self::Fail => false,
        }
    }
}

/// Days before the due date from which a CI counts as "due soon" and its owners are reminded.
pub const DUE_SOON_DAYS: i64 = 30;

/// Longest cycle, in months (ten years).
pub const MAX_CYCLE_MONTHS: u32 = 120;

/// Longest cycle given in days (ten years).
pub const MAX_CYCLE_DAYS: u32 = 3650;

/// A calibration cycle: calendar months (a class's setting) or days (a CI's own
/// `calibration_cycle` attribute, as entered in the register, overrides its class's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cycle {
    /// Calendar months (1 to [`MAX_CYCLE_MONTHS`]); the day is clamped to the month's end.
    Months(u32),
    /// Days (1 to [`MAX_CYCLE_DAYS`]).
    Days(u32),
}

impl Cycle {
    /// A cycle of `months`, if within 1 to [`MAX_CYCLE_MONTHS`].
    #[must_use]
    pub const fn months(months: u32) -> Option<Self> {
        if months >= 1 && months <= MAX_CYCLE_MONTHS { Some(Self::Months(months)) } else { None }
    }

    /// A cycle of `days`, if within 1 to [`MAX_CYCLE_DAYS`].
    #[must_use]
    pub const fn days(days: u32) -> Option<Self> {
        if days >= 1 && days <= MAX_CYCLE_DAYS { Some(Self::Days(days)) } else { None }
    }

    /// Storage and API form: `12m`, `365d`.
    #[must_use]
    pub fn code(self) -> String {
        match self {
            Self::Months(n) => format!("{n}m"),
            Self::Days(n) => format!("{n}d"),
        }
    }

    /// The cycle with this code.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim();
        let (n, unit) = code.split_at(code.len().saturating_sub(1));
        let n = n.parse::<u32>().ok()?;
        match unit {
            "m" => Self::months(n),
            "d" => Self::days(n),
            _ => None,
        }
    }

    /// `date` plus the cycle (none past the calendar's end).
    #[must_use]
    pub fn after(self, date: NaiveDate) -> Option<NaiveDate> {
        match self {
            Self::Months(n) => date.checked_add_months(Months::new(n)),
            Self::Days(n) => date.checked_add_days(chrono::Days::new(u64::from(n))),
        }
    }
}

/// Which classes are calibrated, how often and how: one entry per class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassCycle {
    /// CI class code, e.g. `gas_detector`.
    pub class: String,
    /// Whether CIs of the class are calibrated (and appear on the overdue list).
    pub enabled: bool,
    /// The cycle in calendar months (1 to [`MAX_CYCLE_MONTHS`]).
    pub months: u32,
    /// The method expected.
    pub method: Method,
    /// The rule the cycle follows, e.g. `JJG 693-2011`.
    pub basis: String,
}

impl ClassCycle {
    /// The cycle, if its months are within range.
    #[must_use]
    pub const fn cycle(&self) -> Option<Cycle> {
        Cycle::months(self.months)
    }
}

/// The built-in cycles (`shared/domain.md` §1.2, §2.1). An administrator changes them per park;
/// these hold until then. The HJ intervals are the periodic checks of a manually calibrated
/// system (the stricter case); a park with automatic calibration lengthens them.
#[must_use]
pub fn built_in_cycles() -> Vec<ClassCycle> {
    use Method::{Calibration, PerformanceTest, ValueTransfer};
    let entry = |class: &str, months: u32, method: Method, basis: &str| ClassCycle {
        class: class.to_owned(),
        enabled: true,
        months,
        method,
        basis: basis.to_owned(),
    };
    vec![
        // Safety instruments: legal verification, generally at most one year.
        entry("gas_detector", 12, ValueTransfer, "JJG 693-2011"),
        // CEMS analysers: periodic 校验 every 3 months without automatic calibration.
        entry("gas_analyzer", 3, Calibration, "HJ 75-2017"),
        entry("pm_monitor", 3, Calibration, "HJ 75-2017"),
        entry("flow_monitor", 3, Calibration, "HJ 75-2017"),
        entry("nmhc_analyzer", 3, Calibration, "HJ 75-2017"),
        // Wastewater: standard-sample checks and comparison monitoring.
        entry("water_analyzer", 3, PerformanceTest, "HJ 355-2019"),
        entry("flowmeter", 12, ValueTransfer, "HJ 355-2019"),
        // Ambient air and boundary stations: multipoint calibration and flow checks.
        entry("air_station", 3, Calibration, "HJ 818-2018"),
        entry("voc_analyzer", 3, Calibration, "HJ 1010-2018"),
        entry("odor_monitor", 6, Calibration, "HJ 1010-2018"),
    ]
}

/// The due date a record sets: a pass is valid for one cycle from the day it was performed;
/// a failed instrument is due again at once (it needs a passing calibration after repair).
#[must_use]
pub fn next_due(performed: NaiveDate, cycle: Cycle, conclusion: Conclusion) -> NaiveDate {
    if !conclusion.is_pass() {
        return performed;
    }
    // Adding at most ten years to a date in the supported range cannot overflow in practice;
    // should it, the record is due at once rather than never.
    cycle.after(performed).unwrap_or(performed)
}

/// Where a CI stands on `today` with respect to its next due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueState {
    /// Never calibrated (a CI of a calibrated class without any record).
    Never,
    /// Past its due date by this many days (at least 1).
    Overdue {
        /// Days past the due date.
        days: i64,
    },
    /// Due within [`DUE_SOON_DAYS`] (0 = due today).
    DueSoon {
        /// Days left.
        days: i64,
    },
    /// Valid beyond the reminder window.
    Valid {
        /// Days left.
        days: i64,
    },
}

impl DueState {
    /// Stable code (`never`, `overdue`, `due_soon`, `valid`).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::Overdue { .. } => "overdue",
            Self::DueSoon { .. } => "due_soon",
            Self::Valid { .. } => "valid",
        }
    }

    /// The reminder this state calls for, if any.
    #[must_use]
    pub const fn notice(self) -> Option<NoticeKind> {
        match self {
            Self::Never | Self::Overdue { .. } => Some(NoticeKind::Overdue),
            Self::DueSoon { .. } => Some(NoticeKind::DueSoon),
            Self::Valid { .. } => None,
        }
    }
}

/// The due state of a CI whose latest valid record sets `next_due` (none: never calibrated).
#[must_use]
pub fn due_state(next_due: Option<NaiveDate>, today: NaiveDate) -> DueState {
    match next_due {
        None => DueState::Never,
        Some(due) => {
            let days = (due - today).num_days();
            if days < 0 {
                DueState::Overdue { days: -days }
            } else if days <= DUE_SOON_DAYS {
                DueState::DueSoon { days }
            } else {
                DueState::Valid { days }
            }
        }
    }
}

/// One measured point of a calibration: nominal value, reading, error and allowed error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasuredPoint {
    /// Nominal (reference) value.
    pub nominal: Decimal,
    /// The instrument's reading.
    pub reading: Decimal,
    /// Error (reading − nominal unless the certificate states it otherwise).
    pub error: Decimal,
    /// Maximum permissible error (absolute), if stated.
    pub allowed: Option<Decimal>,
}

impl MeasuredPoint {
    /// A point from its values; the error is `reading − nominal` when not given.
    #[must_use]
    pub fn new(nominal: Decimal, reading: Decimal, error: Option<Decimal>, allowed: Option<Decimal>) -> Self {
        let error = error.unwrap_or_else(|| difference(reading, nominal));
        Self { nominal, reading, error, allowed }
    }

    /// Whether the error is within the allowed error (true when none is stated).
    #[must_use]
    pub fn is_within(&self) -> bool {
        self.allowed.is_none_or(|allowed| {
            let (e, a) = (exact(self.error), exact(allowed));
            let scale = e.1.max(a.1);
            rescale(e, scale).unsigned_abs() <= rescale(a, scale).unsigned_abs()
        })
    }
}

/// The exact value of a decimal as (units, scale), from its canonical text.
fn exact(d: Decimal) -> (i128, u32) {
    let text = d.to_string();
    let (negative, digits) = text.strip_prefix('-').map_or((false, text.as_str()), |rest| (true, rest));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut units: i128 = 0;
    for c in int.chars().chain(frac.chars()) {
        units = units.saturating_mul(10).saturating_add(i128::from(c.to_digit(10).unwrap_or(0)));
    }
    (if negative { -units } else { units }, u32::try_from(frac.len()).unwrap_or(0))
}

fn rescale((units, scale): (i128, u32), to: u32) -> i128 {
    units.saturating_mul(10i128.saturating_pow(to.saturating_sub(scale)))
}

/// `a − b`, exactly.
fn difference(a: Decimal, b: Decimal) -> Decimal {
    let (x, y) = (exact(a), exact(b));
    let scale = x.1.max(y.1);
    let units = rescale(x, scale).saturating_sub(rescale(y, scale));
    let digits = units.unsigned_abs().to_string();
    let text = if scale == 0 {
        digits
    } else {
        let width = usize::try_from(scale).unwrap_or(0) + 1;
        let padded = format!("{digits:0>width$}");
        let (i, f) = padded.split_at(padded.len() - (width - 1));
        format!("{i}.{f}")
    };
    let sign = if units < 0 { "-" } else { "" };
    Decimal::parse(&format!("{sign}{text}")).unwrap_or(a)
}

/// What a calibration record states, as the rules below see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFacts {
    /// The day it was performed.
    pub performed: NaiveDate,
    /// The reference standard's validity (none when not stated).
    pub standard_valid_until: Option<NaiveDate>,
    /// The conclusion.
    pub conclusion: Conclusion,
    /// Measured points (may be empty).
    pub points: Vec<MeasuredPoint>,
    /// The due date the record sets.
    pub next_due: NaiveDate,
    /// The due date the cycle gives ([`next_due`]).
    pub computed_due: NaiveDate,
    /// Why the due date differs from the computed one (empty when it does not).
    pub due_reason: String,
}

/// Why a calibration record is inconsistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CalibrationError {
    /// The performed date is after today.
    #[error("performed date {performed} is in the future")]
    PerformedInFuture {
        /// The date given.
        performed: NaiveDate,
    },
    /// The reference standard's certificate had expired on the day.
    #[error("the reference standard expired on {valid_until}, before {performed}")]
    StandardExpired {
        /// Its validity.
        valid_until: NaiveDate,
        /// The day of the calibration.
        performed: NaiveDate,
    },
    /// A point is outside its allowed error but the conclusion is a pass.
    #[error("point {position} is outside its allowed error but the conclusion is a pass")]
    PointOutOfTolerance {
        /// 1-based position of the point.
        position: usize,
    },
    /// The due date is before the performed date.
    #[error("the next due date {next_due} is before the performed date")]
    DueBeforePerformed {
        /// The date given.
        next_due: NaiveDate,
    },
    /// The due date differs from the cycle's without a reason.
    #[error("the next due date differs from the cycle's {computed} without a reason")]
    OverrideWithoutReason {
        /// The due date the cycle gives.
        computed: NaiveDate,
    },
}

/// Every rule a record must satisfy on `today`; all problems, in field order.
///
/// # Errors
/// The [`CalibrationError`]s found.
pub fn check_record(facts: &RecordFacts, today: NaiveDate) -> Result<(), Vec<CalibrationError>> {
    let mut errors = Vec::new();
    if facts.performed > today {
        errors.push(CalibrationError::PerformedInFuture { performed: facts.performed });
    }
    if let Some(valid_until) = facts.standard_valid_until
        && valid_until < facts.performed
    {
        errors.push(CalibrationError::StandardExpired { valid_until, performed: facts.performed });
    }
    if facts.conclusion.is_pass() {
        for (i, p) in facts.points.iter().enumerate() {
            if !p.is_within() {
                errors.push(CalibrationError::PointOutOfTolerance { position: i + 1 });
            }
        }
    }
    if facts.next_due < facts.performed {
        errors.push(CalibrationError::DueBeforePerformed { next_due: facts.next_due });
    } else if facts.next_due != facts.computed_due && facts.due_reason.trim().is_empty() {
        errors.push(CalibrationError::OverrideWithoutReason { computed: facts.computed_due });
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    fn dec(text: &str) -> Decimal {
        Decimal::parse(text).expect("decimal")
    }

    #[test]
    fn codes_and_labels_round_trip() {
        for m in Method::ALL {
            assert_eq!(Method::parse(m.code()), Some(*m));
            assert_eq!(Method::parse(m.label()), Some(*m));
        }
        for c in Conclusion::ALL {
            assert_eq!(Conclusion::parse(c.code()), Some(*c));
            assert_eq!(Conclusion::parse(c.label()), Some(*c));
        }
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(k.code()), Some(*k));
        }
        assert_eq!(Method::parse("检定"), None, "verification is value transfer, not a fourth method");
    }

    #[test]
    fn gas_detectors_are_verified_yearly_and_every_default_is_a_valid_cycle() {
        let cycles = built_in_cycles();
        let gas = cycles.iter().find(|c| c.class == "gas_detector").expect("gas detectors");
        assert_eq!((gas.months, gas.method, gas.basis.as_str()), (12, Method::ValueTransfer, "JJG 693-2011"));
        let registry = crate::asset::ClassRegistry::built_in();
        for c in &cycles {
            assert!(registry.get(&c.class).is_some(), "{} is a built-in class", c.class);
            assert!(c.cycle().is_some(), "{}", c.class);
        }
        for class in ["gas_analyzer", "water_analyzer", "air_station", "voc_analyzer"] {
            assert!(cycles.iter().any(|c| c.class == class), "{class}");
        }
        assert_eq!(Cycle::months(0), None);
        assert_eq!(Cycle::months(121), None);
        assert_eq!(Cycle::days(3651), None);
        for c in [Cycle::Months(12), Cycle::Days(365), Cycle::Months(1)] {
            assert_eq!(Cycle::parse(&c.code()), Some(c));
        }
        for bad in ["", "12", "0m", "121m", "12y", "-3d", "m"] {
            assert_eq!(Cycle::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn next_due_is_one_cycle_after_a_pass_and_at_once_after_a_failure() {
        let year = Cycle::months(12).expect("cycle");
        assert_eq!(next_due(d("2025-01-05"), year, Conclusion::Pass), d("2026-01-05"));
        assert_eq!(next_due(d("2025-03-31"), Cycle::months(3).expect("c"), Conclusion::Pass), d("2025-06-30"));
        assert_eq!(next_due(d("2024-02-29"), year, Conclusion::PassAfterAdjustment), d("2025-02-28"));
        assert_eq!(next_due(d("2025-01-05"), year, Conclusion::Fail), d("2025-01-05"));
        let own = Cycle::days(180).expect("cycle");
        assert_eq!(next_due(d("2025-01-05"), own, Conclusion::Pass), d("2025-07-04"), "a CI's own cycle in days");
    }

    #[test]
    fn due_states_on_the_boundaries() {
        let today = d("2026-01-10");
        assert_eq!(due_state(None, today), DueState::Never);
        assert_eq!(due_state(Some(d("2026-01-05")), today), DueState::Overdue { days: 5 });
        assert_eq!(due_state(Some(d("2026-01-09")), today), DueState::Overdue { days: 1 });
        assert_eq!(due_state(Some(today), today), DueState::DueSoon { days: 0 });
        assert_eq!(due_state(Some(d("2026-02-09")), today), DueState::DueSoon { days: 30 });
        assert_eq!(due_state(Some(d("2026-02-10")), today), DueState::Valid { days: 31 });
        assert_eq!(DueState::Never.notice(), Some(NoticeKind::Overdue));
        assert_eq!(DueState::Valid { days: 31 }.notice(), None);
    }

    #[test]
    fn points_compute_their_error_and_compare_exactly() {
        let p = MeasuredPoint::new(dec("50"), dec("52.5"), None, Some(dec("2.5")));
        assert_eq!(p.error.to_string(), "2.5");
        assert!(p.is_within(), "the limit itself is within");
        let q = MeasuredPoint::new(dec("50"), dec("47.4"), None, Some(dec("2.5")));
        assert_eq!(q.error.to_string(), "-2.6");
        assert!(!q.is_within());
        let stated = MeasuredPoint::new(dec("0"), dec("0.3"), Some(dec("0.1")), Some(dec("0.2")));
        assert_eq!(stated.error.to_string(), "0.1", "the certificate's own error is kept");
        assert!(MeasuredPoint::new(dec("1"), dec("9"), None, None).is_within(), "no limit stated");
        assert_eq!(difference(dec("0.05"), dec("0.1")).to_string(), "-0.05");
    }

    fn facts() -> RecordFacts {
        RecordFacts {
            performed: d("2026-01-05"),
            standard_valid_until: Some(d("2026-06-30")),
            conclusion: Conclusion::Pass,
            points: vec![MeasuredPoint::new(dec("50"), dec("51"), None, Some(dec("5")))],
            next_due: d("2027-01-05"),
            computed_due: d("2027-01-05"),
            due_reason: String::new(),
        }
    }

    #[test]
    fn a_consistent_record_passes_and_each_rule_names_its_problem() {
        let today = d("2026-01-10");
        assert_eq!(check_record(&facts(), today), Ok(()));
        let mut f = facts();
        f.performed = d("2026-01-11");
        f.next_due = d("2027-01-11");
        f.computed_due = f.next_due;
        f.standard_valid_until = Some(d("2026-01-10"));
        f.points.push(MeasuredPoint::new(dec("100"), dec("110"), None, Some(dec("5"))));
        assert_eq!(
            check_record(&f, today),
            Err(vec![
                CalibrationError::PerformedInFuture { performed: d("2026-01-11") },
                CalibrationError::StandardExpired { valid_until: d("2026-01-10"), performed: d("2026-01-11") },
                CalibrationError::PointOutOfTolerance { position: 2 },
            ])
        );
        // A failure may record points out of tolerance: that is why it failed.
        let mut failed = facts();
        failed.conclusion = Conclusion::Fail;
        failed.points[0] = MeasuredPoint::new(dec("50"), dec("70"), None, Some(dec("5")));
        assert_eq!(check_record(&failed, today), Ok(()));
        let mut moved = facts();
        moved.next_due = d("2026-12-01");
        assert_eq!(
            check_record(&moved, today),
            Err(vec![CalibrationError::OverrideWithoutReason { computed: d("2027-01-05") }])
        );
        moved.due_reason = "与全厂停车检修同步".into();
        assert_eq!(check_record(&moved, today), Ok(()));
        moved.next_due = d("2025-12-31");
        assert_eq!(
            check_record(&moved, today),
            Err(vec![CalibrationError::DueBeforePerformed { next_due: d("2025-12-31") }])
        );
    }

    proptest! {
        #[test]
        fn a_pass_is_due_within_the_cycle_and_never_before_it_was_performed(
            days in 0i64..20_000, months in 1u32..=120,
        ) {
            let performed = d("2000-01-01") + chrono::Duration::days(days);
            let cycle = Cycle::months(months).expect("cycle");
            let due = next_due(performed, cycle, Conclusion::Pass);
            prop_assert!(due > performed);
            let span = (due - performed).num_days();
            prop_assert!(span >= i64::from(months) * 28 && span <= i64::from(months) * 31);
            prop_assert_eq!(due_state(Some(due), performed).notice().is_some(), span <= DUE_SOON_DAYS);
        }

        #[test]
        fn the_computed_error_is_exact(n in -100_000i64..100_000, r in -100_000i64..100_000) {
            let text = |units: i64, scale: u32| {
                let sign = if units < 0 { "-" } else { "" };
                let p = 10i64.pow(scale);
                let width = usize::try_from(scale).expect("small");
                format!("{sign}{}.{:0width$}", units.abs() / p, units.abs() % p)
            };
            let (nominal, reading) = (dec(&text(n, 2)), dec(&text(r, 3)));
            let p = MeasuredPoint::new(nominal, reading, None, None);
            // reading − error gives the nominal back, and the error is exactly (r·10 − n·100)/1000.
            prop_assert_eq!(difference(reading, p.error), nominal);
            prop_assert_eq!(p.error, dec(&text(r - n * 10, 3)));
        }
    }
}
