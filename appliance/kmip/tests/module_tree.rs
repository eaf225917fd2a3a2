//! The crate's modules form a tree: no module uses a module that uses it back, directly or
//! through others, and `version` (the type every module shares) uses no other module.
//!
//! Read from the sources by `keywarden-module-tree`. Test modules count too, since they are
//! compiled into their module.

use std::collections::BTreeSet;
use std::path::Path;

use keywarden_module_tree::{ModuleGraph, TestModules};

fn graph() -> ModuleGraph {
    ModuleGraph::read(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        TestModules::InTheirModule,
    )
}

#[test]
fn no_module_uses_a_module_that_uses_it_back() {
    let graph = graph();
    assert!(graph.len() > 10, "only {} modules found", graph.len());
    if let Some(cycle) = graph.cycle() {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn version_is_a_leaf() {
    assert_eq!(graph().uses_of("version"), Some(&BTreeSet::new()));
}
