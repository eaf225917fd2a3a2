//! The crate's modules form a tree: no module uses a module that uses it back, directly or
//! through others, and `version` (the type every module shares) uses no other module.
//!
//! Read from the sources: a module uses another when a line of code (not a comment) names
//! `crate::other`. Test modules count too, since they are compiled into their module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir` as (module name, path): `a/mod.rs` and `a/b.rs` belong to `a`.
fn modules(dir: &Path, top: Option<&str>, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if path.is_dir() {
            modules(&path, Some(top.unwrap_or(&stem)), out);
        } else if path.extension().is_some_and(|x| x == "rs") && stem != "lib" {
            out.push((top.unwrap_or(&stem).to_string(), path));
        }
    }
}

/// The modules named as `crate::name` on code lines of `text`.
fn uses(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    modules(&src(), None, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, path) in files {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(uses(&text).into_iter().filter(|m| *m != module));
    }
    graph
}

/// A cycle through `start`, as the path of modules, if there is one.
fn cycle_from(
    graph: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    at: &str,
    path: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    for next in graph.get(at).into_iter().flatten() {
        if next == start {
            let mut found = path.clone();
            found.push(next.clone());
            return Some(found);
        }
        if seen.insert(next.clone()) {
            path.push(next.clone());
            if let Some(c) = cycle_from(graph, start, next, path, seen) {
                return Some(c);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn no_module_uses_a_module_that_uses_it_back() {
    let graph = graph();
    assert!(graph.len() > 10, "only {} modules found", graph.len());
    for module in graph.keys() {
        let mut path = vec![module.clone()];
        let mut seen = BTreeSet::new();
        if let Some(cycle) = cycle_from(&graph, module, module, &mut path, &mut seen) {
            panic!("module cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn version_is_a_leaf() {
    let graph = graph();
    assert_eq!(graph.get("version"), Some(&BTreeSet::new()));
}

#[test]
fn the_scanner_reads_code_not_comments() {
    let found = uses(
        "use crate::tags;\n// crate::xml in a comment\nlet x = crate::ttlv::Tag(1); // crate::schema\n",
    );
    let names: Vec<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(names, ["tags", "ttlv"]);
}
