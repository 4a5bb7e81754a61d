//! The asset register's promises (issue #4 "Done when", R-9.1.1c), on SQLite and PostgreSQL:
//! a sheet with one bad row writes nothing and names the row and column, the fixed sheet
//! imports and importing it again changes nothing; retiring a gateway shows what depended on
//! it; lifecycle, spare parts, the extensible schema, scope, and append-only timelines.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use parkops_app::asset::{
    AssetInput, AssetQuery, AssetRegister, AssetSheet, AssetStorage, ImportProgress, ImportStage, LifecycleRequest,
    LocationInput, SheetRow, SparePartInput,
};
use parkops_app::clock::ManualClock;
use parkops_app::ports::PageRequest;
use parkops_app::ports::asset::{AssetReads, AssetRecord, LocationPath, RelationRecord};
use parkops_app::{App, AppError, Caller, StoreError};
use parkops_domain::asset::{AssetId, CiFamily, Criticality, LifecycleState, LocationId, RelationKind};
use parkops_domain::audit::{Outcome, SigningKey};
use parkops_domain::ticket::BusinessDomain;
use parkops_domain::time::Timestamp;
use parkops_store::{DatabaseUrl, Db};
use parkops_testkit::{Engine, TestDatabase, databases};

/// 2026-11-25 (a Wednesday) 10:00 China Standard Time.
const WEDNESDAY_10H: i64 = 1_795_572_000_000;

struct Park {
    app: App,
    db: Db,
}

async fn park(t: &TestDatabase) -> Park {
    let url = DatabaseUrl::resolve(Some(&t.url), std::path::Path::new(".")).expect("url");
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let app = App {
        store: Arc::new(db.clone()),
        clock: Arc::new(ManualClock::new(Timestamp::from_millis(WEDNESDAY_10H))),
        audit_key: Arc::new(SigningKey::from_seed([4; 32])),
        audit_origin: "test".into(),
        checkpoint_every: 10_000,
    };
    app.load_demo(&Caller::command_line()).await.expect("demo");
    Park { app, db }
}

impl Park {
    fn register(&self) -> AssetRegister<'_, Db> {
        AssetRegister::new(&self.app, &self.db)
    }

    async fn caller(&self, username: &str) -> Caller {
        let user = self.app.store.user_by_username(username).await.expect("read").expect("user");
        let p = self.app.principal_of(&user).await.expect("principal");
        Caller { principal: Some(p), ip: "127.0.0.1".into(), request_id: format!("test-{username}") }
    }

    async fn audit_head(&self) -> i64 {
        self.app.store.audit_head().await.expect("head").0
    }

    /// Zone Z1 → site Z1-S01 → point Z1-S01-P01, and zone Z2.
    async fn locations(&self) {
        let m = self.caller("jb.manager").await;
        for (parent, level, code, name) in [
            ("", "zone", "Z1", "石化区"),
            ("Z1", "site", "Z1-S01", "恒力化工厂区"),
            ("Z1-S01", "point", "Z1-S01-P01", "罐区T-3"),
            ("", "zone", "Z2", "仓储物流区"),
        ] {
            let input = LocationInput {
                parent: parent.into(),
                level: level.into(),
                code: code.into(),
                name: name.into(),
                ..LocationInput::default()
            };
            self.register().put_location(&m, input).await.expect("location");
        }
    }

    async fn by_code(&self, code: &str) -> AssetRecord {
        let park = self.app.store.parks().await.expect("parks")[0].id;
        self.db.asset_by_code(park, code).await.expect("read").expect("asset")
    }
}

fn row(n: usize, cells: &[(&str, &str)]) -> SheetRow {
    SheetRow { row: n, cells: cells.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect() }
}

fn no_progress(_: ImportProgress) {}

/// A small sheet in the park's own words: a gateway, three gas detectors behind it, the
/// switch it hangs on, the MQTT broker it reports to, and the service depending on that.
fn sheet(bad: bool) -> AssetSheet {
    let detector = |n: usize, code: &str, kind: &str| {
        row(
            n,
            &[
                ("编码", code),
                ("名称", "可燃气体探测器"),
                ("类别", "气体探测器"),
                ("状态", "运行"),
                ("位置", "Z1-S01-P01"),
                ("所属企业", "JB-E01"),
                ("维护单位", "JB-GASDET"),
                ("重要性", "A"),
                ("tag_no", code),
                ("gas_kind", kind),
                ("检定/校准周期", "365"),
                ("next_verification", "2027-03-01"),
                ("hj212_mn", ""),
            ],
        )
    };
    let assets = vec![
        row(
            2,
            &[
                ("编码", "JB-SAF-GW-0001"),
                ("名称", "恒力企业边缘网关"),
                ("类别", "edge_gateway"),
                ("状态", "in_service"),
                ("位置", "Z1-S01"),
                ("所属企业", "JB-E01"),
                ("维护单位", "JB-PLAT"),
                ("负责人", "jb.tech01"),
                ("cert_expiry", "2027-06-30"),
            ],
        ),
        detector(3, "JB-GD-0001", "可燃"),
        detector(4, "JB-GD-0002", if bad { "毒气" } else { "有毒" }),
        detector(5, "JB-GD-0003", "可燃"),
        row(
            6,
            &[
                ("编码", "JB-NET-SW-0001"),
                ("名称", "石化区接入交换机"),
                ("类别", "access_switch"),
                ("位置", if bad { "Z9" } else { "Z1" }),
                ("port_count", "24"),
            ],
        ),
        row(
            7,
            &[
                ("编码", "JB-MW-MQTT-01"),
                ("名称", "EMQX 集群"),
                ("类别", "mqtt_broker"),
                ("状态", "运行"),
                ("含敏感数据", "是"),
            ],
        ),
        row(8, &[("编码", "JB-SVC-SAF"), ("名称", "安全风险智能化管控平台"), ("类别", "业务服务"), ("状态", "运行")]),
    ];
    let rel = |n: usize, from: &str, kind: &str, to: &str| row(n, &[("from", from), ("kind", kind), ("to", to)]);
    let relations = vec![
        rel(2, "JB-GD-0001", "connected_to", "JB-SAF-GW-0001"),
        rel(3, "JB-GD-0002", "connected_to", "JB-SAF-GW-0001"),
        rel(4, "JB-GD-0003", "连接至", "JB-SAF-GW-0001"),
        rel(5, "JB-SAF-GW-0001", "connected_to", "JB-NET-SW-0001"),
        rel(6, "JB-SAF-GW-0001", "reports_to", "JB-MW-MQTT-01"),
        rel(7, "JB-SVC-SAF", "depends_on", "JB-MW-MQTT-01"),
    ];
    AssetSheet { assets, relations }
}

fn import_problems(err: AppError) -> Vec<(String, String, String)> {
    let AppError::Invalid(fields) = err else { panic!("expected a refused import, got {err:?}") };
    fields
        .into_iter()
        .map(|f| {
            let arg = |name: &str| f.args.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).unwrap_or_default();
            (arg("row"), arg("column"), f.key)
        })
        .collect()
}

#[tokio::test]
async fn a_sheet_with_one_bad_row_writes_nothing_and_the_fixed_sheet_imports_once() {
    for t in databases().await {
        let p = park(&t).await;
        p.locations().await;
        let tech = p.caller("jb.tech01").await;
        let before = p.audit_head().await;
        // The demo park has its own register (demo_asset); the sheet adds to it.
        let demo = p.register().list(&tech, &AssetQuery::default(), PageRequest::clamped(None, None), false).await;
        let demo = demo.expect("list").page.total;
        let err = p.register().import(&tech, &sheet(true), &no_progress).await.expect_err("refused");
        assert_eq!(
            import_problems(err),
            vec![
                ("4".into(), "gas_kind".into(), "err-attribute-not-allowed".into()),
                ("6".into(), "位置".into(), "err-asset-location".into()),
            ],
            "{:?}",
            t.engine
        );
        assert_eq!(p.audit_head().await, before, "nothing written");
        let all = p.register().list(&tech, &AssetQuery::default(), PageRequest::clamped(None, None), false).await;
        assert_eq!(all.expect("list").page.total, demo);

        // The fixed sheet imports, with its relations.
        let stages = std::sync::Mutex::new(Vec::new());
        let record = |g: ImportProgress| stages.lock().expect("lock").push(g.stage);
        let summary = p.register().import(&tech, &sheet(false), &record).await.expect("import");
        assert_eq!((summary.created, summary.updated, summary.unchanged), (7, 0, 0));
        assert_eq!((summary.relations_added, summary.relations_unchanged), (6, 0));
        assert!(stages.lock().expect("lock").contains(&ImportStage::Writing));
        assert_eq!(p.audit_head().await, before + 1, "one audit record for the import");
        let gd = p.by_code("JB-GD-0002").await;
        assert_eq!(gd.state, LifecycleState::InService);
        assert_eq!(gd.criticality, Criticality::A);
        assert_eq!(gd.family, CiFamily::SafetyInstrument);
        assert_eq!(gd.domain, BusinessDomain::SafetyProduction);
        assert_eq!(gd.attributes["calibration_cycle"], "365");
        assert_eq!(gd.attributes["gas_kind"], "有毒");
        assert!(gd.location.point.is_some() && gd.location.site.is_some() && gd.location.zone.is_some());
        assert!(p.by_code("JB-MW-MQTT-01").await.holds_sensitive_data);
        assert_eq!(p.by_code("JB-NET-SW-0001").await.state, LifecycleState::Planned, "state defaults to planned");

        // Importing it again changes nothing: no rows, no timeline entries, no audit record.
        let events = p.db.asset_events(gd.id).await.expect("events").len();
        let again = p.register().import(&tech, &sheet(false), &no_progress).await.expect("again");
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 7), "{:?}", t.engine);
        assert_eq!((again.relations_added, again.relations_unchanged), (0, 6));
        assert_eq!(p.audit_head().await, before + 1);
        assert_eq!(p.db.asset_events(gd.id).await.expect("events").len(), events);
        assert_eq!(p.by_code("JB-GD-0002").await, gd);

        // A changed cell updates that CI only, by code, and keeps columns the sheet lacks.
        let mut changed = sheet(false);
        changed.assets.truncate(2);
        changed.assets[1].cells.insert("名称".into(), "1号可燃气体探测器".into());
        changed.assets[1].cells.remove("next_verification");
        changed.relations.clear();
        let third = p.register().import(&tech, &changed, &no_progress).await.expect("update");
        assert_eq!((third.created, third.updated, third.unchanged), (0, 1, 1));
        let gd1 = p.by_code("JB-GD-0001").await;
        assert_eq!(gd1.name, "1号可燃气体探测器");
        assert_eq!(gd1.attributes["next_verification"], "2027-03-01");
        let last = p.db.asset_events(gd1.id).await.expect("events").pop().expect("event");
        assert_eq!(last.kind, "updated");
        assert!(last.data.contains("1号可燃气体探测器"), "{}", last.data);
    }
}

#[tokio::test]
async fn import_reports_duplicates_unknown_classes_missing_attributes_and_relation_ends() {
    for t in databases().await {
        let p = park(&t).await;
        let tech = p.caller("jb.tech02").await;
        let sheet = AssetSheet {
            assets: vec![
                row(2, &[("code", "A-1"), ("name", "数采仪"), ("class", "data_logger"), ("hj212_version", "2017")]),
                row(3, &[("code", "A-1"), ("name", "重复"), ("class", "camera"), ("camera_type", "球机")]),
                row(4, &[("code", "A-2"), ("name", "x"), ("class", "teleporter")]),
                row(
                    5,
                    &[("code", "A-3"), ("name", "y"), ("class", "camera"), ("camera_type", "球机"), ("colour", "红")],
                ),
            ],
            relations: vec![
                row(2, &[("from", "A-1"), ("kind", "runs_on"), ("to", "NOPE")]),
                row(3, &[("from", "A-3"), ("kind", "likes"), ("to", "A-1")]),
            ],
        };
        let err = p.register().import(&tech, &sheet, &no_progress).await.expect_err("refused");
        let problems = import_problems(err);
        assert_eq!(
            problems,
            vec![
                ("2".into(), "hj212_mn".into(), "err-attribute-missing".into()),
                ("3".into(), "code".into(), "err-import-duplicate".into()),
                ("4".into(), "class".into(), "err-asset-class".into()),
                ("5".into(), "colour".into(), "err-attribute-unknown".into()),
                ("2".into(), "to".into(), "err-import-relation-code".into()),
                ("3".into(), "kind".into(), "err-asset-relation-kind".into()),
            ],
            "{:?}",
            t.engine
        );
    }
}

#[tokio::test]
async fn retiring_a_gateway_shows_every_sensor_and_service_that_depended_on_it() {
    for t in databases().await {
        let p = park(&t).await;
        p.locations().await;
        let tech = p.caller("jb.tech01").await;
        p.register().import(&tech, &sheet(false), &no_progress).await.expect("import");
        let gw = p.by_code("JB-SAF-GW-0001").await;
        let mqtt = p.by_code("JB-MW-MQTT-01").await;

        let down = p.register().impact(&tech, mqtt.id, "downstream", 2).await.expect("impact");
        let hop =
            |n: u32| -> BTreeSet<&str> { down.iter().filter(|i| i.hops == n).map(|i| i.asset.code.as_str()).collect() };
        assert_eq!(hop(1), BTreeSet::from(["JB-SAF-GW-0001", "JB-SVC-SAF"]), "{:?}", t.engine);
        assert_eq!(hop(2), BTreeSet::from(["JB-GD-0001", "JB-GD-0002", "JB-GD-0003"]));
        assert_eq!(down.len(), 5, "nothing beyond two hops, nothing twice");

        let up = p.register().impact(&tech, p.by_code("JB-GD-0001").await.id, "upstream", 5).await.expect("impact");
        assert_eq!(up[0].asset.code, "JB-SAF-GW-0001");
        assert_eq!(up[0].via, RelationKind::ConnectedTo);
        let beyond: BTreeSet<&str> = up[1..].iter().map(|i| i.asset.code.as_str()).collect();
        assert_eq!(beyond, BTreeSet::from(["JB-NET-SW-0001", "JB-MW-MQTT-01"]));

        let retire =
            LifecycleRequest {
                event: "retire".into(), note: "更换为新型号".into(), ..LifecycleRequest::default()
            };
        let outcome = p.register().lifecycle(&tech, gw.id, retire).await.expect("retire");
        assert_eq!(outcome.asset.state, LifecycleState::OutOfService);
        let dependents: BTreeSet<&str> = outcome.dependents.iter().map(|d| d.asset.code.as_str()).collect();
        assert_eq!(dependents, BTreeSet::from(["JB-GD-0001", "JB-GD-0002", "JB-GD-0003"]), "{:?}", t.engine);
        let last = p.db.asset_events(gw.id).await.expect("events").pop().expect("event");
        assert_eq!(
            (last.kind.as_str(), last.from_state.as_str(), last.to_state.as_str()),
            ("retire", "in_service", "out_of_service")
        );
        assert!(last.data.contains("JB-GD-0002"), "{}", last.data);
    }
}

#[tokio::test]
async fn lifecycle_follows_the_state_machine_and_part_replacement_takes_stock() {
    for t in databases().await {
        let p = park(&t).await;
        let tech = p.caller("jb.tech03").await;
        let camera = p
            .register()
            .create(
                &tech,
                AssetInput {
                    code: "JB-VID-CAM-0001".into(),
                    name: "罐区高点球机".into(),
                    class: "camera".into(),
                    maintainer: "JB-VIDEO".into(),
                    attributes: [("camera_type".to_owned(), "高点".to_owned())].into(),
                    ..AssetInput::default()
                },
            )
            .await
            .expect("create");
        assert_eq!(camera.state, LifecycleState::Planned);
        let ev = |e: &str| LifecycleRequest { event: e.into(), ..LifecycleRequest::default() };
        let refused = p.register().lifecycle(&tech, camera.id, ev("scrap")).await.expect_err("refused");
        assert!(
            matches!(refused, AppError::Conflict(ref k) if k == "err-asset-transition:planned:scrap"),
            "{refused:?}"
        );
        for e in ["install", "commission", "accept", "fault"] {
            p.register().lifecycle(&tech, camera.id, ev(e)).await.expect(e);
        }
        let part = p
            .register()
            .create_spare_part(
                &tech,
                SparePartInput {
                    code: "SP-LENS".into(),
                    name: "球机镜头模组".into(),
                    class: "camera".into(),
                    unit: "个".into(),
                    stock: 2,
                    min_stock: 1,
                },
            )
            .await
            .expect("part");
        assert_eq!(part.stock, 2);
        let replace = |qty: i64| LifecycleRequest {
            event: "part_replace".into(),
            note: "更换镜头".into(),
            parts: vec![("SP-LENS".into(), qty)],
        };
        let out = p.register().lifecycle(&tech, camera.id, replace(1)).await.expect("replace");
        assert_eq!(out.asset.state, LifecycleState::Faulty, "a part replacement keeps the state");
        let events_before = p.db.asset_events(camera.id).await.expect("events").len();
        let head = p.audit_head().await;
        let short = p.register().lifecycle(&tech, camera.id, replace(5)).await.expect_err("out of stock");
        assert!(matches!(short, AppError::Conflict(ref k) if k.starts_with("err-spare-part-stock")), "{short:?}");
        assert_eq!(p.db.asset_events(camera.id).await.expect("events").len(), events_before, "rolled back");
        assert_eq!(p.audit_head().await, head);
        let stock = p.db.spare_part(part.id).await.expect("read").expect("part");
        assert_eq!(stock.stock, 1, "{:?}", t.engine);
        let moves = p.db.stock_movements(part.id).await.expect("moves");
        assert_eq!(moves.iter().map(|m| (m.delta, m.stock_after)).collect::<Vec<_>>(), vec![(2, 2), (-1, 1)]);
        assert_eq!(moves[1].asset_id, Some(camera.id));
        p.register().lifecycle(&tech, camera.id, ev("repair")).await.expect("repair");
        for e in ["retire", "scrap", "dispose"] {
            p.register().lifecycle(&tech, camera.id, ev(e)).await.expect(e);
        }
        let disposed = p.register().detail(&tech, camera.id).await.expect("detail");
        assert_eq!(disposed.asset.state, LifecycleState::Disposed);
        assert!(disposed.allowed_events.is_empty());
        let kinds: Vec<&str> = disposed.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec![
                "created",
                "install",
                "commission",
                "accept",
                "fault",
                "part_replace",
                "repair",
                "retire",
                "scrap",
                "dispose"
            ]
        );
        // An issue below zero through the stock page is refused too.
        let over = p.register().move_stock(&tech, part.id, -2, "issue", None, "").await.expect_err("refused");
        assert!(matches!(over, AppError::Conflict(_)));
        let back = p.register().move_stock(&tech, part.id, 3, "receipt", None, "到货").await.expect("receipt");
        assert_eq!(back.stock, 4);
    }
}

#[tokio::test]
async fn attributes_follow_the_class_schema_an_administrator_extended() {
    for t in databases().await {
        let p = park(&t).await;
        let manager = p.caller("jb.manager").await;
        let input = || AssetInput {
            code: "JB-GD-9001".into(),
            name: "有毒气体探测器".into(),
            class: "gas_detector".into(),
            enterprise: "JB-E02".into(),
            attributes: [("tag_no".to_owned(), "AT-9001".to_owned()), ("gas_kind".to_owned(), "有毒".to_owned())]
                .into(),
            ..AssetInput::default()
        };
        let extra = serde_json::json!([
            { "code": "sil_level", "label": "SIL等级", "type": "enum", "values": ["SIL1", "SIL2"], "required": true }
        ]);
        let op = p.caller("jb.op01").await;
        assert!(matches!(
            p.register().define_class(&op, "gas_detector", "", "safety_instrument", &extra).await,
            Err(AppError::Forbidden { .. })
        ));
        p.register().define_class(&manager, "gas_detector", "", "safety_instrument", &extra).await.expect("extend");
        let refused = p.register().create(&manager, input()).await.expect_err("missing");
        let AppError::Invalid(fields) = refused else { panic!("invalid expected") };
        assert_eq!(fields[0].field, "attributes");
        assert_eq!(fields[0].key, "err-attribute-missing");
        assert!(fields[0].args.contains(&("attribute", "sil_level".to_owned())), "{:?}", fields[0].args);
        let mut ok = input();
        ok.attributes.insert("sil_level".into(), "sil2".into());
        let created = p.register().create(&manager, ok).await.expect("create");
        assert_eq!(created.attributes["sil_level"], "SIL2", "enumeration values are canonical");
        let classes = p.register().classes(&op).await.expect("classes");
        assert!(classes.iter().any(|c| c.code == "gas_detector" && c.attributes.iter().any(|a| a.code == "sil_level")));

        // Update: unchanged input writes nothing; a change writes one timeline entry and one audit record.
        let head = p.audit_head().await;
        let same = AssetInput { attributes: BTreeMap::new(), ..input() };
        p.register().update(&manager, created.id, same).await.expect("no change");
        assert_eq!(p.audit_head().await, head, "{:?}", t.engine);
        let renamed = AssetInput { name: "T-3 有毒气体探测器".into(), attributes: BTreeMap::new(), ..input() };
        let after = p.register().update(&manager, created.id, renamed).await.expect("update");
        assert_eq!(after.attributes["sil_level"], "SIL2", "attributes not sent keep their value");
        assert_eq!(p.audit_head().await, head + 1);
        let op_edit = p.register().update(&op, created.id, input()).await;
        assert!(matches!(op_edit, Err(AppError::Forbidden { .. })), "operators read the register only");
    }
}

#[tokio::test]
async fn suppliers_see_only_what_they_maintain_and_facets_count_the_filter() {
    for t in databases().await {
        let p = park(&t).await;
        p.locations().await;
        let tech = p.caller("jb.tech01").await;
        // The demo park has its own register (demo_asset): counts below are on top of it.
        let demo = p.register().list(&tech, &AssetQuery::default(), PageRequest::clamped(None, Some(2)), true).await;
        let demo = demo.expect("list");
        let demo_facets = demo.facets.expect("facets");
        let before = |list: &[(String, i64)], k: &str| list.iter().find(|(c, _)| c == k).map_or(0, |(_, n)| *n);
        let before_state = |s: LifecycleState| demo_facets.states.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n);
        p.register().import(&tech, &sheet(false), &no_progress).await.expect("import");
        // jb.vendor09 works for the gas-detector supplier (JB-GASDET); the sheet's detectors
        // are JB-GD-000n (the demo's own are JB-Enn-GD-nnn).
        let vendor = p.caller("jb.vendor09").await;
        let sheet_codes = AssetQuery { text: "JB-GD-0".into(), ..AssetQuery::default() };
        let list = p.register().list(&vendor, &sheet_codes, PageRequest::clamped(None, None), true).await;
        let list = list.expect("list");
        let codes: Vec<&str> = list.page.items.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, vec!["JB-GD-0001", "JB-GD-0002", "JB-GD-0003"], "{:?}", t.engine);
        let gw = p.by_code("JB-SAF-GW-0001").await;
        assert!(matches!(p.register().detail(&vendor, gw.id).await, Err(AppError::NotFound)));
        let gd = p.by_code("JB-GD-0001").await;
        let detail = p.register().detail(&vendor, gd.id).await.expect("own");
        assert!(detail.relations.is_empty(), "the gateway is not theirs to see");
        assert!(!detail.can_manage);

        let all = p.register().list(&tech, &AssetQuery::default(), PageRequest::clamped(None, Some(2)), true).await;
        let all = all.expect("list");
        assert_eq!((all.page.total, all.page.items.len()), (demo.page.total + 7, 2));
        let facets = all.facets.expect("facets");
        let gas = before(&demo_facets.classes, "gas_detector") + 3;
        assert!(facets.classes.contains(&("gas_detector".to_owned(), gas)));
        assert!(facets.states.contains(&(LifecycleState::InService, before_state(LifecycleState::InService) + 6)));
        assert!(facets.states.contains(&(LifecycleState::Planned, before_state(LifecycleState::Planned) + 1)));
        assert_eq!(all.names.get("gas_detector").map(String::as_str), Some("气体探测器"));
        let q = AssetQuery { states: vec!["in_service".into()], text: "gd-000".into(), ..AssetQuery::default() };
        let found = p.register().list(&tech, &q, PageRequest::clamped(None, None), false).await.expect("list");
        assert_eq!(found.page.total, 3);
        // With facets the list takes its total from them: the same number.
        let faceted = p.register().list(&tech, &q, PageRequest::clamped(None, None), true).await.expect("list");
        assert_eq!((faceted.page.total, faceted.page.items.len()), (3, 3));
        let states = faceted.facets.expect("facets").states;
        assert_eq!(states, vec![(LifecycleState::InService, 3)]);
        let zone = found.page.items[0].location.zone.expect("zone").to_string();
        let by_zone = AssetQuery { zone, ..AssetQuery::default() };
        let in_zone = p.register().list(&tech, &by_zone, PageRequest::clamped(None, None), false).await.expect("zone");
        assert_eq!(in_zone.page.total, 5, "gateway, detectors and the switch are in Z1");
        // The facets of a zone (written so that SQLite keeps the covering index's order) count
        // the same five, all in that zone.
        let zone_id = found.page.items[0].location.zone;
        let faceted = p.register().list(&tech, &by_zone, PageRequest::clamped(None, None), true).await.expect("zone");
        assert_eq!(faceted.page.total, 5, "{:?}", t.engine);
        assert_eq!(faceted.facets.expect("facets").zones, vec![(zone_id, 5)]);
        let bad = AssetQuery { states: vec!["exploded".into()], ..AssetQuery::default() };
        assert!(matches!(
            p.register().list(&tech, &bad, PageRequest::clamped(None, None), false).await,
            Err(AppError::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn an_exported_workbook_imports_back_unchanged() {
    for t in databases().await {
        let p = park(&t).await;
        p.locations().await;
        let tech = p.caller("jb.tech01").await;
        // The demo park has its own register (demo_asset): the export holds it too.
        let demo = p.register().export(&tech, &AssetQuery::default()).await.expect("export");
        p.register().import(&tech, &sheet(false), &no_progress).await.expect("import");
        let book = p.register().export(&tech, &AssetQuery::default()).await.expect("export");
        assert_eq!(book.assets.rows.len(), demo.assets.rows.len() + 7);
        assert_eq!(book.relations.rows.len(), demo.relations.rows.len() + 6);
        let head = p.audit_head().await;
        let again = p.register().import(&tech, &book.to_sheet(), &no_progress).await.expect("import back");
        assert_eq!(
            (again.created, again.updated, again.unchanged, again.relations_added),
            (0, 0, book.assets.rows.len(), 0),
            "{:?}",
            t.engine
        );
        assert_eq!(p.audit_head().await, head);
    }
}

#[tokio::test]
async fn timelines_and_stock_movements_are_append_only() {
    for t in databases().await {
        let p = park(&t).await;
        p.locations().await;
        let tech = p.caller("jb.tech01").await;
        p.register().import(&tech, &sheet(false), &no_progress).await.expect("import");
        for sql in [
            "UPDATE asset_event SET note = 'x'",
            "DELETE FROM asset_event",
            "UPDATE spare_part_movement SET note = 'x' WHERE 1 = 0",
        ] {
            let refused = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(p.db.pool()).await;
            if sql.contains("1 = 0") {
                assert!(refused.is_ok(), "touching no row is not an error");
            } else {
                assert!(refused.is_err(), "{sql} on {:?}", t.engine);
            }
        }
    }
}

#[tokio::test]
async fn every_state_family_and_relation_kind_round_trips_through_the_store() {
    for t in databases().await {
        let p = park(&t).await;
        let park_id = p.app.store.parks().await.expect("parks")[0].id;
        let now = Timestamp::from_millis(WEDNESDAY_10H);
        let make = |i: usize, state: LifecycleState, family: CiFamily| AssetRecord {
            id: AssetId::from_uuid(uuid::Uuid::now_v7()),
            park_id,
            code: format!("RT-{i:03}"),
            // PostgreSQL's bulk statements join a column's values by U+001E with U+0015 for
            // NULL, and quote a column that holds either (`ColumnArrays`): both kinds round-trip.
            name: match i {
                1 => "含\u{1e}分隔符".to_owned(),
                2 => "\u{15}".to_owned(),
                3 => "引号\"与\\反斜杠".to_owned(),
                _ => format!("往返 {i}"),
            },
            class: "workstation".into(),
            family,
            state,
            state_since: now,
            location: LocationPath::default(),
            enterprise_org_id: None,
            maintainer_org_id: None,
            owner_user_id: None,
            criticality: [Criticality::A, Criticality::B, Criticality::C][i % 3],
            domain: BusinessDomain::ALL[i % BusinessDomain::ALL.len()],
            holds_sensitive_data: i.is_multiple_of(2),
            attributes: [("k".to_owned(), format!("值{i}"))].into(),
            created_by: "test".into(),
            created_at: now,
            updated_at: now,
        };
        let mut records = Vec::new();
        for (i, s) in LifecycleState::ALL.iter().enumerate() {
            records.push(make(i, *s, CiFamily::ALL[i % CiFamily::ALL.len()]));
        }
        for (i, f) in CiFamily::ALL.iter().enumerate() {
            records.push(make(100 + i, LifecycleState::InService, *f));
        }
        let relations: Vec<RelationRecord> = RelationKind::ALL
            .iter()
            .enumerate()
            .map(|(i, k)| RelationRecord {
                park_id,
                from_id: records[i].id,
                to_id: records[i + 1].id,
                kind: *k,
                note: ["\u{15}", "备注\u{1e}二", ""][i.min(2)].to_owned(),
                created_by: "test".into(),
                created_at: now,
            })
            .collect();
        let mut tx = p.db.begin_assets().await.expect("begin");
        tx.put_assets(&records).await.expect("put");
        let added = tx.insert_relations(&relations).await.expect("relations");
        assert_eq!(added, u64::try_from(relations.len()).expect("small"));
        let again = tx.insert_relations(&relations).await.expect("relations again");
        assert_eq!(again, 0, "present relations are skipped");
        let entry = Caller::command_line().entry("test.round_trip", "asset", "", Outcome::Success, "{}".into());
        tx.record(entry, now).await.expect("audit");
        tx.finish().await.expect("commit");
        let ids: Vec<AssetId> = records.iter().map(|r| r.id).collect();
        let mut back = p.db.assets_by_ids(&ids).await.expect("read");
        back.sort_by(|a, b| a.code.cmp(&b.code));
        records.sort_by(|a, b| a.code.cmp(&b.code));
        assert_eq!(back, records, "{:?}", t.engine);
        let mut rels = p.db.relations_touching(&ids).await.expect("relations");
        rels.sort_by_key(|r| r.kind);
        let kinds_and_notes =
            |rels: &[RelationRecord]| rels.iter().map(|r| (r.kind, r.note.clone())).collect::<Vec<_>>();
        assert_eq!(kinds_and_notes(&rels), kinds_and_notes(&relations), "{:?}", t.engine);
        // From one end only: the relation starting at the second CI, not the one ending there.
        let from_second = p.db.relations_from(&[records[1].id]).await.expect("relations from");
        assert_eq!(kinds_and_notes(&from_second), kinds_and_notes(&relations[1..2]), "{:?}", t.engine);
        assert_eq!(p.db.relations_touching(&[records[1].id]).await.expect("touching").len(), 2);

        // The import's update of many CIs: every mutable field, state and flag included.
        let later = Timestamp::from_millis(WEDNESDAY_10H + 60_000);
        let before = records.clone();
        for (i, r) in records.iter_mut().enumerate() {
            r.name = format!("{}（改\u{1e}）", r.name);
            r.state = LifecycleState::ALL[(i + 1) % LifecycleState::ALL.len()];
            r.holds_sensitive_data = !r.holds_sensitive_data;
            r.attributes.insert("k2".into(), format!("新值 \"{i}\""));
            r.updated_at = later;
        }
        let mut tx = p.db.begin_assets().await.expect("begin");
        let changes: Vec<(&AssetRecord, AssetRecord)> = before.iter().zip(records.iter().cloned()).collect();
        tx.update_assets(&changes).await.expect("update");
        let entry = Caller::command_line().entry("test.update", "asset", "", Outcome::Success, "{}".into());
        tx.record(entry, later).await.expect("audit");
        tx.finish().await.expect("commit");
        let mut back = p.db.assets_by_ids(&ids).await.expect("read");
        back.sort_by(|a, b| a.code.cmp(&b.code));
        assert_eq!(back, records, "{:?}", t.engine);
        // A CI that is not there fails the batch, which then leaves the register as it was.
        let mut stranger = records[0].clone();
        stranger.id = AssetId::from_uuid(uuid::Uuid::now_v7());
        stranger.code = "RT-NEW".into();
        let mut changed = records[1].clone();
        changed.name = "不应写入".into();
        let mut tx = p.db.begin_assets().await.expect("begin");
        let refused = tx
            .update_assets(&[(&records[1], changed), (&stranger, stranger.clone())])
            .await
            .expect_err("an unknown CI");
        assert!(matches!(refused, StoreError::NotFound), "{:?}: {refused:?}", t.engine);
        drop(tx);
        let kept = p.db.asset(records[1].id).await.expect("read").expect("there");
        assert_eq!(kept, records[1], "{:?}", t.engine);
    }
}

/// The rows of `table` as the planner's statistics give them: SQLite's `sqlite_stat1` for the
/// primary key, PostgreSQL's `pg_class.reltuples`.
async fn planner_rows(db: &Db, engine: Engine, table: &str) -> f64 {
    use sqlx::Row;
    let sql = if engine == Engine::Postgres {
        // This test's schema only: other schemas of the same server may hold a register too.
        format!(
            "SELECT CAST(reltuples AS TEXT) AS n FROM pg_class WHERE relname = '{table}' AND relkind = 'r' \
             AND relnamespace = CAST(current_schema() AS regnamespace)"
        )
    } else {
        format!("SELECT stat AS n FROM sqlite_stat1 WHERE tbl = '{table}' ORDER BY stat DESC LIMIT 1")
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_optional(db.pool()).await.expect("statistics");
    let text: String = row.map(|r| r.get("n")).unwrap_or_default();
    text.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(-1.0)
}

/// Whether PostgreSQL's `table` of this test's schema has been vacuumed by a command (not by
/// autovacuum, which may come at any time).
async fn vacuumed(db: &Db, table: &str) -> bool {
    use sqlx::Row;
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM pg_stat_user_tables WHERE relname = '{table}' \
         AND schemaname = current_schema() AND last_vacuum IS NOT NULL"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(db.pool()).await.expect("table statistics");
    row.get::<i64, _>("n") == 1
}

#[tokio::test]
async fn a_large_import_goes_through_the_batched_statements() {
    for t in databases().await {
        let p = park(&t).await;
        let tech = p.caller("jb.tech01").await;
        // Past the store's threshold for refreshing the planner's statistics (5,000 rows).
        let n = 5000;
        let assets = (0..n)
            .map(|i| {
                let code = format!("JB-GD-{i:05}");
                row(
                    i + 2,
                    &[
                        ("code", &code),
                        ("name", "探测器"),
                        ("class", "gas_detector"),
                        ("tag_no", &code),
                        ("gas_kind", "可燃"),
                    ],
                )
            })
            .chain(std::iter::once(row(n + 2, &[("code", "JB-GW-X"), ("name", "网关"), ("class", "edge_gateway")])))
            .collect();
        let relations = (0..n)
            .map(|i| row(i + 2, &[("from", &format!("JB-GD-{i:05}")), ("kind", "connected_to"), ("to", "JB-GW-X")]))
            .collect();
        let book = AssetSheet { assets, relations };
        // Rows are built on every core: a bad row in the second half is still named, and
        // nothing is written.
        let mut bad = book.clone();
        bad.assets[3_999] = row(4_001, &[("code", "JB-GD-BAD"), ("name", "探测器"), ("class", "no_such_class")]);
        let refused = p.register().import(&tech, &bad, &no_progress).await.expect_err("a bad row");
        let problems = import_problems(refused);
        assert!(problems.iter().any(|(r, _, _)| r == "4001"), "{:?}: {problems:?}", t.engine);
        let park = p.app.store.parks().await.expect("parks")[0].id;
        assert!(p.db.asset_by_code(park, "JB-GD-00000").await.expect("read").is_none(), "nothing written");
        let (keys, oids) = register_upkeep(&p.db, t.engine).await;
        let summary = p.register().import(&tech, &book, &no_progress).await.expect("import");
        assert_eq!((summary.created, summary.relations_added), (n + 1, n), "{:?}", t.engine);
        // 15,002 rows written: past the import's threshold, PostgreSQL checked the references
        // once per table (the keys were added back) and kept them as they were.
        let (after, after_oids) = register_upkeep(&p.db, t.engine).await;
        assert_eq!(after, keys, "{:?}", t.engine);
        assert_eq!(after_oids != oids, t.engine == Engine::Postgres, "{:?}", t.engine);
        // The planner knows the register's new size (the demo's 4,314 CIs and these) once the
        // refresh the import left running has ended.
        p.db.statistics_settled().await;
        let known = planner_rows(&p.db, t.engine, "asset").await;
        assert!(known > 9_000.0, "{:?}: statistics say {known} rows", t.engine);
        // On PostgreSQL by a `VACUUM (ANALYZE)`, which also marks the visibility map that
        // answers from covering indexes need.
        if t.engine == Engine::Postgres {
            assert!(vacuumed(&p.db, "asset").await, "the register was vacuumed after the import");
        }
        every_key_names_its_combination(&p.db, t.engine).await;
        facet_counts_match_the_register(&p.db, t.engine).await;
        let gw = p.by_code("JB-GW-X").await;
        let down = p.register().impact(&tech, gw.id, "downstream", 1).await.expect("impact");
        assert_eq!(down.len(), n);
        let again = p.register().import(&tech, &book, &no_progress).await.expect("again");
        assert_eq!((again.unchanged, again.relations_unchanged), (n + 1, n));
        // The sheet edited: every detector renamed, every other one given an enterprise too
        // (a facet of the list). The import writes only the columns each row changes, in one
        // statement per set of columns.
        let mut edited = book.clone();
        for (i, r) in edited.assets.iter_mut().take(n).enumerate() {
            r.cells.insert("name".into(), format!("探测器 {i}（改）"));
            if i % 2 == 0 {
                r.cells.insert("enterprise".into(), "JB-E01".into());
            }
        }
        let manager = p.caller("jb.manager").await;
        let changed = p.register().import(&manager, &edited, &no_progress).await.expect("edited");
        assert_eq!((changed.updated, changed.unchanged, changed.created), (n, 1, 0), "{:?}", t.engine);
        let (after_edit, edit_oids) = register_upkeep(&p.db, t.engine).await;
        assert_eq!(after_edit, keys, "{:?}", t.engine);
        // No relation written: PostgreSQL left their table's index and keys alone (the same
        // objects), and built the CIs' again.
        let of = |oids: &[String], table: &str| -> Vec<String> {
            keys.iter().zip(oids).filter(|((t, _, _), _)| t == table).map(|(_, o)| o.clone()).collect()
        };
        assert_eq!(of(&edit_oids, "asset_relation"), of(&after_oids, "asset_relation"), "{:?}", t.engine);
        assert_eq!(
            of(&edit_oids, "asset_event") != of(&after_oids, "asset_event"),
            t.engine == Engine::Postgres,
            "{:?}",
            t.engine
        );
        let (first, second) = (p.by_code("JB-GD-00000").await, p.by_code("JB-GD-00001").await);
        assert_eq!((first.name.as_str(), second.name.as_str()), ("探测器 0（改）", "探测器 1（改）"));
        assert!(first.enterprise_org_id.is_some() && second.enterprise_org_id.is_none(), "{:?}", t.engine);
        assert_eq!(first.attributes.get("gas_kind").map(String::as_str), Some("可燃"), "untouched columns stay");
        every_key_names_its_combination(&p.db, t.engine).await;
        facet_counts_match_the_register(&p.db, t.engine).await;
        let again = p.register().import(&manager, &edited, &no_progress).await.expect("edited again");
        assert_eq!((again.unchanged, again.updated), (n + 1, 0), "{:?}", t.engine);
        text_search_agrees_with_counting(&p, &tech, t.engine).await;
    }
}

/// The whole park's facets (counted per facet key on SQLite, by the columns on PostgreSQL) agree
/// with counting each state and class with a filter; returns the count of `state`.
async fn whole_park_facets_agree(p: &Park, caller: &Caller, engine: Engine, state: LifecycleState) -> i64 {
    let page = PageRequest::clamped(Some(1), Some(1));
    let all = p.register().list(caller, &AssetQuery::default(), page, true).await.expect("list");
    let facets = all.facets.expect("facets");
    let total = p.register().list(caller, &AssetQuery::default(), page, false).await.expect("count").page.total;
    assert_eq!(all.page.total, total, "{engine:?}");
    assert_eq!(facets.zones.iter().map(|(_, n)| n).sum::<i64>(), total, "{engine:?}");
    for (s, n) in &facets.states {
        let q = AssetQuery { states: vec![s.code().to_owned()], ..AssetQuery::default() };
        assert_eq!(p.register().list(caller, &q, page, false).await.expect("state").page.total, *n, "{engine:?} {s:?}");
    }
    for (c, n) in &facets.classes {
        let q = AssetQuery { classes: vec![c.clone()], ..AssetQuery::default() };
        assert_eq!(p.register().list(caller, &q, page, false).await.expect("class").page.total, *n, "{engine:?} {c}");
    }
    facets.states.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n)
}

#[tokio::test]
async fn the_whole_parks_facets_follow_every_write() {
    for t in databases().await {
        let p = park(&t).await;
        let tech = p.caller("jb.tech01").await;
        let before = whole_park_facets_agree(&p, &tech, t.engine, LifecycleState::OutOfService).await;
        // An update moves a CI to another combination of facet values …
        let gw = p.by_code("JB-GW-E03").await;
        let retire = LifecycleRequest { event: "retire".into(), note: "更换".into(), ..LifecycleRequest::default() };
        p.register().lifecycle(&tech, gw.id, retire).await.expect("retire");
        let after = whole_park_facets_agree(&p, &tech, t.engine, LifecycleState::OutOfService).await;
        assert_eq!(after, before + 1, "{:?}", t.engine);
        facet_counts_match_the_register(&p.db, t.engine).await;
        // … and an import adds CIs in combinations not seen before (new locations).
        p.locations().await;
        p.register().import(&tech, &sheet(false), &no_progress).await.expect("import");
        whole_park_facets_agree(&p, &tech, t.engine, LifecycleState::OutOfService).await;
        every_key_names_its_combination(&p.db, t.engine).await;
        facet_counts_match_the_register(&p.db, t.engine).await;
    }
}

/// The register's counts per combination of facet values (migration 0015) are those of grouping
/// the CIs themselves: no combination missing, none extra, no count off, and the triggers that
/// keep them are not set aside. Returns the CIs counted.
async fn facet_counts_match_the_register(db: &Db, engine: Engine) -> i64 {
    use sqlx::Row;
    let counted = "SELECT park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, \
        holds_sensitive_data, n FROM asset_facet_count WHERE n > 0";
    let grouped = "SELECT park_id, class, state, coalesce(zone_id, '') AS zone_id, \
        coalesce(enterprise_org_id, '') AS enterprise_org_id, coalesce(maintainer_org_id, '') AS maintainer_org_id, \
        family, holds_sensitive_data, COUNT(*) AS n FROM asset GROUP BY park_id, class, state, coalesce(zone_id, ''), \
        coalesce(enterprise_org_id, ''), coalesce(maintainer_org_id, ''), family, holds_sensitive_data";
    // What sets the triggers aside during a bulk write: SQLite's mark row, PostgreSQL's disabled
    // triggers (migration 0016).
    let deferred = if engine == Engine::Sqlite {
        "(SELECT COUNT(*) FROM asset_facet_count_deferred)"
    } else {
        "(SELECT COUNT(*) FROM pg_trigger WHERE tgrelid = 'asset'::regclass AND NOT tgisinternal AND tgenabled = 'D')"
    };
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM (SELECT * FROM ({counted}) a EXCEPT SELECT * FROM ({grouped}) b) x) AS extra, \
         (SELECT COUNT(*) FROM (SELECT * FROM ({grouped}) a EXCEPT SELECT * FROM ({counted}) b) y) AS missing, \
         (SELECT COUNT(*) FROM asset) AS cis, {deferred} AS deferred"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(db.pool()).await.expect("facet counts");
    let (extra, missing): (i64, i64) = (row.get("extra"), row.get("missing"));
    assert_eq!((extra, missing), (0, 0), "{engine:?}: counts per combination that grouping the CIs does not give");
    // Whatever set the triggers aside never outlives its bulk write's transaction.
    assert_eq!(row.get::<i64, _>("deferred"), 0, "{engine:?}");
    row.get("cis")
}

/// SQLite: every CI's facet key is its combination's number in the dictionary, whichever way it
/// was written (numbered by the insert trigger, or given by an import's plain insert).
async fn every_key_names_its_combination(db: &Db, engine: Engine) {
    if engine != Engine::Sqlite {
        return;
    }
    let wrong: i64 = sqlx::Row::get(
        &sqlx::query(
            "SELECT COUNT(*) AS n FROM asset a LEFT JOIN asset_facet_combo c ON c.facet_key = a.facet_key \
             AND c.class = a.class AND c.state = a.state AND c.zone_id = coalesce(a.zone_id, '') \
             AND c.enterprise_org_id = coalesce(a.enterprise_org_id, '') \
             AND c.maintainer_org_id = coalesce(a.maintainer_org_id, '') AND c.family = a.family \
             AND c.holds_sensitive_data = a.holds_sensitive_data WHERE c.facet_key IS NULL",
        )
        .fetch_one(db.pool())
        .await
        .expect("keys"),
        "n",
    );
    assert_eq!(wrong, 0, "CIs whose facet key does not name their combination");
}

/// The foreign keys of the tables a bulk write defers (ADR 0015), the secondary indexes of
/// `asset` and `asset_relation` (ADR 0016) and, on PostgreSQL, the triggers of `asset` with
/// whether they are enabled (ADR 0020) as `(table, name, definition)`, with PostgreSQL's oids
/// apart (a deferred write adds the keys back as new constraints and builds the indexes anew, so
/// their oids change while names and definitions stay).
async fn register_upkeep(db: &Db, engine: Engine) -> (Vec<(String, String, String)>, Vec<String>) {
    use sqlx::Row;
    let sql = if engine == Engine::Postgres {
        "SELECT conrelid::regclass::text AS t, conname::text AS name, pg_get_constraintdef(oid) AS def, \
         oid::text AS oid FROM pg_constraint WHERE contype = 'f' \
         AND conrelid IN ('asset'::regclass, 'asset_relation'::regclass, 'asset_event'::regclass) \
         UNION ALL SELECT indrelid::regclass::text, indexrelid::regclass::text, pg_get_indexdef(indexrelid), \
         indexrelid::text FROM pg_index WHERE indrelid IN ('asset'::regclass, 'asset_relation'::regclass) \
         AND NOT indisunique \
         UNION ALL SELECT 'asset', tgname::text, tgenabled::text, '' FROM pg_trigger \
         WHERE tgrelid = 'asset'::regclass AND NOT tgisinternal ORDER BY 1, 2"
    } else {
        "SELECT m.name AS t, CAST(k.id AS TEXT) AS name, k.\"from\" || ' -> ' || k.\"table\" AS def, '' AS oid \
         FROM sqlite_master m, pragma_foreign_key_list(m.name) k \
         WHERE m.name IN ('asset', 'asset_relation', 'asset_event') \
         UNION ALL SELECT tbl_name, name, sql, '' FROM sqlite_master \
         WHERE type = 'index' AND tbl_name IN ('asset', 'asset_relation') AND sql IS NOT NULL ORDER BY 1, 2"
    };
    let rows = sqlx::query(sql).fetch_all(db.pool()).await.expect("foreign keys and indexes");
    let keys = rows.iter().map(|r| (r.get("t"), r.get("name"), r.get("def"))).collect();
    (keys, rows.iter().map(|r| r.get("oid")).collect())
}

/// A new CI of the demo park's in `zone`, coded `code`.
async fn new_ci(p: &Park, code: &str, zone: Option<LocationId>) -> AssetRecord {
    let mut a = p.by_code("JB-E03-GD-018").await;
    a.id = AssetId::from_uuid(uuid::Uuid::now_v7());
    a.code = code.into();
    a.location = LocationPath { zone, site: None, point: None };
    a
}

/// The audit record of the bulk writes these tests make directly on the store.
fn bulk_entry() -> parkops_domain::audit::AuditEntry {
    Caller::command_line().entry("test.bulk", "asset", "", Outcome::Success, "{}".into())
}

/// Writes `ci`, whose zone does not exist, in `tx` and returns the refusal: at once when the
/// transaction checks row by row, at the commit when it `deferred` the checks.
async fn refused_dangling(
    mut tx: Box<dyn parkops_app::asset::AssetTx>,
    ci: &AssetRecord,
    deferred: bool,
) -> StoreError {
    let written = tx.insert_assets(std::slice::from_ref(ci)).await;
    if !deferred {
        return written.expect_err("checked at once");
    }
    written.expect("checked at the commit");
    tx.record(bulk_entry(), Timestamp::from_millis(WEDNESDAY_10H)).await.expect("audit");
    tx.finish().await.expect_err("a dangling zone")
}

#[tokio::test]
async fn deferred_reference_checks_still_refuse_a_dangling_reference_and_keep_the_keys() {
    for t in databases().await {
        let p = park(&t).await;
        let postgres = t.engine == Engine::Postgres;
        let (keys, oids) = register_upkeep(&p.db, t.engine).await;
        assert!(keys.len() >= 6, "{:?}: {keys:?}", t.engine);
        if postgres {
            let names: Vec<&str> = keys.iter().map(|(_, name, _)| name.as_str()).collect();
            assert!(names.contains(&"asset_search_by_key"), "{names:?}");
            // The trigram index needs pg_trgm, which a server may lack (migration 0013).
            if trigrams_available(&p.db).await {
                assert!(names.contains(&"asset_search_trigrams"), "{names:?}");
            } else {
                eprintln!("pg_trgm is not installed on this PostgreSQL server: the trigram index is not checked");
            }
        }
        let now = Timestamp::from_millis(WEDNESDAY_10H);
        // A CI in a zone that does not exist: both engines take it and refuse the commit,
        // naming the key (SQLite's bulk connection checks the keys before its commit).
        let dangling = new_ci(&p, "JB-DANGLING", Some(LocationId::from_uuid(uuid::Uuid::now_v7()))).await;
        let mut tx = p.db.begin_assets().await.expect("begin");
        assert!(tx.defer_register_upkeep(10_000, true).await.expect("defer"), "{:?}", t.engine);
        let refused = refused_dangling(tx, &dangling, true).await;
        assert!(
            matches!(&refused, StoreError::Conflict { constraint } if constraint == "asset_zone_id_fkey"),
            "{:?}: {refused:?}",
            t.engine
        );
        let park_id = dangling.park_id;
        assert!(p.db.asset_by_code(park_id, "JB-DANGLING").await.expect("read").is_none(), "nothing written");
        assert_eq!(
            register_upkeep(&p.db, t.engine).await,
            (keys.clone(), oids.clone()),
            "{:?}: keys as they were",
            t.engine
        );
        // A sound bulk write commits with every key back, by name and definition.
        let good = new_ci(&p, "JB-BULK-1", None).await;
        let gw = p.by_code("JB-GW-E03").await;
        let mut tx = p.db.begin_assets().await.expect("begin");
        tx.defer_register_upkeep(10_000, true).await.expect("defer");
        tx.insert_assets(std::slice::from_ref(&good)).await.expect("insert");
        let link = RelationRecord {
            park_id,
            from_id: good.id,
            to_id: gw.id,
            kind: RelationKind::ConnectedTo,
            note: String::new(),
            created_by: "test".into(),
            created_at: now,
        };
        assert_eq!(tx.append_relations(&[link]).await.expect("relation"), 1);
        tx.record(bulk_entry(), now).await.expect("audit");
        tx.finish().await.expect("commit");
        assert!(p.db.asset_by_code(park_id, "JB-BULK-1").await.expect("read").is_some());
        let (after, after_oids) = register_upkeep(&p.db, t.engine).await;
        assert_eq!(after, keys, "{:?}", t.engine);
        assert_eq!(after_oids != oids, postgres, "{:?}: PostgreSQL added the keys back", t.engine);
        // Every later write checks its keys again, row by row: on SQLite the writers'
        // connections never had theirs off.
        for _ in 0..3 {
            let tx = p.db.begin_assets().await.expect("begin");
            let refused = refused_dangling(tx, &dangling, false).await;
            assert!(matches!(refused, StoreError::Conflict { .. }), "{:?}: {refused:?}", t.engine);
        }
    }
}

#[tokio::test]
async fn facet_counts_follow_every_insert_update_and_delete_of_a_ci() {
    for t in databases().await {
        let p = park(&t).await;
        let cis = facet_counts_match_the_register(&p.db, t.engine).await;
        // A CI written by hand (no timeline yet, so it may be deleted), in a combination of its
        // own: no zone, no organisation, a state no other CI of its class has.
        let columns = "id, park_id, code, name, class, family, state, state_since, zone_id, site_id, point_id, \
            enterprise_org_id, maintainer_org_id, owner_user_id, criticality, domain, holds_sensitive_data, \
            attributes, created_by, created_at, updated_at, search_text";
        let copy = format!(
            "INSERT INTO asset ({columns}) SELECT 'facet-count-ci', park_id, 'JB-FACET-X', name, class, family, \
             'planned', state_since, NULL, NULL, NULL, NULL, NULL, NULL, criticality, domain, 1, attributes, \
             created_by, created_at, updated_at, 'jb-facet-x' FROM asset WHERE code = 'JB-GW-E03'"
        );
        sqlx::query(sqlx::AssertSqlSafe(copy)).execute(p.db.pool()).await.expect("insert");
        assert_eq!(facet_counts_match_the_register(&p.db, t.engine).await, cis + 1, "{:?}", t.engine);
        // Moved to another combination (and back to its old one's count), and then deleted.
        for change in [
            "UPDATE asset SET state = 'faulty', holds_sensitive_data = 0 WHERE id = 'facet-count-ci'",
            "UPDATE asset SET name = '改名' WHERE id = 'facet-count-ci'",
            "DELETE FROM asset WHERE id = 'facet-count-ci'",
        ] {
            sqlx::query(change).execute(p.db.pool()).await.expect(change);
            facet_counts_match_the_register(&p.db, t.engine).await;
        }
        assert_eq!(facet_counts_match_the_register(&p.db, t.engine).await, cis, "{:?}", t.engine);
        // The list's facets read those counts: the whole park and a facet filter.
        let tech = p.caller("jb.tech01").await;
        whole_park_facets_agree(&p, &tech, t.engine, LifecycleState::Faulty).await;
    }
}

#[tokio::test]
async fn a_failed_bulk_statement_rolls_the_whole_write_back() {
    for t in databases().await {
        let p = park(&t).await;
        let park_id = p.by_code("JB-GW-E03").await.park_id;
        // The second CI of one statement takes a code the register holds: SQLite's bulk
        // statement (`INSERT OR FAIL`, no statement journal) keeps the first, so the transaction
        // may only roll back; PostgreSQL undoes the statement. Neither commits anything.
        let first = new_ci(&p, "JB-BULK-FIRST", None).await;
        let taken = new_ci(&p, "JB-GW-E03", None).await;
        let mut tx = p.db.begin_assets().await.expect("begin");
        assert!(tx.defer_register_upkeep(10_000, true).await.expect("defer"), "{:?}", t.engine);
        let refused = tx.insert_assets(&[first.clone(), taken]).await.expect_err("a taken code");
        assert!(matches!(refused, StoreError::Conflict { .. }), "{:?}: {refused:?}", t.engine);
        let committed = match tx.record(bulk_entry(), Timestamp::from_millis(WEDNESDAY_10H)).await {
            Ok(_) => tx.finish().await,
            // PostgreSQL refuses any statement of a transaction whose statement failed.
            Err(e) => {
                drop(tx);
                Err(e)
            }
        };
        assert!(committed.is_err(), "{:?}: committed after a failed bulk statement", t.engine);
        assert!(p.db.asset_by_code(park_id, "JB-BULK-FIRST").await.expect("read").is_none(), "{:?}", t.engine);
        facet_counts_match_the_register(&p.db, t.engine).await;
        // The gate is open again and the register writable.
        let mut tx = p.db.begin_assets().await.expect("begin");
        tx.insert_assets(std::slice::from_ref(&first)).await.expect("insert");
        tx.record(bulk_entry(), Timestamp::from_millis(WEDNESDAY_10H)).await.expect("audit");
        tx.finish().await.expect("commit");
        assert!(p.db.asset_by_code(park_id, "JB-BULK-FIRST").await.expect("read").is_some());
    }
}

#[tokio::test]
async fn busy_register_tables_leave_the_checks_row_by_row() {
    for t in databases().await {
        let p = park(&t).await;
        // A reader in the middle of a transaction on the locations: PostgreSQL's bulk write
        // waits a second for it, then checks row by row instead. SQLite's readers hold nothing
        // a writer waits for (they read the last commit): it defers all the same.
        let mut reader = p.db.pool().begin().await.expect("reader");
        sqlx::query("SELECT COUNT(*) AS n FROM asset_location").fetch_one(&mut *reader).await.expect("read");
        let mut tx = p.db.begin_assets().await.expect("begin");
        let deferred = tx.defer_register_upkeep(10_000, true).await.expect("defer");
        assert_eq!(deferred, t.engine == Engine::Sqlite, "{:?}", t.engine);
        let dangling = new_ci(&p, "JB-DANGLING", Some(LocationId::from_uuid(uuid::Uuid::now_v7()))).await;
        let refused = refused_dangling(tx, &dangling, deferred).await;
        assert!(matches!(refused, StoreError::Conflict { .. }), "{:?}: {refused:?}", t.engine);
        reader.rollback().await.expect("reader done");
    }
}

/// Whether `refused` is the refusal of a CI's reference: on PostgreSQL (and SQLite's bulk
/// connection, which checks keys before its commit) named as the key, on SQLite's writers as
/// SQLite words it (it names no key).
fn refused_for(refused: &StoreError, key: &str, named: bool) -> bool {
    matches!(refused, StoreError::Conflict { constraint } if !named || constraint == key)
}

/// Sets one of a CI's parties (enterprise, maintainer, owner) to the given id.
type SetParty = fn(&mut AssetRecord, uuid::Uuid);

#[tokio::test]
async fn a_cis_enterprise_maintainer_and_owner_must_exist_and_stay() {
    use parkops_domain::id::{OrgId, UserId};
    for t in databases().await {
        let p = park(&t).await;
        let postgres = t.engine == Engine::Postgres;
        let now = Timestamp::from_millis(WEDNESDAY_10H);
        let gd = p.by_code("JB-E03-GD-018").await;
        let enterprise = gd.enterprise_org_id.expect("the detector's enterprise");
        let nobody = || uuid::Uuid::now_v7();
        let unknown: [(&str, SetParty); 3] = [
            ("asset_enterprise_org_id_fkey", |a, id| a.enterprise_org_id = Some(OrgId::from_uuid(id))),
            ("asset_maintainer_org_id_fkey", |a, id| a.maintainer_org_id = Some(OrgId::from_uuid(id))),
            ("asset_owner_user_id_fkey", |a, id| a.owner_user_id = Some(UserId::from_uuid(id))),
        ];
        for (key, set) in unknown {
            // A new CI naming a party that does not exist, one row at a time.
            let mut ci = new_ci(&p, "JB-NO-PARTY", None).await;
            set(&mut ci, nobody());
            let mut tx = p.db.begin_assets().await.expect("begin");
            let refused = tx.insert_assets(std::slice::from_ref(&ci)).await.expect_err("an unknown party");
            assert!(refused_for(&refused, key, postgres), "{:?} {key}: {refused:?}", t.engine);
            drop(tx);
            // A CI changed to name one.
            let mut changed = gd.clone();
            set(&mut changed, nobody());
            let mut tx = p.db.begin_assets().await.expect("begin");
            let refused = tx.put_assets(std::slice::from_ref(&changed)).await.expect_err("an unknown party");
            assert!(refused_for(&refused, key, postgres), "{:?} {key}: {refused:?}", t.engine);
            drop(tx);
            // In a bulk write both engines check them before the commit (PostgreSQL's statement
            // triggers are disabled meanwhile, migration 0016; SQLite's bulk connection checks its
            // keys then), naming the key; neither commits.
            let mut tx = p.db.begin_assets().await.expect("begin");
            assert!(tx.defer_register_upkeep(10_000, true).await.expect("defer"), "{:?}", t.engine);
            tx.insert_assets(std::slice::from_ref(&ci)).await.expect("checked at the commit");
            tx.record(bulk_entry(), now).await.expect("audit");
            let refused = tx.finish().await.expect_err("an unknown party at the commit");
            assert!(refused_for(&refused, key, true), "{:?} {key}: {refused:?}", t.engine);
            assert!(p.db.asset_by_code(ci.park_id, "JB-NO-PARTY").await.expect("read").is_none(), "{:?}", t.engine);
            assert_eq!(p.by_code("JB-E03-GD-018").await, gd, "{:?} {key}: unchanged", t.engine);
        }
        // The organisation a CI names stays: deleting it, or changing its id, is refused.
        for sql in ["DELETE FROM organisation WHERE id = $1", "UPDATE organisation SET id = id || '-x' WHERE id = $1"] {
            let refused = sqlx::query(sql).bind(enterprise.to_string()).execute(p.db.pool()).await.expect_err(sql);
            let named = refused.as_database_error().and_then(|d| d.constraint()).map(str::to_owned);
            assert!(refused.as_database_error().is_some_and(|d| d.is_foreign_key_violation()), "{sql}: {refused:?}");
            if postgres {
                assert_eq!(named.as_deref(), Some("asset_enterprise_org_id_fkey"), "{sql}");
            }
        }
        if postgres {
            // While a write naming the organisation is open, the row is held as a key holds it:
            // no one may take it to delete it.
            let mut ci = new_ci(&p, "JB-PARTY-HELD", None).await;
            ci.enterprise_org_id = Some(enterprise);
            let mut tx = p.db.begin_assets().await.expect("begin");
            tx.insert_assets(std::slice::from_ref(&ci)).await.expect("insert");
            let taken = sqlx::query("SELECT id FROM organisation WHERE id = $1 FOR UPDATE NOWAIT")
                .bind(enterprise.to_string())
                .execute(p.db.pool())
                .await
                .expect_err("held by the write");
            assert_eq!(taken.as_database_error().and_then(|d| d.code()).as_deref(), Some("55P03"), "{taken:?}");
            drop(tx);
            // The write gate opens once the abandoned write has rolled back.
            let mut next = p.db.begin_assets().await.expect("begin");
            sqlx::query("SELECT id FROM organisation WHERE id = $1 FOR UPDATE NOWAIT")
                .bind(enterprise.to_string())
                .execute(p.db.pool())
                .await
                .expect("free once the write is gone");
            next.record(bulk_entry(), now).await.expect("audit");
            next.finish().await.expect("commit");
        }
    }
}

/// Whether the PostgreSQL server offers pg_trgm (migration 0013 then adds the trigram index).
async fn trigrams_available(db: &Db) -> bool {
    sqlx::query("SELECT 1 AS one FROM pg_available_extensions WHERE name = 'pg_trgm'")
        .fetch_optional(db.pool())
        .await
        .expect("extensions")
        .is_some()
}

#[tokio::test]
async fn a_bulk_write_of_a_small_share_of_the_register_keeps_its_upkeep_row_by_row() {
    for t in databases().await {
        let p = park(&t).await;
        let before = register_upkeep(&p.db, t.engine).await;
        let held: i64 = sqlx::Row::get(
            &sqlx::query("SELECT COUNT(*) AS n FROM asset").fetch_one(p.db.pool()).await.expect("count"),
            "n",
        );
        let held = usize::try_from(held).expect("count");
        assert!(held >= 4_000, "{:?}: the demo's register", t.engine);
        // Fewer than a quarter of the CIs held: keys and indexes stay, a dangling reference is
        // refused at once.
        let mut tx = p.db.begin_assets().await.expect("begin");
        assert!(!tx.defer_register_upkeep((held - 1) / 4, true).await.expect("defer"), "{:?}", t.engine);
        let dangling = new_ci(&p, "JB-DANGLING", Some(LocationId::from_uuid(uuid::Uuid::now_v7()))).await;
        let refused = refused_dangling(tx, &dangling, false).await;
        assert!(matches!(refused, StoreError::Conflict { .. }), "{:?}: {refused:?}", t.engine);
        assert_eq!(register_upkeep(&p.db, t.engine).await, before, "{:?}", t.engine);
        // A quarter or more: both engines defer, and a rolled-back write leaves everything as it was.
        let mut tx = p.db.begin_assets().await.expect("begin");
        assert!(tx.defer_register_upkeep(held.div_ceil(4), true).await.expect("defer"), "{:?}", t.engine);
        drop(tx);
        assert_eq!(register_upkeep(&p.db, t.engine).await, before, "{:?}", t.engine);
    }
}

/// A text search answers the same whether many CIs match (the grouped facets and an ordered
/// page) or few (one pass over the covering index, then the CIs by id), and the same as the
/// list without facets, which counts with `COUNT(*)`.
async fn text_search_agrees_with_counting(p: &Park, tech: &Caller, engine: Engine) {
    let page = |n| PageRequest::clamped(Some(n), Some(4));
    // (text, sort, CIs of the 5,000 imported that match at least)
    for (text, sort, at_least) in [
        ("gd-0", "code", 5_000),      // many: the demo's own detectors (JB-E03-GD-018) too
        ("探测", "name", 5_000),      // many, by name
        ("GD-0499", "code", 10),      // few: JB-GD-04990 … 04999, in any case
        ("jb-gd-0499", "name", 10),   // few, another order
        ("gd-04999", "updated", 1),   // one
        ("no such thing", "code", 0), // none
    ] {
        let q = AssetQuery { text: text.into(), sort: sort.into(), ..AssetQuery::default() };
        let codes = |l: &parkops_app::asset::AssetList| l.page.items.iter().map(|a| a.code.clone()).collect::<Vec<_>>();
        let mut faceted = None;
        for n in [1, 2] {
            let counted = p.register().list(tech, &q, page(n), false).await.expect("list");
            let with_facets = p.register().list(tech, &q, page(n), true).await.expect("list");
            let total = counted.page.total;
            assert!(total >= at_least && (at_least > 0 || total == 0), "{engine:?} {text}: {total}");
            assert_eq!(with_facets.page.total, total, "{engine:?} {text}: facets sum to the count");
            assert_eq!(codes(&with_facets), codes(&counted), "{engine:?} {text}: the same page {n}");
            assert_eq!(codes(&counted).len(), usize::try_from((total - 4 * (n - 1)).clamp(0, 4)).unwrap_or(0));
            faceted = Some(with_facets);
        }
        let faceted = faceted.expect("listed");
        let total = faceted.page.total;
        let facets = faceted.facets.expect("facets");
        assert_eq!(facets.classes.iter().map(|(_, n)| n).sum::<i64>(), total, "{engine:?} {text}");
        assert_eq!(facets.zones.iter().map(|(_, n)| n).sum::<i64>(), total, "{engine:?} {text}");
    }
    // Every CI's search text is what migration 0010 computes for the CIs it found.
    let sql = match engine {
        Engine::Sqlite => "SELECT COUNT(*) AS n FROM asset WHERE search_text <> lower(code) || char(31) || lower(name)",
        Engine::Postgres => {
            "SELECT COUNT(*) AS n FROM asset WHERE search_text <> translate(code, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', \
             'abcdefghijklmnopqrstuvwxyz') || chr(31) || translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', \
             'abcdefghijklmnopqrstuvwxyz')"
        }
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(p.db.pool()).await.expect("search texts");
    assert_eq!(sqlx::Row::get::<i64, _>(&row, "n"), 0, "{engine:?}");
}

#[tokio::test]
async fn locations_relations_and_a_class_of_the_parks_own() {
    for t in databases().await {
        let p = park(&t).await;
        p.locations().await;
        let m = p.caller("jb.manager").await;
        let field_keys = |e: AppError| match e {
            AppError::Invalid(f) => f.into_iter().map(|f| (f.field, f.key)).collect::<Vec<_>>(),
            other => panic!("invalid expected, got {other:?}"),
        };
        let loc = |parent: &str, level: &str, code: &str| LocationInput {
            parent: parent.into(),
            level: level.into(),
            code: code.into(),
            name: "点位".into(),
            ..LocationInput::default()
        };
        let reg = p.register();
        assert_eq!(
            field_keys(reg.put_location(&m, loc("", "site", "S-X")).await.expect_err("site needs a zone")),
            vec![("parent", "err-location-parent".to_owned())]
        );
        assert_eq!(
            field_keys(reg.put_location(&m, loc("Z1", "point", "P-X")).await.expect_err("point needs a site")),
            vec![("parent", "err-location-parent".to_owned())]
        );
        assert_eq!(
            field_keys(reg.put_location(&m, loc("", "zone", "Z1")).await.expect_err("taken")),
            vec![("code", "err-location-code-taken".to_owned())]
        );
        let nodes = reg.locations(&m).await.expect("locations");
        let site = nodes.iter().find(|n| n.code == "Z1-S01").expect("site").clone();
        let rename = LocationInput {
            id: site.id.to_string(),
            parent: "Z1".into(),
            level: "site".into(),
            code: "Z1-S01".into(),
            name: "恒力化工一厂".into(),
            ..LocationInput::default()
        };
        assert_eq!(reg.put_location(&m, rename.clone()).await.expect("rename").name, "恒力化工一厂");
        let moved = LocationInput { parent: "Z2".into(), ..rename };
        assert_eq!(
            field_keys(reg.put_location(&m, moved).await.expect_err("fixed")),
            vec![("parent", "err-location-fixed".to_owned())]
        );

        let attrs = serde_json::json!([
            { "code": "isotope", "label": "核素", "type": "text", "required": true },
            { "code": "dose_range", "label": "剂量量程", "type": "decimal", "unit": "μSv/h" }
        ]);
        let class = reg.define_class(&m, "radiation_monitor", "辐射监测仪", "environmental_instrument", &attrs).await;
        assert!(!class.expect("class").is_built_in);
        let monitor = reg
            .create(
                &m,
                AssetInput {
                    code: "JB-ENV-RAD-01".into(),
                    name: "园区边界辐射监测仪".into(),
                    class: "辐射监测仪".into(),
                    location: "Z1-S01-P01".into(),
                    attributes: [
                        ("isotope".to_owned(), "Cs-137".to_owned()),
                        ("dose_range".to_owned(), "0.10".to_owned()),
                    ]
                    .into(),
                    ..AssetInput::default()
                },
            )
            .await
            .expect("create");
        assert_eq!(monitor.domain, BusinessDomain::Environmental, "the family's default domain");
        assert_eq!(monitor.attributes["dose_range"], "0.1");
        let station = reg
            .create(
                &m,
                AssetInput {
                    code: "JB-ENV-AIR-01".into(),
                    name: "边界空气站".into(),
                    class: "air_station".into(),
                    ..AssetInput::default()
                },
            )
            .await
            .expect("station");
        reg.add_relation(&m, monitor.id, station.id, "located_at", "站房内").await.expect("relate");
        assert!(matches!(
            reg.add_relation(&m, monitor.id, station.id, "located_at", "").await,
            Err(AppError::Conflict(ref k)) if k == "err-asset-relation-exists"
        ));
        assert!(matches!(reg.add_relation(&m, monitor.id, monitor.id, "uses", "").await, Err(AppError::Invalid(_))));
        let detail = reg.detail(&m, station.id).await.expect("detail");
        assert_eq!(detail.relations.len(), 1);
        assert!(!detail.relations[0].outgoing);
        assert_eq!(detail.relations[0].other.code, "JB-ENV-RAD-01");
        assert_eq!(detail.events.last().map(|e| e.kind.as_str()), Some("relation_added"));
        reg.remove_relation(&m, monitor.id, station.id, "located_at").await.expect("remove");
        assert!(matches!(reg.remove_relation(&m, monitor.id, station.id, "located_at").await, Err(AppError::NotFound)));
        let path = reg.detail(&m, monitor.id).await.expect("detail").location;
        let codes: Vec<&str> = path.iter().map(|l| l.code.as_str()).collect();
        assert_eq!(codes, vec!["Z1", "Z1-S01", "Z1-S01-P01"], "{:?}", t.engine);
    }
}
