//! Instants as UTC epoch milliseconds, rendered in the park's time zone (Asia/Shanghai, UTC+8).

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

/// An instant, in milliseconds since the Unix epoch (UTC). This is also the storage form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// China Standard Time has no daylight saving; the offset is fixed.
const CST_OFFSET_SECONDS: i32 = 8 * 3600;

impl Timestamp {
    /// The instant `ms` milliseconds after the epoch.
    #[must_use]
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    #[must_use]
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This instant moved by a (possibly negative) duration, saturating at the ends.
    #[must_use]
    pub fn plus(self, duration: chrono::Duration) -> Self {
        Self(self.0.saturating_add(duration.num_milliseconds()))
    }

    /// The signed time from `earlier` to this instant.
    #[must_use]
    pub fn since(self, earlier: Self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.0.saturating_sub(earlier.0))
    }

    /// The instant as a UTC date-time (RFC 3339 with `Z` in logs and exports).
    #[must_use]
    pub fn to_utc(self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0).single().unwrap_or_default()
    }

    /// The instant in China Standard Time, for display.
    #[must_use]
    pub fn to_cst(self) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(CST_OFFSET_SECONDS).expect("+08:00 is a valid offset");
        self.to_utc().with_timezone(&offset)
    }

    /// `2026-11-25 09:30:00`, China Standard Time.
    #[must_use]
    pub fn display_cst(self) -> String {
        self.to_cst().format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-25T01:30:00.000Z`.
    #[must_use]
    pub fn rfc3339(self) -> String {
        self.to_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_in_china_standard_time() {
        // 2026-01-01T00:00:00Z is 08:00 in Beijing.
        let t = Timestamp::from_millis(1_767_225_600_000);
        assert_eq!(t.display_cst(), "2026-01-01 08:00:00");
        assert_eq!(t.rfc3339(), "2026-01-01T00:00:00.000Z");
    }

    #[test]
    fn add_and_since_are_inverse() {
        let t = Timestamp::from_millis(1_000);
        let later = t.plus(chrono::Duration::minutes(15));
        assert_eq!(later.since(t), chrono::Duration::minutes(15));
    }
}
