//! The asset register through its pages and API, on SQLite and PostgreSQL: the faceted list,
//! the CI page with its relation graph, retiring a gateway that shows its dependants before
//! and after, imports of XLSX and CSV files (one bad row writes nothing and the report names
//! row and column; the fixed file imports once; again changes nothing), forms generated from
//! the class schema, and an audit record for every change.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use parkops_app::asset::LocationInput;
use serde_json::{Value, json};

use crate::support::{Client, Reply, TestApp};

/// The test's own CIs all start with this (the demo park has its own register).
const PREFIX: &str = "TST-";

/// Zone T-Z1 → site T-Z1-S01 → point T-Z1-S01-P01.
async fn locations(t: &TestApp) {
    let m = t.caller("jb.manager").await;
    for (parent, level, code, name) in [
        ("", "zone", "T-Z1", "测试石化区"),
        ("T-Z1", "site", "T-Z1-S01", "测试厂区"),
        ("T-Z1-S01", "point", "T-Z1-S01-P01", "罐区T-3"),
    ] {
        let input = LocationInput {
            parent: parent.into(),
            level: level.into(),
            code: code.into(),
            name: name.into(),
            ..LocationInput::default()
        };
        t.app.assets().put_location(&m, input).await.expect("location");
    }
}

/// The sheet of the store's tests in the park's own words: a gateway, three gas detectors
/// behind it, its switch, the MQTT broker it reports to and the service depending on that.
/// With `bad`, row 4 names a gas kind that does not exist.
fn sheet(bad: bool) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let header = [
        "编码",
        "名称",
        "类别",
        "状态",
        "位置",
        "所属企业",
        "维护单位",
        "重要性",
        "位号",
        "气体类别",
        "检定/校准周期",
        "含敏感数据",
    ];
    let detector = |code: &'static str, kind: &'static str| -> Vec<&'static str> {
        vec![
            code,
            "可燃气体探测器",
            "气体探测器",
            "运行",
            "T-Z1-S01-P01",
            "JB-E01",
            "JB-GASDET",
            "A",
            code,
            kind,
            "365",
            "",
        ]
    };
    let rows: Vec<Vec<&str>> = vec![
        header.to_vec(),
        vec!["TST-GW-01", "测试边缘网关", "edge_gateway", "运行", "T-Z1-S01", "JB-E01", "JB-PLAT", "A", "", "", "", ""],
        detector("TST-GD-01", "可燃"),
        detector("TST-GD-02", if bad { "毒气" } else { "有毒" }),
        detector("TST-GD-03", "可燃"),
        vec!["TST-SW-01", "测试接入交换机", "access_switch", "", "T-Z1", "", "", "", "", "", "", ""],
        vec!["TST-MQTT-01", "测试 EMQX 集群", "mqtt_broker", "运行", "", "", "", "", "", "", "", "是"],
        vec!["TST-SVC-01", "测试安全风险管控平台", "业务服务", "运行", "", "", "", "", "", "", "", ""],
    ];
    let relations: Vec<Vec<&str>> = vec![
        vec!["源编码", "关系", "目标编码"],
        vec!["TST-GD-01", "connected_to", "TST-GW-01"],
        vec!["TST-GD-02", "connected_to", "TST-GW-01"],
        vec!["TST-GD-03", "连接至", "TST-GW-01"],
        vec!["TST-GW-01", "connected_to", "TST-SW-01"],
        vec!["TST-GW-01", "reports_to", "TST-MQTT-01"],
        vec!["TST-SVC-01", "depends_on", "TST-MQTT-01"],
    ];
    let own = |t: Vec<Vec<&str>>| t.into_iter().map(|r| r.into_iter().map(str::to_owned).collect()).collect();
    (own(rows), own(relations))
}

/// The sheet as an XLSX workbook, built as a spreadsheet program would.
fn xlsx(bad: bool) -> Vec<u8> {
    let (assets, relations) = sheet(bad);
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in [("资产", assets), ("关系", relations)] {
        let ws = book.add_worksheet();
        ws.set_name(name).expect("name");
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = (u32::try_from(r).expect("row"), u16::try_from(c).expect("col"));
                // Numbers as numbers, the way people type them.
                match v.parse::<f64>() {
                    Ok(n) if !v.is_empty() => ws.write_number(r, c, n).expect("cell"),
                    _ => ws.write_string(r, c, v).expect("cell"),
                };
            }
        }
    }
    book.save_to_buffer().expect("workbook")
}

/// The CI sheet as CSV with a BOM (as Excel saves "CSV UTF-8").
fn csv(bad: bool) -> Vec<u8> {
    let (assets, _) = sheet(bad);
    let mut out = String::from('\u{feff}');
    for row in assets {
        let cells: Vec<String> = row.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// A request whose body is a file (the API's import), with the session and CSRF token.
async fn upload(c: &mut Client, method: Method, path: &str, content_type: &str, data: &[u8]) -> Reply {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header(header::COOKIE, format!("parkops_session={}", c.cookie))
        .header(header::CONTENT_TYPE, content_type)
        .header("x-csrf-token", c.csrf.clone())
        .body(Body::from(data.to_vec()))
        .expect("request");
    c.send(req).await
}

/// How many of the test's CIs exist.
async fn count(c: &mut Client) -> i64 {
    let r = c.get(&format!("/api/v1/assets?q={PREFIX}&facets=false")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["total"].as_i64().expect("total")
}

/// Uploads a file on the import page and waits for the background job; returns its page.
async fn import_on_page(c: &mut Client, name: &str, content_type: &str, data: &[u8]) -> Reply {
    let r = c.multipart("/assets/import", name, content_type, data).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let job = r.location();
    assert!(job.starts_with("/assets/import/jobs/"), "{job}");
    c.get(&format!("{job}?wait=1")).await
}

async fn id_of(t: &TestApp, code: &str) -> String {
    let park = t.app.store.parks().await.expect("parks")[0].id;
    let caller = t.caller("jb.manager").await;
    let q = parkops_app::asset::AssetQuery { text: code.into(), ..Default::default() };
    let page = parkops_app::ports::PageRequest { page: 1, per_page: 50 };
    let list = t.app.assets().list(&caller, &q, page, false).await.expect("list");
    let a = list.page.items.into_iter().find(|a| a.code == code).unwrap_or_else(|| panic!("{code} in park {park}"));
    a.id.to_string()
}

fn asset_actions(actions: Vec<String>) -> Vec<String> {
    actions.into_iter().filter(|a| a.starts_with("asset") || a.starts_with("spare_part")).collect()
}

#[tokio::test]
async fn an_xlsx_with_one_bad_row_writes_nothing_and_the_fixed_file_imports_once() {
    for t in TestApp::all().await {
        let engine = t.db.engine;
        locations(&t).await;
        let mut tech = t.login("jb.tech01").await;
        let before = t.audit_head().await;

        // The page: the report names row 4 and the gas-kind column, and nothing is written.
        let xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        let page = import_on_page(&mut tech, "台账.xlsx", xlsx_type, &xlsx(true)).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{engine:?}: {}", page.body);
        assert!(page.body.contains("未写入任何数据"), "{}", page.body);
        let report = page.between("<tbody>", "</tbody>");
        assert!(report.contains("<td class=\"nowrap\">4</td>") && report.contains("气体类别"), "{report}");
        assert!(report.contains("应为以下之一：可燃, 有毒, 氧气"), "{report}");
        assert_eq!(count(&mut tech).await, 0, "{engine:?}");

        // The API says the same, with the report as data.
        let r = upload(&mut tech, Method::POST, "/api/v1/assets/import", xlsx_type, &xlsx(true)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        let lines = r.json()["report"].as_array().expect("report").clone();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!((lines[0]["row"].clone(), lines[0]["column"].clone()), (json!(4), json!("气体类别")));
        assert_eq!(lines[0]["sheet"], "assets");
        assert_eq!(count(&mut tech).await, 0);
        assert!(asset_actions(t.actions_after(before).await).is_empty(), "nothing audited as written");

        // The fixed file imports: 7 CIs and 6 relations, with one audit record.
        let page = import_on_page(&mut tech, "台账.xlsx", xlsx_type, &xlsx(false)).await;
        assert_eq!(page.status, StatusCode::OK, "{engine:?}: {}", page.body);
        assert!(page.body.contains("导入完成"), "{}", page.body);
        let counts = page.between("import-counts", "</section>");
        assert!(counts.contains("<div class=\"stat-value\">7</div>"), "{counts}");
        assert_eq!(count(&mut tech).await, 7);
        assert_eq!(asset_actions(t.actions_after(before).await), ["asset.import"]);
        let gd = tech.get(&format!("/api/v1/assets/{}", id_of(&t, "TST-GD-02").await)).await.json();
        assert_eq!(gd["attributes"]["gas_kind"], "有毒");
        assert_eq!(gd["attributes"]["calibration_cycle"], "365", "a number cell reads as the number typed");
        assert_eq!(gd["state"], "in_service");

        // Again: nothing changes and nothing is written, on the page and through the API.
        let head = t.audit_head().await;
        let page = import_on_page(&mut tech, "台账.xlsx", xlsx_type, &xlsx(false)).await;
        let counts = page.between("import-counts", "</section>").to_owned();
        let values: Vec<&str> =
            counts.split("stat-value\">").skip(1).map(|v| v.split('<').next().unwrap_or("")).collect();
        assert_eq!(values, ["0", "0", "7", "0", "6"], "created, updated, unchanged, relations ({engine:?})");
        let r = upload(&mut tech, Method::POST, "/api/v1/assets/import", xlsx_type, &xlsx(false)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!((r.json()["unchanged"].clone(), r.json()["created"].clone()), (json!(7), json!(0)));
        assert!(asset_actions(t.actions_after(head).await).is_empty(), "an unchanged import writes nothing");
    }
}

#[tokio::test]
async fn a_csv_with_a_bom_imports_and_a_dry_run_writes_nothing() {
    for t in TestApp::all().await {
        locations(&t).await;
        let mut tech = t.login("jb.tech02").await;
        let r = upload(&mut tech, Method::POST, "/api/v1/assets/import?dry_run=true", "text/csv", &csv(false)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!((r.json()["created"].clone(), r.json()["dry_run"].clone()), (json!(7), json!(true)));
        assert_eq!(count(&mut tech).await, 0, "a dry run writes nothing");
        let bad = upload(&mut tech, Method::POST, "/api/v1/assets/import", "text/csv", &csv(true)).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.json()["report"][0]["row"], 4);
        let r = upload(&mut tech, Method::POST, "/api/v1/assets/import", "text/csv; charset=utf-8", &csv(false)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["created"], 7);
        // The BOM did not end up in the first header: codes were read.
        assert_eq!(count(&mut tech).await, 7);
        // A file that is neither is refused by name.
        let r = upload(&mut tech, Method::POST, "/api/v1/assets/import", "application/pdf", b"%PDF-1.4").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        // The template of a class is a workbook.
        let (status, _, bytes) = tech.bytes("/assets/import/template.xlsx?class=gas_detector").await;
        assert_eq!(status, StatusCode::OK);
        assert!(bytes.starts_with(b"PK"));
    }
}

#[tokio::test]
async fn the_list_filters_by_facets_and_counts_them() {
    for t in TestApp::all().await {
        let engine = t.db.engine;
        locations(&t).await;
        let mut tech = t.login("jb.tech01").await;
        let r = upload(
            &mut tech,
            Method::POST,
            "/api/v1/assets/import",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &xlsx(false),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mut op = t.login("jb.op01").await;

        let api = op.get(&format!("/api/v1/assets?q={PREFIX}")).await.json();
        assert_eq!(api["total"], 7);
        let facet = |v: &Value, name: &str, value: &str| -> i64 {
            v["facets"][name]
                .as_array()
                .expect("facet")
                .iter()
                .find(|x| x["value"] == value || x["value"].as_bool().map(|b| b.to_string()).as_deref() == Some(value))
                .map_or(0, |x| x["count"].as_i64().expect("n"))
        };
        assert_eq!(facet(&api, "classes", "gas_detector"), 3, "{engine:?}");
        assert_eq!(facet(&api, "states", "in_service"), 6);
        assert_eq!(facet(&api, "states", "planned"), 1, "the switch has no state: planned");
        assert_eq!(facet(&api, "families", "safety_instrument"), 3);
        assert_eq!(facet(&api, "sensitive", "true"), 1);
        let detectors = op.get(&format!("/api/v1/assets?q={PREFIX}&class=gas_detector&sort=name")).await.json();
        assert_eq!(detectors["total"], 3);
        let sensitive = op.get(&format!("/api/v1/assets?q={PREFIX}&sensitive=true")).await.json();
        assert_eq!(sensitive["items"][0]["code"], "TST-MQTT-01");
        let paged = op.get(&format!("/api/v1/assets?q={PREFIX}&per_page=2&page=2")).await.json();
        assert_eq!((paged["items"].as_array().expect("items").len(), paged["pages"].clone()), (2, json!(4)));
        let bad = op.get("/api/v1/assets?state=exploded").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);

        // The page: facet counts in the left column, the filtered rows, coloured states.
        let page = op.get(&format!("/assets?q={PREFIX}&family=safety_instrument")).await;
        assert_eq!(page.status, StatusCode::OK);
        let rows = page.between("<tbody>", "</tbody>");
        assert_eq!(rows.matches("<tr>").count(), 3, "{rows}");
        assert!(rows.contains("TST-GD-01") && !rows.contains("TST-GW-01"));
        assert!(rows.contains("tag green"), "in service is green");
        let facets = page.between("<aside class=\"facets\"", "</aside>");
        assert!(facets.contains("气体探测器</a><b>3</b>"), "{facets}");
        assert!(facets.contains("清除全部筛选"));
        // Exports of the filtered list.
        let (status, _, body) = op.bytes(&format!("/assets/export.csv?q={PREFIX}&class=gas_detector")).await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(body).expect("utf-8");
        assert_eq!(text.lines().count(), 4, "header and three detectors: {text}");
        let (status, _, body) = op.bytes(&format!("/assets/export.xlsx?q={PREFIX}")).await;
        assert_eq!(status, StatusCode::OK);
        let book =
            parkops_app::asset::read::read_sheet(&body, parkops_app::asset::read::SheetFormat::Xlsx).expect("read");
        assert_eq!((book.assets.len(), book.relations.len()), (7, 6), "the workbook imports back");
    }
}

#[tokio::test]
async fn the_asset_page_draws_the_graph_and_retiring_a_gateway_lists_its_dependants() {
    for t in TestApp::all().await {
        let engine = t.db.engine;
        locations(&t).await;
        let mut tech = t.login("jb.tech01").await;
        let r = upload(&mut tech, Method::POST, "/api/v1/assets/import", "text/csv", &csv(false)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let rel = json!([
            ["TST-GD-01", "connected_to", "TST-GW-01"],
            ["TST-GD-02", "connected_to", "TST-GW-01"],
            ["TST-GD-03", "connected_to", "TST-GW-01"],
            ["TST-GW-01", "connected_to", "TST-SW-01"],
            ["TST-GW-01", "reports_to", "TST-MQTT-01"],
            ["TST-SVC-01", "depends_on", "TST-MQTT-01"],
        ]);
        for r in rel.as_array().expect("relations") {
            let from = id_of(&t, r[0].as_str().expect("from")).await;
            let body = json!({ "other": r[2], "kind": r[1] });
            let x = tech.json(Method::POST, &format!("/api/v1/assets/{from}/relations"), body).await;
            assert_eq!(x.status, StatusCode::CREATED, "{}", x.body);
        }
        let gw = id_of(&t, "TST-GW-01").await;
        let page = tech.get(&format!("/assets/{gw}")).await;
        assert_eq!(page.status, StatusCode::OK, "{engine:?}");
        let svg = page.between("<svg class=\"relgraph\"", "</svg>");
        for code in ["TST-GW-01", "TST-GD-01", "TST-GD-02", "TST-GD-03", "TST-SW-01", "TST-MQTT-01"] {
            assert!(svg.contains(code), "{code} in the graph ({engine:?})");
        }
        for code in ["TST-GD-01", "TST-SW-01"] {
            assert!(svg.contains(&format!("href=\"/assets/{}\"", id_of(&t, code).await)), "{code} links to its page");
        }
        assert!(!svg.contains("TST-SVC-01"), "the service depends on the broker, not on the gateway");
        assert!(page.body.contains("测试边缘网关"));
        // The service two hops from the switch: switch ← gateway ← detectors.
        let sw = tech.get(&format!("/assets/{}", id_of(&t, "TST-SW-01").await)).await;
        let svg = sw.between("<svg class=\"relgraph\"", "</svg>");
        assert!(svg.contains("TST-GW-01") && svg.contains("TST-GD-03"), "two hops downstream");

        // Before confirming, the page lists every CI that depends on the gateway.
        let preview = tech.get(&format!("/assets/{gw}/lifecycle?event=retire")).await;
        assert_eq!(preview.status, StatusCode::OK);
        let deps = preview.between("<table class=\"table dense impact dependants\">", "</table>");
        for code in ["TST-GD-01", "TST-GD-02", "TST-GD-03"] {
            assert!(deps.contains(code), "{code} listed before confirming");
        }
        assert!(preview.body.contains("dependants-count\">3<"), "{engine:?}");
        // The API impact says the same.
        let impact = tech.get(&format!("/api/v1/assets/{gw}/impact?direction=downstream")).await.json();
        let codes: Vec<&str> =
            impact["downstream"].as_array().expect("list").iter().filter_map(|x| x["code"].as_str()).collect();
        assert_eq!(codes, ["TST-GD-01", "TST-GD-02", "TST-GD-03"]);
        let before = t.audit_head().await;
        let r = tech.form(&format!("/assets/{gw}/lifecycle"), &[("event", "retire"), ("note", "更换为新型号")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let after = tech.get(&r.location()).await;
        assert!(after.body.contains("tag grey\">停用") && after.body.contains("影响 3 个依赖资产"), "{engine:?}");
        assert_eq!(asset_actions(t.actions_after(before).await), ["asset.lifecycle"]);
        // A refused event names the state and the event, in Chinese, and changes nothing.
        let r = tech.form(&format!("/assets/{gw}/lifecycle"), &[("event", "accept")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.body.contains("资产当前为“停用”，不能执行“验收”"), "{}", r.body);

        // Through the API: a fault of the broker lists the gateway, the service and the detectors.
        let mqtt = id_of(&t, "TST-MQTT-01").await;
        let r = tech
            .json(
                Method::POST,
                &format!("/api/v1/assets/{mqtt}/events"),
                json!({ "event": "fault", "note": "集群脑裂" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let body = r.json();
        let mut deps: Vec<&str> =
            body["dependents"].as_array().expect("list").iter().filter_map(|x| x["code"].as_str()).collect();
        deps.sort_unstable();
        assert_eq!(deps, ["TST-GD-01", "TST-GD-02", "TST-GD-03", "TST-GW-01", "TST-SVC-01"], "{engine:?}");
        let events = tech.get(&format!("/api/v1/assets/{mqtt}/events")).await.json();
        assert_eq!(events["items"].as_array().expect("items").last().expect("event")["kind"], "fault");
    }
}

#[tokio::test]
async fn forms_follow_the_class_schema_and_every_change_leaves_its_record() {
    for t in TestApp::all().await {
        let engine = t.db.engine;
        let mut m = t.login("jb.manager").await;
        let before = t.audit_head().await;
        // Locations through the page.
        for (parent, level, code, name) in [("", "zone", "T-Z9", "测试区"), ("T-Z9", "site", "T-Z9-S1", "测试站")]
        {
            let r = m
                .form("/assets/locations", &[("parent", parent), ("level", level), ("code", code), ("name", name)])
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
        let bad = m
            .form("/assets/locations", &[("parent", "T-Z9-S1"), ("level", "zone"), ("code", "T-X"), ("name", "x")])
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.body.contains("上级位置无效"));

        // The new-asset form of a class shows its attributes with units and required marks.
        let form = m.get("/assets/new?class=gas_detector").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("name=\"attr.gas_kind\"") && form.body.contains("气体类别 *"), "required attribute");
        assert!(form.body.contains("检定/校准周期") && form.body.contains("（天）"), "unit shown");
        // A bad attribute is named beside its field and nothing is stored.
        let fields = [
            ("class", "gas_detector"),
            ("code", "TST-GD-90"),
            ("name", "测试探测器"),
            ("location", "T-Z9-S1"),
            ("criticality", "b"),
            ("state", "in_service"),
            ("attr.tag_no", "GT-90"),
            ("attr.gas_kind", "可燃"),
            ("attr.calibration_cycle", "一年"),
        ];
        let r = m.form("/assets", &fields).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{engine:?}");
        assert!(r.body.contains("“检定/校准周期”应为整数"), "{}", r.body);
        assert!(r.body.contains("value=\"一年\""), "the typed value comes back");
        let mut good = fields.to_vec();
        good[8] = ("attr.calibration_cycle", "365");
        let r = m.form("/assets", &good).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let gd = r.location().trim_start_matches("/assets/").split('?').next().unwrap_or_default().to_owned();
        let page = m.get(&r.location()).await;
        assert!(page.body.contains("资产已登记") && page.body.contains("365 <small class=\"muted\">天</small>"));
        // Edit: a blank attribute clears it; the edit form is the same schema.
        let edit = m.get(&format!("/assets/{gd}/edit")).await;
        assert!(edit.body.contains("value=\"GT-90\""));
        let mut changed = good.clone();
        changed[2] = ("name", "测试探测器（改）");
        changed.push(("attr.camera_preset", "P-3"));
        let r = m.form(&format!("/assets/{gd}"), &changed).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // Relations, by code, added and removed.
        let body = json!({ "code": "TST-GW-90", "name": "测试网关", "class": "edge_gateway", "state": "in_service", "location": "T-Z9-S1" });
        let gw = m.json(Method::POST, "/api/v1/assets", body).await;
        assert_eq!(gw.status, StatusCode::CREATED, "{}", gw.body);
        let gw = gw.json()["id"].as_str().expect("id").to_owned();
        let r = m
            .form(
                &format!("/assets/{gd}/relations"),
                &[("kind", "connected_to"), ("other", "TST-GW-90"), ("direction", "out")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = m
            .form(
                &format!("/assets/{gd}/relations"),
                &[("kind", "connected_to"), ("other", "NO-SUCH"), ("direction", "out")],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains("找不到编码为“NO-SUCH”的资产"));
        let r = m
            .form(
                &format!("/assets/{gd}/relations/remove"),
                &[("kind", "connected_to"), ("other", &gw), ("direction", "out")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // A class extension and a spare part used in a part replacement.
        let r = m
            .form(
                "/assets/classes",
                &[
                    ("code", "gas_detector"),
                    ("attr_code", "sim_plan"),
                    ("attr_label", "物联网卡套餐"),
                    ("attr_type", "enum"),
                    ("attr_values", "10G、20G"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(m.get("/assets/classes?class=gas_detector").await.body.contains("物联网卡套餐"));
        let r = m
            .form(
                "/assets/spare-parts",
                &[
                    ("code", "TST-SP-1"),
                    ("name", "催化燃烧传感头"),
                    ("class", "gas_detector"),
                    ("unit", "个"),
                    ("stock", "2"),
                    ("min_stock", "2"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let part =
            r.location().trim_start_matches("/assets/spare-parts/").split('?').next().unwrap_or_default().to_owned();
        let r = m
            .form(
                &format!("/assets/{gd}/lifecycle"),
                &[("event", "part_replace"), ("part", "TST-SP-1"), ("quantity", "1"), ("note", "传感头老化")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let parts = m.get("/assets/spare-parts").await;
        assert!(
            parts.body.contains("<strong>1</strong> 个 <span class=\"tag red\">库存不足</span>"),
            "low stock: {engine:?}"
        );
        let r = m.form(&format!("/assets/spare-parts/{part}/move"), &[("reason", "receipt"), ("quantity", "5")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = m.get(&format!("/assets/{gd}")).await;
        assert!(page.body.contains("TST-SP-1 催化燃烧传感头 ×1"), "the replacement shows on the CI page");
        // Exports are recorded too.
        let (status, _, _) = m.bytes("/assets/export.csv?q=TST-").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            asset_actions(t.actions_after(before).await),
            [
                "asset_location.put",
                "asset_location.put",
                "asset.create",
                "asset.update",
                "asset.create",
                "asset.relation_add",
                "asset.relation_remove",
                "asset_class.define",
                "spare_part.create",
                "asset.lifecycle",
                "spare_part.move",
                "asset.export",
            ],
            "{engine:?}"
        );
        // Someone who only reads cannot change anything, and sees no edit buttons.
        let mut op = t.login("jb.op02").await;
        let page = op.get(&format!("/assets/{gd}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("/edit\"") && !page.body.contains("/lifecycle?event="));
        assert_eq!(op.form(&format!("/assets/{gd}"), &good).await.status, StatusCode::FORBIDDEN);
    }
}

/// Every coded value the asset pages show has its message in both languages.
#[test]
fn asset_coded_values_have_messages() {
    use parkops_domain::asset::{CiFamily, Criticality, LifecycleEvent, LifecycleState, LocationLevel, RelationKind};
    use parkops_web::i18n::{I18n, Lang};
    let mut keys: Vec<String> = Vec::new();
    keys.extend(LifecycleState::ALL.iter().map(|x| format!("asset-state-{}", x.code())));
    keys.extend(LifecycleEvent::ALL.iter().map(|x| format!("asset-event-{}", x.code())));
    keys.extend(CiFamily::ALL.iter().map(|x| format!("asset-family-{}", x.code())));
    keys.extend(RelationKind::ALL.iter().map(|x| format!("asset-relation-{}", x.code())));
    keys.extend(Criticality::ALL.iter().map(|x| format!("asset-criticality-{}", x.code())));
    keys.extend(LocationLevel::ALL.iter().map(|x| format!("location-level-{}", x.code())));
    keys.extend(parkops_app::ports::asset::AssetSort::ALL.iter().map(|x| format!("asset-sort-{}", x.code())));
    keys.extend(parkops_app::ports::asset::StockReason::ALL.iter().map(|x| format!("stock-reason-{}", x.code())));
    keys.extend(["text", "integer", "decimal", "date", "enum", "bool"].iter().map(|x| format!("attribute-type-{x}")));
    keys.extend(parkops_app::asset::ASSET_COLUMNS.iter().map(|x| format!("asset-column-{x}")));
    keys.extend(parkops_app::asset::ASSET_COLUMNS.iter().map(|x| format!("asset-column-help-{x}")));
    keys.extend(parkops_app::asset::RELATION_COLUMNS.iter().map(|x| format!("asset-column-{x}")));
    keys.extend(
        ["created", "updated", "relation_added", "relation_removed"].iter().map(|x| format!("asset-timeline-{x}")),
    );
    for lang in [Lang::ZhCn, Lang::En] {
        let i = I18n { lang };
        for k in &keys {
            assert!(i.has(k), "{k} in {lang:?}");
        }
    }
    // The template's Chinese headers are the ones an import understands.
    let zh = I18n { lang: Lang::ZhCn };
    for c in parkops_app::asset::ASSET_COLUMNS {
        assert_eq!(parkops_app::asset::column_of(&zh.t(&format!("asset-column-{c}"))), Some(c), "{c}");
    }
}
