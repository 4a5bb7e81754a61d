//! The bridge from the app's `Notifier` port to the `parkops-notify` adapter: turns a stored
//! channel into the adapter's settings and its errors into retry decisions.

use async_trait::async_trait;
use parkops_app::notify::{Notifier, SendFailure};
use parkops_app::ports::notify::ChannelRecord;
use parkops_domain::notify::{ChannelKind, Message};
use parkops_domain::time::Timestamp;
use parkops_notify::{ChannelConfig, Secret, SmtpOptions, SmtpSecurity};

/// Sends through `parkops-notify`, keeping one HTTP client for every channel.
pub struct ChannelNotifier {
    inner: parkops_notify::Notifier,
    /// Whether channels may point at 127.0.0.1 (tests and local receivers only).
    allow_loopback: bool,
}

impl std::fmt::Debug for ChannelNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelNotifier").field("allow_loopback", &self.allow_loopback).finish_non_exhaustive()
    }
}

impl ChannelNotifier {
    /// A notifier. The process's rustls provider must be installed first.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(allow_loopback: bool) -> anyhow::Result<Self> {
        let inner = parkops_notify::Notifier::new()
            .map_err(|e| anyhow::anyhow!("cannot build the notification client: {e}"))?;
        Ok(Self { inner, allow_loopback })
    }

    fn config(&self, c: &ChannelRecord) -> Result<ChannelConfig, SendFailure> {
        let kind = ChannelKind::parse(&c.kind)
            .map_err(|_| SendFailure::Permanent(format!("unknown channel kind {}", c.kind)))?;
        let mut config = ChannelConfig::new(kind, c.endpoint.clone());
        config.secret = (!c.secret.is_empty()).then(|| Secret::new(c.secret.clone()));
        config.recipients.clone_from(&c.recipients);
        config.allow_loopback = self.allow_loopback;
        config.smtp = SmtpOptions {
            from: c.smtp_from.clone(),
            username: (!c.smtp_username.is_empty()).then(|| c.smtp_username.clone()),
            security: match c.smtp_security.as_str() {
                "plain" => SmtpSecurity::Plain,
                "tls" => SmtpSecurity::Tls,
                _ => SmtpSecurity::StartTls,
            },
        };
        Ok(config)
    }
}

#[async_trait]
impl Notifier for ChannelNotifier {
    async fn send(&self, channel: &ChannelRecord, message: &Message, now: Timestamp) -> Result<(), SendFailure> {
        let config = self.config(channel)?;
        match self.inner.send(&config, message, now).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_retryable() => Err(SendFailure::Retryable(e.to_string())),
            Err(e) => Err(SendFailure::Permanent(e.to_string())),
        }
    }
}
