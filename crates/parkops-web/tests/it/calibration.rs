//! The calibration register in the pages and the API (R-9.1.1d), on every engine: a technician
//! records a calibration on the phone-sized form, corrects it with a reason (the original stays
//! visible), attaches the certificate; the overdue list shows the detector once it is past due,
//! with exports; the cycles page changes a class's cycle; the API does the same, and a failed
//! calibration sets the CI faulty. Each mutating route leaves its audit record.

use axum::http::{Method, StatusCode};

use crate::support::TestApp;

/// A zone and a gas detector in it (enterprise E01, maintained by 安测气体仪表, jb.tech01
/// responsible), set up through the use cases.
async fn detector(t: &TestApp, zone: &str, code: &str) -> (String, String) {
    let m = t.caller("jb.manager").await;
    let z = parkops_app::asset::LocationInput {
        level: "zone".into(),
        code: zone.into(),
        name: format!("校准演示区{zone}"),
        ..parkops_app::asset::LocationInput::default()
    };
    let z = t.app.assets().put_location(&m, z).await.expect("zone");
    let input = parkops_app::asset::AssetInput {
        code: code.into(),
        name: "储罐区可燃气体探测器".into(),
        class: "gas_detector".into(),
        state: "in_service".into(),
        location: zone.into(),
        enterprise: "JB-E01".into(),
        maintainer: "JB-GASDET".into(),
        owner: "jb.tech01".into(),
        attributes: [("tag_no", code), ("gas_kind", "可燃")].into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
        ..parkops_app::asset::AssetInput::default()
    };
    let a = t.app.assets().create(&m, input).await.expect("detector");
    (a.id.to_string(), z.id.to_string())
}

fn form<'a>(code: &'a str, performed: &'a str, certificate: &'a str, conclusion: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("asset", code),
        ("performed_on", performed),
        ("method", ""),
        ("conclusion", conclusion),
        ("certificate_no", certificate),
        ("performer", "江滨市计量检定测试院"),
        ("performer_org", ""),
        ("standard_name", "甲烷标准气体 50%LEL"),
        ("standard_certificate", "GBW(E)061789"),
        ("standard_valid_until", "2026-12-31"),
        ("point_nominal", "0"),
        ("point_reading", "0.4"),
        ("point_error", ""),
        ("point_allowed", "3"),
        ("point_nominal", "50"),
        ("point_reading", "51.5"),
        ("point_error", ""),
        ("point_allowed", "5"),
        ("point_nominal", ""),
        ("point_reading", ""),
        ("point_error", ""),
        ("point_allowed", ""),
        ("next_due", ""),
        ("next_due_reason", ""),
        ("task", ""),
        ("note", "现场通标准气体检定"),
    ]
}

#[tokio::test]
async fn a_technician_records_corrects_and_finds_a_calibration_in_the_pages() {
    for t in TestApp::all().await {
        let (asset_id, zone) = detector(&t, "CZ1", "T-GD-0001").await;
        let mut c = t.login("jb.tech01").await;
        let page = c.get("/calibration/new?asset=T-GD-0001").await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", t.db.engine);
        assert!(page.body.contains("记录校准") && page.body.contains("name=\"point_nominal\""));
        assert!(page.body.contains("气体探测器") && page.body.contains("JJG 693-2011"), "the calibrated classes");

        // Bad input: every field named in Chinese, nothing written.
        let head = t.audit_head().await;
        let mut bad = form("T-GD-0001", "2026-13-01", "", "合格");
        bad.retain(|(k, _)| *k != "standard_name");
        let r = c.form("/calibration", &bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("请输入有效日期") && r.body.contains("必填，不超过 64 个字符"), "{}", r.body);
        assert!(r.body.contains("value=\"T-GD-0001\""), "the form keeps what was typed");
        assert_eq!(t.audit_head().await, head);

        // Recorded: a year ago, so due in four days.
        let r = c.form("/calibration", &form("T-GD-0001", "2025-01-05", "JD-2025-0105", "pass")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let to = r.location();
        assert!(to.starts_with("/calibration/records/") && to.ends_with("?ok=calibration_recorded"), "{to}");
        let original = to.trim_start_matches("/calibration/records/").split('?').next().expect("id").to_owned();
        let page = c.get(&to).await;
        assert!(page.body.contains("校准记录已保存") && page.body.contains("JD-2025-0105"));
        assert!(page.body.contains("2026-01-05") && page.body.contains("4 天后到期"), "due tag");
        assert!(page.body.contains("<td>0.4</td>") && page.body.contains("<td>1.5</td>"), "computed errors shown");
        assert_eq!(t.actions_after(head).await, vec!["calibration.record"]);

        // Corrected: the certificate number was mistyped. The original stays, with the reason.
        let head = t.audit_head().await;
        let mut fixed = form("T-GD-0001", "2025-01-05", "JD-2025-0150", "pass");
        fixed.push(("reason", "证书编号录入错误"));
        let r = c.form(&format!("/calibration/records/{original}/correct"), &fixed).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let corrected = r.location();
        let page = c.get(&corrected).await;
        assert!(page.body.contains("更正已保存为新版本"));
        assert!(page.body.contains("JD-2025-0150") && page.body.contains("JD-2025-0105"), "both versions visible");
        assert!(page.body.contains("证书编号录入错误") && page.body.contains("原始记录"));
        // Correcting the original again is refused: it already has a newer version.
        let mut again = fixed.clone();
        again.retain(|(k, _)| *k != "reason");
        again.push(("reason", "再改"));
        let r = c.form(&format!("/calibration/records/{original}/correct"), &again).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("只能更正最新版本"));
        let new_id = corrected.trim_start_matches("/calibration/records/").split('?').next().expect("id").to_owned();
        let r = c
            .multipart(
                &format!("/calibration/records/{new_id}/attachments"),
                "检定证书.pdf",
                "application/pdf",
                b"%PDF-1.4",
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = c.get(&r.location()).await;
        let href = page.between("href=\"/calibration/attachments/", "\"").to_owned();
        let (status, _, bytes) = c.bytes(&format!("/calibration/attachments/{href}")).await;
        assert_eq!((status, bytes.as_slice()), (StatusCode::OK, b"%PDF-1.4".as_slice()));
        assert_eq!(t.actions_after(head).await, vec!["calibration.correct", "calibration.attach"]);

        // The register shows the newest version once, tagged as corrected.
        let list = c.get("/calibration?q=T-GD-0001").await;
        assert_eq!(list.body.matches("/calibration/records/").count(), 1, "{}", list.body);
        assert!(list.body.contains("已更正 v2") && list.body.contains("合格"));

        // Nine days on it is overdue: on the overdue list, counted under its enterprise and class.
        t.advance(chrono::Duration::days(9));
        let mut c = t.login("jb.tech01").await;
        let due = c.get(&format!("/calibration/due?zone={zone}")).await;
        assert_eq!(due.status, StatusCode::OK);
        assert!(due.body.contains("T-GD-0001") && due.body.contains("逾期 5 天"), "{}", due.body);
        assert!(due.body.contains("按企业与类别统计") && due.body.contains("气体探测器"));
        let head = t.audit_head().await;
        let (status, headers, csv) = c.bytes(&format!("/calibration/due.csv?zone={zone}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-type"].to_str().expect("ct").starts_with("text/csv"));
        let csv = String::from_utf8(csv).expect("utf-8");
        assert!(csv.contains("T-GD-0001") && csv.contains("逾期 5 天"), "{csv}");
        let (status, headers, _) = c.bytes("/calibration/export.xlsx?q=T-GD-0001").await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-type"].to_str().expect("ct").contains("spreadsheetml"));
        assert_eq!(t.actions_after(head).await, vec!["calibration.export", "calibration.export"]);
        assert!(c.get(&format!("/assets/{asset_id}")).await.status == StatusCode::OK, "the CI link works");

        // The owner is told by the daily job (once).
        t.app.notify_calibration_due().await.expect("remind");
        let inbox = c.get("/inbox").await;
        assert!(inbox.body.contains("校准逾期") && inbox.body.contains("T-GD-0001"), "{}", inbox.body);
    }
}

#[tokio::test]
async fn cycles_are_changed_by_the_register_keepers_and_read_by_everyone_in_reach() {
    for t in TestApp::all().await {
        let mut sup = t.login("jb.sup01").await;
        let page = sup.get("/calibration/cycles").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("JJG 693-2011") && page.body.contains("HJ 75-2017") && page.body.contains("12 个月")
        );
        assert!(!page.body.contains("action=\"/calibration/cycles\""), "a supervisor reads, never edits");
        let mut m = t.login("jb.manager").await;
        let head = t.audit_head().await;
        let fields = [
            ("class", "water_analyzer"),
            ("enabled", "on"),
            ("cycle_months", "1"),
            ("method", "performance_test"),
            ("basis", "HJ 355-2019 §8 每月标样核查"),
            ("note", "按地方要求改为每月"),
        ];
        let r = m.form("/calibration/cycles", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = m.get(&r.location()).await;
        assert!(page.body.contains("校准周期已保存为新版本") && page.body.contains("按地方要求改为每月"));
        assert_eq!(t.actions_after(head).await, vec!["calibration.cycle_update"]);
        let r =
            m.form("/calibration/cycles", &[("class", "water_analyzer"), ("cycle_months", "0"), ("method", "x")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("周期须为 1 至 120 个月") && r.body.contains("请选择方法"));
        let mut op = t.login("jb.op01").await;
        assert_eq!(op.form("/calibration/cycles", &fields).await.status, StatusCode::FORBIDDEN);
        assert_eq!(t.actions_after(head).await.last().map(String::as_str), Some("access.denied"));
    }
}

#[tokio::test]
async fn the_api_records_corrects_lists_and_a_failure_sets_the_ci_faulty() {
    for t in TestApp::all().await {
        let (asset_id, zone) = detector(&t, "CZ2", "T-GD-0002").await;
        let mut c = t.login("jb.vendor09").await;
        let body = serde_json::json!({
            "asset": "T-GD-0002", "standard_name": "硫化氢标准气体 25ppm", "certificate_no": "API-001",
            "performer": "安测气体仪表有限公司", "performed_on": "2025-12-20", "conclusion": "pass",
            "points": [{ "nominal": 25, "reading": "24.1", "allowed": 2.5 }],
        });
        let r = c.json(Method::POST, "/api/v1/calibration/records", body.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let rec = r.json();
        assert_eq!((rec["next_due"].as_str(), rec["cycle"].as_str()), (Some("2026-12-20"), Some("12m")));
        assert_eq!(rec["points"][0]["error"], "-0.9");
        let id = rec["id"].as_str().expect("id").to_owned();
        // Refused input names its fields; unknown fields are refused outright.
        let r = c.json(Method::POST, "/api/v1/calibration/records", serde_json::json!({
            "asset": "T-GD-0002", "standard_name": "", "certificate_no": "x", "performed_on": "2025-12-20", "conclusion": "ok",
        })).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let codes: Vec<String> = r.json()["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["field"].as_str().unwrap_or("").to_owned())
            .collect();
        assert_eq!(codes, vec!["standard_name", "performer", "conclusion"]);
        let mut odd = body.clone();
        odd["colour"] = "red".into();
        assert_eq!(c.json(Method::POST, "/api/v1/calibration/records", odd).await.status, StatusCode::BAD_REQUEST);
        // A correction with a reason.
        let mut fix = body.clone();
        fix["certificate_no"] = "API-001A".into();
        fix["reason"] = "证书换发".into();
        let r = c.json(Method::POST, &format!("/api/v1/calibration/records/{id}/corrections"), fix).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let v2 = r.json();
        assert_eq!((v2["version"].as_i64(), v2["corrects_id"].as_str()), (Some(2), Some(id.as_str())));
        let show = c.get(&format!("/api/v1/calibration/records/{id}")).await.json();
        assert_eq!(show["versions"].as_array().map(Vec::len), Some(2));
        assert_eq!(show["versions"][0]["certificate_no"], "API-001");
        assert_eq!(show["head"]["correction_reason"], "证书换发");
        let att = c
            .json(
                Method::POST,
                &format!("/api/v1/calibration/records/{}/attachments", v2["id"].as_str().expect("id")),
                serde_json::json!({
                    "name": "cert.png", "content_type": "image/png", "data_base64": "iVBORw0KGgo=",
                }),
            )
            .await;
        assert_eq!(att.status, StatusCode::CREATED, "{}", att.body);
        let list = c.get(&format!("/api/v1/calibration/records?asset={asset_id}")).await.json();
        assert_eq!(list["total"], 1);
        assert_eq!(list["items"][0]["version"], 2);
        assert_eq!(list["items"][0]["in_force"], true);
        let due = c.get(&format!("/api/v1/calibration/due?status=all&zone={zone}")).await.json();
        assert_eq!(due["items"].as_array().map(Vec::len), Some(0), "valid for a year: {due}");

        // A failed calibration in force: the CI turns faulty, with its own lifecycle record.
        let head = t.audit_head().await;
        let mut failed = body.clone();
        failed["certificate_no"] = "API-002".into();
        failed["performed_on"] = "2025-12-31".into();
        failed["conclusion"] = "fail".into();
        failed["points"] = serde_json::json!([{ "nominal": 25, "reading": 31, "allowed": 2.5 }]);
        let r = c.json(Method::POST, "/api/v1/calibration/records", failed).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["fault_opened"], true);
        assert_eq!(t.actions_after(head).await, vec!["calibration.record", "asset.lifecycle"]);
        let a = t.app.store.asset(parkops_domain::asset::AssetId::parse(&asset_id).expect("id")).await.expect("read");
        assert_eq!(a.map(|a| a.state), Some(parkops_domain::asset::LifecycleState::Faulty), "{:?}", t.db.engine);

        // Cycles over the API: the supplier reads them, the manager changes one.
        let cycles = c.get("/api/v1/calibration/cycles").await.json();
        assert!(
            cycles["cycles"]
                .as_array()
                .expect("cycles")
                .iter()
                .any(|x| x["class"] == "gas_detector" && x["cycle_months"] == 12)
        );
        let put = serde_json::json!({ "class": "gas_detector", "enabled": true, "cycle_months": 6, "method": "value_transfer" });
        assert_eq!(c.json(Method::PUT, "/api/v1/calibration/cycles", put.clone()).await.status, StatusCode::FORBIDDEN);
        let mut m = t.login("jb.manager").await;
        let r = m.json(Method::PUT, "/api/v1/calibration/cycles", put).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!((r.json()["version"].as_i64(), r.json()["cycle_months"].as_i64()), (Some(1), Some(6)));
        // The operator reads the register but cannot record.
        let mut op = t.login("jb.op01").await;
        assert_eq!(op.get("/api/v1/calibration/due").await.status, StatusCode::OK);
        assert_eq!(op.json(Method::POST, "/api/v1/calibration/records", body).await.status, StatusCode::FORBIDDEN);
    }
}

/// Not a check but a tool for people: the calibration pages on a desktop and a phone. Run with
/// `PARKOPS_SCREENSHOTS=dir cargo test -p parkops-web --test it -- --ignored screenshots_of_the_calibration`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes screenshots for people to look at; needs PARKOPS_SCREENSHOTS=dir"]
async fn screenshots_of_the_calibration_pages() {
    use fantoccini::Locator;
    let dir = std::env::var("PARKOPS_SCREENSHOTS").expect("PARKOPS_SCREENSHOTS=dir names where to write");
    let Some((_driver, driver_port)) = crate::browser::start_driver() else { return };
    let (t, base) = crate::browser::serve().await;
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    // A detector with an original record, its correction and a certificate scan; another that
    // failed; a few of the demo's own detectors calibrated.
    let park = t.app.store.parks().await.expect("parks")[0].id;
    t.app.load_demo_calibrations(&parkops_app::Caller::command_line(), park).await.expect("demo register");
    let (_, zone) = detector(&t, "CZ-SHOT", "T-GD-0001").await;
    let tech = t.caller("jb.tech01").await;
    let record =
        |code: &str, performed: &str, conclusion: &str, cert: &str| parkops_app::calibration::CalibrationInput {
            asset: code.into(),
            standard_name: "甲烷标准气体 50%LEL".into(),
            standard_certificate: "GBW(E)061789".into(),
            standard_valid_until: "2026-12-31".into(),
            certificate_no: cert.into(),
            performer: "江滨市计量检定测试院".into(),
            performed_on: performed.into(),
            conclusion: conclusion.into(),
            points: vec![
                parkops_app::calibration::PointInput {
                    nominal: "0".into(),
                    reading: "0.4".into(),
                    error: String::new(),
                    allowed: "3".into(),
                },
                parkops_app::calibration::PointInput {
                    nominal: "50".into(),
                    reading: "51.5".into(),
                    error: String::new(),
                    allowed: "5".into(),
                },
            ],
            ..parkops_app::calibration::CalibrationInput::default()
        };
    let v1 =
        t.app.record_calibration(&tech, record("T-GD-0001", "2025-01-05", "pass", "JD-2025-0105")).await.expect("v1");
    let v2 = t
        .app
        .correct_calibration(
            &tech,
            v1.record.id,
            record("T-GD-0001", "2025-01-05", "pass", "JD-2025-0150"),
            "证书编号录入错误",
        )
        .await
        .expect("v2");
    t.app
        .attach_to_calibration(&tech, v2.record.id, "检定证书JD-2025-0150.pdf", "application/pdf", b"%PDF-1.4")
        .await
        .expect("scan");
    let m = t.caller("jb.manager").await;
    let q = parkops_app::asset::AssetQuery { classes: vec!["gas_detector".into()], ..Default::default() };
    let demo = t
        .app
        .assets()
        .list(&m, &q, parkops_app::ports::PageRequest { page: 1, per_page: 12 }, false)
        .await
        .expect("list");
    for (k, a) in demo.page.items.iter().enumerate() {
        let conclusion = if k == 3 {
            "fail"
        } else if k % 4 == 1 {
            "pass_after_adjustment"
        } else {
            "pass"
        };
        let day = format!("2025-{:02}-{:02}", 1 + k % 12, 3 + k);
        let _ = t.app.record_calibration(&m, record(&a.code, &day, conclusion, &format!("JD-2025-{k:04}"))).await;
    }
    t.app
        .set_calibration_cycle(
            &m,
            parkops_app::calibration::CycleInput {
                class: "water_analyzer".into(),
                enabled: true,
                cycle_months: "1".into(),
                method: "performance_test".into(),
                basis: "HJ 355-2019 §8".into(),
                note: "地方要求每月标样核查".into(),
            },
        )
        .await
        .expect("cycle");
    t.app.notify_calibration_due().await.expect("remind");
    let b = crate::browser::browser(driver_port).await;
    b.goto(&format!("{base}/login")).await.expect("login page");
    b.find(Locator::Css("input[name=username]")).await.expect("u").send_keys("jb.tech01").await.expect("type");
    b.find(Locator::Css("input[name=password]"))
        .await
        .expect("p")
        .send_keys(crate::support::PASSWORD)
        .await
        .expect("type");
    b.find(Locator::Css("button[type=submit]")).await.expect("b").click().await.expect("click");
    b.wait().for_element(Locator::Css("main h1")).await.expect("logged in");
    let record_page = format!("/calibration/records/{}", v2.record.id);
    let shot = |name: String| {
        let b = b.clone();
        let dir = dir.clone();
        async move { std::fs::write(format!("{dir}/{name}.png"), b.screenshot().await.expect("shot")).expect("write") }
    };
    for (w, h, prefix) in [(1366, 900, "calibration"), (390, 844, "phone-calibration")] {
        b.set_window_size(w, h).await.expect("size");
        for (name, path) in [
            ("register", "/calibration".to_owned()),
            ("due", "/calibration/due".to_owned()),
            ("due-zone", format!("/calibration/due?status=all&zone={zone}")),
            ("cycles", "/calibration/cycles".to_owned()),
            ("inbox", "/inbox".to_owned()),
        ] {
            b.goto(&format!("{base}{path}")).await.expect("page");
            shot(format!("{prefix}-{name}")).await;
        }
        b.set_window_size(w, if w > 500 { 2000 } else { 2600 }).await.expect("tall");
        b.goto(&format!("{base}{record_page}")).await.expect("record");
        shot(format!("{prefix}-record")).await;
        b.goto(&format!("{base}/calibration/new?asset=T-GD-0001")).await.expect("form");
        shot(format!("{prefix}-new")).await;
        b.find(Locator::Css(".calibration-form button.primary")).await.expect("save").click().await.expect("click");
        shot(format!("{prefix}-new-refused")).await;
    }
    b.close().await.expect("close");
}
