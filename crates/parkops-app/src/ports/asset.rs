//! The storage port of the asset register (R-9.1.1c): CIs with their attributes, relations,
//! timelines, the location tree, administrators' class extensions, and spare parts with
//! their stock movements.
//!
//! Timelines and stock movements are records: append-only. Batch writes exist for imports
//! (100,000 CIs with relations in one transaction).

use std::collections::BTreeMap;

use async_trait::async_trait;
use parkops_domain::asset::{
    AssetId, CiFamily, Criticality, LifecycleState, LocationId, LocationLevel, RelationKind, SparePartId,
};
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::ticket::BusinessDomain;
use parkops_domain::time::Timestamp;

use super::{Page, PageRequest};
use crate::StoreError;

/// Where a CI is: the zone, site and point of the park's location tree (each optional,
/// deeper levels only under the level above).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LocationPath {
    /// 功能区.
    pub zone: Option<LocationId>,
    /// Site (plant, station, checkpoint, machine room).
    pub site: Option<LocationId>,
    /// Installation point.
    pub point: Option<LocationId>,
}

/// A stored CI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRecord {
    /// Identifier.
    pub id: AssetId,
    /// Park.
    pub park_id: ParkId,
    /// Code, unique per park, e.g. `JB-SAF-GW-0007`.
    pub code: String,
    /// Name.
    pub name: String,
    /// Class code.
    pub class: String,
    /// The class's family (kept with the CI for filters).
    pub family: CiFamily,
    /// Lifecycle state.
    pub state: LifecycleState,
    /// Since when it is in that state.
    pub state_since: Timestamp,
    /// Location.
    pub location: LocationPath,
    /// Enterprise the CI belongs to (`belongs_to`), if any.
    pub enterprise_org_id: Option<OrgId>,
    /// Supplier that maintains it (`maintained_by`), if any.
    pub maintainer_org_id: Option<OrgId>,
    /// Person responsible.
    pub owner_user_id: Option<UserId>,
    /// Criticality.
    pub criticality: Criticality,
    /// Business domain.
    pub domain: BusinessDomain,
    /// Holds sensitive data (drives the termination and disposal workflow).
    pub holds_sensitive_data: bool,
    /// Attribute values in canonical text form, by attribute code (stored as a JSON object).
    pub attributes: BTreeMap<String, String>,
    /// Who created it.
    pub created_by: String,
    /// Created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A relation between two CIs of one park.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationRecord {
    /// Park.
    pub park_id: ParkId,
    /// From end.
    pub from_id: AssetId,
    /// To end.
    pub to_id: AssetId,
    /// Kind.
    pub kind: RelationKind,
    /// Free text.
    pub note: String,
    /// Who added it.
    pub created_by: String,
    /// Added.
    pub created_at: Timestamp,
}

/// One entry of a CI's timeline (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetEventRecord {
    /// CI.
    pub asset_id: AssetId,
    /// Position in the timeline, from 1: assigned by the store when 0 is given (1 may be given
    /// for the first entry of a new CI).
    pub seq: i64,
    /// When.
    pub at: Timestamp,
    /// Who (login name or `system`).
    pub actor: String,
    /// What: `created`, `updated`, `imported`, a lifecycle event code, `relation_added`,
    /// `relation_removed`.
    pub kind: String,
    /// State before (lifecycle events).
    pub from_state: String,
    /// State after (lifecycle events).
    pub to_state: String,
    /// Free text.
    pub note: String,
    /// Details as a JSON object (changed fields, part used, relation).
    pub data: String,
}

/// A spare part kept in stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparePartRecord {
    /// Identifier.
    pub id: SparePartId,
    /// Park.
    pub park_id: ParkId,
    /// Code, unique per park.
    pub code: String,
    /// Name.
    pub name: String,
    /// Class code of the CIs it fits (empty for any).
    pub class: String,
    /// Unit, e.g. `个`, `套`.
    pub unit: String,
    /// Quantity in stock (never negative).
    pub stock: i64,
    /// Below this the part is reported as low.
    pub min_stock: i64,
    /// Created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// Why stock moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StockReason {
    /// Goods received.
    Receipt,
    /// Issued for work (a part replacement names the CI).
    Issue,
    /// Returned unused.
    Return,
    /// Count corrected after a stocktake.
    Adjustment,
}

impl StockReason {
    /// Every reason.
    pub const ALL: [Self; 4] = [Self::Receipt, Self::Issue, Self::Return, Self::Adjustment];

    /// Storage code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Receipt => "receipt",
            Self::Issue => "issue",
            Self::Return => "return",
            Self::Adjustment => "adjustment",
        }
    }

    /// The reason with this code.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code.trim())
    }
}

/// One stock movement (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockMovementRecord {
    /// Part.
    pub part_id: SparePartId,
    /// Position, from 1 (assigned by the store).
    pub seq: i64,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// Change in stock (negative for issues).
    pub delta: i64,
    /// Stock after the movement.
    pub stock_after: i64,
    /// Why.
    pub reason: StockReason,
    /// CI the part went into, for issues.
    pub asset_id: Option<AssetId>,
    /// Free text.
    pub note: String,
}

/// A node of a park's location tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRecord {
    /// Identifier.
    pub id: LocationId,
    /// Park (the root).
    pub park_id: ParkId,
    /// Parent: none for a zone, a zone for a site, a site for a point.
    pub parent_id: Option<LocationId>,
    /// Level.
    pub level: LocationLevel,
    /// Code, unique per park, e.g. `Z1-S03-P007`.
    pub code: String,
    /// Name.
    pub name: String,
    /// Latitude (decimal degrees text, empty when unknown).
    pub latitude: String,
    /// Longitude.
    pub longitude: String,
    /// Hazardous-area (Ex) zone classification, e.g. `1区`.
    pub ex_zone: String,
    /// Created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// An administrator's extension of the class schema: extra attributes of a built-in class
/// or a class of the park's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetClassRecord {
    /// Park.
    pub park_id: ParkId,
    /// Class code.
    pub code: String,
    /// Name (for a class of the park's own).
    pub name: String,
    /// Family.
    pub family: CiFamily,
    /// The extra attribute definitions as a JSON array.
    pub attributes: String,
    /// Who stored this version.
    pub updated_by: String,
    /// When.
    pub updated_at: Timestamp,
}

/// Filter for CI lists (the facets of the list page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetFilter {
    /// Park.
    pub park_id: Option<ParkId>,
    /// Class codes (empty: all).
    pub classes: Vec<String>,
    /// Family.
    pub family: Option<CiFamily>,
    /// States (empty: all).
    pub states: Vec<LifecycleState>,
    /// Zone.
    pub zone: Option<LocationId>,
    /// Site.
    pub site: Option<LocationId>,
    /// Enterprise.
    pub enterprise: Option<OrgId>,
    /// Maintainer.
    pub maintainer: Option<OrgId>,
    /// Criticality.
    pub criticality: Option<Criticality>,
    /// Only CIs of this organisation, as enterprise or maintainer (own-organisation scope).
    pub org_scope: Option<OrgId>,
    /// Text in code or name.
    pub text: Option<String>,
    /// Only CIs that do (or do not) hold sensitive data.
    pub sensitive: Option<bool>,
    /// Order of the list.
    pub sort: AssetSort,
}

/// Orders of the CI list (each ends with the code, so pages are stable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum AssetSort {
    /// By code.
    #[default]
    Code,
    /// By name.
    Name,
    /// By class, then code.
    Class,
    /// By lifecycle state, then code.
    State,
    /// Most recently changed first.
    Updated,
}

impl AssetSort {
    /// Every order.
    pub const ALL: [Self; 5] = [Self::Code, Self::Name, Self::Class, Self::State, Self::Updated];

    /// Stable code, as in the list's query string.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Name => "name",
            Self::Class => "class",
            Self::State => "state",
            Self::Updated => "updated",
        }
    }

    /// The order with this code.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code.trim())
    }
}

/// Counts per facet value for a filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetFacets {
    /// By class code.
    pub classes: Vec<(String, i64)>,
    /// By state.
    pub states: Vec<(LifecycleState, i64)>,
    /// By zone (None: no zone).
    pub zones: Vec<(Option<LocationId>, i64)>,
    /// By enterprise.
    pub enterprises: Vec<(Option<OrgId>, i64)>,
    /// By maintainer.
    pub maintainers: Vec<(Option<OrgId>, i64)>,
    /// By family.
    pub families: Vec<(CiFamily, i64)>,
    /// By whether the CI holds sensitive data.
    pub sensitive: Vec<(bool, i64)>,
}

/// Asset reads.
#[async_trait]
pub trait AssetReads: Send + Sync {
    /// One CI.
    async fn asset(&self, id: AssetId) -> Result<Option<AssetRecord>, StoreError>;
    /// A CI by park and code.
    async fn asset_by_code(&self, park: ParkId, code: &str) -> Result<Option<AssetRecord>, StoreError>;
    /// The CIs of a park with these codes (any number; looked up in chunks).
    async fn assets_by_codes(&self, park: ParkId, codes: &[String]) -> Result<Vec<AssetRecord>, StoreError>;
    /// The CIs with these ids (any number; looked up in chunks).
    async fn assets_by_ids(&self, ids: &[AssetId]) -> Result<Vec<AssetRecord>, StoreError>;
    /// CIs matching a filter, by code.
    async fn assets(&self, filter: &AssetFilter, page: PageRequest) -> Result<Page<AssetRecord>, StoreError>;
    /// One page of CIs matching a filter and the facet counts of all of them, which sum to the
    /// total (so the list does not count the rows again).
    async fn asset_list(
        &self,
        filter: &AssetFilter,
        page: PageRequest,
    ) -> Result<(Vec<AssetRecord>, AssetFacets), StoreError>;
    /// Counts per class, state, zone, enterprise and maintainer for a filter.
    async fn asset_facets(&self, filter: &AssetFilter) -> Result<AssetFacets, StoreError>;
    /// A CI's timeline, in order.
    async fn asset_events(&self, id: AssetId) -> Result<Vec<AssetEventRecord>, StoreError>;
    /// Every relation with one of `ids` at either end (any number; looked up in chunks).
    async fn relations_touching(&self, ids: &[AssetId]) -> Result<Vec<RelationRecord>, StoreError>;
    /// Every relation starting at one of `ids` (any number; looked up in chunks): half the rows
    /// of [`Self::relations_touching`] when both ends are among them.
    async fn relations_from(&self, ids: &[AssetId]) -> Result<Vec<RelationRecord>, StoreError>;
    /// The location tree of a park, by code.
    async fn locations(&self, park: ParkId) -> Result<Vec<LocationRecord>, StoreError>;
    /// The class extensions stored for a park.
    async fn asset_classes(&self, park: ParkId) -> Result<Vec<AssetClassRecord>, StoreError>;
    /// The spare parts of a park, by code.
    async fn spare_parts(&self, park: ParkId) -> Result<Vec<SparePartRecord>, StoreError>;
    /// One spare part.
    async fn spare_part(&self, id: SparePartId) -> Result<Option<SparePartRecord>, StoreError>;
    /// A part's stock movements, in order.
    async fn stock_movements(&self, id: SparePartId) -> Result<Vec<StockMovementRecord>, StoreError>;
}

/// Asset writes (inside a [`super::Tx`], so each comes with its audit record).
#[async_trait]
pub trait AssetWrites: Send {
    /// Adds a CI.
    async fn insert_asset(&mut self, a: &AssetRecord) -> Result<(), StoreError>;
    /// Replaces a CI's mutable fields (everything but id, park, created by and at).
    async fn update_asset(&mut self, a: &AssetRecord) -> Result<(), StoreError>;
    /// Adds or replaces many CIs (by id) with multi-row statements: the import path.
    async fn put_assets(&mut self, batch: &[AssetRecord]) -> Result<(), StoreError>;
    /// Writes many changed CIs, given as (before, after), with multi-row statements that set only
    /// the fields each changes (by id, in their park): the import's changed rows. The befores are
    /// borrowed (the import's read of the register holds them). A CI that is not there fails
    /// with [`StoreError::NotFound`].
    async fn update_assets(&mut self, changes: &[(&AssetRecord, AssetRecord)]) -> Result<(), StoreError>;
    /// Adds many new CIs with multi-row statements, without the conflict handling of
    /// [`Self::put_assets`] (a taken id or code fails the transaction): the import's new rows.
    async fn insert_assets(&mut self, batch: &[AssetRecord]) -> Result<(), StoreError>;
    /// Appends to a CI's timeline; returns the seq given.
    async fn append_asset_event(&mut self, e: &AssetEventRecord) -> Result<i64, StoreError>;
    /// Appends one entry to each of many timelines with multi-row statements; at most one
    /// entry per CI in a batch.
    async fn append_asset_events(&mut self, batch: &[AssetEventRecord]) -> Result<(), StoreError>;
    /// Before a bulk write of the register (an import of many rows) that writes `cis` CIs, and
    /// before any other statement of the transaction: lets the store check the references of
    /// the rows it is about to write — CIs to their park and locations, relations and timeline
    /// entries to their CIs; on SQLite every key, organisations and owners too — once per table
    /// just before the commit instead of once per row (PostgreSQL also builds the register's secondary indexes once
    /// there instead of adding to them row by row). A dangling reference still fails the
    /// commit, naming the key, and nothing is written. Returns whether the store does so:
    /// `false` where `cis` is too small a share of the register for whole-table work at the
    /// commit to pay, or where the tables could not be had for the transaction; then every row
    /// is checked and indexed as usual. While deferred on PostgreSQL, the register's tables
    /// (and the parks') are the transaction's alone until it ends; SQLite's readers go on
    /// reading the last commit (ADR 0015, ADR 0016, ADR 0017). `relations` tells whether the
    /// write adds relations: when it does not, PostgreSQL leaves their table's index and keys as
    /// they are (a relation written anyway is then checked and indexed row by row).
    async fn defer_register_upkeep(&mut self, cis: usize, relations: bool) -> Result<bool, StoreError>;
    /// Adds relations, skipping those already present; returns how many were added.
    async fn insert_relations(&mut self, batch: &[RelationRecord]) -> Result<u64, StoreError>;
    /// Adds relations known to be new (the import's): one already present fails the
    /// transaction instead of being skipped; returns how many were added.
    async fn append_relations(&mut self, batch: &[RelationRecord]) -> Result<u64, StoreError>;
    /// Removes a relation ([`StoreError::NotFound`] if absent).
    async fn delete_relation(&mut self, from: AssetId, to: AssetId, kind: RelationKind) -> Result<(), StoreError>;
    /// Adds or replaces a location node (by id).
    async fn put_location(&mut self, l: &LocationRecord) -> Result<(), StoreError>;
    /// Adds or replaces a class extension (by park and code).
    async fn put_asset_class(&mut self, c: &AssetClassRecord) -> Result<(), StoreError>;
    /// Adds a spare part.
    async fn insert_spare_part(&mut self, p: &SparePartRecord) -> Result<(), StoreError>;
    /// Replaces a part's code, name, class, unit and minimum (not its stock).
    async fn update_spare_part(&mut self, p: &SparePartRecord) -> Result<(), StoreError>;
    /// Moves the part's stock by `m.delta` and appends the movement (its `seq` and
    /// `stock_after` are filled in by the store); returns the stock after.
    /// [`StoreError::Conflict`] (`spare_part_stock`) when the stock would go negative,
    /// [`StoreError::NotFound`] for an unknown part.
    async fn move_stock(&mut self, m: &StockMovementRecord) -> Result<i64, StoreError>;
}
