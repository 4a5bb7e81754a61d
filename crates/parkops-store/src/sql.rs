//! A small SQL builder that numbers placeholders `$1, $2 …` — the form PostgreSQL takes through
//! sqlx `Any` (sqlx's own `QueryBuilder<Any>` writes `?`, which PostgreSQL refuses); SQLite is
//! sent bare `?` in the same order ([`Sql::build`]).

use parkops_app::StoreError;
use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments};

/// SQL text with its bound values. Only code in this crate adds text; values are always bound.
#[derive(Default)]
pub struct Sql {
    text: String,
    args: AnyArguments,
    /// Where each placeholder starts in `text`, in order (they are appended, never inserted).
    marks: Vec<usize>,
    /// Not kept as a prepared statement ([`Self::planned_each_time`]).
    once: bool,
}

impl std::fmt::Debug for Sql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sql").field("text", &self.text).field("args", &self.marks.len()).finish()
    }
}

impl Sql {
    /// Starts with fixed text.
    #[must_use]
    pub fn new(text: &'static str) -> Self {
        Self { text: text.to_owned(), ..Self::default() }
    }

    /// Appends fixed text.
    pub fn push(&mut self, text: &'static str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'static + Send + sqlx::Encode<'static, Any> + sqlx::Type<Any>,
    {
        self.marks.push(self.text.len());
        self.text.push('$');
        self.text.push_str(&self.marks.len().to_string());
        // Adding an argument to AnyArguments only fails for types Any cannot encode, which
        // the trait bound already excludes; an error here would surface as a query error.
        let _ = self.args.add(value);
        self
    }

    /// `SELECT <columns><rest>` for a fixed column list (the lists are constants of this crate).
    #[must_use]
    pub fn select(columns: &'static str, rest: &'static str) -> Self {
        let mut s = Self::new("SELECT ");
        s.push(columns).push(rest);
        s
    }

    /// Appends `values` as comma-separated placeholders (for `IN (…)`).
    pub fn bind_list(&mut self, values: impl IntoIterator<Item = String>) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self
    }

    /// Planned with its values each time it runs instead of kept as a prepared statement: after
    /// five runs PostgreSQL may plan a prepared statement once for any value, and a `LIKE`
    /// whose pattern matches every row then gets the plan of one that matches a few (the asset
    /// list's text search: 60 ms planned with its pattern, 166 ms with the generic plan).
    pub fn planned_each_time(&mut self) -> &mut Self {
        self.once = true;
        self
    }

    /// The query for `backend`, ready to run. SQLite gets each `$n` as a bare `?` (the values
    /// are bound in the same order): SQLite names a `$n` or `?n` placeholder, and looking a
    /// name up walks the statement's list of names, so binding a statement of n named values
    /// costs n² steps (sqlx asks each one's name) — at 176 values a statement, 3 % of an
    /// import's time was that walk alone (docs/benchmarks.md figure 7).
    pub fn build(self, backend: crate::Backend) -> sqlx::query::Query<'static, Any, AnyArguments> {
        let text = match backend {
            crate::Backend::Postgres => self.text,
            crate::Backend::Sqlite => self.anonymous(),
        };
        sqlx::query_with(sqlx::AssertSqlSafe(text), self.args).persistent(!self.once)
    }

    /// The text with each placeholder written as `?`.
    fn anonymous(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        let mut from = 0;
        for &at in &self.marks {
            out.push_str(&self.text[from..at]);
            out.push('?');
            from = at + 1 + self.text[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
        }
        out.push_str(&self.text[from..]);
        out
    }

    /// The SQL text, for tests and logs.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Bound parameters per multi-row statement on PostgreSQL (the register's bulk writes go as one
/// array per column there, [`ColumnArrays`]; this serves the others, such as a ticket's notifications).
/// Measured on the import of 100,000 CIs over the local socket before the JSON documents
/// (docs/benchmarks.md figure 7): 480 parameters 14.9 s, 2,400 11.1 s, 9,600 10.9 s. (Until sqlx 0.9.1 restored
/// `TCP_NODELAY`, statements over TLS had to stay within one TLS record — 480 parameters and
/// 12 KiB — or wait 40 ms each for a delayed ACK.)
pub(crate) const PARAMS_PER_STATEMENT: usize = 2_400;
/// Bound parameters per multi-row statement on SQLite: 8 CIs (of 22 values), 17 timeline
/// entries or 25 relations. Measured on the import of 100,000 CIs (docs/benchmarks.md figure
/// 7; 21 values a CI then): 84 parameters 11.97 s, 168 10.38 s, 480 11.3 s, 2,400 17.8 s —
/// larger statements cost more per row, most of it then the named placeholders of
/// [`Sql::build`]; with bare `?` placeholders 704 parameters still took 10.2–10.5 s against
/// 9.9–10.0 s for 176.
pub(crate) const SQLITE_PARAMS_PER_STATEMENT: usize = 176;
/// Bound parameters per multi-row statement on SQLite's bulk connection (ADR 0017): 96 CIs (of
/// 22 values), 211 timeline entries or 301 relations. With neither keys nor aborting constraints
/// SQLite keeps no statement journal, whose copies of every page a statement touches made larger
/// statements cost more per row above; what is left per statement is sqlx's hand-over to its
/// worker thread. Measured on the import of 100,000 CIs (docs/benchmarks.md figure 7, runs
/// alternating): 176 parameters 10.1–11.6 s, 704 8.4–10.9 s, 2,112 6.7–9.1 s, 8,448 7.2–8.7 s.
pub(crate) const SQLITE_BULK_PARAMS_PER_STATEMENT: usize = 2_112;

/// Rows per statement when PostgreSQL takes them as one array per column ([`ColumnArrays`]):
/// about 1 MB of CIs. Measured on the import of 100,000 CIs (docs/benchmarks.md figure 7).
pub(crate) const POSTGRES_BULK_ROWS: usize = 1_000;

/// Many rows as one bound text per column, expanded into rows by
/// `unnest(string_to_array($1, chr(30), chr(21)), $2::bigint[], …) AS r(column, …)`
/// ([`ColumnArrays::unnest`]).
///
/// A text column's values are joined by U+001E ([`SEPARATOR`]) with `NULL` written as U+0015
/// ([`NULL_MARK`]), which PostgreSQL splits without looking at each character twice; a column
/// with a value that holds the separator or is the mark itself — or a single empty value, which
/// `string_to_array` would read as no value — goes instead as an array literal
/// (`{"a","b",NULL}`, quotes and backslashes escaped) cast to `text[]`. Integer columns go as
/// literals cast to `bigint[]`. Splitting the 100,000 CIs of docs/benchmarks.md figure 7 costs
/// PostgreSQL less than parsing them as literals (their attributes, a JSON document each, carry
/// dozens of quotes), and arrays less than JSON: 0.50 s as arrays against 0.72 s as a
/// `json_populate_recordset` document, which had itself replaced multi-row `VALUES` of 2,400
/// parameters.
///
/// Columns are named as each value is added; every row must give every column, which
/// [`ColumnArrays::unnest`] checks, since `unnest` would pad a short array with `NULL`s.
pub(crate) struct ColumnArrays {
    columns: Vec<Column>,
    rows: usize,
    unknown: Option<&'static str>,
}

/// Joins the values of a text column ([`ColumnArrays`]): U+001E, the record separator.
const SEPARATOR: char = '\u{1e}';
/// Stands for `NULL` among a text column's joined values: U+0015.
const NULL_MARK: &str = "\u{15}";
/// The rest of `string_to_array(`: [`SEPARATOR`] and [`NULL_MARK`] as PostgreSQL writes them.
const SPLIT_BY: &str = ", chr(30), chr(21))";

struct Column {
    name: &'static str,
    /// The values so far: joined by [`SEPARATOR`], or the inside of an array literal.
    text: String,
    values: usize,
    int: bool,
    /// Whether `text` is an array literal's inside rather than joined values.
    literal: bool,
}

impl Column {
    /// Appends one value (`None` for `NULL`), turning the column into a literal first when the
    /// value cannot be joined.
    fn push(&mut self, value: Option<&str>) {
        if !self.literal && value.is_some_and(|v| v.contains(SEPARATOR) || v == NULL_MARK) {
            self.make_literal();
        }
        self.next_value();
        match (self.literal, value) {
            (false, v) => self.text.push_str(v.unwrap_or(NULL_MARK)),
            (true, None) => self.text.push_str("NULL"),
            (true, Some(v)) => quote(&mut self.text, v),
        }
    }

    /// Counts one more value, after the separator of the column's form when it is not the first.
    fn next_value(&mut self) {
        if self.values > 0 {
            self.text.push(if self.literal { ',' } else { SEPARATOR });
        }
        self.values += 1;
    }

    /// Rewrites the values joined so far as the inside of an array literal.
    fn make_literal(&mut self) {
        let joined = std::mem::take(&mut self.text);
        self.literal = true;
        if self.values == 0 {
            return;
        }
        for (i, v) in joined.split(SEPARATOR).enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            if v == NULL_MARK {
                self.text.push_str("NULL");
            } else {
                quote(&mut self.text, v);
            }
        }
    }
}

/// `value` as a quoted element of an array literal: quotes and backslashes escaped, everything
/// between them copied as it is.
fn quote(out: &mut String, value: &str) {
    out.reserve(value.len() + 2);
    out.push('"');
    let mut rest = value;
    while let Some(i) = rest.find(['"', '\\']) {
        out.push_str(&rest[..i]);
        out.push('\\');
        out.push_str(&rest[i..=i]);
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

/// How [`ColumnArrays::unnest`] binds one finished column.
#[derive(Debug, PartialEq, Eq)]
enum Finished {
    /// Values joined for `string_to_array`.
    Joined(String),
    /// An array literal of text.
    Text(String),
    /// An array literal of integers.
    Int(String),
}

impl ColumnArrays {
    /// Arrays for `columns`, a comma-separated list of column names.
    pub(crate) fn new(columns: &'static str) -> Self {
        Self::of(columns.split(',').map(str::trim))
    }

    /// Arrays for the columns named.
    pub(crate) fn of(names: impl IntoIterator<Item = &'static str>) -> Self {
        let columns = names
            .into_iter()
            .map(|name| Column { name, text: String::new(), values: 0, int: false, literal: false })
            .collect();
        Self { columns, rows: 0, unknown: None }
    }

    /// Starts the next row.
    pub(crate) fn row(&mut self) -> &mut Self {
        self.rows += 1;
        self
    }

    fn column(&mut self, name: &'static str) -> Option<&mut Column> {
        let found = self.columns.iter_mut().find(|c| c.name == name);
        if found.is_none() {
            self.unknown = Some(name);
        }
        found
    }

    /// A text column.
    pub(crate) fn text(&mut self, name: &'static str, value: &str) -> &mut Self {
        if let Some(c) = self.column(name) {
            c.push(Some(value));
        }
        self
    }

    /// A text column that may be `NULL`.
    pub(crate) fn opt(&mut self, name: &'static str, value: Option<String>) -> &mut Self {
        if let Some(c) = self.column(name) {
            c.push(value.as_deref());
        }
        self
    }

    /// An integer column.
    pub(crate) fn int(&mut self, name: &'static str, value: i64) -> &mut Self {
        if let Some(c) = self.column(name) {
            // Integers go as a literal: nothing in them needs escaping.
            c.int = true;
            c.literal = true;
            c.next_value();
            c.text.push_str(&value.to_string());
        }
        self
    }

    /// The columns' names and finished texts.
    fn finish(self) -> Result<Vec<(&'static str, Finished)>, StoreError> {
        let refuse = |m: String| crate::unavailable(std::io::Error::other(m));
        if let Some(name) = self.unknown {
            return Err(refuse(format!("bulk insert: no column {name}")));
        }
        if let Some(c) = self.columns.iter().find(|c| c.values != self.rows) {
            return Err(refuse(format!("bulk insert: {} of {} rows give {}", c.values, self.rows, c.name)));
        }
        Ok(self
            .columns
            .into_iter()
            .map(|mut c| {
                // `string_to_array('', …)` is an empty array, not one empty value.
                if !c.literal && c.values == 1 && c.text.is_empty() {
                    c.make_literal();
                }
                let finished = match (c.literal, c.int) {
                    (false, _) => Finished::Joined(c.text),
                    (true, int) => {
                        let literal = format!("{{{}}}", c.text);
                        if int { Finished::Int(literal) } else { Finished::Text(literal) }
                    }
                };
                (c.name, finished)
            })
            .collect())
    }

    /// Appends `unnest(string_to_array($n, chr(30), chr(21)), $m::bigint[], …) AS r(column, …)`
    /// to `sql`, binding one text per column. A column named by no value, or missing from a row,
    /// is a bug of the caller.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] naming the column, when one was unknown or is short of rows
    /// (nothing is appended).
    pub(crate) fn unnest(self, sql: &mut Sql) -> Result<(), StoreError> {
        let columns = self.finish()?;
        let names: Vec<&'static str> = columns.iter().map(|(name, _)| *name).collect();
        sql.push("unnest(");
        for (i, (_, finished)) in columns.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            match finished {
                Finished::Joined(text) => sql.push("string_to_array(").bind(text).push(SPLIT_BY),
                Finished::Text(literal) => sql.bind(literal).push("::text[]"),
                Finished::Int(literal) => sql.bind(literal).push("::bigint[]"),
            };
        }
        sql.push(") AS r(");
        for (i, name) in names.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(name);
        }
        sql.push(")");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        let mut s = Sql::new("SELECT 1 WHERE a = ");
        s.bind(1_i64).push(" AND b = ").bind("x".to_owned());
        assert_eq!(s.text(), "SELECT 1 WHERE a = $1 AND b = $2");
    }

    #[test]
    fn sqlite_gets_anonymous_placeholders_and_keeps_other_dollars() {
        let mut s = Sql::new("SELECT json_extract(d, '$.a$1') FROM t WHERE a IN (");
        s.bind_list((0..12).map(|i| i.to_string())).push(") AND b = '$2'");
        assert_eq!(s.text().matches('$').count(), 15);
        assert_eq!(
            s.anonymous(),
            "SELECT json_extract(d, '$.a$1') FROM t WHERE a IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AND b = '$2'"
        );
        assert_eq!(Sql::new("SELECT 1").anonymous(), "SELECT 1");
    }

    #[test]
    fn column_arrays_join_text_quote_what_cannot_be_joined_and_refuse_a_short_column() {
        let mut rows = ColumnArrays::new("code, zone_id, seq, note, attributes");
        rows.row().text("code", "JB-\"1\"").opt("zone_id", None).int("seq", 1).text("note", "a");
        rows.text("attributes", "");
        rows.row().text("code", "探测器\\,{NULL}").opt("zone_id", Some("z".into())).int("seq", -2);
        // A value holding the separator, then one that is the null mark: both turn the column
        // into a literal, the values before them included.
        rows.text("note", "b\u{1e}c").text("attributes", "\u{15}");
        rows.row().text("code", "").opt("zone_id", None).int("seq", 3).opt("note", None).text("attributes", "");
        let finished = rows.finish().expect("complete rows");
        assert_eq!(
            finished,
            vec![
                ("code", Finished::Joined("JB-\"1\"\u{1e}探测器\\,{NULL}\u{1e}".to_owned())),
                ("zone_id", Finished::Joined("\u{15}\u{1e}z\u{1e}\u{15}".to_owned())),
                ("seq", Finished::Int("{1,-2,3}".to_owned())),
                ("note", Finished::Text("{\"a\",\"b\u{1e}c\",NULL}".to_owned())),
                ("attributes", Finished::Text("{\"\",\"\u{15}\",\"\"}".to_owned())),
            ]
        );
        // One empty value: `string_to_array('')` would give no value at all.
        let mut one = ColumnArrays::new("code, seq");
        one.row().text("code", "").int("seq", 1);
        assert_eq!(one.finish().expect("one row")[0], ("code", Finished::Text("{\"\"}".to_owned())));
        let mut rows = ColumnArrays::new("code, note, seq");
        rows.row().text("code", "a").text("note", "\u{15}").int("seq", 1);
        let mut sql = Sql::new("SELECT * FROM ");
        rows.unnest(&mut sql).expect("complete rows");
        assert_eq!(
            sql.text(),
            "SELECT * FROM unnest(string_to_array($1, chr(30), chr(21)), $2::text[], $3::bigint[]) AS r(code, note, seq)"
        );
        assert_eq!((u32::from(SEPARATOR), NULL_MARK.chars().map(u32::from).collect::<Vec<_>>()), (30, vec![21]));

        let mut short = ColumnArrays::new("code, seq");
        short.row().text("code", "a").int("seq", 1);
        short.row().text("code", "b");
        assert!(short.unnest(&mut Sql::new("")).is_err(), "a row without seq");
        let mut unknown = ColumnArrays::new("code");
        unknown.row().text("code", "a").text("name", "b");
        assert!(unknown.unnest(&mut Sql::new("")).is_err(), "a column the table does not list");
    }
}
