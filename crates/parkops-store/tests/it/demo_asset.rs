//! The demo park's asset register (`shared/domain.md` §4.2), on SQLite and PostgreSQL: the
//! count per class, every CI valid on its class schema and equal to what importing the demo's
//! own sheet would make, the states of the table, a gateway whose retirement names its
//! sensors and the service above, the same register on both engines, and a second load that
//! changes nothing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use parkops_app::asset::{AssetQuery, ImportProgress, LifecycleRequest};
use parkops_app::clock::ManualClock;
use parkops_app::demo_asset::{
    self, CALIBRATING_CEMS, CLASS_COUNTS, DISK_USAGE, FULL_DATABASE, OFFLINE_GATEWAY, SAFETY_SERVICE,
};
use parkops_app::ports::PageRequest;
use parkops_app::ports::asset::{AssetFilter, AssetReads, AssetRecord};
use parkops_app::{App, Caller};
use parkops_domain::asset::{LifecycleState, validate_attributes};
use parkops_domain::audit::SigningKey;
use parkops_domain::time::Timestamp;
use parkops_store::{DatabaseUrl, Db};
use parkops_testkit::databases;

/// 2026-11-25 (a Wednesday) 10:00 China Standard Time.
const WEDNESDAY_10H: i64 = 1_795_572_000_000;

async fn caller(app: &App, username: &str) -> Caller {
    let user = app.store.user_by_username(username).await.expect("read").expect("user");
    let p = app.principal_of(&user).await.expect("principal");
    Caller { principal: Some(p), ip: "127.0.0.1".into(), request_id: format!("test-{username}") }
}

/// Every CI of the park, by code.
async fn all_assets(db: &Db) -> BTreeMap<String, AssetRecord> {
    let mut out = BTreeMap::new();
    for page in 1.. {
        let got = db.assets(&AssetFilter::default(), PageRequest { page, per_page: 1000 }).await.expect("assets");
        let n = got.items.len();
        out.extend(got.items.into_iter().map(|a| (a.code.clone(), a)));
        if n < 1000 {
            break;
        }
    }
    out
}

fn no_progress(_: ImportProgress) {}

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one story per engine, in order")]
async fn the_demo_register_has_the_table_and_its_gateway_names_what_depends_on_it() {
    let mut first_engine: Option<Vec<(String, String, String, String)>> = None;
    for t in databases().await {
        let url = DatabaseUrl::resolve(Some(&t.url), std::path::Path::new(".")).expect("url");
        let db = Db::connect(&url).await.expect("connect");
        db.migrate().await.expect("migrate");
        let app = App {
            store: Arc::new(db.clone()),
            clock: Arc::new(ManualClock::new(Timestamp::from_millis(WEDNESDAY_10H))),
            audit_key: Arc::new(SigningKey::from_seed([8; 32])),
            audit_origin: "test".into(),
            checkpoint_every: 100_000,
        };
        let started = Instant::now();
        assert!(app.load_demo(&Caller::command_line()).await.expect("demo"));
        eprintln!("demo load with its asset register on {:?}: {:?}", t.engine, started.elapsed());
        let manager = caller(&app, "jb.manager").await;

        // The count per class, as the list's facets give it.
        let list = app.assets().list(&manager, &AssetQuery::default(), PageRequest::clamped(None, None), true).await;
        let list = list.expect("list");
        let facets = list.facets.expect("facets");
        let counts: BTreeMap<&str, i64> = facets.classes.iter().map(|(c, n)| (c.as_str(), *n)).collect();
        let table: BTreeMap<&str, i64> =
            CLASS_COUNTS.iter().map(|(c, n)| (*c, i64::try_from(*n).expect("small"))).collect();
        assert_eq!(counts, table, "{:?}", t.engine);
        assert_eq!(list.page.total, table.values().sum::<i64>());
        let states: BTreeMap<LifecycleState, i64> = facets.states.iter().copied().collect();
        assert_eq!(states.get(&LifecycleState::UnderMaintenance), Some(&2), "two CEMS in calibration");
        assert!(states[&LifecycleState::Faulty] > 40, "{states:?}");

        // Every CI valid on the class schema in force (with the park's database extension).
        let classes: BTreeMap<String, _> = app
            .assets()
            .classes(&manager)
            .await
            .expect("classes")
            .into_iter()
            .map(|c| (c.code.clone(), c.schema()))
            .collect();
        let assets = all_assets(&db).await;
        assert_eq!(i64::try_from(assets.len()).expect("small"), list.page.total);
        for a in assets.values() {
            let typed = validate_attributes(&classes[&a.class], &a.attributes)
                .unwrap_or_else(|e| panic!("{} on {:?}: {e:?}", a.code, t.engine));
            assert_eq!(typed.to_text(), a.attributes, "{} is canonical", a.code);
        }
        assert_eq!(assets[FULL_DATABASE].attributes[DISK_USAGE], "91");
        for cems in CALIBRATING_CEMS {
            assert_eq!(assets[cems].state, LifecycleState::UnderMaintenance);
        }
        let gw = &assets[OFFLINE_GATEWAY];
        assert_eq!(gw.state, LifecycleState::Faulty);
        let events = db.asset_events(gw.id).await.expect("timeline");
        assert_eq!(
            events.iter().map(|e| (e.kind.as_str(), e.to_state.as_str())).collect::<Vec<_>>(),
            vec![("created", "in_service"), ("fault", "faulty")]
        );

        // The demo's own sheet, imported, is exactly the register: nothing to write.
        let head = app.store.audit_head().await.expect("head").0;
        let sheet = demo_asset::sheet(Timestamp::from_millis(WEDNESDAY_10H), "");
        let summary = app.assets().import(&manager, &sheet, &no_progress).await.expect("import");
        assert_eq!(
            (summary.created, summary.updated, summary.unchanged, summary.relations_added),
            (0, 0, assets.len(), 0),
            "{:?}",
            t.engine
        );
        assert_eq!(summary.relations_unchanged, sheet.relations.len());
        assert_eq!(app.store.audit_head().await.expect("head").0, head, "an unchanged import writes nothing");

        // What depends on the gateway, and what it depends on.
        let up = app.assets().impact(&manager, gw.id, "upstream", 10).await.expect("upstream");
        let up: Vec<&str> = up.iter().map(|i| i.asset.code.as_str()).collect();
        for code in ["JB-SIM-03", "JB-SW-A03", "JB-SW-C01", "JB-MQ-01"] {
            assert!(up.contains(&code), "{code} upstream of the gateway on {:?}", t.engine);
        }
        let retire =
            LifecycleRequest {
                event: "retire".into(), note: "更换为新型号".into(), ..LifecycleRequest::default()
            };
        let outcome = app.assets().lifecycle(&manager, gw.id, retire).await.expect("retire");
        assert_eq!(outcome.asset.state, LifecycleState::OutOfService);
        let by_class = |class: &str| outcome.dependents.iter().filter(|d| d.asset.class == class).count();
        assert!(by_class("gas_detector") > 10, "its detectors, through the GDS");
        assert!(by_class("gds_controller") == 1 && by_class("level_transmitter") > 0);
        assert!(outcome.dependents.iter().any(|d| d.asset.code == SAFETY_SERVICE && d.hops == 1), "the service above");
        assert!(
            outcome
                .dependents
                .iter()
                .all(|d| d.asset.class == "business_service" || d.asset.enterprise_org_id == gw.enterprise_org_id)
        );

        // The same register on both engines (ids aside).
        let snapshot: Vec<(String, String, String, String)> = assets
            .values()
            .map(|a| (a.code.clone(), a.class.clone(), a.state.code().to_owned(), format!("{:?}", a.attributes)))
            .collect();
        match &first_engine {
            None => first_engine = Some(snapshot),
            Some(first) => assert_eq!(first, &snapshot, "the same on both engines"),
        }

        // A second load changes nothing.
        let head = app.store.audit_head().await.expect("head").0;
        assert!(!app.load_demo(&Caller::command_line()).await.expect("again"));
        let park = app.store.parks().await.expect("parks")[0].id;
        app.load_demo_assets(&Caller::command_line(), park).await.expect("assets again");
        assert_eq!(app.store.audit_head().await.expect("head").0, head);
        assert_eq!(all_assets(&db).await.len(), assets.len());
    }
}
