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

    /// The query, ready to run.
    pub fn build(self) -> sqlx::query::Query<'static, Any, AnyArguments> {
        sqlx::query_with(sqlx::AssertSqlSafe(self.text), self.args)
    }

    /// The SQL text, for tests and logs.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Bound parameters per multi-row statement on PostgreSQL.
pub(crate) const PARAMS_PER_STATEMENT: usize = 480;
/// Bound bytes per multi-row statement on PostgreSQL (about). Over TLS, sqlx 0.9.0 hands a
/// message longer than one TLS record (16 KiB) to the socket in two writes without
/// `TCP_NODELAY`, and the second waits for PostgreSQL's delayed ACK: 40 ms per statement (sqlx
/// issue #4335, fixed after 0.9.0). (The demo register's CIs are about 800 bytes each, so 22 of
/// them crossed it.)
pub(crate) const BYTES_PER_STATEMENT: usize = 12 * 1024;
/// Bound parameters per multi-row statement on SQLite: 8 CIs, 16 timeline entries or 24
/// relations. Measured on the import of 100,000 CIs (docs/benchmarks.md figure 7): 84
/// parameters 11.97 s, 168 10.38 s, 480 (15 CIs by bytes) 11.3 s, 2,400 17.8 s — larger
/// statements cost more per row.
pub(crate) const SQLITE_PARAMS_PER_STATEMENT: usize = 168;

/// `batch` in runs of at most `rows` items and about `max_bytes` bound bytes by `size` (a run
/// holds at least one item, however large).
pub(crate) fn statements<T>(batch: &[T], rows: usize, max_bytes: usize, size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in batch.iter().enumerate() {
        let b = size(item);
        if i > start && (i - start == rows || bytes + b > max_bytes) {
            out.push(&batch[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += b;
    }
    if start < batch.len() {
        out.push(&batch[start..]);
    }
    out
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
    fn statements_keep_to_the_row_and_byte_budgets() {
        let sizes = [5_000, 5_000, 5_000, 20_000, 1, 1, 1];
        let runs = statements(&sizes, 2, BYTES_PER_STATEMENT, |s| *s);
        let lens: Vec<usize> = runs.iter().map(|r| r.len()).collect();
        assert_eq!(lens, vec![2, 1, 1, 2, 1], "two rows at most, about 12 KiB, a large row alone");
        assert_eq!(runs.concat(), sizes.to_vec());
        assert!(statements(&[] as &[usize], 2, BYTES_PER_STATEMENT, |s| *s).is_empty());
    }
}
