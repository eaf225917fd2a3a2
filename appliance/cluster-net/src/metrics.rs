//! Prometheus metrics of replication: peers, lag, snapshots, conflicts, agreement and the
//! acknowledgement levels that writes reached.

use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Label set: (name, value) pairs.
pub(crate) type Labels = Vec<(String, String)>;

/// Every metric the replicator exports; clones share their values.
#[derive(Clone, Default)]
pub(crate) struct Metrics {
    /// `replication_peers_connected`.
    pub peers_connected: Gauge,
    /// `replication_lag_entries{peer}`: log entries this node holds and the peer has not
    /// acknowledged.
    pub lag_entries: Family<Labels, Gauge>,
    /// `replication_lag_seconds{peer}`: age of the oldest of them (0 when none).
    pub lag_seconds: Family<Labels, Gauge<f64, AtomicU64>>,
    /// `replication_snapshots_started_total`: snapshots begun to peers.
    pub snapshots_started: Counter,
    /// `replication_snapshot_pages_applied_total`: pages received and made durable.
    pub snapshot_pages_applied: Counter,
    /// `replication_batches_applied_total`: received entry batches made durable.
    pub batches_applied: Counter,
    /// `replication_apply_failures_total`: received batches or pages the store refused.
    pub apply_failures: Counter,
    /// `replication_conflicts`: conflicts merges recorded on this node.
    pub conflicts: Gauge,
    /// `replication_degraded`: 1 while a majority of sites is out of reach.
    pub degraded: Gauge,
    /// `replication_writes_acknowledged_total{level}`: waits for a level, by the level reached.
    pub acknowledged: Family<Labels, Counter>,
}

impl Metrics {
    /// Registers every metric (clones of these) under `registry`.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry.sub_registry_with_prefix("replication");
        r.register(
            "peers_connected",
            "Peers with a greeted link",
            self.peers_connected.clone(),
        );
        r.register(
            "lag_entries",
            "Log entries this node holds that the peer has not acknowledged",
            self.lag_entries.clone(),
        );
        r.register(
            "lag_seconds",
            "Age of the oldest log entry the peer has not acknowledged",
            self.lag_seconds.clone(),
        );
        r.register(
            "snapshots_started",
            "Snapshots begun to peers behind this node's logs",
            self.snapshots_started.clone(),
        );
        r.register(
            "snapshot_pages_applied",
            "Snapshot pages received and made durable",
            self.snapshot_pages_applied.clone(),
        );
        r.register(
            "batches_applied",
            "Received entry batches made durable",
            self.batches_applied.clone(),
        );
        r.register(
            "apply_failures",
            "Received batches or snapshot pages the store did not apply",
            self.apply_failures.clone(),
        );
        r.register(
            "conflicts",
            "Conflicts recorded by merges on this node",
            self.conflicts.clone(),
        );
        r.register(
            "degraded",
            "1 while a majority of sites is out of reach (agreement operations fail)",
            self.degraded.clone(),
        );
        r.register(
            "writes_acknowledged",
            "Writes by the acknowledgement level they reached",
            self.acknowledged.clone(),
        );
    }
}

/// The label set of one peer.
pub(crate) fn peer(node: keywarden_store::NodeId) -> Labels {
    vec![("peer".to_owned(), node.to_string())]
}
