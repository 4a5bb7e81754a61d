//! The asset register (R-9.1.1c): configuration-item (CI) families and classes with a typed
//! attribute schema per class (built in from `shared/domain.md` §3.2 and extensible by an
//! administrator), attribute validation, the lifecycle as an exhaustive state machine, the
//! relation kinds of §3.3 and impact traversal over the dependency graph in both directions.
//!
//! Everything here is pure data and functions; storing schemas, assets and relations is the
//! application's business.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::id::id_type;
use crate::ticket::BusinessDomain;

/// A closed set of coded values with Chinese terms: `ALL`, `code`, `label`, `parse` (code or
/// term). `calibration` uses it too.
macro_rules! labelled_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// Stable code for storage, the API, import sheets and resource keys.
            #[must_use]
            pub const fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            /// The Chinese term, as used in the park's sheets.
            #[must_use]
            pub const fn label(self) -> &'static str {
                match self { $(Self::$variant => $label),+ }
            }

            /// The value with this code (ASCII case ignored) or Chinese term.
            #[must_use]
            pub fn parse(text: &str) -> Option<Self> {
                let text = text.trim();
                Self::ALL.iter().copied().find(|v| v.code().eq_ignore_ascii_case(text) || v.label() == text)
            }
        }
    };
}
pub(crate) use labelled_enum;

id_type!(
    /// A configuration item (CI) of the register.
    AssetId
);
id_type!(
    /// A node of the location tree (zone, site or point).
    LocationId
);
id_type!(
    /// A spare part kept in stock.
    SparePartId
);

labelled_enum!(
    /// The families of the CI class tree (`shared/domain.md` §3.2). Closed: a new family is a
    /// code change, a new class is data.
    CiFamily {
        /// Business services (业务服务).
        BusinessService = ("business_service", "业务服务"),
        /// Applications and software.
        Application = ("application", "应用与软件"),
        /// Compute and storage.
        Compute = ("compute", "计算与存储"),
        /// Network and security devices.
        Network = ("network", "网络与安全"),
        /// Machine-room facilities.
        Facility = ("facility", "机房设施"),
        /// Data acquisition: gateways, data loggers (数采仪), PLCs.
        DataAcquisition = ("data_acquisition", "数据采集"),
        /// Safety instruments: gas detectors, transmitters, GDS.
        SafetyInstrument = ("safety_instrument", "安全仪表"),
        /// Environmental instruments: CEMS, analysers, stations.
        EnvironmentalInstrument = ("environmental_instrument", "环境监测仪器"),
        /// Video.
        Video = ("video", "视频监控"),
        /// Access control and closed-area management.
        AccessControl = ("access_control", "封闭化管理"),
        /// Emergency equipment.
        Emergency = ("emergency", "应急"),
        /// Energy metering.
        Energy = ("energy", "能源计量"),
        /// End-user devices.
        EndUser = ("end_user", "终端设备"),
    }
);

labelled_enum!(
    /// Where a CI is in its life (R-9.1.1c).
    LifecycleState {
        /// 规划.
        Planned = ("planned", "规划"),
        /// 建设中.
        UnderConstruction = ("under_construction", "建设中"),
        /// 试运行.
        TrialRun = ("trial_run", "试运行"),
        /// 运行.
        InService = ("in_service", "运行"),
        /// 维护中.
        UnderMaintenance = ("under_maintenance", "维护中"),
        /// 故障.
        Faulty = ("faulty", "故障"),
        /// 停用.
        OutOfService = ("out_of_service", "停用"),
        /// 报废.
        Scrapped = ("scrapped", "报废"),
        /// 已处置 — terminal.
        Disposed = ("disposed", "已处置"),
    }
);

labelled_enum!(
    /// Something that happens to a CI and may move its lifecycle state.
    LifecycleEvent {
        /// Installation begins.
        Install = ("install", "安装"),
        /// Commissioned into trial run.
        Commission = ("commission", "调试投运"),
        /// Accepted after the trial run.
        Accept = ("accept", "验收"),
        /// A fault.
        Fault = ("fault", "故障"),
        /// The fault is repaired.
        Repair = ("repair", "修复"),
        /// Planned maintenance starts.
        MaintainStart = ("maintain_start", "开始维护"),
        /// Planned maintenance ends.
        MaintainEnd = ("maintain_end", "结束维护"),
        /// A part is replaced; the state does not change.
        PartReplace = ("part_replace", "更换部件"),
        /// Taken out of service.
        Retire = ("retire", "停用"),
        /// Scrapped.
        Scrap = ("scrap", "报废"),
        /// Disposed of (for CIs holding sensitive data, after the disposal workflow).
        Dispose = ("dispose", "处置"),
        /// Put back into service.
        Reactivate = ("reactivate", "重新启用"),
    }
);

labelled_enum!(
    /// How much the park depends on a CI (§3.2 `criticality`).
    Criticality {
        /// A 关键.
        A = ("a", "关键"),
        /// B 重要.
        B = ("b", "重要"),
        /// C 一般.
        C = ("c", "一般"),
    }
);

labelled_enum!(
    /// The level of a location node: park → zone (功能区) → site → point (安装点位).
    LocationLevel {
        /// 功能区.
        Zone = ("zone", "功能区"),
        /// Enterprise plant, station, checkpoint or machine room.
        Site = ("site", "站点"),
        /// Installation point.
        Point = ("point", "点位"),
    }
);

labelled_enum!(
    /// The relation kinds of `shared/domain.md` §3.3 between two CIs.
    RelationKind {
        /// Lane → checkpoint, analyser → CEMS, VM → cluster (roll-up status).
        PartOf = ("part_of", "组成部分"),
        /// Instrument → gateway or data logger; gateway → switch or link.
        ConnectedTo = ("connected_to", "连接至"),
        /// Gateway → ingestion middleware; camera → NVR or video platform.
        ReportsTo = ("reports_to", "上报至"),
        /// Application module → VM or container → server.
        RunsOn = ("runs_on", "运行于"),
        /// VM → physical host.
        HostedBy = ("hosted_by", "托管于"),
        /// Application module → database or middleware.
        Uses = ("uses", "使用"),
        /// Business service → module, middleware or link.
        DependsOn = ("depends_on", "依赖"),
        /// Database or NVR → storage.
        StoresOn = ("stores_on", "存储于"),
        /// Database or VM → backup appliance or media.
        BackedUpBy = ("backed_up_by", "备份于"),
        /// Segment or gateway → firewall or 网闸.
        ProtectedBy = ("protected_by", "防护于"),
        /// Instrument → the CI it watches (a blind instrument leaves its object unwatched).
        Monitors = ("monitors", "监测"),
        /// Gas detector → camera preset (alarm-video linkage).
        LinkedAlarm = ("linked_alarm", "报警联动"),
        /// Business service → external system (upstream obligation).
        PushesTo = ("pushes_to", "推送至"),
        /// CI → the station, cabinet or room CI it is installed in.
        LocatedAt = ("located_at", "安装于"),
    }
);

impl CiFamily {
    /// The business domain a CI of this family belongs to unless stated otherwise.
    #[must_use]
    pub const fn default_domain(self) -> BusinessDomain {
        match self {
            Self::BusinessService
            | Self::Application
            | Self::Compute
            | Self::Network
            | Self::Facility
            | Self::EndUser => BusinessDomain::NetworkSecurity,
            Self::DataAcquisition | Self::SafetyInstrument | Self::Video => BusinessDomain::SafetyProduction,
            Self::EnvironmentalInstrument => BusinessDomain::Environmental,
            Self::AccessControl => BusinessDomain::ClosedArea,
            Self::Emergency => BusinessDomain::Emergency,
            Self::Energy => BusinessDomain::Energy,
        }
    }
}

impl LocationLevel {
    /// The level a child of this level has, if any.
    #[must_use]
    pub const fn child(self) -> Option<Self> {
        match self {
            Self::Zone => Some(Self::Site),
            Self::Site => Some(Self::Point),
            Self::Point => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

/// An event the current state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} an asset that is {}", event.code(), state.code())]
pub struct LifecycleError {
    /// The state.
    pub state: LifecycleState,
    /// The refused event.
    pub event: LifecycleEvent,
}

/// The state after `event`. Exhaustive over (state, event) with no catch-all arm: adding a
/// state or an event forces a decision at every pair.
///
/// Scrapping follows only "out of service" or "faulty"; "disposed" is terminal.
///
/// # Errors
/// [`LifecycleError`] for a pair the lifecycle does not allow.
pub const fn transition(state: LifecycleState, event: LifecycleEvent) -> Result<LifecycleState, LifecycleError> {
    use LifecycleEvent as E;
    use LifecycleState as S;
    let next = match (state, event) {
        (S::Planned, E::Install) => S::UnderConstruction,
        (S::UnderConstruction, E::Commission) => S::TrialRun,
        (S::TrialRun, E::Accept) | (S::Faulty, E::Repair) | (S::UnderMaintenance, E::MaintainEnd) => S::InService,
        (S::TrialRun | S::InService | S::UnderMaintenance, E::Fault) => S::Faulty,
        (S::InService, E::MaintainStart) => S::UnderMaintenance,
        // A part replacement is recorded on the timeline; the state stays.
        (s @ (S::UnderConstruction | S::TrialRun | S::InService | S::UnderMaintenance | S::Faulty), E::PartReplace) => {
            s
        }
        (
            S::Planned | S::UnderConstruction | S::TrialRun | S::InService | S::UnderMaintenance | S::Faulty,
            E::Retire,
        ) => S::OutOfService,
        (S::OutOfService | S::Faulty, E::Scrap) => S::Scrapped,
        (S::Scrapped, E::Dispose) => S::Disposed,
        (S::OutOfService, E::Reactivate) => S::InService,
        (
            S::Planned,
            E::Commission
            | E::Accept
            | E::Fault
            | E::Repair
            | E::MaintainStart
            | E::MaintainEnd
            | E::PartReplace
            | E::Scrap
            | E::Dispose
            | E::Reactivate,
        )
        | (
            S::UnderConstruction,
            E::Install
            | E::Accept
            | E::Fault
            | E::Repair
            | E::MaintainStart
            | E::MaintainEnd
            | E::Scrap
            | E::Dispose
            | E::Reactivate,
        )
        | (
            S::TrialRun,
            E::Install
            | E::Commission
            | E::Repair
            | E::MaintainStart
            | E::MaintainEnd
            | E::Scrap
            | E::Dispose
            | E::Reactivate,
        )
        | (
            S::InService,
            E::Install | E::Commission | E::Accept | E::Repair | E::MaintainEnd | E::Scrap | E::Dispose | E::Reactivate,
        )
        | (
            S::UnderMaintenance,
            E::Install
            | E::Commission
            | E::Accept
            | E::Repair
            | E::MaintainStart
            | E::Scrap
            | E::Dispose
            | E::Reactivate,
        )
        | (
            S::Faulty,
            E::Install
            | E::Commission
            | E::Accept
            | E::Fault
            | E::MaintainStart
            | E::MaintainEnd
            | E::Dispose
            | E::Reactivate,
        )
        | (
            S::OutOfService,
            E::Install
            | E::Commission
            | E::Accept
            | E::Fault
            | E::Repair
            | E::MaintainStart
            | E::MaintainEnd
            | E::PartReplace
            | E::Retire
            | E::Dispose,
        )
        | (
            S::Scrapped,
            E::Install
            | E::Commission
            | E::Accept
            | E::Fault
            | E::Repair
            | E::MaintainStart
            | E::MaintainEnd
            | E::PartReplace
            | E::Retire
            | E::Scrap
            | E::Reactivate,
        )
        | (
            S::Disposed,
            E::Install
            | E::Commission
            | E::Accept
            | E::Fault
            | E::Repair
            | E::MaintainStart
            | E::MaintainEnd
            | E::PartReplace
            | E::Retire
            | E::Scrap
            | E::Dispose
            | E::Reactivate,
        ) => return Err(LifecycleError { state, event }),
    };
    Ok(next)
}

impl LifecycleState {
    /// The events this state allows, in display order (for the page's buttons).
    #[must_use]
    pub fn allowed_events(self) -> Vec<LifecycleEvent> {
        LifecycleEvent::ALL.iter().copied().filter(|e| transition(self, *e).is_ok()).collect()
    }

    /// Whether nothing can happen to the CI any more.
    #[must_use]
    pub fn is_terminal(self) -> bool {
        self.allowed_events().is_empty()
    }

    /// Whether the CI counts towards online rates (§3.4: CIs in `运行`).
    #[must_use]
    pub const fn is_in_service(self) -> bool {
        matches!(self, Self::InService)
    }
}

// ---------------------------------------------------------------------------------------------
// Attribute schema
// ---------------------------------------------------------------------------------------------

/// The type of an attribute's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeType {
    /// Free text (at most [`TEXT_MAX`] characters).
    Text,
    /// A whole number.
    Integer,
    /// A decimal number.
    Decimal,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One of the listed values.
    Enum(Vec<String>),
    /// Yes or no.
    Bool,
}

/// Longest text attribute value, in characters.
pub const TEXT_MAX: usize = 500;

impl AttributeType {
    /// Stable code of the type (`text`, `integer`, `decimal`, `date`, `enum`, `bool`).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Integer => "integer",
            Self::Decimal => "decimal",
            Self::Date => "date",
            Self::Enum(_) => "enum",
            Self::Bool => "bool",
        }
    }

    /// The type with this code; `values` are the choices of an `enum`.
    #[must_use]
    pub fn parse(code: &str, values: Vec<String>) -> Option<Self> {
        Some(match code {
            "text" => Self::Text,
            "integer" => Self::Integer,
            "decimal" => Self::Decimal,
            "date" => Self::Date,
            "enum" => Self::Enum(values),
            "bool" => Self::Bool,
            _ => return None,
        })
    }
}

/// One attribute of a class schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDef {
    /// Code, e.g. `hj212_mn`: `[a-z][a-z0-9_]*`, at most 40 characters.
    pub code: String,
    /// Chinese label, e.g. `HJ 212 设备唯一标识(MN)`.
    pub label: String,
    /// Value type.
    pub kind: AttributeType,
    /// Whether a CI of the class must have a value.
    pub required: bool,
    /// Display unit, e.g. `天`, `GB`, `%LEL`.
    pub unit: Option<String>,
}

/// A CI class: code, Chinese name, family and its own attributes (the common attributes of
/// every CI come on top, see [`CiClass::schema`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiClass {
    /// Code, e.g. `gas_detector`.
    pub code: String,
    /// Chinese name, e.g. `气体探测器`.
    pub name: String,
    /// Family.
    pub family: CiFamily,
    /// Class-specific attributes: the built-in ones, then those an administrator added.
    pub attributes: Vec<AttributeDef>,
    /// Shipped with the product (otherwise defined by an administrator).
    pub is_built_in: bool,
}

/// What an administrator stores to extend the schema: extra attributes for a built-in class,
/// or a whole new class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassExtension {
    /// Class code (a built-in code extends that class).
    pub code: String,
    /// Chinese name (ignored for a built-in class).
    pub name: String,
    /// Family (must match for a built-in class).
    pub family: CiFamily,
    /// Extra attributes.
    pub attributes: Vec<AttributeDef>,
}

/// Why a schema or an extension was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A class code is not `[a-z][a-z0-9_]*` of at most 40 characters.
    #[error("class code {0:?} is not valid")]
    ClassCode(String),
    /// The class name is empty or longer than 50 characters.
    #[error("class name must be 1 to 50 characters")]
    ClassName,
    /// An attribute code is not valid.
    #[error("attribute code {0:?} is not valid")]
    AttributeCode(String),
    /// An attribute label is empty or longer than 50 characters.
    #[error("attribute {0} needs a label of 1 to 50 characters")]
    AttributeLabel(String),
    /// Two attributes share a code (or one repeats a common or built-in attribute).
    #[error("attribute {0} is defined twice")]
    DuplicateAttribute(String),
    /// An enumeration without values, or with an empty or repeated value.
    #[error("attribute {0} needs distinct, non-empty values")]
    EnumValues(String),
    /// An extension of a built-in class names another family.
    #[error("class {code} belongs to {}", expected.code())]
    FamilyMismatch {
        /// The class.
        code: String,
        /// Its family.
        expected: CiFamily,
    },
}

fn is_valid_code(code: &str) -> bool {
    let mut chars = code.chars();
    code.len() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn check_label(label: &str) -> bool {
    let n = label.trim().chars().count();
    (1..=50).contains(&n)
}

impl CiClass {
    /// The full schema of a CI of this class: the common attributes, then the class's own.
    #[must_use]
    pub fn schema(&self) -> Vec<AttributeDef> {
        common_attributes().into_iter().chain(self.attributes.iter().cloned()).collect()
    }
}

/// Checks a list of attribute definitions on its own and against `taken` codes.
fn check_attributes<'a>(defs: &[AttributeDef], taken: impl IntoIterator<Item = &'a str>) -> Result<(), SchemaError> {
    let mut seen: BTreeSet<&str> = taken.into_iter().collect();
    for d in defs {
        if !is_valid_code(&d.code) {
            return Err(SchemaError::AttributeCode(d.code.clone()));
        }
        if !check_label(&d.label) {
            return Err(SchemaError::AttributeLabel(d.code.clone()));
        }
        if !seen.insert(&d.code) {
            return Err(SchemaError::DuplicateAttribute(d.code.clone()));
        }
        if let AttributeType::Enum(values) = &d.kind {
            let distinct: BTreeSet<&str> = values.iter().map(|v| v.trim()).collect();
            if values.is_empty() || distinct.len() != values.len() || distinct.contains("") {
                return Err(SchemaError::EnumValues(d.code.clone()));
            }
        }
    }
    Ok(())
}

/// The classes in force: the built-in ones with any administrator's extensions applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRegistry {
    classes: BTreeMap<String, CiClass>,
}

impl Default for ClassRegistry {
    fn default() -> Self {
        Self::built_in()
    }
}

impl ClassRegistry {
    /// The classes shipped with the product.
    #[must_use]
    pub fn built_in() -> Self {
        Self { classes: built_in_classes().into_iter().map(|c| (c.code.clone(), c)).collect() }
    }

    /// Applies an administrator's extension: extra attributes for a built-in class, or a new
    /// class (replacing an earlier definition of the same custom class).
    ///
    /// # Errors
    /// [`SchemaError`] for a bad code, name, attribute or family; the registry is unchanged.
    pub fn apply(&mut self, ext: ClassExtension) -> Result<(), SchemaError> {
        if !is_valid_code(&ext.code) {
            return Err(SchemaError::ClassCode(ext.code));
        }
        let common = common_attributes();
        let common_codes = common.iter().map(|a| a.code.as_str());
        let built_in = built_in_classes().into_iter().find(|c| c.code == ext.code);
        match built_in {
            Some(base) => {
                if base.family != ext.family {
                    return Err(SchemaError::FamilyMismatch { code: ext.code, expected: base.family });
                }
                check_attributes(&ext.attributes, common_codes.chain(base.attributes.iter().map(|a| a.code.as_str())))?;
                let mut class = base;
                class.attributes.extend(ext.attributes);
                self.classes.insert(class.code.clone(), class);
            }
            None => {
                if !check_label(&ext.name) {
                    return Err(SchemaError::ClassName);
                }
                check_attributes(&ext.attributes, common_codes)?;
                let class = CiClass {
                    code: ext.code.clone(),
                    name: ext.name.trim().to_owned(),
                    family: ext.family,
                    attributes: ext.attributes,
                    is_built_in: false,
                };
                self.classes.insert(ext.code, class);
            }
        }
        Ok(())
    }

    /// The class with this code.
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&CiClass> {
        self.classes.get(code)
    }

    /// The class with this code or Chinese name (as written in a sheet).
    #[must_use]
    pub fn find(&self, text: &str) -> Option<&CiClass> {
        let text = text.trim();
        self.classes.get(text).or_else(|| self.classes.values().find(|c| c.name == text))
    }

    /// Every class, by code.
    pub fn iter(&self) -> impl Iterator<Item = &CiClass> {
        self.classes.values()
    }

    /// Number of classes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Whether there are no classes (never, for a registry built from the built-ins).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Attribute values and validation
// ---------------------------------------------------------------------------------------------

/// An exact decimal number, normalised (no trailing zeros after the point).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    units: i128,
    scale: u8,
}

/// Most significant digits a [`Decimal`] holds.
const DECIMAL_DIGITS: usize = 30;

impl Decimal {
    /// Parses `-12.50`, `+3`, `0.001` (no exponent, no separators).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let (negative, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
            || int.len() + frac.len() > DECIMAL_DIGITS
        {
            return None;
        }
        let frac = frac.trim_end_matches('0');
        let mut units: i128 = 0;
        for c in int.chars().chain(frac.chars()) {
            units = units.checked_mul(10)?.checked_add(i128::from(c.to_digit(10)?))?;
        }
        let scale = u8::try_from(frac.len()).ok()?;
        Some(Self { units: if negative { -units } else { units }, scale })
    }

    /// The value as a float (for charts and comparisons with readings; not for storage).
    #[must_use]
    #[allow(clippy::cast_precision_loss, reason = "display and comparison only; storage keeps the exact text")]
    pub fn to_f64(self) -> f64 {
        self.units as f64 / 10f64.powi(i32::from(self.scale))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.units.unsigned_abs().to_string();
        let scale = usize::from(self.scale);
        let sign = if self.units < 0 { "-" } else { "" };
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

/// A validated attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// Text.
    Text(String),
    /// Whole number.
    Integer(i64),
    /// Decimal number.
    Decimal(Decimal),
    /// Date.
    Date(NaiveDate),
    /// One of the enumeration's values (as declared).
    Enum(String),
    /// Yes or no.
    Bool(bool),
}

impl fmt::Display for AttributeValue {
    /// The canonical text form, as stored and exported.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(t) | Self::Enum(t) => f.write_str(t),
            Self::Integer(n) => write!(f, "{n}"),
            Self::Decimal(d) => write!(f, "{d}"),
            // As `%Y-%m-%d` writes it, without parsing the format for every value (an import
            // writes a date or two per CI); years outside four digits take chrono's form.
            Self::Date(d) if (0..=9999).contains(&d.year()) => {
                write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
            }
            Self::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Self::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
        }
    }
}

/// The attributes of one CI after validation, by attribute code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypedAttributes(BTreeMap<String, AttributeValue>);

impl TypedAttributes {
    /// The value of an attribute, if set.
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&AttributeValue> {
        self.0.get(code)
    }

    /// Every set attribute, by code.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &AttributeValue)> {
        self.0.iter()
    }

    /// The canonical text of every set attribute (the storage form): validating it again
    /// gives the same attributes.
    #[must_use]
    pub fn to_text(&self) -> BTreeMap<String, String> {
        self.clone().into_text()
    }

    /// [`Self::to_text`], taking the attributes: codes and text values move rather than being
    /// copied (an import turns 100,000 CIs' attributes into text).
    #[must_use]
    pub fn into_text(self) -> BTreeMap<String, String> {
        self.0
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    AttributeValue::Text(t) | AttributeValue::Enum(t) => t,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect()
    }
}

/// Why one attribute value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributeProblem {
    /// A required attribute has no value.
    #[error("a value is required")]
    Missing,
    /// The class has no such attribute.
    #[error("the class has no such attribute")]
    Unknown,
    /// Not a whole number.
    #[error("not a whole number")]
    NotInteger,
    /// Not a decimal number.
    #[error("not a decimal number")]
    NotDecimal,
    /// Not a `YYYY-MM-DD` date.
    #[error("not a date (YYYY-MM-DD)")]
    NotDate,
    /// Not yes or no.
    #[error("not yes or no")]
    NotBool,
    /// Not one of the allowed values.
    #[error("not one of {}", allowed.join(", "))]
    NotAllowed {
        /// The allowed values.
        allowed: Vec<String>,
    },
    /// Text too long.
    #[error("longer than {max} characters")]
    TooLong {
        /// The limit.
        max: usize,
    },
}

impl AttributeProblem {
    /// Stable code for message keys (`err-attribute-<code>`).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Unknown => "unknown",
            Self::NotInteger => "integer",
            Self::NotDecimal => "decimal",
            Self::NotDate => "date",
            Self::NotBool => "bool",
            Self::NotAllowed { .. } => "not_allowed",
            Self::TooLong { .. } => "too_long",
        }
    }
}

/// One refused attribute, naming it and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("attribute {attribute}: {problem}")]
pub struct AttributeError {
    /// The attribute code as given.
    pub attribute: String,
    /// Why.
    pub problem: AttributeProblem,
}

/// Reads a yes/no cell as people write it in sheets.
#[must_use]
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "是" | "有" => Some(true),
        "false" | "0" | "no" | "n" | "否" | "无" => Some(false),
        _ => None,
    }
}

/// Reads a date as `YYYY-MM-DD` or `YYYY/MM/DD`.
#[must_use]
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    // The common `YYYY-MM-DD` directly; anything else as chrono reads the two forms.
    if let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *t.as_bytes()
        && [y1, y2, y3, y4, m1, m2, d1, d2].iter().all(u8::is_ascii_digit)
    {
        let n = |digits: &[u8]| digits.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        let year = i32::try_from(n(&[y1, y2, y3, y4])).ok()?;
        return NaiveDate::from_ymd_opt(year, n(&[m1, m2]), n(&[d1, d2]));
    }
    chrono_date(t)
}

/// A date in either form as chrono reads it (`parse_date` answers `YYYY-MM-DD` without it).
fn chrono_date(t: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(t, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(t, "%Y/%m/%d")).ok()
}

fn parse_value(kind: &AttributeType, text: &str) -> Result<AttributeValue, AttributeProblem> {
    match kind {
        AttributeType::Text => {
            let max = TEXT_MAX;
            if text.chars().count() > max {
                Err(AttributeProblem::TooLong { max })
            } else {
                Ok(AttributeValue::Text(text.to_owned()))
            }
        }
        AttributeType::Integer => {
            text.parse::<i64>().map(AttributeValue::Integer).map_err(|_| AttributeProblem::NotInteger)
        }
        AttributeType::Decimal => Decimal::parse(text).map(AttributeValue::Decimal).ok_or(AttributeProblem::NotDecimal),
        AttributeType::Date => parse_date(text).map(AttributeValue::Date).ok_or(AttributeProblem::NotDate),
        AttributeType::Bool => parse_bool(text).map(AttributeValue::Bool).ok_or(AttributeProblem::NotBool),
        AttributeType::Enum(values) => values
            .iter()
            .find(|v| v.as_str() == text || v.eq_ignore_ascii_case(text))
            .map(|v| AttributeValue::Enum(v.clone()))
            .ok_or_else(|| AttributeProblem::NotAllowed { allowed: values.clone() }),
    }
}

/// Validates raw attribute values (code → text, as entered or imported) against a schema.
/// Blank values count as absent. Every problem is reported, each naming its attribute.
///
/// # Errors
/// Every [`AttributeError`], in schema order, then the unknown attributes by code.
pub fn validate_attributes(
    schema: &[AttributeDef],
    values: &BTreeMap<String, String>,
) -> Result<TypedAttributes, Vec<AttributeError>> {
    let mut typed = BTreeMap::new();
    let mut errors = Vec::new();
    for def in schema {
        let text = values.get(&def.code).map_or("", |v| v.trim());
        if text.is_empty() {
            if def.required {
                errors.push(AttributeError { attribute: def.code.clone(), problem: AttributeProblem::Missing });
            }
            continue;
        }
        match parse_value(&def.kind, text) {
            Ok(v) => {
                typed.insert(def.code.clone(), v);
            }
            Err(problem) => errors.push(AttributeError { attribute: def.code.clone(), problem }),
        }
    }
    for (code, value) in values {
        // A class has a few dozen attributes at most: looked up in place, not gathered per CI.
        if !value.trim().is_empty() && !schema.iter().any(|d| d.code == *code) {
            errors.push(AttributeError { attribute: code.clone(), problem: AttributeProblem::Unknown });
        }
    }
    if errors.is_empty() { Ok(TypedAttributes(typed)) } else { Err(errors) }
}

// ---------------------------------------------------------------------------------------------
// Relations and impact
// ---------------------------------------------------------------------------------------------

impl RelationKind {
    /// Whether the `from` end depends on the `to` end (a failure of `to` affects `from`).
    /// For `part_of` the whole depends on its part, and for `monitors` the watched CI depends
    /// on its instrument, so those two point the other way.
    #[must_use]
    pub const fn from_depends_on_to(self) -> bool {
        match self {
            Self::PartOf | Self::Monitors => false,
            Self::ConnectedTo
            | Self::ReportsTo
            | Self::RunsOn
            | Self::HostedBy
            | Self::Uses
            | Self::DependsOn
            | Self::StoresOn
            | Self::BackedUpBy
            | Self::ProtectedBy
            | Self::LinkedAlarm
            | Self::PushesTo
            | Self::LocatedAt => true,
        }
    }
}

/// A relation between two CIs (or any node type, for tests and benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Relation<N> {
    /// From end.
    pub from: N,
    /// To end.
    pub to: N,
    /// Kind.
    pub kind: RelationKind,
}

/// Which way to follow dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// What the start depends on (its upstream: gateway, switch, link, server …).
    Upstream,
    /// What depends on the start (its downstream: the sensors and services it carries).
    Downstream,
}

impl Direction {
    /// Stable code (`upstream`, `downstream`).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Upstream => "upstream",
            Self::Downstream => "downstream",
        }
    }

    /// The direction with this code.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "upstream" => Some(Self::Upstream),
            "downstream" => Some(Self::Downstream),
            _ => None,
        }
    }
}

/// The dependency graph as adjacency lists in both directions, neighbours sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyGraph<N: Ord> {
    depends_on: BTreeMap<N, Vec<(N, RelationKind)>>,
    depended_on_by: BTreeMap<N, Vec<(N, RelationKind)>>,
}

impl<N: Ord + Copy> DependencyGraph<N> {
    /// Builds the graph from relations (self-relations and repeats are ignored).
    pub fn from_relations(relations: impl IntoIterator<Item = Relation<N>>) -> Self {
        let mut depends_on: BTreeMap<N, Vec<(N, RelationKind)>> = BTreeMap::new();
        let mut depended_on_by: BTreeMap<N, Vec<(N, RelationKind)>> = BTreeMap::new();
        for r in relations {
            if r.from == r.to {
                continue;
            }
            let (dependent, dependency) = if r.kind.from_depends_on_to() { (r.from, r.to) } else { (r.to, r.from) };
            depends_on.entry(dependent).or_default().push((dependency, r.kind));
            depended_on_by.entry(dependency).or_default().push((dependent, r.kind));
        }
        for list in depends_on.values_mut().chain(depended_on_by.values_mut()) {
            list.sort_unstable();
            list.dedup();
        }
        Self { depends_on, depended_on_by }
    }

    /// The direct neighbours of `node` in `direction`.
    #[must_use]
    pub fn neighbours(&self, node: N, direction: Direction) -> &[(N, RelationKind)] {
        let map = match direction {
            Direction::Upstream => &self.depends_on,
            Direction::Downstream => &self.depended_on_by,
        };
        map.get(&node).map_or(&[], Vec::as_slice)
    }
}

/// A CI reached by an impact traversal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Impacted<N> {
    /// The CI reached.
    pub node: N,
    /// Hops from the start (1 = direct).
    pub hops: u32,
    /// The neighbour it was reached from (the start for direct ones).
    pub through: N,
    /// The relation kind of that last hop.
    pub via: RelationKind,
}

/// Every node within `max_hops` of `start` in `direction`, each once at its shortest distance,
/// ordered by distance then node. The start itself is not included, even on a cycle.
#[must_use]
pub fn impact<N: Ord + Copy>(
    graph: &DependencyGraph<N>,
    start: N,
    direction: Direction,
    max_hops: u32,
) -> Vec<Impacted<N>> {
    let mut seen = BTreeSet::from([start]);
    let mut out = Vec::new();
    let mut queue = VecDeque::from([(start, 0u32)]);
    while let Some((node, hops)) = queue.pop_front() {
        if hops >= max_hops {
            continue;
        }
        for &(next, via) in graph.neighbours(node, direction) {
            if seen.insert(next) {
                out.push(Impacted { node: next, hops: hops + 1, through: node, via });
                queue.push_back((next, hops + 1));
            }
        }
    }
    // BFS already yields distance order; within one distance, order by node for stable output.
    out.sort_by(|a, b| a.hops.cmp(&b.hops).then(a.node.cmp(&b.node)));
    out
}

// ---------------------------------------------------------------------------------------------
// Built-in schema (`shared/domain.md` §3.2)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Integer,
    Decimal,
    Date,
    Bool,
    Enum(&'static [&'static str]),
}

#[derive(Clone, Copy)]
struct Attr {
    code: &'static str,
    label: &'static str,
    kind: Kind,
    required: bool,
    unit: Option<&'static str>,
}

impl Attr {
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    fn build(self) -> AttributeDef {
        let kind = match self.kind {
            Kind::Text => AttributeType::Text,
            Kind::Integer => AttributeType::Integer,
            Kind::Decimal => AttributeType::Decimal,
            Kind::Date => AttributeType::Date,
            Kind::Bool => AttributeType::Bool,
            Kind::Enum(values) => AttributeType::Enum(values.iter().map(|v| (*v).to_owned()).collect()),
        };
        AttributeDef {
            code: self.code.to_owned(),
            label: self.label.to_owned(),
            kind,
            required: self.required,
            unit: self.unit.filter(|u| !u.is_empty()).map(str::to_owned),
        }
    }
}

const fn text(code: &'static str, label: &'static str) -> Attr {
    Attr { code, label, kind: Kind::Text, required: false, unit: None }
}
const fn int(code: &'static str, label: &'static str, unit: &'static str) -> Attr {
    Attr { code, label, kind: Kind::Integer, required: false, unit: Some(unit) }
}
const fn dec(code: &'static str, label: &'static str, unit: &'static str) -> Attr {
    Attr { code, label, kind: Kind::Decimal, required: false, unit: Some(unit) }
}
const fn number(code: &'static str, label: &'static str) -> Attr {
    Attr { code, label, kind: Kind::Decimal, required: false, unit: None }
}
const fn date(code: &'static str, label: &'static str) -> Attr {
    Attr { code, label, kind: Kind::Date, required: false, unit: None }
}
const fn flag(code: &'static str, label: &'static str) -> Attr {
    Attr { code, label, kind: Kind::Bool, required: false, unit: None }
}
const fn one_of(code: &'static str, label: &'static str, values: &'static [&'static str]) -> Attr {
    Attr { code, label, kind: Kind::Enum(values), required: false, unit: None }
}

struct Class {
    code: &'static str,
    name: &'static str,
    family: CiFamily,
    groups: &'static [&'static [Attr]],
}

const fn class(code: &'static str, name: &'static str, family: CiFamily, groups: &'static [&'static [Attr]]) -> Class {
    Class { code, name, family, groups }
}

/// Attributes every CI has besides its columns (§3.2 common attributes).
const COMMON: &[Attr] = &[
    text("manufacturer", "制造商"),
    text("model", "型号"),
    text("serial_no", "序列号"),
    text("asset_no", "固定资产编号"),
    text("firmware_version", "固件/软件版本"),
    date("install_date", "安装日期"),
    date("commission_date", "投运日期"),
    date("warranty_end", "质保到期"),
    text("contract_no", "合同编号"),
    text("ip", "IP地址"),
    text("mac", "MAC地址"),
    text("protocol", "通信协议"),
    flag("monitoring_enabled", "纳入监控"),
    int("expected_report_interval", "期望上报间隔", "秒"),
];

const NONE: &[Attr] = &[];

const SERVICE: &[Attr] = &[
    text("service_owner", "服务负责人"),
    one_of("mlps_level", "等保级别", &["一级", "二级", "三级", "四级"]),
    int("rto", "恢复时间目标(RTO)", "分钟"),
    int("rpo", "恢复点目标(RPO)", "分钟"),
    int("user_base", "用户规模", "人"),
    text("upstream_obligation", "上报对象"),
];

const SOFTWARE: &[Attr] = &[
    text("version", "版本"),
    int("port", "端口", ""),
    one_of("cluster_role", "集群角色", &["单机", "主", "备", "集群成员"]),
    text("backup_policy", "备份策略"),
    date("license_expiry", "许可到期"),
];
const DATABASE: &[Attr] = &[one_of(
    "engine",
    "数据库类型",
    &["PostgreSQL", "TimescaleDB", "ClickHouse", "MySQL", "Oracle", "达梦", "人大金仓", "其他"],
)
.required()];
const MIDDLEWARE: &[Attr] = &[one_of(
    "middleware_kind",
    "中间件类型",
    &["MQTT", "Kafka", "Redis", "Nginx", "HJ212接入服务", "SIP服务", "其他"],
)
.required()];
const MQTT: &[Attr] = &[int("max_connections", "最大连接数", ""), text("topic_prefix", "主题前缀")];
const OS: &[Attr] = &[one_of("os_family", "操作系统", &["Linux", "Windows", "麒麟", "统信UOS", "其他"]).required()];

const SERVER: &[Attr] = &[
    int("cpu_cores", "CPU核数", "核"),
    int("memory", "内存", "GB"),
    dec("disk", "磁盘容量", "TB"),
    one_of("raid", "RAID级别", &["无", "RAID1", "RAID5", "RAID6", "RAID10"]),
    text("rack_position", "机柜/U位"),
    int("power_feeds", "电源路数", "路"),
];
const VM: &[Attr] =
    &[int("vcpu", "vCPU", "核"), int("memory", "内存", "GB"), int("disk", "磁盘", "GB"), text("cluster", "所属集群")];
const STORAGE: &[Attr] = &[
    dec("capacity", "总容量", "TB"),
    dec("used", "已用容量", "TB"),
    one_of("raid", "RAID级别", &["RAID5", "RAID6", "RAID10", "纠删码", "其他"]),
];
const VIDEO_STORAGE: &[Attr] = &[int("retention_days", "录像保存天数", "天")];
const BACKUP_MEDIA: &[Attr] = &[
    one_of("media_type", "介质类型", &["磁带", "磁盘", "光盘", "云存储"]).required(),
    flag("encrypted", "加密"),
    text("rotation", "轮换策略"),
    text("storage_place", "存放位置"),
];

const NETWORK: &[Attr] = &[
    int("port_count", "端口数", "个"),
    text("config_baseline", "配置基线版本"),
    date("last_config_backup", "最近配置备份"),
];
const SECURITY: &[Attr] = &[
    text("signature_version", "特征库版本"),
    date("signature_date", "特征库日期"),
    date("next_pentest", "下次渗透测试"),
];
const COMM_LINK: &[Attr] = &[
    one_of("link_type", "链路类型", &["光纤", "MPLS", "4G SIM", "5G SIM", "VPN", "其他"]).required(),
    text("carrier", "运营商"),
    text("circuit_id", "电路编号"),
    int("bandwidth", "带宽", "Mbps"),
    text("sim_iccid", "SIM卡ICCID"),
    date("plan_expiry", "套餐/合同到期"),
];

const FACILITY: &[Attr] = &[dec("capacity", "容量", "kVA")];
const UPS: &[Attr] = &[date("battery_install_date", "电池安装日期"), date("last_discharge_test", "最近放电测试")];

const GATEWAY: &[Attr] = &[
    text("southbound", "南向协议"),
    text("northbound", "北向接口(MQTT主题/HTTP地址)"),
    text("clock_sync_source", "时钟同步源"),
    date("cert_expiry", "证书/密钥到期"),
];
const DATA_LOGGER: &[Attr] = &[
    text("hj212_mn", "HJ 212 设备唯一标识(MN)").required(),
    one_of("hj212_st", "HJ 212 系统编码(ST)", &["21", "22", "23", "27", "31", "32", "39", "41", "91"]),
    one_of("hj212_version", "HJ 212 版本", &["2017", "2025"]).required(),
    text("pw_ref", "访问密码引用(密钥库)"),
    int("rtd_interval", "实时数据间隔", "秒"),
    int("min_interval", "分钟数据间隔", "分钟"),
    text("clock_sync_source", "时钟同步源"),
    date("cert_expiry", "证书/密钥到期"),
];

const TRANSMITTER: &[Attr] = &[
    text("tag_no", "位号").required(),
    text("medium", "介质"),
    number("range_low", "量程下限"),
    number("range_high", "量程上限"),
    text("measure_unit", "测量单位"),
    number("alarm_low", "低报值"),
    number("alarm_high", "高报值"),
    number("alarm_high_high", "高高报值"),
    text("ex_rating", "防爆等级"),
];
const GAS_DETECTOR: &[Attr] = &[
    one_of("gas_kind", "气体类别", &["可燃", "有毒", "氧气"]).required(),
    one_of("detection_principle", "检测原理", &["催化燃烧", "红外", "电化学", "PID", "半导体", "激光"]),
    one_of("measure_unit_gas", "浓度单位", &["%LEL", "ppm", "mg/m³", "%VOL"]),
    text("camera_preset", "联动摄像机预置位"),
];
const VERIFICATION: &[Attr] = &[
    int("calibration_cycle", "检定/校准周期", "天"),
    date("last_verification", "上次检定/校准"),
    date("next_verification", "下次检定/校准"),
    text("certificate_no", "检定/校准证书号"),
];
const GDS: &[Attr] = &[int("channels", "通道数", "路")];

const ENV: &[Attr] = &[
    text("pollutants", "监测因子(HJ 212编码)"),
    text("outlet_code", "排放口编码"),
    text("measure_range", "量程"),
    flag("auto_calibration", "具备自动校准"),
    date("last_zero_span", "最近零点/量程校准"),
    date("last_comparison", "最近比对/校验"),
    date("standard_gas_expiry", "标准气体有效期"),
];
const CEMS: &[Attr] = &[
    text("outlet_code", "排放口编码").required(),
    text("pollutants", "监测因子(HJ 212编码)"),
    flag("auto_calibration", "具备自动校准").required(),
    date("last_zero_span", "最近零点/量程校准"),
    date("last_comparison", "最近比对/校验"),
    date("standard_gas_expiry", "标准气体有效期"),
];
const WATER: &[Attr] =
    &[one_of("parameter", "监测参数", &["COD", "TOC", "氨氮", "总磷", "总氮", "pH", "水温", "流量"])];

const VIDEO: &[Attr] = &[
    text("gb28181_id", "GB/T 28181 设备编码"),
    int("channel", "通道号", ""),
    text("resolution", "分辨率"),
    int("retention_days", "录像保存天数", "天"),
    text("ai_algorithms", "启用AI算法"),
    flag("enterprise_owned", "企业自有"),
];
const CAMERA: &[Attr] =
    &[one_of("camera_type", "摄像机类型", &["枪机", "球机", "云台", "高点", "热成像", "防爆"]).required()];
const NVR: &[Attr] = &[int("channel_count", "接入路数", "路"), dec("capacity", "存储容量", "TB")];

const LANE: &[Attr] = &[
    one_of("lane_direction", "车道方向", &["入园", "出园", "双向"]).required(),
    text("vehicle_types", "允许车型"),
    flag("waybill_check", "电子运单核验"),
];
const CHECKPOINT: &[Attr] = &[int("lane_count", "车道数", "条"), flag("waybill_check", "电子运单核验")];
const ANPR: &[Attr] = &[
    one_of("lane_direction", "车道方向", &["入园", "出园", "双向"]),
    dec("recognition_accuracy", "识别准确率(滚动)", "%"),
    text("gb28181_id", "GB/T 28181 设备编码"),
];
const WEIGHBRIDGE: &[Attr] = &[dec("max_load", "最大称量", "t"), date("last_verification", "上次检定")];
const PARKING_LOT: &[Attr] = &[int("spot_count", "车位数", "个")];
const ANCHOR: &[Attr] = &[one_of("positioning_tech", "定位技术", &["UWB", "蓝牙", "GNSS"])];

const FUNCTIONAL_TEST: &[Attr] = &[date("last_functional_test", "最近功能测试")];

const METER: &[Attr] = &[
    text("meter_no", "表号").required(),
    text("ct_ratio", "CT变比"),
    text("pt_ratio", "PT变比"),
    date("last_verification", "检定日期"),
    date("next_verification", "下次检定"),
];

const BUILT_IN: &[Class] = {
    use CiFamily as F;
    &[
        // Business services.
        class("business_service", "业务服务", F::BusinessService, &[SERVICE]),
        // Applications and software.
        class("app_module", "应用模块/微服务", F::Application, &[SOFTWARE]),
        class("database", "数据库实例", F::Application, &[SOFTWARE, DATABASE]),
        class("middleware", "中间件", F::Application, &[SOFTWARE, MIDDLEWARE]),
        class("mqtt_broker", "MQTT消息中间件", F::Application, &[SOFTWARE, MQTT]),
        class("os_instance", "操作系统实例", F::Application, &[SOFTWARE, OS]),
        // Compute and storage.
        class("physical_server", "物理服务器", F::Compute, &[SERVER]),
        class("virtual_machine", "虚拟机", F::Compute, &[VM]),
        class("container_node", "容器节点", F::Compute, &[VM]),
        class("storage_array", "存储阵列", F::Compute, &[STORAGE]),
        class("video_storage", "视频存储(CVR/对象存储)", F::Compute, &[STORAGE, VIDEO_STORAGE]),
        class("backup_appliance", "备份一体机", F::Compute, &[STORAGE]),
        class("backup_media", "备份介质", F::Compute, &[BACKUP_MEDIA]),
        // Network and security.
        class("core_switch", "核心交换机", F::Network, &[NETWORK]),
        class("aggregation_switch", "汇聚交换机", F::Network, &[NETWORK]),
        class("access_switch", "接入交换机", F::Network, &[NETWORK]),
        class("router", "路由器", F::Network, &[NETWORK]),
        class("firewall", "防火墙", F::Network, &[NETWORK, SECURITY]),
        class("unidirectional_gateway", "网闸", F::Network, &[NETWORK, SECURITY]),
        class("ids_ips", "入侵检测/防御", F::Network, &[NETWORK, SECURITY]),
        class("waf", "Web应用防火墙", F::Network, &[NETWORK, SECURITY]),
        class("vpn_gateway", "VPN网关", F::Network, &[NETWORK, SECURITY]),
        class("bastion_host", "堡垒机", F::Network, &[NETWORK, SECURITY]),
        class("log_audit", "日志审计", F::Network, &[NETWORK, SECURITY]),
        class("db_audit", "数据库审计", F::Network, &[NETWORK, SECURITY]),
        class("av_gateway", "防病毒网关", F::Network, &[NETWORK, SECURITY]),
        class("wireless_cpe", "4G/5G无线CPE", F::Network, &[NETWORK, COMM_LINK]),
        class("comm_link", "通信链路/SIM卡", F::Network, &[COMM_LINK]),
        // Facilities.
        class("ups", "UPS", F::Facility, &[FACILITY, UPS]),
        class("pdu", "PDU", F::Facility, &[NONE]),
        class("precision_ac", "精密空调", F::Facility, &[FACILITY]),
        class("generator", "发电机", F::Facility, &[FACILITY]),
        class("env_sensor", "动环传感器", F::Facility, &[NONE]),
        // Data acquisition.
        class("edge_gateway", "边缘网关", F::DataAcquisition, &[GATEWAY]),
        class("data_logger", "数采仪", F::DataAcquisition, &[DATA_LOGGER]),
        class("plc_rtu", "PLC/RTU", F::DataAcquisition, &[GATEWAY]),
        class("protocol_converter", "协议转换器", F::DataAcquisition, &[GATEWAY]),
        // Safety instruments.
        class("gas_detector", "气体探测器", F::SafetyInstrument, &[TRANSMITTER, GAS_DETECTOR, VERIFICATION]),
        class("level_transmitter", "液位变送器", F::SafetyInstrument, &[TRANSMITTER, VERIFICATION]),
        class("temperature_transmitter", "温度变送器", F::SafetyInstrument, &[TRANSMITTER, VERIFICATION]),
        class("pressure_transmitter", "压力变送器", F::SafetyInstrument, &[TRANSMITTER, VERIFICATION]),
        class("valve_status", "阀门状态点", F::SafetyInstrument, &[TRANSMITTER]),
        class("gds_controller", "GDS控制器", F::SafetyInstrument, &[GDS]),
        // Environmental instruments.
        class("cems", "烟气排放连续监测系统(CEMS)", F::EnvironmentalInstrument, &[CEMS]),
        class("gas_analyzer", "气态污染物分析仪", F::EnvironmentalInstrument, &[ENV, VERIFICATION]),
        class("pm_monitor", "颗粒物监测仪", F::EnvironmentalInstrument, &[ENV, VERIFICATION]),
        class("flow_monitor", "烟气流速监测仪", F::EnvironmentalInstrument, &[ENV, VERIFICATION]),
        class("nmhc_analyzer", "非甲烷总烃分析仪", F::EnvironmentalInstrument, &[ENV, VERIFICATION]),
        class("water_analyzer", "水质在线分析仪", F::EnvironmentalInstrument, &[ENV, WATER, VERIFICATION]),
        class("flowmeter", "流量计", F::EnvironmentalInstrument, &[ENV, VERIFICATION]),
        class("auto_sampler", "自动采样器", F::EnvironmentalInstrument, &[ENV]),
        class("air_station", "空气质量监测站", F::EnvironmentalInstrument, &[ENV]),
        class("voc_analyzer", "VOCs分析仪", F::EnvironmentalInstrument, &[ENV, VERIFICATION]),
        class("odor_monitor", "恶臭监测仪", F::EnvironmentalInstrument, &[ENV, VERIFICATION]),
        class("met_station", "气象站", F::EnvironmentalInstrument, &[ENV]),
        // Video.
        class("camera", "摄像机", F::Video, &[VIDEO, CAMERA]),
        class("nvr", "网络硬盘录像机(NVR)", F::Video, &[NVR, VIDEO_STORAGE]),
        class("video_platform", "视频联网平台", F::Video, &[SOFTWARE]),
        class("ai_analytics_server", "视频AI分析服务器", F::Video, &[SERVER]),
        class("decoder", "解码器", F::Video, &[NONE]),
        class("video_wall", "拼接大屏", F::Video, &[NONE]),
        // Access control and closed-area management.
        class("checkpoint", "卡口", F::AccessControl, &[CHECKPOINT]),
        class("lane", "车道", F::AccessControl, &[LANE]),
        class("anpr_camera", "车牌识别摄像机", F::AccessControl, &[ANPR]),
        class("hazmat_sign_camera", "危化品标识识别摄像机", F::AccessControl, &[ANPR]),
        class("barrier_gate", "道闸", F::AccessControl, &[NONE]),
        class("led_display", "LED显示屏", F::AccessControl, &[NONE]),
        class("weighbridge", "地磅", F::AccessControl, &[WEIGHBRIDGE]),
        class("face_turnstile", "人脸识别闸机", F::AccessControl, &[NONE]),
        class("perimeter_sensor", "周界报警", F::AccessControl, &[NONE]),
        class("parking_lot", "危化品停车场", F::AccessControl, &[PARKING_LOT]),
        class("parking_spot_sensor", "车位检测器", F::AccessControl, &[NONE]),
        class("positioning_anchor", "人员定位基站", F::AccessControl, &[ANCHOR]),
        // Emergency.
        class("pa_speaker", "IP广播音柱", F::Emergency, &[FUNCTIONAL_TEST]),
        class("siren", "警报器", F::Emergency, &[FUNCTIONAL_TEST]),
        class("command_console", "指挥调度台", F::Emergency, &[FUNCTIONAL_TEST]),
        class("video_conf_terminal", "视频会议终端", F::Emergency, &[FUNCTIONAL_TEST]),
        class("emergency_vehicle", "应急监测车", F::Emergency, &[FUNCTIONAL_TEST]),
        class("warehouse_sensor", "应急物资库传感器", F::Emergency, &[FUNCTIONAL_TEST]),
        // Energy.
        class("electric_meter", "电能表", F::Energy, &[METER]),
        class("steam_meter", "蒸汽流量计", F::Energy, &[METER]),
        class("water_meter", "水表", F::Energy, &[METER]),
        class("gas_meter", "燃气表", F::Energy, &[METER]),
        class("energy_gateway", "能源采集网关", F::Energy, &[GATEWAY]),
        // End-user devices.
        class("workstation", "工作站", F::EndUser, &[NONE]),
        class("large_screen", "大屏", F::EndUser, &[NONE]),
    ]
};

/// Separates the code from the name in a CI's [`search_text`]: no query can match across it.
pub const SEARCH_SEPARATOR: char = '\u{1f}';

/// What the register's text search matches a query against: the code and the name with ASCII
/// letters in lower case, joined by [`SEARCH_SEPARATOR`]. Stored with each CI, so one narrow
/// index holds it (the migration `0010_asset_search` fills it the same way for existing CIs).
#[must_use]
pub fn search_text(code: &str, name: &str) -> String {
    let mut s = String::with_capacity(code.len() + name.len() + 1);
    s.push_str(&code.to_ascii_lowercase());
    s.push(SEARCH_SEPARATOR);
    s.push_str(&name.to_ascii_lowercase());
    s
}

/// A query as [`search_text`] stores text: trimmed, ASCII letters in lower case (so `gw-e03`
/// finds `JB-GW-E03`; Chinese is matched as typed).
#[must_use]
pub fn search_query(text: &str) -> String {
    text.trim().to_ascii_lowercase()
}

/// The common attributes of every CI (§3.2), all optional.
#[must_use]
pub fn common_attributes() -> Vec<AttributeDef> {
    COMMON.iter().map(|a| a.build()).collect()
}

/// The built-in classes, by family and then as listed in §3.2.
#[must_use]
pub fn built_in_classes() -> Vec<CiClass> {
    BUILT_IN
        .iter()
        .map(|c| CiClass {
            code: c.code.to_owned(),
            name: c.name.to_owned(),
            family: c.family,
            attributes: c.groups.iter().flat_map(|g| g.iter()).map(|a| a.build()).collect(),
            is_built_in: true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn gas_detector() -> CiClass {
        ClassRegistry::built_in().get("gas_detector").expect("built in").clone()
    }

    #[test]
    fn dates_read_and_write_as_chrono_does() {
        for text in [
            "2026-12-06",
            " 2024-02-29 ",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-32",
            "0000-01-01",
            "9999-12-31",
            "2024/03/05",
            "2024-3-5",
            "2024-03-5",
            "20240305",
            "2024-03-05x",
            "２０２４-03-05",
            "",
            "+12345-01-01",
            "-0001-01-01",
        ] {
            let date = parse_date(text);
            assert_eq!(date, chrono_date(text.trim()), "{text:?}");
            if let Some(d) = date {
                assert_eq!(AttributeValue::Date(d).to_string(), d.format("%Y-%m-%d").to_string(), "{text:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn any_ten_characters_read_as_chrono_reads_them(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}") {
            prop_assert_eq!(parse_date(&text), chrono_date(&text));
        }
    }

    #[test]
    fn search_text_lowers_ascii_and_keeps_code_and_name_apart() {
        let s = search_text("JB-GW-E03", "三号厂区边缘网关 GW");
        assert_eq!(s, "jb-gw-e03\u{1f}三号厂区边缘网关 gw");
        assert!(s.contains(&search_query("gw-E03")));
        assert!(s.contains(&search_query(" 边缘网关 ")));
        assert!(!s.contains(&search_query("e03三号")), "no match across code and name");
        assert_eq!(search_query("ＧＷ"), "ＧＷ", "only ASCII changes case");
    }

    #[test]
    fn codes_and_labels_round_trip() {
        for s in LifecycleState::ALL {
            assert_eq!(LifecycleState::parse(s.code()), Some(*s));
            assert_eq!(LifecycleState::parse(s.label()), Some(*s));
        }
        for e in LifecycleEvent::ALL {
            assert_eq!(LifecycleEvent::parse(e.code()), Some(*e));
        }
        for k in RelationKind::ALL {
            assert_eq!(RelationKind::parse(k.code()), Some(*k));
        }
        for f in CiFamily::ALL {
            assert_eq!(CiFamily::parse(f.label()), Some(*f));
        }
        assert_eq!(Criticality::parse("A"), Some(Criticality::A));
        assert_eq!(Criticality::parse("关键"), Some(Criticality::A));
        assert_eq!(LifecycleState::ALL.len(), 9);
    }

    #[test]
    fn the_built_in_schema_is_well_formed_and_covers_every_family() {
        let classes = built_in_classes();
        let codes: BTreeSet<_> = classes.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes.len(), classes.len(), "class codes are unique");
        for c in &classes {
            assert!(is_valid_code(&c.code), "{}", c.code);
            assert!(check_label(&c.name), "{}", c.code);
            check_attributes(&c.schema(), []).unwrap_or_else(|e| panic!("{}: {e}", c.code));
        }
        for f in CiFamily::ALL {
            assert!(classes.iter().any(|c| c.family == *f), "{f:?} has a class");
        }
        for wanted in [
            "gas_detector",
            "camera",
            "nvr",
            "cems",
            "gas_analyzer",
            "data_logger",
            "edge_gateway",
            "anpr_camera",
            "lane",
            "checkpoint",
            "physical_server",
            "virtual_machine",
            "database",
            "access_switch",
            "firewall",
            "mqtt_broker",
            "comm_link",
        ] {
            assert!(codes.contains(wanted), "{wanted}");
        }
    }

    #[test]
    fn valid_attributes_are_typed_and_canonical() {
        let schema = gas_detector().schema();
        let raw = values(&[
            ("tag_no", " GT-101 "),
            ("gas_kind", "可燃"),
            ("range_high", "100.0"),
            ("alarm_high", "+25"),
            ("calibration_cycle", "365"),
            ("next_verification", "2027/3/1"),
            ("monitoring_enabled", "是"),
            ("ip", ""),
        ]);
        let typed = validate_attributes(&schema, &raw).expect("valid");
        assert_eq!(typed.get("tag_no"), Some(&AttributeValue::Text("GT-101".into())));
        assert_eq!(typed.get("calibration_cycle"), Some(&AttributeValue::Integer(365)));
        assert_eq!(typed.get("ip"), None, "blank means absent");
        let text = typed.to_text();
        assert_eq!(text["range_high"], "100");
        assert_eq!(text["alarm_high"], "25");
        assert_eq!(text["next_verification"], "2027-03-01");
        assert_eq!(text["monitoring_enabled"], "true");
        assert_eq!(validate_attributes(&schema, &text), Ok(typed), "canonical text validates to the same");
    }

    #[test]
    fn every_problem_names_its_attribute() {
        let schema = gas_detector().schema();
        let raw = values(&[
            ("gas_kind", "毒气"),
            ("range_high", "10,5"),
            ("calibration_cycle", "一年"),
            ("next_verification", "2027-02-30"),
            ("monitoring_enabled", "maybe"),
            ("colour", "red"),
            ("empty_unknown", " "),
        ]);
        let errors = validate_attributes(&schema, &raw).expect_err("refused");
        let got: Vec<_> = errors.iter().map(|e| (e.attribute.as_str(), e.problem.code())).collect();
        assert_eq!(
            got,
            vec![
                ("monitoring_enabled", "bool"),
                ("tag_no", "missing"),
                ("range_high", "decimal"),
                ("gas_kind", "not_allowed"),
                ("calibration_cycle", "integer"),
                ("next_verification", "date"),
                ("colour", "unknown"),
            ]
        );
        assert_eq!(errors[3].to_string(), "attribute gas_kind: not one of 可燃, 有毒, 氧气");
        let too_long = "x".repeat(TEXT_MAX + 1);
        let long = values(&[("tag_no", too_long.as_str()), ("gas_kind", "有毒")]);
        let e = validate_attributes(&schema, &long).expect_err("too long");
        assert_eq!(e[0].problem, AttributeProblem::TooLong { max: TEXT_MAX });
    }

    #[test]
    fn an_administrator_extends_a_built_in_class_and_defines_a_new_one() {
        let mut reg = ClassRegistry::built_in();
        let extra = AttributeDef {
            code: "sil_level".into(),
            label: "SIL等级".into(),
            kind: AttributeType::Enum(vec!["SIL1".into(), "SIL2".into()]),
            required: true,
            unit: None,
        };
        reg.apply(ClassExtension {
            code: "gas_detector".into(),
            name: String::new(),
            family: CiFamily::SafetyInstrument,
            attributes: vec![extra.clone()],
        })
        .expect("extended");
        let schema = reg.get("gas_detector").expect("class").schema();
        assert!(schema.iter().any(|a| a.code == "sil_level" && a.required));
        let raw = values(&[("tag_no", "GT-1"), ("gas_kind", "有毒")]);
        let errors = validate_attributes(&schema, &raw).expect_err("new required attribute");
        assert_eq!(errors[0].attribute, "sil_level");
        // A clash with a built-in or common attribute is refused.
        let clash = AttributeDef { code: "tag_no".into(), ..extra.clone() };
        let refused = reg.apply(ClassExtension {
            code: "gas_detector".into(),
            name: String::new(),
            family: CiFamily::SafetyInstrument,
            attributes: vec![clash],
        });
        assert_eq!(refused, Err(SchemaError::DuplicateAttribute("tag_no".into())));
        assert!(matches!(
            reg.apply(ClassExtension {
                code: "camera".into(),
                name: String::new(),
                family: CiFamily::Energy,
                attributes: vec![],
            }),
            Err(SchemaError::FamilyMismatch { expected: CiFamily::Video, .. })
        ));
        // A new class.
        reg.apply(ClassExtension {
            code: "radiation_monitor".into(),
            name: "辐射监测仪".into(),
            family: CiFamily::EnvironmentalInstrument,
            attributes: vec![AttributeDef { code: "isotope".into(), kind: AttributeType::Text, ..extra }],
        })
        .expect("new class");
        assert_eq!(reg.find("辐射监测仪").map(|c| c.is_built_in), Some(false));
        let bad_enum = AttributeDef {
            code: "x".into(),
            label: "x".into(),
            kind: AttributeType::Enum(vec!["a".into(), "a".into()]),
            required: false,
            unit: None,
        };
        assert_eq!(
            reg.apply(ClassExtension {
                code: "y_class".into(),
                name: "y".into(),
                family: CiFamily::EndUser,
                attributes: vec![bad_enum],
            }),
            Err(SchemaError::EnumValues("x".into()))
        );
        assert_eq!(
            reg.apply(ClassExtension {
                code: "Bad-Code".into(),
                name: "y".into(),
                family: CiFamily::EndUser,
                attributes: vec![],
            }),
            Err(SchemaError::ClassCode("Bad-Code".into()))
        );
    }

    #[test]
    fn decimals_parse_and_print_canonically() {
        for (input, out) in [("1.50", "1.5"), ("-0.010", "-0.01"), ("+7", "7"), (".5", "0.5"), ("3.", "3"), ("-0", "0")]
        {
            assert_eq!(Decimal::parse(input).map(|d| d.to_string()).as_deref(), Some(out), "{input}");
        }
        for bad in ["", ".", "1e3", "1,5", "--1", "1.2.3", "１"] {
            assert_eq!(Decimal::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_usual_lifecycle() {
        use LifecycleEvent as E;
        let mut s = LifecycleState::Planned;
        for e in [E::Install, E::Commission, E::Accept, E::Fault, E::PartReplace, E::Repair, E::MaintainStart] {
            s = transition(s, e).expect("allowed");
        }
        assert_eq!(s, LifecycleState::UnderMaintenance);
        for e in [E::MaintainEnd, E::Retire, E::Scrap, E::Dispose] {
            s = transition(s, e).expect("allowed");
        }
        assert_eq!(s, LifecycleState::Disposed);
        assert!(s.is_terminal());
        let err = transition(LifecycleState::InService, E::Scrap).expect_err("refused");
        assert_eq!(err.to_string(), "cannot scrap an asset that is in_service");
        assert_eq!(transition(LifecycleState::Faulty, E::PartReplace), Ok(LifecycleState::Faulty));
        assert_eq!(LifecycleState::Scrapped.allowed_events(), vec![E::Dispose]);
    }

    fn event() -> impl Strategy<Value = LifecycleEvent> {
        proptest::sample::select(LifecycleEvent::ALL)
    }

    fn state() -> impl Strategy<Value = LifecycleState> {
        proptest::sample::select(LifecycleState::ALL)
    }

    fn graph_edges() -> impl Strategy<Value = Vec<Relation<u8>>> {
        proptest::collection::vec(
            (0u8..12, 0u8..12, proptest::sample::select(RelationKind::ALL)).prop_map(|(from, to, kind)| Relation {
                from,
                to,
                kind,
            }),
            0..40,
        )
    }

    proptest! {
        #[test]
        fn disposed_is_terminal(e in event()) {
            prop_assert!(transition(LifecycleState::Disposed, e).is_err());
        }

        #[test]
        fn scrapped_only_follows_out_of_service_or_faulty(s in state(), e in event()) {
            if transition(s, e) == Ok(LifecycleState::Scrapped) {
                prop_assert!(matches!(s, LifecycleState::OutOfService | LifecycleState::Faulty));
                prop_assert_eq!(e, LifecycleEvent::Scrap);
            }
        }

        #[test]
        fn no_sequence_disposes_without_scrapping_first(start in state(), events in proptest::collection::vec(event(), 0..50)) {
            let mut s = start;
            let mut scrapped = s == LifecycleState::Scrapped || s == LifecycleState::Disposed;
            for e in events {
                match transition(s, e) {
                    Ok(next) => {
                        if next == LifecycleState::Disposed { prop_assert!(scrapped); }
                        if next == LifecycleState::Scrapped { scrapped = true; }
                        if e == LifecycleEvent::PartReplace { prop_assert_eq!(next, s); }
                        s = next;
                    }
                    Err(err) => prop_assert_eq!(err, LifecycleError { state: s, event: e }),
                }
            }
        }

        #[test]
        fn upstream_and_downstream_mirror_each_other(edges in graph_edges(), x in 0u8..12, y in 0u8..12, hops in 1u32..6) {
            let g = DependencyGraph::from_relations(edges);
            let up = impact(&g, x, Direction::Upstream, hops);
            let down = impact(&g, y, Direction::Downstream, hops);
            let up_has_y = up.iter().find(|i| i.node == y).map(|i| i.hops);
            let down_has_x = down.iter().find(|i| i.node == x).map(|i| i.hops);
            prop_assert_eq!(up_has_y, down_has_x);
        }

        #[test]
        fn impact_visits_each_node_once_within_the_hop_limit(edges in graph_edges(), x in 0u8..12, hops in 0u32..6) {
            let g = DependencyGraph::from_relations(edges);
            let found = impact(&g, x, Direction::Downstream, hops);
            let distinct: BTreeSet<_> = found.iter().map(|i| i.node).collect();
            prop_assert_eq!(distinct.len(), found.len());
            prop_assert!(!distinct.contains(&x));
            prop_assert!(found.iter().all(|i| (1..=hops).contains(&i.hops)));
            prop_assert!(found.windows(2).all(|w| w[0].hops <= w[1].hops));
        }

        #[test]
        fn decimal_text_round_trips(int in -1_000_000_000i64..1_000_000_000, frac in 0u32..1_000_000) {
            let d = Decimal::parse(&format!("{int}.{frac:06}")).expect("a decimal");
            prop_assert_eq!(Decimal::parse(&d.to_string()), Some(d));
            prop_assert!(!d.to_string().ends_with('0') || !d.to_string().contains('.'));
        }
    }

    #[test]
    fn retiring_a_gateway_shows_the_sensors_and_services_that_depend_on_it() {
        // detector -connected_to-> gateway -connected_to-> switch; service -depends_on-> mqtt;
        // gateway -reports_to-> mqtt; cems contains analyser (part_of: analyser -> cems).
        let (detector, gateway, switch, mqtt, service, analyser, cems) = (1, 2, 3, 4, 5, 6, 7);
        let r = |from, to, kind| Relation { from, to, kind };
        let g = DependencyGraph::from_relations([
            r(detector, gateway, RelationKind::ConnectedTo),
            r(gateway, switch, RelationKind::ConnectedTo),
            r(gateway, mqtt, RelationKind::ReportsTo),
            r(service, mqtt, RelationKind::DependsOn),
            r(analyser, cems, RelationKind::PartOf),
            r(analyser, gateway, RelationKind::ConnectedTo),
        ]);
        let down: Vec<_> = impact(&g, gateway, Direction::Downstream, 5).iter().map(|i| (i.node, i.hops)).collect();
        assert_eq!(down, vec![(detector, 1), (analyser, 1), (cems, 2)]);
        let up: Vec<_> = impact(&g, gateway, Direction::Upstream, 5).iter().map(|i| (i.node, i.hops)).collect();
        assert_eq!(up, vec![(switch, 1), (mqtt, 1)]);
        let of_mqtt: Vec<_> = impact(&g, mqtt, Direction::Downstream, 2).iter().map(|i| i.node).collect();
        assert_eq!(of_mqtt, vec![gateway, service, detector, analyser]);
        assert!(impact(&g, gateway, Direction::Downstream, 0).is_empty());
    }
}
