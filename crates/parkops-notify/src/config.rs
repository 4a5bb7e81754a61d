//! Channel settings: where to send, with what secret, to whom.

use std::fmt;
use std::time::Duration;

use parkops_domain::notify::ChannelKind;

/// Time allowed for one delivery, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A secret value (robot signing key, webhook HMAC key, gateway token, SMTP password).
/// Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// One configured notification channel.
#[derive(Clone)]
pub struct ChannelConfig {
    /// Which kind of channel this is.
    pub kind: ChannelKind,
    /// The robot's or gateway's `http(s)` URL, or `host:port` of the SMTP relay. Robot URLs
    /// carry their access token, so `Debug` shows only scheme, host and port.
    pub endpoint: String,
    /// DingTalk and Feishu: the signing secret. Webhook: the HMAC key. SMS: the bearer
    /// token. E-mail: the SMTP password. WeCom: unused (the key is in the URL).
    pub secret: Option<Secret>,
    /// E-mail addresses (e-mail) or phone numbers (SMS); unused by the other channels.
    pub recipients: Vec<String>,
    /// SMTP settings, for e-mail only.
    pub smtp: SmtpOptions,
    /// Whether the endpoint may be a loopback address. Off in production: a webhook
    /// pointed at `127.0.0.1` would reach services that trust the local host.
    pub allow_loopback: bool,
    /// Time allowed for one delivery.
    pub timeout: Duration,
}

/// SMTP relay settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpOptions {
    /// The sender mailbox, e.g. `ParkOps <parkops@park.example>`.
    pub from: String,
    /// Login name; the password is [`ChannelConfig::secret`]. `None` sends without AUTH.
    pub username: Option<String>,
    /// How the connection is protected.
    pub security: SmtpSecurity,
}

/// Transport security towards the SMTP relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// No TLS. Refused with credentials unless the relay is on the loopback interface.
    Plain,
    /// STARTTLS on the submission port (587 by default); the upgrade is required.
    StartTls,
    /// TLS from the first byte (implicit TLS, 465 by default).
    Tls,
}

/// Invalid channel settings; trying again will not help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The endpoint is not a URL (robots, webhook, SMS) or `host:port` (e-mail).
    #[error("endpoint is not a valid url or host:port")]
    InvalidEndpoint,
    /// E-mail and SMS need at least one recipient.
    #[error("no recipients")]
    NoRecipients,
    /// A recipient or the sender is not a valid mailbox.
    #[error("invalid e-mail address")]
    InvalidAddress,
    /// E-mail needs a sender.
    #[error("no sender address")]
    MissingSender,
    /// A password would cross the network unencrypted.
    #[error("smtp credentials over a plain connection to a remote host")]
    PlaintextCredentials,
    /// SMTP credentials need both a username and a password.
    #[error("smtp username and password must be set together")]
    IncompleteCredentials,
}

impl Secret {
    /// Wraps a secret value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for signing or sending.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl ChannelConfig {
    /// A channel of `kind` at `endpoint` with no secret, no recipients, default SMTP options,
    /// no loopback, and the [`DEFAULT_TIMEOUT`].
    #[must_use]
    pub fn new(kind: ChannelKind, endpoint: impl Into<String>) -> Self {
        Self {
            kind,
            endpoint: endpoint.into(),
            secret: None,
            recipients: Vec::new(),
            smtp: SmtpOptions::default(),
            allow_loopback: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl fmt::Debug for ChannelConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelConfig")
            .field("kind", &self.kind)
            .field("endpoint", &redacted_endpoint(&self.endpoint))
            .field("secret", &self.secret)
            .field("recipients", &self.recipients)
            .field("smtp", &self.smtp)
            .field("allow_loopback", &self.allow_loopback)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Default for SmtpOptions {
    fn default() -> Self {
        Self { from: String::new(), username: None, security: SmtpSecurity::StartTls }
    }
}

/// Scheme, host and port of a URL; robot tokens live in the path or query and stay hidden.
fn redacted_endpoint(endpoint: &str) -> String {
    match reqwest::Url::parse(endpoint) {
        Ok(url) if url.has_host() => {
            let host = url.host_str().unwrap_or_default();
            match url.port() {
                Some(port) => format!("{}://{host}:{port}/***", url.scheme()),
                None => format!("{}://{host}/***", url.scheme()),
            }
        }
        // `host:port` of an SMTP relay holds nothing secret; anything else might.
        _ if !endpoint.contains(['/', '?', '@']) => endpoint.to_owned(),
        _ => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets_and_robot_tokens() {
        let mut config =
            ChannelConfig::new(ChannelKind::DingTalk, "https://oapi.dingtalk.com/robot/send?access_token=abc123");
        config.secret = Some(Secret::new("SECdeadbeef"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("abc123"), "{shown}");
        assert!(!shown.contains("SECdeadbeef"), "{shown}");
        assert!(shown.contains("https://oapi.dingtalk.com/***"), "{shown}");

        let feishu = ChannelConfig::new(ChannelKind::Feishu, "https://open.feishu.cn/open-apis/bot/v2/hook/tok-42");
        assert!(!format!("{feishu:?}").contains("tok-42"));

        let smtp = ChannelConfig::new(ChannelKind::Email, "smtp.park.example:587");
        assert!(format!("{smtp:?}").contains("smtp.park.example:587"));
    }
}
