//! Reading import files into an [`AssetSheet`]: XLSX workbooks (through `calamine`) and CSV
//! files (UTF-8 with or without a byte-order mark, or GB18030 as Chinese spreadsheet programs
//! save them; quoted fields with commas, quotes and line breaks). Rows keep the numbers a
//! spreadsheet program shows, so the import report names the row a person can find.
//!
//! A workbook holds one CI sheet and at most one relation sheet (headers `from`, `kind`, `to`
//! or 源编码/关系/目标编码); sheets without data rows and instruction sheets (named 说明 or
//! Instructions) are skipped. Bytes come
//! from the caller: nothing here touches files.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::{AssetSheet, SheetRow};
use crate::{AppError, FieldError};

/// The file types an import takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    /// Office Open XML workbook (`.xlsx`).
    Xlsx,
    /// Comma- (or tab-) separated text.
    Csv,
}

impl SheetFormat {
    /// The format of an upload from its first bytes (an XLSX file is a ZIP archive), else its
    /// declared content type or file name. None for anything else.
    #[must_use]
    pub fn detect(name: &str, content_type: &str, bytes: &[u8]) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        let ct = content_type.trim().to_ascii_lowercase();
        if bytes.starts_with(b"PK\x03\x04") {
            return Some(Self::Xlsx);
        }
        if ct.contains("spreadsheetml") || name.ends_with(".xlsx") {
            // Declared a workbook but not a ZIP archive: the reader will say it is unreadable.
            return Some(Self::Xlsx);
        }
        if ct.starts_with("text/csv")
            || ct.starts_with("text/plain")
            || ct.starts_with("text/tab-separated-values")
            || ct == "application/csv"
            || name.ends_with(".csv")
            || name.ends_with(".txt")
            || name.ends_with(".tsv")
        {
            return Some(Self::Csv);
        }
        None
    }
}

/// Most data rows an import file may hold (CIs and relations together).
pub const MAX_ROWS: usize = 200_000;

/// Header names that mark a relation sheet (with a `to` header as well).
const FROM_HEADERS: [&str; 4] = ["from", "源编码", "起点编码", "起点"];
const TO_HEADERS: [&str; 4] = ["to", "目标编码", "终点编码", "终点"];

/// Sheets that explain the columns (as in the template) and are not imported.
fn is_instructions(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    n.starts_with("说明") || n.starts_with("填写说明") || n.starts_with("instructions") || n.starts_with("readme")
}

fn file_error(key: &'static str) -> AppError {
    AppError::Invalid(vec![FieldError::new("file", key)])
}

/// Reads an import file.
///
/// # Errors
/// [`AppError::Invalid`]: `file` with `err-import-file` (unreadable), `err-import-empty` (no
/// data rows), `err-import-too-many` (more than [`MAX_ROWS`]) or `err-import-sheets` (more than
/// one CI sheet); or `import` lines naming sheet, row and column for a repeated header, a
/// value without a header, or a formula error in a cell.
pub fn read_sheet(bytes: &[u8], format: SheetFormat) -> Result<AssetSheet, AppError> {
    let tables = match format {
        SheetFormat::Xlsx => read_xlsx(bytes)?,
        SheetFormat::Csv => vec![read_csv(bytes)],
    };
    let mut sheet = AssetSheet::default();
    let mut problems = Vec::new();
    let mut asset_sheets = 0;
    for t in tables {
        if is_instructions(&t.name) {
            continue;
        }
        let Some(header_at) = t.rows.iter().position(|r| r.cells.iter().any(|c| !c.text.trim().is_empty())) else {
            continue;
        };
        let headers: Vec<String> = t.rows[header_at].cells.iter().map(|c| c.text.trim().to_owned()).collect();
        let is_relations = headers.iter().any(|h| FROM_HEADERS.iter().any(|n| n.eq_ignore_ascii_case(h)))
            && headers.iter().any(|h| TO_HEADERS.iter().any(|n| n.eq_ignore_ascii_case(h)));
        let kind: &'static str = if is_relations { "relations" } else { "assets" };
        let rows = rows_of(&t, header_at, &headers, kind, &mut problems);
        if rows.is_empty() {
            continue;
        }
        if is_relations {
            if !sheet.relations.is_empty() {
                return Err(AppError::Invalid(vec![
                    FieldError::new("file", "err-import-sheets").arg("sheet", &t.name),
                ]));
            }
            sheet.relations = rows;
        } else {
            asset_sheets += 1;
            if asset_sheets > 1 {
                return Err(AppError::Invalid(vec![
                    FieldError::new("file", "err-import-sheets").arg("sheet", &t.name),
                ]));
            }
            sheet.assets = rows;
        }
        if sheet.assets.len() + sheet.relations.len() > MAX_ROWS {
            return Err(AppError::Invalid(vec![FieldError::new("file", "err-import-too-many").arg("max", MAX_ROWS)]));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    if sheet.assets.is_empty() && sheet.relations.is_empty() {
        return Err(file_error("err-import-empty"));
    }
    Ok(sheet)
}

/// A cell as read, with whether it holds a formula error.
#[derive(Debug, Clone, Default)]
struct Cell {
    text: String,
    is_error: bool,
}

/// One row of a table with the number a spreadsheet program shows.
#[derive(Debug, Clone, Default)]
struct RawRow {
    number: usize,
    cells: Vec<Cell>,
}

/// A table of one sheet or file.
#[derive(Debug, Clone, Default)]
struct Table {
    name: String,
    rows: Vec<RawRow>,
}

/// The spreadsheet column letter of a zero-based index: 0 → A, 26 → AA.
fn column_letter(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + u8::try_from(index % 26).unwrap_or(0));
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn rows_of(
    t: &Table,
    header_at: usize,
    headers: &[String],
    kind: &'static str,
    problems: &mut Vec<FieldError>,
) -> Vec<SheetRow> {
    let line = |row: usize, column: String, key: &'static str| {
        FieldError::new("import", key).arg("sheet", kind).arg("row", row).arg("column", column)
    };
    let header_row = t.rows[header_at].number;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if seen.insert(h.as_str(), i).is_some() {
            problems.push(line(header_row, h.clone(), "err-import-header-duplicate"));
        }
    }
    let mut out = Vec::new();
    for r in &t.rows[header_at + 1..] {
        if r.cells.iter().all(|c| c.text.trim().is_empty() && !c.is_error) {
            continue;
        }
        let mut cells = BTreeMap::new();
        for (i, c) in r.cells.iter().enumerate() {
            let header = headers.get(i).map_or("", String::as_str);
            if header.is_empty() {
                if !c.text.trim().is_empty() {
                    problems.push(line(r.number, column_letter(i), "err-import-no-header"));
                }
                continue;
            }
            if c.is_error {
                problems.push(line(r.number, header.to_owned(), "err-import-cell"));
                continue;
            }
            cells.insert(header.to_owned(), c.text.clone());
        }
        // Headers beyond the row's last cell are present and blank, as in the spreadsheet.
        for h in headers.iter().filter(|h| !h.is_empty()) {
            cells.entry(h.clone()).or_default();
        }
        out.push(SheetRow { row: r.number, cells });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------------------------

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Table>, AppError> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| file_error("err-import-file"))?;
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(|_| file_error("err-import-file"))?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let pad = usize::try_from(first_col).unwrap_or(0);
        let rows = range
            .rows()
            .enumerate()
            .map(|(i, cells)| RawRow {
                number: usize::try_from(first_row).unwrap_or(0) + i + 1,
                cells: std::iter::repeat_with(Cell::default).take(pad).chain(cells.iter().map(cell_text)).collect(),
            })
            .collect();
        out.push(Table { name, rows });
    }
    Ok(out)
}

/// The text of a cell as a person reads it: whole numbers without `.0`, dates as
/// `YYYY-MM-DD`, booleans as `true`/`false`.
fn cell_text(d: &Data) -> Cell {
    let text = match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            let (y, m, day, h, min, s, _) = dt.to_ymd_hms_milli();
            if dt.is_duration() {
                number_text(dt.as_f64())
            } else if (h, min, s) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{day:02}")
            } else {
                format!("{y:04}-{m:02}-{day:02} {h:02}:{min:02}:{s:02}")
            }
        }
        Data::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).to_owned(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(_) => return Cell { text: String::new(), is_error: true },
    };
    Cell { text, is_error: false }
}

#[allow(clippy::cast_possible_truncation, reason = "only whole numbers well inside i64 are cast")]
fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/// Decodes the bytes: UTF-8 (a BOM is dropped), else GB18030.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// Undoes the defusing of our own CSV export (`'=…`, `'-…`), so an export imports back
/// unchanged; anything else is kept as written.
fn undefuse(field: String) -> String {
    match field.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_owned(),
        _ => field,
    }
}

fn read_csv(bytes: &[u8]) -> Table {
    let text = decode(bytes);
    let first_line = text.lines().next().unwrap_or_default();
    let separator = if !first_line.contains(',') && first_line.contains('\t') { '\t' } else { ',' };
    let mut rows = Vec::new();
    let mut row: Vec<Cell> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut at_start = true;
    // Records are numbered as a spreadsheet program shows them: a quoted line break stays
    // inside its row.
    let mut record = 1;
    let mut chars = text.chars().peekable();
    let push_field = |row: &mut Vec<Cell>, field: &mut String| {
        row.push(Cell { text: undefuse(std::mem::take(field)), is_error: false });
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            c if c == separator => {
                push_field(&mut row, &mut field);
                at_start = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                push_field(&mut row, &mut field);
                rows.push(RawRow { number: record, cells: std::mem::take(&mut row) });
                record += 1;
                at_start = true;
            }
            other => {
                field.push(other);
                at_start = false;
            }
        }
    }
    if !field.is_empty() || !row.is_empty() || quoted {
        push_field(&mut row, &mut field);
        rows.push(RawRow { number: record, cells: row });
    }
    Table { name: "csv".to_owned(), rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(e: AppError) -> Vec<(String, Vec<(&'static str, String)>)> {
        let AppError::Invalid(f) = e else { panic!("expected invalid, got {e:?}") };
        f.into_iter().map(|x| (x.key, x.args)).collect()
    }

    #[test]
    fn csv_with_bom_quotes_and_line_breaks_reads_with_spreadsheet_row_numbers() {
        let csv =
            "\u{feff}编码,名称,备注\r\nJB-1,\"网关, 一号\",\"第一行\n第二行\"\r\n\r\nJB-2,\"引号\"\"内\"\"\",'=1+1\r\n";
        let s = read_sheet(csv.as_bytes(), SheetFormat::Csv).expect("read");
        assert_eq!(s.assets.len(), 2);
        assert_eq!(s.assets[0].row, 2);
        assert_eq!(s.assets[0].cells["编码"], "JB-1");
        assert_eq!(s.assets[0].cells["名称"], "网关, 一号");
        assert_eq!(s.assets[0].cells["备注"], "第一行\n第二行");
        // A quoted line break stays in its row and a blank line is a row, as a spreadsheet shows.
        assert_eq!(s.assets[1].row, 4);
        assert_eq!(s.assets[1].cells["名称"], "引号\"内\"");
        assert_eq!(s.assets[1].cells["备注"], "=1+1", "our export's defusing is undone");
    }

    #[test]
    fn gb18030_and_tabs_are_understood() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("编码\t名称\nJB-1\t网关\n");
        let s = read_sheet(&bytes, SheetFormat::Csv).expect("read");
        assert_eq!(s.assets[0].cells["名称"], "网关");
    }

    #[test]
    fn a_relation_csv_is_recognised_by_its_headers() {
        let s = read_sheet(b"from,kind,to\nA,connected_to,B\n", SheetFormat::Csv).expect("read");
        assert!(s.assets.is_empty());
        assert_eq!(s.relations[0].cells["kind"], "connected_to");
    }

    #[test]
    fn values_without_a_header_and_repeated_headers_are_named() {
        let e = read_sheet(b"code,name,code\nA,B,C,D\n", SheetFormat::Csv).expect_err("refused");
        let p = problems(e);
        assert_eq!(p[0].0, "err-import-header-duplicate");
        assert_eq!(p[1].0, "err-import-no-header");
        assert!(p[1].1.contains(&("column", "D".to_owned())), "{p:?}");
        assert!(p[1].1.contains(&("row", "2".to_owned())));
    }

    #[test]
    fn empty_and_unreadable_files_are_refused() {
        assert_eq!(problems(read_sheet(b"code,name\n", SheetFormat::Csv).expect_err("empty"))[0].0, "err-import-empty");
        assert_eq!(
            problems(read_sheet(b"PK\x03\x04junk", SheetFormat::Xlsx).expect_err("bad"))[0].0,
            "err-import-file"
        );
    }

    #[test]
    fn formats_are_detected_from_content_then_type_then_name() {
        assert_eq!(SheetFormat::detect("x.csv", "", b"PK\x03\x04"), Some(SheetFormat::Xlsx));
        assert_eq!(SheetFormat::detect("", "text/csv", b"a,b"), Some(SheetFormat::Csv));
        assert_eq!(SheetFormat::detect("台账.CSV", "application/octet-stream", b"a,b"), Some(SheetFormat::Csv));
        assert_eq!(SheetFormat::detect("x.pdf", "application/pdf", b"%PDF"), None);
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }
}
