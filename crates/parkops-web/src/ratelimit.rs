//! Per-address request budgets (token buckets) for each rate class (G9).

use std::collections::HashMap;
use std::sync::Mutex;

use parkops_domain::time::Timestamp;

use crate::registry::RateClass;

/// Buckets keyed by (class, address). Memory is bounded: when the map grows past a limit,
/// full buckets are dropped.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<(u8, String), (f64, i64)>>,
}

const MAX_KEYS: usize = 50_000;

fn budget(class: RateClass) -> Option<(f64, f64)> {
    // (capacity, refill per minute)
    match class {
        RateClass::Login => Some((10.0, 10.0)),
        RateClass::Export => Some((10.0, 10.0)),
        RateClass::Normal => Some((600.0, 600.0)),
    }
}

impl RateLimiter {
    /// Takes one token for `address` in `class` at `now`; false when the budget is spent.
    pub fn allow(&self, class: RateClass, address: &str, now: Timestamp) -> bool {
        let Some((capacity, per_minute)) = budget(class) else { return true };
        let Ok(mut map) = self.buckets.lock() else { return true };
        if map.len() > MAX_KEYS {
            map.retain(|_, (tokens, _)| *tokens < capacity);
        }
        let key = (class as u8, address.to_owned());
        let (tokens, at) = map.entry(key).or_insert((capacity, now.as_millis()));
        #[allow(clippy::cast_precision_loss, reason = "milliseconds between two requests fit an f64 exactly")]
        let elapsed = (now.as_millis() - *at).max(0) as f64;
        *tokens = (*tokens + elapsed * per_minute / 60_000.0).min(capacity);
        *at = now.as_millis();
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleventh_login_in_a_minute_is_refused_and_budget_refills() {
        let r = RateLimiter::default();
        let t = Timestamp::from_millis(0);
        for _ in 0..10 {
            assert!(r.allow(RateClass::Login, "1.2.3.4", t));
        }
        assert!(!r.allow(RateClass::Login, "1.2.3.4", t));
        assert!(r.allow(RateClass::Login, "5.6.7.8", t), "other addresses are unaffected");
        assert!(r.allow(RateClass::Login, "1.2.3.4", Timestamp::from_millis(6_000)), "one token per 6 s");
    }
}
