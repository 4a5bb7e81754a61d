//! Notification channels through the pages and the API, on SQLite and PostgreSQL: the desk
//! manager configures a DingTalk robot in the form, refused input stores nothing, secrets
//! and access tokens never come back, a blank secret or endpoint keeps the stored one, test
//! messages go through the delivery job into the delivery log, and every change is audited.

use std::sync::Mutex;

use axum::http::{Method, StatusCode};
use parkops_app::notify::{Notifier, SendFailure};
use parkops_app::ports::notify::ChannelRecord;
use parkops_domain::notify::Message;
use parkops_domain::time::Timestamp;
use serde_json::json;

use crate::support::TestApp;

const TOKEN: &str = "AT-7f3c9e2d41";
const SECRET: &str = "SEC-dingtalk-5a1b9c";
const HOOK_SECRET: &str = "hook-secret-42d0";

/// What the delivery job handed to the notifier: channel name, its secret, message title.
#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<(String, String, String)>>,
}

impl Recorder {
    fn sent(&self) -> Vec<(String, String, String)> {
        self.sent.lock().expect("lock").clone()
    }
}

/// Records every send; the generic webhook's receiver refuses its signature.
#[async_trait::async_trait]
impl Notifier for Recorder {
    async fn send(&self, channel: &ChannelRecord, message: &Message, _now: Timestamp) -> Result<(), SendFailure> {
        self.sent.lock().expect("lock").push((channel.name.clone(), channel.secret.clone(), message.title.clone()));
        if channel.kind == "webhook" { Err(SendFailure::Permanent("http status 401".into())) } else { Ok(()) }
    }
}

fn channel_actions(actions: Vec<String>) -> Vec<String> {
    actions.into_iter().filter(|a| a.starts_with("channel.") || a.starts_with("notification.deliver")).collect()
}

#[tokio::test]
async fn the_desk_manager_configures_a_robot_without_ever_seeing_its_secret_again() {
    for t in TestApp::all().await {
        let engine = t.db.engine;
        let manager = t.caller("jb.manager").await;
        let mut c = t.login("jb.manager").await;
        let before = t.audit_head().await;

        let empty = c.get("/desk/channels").await;
        assert_eq!(empty.status, StatusCode::OK, "{engine:?}");
        assert!(empty.body.contains("尚未配置通知渠道") && empty.body.contains("投递记录"), "{engine:?}");
        let form = c.get("/desk/channels/new").await;
        assert_eq!(form.status, StatusCode::OK);
        for words in ["钉钉机器人", "企业微信机器人", "飞书机器人", "短信网关", "20 条/分钟", "100 条/分钟、5 条/秒"]
        {
            assert!(form.body.contains(words), "the form names {words}");
        }

        // A robot address that is not a web address is refused with the reason, in Chinese.
        let endpoint = format!("https://oapi.dingtalk.com/robot/send?access_token={TOKEN}");
        let mut fields = vec![
            ("kind", "dingtalk"),
            ("name", "运维值班群"),
            ("endpoint", "ftp://oapi.dingtalk.com/robot/send"),
            ("secret", SECRET),
            ("levels", "fatal"),
            ("levels", "severe"),
            ("events", "ticket_opened"),
            ("events", "sla_breach"),
            ("enabled", "1"),
        ];
        let refused = c.form("/desk/channels", &fields).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{engine:?}");
        assert!(refused.body.contains("地址须为 http:// 或 https:// 开头"), "{}", refused.body);
        assert!(refused.body.contains("运维值班群"), "the other values are kept");
        assert!(!refused.body.contains(SECRET), "the secret is not sent back");
        assert!(t.app.channels(&manager).await.expect("read").is_empty(), "nothing stored ({engine:?})");

        fields[2] = ("endpoint", &endpoint);
        let saved = c.form("/desk/channels", &fields).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{engine:?}: {}", saved.body);
        assert_eq!(saved.location(), "/desk/channels?ok=channel_saved");
        let stored = t.app.channels(&manager).await.expect("read");
        assert_eq!(stored.len(), 1);
        let id = stored[0].id;
        assert_eq!((stored[0].secret.as_str(), stored[0].endpoint.as_str()), (SECRET, endpoint.as_str()));

        let list = c.get("/desk/channels?ok=channel_saved").await;
        assert!(list.body.contains("通知渠道已保存"));
        assert!(list.body.contains("钉钉机器人") && list.body.contains("已设置") && list.body.contains("20 条/分钟"));
        assert!(list.body.contains("access_token=******"), "{}", list.body);
        for line in ["级别：致命、严重", "业务领域：全部", "事件：新工单、SLA 超时"] {
            assert!(list.body.contains(line), "rule summary: {line}");
        }
        assert!(!list.body.contains(TOKEN) && !list.body.contains(SECRET), "{engine:?}: a secret in the list");

        // Editing with blank secret and endpoint keeps both; the form shows neither.
        let edit = c.get(&format!("/desk/channels/{id}")).await;
        assert_eq!(edit.status, StatusCode::OK);
        assert!(!edit.body.contains(TOKEN) && !edit.body.contains(SECRET), "{engine:?}: a secret on the form");
        assert!(edit.body.contains("已设置，留空则保持不变") && edit.body.contains("access_token=******"));
        let r = c
            .form(
                &format!("/desk/channels/{id}"),
                &[
                    ("kind", "dingtalk"),
                    ("name", "运维值班群（夜班）"),
                    ("endpoint", ""),
                    ("secret", ""),
                    ("per_minute", "50"),
                    ("levels", "fatal"),
                    ("enabled", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{engine:?}: {}", r.body);
        let kept = t.app.channels(&manager).await.expect("read").remove(0);
        assert_eq!((kept.secret.as_str(), kept.endpoint.as_str()), (SECRET, endpoint.as_str()), "{engine:?}");
        assert_eq!(
            (kept.name.as_str(), kept.per_minute, kept.levels.clone()),
            ("运维值班群（夜班）", Some(50), vec!["fatal".into()])
        );
        let list = c.get("/desk/channels").await;
        assert!(
            list.body.contains("20 条/分钟") && list.body.contains("自定限流"),
            "50 a minute is capped at DingTalk's 20"
        );
        // A refused edit names the field and keeps the secret.
        let r =
            c.form(&format!("/desk/channels/{id}"), &[("kind", "dingtalk"), ("name", "x"), ("per_second", "0")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("限流数值须在 1 至 10000 之间"), "{}", r.body);

        // The API reads back `secret_set` only and the masked address.
        let api = c.get("/api/v1/desk/channels").await;
        assert_eq!(api.status, StatusCode::OK);
        assert!(!api.body.contains(TOKEN) && !api.body.contains(SECRET), "{engine:?}: {}", api.body);
        let item = &api.json()["items"][0];
        assert_eq!(item["secret_set"], true);
        assert!(item.get("secret").is_none());
        assert_eq!(item["endpoint"], "https://oapi.dingtalk.com/robot/send?access_token=******");
        assert_eq!(item["effective_limit"], json!({ "per_minute": 20, "per_second": null }));
        let unknown = c
            .json(
                Method::PUT,
                &format!("/api/v1/desk/channels/{id}"),
                json!({ "kind": "dingtalk", "name": "x", "token": "t" }),
            )
            .await;
        assert_eq!((unknown.status, unknown.json()["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_body")));
        let bad = c
            .json(
                Method::POST,
                "/api/v1/desk/channels",
                json!({ "kind": "webhook", "name": "对接平台", "endpoint": "hooks.example" }),
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.json()["fields"][0]["field"], "endpoint");
        assert!(bad.json()["fields"][0]["message"].as_str().is_some_and(|m| m.contains("http://")), "{}", bad.body);
        let hook = c
            .json(
                Method::POST,
                "/api/v1/desk/channels",
                json!({ "kind": "webhook", "name": "对接平台", "endpoint": "https://hooks.example/parkops?sig=qrstuv",
                        "secret": HOOK_SECRET, "levels": ["fatal"], "domains": ["safety_production"] }),
            )
            .await;
        assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
        // The query's value is no hex word: an id or a hash in the body could contain one.
        assert!(!hook.body.contains(HOOK_SECRET) && !hook.body.contains("qrstuv"), "{}", hook.body);
        let hook = hook.json();
        assert_eq!((hook["secret_set"].clone(), hook["enabled"].clone()), (json!(true), json!(true)));
        let hook_id = hook["id"].as_str().expect("id").to_owned();
        let renamed = c
            .json(
                Method::PUT,
                &format!("/api/v1/desk/channels/{hook_id}"),
                json!({ "kind": "webhook", "name": "对接平台（测试）" }),
            )
            .await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
        let hook_stored =
            t.app.channels(&manager).await.expect("read").into_iter().find(|x| x.name == "对接平台（测试）");
        let hook_stored = hook_stored.expect("renamed");
        assert_eq!(hook_stored.secret, HOOK_SECRET, "an absent secret keeps the stored one");
        assert_eq!(hook_stored.endpoint, "https://hooks.example/parkops?sig=qrstuv", "and so does an absent endpoint");

        // Test messages are queued and go out through the delivery job.
        let r = c.form(&format!("/desk/channels/{id}/test"), &[]).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/desk/channels?ok=channel_test_queued".into()));
        let r = c.json(Method::POST, &format!("/api/v1/desk/channels/{hook_id}/test"), json!({})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        let r = c.get("/desk/deliveries").await;
        assert!(r.body.contains("暂无投递记录"), "queued, not yet sent");
        let recorder = Recorder::default();
        let report = t.app.deliver_notifications(&recorder).await.expect("deliver");
        assert_eq!((report.sent, report.failed), (1, 1), "{engine:?}");
        let mut sent = recorder.sent();
        sent.sort();
        assert_eq!(
            sent,
            [
                ("对接平台（测试）".to_owned(), HOOK_SECRET.to_owned(), "ParkOps 测试消息".to_owned()),
                ("运维值班群（夜班）".to_owned(), SECRET.to_owned(), "ParkOps 测试消息".to_owned()),
            ],
            "the notifier gets the kept secrets"
        );
        // Three more while nothing is sent: one digest.
        for _ in 0..3 {
            t.app.test_channel(&manager, id).await.expect("queue");
        }
        let report = t.app.deliver_notifications(&recorder).await.expect("deliver");
        assert_eq!((report.sent, report.digests), (1, 1), "{engine:?}");

        let log = c.get("/desk/deliveries").await;
        assert_eq!(log.status, StatusCode::OK);
        for words in ["ParkOps 测试消息", "运维值班群（夜班）", "已发送", "失败", "http status 401", "汇总 3 条"]
        {
            assert!(log.body.contains(words), "{engine:?}: the delivery log shows {words}");
        }
        let api = c.get("/api/v1/desk/deliveries").await.json();
        let items = api["items"].as_array().expect("items");
        assert_eq!(items.len(), 3);
        let statuses: Vec<_> =
            items.iter().map(|d| (d["channel"].clone(), d["status"].clone(), d["covers"].clone())).collect();
        assert!(statuses.contains(&(json!("运维值班群（夜班）"), json!("sent"), json!(3))), "{statuses:?}");
        assert!(statuses.contains(&(json!("运维值班群（夜班）"), json!("sent"), json!(1))), "{statuses:?}");
        assert!(statuses.contains(&(json!("对接平台（测试）"), json!("failed"), json!(1))), "{statuses:?}");

        // Each change left its record; no record holds a secret.
        let actions = channel_actions(t.actions_after(before).await);
        assert_eq!(
            actions,
            [
                "channel.create",
                "channel.update",
                "channel.create",
                "channel.update",
                "channel.test",
                "channel.test",
                "notification.deliver",
                "notification.deliver",
                "channel.test",
                "channel.test",
                "channel.test",
                "notification.deliver",
            ],
            "{engine:?}"
        );
        let records = t.app.store.audit_after(before, 1000).await.expect("audit");
        for r in records.iter().filter(|r| r.entry.action.starts_with("channel.")) {
            assert!(!r.entry.detail.contains(SECRET) && !r.entry.detail.contains(HOOK_SECRET), "{}", r.entry.detail);
        }
    }
}

#[tokio::test]
async fn only_the_desk_manager_reaches_the_channels() {
    let t = TestApp::on(parkops_testkit::TestDatabase::sqlite()).await;
    let manager = t.caller("jb.manager").await;
    let input = parkops_app::notify::ChannelInput {
        kind: "wecom".into(),
        name: "企业微信值班群".into(),
        endpoint: format!("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={TOKEN}"),
        enabled: true,
        ..parkops_app::notify::ChannelInput::default()
    };
    let ch = t.app.save_channel(&manager, None, input).await.expect("save");
    for user in ["jb.op01", "jb.sup01", "jb.auditor"] {
        let mut c = t.login(user).await;
        assert_eq!(c.get("/desk/channels").await.status, StatusCode::FORBIDDEN, "{user}");
        assert_eq!(c.get(&format!("/desk/channels/{}", ch.id)).await.status, StatusCode::FORBIDDEN, "{user}");
        let r = c.get("/api/v1/desk/channels").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}");
        assert!(!r.body.contains(TOKEN));
        let r = c.json(Method::POST, &format!("/api/v1/desk/channels/{}/test", ch.id), json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}");
    }
    let mut c = t.login("jb.manager").await;
    assert_eq!(c.get("/desk/channels/0190f0f0-0000-7000-8000-000000000000").await.status, StatusCode::NOT_FOUND);
    let doc = c.get("/api/openapi.json").await.json();
    let schema = &doc["paths"]["/api/v1/desk/channels"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["properties"]["secret"]["writeOnly"], true);
    assert_eq!(doc["paths"]["/api/v1/desk/channels/{id}/test"]["post"]["x-audit-events"], json!(["channel.test"]));
    assert_eq!(c.get("/desk/channels/not-a-uuid").await.status, StatusCode::NOT_FOUND);
}
