//! The asset register (R-9.1.1c, R-9.1.1a): CIs with validated attributes on the class
//! schema in force (built in, extended by the park), lifecycle events with a timeline,
//! relations with impact both ways, a faceted list, spare parts with stock movements, and
//! import and export of whole sheets — validated completely before anything is written.
//!
//! The use cases live on [`AssetRegister`], generic over an [`AssetStorage`] so they are
//! written against the asset port alone. Every mutation writes its rows, its timeline entry
//! and one audit record in one transaction; a request that would change nothing writes
//! nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use parkops_domain::access::{Capability, Principal, Scope};
use parkops_domain::asset::{
    self, AssetId, AttributeDef, AttributeError, AttributeProblem, AttributeType, CiClass, CiFamily, ClassExtension,
    ClassRegistry, Criticality, DependencyGraph, Direction, LifecycleEvent, LifecycleState, LocationId, LocationLevel,
    Relation, RelationKind, SparePartId,
};
use parkops_domain::audit::{AuditEntry, Outcome};
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::org::{OrgType, Organisation};
use parkops_domain::ticket::BusinessDomain;
use parkops_domain::time::Timestamp;
use serde_json::{Value, json};

pub mod read;
mod sheet;

pub use sheet::{
    ASSET_COLUMNS, AssetSheet, ImportProgress, ImportStage, ImportSummary, RELATION_COLUMNS, Sheet, SheetRow, Workbook,
};

use crate::ports::asset::{
    AssetClassRecord, AssetEventRecord, AssetFacets, AssetFilter, AssetReads, AssetRecord, AssetSort, AssetWrites,
    LocationPath, LocationRecord, RelationRecord, SparePartRecord, StockMovementRecord, StockReason,
};
use crate::ports::{self, OrgFilter, Page, PageRequest};
use crate::{App, AppError, Caller, FieldError, StoreError};

// ---------------------------------------------------------------------------------------------
// The port as the use cases see it
// ---------------------------------------------------------------------------------------------

/// A write transaction as the asset use cases use it: the asset writes, the audit record in
/// the same transaction, and the commit. Every [`ports::Tx`] that carries [`AssetWrites`] is one.
#[async_trait]
pub trait AssetTx: AssetWrites + Send {
    /// Appends the audit record ([`ports::Tx::audit`]).
    async fn record(&mut self, entry: AuditEntry, now: Timestamp) -> Result<(), StoreError>;
    /// Commits ([`ports::Tx::commit`]); refused without an audit record.
    async fn finish(self: Box<Self>) -> Result<(), StoreError>;
}

#[async_trait]
impl<T: ports::Tx + AssetWrites + ?Sized> AssetTx for T {
    async fn record(&mut self, entry: AuditEntry, now: Timestamp) -> Result<(), StoreError> {
        ports::Tx::audit(self, entry, now).await.map(|_| ())
    }

    async fn finish(self: Box<Self>) -> Result<(), StoreError> {
        ports::Tx::commit(self).await
    }
}

/// The storage the asset use cases run on: the asset reads and transactions with the asset
/// writes. `dyn Store` implements it with `Tx = dyn ports::Tx` (so [`App::assets`] runs on the
/// application's own store), and so does the store itself.
#[async_trait]
pub trait AssetStorage: AssetReads + Send + Sync {
    /// The transaction type.
    type Tx: AssetTx + ?Sized;
    /// Starts a write transaction (writers are serialised, as with [`ports::Store::begin`]).
    async fn begin_assets(&self) -> Result<Box<Self::Tx>, StoreError>;
}

// For every object lifetime, not only `'static`: the futures of web handlers are checked for
// `Send` over erased lifetimes, and a `'static`-only impl is "not general enough" there.
#[async_trait]
impl<'s> AssetStorage for dyn ports::Store + 's {
    type Tx = dyn ports::Tx;

    async fn begin_assets(&self) -> Result<Box<dyn ports::Tx>, StoreError> {
        self.begin().await
    }
}

/// The asset register's use cases over the application and an [`AssetStorage`] (the same
/// database as the application's store).
pub struct AssetRegister<'a, S: AssetStorage + ?Sized> {
    app: &'a App,
    store: &'a S,
}

impl<'a, S: AssetStorage + ?Sized> AssetRegister<'a, S> {
    /// The register of `app` on `store`.
    #[must_use]
    pub const fn new(app: &'a App, store: &'a S) -> Self {
        Self { app, store }
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------------------------

/// A CI as entered in a form or sent to the API. Text as typed; the use case checks it.
#[derive(Debug, Clone, Default)]
pub struct AssetInput {
    /// Code, unique in the park.
    pub code: String,
    /// Name.
    pub name: String,
    /// Class code or Chinese name.
    pub class: String,
    /// Initial lifecycle state (creation only; empty for planned). Later changes go through
    /// lifecycle events.
    pub state: String,
    /// Location code (zone, site or point); empty for none.
    pub location: String,
    /// Enterprise organisation (code, name or id); empty for none.
    pub enterprise: String,
    /// Maintaining supplier (code, name or id); empty for none.
    pub maintainer: String,
    /// Responsible user's login name; empty for none.
    pub owner: String,
    /// Criticality (`a`/`b`/`c` or 关键/重要/一般); empty for C.
    pub criticality: String,
    /// Business domain code; empty for the family's default.
    pub domain: String,
    /// Holds sensitive data (`true`/`false`, 是/否); empty for no.
    pub holds_sensitive_data: String,
    /// Attribute values by attribute code. On update, attributes not listed keep their value
    /// and a blank value clears one.
    pub attributes: BTreeMap<String, String>,
}

/// A lifecycle event as requested.
#[derive(Debug, Clone, Default)]
pub struct LifecycleRequest {
    /// Event code (`install`, `fault`, `part_replace`, `retire` …).
    pub event: String,
    /// Note for the timeline.
    pub note: String,
    /// Spare parts used (part id or code, quantity), for `part_replace`.
    pub parts: Vec<(String, i64)>,
}

/// What a lifecycle event did.
#[derive(Debug, Clone)]
pub struct LifecycleOutcome {
    /// The CI after the event.
    pub asset: AssetRecord,
    /// For events that take the CI out of work (fault, maintenance, retirement, scrapping):
    /// every CI that depends on it, as the page must show before and after.
    pub dependents: Vec<ImpactedAsset>,
}

/// A CI reached by an impact query.
#[derive(Debug, Clone)]
pub struct ImpactedAsset {
    /// The CI.
    pub asset: AssetRecord,
    /// Hops from the start.
    pub hops: u32,
    /// The CI it was reached through.
    pub through: AssetId,
    /// The relation kind of that hop.
    pub via: RelationKind,
}

/// The list page's query, as text from the form or query string.
#[derive(Debug, Clone, Default)]
pub struct AssetQuery {
    /// Class codes.
    pub classes: Vec<String>,
    /// Family code.
    pub family: String,
    /// State codes.
    pub states: Vec<String>,
    /// Zone id.
    pub zone: String,
    /// Site id.
    pub site: String,
    /// Enterprise organisation id.
    pub enterprise: String,
    /// Maintainer organisation id.
    pub maintainer: String,
    /// Criticality code.
    pub criticality: String,
    /// Text in code or name.
    pub text: String,
    /// `true` or `false` (also 是/否): only CIs that do or do not hold sensitive data.
    pub sensitive: String,
    /// Order (`code`, `name`, `class`, `state`, `updated`); empty for by code.
    pub sort: String,
}

/// One page of the list, with facet counts and display names for the ids in them.
#[derive(Debug, Clone)]
pub struct AssetList {
    /// The page.
    pub page: Page<AssetRecord>,
    /// Counts per facet value for the same filter (when asked for).
    pub facets: Option<AssetFacets>,
    /// Display names of the class codes, location ids and organisation ids on the page and
    /// in the facets.
    pub names: BTreeMap<String, String>,
}

/// A relation as seen from one CI.
#[derive(Debug, Clone)]
pub struct RelatedAsset {
    /// The relation.
    pub relation: RelationRecord,
    /// Whether this CI is the relation's `from` end.
    pub outgoing: bool,
    /// The CI at the other end.
    pub other: AssetRecord,
}

/// Everything the detail page shows.
#[derive(Debug, Clone)]
pub struct AssetDetail {
    /// The CI.
    pub asset: AssetRecord,
    /// Its class (None if the class was removed from the schema).
    pub class: Option<CiClass>,
    /// The full attribute schema, in display order.
    pub schema: Vec<AttributeDef>,
    /// Timeline.
    pub events: Vec<AssetEventRecord>,
    /// Relations, both directions.
    pub relations: Vec<RelatedAsset>,
    /// Location path, zone first.
    pub location: Vec<LocationRecord>,
    /// Events the state allows.
    pub allowed_events: Vec<LifecycleEvent>,
    /// Whether the caller may change it.
    pub can_manage: bool,
}

/// A location node as entered.
#[derive(Debug, Clone, Default)]
pub struct LocationInput {
    /// Existing node's id to edit; empty to add one.
    pub id: String,
    /// Parent node's code; empty for a zone.
    pub parent: String,
    /// Level code (`zone`, `site`, `point`).
    pub level: String,
    /// Code, unique in the park.
    pub code: String,
    /// Name.
    pub name: String,
    /// Latitude, decimal degrees.
    pub latitude: String,
    /// Longitude.
    pub longitude: String,
    /// Ex zone classification.
    pub ex_zone: String,
}

/// A spare part as entered.
#[derive(Debug, Clone, Default)]
pub struct SparePartInput {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Class code of the CIs it fits; empty for any.
    pub class: String,
    /// Unit.
    pub unit: String,
    /// Initial stock.
    pub stock: i64,
    /// Minimum stock.
    pub min_stock: i64,
}

/// Longest code.
const CODE_MAX: usize = 64;
/// Longest name.
const NAME_MAX: usize = 100;
/// Longest note.
const NOTE_MAX: usize = 2000;
/// Deepest impact query.
pub const MAX_HOPS: u32 = 10;
// ---------------------------------------------------------------------------------------------
// Columns and problems
// ---------------------------------------------------------------------------------------------

/// The fixed columns of a CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Column {
    Code,
    Name,
    Class,
    State,
    Location,
    Enterprise,
    Maintainer,
    Owner,
    Criticality,
    Domain,
    Sensitive,
}

impl Column {
    const ALL: [Self; 11] = [
        Self::Code,
        Self::Name,
        Self::Class,
        Self::State,
        Self::Location,
        Self::Enterprise,
        Self::Maintainer,
        Self::Owner,
        Self::Criticality,
        Self::Domain,
        Self::Sensitive,
    ];

    /// The header code, also the form field.
    const fn code(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Name => "name",
            Self::Class => "class",
            Self::State => "state",
            Self::Location => "location",
            Self::Enterprise => "enterprise",
            Self::Maintainer => "maintainer",
            Self::Owner => "owner",
            Self::Criticality => "criticality",
            Self::Domain => "domain",
            Self::Sensitive => "holds_sensitive_data",
        }
    }

    /// Chinese headers accepted for the column.
    const fn chinese(self) -> &'static [&'static str] {
        match self {
            Self::Code => &["编码", "资产编码", "CI编码"],
            Self::Name => &["名称", "资产名称"],
            Self::Class => &["类别", "分类", "资产类别"],
            Self::State => &["状态", "生命周期状态"],
            Self::Location => &["位置", "安装位置", "位置编码"],
            Self::Enterprise => &["所属企业", "企业"],
            Self::Maintainer => &["维护单位", "运维服务商", "服务商"],
            Self::Owner => &["负责人"],
            Self::Criticality => &["重要性", "关键性", "重要程度"],
            Self::Domain => &["业务域", "业务领域"],
            Self::Sensitive => &["含敏感数据", "敏感数据"],
        }
    }
}

/// The fixed column a sheet header names, if any.
#[must_use]
pub fn column_of(header: &str) -> Option<&'static str> {
    let h = header.trim();
    Column::ALL.into_iter().find(|c| c.code().eq_ignore_ascii_case(h) || c.chinese().contains(&h)).map(Column::code)
}

fn column(header: &str) -> Option<Column> {
    let h = header.trim();
    Column::ALL.into_iter().find(|c| c.code().eq_ignore_ascii_case(h) || c.chinese().contains(&h))
}

/// Something wrong with one field of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    /// The fixed column, or None for an attribute.
    column: Option<Column>,
    /// The header or attribute code as the user wrote it.
    name: String,
    key: &'static str,
    args: Vec<(&'static str, String)>,
}

impl Problem {
    fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// As a form field error (attributes go under `attributes`, naming the attribute).
    fn into_field(self) -> FieldError {
        let mut f = match self.column {
            Some(c) => FieldError::new(c.code(), self.key),
            None => FieldError::new("attributes", self.key).arg("attribute", &self.name),
        };
        f.args.extend(self.args);
        f
    }

    /// As an import report line: sheet, row, column and message.
    fn into_import(self, sheet: &'static str, row: usize) -> FieldError {
        let mut f = FieldError::new("import", self.key).arg("sheet", sheet).arg("row", row).arg("column", &self.name);
        f.args.extend(self.args);
        f
    }
}

const fn attribute_key(p: &AttributeProblem) -> &'static str {
    match p {
        AttributeProblem::Missing => "err-attribute-missing",
        AttributeProblem::Unknown => "err-attribute-unknown",
        AttributeProblem::NotInteger => "err-attribute-integer",
        AttributeProblem::NotDecimal => "err-attribute-decimal",
        AttributeProblem::NotDate => "err-attribute-date",
        AttributeProblem::NotBool => "err-attribute-bool",
        AttributeProblem::NotAllowed { .. } => "err-attribute-not-allowed",
        AttributeProblem::TooLong { .. } => "err-attribute-too-long",
    }
}

fn attribute_problem(e: AttributeError, header: &str, schema: &[AttributeDef]) -> Problem {
    let label = schema.iter().find(|d| d.code == e.attribute).map_or_else(|| e.attribute.clone(), |d| d.label.clone());
    let mut p = Problem { column: None, name: header.to_owned(), key: attribute_key(&e.problem), args: Vec::new() };
    p = p.arg("attribute", label);
    match e.problem {
        AttributeProblem::NotAllowed { allowed } => p.arg("allowed", allowed.join(", ")),
        AttributeProblem::TooLong { max } => p.arg("max", max),
        AttributeProblem::Missing
        | AttributeProblem::Unknown
        | AttributeProblem::NotInteger
        | AttributeProblem::NotDecimal
        | AttributeProblem::NotDate
        | AttributeProblem::NotBool => p,
    }
}

// ---------------------------------------------------------------------------------------------
// Schema documents
// ---------------------------------------------------------------------------------------------

/// Attribute definitions as the JSON document stored with a class extension and sent by the
/// schema editor: `[{"code", "label", "type", "values", "required", "unit"}]`.
#[must_use]
pub fn attributes_to_json(defs: &[AttributeDef]) -> Value {
    Value::Array(
        defs.iter()
            .map(|d| {
                let values = match &d.kind {
                    AttributeType::Enum(v) => v.clone(),
                    AttributeType::Text
                    | AttributeType::Integer
                    | AttributeType::Decimal
                    | AttributeType::Date
                    | AttributeType::Bool => Vec::new(),
                };
                json!({
                    "code": d.code, "label": d.label, "type": d.kind.code(), "values": values,
                    "required": d.required, "unit": d.unit.clone().unwrap_or_default(),
                })
            })
            .collect(),
    )
}

/// Reads attribute definitions from their JSON document.
///
/// # Errors
/// A field error (`attributes`, `err-asset-schema`) naming the position of the first bad entry.
pub fn attributes_from_json(v: &Value) -> Result<Vec<AttributeDef>, FieldError> {
    let bad = |i: usize| FieldError::new("attributes", "err-asset-schema").arg("position", i + 1);
    let Some(items) = v.as_array() else { return Err(bad(0)) };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let s = |k: &str| item.get(k).and_then(Value::as_str).map(str::trim).unwrap_or_default().to_owned();
            let values = item
                .get("values")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(|x| x.trim().to_owned()).collect())
                .unwrap_or_default();
            let kind = AttributeType::parse(&s("type"), values).ok_or_else(|| bad(i))?;
            let unit = s("unit");
            Ok(AttributeDef {
                code: s("code"),
                label: s("label"),
                kind,
                required: item.get("required").and_then(Value::as_bool).unwrap_or(false),
                unit: if unit.is_empty() { None } else { Some(unit) },
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Lookups shared by a request
// ---------------------------------------------------------------------------------------------

/// The park's reference data, loaded once per request.
struct Lookup {
    park: ParkId,
    classes: ClassRegistry,
    schemas: BTreeMap<String, Arc<[AttributeDef]>>,
    locations: BTreeMap<LocationId, LocationRecord>,
    location_codes: BTreeMap<String, LocationId>,
    orgs: BTreeMap<OrgId, Organisation>,
    /// The organisations by code and by name, each the first in id order (a sheet names them
    /// either way: every cell of an import is looked up).
    org_codes: HashMap<String, OrgId>,
    org_names: HashMap<String, OrgId>,
    users: BTreeMap<String, Option<UserId>>,
    usernames: BTreeMap<UserId, String>,
}

fn schema_error_field(e: &asset::SchemaError) -> FieldError {
    match e {
        asset::SchemaError::ClassCode(c) => FieldError::new("code", "err-asset-class-code").arg("code", c),
        asset::SchemaError::ClassName => FieldError::new("name", "err-required-50"),
        asset::SchemaError::AttributeCode(c) => {
            FieldError::new("attributes", "err-asset-attribute-code").arg("code", c)
        }
        asset::SchemaError::AttributeLabel(c) => {
            FieldError::new("attributes", "err-asset-attribute-label").arg("code", c)
        }
        asset::SchemaError::DuplicateAttribute(c) => {
            FieldError::new("attributes", "err-asset-attribute-duplicate").arg("code", c)
        }
        asset::SchemaError::EnumValues(c) => FieldError::new("attributes", "err-asset-attribute-values").arg("code", c),
        asset::SchemaError::FamilyMismatch { expected, .. } => {
            FieldError::new("family", "err-asset-family").arg("family", expected.code())
        }
    }
}

impl Lookup {
    /// A class's attribute schema: prepared by [`Self::prepare_schemas`], else built now.
    fn schema(&self, class: &str) -> Option<Arc<[AttributeDef]>> {
        match self.schemas.get(class) {
            Some(s) => Some(Arc::clone(s)),
            None => Some(self.classes.get(class)?.schema().into()),
        }
    }

    /// Builds the schemas of `classes` once, for many rows.
    fn prepare_schemas<'a>(&mut self, classes: impl IntoIterator<Item = &'a str>) {
        for class in classes {
            if !self.schemas.contains_key(class)
                && let Some(c) = self.classes.get(class)
            {
                let schema: Arc<[AttributeDef]> = c.schema().into();
                self.schemas.insert(class.to_owned(), schema);
            }
        }
    }

    fn location_path(&self, id: LocationId) -> LocationPath {
        let mut path = LocationPath::default();
        let mut at = self.locations.get(&id);
        // Bounded: the tree has three levels.
        for _ in 0..3 {
            let Some(l) = at else { break };
            match l.level {
                LocationLevel::Zone => path.zone = Some(l.id),
                LocationLevel::Site => path.site = Some(l.id),
                LocationLevel::Point => path.point = Some(l.id),
            }
            at = l.parent_id.and_then(|p| self.locations.get(&p));
        }
        path
    }

    fn location_code(&self, path: &LocationPath) -> String {
        path.point
            .or(path.site)
            .or(path.zone)
            .and_then(|id| self.locations.get(&id))
            .map(|l| l.code.clone())
            .unwrap_or_default()
    }

    fn org(&self, text: &str) -> Option<&Organisation> {
        let t = text.trim();
        let id = OrgId::parse(t).ok().filter(|id| self.orgs.contains_key(id));
        let id = id.or_else(|| self.org_codes.get(t).copied()).or_else(|| self.org_names.get(t).copied());
        id.and_then(|id| self.orgs.get(&id))
    }

    fn org_code(&self, id: Option<OrgId>) -> String {
        id.and_then(|i| self.orgs.get(&i)).map(|o| o.code.clone()).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------
// Building a CI from a row
// ---------------------------------------------------------------------------------------------

/// A row as given: the fixed columns present (with the header used) and the other cells.
#[derive(Debug, Clone, Default)]
struct RowInput {
    fixed: BTreeMap<Column, (String, String)>,
    others: Vec<(String, String)>,
}

impl RowInput {
    fn from_cells(cells: &BTreeMap<String, String>) -> Self {
        let mut row = Self::default();
        for (header, value) in cells {
            match column(header) {
                Some(c) => {
                    row.fixed.insert(c, (header.clone(), value.trim().to_owned()));
                }
                None => row.others.push((header.trim().to_owned(), value.trim().to_owned())),
            }
        }
        row
    }

    fn from_input(input: &AssetInput) -> Self {
        let mut fixed = BTreeMap::new();
        for (c, v) in [
            (Column::Code, &input.code),
            (Column::Name, &input.name),
            (Column::Class, &input.class),
            (Column::State, &input.state),
            (Column::Location, &input.location),
            (Column::Enterprise, &input.enterprise),
            (Column::Maintainer, &input.maintainer),
            (Column::Owner, &input.owner),
            (Column::Criticality, &input.criticality),
            (Column::Domain, &input.domain),
            (Column::Sensitive, &input.holds_sensitive_data),
        ] {
            fixed.insert(c, (c.code().to_owned(), v.trim().to_owned()));
        }
        let others = input.attributes.iter().map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
        Self { fixed, others }
    }

    fn get(&self, c: Column) -> Option<&str> {
        self.fixed.get(&c).map(|(_, v)| v.as_str())
    }

    fn header(&self, c: Column) -> String {
        self.fixed.get(&c).map_or_else(|| c.code().to_owned(), |(h, _)| h.clone())
    }

    fn problem(&self, c: Column, key: &'static str) -> Problem {
        Problem { column: Some(c), name: self.header(c), key, args: Vec::new() }
    }
}

fn check_code(code: &str) -> bool {
    !code.is_empty() && code.chars().count() <= CODE_MAX && !code.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Builds the CI a row describes, on top of the existing one if any. All problems are returned.
#[allow(clippy::too_many_lines, reason = "one field after another, each with its own check")]
fn build(
    lk: &Lookup,
    row: &RowInput,
    existing: Option<&AssetRecord>,
    actor: &str,
    now: Timestamp,
) -> Result<AssetRecord, Vec<Problem>> {
    let mut problems = Vec::new();
    let code = row.get(Column::Code).unwrap_or_default().to_owned();
    if !check_code(&code) {
        problems.push(row.problem(Column::Code, "err-asset-code").arg("max", CODE_MAX));
    }
    let name = match row.get(Column::Name) {
        Some(n) => n.to_owned(),
        None => existing.map(|e| e.name.clone()).unwrap_or_default(),
    };
    if name.is_empty() || name.chars().count() > NAME_MAX {
        problems.push(row.problem(Column::Name, "err-required-100"));
    }
    let class_text = row.get(Column::Class).filter(|c| !c.is_empty()).map(str::to_owned);
    let class = match (class_text, existing) {
        (Some(t), _) => lk.classes.find(&t).map(|c| (c.code.clone(), c.family)),
        (None, Some(e)) => lk.classes.get(&e.class).map(|c| (c.code.clone(), c.family)),
        (None, None) => None,
    };
    if class.is_none() {
        problems.push(row.problem(Column::Class, "err-asset-class"));
    }
    let state = match existing {
        // Later changes go through lifecycle events: a sheet never moves a CI's state.
        Some(e) => Some(e.state),
        None => match row.get(Column::State).filter(|s| !s.is_empty()) {
            None => Some(LifecycleState::Planned),
            Some(s) => LifecycleState::parse(s),
        },
    };
    if state.is_none() {
        problems.push(row.problem(Column::State, "err-asset-state"));
    }
    let location = match row.get(Column::Location) {
        None => Some(existing.map(|e| e.location).unwrap_or_default()),
        Some("") => Some(LocationPath::default()),
        Some(code) => lk.location_codes.get(code).map(|id| lk.location_path(*id)),
    };
    if location.is_none() {
        problems.push(row.problem(Column::Location, "err-asset-location"));
    }
    let mut org = |c: Column, current: Option<OrgId>, allowed: &[OrgType], key: &'static str| match row.get(c) {
        None => Some(current),
        Some("") => Some(None),
        Some(text) => match lk.org(text) {
            Some(o) if allowed.contains(&o.org_type) => Some(Some(o.id)),
            _ => {
                problems.push(row.problem(c, key));
                None
            }
        },
    };
    let enterprise = org(
        Column::Enterprise,
        existing.and_then(|e| e.enterprise_org_id),
        &[OrgType::Enterprise],
        "err-asset-enterprise",
    );
    let maintainer = org(
        Column::Maintainer,
        existing.and_then(|e| e.maintainer_org_id),
        &[OrgType::ServiceOrganisation, OrgType::ProductVendor, OrgType::Carrier],
        "err-asset-maintainer",
    );
    let owner = match row.get(Column::Owner) {
        None => Some(existing.and_then(|e| e.owner_user_id)),
        Some("") => Some(None),
        Some(name) => lk.users.get(&name.to_lowercase()).copied().flatten().map(Some),
    };
    if owner.is_none() {
        problems.push(row.problem(Column::Owner, "err-asset-owner"));
    }
    let criticality = match row.get(Column::Criticality).filter(|c| !c.is_empty()) {
        None => Some(existing.map_or(Criticality::C, |e| e.criticality)),
        Some(c) => Criticality::parse(c),
    };
    if criticality.is_none() {
        problems.push(row.problem(Column::Criticality, "err-asset-criticality"));
    }
    let default_domain = existing.map(|e| e.domain).or_else(|| class.as_ref().map(|(_, f)| f.default_domain()));
    let domain = match row.get(Column::Domain).filter(|d| !d.is_empty()) {
        None => default_domain,
        Some(d) => BusinessDomain::parse(d),
    };
    if domain.is_none() && class.is_some() {
        problems.push(row.problem(Column::Domain, "err-asset-domain"));
    }
    let sensitive = match row.get(Column::Sensitive).filter(|s| !s.is_empty()) {
        None => Some(existing.is_some_and(|e| e.holds_sensitive_data)),
        Some(s) => asset::parse_bool(s),
    };
    if sensitive.is_none() {
        problems.push(row.problem(Column::Sensitive, "err-asset-sensitive"));
    }
    // Attributes: the existing values the class still knows, then the row's cells.
    let mut attributes = BTreeMap::new();
    if let Some((class_code, _)) = &class {
        let schema: Arc<[AttributeDef]> = lk.schema(class_code).unwrap_or_else(|| Arc::from(Vec::new()));
        if let Some(e) = existing {
            for d in schema.iter() {
                if let Some(v) = e.attributes.get(&d.code) {
                    attributes.insert(d.code.clone(), v.clone());
                }
            }
        }
        let def_of = |header: &str| schema.iter().find(|d| d.code == header || d.label == header);
        for (header, value) in &row.others {
            match def_of(header) {
                Some(d) => {
                    if value.is_empty() {
                        attributes.remove(&d.code);
                    } else {
                        attributes.insert(d.code.clone(), value.clone());
                    }
                }
                // A sheet mixing classes has empty cells in other classes' columns.
                None if value.is_empty() => {}
                None => problems.push(Problem {
                    column: None,
                    name: header.clone(),
                    key: "err-attribute-unknown",
                    args: vec![("attribute", header.clone())],
                }),
            }
        }
        match asset::validate_attributes(&schema, &attributes) {
            Ok(typed) => attributes = typed.into_text(),
            Err(errors) => {
                for e in errors {
                    // Named as the sheet's header for it (the last, as the value taken was).
                    let header = row
                        .others
                        .iter()
                        .rev()
                        .find(|(h, _)| def_of(h).is_some_and(|d| d.code == e.attribute))
                        .map_or_else(|| e.attribute.clone(), |(h, _)| h.clone());
                    problems.push(attribute_problem(e, &header, &schema));
                }
            }
        }
    }
    let (
        Some((class, family)),
        Some(state),
        Some(location),
        Some(enterprise),
        Some(maintainer),
        Some(owner),
        Some(criticality),
        Some(domain),
        Some(sensitive),
    ) = (class, state, location, enterprise, maintainer, owner, criticality, domain, sensitive)
    else {
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(AssetRecord {
        id: existing.map_or_else(|| AssetId::from_uuid(uuid::Uuid::now_v7()), |e| e.id),
        park_id: lk.park,
        code,
        name,
        class,
        family,
        state,
        state_since: existing.map_or(now, |e| e.state_since),
        location,
        enterprise_org_id: enterprise,
        maintainer_org_id: maintainer,
        owner_user_id: owner,
        criticality,
        domain,
        holds_sensitive_data: sensitive,
        attributes,
        created_by: existing.map_or_else(|| actor.to_owned(), |e| e.created_by.clone()),
        created_at: existing.map_or(now, |e| e.created_at),
        updated_at: existing.map_or(now, |e| e.updated_at),
    })
}

/// The fields that differ between two versions of a CI, as `{field: [old, new]}`: each field
/// compared as it is held and shown as text only when it differs (an import of 100,000 changed
/// CIs asks this of every one).
fn changes(old: &AssetRecord, new: &AssetRecord) -> serde_json::Map<String, Value> {
    fn shown<T: ToString>(x: &Option<T>) -> String {
        x.as_ref().map(ToString::to_string).unwrap_or_default()
    }
    let mut out = serde_json::Map::new();
    macro_rules! field {
        ($name:literal, $($f:ident).+, $show:expr) => {
            if old.$($f).+ != new.$($f).+ {
                out.insert($name.to_owned(), json!([$show(&old.$($f).+), $show(&new.$($f).+)]));
            }
        };
    }
    field!("code", code, String::clone);
    field!("name", name, String::clone);
    field!("class", class, String::clone);
    field!("zone", location.zone, shown);
    field!("site", location.site, shown);
    field!("point", location.point, shown);
    field!("enterprise", enterprise_org_id, shown);
    field!("maintainer", maintainer_org_id, shown);
    field!("owner", owner_user_id, shown);
    field!("criticality", criticality, |c: &Criticality| c.code().to_owned());
    field!("domain", domain, |d: &BusinessDomain| d.code().to_owned());
    field!("holds_sensitive_data", holds_sensitive_data, bool::to_string);
    if old.attributes != new.attributes {
        let keys: BTreeSet<&String> = old.attributes.keys().chain(new.attributes.keys()).collect();
        for k in keys {
            let (a, b) = (old.attributes.get(k), new.attributes.get(k));
            if a != b {
                out.insert(
                    format!("attributes.{k}"),
                    json!([a.cloned().unwrap_or_default(), b.cloned().unwrap_or_default()]),
                );
            }
        }
    }
    out
}

fn summary_json(a: &AssetRecord) -> Value {
    json!({
        "code": a.code, "name": a.name, "class": a.class, "state": a.state.code(),
        "criticality": a.criticality.code(), "domain": a.domain.code(),
        "holds_sensitive_data": a.holds_sensitive_data,
    })
}

fn actor(caller: &Caller) -> String {
    caller.principal.as_ref().map_or_else(|| "system".to_owned(), |p| p.username.clone())
}

fn timeline(a: &AssetRecord, caller: &Caller, kind: &str, note: &str, data: Value, now: Timestamp) -> AssetEventRecord {
    AssetEventRecord {
        asset_id: a.id,
        seq: 0,
        at: now,
        actor: actor(caller),
        kind: kind.to_owned(),
        from_state: String::new(),
        to_state: String::new(),
        note: note.to_owned(),
        data: data.to_string(),
    }
}

/// The scope in which `p` holds `capability` for the CI (by its enterprise or maintainer).
fn can_on(p: &Principal, capability: Capability, a: &AssetRecord) -> bool {
    a.park_id == p.park_id
        && match p.scope_of(capability) {
            Some(Scope::Park) => true,
            Some(Scope::OwnOrganisation) => {
                a.enterprise_org_id == Some(p.org_id) || a.maintainer_org_id == Some(p.org_id)
            }
            None => false,
        }
}

fn forbidden(capability: Capability) -> AppError {
    AppError::Forbidden { capability }
}

fn opt_id<T, E>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, E>,
    field: &'static str,
    key: &'static str,
) -> Result<Option<T>, FieldError> {
    let t = text.trim();
    if t.is_empty() { Ok(None) } else { parse(t).map(Some).map_err(|_| FieldError::new(field, key)) }
}

// ---------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------

impl<S: AssetStorage + ?Sized> AssetRegister<'_, S> {
    async fn lookup(&self, park: ParkId) -> Result<Lookup, AppError> {
        let classes = self.registry(park).await?;
        let locations: BTreeMap<LocationId, LocationRecord> =
            self.store.locations(park).await?.into_iter().map(|l| (l.id, l)).collect();
        let location_codes = locations.values().map(|l| (l.code.clone(), l.id)).collect();
        let mut orgs = BTreeMap::new();
        let filter = OrgFilter { park_id: Some(park), ..OrgFilter::default() };
        for page in 1.. {
            let p = self.app.store.orgs(&filter, PageRequest { page, per_page: 200 }).await?;
            let n = p.items.len();
            orgs.extend(p.items.into_iter().map(|o| (o.id, o)));
            if n < 200 {
                break;
            }
        }
        let mut org_codes = HashMap::new();
        let mut org_names = HashMap::new();
        for o in orgs.values() {
            org_codes.entry(o.code.clone()).or_insert(o.id);
            org_names.entry(o.name.clone()).or_insert(o.id);
        }
        Ok(Lookup {
            park,
            classes,
            schemas: BTreeMap::new(),
            locations,
            location_codes,
            orgs,
            org_codes,
            org_names,
            users: BTreeMap::new(),
            usernames: BTreeMap::new(),
        })
    }

    /// Resolves the login names of the owner cells (each distinct name once).
    async fn load_users<'r>(&self, lk: &mut Lookup, names: impl Iterator<Item = &'r str>) -> Result<(), AppError> {
        for name in names.map(str::to_lowercase).collect::<BTreeSet<_>>() {
            if name.is_empty() || lk.users.contains_key(&name) {
                continue;
            }
            let user = self.app.store.user_by_username(&name).await?.filter(|u| u.park_id == lk.park);
            lk.users.insert(name, user.map(|u| u.id));
        }
        Ok(())
    }

    async fn load_usernames(&self, lk: &mut Lookup, ids: impl Iterator<Item = UserId>) -> Result<(), AppError> {
        for id in ids.collect::<BTreeSet<_>>() {
            if !lk.usernames.contains_key(&id)
                && let Some(u) = self.app.store.user(id).await?
            {
                lk.usernames.insert(id, u.username);
            }
        }
        Ok(())
    }

    /// A CI the caller may see (otherwise "not found", so codes leak nothing).
    async fn visible(&self, caller: &Caller, id: AssetId) -> Result<(Principal, AssetRecord), AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        let a = self.store.asset(id).await?.ok_or(AppError::NotFound)?;
        if can_on(&p, Capability::AssetView, &a) { Ok((p, a)) } else { Err(AppError::NotFound) }
    }

    async fn manageable(&self, caller: &Caller, id: AssetId) -> Result<(Principal, AssetRecord), AppError> {
        let (p, a) = self.visible(caller, id).await?;
        if can_on(&p, Capability::AssetManage, &a) { Ok((p, a)) } else { Err(forbidden(Capability::AssetManage)) }
    }

    fn park_manager(caller: &Caller) -> Result<Principal, AppError> {
        let p = caller.require_any(Capability::AssetManage)?;
        match p.scope_of(Capability::AssetManage) {
            Some(Scope::Park) => Ok(p.clone()),
            Some(Scope::OwnOrganisation) | None => Err(forbidden(Capability::AssetManage)),
        }
    }

    async fn registry(&self, park: ParkId) -> Result<ClassRegistry, AppError> {
        let mut classes = ClassRegistry::built_in();
        for c in self.store.asset_classes(park).await? {
            let defs = serde_json::from_str::<Value>(&c.attributes).ok().map(|v| attributes_from_json(&v));
            let applied = match defs {
                Some(Ok(attributes)) => {
                    classes.apply(ClassExtension { code: c.code.clone(), name: c.name, family: c.family, attributes })
                }
                _ => Err(asset::SchemaError::ClassCode(c.code.clone())),
            };
            if let Err(e) = applied {
                // A stored extension the code no longer accepts is skipped, not fatal.
                tracing::warn!(class = %c.code, error = %e, "asset class extension skipped");
            }
        }
        Ok(classes)
    }

    fn filter(p: &Principal, q: &AssetQuery) -> Result<AssetFilter, AppError> {
        let mut errors = Vec::new();
        let org_scope = match p.scope_of(Capability::AssetView) {
            Some(Scope::Park) => None,
            Some(Scope::OwnOrganisation) => Some(p.org_id),
            None => return Err(forbidden(Capability::AssetView)),
        };
        let family = match q.family.trim() {
            "" => None,
            f => CiFamily::parse(f).or_else(|| {
                errors.push(FieldError::new("family", "err-asset-family"));
                None
            }),
        };
        let mut states = Vec::new();
        for s in q.states.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            match LifecycleState::parse(s) {
                Some(state) => states.push(state),
                None => errors.push(FieldError::new("states", "err-asset-state")),
            }
        }
        let criticality = match q.criticality.trim() {
            "" => None,
            c => Criticality::parse(c).or_else(|| {
                errors.push(FieldError::new("criticality", "err-asset-criticality"));
                None
            }),
        };
        let mut id = |text: &str, field: &'static str, key: &'static str| {
            opt_id(text, OrgId::parse, field, key).unwrap_or_else(|e| {
                errors.push(e);
                None
            })
        };
        let enterprise = id(&q.enterprise, "enterprise", "err-org");
        let maintainer = id(&q.maintainer, "maintainer", "err-org");
        let mut loc = |text: &str, field: &'static str| {
            opt_id(text, LocationId::parse, field, "err-asset-location").unwrap_or_else(|e| {
                errors.push(e);
                None
            })
        };
        let zone = loc(&q.zone, "zone");
        let site = loc(&q.site, "site");
        let sensitive = match q.sensitive.trim() {
            "" => None,
            v => asset::parse_bool(v).or_else(|| {
                errors.push(FieldError::new("sensitive", "err-asset-sensitive"));
                None
            }),
        };
        let sort = match q.sort.trim() {
            "" => AssetSort::default(),
            v => AssetSort::parse(v).unwrap_or_else(|| {
                errors.push(FieldError::new("sort", "err-asset-sort"));
                AssetSort::default()
            }),
        };
        let text = q.text.trim();
        if text.chars().count() > NAME_MAX {
            errors.push(FieldError::new("text", "err-too-long").arg("max", NAME_MAX));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(AssetFilter {
            park_id: Some(p.park_id),
            classes: q.classes.iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect(),
            family,
            states,
            zone,
            site,
            enterprise,
            maintainer,
            criticality,
            org_scope,
            text: (!text.is_empty()).then(|| text.to_owned()),
            sensitive,
            sort,
        })
    }

    /// CIs reached from `start` in `direction` within `max_hops`, that `p` may see. Reads the
    /// relations hop by hop (one lookup per hop), then traverses with the domain's rule.
    async fn traverse(
        &self,
        p: &Principal,
        start: AssetId,
        direction: Direction,
        max_hops: u32,
    ) -> Result<Vec<ImpactedAsset>, AppError> {
        let mut edges: BTreeSet<Relation<AssetId>> = BTreeSet::new();
        let mut fetched = BTreeSet::new();
        let mut frontier = vec![start];
        for hop in 1..=max_hops {
            let need: Vec<AssetId> = frontier.into_iter().filter(|id| fetched.insert(*id)).collect();
            if need.is_empty() {
                break;
            }
            for r in self.store.relations_touching(&need).await? {
                edges.insert(Relation { from: r.from_id, to: r.to_id, kind: r.kind });
            }
            let graph = DependencyGraph::from_relations(edges.iter().copied());
            frontier = asset::impact(&graph, start, direction, hop)
                .into_iter()
                .filter(|i| i.hops == hop)
                .map(|i| i.node)
                .collect();
        }
        let graph = DependencyGraph::from_relations(edges.iter().copied());
        let found = asset::impact(&graph, start, direction, max_hops);
        let ids: Vec<AssetId> = found.iter().map(|i| i.node).collect();
        let by_id: BTreeMap<AssetId, AssetRecord> =
            self.store.assets_by_ids(&ids).await?.into_iter().map(|a| (a.id, a)).collect();
        Ok(found
            .into_iter()
            .filter_map(|i| {
                let a = by_id.get(&i.node).filter(|a| can_on(p, Capability::AssetView, a))?;
                Some(ImpactedAsset { asset: a.clone(), hops: i.hops, through: i.through, via: i.via })
            })
            .collect())
    }

    /// The classes in force in the caller's park: built in, with the park's extensions.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AssetView`].
    pub async fn classes(&self, caller: &Caller) -> Result<Vec<CiClass>, AppError> {
        let p = caller.require_any(Capability::AssetView)?;
        Ok(self.registry(p.park_id).await?.iter().cloned().collect())
    }

    /// Stores an extension of the class schema: extra attributes for a built-in class, or a
    /// class of the park's own. It replaces the class's previous extension.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a bad code, name, family or attribute;
    /// [`AppError::Forbidden`] without [`Capability::AssetManage`] over the park.
    pub async fn define_class(
        &self,
        caller: &Caller,
        code: &str,
        name: &str,
        family: &str,
        attributes: &Value,
    ) -> Result<CiClass, AppError> {
        let p = Self::park_manager(caller)?;
        let family = CiFamily::parse(family).ok_or_else(|| AppError::field("family", "err-asset-family"))?;
        let defs = attributes_from_json(attributes).map_err(|f| AppError::Invalid(vec![f]))?;
        let mut registry = self.registry(p.park_id).await?;
        let ext =
            ClassExtension { code: code.trim().to_owned(), name: name.trim().to_owned(), family, attributes: defs };
        registry.apply(ext.clone()).map_err(|e| AppError::Invalid(vec![schema_error_field(&e)]))?;
        let class = registry.get(&ext.code).cloned().ok_or(AppError::NotFound)?;
        let now = self.app.clock.now();
        let doc = attributes_to_json(&ext.attributes);
        let rec = AssetClassRecord {
            park_id: p.park_id,
            code: ext.code.clone(),
            name: class.name.clone(),
            family,
            attributes: doc.to_string(),
            updated_by: p.username.clone(),
            updated_at: now,
        };
        let mut tx = self.store.begin_assets().await?;
        tx.put_asset_class(&rec).await?;
        let detail = json!({ "code": rec.code, "name": rec.name, "family": family.code(), "attributes": doc });
        tx.record(
            caller.entry("asset_class.define", "asset_class", &rec.code, Outcome::Success, detail.to_string()),
            now,
        )
        .await?;
        tx.finish().await?;
        Ok(class)
    }

    /// The location tree of the caller's park, by code.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AssetView`].
    pub async fn locations(&self, caller: &Caller) -> Result<Vec<LocationRecord>, AppError> {
        let p = caller.require_any(Capability::AssetView)?;
        Ok(self.store.locations(p.park_id).await?)
    }

    /// Adds or edits a node of the location tree (park → zone → site → point). A node keeps
    /// its level and parent once created, so the paths stored with CIs stay true.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming each refused field.
    pub async fn put_location(&self, caller: &Caller, input: LocationInput) -> Result<LocationRecord, AppError> {
        let p = Self::park_manager(caller)?;
        let nodes = self.store.locations(p.park_id).await?;
        let mut errors = Vec::new();
        let code = input.code.trim().to_owned();
        if !check_code(&code) {
            errors.push(FieldError::new("code", "err-asset-code").arg("max", CODE_MAX));
        }
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            errors.push(FieldError::new("name", "err-required-100"));
        }
        let level = LocationLevel::parse(&input.level);
        if level.is_none() {
            errors.push(FieldError::new("level", "err-location-level"));
        }
        let existing = match opt_id(&input.id, LocationId::parse, "id", "err-location") {
            Ok(Some(id)) => match nodes.iter().find(|n| n.id == id) {
                Some(n) => Some(n.clone()),
                None => return Err(AppError::NotFound),
            },
            Ok(None) => None,
            Err(e) => return Err(AppError::Invalid(vec![e])),
        };
        let parent = match input.parent.trim() {
            "" => Ok(None),
            code => nodes.iter().find(|n| n.code == code).map(|n| Some((n.id, n.level))).ok_or(()),
        };
        // A zone has no parent; a site sits in a zone, a point in a site.
        let fits = match (level, parent) {
            (Some(LocationLevel::Zone), Ok(None)) => true,
            (Some(l), Ok(Some((_, pl)))) => pl.child() == Some(l),
            (Some(_), Ok(None) | Err(())) => false,
            (None, _) => true,
        };
        if !fits {
            errors.push(FieldError::new("parent", "err-location-parent"));
        }
        let parent = parent.ok().flatten();
        if let Some(e) = &existing
            && (Some(e.level) != level || e.parent_id != parent.map(|(id, _)| id))
        {
            errors.push(FieldError::new("parent", "err-location-fixed"));
        }
        if nodes.iter().any(|n| n.code == code && Some(n.id) != existing.as_ref().map(|e| e.id)) {
            errors.push(FieldError::new("code", "err-location-code-taken"));
        }
        for (field, value, max) in [("latitude", &input.latitude, 90), ("longitude", &input.longitude, 180)] {
            let v = value.trim();
            let ok = v.is_empty() || asset::Decimal::parse(v).is_some_and(|d| d.to_f64().abs() <= f64::from(max));
            if !ok {
                errors.push(FieldError::new(field, "err-location-coordinate"));
            }
        }
        if input.ex_zone.chars().count() > 20 {
            errors.push(FieldError::new("ex_zone", "err-too-long").arg("max", 20));
        }
        let Some(level) = level else { return Err(AppError::Invalid(errors)) };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.app.clock.now();
        let rec = LocationRecord {
            id: existing.as_ref().map_or_else(|| LocationId::from_uuid(uuid::Uuid::now_v7()), |e| e.id),
            park_id: p.park_id,
            parent_id: parent.map(|(id, _)| id),
            level,
            code,
            name,
            latitude: input.latitude.trim().to_owned(),
            longitude: input.longitude.trim().to_owned(),
            ex_zone: input.ex_zone.trim().to_owned(),
            created_at: existing.as_ref().map_or(now, |e| e.created_at),
            updated_at: now,
        };
        if existing.as_ref().is_some_and(|e| *e == LocationRecord { updated_at: e.updated_at, ..rec.clone() }) {
            return Ok(rec);
        }
        let mut tx = self.store.begin_assets().await?;
        tx.put_location(&rec).await?;
        let detail =
            json!({ "code": rec.code, "name": rec.name, "level": level.code(), "parent": input.parent.trim() });
        tx.record(
            caller.entry(
                "asset_location.put",
                "asset_location",
                &rec.id.to_string(),
                Outcome::Success,
                detail.to_string(),
            ),
            now,
        )
        .await?;
        tx.finish().await?;
        Ok(rec)
    }

    /// Adds a CI with attributes validated on its class schema.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming every refused field (attributes under `attributes`, each
    /// naming its attribute); nothing is stored then.
    pub async fn create(&self, caller: &Caller, input: AssetInput) -> Result<AssetRecord, AppError> {
        let p = caller.require_any(Capability::AssetManage)?.clone();
        let mut lk = self.lookup(p.park_id).await?;
        let row = RowInput::from_input(&input);
        self.load_users(&mut lk, row.get(Column::Owner).into_iter()).await?;
        let now = self.app.clock.now();
        let a = build(&lk, &row, None, &p.username, now)
            .map_err(|ps| AppError::Invalid(ps.into_iter().map(Problem::into_field).collect()))?;
        if self.store.asset_by_code(p.park_id, &a.code).await?.is_some() {
            return Err(AppError::field("code", "err-asset-code-taken"));
        }
        if !can_on(&p, Capability::AssetManage, &a) {
            return Err(AppError::field("enterprise", "err-asset-scope"));
        }
        let mut tx = self.store.begin_assets().await?;
        tx.insert_asset(&a).await?;
        let mut e = timeline(&a, caller, "created", "", summary_json(&a), now);
        e.to_state = a.state.code().to_owned();
        tx.append_asset_event(&e).await?;
        tx.record(
            caller.entry("asset.create", "asset", &a.id.to_string(), Outcome::Success, summary_json(&a).to_string()),
            now,
        )
        .await?;
        tx.finish().await?;
        Ok(a)
    }

    /// Changes a CI's fields and attributes (not its state: that takes a lifecycle event).
    /// Attributes not listed keep their value; a blank value clears one. A change to nothing
    /// writes nothing.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming every refused field; [`AppError::NotFound`] for a CI the
    /// caller cannot see.
    pub async fn update(&self, caller: &Caller, id: AssetId, input: AssetInput) -> Result<AssetRecord, AppError> {
        let (p, old) = self.manageable(caller, id).await?;
        let mut lk = self.lookup(p.park_id).await?;
        let row = RowInput::from_input(&input);
        self.load_users(&mut lk, row.get(Column::Owner).into_iter()).await?;
        let now = self.app.clock.now();
        let mut a = build(&lk, &row, Some(&old), &p.username, now)
            .map_err(|ps| AppError::Invalid(ps.into_iter().map(Problem::into_field).collect()))?;
        if a == old {
            return Ok(old);
        }
        if a.code != old.code && self.store.asset_by_code(p.park_id, &a.code).await?.is_some() {
            return Err(AppError::field("code", "err-asset-code-taken"));
        }
        if !can_on(&p, Capability::AssetManage, &a) {
            return Err(AppError::field("enterprise", "err-asset-scope"));
        }
        a.updated_at = now;
        let changed = Value::Object(changes(&old, &a));
        let mut tx = self.store.begin_assets().await?;
        tx.update_asset(&a).await?;
        tx.append_asset_event(&timeline(&a, caller, "updated", "", json!({ "changes": changed }), now)).await?;
        let detail = json!({ "code": a.code, "changes": changed });
        tx.record(caller.entry("asset.update", "asset", &a.id.to_string(), Outcome::Success, detail.to_string()), now)
            .await?;
        tx.finish().await?;
        Ok(a)
    }

    /// Applies a lifecycle event: the transition, spare parts taken from stock (for a part
    /// replacement), the timeline entry and the audit record, in one transaction. For events
    /// that take the CI out of work the outcome lists every CI depending on it, and the
    /// timeline entry keeps their codes.
    ///
    /// # Errors
    /// [`AppError::Conflict`] `err-asset-transition:<state>:<event>` when the state refuses the
    /// event, `err-spare-part-stock` when a part is out of stock; [`AppError::Invalid`] for an
    /// unknown event, part or quantity.
    pub async fn lifecycle(
        &self,
        caller: &Caller,
        id: AssetId,
        request: LifecycleRequest,
    ) -> Result<LifecycleOutcome, AppError> {
        let event = LifecycleEvent::parse(&request.event).ok_or_else(|| AppError::field("event", "err-asset-event"))?;
        let note = request.note.trim().to_owned();
        if note.chars().count() > NOTE_MAX {
            return Err(AppError::Invalid(vec![FieldError::new("note", "err-too-long").arg("max", NOTE_MAX)]));
        }
        let (p, mut a) = self.manageable(caller, id).await?;
        let next = asset::transition(a.state, event)
            .map_err(|e| AppError::Conflict(format!("err-asset-transition:{}:{}", e.state.code(), e.event.code())))?;
        let mut parts = Vec::new();
        if !request.parts.is_empty() {
            if event != LifecycleEvent::PartReplace {
                return Err(AppError::field("parts", "err-asset-parts"));
            }
            let stock = self.store.spare_parts(p.park_id).await?;
            for (text, quantity) in &request.parts {
                let t = text.trim();
                let part = stock.iter().find(|s| s.code == t || s.id.to_string() == t).ok_or_else(|| {
                    AppError::Invalid(vec![FieldError::new("parts", "err-spare-part").arg("part", t)])
                })?;
                if !(1..=10_000).contains(quantity) {
                    return Err(AppError::Invalid(vec![
                        FieldError::new("parts", "err-spare-part-quantity").arg("part", &part.code),
                    ]));
                }
                parts.push((part.clone(), *quantity));
            }
        }
        if event == LifecycleEvent::PartReplace && parts.is_empty() && note.is_empty() {
            return Err(AppError::field("note", "err-asset-part-note"));
        }
        let dependents = match event {
            LifecycleEvent::Fault
            | LifecycleEvent::MaintainStart
            | LifecycleEvent::Retire
            | LifecycleEvent::Scrap
            | LifecycleEvent::Dispose => self.traverse(&p, a.id, Direction::Downstream, MAX_HOPS).await?,
            LifecycleEvent::Install
            | LifecycleEvent::Commission
            | LifecycleEvent::Accept
            | LifecycleEvent::Repair
            | LifecycleEvent::MaintainEnd
            | LifecycleEvent::PartReplace
            | LifecycleEvent::Reactivate => Vec::new(),
        };
        let now = self.app.clock.now();
        let before = a.state;
        if next != before {
            a.state = next;
            a.state_since = now;
        }
        a.updated_at = now;
        let mut tx = self.store.begin_assets().await?;
        tx.update_asset(&a).await?;
        let mut used = Vec::new();
        for (part, quantity) in &parts {
            let m = StockMovementRecord {
                part_id: part.id,
                seq: 0,
                at: now,
                actor: p.username.clone(),
                delta: -quantity,
                stock_after: 0,
                reason: StockReason::Issue,
                asset_id: Some(a.id),
                note: format!("{} {}", a.code, event.code()),
            };
            let after = match tx.move_stock(&m).await {
                Ok(after) => after,
                Err(StoreError::Conflict { .. }) => {
                    return Err(AppError::Conflict(format!("err-spare-part-stock:{}", part.code)));
                }
                Err(e) => return Err(e.into()),
            };
            used.push(json!({ "code": part.code, "name": part.name, "quantity": quantity, "stock_after": after }));
        }
        let codes: Vec<&str> = dependents.iter().take(500).map(|d| d.asset.code.as_str()).collect();
        let data = json!({ "parts": used, "dependents": codes, "dependent_count": dependents.len() });
        let mut e = timeline(&a, caller, event.code(), &note, data.clone(), now);
        e.from_state = before.code().to_owned();
        e.to_state = next.code().to_owned();
        tx.append_asset_event(&e).await?;
        let detail = json!({
            "code": a.code, "event": event.code(), "from": before.code(), "to": next.code(), "parts": data["parts"],
        });
        tx.record(
            caller.entry("asset.lifecycle", "asset", &a.id.to_string(), Outcome::Success, detail.to_string()),
            now,
        )
        .await?;
        tx.finish().await?;
        Ok(LifecycleOutcome { asset: a, dependents })
    }

    /// Relates two CIs of the park (`from` must be the caller's to manage, `to` visible).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an unknown kind or a self-relation; [`AppError::Conflict`]
    /// `err-asset-relation-exists` when it is already there.
    pub async fn add_relation(
        &self,
        caller: &Caller,
        from: AssetId,
        to: AssetId,
        kind: &str,
        note: &str,
    ) -> Result<RelationRecord, AppError> {
        let kind = RelationKind::parse(kind).ok_or_else(|| AppError::field("kind", "err-asset-relation-kind"))?;
        if from == to {
            return Err(AppError::field("to", "err-asset-relation-self"));
        }
        if note.chars().count() > NOTE_MAX {
            return Err(AppError::Invalid(vec![FieldError::new("note", "err-too-long").arg("max", NOTE_MAX)]));
        }
        let (p, a) = self.manageable(caller, from).await?;
        let (_, b) = self.visible(caller, to).await?;
        let exists = self
            .store
            .relations_touching(&[from])
            .await?
            .iter()
            .any(|r| r.from_id == from && r.to_id == to && r.kind == kind);
        if exists {
            return Err(AppError::Conflict("err-asset-relation-exists".to_owned()));
        }
        let now = self.app.clock.now();
        let rec = RelationRecord {
            park_id: p.park_id,
            from_id: from,
            to_id: to,
            kind,
            note: note.trim().to_owned(),
            created_by: p.username.clone(),
            created_at: now,
        };
        let data = json!({ "from": a.code, "kind": kind.code(), "to": b.code });
        let mut tx = self.store.begin_assets().await?;
        if tx.insert_relations(std::slice::from_ref(&rec)).await? == 0 {
            return Err(AppError::Conflict("err-asset-relation-exists".to_owned()));
        }
        tx.append_asset_event(&timeline(&a, caller, "relation_added", &rec.note, data.clone(), now)).await?;
        tx.append_asset_event(&timeline(&b, caller, "relation_added", &rec.note, data.clone(), now)).await?;
        tx.record(
            caller.entry("asset.relation_add", "asset", &from.to_string(), Outcome::Success, data.to_string()),
            now,
        )
        .await?;
        tx.finish().await?;
        Ok(rec)
    }

    /// Removes a relation.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when there is no such relation.
    pub async fn remove_relation(
        &self,
        caller: &Caller,
        from: AssetId,
        to: AssetId,
        kind: &str,
    ) -> Result<(), AppError> {
        let kind = RelationKind::parse(kind).ok_or_else(|| AppError::field("kind", "err-asset-relation-kind"))?;
        let (_, a) = self.manageable(caller, from).await?;
        let b = self.store.asset(to).await?.ok_or(AppError::NotFound)?;
        let now = self.app.clock.now();
        let data = json!({ "from": a.code, "kind": kind.code(), "to": b.code });
        let mut tx = self.store.begin_assets().await?;
        tx.delete_relation(from, to, kind).await?;
        tx.append_asset_event(&timeline(&a, caller, "relation_removed", "", data.clone(), now)).await?;
        tx.append_asset_event(&timeline(&b, caller, "relation_removed", "", data.clone(), now)).await?;
        tx.record(
            caller.entry("asset.relation_remove", "asset", &from.to_string(), Outcome::Success, data.to_string()),
            now,
        )
        .await?;
        tx.finish().await?;
        Ok(())
    }

    /// What a CI depends on (`upstream`) or what depends on it (`downstream`), within
    /// `max_hops` (1 to [`MAX_HOPS`]), nearest first.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an unknown direction; [`AppError::NotFound`] for a CI the
    /// caller cannot see.
    pub async fn impact(
        &self,
        caller: &Caller,
        id: AssetId,
        direction: &str,
        max_hops: u32,
    ) -> Result<Vec<ImpactedAsset>, AppError> {
        let direction =
            Direction::parse(direction).ok_or_else(|| AppError::field("direction", "err-asset-direction"))?;
        let (p, a) = self.visible(caller, id).await?;
        self.traverse(&p, a.id, direction, max_hops.clamp(1, MAX_HOPS)).await
    }

    /// One page of CIs matching the query, by code, with facet counts when `facets` is set.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a malformed filter value.
    pub async fn list(
        &self,
        caller: &Caller,
        query: &AssetQuery,
        page: PageRequest,
        facets: bool,
    ) -> Result<AssetList, AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        let filter = Self::filter(&p, query)?;
        // With facets, their counts sum to the total (every matching row is in one group of
        // each facet), so the list does not count the rows a second time.
        let (items, facets) = if facets {
            let (items, facets) = self.store.asset_list(&filter, page).await?;
            let total = facets.states.iter().map(|(_, n)| n).sum();
            (Page { items, total, request: page }, Some(facets))
        } else {
            (self.store.assets(&filter, page).await?, None)
        };
        let lk = self.lookup(p.park_id).await?;
        let mut names = BTreeMap::new();
        let classes = items
            .items
            .iter()
            .map(|a| a.class.clone())
            .chain(facets.iter().flat_map(|f| f.classes.iter().map(|(c, _)| c.clone())));
        for c in classes {
            if let Some(class) = lk.classes.get(&c) {
                names.insert(c, class.name.clone());
            }
        }
        let locations = items
            .items
            .iter()
            .flat_map(|a| [a.location.zone, a.location.site, a.location.point])
            .chain(facets.iter().flat_map(|f| f.zones.iter().map(|(z, _)| *z)))
            .flatten();
        for l in locations {
            if let Some(node) = lk.locations.get(&l) {
                names.insert(l.to_string(), node.name.clone());
            }
        }
        let orgs = items
            .items
            .iter()
            .flat_map(|a| [a.enterprise_org_id, a.maintainer_org_id])
            .chain(facets.iter().flat_map(|f| f.enterprises.iter().chain(&f.maintainers).map(|(o, _)| *o)))
            .flatten();
        for o in orgs {
            if let Some(org) = lk.orgs.get(&o) {
                names.insert(o.to_string(), org.name.clone());
            }
        }
        Ok(AssetList { page: items, facets, names })
    }

    /// A CI with its class schema, timeline, relations both ways and location path.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a CI the caller cannot see.
    pub async fn detail(&self, caller: &Caller, id: AssetId) -> Result<AssetDetail, AppError> {
        let (p, a) = self.visible(caller, id).await?;
        let registry = self.registry(p.park_id).await?;
        let class = registry.get(&a.class).cloned();
        let schema = class.as_ref().map(CiClass::schema).unwrap_or_default();
        let events = self.store.asset_events(id).await?;
        let rels = self.store.relations_touching(&[id]).await?;
        let others: Vec<AssetId> = rels.iter().map(|r| if r.from_id == id { r.to_id } else { r.from_id }).collect();
        let by_id: BTreeMap<AssetId, AssetRecord> =
            self.store.assets_by_ids(&others).await?.into_iter().map(|x| (x.id, x)).collect();
        let relations = rels
            .into_iter()
            .filter_map(|r| {
                let outgoing = r.from_id == id;
                let other = by_id.get(if outgoing { &r.to_id } else { &r.from_id })?.clone();
                can_on(&p, Capability::AssetView, &other).then_some(RelatedAsset { relation: r, outgoing, other })
            })
            .collect();
        let nodes: BTreeMap<LocationId, LocationRecord> =
            self.store.locations(p.park_id).await?.into_iter().map(|l| (l.id, l)).collect();
        let location = [a.location.zone, a.location.site, a.location.point]
            .into_iter()
            .flatten()
            .filter_map(|l| nodes.get(&l).cloned())
            .collect();
        Ok(AssetDetail {
            allowed_events: a.state.allowed_events(),
            can_manage: can_on(&p, Capability::AssetManage, &a),
            asset: a,
            class,
            schema,
            events,
            relations,
            location,
        })
    }

    /// The spare parts of the caller's park, by code.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AssetView`].
    pub async fn spare_parts(&self, caller: &Caller) -> Result<Vec<SparePartRecord>, AppError> {
        let p = caller.require_any(Capability::AssetView)?;
        Ok(self.store.spare_parts(p.park_id).await?)
    }

    /// A part's stock movements, in order.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a part of another park.
    pub async fn stock_movements(
        &self,
        caller: &Caller,
        id: SparePartId,
    ) -> Result<Vec<StockMovementRecord>, AppError> {
        let p = caller.require_any(Capability::AssetView)?;
        match self.store.spare_part(id).await? {
            Some(part) if part.park_id == p.park_id => Ok(self.store.stock_movements(id).await?),
            Some(_) | None => Err(AppError::NotFound),
        }
    }

    /// Adds a spare part; an initial stock is booked as a receipt.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming each refused field.
    pub async fn create_spare_part(&self, caller: &Caller, input: SparePartInput) -> Result<SparePartRecord, AppError> {
        let p = Self::park_manager(caller)?;
        let mut errors = Vec::new();
        let code = input.code.trim().to_owned();
        if !check_code(&code) {
            errors.push(FieldError::new("code", "err-asset-code").arg("max", CODE_MAX));
        }
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            errors.push(FieldError::new("name", "err-required-100"));
        }
        let class = input.class.trim().to_owned();
        if !class.is_empty() && self.registry(p.park_id).await?.get(&class).is_none() {
            errors.push(FieldError::new("class", "err-asset-class"));
        }
        if input.unit.trim().chars().count() > 10 {
            errors.push(FieldError::new("unit", "err-too-long").arg("max", 10));
        }
        if !(0..=1_000_000).contains(&input.stock) {
            errors.push(FieldError::new("stock", "err-spare-part-quantity"));
        }
        if !(0..=1_000_000).contains(&input.min_stock) {
            errors.push(FieldError::new("min_stock", "err-spare-part-quantity"));
        }
        if self.store.spare_parts(p.park_id).await?.iter().any(|s| s.code == code) {
            errors.push(FieldError::new("code", "err-spare-part-code-taken"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.app.clock.now();
        let mut part = SparePartRecord {
            id: SparePartId::from_uuid(uuid::Uuid::now_v7()),
            park_id: p.park_id,
            code,
            name,
            class,
            unit: input.unit.trim().to_owned(),
            stock: 0,
            min_stock: input.min_stock,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.begin_assets().await?;
        tx.insert_spare_part(&part).await?;
        if input.stock > 0 {
            let m = StockMovementRecord {
                part_id: part.id,
                seq: 0,
                at: now,
                actor: p.username.clone(),
                delta: input.stock,
                stock_after: 0,
                reason: StockReason::Receipt,
                asset_id: None,
                note: String::new(),
            };
            part.stock = tx.move_stock(&m).await?;
        }
        let detail = json!({ "code": part.code, "name": part.name, "stock": part.stock, "min_stock": part.min_stock });
        tx.record(
            caller.entry("spare_part.create", "spare_part", &part.id.to_string(), Outcome::Success, detail.to_string()),
            now,
        )
        .await?;
        tx.finish().await?;
        Ok(part)
    }

    /// Books a stock movement: a receipt or return (positive), an issue (negative, naming the
    /// CI if any) or a stocktake adjustment.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a reason and sign that do not agree; [`AppError::Conflict`]
    /// `err-spare-part-stock` when the stock would go below zero.
    pub async fn move_stock(
        &self,
        caller: &Caller,
        id: SparePartId,
        delta: i64,
        reason: &str,
        asset_id: Option<AssetId>,
        note: &str,
    ) -> Result<SparePartRecord, AppError> {
        let p = Self::park_manager(caller)?;
        let reason = StockReason::parse(reason).ok_or_else(|| AppError::field("reason", "err-spare-part-reason"))?;
        let sign_ok = match reason {
            StockReason::Receipt | StockReason::Return => delta > 0,
            StockReason::Issue => delta < 0,
            StockReason::Adjustment => delta != 0,
        };
        if !sign_ok || delta.abs() > 1_000_000 {
            return Err(AppError::field("delta", "err-spare-part-quantity"));
        }
        if note.chars().count() > NOTE_MAX {
            return Err(AppError::Invalid(vec![FieldError::new("note", "err-too-long").arg("max", NOTE_MAX)]));
        }
        let mut part = match self.store.spare_part(id).await? {
            Some(part) if part.park_id == p.park_id => part,
            Some(_) | None => return Err(AppError::NotFound),
        };
        if let Some(a) = asset_id {
            self.visible(caller, a).await?;
        }
        let now = self.app.clock.now();
        let m = StockMovementRecord {
            part_id: id,
            seq: 0,
            at: now,
            actor: p.username.clone(),
            delta,
            stock_after: 0,
            reason,
            asset_id,
            note: note.trim().to_owned(),
        };
        let mut tx = self.store.begin_assets().await?;
        part.stock = match tx.move_stock(&m).await {
            Ok(after) => after,
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict(format!("err-spare-part-stock:{}", part.code)));
            }
            Err(e) => return Err(e.into()),
        };
        part.updated_at = now;
        let detail = json!({ "code": part.code, "delta": delta, "reason": reason.code(), "stock": part.stock });
        tx.record(
            caller.entry("spare_part.move", "spare_part", &part.id.to_string(), Outcome::Success, detail.to_string()),
            now,
        )
        .await?;
        tx.finish().await?;
        Ok(part)
    }
}

impl App {
    /// The asset register on the application's own store.
    #[must_use]
    pub fn assets(&self) -> AssetRegister<'_, dyn ports::Store> {
        AssetRegister::new(self, self.store.as_ref())
    }

    /// The asset register on another storage of the same database (tests, tools).
    #[must_use]
    pub fn asset_register<'a, S: AssetStorage + ?Sized>(&'a self, store: &'a S) -> AssetRegister<'a, S> {
        AssetRegister::new(self, store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_documents_round_trip_and_bad_entries_are_named() {
        let defs = ClassRegistry::built_in().get("data_logger").expect("class").attributes.clone();
        let doc = attributes_to_json(&defs);
        assert_eq!(attributes_from_json(&doc).expect("valid"), defs);
        let bad =
            json!([{ "code": "a", "label": "A", "type": "text" }, { "code": "b", "label": "B", "type": "colour" }]);
        let e = attributes_from_json(&bad).expect_err("refused");
        assert_eq!((e.field, e.key.as_str()), ("attributes", "err-asset-schema"));
        assert_eq!(e.args, vec![("position", "2".to_owned())]);
        assert!(attributes_from_json(&json!({})).is_err());
    }

    #[test]
    fn sheet_headers_in_chinese_name_the_fixed_columns() {
        assert_eq!(column_of("编码"), Some("code"));
        assert_eq!(column_of(" 维护单位 "), Some("maintainer"));
        assert_eq!(column_of("CODE"), Some("code"));
        assert_eq!(column_of("含敏感数据"), Some("holds_sensitive_data"));
        assert_eq!(column_of("tag_no"), None, "attributes are not fixed columns");
        let row = RowInput::from_cells(&[("名称".to_owned(), " 网关 ".to_owned())].into());
        assert_eq!(row.get(Column::Name), Some("网关"));
        assert_eq!(row.header(Column::Name), "名称");
        assert_eq!(row.header(Column::Code), "code");
    }

    #[test]
    fn an_attributes_problem_is_named_by_the_sheets_header_for_it() {
        let lk = Lookup {
            park: ParkId::from_uuid(uuid::Uuid::now_v7()),
            classes: ClassRegistry::built_in(),
            schemas: BTreeMap::new(),
            locations: BTreeMap::new(),
            location_codes: BTreeMap::new(),
            orgs: BTreeMap::new(),
            org_codes: HashMap::new(),
            org_names: HashMap::new(),
            users: BTreeMap::new(),
            usernames: BTreeMap::new(),
        };
        let named = |gas_kind_header: &str| {
            let cells: BTreeMap<String, String> =
                [("code", "JB-GD-1"), ("name", "探测器"), ("class", "gas_detector"), (gas_kind_header, "无效")]
                    .into_iter()
                    .map(|(h, v)| (h.to_owned(), v.to_owned()))
                    .collect();
            let row = RowInput::from_cells(&cells);
            let problems = build(&lk, &row, None, "test", Timestamp::from_millis(0)).expect_err("a bad gas kind");
            problems.into_iter().find(|p| p.key == "err-attribute-not-allowed").map(|p| p.name)
        };
        // As the sheet wrote it: the attribute's label, or its code.
        assert_eq!(named("气体类别").as_deref(), Some("气体类别"));
        assert_eq!(named("gas_kind").as_deref(), Some("gas_kind"));
    }

    #[test]
    fn problems_read_as_form_fields_or_import_lines() {
        let schema = ClassRegistry::built_in().get("gas_detector").expect("class").schema();
        let e = AttributeError {
            attribute: "gas_kind".into(),
            problem: AttributeProblem::NotAllowed { allowed: vec!["可燃".into(), "有毒".into()] },
        };
        let p = attribute_problem(e, "气体类别", &schema);
        let field = p.clone().into_field();
        assert_eq!((field.field, field.key.as_str()), ("attributes", "err-attribute-not-allowed"));
        assert!(field.args.contains(&("attribute", "气体类别".to_owned())));
        assert!(field.args.contains(&("allowed", "可燃, 有毒".to_owned())));
        let line = p.into_import("assets", 7);
        assert_eq!(line.field, "import");
        assert_eq!(
            &line.args[..3],
            &[("sheet", "assets".to_owned()), ("row", "7".to_owned()), ("column", "气体类别".to_owned())]
        );
    }

    #[test]
    fn changes_name_only_what_differs() {
        let now = Timestamp::from_millis(0);
        let a = AssetRecord {
            id: AssetId::from_uuid(uuid::Uuid::from_u128(1)),
            park_id: ParkId::from_uuid(uuid::Uuid::from_u128(2)),
            code: "C-1".into(),
            name: "旧".into(),
            class: "camera".into(),
            family: CiFamily::Video,
            state: LifecycleState::InService,
            state_since: now,
            location: LocationPath::default(),
            enterprise_org_id: None,
            maintainer_org_id: None,
            owner_user_id: None,
            criticality: Criticality::C,
            domain: BusinessDomain::SafetyProduction,
            holds_sensitive_data: false,
            attributes: [("camera_type".to_owned(), "球机".to_owned())].into(),
            created_by: "t".into(),
            created_at: now,
            updated_at: now,
        };
        let mut b = a.clone();
        b.name = "新".into();
        b.attributes.insert("channel".into(), "3".into());
        let c = changes(&a, &b);
        assert_eq!(c.keys().collect::<Vec<_>>(), vec!["attributes.channel", "name"]);
        assert_eq!(c["name"], json!(["旧", "新"]));
        assert!(changes(&a, &a).is_empty());
    }
}
