//! Prometheus metrics of the key service.

use std::sync::OnceLock;

use keywarden_kmip::enums::Operation;
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
    /// `kmip_requests_total{operation,result}`.
    pub requests: Family<Labels, Counter>,
    /// `kmip_request_duration_seconds{operation}`.
    pub duration: Family<Labels, Histogram, fn() -> Histogram>,
    /// `hsm_latency_seconds`.
    pub hsm_latency: Histogram,
    /// `hsm_up`.
    pub hsm_up: Gauge,
    /// `store_objects`.
    pub store_objects: Gauge,
    /// `store_file_bytes`.
    pub store_file_bytes: Gauge,
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
            store_objects: Gauge::default(),
            store_file_bytes: Gauge::default(),
            success: Operation::ALL.iter().map(|_| OnceLock::new()).collect(),
        };
        registry.register(
            "kmip_requests",
            "KMIP batch items by operation and result",
            m.requests.clone(),
        );
        registry.register(
            "kmip_request_duration_seconds",
            "Time to process one KMIP batch item",
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
            "store_objects",
            "Objects in the store, tombstones included",
            m.store_objects.clone(),
        );
        registry.register(
            "store_file_bytes",
            "Size of the database file",
            m.store_file_bytes.clone(),
        );
        m
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
            text.contains(r#"kmip_requests_total{operation="Get",result="Success"} 3"#),
            "{text}"
        );
        assert!(
            text.contains(r#"kmip_requests_total{operation="Encrypt",result="Success"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"kmip_request_duration_seconds_count{operation="Get"} 3"#),
            "{text}"
        );
        // Operations never seen export no series.
        assert!(!text.contains(r#"operation="Decrypt""#), "{text}");
    }
}
