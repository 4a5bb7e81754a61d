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

/// Bound parameters per multi-row statement on PostgreSQL: 114 CIs, 240 timeline entries or 342
/// relations. Measured on the import of 100,000 CIs over the local socket (docs/benchmarks.md
/// figure 7): 480 parameters 14.9 s, 2,400 11.1 s, 9,600 10.9 s. (Until sqlx 0.9.1 restored
/// `TCP_NODELAY`, statements over TLS had to stay within one TLS record — 480 parameters and
/// 12 KiB — or wait 40 ms each for a delayed ACK.)
pub(crate) const PARAMS_PER_STATEMENT: usize = 2_400;
/// Bound parameters per multi-row statement on SQLite: 8 CIs (of 22 values), 17 timeline
/// entries or 25 relations. Measured on the import of 100,000 CIs (docs/benchmarks.md figure
/// 7; 21 values a CI then): 84 parameters 11.97 s, 168 10.38 s, 480 11.3 s, 2,400 17.8 s —
/// larger statements cost more per row.
pub(crate) const SQLITE_PARAMS_PER_STATEMENT: usize = 176;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        let mut s = Sql::new("SELECT 1 WHERE a = ");
        s.bind(1_i64).push(" AND b = ").bind("x".to_owned());
        assert_eq!(s.text(), "SELECT 1 WHERE a = $1 AND b = $2");
    }
}
