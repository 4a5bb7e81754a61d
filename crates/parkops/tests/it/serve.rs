//! `parkops serve`: refusal of plain HTTP off loopback, start, HTTP, TLS, shutdown.

use crate::helpers::{Installation, Server, http_get_status};

#[test]
fn plain_http_on_a_public_address_is_refused_before_touching_the_database() {
    let inst = Installation::sqlite();
    let server = Server::start(inst.command(&["serve", "--listen", "0.0.0.0:0"]));
    let (status, log) = server.wait_exit();
    assert!(!status.success(), "{log}");
    assert!(log.contains("--allow-plain-http"), "{log}");
    assert!(!inst.data_dir.join("parkops.db").exists(), "no database opened");
}

#[test]
fn serve_migrates_listens_runs_jobs_and_stops_cleanly_on_sigterm() {
    let inst = Installation::sqlite();
    let server =
        Server::start(inst.command(&["serve", "--listen", "127.0.0.1:0", "--demo", "--checkpoint-every", "50"]));
    let durability = server.wait_for("SQLite durability settings");
    assert_eq!(durability["synchronous"], 2);
    assert_eq!(durability["journal_mode_wal"], 1);
    let addr = server.address("web");
    // The checkpoint job runs at start: the demo park brought more than 50 records.
    let signed =
        server.wait_until(|v| v["message"].as_str().is_some_and(|m| m.starts_with("checkpoint signed at seq")));
    assert_eq!(signed["span"]["job"], "sign_audit_checkpoint");
    let status_line = http_get_status(addr, "/");
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let (status, log) = server.terminate();
    assert!(status.success(), "{log}");
    assert!(log.contains("\"signal\":\"SIGTERM\""), "{log}");
    assert!(log.contains("shut down cleanly"), "{log}");

    let verify = inst.run(&["audit", "verify"], None);
    assert_eq!(verify.code, 0, "{verify:?}");
    assert!(verify.stdout.contains("checkpoints checked: 1"), "{verify:?}");
    assert!(verify.stdout.contains("origin: JB"), "{verify:?}");
}

#[test]
fn healthz_and_metrics_answer_on_their_listeners() {
    let inst = Installation::sqlite();
    let server = Server::start(inst.command(&["serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]));
    let web = server.address("web");
    let metrics = server.address("metrics");
    assert_eq!(http_get_status(web, "/healthz"), "HTTP/1.1 200 OK");
    assert_eq!(http_get_status(metrics, "/metrics"), "HTTP/1.1 200 OK");
    assert!(http_get_status(web, "/metrics").starts_with("HTTP/1.1 404"), "metrics stay off the public listener");
    let (status, log) = server.terminate();
    assert!(status.success(), "{log}");
    assert!(log.contains("\"part\":\"metrics server\""), "{log}");
}

#[tokio::test]
async fn tls_serves_https_with_the_given_certificate_on_a_public_address() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures");
    let (cert, key) = (fixtures.join("test-cert.pem"), fixtures.join("test-key.pem"));
    let inst = Installation::sqlite();
    let (cert_arg, key_arg) = (cert.to_str().expect("utf-8"), key.to_str().expect("utf-8"));
    let server =
        Server::start(inst.command(&["serve", "--listen", "0.0.0.0:0", "--tls-cert", cert_arg, "--tls-key", key_arg]));
    let port = server.address("web").port();

    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = reqwest::Certificate::from_pem(&std::fs::read(&cert).expect("cert")).expect("pem");
    let client = reqwest::Client::builder()
        .tls_backend_rustls()
        .tls_certs_only([root])
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client");
    let response = client.get(format!("https://localhost:{port}/")).send().await.expect("https request");
    assert!(response.status().as_u16() < 500, "{:?}", response.status());
    let plain = http_get_status(std::net::SocketAddr::from(([127, 0, 0, 1], port)), "/");
    assert!(!plain.starts_with("HTTP/1.1 2"), "no plain HTTP on the TLS port: {plain}");

    let (status, log) = server.terminate();
    assert!(status.success(), "{log}");
}

#[test]
fn every_setting_can_come_from_the_environment() {
    let inst = Installation::sqlite();
    let mut cmd = crate::helpers::parkops();
    cmd.arg("serve")
        .env("PARKOPS_LISTEN", "0.0.0.0:0")
        .env("PARKOPS_ALLOW_PLAIN_HTTP", "yes")
        .env("PARKOPS_DATA_DIR", &inst.data_dir)
        .env("PARKOPS_CHECKPOINT_INTERVAL", "1h")
        .env("PARKOPS_LOG_FORMAT", "json");
    let server = Server::start(cmd);
    let addr = server.address("web");
    assert!(addr.ip().is_unspecified(), "{addr}");
    let (status, log) = server.terminate();
    assert!(status.success(), "{log}");
    assert!(inst.data_dir.join("parkops.db").exists(), "the data directory came from PARKOPS_DATA_DIR");
}
