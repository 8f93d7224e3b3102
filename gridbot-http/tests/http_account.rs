//! Account: exchange credentials (write-only, encrypted), balance, risk settings.

mod common;

use common::{error_code, spawn};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn creds(key: &str) -> serde_json::Value {
    json!({"api_key": key, "api_secret": "very-secret-s3cr3t", "passphrase": "pass-phrase-77", "demo": true})
}

#[tokio::test]
async fn saved_credentials_are_verified_encrypted_and_never_returned() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/account/exchange-credentials",
            Some(&t),
            Some(creds("good-key")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["verified"], true);
    assert_eq!(v["equity"], "1234");
    let text = v.to_string();
    assert!(!text.contains("very-secret") && !text.contains("pass-phrase") && !text.contains("good-key"));

    let (s, v) = app.get("/api/v1/account/exchange-credentials", &t).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["configured"], true);
    assert_eq!(v["demo"], true);
    assert!(!v.to_string().contains("very-secret"));

    let user = app.store.user_by_name("ann").await.unwrap().unwrap();
    let rec = app.store.credentials(user.id).await.unwrap().unwrap();
    let stored = String::from_utf8_lossy(&rec.ciphertext);
    assert!(!stored.contains("very-secret") && !stored.contains("good-key"));

    let (s, _) = app
        .call(Method::DELETE, "/api/v1/account/exchange-credentials", Some(&t), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = app.get("/api/v1/account/exchange-credentials", &t).await;
    assert_eq!(v["configured"], false);
}

#[tokio::test]
async fn credentials_the_exchange_refuses_are_400_and_not_saved() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/account/exchange-credentials",
            Some(&t),
            Some(creds("bad-key")),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&v), "exchange_auth");
    let (_, v) = app.get("/api/v1/account/exchange-credentials", &t).await;
    assert_eq!(v["configured"], false);
}

#[tokio::test]
async fn empty_credential_fields_are_400() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/account/exchange-credentials",
            Some(&t),
            Some(json!({"api_key": " ", "api_secret": "x", "passphrase": "y"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "api_key");
}

#[tokio::test]
async fn a_new_user_sees_the_paper_demo_balance_with_nothing_used() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app.get("/api/v1/account/balance", &t).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["total"], "10000");
    assert_eq!(v["used"], "0");
    assert_eq!(v["available"], "10000");
    assert_eq!(v["active_bots"], 0);
    assert_eq!(v["max_bots"], 5);
}

#[tokio::test]
async fn risk_settings_default_then_round_trip_and_reject_out_of_range_values() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (_, v) = app.get("/api/v1/account/risk-settings", &t).await;
    assert_eq!(v["max_leverage"], 20);
    assert_eq!(v["daily_loss_limit"], serde_json::Value::Null);
    let new = json!({"daily_loss_limit": "250.5", "max_leverage": 10, "max_open_positions": 3, "close_positions_on_pause": true});
    let (s, v) = app
        .call(Method::PUT, "/api/v1/account/risk-settings", Some(&t), Some(new))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.get("/api/v1/account/risk-settings", &t).await;
    assert_eq!(v["daily_loss_limit"], "250.5");
    assert_eq!(v["max_open_positions"], 3);
    for (bad, field) in [
        (
            json!({"daily_loss_limit": "-1", "max_leverage": 10, "max_open_positions": 3, "close_positions_on_pause": false}),
            "daily_loss_limit",
        ),
        (
            json!({"daily_loss_limit": null, "max_leverage": 0, "max_open_positions": 3, "close_positions_on_pause": false}),
            "max_leverage",
        ),
        (
            json!({"daily_loss_limit": null, "max_leverage": 5, "max_open_positions": 9, "close_positions_on_pause": false}),
            "max_open_positions",
        ),
    ] {
        let (s, v) = app
            .call(Method::PUT, "/api/v1/account/risk-settings", Some(&t), Some(bad))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(v["error"]["field"], field);
    }
}

#[tokio::test]
async fn account_routes_require_a_token() {
    let app = spawn().await;
    for path in [
        "/api/v1/account/balance",
        "/api/v1/account/risk-settings",
        "/api/v1/account/exchange-credentials",
    ] {
        let (s, v) = app.call(Method::GET, path, None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(error_code(&v), "unauthorized");
    }
}
