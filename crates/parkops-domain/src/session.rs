//! Session and lockout rules (等保 8.1.4.1b; ASVS V7.3, ASVS4 2.2.1).

use crate::time::Timestamp;

/// Session lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this many minutes ends.
    pub idle_minutes: u32,
    /// A session ends this many hours after login whatever its use.
    pub absolute_hours: u32,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle_minutes: 15, absolute_hours: 12 }
    }
}

/// Why a session is no longer valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// Unused for longer than the idle limit.
    Idle,
    /// Older than the absolute limit.
    Absolute,
}

impl SessionPolicy {
    /// Whether a session created at `created` and last used at `last_seen` still holds at `now`.
    ///
    /// # Errors
    /// The [`SessionEnd`] reason when it has ended.
    pub fn check(&self, created: Timestamp, last_seen: Timestamp, now: Timestamp) -> Result<(), SessionEnd> {
        if now.since(created) >= chrono::Duration::hours(i64::from(self.absolute_hours)) {
            return Err(SessionEnd::Absolute);
        }
        if now.since(last_seen) >= chrono::Duration::minutes(i64::from(self.idle_minutes)) {
            return Err(SessionEnd::Idle);
        }
        Ok(())
    }

    /// Checks the limits are sane (idle 1–30 minutes, absolute 1–24 hours).
    #[must_use]
    pub fn is_valid(&self) -> bool {
        (1..=30).contains(&self.idle_minutes) && (1..=24).contains(&self.absolute_hours)
    }
}

/// Account lockout after consecutive failed logins within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures in a row, each within `lock_minutes` of the previous one, that lock the account.
    pub threshold: u32,
    /// Minutes the lock lasts (a soft lock expires, so an attacker cannot lock a user out for good).
    pub lock_minutes: u32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self { threshold: 5, lock_minutes: 15 }
    }
}

/// Failed-login state of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    /// Consecutive failures since the last success or unlock.
    pub count: u32,
    /// Locked until this instant, if locked.
    pub locked_until: Option<Timestamp>,
    /// When the last failure happened.
    pub last_failure_at: Option<Timestamp>,
}

impl LockoutPolicy {
    /// Whether the account is locked at `now`.
    #[must_use]
    pub fn is_locked(&self, state: LoginFailures, now: Timestamp) -> bool {
        state.locked_until.is_some_and(|until| now < until)
    }

    /// The state after one more failure at `now`. The count starts afresh once a lock has
    /// expired, or when the previous failure lies longer than the window (`lock_minutes`) back.
    #[must_use]
    pub fn after_failure(&self, state: LoginFailures, now: Timestamp) -> LoginFailures {
        let window = chrono::Duration::minutes(i64::from(self.lock_minutes));
        let stale = state.last_failure_at.is_none_or(|t| now.since(t) >= window);
        let count = match state.locked_until {
            Some(until) if now >= until => 1,
            _ if stale => 1,
            _ => state.count.saturating_add(1),
        };
        let locked_until = if count >= self.threshold {
            Some(now.plus(chrono::Duration::minutes(i64::from(self.lock_minutes))))
        } else {
            None
        };
        LoginFailures { count, locked_until, last_failure_at: Some(now) }
    }

    /// Checks the limits are sane (3–20 failures, 1–1440 minutes).
    #[must_use]
    pub fn is_valid(&self) -> bool {
        (3..=20).contains(&self.threshold) && (1..=1440).contains(&self.lock_minutes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> Timestamp {
        Timestamp::from_millis(min * 60_000)
    }

    #[test]
    fn idle_and_absolute_limits() {
        let p = SessionPolicy::default();
        assert_eq!(p.check(t(0), t(0), t(14)), Ok(()));
        assert_eq!(p.check(t(0), t(0), t(15)), Err(SessionEnd::Idle));
        assert_eq!(p.check(t(0), t(719), t(720)), Err(SessionEnd::Absolute));
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_lock() {
        let p = LockoutPolicy::default();
        let mut s = LoginFailures::default();
        for i in 0..10 {
            s = p.after_failure(s, t(i * 16));
            assert!(!p.is_locked(s, t(i * 16)), "failure {i}");
            assert_eq!(s.count, 1);
        }
    }

    #[test]
    fn fifth_failure_locks_and_lock_expires() {
        let p = LockoutPolicy::default();
        let mut s = LoginFailures::default();
        for i in 0..4 {
            s = p.after_failure(s, t(i));
            assert!(!p.is_locked(s, t(i)));
        }
        s = p.after_failure(s, t(4));
        assert!(p.is_locked(s, t(4)));
        assert!(p.is_locked(s, t(18)));
        assert!(!p.is_locked(s, t(19)));
        // The next failure after expiry starts a fresh count.
        s = p.after_failure(s, t(20));
        assert_eq!(s.count, 1);
        assert!(!p.is_locked(s, t(20)));
    }
}
