//! The generic webhook and the SMS gateway.

use std::time::Duration;

use parkops_domain::notify::ChannelKind;
use parkops_notify::{ConfigError, Failure, SendError};

use crate::support::receiver::{Answer, Receiver, SMS_TOKEN, WEBHOOK_SECRET};
use crate::support::{T0, alarm, channel, notifier};

#[tokio::test]
async fn webhook_delivers_signed_json() {
    let receiver = Receiver::spawn().await;
    let config = channel(ChannelKind::Webhook, receiver.url("/hook"), Some(WEBHOOK_SECRET));
    let sent_at = T0.plus(chrono::Duration::seconds(5));

    let delivered = notifier().send(&config, &alarm("循环水泵 P-3 停机", "一般"), sent_at).await;

    assert!(delivered.is_ok(), "{delivered:?}");
    let got = receiver.received();
    let json = &got[0].json;
    assert_eq!(json["title"], "循环水泵 P-3 停机");
    assert_eq!(json["level"], "一般");
    assert_eq!(json["link"], "https://parkops.example/alarms/42");
    assert_eq!(json["at"], "2026-03-02T01:00:00.000Z");
    assert_eq!(json["sent_at"], "2026-03-02T01:00:05.000Z");
    assert_eq!(got[0].timestamp_ms, Some(sent_at.as_millis()));
}

#[tokio::test]
async fn webhook_wrong_secret_is_refused_and_permanent() {
    let receiver = Receiver::spawn().await;
    let wrong = channel(ChannelKind::Webhook, receiver.url("/hook"), Some("other-key"));
    let unsigned = channel(ChannelKind::Webhook, receiver.url("/hook"), None);
    let notifier = notifier();
    let message = alarm("循环水泵 P-3 停机", "一般");

    assert_eq!(notifier.send(&wrong, &message, T0).await, Err(SendError::Permanent(Failure::Status(401))));
    assert_eq!(notifier.send(&unsigned, &message, T0).await, Err(SendError::Permanent(Failure::Status(401))));
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn webhook_server_error_is_retryable() {
    let receiver = Receiver::spawn().await;
    receiver.answer(Answer::Unavailable);
    let config = channel(ChannelKind::Webhook, receiver.url("/hook"), Some(WEBHOOK_SECRET));

    let error = notifier().send(&config, &alarm("循环水泵 P-3 停机", "一般"), T0).await.expect_err("503");

    assert!(error.is_retryable());
    assert_eq!(error.failure(), &Failure::Status(503));
}

#[tokio::test]
async fn unanswered_request_times_out_as_retryable() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let mut config = channel(ChannelKind::Webhook, format!("http://{addr}/hook"), None);
    config.timeout = Duration::from_millis(300);

    let error = notifier().send(&config, &alarm("循环水泵 P-3 停机", "一般"), T0).await.expect_err("timeout");

    assert_eq!(error, SendError::Retryable { failure: Failure::Timeout, retry_after: None });
}

#[tokio::test]
async fn redirects_are_not_followed() {
    // A redirect to the metadata service would be an SSRF pivot past the endpoint check.
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async { axum::response::Redirect::temporary("http://169.254.169.254/latest") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = channel(ChannelKind::Webhook, format!("http://{addr}/hook"), None);

    let outcome = notifier().send(&config, &alarm("循环水泵 P-3 停机", "一般"), T0).await;

    assert_eq!(outcome, Err(SendError::Permanent(Failure::Status(307))));
}

#[tokio::test]
async fn sms_gateway_receives_recipients_and_text_with_the_bearer_token() {
    let receiver = Receiver::spawn().await;
    let mut config = channel(ChannelKind::Sms, receiver.url("/sms"), Some(SMS_TOKEN));
    config.recipients = vec!["+8613800000001".to_owned(), "+8613800000002".to_owned()];
    let mut long = alarm("储罐 T-101 液位高", "致命");
    long.body = "液位持续上升".repeat(100);

    let delivered = notifier().send(&config, &long, T0).await;

    assert!(delivered.is_ok(), "{delivered:?}");
    let got = receiver.received();
    assert_eq!(got[0].json["to"], serde_json::json!(["+8613800000001", "+8613800000002"]));
    let text = got[0].json["text"].as_str().expect("text");
    assert!(text.starts_with("[致命] 储罐 T-101 液位高\n液位持续上升"), "{text}");
    assert!(text.len() <= ChannelKind::Sms.max_text_bytes());
}

#[tokio::test]
async fn sms_wrong_token_is_permanent_and_no_recipients_is_a_config_error() {
    let receiver = Receiver::spawn().await;
    let mut wrong = channel(ChannelKind::Sms, receiver.url("/sms"), Some("stale-token"));
    wrong.recipients = vec!["+8613800000001".to_owned()];
    let nobody = channel(ChannelKind::Sms, receiver.url("/sms"), Some(SMS_TOKEN));
    let notifier = notifier();
    let message = alarm("储罐 T-101 液位高", "致命");

    assert_eq!(notifier.send(&wrong, &message, T0).await, Err(SendError::Permanent(Failure::Status(401))));
    assert_eq!(
        notifier.send(&nobody, &message, T0).await,
        Err(SendError::Permanent(Failure::Config(ConfigError::NoRecipients)))
    );
}
