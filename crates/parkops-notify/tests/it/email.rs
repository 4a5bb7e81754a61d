//! E-mail through the test SMTP server.

use parkops_domain::notify::ChannelKind;
use parkops_notify::{ChannelConfig, ConfigError, Failure, Secret, SendError, SmtpSecurity};

use crate::support::smtp::{Behaviour, SmtpServer};
use crate::support::{T0, alarm, channel, notifier};

fn mail_channel(server: &SmtpServer) -> ChannelConfig {
    let mut config = channel(ChannelKind::Email, server.addr.to_string(), None);
    config.smtp.from = "ParkOps 园区运维 <parkops@park.example>".to_owned();
    config.smtp.security = SmtpSecurity::Plain;
    config.recipients = vec!["duty@park.example".to_owned(), "安全员 <safety@park.example>".to_owned()];
    config
}

#[tokio::test]
async fn email_arrives_with_chinese_subject_and_body() {
    let mut server = SmtpServer::spawn(Behaviour::Accept).await;
    let config = mail_channel(&server);

    let delivered = notifier().send(&config, &alarm("储罐 T-101 液位高", "严重"), T0).await;

    assert!(delivered.is_ok(), "{delivered:?}");
    let mail = server.accepted();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].from, "parkops@park.example");
    assert_eq!(mail[0].to, ["duty@park.example", "safety@park.example"]);
    assert_eq!(mail[0].header("Subject").as_deref(), Some("[严重] 储罐 T-101 液位高"));
    assert_eq!(mail[0].header("From").as_deref(), Some("ParkOps 园区运维 <parkops@park.example>"));
    assert_eq!(mail[0].header("To").as_deref(), Some("duty@park.example, 安全员 <safety@park.example>"));
    assert!(mail[0].header("Content-Type").is_some_and(|c| c.to_ascii_lowercase().contains("charset=utf-8")));
    assert_eq!(mail[0].header("Date").as_deref(), Some("Mon, 2 Mar 2026 01:00:00 +0000"));
    let text = mail[0].text();
    assert!(text.starts_with("液位 92%，高报阈值 85%\r\n请现场确认"), "{text:?}");
    assert!(text.contains("时间：2026-03-02 09:00:00"), "{text:?}");
    assert!(text.contains("详情：https://parkops.example/alarms/42"), "{text:?}");
}

#[tokio::test]
async fn a_long_subject_is_folded_and_arrives_intact() {
    let mut server = SmtpServer::spawn(Behaviour::Accept).await;
    let title = "二期罐区 3 号储罐 T-301 液位高高报警，联锁已触发，请立即前往现场处置并上报安全环保部";

    let delivered = notifier().send(&mail_channel(&server), &alarm(title, "致命"), T0).await;

    assert!(delivered.is_ok(), "{delivered:?}");
    let mail = server.accepted();
    assert!(mail[0].data.lines().all(|l| l.len() <= 78), "{}", mail[0].data);
    assert_eq!(mail[0].header("Subject"), Some(format!("[致命] {title}")));
}

#[tokio::test]
async fn rejected_recipient_is_permanent_and_busy_server_is_retryable() {
    let rejecting = SmtpServer::spawn(Behaviour::RejectRecipients).await;
    let busy = SmtpServer::spawn(Behaviour::Busy).await;
    let notifier = notifier();
    let message = alarm("储罐 T-101 液位高", "严重");

    assert_eq!(
        notifier.send(&mail_channel(&rejecting), &message, T0).await,
        Err(SendError::Permanent(Failure::Smtp { code: Some(550) }))
    );
    let error = notifier.send(&mail_channel(&busy), &message, T0).await.expect_err("451");
    assert!(error.is_retryable());
    assert_eq!(error.failure(), &Failure::Smtp { code: Some(451) });
}

#[tokio::test]
async fn invalid_mail_settings_are_permanent() {
    let server = SmtpServer::spawn(Behaviour::Accept).await;
    let notifier = notifier();
    let message = alarm("储罐 T-101 液位高", "严重");
    let refused = |e: ConfigError| Err(SendError::Permanent(Failure::Config(e)));

    let mut nobody = mail_channel(&server);
    nobody.recipients.clear();
    assert_eq!(notifier.send(&nobody, &message, T0).await, refused(ConfigError::NoRecipients));

    let mut bad = mail_channel(&server);
    bad.recipients = vec!["not an address".to_owned()];
    assert_eq!(notifier.send(&bad, &message, T0).await, refused(ConfigError::InvalidAddress));

    let mut half = mail_channel(&server);
    half.smtp.username = Some("parkops".to_owned());
    assert_eq!(notifier.send(&half, &message, T0).await, refused(ConfigError::IncompleteCredentials));
}

#[tokio::test]
async fn passwords_are_never_sent_in_the_clear_to_a_remote_relay() {
    let notifier = notifier();
    let mut config = ChannelConfig::new(ChannelKind::Email, "192.0.2.25:25");
    config.smtp.from = "parkops@park.example".to_owned();
    config.smtp.security = SmtpSecurity::Plain;
    config.smtp.username = Some("parkops".to_owned());
    config.secret = Some(Secret::new("smtp-password"));
    config.recipients = vec!["duty@park.example".to_owned()];

    let outcome = notifier.send(&config, &alarm("储罐 T-101 液位高", "严重"), T0).await;

    assert_eq!(outcome, Err(SendError::Permanent(Failure::Config(ConfigError::PlaintextCredentials))));
}
