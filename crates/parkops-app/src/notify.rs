//! Notification channels (R-9.2; domain.md §2.4): e-mail, webhook, DingTalk / WeCom / Feishu
//! robots and an SMS gateway, each with a subscription rule (levels, domains, events). Ticket
//! events queue messages for matching channels in the same transaction as the event (nothing
//! acknowledged is lost); the delivery job sends them through the [`Notifier`] port within the
//! platform's rate limit, merging what the throttle held back into one digest, and retries
//! with backoff. Every attempt is in the delivery log and the record chain.

use async_trait::async_trait;
use parkops_domain::audit::Outcome;
use parkops_domain::notify::{self, ChannelKind, Message, RateLimit, Release};
use parkops_domain::ticket::{BusinessDomain, Level};
use parkops_domain::time::Timestamp;
use serde_json::json;

use crate::ports::Tx;
use crate::ports::desk::TicketRecord;
use crate::ports::notify::{ChannelRecord, DeliveryRecord, QueuedMessage};
use crate::{App, AppError, Caller, FieldError};

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// Worth trying again later (timeout, 5xx, platform throttle).
    Retryable(String),
    /// Will not succeed as configured (bad signature, 4xx, bad address).
    Permanent(String),
}

/// Sends one message through one channel. Implemented by the `parkops-notify` adapter.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends `message` through `channel`.
    async fn send(&self, channel: &ChannelRecord, message: &Message, now: Timestamp) -> Result<(), SendFailure>;
}

/// Events a channel can subscribe to.
pub const EVENTS: [&str; 6] =
    ["ticket_opened", "ticket_assigned", "ticket_escalated", "ticket_resolved", "sla_warning", "sla_breach"];

/// A channel as submitted.
#[derive(Debug, Clone, Default)]
pub struct ChannelInput {
    /// Kind code.
    pub kind: String,
    /// Name.
    pub name: String,
    /// URL or `host:port`.
    pub endpoint: String,
    /// New secret; empty keeps the stored one.
    pub secret: String,
    /// Recipients, one per line or comma-separated.
    pub recipients: String,
    /// E-mail: sender address.
    pub smtp_from: String,
    /// E-mail: login name.
    pub smtp_username: String,
    /// E-mail: `plain`, `starttls` or `tls` (empty: `starttls`).
    pub smtp_security: String,
    /// Own per-minute limit; empty for the platform's.
    pub per_minute: String,
    /// Own per-second limit; empty for none (or the platform's).
    pub per_second: String,
    /// Enabled.
    pub enabled: bool,
    /// Levels (empty = all).
    pub levels: Vec<String>,
    /// Domains (empty = all).
    pub domains: Vec<String>,
    /// Events (empty = all).
    pub events: Vec<String>,
}

/// What the delivery job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Deliveries that went out.
    pub sent: u32,
    /// Of which digests of several messages.
    pub digests: u32,
    /// Attempts that will be retried.
    pub retrying: u32,
    /// Deliveries given up.
    pub failed: u32,
}

/// The limit a channel sends within: its own (a per-second limit alone keeps the platform's
/// per-minute one), never above its platform's.
#[must_use]
pub fn configured_limit(c: &ChannelRecord, kind: ChannelKind) -> RateLimit {
    let own = match (c.per_minute, c.per_second) {
        (None, None) => None,
        (per_minute, per_second) => Some(RateLimit {
            per_minute: per_minute.unwrap_or(kind.platform_limit().per_minute).max(1),
            per_second: per_second.or(kind.platform_limit().per_second),
        }),
    };
    kind.effective_limit(own)
}

/// An endpoint fit for records and pages: query values (robot access tokens) and any
/// `user:password@` part replaced by asterisks.
#[must_use]
pub fn masked_endpoint(endpoint: &str) -> String {
    let (base, query) = endpoint.split_once('?').map_or((endpoint, None), |(b, q)| (b, Some(q)));
    let base = match base.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_, host))
                if !rest.split('/').next().unwrap_or("").is_empty()
                    && rest.find('@') < rest.find('/').or(Some(rest.len())) =>
            {
                format!("{scheme}://******@{host}")
            }
            _ => base.to_owned(),
        },
        None => base.to_owned(),
    };
    match query {
        None => base,
        Some(q) => {
            let masked: Vec<String> = q
                .split('&')
                .map(|kv| kv.split_once('=').map_or_else(|| kv.to_owned(), |(k, _)| format!("{k}=******")))
                .collect();
            format!("{base}?{}", masked.join("&"))
        }
    }
}

fn list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == '，' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A checked channel: kind, recipients, own per-minute and per-second limits.
type Checked = (ChannelKind, Vec<String>, Option<u32>, Option<u32>);

fn validate(input: &ChannelInput, existing_secret: &str) -> Result<Checked, AppError> {
    let mut errors = Vec::new();
    let kind = ChannelKind::parse(input.kind.trim())
        .map_err(|_| errors.push(FieldError::new("kind", "err-channel-kind")))
        .ok();
    if input.name.trim().is_empty() || input.name.chars().count() > 50 {
        errors.push(FieldError::new("name", "err-required-50"));
    }
    let endpoint = input.endpoint.trim();
    match kind {
        Some(ChannelKind::Email) => {
            let ok = endpoint.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            if !ok {
                errors.push(FieldError::new("endpoint", "err-channel-smtp"));
            }
        }
        Some(_) => {
            let ok = (endpoint.starts_with("https://") || endpoint.starts_with("http://"))
                && endpoint.len() <= 500
                && !endpoint.contains(char::is_whitespace);
            if !ok {
                errors.push(FieldError::new("endpoint", "err-channel-url"));
            }
        }
        None => {}
    }
    let recipients = list(&input.recipients);
    match kind {
        Some(ChannelKind::Email) if recipients.is_empty() || recipients.iter().any(|r| !r.contains('@')) => {
            errors.push(FieldError::new("recipients", "err-channel-emails"));
        }
        Some(ChannelKind::Sms)
            if recipients.is_empty()
                || recipients.iter().any(|r| !r.chars().all(|c| c.is_ascii_digit() || c == '+')) =>
        {
            errors.push(FieldError::new("recipients", "err-channel-phones"));
        }
        _ => {}
    }
    if matches!(kind, Some(ChannelKind::Email)) {
        if !input.smtp_from.contains('@') || input.smtp_from.chars().count() > 100 {
            errors.push(FieldError::new("smtp_from", "err-channel-from"));
        }
        if !matches!(input.smtp_security.trim(), "" | "plain" | "starttls" | "tls") {
            errors.push(FieldError::new("smtp_security", "err-channel-security"));
        }
    }
    let secret_needed = matches!(kind, Some(ChannelKind::DingTalk | ChannelKind::Feishu));
    if secret_needed && input.secret.trim().is_empty() && existing_secret.is_empty() {
        errors.push(FieldError::new("secret", "err-channel-secret"));
    }
    let number = |field: &'static str, text: &str, errors: &mut Vec<FieldError>| -> Option<u32> {
        if text.trim().is_empty() {
            return None;
        }
        match text.trim().parse::<u32>() {
            Ok(n) if (1..=10_000).contains(&n) => Some(n),
            _ => {
                errors.push(FieldError::new(field, "err-channel-limit"));
                None
            }
        }
    };
    let per_minute = number("per_minute", &input.per_minute, &mut errors);
    let per_second = number("per_second", &input.per_second, &mut errors);
    for l in &input.levels {
        if Level::parse(l).is_none() {
            errors.push(FieldError::new("levels", "err-ticket-level"));
        }
    }
    for d in &input.domains {
        if BusinessDomain::parse(d).is_none() {
            errors.push(FieldError::new("domains", "err-ticket-domain"));
        }
    }
    for e in &input.events {
        if !EVENTS.contains(&e.as_str()) {
            errors.push(FieldError::new("events", "err-channel-event"));
        }
    }
    match kind {
        Some(k) if errors.is_empty() => Ok((k, recipients, per_minute, per_second)),
        _ => Err(AppError::Invalid(errors)),
    }
}

fn channel_detail(c: &ChannelRecord) -> serde_json::Value {
    json!({
        "kind": c.kind, "name": c.name, "endpoint": masked_endpoint(&c.endpoint), "secret_set": !c.secret.is_empty(),
        "recipients": c.recipients.len(), "per_minute": c.per_minute, "per_second": c.per_second, "enabled": c.enabled,
        "levels": c.levels, "domains": c.domains, "events": c.events,
    })
}

impl App {
    /// The caller park's channels (secrets are returned to the app only; pages mask them).
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::TicketManage`](parkops_domain::access::Capability::TicketManage).
    pub async fn channels(&self, caller: &Caller) -> Result<Vec<ChannelRecord>, AppError> {
        let p = Self::require_desk_manager(caller)?;
        Ok(self.store.channels(p.park_id).await?)
    }

    /// Creates (`id` None) or replaces a channel with its subscription rule.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming each refused field; [`AppError::NotFound`] for another park's channel.
    pub async fn save_channel(
        &self,
        caller: &Caller,
        id: Option<uuid::Uuid>,
        input: ChannelInput,
    ) -> Result<ChannelRecord, AppError> {
        let p = Self::require_desk_manager(caller)?.clone();
        let existing = match id {
            Some(id) => {
                Some(self.store.channel(id).await?.filter(|c| c.park_id == p.park_id).ok_or(AppError::NotFound)?)
            }
            None => None,
        };
        let old_secret = existing.as_ref().map(|c| c.secret.clone()).unwrap_or_default();
        let (kind, recipients, per_minute, per_second) = validate(&input, &old_secret)?;
        let now = self.clock.now();
        let c = ChannelRecord {
            id: id.unwrap_or_else(uuid::Uuid::now_v7),
            park_id: p.park_id,
            kind: kind.code().to_owned(),
            name: input.name.trim().to_owned(),
            endpoint: input.endpoint.trim().to_owned(),
            secret: if input.secret.trim().is_empty() { old_secret } else { input.secret.trim().to_owned() },
            recipients,
            smtp_from: input.smtp_from.trim().to_owned(),
            smtp_username: input.smtp_username.trim().to_owned(),
            smtp_security: if input.smtp_security.trim().is_empty() {
                "starttls".to_owned()
            } else {
                input.smtp_security.trim().to_owned()
            },
            per_minute,
            per_second,
            enabled: input.enabled,
            levels: input.levels,
            domains: input.domains,
            events: input.events,
            created_at: existing.map_or(now, |e| e.created_at),
        };
        let mut tx = self.store.begin().await?;
        tx.put_channel(&c).await?;
        let action = if id.is_some() { "channel.update" } else { "channel.create" };
        tx.audit(
            caller.entry(action, "channel", &c.id.to_string(), Outcome::Success, channel_detail(&c).to_string()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// The delivery log of the caller's park: each delivery with its channel's name.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::TicketManage`](parkops_domain::access::Capability::TicketManage).
    pub async fn delivery_log(&self, caller: &Caller) -> Result<Vec<(DeliveryRecord, String)>, AppError> {
        let p = Self::require_desk_manager(caller)?;
        Ok(self.store.deliveries(p.park_id, 500).await?)
    }

    /// Queues a test message on a channel; the delivery job sends it like any other.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for another park's channel.
    pub async fn test_channel(&self, caller: &Caller, id: uuid::Uuid) -> Result<(), AppError> {
        let p = Self::require_desk_manager(caller)?;
        let c = self.store.channel(id).await?.filter(|c| c.park_id == p.park_id).ok_or(AppError::NotFound)?;
        let now = self.clock.now();
        let m = QueuedMessage {
            id: uuid::Uuid::now_v7(),
            channel_id: c.id,
            title: "ParkOps 测试消息".into(),
            body: format!("{} 于 {} 发送的测试消息。", p.display_name, now.display_cst()),
            level: String::new(),
            link: String::new(),
            created_at: now,
            delivery_id: None,
        };
        let mut tx = self.store.begin().await?;
        tx.queue_message(&m).await?;
        tx.audit(caller.entry("channel.test", "channel", &c.id.to_string(), Outcome::Success, "{}".into()), now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues a ticket event for every enabled channel of the park whose rule matches.
    pub(crate) async fn queue_for_channels(
        &self,
        tx: &mut dyn Tx,
        t: &TicketRecord,
        event: &str,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let matches = |rule: &[String], value: &str| rule.is_empty() || rule.iter().any(|r| r == value);
        for c in self.store.channels(t.park_id).await? {
            if !(c.enabled
                && matches(&c.levels, t.level.code())
                && matches(&c.domains, t.domain.code())
                && matches(&c.events, event))
            {
                continue;
            }
            let m = QueuedMessage {
                id: uuid::Uuid::now_v7(),
                channel_id: c.id,
                title: format!("[{}] {}", t.number, t.title),
                body: format!("事件：{event}；级别：{}；位置：{}；受影响：{}", t.level.code(), t.location, t.affected),
                level: t.level.code().to_owned(),
                link: format!("/desk/tickets/{}", t.id),
                created_at: now,
                delivery_id: None,
            };
            tx.queue_message(&m).await?;
        }
        Ok(())
    }

    /// Sends what is due on every channel: retries first, then the queue — one message, or a
    /// digest of everything queued while the channel was throttled — never beyond the rate limit.
    ///
    /// # Errors
    /// [`AppError::Unavailable`]. A failing channel is logged in its deliveries, not an error.
    pub async fn deliver_notifications(&self, notifier: &dyn Notifier) -> Result<DeliveryReport, AppError> {
        let mut report = DeliveryReport::default();
        let now = self.clock.now();
        for c in self.store.channels_with_work(now).await? {
            let Ok(kind) = ChannelKind::parse(&c.kind) else { continue };
            let limit = configured_limit(&c, kind);
            let mut sent = self.store.attempts_since(c.id, now.plus(chrono::Duration::minutes(-1))).await?;
            for mut d in self.store.deliveries_to_retry(c.id, now).await? {
                if notify::admit(limit, &sent, now) != notify::Admission::Send {
                    break;
                }
                let message =
                    Message { title: d.title.clone(), body: d.body.clone(), level: None, link: None, at: now };
                let result = notifier.send(&c, &message, now).await;
                sent.push(now);
                self.record_attempt(&mut d, result, now, &mut report).await?;
            }
            let pending = self.store.pending_messages(c.id, 1000).await?;
            let as_domain: Vec<Message> = pending
                .iter()
                .map(|m| Message {
                    title: m.title.clone(),
                    body: m.body.clone(),
                    level: (!m.level.is_empty()).then(|| m.level.clone()),
                    link: (!m.link.is_empty()).then(|| m.link.clone()),
                    at: m.created_at,
                })
                .collect();
            if let Release::Send { message, covers } =
                notify::release(limit, &sent, &as_domain, kind.max_text_bytes(), now)
            {
                let result = notifier.send(&c, &message, now).await;
                sent.push(now);
                let mut d = DeliveryRecord {
                    id: uuid::Uuid::now_v7(),
                    channel_id: c.id,
                    covers: i64::try_from(covers).unwrap_or(i64::MAX),
                    title: message.title.clone(),
                    body: message.body.clone(),
                    status: String::new(),
                    attempts: 0,
                    next_attempt_at: None,
                    last_error: String::new(),
                    created_at: now,
                    updated_at: now,
                };
                if covers > 1 {
                    report.digests += 1;
                }
                let carried: Vec<uuid::Uuid> = pending.iter().take(covers).map(|m| m.id).collect();
                self.record_attempt_carrying(&mut d, result, now, &mut report, &carried).await?;
            }
        }
        Ok(report)
    }

    async fn record_attempt(
        &self,
        d: &mut DeliveryRecord,
        result: Result<(), SendFailure>,
        now: Timestamp,
        report: &mut DeliveryReport,
    ) -> Result<(), AppError> {
        self.record_attempt_carrying(d, result, now, report, &[]).await
    }

    async fn record_attempt_carrying(
        &self,
        d: &mut DeliveryRecord,
        result: Result<(), SendFailure>,
        now: Timestamp,
        report: &mut DeliveryReport,
        carries: &[uuid::Uuid],
    ) -> Result<(), AppError> {
        d.attempts += 1;
        d.updated_at = now;
        match result {
            Ok(()) => {
                d.status = "sent".into();
                d.next_attempt_at = None;
                report.sent += 1;
            }
            Err(SendFailure::Retryable(e)) => {
                d.last_error = e.chars().take(500).collect();
                match notify::next_attempt(u32::try_from(d.attempts).unwrap_or(u32::MAX), now) {
                    Some(next) => {
                        d.status = "retry".into();
                        d.next_attempt_at = Some(next);
                        report.retrying += 1;
                    }
                    None => {
                        d.status = "failed".into();
                        d.next_attempt_at = None;
                        report.failed += 1;
                    }
                }
            }
            Err(SendFailure::Permanent(e)) => {
                d.last_error = e.chars().take(500).collect();
                d.status = "failed".into();
                d.next_attempt_at = None;
                report.failed += 1;
            }
        }
        let mut tx = self.store.begin().await?;
        tx.put_delivery(d, carries).await?;
        let outcome = if d.status == "failed" { Outcome::Failure } else { Outcome::Success };
        let detail = json!({ "channel": d.channel_id.to_string(), "covers": d.covers, "status": d.status, "attempts": d.attempts, "error": d.last_error });
        let entry =
            Caller::system().entry("notification.deliver", "delivery", &d.id.to_string(), outcome, detail.to_string());
        tx.audit(entry, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: &str, endpoint: &str) -> ChannelInput {
        ChannelInput {
            kind: kind.into(),
            name: "值班群".into(),
            endpoint: endpoint.into(),
            enabled: true,
            ..ChannelInput::default()
        }
    }

    #[test]
    fn channels_are_validated_per_kind() {
        assert!(
            validate(
                &ChannelInput {
                    secret: "SEC1".into(),
                    ..input("dingtalk", "https://oapi.example/robot/send?access_token=x")
                },
                ""
            )
            .is_ok()
        );
        let keys = |r: Result<_, AppError>| match r {
            Err(AppError::Invalid(f)) => f.into_iter().map(|e| e.key).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(keys(validate(&input("dingtalk", "ftp://x"), "")), vec!["err-channel-url", "err-channel-secret"]);
        assert_eq!(
            keys(validate(&input("email", "smtp.example"), "")),
            vec!["err-channel-smtp", "err-channel-emails", "err-channel-from"]
        );
        assert_eq!(
            keys(validate(
                &ChannelInput { recipients: "13900000000, abc".into(), ..input("sms", "https://sms.example/send") },
                ""
            )),
            vec!["err-channel-phones"]
        );
        assert_eq!(
            keys(validate(&ChannelInput { per_minute: "0".into(), ..input("webhook", "https://hook.example") }, "")),
            vec!["err-channel-limit"]
        );
        assert_eq!(keys(validate(&input("pager", "x"), "")), vec!["err-channel-kind"]);
    }

    #[test]
    fn endpoints_are_masked_for_records() {
        assert_eq!(
            masked_endpoint("https://oapi.dingtalk.com/robot/send?access_token=abc&x=1"),
            "https://oapi.dingtalk.com/robot/send?access_token=******&x=******"
        );
        assert_eq!(masked_endpoint("https://u:p@hook.example/a"), "https://******@hook.example/a");
        assert_eq!(masked_endpoint("smtp.example:587"), "smtp.example:587");
    }

    #[test]
    fn a_channel_never_exceeds_its_platform() {
        let c = ChannelRecord {
            id: uuid::Uuid::nil(),
            park_id: parkops_domain::id::ParkId::from_uuid(uuid::Uuid::nil()),
            kind: "dingtalk".into(),
            name: String::new(),
            endpoint: String::new(),
            secret: String::new(),
            recipients: Vec::new(),
            smtp_from: String::new(),
            smtp_username: String::new(),
            smtp_security: "plain".into(),
            per_minute: Some(500),
            per_second: None,
            enabled: true,
            levels: Vec::new(),
            domains: Vec::new(),
            events: Vec::new(),
            created_at: Timestamp::from_millis(0),
        };
        assert_eq!(configured_limit(&c, ChannelKind::DingTalk).per_minute, 20);
        let only_per_second = ChannelRecord { per_minute: None, per_second: Some(2), ..c };
        assert_eq!(
            configured_limit(&only_per_second, ChannelKind::DingTalk),
            RateLimit { per_minute: 20, per_second: Some(2) }
        );
    }
}
