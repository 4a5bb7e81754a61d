//! Password policy (R-9.1.2d, R-9.1.3.2k; 等保 8.1.4.1a). The default is the standard's:
//! at least 8 characters with upper case, lower case and a special character; every
//! number is configuration that the security administrator can revise.

use crate::time::Timestamp;

/// The configurable password rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in characters (never below 8, the standard's floor).
    pub min_length: u32,
    /// Require an upper-case letter.
    pub require_upper: bool,
    /// Require a lower-case letter.
    pub require_lower: bool,
    /// Require a digit.
    pub require_digit: bool,
    /// Require a special (non-alphanumeric) character.
    pub require_special: bool,
    /// How many previous passwords may not be reused (0 = no history check).
    pub history_count: u32,
    /// Days after which a password expires and must be changed (0 = never).
    pub max_age_days: u32,
}

/// The floor no configuration may go below (R-9.1.2d).
pub const MIN_LENGTH_FLOOR: u32 = 8;
/// The longest password accepted; long passphrases are welcome (ASVS V6.2.9).
pub const MAX_LENGTH: usize = 128;

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            require_upper: true,
            require_lower: true,
            require_digit: false,
            require_special: true,
            history_count: 5,
            max_age_days: 90,
        }
    }
}

/// One rule a candidate password breaks. The UI names each in the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PasswordRule {
    /// Shorter than `min`.
    TooShort {
        /// The minimum.
        min: u32,
    },
    /// Longer than [`MAX_LENGTH`].
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// No upper-case letter.
    MissingUpper,
    /// No lower-case letter.
    MissingLower,
    /// No digit.
    MissingDigit,
    /// No special character.
    MissingSpecial,
    /// On the list of common passwords.
    Common,
    /// Contains the user's own name.
    ContainsUsername,
    /// Equal to one of the last `count` passwords.
    Reused {
        /// The history length.
        count: u32,
    },
}

impl PasswordRule {
    /// Stable code, used as the resource-file key suffix and in API errors.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::TooLong { .. } => "too_long",
            Self::MissingUpper => "missing_upper",
            Self::MissingLower => "missing_lower",
            Self::MissingDigit => "missing_digit",
            Self::MissingSpecial => "missing_special",
            Self::Common => "common",
            Self::ContainsUsername => "contains_username",
            Self::Reused { .. } => "reused",
        }
    }
}

/// Why a policy itself was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Minimum length below the standard's floor of 8, or above the maximum.
    #[error("minimum length must be between {floor} and {max}")]
    MinLength {
        /// Lowest allowed.
        floor: u32,
        /// Highest allowed.
        max: usize,
    },
    /// The standard requires upper case, lower case and special characters.
    #[error("the standard requires upper case, lower case and special characters")]
    CompositionRequired,
    /// History or expiry out of range.
    #[error("value out of range")]
    OutOfRange,
}

impl PasswordPolicy {
    /// Checks that the policy itself meets the standard's floor.
    ///
    /// # Errors
    /// [`PolicyError`].
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.min_length < MIN_LENGTH_FLOOR || self.min_length as usize > MAX_LENGTH {
            return Err(PolicyError::MinLength { floor: MIN_LENGTH_FLOOR, max: MAX_LENGTH });
        }
        if !(self.require_upper && self.require_lower && self.require_special) {
            return Err(PolicyError::CompositionRequired);
        }
        if self.history_count > 24 || self.max_age_days > 3650 {
            return Err(PolicyError::OutOfRange);
        }
        Ok(())
    }

    /// The rules `candidate` breaks, in a stable order; empty when it is acceptable.
    /// `is_common` tells whether the candidate is on the common-password list (an
    /// adapter's data); history is checked separately because it needs the hashes.
    #[must_use]
    pub fn violations(&self, candidate: &str, username: &str, is_common: bool) -> Vec<PasswordRule> {
        let mut out = Vec::new();
        let len = candidate.chars().count();
        if len < self.min_length as usize {
            out.push(PasswordRule::TooShort { min: self.min_length });
        }
        if len > MAX_LENGTH {
            out.push(PasswordRule::TooLong { max: MAX_LENGTH });
        }
        if self.require_upper && !candidate.chars().any(char::is_uppercase) {
            out.push(PasswordRule::MissingUpper);
        }
        if self.require_lower && !candidate.chars().any(char::is_lowercase) {
            out.push(PasswordRule::MissingLower);
        }
        if self.require_digit && !candidate.chars().any(|c| c.is_ascii_digit()) {
            out.push(PasswordRule::MissingDigit);
        }
        if self.require_special && !candidate.chars().any(is_special) {
            out.push(PasswordRule::MissingSpecial);
        }
        if is_common {
            out.push(PasswordRule::Common);
        }
        let user = username.trim().to_lowercase();
        if user.chars().count() >= 3 && candidate.to_lowercase().contains(&user) {
            out.push(PasswordRule::ContainsUsername);
        }
        out
    }

    /// Whether a password last changed at `changed_at` has expired at `now`.
    #[must_use]
    pub fn is_expired(&self, changed_at: Timestamp, now: Timestamp) -> bool {
        self.max_age_days > 0 && now.since(changed_at) >= chrono::Duration::days(i64::from(self.max_age_days))
    }
}

/// A special character: anything printable that is neither a letter, a digit nor white space.
fn is_special(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn standard_example_is_accepted() {
        let p = PasswordPolicy::default();
        assert!(p.violations("Jiangbin@2026", "zhangsan", false).is_empty());
    }

    #[test]
    fn each_rule_is_named() {
        let p = PasswordPolicy { require_digit: true, ..PasswordPolicy::default() };
        assert_eq!(
            p.violations("abc", "zhangsan", false),
            vec![
                PasswordRule::TooShort { min: 8 },
                PasswordRule::MissingUpper,
                PasswordRule::MissingDigit,
                PasswordRule::MissingSpecial
            ]
        );
        assert_eq!(p.violations("Zhangsan#2026", "zhangsan", false), vec![PasswordRule::ContainsUsername]);
        assert_eq!(p.violations("Password@1", "x", true), vec![PasswordRule::Common]);
    }

    #[test]
    fn policy_below_standard_is_refused() {
        let p = PasswordPolicy { min_length: 6, ..PasswordPolicy::default() };
        assert!(p.validate().is_err());
        let p = PasswordPolicy { require_special: false, ..PasswordPolicy::default() };
        assert_eq!(p.validate(), Err(PolicyError::CompositionRequired));
        assert!(PasswordPolicy::default().validate().is_ok());
    }

    #[test]
    fn expiry_counts_days() {
        let p = PasswordPolicy::default();
        let t0 = Timestamp::from_millis(0);
        assert!(!p.is_expired(t0, t0.plus(chrono::Duration::days(89))));
        assert!(p.is_expired(t0, t0.plus(chrono::Duration::days(90))));
        let never = PasswordPolicy { max_age_days: 0, ..p };
        assert!(!never.is_expired(t0, t0.plus(chrono::Duration::days(9000))));
    }

    proptest! {
        #[test]
        fn accepts_exactly_per_spec(s in "\\PC{0,80}") {
            let p = PasswordPolicy::default();
            let v = p.violations(&s, "", false);
            let ok = s.chars().count() >= 8
                && s.chars().any(char::is_uppercase)
                && s.chars().any(char::is_lowercase)
                && s.chars().any(is_special);
            prop_assert_eq!(v.is_empty(), ok);
        }

        #[test]
        fn long_passphrases_are_accepted(tail in "[a-z]{60,100}") {
            let s = format!("Aa#{tail}");
            prop_assert!(PasswordPolicy::default().violations(&s, "", false).is_empty());
        }
    }
}
