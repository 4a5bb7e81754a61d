//! Notification channels end to end through the real binary: the desk manager configures a
//! signed webhook through the JSON API, a reporter opens a 致命 ticket, and the delivery job
//! of `parkops serve` posts it to a receiver that checks the signature exactly as an
//! integrator would; the delivery log then reads `sent`. On SQLite and, when configured,
//! PostgreSQL.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::helpers::{Installation, Server};

const SECRET: &str = "whsec-3f9a1c7e5b20";
/// A token in the receiver's address, which the API must mask.
const ROUTE_TOKEN: &str = "R-77aa0c";
/// Longest wait for the delivery (debug builds, busy CI).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(90);

/// What the receiver saw: a body whose signature matched, or why it refused one.
#[derive(Debug)]
enum Received {
    Signed { body: Value, timestamp: Option<i64> },
    Refused(String),
}

/// `X-ParkOps-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, as an integrator checks it.
async fn hook(State(tx): State<mpsc::UnboundedSender<Received>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, seen) = match (header("x-parkops-signature"), serde_json::from_slice::<Value>(&body)) {
        (Some(sig), Ok(body)) if sig == expected => {
            let timestamp = header("x-parkops-timestamp").and_then(|t| t.parse().ok());
            (StatusCode::NO_CONTENT, Received::Signed { body, timestamp })
        }
        (sig, parsed) => (
            StatusCode::UNAUTHORIZED,
            Received::Refused(format!("signature {sig:?}, expected {expected}; body parsed: {}", parsed.is_ok())),
        ),
    };
    let _ = tx.send(seen);
    status
}

/// A receiver on a free loopback port; every request it gets arrives on the channel.
async fn receiver() -> (SocketAddr, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the receiver");
    let addr = listener.local_addr().expect("receiver address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, rx)
}

/// A logged-in API session: the cookie and the CSRF token for state changes.
struct Session {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Session {
    async fn login(http: &reqwest::Client, base: &str, username: &str) -> Self {
        let r = http
            .post(format!("{base}/api/v1/session"))
            .json(&json!({ "username": username, "password": parkops_app::demo::DEMO_PASSWORD }))
            .send()
            .await
            .expect("login request");
        assert_eq!(r.status(), 200, "login {username}");
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("parkops_session="))
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_owned();
        let body: Value = r.json().await.expect("login body");
        assert_eq!(body["stage"], "full", "{username} is fully logged in: {body}");
        let csrf = body["csrf_token"].as_str().expect("csrf token").to_owned();
        Self { http: http.clone(), base: base.to_owned(), cookie, csrf }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("cookie", format!("parkops_session={}", self.cookie))
            .header("x-csrf-token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_ticket_reaches_a_signed_webhook_and_is_logged_as_sent() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().expect("client");
    for inst in Installation::all().await {
        let engine = inst.engine();
        let (hook_addr, mut received) = receiver().await;
        let server = Server::start(inst.command(&[
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--notify-allow-loopback",
            "--deliver-notifications-every",
            "200ms",
        ]));
        let web = tokio::task::block_in_place(|| server.address("web"));
        let base = format!("http://{web}");

        // The desk manager sets up a signed webhook for new 致命 tickets.
        let manager = Session::login(&http, &base, "jb.manager").await;
        let (status, channel) = manager
            .call(
                reqwest::Method::POST,
                "/api/v1/desk/channels",
                Some(json!({
                    "kind": "webhook", "name": "园区统一告警平台",
                    "endpoint": format!("http://{hook_addr}/hook?route={ROUTE_TOKEN}"), "secret": SECRET,
                    "levels": ["fatal"], "events": ["ticket_opened"],
                })),
            )
            .await;
        assert_eq!(status, 201, "{engine:?}: {channel}");
        assert_eq!(channel["secret_set"], true);
        assert_eq!(channel["endpoint"], format!("http://{hook_addr}/hook?route=******"));
        assert!(!channel.to_string().contains(SECRET) && !channel.to_string().contains(ROUTE_TOKEN));

        // A reporter of an enterprise opens a 致命 fault.
        let reporter = Session::login(&http, &base, "jb.ent01").await;
        let (status, ticket) = reporter
            .call(
                reqwest::Method::POST,
                "/api/v1/tickets",
                Some(json!({
                    "kind": "fault_report", "level": "fatal", "domain": "safety_production",
                    "title": "储运区 T-3 有毒气体探测器数值冻结", "location": "储运区 T-3", "affected": "GDS-T3",
                })),
            )
            .await;
        assert_eq!(status, 201, "{engine:?}: {ticket}");
        let number = ticket["number"].as_str().expect("number").to_owned();

        // The delivery job posts it, signed; the receiver verified the signature.
        let wait = async {
            loop {
                match received.recv().await {
                    Some(Received::Signed { body, timestamp }) => {
                        if body["title"].as_str().is_some_and(|t| t.contains(&number)) {
                            return (body, timestamp);
                        }
                    }
                    Some(Received::Refused(why)) => panic!("{engine:?}: the receiver refused a delivery: {why}"),
                    None => panic!("the receiver stopped"),
                }
            }
        };
        let Ok((body, timestamp)) = tokio::time::timeout(DELIVERY_TIMEOUT, wait).await else {
            panic!("{engine:?}: no signed delivery naming {number} within {DELIVERY_TIMEOUT:?}:\n{}", server.log());
        };
        assert_eq!(body["title"], format!("[{number}] 储运区 T-3 有毒气体探测器数值冻结"), "{engine:?}");
        assert_eq!(body["level"], "fatal");
        assert!(
            body["body"].as_str().is_some_and(|b| b.contains("ticket_opened") && b.contains("储运区 T-3")),
            "{body}"
        );
        assert_eq!(body["link"], format!("/desk/tickets/{}", ticket["id"].as_str().expect("id")));
        assert_eq!(timestamp, body["sent_at_ms"].as_i64(), "the timestamp header matches the signed body");

        // The job records the attempt after the answer: its log line says when it is in the log.
        tokio::task::block_in_place(|| {
            server.wait_until(|v| {
                v["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("notifications: ") && !m.starts_with("notifications: 0 sent"))
            })
        });
        let (status, log) = manager.call(reqwest::Method::GET, "/api/v1/desk/deliveries", None).await;
        assert_eq!(status, 200, "{log}");
        let items = log["items"].as_array().expect("items");
        let delivery = items
            .iter()
            .find(|d| d["title"].as_str().is_some_and(|t| t.contains(&number)))
            .unwrap_or_else(|| panic!("{engine:?}: no delivery naming {number}: {log}"));
        assert_eq!(delivery["status"], "sent", "{engine:?}: {delivery}");
        assert_eq!((delivery["attempts"].clone(), delivery["covers"].clone()), (json!(1), json!(1)));
        assert_eq!(delivery["channel"], "园区统一告警平台");
        assert_eq!(delivery["last_error"], "");
        // Only the desk manager reads the log.
        let (status, _) = reporter.call(reqwest::Method::GET, "/api/v1/desk/deliveries", None).await;
        assert_eq!(status, 403);

        let (status, log) = server.terminate();
        assert!(status.success(), "{engine:?}: {log}");
        assert!(!log.contains(SECRET) && !log.contains(ROUTE_TOKEN), "{engine:?}: a secret in the server log");
    }
}
