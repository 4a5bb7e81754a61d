//! The notification half of the store: channels, queued messages, deliveries.

use async_trait::async_trait;
use parkops_app::StoreError;
use parkops_app::ports::notify::{ChannelRecord, DeliveryRecord, NotifyReads, NotifyWrites, QueuedMessage};
use parkops_domain::id::ParkId;
use parkops_domain::time::Timestamp;
use sqlx::any::AnyRow;

use crate::rows::{bad, flag, int, opt_int, text, time, uuid};
use crate::tx::DbTx;
use crate::{Db, Sql};

const CHANNEL_COLUMNS: &str = "id, park_id, kind, name, endpoint, secret, recipients, smtp_from, smtp_username, \
    smtp_security, per_minute, per_second, enabled, levels, domains, events, created_at";
const DELIVERY_COLUMNS: &str =
    "id, channel_id, covers, title, body, status, attempts, next_attempt_at, last_error, created_at, updated_at";

fn list(row: &AnyRow, c: &'static str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(&text(row, c)?).map_err(|_| bad(c))
}

fn json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}

fn limit(row: &AnyRow, c: &'static str) -> Result<Option<u32>, StoreError> {
    Ok(opt_int(row, c)?.and_then(|n| u32::try_from(n).ok()))
}

fn channel(row: &AnyRow) -> Result<ChannelRecord, StoreError> {
    Ok(ChannelRecord {
        id: uuid(row, "id")?,
        park_id: ParkId::parse(&text(row, "park_id")?).map_err(|_| bad("park_id"))?,
        kind: text(row, "kind")?,
        name: text(row, "name")?,
        endpoint: text(row, "endpoint")?,
        secret: text(row, "secret")?,
        recipients: list(row, "recipients")?,
        smtp_from: text(row, "smtp_from")?,
        smtp_username: text(row, "smtp_username")?,
        smtp_security: text(row, "smtp_security")?,
        per_minute: limit(row, "per_minute")?,
        per_second: limit(row, "per_second")?,
        enabled: flag(row, "enabled")?,
        levels: list(row, "levels")?,
        domains: list(row, "domains")?,
        events: list(row, "events")?,
        created_at: time(row, "created_at")?,
    })
}

fn delivery(row: &AnyRow) -> Result<DeliveryRecord, StoreError> {
    Ok(DeliveryRecord {
        id: uuid(row, "id")?,
        channel_id: uuid(row, "channel_id")?,
        covers: int(row, "covers")?,
        title: text(row, "title")?,
        body: text(row, "body")?,
        status: text(row, "status")?,
        attempts: int(row, "attempts")?,
        next_attempt_at: opt_int(row, "next_attempt_at")?.map(Timestamp::from_millis),
        last_error: text(row, "last_error")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

#[async_trait]
impl NotifyReads for Db {
    async fn channels(&self, park: ParkId) -> Result<Vec<ChannelRecord>, StoreError> {
        let mut sql = Sql::select(CHANNEL_COLUMNS, " FROM notify_channel WHERE park_id = ");
        sql.bind(park.to_string()).push(" ORDER BY created_at");
        self.all(sql).await?.iter().map(channel).collect()
    }

    async fn channel(&self, id: uuid::Uuid) -> Result<Option<ChannelRecord>, StoreError> {
        let mut sql = Sql::select(CHANNEL_COLUMNS, " FROM notify_channel WHERE id = ");
        sql.bind(id.to_string());
        self.all(sql).await?.first().map(channel).transpose()
    }

    async fn channels_with_work(&self, now: Timestamp) -> Result<Vec<ChannelRecord>, StoreError> {
        let mut sql = Sql::select(
            CHANNEL_COLUMNS,
            " FROM notify_channel c WHERE enabled = 1 AND (EXISTS (SELECT 1 FROM notify_message m WHERE m.channel_id = c.id \
             AND m.delivery_id IS NULL) OR EXISTS (SELECT 1 FROM notify_delivery d WHERE d.channel_id = c.id \
             AND d.status = 'retry' AND d.next_attempt_at <= ",
        );
        sql.bind(now.as_millis()).push(")) ORDER BY created_at");
        self.all(sql).await?.iter().map(channel).collect()
    }

    async fn pending_messages(&self, channel: uuid::Uuid, limit: i64) -> Result<Vec<QueuedMessage>, StoreError> {
        let mut sql = Sql::new(
            "SELECT id, channel_id, title, body, level, link, created_at, delivery_id FROM notify_message WHERE channel_id = ",
        );
        sql.bind(channel.to_string()).push(" AND delivery_id IS NULL ORDER BY created_at LIMIT ").bind(limit);
        self.all(sql)
            .await?
            .iter()
            .map(|r| {
                Ok(QueuedMessage {
                    id: uuid(r, "id")?,
                    channel_id: uuid(r, "channel_id")?,
                    title: text(r, "title")?,
                    body: text(r, "body")?,
                    level: text(r, "level")?,
                    link: text(r, "link")?,
                    created_at: time(r, "created_at")?,
                    delivery_id: None,
                })
            })
            .collect()
    }

    async fn attempts_since(&self, channel: uuid::Uuid, since: Timestamp) -> Result<Vec<Timestamp>, StoreError> {
        let mut sql = Sql::new("SELECT at FROM notify_attempt WHERE channel_id = ");
        sql.bind(channel.to_string()).push(" AND at >= ").bind(since.as_millis()).push(" ORDER BY at");
        self.all(sql).await?.iter().map(|r| time(r, "at")).collect()
    }

    async fn deliveries_to_retry(
        &self,
        channel: uuid::Uuid,
        now: Timestamp,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let mut sql = Sql::select(DELIVERY_COLUMNS, " FROM notify_delivery WHERE channel_id = ");
        sql.bind(channel.to_string()).push(" AND status = 'retry' AND next_attempt_at <= ").bind(now.as_millis());
        sql.push(" ORDER BY next_attempt_at");
        self.all(sql).await?.iter().map(delivery).collect()
    }

    async fn deliveries(&self, park: ParkId, limit: i64) -> Result<Vec<(DeliveryRecord, String)>, StoreError> {
        let mut sql = Sql::new(
            "SELECT d.id, d.channel_id, d.covers, d.title, d.body, d.status, d.attempts, d.next_attempt_at, d.last_error, \
             d.created_at, d.updated_at, c.name AS channel_name FROM notify_delivery d JOIN notify_channel c ON c.id = d.channel_id \
             WHERE c.park_id = ",
        );
        sql.bind(park.to_string()).push(" ORDER BY d.updated_at DESC LIMIT ").bind(limit);
        self.all(sql).await?.iter().map(|r| Ok((delivery(r)?, text(r, "channel_name")?))).collect()
    }
}

#[async_trait]
impl NotifyWrites for DbTx {
    async fn put_channel(&mut self, c: &ChannelRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO notify_channel (id, park_id, kind, name, endpoint, secret, recipients, smtp_from, smtp_username, \
             smtp_security, per_minute, per_second, enabled, levels, domains, events, created_at) VALUES (",
        );
        sql.bind(c.id.to_string()).push(", ").bind(c.park_id.to_string()).push(", ").bind(c.kind.clone()).push(", ");
        sql.bind(c.name.clone()).push(", ").bind(c.endpoint.clone()).push(", ").bind(c.secret.clone()).push(", ");
        sql.bind(json(&c.recipients)).push(", ").bind(c.smtp_from.clone()).push(", ").bind(c.smtp_username.clone());
        sql.push(", ").bind(c.smtp_security.clone()).push(", ").bind(c.per_minute.map(i64::from)).push(", ");
        sql.bind(c.per_second.map(i64::from)).push(", ").bind(i64::from(c.enabled)).push(", ").bind(json(&c.levels));
        sql.push(", ")
            .bind(json(&c.domains))
            .push(", ")
            .bind(json(&c.events))
            .push(", ")
            .bind(c.created_at.as_millis());
        sql.push(
            ") ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, endpoint = excluded.endpoint, \
             secret = excluded.secret, recipients = excluded.recipients, smtp_from = excluded.smtp_from, \
             smtp_username = excluded.smtp_username, smtp_security = excluded.smtp_security, per_minute = excluded.per_minute, \
             per_second = excluded.per_second, enabled = excluded.enabled, levels = excluded.levels, \
             domains = excluded.domains, events = excluded.events",
        );
        self.exec(sql).await.map(|_| ())
    }

    async fn queue_message(&mut self, m: &QueuedMessage) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO notify_message (id, channel_id, title, body, level, link, created_at, delivery_id) VALUES (",
        );
        sql.bind(m.id.to_string())
            .push(", ")
            .bind(m.channel_id.to_string())
            .push(", ")
            .bind(m.title.clone())
            .push(", ");
        sql.bind(m.body.clone()).push(", ").bind(m.level.clone()).push(", ").bind(m.link.clone()).push(", ");
        sql.bind(m.created_at.as_millis()).push(", NULL)");
        self.exec(sql).await.map(|_| ())
    }

    async fn put_delivery(&mut self, d: &DeliveryRecord, carries: &[uuid::Uuid]) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO notify_delivery (");
        sql.push(DELIVERY_COLUMNS).push(") VALUES (");
        sql.bind(d.id.to_string()).push(", ").bind(d.channel_id.to_string()).push(", ").bind(d.covers).push(", ");
        sql.bind(d.title.clone()).push(", ").bind(d.body.clone()).push(", ").bind(d.status.clone()).push(", ");
        sql.bind(d.attempts).push(", ").bind(d.next_attempt_at.map(Timestamp::as_millis)).push(", ");
        sql.bind(d.last_error.clone())
            .push(", ")
            .bind(d.created_at.as_millis())
            .push(", ")
            .bind(d.updated_at.as_millis());
        sql.push(
            ") ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, \
             next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, updated_at = excluded.updated_at",
        );
        self.exec(sql).await?;
        let mut attempt = Sql::new("INSERT INTO notify_attempt (channel_id, delivery_id, at) VALUES (");
        attempt
            .bind(d.channel_id.to_string())
            .push(", ")
            .bind(d.id.to_string())
            .push(", ")
            .bind(d.updated_at.as_millis())
            .push(")");
        self.exec(attempt).await?;
        for id in carries {
            let mut mark = Sql::new("UPDATE notify_message SET delivery_id = ");
            mark.bind(d.id.to_string()).push(" WHERE id = ").bind(id.to_string()).push(" AND delivery_id IS NULL");
            self.exec(mark).await?;
        }
        Ok(())
    }
}
