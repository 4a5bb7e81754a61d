//! DingTalk, WeCom and Feishu robots.

use std::time::Duration;

use parkops_domain::notify::ChannelKind;
use parkops_notify::{Delivered, Failure, SendError};

use crate::support::receiver::{
    Answer, DINGTALK_SECRET, DINGTALK_TOKEN, FEISHU_SECRET, FEISHU_TOKEN, Receiver, WECOM_KEY,
};
use crate::support::{T0, alarm, channel, notifier};

#[tokio::test]
async fn dingtalk_delivers_a_signed_markdown_message() {
    let receiver = Receiver::spawn().await;
    let config = channel(ChannelKind::DingTalk, receiver.dingtalk_url(DINGTALK_TOKEN), Some(DINGTALK_SECRET));

    let delivered = notifier().send(&config, &alarm("储罐 T-101 液位高", "严重"), T0).await;

    assert_eq!(delivered, Ok(Delivered { kind: ChannelKind::DingTalk, sent_at: T0 }));
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].timestamp_ms, Some(T0.as_millis()));
    assert_eq!(got[0].json["markdown"]["title"], "[严重] 储罐 T-101 液位高");
    let text = got[0].json["markdown"]["text"].as_str().expect("text");
    assert!(text.contains("液位 92%"), "{text}");
    assert!(text.contains("2026-03-02 09:00:00"), "{text}");
    assert!(text.contains("(https://parkops.example/alarms/42)"), "{text}");
}

#[tokio::test]
async fn dingtalk_wrong_secret_is_refused_by_the_platform_and_permanent() {
    let receiver = Receiver::spawn().await;
    let config = channel(ChannelKind::DingTalk, receiver.dingtalk_url(DINGTALK_TOKEN), Some("SECwrong"));

    let outcome = notifier().send(&config, &alarm("储罐 T-101 液位高", "严重"), T0).await;

    assert_eq!(outcome, Err(SendError::Permanent(Failure::Platform { code: 310_000 })));
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn dingtalk_without_a_secret_is_refused_when_the_robot_requires_signing() {
    let receiver = Receiver::spawn().await;
    let config = channel(ChannelKind::DingTalk, receiver.dingtalk_url(DINGTALK_TOKEN), None);

    let outcome = notifier().send(&config, &alarm("储罐 T-101 液位高", "严重"), T0).await;

    assert_eq!(outcome, Err(SendError::Permanent(Failure::Platform { code: 310_000 })));
}

#[tokio::test]
async fn dingtalk_throttle_is_retryable_after_the_ten_minute_mute() {
    let receiver = Receiver::spawn().await;
    receiver.answer(Answer::Throttle);
    let config = channel(ChannelKind::DingTalk, receiver.dingtalk_url(DINGTALK_TOKEN), Some(DINGTALK_SECRET));

    let outcome = notifier().send(&config, &alarm("储罐 T-101 液位高", "严重"), T0).await;

    let error = outcome.expect_err("throttled");
    assert!(error.is_retryable());
    assert_eq!(error.failure(), &Failure::Throttled { code: 130_101 });
    assert_eq!(error.retry_after(), Some(Duration::from_secs(600)));
}

#[tokio::test]
async fn wecom_delivers_markdown_cut_to_the_platform_limit() {
    let receiver = Receiver::spawn().await;
    let config = channel(ChannelKind::WeCom, receiver.wecom_url(WECOM_KEY), None);
    let mut long = alarm("可燃气体 GD-07 浓度高", "致命");
    long.body = "报警".repeat(3000);

    let delivered = notifier().send(&config, &long, T0).await;

    assert!(delivered.is_ok(), "{delivered:?}");
    let got = receiver.received();
    let content = got[0].json["markdown"]["content"].as_str().expect("content");
    assert!(content.starts_with("**[致命] 可燃气体 GD-07 浓度高**"), "{content}");
    assert!(content.len() <= 4096);
}

#[tokio::test]
async fn wecom_wrong_key_is_permanent_and_throttle_is_retryable() {
    let receiver = Receiver::spawn().await;
    let wrong = channel(ChannelKind::WeCom, receiver.wecom_url("not-the-key"), None);
    let right = channel(ChannelKind::WeCom, receiver.wecom_url(WECOM_KEY), None);
    let notifier = notifier();
    let message = alarm("可燃气体 GD-07 浓度高", "致命");

    assert_eq!(
        notifier.send(&wrong, &message, T0).await,
        Err(SendError::Permanent(Failure::Platform { code: 93_000 }))
    );
    receiver.answer(Answer::Throttle);
    let throttled = notifier.send(&right, &message, T0).await.expect_err("throttled");
    assert!(throttled.is_retryable());
    assert_eq!(throttled.failure(), &Failure::Throttled { code: 45_009 });
    receiver.answer(Answer::Unavailable);
    let unavailable = notifier.send(&right, &message, T0).await.expect_err("503");
    assert_eq!(unavailable.failure(), &Failure::Status(503));
    assert!(unavailable.is_retryable());
}

#[tokio::test]
async fn feishu_delivers_a_signed_text_message() {
    let receiver = Receiver::spawn().await;
    let config = channel(ChannelKind::Feishu, receiver.feishu_url(FEISHU_TOKEN), Some(FEISHU_SECRET));

    let delivered = notifier().send(&config, &alarm("有毒气体 H2S 报警", "严重"), T0).await;

    assert!(delivered.is_ok(), "{delivered:?}");
    let got = receiver.received();
    assert_eq!(got[0].json["timestamp"], (T0.as_millis() / 1000).to_string());
    let text = got[0].json["content"]["text"].as_str().expect("text");
    assert!(text.starts_with("[严重] 有毒气体 H2S 报警\n液位 92%"), "{text}");
    assert!(text.contains("详情：https://parkops.example/alarms/42"), "{text}");
}

#[tokio::test]
async fn feishu_wrong_secret_is_permanent_and_frequency_limit_is_retryable() {
    let receiver = Receiver::spawn().await;
    let wrong = channel(ChannelKind::Feishu, receiver.feishu_url(FEISHU_TOKEN), Some("not-the-secret"));
    let right = channel(ChannelKind::Feishu, receiver.feishu_url(FEISHU_TOKEN), Some(FEISHU_SECRET));
    let notifier = notifier();
    let message = alarm("有毒气体 H2S 报警", "严重");

    assert_eq!(
        notifier.send(&wrong, &message, T0).await,
        Err(SendError::Permanent(Failure::Platform { code: 19_021 }))
    );
    // A timestamp more than an hour from the platform's clock fails the same way.
    let stale = T0.plus(chrono::Duration::hours(-2));
    assert_eq!(
        notifier.send(&right, &message, stale).await,
        Err(SendError::Permanent(Failure::Platform { code: 19_021 }))
    );
    receiver.answer(Answer::Throttle);
    let throttled = notifier.send(&right, &message, T0).await.expect_err("throttled");
    assert!(throttled.is_retryable());
    assert_eq!(throttled.failure(), &Failure::Throttled { code: 11_232 });
    assert!(receiver.received().is_empty());
}
