//! `/metrics` in the Prometheus text format, on `listen.metrics`.

use std::sync::Arc;

use http::StatusCode;
use prometheus_client::registry::Registry;
use tether_proto::status::{metrics_page, Page};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The page for `path`: the registry's metrics at `/metrics`, 404 elsewhere.
pub fn render(registry: &Registry, path: &str) -> Page {
    if path != "/metrics" {
        return Page::text(
            StatusCode::NOT_FOUND,
            "not found; metrics are at /metrics\n",
        );
    }
    metrics_page(|text| prometheus_client::encoding::text::encode(text, registry))
}

/// Serves `registry` until `shutdown`.
pub async fn serve(listener: TcpListener, registry: Arc<Registry>, shutdown: CancellationToken) {
    tether_proto::status::serve(listener, shutdown, move |path| render(&registry, path)).await
}
