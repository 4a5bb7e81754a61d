//! Inspections, maintenance and calibration by plan through the pages and the API, on SQLite
//! and PostgreSQL (issue #4 "Done when", R-9.1.1a, R-8.1.2d): a monthly camera plan produces
//! its tasks on the right days under a controlled clock; an out-of-range result opens a
//! ticket linked to the CI; a correction keeps the original visible with its reason and the
//! original row cannot be rewritten; an overdue task is notified once and escalated once.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use parkops_app::asset::{AssetInput, LocationInput};
use parkops_app::ports::PageRequest;
use parkops_app::ports::asset::AssetRecord;
use parkops_app::ports::schedule::TaskFilter;
use parkops_domain::schedule::PlanId;
use serde_json::{Value, json};

use crate::support::{Client, Reply, TestApp};

/// A zone of its own with `n` cameras in service, maintained by the video supplier.
async fn cameras(t: &TestApp, zone: &str, n: usize) -> (String, Vec<AssetRecord>) {
    let m = t.caller("jb.manager").await;
    let loc = LocationInput {
        level: "zone".into(),
        code: zone.into(),
        name: format!("{zone} 巡检测试区"),
        ..LocationInput::default()
    };
    let zone_rec = t.app.assets().put_location(&m, loc).await.expect("zone");
    let mut out = Vec::new();
    for k in 1..=n {
        let input = AssetInput {
            code: format!("{zone}-CAM-{k:03}"),
            name: format!("测试区摄像机 {k}"),
            class: "camera".into(),
            state: "in_service".into(),
            location: zone.into(),
            maintainer: "华瞳视频技术有限公司".into(),
            attributes: [("camera_type".to_owned(), "枪机".to_owned())].into(),
            ..AssetInput::default()
        };
        out.push(t.app.assets().create(&m, input).await.expect("camera"));
    }
    (zone_rec.id.to_string(), out)
}

/// Pauses every plan the park has before the test adds its own (a demo may ship plans), so
/// counts of generated, overdue and escalated tasks are the test's alone.
async fn quiet_other_plans(t: &TestApp) {
    let m = t.caller("jb.manager").await;
    for p in t.app.schedule_plans(&m).await.expect("plans") {
        if !p.paused {
            t.app.set_plan_paused(&m, p.id, true, "test").await.expect("pause");
        }
    }
}

async fn user_id(t: &TestApp, username: &str) -> String {
    t.app.store.user_by_username(username).await.expect("read").expect("user").id.to_string()
}

/// A multipart form as a phone's browser sends it: text fields, then files.
async fn multipart(c: &mut Client, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> Reply {
    let boundary = "----parkops-inspection-boundary";
    let mut body = Vec::new();
    let csrf = c.csrf.clone();
    for (k, v) in std::iter::once(("csrf", csrf.as_str())).chain(fields.iter().copied()) {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    for (field, name, ct, data) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::COOKIE, format!("parkops_session={}", c.cookie))
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .expect("request");
    c.send(req).await
}

/// The camera plan of a zone through the API: monthly from `anchor`, three days ahead,
/// two days' grace, escalated three days after.
async fn camera_plan(c: &mut Client, zone: &str, anchor: &str, assignee: &str) -> Value {
    let body = json!({
        "kind": "inspection", "name": "测试区摄像机月度巡检", "standard_code": "camera_monthly", "zone": zone,
        "anchor": anchor, "every_unit": "month", "every_count": 1, "lead_days": 3, "grace_days": 2,
        "escalate_after_days": 3, "assignee_user": assignee,
    });
    let r = c.json(Method::POST, "/api/v1/inspection/plans", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()
}

async fn due_dates(t: &TestApp, plan: &str) -> Vec<String> {
    let filter = TaskFilter { plan_id: Some(PlanId::parse(plan).expect("id")), ..TaskFilter::default() };
    let tasks = t.app.store.tasks(&filter, PageRequest { page: 1, per_page: 200 }).await.expect("tasks").items;
    tasks.iter().map(|x| x.due_date.to_string()).collect()
}

fn days(n: i64) -> chrono::Duration {
    chrono::Duration::days(n)
}

#[tokio::test]
async fn a_monthly_camera_plan_produces_its_tasks_on_the_right_days() {
    for t in TestApp::all().await {
        // The clock stands at 2026-01-01 08:00 in Beijing.
        quiet_other_plans(&t).await;
        let mut m = t.login("jb.manager").await;
        let r = m.form("/inspection/standards/defaults", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(m.get(&r.location()).await.body.contains("摄像机月度巡检"));
        let (zone, cams) = cameras(&t, "ZM", 3).await;
        let tech = user_id(&t, "jb.tech01").await;
        // On the 31st, monthly: the page form, as a manager fills it in.
        let r = m
            .form(
                "/inspection/plans",
                &[
                    ("kind", "inspection"),
                    ("name", "测试区摄像机月度巡检"),
                    ("standard_code", "camera_monthly"),
                    ("zone", &zone),
                    ("anchor", "2026-01-31"),
                    ("every_unit", "month"),
                    ("every_count", "1"),
                    ("lead_days", "3"),
                    ("grace_days", "2"),
                    ("escalate_after_days", "3"),
                    ("assignee_user", &tech),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let plan = r.location().trim_start_matches("/inspection/plans/").split('?').next().expect("id").to_owned();
        // On the 1st of each month, on the working calendar: 1–3 January are holidays, 4 January
        // the make-up Sunday; 1 February is a Sunday.
        let body = json!({
            "kind": "inspection", "name": "工作日月检", "standard_code": "camera_monthly",
            "assets": [cams[0].code.clone()], "anchor": "2026-01-01", "every_unit": "month", "every_count": 1,
            "on_working_days": true,
        });
        let r = m.json(Method::POST, "/api/v1/inspection/plans", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let working = r.json()["id"].as_str().expect("id").to_owned();

        let r = m.form("/inspection/generate", &[]).await;
        assert_eq!(r.location(), "/inspection/tasks?ok=generated&n=0", "nothing is due yet ({:?})", t.db.engine);
        t.advance(days(3));
        assert_eq!(t.app.run_schedules().await.expect("job").0.created, 1);
        assert_eq!(due_dates(&t, &working).await, ["2026-01-04"]);
        // 28 January: the task due on the 31st appears, three days ahead, for each camera.
        t.advance(days(24));
        // Sessions end after 12 hours: a new working day, a new login.
        let mut m = t.login("jb.manager").await;
        let r = m.form("/inspection/generate", &[]).await;
        assert_eq!(r.location(), "/inspection/tasks?ok=generated&n=3");
        assert!(m.get(&r.location()).await.body.contains("已生成 3 项到期任务"));
        let r = m.form("/inspection/generate", &[]).await;
        assert_eq!(r.location(), "/inspection/tasks?ok=generated&n=0", "generating again creates nothing");
        // February has no 31st; the job catches up the working-day plan's 2 February.
        t.advance(days(28));
        assert_eq!(t.app.run_schedules().await.expect("job").0.created, 4);
        let mut m = t.login("jb.manager").await;
        // The API lists them by due date; the calendar shows February's on the 28th.
        let r = m.get(&format!("/api/v1/inspection/tasks?plan={plan}&from=2026-02-01&until=2026-02-28")).await;
        let list = r.json();
        assert_eq!(list["total"], 3, "{}", r.body);
        assert_eq!(list["items"][0]["due_date"], "2026-02-28");
        assert_eq!(list["items"][0]["plan_name"], "测试区摄像机月度巡检");
        let cal = m.get(&format!("/inspection/calendar?month=2026-02&plan={plan}")).await;
        assert_eq!(cal.status, StatusCode::OK);
        assert!(cal.body.contains("from=2026-02-28"), "a chip on the 28th");
        let api = m.get(&format!("/api/v1/inspection/calendar?month=2026-02&plan={plan}")).await.json();
        assert_eq!(api["days"][0]["date"], "2026-02-28");
        assert_eq!(api["days"][0]["total"], 3);
        t.advance(days(31));
        t.app.run_schedules().await.expect("job");
        t.advance(days(30));
        t.app.run_schedules().await.expect("job");
        let mut got = due_dates(&t, &plan).await;
        got.dedup();
        assert_eq!(got, ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]);
        assert_eq!(due_dates(&t, &plan).await.len(), 12, "three cameras each time");
        assert_eq!(due_dates(&t, &working).await[..2], ["2026-01-04", "2026-02-02"]);
        assert_eq!(t.app.run_schedules().await.expect("job").0.created, 0);
        // The plan's next dates, from 27 April (through the use case: by now the demo password
        // is older than the policy allows, and a login would first ask for a new one).
        let plan_id = PlanId::parse(&plan).expect("id");
        let detail = t.app.schedule_plan(&t.caller("jb.manager").await, plan_id).await.expect("plan");
        let next: Vec<String> = detail.next_dates.iter().take(3).map(ToString::to_string).collect();
        assert_eq!(next, ["2026-04-30", "2026-05-31", "2026-06-30"]);
    }
}

fn camera_values(retention: &str) -> Vec<(String, String)> {
    [
        ("online", "yes"),
        ("image_clear", "yes"),
        ("time_offset", "2"),
        ("housing", "yes"),
        ("lens", "清洁"),
        ("retention_days", retention),
        ("mounting", "yes"),
        ("remark", "立杆轻微锈蚀"),
    ]
    .iter()
    .map(|(k, v)| (format!("value.{k}"), (*v).to_owned()))
    .collect()
}

/// Two cameras, the default standards and a plan whose tasks are due on 3 January, for jb.tech01.
async fn two_tasks(t: &TestApp, zone: &str) -> (Client, Vec<Value>) {
    quiet_other_plans(t).await;
    let mut m = t.login("jb.manager").await;
    m.json(Method::POST, "/api/v1/inspection/standards/defaults", json!({})).await;
    let (zone, _) = cameras(t, zone, 2).await;
    let plan = camera_plan(&mut m, &zone, "2026-01-03", &user_id(t, "jb.tech01").await).await;
    let r = m.json(Method::POST, "/api/v1/inspection/generate", json!({})).await;
    assert_eq!(r.json()["created"], 2, "{}", r.body);
    let list = m.get(&format!("/api/v1/inspection/tasks?plan={}", plan["id"].as_str().expect("id"))).await.json();
    (m, list["items"].as_array().expect("items").clone())
}

#[tokio::test]
async fn an_out_of_range_result_opens_a_ticket_linked_to_the_ci() {
    for t in TestApp::all().await {
        let (_, tasks) = two_tasks(&t, "ZR").await;
        let mut tech = t.login("jb.tech01").await;
        let mine = tech.get("/inspection/tasks?assignee=me&status=pending").await;
        assert!(mine.body.contains("ZR-CAM-001") && mine.body.contains("ZR-CAM-002"), "{:?}", t.db.engine);
        let task = tasks[0]["id"].as_str().expect("id");
        let asset = tasks[0]["asset"]["id"].as_str().expect("asset");
        // The phone form: one card per item, the range shown, decimal keyboard, camera capture.
        let form = tech.get(&format!("/inspection/tasks/{task}")).await;
        assert!(form.body.contains("capture=\"environment\"") && form.body.contains("accept=\"image/*\""));
        assert!(form.body.contains("inputmode=\"decimal\"") && form.body.contains("≥ 30 天"));
        assert_eq!(form.body.matches("class=\"card item-card").count(), 8);
        // A required photo missing: refused, naming the item, nothing written.
        let head = t.audit_head().await;
        let values = camera_values("20");
        let fields: Vec<(&str, &str)> = values.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = multipart(&mut tech, &format!("/inspection/tasks/{task}/result"), &fields, &[]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("需要拍照"), "{}", r.body);
        assert!(r.body.contains("value=\"20\""), "entered values are kept");
        assert_eq!(t.audit_head().await, head, "nothing written");
        // With the photo: 20 days of recordings is below 30 — a ticket on the desk for the CI.
        let photo: &[u8] = b"\xff\xd8\xff\xe0 camera frame";
        let r = multipart(
            &mut tech,
            &format!("/inspection/tasks/{task}/result"),
            &fields,
            &[("photo.image_clear", "IMG_0001.jpg", "image/jpeg", photo)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location().ends_with("?ok=result_ticket"), "{}", r.location());
        let actions = t.actions_after(head).await;
        assert_eq!(actions, ["ticket.open", "inspection.record"]);
        let page = tech.get(&r.location()).await;
        assert!(page.body.contains("已自动在服务台创建工单") && page.body.contains("低于下限"));
        let result = tech
            .get(
                &r.location()
                    .replace("/inspection/results/", "/api/v1/inspection/results/")
                    .replace("?ok=result_ticket", ""),
            )
            .await
            .json();
        let ticket_id = result["ticket_id"].as_str().expect("ticket");
        let ticket =
            t.app.store.ticket(uuid::Uuid::parse_str(ticket_id).expect("uuid")).await.expect("read").expect("ticket");
        assert_eq!(ticket.asset_id.map(|a| a.to_string()).as_deref(), Some(asset), "linked to the CI");
        assert!(ticket.title.contains("ZR-CAM-001"), "{}", ticket.title);
        assert!(
            ticket.description.contains("录像保存天数：20（≥ 30 天）")
                || ticket.description.contains("录像保存天数：20（30 ~ ∞ 天）"),
            "{}",
            ticket.description
        );
        let m = t.caller("jb.manager").await;
        assert!(t.app.ticket_detail(&m, ticket.id).await.is_ok(), "on the desk");
        // The CI's page lists the task and the ticket it opened.
        let ci = tech.get(&format!("/assets/{asset}")).await;
        assert!(ci.body.contains(&format!("/inspection/tasks/{task}")), "task on the CI page");
        assert!(ci.body.contains(&format!("/desk/tickets/{ticket_id}")), "ticket on the CI page");
        // The photo is kept with its SHA-256 and served back.
        let photo_id =
            result["items"].as_array().expect("items").iter().find_map(|i| i["photo_id"].as_str()).expect("photo");
        let (status, _, bytes) = tech.bytes(&format!("/inspection/photos/{photo_id}")).await;
        assert_eq!((status, bytes.as_slice()), (StatusCode::OK, photo));
        // The task is done; recording again is refused.
        let again =
            tech.json(Method::POST, &format!("/api/v1/inspection/tasks/{task}/results"), json!({ "items": [] })).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
        // The other camera through the API, in range: no ticket.
        let other = tasks[1]["id"].as_str().expect("id");
        let items: Vec<Value> = camera_values("45")
            .into_iter()
            .map(|(k, v)| json!({ "code": k.trim_start_matches("value."), "value": v }))
            .chain(std::iter::once(json!({ "code": "image_clear", "photo": { "name": "a.jpg", "content_type": "image/jpeg", "data_base64": "/9j/4AAQ" } })))
            .collect();
        let r = tech
            .json(Method::POST, &format!("/api/v1/inspection/tasks/{other}/results"), json!({ "items": items }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let v = r.json();
        assert_eq!((v["result"]["passed"].as_bool(), v["ticket"].is_null()), (Some(true), true));
    }
}

#[tokio::test]
async fn a_correction_keeps_the_original_visible_with_its_reason() {
    for t in TestApp::all().await {
        let (_, tasks) = two_tasks(&t, "ZC").await;
        let mut tech = t.login("jb.tech01").await;
        let task = tasks[0]["id"].as_str().expect("id");
        let items: Vec<Value> = camera_values("40")
            .into_iter()
            .map(|(k, v)| json!({ "code": k.trim_start_matches("value."), "value": v }))
            .chain(std::iter::once(json!({ "code": "image_clear", "photo": { "name": "a.jpg", "content_type": "image/jpeg", "data_base64": "/9j/4AAQ" } })))
            .collect();
        let r = tech
            .json(Method::POST, &format!("/api/v1/inspection/tasks/{task}/results"), json!({ "items": items }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let original = r.json()["result"].clone();
        let original_id = original["id"].as_str().expect("id").to_owned();
        // Without a reason: refused, nothing written.
        let head = t.audit_head().await;
        let path = format!("/inspection/results/{original_id}/correct");
        let r = multipart(&mut tech, &path, &[("value.time_offset", "8")], &[]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body.contains("必填，不超过 500 个字符"));
        assert_eq!(t.audit_head().await, head);
        // The clock was misread: 8 seconds, out of range — a new version, and a ticket.
        let reason = "误读：画面时间与平台相差 8 秒";
        let r = multipart(&mut tech, &path, &[("reason", reason), ("value.time_offset", "8")], &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = tech.get(&r.location()).await;
        assert!(page.body.contains("原始记录") && page.body.contains("更正 v2"), "both versions shown");
        assert!(page.body.contains(reason), "with the reason");
        assert!(page.body.contains("2 秒") && page.body.contains("8 秒"), "the original value stays visible");
        assert!(page.body.contains("已被更正"));
        assert_eq!(t.actions_after(head).await, ["ticket.open", "inspection.correct"]);
        // The original record through the API, unchanged; the task's versions name it.
        let now = tech.get(&format!("/api/v1/inspection/results/{original_id}")).await.json();
        assert_eq!(now["items"], original["items"]);
        assert_eq!(now["versions"][1]["corrects"], original_id.as_str());
        assert_eq!(now["versions"][1]["reason"], reason);
        // Correcting the original again is refused: only the current version is corrected.
        let stale = tech
            .json(
                Method::POST,
                &format!("/api/v1/inspection/results/{original_id}/corrections"),
                json!({ "items": [], "reason": "再改" }),
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        // Behind the application's back the database refuses to rewrite the original row.
        let url = parkops_store::DatabaseUrl::resolve(Some(&t.db.url), std::path::Path::new(".")).expect("url");
        let db = parkops_store::Db::connect(&url).await.expect("connect");
        for sql in [
            format!("UPDATE inspection_result SET reason = 'tampered' WHERE id = '{original_id}'"),
            format!("UPDATE inspection_result_item SET value = '2' WHERE result_id = '{original_id}'"),
            format!("DELETE FROM inspection_result_item WHERE result_id = '{original_id}'"),
        ] {
            let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(db.pool()).await;
            assert!(r.is_err(), "{:?}: {sql}", t.db.engine);
        }
        let after = tech.get(&format!("/api/v1/inspection/results/{original_id}")).await.json();
        assert_eq!(after["items"], original["items"]);
        assert_eq!(after["reason"], "");
    }
}

#[tokio::test]
async fn an_overdue_task_is_notified_once_and_escalated_once() {
    for t in TestApp::all().await {
        let (_, tasks) = two_tasks(&t, "ZO").await;
        let tech = t.app.store.user_by_username("jb.tech01").await.expect("read").expect("user");
        let manager = t.app.store.user_by_username("jb.manager").await.expect("read").expect("user");
        let notices = |u: parkops_domain::id::UserId, event: &'static str| {
            let store = t.app.store.clone();
            async move { store.notifications(u, 500).await.expect("read").into_iter().filter(|n| n.event == event).count() }
        };
        // One task is done in time; the other is not.
        let mut c = t.login("jb.tech01").await;
        let done = tasks[1]["id"].as_str().expect("id");
        let items: Vec<Value> = camera_values("40")
            .into_iter()
            .map(|(k, v)| json!({ "code": k.trim_start_matches("value."), "value": v }))
            .chain(std::iter::once(json!({ "code": "image_clear", "photo": { "name": "a.jpg", "content_type": "image/jpeg", "data_base64": "/9j/4AAQ" } })))
            .collect();
        let r =
            c.json(Method::POST, &format!("/api/v1/inspection/tasks/{done}/results"), json!({ "items": items })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        // Due 3 January, two days' grace: overdue from 6 January 00:00.
        t.advance(chrono::Duration::days(4));
        assert_eq!(t.app.run_schedules().await.expect("job").1.overdue, 0, "still in grace");
        t.advance(chrono::Duration::days(1));
        let head = t.audit_head().await;
        let w = t.app.run_schedules().await.expect("job").1;
        assert_eq!((w.overdue, w.escalated), (1, 0), "{:?}", t.db.engine);
        let task_actions: Vec<String> =
            t.actions_after(head).await.into_iter().filter(|a| a.starts_with("task.")).collect();
        assert_eq!(task_actions, ["task.overdue"]);
        assert_eq!(notices(tech.id, "task_overdue").await, 1);
        let again = t.app.run_schedules().await.expect("job").1;
        assert_eq!((again.overdue, again.escalated), (0, 0));
        assert_eq!(notices(tech.id, "task_overdue").await, 1, "notified once");
        let mut c = t.login("jb.tech01").await;
        let inbox = c.get("/inbox").await;
        assert!(inbox.body.contains("任务逾期"));
        let late = tasks[0]["id"].as_str().expect("id");
        let page = c.get(&format!("/inspection/tasks/{late}")).await;
        assert!(page.body.contains("已逾期"));
        // Three days overdue: escalated to the plan's manager side, once.
        t.advance(chrono::Duration::days(3));
        let w = t.app.run_schedules().await.expect("job").1;
        assert_eq!((w.overdue, w.escalated), (0, 1));
        assert_eq!(notices(manager.id, "task_escalated").await, 1);
        t.advance(chrono::Duration::days(10));
        let w = t.app.run_schedules().await.expect("job").1;
        assert_eq!((w.overdue, w.escalated), (0, 0), "never twice");
        assert_eq!(notices(manager.id, "task_escalated").await, 1);
        let mut c = t.login("jb.tech01").await;
        let detail = c.get(&format!("/api/v1/inspection/tasks/{late}")).await.json();
        assert_eq!(detail["status"], "escalated");
        let kinds: Vec<&str> =
            detail["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds, ["overdue", "escalated"]);
        let on_time = c.get(&format!("/api/v1/inspection/tasks/{done}")).await.json();
        assert_eq!(on_time["status"], "done", "a task done in time is never marked");
        let overdue = c.get("/api/v1/inspection/tasks?status=escalated").await.json();
        assert_eq!(overdue["total"], 1);
    }
}

#[tokio::test]
async fn bad_plans_and_standards_are_refused_with_the_field_named() {
    for t in TestApp::all().await {
        let mut m = t.login("jb.manager").await;
        m.json(Method::POST, "/api/v1/inspection/standards/defaults", json!({})).await;
        let head = t.audit_head().await;
        let body = json!({
            "kind": "inspection", "name": "", "standard_code": "no_such", "anchor": "2026-02-30",
            "every_unit": "month", "every_count": 0, "lead_days": 400,
        });
        let r = m.json(Method::POST, "/api/v1/inspection/plans", body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        let fields: Vec<String> = r.json()["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["field"].as_str().unwrap_or("").to_owned())
            .collect();
        for f in ["name", "standard_code", "anchor", "every_count", "lead_days"] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        // The page re-renders the form with the messages beside the fields.
        let r = m
            .form(
                "/inspection/plans",
                &[
                    ("kind", "inspection"),
                    ("name", "x"),
                    ("anchor", "2026-01-05"),
                    ("every_unit", "week"),
                    ("every_count", "1"),
                    ("lead_days", "1"),
                    ("grace_days", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("请选择有效的巡检标准"), "{}", r.body);
        // A standard with a range upside down and a choice without options.
        let std = json!({
            "code": "lane_monthly", "class": "lane", "name": "车道月检",
            "items": [
                { "code": "barrier", "name": "道闸抬杆时间", "kind": "numeric", "unit": "秒", "min": "5", "max": 2 },
                { "code": "led", "name": "LED 显示", "kind": "choice", "options": ["正常"], "accepted": ["正常"] },
            ],
        });
        let r = m.json(Method::POST, "/api/v1/inspection/standards", std).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(r.body.contains("第 1 项：下限不能高于上限") && r.body.contains("第 2 项"), "{}", r.body);
        assert_eq!(t.audit_head().await, head, "nothing written");
        // Fixed, it is version 1; the same again is refused; a change is version 2.
        let ok = json!({
            "code": "lane_monthly", "class": "lane", "name": "车道月检",
            "items": [{ "code": "barrier", "name": "道闸抬杆时间", "kind": "numeric", "unit": "秒", "max": 2, "photo_required": true }],
        });
        let r = m.json(Method::POST, "/api/v1/inspection/standards", ok.clone()).await;
        assert_eq!((r.status, r.json()["version"].as_i64()), (StatusCode::CREATED, Some(1)), "{}", r.body);
        assert_eq!(m.json(Method::POST, "/api/v1/inspection/standards", ok).await.status, StatusCode::BAD_REQUEST);
        let changed = json!({
            "code": "lane_monthly", "class": "lane", "name": "车道月检", "change_note": "抬杆时间放宽",
            "items": [{ "code": "barrier", "name": "道闸抬杆时间", "kind": "numeric", "unit": "秒", "max": "3" }],
        });
        let r = m.json(Method::POST, "/api/v1/inspection/standards", changed).await;
        let v2 = r.json();
        assert_eq!(v2["version"], 2, "{}", r.body);
        let page = m.get(&format!("/inspection/standards/{}", v2["id"].as_str().expect("id"))).await;
        assert!(page.body.contains("v1") && page.body.contains("抬杆时间放宽") && page.body.contains("≤ 3 秒"));
        // Technicians read standards but keep none.
        let mut tech = t.login("jb.tech01").await;
        assert_eq!(tech.get("/inspection/standards").await.status, StatusCode::OK);
        assert_eq!(tech.get("/inspection/standards/new").await.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn every_page_renders_for_the_manager_and_on_the_standard_form() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let (mut m, tasks) = two_tasks(&t, "ZP").await;
    let plans = m.get("/api/v1/inspection/plans").await.json();
    let plan = plans["items"][0]["id"].as_str().expect("plan").to_owned();
    let standards = m.get("/api/v1/inspection/standards").await.json();
    let standard = standards["items"][0]["id"].as_str().expect("standard").to_owned();
    let task = tasks[0]["id"].as_str().expect("task");
    for path in [
        "/inspection/standards".to_owned(),
        "/inspection/standards/new".to_owned(),
        format!("/inspection/standards/{standard}"),
        format!("/inspection/standards/{standard}/edit"),
        "/inspection/plans".to_owned(),
        "/inspection/plans/new".to_owned(),
        format!("/inspection/plans/{plan}"),
        format!("/inspection/plans/{plan}/edit"),
        "/inspection/tasks".to_owned(),
        "/inspection/calendar".to_owned(),
        format!("/inspection/tasks/{task}"),
    ] {
        let r = m.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        assert!(r.body.contains("巡检与维护"), "{path}: the navigation group");
    }
    // The plan is paused and resumed, each audited.
    let head = t.audit_head().await;
    assert_eq!(
        m.form(&format!("/inspection/plans/{plan}/pause"), &[("note", "设备改造")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(m.form(&format!("/inspection/plans/{plan}/resume"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(t.actions_after(head).await, ["plan.pause", "plan.resume"]);
    // Reassigning a task tells the new assignee.
    let tech2 = user_id(&t, "jb.tech02").await;
    let r = m.form(&format!("/inspection/tasks/{task}/assign"), &[("assignee_user", &tech2)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let who = t.app.store.user_by_username("jb.tech02").await.expect("read").expect("user");
    let n = t.app.store.notifications(who.id, 10).await.expect("read");
    assert!(n.iter().any(|x| x.event == "task_assigned"));
}

/// Inspection pages on a desktop and a phone, for people to look at: run with
/// `PARKOPS_SCREENSHOTS=dir cargo test -p parkops-web --test it -- --ignored screenshots_of_the_inspection`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes screenshots for people to look at; needs PARKOPS_SCREENSHOTS=dir"]
async fn screenshots_of_the_inspection_pages() {
    use fantoccini::Locator;
    let dir = std::env::var("PARKOPS_SCREENSHOTS").expect("PARKOPS_SCREENSHOTS=dir names where to write");
    let Some((_driver, driver_port)) = crate::browser::start_driver() else { return };
    let (t, base) = crate::browser::serve().await;
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let m = t.caller("jb.manager").await;
    t.app.install_default_standards(&m).await.expect("defaults");
    let tech = t.caller("jb.tech01").await;
    let plan = |kind: &str, name: &str, standard: &str, class: &str, anchor: &str, unit: &str, n: &str| {
        parkops_app::schedule::PlanInput {
            kind: kind.into(),
            name: name.into(),
            standard_code: standard.into(),
            class: class.into(),
            anchor: anchor.into(),
            every_unit: unit.into(),
            every_count: n.into(),
            on_working_days: true,
            lead_days: "5".into(),
            grace_days: "0".into(),
            escalate_after_days: "2".into(),
            assignee_user: "jb.tech01".into(),
            owner: "jb.manager".into(),
            ..parkops_app::schedule::PlanInput::default()
        }
    };
    let cameras = t
        .app
        .save_plan(
            &m,
            None,
            plan("inspection", "公共区域摄像机月度巡检", "camera_monthly", "", "2026-01-05", "month", "1"),
        )
        .await
        .expect("plan");
    for p in [
        plan("inspection", "边缘网关月度检查", "edge_gateway_monthly", "", "2026-01-02", "month", "1"),
        plan("inspection", "CEMS 周巡检", "cems_weekly", "", "2026-01-02", "week", "1"),
        plan("inspection", "机房月度巡检", "machine_room_monthly", "", "2026-01-06", "month", "1"),
        plan("calibration", "气体探测器年度检定", "", "gas_detector", "2026-01-20", "month", "12"),
    ] {
        t.app.save_plan(&m, None, p).await.expect("plan");
    }
    t.app.generate_due_tasks(&m).await.expect("generate");
    // A few results: one in range, one out of range and then corrected.
    let q = parkops_app::schedule::TaskQuery { plan: cameras.id.to_string(), ..Default::default() };
    let tasks = t.app.schedule_tasks(&m, &q, PageRequest { page: 1, per_page: 5 }).await.expect("tasks").page.items;
    let values = |retention: &str, offset: &str| parkops_app::schedule::ResultInput {
        values: [
            ("online", "yes"),
            ("image_clear", "yes"),
            ("time_offset", offset),
            ("housing", "yes"),
            ("lens", "轻微污渍"),
            ("retention_days", retention),
            ("mounting", "yes"),
            ("remark", "立杆底部轻微锈蚀，已记录"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect(),
        photos: [(
            "image_clear".to_owned(),
            parkops_app::schedule::PhotoUpload {
                name: "frame.png".into(),
                content_type: "image/png".into(),
                // A 1×1 grey PNG.
                data: vec![
                    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1,
                    0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e, 0x9b, 0x55, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x08,
                    0xd7, 0x63, 0x68, 0, 0, 0, 0x82, 0, 0x81, 0x77, 0xcd, 0x72, 0xb6, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
                    0x44, 0xae, 0x42, 0x60, 0x82,
                ],
            },
        )]
        .into(),
        ..Default::default()
    };
    t.app.record_result(&tech, tasks[0].id, values("45", "1")).await.expect("pass");
    let failed = t.app.record_result(&tech, tasks[1].id, values("20", "2")).await.expect("fail").result;
    let correction = parkops_app::schedule::ResultInput {
        values: [("retention_days".to_owned(), "32".to_owned())].into(),
        reason: "NVR 最早录像日期看错一行，实际保存 32 天".into(),
        ..Default::default()
    };
    let corrected = t.app.correct_result(&tech, failed.id, correction).await.expect("correct").result;
    t.app.start_task(&tech, tasks[2].id).await.expect("start");
    // Four days on: the gateways and CEMS due on the 2nd are overdue, then escalated.
    t.advance(chrono::Duration::days(4));
    t.app.run_schedules().await.expect("job");
    let open_task = tasks[3].id;
    let b = crate::browser::browser(driver_port).await;
    b.goto(&format!("{base}/login")).await.expect("login page");
    b.find(Locator::Css("input[name=username]")).await.expect("u").send_keys("jb.manager").await.expect("type");
    b.find(Locator::Css("input[name=password]"))
        .await
        .expect("p")
        .send_keys(crate::support::PASSWORD)
        .await
        .expect("type");
    b.find(Locator::Css("button[type=submit]")).await.expect("b").click().await.expect("click");
    b.wait().for_element(Locator::Css("main h1")).await.expect("dashboard");
    let standards = t.app.inspection_standards(&m).await.expect("standards");
    let camera_std =
        standards.iter().find(|s| s.code == "camera_monthly").map(|s| s.id.to_string()).unwrap_or_default();
    let pages = [
        ("insp-tasks", "/inspection/tasks?status=pending".to_owned()),
        ("insp-tasks-overdue", "/inspection/tasks?status=overdue".to_owned()),
        ("insp-calendar", "/inspection/calendar?month=2026-01".to_owned()),
        ("insp-plans", "/inspection/plans".to_owned()),
        ("insp-plan", format!("/inspection/plans/{}", cameras.id)),
        ("insp-standards", "/inspection/standards".to_owned()),
        ("insp-standard", format!("/inspection/standards/{camera_std}")),
        ("insp-task", format!("/inspection/tasks/{open_task}")),
        ("insp-result", format!("/inspection/results/{}", corrected.id)),
    ];
    for (width, height, prefix) in [(1366, 900, ""), (390, 844, "phone-")] {
        b.set_window_size(width, height).await.expect("size");
        for (name, path) in &pages {
            b.goto(&format!("{base}{path}")).await.expect("page");
            std::fs::write(format!("{dir}/{prefix}{name}.png"), b.screenshot().await.expect("shot")).expect("write");
        }
    }
    // Long pages whole, in tall windows.
    for (width, height, prefix) in [(1366, 3000, ""), (390, 5200, "phone-")] {
        b.set_window_size(width, height).await.expect("tall");
        for (name, path) in [
            ("insp-task-full", format!("/inspection/tasks/{open_task}")),
            ("insp-result-full", format!("/inspection/results/{}", corrected.id)),
            ("insp-plan-new", "/inspection/plans/new".to_owned()),
            ("insp-standard-edit", format!("/inspection/standards/{camera_std}/edit")),
        ] {
            b.goto(&format!("{base}{path}")).await.expect("page");
            std::fs::write(format!("{dir}/{prefix}{name}.png"), b.screenshot().await.expect("shot")).expect("write");
        }
    }
    // The phone's form and correction, scrolled to where the inspector works.
    b.set_window_size(390, 844).await.expect("phone");
    for (name, path, anchor) in [
        ("phone-insp-form", format!("/inspection/tasks/{open_task}"), ".inspect-form"),
        ("phone-insp-form-items", format!("/inspection/tasks/{open_task}"), "#item-lens"),
        ("phone-insp-correction", format!("/inspection/results/{}", corrected.id), ".inspect-form"),
        ("phone-insp-versions", format!("/inspection/results/{}", corrected.id), ".version.original"),
    ] {
        b.goto(&format!("{base}{path}")).await.expect("page");
        let script = format!("document.querySelector('{anchor}').scrollIntoView()");
        b.execute(&script, vec![]).await.expect("scroll");
        std::fs::write(format!("{dir}/{name}.png"), b.screenshot().await.expect("shot")).expect("write");
    }
    // A refused submission on a phone: the card says what is missing.
    b.set_window_size(390, 2400).await.expect("phone");
    b.goto(&format!("{base}/inspection/tasks/{open_task}")).await.expect("task");
    b.find(Locator::Css("input[name='value.retention_days']"))
        .await
        .expect("retention")
        .send_keys("12")
        .await
        .expect("type");
    b.find(Locator::Css(".inspect-form .sticky-actions button")).await.expect("submit").click().await.expect("click");
    b.wait().for_element(Locator::Css(".item-card.bad")).await.expect("refused");
    b.set_window_size(390, 844).await.expect("phone");
    b.execute("document.querySelector('.item-card.bad').scrollIntoView()", vec![]).await.expect("scroll");
    std::fs::write(format!("{dir}/phone-insp-task-refused.png"), b.screenshot().await.expect("shot")).expect("write");
    b.close().await.expect("close");
}
