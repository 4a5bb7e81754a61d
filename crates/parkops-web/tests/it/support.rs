//! The test harness: a demo park on a fresh database, a router, and a small cookie-keeping client.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use parkops_app::clock::{Clock, ManualClock};
use parkops_app::{App, Caller};
use parkops_domain::audit::SigningKey;
use parkops_domain::time::Timestamp;
use parkops_store::{DatabaseUrl, Db};
use parkops_testkit::TestDatabase;
use parkops_web::WebConfig;
use tower::ServiceExt;

pub const PASSWORD: &str = parkops_app::demo::DEMO_PASSWORD;

/// A running application over a demo park.
pub struct TestApp {
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub router: Router,
    pub db: TestDatabase,
}

impl TestApp {
    pub async fn on(db: TestDatabase) -> Self {
        let url = DatabaseUrl::resolve(Some(&db.url), std::path::Path::new(".")).expect("url");
        let store = Db::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_767_225_600_000)));
        let app = App {
            store: Arc::new(store),
            clock: clock.clone(),
            audit_key: Arc::new(SigningKey::from_seed([5; 32])),
            audit_origin: "test".into(),
            checkpoint_every: 1000,
        };
        app.load_demo(&Caller::command_line()).await.expect("demo");
        let router = parkops_web::router(app.clone(), WebConfig { secure_cookies: false });
        Self { app, clock, router, db }
    }

    /// One app per available engine.
    pub async fn all() -> Vec<Self> {
        let mut out = Vec::new();
        for db in parkops_testkit::databases().await {
            out.push(Self::on(db).await);
        }
        out
    }

    pub fn client(&self) -> Client {
        Client { router: self.router.clone(), cookie: String::new(), csrf: String::new() }
    }

    /// Moves time forward (for rate limits, lockouts and TOTP steps).
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    pub fn unix_seconds(&self) -> u64 {
        u64::try_from(self.clock.now().as_millis() / 1000).expect("positive")
    }

    /// Logs in a demo user, enrolling or answering TOTP as needed; returns the client.
    pub async fn login(&self, username: &str) -> Client {
        let mut c = self.client();
        let r = c.form("/login", &[("username", username), ("password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login {username}: {}", r.body);
        let to = r.location();
        if to == "/login/totp-enrol" {
            // Enrol a fresh secret, as the person would with an authenticator app.
            self.advance(chrono::Duration::seconds(10));
            let page = c.get("/login/totp-enrol").await;
            let secret = page.between("id=\"totp-secret\">", "<").to_owned();
            c.csrf = page.between("name=\"csrf\" value=\"", "\"").to_owned();
            let code = parkops_app::secret::totp_code(&secret, self.unix_seconds()).expect("code");
            let r = c.form("/login/totp-enrol", &[("secret", &secret), ("code", &code)]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "enrol {username}: {}", r.body);
            SECRETS.lock().expect("lock").push((format!("{}|{username}", self.db.url), secret));
        } else if to == "/login/totp" {
            let key = format!("{}|{username}", self.db.url);
            let secret = SECRETS
                .lock()
                .expect("lock")
                .iter()
                .rev()
                .find(|(u, _)| *u == key)
                .map(|(_, s)| s.clone())
                .expect("enrolled before");
            self.advance(chrono::Duration::seconds(31));
            let page = c.get("/login/totp").await;
            c.csrf = page.between("name=\"csrf\" value=\"", "\"").to_owned();
            let code = parkops_app::secret::totp_code(&secret, self.unix_seconds()).expect("code");
            let r = c.form("/login/totp", &[("code", &code)]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "totp {username}: {}", r.body);
        }
        c.refresh_csrf().await;
        c
    }

    /// The TOTP secret a user enrolled during this test.
    pub fn totp_secret(&self, username: &str) -> String {
        let key = format!("{}|{username}", self.db.url);
        SECRETS.lock().expect("lock").iter().rev().find(|(u, _)| *u == key).map(|(_, s)| s.clone()).expect("enrolled")
    }

    /// A use-case caller for a demo user (for setting up data without going through pages).
    pub async fn caller(&self, username: &str) -> Caller {
        let user = self.app.store.user_by_username(username).await.expect("read").expect("user");
        let p = self.app.principal_of(&user).await.expect("principal");
        Caller { principal: Some(p), ip: "127.0.0.1".into(), request_id: format!("setup-{username}") }
    }

    /// Opens a fault ticket as `username` through the use case.
    pub async fn open_ticket(&self, username: &str, level: &str) -> parkops_app::ports::desk::TicketRecord {
        let input = parkops_app::desk::NewTicket {
            kind: "fault_report".into(),
            level: level.into(),
            domain: "safety_production".into(),
            title: "储运区 T-3 有毒气体探测器数值冻结".into(),
            description: "GDS 主机显示 T-3 探测器读数 30 分钟未变化".into(),
            location: "储运区 T-3".into(),
            affected: "GDS-T3".into(),
            ..parkops_app::desk::NewTicket::default()
        };
        self.app.open_ticket(&self.caller(username).await, input).await.expect("open ticket")
    }

    pub async fn audit_head(&self) -> i64 {
        self.app.store.audit_head().await.expect("head").0
    }

    pub async fn actions_after(&self, seq: i64) -> Vec<String> {
        self.app.store.audit_after(seq, 1000).await.expect("audit").into_iter().map(|r| r.entry.action).collect()
    }
}

static SECRETS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// A browser-like client: keeps the session cookie and the CSRF token.
#[derive(Clone)]
pub struct Client {
    router: Router,
    pub cookie: String,
    pub csrf: String,
}

/// A response with its body as text.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> String {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn between(&self, start: &str, end: &str) -> &str {
        let from = self.body.find(start).map(|i| i + start.len()).unwrap_or_else(|| panic!("{start} not in page"));
        let rest = &self.body[from..];
        &rest[..rest.find(end).unwrap_or(rest.len())]
    }
}

impl Client {
    pub async fn send(&mut self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        for v in headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap_or("");
            if let Some(rest) = v.strip_prefix("parkops_session=") {
                self.cookie = rest.split(';').next().unwrap_or("").to_owned();
            }
        }
        let bytes = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024).await.expect("body");
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    fn builder(&self, method: Method, path: &str) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(path).header(header::HOST, "127.0.0.1:8080");
        if !self.cookie.is_empty() {
            b = b.header(header::COOKIE, format!("parkops_session={}", self.cookie));
        }
        b
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let req = self.builder(Method::GET, path).body(Body::empty()).expect("request");
        self.send(req).await
    }

    /// A form post with the session's CSRF token added.
    pub async fn form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut enc = form_urlencoded::Serializer::new(String::new());
        if !self.csrf.is_empty() {
            enc.append_pair("csrf", &self.csrf);
        }
        for (k, v) in fields {
            enc.append_pair(k, v);
        }
        self.raw_form(path, enc.finish()).await
    }

    pub async fn raw_form(&mut self, path: &str, body: String) -> Reply {
        let req = self
            .builder(Method::POST, path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://127.0.0.1:8080")
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// A JSON call, with the CSRF header when a session is held.
    pub async fn json(&mut self, method: Method, path: &str, body: serde_json::Value) -> Reply {
        let mut b = self.builder(method, path).header(header::CONTENT_TYPE, "application/json");
        if !self.csrf.is_empty() {
            b = b.header("x-csrf-token", &self.csrf);
        }
        let req = b.body(Body::from(body.to_string())).expect("request");
        self.send(req).await
    }

    /// A multipart upload with one `file` part (and the CSRF token as a field and header).
    pub async fn multipart(&mut self, path: &str, name: &str, content_type: &str, data: &[u8]) -> Reply {
        let boundary = "----parkops-test-boundary";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n", self.csrf)
                .as_bytes(),
        );
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut b = self
            .builder(Method::POST, path)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .header(header::ORIGIN, "http://127.0.0.1:8080");
        if !self.csrf.is_empty() {
            b = b.header("x-csrf-token", &self.csrf);
        }
        let req = b.body(Body::from(body)).expect("request");
        self.send(req).await
    }

    /// Raw bytes of a GET (downloads).
    pub async fn bytes(&mut self, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        let req = self.builder(Method::GET, path).body(Body::empty()).expect("request");
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 64 * 1024 * 1024).await.expect("body");
        (status, headers, bytes.to_vec())
    }

    pub async fn bearer(&mut self, method: Method, path: &str, token: &str, body: Option<serde_json::Value>) -> Reply {
        let b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json");
        let req = b.body(body.map_or_else(Body::empty, |v| Body::from(v.to_string()))).expect("request");
        self.send(req).await
    }

    /// Reads the CSRF token from a page form.
    pub async fn refresh_csrf(&mut self) {
        let page = self.get("/me").await;
        if let Some(i) = page.body.find("name=\"csrf\" value=\"") {
            let rest = &page.body[i + 19..];
            self.csrf = rest[..rest.find('"').unwrap_or(0)].to_owned();
        }
    }
}
