//! The working calendar for SLA clocks: weekends, statutory holidays and make-up working
//! days (调休) as data per year, and working hours per day. All arithmetic is in China
//! Standard Time, and pure.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use crate::time::Timestamp;

/// One year's official schedule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct YearSchedule {
    /// Days off (statutory holidays and the days added to them).
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days that are working days (调休上班).
    pub makeup_days: BTreeSet<NaiveDate>,
}

/// Why a schedule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A date lies outside the year it is filed under.
    #[error("{date} is not in {year}")]
    WrongYear {
        /// The year of the schedule.
        year: i32,
        /// The date.
        date: NaiveDate,
    },
    /// A date is both a holiday and a make-up working day.
    #[error("{0} is both a holiday and a make-up working day")]
    Both(NaiveDate),
    /// The working day ends before it starts.
    #[error("working hours must start before they end")]
    Hours,
}

/// The calendar: schedules by year and the working hours of a working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    /// Official schedules by year.
    pub years: BTreeMap<i32, YearSchedule>,
    /// Start of working hours.
    pub day_start: NaiveTime,
    /// End of working hours.
    pub day_end: NaiveTime,
}

const fn hm(h: u32, m: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, m, 0) {
        Some(t) => t,
        None => NaiveTime::MIN,
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

fn span(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |x| *x <= to)
}

impl YearSchedule {
    /// The State Council's 2026 schedule (notice of 2025-11-04; `shared/domain.md` §7).
    #[must_use]
    pub fn official_2026() -> Self {
        let mut holidays = BTreeSet::new();
        for (a, b) in [
            (d(2026, 1, 1), d(2026, 1, 3)),
            (d(2026, 2, 15), d(2026, 2, 23)),
            (d(2026, 4, 4), d(2026, 4, 6)),
            (d(2026, 5, 1), d(2026, 5, 5)),
            (d(2026, 6, 19), d(2026, 6, 21)),
            (d(2026, 9, 25), d(2026, 9, 27)),
            (d(2026, 10, 1), d(2026, 10, 7)),
        ] {
            holidays.extend(span(a, b));
        }
        let makeup_days =
            [d(2026, 1, 4), d(2026, 2, 14), d(2026, 2, 28), d(2026, 5, 9), d(2026, 9, 20), d(2026, 10, 10)].into();
        Self { holidays, makeup_days }
    }

    /// Checks the schedule belongs to `year` and is consistent.
    ///
    /// # Errors
    /// [`CalendarError`] naming the first bad date.
    pub fn validate(&self, year: i32) -> Result<(), CalendarError> {
        for date in self.holidays.iter().chain(&self.makeup_days) {
            if date.year() != year {
                return Err(CalendarError::WrongYear { year, date: *date });
            }
        }
        if let Some(both) = self.holidays.intersection(&self.makeup_days).next() {
            return Err(CalendarError::Both(*both));
        }
        Ok(())
    }
}

impl Default for WorkingCalendar {
    /// Working hours 09:00–17:00 (8 hours), with the 2026 schedule.
    fn default() -> Self {
        Self { years: [(2026, YearSchedule::official_2026())].into(), day_start: hm(9, 0), day_end: hm(17, 0) }
    }
}

fn cst(t: Timestamp) -> NaiveDateTime {
    t.to_cst().naive_local()
}

fn from_cst(n: NaiveDateTime) -> Timestamp {
    Timestamp::from_millis(n.and_utc().timestamp_millis() - 8 * 3_600_000)
}

impl WorkingCalendar {
    /// Whether the schedule of `year` is on file (otherwise weekends and fixed-date holidays apply).
    #[must_use]
    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// Whether `date` is a working day.
    #[must_use]
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.years.get(&date.year()) {
            Some(y) if y.makeup_days.contains(&date) => true,
            Some(y) if y.holidays.contains(&date) => false,
            Some(_) => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
            // Fallback until the year's schedule is entered: weekends and the fixed-date
            // holidays (New Year's Day, Labour Day, the first three days of October).
            None => {
                let fixed = matches!((date.month(), date.day()), (1, 1) | (5, 1) | (10, 1..=3));
                !fixed && !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            }
        }
    }

    /// Length of a working day.
    #[must_use]
    pub fn day_length(&self) -> Duration {
        self.day_end - self.day_start
    }

    /// Checks the working hours.
    ///
    /// # Errors
    /// [`CalendarError::Hours`].
    pub fn validate(&self) -> Result<(), CalendarError> {
        if self.day_start < self.day_end { Ok(()) } else { Err(CalendarError::Hours) }
    }

    /// Working time between `a` and `b` (zero if `b` is not after `a`).
    #[must_use]
    pub fn working_between(&self, a: Timestamp, b: Timestamp) -> Duration {
        if b <= a || self.day_start >= self.day_end {
            return Duration::zero();
        }
        let (a, b) = (cst(a), cst(b));
        let mut total = Duration::zero();
        let mut day = a.date();
        while day <= b.date() {
            if self.is_working_day(day) {
                let open = day.and_time(self.day_start).max(a);
                let close = day.and_time(self.day_end).min(b);
                if close > open {
                    total += close - open;
                }
            }
            day = match day.succ_opt() {
                Some(x) => x,
                None => break,
            };
        }
        total
    }

    /// The instant at which `work` working time has passed after `start`.
    #[must_use]
    pub fn add_working(&self, start: Timestamp, work: Duration) -> Timestamp {
        if work <= Duration::zero() || self.day_start >= self.day_end {
            return start;
        }
        let mut left = work;
        let mut at = cst(start);
        // Bounded: even 10 years of working time is a few thousand loop turns.
        for _ in 0..10_000 {
            let day = at.date();
            if self.is_working_day(day) {
                let open = day.and_time(self.day_start).max(at);
                let close = day.and_time(self.day_end);
                if close > open {
                    let available = close - open;
                    if left <= available {
                        return from_cst(open + left);
                    }
                    left -= available;
                }
            }
            at = match day.succ_opt() {
                Some(next) => next.and_time(NaiveTime::MIN),
                None => break,
            };
        }
        from_cst(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(y: i32, m: u32, day: u32, h: u32, min: u32) -> Timestamp {
        from_cst(d(y, m, day).and_time(hm(h, min)))
    }

    #[test]
    fn the_2026_schedule_is_honoured() {
        let c = WorkingCalendar::default();
        assert!(!c.is_working_day(d(2026, 10, 1)), "National Day");
        assert!(c.is_working_day(d(2026, 10, 10)), "make-up Saturday");
        assert!(c.is_working_day(d(2026, 2, 14)), "make-up Saturday before the Spring Festival");
        assert!(!c.is_working_day(d(2026, 2, 16)), "Spring Festival");
        assert!(!c.is_working_day(d(2026, 11, 28)), "an ordinary Saturday");
        assert!(c.is_working_day(d(2026, 11, 25)), "an ordinary Wednesday");
        assert!(YearSchedule::official_2026().validate(2026).is_ok());
    }

    #[test]
    fn a_year_without_schedule_falls_back_to_weekends_and_fixed_holidays() {
        let c = WorkingCalendar::default();
        assert!(!c.has_year(2027));
        assert!(!c.is_working_day(d(2027, 1, 1)));
        assert!(!c.is_working_day(d(2027, 10, 2)));
        assert!(c.is_working_day(d(2027, 1, 4)));
    }

    #[test]
    fn working_time_skips_nights_weekends_and_holidays() {
        let c = WorkingCalendar::default();
        // Wednesday 16:00 + 4 working hours = Thursday 12:00.
        assert_eq!(c.add_working(at(2026, 11, 25, 16, 0), Duration::hours(4)), at(2026, 11, 26, 12, 0));
        // Friday 16:00 + 2 h = Monday 10:00.
        assert_eq!(c.add_working(at(2026, 11, 27, 16, 0), Duration::hours(2)), at(2026, 11, 30, 10, 0));
        // Wednesday 30 Sept 2026, the working day before National Day: 16:00 + 4 h lands
        // after the holiday week, on Thursday 8 Oct at 12:00.
        assert_eq!(c.add_working(at(2026, 9, 30, 16, 0), Duration::hours(4)), at(2026, 10, 8, 12, 0));
        // Starting at night counts from the next morning.
        assert_eq!(c.add_working(at(2026, 11, 25, 22, 0), Duration::hours(1)), at(2026, 11, 26, 10, 0));
        assert_eq!(c.working_between(at(2026, 11, 27, 16, 0), at(2026, 11, 30, 10, 0)), Duration::hours(2));
    }

    #[test]
    fn schedules_are_validated() {
        let mut y = YearSchedule::official_2026();
        assert_eq!(y.validate(2027).map_err(|e| matches!(e, CalendarError::WrongYear { .. })), Err(true));
        y.makeup_days.insert(d(2026, 10, 1));
        assert_eq!(y.validate(2026), Err(CalendarError::Both(d(2026, 10, 1))));
    }

    proptest! {
        #[test]
        fn adding_then_measuring_returns_the_same_working_time(
            day in 0i64..700, minute in 0i64..1440, work in 1i64..(60 * 24 * 20)
        ) {
            let c = WorkingCalendar::default();
            let start = at(2026, 1, 1, 0, 0).plus(Duration::days(day) + Duration::minutes(minute));
            let end = c.add_working(start, Duration::minutes(work));
            prop_assert_eq!(c.working_between(start, end), Duration::minutes(work));
            prop_assert!(end > start);
        }

        #[test]
        fn working_time_is_additive(a in 0i64..100_000, b in 0i64..100_000, m in 0i64..100_000) {
            let c = WorkingCalendar::default();
            let base = at(2026, 3, 1, 0, 0);
            let (x, y, z) = {
                let mut v = [a, b, m];
                v.sort_unstable();
                (base.plus(Duration::minutes(v[0])), base.plus(Duration::minutes(v[1])), base.plus(Duration::minutes(v[2])))
            };
            prop_assert_eq!(c.working_between(x, y) + c.working_between(y, z), c.working_between(x, z));
        }
    }
}
