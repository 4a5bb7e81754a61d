//! The dependency-direction check (STYLE.md §2) over `cargo metadata --no-deps`.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

const DOMAIN: &str = "parkops-domain";
const APP: &str = "parkops-app";
const TESTKIT: &str = "parkops-testkit";
/// The adapters: each depends on app and domain, never on another adapter.
const ADAPTERS: [&str; 6] =
    ["parkops-store", "parkops-web", "parkops-jobs", "parkops-notify", "parkops-collector", "parkops-reports"];
/// External crates (and their `<name>-…` companions) the domain must not see.
const BANNED_IN_DOMAIN: [&str; 3] = ["tokio", "sqlx", "axum"];
/// External crates (and their `<name>-…` companions) the app layer must not see.
const BANNED_IN_APP: [&str; 4] = ["tokio", "sqlx", "axum", "reqwest"];

/// One forbidden dependency edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The depending crate.
    pub from: String,
    /// The dependency.
    pub to: String,
    /// `normal`, `dev` or `build`.
    pub kind: String,
    /// The rule broken.
    pub rule: &'static str,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {} ({} dependency): {}", self.from, self.to, self.kind, self.rule)
    }
}

/// Runs `cargo metadata --format-version 1 --no-deps` in `root`.
///
/// # Errors
/// A message when cargo cannot run or prints something that is not JSON.
pub fn cargo_metadata(root: &Path) -> Result<Value, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("arch: cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!("arch: cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("arch: cargo metadata printed no JSON: {e}"))
}

/// Every forbidden edge in `metadata` (the output of [`cargo_metadata`]).
///
/// Dev-dependencies are exempt from the layer rules (tests may need a neighbour), except
/// that nothing may take `parkops-testkit` as anything but a dev-dependency.
///
/// # Errors
/// A message when the JSON does not have the shape cargo gives it.
pub fn check(metadata: &Value) -> Result<Vec<Violation>, String> {
    let packages = metadata.get("packages").and_then(Value::as_array).ok_or("arch: metadata has no packages")?;
    let workspace: BTreeSet<&str> = packages.iter().filter_map(|p| p.get("name").and_then(Value::as_str)).collect();
    let mut out = Vec::new();
    for package in packages {
        let from = package.get("name").and_then(Value::as_str).ok_or("arch: package without a name")?;
        let deps = package.get("dependencies").and_then(Value::as_array).ok_or("arch: package without dependencies")?;
        for dep in deps {
            let to = dep.get("name").and_then(Value::as_str).ok_or("arch: dependency without a name")?;
            let kind = dep.get("kind").and_then(Value::as_str).unwrap_or("normal");
            if let Some(rule) = rule_broken(from, to, kind, workspace.contains(to)) {
                out.push(Violation { from: from.to_owned(), to: to.to_owned(), kind: kind.to_owned(), rule });
            }
        }
    }
    Ok(out)
}

/// The rule the edge `from -> to` breaks, if any.
fn rule_broken(from: &str, to: &str, kind: &str, to_is_workspace: bool) -> Option<&'static str> {
    let banned =
        |list: &[&str]| list.iter().any(|b| to == *b || to.strip_prefix(b).is_some_and(|rest| rest.starts_with('-')));
    if to == TESTKIT && kind != "dev" {
        return Some("parkops-testkit may only be a [dev-dependencies] entry");
    }
    if kind == "dev" {
        return None;
    }
    if from == DOMAIN && to_is_workspace {
        return Some("the domain depends on no workspace crate");
    }
    if from == DOMAIN && banned(&BANNED_IN_DOMAIN) {
        return Some("the domain is pure: no tokio, sqlx or axum");
    }
    if from == APP && to_is_workspace && to != DOMAIN {
        return Some("the app layer depends only on parkops-domain among workspace crates");
    }
    if from == APP && banned(&BANNED_IN_APP) {
        return Some("the app layer does no I/O: no tokio, sqlx, axum or reqwest");
    }
    if ADAPTERS.contains(&from) && ADAPTERS.contains(&to) {
        return Some("adapters never depend on each other; they meet in the binary");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata(edges: &[(&str, &str, Option<&str>)]) -> Value {
        let mut names: BTreeSet<&str> = BTreeSet::new();
        for (from, _, _) in edges {
            names.insert(from);
        }
        for name in [DOMAIN, APP, TESTKIT, "parkops-store", "parkops-web", "parkops-jobs", "parkops"] {
            names.insert(name);
        }
        let packages: Vec<Value> = names
            .iter()
            .map(|name| {
                let deps: Vec<Value> = edges
                    .iter()
                    .filter(|(from, _, _)| from == name)
                    .map(|(_, to, kind)| json!({ "name": to, "kind": kind, "rename": null }))
                    .collect();
                json!({ "name": name, "dependencies": deps })
            })
            .collect();
        json!({ "packages": packages })
    }

    fn edges_of(v: &[Violation]) -> Vec<(String, String)> {
        v.iter().map(|x| (x.from.clone(), x.to.clone())).collect()
    }

    #[test]
    fn the_real_workspace_follows_the_layer_rules() {
        let metadata = cargo_metadata(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("cargo metadata");
        let violations = check(&metadata).expect("shape");
        assert!(violations.is_empty(), "forbidden edges: {violations:#?}");
        let names: Vec<&str> =
            metadata["packages"].as_array().expect("packages").iter().filter_map(|p| p["name"].as_str()).collect();
        assert!(names.contains(&DOMAIN) && names.contains(&APP), "the check saw the workspace: {names:?}");
    }

    #[test]
    fn allowed_edges_pass() {
        let m = metadata(&[
            (DOMAIN, "thiserror", None),
            (DOMAIN, "proptest", Some("dev")),
            (APP, DOMAIN, None),
            (APP, "async-trait", None),
            ("parkops-store", APP, None),
            ("parkops-store", "sqlx", None),
            ("parkops-store", TESTKIT, Some("dev")),
            ("parkops-web", "axum", None),
            ("parkops", "parkops-store", None),
            ("parkops", "parkops-web", None),
            ("parkops", TESTKIT, Some("dev")),
        ]);
        assert_eq!(check(&m).expect("shape"), Vec::new());
    }

    #[test]
    fn each_forbidden_edge_is_named() {
        let m = metadata(&[
            (DOMAIN, APP, None),
            (DOMAIN, "tokio", None),
            (DOMAIN, "sqlx-core", Some("build")),
            (APP, "parkops-store", None),
            (APP, "reqwest", None),
            (APP, "tokio-util", None),
            ("parkops-web", "parkops-store", None),
            ("parkops-jobs", "parkops-web", None),
            ("parkops", TESTKIT, None),
            ("parkops-web", TESTKIT, Some("build")),
        ]);
        let found = edges_of(&check(&m).expect("shape"));
        let want: Vec<(String, String)> = [
            (APP, "parkops-store"),
            (APP, "reqwest"),
            (APP, "tokio-util"),
            ("parkops", TESTKIT),
            (DOMAIN, APP),
            (DOMAIN, "tokio"),
            (DOMAIN, "sqlx-core"),
            ("parkops-jobs", "parkops-web"),
            ("parkops-web", "parkops-store"),
            ("parkops-web", TESTKIT),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        let mut found_sorted = found.clone();
        found_sorted.sort();
        let mut want_sorted = want;
        want_sorted.sort();
        assert_eq!(found_sorted, want_sorted);
    }

    #[test]
    fn a_violation_reads_as_the_edge_and_the_rule() {
        let m = metadata(&[("parkops-web", "parkops-store", None)]);
        let v = check(&m).expect("shape");
        assert_eq!(
            v[0].to_string(),
            "parkops-web -> parkops-store (normal dependency): adapters never depend on each other; they meet in the binary"
        );
    }

    #[test]
    fn similar_names_are_not_banned() {
        assert_eq!(rule_broken(DOMAIN, "tokenizer", "normal", false), None);
        assert_eq!(rule_broken(APP, "axumite", "normal", false), None);
    }

    #[test]
    fn malformed_metadata_is_an_error_not_a_pass() {
        assert!(check(&json!({})).is_err());
    }
}
