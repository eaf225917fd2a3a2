//! A crate's module graph, read from its sources, so a test can hold the modules to a tree: no
//! module uses a module that uses it back, directly or through others.
//!
//! It owns only that reading. A module uses another when a line of code (not a comment) names
//! `crate::other`; `a/mod.rs` and `a/b.rs` belong to module `a`. It must never be a dependency
//! of anything but tests, and never guess: a `use` it cannot see (a re-export through the crate
//! root, `crate::Name`) is not an edge, so a test relying on it should also name the edges it
//! expects.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where a crate's test modules (`tests.rs`, `*_tests.rs`) count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestModules {
    /// In the module they are compiled into: their uses are that module's uses.
    InTheirModule,
    /// As modules of their own, `parent/stem`: for a crate whose test support module builds
    /// the very thing the tests test. Nothing uses a test module, so it can close no cycle of
    /// the product's modules.
    Apart,
}

/// Module name → the modules it uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleGraph {
    edges: BTreeMap<String, BTreeSet<String>>,
}

impl ModuleGraph {
    /// Reads every `.rs` file under `src` (a crate's source directory) but `lib.rs`.
    ///
    /// Panics with the path when a file or directory cannot be read: a test that silently saw
    /// fewer modules could pass for the wrong reason.
    pub fn read(src: &Path, tests: TestModules) -> ModuleGraph {
        let mut files = Vec::new();
        modules(src, None, tests, &mut files);
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, path) in files {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // A test module apart still belongs to its parent's path: `super::*` is its parent.
            let own = module.split('/').next().unwrap_or_default().to_string();
            let entry = edges.entry(module.clone()).or_default();
            entry.extend(uses(&text).into_iter().filter(|m| *m != own));
            if module != own {
                entry.insert(own.clone());
                edges.entry(own).or_default();
            }
        }
        ModuleGraph { edges }
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.edges.len()
    }

    /// True when no module was found.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// The modules `module` uses; `None` if there is no such module.
    pub fn uses_of(&self, module: &str) -> Option<&BTreeSet<String>> {
        self.edges.get(module)
    }

    /// A cycle, as the path of modules from one back to itself, if there is one.
    pub fn cycle(&self) -> Option<Vec<String>> {
        self.edges.keys().find_map(|module| {
            let mut path = vec![module.clone()];
            let mut seen = BTreeSet::new();
            self.cycle_from(module, module, &mut path, &mut seen)
        })
    }

    fn cycle_from(
        &self,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        for next in self.edges.get(at).into_iter().flatten() {
            if next == start {
                let mut found = path.clone();
                found.push(next.clone());
                return Some(found);
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if let Some(c) = self.cycle_from(start, next, path, seen) {
                    return Some(c);
                }
                path.pop();
            }
        }
        None
    }
}

/// Every `.rs` file under `dir` as (module name, path).
fn modules(dir: &Path, top: Option<&str>, tests: TestModules, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries.sort();
    for path in entries {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if path.is_dir() {
            modules(&path, Some(top.unwrap_or(&stem)), tests, out);
        } else if path.extension().is_some_and(|x| x == "rs") && stem != "lib" {
            let module = top.unwrap_or(&stem).to_string();
            let is_test = stem == "tests" || stem.ends_with("_tests");
            let name = match (tests, top) {
                (TestModules::Apart, Some(_)) if is_test => format!("{module}/{stem}"),
                _ => module,
            };
            out.push((name, path));
        }
    }
}

/// The modules named as `crate::name` on code lines of `text`.
pub fn uses(text: &str) -> BTreeSet<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, file: &str, text: &str) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn the_scanner_reads_code_not_comments() {
        let found = uses(
            "use crate::tags;\n// crate::xml in a comment\nlet x = crate::ttlv::Tag(1); // crate::schema\n",
        );
        let names: Vec<&str> = found.iter().map(String::as_str).collect();
        assert_eq!(names, ["tags", "ttlv"]);
    }

    #[test]
    fn a_cycle_through_submodules_is_found_and_named() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "lib.rs", "mod a; mod b; mod c;");
        write(dir.path(), "a.rs", "use crate::b::X;");
        write(dir.path(), "b/mod.rs", "mod inner;");
        write(dir.path(), "b/inner.rs", "use crate::c::Y;");
        write(dir.path(), "c.rs", "use crate::a::Z;");
        let graph = ModuleGraph::read(dir.path(), TestModules::InTheirModule);
        assert_eq!(graph.len(), 3);
        let cycle = graph.cycle().expect("a -> b -> c -> a");
        assert_eq!(cycle.first(), cycle.last());
        assert_eq!(cycle.len(), 4, "{cycle:?}");

        write(dir.path(), "c.rs", "// crate::a is only mentioned\n");
        let graph = ModuleGraph::read(dir.path(), TestModules::InTheirModule);
        assert_eq!(graph.cycle(), None);
        assert_eq!(graph.uses_of("c"), Some(&BTreeSet::new()));
    }

    #[test]
    fn test_modules_count_in_their_module_unless_kept_apart() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "store.rs", "#[cfg(test)] mod tests;");
        write(
            dir.path(),
            "store/tests.rs",
            "use super::*; use crate::testing::open;",
        );
        write(dir.path(), "testing.rs", "use crate::store::Store;");
        let merged = ModuleGraph::read(dir.path(), TestModules::InTheirModule);
        assert!(merged.cycle().is_some(), "store -> testing -> store");
        let apart = ModuleGraph::read(dir.path(), TestModules::Apart);
        assert_eq!(apart.cycle(), None);
        let tests: Vec<&str> = apart
            .uses_of("store/tests")
            .unwrap()
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(tests, ["store", "testing"]);
    }
}
