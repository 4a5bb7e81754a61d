//! Shared fixtures: the receivers, a clock, messages and channel settings.

pub mod receiver;
pub mod smtp;

use std::time::Duration;

use parkops_domain::notify::{ChannelKind, Message};
use parkops_domain::time::Timestamp;
use parkops_notify::{ChannelConfig, Notifier, Secret};

/// 2026-03-02 09:00:00 China Standard Time: the tests' "now".
pub const T0: Timestamp = Timestamp::from_millis(1_772_413_200_000);

/// A notifier, with the process-wide rustls provider installed as the binary does.
pub fn notifier() -> Notifier {
    // Several tests race to install it; the first wins and the rest find it there.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Notifier::new().expect("provider installed")
}

/// An alarm message.
pub fn alarm(title: &str, level: &str) -> Message {
    Message {
        title: title.to_owned(),
        body: "液位 92%，高报阈值 85%\n请现场确认".to_owned(),
        level: Some(level.to_owned()),
        link: Some("https://parkops.example/alarms/42".to_owned()),
        at: T0,
    }
}

/// Settings for `kind` at `endpoint`, loopback allowed, with a short timeout.
pub fn channel(kind: ChannelKind, endpoint: String, secret: Option<&str>) -> ChannelConfig {
    let mut config = ChannelConfig::new(kind, endpoint);
    config.secret = secret.map(Secret::new);
    config.allow_loopback = true;
    config.timeout = Duration::from_secs(5);
    config
}

/// Milliseconds `t` is after [`T0`].
pub fn after(t: Timestamp) -> i64 {
    t.as_millis() - T0.as_millis()
}
