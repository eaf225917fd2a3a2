//! The crate's modules form a tree: no module uses a module that uses it back, directly or
//! through others. The `Store` handle starts the writer thread and the writer uses neither the
//! handle nor anything that uses it: both share the on-disk schema (`tables`) and the public
//! value types (`types`), which are leaves below them.
//!
//! Read from the sources by `keywarden-module-tree`. The store's unit tests (`store/tests.rs`,
//! `store/at_rest_tests.rs`) count as modules of their own: they open stores through
//! `testing`, which is built on `Store`, and nothing uses them back.

use std::collections::BTreeSet;
use std::path::Path;

use keywarden_module_tree::{ModuleGraph, TestModules};

fn graph() -> ModuleGraph {
    ModuleGraph::read(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        TestModules::Apart,
    )
}

fn uses(graph: &ModuleGraph, module: &str) -> BTreeSet<String> {
    graph
        .uses_of(module)
        .unwrap_or_else(|| panic!("no module {module}"))
        .clone()
}

#[test]
fn no_module_uses_a_module_that_uses_it_back() {
    let graph = graph();
    assert!(graph.len() > 15, "only {} modules found", graph.len());
    if let Some(cycle) = graph.cycle() {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_store_uses_the_writer_and_the_writer_only_the_leaves_below() {
    let graph = graph();
    let store = uses(&graph, "store");
    assert!(store.contains("writer"), "{store:?}");
    let writer = uses(&graph, "writer");
    assert!(!writer.contains("store"), "{writer:?}");
    assert!(
        writer.contains("tables") && writer.contains("types"),
        "{writer:?}"
    );
    assert_eq!(uses(&graph, "tables"), BTreeSet::new());
    let types: Vec<String> = uses(&graph, "types").into_iter().collect();
    assert_eq!(types, ["clock", "record"]);
}
