//! Health, metrics, OpenAPI, the embedded dashboard and unknown routes.

mod common;

use common::{error_code, spawn};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn().await;
    let (s, v) = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "ok");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let app = spawn().await;
    let t = app.user("ann").await;
    app.get("/api/v1/multibot/bots/12345", &t).await;
    let text = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("# TYPE gridbot_http_requests_total counter"));
    assert!(
        text.contains(r#"gridbot_http_requests_total{method="GET",route="/api/v1/multibot/bots/{id}",status="404"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"gridbot_http_request_duration_seconds_count{route="/api/v1/auth/register"} 1"#));
}

#[tokio::test]
async fn openapi_describes_every_route_group() {
    let app = spawn().await;
    let (s, v) = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    let paths = v["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/account/exchange-credentials",
        "/api/v1/multibot/bots/{id}",
        "/api/v1/multibot/balance-check",
        "/api/v1/grid-bot/{id}/performance",
        "/api/v1/stream",
        "/healthz",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    assert!(v["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn the_dashboard_and_its_modules_are_served_from_the_binary() {
    let app = spawn().await;
    let res = app.http.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"login-form\"") && html.contains("/assets/app.js"));
    for f in [
        "app.js",
        "api.js",
        "i18n.js",
        "charts.js",
        "views.js",
        "grid.js",
        "fmt.js",
        "style.css",
    ] {
        let res = app.http.get(format!("{}/assets/{f}", app.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{f}");
        assert!(!res.text().await.unwrap().trim().is_empty(), "{f} is empty");
    }
    let res = app
        .http
        .get(format!("{}/assets/secret.key", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_api_routes_answer_the_404_envelope() {
    let app = spawn().await;
    let (s, v) = app.call(Method::GET, "/api/v1/nothing/here", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&v), "not_found");
}

#[tokio::test]
async fn the_stream_sends_the_summary_first_and_needs_a_token() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, _) = app.call(Method::GET, "/api/v1/stream", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let mut res = app
        .http
        .get(format!("{}/api/v1/stream?access_token={t}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), res.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&chunk);
    assert!(text.starts_with("event: summary\n"), "{text}");
    assert!(text.contains("\"balance\""));
}
