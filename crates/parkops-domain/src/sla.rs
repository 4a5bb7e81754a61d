//! Service-level targets and clocks. Targets per level are versioned
//! configuration; a clock measures elapsed service time on 7×24 or working-hours coverage,
//! minus the time the ticket waited on the reporter or a vendor.

use std::collections::BTreeMap;

use chrono::Duration;

use crate::calendar::WorkingCalendar;
use crate::ticket::Level;
use crate::time::Timestamp;

/// When the clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coverage {
    /// Around the clock.
    TwentyFourSeven,
    /// Only in working hours of working days.
    WorkingHours,
}

impl Coverage {
    /// Stable code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::TwentyFourSeven => "7x24",
            Self::WorkingHours => "working_hours",
        }
    }

    /// The coverage with this code.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        [Self::TwentyFourSeven, Self::WorkingHours].into_iter().find(|c| c.code() == code)
    }
}

/// The targets of one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Time to respond (acknowledge).
    pub response: Duration,
    /// Time to resolve.
    pub resolve: Duration,
    /// When the clocks run.
    pub coverage: Coverage,
}

/// The SLA targets for every level, with the warning threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPolicy {
    /// Targets by level.
    pub targets: BTreeMap<Level, Target>,
    /// Percent of a target at which the assignee and line lead are warned (default 80).
    pub warn_percent: u32,
}

impl Default for SlaPolicy {
    /// `shared/domain.md` §2.2: 致命 15 min / 4 h and 严重 30 min / 8 h around the clock;
    /// 一般 4 / 24 working hours (3 days); 轻微 1 / 10 working days; 建议 5 / 20 working days.
    fn default() -> Self {
        let t = |response, resolve, coverage| Target { response, resolve, coverage };
        let wd = |days: i64| Duration::hours(8 * days);
        let targets = [
            (Level::Fatal, t(Duration::minutes(15), Duration::hours(4), Coverage::TwentyFourSeven)),
            (Level::Severe, t(Duration::minutes(30), Duration::hours(8), Coverage::TwentyFourSeven)),
            (Level::General, t(Duration::hours(4), wd(3), Coverage::WorkingHours)),
            (Level::Minor, t(wd(1), wd(10), Coverage::WorkingHours)),
            (Level::Suggestion, t(wd(5), wd(20), Coverage::WorkingHours)),
        ]
        .into();
        Self { targets, warn_percent: 80 }
    }
}

/// Why an SLA policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlaError {
    /// A level has no targets.
    #[error("no targets for {0:?}")]
    MissingLevel(Level),
    /// A target is not positive, or resolution comes before response.
    #[error("targets of {0:?} must be positive and resolution not shorter than response")]
    BadTarget(Level),
    /// The warning threshold is outside 1–99 %.
    #[error("warning threshold must be 1 to 99 percent")]
    WarnPercent,
}

impl SlaPolicy {
    /// Checks every level has sane targets.
    ///
    /// # Errors
    /// [`SlaError`] for the first problem.
    pub fn validate(&self) -> Result<(), SlaError> {
        for &level in Level::ALL {
            let t = self.targets.get(&level).ok_or(SlaError::MissingLevel(level))?;
            if t.response <= Duration::zero() || t.resolve < t.response {
                return Err(SlaError::BadTarget(level));
            }
        }
        if !(1..=99).contains(&self.warn_percent) {
            return Err(SlaError::WarnPercent);
        }
        Ok(())
    }

    /// The targets of a level (the default's, should a stored policy lack one).
    #[must_use]
    pub fn target(&self, level: Level) -> Target {
        self.targets.get(&level).copied().unwrap_or_else(|| Self::default().targets[&level])
    }
}

/// A pause of the clock: waiting on the reporter or a vendor, `end` open while it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// Start.
    pub start: Timestamp,
    /// End, if over.
    pub end: Option<Timestamp>,
}

/// One running SLA clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaClock<'a> {
    /// Working calendar (for working-hours coverage).
    pub calendar: &'a WorkingCalendar,
    /// Coverage.
    pub coverage: Coverage,
    /// The target.
    pub target: Duration,
    /// When the clock started (the ticket was opened).
    pub started: Timestamp,
    /// Pauses, in order.
    pub pauses: &'a [Pause],
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockState {
    /// Running, due at this instant (the instant the elapsed time reaches the target).
    Running {
        /// The due instant.
        due: Timestamp,
    },
    /// Paused: the due instant moves by the pause.
    Paused,
}

impl SlaClock<'_> {
    fn span(&self, a: Timestamp, b: Timestamp) -> Duration {
        match self.coverage {
            Coverage::TwentyFourSeven => {
                if b > a {
                    b.since(a)
                } else {
                    Duration::zero()
                }
            }
            Coverage::WorkingHours => self.calendar.working_between(a, b),
        }
    }

    fn add(&self, from: Timestamp, d: Duration) -> Timestamp {
        match self.coverage {
            Coverage::TwentyFourSeven => from.plus(d),
            Coverage::WorkingHours => self.calendar.add_working(from, d),
        }
    }

    /// Service time elapsed by `now`, pauses excluded.
    #[must_use]
    pub fn elapsed(&self, now: Timestamp) -> Duration {
        let mut total = self.span(self.started, now);
        for p in self.pauses {
            let end = p.end.unwrap_or(now).min(now);
            total -= self.span(p.start.max(self.started), end);
        }
        total.max(Duration::zero())
    }

    /// Elapsed time as a share of the target, in percent (can exceed 100).
    #[must_use]
    pub fn percent(&self, now: Timestamp) -> i64 {
        let target = self.target.num_milliseconds().max(1);
        self.elapsed(now).num_milliseconds().saturating_mul(100) / target
    }

    /// The state at `now`: paused, or running with its due instant.
    #[must_use]
    pub fn state(&self, now: Timestamp) -> ClockState {
        if self.pauses.iter().any(|p| p.end.is_none() && p.start <= now) {
            return ClockState::Paused;
        }
        let left = self.target - self.elapsed(now);
        if left <= Duration::zero() {
            // Already past: the due instant was when elapsed reached the target, found by
            // walking from the start and skipping the pauses.
            return ClockState::Running { due: self.due_from_start() };
        }
        ClockState::Running { due: self.add(now, left) }
    }

    /// The due instant computed from the start, stepping over closed pauses.
    fn due_from_start(&self) -> Timestamp {
        let mut due = self.add(self.started, self.target);
        for p in self.pauses {
            let Some(end) = p.end else { continue };
            if p.start < due {
                let paused = self.span(p.start.max(self.started), end);
                due = self.add(due.max(end), paused);
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(min: i64) -> Timestamp {
        // 2026-11-25 (Wednesday) 09:00 CST plus `min` minutes.
        Timestamp::from_millis(1_795_568_400_000 + min * 60_000)
    }

    #[test]
    fn default_policy_is_valid_and_ordered_by_level() {
        let p = SlaPolicy::default();
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.target(Level::Fatal).response, Duration::minutes(15));
        assert_eq!(p.target(Level::Fatal).coverage, Coverage::TwentyFourSeven);
        assert_eq!(p.target(Level::General).coverage, Coverage::WorkingHours);
    }

    #[test]
    fn invalid_policies_are_refused() {
        let mut p = SlaPolicy::default();
        p.targets.remove(&Level::Minor);
        assert_eq!(p.validate(), Err(SlaError::MissingLevel(Level::Minor)));
        let p = SlaPolicy { warn_percent: 100, ..SlaPolicy::default() };
        assert_eq!(p.validate(), Err(SlaError::WarnPercent));
    }

    #[test]
    fn a_pause_moves_the_due_time_by_its_length() {
        let cal = WorkingCalendar::default();
        let running = SlaClock {
            calendar: &cal,
            coverage: Coverage::TwentyFourSeven,
            target: Duration::hours(4),
            started: t(0),
            pauses: &[],
        };
        assert_eq!(running.state(t(10)), ClockState::Running { due: t(240) });
        let pauses = [Pause { start: t(60), end: Some(t(90)) }];
        let paused = SlaClock { pauses: &pauses, ..running.clone() };
        assert_eq!(paused.state(t(100)), ClockState::Running { due: t(270) });
        assert_eq!(paused.elapsed(t(100)), Duration::minutes(70));
        let open = [Pause { start: t(60), end: None }];
        assert_eq!(SlaClock { pauses: &open, ..running }.state(t(100)), ClockState::Paused);
    }

    #[test]
    fn percent_crosses_80_and_100() {
        let cal = WorkingCalendar::default();
        let c = SlaClock {
            calendar: &cal,
            coverage: Coverage::TwentyFourSeven,
            target: Duration::minutes(100),
            started: t(0),
            pauses: &[],
        };
        assert_eq!(c.percent(t(79)), 79);
        assert_eq!(c.percent(t(80)), 80);
        assert_eq!(c.percent(t(150)), 150);
    }

    proptest! {
        #[test]
        fn paused_time_never_counts(
            start in 0i64..5000, p1 in 0i64..5000, len in 0i64..3000, now in 0i64..20000, working in any::<bool>()
        ) {
            let cal = WorkingCalendar::default();
            let coverage = if working { Coverage::WorkingHours } else { Coverage::TwentyFourSeven };
            let pauses = [Pause { start: t(start + p1), end: Some(t(start + p1 + len)) }];
            let with = SlaClock { calendar: &cal, coverage, target: Duration::hours(8), started: t(start), pauses: &pauses };
            let without = SlaClock { pauses: &[], ..with.clone() };
            let now = t(start + now);
            let paused = with.span(t(start + p1), t(start + p1 + len).min(now));
            prop_assert_eq!(with.elapsed(now), (without.elapsed(now) - paused).max(Duration::zero()));
            prop_assert!(with.elapsed(now) <= without.elapsed(now));
        }

        #[test]
        fn the_due_time_is_when_elapsed_reaches_the_target(start in 0i64..20000, target in 1i64..5000, now in 0i64..20000, working in any::<bool>()) {
            let cal = WorkingCalendar::default();
            let coverage = if working { Coverage::WorkingHours } else { Coverage::TwentyFourSeven };
            let c = SlaClock { calendar: &cal, coverage, target: Duration::minutes(target), started: t(start), pauses: &[] };
            if let ClockState::Running { due } = c.state(t(start + now)) {
                prop_assert_eq!(c.elapsed(due), Duration::minutes(target));
            }
        }
    }
}
