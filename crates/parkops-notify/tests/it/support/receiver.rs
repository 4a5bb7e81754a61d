//! One HTTP server playing every platform. Each route checks credentials exactly as the
//! platform documents (recomputing the HMAC here, independently of the crate) and answers in
//! the platform's words.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::T0;

pub const DINGTALK_TOKEN: &str = "ding-access-token";
pub const DINGTALK_SECRET: &str = "SEC0123456789abcdef";
pub const WECOM_KEY: &str = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
pub const FEISHU_TOKEN: &str = "feishu-hook-token";
pub const FEISHU_SECRET: &str = "feishu-sign-secret";
pub const WEBHOOK_SECRET: &str = "webhook-hmac-key";
pub const SMS_TOKEN: &str = "sms-gateway-token";

/// How the receiver answers a valid request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Accept.
    Normal,
    /// The platform's "too fast" answer.
    Throttle,
    /// HTTP 503.
    Unavailable,
}

/// A request the receiver accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// `dingtalk`, `wecom`, `feishu`, `webhook` or `sms`.
    pub platform: &'static str,
    /// The signing timestamp in milliseconds, where the platform has one.
    pub timestamp_ms: Option<i64>,
    /// The JSON body.
    pub json: Value,
}

#[derive(Debug)]
struct Inner {
    answer: Mutex<Answer>,
    received: Mutex<Vec<Received>>,
}

/// A running receiver.
#[derive(Debug, Clone)]
pub struct Receiver {
    base: String,
    inner: Arc<Inner>,
}

impl Receiver {
    /// Binds 127.0.0.1 on a free port and serves every platform's route.
    pub async fn spawn() -> Self {
        let inner = Arc::new(Inner { answer: Mutex::new(Answer::Normal), received: Mutex::new(Vec::new()) });
        let app = Router::new()
            .route("/robot/send", post(dingtalk))
            .route("/cgi-bin/webhook/send", post(wecom))
            .route("/open-apis/bot/v2/hook/{token}", post(feishu))
            .route("/hook", post(webhook))
            .route("/sms", post(sms))
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, inner }
    }

    /// The robot URL as the platform hands it out, token included.
    pub fn dingtalk_url(&self, token: &str) -> String {
        format!("{}/robot/send?access_token={token}", self.base)
    }

    /// The WeCom robot URL.
    pub fn wecom_url(&self, key: &str) -> String {
        format!("{}/cgi-bin/webhook/send?key={key}", self.base)
    }

    /// The Feishu bot URL.
    pub fn feishu_url(&self, token: &str) -> String {
        format!("{}/open-apis/bot/v2/hook/{token}", self.base)
    }

    /// Any path on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sets how valid requests are answered from now on.
    pub fn answer(&self, answer: Answer) {
        *self.inner.answer.lock().expect("lock") = answer;
    }

    /// Everything accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().expect("lock").clone()
    }
}

type Shared = State<Arc<Inner>>;

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn json_answer(value: Value) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}

fn current(inner: &Inner) -> Answer {
    *inner.answer.lock().expect("lock")
}

fn record(inner: &Inner, platform: &'static str, timestamp_ms: Option<i64>, json: Value) {
    inner.received.lock().expect("lock").push(Received { platform, timestamp_ms, json });
}

/// DingTalk: token in the query; `timestamp` (ms, within an hour of the platform's clock,
/// here [`T0`]) and `sign` = base64(HmacSHA256(secret, "{timestamp}\n{secret}")); more than
/// 20 messages in a minute are refused with 130101 as the platform does.
async fn dingtalk(State(inner): Shared, Query(query): Query<HashMap<String, String>>, body: Bytes) -> Response {
    if query.get("access_token").map(String::as_str) != Some(DINGTALK_TOKEN) {
        return json_answer(json!({"errcode": 300_001, "errmsg": "token is not exist"}));
    }
    let Some(timestamp) = query.get("timestamp").and_then(|t| t.parse::<i64>().ok()) else {
        return json_answer(json!({"errcode": 310_000, "errmsg": "sign not match"}));
    };
    if (timestamp - T0.as_millis()).abs() > 3_600_000 {
        return json_answer(json!({"errcode": 310_000, "errmsg": "timestamp expired"}));
    }
    let expected =
        STANDARD.encode(hmac_sha256(DINGTALK_SECRET.as_bytes(), format!("{timestamp}\n{DINGTALK_SECRET}").as_bytes()));
    if query.get("sign") != Some(&expected) {
        return json_answer(json!({"errcode": 310_000, "errmsg": "sign not match"}));
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return json_answer(json!({"errcode": 40_035, "errmsg": "invalid json"}));
    };
    if json["msgtype"] != "markdown" || !json["markdown"]["title"].is_string() || !json["markdown"]["text"].is_string()
    {
        return json_answer(json!({"errcode": 40_035, "errmsg": "missing markdown"}));
    }
    let last_minute = inner
        .received
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|r| r.timestamp_ms)
        .filter(|&t| t > timestamp - 60_000 && t <= timestamp)
        .count();
    if current(&inner) == Answer::Throttle || last_minute >= 20 {
        return json_answer(json!({"errcode": 130_101, "errmsg": "send too fast, exceed 20 times per minute"}));
    }
    record(&inner, "dingtalk", Some(timestamp), json);
    json_answer(json!({"errcode": 0, "errmsg": "ok"}))
}

/// WeCom: the key in the query is the only credential; markdown content ≤ 4096 bytes.
async fn wecom(State(inner): Shared, Query(query): Query<HashMap<String, String>>, body: Bytes) -> Response {
    if query.get("key").map(String::as_str) != Some(WECOM_KEY) {
        return json_answer(json!({"errcode": 93_000, "errmsg": "invalid webhook url"}));
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return json_answer(json!({"errcode": 40_008, "errmsg": "invalid message type"}));
    };
    let Some(content) = json["markdown"]["content"].as_str() else {
        return json_answer(json!({"errcode": 40_008, "errmsg": "invalid message type"}));
    };
    if content.len() > 4096 {
        return json_answer(json!({"errcode": 40_058, "errmsg": "markdown.content exceed max length 4096"}));
    }
    match current(&inner) {
        Answer::Throttle => return json_answer(json!({"errcode": 45_009, "errmsg": "api freq out of limit"})),
        Answer::Unavailable => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Answer::Normal => {}
    }
    record(&inner, "wecom", None, json);
    json_answer(json!({"errcode": 0, "errmsg": "ok"}))
}

/// Feishu: `timestamp` (seconds, as a string) and `sign` =
/// base64(HmacSHA256(key = "{timestamp}\n{secret}", message = "")) in the body.
async fn feishu(State(inner): Shared, Path(token): Path<String>, body: Bytes) -> Response {
    if token != FEISHU_TOKEN {
        return json_answer(json!({"code": 19_001, "msg": "param invalid: incoming webhook access token invalid"}));
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return json_answer(json!({"code": 9_499, "msg": "Bad Request"}));
    };
    let timestamp = json["timestamp"].as_str().and_then(|t| t.parse::<i64>().ok());
    let valid = timestamp.is_some_and(|t| {
        let expected = STANDARD.encode(hmac_sha256(format!("{t}\n{FEISHU_SECRET}").as_bytes(), b""));
        (t * 1000 - T0.as_millis()).abs() <= 3_600_000 && json["sign"].as_str() == Some(expected.as_str())
    });
    if !valid {
        return json_answer(json!({
            "code": 19_021,
            "msg": "sign match fail or timestamp is not within one hour from current time",
        }));
    }
    if json["msg_type"] != "text" || !json["content"]["text"].is_string() {
        return json_answer(json!({"code": 9_499, "msg": "Bad Request"}));
    }
    match current(&inner) {
        Answer::Throttle => return json_answer(json!({"code": 11_232, "msg": "frequency limited psm"})),
        Answer::Unavailable => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Answer::Normal => {}
    }
    record(&inner, "feishu", timestamp.map(|t| t * 1000), json);
    json_answer(json!({"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}))
}

/// Generic webhook: `X-ParkOps-Signature: sha256=<hex HMAC of the raw body>`, and the
/// body's `sent_at_ms` matches `X-ParkOps-Timestamp`.
async fn webhook(State(inner): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let expected = format!("sha256={}", hex::encode(hmac_sha256(WEBHOOK_SECRET.as_bytes(), &body)));
    let signature = headers.get("x-parkops-signature").and_then(|v| v.to_str().ok());
    if signature != Some(expected.as_str()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let stamp = headers.get("x-parkops-timestamp").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    if stamp.is_none() || json["sent_at_ms"].as_i64() != stamp {
        return StatusCode::BAD_REQUEST.into_response();
    }
    if current(&inner) == Answer::Unavailable {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    record(&inner, "webhook", stamp, json);
    StatusCode::NO_CONTENT.into_response()
}

/// SMS gateway: bearer token; `{"to": [...], "text": "..."}`.
async fn sms(State(inner): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let expected = format!("Bearer {SMS_TOKEN}");
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if !json["to"].is_array() || !json["text"].is_string() {
        return StatusCode::UNPROCESSABLE_ENTITY.into_response();
    }
    if current(&inner) == Answer::Unavailable {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    record(&inner, "sms", None, json);
    (StatusCode::ACCEPTED, axum::Json(json!({"id": "sms-1"}))).into_response()
}
