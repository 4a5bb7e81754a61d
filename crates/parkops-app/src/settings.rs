//! The security policy (password, lockout, session, second factor) as versioned data
//! every revision is kept). Only the security administrator edits it.

use parkops_domain::access::Capability;
use parkops_domain::audit::Outcome;
use parkops_domain::password::PasswordPolicy;
use parkops_domain::session::{LockoutPolicy, SessionPolicy};
use serde_json::{Value, json};

use crate::ports::PolicyRecord;
use crate::{App, AppError, Caller, FieldError};

/// Everything the security administrator configures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityPolicy {
    /// Password rules.
    pub password: PasswordPolicy,
    /// Lockout after failed logins.
    pub lockout: LockoutPolicy,
    /// Session lifetimes.
    pub session: SessionPolicy,
    /// Require TOTP of every user, not only the three administrators.
    pub totp_for_all: bool,
}

impl SecurityPolicy {
    /// The policy as JSON (the stored form and the API body).
    #[must_use]
    pub fn to_json(&self) -> Value {
        let p = &self.password;
        json!({
            "password_min_length": p.min_length,
            "password_require_upper": p.require_upper,
            "password_require_lower": p.require_lower,
            "password_require_digit": p.require_digit,
            "password_require_special": p.require_special,
            "password_history_count": p.history_count,
            "password_max_age_days": p.max_age_days,
            "lockout_threshold": self.lockout.threshold,
            "lockout_minutes": self.lockout.lock_minutes,
            "session_idle_minutes": self.session.idle_minutes,
            "session_absolute_hours": self.session.absolute_hours,
            "totp_for_all": self.totp_for_all,
        })
    }

    /// Reads the JSON form; missing fields keep their defaults, and every value is checked.
    ///
    /// # Errors
    /// The fields that are out of range, each with its message key.
    pub fn from_json(v: &Value) -> Result<Self, Vec<FieldError>> {
        let d = Self::default();
        let num = |k: &str, dflt: u32| {
            v.get(k).and_then(Value::as_u64).map_or(dflt, |n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        let flag = |k: &str, dflt: bool| v.get(k).and_then(Value::as_bool).unwrap_or(dflt);
        let policy = Self {
            password: PasswordPolicy {
                min_length: num("password_min_length", d.password.min_length),
                require_upper: flag("password_require_upper", true),
                require_lower: flag("password_require_lower", true),
                require_digit: flag("password_require_digit", d.password.require_digit),
                require_special: flag("password_require_special", true),
                history_count: num("password_history_count", d.password.history_count),
                max_age_days: num("password_max_age_days", d.password.max_age_days),
            },
            lockout: LockoutPolicy {
                threshold: num("lockout_threshold", d.lockout.threshold),
                lock_minutes: num("lockout_minutes", d.lockout.lock_minutes),
            },
            session: SessionPolicy {
                idle_minutes: num("session_idle_minutes", d.session.idle_minutes),
                absolute_hours: num("session_absolute_hours", d.session.absolute_hours),
            },
            totp_for_all: flag("totp_for_all", false),
        };
        let mut errors = Vec::new();
        match policy.password.validate() {
            Ok(()) => {}
            Err(parkops_domain::password::PolicyError::MinLength { floor, max }) => errors.push(
                FieldError::new("password_min_length", "err-policy-min-length").arg("floor", floor).arg("max", max),
            ),
            Err(parkops_domain::password::PolicyError::CompositionRequired) => {
                errors.push(FieldError::new("password_require_special", "err-policy-composition"));
            }
            Err(parkops_domain::password::PolicyError::OutOfRange) => {
                errors.push(FieldError::new("password_history_count", "err-policy-range"));
            }
        }
        if !policy.lockout.is_valid() {
            errors.push(FieldError::new("lockout_threshold", "err-policy-lockout"));
        }
        if !policy.session.is_valid() {
            errors.push(FieldError::new("session_idle_minutes", "err-policy-session"));
        }
        if errors.is_empty() { Ok(policy) } else { Err(errors) }
    }
}

impl App {
    /// The policy in force (the default until one is stored).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn security_policy(&self) -> Result<SecurityPolicy, AppError> {
        Ok(match self.store.policy().await? {
            Some(rec) => serde_json::from_str::<Value>(&rec.body)
                .ok()
                .and_then(|v| SecurityPolicy::from_json(&v).ok())
                .unwrap_or_default(),
            None => SecurityPolicy::default(),
        })
    }

    /// All stored versions, newest first, for the security administrator.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::SecurityPolicyManage`].
    pub async fn security_policy_history(&self, caller: &Caller) -> Result<Vec<PolicyRecord>, AppError> {
        caller.require_any(Capability::SecurityPolicyManage)?;
        Ok(self.store.policy_history().await?)
    }

    /// Stores a new version of the policy.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming each refused field; nothing is stored then.
    pub async fn update_security_policy(&self, caller: &Caller, body: &Value) -> Result<SecurityPolicy, AppError> {
        let p = caller.require_any(Capability::SecurityPolicyManage)?;
        let policy = SecurityPolicy::from_json(body).map_err(AppError::Invalid)?;
        let now = self.clock.now();
        let version = self.store.policy().await?.map_or(1, |r| r.version + 1);
        let rec = PolicyRecord {
            version,
            body: policy.to_json().to_string(),
            created_by: p.username.clone(),
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_policy(&rec).await?;
        let entry = caller.entry(
            "security_policy.update",
            "security_policy",
            &version.to_string(),
            Outcome::Success,
            rec.body.clone(),
        );
        tx.audit(entry, now).await?;
        tx.commit().await?;
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_and_validation() {
        let p = SecurityPolicy::default();
        assert_eq!(SecurityPolicy::from_json(&p.to_json()), Ok(p));
        let bad = json!({"password_min_length": 6, "lockout_threshold": 1});
        let errs = SecurityPolicy::from_json(&bad).expect_err("refused");
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["password_min_length", "lockout_threshold"]);
    }
}
