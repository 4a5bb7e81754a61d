//! Logging in to a spawned server over the JSON API: one login (the login budget is 10 per
//! minute per address), then an API token.

use std::net::SocketAddr;

use anyhow::{Context, ensure};
use parkops_app::demo::DEMO_PASSWORD;
use serde_json::json;

use crate::server::Conn;

/// What a logged-in client sends.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `Cookie` header value (`name=token`) of the session.
    pub cookie: String,
    /// `Authorization` header value (`Bearer pko_…`) of a fresh API token.
    pub bearer: String,
}

/// Logs `user` in with the demo password through `POST /api/v1/session` and creates an API
/// token through `POST /api/v1/me/tokens` (valid one day).
///
/// # Errors
/// When a step does not answer as expected (wrong stage, refused, rate limited).
pub async fn log_in(server: SocketAddr, user: &str) -> anyhow::Result<Credentials> {
    let mut conn = Conn::open(server, None).await?;
    let body = json!({ "username": user, "password": DEMO_PASSWORD }).to_string();
    let r = conn
        .send("POST", "/api/v1/session", &[("Content-Type", "application/json")], body.as_bytes())
        .await
        .context("POST /api/v1/session")?;
    ensure!(r.status == 200, "login of {user} answered {}: {}", r.status, String::from_utf8_lossy(&r.body));
    let v = r.json();
    ensure!(v["stage"] == "full", "login of {user} is not complete: {v}");
    let csrf = v["csrf_token"].as_str().context("no csrf_token")?.to_owned();
    let cookie =
        r.header("set-cookie").and_then(|c| c.split(';').next()).context("no session cookie")?.trim().to_owned();
    if !conn.usable() {
        conn = Conn::open(server, None).await?;
    }
    let body = json!({ "name": "parkops-bench", "days": 1 }).to_string();
    let r = conn
        .send(
            "POST",
            "/api/v1/me/tokens",
            &[("Content-Type", "application/json"), ("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
            body.as_bytes(),
        )
        .await
        .context("POST /api/v1/me/tokens")?;
    ensure!(r.status == 201, "token creation answered {}: {}", r.status, String::from_utf8_lossy(&r.body));
    let secret = r.json()["secret"].as_str().context("no token secret")?.to_owned();
    Ok(Credentials { cookie, bearer: format!("Bearer {secret}") })
}
