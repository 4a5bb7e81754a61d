//! The role × route matrix (G8): every route of the registry is called by a user of every
//! post and the outcome is compared with the expected table in `access.tsv`. A route missing
//! from the table, or a table row for a route that no longer exists, fails the test.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::http::StatusCode;
use parkops_domain::access::Post;
use parkops_web::registry::{Kind, ROUTES, RouteId};

use crate::support::{Client, TestApp};

/// One demo user per post, and another member of the same organisation to act upon.
const USERS: [(Post, &str, &str); 9] = [
    (Post::Manager, "jb.manager", "jb.tech02"),
    (Post::Technician, "jb.tech01", "jb.tech03"),
    (Post::Operator, "jb.op01", "jb.op04"),
    (Post::Supervisor, "jb.sup01", "jb.sup02"),
    (Post::SupplierEngineer, "jb.vendor01", "jb.vendor02"),
    (Post::Reporter, "jb.ent01", "jb.ent02"),
    (Post::SystemAdmin, "jb.sysadmin", "jb.unit02"),
    (Post::SecurityAdmin, "jb.secadmin", "jb.unit03"),
    (Post::AuditAdmin, "jb.auditor", "jb.unit04"),
];

/// Routes that end the caller's own session are called last.
fn ends_session(id: RouteId) -> bool {
    matches!(id, RouteId::Logout | RouteId::ApiLogout)
}

fn is_login_class(id: RouteId) -> bool {
    parkops_web::registry::spec(id).rate == parkops_web::registry::RateClass::Login
}

/// Objects the routes act on: the caller's organisation, another user, and a ticket with an
/// attachment reported by jb.ent01 (so the reporter, the park's staff and a supplier who is
/// not assigned each meet it as they really would).
struct Objects<'a> {
    own_org: &'a str,
    victim: &'a str,
    ticket: &'a str,
    attachment: &'a str,
}

async fn call(t: &TestApp, c: &mut Client, id: RouteId, o: &Objects<'_>) -> StatusCode {
    let spec = parkops_web::registry::spec(id);
    let path = spec
        .path
        .replace(
            "{id}",
            if spec.path.contains("/orgs/") {
                o.own_org
            } else if spec.path.contains("/tokens/") {
                "0190f0f0-0000-7000-8000-000000000000"
            } else if spec.path.contains("/attachments/{id}") {
                o.attachment
            } else if spec.path.contains("/tickets/") {
                o.ticket
            } else {
                o.victim
            },
        )
        .replace("{post}", "technician")
        .replace("{year}", "2027")
        .replace("{line}", "l1");
    if is_login_class(id) {
        // Stay inside the login budget of 10 per minute per address.
        t.advance(chrono::Duration::seconds(7));
    }
    // Calibration register (R-9.1.1d): with its exports there are more export routes than the
    // export budget of 10 per minute per address allows one user's round; stay inside it.
    if parkops_web::registry::spec(id).rate == parkops_web::registry::RateClass::Export {
        t.advance(chrono::Duration::seconds(7));
    }
    let method = parkops_web::http_method(spec.method);
    let r = match (spec.kind, spec.method) {
        (_, parkops_web::registry::Method::Get) => c.get(&path).await,
        // Uploads go as the browser sends them, so the use case decides who may attach.
        (_, parkops_web::registry::Method::Post) if path.ends_with("/attachments") => {
            c.multipart(&path, "matrix.txt", "text/plain", b"matrix").await
        }
        (Kind::Api, _) => c.json(method, &path, serde_json::json!({})).await,
        _ => c.form(&path, &[]).await,
    };
    r.status
}

/// `-` for a refusal (403); `u` for "not logged in", which a logged-in user should never see
/// (except from a public route, where 401 is the route's own answer, e.g. a wrong password).
fn verdict(id: RouteId, status: StatusCode) -> char {
    let public = parkops_web::registry::spec(id).access == parkops_web::registry::Access::Public;
    match status {
        StatusCode::FORBIDDEN => '-',
        StatusCode::UNAUTHORIZED if !public => 'u',
        _ => '+',
    }
}

#[tokio::test]
async fn every_role_and_route_matches_the_expected_table() {
    for t in TestApp::all().await {
        let ticket = t.open_ticket("jb.ent01", "fatal").await;
        let reporter = t.caller("jb.ent01").await;
        let attachment =
            t.app.attach_to_ticket(&reporter, ticket.id, "现场照片.txt", "text/plain", b"photo").await.expect("attach");
        let (ticket, attachment) = (ticket.id.to_string(), attachment.id.to_string());
        let mut actual: BTreeMap<String, String> =
            ROUTES.iter().map(|r| (format!("{:?}", r.id), String::new())).collect();
        for (post, username, victim_name) in USERS {
            let mut c = t.login(username).await;
            let me = t.app.store.user_by_username(username).await.expect("read").expect("user");
            let victim = t.app.store.user_by_username(victim_name).await.expect("read").expect("victim");
            assert_eq!(me.posts.iter().next(), Some(&post));
            let own_org = me.org_id.to_string();
            let victim_id = victim.id.to_string();
            let mut order: Vec<_> = ROUTES.iter().map(|r| r.id).collect();
            order.sort_by_key(|id| {
                (ends_session(*id), parkops_web::registry::spec(*id).method != parkops_web::registry::Method::Get)
            });
            for id in order {
                let objects =
                    Objects { own_org: &own_org, victim: &victim_id, ticket: &ticket, attachment: &attachment };
                let status = call(&t, &mut c, id, &objects).await;
                actual.get_mut(&format!("{id:?}")).expect("route").push(verdict(id, status));
                // A route that ended the session (or changed the account) is followed by a fresh login.
                if c.get("/api/v1/me").await.status != StatusCode::OK {
                    t.advance(chrono::Duration::seconds(7));
                    c = t.login(username).await;
                }
            }
        }
        let expected = parse(include_str!("access.tsv"));
        let mut report = String::new();
        for (route, got) in &actual {
            match expected.get(route) {
                None => writeln!(report, "{route}: not in access.tsv (actual {got})").expect("write"),
                Some(want) if want != got => writeln!(report, "{route}: expected {want}, got {got}").expect("write"),
                Some(_) => {}
            }
        }
        for route in expected.keys().filter(|r| !actual.contains_key(*r)) {
            writeln!(report, "{route}: in access.tsv but not a route").expect("write");
        }
        let mut table = String::new();
        for (route, got) in &actual {
            writeln!(table, "{route}\t{got}").expect("write");
        }
        assert!(report.is_empty(), "engine {:?}\n{report}\nactual table:\n{table}", t.db.engine);
    }
}

/// `route<TAB>verdicts`, one verdict per post in the order of `USERS`: `+` allowed, `-` refused (403).
fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t').map(|(r, v)| (r.trim().to_owned(), v.trim().to_owned())))
        .collect()
}

#[tokio::test]
async fn a_supplier_cannot_read_another_suppliers_people() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let mut c = t.login("jb.vendor01").await;
    let other = t.app.store.user_by_username("jb.vendor03").await.expect("read").expect("user");
    let own = t.app.store.user_by_username("jb.vendor02").await.expect("read").expect("user");
    assert_eq!(c.get(&format!("/api/v1/users/{}", other.id)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.get(&format!("/api/v1/users/{}", own.id)).await.status, StatusCode::OK);
    let list = c.get("/api/v1/users?per_page=200").await.json();
    assert_eq!(list["total"], 2, "only the two engineers of the same supplier");
}
