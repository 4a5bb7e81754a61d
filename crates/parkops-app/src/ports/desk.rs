//! The storage port of the service desk: tickets with their timeline and pauses,
//! support lines, SLA policy versions, calendar schedules and the notification outbox.

use async_trait::async_trait;
use parkops_domain::asset::AssetId;
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::sla::Pause;
use parkops_domain::ticket::{BusinessDomain, HandlingMode, Level, Priority, SupportLine, TicketKind, TicketState};
use parkops_domain::time::Timestamp;

use super::{Page, PageRequest};
use crate::StoreError;

/// Ticket identifier (UUIDv7 text).
pub type TicketId = uuid::Uuid;

/// A stored ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    /// Identifier.
    pub id: TicketId,
    /// Park.
    pub park_id: ParkId,
    /// Human number, e.g. `JB202611250001`.
    pub number: String,
    /// Kind.
    pub kind: TicketKind,
    /// Level.
    pub level: Level,
    /// Priority.
    pub priority: Priority,
    /// Business domain.
    pub domain: BusinessDomain,
    /// Handling mode (R-9.2.3.1).
    pub handling_mode: HandlingMode,
    /// Support line now responsible.
    pub line: SupportLine,
    /// Short title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Reporting user, if a user reported it.
    pub reporter_user_id: Option<UserId>,
    /// Reporter's name (user or outside contact).
    pub reporter_name: String,
    /// Reporter's phone (outside contacts look progress up with it).
    pub reporter_phone: String,
    /// Enterprise concerned, if any.
    pub enterprise_org_id: Option<OrgId>,
    /// Location (zone, site, point).
    pub location: String,
    /// Affected system or asset as the reporter named it.
    pub affected: String,
    /// The CI of the asset register the ticket concerns, if known.
    pub asset_id: Option<AssetId>,
    /// Person working on it.
    pub assignee_user_id: Option<UserId>,
    /// Lifecycle state.
    pub state: TicketState,
    /// SLA policy version the targets come from.
    pub sla_version: i64,
    /// Response target (ms).
    pub response_target_ms: i64,
    /// Resolution target (ms).
    pub resolve_target_ms: i64,
    /// Coverage code (`7x24` or `working_hours`).
    pub coverage: String,
    /// Response due (None once responded).
    pub response_due_at: Option<Timestamp>,
    /// Resolution due (None while paused or once resolved).
    pub resolve_due_at: Option<Timestamp>,
    /// First response.
    pub acknowledged_at: Option<Timestamp>,
    /// Resolution.
    pub resolved_at: Option<Timestamp>,
    /// Warnings and breaches already raised: response warned, response breached,
    /// resolution warned, resolution breached (each raised once).
    pub sla_flags: [bool; 4],
    /// Satisfaction rating 1–5 after closing.
    pub rating: Option<i64>,
    /// Rating comment.
    pub rating_comment: String,
    /// Who opened it (login name or `portal`).
    pub created_by: String,
    /// Opened.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// One entry of a ticket's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    /// Ticket.
    pub ticket_id: TicketId,
    /// Position in the timeline, from 1.
    pub seq: i64,
    /// When.
    pub at: Timestamp,
    /// Who (login name, `system` or `portal`).
    pub actor: String,
    /// What: `created`, an action code, `assigned`, `escalated`, `comment`, `handover`,
    /// `dispatch`, `sla_warning`, `sla_breach`, `rated`, `attachment`.
    pub kind: String,
    /// State before (for transitions).
    pub from_state: String,
    /// State after (for transitions).
    pub to_state: String,
    /// Free text.
    pub note: String,
}

/// An attachment, kept with its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    /// Identifier.
    pub id: uuid::Uuid,
    /// Ticket.
    pub ticket_id: TicketId,
    /// File name.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Uploaded by.
    pub created_by: String,
    /// Uploaded.
    pub created_at: Timestamp,
}

/// A support line of a park with its lead and members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportLineRecord {
    /// Park.
    pub park_id: ParkId,
    /// Which line.
    pub line: SupportLine,
    /// Name, e.g. 运维保障组.
    pub name: String,
    /// Lead.
    pub lead_user_id: Option<UserId>,
    /// Members.
    pub members: Vec<UserId>,
}

/// A notification waiting for delivery, written in the same transaction as its cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRecord {
    /// Identifier.
    pub id: uuid::Uuid,
    /// Park.
    pub park_id: ParkId,
    /// Recipient.
    pub user_id: UserId,
    /// Ticket concerned.
    pub ticket_id: Option<TicketId>,
    /// Event code, e.g. `sla_warning`, `sla_breach`, `ticket_opened`.
    pub event: String,
    /// Level of the ticket (for subscriptions).
    pub level: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Created.
    pub created_at: Timestamp,
    /// Read in the inbox.
    pub read_at: Option<Timestamp>,
}

/// A version of a year's calendar schedule, as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarRecord {
    /// Year.
    pub year: i64,
    /// Version, from 1.
    pub version: i64,
    /// `{"holidays": [...], "makeup_days": [...]}`.
    pub body: String,
    /// Author.
    pub created_by: String,
    /// Issued.
    pub created_at: Timestamp,
}

/// Filter for ticket lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    /// Park.
    pub park_id: Option<ParkId>,
    /// State codes to include (empty: all).
    pub states: Vec<String>,
    /// Level.
    pub level: Option<Level>,
    /// Kind.
    pub kind: Option<TicketKind>,
    /// Business domain.
    pub domain: Option<BusinessDomain>,
    /// Support line.
    pub line: Option<SupportLine>,
    /// Assignee.
    pub assignee: Option<UserId>,
    /// Only tickets assigned to members of this organisation (supplier scope).
    pub assignee_org: Option<OrgId>,
    /// Only tickets this user reported (reporter scope).
    pub reporter: Option<UserId>,
    /// Text in number, title, description or location.
    pub text: Option<String>,
    /// Opened from (inclusive).
    pub from: Option<Timestamp>,
    /// Opened until (exclusive).
    pub until: Option<Timestamp>,
    /// Only tickets about this CI.
    pub asset_id: Option<AssetId>,
}

/// Desk reads.
#[async_trait]
pub trait DeskReads: Send + Sync {
    /// One ticket.
    async fn ticket(&self, id: TicketId) -> Result<Option<TicketRecord>, StoreError>;
    /// A ticket by number.
    async fn ticket_by_number(&self, number: &str) -> Result<Option<TicketRecord>, StoreError>;
    /// Tickets matching a filter, open ones by resolution due first, then newest.
    async fn tickets(&self, filter: &TicketFilter, page: PageRequest) -> Result<Page<TicketRecord>, StoreError>;
    /// All tickets matching a filter (exports, statistics), newest first, at most `limit`.
    async fn tickets_all(&self, filter: &TicketFilter, limit: i64) -> Result<Vec<TicketRecord>, StoreError>;
    /// Open tickets whose clocks may need a warning or escalation: not resolved or closed,
    /// with at least one flag still unset.
    async fn tickets_to_watch(&self, limit: i64) -> Result<Vec<TicketRecord>, StoreError>;
    /// Resolved tickets resolved before `before` (for the automatic close).
    async fn tickets_resolved_before(&self, before: Timestamp, limit: i64) -> Result<Vec<TicketRecord>, StoreError>;
    /// A ticket's timeline.
    async fn ticket_events(&self, id: TicketId) -> Result<Vec<TicketEvent>, StoreError>;
    /// A ticket's pauses, in order.
    async fn ticket_pauses(&self, id: TicketId) -> Result<Vec<Pause>, StoreError>;
    /// A ticket's attachments (without content).
    async fn attachments(&self, id: TicketId) -> Result<Vec<AttachmentRecord>, StoreError>;
    /// An attachment's content.
    async fn attachment_data(&self, id: uuid::Uuid) -> Result<Option<(AttachmentRecord, Vec<u8>)>, StoreError>;
    /// The support lines of a park.
    async fn support_lines(&self, park: ParkId) -> Result<Vec<SupportLineRecord>, StoreError>;
    /// The latest SLA policy version, as JSON.
    async fn sla_policy(&self) -> Result<Option<(i64, String)>, StoreError>;
    /// All SLA policy versions `(version, body, by, at)`, newest first.
    async fn sla_history(&self) -> Result<Vec<(i64, String, String, Timestamp)>, StoreError>;
    /// The latest version of every year's calendar schedule.
    async fn calendars(&self) -> Result<Vec<CalendarRecord>, StoreError>;
    /// A user's notifications, newest first.
    async fn notifications(&self, user: UserId, limit: i64) -> Result<Vec<NotificationRecord>, StoreError>;
    /// How many of a user's notifications are unread, counting at most `cap` (the badge).
    async fn unread_notifications(&self, user: UserId, cap: i64) -> Result<i64, StoreError>;
}

/// Desk writes (inside a [`super::Tx`], so each comes with its audit record).
#[async_trait]
pub trait DeskWrites: Send {
    /// The next number of the park's China-time `day` (`YYYYMMDD`), counted from 1. The first
    /// call of a day starts after the tickets already stored since `day_start`.
    async fn next_ticket_number(&mut self, park: ParkId, day: &str, day_start: Timestamp) -> Result<i64, StoreError>;
    /// Adds a ticket.
    async fn insert_ticket(&mut self, t: &TicketRecord) -> Result<(), StoreError>;
    /// Replaces a ticket's mutable fields (state, assignment, due times, flags, rating …).
    async fn update_ticket(&mut self, t: &TicketRecord) -> Result<(), StoreError>;
    /// Appends to a ticket's timeline: at `e.seq` when it is positive (a new ticket's first
    /// entry is 1), else at the next one.
    async fn append_ticket_event(&mut self, e: &TicketEvent) -> Result<i64, StoreError>;
    /// Opens a pause.
    async fn start_pause(&mut self, id: TicketId, at: Timestamp) -> Result<(), StoreError>;
    /// Closes the open pause.
    async fn end_pause(&mut self, id: TicketId, at: Timestamp) -> Result<(), StoreError>;
    /// Adds an attachment.
    async fn insert_attachment(&mut self, a: &AttachmentRecord, data: &[u8]) -> Result<(), StoreError>;
    /// Replaces a support line.
    async fn put_support_line(&mut self, l: &SupportLineRecord) -> Result<(), StoreError>;
    /// Adds an SLA policy version.
    async fn insert_sla_policy(&mut self, version: i64, body: &str, by: &str, at: Timestamp) -> Result<(), StoreError>;
    /// Adds a calendar version.
    async fn insert_calendar(&mut self, c: &CalendarRecord) -> Result<(), StoreError>;
    /// Puts notifications in their users' inboxes (multi-row statements).
    async fn insert_notifications(&mut self, ns: &[NotificationRecord]) -> Result<(), StoreError>;
    /// Marks a user's notifications read.
    async fn mark_notifications_read(&mut self, user: UserId, at: Timestamp) -> Result<u64, StoreError>;
}
