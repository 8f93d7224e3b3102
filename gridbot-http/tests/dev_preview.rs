//! Keeps a test app with a logged-in demo user and two running bots alive
//! for `GRIDBOT_PREVIEW_SECONDS` (default 120) so the dashboard can be
//! looked at during development. Ignored by default:
//! `cargo test -p gridbot-http --test dev_preview -- --ignored --nocapture`

mod common;

use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "development aid: serves the dashboard for a while"]
async fn serve_the_dashboard_for_a_look() {
    let app = common::spawn().await;
    let t = app.user("demo").await;
    let (_, templates) = app.get("/api/v1/multibot/templates", &t).await;
    for tpl in templates.as_array().unwrap().iter().take(2) {
        app.post(
            "/api/v1/multibot/bots",
            &t,
            json!({"template_id": tpl["id"], "amount": "750"}),
        )
        .await;
    }
    println!("PREVIEW {} demo / correct horse battery", app.base);
    let secs: u64 = std::env::var("GRIDBOT_PREVIEW_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
}
