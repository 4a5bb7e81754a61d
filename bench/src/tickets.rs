//! Generated service-desk tickets: request bodies for the API, and bulk rows written straight
//! into the `ticket` table with the store's column set (as `Tx::insert_ticket` writes them).

use std::collections::HashMap;

use anyhow::{Context, ensure};
use parkops_domain::sla::SlaPolicy;
use parkops_domain::ticket::Level;
use parkops_domain::time::Timestamp;
use parkops_store::Db;
use sqlx::Row;

/// The business-domain codes.
pub const DOMAINS: [&str; 7] =
    ["safety_production", "environmental", "emergency", "energy", "logistics", "closed_area", "network_security"];

/// (title, location, affected) templates; `{n}` is replaced by 1–40.
const SUBJECTS: [(&str, &str, &str); 8] = [
    ("{n} 号罐区可燃气体探测器离线", "{n} 号罐区", "气体探测器 GD-{n}"),
    ("NVR-{n} 离线，摄像机无录像", "{n} 号汇聚机房", "NVR-{n}"),
    ("{n} 号卡口道闸不能抬杆，车道拥堵", "{n} 号卡口", "道闸 BG-{n}"),
    ("指挥中心拼接屏 {n} 号屏黑屏", "园区指挥中心", "拼接屏 {n}"),
    ("边缘网关 GW-E{n} 数据上报延迟", "{n} 号企业机柜间", "边缘网关 GW-E{n}"),
    ("危化品车辆终端 {n} 定位漂移", "停车场 {n} 区", "车载终端 T{n}"),
    ("申请开通 {n} 号企业视频共享", "管委会", "视频共享平台"),
    ("{n} 号环境监测站 VOCs 数据缺失", "{n} 号监测站", "VOCs 监测仪 {n}"),
];

/// The word the filtered text-search case looks for: in the title of one ticket in eight.
pub const SEARCH_WORD: &str = "道闸";

/// Title, location and affected object of the i-th generated ticket.
pub fn subject(i: u64) -> (String, String, String) {
    let (t, l, a) = SUBJECTS[usize::try_from(i % 8).unwrap_or(0)];
    let n = (i / 8 * 7 % 40 + 1).to_string();
    (t.replace("{n}", &n), l.replace("{n}", &n), a.replace("{n}", &n))
}

/// The level of the i-th ticket: 2 % 致命, 8 % 严重, 50 % 一般, 30 % 轻微, 10 % 建议.
pub const fn level(i: u64) -> Level {
    match i % 50 {
        0 => Level::Fatal,
        1..=4 => Level::Severe,
        5..=29 => Level::General,
        30..=44 => Level::Minor,
        _ => Level::Suggestion,
    }
}

/// What the demo park provides for generated tickets.
#[derive(Debug, Clone)]
pub struct Park {
    /// Park id.
    pub id: String,
    /// Park code (ticket numbers start with it).
    pub code: String,
    /// (id, display name, phone) of people who report tickets.
    pub reporters: Vec<(String, String, String)>,
    /// (user id, line code) of support-line members.
    pub assignees: Vec<(String, String)>,
    /// Enterprise organisation ids.
    pub enterprises: Vec<String>,
    /// SLA policy version in force.
    pub sla_version: i64,
}

/// Reads the (only) park and its people.
///
/// # Errors
/// When there is no park or it has no support lines.
pub async fn park(db: &Db) -> anyhow::Result<Park> {
    let rows = sqlx::query("SELECT id, code FROM park ORDER BY created_at").fetch_all(db.pool()).await?;
    let first = rows.first().context("no park: load the demo first")?;
    let (id, code): (String, String) = (first.try_get(0)?, first.try_get(1)?);
    let reporters = sqlx::query(
        "SELECT u.id, u.display_name, u.phone FROM app_user u JOIN organisation o ON o.id = u.org_id \
         WHERE u.park_id = $1 AND o.org_type IN ('enterprise', 'using_unit', 'service_organisation') ORDER BY u.username",
    )
    .bind(id.clone())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| anyhow::Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .collect::<Result<Vec<_>, _>>()?;
    let assignees =
        sqlx::query("SELECT user_id, line FROM support_line_member WHERE park_id = $1 ORDER BY line, user_id")
            .bind(id.clone())
            .fetch_all(db.pool())
            .await?
            .iter()
            .map(|r| anyhow::Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, _>>()?;
    let enterprises =
        sqlx::query("SELECT id FROM organisation WHERE park_id = $1 AND org_type = 'enterprise' ORDER BY code")
            .bind(id.clone())
            .fetch_all(db.pool())
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<Vec<String>, _>>()?;
    let version = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM sla_policy").fetch_one(db.pool()).await?;
    let sla_version: i64 = version.try_get(0)?;
    ensure!(!reporters.is_empty() && !assignees.is_empty(), "the park has no reporters or support-line members");
    Ok(Park { id, code, reporters, assignees, enterprises, sla_version })
}

/// How many tickets of each kind to generate.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// All tickets.
    pub total: u64,
    /// Open ones (new, acknowledged, in progress, waiting), resolution due from 5 days ago to
    /// (at most) 5 days ahead.
    pub open: u64,
    /// Resolved in the last two days, not yet closed.
    pub resolved: u64,
    /// Days the closed ones are spread over, ending four days ago.
    pub days: i64,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filled {
    /// Ticket rows.
    pub tickets: u64,
    /// Open pause rows (of the waiting tickets).
    pub pauses: u64,
}

/// Ticket rows per INSERT statement: 39 parameters each, 624 per statement (binding cost grows
/// with the parameters of a statement; see `verify`).
const ROWS_PER_STATEMENT: usize = 16;
/// Ticket rows per fill transaction.
const ROWS_PER_TX: usize = 50_000;

const INSERT: &str = "INSERT INTO ticket (id, park_id, number, created_by, created_at, kind, level, priority, domain, \
    handling_mode, line, title, description, reporter_user_id, reporter_name, reporter_phone, enterprise_org_id, \
    location, affected, assignee_user_id, state, state_since, waiting_on, closed_by, sla_version, response_target_ms, \
    resolve_target_ms, coverage, response_due_at, resolve_due_at, acknowledged_at, resolved_at, response_warned, \
    response_breached, resolve_warned, resolve_breached, rating, rating_comment, updated_at) VALUES ";
const COLUMNS: usize = 39;

/// One generated row.
#[derive(Debug, Clone)]
struct Row39 {
    id: String,
    number: String,
    created_by: String,
    created_at: i64,
    kind: &'static str,
    level: &'static str,
    priority: &'static str,
    domain: &'static str,
    mode: &'static str,
    line: String,
    title: String,
    description: String,
    reporter: (String, String, String),
    enterprise: Option<String>,
    location: String,
    affected: String,
    assignee: Option<String>,
    state: &'static str,
    state_since: i64,
    waiting_on: Option<&'static str>,
    closed_by: Option<&'static str>,
    response_target: i64,
    resolve_target: i64,
    coverage: &'static str,
    response_due: Option<i64>,
    resolve_due: Option<i64>,
    acknowledged: Option<i64>,
    resolved: Option<i64>,
    flags: [i64; 4],
    rating: Option<i64>,
}

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// A deterministic fraction in [0, 1) for row `i` and salt `k`.
fn frac(i: u64, k: u64) -> f64 {
    let x = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ k.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)).rotate_left(29);
    let x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 11;
    #[allow(clippy::cast_precision_loss, reason = "53 bits")]
    let f = x as f64 / (1u64 << 53) as f64;
    f
}

#[allow(clippy::cast_possible_truncation, reason = "durations of days in milliseconds")]
fn part(ms: i64, f: f64) -> i64 {
    (ms as f64 * f) as i64
}

/// Generates ticket `i` of `plan` (closed ones first, oldest first; then resolved; then open).
#[allow(clippy::too_many_lines, reason = "one ticket's fields in one place")]
fn generate(park: &Park, plan: Plan, policy: &SlaPolicy, now: i64, i: u64) -> Row39 {
    let closed = plan.total - plan.open - plan.resolved;
    let lvl = level(i);
    let target = policy.target(lvl);
    let (rt, st) = (target.response.num_milliseconds(), target.resolve.num_milliseconds());
    let (title, location, affected) = subject(i);
    let reporter = park.reporters[usize::try_from(i % park.reporters.len() as u64).unwrap_or(0)].clone();
    let line = match i % 20 {
        0 => "l3",
        1..=4 => "l2",
        _ => "l1",
    };
    let members: Vec<&(String, String)> = park.assignees.iter().filter(|(_, l)| l == line).collect();
    let members = if members.is_empty() { park.assignees.iter().collect() } else { members };
    let assignee = members[usize::try_from(i / 20 % members.len() as u64).unwrap_or(0)].0.clone();
    let enterprise = (i.is_multiple_of(3) && !park.enterprises.is_empty())
        .then(|| park.enterprises[usize::try_from(i % park.enterprises.len() as u64).unwrap_or(0)].clone());
    let mut r = Row39 {
        id: String::new(),
        number: String::new(),
        created_by: String::new(),
        created_at: 0,
        kind: ["fault_report", "repair", "service_request", "fault_report", "change_request", "repair"]
            [usize::try_from(i % 6).unwrap_or(0)],
        level: lvl.code(),
        priority: lvl.default_priority().code(),
        domain: DOMAINS[usize::try_from(i % 7).unwrap_or(0)],
        mode: ["remote", "on_site", "both"][usize::try_from(i % 3).unwrap_or(0)],
        line: line.to_owned(),
        description: format!("{title}。位置：{location}；影响对象：{affected}。"),
        title,
        reporter,
        enterprise,
        location,
        affected,
        assignee: Some(assignee),
        state: "closed",
        state_since: 0,
        waiting_on: None,
        closed_by: None,
        response_target: rt,
        resolve_target: st,
        coverage: target.coverage.code(),
        response_due: None,
        resolve_due: None,
        acknowledged: None,
        resolved: None,
        flags: [0; 4],
        rating: None,
    };
    let flags_at = |created: i64, until: i64, target: i64| {
        let e = until - created;
        [i64::from(e * 5 >= target * 4), i64::from(e >= target)]
    };
    if i < closed {
        // Closed, spread evenly over `days` days ending four days ago.
        let span = plan.days * DAY;
        let created = now - 4 * DAY - span + part(span, (i as f64 + frac(i, 1)) / closed as f64);
        let ack = created + part(rt, 0.1 + 1.1 * frac(i, 2));
        let resolved = ack.max(created + part(st, 0.2 + 1.0 * frac(i, 3)));
        let closed_at = resolved + HOUR + part(71 * HOUR, frac(i, 4));
        let [rw, rb] = flags_at(created, ack, rt);
        let [sw, sb] = flags_at(created, resolved, st);
        let by = match i % 20 {
            0..=11 => "reporter",
            12..=18 => "automatic",
            _ => "staff",
        };
        r.created_at = created;
        r.acknowledged = Some(ack);
        r.resolved = Some(resolved);
        r.state_since = closed_at;
        r.closed_by = Some(by);
        r.flags = [rw, rb, sw, sb];
        r.rating = (by == "reporter").then_some(3 + i64::try_from(i % 3).unwrap_or(0));
    } else if i < closed + plan.resolved {
        // Resolved within the last two days, waiting for the reporter's confirmation.
        let resolved = now - part(47 * HOUR, frac(i, 5)) - 60_000;
        let created = resolved - part(st, 0.2 + 1.0 * frac(i, 6));
        let ack = created + part(rt, 0.1 + 0.6 * frac(i, 2));
        let [sw, sb] = flags_at(created, resolved, st);
        r.coverage = "7x24";
        r.created_at = created;
        r.acknowledged = Some(ack.min(resolved));
        r.resolved = Some(resolved);
        r.state = "resolved";
        r.state_since = resolved;
        r.flags = [0, 0, sw, sb];
    } else {
        // Open, around the clock (so the due times written here are what the SLA clock
        // computes), resolution due from 5 days ago to at most 5 days ahead.
        let j = i - closed - plan.resolved;
        let ahead = (5 * DAY).min(part(st, 0.95));
        let due = now - 5 * DAY + part(5 * DAY + ahead, frac(j, 7));
        let created = due - st;
        r.coverage = "7x24";
        r.created_at = created;
        let [sw, sb] = flags_at(created, now, st);
        match j % 20 {
            0 | 1 => {
                let [rw, rb] = flags_at(created, now, rt);
                r.state = "new";
                r.state_since = created;
                r.assignee = None;
                r.response_due = Some(created + rt);
                r.resolve_due = Some(due);
                r.flags = [rw, rb, sw, sb];
            }
            k => {
                let ack = created + (rt / 2).min((now - created) / 3);
                r.acknowledged = Some(ack);
                r.state_since = ack + (now - ack) / 4;
                if k >= 17 {
                    // Waiting since then: the resolution clock is paused (no due time).
                    let [w, b] = flags_at(created, r.state_since, st);
                    r.state = "waiting";
                    r.waiting_on = Some(if k == 19 { "vendor" } else { "reporter" });
                    r.flags = [0, 0, w, b];
                } else {
                    r.state = if k < 6 { "acknowledged" } else { "in_progress" };
                    r.resolve_due = Some(due);
                    r.flags = [0, 0, sw, sb];
                }
            }
        }
    }
    r.created_by = "jb.op01".to_owned();
    let mut rnd = [0u8; 10];
    rnd[..8].copy_from_slice(&i.to_le_bytes());
    rnd[8..].copy_from_slice(&[0xbe, 0x4c]);
    r.id = uuid::Builder::from_unix_timestamp_millis(u64::try_from(r.created_at.max(0)).unwrap_or(0), &rnd)
        .into_uuid()
        .to_string();
    r
}

/// Writes `plan.total` tickets of `park` (and an open pause for each waiting one), numbered per
/// day from 5001 on so that they never meet the demo's or new tickets' numbers.
///
/// # Errors
/// When an insert fails.
pub async fn fill(db: &Db, park: &Park, plan: Plan, now: Timestamp, progress: bool) -> anyhow::Result<Filled> {
    let policy = SlaPolicy::default();
    let now = now.as_millis();
    let text = |rows: usize| {
        let mut s = String::from(INSERT);
        for r in 0..rows {
            s.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..COLUMNS {
                if c > 0 {
                    s.push_str(", ");
                }
                s.push_str(&format!("${}", r * COLUMNS + c + 1));
            }
            s.push(')');
        }
        s
    };
    let full = text(ROWS_PER_STATEMENT);
    let mut per_day: HashMap<String, u32> = HashMap::new();
    let mut pauses: Vec<(String, i64)> = Vec::new();
    let mut done = Filled::default();
    let started = std::time::Instant::now();
    let mut i = 0;
    while i < plan.total {
        let end = (i + ROWS_PER_TX as u64).min(plan.total);
        let rows: Vec<Row39> = (i..end)
            .map(|k| {
                let mut r = generate(park, plan, &policy, now, k);
                let day = Timestamp::from_millis(r.created_at).to_cst().format("%Y%m%d").to_string();
                let n = per_day.entry(day.clone()).or_insert(5000);
                *n += 1;
                r.number = format!("{}{day}{n:04}", park.code);
                if r.state == "waiting" {
                    pauses.push((r.id.clone(), r.state_since));
                }
                r
            })
            .collect();
        let mut tx = db.pool().begin().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = if chunk.len() == ROWS_PER_STATEMENT { full.clone() } else { text(chunk.len()) };
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.id.clone())
                    .bind(park.id.clone())
                    .bind(r.number.clone())
                    .bind(r.created_by.clone())
                    .bind(r.created_at)
                    .bind(r.kind)
                    .bind(r.level)
                    .bind(r.priority)
                    .bind(r.domain)
                    .bind(r.mode)
                    .bind(r.line.clone())
                    .bind(r.title.clone())
                    .bind(r.description.clone())
                    .bind(Some(r.reporter.0.clone()))
                    .bind(r.reporter.1.clone())
                    .bind(r.reporter.2.clone())
                    .bind(r.enterprise.clone())
                    .bind(r.location.clone())
                    .bind(r.affected.clone())
                    .bind(r.assignee.clone())
                    .bind(r.state)
                    .bind(r.state_since)
                    .bind(r.waiting_on)
                    .bind(r.closed_by)
                    .bind(park.sla_version)
                    .bind(r.response_target)
                    .bind(r.resolve_target)
                    .bind(r.coverage)
                    .bind(r.response_due)
                    .bind(r.resolve_due)
                    .bind(r.acknowledged)
                    .bind(r.resolved)
                    .bind(r.flags[0])
                    .bind(r.flags[1])
                    .bind(r.flags[2])
                    .bind(r.flags[3])
                    .bind(r.rating)
                    .bind(String::new())
                    .bind(r.state_since);
            }
            q.execute(&mut *tx).await.context("insert tickets")?;
        }
        tx.commit().await?;
        db.checkpoint_wal().await?;
        done.tickets += end - i;
        i = end;
        if progress && (i.is_multiple_of(200_000) || i == plan.total) {
            crate::report::say(format!("  {i} tickets written ({} s)", crate::report::secs(started.elapsed())))?;
        }
    }
    let mut tx = db.pool().begin().await?;
    for (id, at) in &pauses {
        sqlx::query("INSERT INTO ticket_pause (ticket_id, started_at, ended_at) VALUES ($1, $2, NULL)")
            .bind(id.clone())
            .bind(*at)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    done.pauses = pauses.len() as u64;
    Ok(done)
}
