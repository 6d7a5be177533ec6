//! Prometheus metrics, served on the admin listener: requests by operation and status, bytes in
//! and out, backend latency, in-flight requests. Built on `prometheus-client`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The labels of the request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The S3 operation (`-` for requests that route to none).
    pub operation: String,
    pub status: u16,
}

/// Every metric, registered once.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    pub backend_latency: Histogram,
    pub in_flight: Gauge,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("multistore");
        let requests = Family::<RequestLabels, Counter>::default();
        let bytes_in = Counter::default();
        let bytes_out = Counter::default();
        let backend_latency = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let in_flight = Gauge::default();
        registry.register(
            "requests",
            "Requests answered, by operation and status",
            requests.clone(),
        );
        registry.register(
            "request_bytes",
            "Request body bytes received (by Content-Length)",
            bytes_in.clone(),
        );
        registry.register(
            "response_bytes",
            "Response body bytes sent",
            bytes_out.clone(),
        );
        registry.register(
            "backend_latency_seconds",
            "Time to a backend's response head",
            backend_latency.clone(),
        );
        registry.register(
            "in_flight_requests",
            "Requests being served",
            in_flight.clone(),
        );
        Self {
            registry,
            requests,
            bytes_in,
            bytes_out,
            backend_latency,
            in_flight,
        }
    }

    /// Counts one finished request.
    pub fn record(&self, operation: &str, status: u16, bytes_in: u64, bytes_out: u64) {
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.to_owned(),
                status,
            })
            .inc();
        self.bytes_in.inc_by(bytes_in);
        self.bytes_out.inc_by(bytes_out);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_requests_appear_in_the_exposition() {
        let m = Metrics::new();
        m.record("GetObject", 200, 0, 42);
        m.backend_latency.observe(0.002);
        let text = m.render();
        assert!(
            text.contains("multistore_requests_total{operation=\"GetObject\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("multistore_response_bytes_total 42"),
            "{text}"
        );
        assert!(
            text.contains("multistore_backend_latency_seconds_count 1"),
            "{text}"
        );
    }
}
