//! The crate's modules form a tree: no module uses a module that uses it back, directly or
//! through others. The clock helpers are a leaf apart from the operations, and the typed entry
//! point (`execute`) sits above the operations, which never reach back to it.
//!
//! Read from the sources by `keywarden-module-tree`.

use std::path::Path;

use keywarden_module_tree::{ModuleGraph, TestModules};

fn graph() -> ModuleGraph {
    ModuleGraph::read(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        TestModules::Apart,
    )
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
fn the_clock_is_a_leaf_and_the_operations_never_reach_the_entry_point() {
    let graph = graph();
    let clock = graph.uses_of("clock").expect("module clock");
    assert!(clock.is_empty(), "clock uses {clock:?}");
    let execute = graph.uses_of("execute").expect("module execute");
    assert!(execute.contains("ops"), "{execute:?}");
    for (name, module) in [("ops", "ops"), ("op_error", "op_error")] {
        let uses = graph
            .uses_of(module)
            .unwrap_or_else(|| panic!("module {name}"));
        assert!(!uses.contains("execute"), "{name} uses execute: {uses:?}");
    }
}
