//! Authentication through the pages and the API: Chinese login, password rules, lockout,
//! second factor, sessions, CSRF.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn login_page_is_chinese_and_demo_login_reaches_the_dashboard() {
    for t in TestApp::all().await {
        let mut c = t.client();
        let page = c.get("/login").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("<html lang=\"zh-CN\">"));
        assert!(page.body.contains("用户登录"), "{:?}", t.db.engine);
        let r = c.form("/login", &[("username", "jb.manager"), ("password", PASSWORD)]).await;
        assert_eq!((r.status, r.location().as_str()), (StatusCode::SEE_OTHER, "/dashboard"));
        let dash = c.get("/dashboard").await;
        assert_eq!(dash.status, StatusCode::OK);
        assert!(dash.body.contains("工作台") && dash.body.contains("管理负责人"), "{:?}", t.db.engine);
        // English on request.
        let en = c.get("/lang?to=en").await;
        assert_eq!(en.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let mut c = t.client();
    let a = c.form("/login", &[("username", "nobody"), ("password", "x")]).await;
    let b = c.form("/login", &[("username", "jb.tech01"), ("password", "x")]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.status, b.status);
    assert!(a.body.contains("用户名或密码错误") && b.body.contains("用户名或密码错误"));
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_and_the_lock_is_audited() {
    for t in TestApp::all().await {
        let before = t.audit_head().await;
        let mut c = t.client();
        for n in 1..=4 {
            let r = c.form("/login", &[("username", "jb.op01"), ("password", "Wrong#Pass1")]).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {n}");
        }
        let r = c.form("/login", &[("username", "jb.op01"), ("password", "Wrong#Pass1")]).await;
        assert_eq!(r.status, StatusCode::LOCKED);
        assert!(r.body.contains("账户已锁定"), "{}", r.body);
        // The right password does not open a locked account.
        let r = c.form("/login", &[("username", "jb.op01"), ("password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::LOCKED);
        let actions = t.actions_after(before).await;
        assert_eq!(actions.iter().filter(|a| *a == "auth.lockout").count(), 1, "{actions:?}");
        assert_eq!(actions.iter().filter(|a| *a == "auth.login").count(), 6);
        // The lock expires by itself (15 minutes by default).
        t.advance(chrono::Duration::minutes(16));
        let r = c.form("/login", &[("username", "jb.op01"), ("password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", t.db.engine);
    }
}

#[tokio::test]
async fn weak_password_is_refused_naming_each_rule_and_nothing_changes() {
    for t in TestApp::all().await {
        let mut c = t.login("jb.tech01").await;
        let r = c
            .form("/password", &[("current_password", PASSWORD), ("new_password", "abc"), ("confirm_password", "abc")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("密码长度至少 8 位"), "{}", r.body);
        assert!(r.body.contains("密码须包含大写字母"));
        assert!(r.body.contains("密码须包含特殊字符"));
        let r = c
            .json(
                Method::POST,
                "/api/v1/me/password",
                json!({ "current_password": PASSWORD, "new_password": "Password@1" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["fields"][0]["code"], "err-password-common");
        // Nothing changed: the old password still works.
        t.advance(chrono::Duration::seconds(30));
        let _ = t.login("jb.tech01").await;
        // A good password is accepted, and reusing the old one later is refused.
        let r = c
            .form(
                "/password",
                &[
                    ("current_password", PASSWORD),
                    ("new_password", "Fresh#Start2026"),
                    ("confirm_password", "Fresh#Start2026"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        c.refresh_csrf().await;
        let r = c
            .form(
                "/password",
                &[("current_password", "Fresh#Start2026"), ("new_password", PASSWORD), ("confirm_password", PASSWORD)],
            )
            .await;
        assert!(r.body.contains("不得与最近 5 次使用过的密码相同"), "{:?}", t.db.engine);
    }
}

#[tokio::test]
async fn administrators_must_enrol_totp_and_codes_are_single_use() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let mut c = t.client();
    let r = c.form("/login", &[("username", "jb.secadmin"), ("password", PASSWORD)]).await;
    assert_eq!(r.location(), "/login/totp-enrol");
    // Nothing else is reachable before the second factor.
    let r = c.get("/users").await;
    assert_eq!((r.status, r.location().as_str()), (StatusCode::SEE_OTHER, "/login/totp-enrol"));
    let r = c.json(Method::GET, "/api/v1/me", json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    drop(c);
    // Enrol, then log in once more with a fresh code (the harness answers the TOTP step).
    drop(t.login("jb.secadmin").await);
    drop(t.login("jb.secadmin").await);
    let secret = t.totp_secret("jb.secadmin");
    let used = parkops_app::secret::totp_code(&secret, t.unix_seconds()).expect("code");
    // The same code again, within its 30-second step: refused as already used.
    let mut c = t.client();
    c.form("/login", &[("username", "jb.secadmin"), ("password", PASSWORD)]).await;
    let page = c.get("/login/totp").await;
    c.csrf = page.between("name=\"csrf\" value=\"", "\"").to_owned();
    let replay = c.form("/login/totp", &[("code", &used)]).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert!(replay.body.contains("动态口令不正确或已使用过"));
    let wrong = c.form("/login/totp", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    // The next step's code is accepted.
    t.advance(chrono::Duration::seconds(30));
    let next = parkops_app::secret::totp_code(&secret, t.unix_seconds()).expect("code");
    let ok = c.form("/login/totp", &[("code", &next)]).await;
    assert_eq!((ok.status, ok.location().as_str()), (StatusCode::SEE_OTHER, "/dashboard"));
}

#[tokio::test]
async fn sessions_end_on_logout_and_when_idle() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let mut c = t.login("jb.op02").await;
    let cookie = c.cookie.clone();
    assert_eq!(c.get("/dashboard").await.status, StatusCode::OK);
    let r = c.form("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Replaying the old cookie after logout is refused.
    c.cookie = cookie;
    assert_eq!(c.get("/dashboard").await.location(), "/login");
    // Idle timeout (15 minutes by default).
    let mut c = t.login("jb.op03").await;
    t.advance(chrono::Duration::minutes(16));
    assert_eq!(c.get("/dashboard").await.location(), "/login");
}

#[tokio::test]
async fn state_changes_need_the_csrf_token_and_same_origin() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let mut c = t.login("jb.sysadmin").await;
    let before = t.audit_head().await;
    // Form without the token.
    let r = c.raw_form("/orgs", "org_type=enterprise&code=X1&name=x".into()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // API call with the session but without the header.
    let token = std::mem::take(&mut c.csrf);
    let r = c.json(Method::POST, "/api/v1/orgs", json!({ "org_type": "enterprise", "code": "X2", "name": "x" })).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    c.csrf = token;
    // Nothing was created; the refusal via the guard was recorded.
    let actions = t.actions_after(before).await;
    assert!(!actions.iter().any(|a| a == "org.create"));
    assert!(actions.iter().any(|a| a == "access.denied"));
}

#[tokio::test]
async fn eleventh_login_attempt_in_a_minute_from_one_address_is_throttled() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let mut c = t.client();
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(c.form("/login", &[("username", "nobody"), ("password", "x")]).await.status);
    }
    assert!(statuses[..10].iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_initial_password_must_be_changed_at_first_login() {
    for t in TestApp::all().await {
        let mut admin = t.login("jb.sysadmin").await;
        let org = t.app.store.user_by_username("jb.tech01").await.expect("read").expect("user").org_id;
        let r = admin
            .json(
                Method::POST,
                "/api/v1/users",
                json!({ "org_id": org.to_string(), "username": "jb.newtech", "display_name": "新技术员", "posts": ["technician"] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let initial = r.json()["initial_password"].as_str().expect("password").to_owned();
        let mut c = t.client();
        let r = c.form("/login", &[("username", "jb.newtech"), ("password", &initial)]).await;
        assert_eq!(r.location(), "/password", "{:?}", t.db.engine);
        // Only the password change is open until it is done.
        assert_eq!(c.get("/dashboard").await.location(), "/password");
        let page = c.get("/password").await;
        assert!(page.body.contains("请先修改密码"));
        c.csrf = page.between("name=\"csrf\" value=\"", "\"").to_owned();
        let r = c
            .form(
                "/password",
                &[
                    ("current_password", &initial),
                    ("new_password", "Tech#Start2026"),
                    ("confirm_password", "Tech#Start2026"),
                ],
            )
            .await;
        assert_eq!(r.location(), "/dashboard?ok=password_changed");
        assert_eq!(c.get("/dashboard").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_password_older_than_the_policy_allows_must_be_changed() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    t.advance(chrono::Duration::days(91));
    let mut c = t.client();
    let r = c.form("/login", &[("username", "jb.op05"), ("password", PASSWORD)]).await;
    assert_eq!(r.location(), "/password");
    let r = c.json(Method::GET, "/api/v1/me", json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the API is closed until the change too");
}
