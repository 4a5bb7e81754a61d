//! The outbound-request guard (ASVS V1.3.6).

use parkops_domain::notify::ChannelKind;
use parkops_notify::{Blocked, ChannelConfig, Failure, SendError};

use crate::support::receiver::{Receiver, WEBHOOK_SECRET};
use crate::support::{T0, alarm, notifier};

fn blocked(why: Blocked) -> Result<parkops_notify::Delivered, SendError> {
    Err(SendError::Permanent(Failure::Blocked(why)))
}

#[tokio::test]
async fn cloud_metadata_is_refused_on_every_channel() {
    let notifier = notifier();
    let message = alarm("储罐 T-101 液位高", "严重");
    for kind in ChannelKind::ALL {
        let endpoint = match kind {
            ChannelKind::Email => "169.254.169.254:25".to_owned(),
            _ => "http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_owned(),
        };
        let mut config = ChannelConfig::new(kind, endpoint);
        config.allow_loopback = true;
        config.smtp.from = "parkops@park.example".to_owned();
        config.recipients = vec!["duty@park.example".to_owned()];

        assert_eq!(notifier.send(&config, &message, T0).await, blocked(Blocked::LinkLocal), "{kind:?}");
    }
    for endpoint in
        ["http://[::ffff:169.254.169.254]/", "http://2852039166/", "http://100.100.100.200/latest/meta-data/"]
    {
        let config = ChannelConfig::new(ChannelKind::Webhook, endpoint);
        let outcome = notifier.send(&config, &message, T0).await;
        assert!(matches!(outcome, Err(SendError::Permanent(Failure::Blocked(_)))), "{endpoint}: {outcome:?}");
    }
}

#[tokio::test]
async fn only_http_and_https_are_allowed() {
    let notifier = notifier();
    let message = alarm("储罐 T-101 液位高", "严重");
    for endpoint in ["file:///etc/passwd", "gopher://127.0.0.1:25/", "ftp://files.park.example/x"] {
        let config = ChannelConfig::new(ChannelKind::Webhook, endpoint);
        assert_eq!(notifier.send(&config, &message, T0).await, blocked(Blocked::Scheme), "{endpoint}");
    }
}

#[tokio::test]
async fn loopback_is_refused_unless_the_channel_allows_it_even_by_name() {
    let receiver = Receiver::spawn().await;
    let notifier = notifier();
    let message = alarm("储罐 T-101 液位高", "严重");
    let literal = receiver.url("/hook");
    let by_name = literal.replace("127.0.0.1", "localhost");

    for endpoint in [&literal, &by_name] {
        let mut config = ChannelConfig::new(ChannelKind::Webhook, endpoint.as_str());
        config.secret = Some(parkops_notify::Secret::new(WEBHOOK_SECRET));
        // The name is only refused once resolved, in the client's resolver.
        assert_eq!(notifier.send(&config, &message, T0).await, blocked(Blocked::Loopback), "{endpoint}");
        config.allow_loopback = true;
        let allowed = notifier.send(&config, &message, T0).await;
        assert!(allowed.is_ok(), "{endpoint}: {allowed:?}");
    }
    assert_eq!(receiver.received().len(), 2);
}
