//! The desk's dashboard (server-drawn SVG charts, no script) and its settings: SLA targets
//! with their versions, the working calendar by year, and the three support lines.

use std::fmt::Write as _;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parkops_app::desk::DeskStats;
use parkops_app::ports::{PageRequest, UserFilter};
use parkops_app::{AppError, FieldError};
use parkops_domain::ticket::{Level, SupportLine};
use parkops_domain::time::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::desk::{duration_text, label, level_tone, service_time_text};
use super::{Chrome, FormState, render_status, see_other};
use crate::AppState;
use crate::form::FormData;
use crate::guard::Ctx;
use crate::i18n::I18n;

/// Text for SVG: `&`, `<`, `>` and quotes escaped.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Vertical bars, one per category: (label, value, tone class).
#[must_use]
pub fn bar_chart(bars: &[(String, i64, &str)], unit: &str) -> String {
    let (w, h, top, bottom) = (520_i64, 220_i64, 24_i64, 28_i64);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let n = i64::try_from(bars.len()).unwrap_or(1).max(1);
    let slot = w / n;
    let bar_w = (slot * 3 / 5).max(8);
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        xml(unit)
    );
    let base = h - bottom;
    let _ = write!(s, r#"<line class="axis" x1="0" y1="{base}" x2="{w}" y2="{base}"/>"#);
    for (k, (name, value, tone)) in bars.iter().enumerate() {
        let k = i64::try_from(k).unwrap_or(0);
        let x = k * slot + (slot - bar_w) / 2;
        let bh = (base - top) * value / max;
        let y = base - bh;
        let cx = x + bar_w / 2;
        let _ = write!(
            s,
            r#"<rect class="bar-{tone}" x="{x}" y="{y}" width="{bar_w}" height="{bh}" rx="3"><title>{} {value}</title></rect><text class="value" x="{cx}" y="{}" text-anchor="middle">{value}</text><text class="label" x="{cx}" y="{}" text-anchor="middle">{}</text>"#,
            xml(name),
            y - 6,
            h - 8,
            xml(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// Daily columns over a period, a date label every fifth day: (date, count).
#[must_use]
pub fn day_chart(days: &[(chrono::NaiveDate, i64)], caption: &str) -> String {
    let (w, h, top, bottom, left) = (600_i64, 200_i64, 18_i64, 26_i64, 28_i64);
    let max = days.iter().map(|d| d.1).max().unwrap_or(0).max(1);
    let n = i64::try_from(days.len()).unwrap_or(1).max(1);
    let slot = (w - left) / n;
    let col_w = (slot - 3).max(2);
    let base = h - bottom;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        xml(caption)
    );
    let _ = write!(
        s,
        r#"<line class="grid" x1="{left}" y1="{top}" x2="{w}" y2="{top}"/><text class="label" x="{}" y="{}" text-anchor="end">{max}</text><line class="axis" x1="{left}" y1="{base}" x2="{w}" y2="{base}"/><text class="label" x="{}" y="{base}" text-anchor="end">0</text>"#,
        left - 4,
        top + 4,
        left - 4
    );
    for (k, (date, count)) in days.iter().enumerate() {
        let ki = i64::try_from(k).unwrap_or(0);
        let x = left + ki * slot + 1;
        let ch = (base - top) * count / max;
        let day = date.format("%m-%d");
        let _ = write!(
            s,
            r#"<rect class="bar-blue" x="{x}" y="{}" width="{col_w}" height="{ch}"><title>{day} {count}</title></rect>"#,
            base - ch
        );
        let last = k + 1 == days.len();
        if k % 5 == 0 || last {
            // The last date ends at the right edge so it is not cut off.
            let (tx, anchor) = if last { (x + col_w, "end") } else { (x + col_w / 2, "middle") };
            let _ = write!(s, r#"<text class="label" x="{tx}" y="{}" text-anchor="{anchor}">{day}</text>"#, h - 8);
        }
    }
    s.push_str("</svg>");
    s
}

/// One attainment row: (name, response %, resolve %, count) with bar classes.
pub struct AttainmentRow {
    name: String,
    tone: &'static str,
    response: String,
    response_bucket: String,
    response_low: bool,
    resolve: String,
    resolve_bucket: String,
    resolve_low: bool,
    count: i64,
}

fn attainment(name: String, tone: &'static str, response: f64, resolve: f64, count: i64) -> AttainmentRow {
    #[allow(clippy::cast_possible_truncation, reason = "a percentage between 0 and 100")]
    let bucket = |p: f64| format!("p{}", ((p.clamp(0.0, 100.0) / 5.0).round() as i64) * 5);
    AttainmentRow {
        name,
        tone,
        response: format!("{response:.0}%"),
        response_bucket: bucket(response),
        response_low: response < 90.0,
        resolve: format!("{resolve:.0}%"),
        resolve_bucket: bucket(resolve),
        resolve_low: resolve < 90.0,
        count,
    }
}

#[derive(Template)]
#[template(path = "desk_dashboard.html")]
struct DashboardPage {
    c: Chrome,
    cards: Vec<(String, String, String)>,
    open_chart: String,
    day_chart: String,
    tables: Vec<(String, Vec<AttainmentRow>)>,
    period: String,
}

fn minutes_text(i: &I18n, m: f64) -> String {
    if m <= 0.0 {
        return "—".to_owned();
    }
    #[allow(clippy::cast_possible_truncation, reason = "minutes of a mean, shown rounded")]
    let m = m.round() as i64;
    duration_text(i, chrono::Duration::minutes(m))
}

/// The last 30 days in China Standard Time: from the start of the day 29 days ago until the
/// start of tomorrow.
#[must_use]
pub fn last_30_days(now: Timestamp) -> (Timestamp, Timestamp) {
    let today = now.to_cst().date_naive();
    let start = |d: chrono::NaiveDate| {
        Timestamp::from_millis(d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis() - 8 * 3_600_000)
    };
    let from = start(today - chrono::Duration::days(29));
    let until = start(today + chrono::Duration::days(1));
    (from, until)
}

/// `GET /desk/dashboard`.
pub async fn dashboard(State(state): State<AppState>, ctx: Ctx) -> Response {
    let now = state.app.clock.now();
    let (from, until) = last_30_days(now);
    let stats: DeskStats = match state.app.desk_stats(&ctx.caller, from, until).await {
        Ok(s) => s,
        Err(e) => return ctx.err(e).into_response(),
    };
    let i = ctx.i;
    let open: i64 = stats.open_by_level.iter().map(|x| x.1).sum();
    let opened: i64 = stats.opened_by_level.iter().map(|x| x.1).sum();
    let cards = vec![
        (i.t("dash-open"), open.to_string(), "/desk?state=open".to_owned()),
        (
            i.t("dash-opened-30"),
            opened.to_string(),
            format!(
                "/desk?from={}&until={}",
                from.to_cst().format("%Y-%m-%d"),
                until.plus(chrono::Duration::days(-1)).to_cst().format("%Y-%m-%d")
            ),
        ),
        (i.t("dash-mtta"), minutes_text(&i, stats.mtta_minutes), String::new()),
        (i.t("dash-mttr"), minutes_text(&i, stats.mttr_minutes), String::new()),
        (
            i.t("dash-satisfaction"),
            if stats.satisfaction > 0.0 { format!("{:.1} / 5", stats.satisfaction) } else { "—".to_owned() },
            String::new(),
        ),
    ];
    let bars: Vec<_> =
        stats.open_by_level.iter().map(|(l, n)| (label(&i, "level", l.code()), *n, level_tone(*l))).collect();
    let by_level = stats
        .attainment_by_level
        .iter()
        .map(|(l, a, b, n)| attainment(label(&i, "level", l.code()), level_tone(*l), *a, *b, *n))
        .collect();
    let by_line = stats
        .attainment_by_line
        .iter()
        .map(|(l, a, b, n)| attainment(label(&i, "line", l.code()), "blue", *a, *b, *n))
        .collect();
    let by_org: Vec<_> =
        stats.attainment_by_org.iter().map(|(o, a, b, n)| attainment(o.clone(), "", *a, *b, *n)).collect();
    let mut tables = vec![(i.t("dash-attainment-level"), by_level), (i.t("dash-attainment-line"), by_line)];
    if !by_org.is_empty() {
        tables.push((i.t("dash-attainment-org"), by_org));
    }
    let period = i.ta(
        "dash-period",
        &[
            ("from", from.to_cst().format("%Y-%m-%d").to_string()),
            ("until", until.plus(chrono::Duration::days(-1)).to_cst().format("%Y-%m-%d").to_string()),
        ],
    );
    render_status(
        StatusCode::OK,
        &DashboardPage {
            c: Chrome::new(&ctx, "nav-desk-dashboard", "/desk/dashboard").under("nav-desk", "/desk"),
            cards,
            open_chart: bar_chart(&bars, &i.t("dash-open-by-level")),
            day_chart: day_chart(&stats.per_day, &i.t("dash-per-day")),
            tables,
            period,
        },
    )
}

/// One level's row of the SLA form.
pub struct TargetRow {
    code: &'static str,
    name: String,
    tone: &'static str,
    help: String,
    response: String,
    resolve: String,
    coverage: String,
}

/// One calendar year's form.
pub struct YearForm {
    year: i32,
    version: i64,
    holidays: String,
    makeup: String,
    holiday_count: usize,
    makeup_count: usize,
}

/// One support line's form.
pub struct LineForm {
    code: &'static str,
    title: String,
    name: String,
    lead: String,
    members: Vec<String>,
}

impl LineForm {
    /// Whether `user` is a member.
    #[must_use]
    pub fn has(&self, user: &str) -> bool {
        self.members.iter().any(|m| m == user)
    }
}

#[derive(Template)]
#[template(path = "desk_settings.html")]
struct SettingsPage {
    c: Chrome,
    targets: Vec<TargetRow>,
    coverages: Vec<(String, String)>,
    sf: FormState,
    versions: Vec<(i64, String, String, String)>,
    years: Vec<YearForm>,
    missing_year: Option<i32>,
    cf: FormState,
    cal_year: String,
    lines: Vec<LineForm>,
    users: Vec<(String, String)>,
    lf: FormState,
    line_code: String,
}

/// Which form of the settings page failed, with its values and messages.
#[derive(Default)]
struct Failed {
    sla: FormState,
    calendar: (String, FormState),
    line: (String, FormState),
}

fn sla_form(doc: &Value) -> FormState {
    let mut f = FormState::new();
    for l in Level::ALL {
        let t = &doc["targets"][l.code()];
        f = f
            .with(&format!("{}_response", l.code()), t["response_minutes"].as_i64().unwrap_or(0).to_string())
            .with(&format!("{}_resolve", l.code()), t["resolve_minutes"].as_i64().unwrap_or(0).to_string())
            .with(&format!("{}_coverage", l.code()), t["coverage"].as_str().unwrap_or(""));
    }
    f.with("warn_percent", doc["warn_percent"].as_i64().unwrap_or(80).to_string())
        .with("day_start", doc["day_start"].as_str().unwrap_or(""))
        .with("day_end", doc["day_end"].as_str().unwrap_or(""))
        .with("auto_close_hours", doc["auto_close_hours"].as_i64().unwrap_or(72).to_string())
}

fn sla_summary(i: &I18n, doc: &Value) -> String {
    Level::ALL
        .iter()
        .map(|l| {
            let t = &doc["targets"][l.code()];
            let m = |k: &str| service_time_text(i, chrono::Duration::minutes(t[k].as_i64().unwrap_or(0)));
            format!("{} {}/{}", label(i, "level", l.code()), m("response_minutes"), m("resolve_minutes"))
        })
        .collect::<Vec<_>>()
        .join("；")
}

fn dates_text(d: &std::collections::BTreeSet<chrono::NaiveDate>) -> String {
    d.iter().map(|x| x.format("%Y-%m-%d").to_string()).collect::<Vec<_>>().join("\n")
}

async fn settings_page(state: &AppState, ctx: &Ctx, failed: Failed, flash: Option<&str>) -> Response {
    let i = ctx.i;
    let (doc, history) = match state.app.sla_policy_view(&ctx.caller).await {
        Ok(v) => v,
        Err(e) => return ctx.err(e).into_response(),
    };
    let years = state.app.calendar_view(&ctx.caller).await.unwrap_or_default();
    let lines = state.app.support_lines(&ctx.caller).await.unwrap_or_default();
    let p = ctx.caller.principal.as_ref();
    let park = p.map(|p| p.park_id);
    let users = state
        .app
        .store
        .users(
            &UserFilter { park_id: park, active: Some(true), ..UserFilter::default() },
            PageRequest { page: 1, per_page: 200 },
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default()
        .into_iter()
        .filter(|u| u.posts.iter().any(|p| !p.is_admin() && *p != parkops_domain::access::Post::Reporter))
        .map(|u| (u.id.to_string(), format!("{}（{}）", u.display_name, u.username)))
        .collect();
    let this_year = state.app.clock.now().to_cst().date_naive().format("%Y").to_string().parse::<i32>().unwrap_or(2026);
    let next = this_year + 1;
    let missing_year = (!years.iter().any(|y| y.0 == next)).then_some(next);
    let mut year_forms: Vec<YearForm> = years
        .iter()
        .map(|(y, s, v)| YearForm {
            year: *y,
            version: *v,
            holidays: dates_text(&s.holidays),
            makeup: dates_text(&s.makeup_days),
            holiday_count: s.holidays.len(),
            makeup_count: s.makeup_days.len(),
        })
        .collect();
    if let Some(y) = missing_year {
        year_forms.push(YearForm {
            year: y,
            version: -1,
            holidays: String::new(),
            makeup: String::new(),
            holiday_count: 0,
            makeup_count: 0,
        });
    }
    let line_forms = SupportLine::ALL
        .iter()
        .map(|l| {
            let stored = lines.iter().find(|x| x.line == *l);
            LineForm {
                code: l.code(),
                title: label(&i, "line", l.code()),
                name: stored.map_or_else(|| label(&i, "line-name", l.code()), |s| s.name.clone()),
                lead: stored.and_then(|s| s.lead_user_id).map(|u| u.to_string()).unwrap_or_default(),
                members: stored.map(|s| s.members.iter().map(ToString::to_string).collect()).unwrap_or_default(),
            }
        })
        .collect();
    let versions = history
        .iter()
        .map(|(v, body, by, at)| {
            let doc: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            (*v, by.clone(), at.display_cst(), sla_summary(&i, &doc))
        })
        .collect();
    let status = if failed.sla.has_errors() || failed.calendar.1.has_errors() || failed.line.1.has_errors() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let sf = if failed.sla.has_errors() { failed.sla } else { sla_form(&doc) };
    let page = SettingsPage {
        c: Chrome::new(ctx, "nav-desk-settings", "/desk/settings").under("nav-desk", "/desk").flash(flash),
        targets: Level::ALL
            .iter()
            .map(|l| TargetRow {
                code: l.code(),
                name: label(&i, "level", l.code()),
                tone: level_tone(*l),
                help: label(&i, "level-help", l.code()),
                response: sf.v(&format!("{}_response", l.code())),
                resolve: sf.v(&format!("{}_resolve", l.code())),
                coverage: sf.v(&format!("{}_coverage", l.code())),
            })
            .collect(),
        coverages: ["7x24", "working_hours"].iter().map(|c| ((*c).to_owned(), label(&i, "coverage", c))).collect(),
        sf,
        versions,
        years: year_forms,
        missing_year,
        cf: failed.calendar.1,
        cal_year: failed.calendar.0,
        lines: line_forms,
        users,
        lf: failed.line.1,
        line_code: failed.line.0,
    };
    render_status(status, &page)
}

/// Query of the settings page.
#[derive(Debug, Deserialize, Default)]
pub struct SettingsQuery {
    ok: Option<String>,
}

/// `GET /desk/settings`.
pub async fn settings(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SettingsQuery>) -> Response {
    settings_page(&state, &ctx, Failed::default(), q.ok.as_deref()).await
}

/// The SLA document from the settings form; numbers that are not numbers are refused here.
fn sla_document(form: &FormData) -> Result<Value, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut number = |name: &str, field: &'static str| match form.get(name).trim().parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            if !errors.iter().any(|e: &FieldError| e.field == field) {
                errors.push(FieldError::new(field, "err-number"));
            }
            0
        }
    };
    let mut targets = serde_json::Map::new();
    for l in Level::ALL {
        let response = number(&format!("{}_response", l.code()), "targets");
        let resolve = number(&format!("{}_resolve", l.code()), "targets");
        let coverage = form.get(&format!("{}_coverage", l.code())).to_owned();
        targets.insert(
            l.code().to_owned(),
            json!({ "response_minutes": response, "resolve_minutes": resolve, "coverage": coverage }),
        );
    }
    let warn = number("warn_percent", "warn_percent");
    let auto = number("auto_close_hours", "auto_close_hours");
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(json!({
        "targets": targets, "warn_percent": warn, "day_start": form.get("day_start").trim(),
        "day_end": form.get("day_end").trim(), "auto_close_hours": auto,
    }))
}

/// `POST /desk/settings/sla`.
pub async fn update_sla(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let result = match sla_document(&form) {
        Ok(doc) => state.app.update_sla_policy(&ctx.caller, &doc).await.map(|_| ()),
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(()) => see_other("/desk/settings?ok=sla_saved"),
        Err(AppError::Invalid(errors)) => {
            let mut f = FormState::new();
            for l in Level::ALL {
                for k in ["response", "resolve", "coverage"] {
                    let name = format!("{}_{k}", l.code());
                    f = f.with(&name, form.get(&name));
                }
            }
            for k in ["warn_percent", "day_start", "day_end", "auto_close_hours"] {
                f = f.with(k, form.get(k));
            }
            let failed = Failed { sla: f.errors(&ctx.i, &errors), ..Failed::default() };
            settings_page(&state, &ctx, failed, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /desk/settings/calendar`.
pub async fn update_calendar(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let year = form.get("year").trim().parse::<i32>().unwrap_or(0);
    match state.app.update_calendar(&ctx.caller, year, form.get("holidays"), form.get("makeup_days")).await {
        Ok(_) => see_other("/desk/settings?ok=calendar_saved"),
        Err(AppError::Invalid(errors)) => {
            let f = FormState::new()
                .with("holidays", form.get("holidays"))
                .with("makeup_days", form.get("makeup_days"))
                .errors(&ctx.i, &errors);
            let failed = Failed { calendar: (form.get("year").trim().to_owned(), f), ..Failed::default() };
            settings_page(&state, &ctx, failed, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /desk/settings/lines`.
pub async fn update_line(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let line = form.get("line").trim().to_owned();
    let members = form.all("members");
    match state.app.set_support_line(&ctx.caller, &line, form.get("name"), form.get("lead"), &members).await {
        Ok(_) => see_other("/desk/settings?ok=line_saved"),
        Err(AppError::Invalid(errors)) => {
            let f = FormState::new()
                .with("name", form.get("name"))
                .with("lead", form.get("lead"))
                .with_all("members", members)
                .errors(&ctx.i, &errors);
            let failed = Failed { line: (line, f), ..Failed::default() };
            settings_page(&state, &ctx, failed, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_escaped_labels() {
        let svg = bar_chart(&[("致命".into(), 3, "red"), ("<b>".into(), 0, "grey")], "open");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let days: Vec<_> = (0..30).map(|k| (day + chrono::Duration::days(k), k % 4)).collect();
        let svg = day_chart(&days, "per day");
        assert_eq!(svg.matches("<rect").count(), 30);
        assert!(!svg.contains("style="), "no inline styles under the CSP");
    }

    #[test]
    fn the_last_30_days_are_whole_days_in_china_standard_time() {
        // 2026-01-31 10:00 CST.
        let now = Timestamp::from_millis(1_769_824_800_000);
        let (from, until) = last_30_days(now);
        assert_eq!(from.display_cst(), "2026-01-02 00:00:00");
        assert_eq!(until.display_cst(), "2026-02-01 00:00:00");
    }
}
