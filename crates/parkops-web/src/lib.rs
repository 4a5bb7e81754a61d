//! ParkOps web adapter (stub; being written).

use parkops_app::App;

/// Web settings from the binary.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Set `Secure` and the `__Host-` prefix on cookies (true when serving HTTPS).
    pub secure_cookies: bool,
}

/// The whole web application: pages, JSON API, OpenAPI document, `/healthz`.
pub fn router(app: App, config: WebConfig) -> axum::Router {
    let _ = (app, config);
    axum::Router::new()
}

/// The server's own metrics in Prometheus text format, for a separate listener.
pub fn metrics_router(app: App) -> axum::Router {
    let _ = app;
    axum::Router::new()
}
