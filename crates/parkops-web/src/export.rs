//! Table exports shared by every list: CSV (UTF-8 with BOM so spreadsheet programs read the
//! Chinese text, each field quoted, formula-like text defused) and XLSX (strings stay strings).

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// One CSV field, escaped the same way as the audit export: the app's rule.
pub use parkops_app::audit::csv_field;

/// A whole CSV document with a header row, BOM first, CRLF line ends (RFC 4180).
#[must_use]
pub fn csv(header: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::from('\u{feff}');
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        out.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// An XLSX workbook of one sheet: bold frozen header, every cell written as text (a cell
/// starting with `=` stays text, so no formula injection).
///
/// # Errors
/// When the writer fails (it works in memory, so only on a bug).
pub fn xlsx(sheet: &str, header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet)?;
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, col, h, &bold)?;
        let widest = rows.iter().filter_map(|r| r.get(c)).map(|v| v.chars().count()).max().unwrap_or(0);
        let width = widest.max(h.chars().count() * 2).clamp(6, 48);
        ws.set_column_width(col, f64::from(u32::try_from(width).unwrap_or(48)) * 1.2)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r, u16::try_from(c).unwrap_or(u16::MAX), v)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}

/// A download response.
#[must_use]
pub fn download(content_type: &'static str, filename: &str, body: Vec<u8>) -> Response {
    let ascii: String =
        filename.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"");
    let mut r = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=SUM(A1)"), "\"'=SUM(A1)\"");
        assert_eq!(csv_field("-1+2"), "\"'-1+2\"");
        assert_eq!(csv_field("张三"), "\"张三\"");
        let doc = csv(&["编号".into()], &[vec!["@x".into()]]);
        assert_eq!(doc, "\u{feff}\"编号\"\r\n\"'@x\"\r\n");
    }

    #[test]
    fn workbooks_are_zip_files() {
        let bytes = xlsx("工单", &["编号".into(), "标题".into()], &[vec!["JB1".into(), "=1+1".into()]]).expect("xlsx");
        assert!(bytes.starts_with(b"PK"));
    }
}
