//! Runs the cluster simulation over many seeds. `KW_SIM_SEEDS=n` runs n seeds (default 200),
//! `KW_SIM_FIRST_SEED=s` starts at s, `KW_SIM_SEED=s` runs one seed.

use keywarden_cluster_sim::{Mutation, Sim, SimConfig};

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn three_sites_of_three_nodes_converge_under_faults() {
    let (first, count) = match env("KW_SIM_SEED") {
        Some(s) => (s, 1),
        None => (
            env("KW_SIM_FIRST_SEED").unwrap_or(1),
            env("KW_SIM_SEEDS").unwrap_or(200),
        ),
    };
    let mut totals = (0usize, 0usize, 0usize, 0usize, 0u64);
    let (mut snapshots, mut truncations) = (0usize, 0usize);
    for seed in first..first + count {
        match Sim::new(seed, SimConfig::default()).run() {
            Ok(r) => {
                totals.0 += r.acknowledged;
                totals.1 += r.crashes;
                totals.2 += r.partitions;
                totals.3 += r.levels_checked;
                totals.4 = totals.4.max(r.converged_after_ms);
                snapshots += r.snapshots;
                truncations += r.truncations;
            }
            Err(f) => panic!(
                "seed {seed} failed {f}\nreplay: KW_SIM_SEED={seed} cargo test -p keywarden-cluster-sim --test seeds"
            ),
        }
    }
    eprintln!(
        "{count} seeds: {} writes acknowledged, {} crashes, {} partitions, {} acknowledgement levels checked, {truncations} log truncations, {snapshots} snapshots, slowest convergence {} ms",
        totals.0, totals.1, totals.2, totals.3, totals.4
    );
    assert!(totals.0 > 0 && totals.3 > 0, "the runs did nothing");
    assert!(
        truncations > 0 && snapshots > 0,
        "logs were never truncated, or no snapshot was sent"
    );
}

/// The checker finds each planted bug within a few seeds: the simulation can fail.
#[test]
fn the_checker_finds_planted_bugs() {
    for mutation in [
        Mutation::LastArrivalWins,
        Mutation::ShipUnsynced,
        Mutation::OverclaimLevel,
    ] {
        let found = (1..=30).find_map(|seed| {
            let config = SimConfig {
                mutation: Some(mutation),
                ..SimConfig::default()
            };
            Sim::new(seed, config).run().err().map(|f| (seed, f))
        });
        match found {
            Some((seed, f)) => eprintln!("{mutation:?}: found by seed {seed}: {f}"),
            None => panic!("{mutation:?} went unnoticed in 30 seeds"),
        }
    }
}
