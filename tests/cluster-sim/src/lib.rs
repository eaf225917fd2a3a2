//! Deterministic simulation of a Keywarden cluster (issue 14): the real replication core
//! ([`keywarden_cluster::Replica`]) and its real wire encoding, driven over a modelled store and
//! network, with crashes that lose unsynced writes, partitions between sites, lost, duplicated
//! and reordered frames and skewed clocks, all chosen by one seed so that a failing run replays
//! exactly. After a heal a history checker judges the run: every acknowledged write is on every
//! node, no destroyed material returns, no compromise is lost, acknowledgement levels were true
//! when reported, and all nodes end in the same state.
//!
//! It must never use wall time, threads or real I/O: a seed has to mean one run.

mod model;
mod rng;
mod sim;

pub use model::{ModelStore, State, Synced};
pub use rng::SimRng;
pub use sim::{Failure, Mutation, Report, Sim, SimConfig};
