//! Errors of ports and use cases.

use parkops_domain::access::Capability;

/// What a storage port can report.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row.
    #[error("not found")]
    NotFound,
    /// A uniqueness or foreign-key constraint refused the write.
    #[error("conflict on {constraint}")]
    Conflict {
        /// The constraint's name.
        constraint: String,
    },
    /// A write transaction was committed without its audit record.
    #[error("write transaction committed without an audit record")]
    Unaudited,
    /// The database could not be reached or failed.
    #[error("storage unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A field of a form or request body that was refused, with a message key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field name as in the form and the JSON body.
    pub field: &'static str,
    /// Resource-file key of the message (e.g. `err-password-too_short`).
    pub key: String,
    /// Arguments for the message.
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    /// A message without arguments.
    #[must_use]
    pub fn new(field: &'static str, key: impl Into<String>) -> Self {
        Self { field, key: key.into(), args: Vec::new() }
    }

    /// Adds an argument.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

/// What a use case can report.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nobody is logged in, or the session has ended.
    #[error("not authenticated")]
    Unauthenticated,
    /// The caller lacks the capability for this object.
    #[error("forbidden: {capability:?}")]
    Forbidden {
        /// The capability needed.
        capability: Capability,
    },
    /// No such object (or not visible to the caller).
    #[error("not found")]
    NotFound,
    /// Input refused; nothing was changed.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The object is in a state that refuses the action (message key).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Login refused: the same answer for an unknown user and a wrong password.
    #[error("login refused")]
    LoginRefused,
    /// The account is locked until the given time (display text).
    #[error("account locked")]
    Locked {
        /// Minutes until it unlocks.
        minutes: i64,
    },
    /// Storage is unavailable.
    #[error("unavailable")]
    Unavailable(#[source] StoreError),
}

impl AppError {
    /// One invalid field.
    #[must_use]
    pub fn field(field: &'static str, key: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, key)])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict { constraint } => Self::Conflict(constraint),
            e @ (StoreError::Unaudited | StoreError::Unavailable(_)) => Self::Unavailable(e),
        }
    }
}
