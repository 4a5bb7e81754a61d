//! The only place that picks HTTP status codes. Use-case errors become JSON with localised
//! messages for the API, and an error page (or a redirect to login) for the browser.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parkops_app::{AppError, FieldError};
use serde_json::json;

use crate::i18n::I18n;

/// An error on a route, with the language to explain it in.
#[derive(Debug)]
pub struct WebError {
    /// What went wrong.
    pub error: AppError,
    /// Language of the caller.
    pub i: I18n,
    /// API (JSON) or page (HTML).
    pub api: bool,
}

/// The status for a use-case error.
#[must_use]
pub fn status(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated | AppError::LoginRefused => StatusCode::UNAUTHORIZED,
        AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Invalid(_) => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Locked { .. } => StatusCode::LOCKED,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// A stable machine code for the API.
#[must_use]
pub fn code(e: &AppError) -> &'static str {
    match e {
        AppError::Unauthenticated => "unauthenticated",
        AppError::LoginRefused => "login_refused",
        AppError::Forbidden { .. } => "forbidden",
        AppError::NotFound => "not_found",
        AppError::Invalid(_) => "invalid",
        AppError::Conflict(_) => "conflict",
        AppError::Locked { .. } => "account_locked",
        AppError::Unavailable(_) => "unavailable",
    }
}

/// The localised sentence for an error.
#[must_use]
pub fn message(i: &I18n, e: &AppError) -> String {
    match e {
        AppError::Locked { minutes } => i.ta("err-locked", &[("minutes", minutes.to_string())]),
        // A conflict may name its message: `err-…` or `err-ticket-transition:<state>:<action>`.
        AppError::Conflict(key) if key.starts_with("err-") => {
            let mut parts = key.split(':');
            let key = parts.next().unwrap_or_default();
            match (parts.next(), parts.next()) {
                // Asset lifecycle terms are the park's own sheet vocabulary (Chinese); the
                // English interface shows their codes.
                (Some(state), Some(event)) if key == "err-asset-transition" => {
                    use parkops_domain::asset::{LifecycleEvent, LifecycleState};
                    let zh = i.lang == crate::i18n::Lang::ZhCn;
                    let s = LifecycleState::parse(state).map_or(state, |v| if zh { v.label() } else { v.code() });
                    let e = LifecycleEvent::parse(event).map_or(event, |v| if zh { v.label() } else { v.code() });
                    i.ta(key, &[("state", s.to_owned()), ("action", e.to_owned())])
                }
                (Some(state), Some(action)) => i.ta(
                    key,
                    &[
                        ("state", i.t(&format!("ticket-state-{state}"))),
                        ("action", i.t(&format!("ticket-action-{action}"))),
                    ],
                ),
                _ => i.t(key),
            }
        }
        other => i.t(&format!("err-{}", code(other))),
    }
}

/// The localised message of one field error.
#[must_use]
pub fn field_message(i: &I18n, f: &FieldError) -> String {
    let args: Vec<(&str, String)> = f.args.iter().map(|(k, v)| (*k, localise_arg(i, k, v))).collect();
    i.ta(&f.key, &args)
}

/// Post and organisation-type codes inside messages are shown by their names.
fn localise_arg(i: &I18n, name: &str, value: &str) -> String {
    match name {
        "admin" | "other" | "post" => i.t(&format!("post-{value}")),
        "org_type" => i.t(&format!("orgtype-{value}")),
        "level" => i.t(&format!("level-{value}")),
        _ => value.to_owned(),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = status(&self.error);
        if let AppError::Unavailable(source) = &self.error {
            tracing::error!(error = %source, cause = ?std::error::Error::source(source), "request failed: storage unavailable");
        }
        if self.api {
            let fields: Vec<_> = match &self.error {
                AppError::Invalid(fields) => fields
                    .iter()
                    .map(|f| json!({ "field": f.field, "code": f.key, "message": field_message(&self.i, f) }))
                    .collect(),
                _ => Vec::new(),
            };
            let body =
                json!({ "error": code(&self.error), "message": message(&self.i, &self.error), "fields": fields });
            return (status, Json(body)).into_response();
        }
        if matches!(self.error, AppError::Unauthenticated) {
            return Redirect::to("/login").into_response();
        }
        let page = crate::pages::ErrorPage::new(self.i, status.as_u16(), message(&self.i, &self.error));
        (status, page.html()).into_response()
    }
}
