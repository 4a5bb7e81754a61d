//! The storage port of notification channels: channels, subscription rules, the per-channel
//! message queue (the outbox, written with its cause) and the delivery log.

use async_trait::async_trait;
use parkops_domain::id::ParkId;
use parkops_domain::time::Timestamp;

use crate::StoreError;

/// A configured channel.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelRecord {
    /// Identifier.
    pub id: uuid::Uuid,
    /// Park.
    pub park_id: ParkId,
    /// Kind code (`email`, `webhook`, `dingtalk`, `wecom`, `feishu`, `sms`).
    pub kind: String,
    /// Name.
    pub name: String,
    /// Webhook URL, gateway URL, or SMTP `host:port`.
    pub endpoint: String,
    /// Signing secret or token (never shown after saving).
    pub secret: String,
    /// Recipients (e-mail addresses or phone numbers), for e-mail and SMS.
    pub recipients: Vec<String>,
    /// E-mail only: the sender address.
    pub smtp_from: String,
    /// E-mail only: the login name (the password is `secret`).
    pub smtp_username: String,
    /// E-mail only: `plain`, `starttls` or `tls`.
    pub smtp_security: String,
    /// Own limit per minute (capped by the platform's).
    pub per_minute: Option<u32>,
    /// Own limit per second.
    pub per_second: Option<u32>,
    /// Whether it sends.
    pub enabled: bool,
    /// Subscription rule: levels (empty = all).
    pub levels: Vec<String>,
    /// Subscription rule: business domains (empty = all).
    pub domains: Vec<String>,
    /// Subscription rule: events (empty = all).
    pub events: Vec<String>,
    /// Created.
    pub created_at: Timestamp,
}

impl std::fmt::Debug for ChannelRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelRecord")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            // Robot URLs carry their access token in the query: show scheme, host and path only.
            .field("endpoint", &self.endpoint.split('?').next().unwrap_or(""))
            .field("secret", &if self.secret.is_empty() { "" } else { "redacted" })
            .finish_non_exhaustive()
    }
}

/// A message queued for a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    /// Identifier.
    pub id: uuid::Uuid,
    /// Channel.
    pub channel_id: uuid::Uuid,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Level shown.
    pub level: String,
    /// Link back to the platform.
    pub link: String,
    /// Queued.
    pub created_at: Timestamp,
    /// The delivery that carried it, once sent.
    pub delivery_id: Option<uuid::Uuid>,
}

/// One attempt to deliver one message or one digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Identifier.
    pub id: uuid::Uuid,
    /// Channel.
    pub channel_id: uuid::Uuid,
    /// Messages it carries (more than one: a digest).
    pub covers: i64,
    /// Title sent.
    pub title: String,
    /// Body sent.
    pub body: String,
    /// `sent`, `retry` (waiting for its next attempt) or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Next attempt, while retrying.
    pub next_attempt_at: Option<Timestamp>,
    /// Last error text from the channel.
    pub last_error: String,
    /// First attempt.
    pub created_at: Timestamp,
    /// Last attempt.
    pub updated_at: Timestamp,
}

/// Notification reads.
#[async_trait]
pub trait NotifyReads: Send + Sync {
    /// The channels of a park.
    async fn channels(&self, park: ParkId) -> Result<Vec<ChannelRecord>, StoreError>;
    /// One channel.
    async fn channel(&self, id: uuid::Uuid) -> Result<Option<ChannelRecord>, StoreError>;
    /// Enabled channels of all parks that have queued messages or deliveries to retry.
    async fn channels_with_work(&self, now: Timestamp) -> Result<Vec<ChannelRecord>, StoreError>;
    /// Messages of a channel not yet carried by a delivery, oldest first.
    async fn pending_messages(&self, channel: uuid::Uuid, limit: i64) -> Result<Vec<QueuedMessage>, StoreError>;
    /// When the channel's deliveries were attempted since `since` (for the throttle).
    async fn attempts_since(&self, channel: uuid::Uuid, since: Timestamp) -> Result<Vec<Timestamp>, StoreError>;
    /// Deliveries due for another attempt.
    async fn deliveries_to_retry(&self, channel: uuid::Uuid, now: Timestamp)
    -> Result<Vec<DeliveryRecord>, StoreError>;
    /// The delivery log of a park, newest first.
    async fn deliveries(&self, park: ParkId, limit: i64) -> Result<Vec<(DeliveryRecord, String)>, StoreError>;
}

/// Notification writes.
#[async_trait]
pub trait NotifyWrites: Send {
    /// Adds or replaces a channel with its rule.
    async fn put_channel(&mut self, c: &ChannelRecord) -> Result<(), StoreError>;
    /// Queues a message for a channel.
    async fn queue_message(&mut self, m: &QueuedMessage) -> Result<(), StoreError>;
    /// Records a delivery attempt and marks the messages it carries.
    async fn put_delivery(&mut self, d: &DeliveryRecord, carries: &[uuid::Uuid]) -> Result<(), StoreError>;
}
