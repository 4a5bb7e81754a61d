//! Migration parity: the SQLite and PostgreSQL folders hold files with identical names
//! (STYLE.md §8), so every schema change is written for both engines.

use std::collections::BTreeSet;
use std::path::Path;

/// The differences between the file names of the two folders, one line each; empty when they match.
///
/// # Errors
/// A message when a folder cannot be read or is empty.
pub fn compare(sqlite: &Path, postgres: &Path) -> Result<Vec<String>, String> {
    let a = names(sqlite)?;
    let b = names(postgres)?;
    let mut out = Vec::new();
    for name in a.difference(&b) {
        out.push(format!("{name}: in sqlite/ only"));
    }
    for name in b.difference(&a) {
        out.push(format!("{name}: in postgres/ only"));
    }
    Ok(out)
}

fn names(dir: &Path) -> Result<BTreeSet<String>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("migrations: cannot read {}: {e}", dir.display()))?;
    let mut out = BTreeSet::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("migrations: cannot read {}: {e}", dir.display()))?;
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            out.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    if out.is_empty() {
        return Err(format!("migrations: {} holds no migration", dir.display()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_folders_match() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/parkops-store/migrations");
        assert_eq!(compare(&root.join("sqlite"), &root.join("postgres")), Ok(Vec::new()));
    }

    #[test]
    fn a_file_on_one_side_only_is_named() {
        let base = std::env::temp_dir().join(format!("xtask-migrations-{}", std::process::id()));
        let (a, b) = (base.join("sqlite"), base.join("postgres"));
        std::fs::create_dir_all(&a).expect("dir");
        std::fs::create_dir_all(&b).expect("dir");
        for (dir, name) in [(&a, "0001_x.sql"), (&b, "0001_x.sql"), (&a, "0002_y.sql"), (&b, "0002_z.sql")] {
            std::fs::write(dir.join(name), "").expect("write");
        }
        let diff = compare(&a, &b);
        let _ = std::fs::remove_dir_all(&base);
        assert_eq!(
            diff,
            Ok(vec!["0002_y.sql: in sqlite/ only".to_owned(), "0002_z.sql: in postgres/ only".to_owned()])
        );
    }
}
