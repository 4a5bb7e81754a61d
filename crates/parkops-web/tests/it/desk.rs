//! The service desk through its pages and API, on SQLite and PostgreSQL: a reporter's fault
//! from the form to the rating, the SLA due times on the ticket page, privacy between
//! reporters and on the public lookup, exports, the dashboard, the audit record of every
//! change, and refused input that changes nothing.

use axum::http::{Method, StatusCode, header};
use base64::Engine as _;
use chrono::Duration;
use serde_json::json;

use crate::support::{Client, TestApp};

/// The id in `/desk/tickets/{id}?ok=…`.
fn ticket_id(location: &str) -> String {
    location.trim_start_matches("/desk/tickets/").split('?').next().unwrap_or_default().to_owned()
}

/// A form post on the ticket page that must succeed (303 back to the ticket).
async fn act(c: &mut Client, id: &str, path: &str, fields: &[(&str, &str)]) {
    let r = c.form(&format!("/desk/tickets/{id}/{path}"), fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{path} {fields:?}: {}", r.body);
    assert!(r.location().starts_with(&format!("/desk/tickets/{id}?ok=")), "{}", r.location());
}

fn desk_actions(actions: Vec<String>) -> Vec<String> {
    actions.into_iter().filter(|a| a != "access.denied" && a != "audit.view" && !a.starts_with("auth.")).collect()
}

#[tokio::test]
async fn a_reported_fatal_fault_is_worked_confirmed_and_rated() {
    for t in TestApp::all().await {
        let engine = t.db.engine;
        let mut ent = t.login("jb.ent01").await;
        let form = ent.get("/desk/new").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("致命") && form.body.contains("影响报警跟踪处理"), "R-9.2.1 help on the form");
        let before = t.audit_head().await;
        let r = ent
            .form(
                "/desk",
                &[
                    ("kind", "fault_report"),
                    ("level", "fatal"),
                    ("domain", "safety_production"),
                    ("handling_mode", "remote"),
                    ("title", "储运区 T-3 有毒气体探测器数值冻结"),
                    ("description", "GDS 主机上 T-3 读数 30 分钟未变化，报警无法跟踪"),
                    ("location", "储运区 T-3"),
                    ("affected", "GDS-T3"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{engine:?}: {}", r.body);
        let id = ticket_id(&r.location());
        let record = t.app.store.ticket(id.parse().expect("uuid")).await.expect("read").expect("ticket");
        // 2026-01-01 08:00 CST: a fatal fault is due for response at 08:15 and resolution at 12:00.
        assert_eq!(record.created_at.display_cst(), "2026-01-01 08:00:00");
        let page = ent.get(&format!("/desk/tickets/{id}?ok=ticket_opened")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("2026-01-01 08:15"), "response due 15 min after opening ({engine:?})");
        assert!(page.body.contains("2026-01-01 12:00"), "resolution due 4 h after opening ({engine:?})");
        assert!(page.body.contains("工单已提交"));
        let mine = ent.get("/desk/mine").await;
        assert!(mine.body.contains(&record.number), "the reporter's list shows it");

        // The operator sees it at the top of the queue, red for 致命, and works it.
        let mut op = t.login("jb.op01").await;
        let queue = op.get(&format!("/desk?state=open&level=fatal&q={}", record.number)).await;
        assert!(queue.body.contains(&record.number) && queue.body.contains("tag red"), "{engine:?}");
        t.advance(Duration::minutes(5));
        act(&mut op, &id, "action", &[("action", "acknowledge")]).await;
        act(&mut op, &id, "action", &[("action", "start")]).await;
        t.advance(Duration::minutes(10));
        act(&mut op, &id, "action", &[("action", "wait"), ("waiting_on", "vendor"), ("note", "等待厂家备件")]).await;
        let paused = op.get(&format!("/desk/tickets/{id}")).await;
        assert!(paused.body.contains("暂停") && paused.body.contains("等待供应商"), "the clock shows as paused");
        let queue = op.get(&format!("/desk?q={}", record.number)).await;
        assert!(queue.body.contains("暂停"), "the queue marks the paused ticket");
        // Two hours later (sessions idle out meanwhile, so the people log in again).
        t.advance(Duration::hours(2));
        let mut op = t.login("jb.op01").await;
        act(&mut op, &id, "action", &[("action", "resume")]).await;
        let resumed = op.get(&format!("/desk/tickets/{id}")).await;
        // Two hours waiting on the vendor push the resolution due from 12:00 to 14:00.
        assert!(resumed.body.contains("2026-01-01 14:00"), "{engine:?}");
        t.advance(Duration::minutes(10));
        act(&mut op, &id, "action", &[("action", "resolve"), ("note", "更换探测器传感头")]).await;
        // A refused transition names the state and the action, in Chinese.
        let r = op.form(&format!("/desk/tickets/{id}/action"), &[("action", "start")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("工单当前为“已解决”，不能执行“开始处理”"), "{}", r.body);

        // The reporter confirms and rates.
        let mut ent = t.login("jb.ent01").await;
        act(&mut ent, &id, "action", &[("action", "confirm")]).await;
        act(&mut ent, &id, "rate", &[("rating", "5"), ("rating_comment", "响应迅速")]).await;
        let done = ent.get(&format!("/desk/tickets/{id}")).await;
        assert!(done.body.contains("已关闭") && done.body.contains("★★★★★") && done.body.contains("响应迅速"));
        assert!(!done.body.contains("name=\"rating\""), "rated once: the form is gone");
        let api = ent.get(&format!("/api/v1/tickets/{id}")).await.json();
        assert_eq!(api["state"], "closed");
        assert_eq!(api["rating"], 5);
        assert_eq!(api["clocks"]["response"]["running"], false);
        let kinds: Vec<_> = api["events"].as_array().expect("events").iter().map(|e| e["kind"].clone()).collect();
        assert_eq!(
            kinds,
            ["created", "acknowledge", "start", "wait", "resume", "resolve", "confirm", "rated"].map(|k| json!(k))
        );
        let actions = desk_actions(t.actions_after(before).await);
        assert_eq!(
            actions,
            [
                "ticket.open",
                "ticket.acknowledge",
                "ticket.start",
                "ticket.wait",
                "ticket.resume",
                "ticket.resolve",
                "ticket.confirm",
                "ticket.rate"
            ],
            "{engine:?}"
        );

        // Another reporter sees nothing of it.
        let mut other = t.login("jb.ent03").await;
        assert_eq!(other.get(&format!("/desk/tickets/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(other.get(&format!("/api/v1/tickets/{id}")).await.status, StatusCode::NOT_FOUND);
        assert!(!other.get("/desk/mine").await.body.contains(&record.number));
        let list = other.get("/api/v1/tickets?per_page=200").await.json();
        assert!(list["items"].as_array().expect("items").iter().all(|x| x["id"] != json!(id)));

        // The public lookup: a wrong phone reveals nothing, the right one shows the progress.
        let mut anon = t.client();
        let phone = t.app.store.user_by_username("jb.ent01").await.expect("read").expect("user").phone;
        let wrong = anon.get(&format!("/track?number={}&phone=13800000000", record.number)).await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
        assert!(!wrong.body.contains("有毒气体") && wrong.body.contains("未找到匹配的工单"));
        let right = anon.get(&format!("/track?number={}&phone={phone}", record.number)).await;
        assert_eq!(right.status, StatusCode::OK, "{}", right.body);
        assert!(
            right.body.contains("有毒气体探测器") && right.body.contains("已关闭") && right.body.contains("报障人确认")
        );
        let api = anon.get(&format!("/api/v1/track?number={}&phone={phone}", record.number)).await;
        assert_eq!(api.json()["state"], "closed");
        assert!(t.client().get("/login").await.body.contains("href=\"/track\""), "the login page links the lookup");
    }
}

#[tokio::test]
async fn every_mutating_desk_route_leaves_its_audit_record() {
    for t in TestApp::all().await {
        let engine = t.db.engine;
        let op01 = t.app.store.user_by_username("jb.op01").await.expect("read").expect("user").id.to_string();
        let tech01 = t.app.store.user_by_username("jb.tech01").await.expect("read").expect("user").id.to_string();
        let mut m = t.login("jb.manager").await;
        let mut before = t.audit_head().await;
        let check = |got: Vec<String>, want: &[&str]| assert_eq!(desk_actions(got), want, "{engine:?}");

        // Settings: a support line, SLA targets, a calendar year.
        let r = m
            .raw_form(
                "/desk/settings/lines",
                format!(
                    "csrf={}&line=l1&name=%E8%BF%90%E7%BB%B4%E4%BF%9D%E9%9A%9C%E7%BB%84&lead={op01}&members={op01}&members={tech01}",
                    m.csrf
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut sla = vec![
            ("warn_percent".to_owned(), "75".to_owned()),
            ("day_start".to_owned(), "08:30".to_owned()),
            ("day_end".to_owned(), "17:30".to_owned()),
            ("auto_close_hours".to_owned(), "48".to_owned()),
        ];
        for (level, resp, res, cov) in [
            ("fatal", "10", "120", "7x24"),
            ("severe", "30", "480", "7x24"),
            ("general", "240", "1440", "working_hours"),
            ("minor", "480", "4800", "working_hours"),
            ("suggestion", "2400", "9600", "working_hours"),
        ] {
            sla.push((format!("{level}_response"), resp.into()));
            sla.push((format!("{level}_resolve"), res.into()));
            sla.push((format!("{level}_coverage"), cov.into()));
        }
        let fields: Vec<(&str, &str)> = sla.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = m.form("/desk/settings/sla", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = m
            .form(
                "/desk/settings/calendar",
                &[("year", "2027"), ("holidays", "2027-01-01\n2027-01-02"), ("makeup_days", "2027-01-04")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let settings = m.get("/desk/settings").await;
        assert!(settings.body.contains("v1") && settings.body.contains("2027"), "versions shown");
        check(t.actions_after(before).await, &["support_line.update", "sla_policy.update", "calendar.update"]);
        before = t.audit_head().await;

        // An operator registers a phone call for an outside contact and works the ticket.
        let mut op = t.login("jb.op01").await;
        let r = op
            .json(
                Method::POST,
                "/api/v1/tickets",
                json!({ "kind": "repair", "level": "severe", "domain": "environmental", "title": "污水站在线监测数据中断",
                        "reporter_name": "王工", "reporter_phone": "0510-86001234" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_owned();
        assert_eq!(r.json()["reporter_user_id"], serde_json::Value::Null, "the contact, not the operator, reported it");
        act(&mut op, &id, "assign", &[("line", "l1"), ("assignee", &op01), ("note", "一线先查")]).await;
        act(&mut op, &id, "comment", &[("note", "已电话联系现场")]).await;
        act(&mut op, &id, "comment", &[("kind", "handover"), ("note", "交班：待厂家回电")]).await;
        let r = op.multipart(&format!("/desk/tickets/{id}/attachments"), "现场照片.png", "image/png", b"\x89PNG").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let data = base64::engine::general_purpose::STANDARD.encode("日志内容");
        let r = op
            .json(
                Method::POST,
                &format!("/api/v1/tickets/{id}/attachments"),
                json!({ "name": "gds.log", "content_type": "text/html", "data_base64": data }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let href = r.json()["href"].as_str().expect("href").to_owned();
        let (status, headers, body) = op.bytes(&href).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "日志内容".as_bytes());
        assert_eq!(headers[header::CONTENT_TYPE], "application/octet-stream", "uploaded HTML is never served as HTML");
        assert!(headers[header::CONTENT_DISPOSITION].to_str().expect("ascii").starts_with("attachment;"));
        act(&mut op, &id, "escalate", &[("note", "一线无法恢复，转二线")]).await;
        let r = op.json(Method::POST, &format!("/api/v1/tickets/{id}/escalate"), json!({ "note": "转三线" })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["line"], "l3");
        let r = op.json(Method::POST, &format!("/api/v1/tickets/{id}/comments"), json!({ "note": "API 备注" })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r =
            op.json(Method::POST, &format!("/api/v1/tickets/{id}/actions"), json!({ "action": "acknowledge" })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        check(
            t.actions_after(before).await,
            &[
                "ticket.open",
                "ticket.assign",
                "ticket.comment",
                "ticket.handover",
                "ticket.attach",
                "ticket.attach",
                "ticket.escalate",
                "ticket.escalate",
                "ticket.comment",
                "ticket.acknowledge",
            ],
        );
        before = t.audit_head().await;

        // The operator was told of the assignment: a badge in the navigation, then read.
        let inbox = op.get("/inbox").await;
        assert!(inbox.body.contains("分派给您") && inbox.body.contains("class=\"badge\""), "{engine:?}");
        let r = op.form("/inbox/read", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(!op.get("/inbox").await.body.contains("class=\"badge\""));
        let r = op.json(Method::POST, "/api/v1/notifications/read", json!({})).await;
        assert_eq!(r.status, StatusCode::OK);
        // The manager closes it outright and reopens it with a reason; the desk API edits.
        act(&mut m, &id, "action", &[("action", "close"), ("note", "重复工单")]).await;
        act(&mut m, &id, "action", &[("action", "reopen"), ("note", "并非重复")]).await;
        let r = m
            .json(Method::PUT, "/api/v1/desk/calendar/2028", json!({ "holidays": ["2028-01-01"], "makeup_days": [] }))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = m
            .json(
                Method::PUT,
                "/api/v1/desk/support-lines/l2",
                json!({ "name": "运维支持组", "lead_user_id": tech01, "members": [tech01] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let policy = m.get("/api/v1/desk/sla-policy").await.json();
        let versions = policy["versions"].as_array().map_or(0, Vec::len);
        assert_eq!(policy["current"]["warn_percent"], 75, "the page's version is in force");
        let r = m.json(Method::PUT, "/api/v1/desk/sla-policy", policy["current"].clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let after = m.get("/api/v1/desk/sla-policy").await.json();
        assert_eq!(after["versions"].as_array().map(Vec::len), Some(versions + 1), "every version is kept");
        check(
            t.actions_after(before).await,
            &[
                "notification.read",
                "notification.read",
                "ticket.close",
                "ticket.reopen",
                "calendar.update",
                "support_line.update",
                "sla_policy.update",
            ],
        );
    }
}

#[tokio::test]
async fn exports_and_the_dashboard() {
    for t in TestApp::all().await {
        let fatal = t.open_ticket("jb.ent01", "fatal").await;
        let general = t.open_ticket("jb.ent02", "general").await;
        let mut op = t.login("jb.op01").await;
        let before = t.audit_head().await;
        let (status, headers, body) = op.bytes("/desk/export.csv?level=fatal").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        let text = String::from_utf8(body).expect("utf-8");
        assert!(text.starts_with('\u{feff}') && text.contains("工单编号") && text.contains(&fatal.number));
        assert!(!text.contains("一般") && !text.contains(&general.number), "the list's filters apply to the export");
        let (status, headers, body) = op.bytes("/desk/export.xlsx").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        assert!(body.starts_with(b"PK"), "an XLSX is a zip file");
        assert_eq!(t.actions_after(before).await, ["ticket.export", "ticket.export"]);
        // A reporter exports only their own tickets.
        let mut ent = t.login("jb.ent02").await;
        let (_, _, body) = ent.bytes("/desk/export.csv").await;
        let text = String::from_utf8(body).expect("utf-8");
        assert!(text.contains(&general.number) && !text.contains(&fatal.number), "{text}");

        let dash = op.get("/desk/dashboard").await;
        assert_eq!(dash.status, StatusCode::OK);
        assert!(dash.body.contains("<svg") && dash.body.contains("bar-red"), "server-drawn charts");
        assert!(!dash.body.contains("style="), "no inline styles under the CSP");
        let stats = op.get("/api/v1/desk/stats").await.json();
        let open_fatal = op.get("/api/v1/tickets?state=open&level=fatal").await.json();
        assert_eq!(stats["open_by_level"]["fatal"], open_fatal["total"]);
        assert_eq!(stats["per_day"].as_array().map(Vec::len), Some(30));
        assert_eq!(ent.get("/desk/dashboard").await.status, StatusCode::FORBIDDEN, "reporters see no dashboard");
        let nav = op.get("/desk").await.body;
        assert!(nav.contains("href=\"/desk/dashboard\"") && !nav.contains("href=\"/desk/settings\""));
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_chinese_messages_and_creates_nothing() {
    for t in TestApp::all().await {
        let engine = t.db.engine;
        let mut ent = t.login("jb.ent01").await;
        let before = t.audit_head().await;
        let count = || async { t.app.store.tickets_all(&Default::default(), 100_000).await.expect("tickets").len() };
        let tickets = count().await;
        let r = ent.form("/desk", &[("title", ""), ("reporter_phone", "abc")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        for msg in ["请选择工单类型", "请选择故障级别", "请选择业务领域", "必填，不超过 100 个字符", "电话只能包含数字"]
        {
            assert!(r.body.contains(msg), "{msg} missing ({engine:?})");
        }
        let r = ent
            .json(
                Method::POST,
                "/api/v1/tickets",
                json!({ "kind": "fault_report", "level": "catastrophic", "domain": "energy", "title": "x" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["fields"][0]["field"], "level");
        assert!(r.json()["fields"][0]["message"].as_str().is_some_and(|m| m.starts_with("请选择故障级别")));
        let r = ent
            .json(
                Method::POST,
                "/api/v1/tickets",
                json!({ "kind": "fault_report", "level": "fatal", "domain": "energy", "title": "x", "extra": 1 }),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "unknown fields are refused");
        let r = ent.multipart("/desk/tickets/00000000-0000-7000-8000-000000000000/attachments", "a", "x", b"").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let mut m = t.login("jb.manager").await;
        let r = m.form("/desk/settings/sla", &[("fatal_response", "快")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("请输入整数"), "{engine:?}");
        let r = m.form("/desk/settings/calendar", &[("year", "2027"), ("holidays", "2027-02-30")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("“2027-02-30”不是有效日期"), "{}", r.body);
        let r = m.form("/desk/settings/lines", &[("line", "l4"), ("name", "x")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("请选择支持线"));
        let r = m
            .json(Method::PUT, "/api/v1/desk/calendar/2027", json!({ "holidays": ["2026-05-01"], "makeup_days": [] }))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.json()["fields"][0]["message"].as_str().expect("message").contains("不属于该年度"));
        let ticket = t.open_ticket("jb.ent01", "minor").await;
        let after_open = t.audit_head().await;
        let mut op = t.login("jb.op01").await;
        let r =
            op.form(&format!("/desk/tickets/{}/action", ticket.id), &[("action", "reopen"), ("note", "误操作")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "a new ticket cannot be reopened");
        let r = op.form(&format!("/desk/tickets/{}/comment", ticket.id), &[("note", " ")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("必填，不超过 2000 个字符"));
        let r = op.form(&format!("/desk/tickets/{}/assign", ticket.id), &[("line", "l9")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("请选择支持线"));
        assert!(desk_actions(t.actions_after(after_open).await).is_empty(), "{engine:?}");
        let actions = desk_actions(t.actions_after(before).await);
        assert_eq!(actions, ["ticket.open"], "only the ticket opened through the use case ({engine:?})");
        assert_eq!(count().await, tickets + 1, "refused input created no ticket");
    }
}
