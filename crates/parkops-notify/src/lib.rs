//! ParkOps notification adapter: delivers one [`Message`] by e-mail (SMTP), a
//! generic signed webhook, a DingTalk, WeCom or Feishu group robot (with their signing), or
//! an SMS gateway over HTTP.
//!
//! Key types: [`Notifier`] (the HTTP clients; one per process), [`ChannelConfig`] with its
//! [`Secret`] and [`SmtpOptions`], [`Delivered`], and [`SendError`], which tells a failure
//! worth retrying ([`SendError::Retryable`]: timeouts, 5xx, platform throttling) from one
//! that is not ([`SendError::Permanent`]: 4xx, bad signature, invalid settings, a refused
//! endpoint).
//!
//! This crate sends one message once. When to send, the platform rate limits, digests
//! and the retry schedule are pure rules in `parkops_domain::notify`, applied by the app.
//! It never reads the clock (`now` is a parameter and becomes the signing timestamp),
//! never sleeps or retries by itself, never follows redirects, and never connects to
//! link-local or cloud-metadata addresses (see [`Blocked`]).

mod config;
mod email;
mod guard;
mod http;
mod render;
mod sign;

use std::time::Duration;

pub use config::{ChannelConfig, ConfigError, DEFAULT_TIMEOUT, Secret, SmtpOptions, SmtpSecurity};
pub use guard::Blocked;
use parkops_domain::notify::{ChannelKind, Message};
use parkops_domain::time::Timestamp;

/// Sends notifications. Holds the HTTP clients (connection pools, TLS settings), so build
/// one at start-up and share it.
#[derive(Debug, Clone)]
pub struct Notifier {
    /// For endpoints that must not be loopback (every real channel).
    guarded: reqwest::Client,
    /// For channels with [`ChannelConfig::allow_loopback`] (tests, a relay on the host).
    loopback: reqwest::Client,
}

/// A message the channel accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// The channel it went through.
    pub kind: ChannelKind,
    /// The `now` it was sent at: record it in the channel's send history for
    /// `parkops_domain::notify::admit`.
    pub sent_at: Timestamp,
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Trying again later may work (timeout, network, 5xx, 429, platform throttling).
    #[error("temporary failure: {failure}")]
    Retryable {
        /// What went wrong.
        failure: Failure,
        /// The platform's own wait, when it names one (`Retry-After`, a muted robot).
        /// Take the later of this and `parkops_domain::notify::next_attempt`.
        retry_after: Option<Duration>,
    },
    /// Trying again will fail the same way until someone changes the settings.
    #[error("permanent failure: {0}")]
    Permanent(Failure),
}

/// What went wrong with a delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// No complete answer within [`ChannelConfig::timeout`].
    #[error("no answer within the timeout")]
    Timeout,
    /// Name resolution, connection or transfer failed.
    #[error("network failure")]
    Network,
    /// The endpoint answered with this HTTP status.
    #[error("http status {0}")]
    Status(u16),
    /// The robot platform answered with this error code (DingTalk and WeCom `errcode`,
    /// Feishu `code`): a wrong signature, keyword, token or IP allow-list.
    #[error("platform error code {code}")]
    Platform {
        /// The platform's code.
        code: i64,
    },
    /// The robot platform refused because the robot is sending too fast.
    #[error("platform throttled the robot (code {code})")]
    Throttled {
        /// The platform's code.
        code: i64,
    },
    /// The answer was not the platform's JSON.
    #[error("unexpected answer from the platform")]
    UnexpectedAnswer,
    /// The SMTP server refused, with its reply code when it gave one.
    #[error("smtp server refused (reply {code:?})")]
    Smtp {
        /// The three-digit SMTP reply code.
        code: Option<u16>,
    },
    /// The channel settings are invalid.
    #[error("invalid channel settings: {0}")]
    Config(ConfigError),
    /// The endpoint is forbidden by the outbound-request guard.
    #[error("endpoint refused: {0}")]
    Blocked(Blocked),
    /// No TLS crypto provider is installed (`rustls::crypto::ring::default_provider().install_default()` at start-up).
    #[error("no tls crypto provider installed")]
    NoCryptoProvider,
}

impl Notifier {
    /// The HTTP clients, with redirects off and the outbound-request guard in their resolver.
    ///
    /// # Errors
    /// [`Failure::NoCryptoProvider`] (as permanent) when no rustls provider was installed,
    /// and [`Failure::Network`] when the TLS settings cannot be built.
    pub fn new() -> Result<Self, SendError> {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            return Err(SendError::Permanent(Failure::NoCryptoProvider));
        }
        Ok(Self { guarded: http::client(false)?, loopback: http::client(true)? })
    }

    /// Delivers `message` through the channel, once. `now` is the send time and the
    /// signing timestamp (DingTalk and Feishu reject timestamps an hour away from theirs).
    ///
    /// # Errors
    /// [`SendError::Retryable`] or [`SendError::Permanent`], with the [`Failure`].
    pub async fn send(
        &self,
        config: &ChannelConfig,
        message: &Message,
        now: Timestamp,
    ) -> Result<Delivered, SendError> {
        let outcome = match config.kind {
            ChannelKind::Email => email::send(config, message, now).await,
            ChannelKind::Webhook
            | ChannelKind::DingTalk
            | ChannelKind::WeCom
            | ChannelKind::Feishu
            | ChannelKind::Sms => {
                let client = if config.allow_loopback { &self.loopback } else { &self.guarded };
                http::send(client, config, message, now).await
            }
        };
        match &outcome {
            Ok(()) => tracing::debug!(channel = config.kind.code(), "notification delivered"),
            Err(e) => tracing::warn!(channel = config.kind.code(), error = %e, "notification not delivered"),
        }
        outcome.map(|()| Delivered { kind: config.kind, sent_at: now })
    }
}

/// Delivers one message with a [`Notifier`] built for the purpose: for one-off sends such as
/// an administrator's "send a test message". Long-running code should keep a [`Notifier`].
///
/// # Errors
/// As [`Notifier::new`] and [`Notifier::send`].
pub async fn send(config: &ChannelConfig, message: &Message, now: Timestamp) -> Result<Delivered, SendError> {
    Notifier::new()?.send(config, message, now).await
}

impl SendError {
    /// Whether trying again later may help.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }

    /// What went wrong.
    #[must_use]
    pub fn failure(&self) -> &Failure {
        match self {
            Self::Retryable { failure, .. } | Self::Permanent(failure) => failure,
        }
    }

    /// The platform's own wait before a retry, if it named one.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Retryable { retry_after, .. } => *retry_after,
            Self::Permanent(_) => None,
        }
    }

    pub(crate) fn retry(failure: Failure) -> Self {
        Self::Retryable { failure, retry_after: None }
    }
}

impl From<ConfigError> for SendError {
    fn from(e: ConfigError) -> Self {
        Self::Permanent(Failure::Config(e))
    }
}

impl From<Blocked> for SendError {
    fn from(b: Blocked) -> Self {
        Self::Permanent(Failure::Blocked(b))
    }
}
