//! A small SQL builder that numbers placeholders `$1, $2 …` — the form both engines accept
//! through sqlx `Any` (sqlx's own `QueryBuilder<Any>` writes `?`, which PostgreSQL refuses).

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments};

/// SQL text with its bound values. Only code in this crate adds text; values are always bound.
#[derive(Default)]
pub struct Sql {
    text: String,
    args: AnyArguments,
    n: usize,
    /// Not kept as a prepared statement ([`Self::planned_each_time`]).
    once: bool,
}

impl std::fmt::Debug for Sql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sql").field("text", &self.text).field("args", &self.n).finish()
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
        self.n += 1;
        self.text.push('$');
        self.text.push_str(&self.n.to_string());
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

    /// The query, ready to run.
    pub fn build(self) -> sqlx::query::Query<'static, Any, AnyArguments> {
        sqlx::query_with(sqlx::AssertSqlSafe(self.text), self.args).persistent(!self.once)
    }

    /// The SQL text, for tests and logs.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Bound parameters per multi-row statement on PostgreSQL (the register's bulk writes go as JSON
/// documents there, [`JsonRows`]; this serves the others, such as a ticket's notifications).
/// Measured on the import of 100,000 CIs over the local socket before the JSON documents
/// (docs/benchmarks.md figure 7): 480 parameters 14.9 s, 2,400 11.1 s, 9,600 10.9 s. (Until sqlx 0.9.1 restored
/// `TCP_NODELAY`, statements over TLS had to stay within one TLS record — 480 parameters and
/// 12 KiB — or wait 40 ms each for a delayed ACK.)
pub(crate) const PARAMS_PER_STATEMENT: usize = 2_400;
/// Bound parameters per multi-row statement on SQLite: 8 CIs (of 22 values), 17 timeline
/// entries or 25 relations. Measured on the import of 100,000 CIs (docs/benchmarks.md figure
/// 7; 21 values a CI then): 84 parameters 11.97 s, 168 10.38 s, 480 11.3 s, 2,400 17.8 s —
/// larger statements cost more per row.
pub(crate) const SQLITE_PARAMS_PER_STATEMENT: usize = 176;

/// Rows per statement when PostgreSQL takes them as one JSON document ([`JsonRows`]): about
/// 1 MB of CIs. Measured on the import of 100,000 CIs (docs/benchmarks.md figure 7).
pub(crate) const POSTGRES_JSON_ROWS: usize = 1_000;

/// Many rows as one JSON array of objects keyed by column, bound as a single parameter and
/// expanded by PostgreSQL's `json_populate_recordset(NULL::table, $1::json)` into rows of the
/// table's own column types. On the import of 100,000 CIs this measured 9.2–9.9 s against
/// 9.9–10.7 s for multi-row `VALUES` of 2,400 parameters (each run after a `CHECKPOINT`).
#[derive(Default)]
pub(crate) struct JsonRows {
    text: String,
    rows: usize,
    fields: usize,
}

impl JsonRows {
    /// Starts the next row.
    pub(crate) fn row(&mut self) -> &mut Self {
        if self.rows > 0 {
            self.text.push_str("},");
        } else {
            self.text.push('[');
        }
        self.text.push('{');
        self.rows += 1;
        self.fields = 0;
        self
    }

    fn key(&mut self, key: &'static str) {
        if self.fields > 0 {
            self.text.push(',');
        }
        self.fields += 1;
        self.text.push('"');
        self.text.push_str(key);
        self.text.push_str("\":");
    }

    /// A text column.
    pub(crate) fn text(&mut self, key: &'static str, value: &str) -> &mut Self {
        self.key(key);
        // Serialising a string cannot fail.
        self.text.push_str(&serde_json::to_string(value).unwrap_or_default());
        self
    }

    /// A text column that may be `NULL`.
    pub(crate) fn opt(&mut self, key: &'static str, value: Option<String>) -> &mut Self {
        match value {
            Some(v) => self.text(key, &v),
            None => {
                self.key(key);
                self.text.push_str("null");
                self
            }
        }
    }

    /// An integer column.
    pub(crate) fn int(&mut self, key: &'static str, value: i64) -> &mut Self {
        self.key(key);
        self.text.push_str(&value.to_string());
        self
    }

    /// The document.
    pub(crate) fn finish(mut self) -> String {
        self.text.push_str(if self.rows > 0 { "}]" } else { "[]" });
        self.text
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
    fn json_rows_are_one_array_of_objects() {
        let mut rows = JsonRows::default();
        rows.row().text("code", "JB-\"1\"").opt("zone_id", None).int("seq", 1);
        rows.row().text("code", "探测器\\").opt("zone_id", Some("z".into())).int("seq", -2);
        let doc = rows.finish();
        assert_eq!(doc, r#"[{"code":"JB-\"1\"","zone_id":null,"seq":1},{"code":"探测器\\","zone_id":"z","seq":-2}]"#);
        let parsed: serde_json::Value = serde_json::from_str(&doc).expect("JSON");
        assert_eq!(parsed[1]["code"], "探测器\\");
        assert_eq!(JsonRows::default().finish(), "[]");
    }
}
