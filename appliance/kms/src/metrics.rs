//! Prometheus metrics of the key service.

use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, OnceLock};

use keywarden_kmip::enums::Operation;
use keywarden_store::WriteStats;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Label set: (name, value) pairs.
pub(crate) type Labels = Vec<(String, String)>;

fn request_histogram() -> Histogram {
    // 50 µs .. ~3 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 17))
}

/// Every metric the key service exports.
pub(crate) struct Metrics {
    /// `kms_operations_total{operation,result}`: `result` is `Success` or the error's kind.
    pub requests: Family<Labels, Counter>,
    /// `kms_operation_duration_seconds{operation}`.
    pub duration: Family<Labels, Histogram, fn() -> Histogram>,
    /// `hsm_latency_seconds`.
    pub hsm_latency: Histogram,
    /// `hsm_up`.
    pub hsm_up: Gauge,
    /// `hsm_loss_policy{policy}`: 1 for the policy in force.
    pub hsm_loss_policy: Family<Labels, Gauge>,
    /// `requests_without_hsm_total{outcome}`: served or refused while the HSM was lost.
    pub without_hsm: Family<Labels, Counter>,
    /// `store_objects`.
    pub store_objects: Gauge,
    /// `store_file_bytes`.
    pub store_file_bytes: Gauge,
    /// The store's write-path totals, copied from [`keywarden_store::WriteStats`].
    pub store_writes: StoreWriteMetrics,
    /// `store_storage_epoch`: the epoch every new record is sealed under.
    pub storage_epoch: Gauge,
    /// `store_erase_pending`: 1 while a Destroy waits for the next erase.
    pub erase_pending: Gauge,
    /// `store_seconds_since_erase`: since the last erase completed (or the first epoch began).
    pub seconds_since_erase: Gauge,
    /// `store_erases_total`.
    pub erases: Counter,
    /// `store_erase_failures_total`.
    pub erase_failures: Counter,
    /// `store_records_rejected_total`: reads refused because a record failed authentication.
    pub records_rejected: Counter,
    /// `store_index_inconsistent_total`: Locate candidates of the plain index that their
    /// authenticated record does not back (left out of the answer).
    pub index_inconsistent: Counter,
    /// `cpu_pool_jobs_total`: CPU-heavy jobs (private-key operations, key generation) run on
    /// the bounded pool instead of an async worker.
    pub cpu_jobs: Counter,
    /// Per operation (by position in [`Operation::ALL`]): the `result="Success"` counter and the
    /// duration histogram, looked up in the families once, on first use. Handles share their
    /// value with the family's entry, so the exposition is unchanged; the hot path then skips
    /// building owned label strings, hashing them and taking the families' locks per item.
    success: Vec<OnceLock<(Counter, Histogram)>>,
}

impl Metrics {
    /// Creates the metrics and registers them.
    pub(crate) fn register(registry: &mut Registry) -> Metrics {
        let m = Metrics {
            requests: Family::default(),
            duration: Family::new_with_constructor(request_histogram as fn() -> Histogram),
            hsm_latency: Histogram::new(exponential_buckets(0.000_05, 2.0, 17)),
            hsm_up: Gauge::default(),
            hsm_loss_policy: Family::default(),
            without_hsm: Family::default(),
            store_objects: Gauge::default(),
            store_file_bytes: Gauge::default(),
            store_writes: StoreWriteMetrics::default(),
            storage_epoch: Gauge::default(),
            erase_pending: Gauge::default(),
            seconds_since_erase: Gauge::default(),
            erases: Counter::default(),
            erase_failures: Counter::default(),
            records_rejected: Counter::default(),
            cpu_jobs: Counter::default(),
            index_inconsistent: Counter::default(),
            success: Operation::ALL.iter().map(|_| OnceLock::new()).collect(),
        };
        registry.register(
            "kms_operations",
            "Operations by operation and result (Success, or the error kind)",
            m.requests.clone(),
        );
        registry.register(
            "kms_operation_duration_seconds",
            "Time to run one operation, its audit entry included",
            m.duration.clone(),
        );
        registry.register(
            "hsm_latency_seconds",
            "Round trip of HSM health checks",
            m.hsm_latency.clone(),
        );
        registry.register(
            "hsm_up",
            "1 when the HSM answered the last health check",
            m.hsm_up.clone(),
        );
        registry.register(
            "hsm_loss_policy",
            "1 for the HSM-loss policy in force (keep-serving or refuse)",
            m.hsm_loss_policy.clone(),
        );
        registry.register(
            "requests_without_hsm",
            "Batch items served or refused while the last HSM health check had failed",
            m.without_hsm.clone(),
        );
        registry.register(
            "store_objects",
            "Objects in the store, tombstones included",
            m.store_objects.clone(),
        );
        registry.register(
            "store_file_bytes",
            "Size of the database file",
            m.store_file_bytes.clone(),
        );
        m.store_writes.register(registry);
        registry.register(
            "store_storage_epoch",
            "Storage epoch every new record is sealed under",
            m.storage_epoch.clone(),
        );
        registry.register(
            "store_erase_pending",
            "1 while material destroyed since the current epoch began waits for an erase",
            m.erase_pending.clone(),
        );
        registry.register(
            "store_seconds_since_erase",
            "Seconds since the last storage erase completed (or the first epoch began)",
            m.seconds_since_erase.clone(),
        );
        registry.register(
            "store_erases",
            "Storage erases completed (older epoch keys destroyed in the HSM)",
            m.erases.clone(),
        );
        registry.register(
            "store_erase_failures",
            "Storage erases that failed (older epoch keys kept; retried at the next check)",
            m.erase_failures.clone(),
        );
        registry.register(
            "store_records_rejected",
            "Reads refused because a stored record failed authentication at rest",
            m.records_rejected.clone(),
        );
        registry.register(
            "store_index_inconsistent",
            "Locate candidates of the index that their authenticated record does not back (left out)",
            m.index_inconsistent.clone(),
        );
        registry.register(
            "cpu_pool_jobs",
            "CPU-heavy jobs (private-key operations, key generation) run on the bounded pool",
            m.cpu_jobs.clone(),
        );
        m
    }

    /// Counts one batch item handled while the HSM was lost.
    pub(crate) fn without_hsm(&self, outcome: &str) {
        self.without_hsm
            .get_or_create(&vec![("outcome".to_owned(), outcome.to_owned())])
            .inc();
    }

    /// Counts one successful item.
    pub(crate) fn record_success(&self, operation: Operation, seconds: f64) {
        let slot = Operation::ALL
            .binary_search(&operation)
            .ok()
            .and_then(|i| self.success.get(i));
        let Some(slot) = slot else {
            self.record(operation.spec_name(), "Success", seconds);
            return;
        };
        let (count, duration) = slot.get_or_init(|| {
            let name = operation.spec_name();
            let count = self
                .requests
                .get_or_create(&vec![
                    ("operation".to_owned(), name.to_owned()),
                    ("result".to_owned(), "Success".to_owned()),
                ])
                .clone();
            let duration = self
                .duration
                .get_or_create(&vec![("operation".to_owned(), name.to_owned())])
                .clone();
            (count, duration)
        });
        count.inc();
        duration.observe(seconds);
    }

    /// Counts one processed item.
    pub(crate) fn record(&self, operation: &str, result: &str, seconds: f64) {
        self.requests
            .get_or_create(&vec![
                ("operation".to_owned(), operation.to_owned()),
                ("result".to_owned(), result.to_owned()),
            ])
            .inc();
        self.duration
            .get_or_create(&vec![("operation".to_owned(), operation.to_owned())])
            .observe(seconds);
    }
}

/// Counters of the store's write path. The store keeps plain totals; the health loop adds
/// what grew since its last look.
#[derive(Default)]
pub(crate) struct StoreWriteMetrics {
    groups: Counter,
    commits: Counter,
    journal_syncs: Counter,
    journal_sync_seconds: Counter<f64, AtomicU64>,
    checkpoints: Counter,
    checkpoint_seconds: Counter<f64, AtomicU64>,
    /// The totals last added.
    seen: Mutex<WriteStats>,
}

impl StoreWriteMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "store_commit_groups",
            "Durable transactions written (one journal frame each); commits / groups is the mean group size",
            self.groups.clone(),
        );
        registry.register(
            "store_commits",
            "Commits carried by the durable transactions",
            self.commits.clone(),
        );
        registry.register(
            "store_journal_syncs",
            "fdatasync calls on the commit journal",
            self.journal_syncs.clone(),
        );
        registry.register(
            "store_journal_sync_seconds",
            "Time spent in commit journal syncs",
            self.journal_sync_seconds.clone(),
        );
        registry.register(
            "store_checkpoints",
            "Checkpoints: durable database commits that empty the journal",
            self.checkpoints.clone(),
        );
        registry.register(
            "store_checkpoint_seconds",
            "Time the store writer spent in checkpoints, applying no writes",
            self.checkpoint_seconds.clone(),
        );
    }

    /// Adds what grew since the last call. Totals below the last ones mean the store was
    /// opened again (they restart at zero): all of the new totals are then growth.
    pub(crate) fn update(&self, now: WriteStats) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let restarted = now.groups < seen.groups
            || now.journal_syncs < seen.journal_syncs
            || now.checkpoints < seen.checkpoints;
        let base = if restarted {
            WriteStats::default()
        } else {
            *seen
        };
        self.groups.inc_by(now.groups.saturating_sub(base.groups));
        self.commits
            .inc_by(now.commits.saturating_sub(base.commits));
        self.journal_syncs
            .inc_by(now.journal_syncs.saturating_sub(base.journal_syncs));
        self.journal_sync_seconds
            .inc_by((now.journal_sync_seconds - base.journal_sync_seconds).max(0.0));
        self.checkpoints
            .inc_by(now.checkpoints.saturating_sub(base.checkpoints));
        self.checkpoint_seconds
            .inc_by((now.checkpoint_seconds - base.checkpoint_seconds).max(0.0));
        *seen = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_handles_share_the_family_series() {
        let mut registry = Registry::default();
        let m = Metrics::register(&mut registry);
        m.record_success(Operation::Get, 0.001);
        m.record_success(Operation::Get, 0.001);
        m.record("Get", "Success", 0.001);
        m.record_success(Operation::Encrypt, 0.001);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
        assert!(
            text.contains(r#"kms_operations_total{operation="Get",result="Success"} 3"#),
            "{text}"
        );
        assert!(
            text.contains(r#"kms_operations_total{operation="Encrypt",result="Success"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"kms_operation_duration_seconds_count{operation="Get"} 3"#),
            "{text}"
        );
        // Operations never seen export no series.
        assert!(!text.contains(r#"operation="Decrypt""#), "{text}");
    }

    fn totals(groups: u64, commits: u64, checkpoint_seconds: f64) -> WriteStats {
        WriteStats {
            groups,
            commits,
            journal_syncs: groups,
            journal_sync_seconds: 0.001 * groups as f64,
            checkpoints: 1,
            checkpoint_seconds,
        }
    }

    fn assert_exports(registry: &Registry, lines: &[&str]) {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, registry).expect("encode");
        for line in lines {
            assert!(
                text.contains(&format!("{line}\n")),
                "{line} missing in:\n{text}"
            );
        }
    }

    #[test]
    fn store_write_counters_follow_the_totals_across_a_reopen() {
        let mut registry = Registry::default();
        let m = Metrics::register(&mut registry);
        m.store_writes.update(totals(4, 40, 0.5));
        m.store_writes.update(totals(10, 90, 0.75));
        assert_exports(
            &registry,
            &[
                "store_commit_groups_total 10",
                "store_commits_total 90",
                "store_journal_syncs_total 10",
                "store_checkpoints_total 1",
                "store_checkpoint_seconds_total 0.75",
            ],
        );
        // A reopened store counts from zero again: its totals are all new growth.
        m.store_writes.update(totals(2, 5, 0.25));
        assert_exports(
            &registry,
            &[
                "store_commit_groups_total 12",
                "store_commits_total 95",
                "store_checkpoints_total 2",
                "store_checkpoint_seconds_total 1.0",
            ],
        );
    }
}
