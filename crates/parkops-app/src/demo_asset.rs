//! The demo park's asset register (`shared/domain.md` §4.2): about 4,300 CIs in every family,
//! with realistic Chinese names and codes (`JB-CAM-0001`, `JB-GW-E03`, `JB-E03-GD-018`),
//! attributes filled on each class schema, the location tree (park → 5 zones → plants,
//! stations, checkpoints and the data centre → installation points), the demo's enterprises as
//! owners of their field devices and its suppliers as maintainers, and the relations of §3.3:
//! sensor → GDS → gateway → 4G link → access switch → aggregation → core; cameras → NVR →
//! video platform; VMs → virtualisation hosts; modules → databases and middleware → VMs;
//! services → modules and the gateways and data loggers that feed them.
//!
//! The states follow §4.2: the TSDB's volume at 91 % (a park extension of the database class,
//! `disk_usage`), one video storage degraded, three SIMs expiring within 30 days, gateway
//! `JB-GW-E03` offline, about 1.5 % of the safety points faulty, 25 gas detectors past their
//! verification date, two CEMS in calibration, 2.5 % of the cameras offline.
//!
//! The register is a pure function of `now` (a fixed seed), written through the asset port in
//! one transaction with batched statements, one timeline entry per CI (and one more for each
//! CI whose state moved since), and audit records for the class extension and the load.
//! [`sheet`] renders the same register as an import workbook, for benchmarks and for tests that
//! run it through the import's full validation.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use parkops_domain::asset::{
    AssetId, AttributeDef, AttributeType, ClassExtension, ClassRegistry, Criticality, LifecycleEvent, LifecycleState,
    LocationId, LocationLevel, RelationKind,
};
use parkops_domain::audit::Outcome;
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::ticket::BusinessDomain;
use parkops_domain::time::Timestamp;
use serde_json::json;

use crate::asset::{AssetSheet, SheetRow, attributes_to_json};
use crate::demo::{ENTERPRISE_STEMS, enterprise_kind};
use crate::demo_desk::Rng;
use crate::ports::asset::{
    AssetClassRecord, AssetEventRecord, AssetFilter, AssetRecord, LocationPath, LocationRecord, RelationRecord,
};
use crate::ports::{OrgFilter, PageRequest, UserFilter};
use crate::{App, AppError, Caller};

/// CIs per class in the demo register: `shared/domain.md` §4.2, with its groups split into the
/// built-in classes (MQTT brokers have their own class; CEMS and wastewater outlets have four
/// analyser CIs each; micro-stations are air stations; water stations are water analysers).
pub const CLASS_COUNTS: [(&str, usize); 80] = [
    // Services (10).
    ("business_service", 10),
    // Software: modules 60, databases 8, middleware 12 (3 MQTT + 9), an OS per VM.
    ("app_module", 60),
    ("database", 8),
    ("middleware", 9),
    ("mqtt_broker", 3),
    ("os_instance", 140),
    // Compute and storage (201).
    ("physical_server", 28),
    ("virtual_machine", 140),
    ("storage_array", 2),
    ("video_storage", 6),
    ("backup_appliance", 1),
    ("backup_media", 24),
    // Network and security (100 devices, 70 links: 30 fibre, 40 4G SIM).
    ("core_switch", 2),
    ("aggregation_switch", 8),
    ("access_switch", 72),
    ("router", 4),
    ("firewall", 4),
    ("unidirectional_gateway", 2),
    ("ids_ips", 2),
    ("waf", 1),
    ("vpn_gateway", 1),
    ("bastion_host", 1),
    ("log_audit", 1),
    ("db_audit", 1),
    ("av_gateway", 1),
    ("comm_link", 70),
    // Facility (63).
    ("ups", 4),
    ("precision_ac", 4),
    ("pdu", 24),
    ("generator", 1),
    ("env_sensor", 30),
    // Data acquisition (86): gateways 18 + 4 + 4 park, loggers 26 + 18 + 2 + 2, energy 12.
    ("edge_gateway", 26),
    ("data_logger", 48),
    ("energy_gateway", 12),
    // Safety instruments (1,362 points).
    ("gas_detector", 640),
    ("level_transmitter", 180),
    ("temperature_transmitter", 210),
    ("pressure_transmitter", 190),
    ("valve_status", 120),
    ("gds_controller", 22),
    // Environment (259): 26 CEMS × (container + 4 analysers), 18 outlets × 4, stations.
    ("cems", 26),
    ("gas_analyzer", 26),
    ("pm_monitor", 26),
    ("flow_monitor", 26),
    ("nmhc_analyzer", 26),
    ("water_analyzer", 56),
    ("flowmeter", 18),
    ("air_station", 32),
    ("voc_analyzer", 15),
    ("odor_monitor", 6),
    ("met_station", 2),
    // Video (1,244): 320 park cameras, 900 enterprise cameras.
    ("camera", 1220),
    ("nvr", 12),
    ("ai_analytics_server", 4),
    ("video_platform", 1),
    ("decoder", 6),
    ("video_wall", 1),
    // Closed-area management (347).
    ("checkpoint", 6),
    ("lane", 20),
    ("anpr_camera", 40),
    ("hazmat_sign_camera", 20),
    ("barrier_gate", 20),
    ("led_display", 12),
    ("face_turnstile", 8),
    ("perimeter_sensor", 40),
    ("parking_lot", 1),
    ("parking_spot_sensor", 120),
    ("positioning_anchor", 60),
    // Emergency (89).
    ("pa_speaker", 60),
    ("siren", 8),
    ("command_console", 6),
    ("video_conf_terminal", 4),
    ("emergency_vehicle", 1),
    ("warehouse_sensor", 10),
    // Energy meters (220).
    ("electric_meter", 110),
    ("steam_meter", 40),
    ("water_meter", 50),
    ("gas_meter", 20),
    // End-user devices (43).
    ("workstation", 40),
    ("large_screen", 3),
];

/// The gateway that is offline (incident #2's enterprise, SIM `JB-SIM-03`).
pub const OFFLINE_GATEWAY: &str = "JB-GW-E03";
/// The time-series database whose volume is 91 % full (incident #7).
pub const FULL_DATABASE: &str = "JB-DB-03";
/// The video storage running with a degraded disk.
pub const DEGRADED_STORAGE: &str = "JB-CVR-04";
/// The business service fed by every enterprise gateway.
pub const SAFETY_SERVICE: &str = "JB-SVC-01";
/// The SIMs whose data plan ends within 30 days.
pub const EXPIRING_SIMS: [&str; 3] = ["JB-SIM-07", "JB-SIM-15", "JB-SIM-31"];
/// The CEMS in calibration (Flag C).
pub const CALIBRATING_CEMS: [&str; 2] = ["JB-CEMS-05", "JB-CEMS-12"];
/// Gas detectors past their verification date.
pub const OVERDUE_DETECTORS: usize = 25;
/// The attribute of the park's extension of the database class.
pub const DISK_USAGE: &str = "disk_usage";

const SEED: u64 = 0x4a42_2026_a55e_0004;

/// Major-hazard enterprises (the first 18 of the demo's 48): E01–E02 一级, E03–E06 二级,
/// E07–E13 三级, E14–E18 四级. The first four run a second gateway.
const HAZARD: usize = 18;
const SECOND_GATEWAY: usize = 4;

const ZONES: [&str; 5] = ["石化区", "精细化工区", "仓储物流区", "公用工程区", "综合服务区"];

/// The zone (0-based) of the demo's enterprise `e` (0-based).
const fn zone_of(e: usize) -> usize {
    match e {
        0..10 => 0,
        10..20 => 1,
        20..38 => 2,
        _ => 4,
    }
}

fn hazard_level(e: usize) -> &'static str {
    match e {
        0..2 => "一级",
        2..6 => "二级",
        6..13 => "三级",
        _ => "四级",
    }
}

/// A location node as generated; `parent` indexes the nodes generated before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loc {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) level: LocationLevel,
    pub(crate) parent: Option<usize>,
    pub(crate) latitude: String,
    pub(crate) longitude: String,
    pub(crate) ex_zone: String,
}

/// A lifecycle event after the CI was registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct History {
    pub(crate) event: LifecycleEvent,
    pub(crate) at: Timestamp,
    pub(crate) note: String,
}

/// A CI as generated: organisations by code suffix (`E03`, `GASDET`), the owner by login name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ci {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) class: &'static str,
    /// State when registered.
    pub(crate) initial: LifecycleState,
    pub(crate) history: Option<History>,
    pub(crate) location: Option<usize>,
    pub(crate) enterprise: Option<usize>,
    pub(crate) maintainer: Option<&'static str>,
    pub(crate) owner: Option<String>,
    pub(crate) criticality: Criticality,
    pub(crate) domain: Option<BusinessDomain>,
    pub(crate) sensitive: bool,
    pub(crate) attributes: BTreeMap<String, String>,
}

impl Ci {
    fn new(code: impl Into<String>, name: impl Into<String>, class: &'static str) -> Self {
        Self {
            code: code.into(),
            name: name.into(),
            class,
            initial: LifecycleState::InService,
            history: None,
            location: None,
            enterprise: None,
            maintainer: None,
            owner: None,
            criticality: Criticality::B,
            domain: None,
            sensitive: false,
            attributes: BTreeMap::new(),
        }
    }

    fn at(mut self, loc: usize) -> Self {
        self.location = Some(loc);
        self
    }

    fn of(mut self, enterprise: usize) -> Self {
        self.enterprise = Some(enterprise);
        self
    }

    fn by(mut self, maintainer: &'static str) -> Self {
        self.maintainer = Some(maintainer);
        self
    }

    fn owned(mut self, username: impl Into<String>) -> Self {
        self.owner = Some(username.into());
        self
    }

    const fn crit(mut self, c: Criticality) -> Self {
        self.criticality = c;
        self
    }

    const fn domain(mut self, d: BusinessDomain) -> Self {
        self.domain = Some(d);
        self
    }

    const fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    fn attr(mut self, code: &str, value: impl ToString) -> Self {
        self.attributes.insert(code.to_owned(), value.to_string());
        self
    }

    /// The state now.
    pub(crate) fn state(&self) -> LifecycleState {
        self.history
            .as_ref()
            .and_then(|h| parkops_domain::asset::transition(self.initial, h.event).ok())
            .unwrap_or(self.initial)
    }
}

/// A relation between two generated CIs, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rel {
    pub(crate) from: usize,
    pub(crate) kind: RelationKind,
    pub(crate) to: usize,
}

/// The generated register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Register {
    pub(crate) locations: Vec<Loc>,
    pub(crate) cis: Vec<Ci>,
    pub(crate) relations: Vec<Rel>,
}

/// The park's extension of the database class: the data volume's fill level (§4.2 "1 DB at
/// 91 % disk").
pub(crate) fn database_extension() -> ClassExtension {
    ClassExtension {
        code: "database".to_owned(),
        name: String::new(),
        family: parkops_domain::asset::CiFamily::Application,
        attributes: vec![AttributeDef {
            code: DISK_USAGE.to_owned(),
            label: "数据卷使用率".to_owned(),
            kind: AttributeType::Decimal,
            required: false,
            unit: Some("%".to_owned()),
        }],
    }
}

/// Tenths as a canonical decimal (`915` → `91.5`, `910` → `91`).
fn tenths(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.abs();
    if a % 10 == 0 { format!("{sign}{}", a / 10) } else { format!("{sign}{}.{}", a / 10, a % 10) }
}

fn enterprise_name(e: usize) -> String {
    format!("{}{}", ENTERPRISE_STEMS[e], enterprise_kind(e).trim_end_matches("有限公司"))
}

/// The generator's state.
struct Gen {
    rng: Rng,
    now: Timestamp,
    today: NaiveDate,
    locations: Vec<Loc>,
    cis: Vec<Ci>,
    relations: Vec<Rel>,
    by_code: BTreeMap<String, usize>,
    /// Zone nodes, by zone index.
    zones: Vec<usize>,
    /// Enterprise plant sites, by enterprise index.
    plants: Vec<usize>,
    /// Points of the major-hazard plants: tank farm, process unit, cabinet room.
    plant_points: Vec<[usize; 3]>,
    /// Public installation points per zone (poles, boundary stations).
    public_points: Vec<Vec<usize>>,
    /// Named park sites.
    sites: BTreeMap<&'static str, usize>,
    /// Points of the data centre: rows A and B, power room, operator access room.
    dc_points: [usize; 4],
    /// The WWTP's inlet and outlet.
    wwtp_points: [usize; 2],
}

impl Gen {
    fn new(now: Timestamp) -> Self {
        Self {
            rng: Rng(SEED),
            now,
            today: now.to_cst().date_naive(),
            locations: Vec::new(),
            cis: Vec::new(),
            relations: Vec::new(),
            by_code: BTreeMap::new(),
            zones: Vec::new(),
            plants: Vec::new(),
            plant_points: Vec::new(),
            public_points: Vec::new(),
            sites: BTreeMap::new(),
            dc_points: [0; 4],
            wwtp_points: [0; 2],
        }
    }

    /// `days` from today (CST) as `YYYY-MM-DD`.
    fn date(&self, days: i64) -> String {
        (self.today + Duration::days(days)).format("%Y-%m-%d").to_string()
    }

    /// A date between `lo` and `hi` days from today, drawn.
    fn some_day(&mut self, lo: i64, hi: i64) -> String {
        let d = self.rng.between(lo, hi);
        self.date(d)
    }

    /// Between `lo` and `hi` hours (and `minutes`) before now, drawn.
    fn some_time_ago(&mut self, lo: i64, hi: i64, minutes: i64) -> Timestamp {
        let h = self.rng.between(lo, hi);
        self.ago(h, minutes)
    }

    /// `hours` before now.
    fn ago(&self, hours: i64, minutes: i64) -> Timestamp {
        self.now.plus(-Duration::minutes(hours * 60 + minutes))
    }

    fn loc(&mut self, parent: Option<usize>, level: LocationLevel, code: String, name: String, ex: &str) -> usize {
        let n = i64::try_from(self.locations.len()).unwrap_or(0);
        // Around 31.95° N, 120.95° E (fictional), spread over a few kilometres.
        let lat = 319_500 + (n * 37) % 400;
        let lng = 1_209_500 + (n * 53) % 600;
        self.locations.push(Loc {
            code,
            name,
            level,
            parent,
            latitude: format!("{}.{:04}", lat / 10_000, lat % 10_000),
            longitude: format!("{}.{:04}", lng / 10_000, lng % 10_000),
            ex_zone: ex.to_owned(),
        });
        self.locations.len() - 1
    }

    fn add(&mut self, ci: Ci) -> usize {
        let i = self.cis.len();
        self.by_code.insert(ci.code.clone(), i);
        self.cis.push(ci);
        i
    }

    fn rel(&mut self, from: usize, kind: RelationKind, to: usize) {
        self.relations.push(Rel { from, kind, to });
    }

    fn idx(&self, code: &str) -> usize {
        self.by_code.get(code).copied().expect("a demo CI is generated before anything refers to it")
    }

    /// Asset data every CI carries: maker, model, serial, dates; monitored devices say so.
    fn common(&mut self, ci: Ci, maker: &str, model: &str, years: i64) -> Ci {
        let serial = format!(
            "{}{:08}",
            &model.chars().filter(char::is_ascii_alphanumeric).take(2).collect::<String>(),
            self.rng.next() % 100_000_000
        );
        let installed = -years * 365 - self.rng.between(0, 200);
        let ci = ci
            .attr("manufacturer", maker)
            .attr("model", model)
            .attr("serial_no", serial)
            .attr("install_date", self.date(installed))
            .attr("commission_date", self.date(installed + 14))
            .attr("warranty_end", self.date(installed + 3 * 365))
            .attr("contract_no", format!("JB-HT-{}-{:03}", self.today.format("%Y"), self.rng.below(60) + 1));
        ci.attr("monitoring_enabled", "true")
    }

    fn ip(ci: Ci, a: usize, b: usize) -> Ci {
        ci.attr("ip", format!("10.{}.{}.{}", 10 + a % 200, b / 250, b % 250 + 2))
    }

    fn verification(&mut self, ci: Ci, overdue_days: Option<i64>) -> Ci {
        let last = match overdue_days {
            Some(d) => -365 - d,
            None => -self.rng.between(20, 340),
        };
        let cert = format!("JJG{}-{:05}", self.today.format("%y"), self.rng.next() % 100_000);
        ci.attr("calibration_cycle", 365)
            .attr("last_verification", self.date(last))
            .attr("next_verification", self.date(last + 365))
            .attr("certificate_no", cert)
    }

    // -----------------------------------------------------------------------------------------
    // Locations
    // -----------------------------------------------------------------------------------------

    fn locations(&mut self) {
        use LocationLevel as L;
        for (z, name) in ZONES.iter().enumerate() {
            let i = self.loc(None, L::Zone, format!("JB-Z{}", z + 1), (*name).to_owned(), "");
            self.zones.push(i);
        }
        for e in 0..ENTERPRISE_STEMS.len() {
            let z = zone_of(e);
            let site = self.loc(
                Some(self.zones[z]),
                L::Site,
                format!("JB-Z{}-E{:02}", z + 1, e + 1),
                format!("{}厂区", enterprise_name(e)),
                "",
            );
            self.plants.push(site);
        }
        for e in 0..HAZARD {
            let code = &self.locations[self.plants[e]].code.clone();
            let tank = self.loc(
                Some(self.plants[e]),
                L::Point,
                format!("{code}-P1"),
                format!("储罐区（{}重大危险源）", hazard_level(e)),
                "1区",
            );
            let unit = self.loc(Some(self.plants[e]), L::Point, format!("{code}-P2"), "生产装置区".into(), "2区");
            let room = self.loc(Some(self.plants[e]), L::Point, format!("{code}-P3"), "机柜间".into(), "");
            self.plant_points.push([tank, unit, room]);
        }
        let park_sites: [(&'static str, usize, &str); 15] = [
            ("DC", 4, "园区数据中心机房"),
            ("CC", 4, "应急指挥中心"),
            ("WH", 3, "应急物资库"),
            ("WWTP", 3, "园区污水处理厂"),
            ("WS1", 3, "1号地表水自动监测站"),
            ("WS2", 2, "2号地表水自动监测站"),
            ("AQ1", 0, "1号空气质量监测站"),
            ("AQ2", 2, "2号空气质量监测站"),
            ("KK1", 0, "1号卡口"),
            ("KK2", 0, "2号卡口"),
            ("KK3", 1, "3号卡口"),
            ("KK4", 2, "4号卡口"),
            ("KK5", 2, "5号卡口"),
            ("KK6", 3, "6号卡口"),
            ("PK", 2, "危化品车辆停车场"),
        ];
        for (key, z, name) in park_sites {
            let i = self.loc(Some(self.zones[z]), L::Site, format!("JB-Z{}-{key}", z + 1), name.to_owned(), "");
            self.sites.insert(key, i);
        }
        let dc = self.sites["DC"];
        let dc_code = self.locations[dc].code.clone();
        for (k, name) in ["A列机柜", "B列机柜", "配电室", "运营商接入间"].into_iter().enumerate() {
            self.dc_points[k] = self.loc(Some(dc), L::Point, format!("{dc_code}-P{}", k + 1), name.into(), "");
        }
        let wwtp = self.sites["WWTP"];
        let wwtp_code = self.locations[wwtp].code.clone();
        for (k, name) in ["进水口", "出水口"].into_iter().enumerate() {
            self.wwtp_points[k] = self.loc(Some(wwtp), L::Point, format!("{wwtp_code}-P{}", k + 1), name.into(), "");
        }
        for (z, zone) in ZONES.iter().enumerate() {
            let site =
                self.loc(Some(self.zones[z]), L::Site, format!("JB-Z{}-PUB", z + 1), format!("{zone}公共区域"), "");
            let mut points = Vec::new();
            for p in 1..=14 {
                let (name, ex) = if p <= 10 {
                    (format!("{p:02}号监控杆"), if z < 2 { "2区" } else { "" })
                } else {
                    (format!("边界监测点 {:02}", p - 10), "")
                };
                points.push(self.loc(Some(site), L::Point, format!("JB-Z{}-PUB-P{p:02}", z + 1), name, ex));
            }
            self.public_points.push(points);
        }
    }

    /// The point for outlet `code` (`DA001`, `DW001`) of enterprise `e`'s plant.
    fn outlet_point(&mut self, e: usize, code: &str, name: &str) -> usize {
        let plant = self.plants[e];
        let c = format!("{}-{code}", self.locations[plant].code);
        self.loc(Some(plant), LocationLevel::Point, c, name.to_owned(), "")
    }

    fn public_point(&self, zone: usize, k: usize) -> usize {
        self.public_points[zone % ZONES.len()][k % 10]
    }

    fn boundary_point(&self, k: usize) -> usize {
        self.public_points[k % ZONES.len()][10 + (k / ZONES.len()) % 4]
    }
}

/// Generates the register for `now`.
pub(crate) fn generate(now: Timestamp) -> Register {
    let mut g = Gen::new(now);
    g.locations();
    g.infrastructure();
    g.software();
    g.acquisition();
    g.safety();
    g.environment();
    g.video();
    g.closed_area();
    g.emergency_and_energy();
    g.services();
    // Software and services run in the data centre.
    let dc = g.sites["DC"];
    for ci in &mut g.cis {
        ci.location.get_or_insert(dc);
    }
    Register { locations: g.locations, cis: g.cis, relations: g.relations }
}

impl Gen {
    // -----------------------------------------------------------------------------------------
    // Data centre: network, security, facility, compute and storage
    // -----------------------------------------------------------------------------------------

    #[allow(clippy::too_many_lines, reason = "one device group after another")]
    fn infrastructure(&mut self) {
        let [row_a, row_b, power, access_room] = self.dc_points;
        let net = |g: &mut Self, ci: Ci, n: usize, ports: u32| {
            let ci = g.common(ci, "联创网络", "LC-S6800", 4).attr("port_count", ports);
            let ci = ci.attr("config_baseline", "v2026.03").attr("last_config_backup", g.date(-(n as i64 % 7) - 1));
            Self::ip(ci, 1, n).by("NETINT").owned("jb.tech05")
        };
        let mut cores = Vec::new();
        for k in 1..=2 {
            let ci = net(self, Ci::new(format!("JB-SW-C{k:02}"), format!("核心交换机 {k}"), "core_switch"), k, 48);
            cores.push(self.add(ci.at(row_a).crit(Criticality::A)));
        }
        let mut aggs = Vec::new();
        for k in 1..=8 {
            let (name, loc) = if k <= 5 {
                (format!("{}汇聚交换机", ZONES[k - 1]), self.public_point(k - 1, 0))
            } else {
                (format!("数据中心汇聚交换机 {}", k - 5), row_a)
            };
            let ci = net(self, Ci::new(format!("JB-SW-G{k:02}"), name, "aggregation_switch"), 10 + k, 48);
            let i = self.add(ci.at(loc).crit(Criticality::A));
            for &c in &cores {
                self.rel(i, RelationKind::ConnectedTo, c);
            }
            aggs.push(i);
        }
        for k in 1..=72usize {
            let (name, loc, agg) = match k {
                1..=4 => (format!("运营商接入交换机 {k}"), access_room, aggs[5]),
                5..=16 => {
                    (format!("服务器接入交换机 {}", k - 4), if k % 2 == 0 { row_a } else { row_b }, aggs[6 + k % 2])
                }
                _ => {
                    let z = (k - 17) % 5;
                    (
                        format!("{}接入交换机 {:02}", ZONES[z], (k - 17) / 5 + 1),
                        self.public_point(z, (k - 17) / 5),
                        aggs[z],
                    )
                }
            };
            let ports = if k <= 16 { 48 } else { 24 };
            let ci = net(self, Ci::new(format!("JB-SW-A{k:02}"), name, "access_switch"), 20 + k, ports);
            let i = self.add(ci.at(loc));
            self.rel(i, RelationKind::ConnectedTo, agg);
        }
        for k in 1..=4 {
            let ci = net(self, Ci::new(format!("JB-RT-{k:02}"), format!("出口路由器 {k}"), "router"), 100 + k, 8);
            let i = self.add(ci.at(access_room).crit(Criticality::A));
            self.rel(i, RelationKind::ConnectedTo, cores[k % 2]);
        }
        let security: [(&str, &'static str, &str, usize); 9] = [
            ("JB-FW", "firewall", "防火墙", 4),
            ("JB-GAP", "unidirectional_gateway", "网闸（企业OT—园区）", 2),
            ("JB-IDS", "ids_ips", "入侵检测系统", 2),
            ("JB-WAF", "waf", "Web应用防火墙", 1),
            ("JB-VPN", "vpn_gateway", "VPN网关", 1),
            ("JB-BH", "bastion_host", "运维堡垒机", 1),
            ("JB-LA", "log_audit", "日志审计系统", 1),
            ("JB-DBA", "db_audit", "数据库审计系统", 1),
            ("JB-AV", "av_gateway", "防病毒网关", 1),
        ];
        for (prefix, class, name, count) in security {
            for k in 1..=count {
                let n = self.cis.len();
                let ci = self.common(
                    Ci::new(format!("{prefix}-{k:02}"), format!("{name} {k}"), class),
                    "盾安安全",
                    "DA-NGFW-5000",
                    3,
                );
                let ci = Self::ip(ci, 2, n)
                    .attr("port_count", 16)
                    .attr("config_baseline", "v2026.02")
                    .attr("last_config_backup", self.date(-3))
                    .attr("signature_version", format!("{}.{:02}.{:02}", self.today.format("%Y"), 1 + k, 10 + k))
                    .attr("signature_date", self.date(-1))
                    .attr("next_pentest", self.date(120 + 30 * k as i64));
                let i = self.add(
                    ci.at(row_b)
                        .by("SEC")
                        .owned("jb.tech06")
                        .crit(Criticality::A)
                        .domain(BusinessDomain::NetworkSecurity),
                );
                self.rel(i, RelationKind::ConnectedTo, cores[(k + 1) % 2]);
            }
        }
        // Facility.
        for k in 1..=4 {
            let ci = self.common(
                Ci::new(format!("JB-UPS-{k:02}"), format!("UPS {k}（200 kVA）"), "ups"),
                "华能电源",
                "HN-UPS200",
                5,
            );
            let ci = ci
                .attr("capacity", 200)
                .attr("battery_install_date", self.date(-700 - 30 * k as i64))
                .attr("last_discharge_test", self.date(-120 - 7 * k as i64));
            self.add(ci.at(power).by("ZW").owned("jb.tech07").crit(Criticality::A));
        }
        for k in 1..=4 {
            let ci = self.common(
                Ci::new(format!("JB-AC-{k:02}"), format!("精密空调 {k}"), "precision_ac"),
                "冷域环境",
                "LY-CRAC60",
                5,
            );
            self.add(ci.attr("capacity", 60).at(if k % 2 == 0 { row_a } else { row_b }).by("ZW").owned("jb.tech07"));
        }
        for k in 1..=24 {
            let ci = self.common(
                Ci::new(
                    format!("JB-PDU-{k:02}"),
                    format!("机柜PDU {}{:02}", if k <= 12 { "A" } else { "B" }, (k - 1) % 12 + 1),
                    "pdu",
                ),
                "华能电源",
                "HN-PDU32",
                5,
            );
            self.add(ci.at(if k <= 12 { row_a } else { row_b }).by("ZW").crit(Criticality::C));
        }
        let ci = self.common(Ci::new("JB-GEN-01", "柴油发电机组（800 kW）", "generator"), "华能电源", "HN-G800", 6);
        self.add(ci.attr("capacity", 1000).at(power).by("ZW").owned("jb.tech07").crit(Criticality::A));
        let sensors = ["温湿度传感器", "漏水检测", "烟雾探测器"];
        for k in 1..=30 {
            let ci = self.common(
                Ci::new(format!("JB-DH-{k:02}"), format!("动环{} {k:02}", sensors[k % 3]), "env_sensor"),
                "冷域环境",
                "LY-EM10",
                3,
            );
            self.add(ci.attr("expected_report_interval", 60).at(self.dc_points[k % 4]).by("ZW").crit(Criticality::C));
        }
        // Compute and storage.
        for k in 1..=28usize {
            let (name, cores_n, memory) = match k {
                1..=20 => (format!("虚拟化主机 HV-{k:02}"), 64, 512),
                21..=24 => (format!("数据库物理服务器 DB-{:02}", k - 20), 48, 384),
                25..=26 => (format!("备份服务器 BK-{:02}", k - 24), 32, 128),
                _ => (format!("管理服务器 MG-{:02}", k - 26), 16, 64),
            };
            let ci =
                self.common(Ci::new(format!("JB-SRV-{k:02}"), name, "physical_server"), "启航服务器", "QH-R5300", 3);
            let ci = Self::ip(ci, 3, k)
                .attr("cpu_cores", cores_n)
                .attr("memory", memory)
                .attr("disk", tenths(96))
                .attr("raid", "RAID10")
                .attr(
                    "rack_position",
                    format!("{}{:02}-U{:02}", if k % 2 == 0 { "A" } else { "B" }, (k - 1) / 4 + 1, 4 + (k % 4) * 8),
                )
                .attr("power_feeds", 2);
            self.add(ci.at(if k % 2 == 0 { row_a } else { row_b }).by("ZW").owned("jb.tech04").crit(Criticality::A));
        }
        for k in 1..=2 {
            let used = if k == 1 { 1_180 } else { 860 };
            let ci = self.common(
                Ci::new(format!("JB-SAN-{k:02}"), format!("存储阵列 SAN-{k:02}"), "storage_array"),
                "云岭存储",
                "YL-5600",
                3,
            );
            let ci = ci.attr("capacity", 200).attr("used", tenths(used)).attr("raid", "RAID6");
            self.add(ci.at(row_b).by("ZW").owned("jb.tech04").crit(Criticality::A).sensitive());
        }
        for k in 1..=6 {
            let ci = self.common(
                Ci::new(format!("JB-CVR-{k:02}"), format!("视频存储 CVR-{k:02}（200 TB）"), "video_storage"),
                "华瞳视频",
                "HT-CVR4800",
                3,
            );
            let ci = ci
                .attr("capacity", 200)
                .attr("used", tenths(1_300 + 80 * k as i64))
                .attr("raid", "RAID6")
                .attr("retention_days", 30);
            let mut ci = ci.at(row_a).by("VIDEO").owned("jb.tech03").sensitive();
            if ci.code == DEGRADED_STORAGE {
                ci.history = Some(History {
                    event: LifecycleEvent::Fault,
                    at: self.ago(26, 40),
                    note: "RAID6 阵列 1 块硬盘故障，降级运行；热备盘重建中，备件已申领".into(),
                });
            }
            self.add(ci);
        }
        let ci = self.common(Ci::new("JB-BAK-01", "备份一体机", "backup_appliance"), "云岭存储", "YL-BK3000", 2);
        self.add(
            ci.attr("capacity", 120)
                .attr("used", tenths(640))
                .attr("raid", "RAID6")
                .at(row_b)
                .by("ZW")
                .owned("jb.tech04")
                .crit(Criticality::A)
                .sensitive(),
        );
        for k in 1..=24usize {
            let (kind, place) = if k <= 20 {
                ("磁带", if k % 4 == 0 { "异地灾备库" } else { "数据中心介质柜" })
            } else {
                ("磁盘", "数据中心介质柜")
            };
            let ci = Ci::new(
                format!("JB-MED-{k:02}"),
                format!("备份介质 {}-{k:02}", if k <= 20 { "LTO8" } else { "HDD" }),
                "backup_media",
            );
            let ci = ci
                .attr("manufacturer", "云岭存储")
                .attr("media_type", kind)
                .attr("encrypted", "true")
                .attr("rotation", "GFS：日/周/月轮换")
                .attr("storage_place", place);
            let mut ci = ci.at(row_b).by("ZW").owned("jb.tech04").crit(Criticality::C).sensitive();
            if k >= 23 {
                ci.history = Some(History {
                    event: LifecycleEvent::Retire,
                    at: self.ago(24 * 9, 0),
                    note: "寿命到期停用，待按终止流程销毁".into(),
                });
            }
            self.add(ci);
        }
    }

    // -----------------------------------------------------------------------------------------
    // VMs, operating systems, databases, middleware
    // -----------------------------------------------------------------------------------------

    fn software(&mut self) {
        let hosts: Vec<usize> = (1..=20).map(|k| self.idx(&format!("JB-SRV-{k:02}"))).collect();
        let backup = self.idx("JB-BAK-01");
        let os_kinds = ["Linux", "麒麟", "统信UOS", "Linux", "Linux"];
        for k in 1..=140usize {
            let role = match k {
                1..=60 => "应用",
                61..=68 => "数据库",
                69..=80 => "中间件",
                81 => "视频平台",
                _ => "支撑服务",
            };
            let ci = Ci::new(format!("JB-VM-{k:03}"), format!("虚拟机 vm-{k:03}（{role}）"), "virtual_machine");
            let ci = Self::ip(ci, 4, k)
                .attr("vcpu", if k <= 80 { 8 } else { 4 })
                .attr("memory", if (61..=68).contains(&k) { 64 } else { 16 })
                .attr("disk", if (61..=68).contains(&k) { 2048 } else { 200 })
                .attr("cluster", if k % 2 == 0 { "云平台集群A" } else { "云平台集群B" })
                .attr("monitoring_enabled", "true");
            let sensitive = (61..=68).contains(&k);
            let mut ci = ci.by("PLAT").owned("jb.tech04");
            if sensitive {
                ci = ci.sensitive();
            }
            let vm = self.add(ci);
            self.rel(vm, RelationKind::HostedBy, hosts[(k - 1) % hosts.len()]);
            self.rel(vm, RelationKind::BackedUpBy, backup);
            let family = os_kinds[k % os_kinds.len()];
            let os = Ci::new(format!("JB-OS-{k:03}"), format!("vm-{k:03} 操作系统"), "os_instance")
                .attr("os_family", family)
                .attr(
                    "version",
                    match family {
                        "麒麟" => "V10 SP3",
                        "统信UOS" => "20 1070",
                        _ => "Rocky Linux 9.4",
                    },
                );
            let os = self.add(os.by("PLAT").crit(Criticality::C));
            self.rel(os, RelationKind::RunsOn, vm);
        }
        let vm = |g: &Self, k: usize| g.idx(&format!("JB-VM-{k:03}"));
        let databases: [(&str, &str, &str, i64); 8] = [
            ("pg-01", "业务主库", "PostgreSQL", 548),
            ("pg-02", "业务备库", "PostgreSQL", 546),
            ("tsdb-01", "时序数据库", "TimescaleDB", 910),
            ("tsdb-02", "时序数据库（备）", "TimescaleDB", 702),
            ("ck-01", "分析库", "ClickHouse", 433),
            ("ck-02", "分析库（副本）", "ClickHouse", 431),
            ("gis-01", "GIS空间库", "PostgreSQL", 287),
            ("iam-01", "统一认证库", "PostgreSQL", 154),
        ];
        let sans = [self.idx("JB-SAN-01"), self.idx("JB-SAN-02")];
        for (k, (host, name, engine, usage)) in databases.into_iter().enumerate() {
            let n = k + 1;
            let ci = Ci::new(format!("JB-DB-{n:02}"), format!("{name} {host}"), "database")
                .attr("engine", engine)
                .attr("version", if engine == "ClickHouse" { "24.8" } else { "16.4" })
                .attr("port", if engine == "ClickHouse" { 9000 } else { 5432 })
                .attr("cluster_role", if n % 2 == 1 { "主" } else { "备" })
                .attr("backup_policy", "每日全量 + 15 分钟 WAL 归档，保留 30 天")
                .attr(DISK_USAGE, tenths(usage));
            let ci = Self::ip(ci, 5, n).by("PLAT").owned("jb.tech04").crit(Criticality::A).sensitive();
            let i = self.add(ci);
            self.rel(i, RelationKind::RunsOn, vm(self, 60 + n));
            self.rel(i, RelationKind::StoresOn, sans[usize::from(n > 4)]);
            self.rel(i, RelationKind::BackedUpBy, backup);
        }
        for k in 1..=3 {
            let ci = Ci::new(format!("JB-MQ-{k:02}"), format!("MQTT 消息集群节点 mq-{k:02}"), "mqtt_broker")
                .attr("version", "5.8.2")
                .attr("port", 8883)
                .attr("cluster_role", "集群成员")
                .attr("max_connections", 100_000)
                .attr("topic_prefix", "jb/");
            let i = self.add(Self::ip(ci, 5, 10 + k).by("PLAT").owned("jb.tech04").crit(Criticality::A));
            self.rel(i, RelationKind::RunsOn, vm(self, 68 + k));
        }
        let middleware: [(&str, &str, i64); 9] = [
            ("Kafka", "kafka-01", 9092),
            ("Kafka", "kafka-02", 9092),
            ("Kafka", "kafka-03", 9092),
            ("Redis", "redis-01", 6379),
            ("Redis", "redis-02", 6379),
            ("Nginx", "nginx-01", 443),
            ("Nginx", "nginx-02", 443),
            ("HJ212接入服务", "hj212-01", 9600),
            ("SIP服务", "sip-01", 5060),
        ];
        for (k, (kind, host, port)) in middleware.into_iter().enumerate() {
            let n = k + 1;
            let ci = Ci::new(format!("JB-MW-{n:02}"), format!("{kind} {host}"), "middleware")
                .attr("middleware_kind", kind)
                .attr("port", port)
                .attr("cluster_role", if kind == "HJ212接入服务" || kind == "SIP服务" { "单机" } else { "集群成员" });
            let i = self.add(Self::ip(ci, 5, 20 + n).by("PLAT").owned("jb.tech04").crit(if n >= 8 {
                Criticality::A
            } else {
                Criticality::B
            }));
            self.rel(i, RelationKind::RunsOn, vm(self, 71 + n));
        }
    }

    // -----------------------------------------------------------------------------------------
    // Data acquisition: gateways, comm links, data loggers
    // -----------------------------------------------------------------------------------------

    fn comm_link(&mut self, n: usize, sim: bool, loc: usize, enterprise: Option<usize>) -> usize {
        let access = self.idx(&format!("JB-SW-A{:02}", (n - 1) % 4 + 1));
        let code = if sim { format!("JB-SIM-{n:02}") } else { format!("JB-FL-{n:02}") };
        let mut ci = if sim {
            let expiry = if EXPIRING_SIMS.contains(&code.as_str()) {
                9 + 8 * (n as i64 % 3)
            } else {
                60 + self.rng.between(0, 300)
            };
            Ci::new(code, format!("4G 物联网卡 SIM-{n:02}"), "comm_link")
                .attr("link_type", "4G SIM")
                .attr("sim_iccid", format!("898604{:014}", 10_000_000_000 + n as u64 * 7_919))
                .attr("bandwidth", 20)
                .attr("plan_expiry", self.date(expiry))
        } else {
            Ci::new(code, format!("光纤专线 FL-{n:02}"), "comm_link")
                .attr("link_type", "光纤")
                .attr("circuit_id", format!("JBZX{:06}", 300_000 + n * 37))
                .attr("bandwidth", 100)
                .attr("plan_expiry", self.date(200 + n as i64 * 3))
        };
        ci =
            ci.attr("carrier", "江滨通信").attr("contract_no", "JB-HT-TX-001").at(loc).by("CARRIER").owned("jb.tech05");
        if let Some(e) = enterprise {
            ci = ci.of(e);
        }
        let i = self.add(ci);
        self.rel(i, RelationKind::ConnectedTo, access);
        i
    }

    fn acquisition(&mut self) {
        let mqtt: Vec<usize> = (1..=3).map(|k| self.idx(&format!("JB-MQ-{k:02}"))).collect();
        let gaps = [self.idx("JB-GAP-01"), self.idx("JB-GAP-02")];
        let mut sim = 0;
        for (second, count) in [(false, HAZARD), (true, SECOND_GATEWAY)] {
            for e in 0..count {
                sim += 1;
                let room = self.plant_points[e][2];
                let link = self.comm_link(sim, true, room, Some(e));
                let (code, name) = if second {
                    (
                        format!("JB-GW-E{:02}B", e + 1),
                        format!("{}边缘网关 GW-E{:02}B（第二台）", ENTERPRISE_STEMS[e], e + 1),
                    )
                } else {
                    (format!("JB-GW-E{:02}", e + 1), format!("{}边缘网关 GW-E{:02}", ENTERPRISE_STEMS[e], e + 1))
                };
                let ci = self.common(Ci::new(code, name, "edge_gateway"), "江滨数智", "JBZ-EG200", 2);
                let ci = ci
                    .attr("protocol", "MQTT over TLS")
                    .attr("expected_report_interval", 60)
                    .attr("southbound", "Modbus TCP, OPC UA")
                    .attr(
                        "northbound",
                        format!("mqtts://mq.jb-park.local:8883/jb/E{:02}/gw{}", e + 1, if second { 2 } else { 1 }),
                    )
                    .attr("clock_sync_source", "NTP 10.1.0.10")
                    .attr("cert_expiry", self.some_day(40, 440));
                let mut ci = ci.at(room).of(e).by("PLAT").owned(format!("jb.ent{:02}", 2 * e + 1)).crit(Criticality::A);
                if ci.code == OFFLINE_GATEWAY {
                    ci.history = Some(History {
                        event: LifecycleEvent::Fault,
                        at: self.ago(2, 15),
                        note: "离线：last_seen 超过 5 分钟，4G 物联网卡 SIM-03 欠费停机，已通知企业和运营商".into(),
                    });
                }
                let gw = self.add(ci);
                self.rel(gw, RelationKind::ConnectedTo, link);
                self.rel(gw, RelationKind::ReportsTo, mqtt[sim % 3]);
                self.rel(gw, RelationKind::ProtectedBy, gaps[e % 2]);
            }
        }
        for k in 1..=4usize {
            let zone = [3, 3, 4, 0][k - 1];
            let ci = self.common(
                Ci::new(format!("JB-GW-P{k:02}"), format!("园区公用工程边缘网关 GW-P{k:02}"), "edge_gateway"),
                "江滨数智",
                "JBZ-EG200",
                2,
            );
            let ci = ci
                .attr("southbound", "Modbus RTU")
                .attr("northbound", format!("mqtts://mq.jb-park.local:8883/jb/park/gw{k}"))
                .attr("expected_report_interval", 60);
            let gw = self.add(ci.at(self.public_point(zone, 1)).by("PLAT").owned("jb.tech02").crit(Criticality::A));
            let sw = self.idx(&format!("JB-SW-A{:02}", 17 + zone));
            self.rel(gw, RelationKind::ConnectedTo, sw);
            self.rel(gw, RelationKind::ReportsTo, mqtt[k % 3]);
        }
        // Data loggers: 26 CEMS stacks, 18 wastewater outlets, the WWTP inlet and outlet, two
        // water stations. SIMs 23–40 carry the first 18, fibre the rest.
        let hj212 = self.idx("JB-MW-08");
        for k in 1..=48usize {
            let (e, loc, what, st) = match k {
                1..=26 => {
                    let e = (k - 1) % 20;
                    let point = self.outlet_point(
                        e,
                        &format!("DA{:03}", (k - 1) / 20 + 1),
                        &format!("废气排放口 DA{:03}", (k - 1) / 20 + 1),
                    );
                    (Some(e), point, "CEMS 数采仪", "31")
                }
                27..=44 => {
                    let e = k - 27;
                    let point = self.outlet_point(e, "DW001", "废水总排口 DW001");
                    (Some(e), point, "废水数采仪", "32")
                }
                45..=46 => (None, self.wwtp_points[k - 45], "污水处理厂数采仪", "32"),
                _ => (None, self.sites[if k == 47 { "WS1" } else { "WS2" }], "地表水站数采仪", "21"),
            };
            let link = if k <= 18 {
                self.comm_link(22 + k, true, loc, e)
            } else if k <= 44 {
                // Fibre lines 1–18 are the hazard enterprises' lines; other plants share line 18 + n.
                let n = e.map_or(19, |e| if e < HAZARD { e + 1 } else { 19 + e - HAZARD });
                match self.by_code.get(&format!("JB-FL-{n:02}")) {
                    Some(&l) => l,
                    None => self.comm_link(n, false, loc, e),
                }
            } else {
                let n = 22 + k - 44;
                self.comm_link(n, false, loc, None)
            };
            let ci = self.common(
                Ci::new(format!("JB-DL-{k:02}"), format!("{what} DL-{k:02}"), "data_logger"),
                "清源环境",
                "QY-DL2000",
                3,
            );
            let ci = ci
                .attr("protocol", "HJ 212")
                .attr("expected_report_interval", 60)
                .attr("hj212_mn", format!("3206822026{k:04}0001"))
                .attr("hj212_st", st)
                .attr("hj212_version", if k % 5 == 0 { "2025" } else { "2017" })
                .attr("pw_ref", format!("vault://hj212/DL-{k:02}"))
                .attr("rtd_interval", 30)
                .attr("min_interval", 1)
                .attr("clock_sync_source", "CN 1013 校时");
            let mut ci = ci.at(loc).by("ENVOP").domain(BusinessDomain::Environmental).crit(Criticality::A);
            if let Some(e) = e {
                ci = ci.of(e);
            }
            ci = ci.owned("jb.tech06");
            let dl = self.add(ci);
            self.rel(dl, RelationKind::ConnectedTo, link);
            self.rel(dl, RelationKind::ReportsTo, hj212);
        }
        // Fibre lines for the stations, checkpoints and the parking lot.
        for (n, key) in [(21, "AQ1"), (22, "AQ2"), (27, "PK"), (28, "KK1"), (29, "KK2"), (30, "KK3")] {
            let loc = self.sites[key];
            self.comm_link(n, false, loc, None);
        }
        for k in 1..=12usize {
            let e = (k - 1) * 4 % ENTERPRISE_STEMS.len();
            let ci = self.common(
                Ci::new(format!("JB-EG-{k:02}"), format!("能源采集网关 EG-{k:02}"), "energy_gateway"),
                "能衡计量",
                "NH-EG100",
                3,
            );
            let ci = ci
                .attr("southbound", "DL/T 645, Modbus RTU")
                .attr("northbound", format!("mqtts://mq.jb-park.local:8883/jb/energy/eg{k:02}"))
                .attr("expected_report_interval", 900);
            let gw = self.add(ci.at(self.plants[e]).by("ENERGY").owned("jb.tech08"));
            let sw = self.idx(&format!("JB-SW-A{:02}", 17 + (k % 5)));
            self.rel(gw, RelationKind::ConnectedTo, sw);
            self.rel(gw, RelationKind::ReportsTo, mqtt[k % 3]);
        }
    }
}

/// Gas media: (medium, principle, unit, range high, alarm low, alarm high, tag prefix).
const COMBUSTIBLE: [(&str, &str); 5] =
    [("甲烷", "催化燃烧"), ("丙烯", "催化燃烧"), ("氢气", "催化燃烧"), ("苯", "红外"), ("液化石油气", "红外")];
const TOXIC: [(&str, &str, i64, i64, i64); 5] = [
    ("硫化氢", "电化学", 100, 10, 20),
    ("氨气", "电化学", 100, 25, 50),
    ("氯气", "电化学", 20, 1, 2),
    ("一氧化碳", "电化学", 500, 30, 100),
    ("苯系物(VOCs)", "PID", 100, 5, 10),
];
const TANK_MEDIA: [&str; 6] = ["原油", "苯", "甲醇", "液氨", "丙烯", "环氧乙烷"];

impl Gen {
    /// The hazard enterprise of the `i`-th point of a kind: 一级 enterprises three shares,
    /// 二级 two, the others one.
    fn hazard_enterprise(i: usize) -> usize {
        const SLOTS: [usize; 26] =
            [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
        SLOTS[i % SLOTS.len()]
    }

    fn enterprise_gateway(&self, e: usize, k: usize) -> usize {
        if e < SECOND_GATEWAY && k % 2 == 1 {
            self.idx(&format!("JB-GW-E{:02}B", e + 1))
        } else {
            self.idx(&format!("JB-GW-E{:02}", e + 1))
        }
    }

    /// Safety instruments of the 18 major-hazard enterprises: 1,362 points behind their GDS and
    /// gateways, about 1.5 % faulty, 25 gas detectors past their verification date.
    #[allow(clippy::too_many_lines, reason = "one instrument kind after another")]
    fn safety(&mut self) {
        // GDS controllers: one per enterprise gateway.
        let mut gds = BTreeMap::new();
        for (e, stem) in ENTERPRISE_STEMS.iter().enumerate().take(HAZARD) {
            for second in [false, true] {
                if second && e >= SECOND_GATEWAY {
                    continue;
                }
                let gw = if second {
                    self.idx(&format!("JB-GW-E{:02}B", e + 1))
                } else {
                    self.idx(&format!("JB-GW-E{:02}", e + 1))
                };
                let n = if second { 2 } else { 1 };
                let ci = self.common(
                    Ci::new(format!("JB-E{:02}-GDS-{n}", e + 1), format!("{stem} GDS 控制器 {n}"), "gds_controller"),
                    "安测仪表",
                    "AC-GDS64",
                    4,
                );
                let ci = ci.attr("channels", 64).attr("protocol", "Modbus TCP");
                let i = self.add(
                    ci.at(self.plant_points[e][2])
                        .of(e)
                        .by("GASDET")
                        .owned(format!("jb.ent{:02}", 2 * e + 2))
                        .crit(Criticality::A),
                );
                self.rel(i, RelationKind::ConnectedTo, gw);
                gds.insert(gw, i);
            }
        }
        let mut seq = [[0usize; 5]; HAZARD];
        let mut safety_no = 0usize;
        let mut faulty = |g: &mut Self, ci: Ci| -> Ci {
            safety_no += 1;
            if safety_no % 68 != 34 {
                return ci;
            }
            let notes = ["数据平直线：读数冻结超过 24 小时", "通讯中断：GDS 通道无响应", "零点漂移超限，待现场标定"];
            let mut ci = ci;
            ci.history = Some(History {
                event: LifecycleEvent::Fault,
                at: g.some_time_ago(3, 60, 10),
                note: notes[safety_no % 3].into(),
            });
            ci
        };
        // Gas detectors: 420 combustible, 220 toxic.
        let mut overdue = 0;
        for i in 0..640usize {
            let e = Self::hazard_enterprise(i);
            seq[e][0] += 1;
            let k = seq[e][0];
            let combustible = i % 32 < 21;
            let point = self.plant_points[e][k % 2];
            let gw = self.enterprise_gateway(e, k);
            let (kind, tag) = if combustible {
                ("可燃", format!("GT-{:03}", 100 + k))
            } else {
                ("有毒", format!("AT-{:03}", 100 + k))
            };
            let ci = Ci::new(
                format!("JB-E{:02}-GD-{k:03}", e + 1),
                format!("{}{kind}气体探测器 {tag}", ENTERPRISE_STEMS[e]),
                "gas_detector",
            );
            let ci = self.common(ci, "安测仪表", if combustible { "AC-GT100" } else { "AC-AT200" }, 3);
            let ci = if combustible {
                let (medium, principle) = COMBUSTIBLE[k % COMBUSTIBLE.len()];
                ci.attr("medium", medium)
                    .attr("detection_principle", principle)
                    .attr("measure_unit_gas", "%LEL")
                    .attr("range_low", 0)
                    .attr("range_high", 100)
                    .attr("alarm_low", 20)
                    .attr("alarm_high", 50)
            } else {
                let (medium, principle, high, a1, a2) = TOXIC[k % TOXIC.len()];
                ci.attr("medium", medium)
                    .attr("detection_principle", principle)
                    .attr("measure_unit_gas", "ppm")
                    .attr("range_low", 0)
                    .attr("range_high", high)
                    .attr("alarm_low", a1)
                    .attr("alarm_high", a2)
            };
            let ci = ci
                .attr("tag_no", &tag)
                .attr("gas_kind", kind)
                .attr("ex_rating", "Ex d IIC T6 Gb")
                .attr("expected_report_interval", 5);
            let late = if i % 26 == 5 && overdue < OVERDUE_DETECTORS {
                overdue += 1;
                Some(i64::try_from(overdue * 3).unwrap_or(0))
            } else {
                None
            };
            let ci = self.verification(ci, late);
            let ci = ci.at(point).of(e).by("GASDET").owned(format!("jb.ent{:02}", 2 * e + 2)).crit(if e < 6 {
                Criticality::A
            } else {
                Criticality::B
            });
            let ci = faulty(self, ci);
            let d = self.add(ci);
            self.rel(d, RelationKind::ConnectedTo, gds[&gw]);
        }
        // Transmitters and valve positions, straight to the gateway (from the DCS).
        let kinds: [(&'static str, usize, &str, &str, usize); 4] = [
            ("level_transmitter", 180, "LT", "液位变送器", 1),
            ("temperature_transmitter", 210, "TT", "温度变送器", 2),
            ("pressure_transmitter", 190, "PT", "压力变送器", 3),
            ("valve_status", 120, "XV", "阀门状态点", 4),
        ];
        for (class, count, prefix, label, slot) in kinds {
            for i in 0..count {
                let e = Self::hazard_enterprise(i + slot * 7);
                seq[e][slot] += 1;
                let k = seq[e][slot];
                let tag = format!("{prefix}-{:03}", 100 + k);
                let point = self.plant_points[e][usize::from(class != "level_transmitter")];
                let medium = TANK_MEDIA[(k + e) % TANK_MEDIA.len()];
                let ci = Ci::new(
                    format!("JB-E{:02}-{prefix}-{k:03}", e + 1),
                    format!("{}{label} {tag}", ENTERPRISE_STEMS[e]),
                    class,
                );
                let ci = self
                    .common(ci, "安测仪表", &format!("AC-{prefix}300"), 4)
                    .attr("tag_no", &tag)
                    .attr("medium", medium)
                    .attr("expected_report_interval", 5);
                let ci = match class {
                    "level_transmitter" => ci
                        .attr("range_low", 0)
                        .attr("range_high", 20)
                        .attr("measure_unit", "m")
                        .attr("alarm_low", 1)
                        .attr("alarm_high", 16)
                        .attr("alarm_high_high", 18),
                    "temperature_transmitter" => ci
                        .attr("range_low", -20)
                        .attr("range_high", 200)
                        .attr("measure_unit", "℃")
                        .attr("alarm_high", 80)
                        .attr("alarm_high_high", 95),
                    "pressure_transmitter" => ci
                        .attr("range_low", 0)
                        .attr("range_high", 4)
                        .attr("measure_unit", "MPa")
                        .attr("alarm_high", tenths(25))
                        .attr("alarm_high_high", tenths(32)),
                    _ => ci,
                };
                let ci = if class == "valve_status" {
                    ci
                } else {
                    self.verification(ci.attr("ex_rating", "Ex ia IIC T4 Ga"), None)
                };
                let ci = ci.at(point).of(e).by("GASDET").owned(format!("jb.ent{:02}", 2 * e + 2)).crit(if e < 6 {
                    Criticality::A
                } else {
                    Criticality::B
                });
                let ci = faulty(self, ci);
                let t = self.add(ci);
                let gw = self.enterprise_gateway(e, k);
                self.rel(t, RelationKind::ConnectedTo, gw);
            }
        }
    }
}

impl Gen {
    /// Environmental monitoring: 26 CEMS with four analysers each, 18 wastewater outlets with
    /// four instruments each, the ambient stations.
    #[allow(clippy::too_many_lines, reason = "one station kind after another")]
    fn environment(&mut self) {
        let hj212 = self.idx("JB-MW-08");
        let env = |g: &mut Self, ci: Ci, pollutants: &str, outlet: &str, range: &str, auto: bool| -> Ci {
            let mut ci = ci.attr("pollutants", pollutants).attr("auto_calibration", auto);
            if !range.is_empty() {
                ci = ci.attr("measure_range", range);
            }
            if !outlet.is_empty() {
                ci = ci.attr("outlet_code", outlet);
            }
            ci.attr("last_zero_span", g.some_day(-7, 0))
                .attr("last_comparison", g.some_day(-160, -20))
                .attr("standard_gas_expiry", g.some_day(60, 400))
        };
        for k in 1..=26usize {
            let e = (k - 1) % 20;
            let outlet = format!("DA{:03}", (k - 1) / 20 + 1);
            let logger = self.idx(&format!("JB-DL-{k:02}"));
            let point = self.cis[logger].location.unwrap_or(self.plants[e]);
            let auto = k % 3 != 0;
            let ci = self.common(
                Ci::new(
                    format!("JB-CEMS-{k:02}"),
                    format!("{} {outlet} 烟气在线监测系统", ENTERPRISE_STEMS[e]),
                    "cems",
                ),
                "清源环境",
                "QY-CEMS2000",
                4,
            );
            let ci = ci
                .attr("outlet_code", &outlet)
                .attr("pollutants", "a21026,a21002,a34013,a19001")
                .attr("auto_calibration", auto)
                .attr("last_zero_span", self.date(-1))
                .attr("last_comparison", self.some_day(-170, -30))
                .attr("standard_gas_expiry", self.some_day(90, 500));
            let mut ci = ci.at(point).of(e).by("ENVOP").owned("jb.tech06").crit(Criticality::A);
            if CALIBRATING_CEMS.contains(&ci.code.as_str()) {
                ci.history = Some(History {
                    event: LifecycleEvent::MaintainStart,
                    at: self.ago(3, 20),
                    note: "零点/量程校准与线性检查（数据标记 Flag C）".into(),
                });
            }
            let cems = self.add(ci);
            self.rel(cems, RelationKind::ConnectedTo, logger);
            let parts: [(&str, &'static str, &str, &str, &str); 4] = [
                ("GA", "gas_analyzer", "SO₂/NOₓ/O₂ 分析仪", "a21026,a21002,a19001", "0-500 mg/m³"),
                ("PM", "pm_monitor", "颗粒物监测仪", "a34013", "0-100 mg/m³"),
                ("FLOW", "flow_monitor", "烟气流速监测仪", "a01011", "0-40 m/s"),
                ("NMHC", "nmhc_analyzer", "非甲烷总烃分析仪", "a24088", "0-100 mg/m³"),
            ];
            for (suffix, class, label, factors, range) in parts {
                let ci = Ci::new(format!("JB-CEMS-{k:02}-{suffix}"), format!("CEMS-{k:02} {label}"), class);
                let ci = self.common(ci, "清源环境", &format!("QY-{suffix}100"), 4);
                let ci = env(self, ci, factors, &outlet, range, auto);
                let ci =
                    self.verification(ci, None).at(point).of(e).by("ENVOP").owned("jb.tech06").crit(Criticality::A);
                let part = self.add(ci);
                self.rel(part, RelationKind::PartOf, cems);
                self.rel(part, RelationKind::ConnectedTo, logger);
            }
        }
        for w in 1..=18usize {
            let e = w - 1;
            let logger = self.idx(&format!("JB-DL-{:02}", 26 + w));
            let point = self.cis[logger].location.unwrap_or(self.plants[e]);
            let instruments: [(&str, &'static str, &str, &str, &str); 4] = [
                ("COD", "water_analyzer", "COD 在线分析仪", "COD", "0-1000 mg/L"),
                ("NH3", "water_analyzer", "氨氮在线分析仪", "氨氮", "0-50 mg/L"),
                ("TP", "water_analyzer", "总磷在线分析仪", "总磷", "0-10 mg/L"),
                ("FM", "flowmeter", "废水流量计", "", "0-500 m³/h"),
            ];
            for (suffix, class, label, parameter, range) in instruments {
                let factor = match suffix {
                    "COD" => "w01018",
                    "NH3" => "w21003",
                    "TP" => "w21011",
                    _ => "w00000",
                };
                let ci =
                    Ci::new(format!("JB-WW-{w:02}-{suffix}"), format!("{} DW001 {label}", ENTERPRISE_STEMS[e]), class);
                let ci = self.common(ci, "清源环境", &format!("QY-W{suffix}"), 4);
                let mut ci = env(self, ci, factor, "DW001", range, false);
                if !parameter.is_empty() {
                    ci = ci.attr("parameter", parameter);
                }
                let ci = self
                    .verification(ci, None)
                    .at(point)
                    .of(e)
                    .by("ENVOP")
                    .owned("jb.tech06")
                    .domain(BusinessDomain::Environmental);
                let i = self.add(ci);
                self.rel(i, RelationKind::ConnectedTo, logger);
            }
        }
        let station =
            |g: &mut Self, code: String, name: String, class: &'static str, loc: usize, factors: &str| -> usize {
                let ci =
                    g.common(Ci::new(code, name, class), "清源环境", "QY-AQ", 3).attr("expected_report_interval", 60);
                let ci = env(g, ci, factors, "", "", true);
                let ci = if matches!(class, "voc_analyzer" | "odor_monitor") { g.verification(ci, None) } else { ci };
                let i = g.add(ci.at(loc).by("ENVOP").owned("jb.tech06"));
                g.rel(i, RelationKind::ReportsTo, hj212);
                i
            };
        for k in 1..=2usize {
            let site = self.sites[if k == 1 { "AQ1" } else { "AQ2" }];
            let link = self.idx(&format!("JB-FL-{:02}", 20 + k));
            let aq = station(
                self,
                format!("JB-AQ-{k:02}"),
                format!("{k}号空气质量标准站"),
                "air_station",
                site,
                "a21026,a21004,a05024,a21005,a34004,a34002",
            );
            self.rel(aq, RelationKind::ConnectedTo, link);
            let met = station(
                self,
                format!("JB-MET-{k:02}"),
                format!("{k}号气象站"),
                "met_station",
                site,
                "a01001,a01002,a01006,a01007,a01008",
            );
            self.rel(met, RelationKind::LocatedAt, aq);
        }
        for k in 1..=15usize {
            let loc = self.boundary_point(k - 1);
            station(
                self,
                format!("JB-VOC-{k:02}"),
                format!("边界 VOCs/有毒有害气体监测站 {k:02}"),
                "voc_analyzer",
                loc,
                "a24088,a25002,a25003,a21028",
            );
        }
        for k in 1..=6usize {
            let loc = self.boundary_point(k + 14);
            station(
                self,
                format!("JB-OD-{k:02}"),
                format!("边界恶臭监测站 {k:02}"),
                "odor_monitor",
                loc,
                "a99051,a21028,a21001",
            );
        }
        for k in 1..=30usize {
            let loc = self.public_point(k, k / 5 + 2);
            station(
                self,
                format!("JB-MS-{k:02}"),
                format!("微型空气站 {k:02}"),
                "air_station",
                loc,
                "a34004,a34002,a21026,a21004,a24088",
            );
        }
        for k in 1..=2usize {
            let site = self.sites[if k == 1 { "WS1" } else { "WS2" }];
            let logger = self.idx(&format!("JB-DL-{:02}", 46 + k));
            let ci = self.common(
                Ci::new(
                    format!("JB-WQ-{k:02}"),
                    format!("{k}号地表水自动监测站（五参数、COD、氨氮）"),
                    "water_analyzer",
                ),
                "清源环境",
                "QY-WQ500",
                4,
            );
            let ci = env(self, ci, "w01001,w01010,w01009,w01018,w21003", "", "", true);
            let ci = self.verification(ci, None).attr("parameter", "COD").at(site).by("ENVOP").owned("jb.tech06");
            let i = self.add(ci);
            self.rel(i, RelationKind::ConnectedTo, logger);
        }
    }
}

impl Gen {
    /// GB/T 28181 device id: administrative division (8), industry (2), type (3), network (1),
    /// serial (6).
    fn gb28181(kind: &str, n: usize) -> String {
        format!("3206820000{kind}0{n:06}")
    }

    /// Video: 320 park cameras on 12 NVRs, 900 enterprise cameras through the platform.
    #[allow(clippy::too_many_lines, reason = "one device group after another")]
    fn video(&mut self) {
        let [row_a, _, _, _] = self.dc_points;
        let cc = self.sites["CC"];
        let platform_vm = self.idx("JB-VM-081");
        let sip = self.idx("JB-MW-09");
        let ci = Ci::new("JB-VP-01", "视频联网平台（GB/T 28181）", "video_platform")
            .attr("version", "V3.2")
            .attr("port", 15_060)
            .attr("cluster_role", "主");
        let platform = self.add(
            ci.at(row_a).by("VIDEO").owned("jb.tech03").crit(Criticality::A).domain(BusinessDomain::SafetyProduction),
        );
        self.rel(platform, RelationKind::RunsOn, platform_vm);
        self.rel(platform, RelationKind::Uses, sip);
        for k in 1..=4usize {
            let ci = self.common(
                Ci::new(format!("JB-AI-{k:02}"), format!("视频AI分析服务器 {k}"), "ai_analytics_server"),
                "启航服务器",
                "QH-G4800",
                2,
            );
            let ci = Self::ip(ci, 6, k)
                .attr("cpu_cores", 64)
                .attr("memory", 512)
                .attr("disk", 8)
                .attr("raid", "RAID1")
                .attr("power_feeds", 2);
            let ai = self.add(ci.at(row_a).by("VIDEO").owned("jb.tech03"));
            self.rel(ai, RelationKind::ReportsTo, platform);
        }
        let cvrs: Vec<usize> = (1..=6).map(|k| self.idx(&format!("JB-CVR-{k:02}"))).collect();
        let mut nvrs = Vec::new();
        for k in 1..=12usize {
            let ci = self.common(
                Ci::new(format!("JB-NVR-{k:02}"), format!("网络硬盘录像机 NVR-{k:02}"), "nvr"),
                "华瞳视频",
                "HT-NVR64",
                4,
            );
            let ci = Self::ip(ci, 6, 20 + k).attr("channel_count", 64).attr("capacity", 96).attr("retention_days", 30);
            let nvr = self.add(ci.at(row_a).by("VIDEO").owned("jb.tech03").sensitive());
            self.rel(nvr, RelationKind::ReportsTo, platform);
            self.rel(nvr, RelationKind::StoresOn, cvrs[(k - 1) / 2]);
            nvrs.push(nvr);
        }
        let mut offline = 0usize;
        let mut camera_state = |g: &mut Self, ci: Ci, n: usize| -> Ci {
            // 2.5 % offline: one camera in forty.
            if n % 40 != 17 {
                return ci;
            }
            offline += 1;
            let notes = ["离线：交换机端口无链路", "视频丢失：镜头遮挡/画面黑屏", "离线：设备供电故障"];
            let mut ci = ci;
            ci.history = Some(History {
                event: LifecycleEvent::Fault,
                at: g.some_time_ago(1, 96, 5),
                note: notes[offline % 3].into(),
            });
            ci
        };
        let types: [(&str, usize); 6] =
            [("云台", 20), ("高点", 20), ("热成像", 20), ("防爆", 60), ("枪机", 120), ("球机", 80)];
        let mut n = 0usize;
        for (camera_type, count) in types {
            for _ in 0..count {
                n += 1;
                let zone = match camera_type {
                    "防爆" => n % 2,
                    _ => n % ZONES.len(),
                };
                let point = self.public_point(zone, n / 5);
                let label = match camera_type {
                    "云台" | "高点" => format!("{}高点云台摄像机", ZONES[zone]),
                    "热成像" => format!("{}热成像摄像机", ZONES[zone]),
                    "防爆" => format!("{}防爆摄像机", ZONES[zone]),
                    _ => format!("{}道路{}", ZONES[zone], camera_type),
                };
                let ci = Ci::new(format!("JB-CAM-{n:04}"), format!("{label} {n:04}"), "camera");
                let ci = self.common(ci, "华瞳视频", if camera_type == "防爆" { "HT-EX2400" } else { "HT-IPC4800" }, 3);
                let ci = Self::ip(ci, 7, n)
                    .attr("protocol", "GB/T 28181")
                    .attr("expected_report_interval", 300)
                    .attr("camera_type", camera_type)
                    .attr("gb28181_id", Self::gb28181("131", n))
                    .attr("channel", 1)
                    .attr("resolution", if camera_type == "热成像" { "640x512" } else { "2560x1440" })
                    .attr("retention_days", 30)
                    .attr("enterprise_owned", "false");
                let ci = if matches!(camera_type, "云台" | "高点") {
                    ci.attr("ai_algorithms", "烟火识别,人员闯入")
                } else {
                    ci
                };
                let mut ci = ci
                    .at(point)
                    .by("VIDEO")
                    .owned("jb.tech03")
                    .crit(if matches!(camera_type, "热成像" | "防爆") { Criticality::A } else { Criticality::B });
                if n > 316 {
                    ci.initial = LifecycleState::TrialRun;
                }
                let ci = camera_state(self, ci, n);
                let cam = self.add(ci);
                self.rel(cam, RelationKind::ReportsTo, nvrs[(n - 1) * 12 / 320]);
                let sw = self.idx(&format!("JB-SW-A{:02}", 17 + zone + 5 * ((n / 5) % 11)));
                self.rel(cam, RelationKind::ConnectedTo, sw);
            }
        }
        for (e, stem) in ENTERPRISE_STEMS.iter().enumerate().take(HAZARD) {
            for k in 1..=50usize {
                n += 1;
                let point = self.plant_points[e][k % 3];
                let camera_type = if k % 3 == 2 { "枪机" } else { "防爆" };
                let ci = Ci::new(
                    format!("JB-E{:02}-CAM-{k:03}", e + 1),
                    format!("{stem}{}摄像机 {k:03}", if k % 3 == 2 { "机柜间" } else { "防爆" }),
                    "camera",
                );
                let ci = self
                    .common(ci, "华瞳视频", "HT-EX2400", 4)
                    .attr("protocol", "GB/T 28181")
                    .attr("expected_report_interval", 300)
                    .attr("camera_type", camera_type)
                    .attr("gb28181_id", Self::gb28181("132", n))
                    .attr("channel", k)
                    .attr("resolution", "1920x1080")
                    .attr("retention_days", 30)
                    .attr("enterprise_owned", "true");
                let ci = ci.at(point).of(e).by("VIDEO").owned(format!("jb.ent{:02}", 2 * e + 1));
                let ci = camera_state(self, ci, n);
                let cam = self.add(ci);
                self.rel(cam, RelationKind::ReportsTo, platform);
            }
        }
        // Alarm-video linkage: one gas detector in four to a camera of its enterprise.
        let detectors: Vec<usize> = (0..self.cis.len()).filter(|&i| self.cis[i].class == "gas_detector").collect();
        for (j, d) in detectors.into_iter().enumerate() {
            if j % 4 != 0 {
                continue;
            }
            let Some(e) = self.cis[d].enterprise else { continue };
            let cam = self.idx(&format!("JB-E{:02}-CAM-{:03}", e + 1, j % 50 + 1));
            let preset = format!("{} 预置位 {}", self.cis[cam].code, j / 4 % 64 + 1);
            self.cis[d].attributes.insert("camera_preset".into(), preset);
            self.rel(d, RelationKind::LinkedAlarm, cam);
        }
        for k in 1..=6usize {
            let ci = self.common(
                Ci::new(format!("JB-DEC-{k:02}"), format!("视频解码器 {k}"), "decoder"),
                "华瞳视频",
                "HT-DEC16",
                3,
            );
            let dec = self.add(ci.at(cc).by("VIDEO").crit(Criticality::C));
            self.rel(dec, RelationKind::ReportsTo, platform);
        }
        let ci = self.common(Ci::new("JB-VW-01", "指挥中心拼接大屏（6×4）", "video_wall"), "华瞳视频", "HT-LCD55", 3);
        let wall = self.add(ci.at(cc).by("VIDEO"));
        self.rel(wall, RelationKind::ConnectedTo, self.idx("JB-DEC-01"));
    }
}

impl Gen {
    /// Closed-area management: six checkpoints with 20 lanes, turnstiles, perimeter, the hazmat
    /// parking lot, positioning anchors.
    fn closed_area(&mut self) {
        let platform = self.idx("JB-VP-01");
        let lanes_per = [4, 4, 3, 3, 3, 3];
        let mut lane_no = 0usize;
        let device = |g: &mut Self, code: String, name: String, class: &'static str, loc: usize, model: &str| -> Ci {
            let ci = g.common(Ci::new(code, name, class), "安卡门禁", model, 3);
            ci.at(loc).by("GATE").owned("jb.tech02")
        };
        for (c, lanes) in lanes_per.into_iter().enumerate() {
            let k = c + 1;
            let site = self.sites[["KK1", "KK2", "KK3", "KK4", "KK5", "KK6"][c]];
            let ci = device(self, format!("JB-KK-{k:02}"), format!("{k}号卡口"), "checkpoint", site, "AK-KK");
            let kk = self.add(ci.attr("lane_count", lanes).attr("waybill_check", "true").crit(Criticality::A));
            let link = self.by_code.get(&format!("JB-FL-{:02}", 27 + k)).copied();
            match link {
                Some(l) => self.rel(kk, RelationKind::ConnectedTo, l),
                None => {
                    let sw = self.idx(&format!("JB-SW-A{:02}", 17 + c % 5));
                    self.rel(kk, RelationKind::ConnectedTo, sw);
                }
            }
            for led in 1..=2 {
                let ci = device(
                    self,
                    format!("JB-KK-{k:02}-LED{led}"),
                    format!("{k}号卡口 LED 显示屏 {led}"),
                    "led_display",
                    site,
                    "AK-LED",
                );
                let i = self.add(ci.crit(Criticality::C));
                self.rel(i, RelationKind::PartOf, kk);
            }
            for l in 1..=lanes {
                lane_no += 1;
                let direction = if l % 2 == 1 { "入园" } else { "出园" };
                let ci = device(
                    self,
                    format!("JB-KK-{k:02}-L{l}"),
                    format!("{k}号卡口 {l} 号车道（{direction}）"),
                    "lane",
                    site,
                    "AK-LANE",
                );
                let lane = self.add(
                    ci.attr("lane_direction", direction)
                        .attr("vehicle_types", "危化品运输车、货车、小型客车")
                        .attr("waybill_check", "true")
                        .crit(Criticality::A),
                );
                self.rel(lane, RelationKind::PartOf, kk);
                for (suffix, class, label, model) in [
                    ("ANPR1", "anpr_camera", "车牌识别摄像机（前）", "AK-LPR"),
                    ("ANPR2", "anpr_camera", "车牌识别摄像机（后）", "AK-LPR"),
                    ("HZ", "hazmat_sign_camera", "危化品标识识别摄像机", "AK-HZ"),
                    ("BG", "barrier_gate", "道闸", "AK-BG"),
                ] {
                    let mut ci = device(
                        self,
                        format!("JB-KK-{k:02}-L{l}-{suffix}"),
                        format!("{k}号卡口 {l} 号车道{label}"),
                        class,
                        site,
                        model,
                    );
                    if class != "barrier_gate" {
                        let accuracy = 960 + i64::try_from(lane_no * 7 % 35).unwrap_or(0);
                        ci = ci
                            .attr("lane_direction", direction)
                            .attr("recognition_accuracy", tenths(accuracy))
                            .attr("gb28181_id", Self::gb28181("133", lane_no * 10 + l));
                    }
                    let i = self.add(ci);
                    self.rel(i, RelationKind::PartOf, lane);
                    if class != "barrier_gate" {
                        self.rel(i, RelationKind::ReportsTo, platform);
                    }
                }
            }
        }
        for k in 1..=8usize {
            let site = self.sites[["KK1", "KK2", "KK3", "KK4", "KK5", "KK6", "CC", "CC"][k - 1]];
            let ci =
                device(self, format!("JB-FT-{k:02}"), format!("人脸识别闸机 {k}"), "face_turnstile", site, "AK-FT");
            self.add(ci);
        }
        for k in 1..=40usize {
            let loc = self.public_point(k, k / 5);
            let ci = device(
                self,
                format!("JB-PS-{k:02}"),
                format!("周界电子围栏防区 {k:02}"),
                "perimeter_sensor",
                loc,
                "AK-PS",
            );
            let i = self.add(ci.domain(BusinessDomain::ClosedArea));
            let sw = self.idx(&format!("JB-SW-A{:02}", 17 + k % 5));
            self.rel(i, RelationKind::ConnectedTo, sw);
        }
        let pk = self.sites["PK"];
        let ci = device(self, "JB-PK-01".into(), "危化品车辆停车场".into(), "parking_lot", pk, "AK-PK");
        let lot = self.add(ci.attr("spot_count", 120).crit(Criticality::A));
        if let Some(&l) = self.by_code.get("JB-FL-27") {
            self.rel(lot, RelationKind::ConnectedTo, l);
        }
        for s in 1..=120usize {
            let ci = device(
                self,
                format!("JB-PK-01-S{s:03}"),
                format!("停车场车位检测器 {s:03}"),
                "parking_spot_sensor",
                pk,
                "AK-PSD",
            );
            let i = self.add(ci.crit(Criticality::C));
            self.rel(i, RelationKind::PartOf, lot);
        }
        for k in 1..=60usize {
            let e = k % HAZARD;
            let loc = self.plant_points[e][k % 2];
            let ci = device(
                self,
                format!("JB-UWB-{k:02}"),
                format!("{}人员定位基站 {k:02}", ENTERPRISE_STEMS[e]),
                "positioning_anchor",
                loc,
                "AK-UWB",
            );
            let i = self.add(ci.attr("positioning_tech", if k % 6 == 0 { "蓝牙" } else { "UWB" }));
            // The park's positioning network, on the zone's field switches.
            let sw = self.idx(&format!("JB-SW-A{:02}", 17 + zone_of(e) + 5 * (k % 11)));
            self.rel(i, RelationKind::ConnectedTo, sw);
        }
    }

    /// Emergency equipment, energy meters and end-user devices.
    fn emergency_and_energy(&mut self) {
        let cc = self.sites["CC"];
        let wh = self.sites["WH"];
        let kit = |g: &mut Self, code: String, name: String, class: &'static str, loc: usize, model: &str| -> Ci {
            let ci = g.common(Ci::new(code, name, class), "江滨数智", model, 3);
            ci.attr("last_functional_test", g.some_day(-28, -3)).at(loc).by("ZW").owned("jb.tech01")
        };
        for k in 1..=60usize {
            let loc = self.public_point(k, k / 5 + 1);
            let ci = kit(
                self,
                format!("JB-PA-{k:02}"),
                format!("{} IP 广播音柱 {k:02}", ZONES[k % 5]),
                "pa_speaker",
                loc,
                "JBZ-PA30",
            );
            let i = self.add(ci);
            let sw = self.idx(&format!("JB-SW-A{:02}", 17 + k % 5 + 5 * (k % 11)));
            self.rel(i, RelationKind::ConnectedTo, sw);
        }
        for k in 1..=8usize {
            let loc = self.public_point(k, 9);
            let ci = kit(self, format!("JB-SR-{k:02}"), format!("电声警报器 {k}"), "siren", loc, "JBZ-SR600");
            let i = self.add(ci.crit(Criticality::A));
            let sw = self.idx(&format!("JB-SW-A{:02}", 17 + k % 5));
            self.rel(i, RelationKind::ConnectedTo, sw);
        }
        for k in 1..=6usize {
            let ci = kit(self, format!("JB-CON-{k:02}"), format!("指挥调度台 {k}"), "command_console", cc, "JBZ-DD8");
            self.add(ci.crit(Criticality::A));
        }
        for k in 1..=4usize {
            let ci =
                kit(self, format!("JB-VC-{k:02}"), format!("视频会议终端 {k}"), "video_conf_terminal", cc, "JBZ-VC4K");
            self.add(ci);
        }
        let ci = kit(self, "JB-EV-01".into(), "应急监测车（苏B·J2026）".into(), "emergency_vehicle", wh, "JBZ-EMV");
        self.add(ci.by("ENVOP").crit(Criticality::A).domain(BusinessDomain::Emergency));
        for k in 1..=10usize {
            let ci = kit(
                self,
                format!("JB-WH-{k:02}"),
                format!("应急物资库{}传感器 {k:02}", ["温湿度", "门磁", "视频"][k % 3]),
                "warehouse_sensor",
                wh,
                "JBZ-WS",
            );
            self.add(ci.crit(Criticality::C));
        }
        // Energy meters at the enterprises' inlets and the park's utilities.
        let gateways: Vec<usize> = (1..=12).map(|k| self.idx(&format!("JB-EG-{k:02}"))).collect();
        let meters: [(&'static str, usize, &str, &str, &str); 4] = [
            ("electric_meter", 110, "EM", "电能表", "NH-DTZ"),
            ("steam_meter", 40, "SM", "蒸汽流量计", "NH-VX"),
            ("water_meter", 50, "WM", "水表", "NH-LXS"),
            ("gas_meter", 20, "GM", "燃气表", "NH-TBQ"),
        ];
        for (class, count, prefix, label, model) in meters {
            for k in 1..=count {
                let enterprise = match class {
                    "steam_meter" => Some((k - 1) % 20),
                    "gas_meter" => Some((k - 1) % 10),
                    _ => (k <= ENTERPRISE_STEMS.len()).then_some(k - 1),
                };
                let (name, loc) = match enterprise {
                    Some(e) => (format!("{}进线{label} {prefix}-{k:03}", ENTERPRISE_STEMS[e]), self.plants[e]),
                    None => (format!("园区公用工程{label} {prefix}-{k:03}",), self.public_point(3, k)),
                };
                let ci = self.common(Ci::new(format!("JB-{prefix}-{k:03}"), name, class), "能衡计量", model, 4);
                let last = -self.rng.between(30, 600);
                let ci = ci
                    .attr("meter_no", format!("{}{:010}", prefix, 3_206_820_000 + k * 13))
                    .attr("last_verification", self.date(last))
                    .attr("next_verification", self.date(last + 730))
                    .attr("expected_report_interval", 900);
                let ci = if class == "electric_meter" {
                    ci.attr("ct_ratio", "400/5").attr("pt_ratio", "10000/100")
                } else {
                    ci
                };
                let mut ci = ci.at(loc).by("ENERGY").owned("jb.tech08").crit(Criticality::C);
                if let Some(e) = enterprise {
                    ci = ci.of(e);
                }
                let i = self.add(ci);
                self.rel(i, RelationKind::ConnectedTo, gateways[k % gateways.len()]);
            }
        }
        for k in 1..=40usize {
            let loc = if k <= 30 { cc } else { self.dc_points[3] };
            let ci = self.common(
                Ci::new(
                    format!("JB-PC-{k:02}"),
                    format!("{}工作站 {k:02}", if k <= 30 { "值班" } else { "运维" }),
                    "workstation",
                ),
                "启航服务器",
                "QH-D600",
                2,
            );
            let ci = Self::ip(ci, 8, k).at(loc).by("ZW").owned("jb.tech01").crit(Criticality::C);
            self.add(if k > 30 { ci.sensitive() } else { ci });
        }
        for k in 1..=3usize {
            let ci = self.common(
                Ci::new(format!("JB-LS-{k:02}"), format!("指挥中心大屏 {k}"), "large_screen"),
                "华瞳视频",
                "HT-LED-P1.5",
                2,
            );
            self.add(ci.at(cc).by("VIDEO").crit(Criticality::C));
        }
    }
}

/// The ten business services (§3.2): name, domain, 等保 level, upstream obligation, and their
/// six application modules.
const SERVICES: [(&str, BusinessDomain, &str, &str, [&str; 6]); 10] = [
    (
        "安全风险智能化管控平台",
        BusinessDomain::SafetyProduction,
        "三级",
        "省危险化学品安全生产风险监测预警系统",
        ["重大危险源监测", "报警规则引擎", "报警推送", "双重预防", "特殊作业报备", "企业数据接入"],
    ),
    (
        "环境监测监控系统",
        BusinessDomain::Environmental,
        "三级",
        "省生态环境监控平台",
        ["废气在线监控", "废水在线监控", "环境质量监测", "HJ 212 数据审核", "有效传输率统计", "污染源档案"],
    ),
    (
        "应急指挥系统",
        BusinessDomain::Emergency,
        "三级",
        "市应急管理平台",
        ["应急预案库", "应急资源管理", "指挥调度", "视频会商", "预警发布", "事件管理"],
    ),
    (
        "封闭化管理系统",
        BusinessDomain::ClosedArea,
        "三级",
        "",
        ["卡口通行", "电子运单核验", "人员定位", "周界报警", "停车场管理", "出入园预约"],
    ),
    (
        "危化品物流监管",
        BusinessDomain::Logistics,
        "三级",
        "省危险货物道路运输监管平台",
        ["车辆轨迹", "路径规划", "电子围栏", "运单管理", "JT/T 809 接入", "停车调度"],
    ),
    (
        "能源管理系统",
        BusinessDomain::Energy,
        "二级",
        "",
        ["能耗采集", "能耗分析", "计量台账", "负荷预测", "能效对标", "能源报表"],
    ),
    (
        "视频监控联网平台",
        BusinessDomain::SafetyProduction,
        "三级",
        "市视频共享平台",
        ["视频联网", "视频AI分析", "录像完整性巡检", "图像质量诊断", "国标级联", "视频共享"],
    ),
    (
        "IoT/数据中台",
        BusinessDomain::NetworkSecurity,
        "三级",
        "",
        ["设备接入", "协议解析", "数据清洗", "数据服务API", "主数据管理", "数据质量"],
    ),
    (
        "数字孪生/GIS",
        BusinessDomain::NetworkSecurity,
        "二级",
        "",
        ["二三维地图", "模型管理", "空间分析", "态势展示", "地图服务", "孪生场景"],
    ),
    (
        "统一门户/身份认证",
        BusinessDomain::NetworkSecurity,
        "三级",
        "",
        ["统一门户", "统一认证", "单点登录", "用户中心", "消息中心", "运维监控"],
    ),
];

impl Gen {
    /// Business services over their modules, and the field devices that feed them.
    fn services(&mut self) {
        let owners = ["王伟", "李芳", "张敏", "刘强", "陈静", "杨磊", "黄军", "赵洋", "吴勇", "周杰"];
        for (s, (name, domain, level, upstream, modules)) in SERVICES.into_iter().enumerate() {
            let k = s + 1;
            let mut ci = Ci::new(format!("JB-SVC-{k:02}"), name, "business_service")
                .attr("service_owner", owners[s])
                .attr("mlps_level", level)
                .attr("rto", if level == "三级" { 60 } else { 240 })
                .attr("rpo", if level == "三级" { 15 } else { 60 })
                .attr("user_base", [320, 180, 260, 150, 90, 80, 400, 60, 220, 1200][s]);
            if !upstream.is_empty() {
                ci = ci.attr("upstream_obligation", upstream);
            }
            let svc = self.add(ci.by("PLAT").owned("jb.manager").crit(Criticality::A).domain(domain).sensitive());
            for (m, module) in modules.into_iter().enumerate() {
                let n = s * 6 + m + 1;
                let ci = Ci::new(format!("JB-APP-{n:03}"), format!("{name}·{module}"), "app_module")
                    .attr("version", format!("{}.{}.{}", 2 + s % 2, m, n % 7))
                    .attr("port", 8000 + n)
                    .attr("cluster_role", if m % 3 == 0 { "集群成员" } else { "单机" })
                    .attr("backup_policy", "镜像与配置每日备份");
                let app = self.add(ci.by("PLAT").owned("jb.tech04").domain(domain));
                self.rel(svc, RelationKind::DependsOn, app);
                let vm = self.idx(&format!("JB-VM-{n:03}"));
                self.rel(app, RelationKind::RunsOn, vm);
                // Each module keeps its data in one database and talks through one middleware.
                let db = self.idx(&format!("JB-DB-{:02}", [1, 3, 1, 1, 5, 3, 1, 5, 7, 7][s] + usize::from(m == 5)));
                self.rel(app, RelationKind::Uses, db);
                let mw = match (s, m) {
                    (0 | 7, _) | (5, 0) => self.idx(&format!("JB-MQ-{:02}", m % 3 + 1)),
                    (1, _) => self.idx("JB-MW-08"),
                    (6, _) => self.idx("JB-MW-09"),
                    _ => self.idx(&format!("JB-MW-{:02}", 1 + (n % 5))),
                };
                self.rel(app, RelationKind::Uses, mw);
            }
        }
        // Field sources: the services cannot do their work without these.
        let sources: [(usize, &str); 6] = [
            (1, "edge_gateway"),
            (2, "data_logger"),
            (4, "checkpoint"),
            (4, "parking_lot"),
            (6, "energy_gateway"),
            (7, "video_platform"),
        ];
        for (k, class) in sources {
            let svc = self.idx(&format!("JB-SVC-{k:02}"));
            let found: Vec<usize> = (0..self.cis.len()).filter(|&i| self.cis[i].class == class).collect();
            for i in found {
                self.rel(svc, RelationKind::DependsOn, i);
            }
        }
        let nginx = self.idx("JB-MW-06");
        let portal = self.idx("JB-SVC-10");
        self.rel(portal, RelationKind::DependsOn, nginx);
    }
}

// ---------------------------------------------------------------------------------------------
// The register as an import sheet, and the load
// ---------------------------------------------------------------------------------------------

impl Register {
    /// The deepest location code of a CI, if any.
    fn location_code(&self, ci: &Ci) -> String {
        ci.location.map(|l| self.locations[l].code.clone()).unwrap_or_default()
    }

    /// The register as an import workbook (codes of CIs prefixed with `prefix`; locations,
    /// organisations and owners as the demo park has them).
    fn to_sheet(&self, prefix: &str) -> AssetSheet {
        let assets = self
            .cis
            .iter()
            .enumerate()
            .map(|(i, ci)| {
                let mut cells: BTreeMap<String, String> = ci.attributes.clone();
                let mut fixed = |k: &str, v: String| {
                    cells.insert(k.to_owned(), v);
                };
                fixed("code", format!("{prefix}{}", ci.code));
                fixed("name", ci.name.clone());
                fixed("class", ci.class.to_owned());
                fixed("state", ci.state().code().to_owned());
                fixed("location", self.location_code(ci));
                fixed("enterprise", ci.enterprise.map(|e| format!("JB-E{:02}", e + 1)).unwrap_or_default());
                fixed("maintainer", ci.maintainer.map(|m| format!("JB-{m}")).unwrap_or_default());
                fixed("owner", ci.owner.clone().unwrap_or_default());
                fixed("criticality", ci.criticality.code().to_owned());
                fixed("domain", ci.domain.map(|d| d.code().to_owned()).unwrap_or_default());
                fixed("holds_sensitive_data", ci.sensitive.to_string());
                SheetRow { row: i + 2, cells }
            })
            .collect();
        let relations = self
            .relations
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let cells = [
                    ("from", format!("{prefix}{}", self.cis[r.from].code)),
                    ("kind", r.kind.code().to_owned()),
                    ("to", format!("{prefix}{}", self.cis[r.to].code)),
                    ("note", String::new()),
                ];
                SheetRow { row: i + 2, cells: cells.into_iter().map(|(k, v)| (k.to_owned(), v)).collect() }
            })
            .collect();
        AssetSheet { assets, relations }
    }
}

/// The demo register for `now` as an import workbook whose CI codes carry `prefix` (empty for
/// the demo's own codes). Its location, organisation and owner columns name the demo park's,
/// so it imports into a park loaded with [`App::load_demo`]: benchmarks import copies of it,
/// and tests run it through the import's complete validation.
#[must_use]
pub fn sheet(now: Timestamp, prefix: &str) -> AssetSheet {
    generate(now).to_sheet(prefix)
}

impl App {
    /// Loads the demo park's asset register (`shared/domain.md` §4.2) in one transaction:
    /// the park's extension of the database class, the location tree, the CIs with their
    /// timelines and the relations, through the batched asset writes, with an audit record
    /// for the extension and one for the load. Called by [`App::load_demo`] after the service
    /// desk; does nothing when the park already has CIs.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when a demo organisation or account is missing;
    /// [`AppError::Unavailable`].
    pub async fn load_demo_assets(&self, caller: &Caller, park: ParkId) -> Result<(), AppError> {
        let any = AssetFilter { park_id: Some(park), ..AssetFilter::default() };
        if self.store.assets(&any, PageRequest { page: 1, per_page: 1 }).await?.total > 0 {
            return Ok(());
        }
        let now = self.clock.now();
        let register = generate(now);
        let all = PageRequest { page: 1, per_page: 10_000 };
        let orgs: BTreeMap<String, OrgId> = self
            .store
            .orgs(&OrgFilter { park_id: Some(park), ..OrgFilter::default() }, all)
            .await?
            .items
            .into_iter()
            .map(|o| (o.code, o.id))
            .collect();
        let users: BTreeMap<String, UserId> = self
            .store
            .users(&UserFilter { park_id: Some(park), ..UserFilter::default() }, all)
            .await?
            .items
            .into_iter()
            .map(|u| (u.username, u.id))
            .collect();
        let org = |code: String| orgs.get(&code).copied().ok_or(AppError::NotFound);
        let by = caller.principal.as_ref().map_or_else(|| "system".to_owned(), |p| p.username.clone());
        // Registered before the 90 days of desk history; later changes at their own times.
        let registered = now.plus(-Duration::days(100));

        let mut locations: Vec<LocationRecord> = Vec::with_capacity(register.locations.len());
        for l in &register.locations {
            locations.push(LocationRecord {
                id: LocationId::from_uuid(uuid::Uuid::now_v7()),
                park_id: park,
                parent_id: l.parent.map(|p| locations[p].id),
                level: l.level,
                code: l.code.clone(),
                name: l.name.clone(),
                latitude: l.latitude.clone(),
                longitude: l.longitude.clone(),
                ex_zone: l.ex_zone.clone(),
                created_at: registered,
                updated_at: registered,
            });
        }
        let path = |at: Option<usize>| {
            let mut p = LocationPath::default();
            let mut next = at;
            while let Some(i) = next {
                let id = Some(locations[i].id);
                match register.locations[i].level {
                    LocationLevel::Zone => p.zone = id,
                    LocationLevel::Site => p.site = id,
                    LocationLevel::Point => p.point = id,
                }
                next = register.locations[i].parent;
            }
            p
        };
        let families: BTreeMap<String, parkops_domain::asset::CiFamily> =
            parkops_domain::asset::built_in_classes().into_iter().map(|c| (c.code, c.family)).collect();
        let mut records = Vec::with_capacity(register.cis.len());
        let mut created = Vec::with_capacity(register.cis.len());
        let mut changed = Vec::new();
        for ci in &register.cis {
            let family = families.get(ci.class).copied().ok_or(AppError::NotFound)?;
            let state = ci.state();
            let since = ci.history.as_ref().map_or(registered, |h| h.at);
            let a = AssetRecord {
                id: AssetId::from_uuid(uuid::Uuid::now_v7()),
                park_id: park,
                code: ci.code.clone(),
                name: ci.name.clone(),
                class: ci.class.to_owned(),
                family,
                state,
                state_since: since,
                location: path(ci.location),
                enterprise_org_id: ci.enterprise.map(|e| org(format!("JB-E{:02}", e + 1))).transpose()?,
                maintainer_org_id: ci.maintainer.map(|m| org(format!("JB-{m}"))).transpose()?,
                owner_user_id: ci
                    .owner
                    .as_ref()
                    .map(|u| users.get(u).copied().ok_or(AppError::NotFound))
                    .transpose()?,
                criticality: ci.criticality,
                domain: ci.domain.unwrap_or_else(|| family.default_domain()),
                holds_sensitive_data: ci.sensitive,
                attributes: ci.attributes.clone(),
                created_by: by.clone(),
                created_at: registered,
                updated_at: since,
            };
            created.push(AssetEventRecord {
                asset_id: a.id,
                seq: 1,
                at: registered,
                actor: by.clone(),
                kind: "created".into(),
                from_state: String::new(),
                to_state: ci.initial.code().to_owned(),
                note: String::new(),
                data: json!({ "source": "demo" }).to_string(),
            });
            if let Some(h) = &ci.history {
                changed.push(AssetEventRecord {
                    asset_id: a.id,
                    seq: 0,
                    at: h.at,
                    actor: by.clone(),
                    kind: h.event.code().to_owned(),
                    from_state: ci.initial.code().to_owned(),
                    to_state: state.code().to_owned(),
                    note: h.note.clone(),
                    data: json!({ "parts": [], "dependents": [], "dependent_count": 0 }).to_string(),
                });
            }
            records.push(a);
        }
        let relations: Vec<RelationRecord> = register
            .relations
            .iter()
            .map(|r| RelationRecord {
                park_id: park,
                from_id: records[r.from].id,
                to_id: records[r.to].id,
                kind: r.kind,
                note: String::new(),
                created_by: by.clone(),
                created_at: registered,
            })
            .collect();
        let extension = database_extension();
        let doc = attributes_to_json(&extension.attributes);
        let class = AssetClassRecord {
            park_id: park,
            code: extension.code.clone(),
            name: ClassRegistry::built_in().get(&extension.code).map(|c| c.name.clone()).unwrap_or_default(),
            family: extension.family,
            attributes: doc.to_string(),
            updated_by: by.clone(),
            updated_at: now,
        };

        let mut tx = self.store.begin().await?;
        tx.put_asset_class(&class).await?;
        let detail = json!({ "code": class.code, "name": class.name, "family": class.family.code(), "attributes": doc, "demo": true });
        tx.audit(
            caller.entry("asset_class.define", "asset_class", &class.code, Outcome::Success, detail.to_string()),
            now,
        )
        .await?;
        for l in &locations {
            tx.put_location(l).await?;
        }
        tx.put_assets(&records).await?;
        tx.append_asset_events(&created).await?;
        tx.append_asset_events(&changed).await?;
        let added = tx.insert_relations(&relations).await?;
        let detail = json!({
            "source": "demo", "locations": locations.len(), "created": records.len(), "updated": 0, "unchanged": 0,
            "relations_added": added, "relations_unchanged": 0, "demo": true,
        });
        tx.audit(caller.entry("asset.import", "asset", "", Outcome::Success, detail.to_string()), now).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use parkops_domain::asset::{DependencyGraph, Direction, Relation, impact, validate_attributes};

    use super::*;

    /// 2026-11-25 10:00 CST.
    const NOW: i64 = 1_795_572_000_000;

    fn register() -> Register {
        generate(Timestamp::from_millis(NOW))
    }

    fn index(r: &Register, code: &str) -> usize {
        r.cis.iter().position(|c| c.code == code).expect(code)
    }

    fn today() -> NaiveDate {
        Timestamp::from_millis(NOW).to_cst().date_naive()
    }

    #[test]
    fn every_class_has_the_count_of_the_table_and_every_family_is_there() {
        let r = register();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &r.cis {
            *counts.entry(c.class).or_default() += 1;
        }
        let table: BTreeMap<&str, usize> = CLASS_COUNTS.into_iter().collect();
        assert_eq!(counts, table);
        let registry = ClassRegistry::built_in();
        let families: BTreeSet<_> =
            r.cis.iter().map(|c| registry.get(c.class).expect("built-in class").family).collect();
        assert_eq!(families.len(), parkops_domain::asset::CiFamily::ALL.len());
        assert_eq!(r.cis.len(), CLASS_COUNTS.iter().map(|(_, n)| n).sum::<usize>());
        let safety: usize = [
            "gas_detector",
            "level_transmitter",
            "temperature_transmitter",
            "pressure_transmitter",
            "valve_status",
            "gds_controller",
        ]
        .iter()
        .map(|c| table[c])
        .sum();
        assert_eq!(safety, 1362, "§4.2: 1,362 safety points");
        assert_eq!(table["camera"] + 12 + 4 + 1 + 6 + 1, 1244, "§4.2: 1,244 video CIs");
    }

    #[test]
    fn codes_are_unique_and_the_location_tree_is_well_formed() {
        let r = register();
        let codes: BTreeSet<&str> = r.cis.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes.len(), r.cis.len());
        assert!(r.cis.iter().all(|c| c.code.len() <= 64 && !c.code.contains(char::is_whitespace)));
        let places: BTreeSet<&str> = r.locations.iter().map(|l| l.code.as_str()).collect();
        assert_eq!(places.len(), r.locations.len());
        for (i, l) in r.locations.iter().enumerate() {
            match (l.level, l.parent) {
                (LocationLevel::Zone, None) => {}
                (level, Some(p)) => {
                    assert!(p < i, "parents come first");
                    assert_eq!(r.locations[p].level.child(), Some(level), "{}", l.code);
                }
                (_, None) => panic!("{} has no parent", l.code),
            }
        }
        let zones = r.locations.iter().filter(|l| l.level == LocationLevel::Zone).count();
        assert_eq!(zones, 5);
        assert!(r.cis.iter().all(|c| c.location.is_some()), "every CI is placed");
        let mut seen = BTreeSet::new();
        for rel in &r.relations {
            assert_ne!(rel.from, rel.to);
            assert!(
                seen.insert((rel.from, rel.kind, rel.to)),
                "{} {:?} {}",
                r.cis[rel.from].code,
                rel.kind,
                r.cis[rel.to].code
            );
        }
    }

    #[test]
    fn every_attribute_validates_on_its_class_schema_in_canonical_form() {
        let r = register();
        let mut registry = ClassRegistry::built_in();
        registry.apply(database_extension()).expect("extension");
        for c in &r.cis {
            let schema = registry.get(c.class).expect("class").schema();
            let typed = validate_attributes(&schema, &c.attributes).unwrap_or_else(|e| panic!("{}: {e:?}", c.code));
            assert_eq!(typed.to_text(), c.attributes, "{} is stored as validated", c.code);
        }
    }

    #[test]
    fn the_states_of_the_table_are_there() {
        let r = register();
        let by_code = |code: &str| &r.cis[index(&r, code)];
        assert_eq!(by_code(OFFLINE_GATEWAY).state(), LifecycleState::Faulty);
        assert_eq!(by_code(DEGRADED_STORAGE).state(), LifecycleState::Faulty);
        assert_eq!(by_code(FULL_DATABASE).attributes[DISK_USAGE], "91");
        for cems in CALIBRATING_CEMS {
            assert_eq!(by_code(cems).state(), LifecycleState::UnderMaintenance);
        }
        let under = r.cis.iter().filter(|c| c.state() == LifecycleState::UnderMaintenance).count();
        assert_eq!(under, 2);
        let soon = today() + Duration::days(30);
        let expiring: BTreeSet<&str> = r
            .cis
            .iter()
            .filter(|c| c.attributes.get("link_type").map(String::as_str) == Some("4G SIM"))
            .filter(|c| NaiveDate::parse_from_str(&c.attributes["plan_expiry"], "%Y-%m-%d").expect("date") <= soon)
            .map(|c| c.code.as_str())
            .collect();
        assert_eq!(expiring, EXPIRING_SIMS.into_iter().collect());
        let overdue = |class: &str| {
            r.cis
                .iter()
                .filter(|c| c.class == class)
                .filter(|c| {
                    c.attributes
                        .get("next_verification")
                        .is_some_and(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date") < today())
                })
                .count()
        };
        assert_eq!(overdue("gas_detector"), OVERDUE_DETECTORS);
        for class in ["level_transmitter", "gas_analyzer", "water_analyzer", "electric_meter"] {
            assert_eq!(overdue(class), 0, "{class}");
        }
        let detectors = r.cis.iter().filter(|c| c.class == "gas_detector");
        assert!(detectors.clone().all(|c| c.attributes.contains_key("last_verification")));
        let combustible = detectors.filter(|c| c.attributes["gas_kind"] == "可燃").count();
        assert_eq!(combustible, 420);
        let safety: Vec<&Ci> = r
            .cis
            .iter()
            .filter(|c| {
                ClassRegistry::built_in().get(c.class).map(|k| k.family)
                    == Some(parkops_domain::asset::CiFamily::SafetyInstrument)
            })
            .collect();
        let faulty = safety.iter().filter(|c| c.state() == LifecycleState::Faulty).count();
        assert!((15..=25).contains(&faulty), "about 1.5 % of 1,362: {faulty}");
        let cameras: Vec<&Ci> = r.cis.iter().filter(|c| c.class == "camera").collect();
        let offline = cameras.iter().filter(|c| c.state() == LifecycleState::Faulty).count();
        assert!((25..=35).contains(&offline), "about 2.5 % of 1,220: {offline}");
        assert!(r.cis.iter().all(|c| c.history.as_ref().is_none_or(|h| h.at < Timestamp::from_millis(NOW))));
    }

    #[test]
    fn a_gateway_carries_its_sensors_and_the_safety_service_and_hangs_on_the_network() {
        let r = register();
        let graph = DependencyGraph::from_relations(r.relations.iter().map(|x| Relation {
            from: x.from,
            to: x.to,
            kind: x.kind,
        }));
        let gw = index(&r, OFFLINE_GATEWAY);
        let down = impact(&graph, gw, Direction::Downstream, 10);
        let classes: BTreeSet<&str> = down.iter().map(|i| r.cis[i.node].class).collect();
        for class in ["gds_controller", "gas_detector", "level_transmitter", "business_service"] {
            assert!(classes.contains(class), "{class} depends on the gateway: {classes:?}");
        }
        assert!(down.iter().any(|i| r.cis[i.node].code == SAFETY_SERVICE && i.hops == 1));
        // E03 runs two gateways: this one carries about half of its detectors, and only its own.
        let reached: Vec<&Ci> = down.iter().map(|i| &r.cis[i.node]).filter(|c| c.class == "gas_detector").collect();
        let own = r.cis.iter().filter(|c| c.class == "gas_detector" && c.enterprise == Some(2)).count();
        assert!(reached.iter().all(|c| c.enterprise == Some(2)));
        assert!(reached.len() * 3 > own && reached.len() < own, "{} of {own}", reached.len());
        let up = impact(&graph, gw, Direction::Upstream, 10);
        let codes: BTreeSet<&str> = up.iter().map(|i| r.cis[i.node].code.as_str()).collect();
        for code in ["JB-SIM-03", "JB-SW-A03", "JB-SW-G06", "JB-SW-C01", "JB-MQ-01", "JB-GAP-01"] {
            assert!(codes.contains(code), "{code} is upstream: {codes:?}");
        }
        let upstream_classes: BTreeSet<&str> = up.iter().map(|i| r.cis[i.node].class).collect();
        assert!(upstream_classes.contains("virtual_machine") && upstream_classes.contains("physical_server"));
        // A camera reaches its NVR, the video storage and the platform.
        let cam = index(&r, "JB-CAM-0001");
        let up: BTreeSet<&str> =
            impact(&graph, cam, Direction::Upstream, 3).iter().map(|i| r.cis[i.node].class).collect();
        assert!(up.contains("nvr") && up.contains("video_storage") && up.contains("video_platform"), "{up:?}");
    }

    #[test]
    fn the_register_is_the_same_every_time_and_its_sheet_names_the_parks_codes() {
        assert_eq!(register(), register());
        let s = sheet(Timestamp::from_millis(NOW), "B01-");
        let r = register();
        assert_eq!(s.assets.len(), r.cis.len());
        assert_eq!(s.relations.len(), r.relations.len());
        let first = &s.assets[0].cells;
        assert!(first["code"].starts_with("B01-JB-"));
        assert!(s.assets.iter().all(|row| row.cells["location"].starts_with("JB-Z")));
        let gw = s.assets.iter().find(|row| row.cells["code"] == format!("B01-{OFFLINE_GATEWAY}")).expect("gateway");
        assert_eq!((gw.cells["state"].as_str(), gw.cells["enterprise"].as_str()), ("faulty", "JB-E03"));
        assert_eq!(gw.cells["maintainer"], "JB-PLAT");
    }
}
