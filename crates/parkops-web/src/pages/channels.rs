//! Notification channels under the desk settings: the list of channels with their
//! subscription rules, the create and edit form, the test message, and the delivery log.
//!
//! Secrets are write-only: pages show whether one is set, never the value. Robot addresses
//! carry their access token in the query (DingTalk `access_token`, WeCom `key`) or, for
//! Feishu, as the last path segment: those parts are masked wherever an endpoint is shown,
//! and a blank endpoint on the edit form keeps the stored one.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use parkops_app::notify::{ChannelInput, EVENTS};
use parkops_app::ports::notify::{ChannelRecord, DeliveryRecord};
use parkops_domain::notify::{ChannelKind, RateLimit};
use parkops_domain::ticket::{BusinessDomain, Level};
use serde::Deserialize;

use super::desk::{label, level_tone};
use super::{Chrome, FormState, render, render_status, see_other};
use crate::AppState;
use crate::form::{FormData, IdPath};
use crate::guard::Ctx;
use crate::i18n::I18n;

/// What replaces a token wherever an endpoint is shown.
pub const MASK: &str = "******";

/// An endpoint as it may be shown: the query values, any user information and, for Feishu,
/// the hook token in the path replaced by [`MASK`]; the fragment dropped. SMTP `host:port`
/// is shown as it is.
#[must_use]
pub fn masked_endpoint(kind: &str, endpoint: &str) -> String {
    let without_fragment = endpoint.split('#').next().unwrap_or_default();
    let (base, query) = match without_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (without_fragment, None),
    };
    let mut shown = match base.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
            let (userinfo, host) = match authority.rsplit_once('@') {
                Some((_, host)) => (format!("{MASK}@"), host),
                None => (String::new(), authority),
            };
            let mut path = path.to_owned();
            if kind == ChannelKind::Feishu.code()
                && let Some(slash) = path.rfind('/')
                && slash + 1 < path.len()
            {
                path.truncate(slash + 1);
                path.push_str(MASK);
            }
            format!("{scheme}://{userinfo}{host}{path}")
        }
        None => base.to_owned(),
    };
    if let Some(q) = query {
        let masked: Vec<String> = q
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| kv.split_once('=').map_or_else(|| MASK.to_owned(), |(k, _)| format!("{k}={MASK}")))
            .collect();
        shown.push('?');
        shown.push_str(&masked.join("&"));
    }
    shown
}

/// The limit the delivery job applies to a channel: its own, within the platform's ceiling.
#[must_use]
pub fn effective_limit(c: &ChannelRecord) -> Option<RateLimit> {
    let kind = ChannelKind::parse(&c.kind).ok()?;
    Some(parkops_app::notify::configured_limit(c, kind))
}

/// `20 条/分钟`, `100 条/分钟、5 条/秒`.
#[must_use]
pub fn limit_text(i: &I18n, limit: RateLimit) -> String {
    let minute = i.ta("channel-per-minute-n", &[("n", limit.per_minute.to_string())]);
    match limit.per_second {
        Some(s) => format!("{minute}、{}", i.ta("channel-per-second-n", &[("n", s.to_string())])),
        None => minute,
    }
}

/// The subscription rule in words, one line each for levels, domains and events (`全部`
/// when empty).
#[must_use]
pub fn rule_lines(i: &I18n, c: &ChannelRecord) -> Vec<String> {
    let part = |key: &str, family: &str, codes: &[String]| {
        let names = if codes.is_empty() {
            i.t("all")
        } else {
            codes.iter().map(|x| label(i, family, x)).collect::<Vec<_>>().join("、")
        };
        format!("{}：{names}", i.t(key))
    };
    [
        part("channel-rule-levels", "level", &c.levels),
        part("channel-rule-domains", "domain", &c.domains),
        part("channel-rule-events", "notice", &c.events),
    ]
    .into()
}

const fn kind_tone(kind: &str) -> &'static str {
    match kind.as_bytes() {
        b"dingtalk" | b"wecom" => "blue",
        b"feishu" => "purple",
        b"email" => "green",
        b"sms" => "orange",
        _ => "grey",
    }
}

/// One row of the channel list.
pub struct ChannelRow {
    id: String,
    kind: String,
    tone: &'static str,
    name: String,
    endpoint: String,
    secret_set: bool,
    recipients: usize,
    limit: String,
    own_limit: bool,
    rule: Vec<String>,
    enabled: bool,
}

fn row(i: &I18n, c: &ChannelRecord) -> ChannelRow {
    ChannelRow {
        id: c.id.to_string(),
        kind: label(i, "channel-kind", &c.kind),
        tone: kind_tone(&c.kind),
        name: c.name.clone(),
        endpoint: masked_endpoint(&c.kind, &c.endpoint),
        secret_set: !c.secret.is_empty(),
        recipients: c.recipients.len(),
        limit: effective_limit(c).map(|l| limit_text(i, l)).unwrap_or_default(),
        own_limit: c.per_minute.is_some(),
        rule: rule_lines(i, c),
        enabled: c.enabled,
    }
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<ChannelRow>,
}

/// Query of the list: the flash after a redirect.
#[derive(Debug, Deserialize, Default)]
pub struct OkQuery {
    ok: Option<String>,
}

fn chrome(ctx: &Ctx, title: &str, section: &str) -> Chrome {
    Chrome::new(ctx, title, section).under("nav-desk", "/desk").under("nav-desk-settings", "/desk/settings")
}

/// `GET /desk/channels`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<OkQuery>) -> Response {
    match state.app.channels(&ctx.caller).await {
        Ok(channels) => render(&ListPage {
            c: chrome(&ctx, "nav-desk-channels", "/desk/settings").flash(q.ok.as_deref()),
            rows: channels.iter().map(|c| row(&ctx.i, c)).collect(),
        }),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// A checkbox or option: code, label, tag colour.
type Choice = (String, String, &'static str);

#[derive(Template)]
#[template(path = "channel_form.html")]
struct FormPage {
    c: Chrome,
    f: FormState,
    action: String,
    /// The channel's id when editing.
    id: String,
    secret_set: bool,
    /// The stored endpoint, masked, when the form leaves it blank (it carries a token).
    endpoint_kept: String,
    kinds: Vec<Choice>,
    securities: Vec<Choice>,
    levels: Vec<Choice>,
    domains: Vec<Choice>,
    events: Vec<Choice>,
}

impl FormPage {
    fn new(ctx: &Ctx, f: FormState, editing: Option<&ChannelRecord>) -> Self {
        let i = ctx.i;
        let title = if editing.is_some() { "channel-edit" } else { "channel-new" };
        let c = chrome(ctx, title, "/desk/settings");
        let c = match editing {
            Some(ch) => c.titled(format!("{} · {}", i.t("channel-edit"), ch.name)),
            None => c,
        };
        let endpoint_kept = editing
            .map(|ch| (masked_endpoint(&ch.kind, &ch.endpoint), ch))
            .filter(|(shown, ch)| *shown != ch.endpoint)
            .map(|(shown, _)| shown)
            .unwrap_or_default();
        Self {
            c,
            f,
            action: editing.map_or_else(|| "/desk/channels".to_owned(), |ch| format!("/desk/channels/{}", ch.id)),
            id: editing.map(|ch| ch.id.to_string()).unwrap_or_default(),
            secret_set: editing.is_some_and(|ch| !ch.secret.is_empty()),
            endpoint_kept,
            kinds: ChannelKind::ALL
                .iter()
                .map(|k| (k.code().to_owned(), label(&i, "channel-kind", k.code()), kind_tone(k.code())))
                .collect(),
            securities: ["starttls", "tls", "plain"]
                .iter()
                .map(|s| ((*s).to_owned(), label(&i, "channel-security", s), ""))
                .collect(),
            levels: Level::ALL
                .iter()
                .map(|l| (l.code().to_owned(), label(&i, "level", l.code()), level_tone(*l)))
                .collect(),
            domains: BusinessDomain::ALL
                .iter()
                .map(|d| (d.code().to_owned(), label(&i, "domain", d.code()), ""))
                .collect(),
            events: EVENTS.iter().map(|e| ((*e).to_owned(), label(&i, "notice", e), "")).collect(),
        }
    }
}

/// The values of a stored channel, for the edit form: never the secret, and the endpoint
/// only when nothing in it is masked.
fn form_of(c: &ChannelRecord) -> FormState {
    let endpoint = if masked_endpoint(&c.kind, &c.endpoint) == c.endpoint { c.endpoint.clone() } else { String::new() };
    FormState::new()
        .with("kind", c.kind.clone())
        .with("name", c.name.clone())
        .with("endpoint", endpoint)
        .with("recipients", c.recipients.join("\n"))
        .with("smtp_from", c.smtp_from.clone())
        .with("smtp_username", c.smtp_username.clone())
        .with("smtp_security", c.smtp_security.clone())
        .with("per_minute", c.per_minute.map(|n| n.to_string()).unwrap_or_default())
        .with("per_second", c.per_second.map(|n| n.to_string()).unwrap_or_default())
        .with("enabled", if c.enabled { "1" } else { "0" })
        .with_all("levels", c.levels.clone())
        .with_all("domains", c.domains.clone())
        .with_all("events", c.events.clone())
}

/// The submitted values to show again (never the secret).
fn refill(form: &FormData) -> FormState {
    let mut f = FormState::new();
    for k in [
        "kind",
        "name",
        "endpoint",
        "recipients",
        "smtp_from",
        "smtp_username",
        "smtp_security",
        "per_minute",
        "per_second",
    ] {
        f = f.with(k, form.get(k));
    }
    f.with("enabled", if form.flag("enabled") { "1" } else { "0" })
        .with_all("levels", form.all("levels"))
        .with_all("domains", form.all("domains"))
        .with_all("events", form.all("events"))
}

fn input(form: &FormData) -> ChannelInput {
    ChannelInput {
        kind: form.get("kind").to_owned(),
        name: form.get("name").to_owned(),
        endpoint: form.get("endpoint").to_owned(),
        secret: form.get("secret").to_owned(),
        recipients: form.get("recipients").to_owned(),
        smtp_from: form.get("smtp_from").to_owned(),
        smtp_username: form.get("smtp_username").to_owned(),
        smtp_security: form.get("smtp_security").to_owned(),
        per_minute: form.get("per_minute").to_owned(),
        per_second: form.get("per_second").to_owned(),
        enabled: form.flag("enabled"),
        levels: form.all("levels"),
        domains: form.all("domains"),
        events: form.all("events"),
    }
}

/// The caller's channel `id`, or a 404 (another park's, or none).
pub async fn own_channel(state: &AppState, ctx: &Ctx, id: uuid::Uuid) -> Result<ChannelRecord, AppError> {
    state.app.channels(&ctx.caller).await?.into_iter().find(|c| c.id == id).ok_or(AppError::NotFound)
}

/// `GET /desk/channels/new`.
pub async fn new(ctx: Ctx) -> Response {
    let f = FormState::new().with("enabled", "1").with("smtp_security", "starttls");
    render(&FormPage::new(&ctx, f, None))
}

/// `POST /desk/channels`.
pub async fn create(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    match state.app.save_channel(&ctx.caller, None, input(&form)).await {
        Ok(_) => see_other("/desk/channels?ok=channel_saved"),
        Err(AppError::Invalid(errors)) => {
            let f = refill(&form).errors(&ctx.i, &errors);
            render_status(StatusCode::BAD_REQUEST, &FormPage::new(&ctx, f, None))
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /desk/channels/{id}`.
pub async fn edit(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    match own_channel(&state, &ctx, id).await {
        Ok(c) => render(&FormPage::new(&ctx, form_of(&c), Some(&c))),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /desk/channels/{id}`: a blank secret keeps the stored one (the use case's rule), and
/// so does a blank endpoint (the form cannot show one that carries a token).
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    form: FormData,
) -> Response {
    let existing = match own_channel(&state, &ctx, id).await {
        Ok(c) => c,
        Err(e) => return ctx.err(e).into_response(),
    };
    let mut submitted = input(&form);
    if submitted.endpoint.trim().is_empty() {
        submitted.endpoint.clone_from(&existing.endpoint);
    }
    match state.app.save_channel(&ctx.caller, Some(id), submitted).await {
        Ok(_) => see_other("/desk/channels?ok=channel_saved"),
        Err(AppError::Invalid(errors)) => {
            let f = refill(&form).errors(&ctx.i, &errors);
            render_status(StatusCode::BAD_REQUEST, &FormPage::new(&ctx, f, Some(&existing)))
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /desk/channels/{id}/test`.
pub async fn test(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    _form: FormData,
) -> Response {
    match state.app.test_channel(&ctx.caller, id).await {
        Ok(()) => see_other("/desk/channels?ok=channel_test_queued"),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// One row of the delivery log.
pub struct DeliveryRow {
    at: String,
    last: String,
    channel: String,
    title: String,
    /// `汇总 N 条` when the delivery carried several messages.
    digest: String,
    status: String,
    tone: &'static str,
    attempts: i64,
    next: String,
    error: String,
}

/// The tag colour of a delivery status.
#[must_use]
pub fn status_tone(status: &str) -> &'static str {
    match status {
        "sent" => "green",
        "retry" => "orange",
        "failed" => "red",
        _ => "grey",
    }
}

fn delivery_row(i: &I18n, d: &DeliveryRecord, channel: &str) -> DeliveryRow {
    DeliveryRow {
        at: d.created_at.display_cst(),
        last: if d.updated_at == d.created_at { String::new() } else { d.updated_at.display_cst() },
        channel: channel.to_owned(),
        title: d.title.clone(),
        digest: if d.covers > 1 { i.ta("delivery-digest", &[("n", d.covers.to_string())]) } else { String::new() },
        status: label(i, "delivery-status", &d.status),
        tone: status_tone(&d.status),
        attempts: d.attempts,
        next: d.next_attempt_at.map(|t| t.display_cst()).unwrap_or_default(),
        error: d.last_error.clone(),
    }
}

#[derive(Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    c: Chrome,
    rows: Vec<DeliveryRow>,
}

/// `GET /desk/deliveries`.
pub async fn deliveries(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.delivery_log(&ctx.caller).await {
        Ok(log) => render(&DeliveriesPage {
            c: chrome(&ctx, "nav-desk-deliveries", "/desk/settings"),
            rows: log.iter().map(|(d, name)| delivery_row(&ctx.i, d, name)).collect(),
        }),
        Err(e) => ctx.err(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_endpoints_are_masked() {
        assert_eq!(
            masked_endpoint("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc123"),
            "https://oapi.dingtalk.com/robot/send?access_token=******"
        );
        assert_eq!(
            masked_endpoint("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1&debug=1#x"),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=******&debug=******"
        );
        assert_eq!(
            masked_endpoint("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/0f1e-token"),
            "https://open.feishu.cn/open-apis/bot/v2/hook/******"
        );
        assert_eq!(
            masked_endpoint("webhook", "https://user:pass@hooks.example/parkops"),
            "https://******@hooks.example/parkops"
        );
        assert_eq!(masked_endpoint("webhook", "https://hooks.example/parkops"), "https://hooks.example/parkops");
        assert_eq!(masked_endpoint("email", "smtp.example.com:587"), "smtp.example.com:587");
        assert_eq!(masked_endpoint("sms", "https://sms.example/send?token"), "https://sms.example/send?******");
    }

    #[test]
    fn limits_read_as_the_platform_states_them() {
        let i = I18n::default();
        assert_eq!(limit_text(&i, ChannelKind::DingTalk.platform_limit()), "20 条/分钟");
        assert_eq!(limit_text(&i, ChannelKind::Feishu.platform_limit()), "100 条/分钟、5 条/秒");
    }
}
