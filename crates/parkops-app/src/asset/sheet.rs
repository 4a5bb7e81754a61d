//! Import and export of whole sheets: the CI sheet (one column per fixed field and per
//! attribute, codes or Chinese headers) and the relation sheet (from, kind, to, note).
//! An import is validated completely before anything is written and reports every problem
//! by sheet, row and column.

use std::collections::{BTreeMap, BTreeSet};

use parkops_domain::access::Capability;
use parkops_domain::asset::{AssetId, RelationKind};
use parkops_domain::audit::Outcome;
use parkops_domain::time::Timestamp;
use serde_json::{Value, json};

use super::{
    AssetQuery, AssetRegister, AssetStorage, AssetTx, Column, Lookup, NOTE_MAX, Problem, RowInput, build, can_on,
    changes, timeline,
};
use crate::ports::PageRequest;
use crate::ports::asset::{AssetRecord, AssetWrites, RelationRecord};
use crate::{AppError, Caller, FieldError};

/// One row of a sheet: its number as the spreadsheet shows it, and its cells by header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetRow {
    /// Row number in the sheet (the header is row 1).
    pub row: usize,
    /// Cell text by column header.
    pub cells: BTreeMap<String, String>,
}

/// A workbook to import: the CIs, and optionally the relations (from code, kind, to code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetSheet {
    /// CI rows.
    pub assets: Vec<SheetRow>,
    /// Relation rows.
    pub relations: Vec<SheetRow>,
}

/// A table as exported: headers and rows of text (the web layer writes CSV or XLSX).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sheet {
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

/// Where a long import stands, for the CLI's progress bar and the page's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// Stage.
    pub stage: ImportStage,
    /// Rows done in this stage.
    pub done: usize,
    /// Rows in this stage.
    pub total: usize,
}

/// A stage of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStage {
    /// Checking every row; nothing written yet.
    Validating,
    /// Writing (one transaction).
    Writing,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// CIs created.
    pub created: usize,
    /// CIs changed.
    pub updated: usize,
    /// CIs in the sheet that were already as given.
    pub unchanged: usize,
    /// Relations added.
    pub relations_added: usize,
    /// Relations in the sheet that already existed.
    pub relations_unchanged: usize,
}

/// Column headers of a CI sheet (codes; the Chinese headers of [`column_of`](super::column_of) are
/// accepted too).
pub const ASSET_COLUMNS: [&str; 11] = [
    "code",
    "name",
    "class",
    "state",
    "location",
    "enterprise",
    "maintainer",
    "owner",
    "criticality",
    "domain",
    "holds_sensitive_data",
];

/// Column headers of a relation sheet.
pub const RELATION_COLUMNS: [&str; 4] = ["from", "kind", "to", "note"];

/// Most problems reported for one import (the rest are counted).
const MAX_PROBLEMS: usize = 1000;
/// Rows written per progress report.
const WRITE_CHUNK: usize = 5000;
/// Rows written (CIs, timeline entries and relations) from which an import asks the store to
/// check references and build indexes once per table instead of once per row
/// ([`crate::ports::asset::AssetWrites::defer_register_upkeep`]): below it the register's tables
/// stay open to readers while it writes.
const DEFER_CHECKS_FROM: usize = 10_000;

impl<S: AssetStorage + ?Sized> AssetRegister<'_, S> {
    /// Imports a workbook of CIs (and relations). Every row is checked first — class,
    /// attributes on the class schema, location, organisations, owner, duplicates, scope —
    /// and any problem is reported by sheet, row and column with nothing written. A row
    /// whose code exists updates that CI (columns absent from the sheet keep their values;
    /// the state is never changed by a sheet); a row that changes nothing writes nothing,
    /// and a sheet that changes nothing writes nothing at all. Relations are added, never
    /// removed. Everything is written in one transaction with one audit record.
    ///
    /// # Errors
    /// [`AppError::Invalid`] with one `import` field error per problem (arguments `sheet`,
    /// `row`, `column`, and per message `attribute`, `allowed`, `max`, `first_row`).
    pub async fn import(
        &self,
        caller: &Caller,
        sheet: &AssetSheet,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<ImportSummary, AppError> {
        self.run_import(caller, sheet, progress, true).await
    }

    /// Checks a workbook exactly as [`Self::import`] does and tells what it would create,
    /// update and leave unchanged, writing nothing (a dry run).
    ///
    /// # Errors
    /// As [`Self::import`].
    pub async fn check_import(
        &self,
        caller: &Caller,
        sheet: &AssetSheet,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<ImportSummary, AppError> {
        self.run_import(caller, sheet, progress, false).await
    }

    #[allow(clippy::too_many_lines, reason = "validation of both sheets, then one write")]
    async fn run_import(
        &self,
        caller: &Caller,
        sheet: &AssetSheet,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
        write: bool,
    ) -> Result<ImportSummary, AppError> {
        let p = caller.require_any(Capability::AssetManage)?.clone();
        let mut lk = self.lookup(p.park_id).await?;
        let rows: Vec<RowInput> = on_every_core(&sheet.assets, |r| RowInput::from_cells(&r.cells));
        self.load_users(&mut lk, rows.iter().filter_map(|r| r.get(Column::Owner))).await?;
        let codes: Vec<String> =
            rows.iter().filter_map(|r| r.get(Column::Code)).filter(|c| !c.is_empty()).map(str::to_owned).collect();
        let existing: BTreeMap<String, AssetRecord> =
            self.store.assets_by_codes(p.park_id, &codes).await?.into_iter().map(|a| (a.code.clone(), a)).collect();
        let now = self.app.clock.now();
        let total = rows.len() + sheet.relations.len();
        let mut report = Report::default();
        let mut summary = ImportSummary::default();
        let mut first_row: BTreeMap<&str, usize> = BTreeMap::new();
        let mut created = Vec::new();
        // Each changed CI with its record as read (borrowed: cloning 100,000 records with their
        // attributes took a fifth of the validation, docs/benchmarks.md figure 7).
        let mut updated: Vec<(&AssetRecord, AssetRecord)> = Vec::new();
        let mut in_sheet: BTreeMap<String, AssetId> = BTreeMap::new();
        // Each row's CI is built on its own (rows depend on one another only through the
        // duplicate and scope checks below), on every core: 20 µs a row on one.
        let classes: Vec<String> = lk.classes.iter().map(|c| c.code.clone()).collect();
        lk.prepare_schemas(classes.iter().map(String::as_str));
        let built = build_all(&lk, &rows, &existing, &p.username, now);
        for (i, ((src, row), built)) in sheet.assets.iter().zip(&rows).zip(built).enumerate() {
            if i % 1000 == 0 {
                progress(ImportProgress { stage: ImportStage::Validating, done: i, total });
            }
            let code = row.get(Column::Code).unwrap_or_default();
            if !code.is_empty() {
                if let Some(first) = first_row.get(code) {
                    report.push(
                        row.problem(Column::Code, "err-import-duplicate").arg("first_row", first),
                        "assets",
                        src.row,
                    );
                    continue;
                }
                first_row.insert(code, src.row);
            }
            let old = existing.get(code);
            if old.is_some_and(|o| !can_on(&p, Capability::AssetManage, o)) {
                report.push(row.problem(Column::Code, "err-import-scope"), "assets", src.row);
                continue;
            }
            // Known before the row is checked, so relations to a row with problems do not
            // add problems of their own.
            let id = old.map_or_else(|| AssetId::from_uuid(uuid::Uuid::now_v7()), |o| o.id);
            if !code.is_empty() {
                in_sheet.insert(code.to_owned(), id);
            }
            match built {
                Err(problems) => {
                    for x in problems {
                        report.push(x, "assets", src.row);
                    }
                }
                Ok(mut a) => {
                    a.id = id;
                    if !can_on(&p, Capability::AssetManage, &a) {
                        report.push(row.problem(Column::Enterprise, "err-import-scope"), "assets", src.row);
                        continue;
                    }
                    match old {
                        None => created.push(a),
                        Some(o) if *o == a => summary.unchanged += 1,
                        Some(o) => {
                            a.updated_at = now;
                            updated.push((o, a));
                        }
                    }
                }
            }
        }
        // Relations: ends named in the sheet, or CIs already in the register.
        let rel_rows: Vec<RelationRow> = sheet.relations.iter().map(RelationRow::from_row).collect();
        let outside: Vec<String> = rel_rows
            .iter()
            .flat_map(|r| [r.from.1.clone(), r.to.1.clone()])
            .filter(|c| !c.is_empty() && !in_sheet.contains_key(c) && !existing.contains_key(c))
            .collect();
        let extra: BTreeMap<String, AssetRecord> =
            self.store.assets_by_codes(p.park_id, &outside).await?.into_iter().map(|a| (a.code.clone(), a)).collect();
        let mut relations: BTreeMap<(AssetId, RelationKind, AssetId), RelationRecord> = BTreeMap::new();
        for (i, (src, r)) in sheet.relations.iter().zip(&rel_rows).enumerate() {
            if i % 1000 == 0 {
                progress(ImportProgress { stage: ImportStage::Validating, done: rows.len() + i, total });
            }
            let end = |(header, code): &(String, String), cap: Capability| -> Result<AssetId, Problem> {
                let missing = Problem {
                    column: None,
                    name: header.clone(),
                    key: "err-import-relation-code",
                    args: vec![("code", code.clone())],
                };
                if let Some(id) = in_sheet.get(code) {
                    return Ok(*id);
                }
                match existing.get(code).or_else(|| extra.get(code)) {
                    Some(a) if can_on(&p, cap, a) => Ok(a.id),
                    Some(_) => Err(Problem { key: "err-import-scope", ..missing }),
                    None => Err(missing),
                }
            };
            let from = end(&r.from, Capability::AssetManage);
            let to = end(&r.to, Capability::AssetView);
            let kind = RelationKind::parse(&r.kind.1).ok_or_else(|| Problem {
                column: None,
                name: r.kind.0.clone(),
                key: "err-asset-relation-kind",
                args: Vec::new(),
            });
            let mut row_problems = Vec::new();
            if r.note.1.chars().count() > NOTE_MAX {
                row_problems.push(Problem {
                    column: None,
                    name: r.note.0.clone(),
                    key: "err-too-long",
                    args: vec![("max", NOTE_MAX.to_string())],
                });
            }
            match (from, kind, to) {
                (Ok(f), Ok(_), Ok(t)) if f == t => row_problems.push(Problem {
                    column: None,
                    name: r.to.0.clone(),
                    key: "err-asset-relation-self",
                    args: Vec::new(),
                }),
                (Ok(f), Ok(k), Ok(t)) => {
                    relations.entry((f, k, t)).or_insert_with(|| RelationRecord {
                        park_id: p.park_id,
                        from_id: f,
                        to_id: t,
                        kind: k,
                        note: r.note.1.clone(),
                        created_by: p.username.clone(),
                        created_at: now,
                    });
                }
                (f, k, t) => row_problems.extend([f.err(), k.err(), t.err()].into_iter().flatten()),
            }
            for x in row_problems {
                report.push(x, "relations", src.row);
            }
        }
        if !report.is_empty() {
            return Err(AppError::Invalid(report.into_errors()));
        }
        // Relations already present (only CIs that existed before can have any).
        let old_ids: BTreeSet<AssetId> = existing.values().chain(extra.values()).map(|a| a.id).collect();
        let before: Vec<AssetId> = relations.keys().map(|(f, _, _)| *f).filter(|f| old_ids.contains(f)).collect();
        let present: BTreeSet<(AssetId, RelationKind, AssetId)> = if before.is_empty() {
            BTreeSet::new()
        } else {
            self.store.relations_from(&before).await?.into_iter().map(|r| (r.from_id, r.kind, r.to_id)).collect()
        };
        // Checked: what follows writes.
        progress(ImportProgress { stage: ImportStage::Validating, done: total, total });
        let named = relations.len();
        let new_relations: Vec<RelationRecord> =
            relations.into_iter().filter(|(k, _)| !present.contains(k)).map(|(_, r)| r).collect();
        summary.relations_unchanged = named - new_relations.len();
        summary.created = created.len();
        summary.updated = updated.len();
        summary.relations_added = new_relations.len();
        if !write || (created.is_empty() && updated.is_empty() && new_relations.is_empty()) {
            return Ok(summary);
        }
        let mut events = Vec::with_capacity(created.len() + updated.len());
        for a in &created {
            let mut e = timeline(a, caller, "created", "", json!({ "source": "import" }), now);
            e.to_state = a.state.code().to_owned();
            // A new CI's timeline starts at 1 (no need to look up its last entry).
            e.seq = 1;
            events.push(e);
        }
        // What each changed CI changed, on every core (its fields compared and shown as text).
        events.extend(on_every_core(&updated, |(old, new)| {
            let data = json!({ "source": "import", "changes": Value::Object(changes(old, new)) });
            timeline(new, caller, "updated", "", data, now)
        }));
        let writes = created.len() + updated.len() + events.len() + new_relations.len();
        let mut done = 0;
        let mut tx = self.store.begin_assets().await?;
        if writes >= DEFER_CHECKS_FROM {
            let deferred = tx.defer_register_upkeep(created.len() + updated.len(), !new_relations.is_empty()).await?;
            tracing::info!(
                writes,
                deferred,
                "importing in bulk: references checked and indexes built once per table when deferred"
            );
        }
        // After each chunk written: how far the import has come.
        let mut advance = |n: usize| {
            done += n;
            progress(ImportProgress { stage: ImportStage::Writing, done, total: writes });
        };
        for chunk in created.chunks(WRITE_CHUNK) {
            tx.insert_assets(chunk).await?;
            advance(chunk.len());
        }
        for chunk in updated.chunks(WRITE_CHUNK) {
            tx.update_assets(chunk).await?;
            advance(chunk.len());
        }
        for chunk in events.chunks(WRITE_CHUNK) {
            tx.append_asset_events(chunk).await?;
            advance(chunk.len());
        }
        for chunk in new_relations.chunks(WRITE_CHUNK) {
            tx.append_relations(chunk).await?;
            advance(chunk.len());
        }
        let detail = json!({
            "created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged,
            "relations_added": summary.relations_added, "relations_unchanged": summary.relations_unchanged,
        });
        tx.record(caller.entry("asset.import", "asset", "", Outcome::Success, detail.to_string()), now).await?;
        tx.finish().await?;
        Ok(summary)
    }

    /// The CIs matching a query as a workbook that [`Self::import`] takes back unchanged:
    /// codes for classes, states, locations, organisations and owners, one column per
    /// attribute of the classes present; and their relations (those starting at them).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a malformed filter value.
    pub async fn export(&self, caller: &Caller, query: &AssetQuery) -> Result<Workbook, AppError> {
        let p = caller.require_any(Capability::AssetView)?.clone();
        let filter = Self::filter(&p, query)?;
        let mut lk = self.lookup(p.park_id).await?;
        let mut assets = Vec::new();
        for page in 1.. {
            let got = self.store.assets(&filter, PageRequest { page, per_page: 1000 }).await?;
            let n = got.items.len();
            assets.extend(got.items);
            if n < 1000 || assets.len() >= 200_000 {
                break;
            }
        }
        let present: BTreeSet<&str> = assets.iter().map(|a| a.class.as_str()).collect();
        let mut attribute_columns: Vec<String> = Vec::new();
        for class in &present {
            for d in lk.schema(class).iter().flat_map(|s| s.iter()) {
                if !attribute_columns.contains(&d.code) {
                    attribute_columns.push(d.code.clone());
                }
            }
        }
        self.load_usernames(&mut lk, assets.iter().filter_map(|a| a.owner_user_id)).await?;
        let mut columns: Vec<String> = ASSET_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
        columns.extend(attribute_columns.iter().cloned());
        let rows: Vec<Vec<String>> = assets
            .iter()
            .map(|a| {
                let mut row = vec![
                    a.code.clone(),
                    a.name.clone(),
                    a.class.clone(),
                    a.state.code().to_owned(),
                    lk.location_code(&a.location),
                    lk.org_code(a.enterprise_org_id),
                    lk.org_code(a.maintainer_org_id),
                    a.owner_user_id.and_then(|u| lk.usernames.get(&u).cloned()).unwrap_or_default(),
                    a.criticality.code().to_owned(),
                    a.domain.code().to_owned(),
                    a.holds_sensitive_data.to_string(),
                ];
                row.extend(attribute_columns.iter().map(|c| a.attributes.get(c).cloned().unwrap_or_default()));
                row
            })
            .collect();
        let ids: Vec<AssetId> = assets.iter().map(|a| a.id).collect();
        let codes: BTreeMap<AssetId, String> = assets.iter().map(|a| (a.id, a.code.clone())).collect();
        let relations = self.store.relations_from(&ids).await?;
        let mut far: BTreeMap<AssetId, String> = BTreeMap::new();
        let missing: Vec<AssetId> = relations.iter().map(|r| r.to_id).filter(|t| !codes.contains_key(t)).collect();
        for a in self.store.assets_by_ids(&missing).await? {
            far.insert(a.id, a.code);
        }
        let code_of = |id: &AssetId| codes.get(id).or_else(|| far.get(id)).cloned().unwrap_or_default();
        let mut relation_rows: Vec<Vec<String>> = relations
            .iter()
            .map(|r| vec![code_of(&r.from_id), r.kind.code().to_owned(), code_of(&r.to_id), r.note.clone()])
            .collect();
        relation_rows.sort();
        // An export hands the register out of the system: it leaves its record (R-8.1.2d).
        let mut tx = self.store.begin_assets().await?;
        let detail = json!({ "rows": rows.len(), "relations": relation_rows.len() });
        tx.record(
            caller.entry("asset.export", "asset", "", Outcome::Success, detail.to_string()),
            self.app.clock.now(),
        )
        .await?;
        tx.finish().await?;
        Ok(Workbook {
            assets: Sheet { columns, rows },
            relations: Sheet {
                columns: RELATION_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
                rows: relation_rows,
            },
        })
    }
}

/// An exported workbook: the CI sheet and the relation sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workbook {
    /// CIs.
    pub assets: Sheet,
    /// Relations.
    pub relations: Sheet,
}

impl Sheet {
    /// The rows as [`SheetRow`]s numbered as a spreadsheet shows them (the header is row 1).
    #[must_use]
    pub fn to_rows(&self) -> Vec<SheetRow> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| SheetRow { row: i + 2, cells: self.columns.iter().cloned().zip(r.iter().cloned()).collect() })
            .collect()
    }
}

impl Workbook {
    /// The workbook as an import takes it.
    #[must_use]
    pub fn to_sheet(&self) -> AssetSheet {
        AssetSheet { assets: self.assets.to_rows(), relations: self.relations.to_rows() }
    }
}

/// A relation row: (header, value) of from, kind, to and note.
struct RelationRow {
    from: (String, String),
    kind: (String, String),
    to: (String, String),
    note: (String, String),
}

impl RelationRow {
    fn from_row(r: &SheetRow) -> Self {
        let cell = |names: &[&str], default: &str| -> (String, String) {
            r.cells
                .iter()
                .find(|(h, _)| names.iter().any(|n| n.eq_ignore_ascii_case(h.trim())))
                .map_or_else(|| (default.to_owned(), String::new()), |(h, v)| (h.clone(), v.trim().to_owned()))
        };
        Self {
            from: cell(&["from", "源编码", "起点编码", "起点"], "from"),
            kind: cell(&["kind", "关系", "关系类型"], "kind"),
            to: cell(&["to", "目标编码", "终点编码", "终点"], "to"),
            note: cell(&["note", "备注"], "note"),
        }
    }
}

/// The problems of an import, capped.
#[derive(Default)]
struct Report {
    errors: Vec<FieldError>,
    more: usize,
}

impl Report {
    fn push(&mut self, p: Problem, sheet: &'static str, row: usize) {
        if self.errors.len() < MAX_PROBLEMS {
            self.errors.push(p.into_import(sheet, row));
        } else {
            self.more += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    fn into_errors(mut self) -> Vec<FieldError> {
        if self.more > 0 {
            self.errors.push(FieldError::new("import", "err-import-more").arg("count", self.more));
        }
        self.errors
    }
}

/// [`build`] for every row, split over the machine's cores; results in row order.
fn build_all(
    lk: &Lookup,
    rows: &[RowInput],
    existing: &BTreeMap<String, AssetRecord>,
    actor: &str,
    now: Timestamp,
) -> Vec<Result<AssetRecord, Vec<Problem>>> {
    on_every_core(rows, |row| build(lk, row, existing.get(row.get(Column::Code).unwrap_or_default()), actor, now))
}

/// `one` of each item, in order, on every core for large inputs (each item on its own).
fn on_every_core<T: Sync, R: Send>(items: &[T], one: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(8);
    if cores < 2 || items.len() < 2_000 {
        return items.iter().map(&one).collect();
    }
    let chunk = items.len().div_ceil(cores);
    let one = &one;
    std::thread::scope(|scope| {
        let parts: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>())).collect();
        // A worker only panics if `one` does, which it never should; that chunk is then done
        // again here, where a panic would surface as it would have without threads.
        let mut out = Vec::with_capacity(items.len());
        for (handle, part) in parts.into_iter().zip(items.chunks(chunk)) {
            match handle.join() {
                Ok(done) => out.extend(done),
                Err(_) => out.extend(part.iter().map(one)),
            }
        }
        out
    })
}
