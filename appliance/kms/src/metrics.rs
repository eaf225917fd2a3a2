//! Prometheus metrics of the key service.

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
