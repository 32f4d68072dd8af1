//! Prometheus metrics: one process-wide recorder, an HTTP endpoint per service, and the RPC metrics
//! every service shares. Services add their own with the `metrics` macros (`metrics::counter!` …).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets in seconds, from 1 ms to 60 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Installs the process-wide recorder on first use and returns its handle.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Another recorder may already be installed (tests); the handle still renders ours.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Serves `GET /metrics` in the Prometheus text format until `shutdown` fires.
pub async fn serve_metrics(
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let handle = handle();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || async move { handle.render() }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
    Ok(())
}

/// Records one finished RPC.
pub fn record_rpc(service: &'static str, method: &str, code: &str, seconds: f64) {
    let labels = [
        ("service", service.to_owned()),
        ("method", method.to_owned()),
        ("code", code.to_owned()),
    ];
    metrics::counter!("benchhub_rpc_requests_total", &labels).increment(1);
    metrics::histogram!("benchhub_rpc_duration_seconds", &labels).record(seconds);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_rpcs_are_rendered() {
        let handle = handle();
        record_rpc("test", "/benchhub.v1.X/Y", "Ok", 0.003);
        let text = handle.render();
        assert!(text.contains("benchhub_rpc_requests_total"), "{text}");
        assert!(
            text.contains("benchhub_rpc_duration_seconds_bucket"),
            "{text}"
        );
    }
}
