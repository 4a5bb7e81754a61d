//! Administration flows in the pages and the API, each leaving its audit record; the audit
//! page and verification; headers; the OpenAPI document; resource-file completeness.

use axum::http::{Method, StatusCode, header};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn organisation_and_user_administration_leaves_one_audit_record_per_action() {
    for t in TestApp::all().await {
        let mut admin = t.login("jb.sysadmin").await;
        let mut before = t.audit_head().await;
        let expect = |actions: Vec<String>, want: &[&str]| {
            let got: Vec<_> = actions.iter().filter(|a| *a != "audit.view").cloned().collect();
            assert_eq!(got, want, "engine {:?}", t.db.engine);
        };
        // Create an organisation in the page: a bad code is refused with a field message.
        let r = admin.form("/orgs", &[("org_type", "enterprise"), ("code", "坏"), ("name", "测试企业")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("编码为 1 至 32 位字母"));
        expect(t.actions_after(before).await, &[]);
        let r = admin
            .form(
                "/orgs",
                &[
                    ("org_type", "enterprise"),
                    ("code", "JB-T01"),
                    ("name", "江滨测试化工有限公司"),
                    ("phone", "0510-1234567"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        expect(t.actions_after(before).await, &["org.create"]);
        before = t.audit_head().await;
        // And via the API; the list finds it.
        let r = admin
            .json(
                Method::POST,
                "/api/v1/orgs",
                json!({ "org_type": "enterprise", "code": "JB-T02", "name": "江滨测试二厂" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let org_id = r.json()["id"].as_str().expect("id").to_owned();
        let r = admin
            .json(Method::POST, "/api/v1/orgs", json!({ "org_type": "enterprise", "code": "JB-T02", "name": "重复" }))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["fields"][0]["code"], "err-code-taken");
        let r = admin
            .json(
                Method::POST,
                "/api/v1/orgs",
                json!({ "org_type": "enterprise", "code": "X", "name": "x", "extra": 1 }),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "unknown fields are refused");
        let list = admin.get("/api/v1/orgs?q=%E6%B5%8B%E8%AF%95").await.json();
        assert_eq!(list["total"], 2);
        expect(t.actions_after(before).await, &["org.create"]);
        before = t.audit_head().await;
        // A user: the three administrators stay separate.
        let r = admin
            .json(Method::POST, "/api/v1/users", json!({ "org_id": org_id, "username": "jb.t.rep", "display_name": "测试报障", "posts": ["reporter", "audit_admin"] }))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "a system administrator cannot grant an administrator post");
        let r = admin
            .json(
                Method::POST,
                "/api/v1/users",
                json!({ "org_id": org_id, "username": "jb.t.rep", "display_name": "测试报障", "posts": ["reporter"] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let body = r.json();
        let user_id = body["user"]["id"].as_str().expect("id").to_owned();
        assert!(body["initial_password"].as_str().is_some_and(|p| p.len() >= 12));
        assert!(body["user"].get("password_hash").is_none());
        let r = admin.form(&format!("/users/{user_id}/reset-password"), &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("仅显示这一次"));
        let r = admin
            .form(
                &format!("/users/{user_id}"),
                &[("display_name", "测试报障人"), ("phone", "13900000000"), ("email", ""), ("is_active", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // The refused grant is on record too.
        expect(t.actions_after(before).await, &["access.denied", "user.create", "user.password_reset", "user.update"]);
    }
}

#[tokio::test]
async fn security_administrator_assigns_admin_posts_and_separation_holds() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let mut sec = t.login("jb.secadmin").await;
    let unit01 = t.app.store.user_by_username("jb.unit01").await.expect("read").expect("user").id;
    let r = sec
        .json(
            Method::PUT,
            &format!("/api/v1/users/{unit01}/posts"),
            json!({ "posts": ["system_admin", "audit_admin"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["fields"][0]["message"].as_str().expect("message").contains("三员分立"));
    let r = sec.json(Method::PUT, &format!("/api/v1/users/{unit01}/posts"), json!({ "posts": ["audit_admin"] })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The security administrator unlocks; the policy page edits a new version.
    let mut fields = [
        ("password_min_length", "10"),
        ("password_history_count", "5"),
        ("password_max_age_days", "90"),
        ("lockout_threshold", "5"),
        ("lockout_minutes", "30"),
        ("session_idle_minutes", "15"),
        ("session_absolute_hours", "12"),
        ("password_require_upper", "1"),
        ("password_require_lower", "1"),
        ("password_require_special", "1"),
    ];
    fields[0].1 = "6";
    let before = t.audit_head().await;
    let r = sec.form("/security/policy", &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("不少于 8 位"), "{}", r.body);
    assert_eq!(t.actions_after(before).await, Vec::<String>::new(), "a refused policy changes nothing");
    fields[0].1 = "10";
    let r = sec.form("/security/policy", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(t.actions_after(before).await, vec!["security_policy.update"]);
    assert_eq!(t.app.security_policy().await.expect("policy").password.min_length, 10);
    let versions = sec.get("/api/v1/security/policy").await.json();
    assert_eq!(versions["versions"].as_array().map(Vec::len), Some(2), "the demo's v1 and the new v2 are both kept");
}

#[tokio::test]
async fn job_descriptions_are_versioned_and_earlier_versions_stay() {
    for t in TestApp::all().await {
        let mut m = t.login("jb.manager").await;
        let r = m
            .form(
                "/posts/technician",
                &[
                    ("title", "技术员岗位职责说明书（2027 版）"),
                    ("content", "新增：校准记录逐项填写。"),
                    ("change_note", "年度修订"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = m.get("/posts/technician").await;
        assert!(
            page.body.contains("v2") && page.body.contains("v1") && page.body.contains("年度修订"),
            "{:?}",
            t.db.engine
        );
        let api = m.get("/api/v1/job-descriptions").await.json();
        let versions: Vec<_> = api["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|j| j["post"] == "technician")
            .map(|j| j["version"].as_i64())
            .collect();
        assert_eq!(versions, vec![Some(2), Some(1)]);
    }
}

#[tokio::test]
async fn api_tokens_act_as_their_owner_and_stop_when_revoked() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let mut m = t.login("jb.manager").await;
    let r = m.json(Method::POST, "/api/v1/me/tokens", json!({ "name": "集成测试", "days": 30 })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let body = r.json();
    let secret = body["secret"].as_str().expect("secret").to_owned();
    let id = body["id"].as_str().expect("id").to_owned();
    let mut anon = t.client();
    let me = anon.bearer(Method::GET, "/api/v1/me", &secret, None).await;
    assert_eq!(me.json()["username"], "jb.manager");
    assert_eq!(anon.bearer(Method::GET, "/api/v1/audit", &secret, None).await.status, StatusCode::FORBIDDEN);
    let r = m.json(Method::POST, &format!("/api/v1/me/tokens/{id}/revoke"), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(anon.bearer(Method::GET, "/api/v1/me", &secret, None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn audit_administrator_reads_exports_and_verifies_the_chain() {
    for t in TestApp::all().await {
        let mut a = t.login("jb.auditor").await;
        let page = a.get("/audit?action=user.").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("user.create"), "{:?}", t.db.engine);
        let csv = a.get("/audit/export.csv?action=auth.").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.body.starts_with('\u{feff}') && csv.body.contains("auth.login"));
        let r = a.form("/audit/verify", &[]).await;
        assert!(r.body.contains("审计链完整"), "{:?}", t.db.engine);
        t.app.checkpoint_if_due(true).await.expect("checkpoint");
        let file = a.get("/audit/checkpoints.txt").await;
        assert!(file.body.starts_with("parkops-audit-checkpoints v1\n"));
        let v = a.json(Method::POST, "/api/v1/audit/verify", json!({})).await.json();
        assert_eq!(v["ok"], true);
        assert!(v["checkpoints"].as_u64() >= Some(1));
        // Reads by the audit administrator are themselves recorded.
        let actions = t.actions_after(0).await;
        for a in ["audit.view", "audit.export", "audit.verify", "audit.checkpoints_export"] {
            assert!(actions.iter().any(|x| x == a), "{a} missing");
        }
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let mut c = t.login("jb.manager").await;
    for path in
        ["/login", "/dashboard", "/orgs", "/api/v1/me", "/static/app.css", "/healthz", "/nope", "/api/openapi.json"]
    {
        let r = c.get(path).await;
        let h = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        let csp = h("content-security-policy");
        assert!(
            csp.contains("frame-ancestors 'none'")
                && csp.contains("object-src 'none'")
                && csp.contains("base-uri 'none'"),
            "{path}"
        );
        assert_eq!(h("referrer-policy"), "same-origin", "{path}");
        if !r.status.is_redirection() {
            assert!(
                h("content-type").contains("charset=utf-8") || h("content-type").starts_with("application/json"),
                "{path}: {}",
                h("content-type")
            );
        }
    }
    let r = c.get("/dashboard").await;
    assert_eq!(r.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()), Some("no-store"));
}

#[tokio::test]
async fn openapi_document_lists_every_api_route_with_its_permission() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let doc = t.client().get("/api/openapi.json").await.json();
    for spec in parkops_web::registry::ROUTES.iter().filter(|r| r.kind == parkops_web::registry::Kind::Api) {
        let method = spec.method.as_str().to_lowercase();
        let op = &doc["paths"][spec.path][&method];
        assert_eq!(op["operationId"], format!("{:?}", spec.id));
        assert!(op["x-permission"].is_string());
    }
}

#[tokio::test]
async fn an_empty_installation_offers_the_demo_park() {
    let db = parkops_testkit::TestDatabase::sqlite();
    let url = parkops_store::DatabaseUrl::resolve(Some(&db.url), std::path::Path::new(".")).expect("url");
    let store = parkops_store::Db::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let app = parkops_app::App {
        store: std::sync::Arc::new(store),
        clock: std::sync::Arc::new(parkops_app::clock::ManualClock::new(parkops_domain::time::Timestamp::from_millis(
            1_767_225_600_000,
        ))),
        audit_key: std::sync::Arc::new(parkops_domain::audit::SigningKey::from_seed([1; 32])),
        audit_origin: "t".into(),
        checkpoint_every: 100,
    };
    let router = parkops_web::router(app.clone(), parkops_web::WebConfig { secure_cookies: false });
    let t = crate::support::TestApp {
        app,
        clock: std::sync::Arc::new(parkops_app::clock::ManualClock::new(parkops_domain::time::Timestamp::from_millis(
            0,
        ))),
        router,
        db,
    };
    let mut c = t.client();
    assert_eq!(c.get("/").await.location(), "/setup");
    assert!(c.get("/setup").await.body.contains("载入演示数据"));
    let r = c.form("/setup/demo", &[]).await;
    assert_eq!(r.location(), "/login?ok=demo_loaded");
    assert!(t.app.has_demo().await.expect("read"));
    // Once users exist, the setup page is gone.
    assert_eq!(c.get("/setup").await.location(), "/login");
}

/// Every message key used in templates and code exists in both languages, and the two
/// resource files have the same keys.
#[test]
fn resource_files_are_complete() {
    let keys = |text: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
            .filter(|k| !k.is_empty() && !k.starts_with('#'))
            .collect()
    };
    // Every resource file of a language (main.ftl and one per feature, e.g. assets.ftl).
    let all = |lang: &str| -> String {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales").join(lang);
        let mut files: Vec<_> = std::fs::read_dir(dir).expect("locales").flatten().map(|e| e.path()).collect();
        files.sort();
        files
            .iter()
            .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
            .map(|p| std::fs::read_to_string(p).expect("ftl"))
            .collect()
    };
    let zh = keys(&all("zh-CN"));
    let en = keys(&all("en"));
    assert_eq!(zh.symmetric_difference(&en).collect::<Vec<_>>(), Vec::<&String>::new());
    let mut used = std::collections::BTreeSet::new();
    let dirs = [
        concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/src"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/../parkops-app/src"),
    ];
    let mut files = Vec::new();
    for d in dirs {
        let mut stack = vec![std::path::PathBuf::from(d)];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).expect("dir").flatten() {
                if e.path().is_dir() { stack.push(e.path()) } else { files.push(e.path()) }
            }
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for part in text.split("\"err-").skip(1) {
            let key = format!("err-{}", part.split('"').next().unwrap_or(""));
            if !key.contains('{') && key.len() > 4 {
                used.insert(key);
            }
        }
        for marker in
            [".t(\"", ".ta(\"", "Chrome::new(&ctx, \"", "Chrome::new(ctx, \"", "under(\"", "FieldError::new(\""]
        {
            for part in text.split(marker).skip(1) {
                let key = part.split('"').next().unwrap_or("");
                if !key.is_empty()
                    && !key.contains('{')
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    && key.contains('-')
                {
                    used.insert(key.to_owned());
                }
            }
        }
    }
    let missing: Vec<_> = used.iter().filter(|k| !zh.contains(*k)).collect();
    assert!(missing.is_empty(), "keys used but not in the resource files: {missing:?}");
    // Dynamic families.
    for p in parkops_domain::access::Post::ALL {
        assert!(zh.contains(&format!("post-{}", p.code())));
    }
    for t in parkops_domain::org::OrgType::ALL {
        assert!(zh.contains(&format!("orgtype-{}", t.code())));
    }
    for c in parkops_domain::access::Capability::ALL {
        assert!(zh.contains(&format!("cap-{}", c.code().replace('.', "-"))), "{c:?}");
    }
    // The desk's coded values, including every state and action named by transition errors.
    use parkops_domain::ticket as tk;
    let families: Vec<(&str, Vec<&str>)> = vec![
        ("ticket-state", tk::STATE_CODES.to_vec()),
        (
            "ticket-action",
            vec!["acknowledge", "start", "wait", "resume", "resolve", "confirm", "auto_close", "close", "reopen"],
        ),
        ("level", tk::Level::ALL.iter().map(|x| x.code()).collect()),
        ("level-help", tk::Level::ALL.iter().map(|x| x.code()).collect()),
        ("kind", tk::TicketKind::ALL.iter().map(|x| x.code()).collect()),
        ("priority", tk::Priority::ALL.iter().map(|x| x.code()).collect()),
        ("mode", tk::HandlingMode::ALL.iter().map(|x| x.code()).collect()),
        ("line", tk::SupportLine::ALL.iter().map(|x| x.code()).collect()),
        ("line-name", tk::SupportLine::ALL.iter().map(|x| x.code()).collect()),
        ("domain", tk::BusinessDomain::ALL.iter().map(|x| x.code()).collect()),
        ("waiting", tk::WaitingOn::ALL.iter().map(|x| x.code()).collect()),
        ("coverage", vec!["7x24", "working_hours"]),
        (
            "event",
            vec![
                "created",
                "acknowledge",
                "start",
                "wait",
                "resume",
                "resolve",
                "confirm",
                "auto_close",
                "close",
                "reopen",
                "assigned",
                "dispatch",
                "escalated",
                "comment",
                "handover",
                "sla_warning",
                "sla_breach",
                "rated",
                "attachment",
            ],
        ),
        (
            "notice",
            vec![
                "ticket_opened",
                "ticket_assigned",
                "ticket_escalated",
                "ticket_resolved",
                "sla_warning",
                "sla_breach",
            ],
        ),
    ];
    for (family, codes) in families {
        for code in codes {
            assert!(zh.contains(&format!("{family}-{code}")), "{family}-{code}");
        }
    }
    for r in [
        "too_short",
        "too_long",
        "missing_upper",
        "missing_lower",
        "missing_digit",
        "missing_special",
        "common",
        "contains_username",
        "reused",
    ] {
        assert!(zh.contains(&format!("err-password-{r}")));
    }
}
