//! Recurrence of inspection, maintenance and calibration plans (R-9.1.1a, R-9.1.1d): every N
//! days, weeks or months from an anchor date, optionally moved onto the next working day of
//! the [`WorkingCalendar`]. Monthly dates are computed from the anchor each time, so a plan
//! anchored on the 31st falls on the last day of shorter months and returns to the 31st.

use chrono::{Datelike, Days, Months, NaiveDate};

use crate::calendar::WorkingCalendar;

/// The interval of a recurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Every {
    /// Every N days.
    Days(u32),
    /// Every N weeks.
    Weeks(u32),
    /// Every N months (day clamped to the month's end).
    Months(u32),
}

impl Every {
    /// Stable code of the unit (`day`, `week`, `month`).
    #[must_use]
    pub const fn unit_code(self) -> &'static str {
        match self {
            Self::Days(_) => "day",
            Self::Weeks(_) => "week",
            Self::Months(_) => "month",
        }
    }

    /// N.
    #[must_use]
    pub const fn count(self) -> u32 {
        match self {
            Self::Days(n) | Self::Weeks(n) | Self::Months(n) => n,
        }
    }

    /// The interval from a unit code and N.
    #[must_use]
    pub fn parse(unit: &str, count: u32) -> Option<Self> {
        match unit.trim() {
            "day" => Some(Self::Days(count)),
            "week" => Some(Self::Weeks(count)),
            "month" => Some(Self::Months(count)),
            _ => None,
        }
    }

    /// The largest N allowed for the unit (ten years).
    #[must_use]
    pub const fn max_count(self) -> u32 {
        match self {
            Self::Days(_) => 3650,
            Self::Weeks(_) => 520,
            Self::Months(_) => 120,
        }
    }

    /// An upper bound of the interval in days.
    const fn max_days(self) -> u64 {
        match self {
            Self::Days(n) => n as u64,
            Self::Weeks(n) => 7 * n as u64,
            Self::Months(n) => 31 * n as u64,
        }
    }
}

/// What happens to a date that is not a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shift {
    /// Nothing: around-the-clock work (remote checks, automated calibrations).
    Keep,
    /// Moved to the next working day (on-site work by day staff).
    NextWorkingDay,
}

impl Shift {
    /// Stable code (`keep`, `next_working_day`).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Keep => "keep",
            Self::NextWorkingDay => "next_working_day",
        }
    }

    /// The shift with this code.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "keep" => Some(Self::Keep),
            "next_working_day" => Some(Self::NextWorkingDay),
            _ => None,
        }
    }
}

/// A validated recurrence rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Recurrence {
    anchor: NaiveDate,
    every: Every,
    shift: Shift,
}

/// Why a recurrence was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    /// N is zero.
    #[error("the interval must be at least 1")]
    Zero,
    /// N is beyond ten years.
    #[error("the interval must be at most {max} {unit}s")]
    TooLong {
        /// The unit code.
        unit: &'static str,
        /// The largest N.
        max: u32,
    },
}

/// How far a date may move to reach a working day; beyond it the date is kept (a calendar
/// without working days must not loop forever). The longest real closure is about 9 days.
const SHIFT_MAX_DAYS: u64 = 31;

/// Safety cap on the number of dates one call returns.
const MAX_OCCURRENCES: usize = 100_000;

impl Recurrence {
    /// A rule starting on `anchor`.
    ///
    /// # Errors
    /// [`RecurrenceError`] for N of zero or beyond ten years.
    pub const fn new(anchor: NaiveDate, every: Every, shift: Shift) -> Result<Self, RecurrenceError> {
        let n = every.count();
        if n == 0 {
            return Err(RecurrenceError::Zero);
        }
        if n > every.max_count() {
            return Err(RecurrenceError::TooLong { unit: every.unit_code(), max: every.max_count() });
        }
        Ok(Self { anchor, every, shift })
    }

    /// The first date.
    #[must_use]
    pub const fn anchor(&self) -> NaiveDate {
        self.anchor
    }

    /// The interval.
    #[must_use]
    pub const fn every(&self) -> Every {
        self.every
    }

    /// The working-day rule.
    #[must_use]
    pub const fn shift(&self) -> Shift {
        self.shift
    }

    /// The k-th nominal date (before any shift), if representable.
    fn nominal(&self, k: u64) -> Option<NaiveDate> {
        let n = u64::from(self.every.count());
        match self.every {
            Every::Days(_) => self.anchor.checked_add_days(Days::new(k.checked_mul(n)?)),
            Every::Weeks(_) => self.anchor.checked_add_days(Days::new(k.checked_mul(n)?.checked_mul(7)?)),
            Every::Months(_) => {
                let months = u32::try_from(k.checked_mul(n)?).ok()?;
                self.anchor.checked_add_months(Months::new(months))
            }
        }
    }

    /// An index whose nominal date is not after `date` (a lower bound of the first index on or
    /// after it; the caller skips the few dates before).
    fn first_index_near(&self, date: NaiveDate) -> u64 {
        if date <= self.anchor {
            return 0;
        }
        let n = u64::from(self.every.count());
        let days = u64::try_from((date - self.anchor).num_days()).unwrap_or(0);
        match self.every {
            Every::Days(_) => days / n,
            Every::Weeks(_) => days / (7 * n),
            Every::Months(_) => {
                let months = (date.year() - self.anchor.year()) * 12 + i32::try_from(date.month()).unwrap_or(0)
                    - i32::try_from(self.anchor.month()).unwrap_or(0);
                (u64::try_from(months).unwrap_or(0) / n).saturating_sub(1)
            }
        }
    }
}

/// The next working day on or after `date` (the date itself if none within a month).
fn next_working_day(calendar: &WorkingCalendar, date: NaiveDate) -> NaiveDate {
    date.iter_days()
        .take(usize::try_from(SHIFT_MAX_DAYS).unwrap_or(31) + 1)
        .find(|d| calendar.is_working_day(*d))
        .unwrap_or(date)
}

/// The dates of `rule` in `[from, until]` (both inclusive), strictly increasing. With
/// [`Shift::NextWorkingDay`] a date is moved to the next working day; dates that land on the
/// same working day count once, and a date moved into the range from before it is included.
/// Consecutive ranges therefore partition the occurrences.
#[must_use]
pub fn occurrences(rule: &Recurrence, from: NaiveDate, until: NaiveDate, calendar: &WorkingCalendar) -> Vec<NaiveDate> {
    let mut out: Vec<NaiveDate> = Vec::new();
    if until < from {
        return out;
    }
    let lookback = match rule.shift {
        Shift::Keep => from,
        Shift::NextWorkingDay => from.checked_sub_days(Days::new(SHIFT_MAX_DAYS)).unwrap_or(from),
    };
    let mut k = rule.first_index_near(lookback);
    let mut last: Option<NaiveDate> = None;
    while out.len() < MAX_OCCURRENCES {
        let Some(nominal) = rule.nominal(k) else { break };
        if nominal > until {
            break;
        }
        k += 1;
        if nominal < lookback {
            continue;
        }
        let date = match rule.shift {
            Shift::Keep => nominal,
            Shift::NextWorkingDay => next_working_day(calendar, nominal),
        };
        // Shifting is monotone, so the dates never decrease; equal ones merge.
        if last.is_some_and(|l| date <= l) {
            continue;
        }
        last = Some(date);
        if date >= from && date <= until {
            out.push(date);
        }
    }
    out
}

/// The first date of `rule` on or after `date`, if any within reach.
#[must_use]
pub fn next_on_or_after(rule: &Recurrence, date: NaiveDate, calendar: &WorkingCalendar) -> Option<NaiveDate> {
    let horizon = date.checked_add_days(Days::new(rule.every.max_days() + SHIFT_MAX_DAYS + 1))?;
    let from = date.max(rule.anchor);
    let until = horizon.max(rule.anchor.checked_add_days(Days::new(SHIFT_MAX_DAYS + 1))?);
    occurrences(rule, from, until, calendar).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn rule(anchor: NaiveDate, every: Every, shift: Shift) -> Recurrence {
        Recurrence::new(anchor, every, shift).expect("rule")
    }

    #[test]
    fn monthly_on_the_31st_clamps_to_the_month_end() {
        let r = rule(d(2027, 1, 31), Every::Months(1), Shift::Keep);
        let got = occurrences(&r, d(2027, 1, 1), d(2027, 6, 30), &WorkingCalendar::default());
        assert_eq!(
            got,
            vec![d(2027, 1, 31), d(2027, 2, 28), d(2027, 3, 31), d(2027, 4, 30), d(2027, 5, 31), d(2027, 6, 30)]
        );
        let leap = rule(d(2028, 1, 31), Every::Months(1), Shift::Keep);
        assert_eq!(
            occurrences(&leap, d(2028, 2, 1), d(2028, 2, 29), &WorkingCalendar::default()),
            vec![d(2028, 2, 29)]
        );
    }

    #[test]
    fn a_monthly_camera_inspection_moves_onto_working_days() {
        // On the 1st of each month, 2026, on the working calendar: New Year's holiday ends with
        // the make-up Sunday 4 January; 1 February is a Sunday; National Day runs to 7 October.
        let r = rule(d(2026, 1, 1), Every::Months(1), Shift::NextWorkingDay);
        let cal = WorkingCalendar::default();
        let got = occurrences(&r, d(2026, 1, 1), d(2026, 12, 31), &cal);
        assert_eq!(got[0], d(2026, 1, 4));
        assert_eq!(got[1], d(2026, 2, 2));
        assert_eq!(got[4], d(2026, 5, 6), "Labour Day holiday 1–5 May");
        assert_eq!(got[9], d(2026, 10, 8));
        assert_eq!(got.len(), 12);
        let plain = rule(d(2026, 1, 1), Every::Months(1), Shift::Keep);
        assert_eq!(occurrences(&plain, d(2026, 10, 1), d(2026, 10, 31), &cal), vec![d(2026, 10, 1)]);
    }

    #[test]
    fn daily_work_on_working_days_merges_weekends_into_monday() {
        let r = rule(d(2026, 11, 27), Every::Days(1), Shift::NextWorkingDay);
        let got = occurrences(&r, d(2026, 11, 27), d(2026, 12, 1), &WorkingCalendar::default());
        assert_eq!(got, vec![d(2026, 11, 27), d(2026, 11, 30), d(2026, 12, 1)]);
        // A date shifted into the range from before it is included.
        assert_eq!(
            occurrences(&r, d(2026, 11, 30), d(2026, 11, 30), &WorkingCalendar::default()),
            vec![d(2026, 11, 30)]
        );
    }

    #[test]
    fn weekly_and_next_due() {
        let r = rule(d(2026, 3, 2), Every::Weeks(2), Shift::Keep);
        let cal = WorkingCalendar::default();
        assert_eq!(
            occurrences(&r, d(2026, 3, 1), d(2026, 3, 31), &cal),
            vec![d(2026, 3, 2), d(2026, 3, 16), d(2026, 3, 30)]
        );
        assert_eq!(next_on_or_after(&r, d(2026, 3, 17), &cal), Some(d(2026, 3, 30)));
        assert_eq!(next_on_or_after(&r, d(2020, 1, 1), &cal), Some(d(2026, 3, 2)), "nothing before the anchor");
        let yearly = rule(d(2026, 6, 15), Every::Months(12), Shift::Keep);
        assert_eq!(next_on_or_after(&yearly, d(2026, 6, 16), &cal), Some(d(2027, 6, 15)));
    }

    #[test]
    fn intervals_are_checked() {
        assert_eq!(Recurrence::new(d(2026, 1, 1), Every::Days(0), Shift::Keep), Err(RecurrenceError::Zero));
        assert_eq!(
            Recurrence::new(d(2026, 1, 1), Every::Months(121), Shift::Keep),
            Err(RecurrenceError::TooLong { unit: "month", max: 120 })
        );
        assert_eq!(Every::parse("week", 2), Some(Every::Weeks(2)));
        assert_eq!(Shift::parse(Shift::NextWorkingDay.code()), Some(Shift::NextWorkingDay));
    }

    fn any_rule() -> impl Strategy<Value = Recurrence> {
        (0i64..1500, 0u8..3, 1u32..40, any::<bool>()).prop_map(|(offset, unit, n, shift)| {
            let anchor = d(2025, 1, 1) + chrono::Duration::days(offset);
            let every = match unit {
                0 => Every::Days(n),
                1 => Every::Weeks(n),
                _ => Every::Months(n),
            };
            let shift = if shift { Shift::NextWorkingDay } else { Shift::Keep };
            rule(anchor, every, shift)
        })
    }

    proptest! {
        #[test]
        fn occurrences_are_strictly_increasing_and_within_range(r in any_rule(), a in 0i64..1500, len in 0i64..800) {
            let from = d(2025, 1, 1) + chrono::Duration::days(a);
            let until = from + chrono::Duration::days(len);
            let got = occurrences(&r, from, until, &WorkingCalendar::default());
            prop_assert!(got.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(got.iter().all(|x| *x >= from && *x <= until && *x >= r.anchor()));
        }

        #[test]
        fn consecutive_ranges_partition_the_occurrences(r in any_rule(), a in 0i64..1500, l1 in 0i64..400, l2 in 0i64..400) {
            let cal = WorkingCalendar::default();
            let from = d(2025, 1, 1) + chrono::Duration::days(a);
            let mid = from + chrono::Duration::days(l1);
            let until = mid + chrono::Duration::days(l2 + 1);
            let whole = occurrences(&r, from, until, &cal);
            let mut parts = occurrences(&r, from, mid, &cal);
            parts.extend(occurrences(&r, mid + chrono::Duration::days(1), until, &cal));
            prop_assert_eq!(whole, parts);
        }

        #[test]
        fn shifted_dates_are_working_days(r in any_rule(), a in 0i64..1500) {
            let cal = WorkingCalendar::default();
            let from = d(2025, 1, 1) + chrono::Duration::days(a);
            for x in occurrences(&r, from, from + chrono::Duration::days(200), &cal) {
                if r.shift() == Shift::NextWorkingDay { prop_assert!(cal.is_working_day(x)); }
            }
        }

        #[test]
        fn next_due_is_the_first_occurrence_on_or_after(r in any_rule(), a in 0i64..1500) {
            let cal = WorkingCalendar::default();
            let day = d(2025, 1, 1) + chrono::Duration::days(a);
            let next = next_on_or_after(&r, day, &cal);
            let listed = occurrences(&r, day, day + chrono::Duration::days(2000), &cal).into_iter().next();
            prop_assert_eq!(next, listed);
        }
    }
}
