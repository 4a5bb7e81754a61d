//! The desk half of the store: tickets, timelines, pauses, attachments, support lines,
//! SLA and calendar versions, notifications.

use async_trait::async_trait;
use parkops_app::StoreError;
use parkops_app::ports::desk::{
    AttachmentRecord, CalendarRecord, DeskReads, DeskWrites, NotificationRecord, SupportLineRecord, TicketEvent,
    TicketFilter, TicketId, TicketRecord,
};
use parkops_app::ports::{PAGE_COUNT_CAP, Page, PageRequest};
use parkops_domain::asset::AssetId;
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::sla::Pause;
use parkops_domain::ticket::{
    BusinessDomain, ClosedBy, HandlingMode, Level, Priority, SupportLine, TicketKind, TicketState, WaitingOn,
    state_code,
};
use parkops_domain::time::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::read::{like, page_clause};
use crate::rows::{bad, code, flag, int, opt_int, opt_text, text, time, uuid};
use crate::tx::DbTx;
use crate::{Db, Sql, map_err, unavailable};

const TICKET_COLUMNS: &str = "id, park_id, number, kind, level, priority, domain, handling_mode, line, title, description, \
    reporter_user_id, reporter_name, reporter_phone, enterprise_org_id, location, affected, asset_id, assignee_user_id, \
    state, state_since, waiting_on, closed_by, sla_version, response_target_ms, resolve_target_ms, coverage, response_due_at, \
    resolve_due_at, acknowledged_at, resolved_at, response_warned, response_breached, resolve_warned, resolve_breached, \
    rating, rating_comment, created_by, created_at, updated_at";

fn opt_id<T>(row: &AnyRow, c: &'static str, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, StoreError> {
    opt_text(row, c)?.map(|t| parse(&t).ok_or_else(|| bad(c))).transpose()
}

fn state(row: &AnyRow) -> Result<TicketState, StoreError> {
    let since = time(row, "state_since")?;
    Ok(match text(row, "state")?.as_str() {
        "new" => TicketState::New,
        "acknowledged" => TicketState::Acknowledged,
        "in_progress" => TicketState::InProgress,
        "waiting" => TicketState::Waiting { on: code(row, "waiting_on", WaitingOn::parse)?, since },
        "resolved" => TicketState::Resolved { at: since },
        "closed" => TicketState::Closed { at: since, by: code(row, "closed_by", ClosedBy::parse)? },
        _ => return Err(bad("state")),
    })
}

/// The state's columns: code, since, waiting on, closed by.
fn state_columns(s: &TicketState, updated: Timestamp) -> (String, i64, Option<String>, Option<String>) {
    let code = state_code(s).to_owned();
    match s {
        TicketState::New | TicketState::Acknowledged | TicketState::InProgress => {
            (code, updated.as_millis(), None, None)
        }
        TicketState::Waiting { on, since } => (code, since.as_millis(), Some(on.code().to_owned()), None),
        TicketState::Resolved { at } => (code, at.as_millis(), None, None),
        TicketState::Closed { at, by } => (code, at.as_millis(), None, Some(by.code().to_owned())),
    }
}

fn ticket(row: &AnyRow) -> Result<TicketRecord, StoreError> {
    Ok(TicketRecord {
        id: uuid(row, "id")?,
        park_id: ParkId::parse(&text(row, "park_id")?).map_err(|_| bad("park_id"))?,
        number: text(row, "number")?,
        kind: code(row, "kind", TicketKind::parse)?,
        level: code(row, "level", Level::parse)?,
        priority: code(row, "priority", Priority::parse)?,
        domain: code(row, "domain", BusinessDomain::parse)?,
        handling_mode: code(row, "handling_mode", HandlingMode::parse)?,
        line: code(row, "line", SupportLine::parse)?,
        title: text(row, "title")?,
        description: text(row, "description")?,
        reporter_user_id: opt_id(row, "reporter_user_id", |s| UserId::parse(s).ok())?,
        reporter_name: text(row, "reporter_name")?,
        reporter_phone: text(row, "reporter_phone")?,
        enterprise_org_id: opt_id(row, "enterprise_org_id", |s| OrgId::parse(s).ok())?,
        location: text(row, "location")?,
        affected: text(row, "affected")?,
        asset_id: opt_id(row, "asset_id", |s| AssetId::parse(s).ok())?,
        assignee_user_id: opt_id(row, "assignee_user_id", |s| UserId::parse(s).ok())?,
        state: state(row)?,
        sla_version: int(row, "sla_version")?,
        response_target_ms: int(row, "response_target_ms")?,
        resolve_target_ms: int(row, "resolve_target_ms")?,
        coverage: text(row, "coverage")?,
        response_due_at: opt_int(row, "response_due_at")?.map(Timestamp::from_millis),
        resolve_due_at: opt_int(row, "resolve_due_at")?.map(Timestamp::from_millis),
        acknowledged_at: opt_int(row, "acknowledged_at")?.map(Timestamp::from_millis),
        resolved_at: opt_int(row, "resolved_at")?.map(Timestamp::from_millis),
        sla_flags: [
            flag(row, "response_warned")?,
            flag(row, "response_breached")?,
            flag(row, "resolve_warned")?,
            flag(row, "resolve_breached")?,
        ],
        rating: opt_int(row, "rating")?,
        rating_comment: text(row, "rating_comment")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn select_tickets(rest: &'static str) -> Sql {
    let mut s = Sql::new("SELECT ");
    s.push(TICKET_COLUMNS).push(" FROM ticket").push(rest);
    s
}

fn ticket_where(sql: &mut Sql, f: &TicketFilter) {
    sql.push(" WHERE 1 = 1");
    if let Some(p) = f.park_id {
        sql.push(" AND park_id = ").bind(p.to_string());
    }
    if !f.states.is_empty() {
        sql.push(" AND state IN (");
        for (i, s) in f.states.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(s.clone());
        }
        sql.push(")");
    }
    if let Some(l) = f.level {
        sql.push(" AND level = ").bind(l.code().to_owned());
    }
    if let Some(k) = f.kind {
        sql.push(" AND kind = ").bind(k.code().to_owned());
    }
    if let Some(d) = f.domain {
        sql.push(" AND domain = ").bind(d.code().to_owned());
    }
    if let Some(l) = f.line {
        sql.push(" AND line = ").bind(l.code().to_owned());
    }
    if let Some(a) = f.assignee {
        sql.push(" AND assignee_user_id = ").bind(a.to_string());
    }
    if let Some(o) = f.assignee_org {
        sql.push(" AND assignee_user_id IN (SELECT id FROM app_user WHERE org_id = ").bind(o.to_string()).push(")");
    }
    if let Some(r) = f.reporter {
        sql.push(" AND reporter_user_id = ").bind(r.to_string());
    }
    if let Some(t) = f.text.as_ref().filter(|t| !t.trim().is_empty()) {
        let p = like(t);
        sql.push(" AND (lower(number) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(title) LIKE ")
            .bind(p.clone());
        sql.push(" ESCAPE '\\' OR lower(location) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(affected) LIKE ")
            .bind(p);
        sql.push(" ESCAPE '\\')");
    }
    if let Some(t) = f.from {
        sql.push(" AND created_at >= ").bind(t.as_millis());
    }
    if let Some(t) = f.until {
        sql.push(" AND created_at < ").bind(t.as_millis());
    }
    if let Some(a) = f.asset_id {
        sql.push(" AND asset_id = ").bind(a.to_string());
    }
}

fn event(row: &AnyRow) -> Result<TicketEvent, StoreError> {
    Ok(TicketEvent {
        ticket_id: uuid(row, "ticket_id")?,
        seq: int(row, "seq")?,
        at: time(row, "at")?,
        actor: text(row, "actor")?,
        kind: text(row, "kind")?,
        from_state: text(row, "from_state")?,
        to_state: text(row, "to_state")?,
        note: text(row, "note")?,
    })
}

fn attachment(row: &AnyRow) -> Result<AttachmentRecord, StoreError> {
    Ok(AttachmentRecord {
        id: uuid(row, "id")?,
        ticket_id: uuid(row, "ticket_id")?,
        name: text(row, "name")?,
        content_type: text(row, "content_type")?,
        size: int(row, "size_bytes")?,
        sha256: text(row, "sha256")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

fn notification(row: &AnyRow) -> Result<NotificationRecord, StoreError> {
    Ok(NotificationRecord {
        id: uuid(row, "id")?,
        park_id: ParkId::parse(&text(row, "park_id")?).map_err(|_| bad("park_id"))?,
        user_id: UserId::parse(&text(row, "user_id")?).map_err(|_| bad("user_id"))?,
        ticket_id: opt_id(row, "ticket_id", |s| uuid::Uuid::parse_str(s).ok())?,
        event: text(row, "event")?,
        level: text(row, "level")?,
        title: text(row, "title")?,
        body: text(row, "body")?,
        created_at: time(row, "created_at")?,
        read_at: opt_int(row, "read_at")?.map(Timestamp::from_millis),
    })
}

#[async_trait]
impl DeskReads for Db {
    async fn ticket(&self, id: TicketId) -> Result<Option<TicketRecord>, StoreError> {
        let mut sql = select_tickets(" WHERE id = ");
        sql.bind(id.to_string());
        self.all(sql).await?.first().map(ticket).transpose()
    }

    async fn ticket_by_number(&self, number: &str) -> Result<Option<TicketRecord>, StoreError> {
        let mut sql = select_tickets(" WHERE number = ");
        sql.bind(number.trim().to_uppercase());
        self.all(sql).await?.first().map(ticket).transpose()
    }

    async fn tickets(&self, filter: &TicketFilter, page: PageRequest) -> Result<Page<TicketRecord>, StoreError> {
        // The pager counts at most one row past the cap: an exact count of a million tickets
        // costs more than the page itself (docs/benchmarks.md, figure 6).
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM ticket");
        ticket_where(&mut count, filter);
        count.push(" LIMIT ").bind(PAGE_COUNT_CAP + 1).push(") capped");
        let total = self.count(count).await?;
        let mut sql = select_tickets("");
        ticket_where(&mut sql, filter);
        // Open tickets by the nearest due time first (paused ones after), then the newest.
        sql.push(" ORDER BY CASE WHEN resolve_due_at IS NULL THEN 1 ELSE 0 END, resolve_due_at, created_at DESC");
        page_clause(&mut sql, page);
        let items = self.all(sql).await?.iter().map(ticket).collect::<Result<_, _>>()?;
        Ok(Page { items, total, request: page })
    }

    async fn tickets_all(&self, filter: &TicketFilter, limit: i64) -> Result<Vec<TicketRecord>, StoreError> {
        let mut sql = select_tickets("");
        ticket_where(&mut sql, filter);
        sql.push(" ORDER BY created_at DESC LIMIT ").bind(limit);
        self.all(sql).await?.iter().map(ticket).collect()
    }

    async fn tickets_to_watch(&self, limit: i64) -> Result<Vec<TicketRecord>, StoreError> {
        let mut sql = select_tickets(
            " WHERE state IN ('new', 'acknowledged', 'in_progress', 'waiting') AND \
             (response_warned = 0 OR response_breached = 0 OR resolve_warned = 0 OR resolve_breached = 0) \
             ORDER BY created_at LIMIT ",
        );
        sql.bind(limit);
        self.all(sql).await?.iter().map(ticket).collect()
    }

    async fn tickets_resolved_before(&self, before: Timestamp, limit: i64) -> Result<Vec<TicketRecord>, StoreError> {
        let mut sql = select_tickets(" WHERE state = 'resolved' AND state_since < ");
        sql.bind(before.as_millis()).push(" ORDER BY state_since LIMIT ").bind(limit);
        self.all(sql).await?.iter().map(ticket).collect()
    }

    async fn ticket_events(&self, id: TicketId) -> Result<Vec<TicketEvent>, StoreError> {
        let mut sql = Sql::new(
            "SELECT ticket_id, seq, at, actor, kind, from_state, to_state, note FROM ticket_event WHERE ticket_id = ",
        );
        sql.bind(id.to_string()).push(" ORDER BY seq");
        self.all(sql).await?.iter().map(event).collect()
    }

    async fn ticket_pauses(&self, id: TicketId) -> Result<Vec<Pause>, StoreError> {
        let mut sql = Sql::new("SELECT started_at, ended_at FROM ticket_pause WHERE ticket_id = ");
        sql.bind(id.to_string()).push(" ORDER BY started_at");
        self.all(sql)
            .await?
            .iter()
            .map(|r| {
                Ok(Pause { start: time(r, "started_at")?, end: opt_int(r, "ended_at")?.map(Timestamp::from_millis) })
            })
            .collect()
    }

    async fn attachments(&self, id: TicketId) -> Result<Vec<AttachmentRecord>, StoreError> {
        let mut sql = Sql::new(
            "SELECT id, ticket_id, name, content_type, size_bytes, sha256, created_by, created_at FROM ticket_attachment WHERE ticket_id = ",
        );
        sql.bind(id.to_string()).push(" ORDER BY created_at");
        self.all(sql).await?.iter().map(attachment).collect()
    }

    async fn attachment_data(&self, id: uuid::Uuid) -> Result<Option<(AttachmentRecord, Vec<u8>)>, StoreError> {
        let mut sql = Sql::new(
            "SELECT id, ticket_id, name, content_type, size_bytes, sha256, created_by, created_at, data FROM ticket_attachment WHERE id = ",
        );
        sql.bind(id.to_string());
        match self.all(sql).await?.first() {
            None => Ok(None),
            Some(r) => Ok(Some((attachment(r)?, r.try_get::<Vec<u8>, _>("data").map_err(unavailable)?))),
        }
    }

    async fn support_lines(&self, park: ParkId) -> Result<Vec<SupportLineRecord>, StoreError> {
        let mut sql = Sql::new("SELECT park_id, line, name, lead_user_id FROM support_line WHERE park_id = ");
        sql.bind(park.to_string()).push(" ORDER BY line");
        let mut out = Vec::new();
        for r in self.all(sql).await? {
            let line = code(&r, "line", SupportLine::parse)?;
            let mut members_sql = Sql::new("SELECT user_id FROM support_line_member WHERE park_id = ");
            members_sql
                .bind(park.to_string())
                .push(" AND line = ")
                .bind(line.code().to_owned())
                .push(" ORDER BY user_id");
            let members = self
                .all(members_sql)
                .await?
                .iter()
                .map(|m| UserId::parse(&text(m, "user_id")?).map_err(|_| bad("user_id")))
                .collect::<Result<_, _>>()?;
            out.push(SupportLineRecord {
                park_id: park,
                line,
                name: text(&r, "name")?,
                lead_user_id: opt_id(&r, "lead_user_id", |s| UserId::parse(s).ok())?,
                members,
            });
        }
        Ok(out)
    }

    async fn sla_policy(&self) -> Result<Option<(i64, String)>, StoreError> {
        let rows = self.all(Sql::new("SELECT version, body FROM sla_policy ORDER BY version DESC LIMIT 1")).await?;
        rows.first().map(|r| Ok((int(r, "version")?, text(r, "body")?))).transpose()
    }

    async fn sla_history(&self) -> Result<Vec<(i64, String, String, Timestamp)>, StoreError> {
        let rows = self
            .all(Sql::new("SELECT version, body, created_by, created_at FROM sla_policy ORDER BY version DESC"))
            .await?;
        rows.iter()
            .map(|r| Ok((int(r, "version")?, text(r, "body")?, text(r, "created_by")?, time(r, "created_at")?)))
            .collect()
    }

    async fn calendars(&self) -> Result<Vec<CalendarRecord>, StoreError> {
        let sql = Sql::new(
            "SELECT c.year, c.version, c.body, c.created_by, c.created_at FROM calendar_year c \
             WHERE c.version = (SELECT MAX(v.version) FROM calendar_year v WHERE v.year = c.year) ORDER BY c.year",
        );
        self.all(sql)
            .await?
            .iter()
            .map(|r| {
                Ok(CalendarRecord {
                    year: int(r, "year")?,
                    version: int(r, "version")?,
                    body: text(r, "body")?,
                    created_by: text(r, "created_by")?,
                    created_at: time(r, "created_at")?,
                })
            })
            .collect()
    }

    async fn notifications(&self, user: UserId, limit: i64) -> Result<Vec<NotificationRecord>, StoreError> {
        let mut sql = Sql::new(
            "SELECT id, park_id, user_id, ticket_id, event, level, title, body, created_at, read_at FROM notification WHERE user_id = ",
        );
        sql.bind(user.to_string()).push(" ORDER BY created_at DESC LIMIT ").bind(limit);
        self.all(sql).await?.iter().map(notification).collect()
    }

    async fn unread_notifications(&self, user: UserId, cap: i64) -> Result<i64, StoreError> {
        let mut sql =
            Sql::new("SELECT COUNT(*) AS n FROM (SELECT 1 FROM notification WHERE read_at IS NULL AND user_id = ");
        sql.bind(user.to_string()).push(" LIMIT ").bind(cap).push(") AS unread");
        self.count(sql).await
    }
}

fn bind_ticket_fields(sql: &mut Sql, t: &TicketRecord) {
    let (state, since, waiting_on, closed_by) = state_columns(&t.state, t.updated_at);
    sql.bind(t.kind.code().to_owned())
        .push(", ")
        .bind(t.level.code().to_owned())
        .push(", ")
        .bind(t.priority.code().to_owned());
    sql.push(", ").bind(t.domain.code().to_owned()).push(", ").bind(t.handling_mode.code().to_owned()).push(", ");
    sql.bind(t.line.code().to_owned())
        .push(", ")
        .bind(t.title.clone())
        .push(", ")
        .bind(t.description.clone())
        .push(", ");
    sql.bind(t.reporter_user_id.map(|u| u.to_string())).push(", ").bind(t.reporter_name.clone()).push(", ");
    sql.bind(t.reporter_phone.clone()).push(", ").bind(t.enterprise_org_id.map(|o| o.to_string())).push(", ");
    sql.bind(t.location.clone())
        .push(", ")
        .bind(t.affected.clone())
        .push(", ")
        .bind(t.asset_id.map(|a| a.to_string()))
        .push(", ")
        .bind(t.assignee_user_id.map(|u| u.to_string()));
    sql.push(", ").bind(state).push(", ").bind(since).push(", ").bind(waiting_on).push(", ").bind(closed_by).push(", ");
    sql.bind(t.sla_version).push(", ").bind(t.response_target_ms).push(", ").bind(t.resolve_target_ms).push(", ");
    sql.bind(t.coverage.clone()).push(", ").bind(t.response_due_at.map(Timestamp::as_millis)).push(", ");
    sql.bind(t.resolve_due_at.map(Timestamp::as_millis)).push(", ").bind(t.acknowledged_at.map(Timestamp::as_millis));
    sql.push(", ").bind(t.resolved_at.map(Timestamp::as_millis));
    for f in t.sla_flags {
        sql.push(", ").bind(i64::from(f));
    }
    sql.push(", ").bind(t.rating).push(", ").bind(t.rating_comment.clone()).push(", ").bind(t.updated_at.as_millis());
}

#[async_trait]
impl DeskWrites for DbTx {
    async fn next_ticket_number(&mut self, park: ParkId, day: &str, day_start: Timestamp) -> Result<i64, StoreError> {
        let mut bump = Sql::new("UPDATE ticket_number SET last = last + 1 WHERE park_id = ");
        bump.bind(park.to_string()).push(" AND day = ").bind(day.to_owned()).push(" RETURNING last");
        if let Some(row) = bump.build(self.backend()).fetch_optional(self.conn()?).await.map_err(map_err)? {
            return int(&row, "last");
        }
        // The day's first number: continue after tickets stored without the counter (data
        // from before migration 0005, bulk loads).
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM ticket WHERE park_id = ");
        count.bind(park.to_string()).push(" AND created_at >= ").bind(day_start.as_millis());
        let n = self.fetch_int(count, "n").await? + 1;
        let mut insert = Sql::new("INSERT INTO ticket_number (park_id, day, last) VALUES (");
        insert.bind(park.to_string()).push(", ").bind(day.to_owned()).push(", ").bind(n).push(")");
        self.exec(insert).await?;
        Ok(n)
    }

    async fn insert_ticket(&mut self, t: &TicketRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO ticket (id, park_id, number, created_by, created_at, kind, level, priority, domain, handling_mode, line, \
             title, description, reporter_user_id, reporter_name, reporter_phone, enterprise_org_id, location, affected, \
             asset_id, assignee_user_id, state, state_since, waiting_on, closed_by, sla_version, response_target_ms, \
             resolve_target_ms, coverage, response_due_at, resolve_due_at, acknowledged_at, resolved_at, response_warned, response_breached, \
             resolve_warned, resolve_breached, rating, rating_comment, updated_at) VALUES (",
        );
        sql.bind(t.id.to_string()).push(", ").bind(t.park_id.to_string()).push(", ").bind(t.number.clone()).push(", ");
        sql.bind(t.created_by.clone()).push(", ").bind(t.created_at.as_millis()).push(", ");
        bind_ticket_fields(&mut sql, t);
        sql.push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn update_ticket(&mut self, t: &TicketRecord) -> Result<(), StoreError> {
        // A row-value assignment (PostgreSQL; SQLite since 3.15) in the column order of
        // `bind_ticket_fields`, so insert and update share one binding.
        let mut sql = Sql::new(
            "UPDATE ticket SET (kind, level, priority, domain, handling_mode, line, title, description, \
             reporter_user_id, reporter_name, reporter_phone, enterprise_org_id, location, affected, asset_id, \
             assignee_user_id, state, state_since, waiting_on, closed_by, sla_version, response_target_ms, resolve_target_ms, \
             coverage, response_due_at, resolve_due_at, acknowledged_at, resolved_at, response_warned, response_breached, resolve_warned, resolve_breached, \
             rating, rating_comment, updated_at) = (",
        );
        bind_ticket_fields(&mut sql, t);
        sql.push(") WHERE id = ").bind(t.id.to_string());
        self.exec_one(sql).await
    }

    async fn append_ticket_event(&mut self, e: &TicketEvent) -> Result<i64, StoreError> {
        let seq = if e.seq > 0 {
            e.seq
        } else {
            let mut next = Sql::new("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM ticket_event WHERE ticket_id = ");
            next.bind(e.ticket_id.to_string());
            self.fetch_int(next, "n").await?
        };
        let mut sql =
            Sql::new("INSERT INTO ticket_event (ticket_id, seq, at, actor, kind, from_state, to_state, note) VALUES (");
        sql.bind(e.ticket_id.to_string())
            .push(", ")
            .bind(seq)
            .push(", ")
            .bind(e.at.as_millis())
            .push(", ")
            .bind(e.actor.clone());
        sql.push(", ")
            .bind(e.kind.clone())
            .push(", ")
            .bind(e.from_state.clone())
            .push(", ")
            .bind(e.to_state.clone())
            .push(", ");
        sql.bind(e.note.clone()).push(")");
        self.exec(sql).await?;
        Ok(seq)
    }

    async fn start_pause(&mut self, id: TicketId, at: Timestamp) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO ticket_pause (ticket_id, started_at, ended_at) VALUES (");
        sql.bind(id.to_string()).push(", ").bind(at.as_millis()).push(", NULL)");
        self.exec(sql).await.map(|_| ())
    }

    async fn end_pause(&mut self, id: TicketId, at: Timestamp) -> Result<(), StoreError> {
        let mut sql = Sql::new("UPDATE ticket_pause SET ended_at = ");
        sql.bind(at.as_millis()).push(" WHERE ticket_id = ").bind(id.to_string()).push(" AND ended_at IS NULL");
        self.exec(sql).await.map(|_| ())
    }

    async fn insert_attachment(&mut self, a: &AttachmentRecord, data: &[u8]) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO ticket_attachment (id, ticket_id, name, content_type, size_bytes, sha256, data, created_by, created_at) VALUES (",
        );
        sql.bind(a.id.to_string()).push(", ").bind(a.ticket_id.to_string()).push(", ").bind(a.name.clone()).push(", ");
        sql.bind(a.content_type.clone())
            .push(", ")
            .bind(a.size)
            .push(", ")
            .bind(a.sha256.clone())
            .push(", ")
            .bind(data.to_vec());
        sql.push(", ").bind(a.created_by.clone()).push(", ").bind(a.created_at.as_millis()).push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn put_support_line(&mut self, l: &SupportLineRecord) -> Result<(), StoreError> {
        let park = l.park_id.to_string();
        let line = l.line.code().to_owned();
        let mut del = Sql::new("DELETE FROM support_line_member WHERE park_id = ");
        del.bind(park.clone()).push(" AND line = ").bind(line.clone());
        self.exec(del).await?;
        let mut up = Sql::new("INSERT INTO support_line (park_id, line, name, lead_user_id) VALUES (");
        up.bind(park.clone()).push(", ").bind(line.clone()).push(", ").bind(l.name.clone()).push(", ");
        up.bind(l.lead_user_id.map(|u| u.to_string()));
        up.push(
            ") ON CONFLICT (park_id, line) DO UPDATE SET name = excluded.name, lead_user_id = excluded.lead_user_id",
        );
        self.exec(up).await?;
        for m in &l.members {
            let mut ins = Sql::new("INSERT INTO support_line_member (park_id, line, user_id) VALUES (");
            ins.bind(park.clone()).push(", ").bind(line.clone()).push(", ").bind(m.to_string()).push(")");
            self.exec(ins).await?;
        }
        Ok(())
    }

    async fn insert_sla_policy(&mut self, version: i64, body: &str, by: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO sla_policy (version, body, created_by, created_at) VALUES (");
        sql.bind(version)
            .push(", ")
            .bind(body.to_owned())
            .push(", ")
            .bind(by.to_owned())
            .push(", ")
            .bind(at.as_millis())
            .push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn insert_calendar(&mut self, c: &CalendarRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO calendar_year (year, version, body, created_by, created_at) VALUES (");
        sql.bind(c.year)
            .push(", ")
            .bind(c.version)
            .push(", ")
            .bind(c.body.clone())
            .push(", ")
            .bind(c.created_by.clone());
        sql.push(", ").bind(c.created_at.as_millis()).push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn insert_notifications(&mut self, ns: &[NotificationRecord]) -> Result<(), StoreError> {
        // Ten values a row; a severe ticket tells the whole first line in one statement.
        for rows in self.runs(ns, 10) {
            let mut sql = Sql::new(
                "INSERT INTO notification (id, park_id, user_id, ticket_id, event, level, title, body, created_at, read_at) \
                 VALUES ",
            );
            for (i, n) in rows.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(n.id.to_string())
                    .push(", ")
                    .bind(n.park_id.to_string())
                    .push(", ")
                    .bind(n.user_id.to_string())
                    .push(", ")
                    .bind(n.ticket_id.map(|t| t.to_string()))
                    .push(", ")
                    .bind(n.event.clone())
                    .push(", ")
                    .bind(n.level.clone())
                    .push(", ")
                    .bind(n.title.clone())
                    .push(", ")
                    .bind(n.body.clone())
                    .push(", ")
                    .bind(n.created_at.as_millis())
                    .push(", ")
                    .bind(n.read_at.map(Timestamp::as_millis))
                    .push(")");
            }
            self.exec(sql).await?;
        }
        Ok(())
    }

    async fn mark_notifications_read(&mut self, user: UserId, at: Timestamp) -> Result<u64, StoreError> {
        let mut sql = Sql::new("UPDATE notification SET read_at = ");
        sql.bind(at.as_millis()).push(" WHERE user_id = ").bind(user.to_string()).push(" AND read_at IS NULL");
        self.exec(sql).await
    }
}
