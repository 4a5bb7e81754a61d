//! The security policy page (security administrator; R-9.1.2d, R-4.3).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use parkops_app::settings::SecurityPolicy;
use serde_json::{Value, json};

use super::{Chrome, FormState, render, render_status, see_other};
use crate::AppState;
use crate::form::FormData;
use crate::guard::Ctx;
use crate::pages::auth::Flash;

const NUMBERS: [&str; 7] = [
    "password_min_length",
    "password_history_count",
    "password_max_age_days",
    "lockout_threshold",
    "lockout_minutes",
    "session_idle_minutes",
    "session_absolute_hours",
];
const FLAGS: [&str; 5] = [
    "password_require_upper",
    "password_require_lower",
    "password_require_digit",
    "password_require_special",
    "totp_for_all",
];

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    c: Chrome,
    f: FormState,
    history: Vec<(i64, String, String, String)>,
}

fn form_of(v: &Value) -> FormState {
    let mut f = FormState::new();
    for k in NUMBERS {
        f = f.with(k, v.get(k).map(ToString::to_string).unwrap_or_default());
    }
    for k in FLAGS {
        f = f.with(k, if v.get(k).and_then(Value::as_bool).unwrap_or(false) { "1" } else { "0" });
    }
    f
}

async fn page(state: &AppState, ctx: &Ctx, f: FormState, flash: Option<&str>) -> Result<PolicyPage, AppError> {
    let history = state
        .app
        .security_policy_history(&ctx.caller)
        .await?
        .into_iter()
        .map(|r| {
            let summary = serde_json::from_str::<Value>(&r.body)
                .ok()
                .and_then(|v| SecurityPolicy::from_json(&v).ok())
                .map(|p| {
                    ctx.i.ta(
                        "policy-summary",
                        &[
                            ("min", p.password.min_length.to_string()),
                            ("days", p.password.max_age_days.to_string()),
                            ("threshold", p.lockout.threshold.to_string()),
                            ("idle", p.session.idle_minutes.to_string()),
                        ],
                    )
                })
                .unwrap_or_default();
            (r.version, r.created_at.display_cst(), r.created_by, summary)
        })
        .collect();
    Ok(PolicyPage { c: Chrome::new(ctx, "nav-policy", "/security/policy").flash(flash), f, history })
}

/// `GET /security/policy`.
pub async fn policy_page(State(state): State<AppState>, ctx: Ctx, Query(flash): Query<Flash>) -> Response {
    let current = match state.app.security_policy().await {
        Ok(p) => p,
        Err(e) => return ctx.err(e).into_response(),
    };
    match page(&state, &ctx, form_of(&current.to_json()), flash.ok.as_deref()).await {
        Ok(p) => render(&p),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /security/policy`: stores a new version; an out-of-range value changes nothing.
pub async fn policy_update(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let mut body = serde_json::Map::new();
    let mut bad_numbers = Vec::new();
    for k in NUMBERS {
        match form.get(k).trim().parse::<u64>() {
            Ok(n) => {
                body.insert(k.to_owned(), json!(n));
            }
            Err(_) => bad_numbers.push(parkops_app::FieldError::new(k, "err-number")),
        }
    }
    for k in FLAGS {
        body.insert(k.to_owned(), json!(form.flag(k)));
    }
    let body = Value::Object(body);
    let result = if bad_numbers.is_empty() {
        state.app.update_security_policy(&ctx.caller, &body).await.map(|_| ())
    } else {
        Err(AppError::Invalid(bad_numbers))
    };
    match result {
        Ok(()) => see_other("/security/policy?ok=saved"),
        Err(AppError::Invalid(errors)) => {
            let mut f = FormState::new();
            for k in NUMBERS {
                f = f.with(k, form.get(k));
            }
            for k in FLAGS {
                f = f.with(k, if form.flag(k) { "1" } else { "0" });
            }
            match page(&state, &ctx, f.errors(&ctx.i, &errors), None).await {
                Ok(p) => render_status(StatusCode::BAD_REQUEST, &p),
                Err(e) => ctx.err(e).into_response(),
            }
        }
        Err(e) => ctx.err(e).into_response(),
    }
}
