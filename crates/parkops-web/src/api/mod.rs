//! The JSON API under `/api/v1`: the same use cases as the pages, typed bodies that refuse
//! unknown fields, and localised errors.

// Asset register (issue #4).
pub mod assets;
pub mod audit;
// Calibration register (R-9.1.1d).
pub mod calibration;
pub mod channels;
pub mod me;
pub mod orgs;
// Inspections, maintenance and calibration by plan (issue #4).
pub mod schedules;
pub mod security;
pub mod session;
pub mod tickets;
pub mod users;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parkops_app::ports::{Page, UserRecord};
use parkops_domain::org::Organisation;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::guard::Ctx;

/// A JSON body; malformed JSON, a wrong type or an unknown field is a localised 400.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let i = req.extensions().get::<Ctx>().map(|c| c.i).unwrap_or_default();
        let bytes = Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        serde_json::from_slice::<T>(&bytes).map(Body).map_err(|e| {
            let body = json!({ "error": "invalid_body", "message": i.t("err-invalid_body"), "detail": e.to_string(), "fields": [] });
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        })
    }
}

/// 200 with a JSON body.
pub fn ok(v: Value) -> Response {
    Json(v).into_response()
}

/// 201 with a JSON body.
pub fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// An organisation as JSON.
#[must_use]
pub fn org_json(o: &Organisation) -> Value {
    json!({
        "id": o.id.to_string(), "park_id": o.park_id.to_string(), "org_type": o.org_type.code(), "code": o.code,
        "name": o.name, "contact": o.contact, "phone": o.phone, "is_active": o.is_active,
    })
}

/// A user as JSON (never the password hash or second-factor secret).
#[must_use]
pub fn user_json(u: &UserRecord) -> Value {
    json!({
        "id": u.id.to_string(), "park_id": u.park_id.to_string(), "org_id": u.org_id.to_string(),
        "username": u.username, "display_name": u.display_name, "phone": u.phone, "email": u.email,
        "posts": u.posts.iter().map(|p| p.code()).collect::<Vec<_>>(), "is_active": u.is_active,
        "must_change_password": u.must_change_password, "totp_enrolled": u.totp_secret.is_some(),
        "failed_logins": u.failures.count, "locked_until": u.failures.locked_until.map(|t| t.rfc3339()),
        "created_at": u.created_at.rfc3339(), "last_login_at": u.last_login_at.map(|t| t.rfc3339()),
    })
}

/// A page of items as JSON.
pub fn page_json<T>(p: &Page<T>, item: impl Fn(&T) -> Value) -> Value {
    json!({
        "items": p.items.iter().map(item).collect::<Vec<_>>(),
        "total": p.total,
        "total_capped": p.total_is_capped(),
        "page": p.request.page,
        "per_page": p.request.per_page,
    })
}

/// Attachment body of the API's upload routes (JSON form).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachBody {
    name: String,
    #[serde(default)]
    content_type: String,
    data_base64: String,
}

/// An uploaded file of an API upload route — JSON `{name, content_type, data_base64}` or a
/// multipart body with a `file` part — as `(name, content type, bytes)`, or the answer to a
/// bad upload.
pub async fn read_attachment(
    state: &crate::AppState,
    ctx: &Ctx,
    req: Request,
) -> Result<(String, String, Vec<u8>), Response> {
    use base64::Engine as _;
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let up = match axum::extract::Multipart::from_request(req, state).await {
            Ok(m) => crate::pages::desk::read_upload(m).await,
            Err(_) => Err(parkops_app::AppError::field("file", "err-attachment")),
        };
        return up.map(|u| (u.name, u.content_type, u.data)).map_err(|e| ctx.err(e).into_response());
    }
    let Body(b) = Body::<AttachBody>::from_request(req, state).await?;
    match base64::engine::general_purpose::STANDARD.decode(b.data_base64.trim()) {
        Ok(data) => Ok((b.name, b.content_type, data)),
        Err(_) => Err(ctx.err(parkops_app::AppError::field("data_base64", "err-base64")).into_response()),
    }
}
