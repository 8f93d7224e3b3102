//! Load: `GET /api/v1/multibot/summary` for a user with 5 running bots on
//! SQLite, driven by `wrk` on loopback. Ignored by default (it needs `wrk`
//! and a release build to mean anything):
//!
//! `cargo test --release -p gridbot-http --test http_load -- --ignored --nocapture`
//!
//! Targets: ≥ 5,000 requests/s and p99 ≤ 10 ms. `GRIDBOT_LOAD_SECONDS`
//! (default 10) and `GRIDBOT_LOAD_CONNECTIONS` (default 32) tune the run.
//!
//! The same load through the real `gridbot serve` binary (release, SQLite,
//! simulated market, five running template bots): `scripts/serve_load.sh`.
//! Measured 2026-11-21 on the quiet 2-core machine (load average 0.9–1.7,
//! wrk -t2 -c32 -d10s on the same cores): 77,700–78,200 requests/s, p50
//! 0.36–0.38 ms, p99 1.10–1.21 ms.

mod common;

use std::process::Command;

use common::{spawn_with, Options};
use reqwest::StatusCode;
use serde_json::json;

fn parse_latency_ms(s: &str) -> f64 {
    let s = s.trim();
    if let Some(v) = s.strip_suffix("us") {
        v.parse::<f64>().unwrap() / 1000.0
    } else if let Some(v) = s.strip_suffix("ms") {
        v.parse().unwrap()
    } else if let Some(v) = s.strip_suffix('s') {
        v.parse::<f64>().unwrap() * 1000.0
    } else {
        panic!("unknown latency {s}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test: needs wrk and --release"]
async fn summary_serves_5000_requests_per_second_with_p99_under_10ms_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("load.db").display());
    let app = spawn_with(Options {
        db,
        ..Options::default()
    })
    .await;
    let t = app.user("loader").await;
    let (_, templates) = app.get("/api/v1/multibot/templates", &t).await;
    let mut started = 0;
    let mut seen = std::collections::HashSet::new();
    for tpl in templates.as_array().unwrap() {
        if started == 5 || !seen.insert(tpl["symbol"].as_str().unwrap().to_owned()) {
            continue;
        }
        let (s, v) = app
            .post(
                "/api/v1/multibot/bots",
                &t,
                json!({"template_id": tpl["id"], "amount": "500"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        started += 1;
    }
    let (_, sum) = app.get("/api/v1/multibot/summary", &t).await;
    assert_eq!(sum["running_bots"], 5);

    let seconds = std::env::var("GRIDBOT_LOAD_SECONDS").unwrap_or_else(|_| "10".into());
    let conns = std::env::var("GRIDBOT_LOAD_CONNECTIONS").unwrap_or_else(|_| "32".into());
    let url = format!("{}/api/v1/multibot/summary", app.base);
    let out = tokio::task::spawn_blocking(move || {
        Command::new("wrk")
            .args(["-t2", "-c", &conns, "-d", &format!("{seconds}s"), "--latency", "-H"])
            .arg(format!("Authorization: Bearer {t}"))
            .arg(url)
            .output()
    })
    .await
    .unwrap()
    .expect("wrk is installed (apt-get install -y wrk)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    println!("{text}");
    let rps: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(parse_latency_ms)
        .unwrap();
    let p50 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("50%"))
        .map(parse_latency_ms)
        .unwrap();
    assert!(!text.contains("Non-2xx"), "errors during the run:\n{text}");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "summary load: {rps:.0} req/s, p50 {p50:.2} ms, p99 {p99:.2} ms (load average {})",
        load.trim()
    );
    assert!(rps >= 5000.0, "{rps:.0} req/s is below 5000");
    assert!(p99 <= 10.0, "p99 {p99:.2} ms is above 10 ms");
}
