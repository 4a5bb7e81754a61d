//! The OpenAPI 3.1 document, generated from the route registry so it cannot drift from the
//! routes: each operation carries its permission (`x-permission`), the audit events it
//! writes (`x-audit-events`) and its rate class (`x-rate-limit`). Also the API reference page.

use askama::Template;
use axum::Json;
use axum::response::Response;
use parkops_domain::ticket::{BusinessDomain, HandlingMode, Level, Priority, SupportLine, TicketKind, WaitingOn};
use serde_json::{Map, Value, json};

use crate::guard::Ctx;
use crate::pages::{Chrome, render};
use crate::registry::{Access, Kind, Method, ROUTES, RouteSpec};

fn permission(spec: &RouteSpec) -> String {
    match spec.access {
        Access::Public => "public".into(),
        Access::Staged => "session".into(),
        Access::Authenticated => "authenticated".into(),
        Access::Capability(c) => c.code().into(),
    }
}

fn request_schema(spec: &RouteSpec) -> Option<Value> {
    use crate::registry::RouteId as R;
    let s = |props: Value, required: &[&str]| json!({ "type": "object", "additionalProperties": false, "properties": props, "required": required });
    let text = json!({ "type": "string" });
    let boolean = json!({ "type": "boolean" });
    let int = json!({ "type": "integer" });
    Some(match spec.id {
        R::ApiLogin => s(json!({ "username": text, "password": text }), &["username", "password"]),
        R::ApiTotp => s(json!({ "code": text }), &["code"]),
        R::ApiPassword => {
            s(json!({ "current_password": text, "new_password": text }), &["current_password", "new_password"])
        }
        R::ApiTokenCreate => s(json!({ "name": text, "days": int }), &["name", "days"]),
        R::ApiOrgCreate | R::ApiOrgUpdate => s(
            json!({ "org_type": { "type": "string", "enum": parkops_domain::org::OrgType::ALL.iter().map(|t| t.code()).collect::<Vec<_>>() },
                    "code": text, "name": text, "contact": text, "phone": text, "is_active": boolean }),
            &["org_type", "code", "name"],
        ),
        R::ApiUserCreate => s(
            json!({ "org_id": text, "username": text, "display_name": text, "phone": text, "email": text,
                    "posts": { "type": "array", "items": { "type": "string", "enum": parkops_domain::access::Post::ALL.iter().map(|p| p.code()).collect::<Vec<_>>() } },
                    "password": text }),
            &["org_id", "username", "display_name", "posts"],
        ),
        R::ApiUserUpdate => s(
            json!({ "display_name": text, "phone": text, "email": text, "is_active": boolean }),
            &["display_name", "is_active"],
        ),
        R::ApiUserPosts => s(json!({ "posts": { "type": "array", "items": text } }), &["posts"]),
        R::ApiJobDescriptionPublish => s(
            json!({ "post": text, "title": text, "content": text, "change_note": text }),
            &["post", "title", "content"],
        ),
        R::ApiPolicyUpdate => s(
            json!({ "password_min_length": int, "password_require_upper": boolean, "password_require_lower": boolean,
                    "password_require_digit": boolean, "password_require_special": boolean, "password_history_count": int,
                    "password_max_age_days": int, "lockout_threshold": int, "lockout_minutes": int,
                    "session_idle_minutes": int, "session_absolute_hours": int, "totp_for_all": boolean }),
            &[],
        ),
        R::ApiTicketCreate => {
            let codes = |all: Vec<&'static str>| json!({ "type": "string", "enum": all });
            s(
                json!({ "kind": codes(TicketKind::ALL.iter().map(|x| x.code()).collect()),
                        "level": codes(Level::ALL.iter().map(|x| x.code()).collect()),
                        "priority": codes(Priority::ALL.iter().map(|x| x.code()).collect()),
                        "domain": codes(BusinessDomain::ALL.iter().map(|x| x.code()).collect()),
                        "handling_mode": codes(HandlingMode::ALL.iter().map(|x| x.code()).collect()),
                        "title": text, "description": text, "location": text, "affected": text,
                        "enterprise_org_id": text, "reporter_name": text, "reporter_phone": text }),
                &["kind", "level", "domain", "title"],
            )
        }
        R::ApiTicketAction => s(
            json!({ "action": { "type": "string", "enum": ["acknowledge", "start", "wait", "resume", "resolve", "confirm", "close", "reopen"] },
                    "waiting_on": { "type": "string", "enum": WaitingOn::ALL.iter().map(|x| x.code()).collect::<Vec<_>>() },
                    "note": text }),
            &["action"],
        ),
        R::ApiTicketAssign => s(
            json!({ "line": { "type": "string", "enum": SupportLine::ALL.iter().map(|x| x.code()).collect::<Vec<_>>() },
                    "assignee": text, "note": text, "dispatch": boolean }),
            &["line"],
        ),
        R::ApiTicketEscalate => s(json!({ "note": text }), &["note"]),
        R::ApiTicketComment => {
            s(json!({ "kind": { "type": "string", "enum": ["comment", "handover"] }, "note": text }), &["note"])
        }
        R::ApiTicketRate => {
            s(json!({ "stars": { "type": "integer", "minimum": 1, "maximum": 5 }, "comment": text }), &["stars"])
        }
        R::ApiTicketAttach => s(
            json!({ "name": text, "content_type": text, "data_base64": { "type": "string", "contentEncoding": "base64" } }),
            &["name", "data_base64"],
        ),
        R::ApiSlaPolicyUpdate => {
            let target = s(
                json!({ "response_minutes": int, "resolve_minutes": int, "coverage": { "type": "string", "enum": ["7x24", "working_hours"] } }),
                &["response_minutes", "resolve_minutes", "coverage"],
            );
            let levels: Map<String, Value> = Level::ALL.iter().map(|l| (l.code().to_owned(), target.clone())).collect();
            let codes: Vec<_> = Level::ALL.iter().map(|l| l.code()).collect();
            s(
                json!({ "targets": s(Value::Object(levels), &codes), "warn_percent": int,
                        "day_start": { "type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$" },
                        "day_end": { "type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$" }, "auto_close_hours": int }),
                &["targets", "warn_percent", "day_start", "day_end", "auto_close_hours"],
            )
        }
        R::ApiCalendarUpdate => {
            let dates = json!({ "type": "array", "items": { "type": "string", "format": "date" } });
            s(json!({ "holidays": dates, "makeup_days": dates }), &["holidays", "makeup_days"])
        }
        R::ApiSupportLineUpdate => s(
            json!({ "name": text, "lead_user_id": text, "members": { "type": "array", "items": text } }),
            &["name", "members"],
        ),
        R::ApiChannelCreate | R::ApiChannelUpdate => {
            let codes = |all: Vec<&'static str>| json!({ "type": "array", "items": { "type": "string", "enum": all } });
            let limit = json!({ "type": ["integer", "null"], "minimum": 1, "maximum": 10_000 });
            let props = json!({
                "kind": { "type": "string", "enum": parkops_domain::notify::ChannelKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>() },
                "name": { "type": "string", "maxLength": 50 },
                "endpoint": { "type": "string", "maxLength": 500, "description": "http(s) URL, or host:port for e-mail; on update empty keeps the stored one" },
                "secret": { "type": "string", "writeOnly": true, "description": "signing secret, token or SMTP password; empty keeps the stored one" },
                "recipients": { "type": "array", "items": text, "description": "e-mail addresses or phone numbers" },
                "smtp_from": text, "smtp_username": text,
                "smtp_security": { "type": "string", "enum": ["", "plain", "starttls", "tls"] },
                "per_minute": limit, "per_second": limit, "enabled": boolean,
                "levels": codes(Level::ALL.iter().map(|x| x.code()).collect()),
                "domains": codes(BusinessDomain::ALL.iter().map(|x| x.code()).collect()),
                "events": codes(parkops_app::notify::EVENTS.to_vec()),
            });
            let required: &[&str] =
                if spec.id == R::ApiChannelCreate { &["kind", "name", "endpoint"] } else { &["kind", "name"] };
            s(props, required)
        }
        // Calibration register (R-9.1.1d).
        R::ApiCalibrationCreate | R::ApiCalibrationCorrect | R::ApiCalibrationAttach | R::ApiCalibrationCycleUpdate => {
            return crate::api::calibration::request_schema(spec.id);
        }
        // Asset register (issue #4).
        R::ApiAssetCreate
        | R::ApiAssetUpdate
        | R::ApiAssetEvent
        | R::ApiAssetRelationAdd
        | R::ApiAssetRelationRemove
        | R::ApiAssetClassDefine
        | R::ApiAssetLocationPut
        | R::ApiSparePartCreate
        | R::ApiSparePartMove => return crate::api::assets::request_schema(spec.id),
        _ => return None,
    })
}

/// The document.
#[must_use]
pub fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    let error = json!({ "description": "error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    for spec in ROUTES.iter().filter(|r| r.kind == Kind::Api) {
        let method = match spec.method {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
        };
        let params: Vec<Value> = spec
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let mut op = json!({
            "operationId": format!("{:?}", spec.id),
            "summary": spec.summary,
            "x-permission": permission(spec),
            "x-audit-events": spec.audit,
            "x-rate-limit": spec.rate.as_str(),
            "parameters": params,
            "responses": { "200": { "description": "success", "content": { "application/json": {} } }, "201": { "description": "created" },
                           "400": error, "401": error, "403": error, "404": error, "429": error },
        });
        if spec.id == crate::registry::RouteId::ApiChannelTest {
            op["responses"]["202"] = json!({ "description": "queued" });
        }
        if spec.access != Access::Public {
            op["security"] = json!([{ "bearer": [] }, { "session": [] }]);
        }
        if let Some(schema) = request_schema(spec) {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema } } });
        }
        let path = paths.entry(spec.path.to_owned()).or_insert_with(|| json!({}));
        path[method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "ParkOps API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "智慧化工园区运维管理平台 JSON API. Authenticate with an API token (Authorization: Bearer pko_…) or the session cookie plus the X-CSRF-Token header for state changes." },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "session": { "type": "apiKey", "in": "cookie", "name": "parkops_session" },
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error", "message"], "properties": {
                    "error": { "type": "string" }, "message": { "type": "string" },
                    "fields": { "type": "array", "items": { "type": "object", "properties": {
                        "field": { "type": "string" }, "code": { "type": "string" }, "message": { "type": "string" } } } } } },
            },
        },
    })
}

/// `GET /api/openapi.json`.
pub async fn document() -> Json<Value> {
    Json(build())
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    c: Chrome,
    rows: Vec<(String, String, String, String, &'static str, String)>,
}

/// `GET /api/docs`: the API reference, from the same registry.
pub async fn page(ctx: Ctx) -> Response {
    let rows = ROUTES
        .iter()
        .filter(|r| r.kind == Kind::Api)
        .map(|r| {
            let tone = match r.method {
                Method::Get => "green",
                Method::Post => "blue",
                Method::Put => "orange",
            };
            (
                r.method.as_str().to_owned(),
                r.path.to_owned(),
                r.summary.to_owned(),
                permission(r),
                tone,
                r.audit.join(", "),
            )
        })
        .collect();
    render(&DocsPage { c: Chrome::new(&ctx, "nav-api", "/api/docs"), rows })
}
