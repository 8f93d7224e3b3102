//! Internal failures answer 500 with the envelope and no internals.

mod common;

use std::sync::Arc;

use common::{error_code, spawn_on, Options};
use gridbot_core::ports::mocks::MockStore;
use gridbot_core::StoreError;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_database_failure_is_a_500_that_tells_nothing_of_the_database() {
    let mut store = MockStore::new();
    store
        .expect_user()
        .returning(|id| Ok(Some(gridbot_core::model::User::new(id, "ann", "h", 0))));
    store.expect_risk_settings().returning(|_| {
        Err(StoreError::Database(
            "connect postgres://admin:hunter2@db.internal failed".into(),
        ))
    });
    store
        .expect_user_by_name()
        .returning(|_| Err(StoreError::Corrupt("row 7: password_hash column unreadable".into())));
    let app = spawn_on(Arc::new(store), Options::default()).await;
    let token = {
        let key = [42u8; 32];
        let svc = gridbot_http::auth::tokens::TokenService::new(&key);
        let now = gridbot_core::clock::Clock::now_ms(&gridbot_core::clock::SystemClock);
        svc.issue(
            gridbot_core::model::UserId(1),
            "ann",
            gridbot_http::auth::tokens::TokenKind::Access,
            now,
        )
        .unwrap()
    };
    let (s, v) = app.get("/api/v1/account/risk-settings", &token).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_code(&v), "internal");
    let text = v.to_string();
    assert!(
        !text.contains("hunter2") && !text.contains("postgres") && !text.contains("db.internal"),
        "{text}"
    );

    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "ann", "password": "password123"})),
        )
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!v.to_string().contains("password_hash"), "{v}");
}

#[tokio::test]
async fn a_wrong_method_answers_405_with_the_envelope() {
    let app = common::spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app
        .call(Method::DELETE, "/api/v1/multibot/summary", Some(&t), None)
        .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{v}");
    assert_eq!(error_code(&v), "method_not_allowed");
}

#[tokio::test]
async fn refusals_name_the_field_and_speak_korean_when_asked() {
    let app = common::spawn().await;
    let t = app.user("ann").await;
    let (_, list) = app.get("/api/v1/multibot/templates", &t).await;
    let btc = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["symbol"] == "BTCUSDT")
        .unwrap()["id"]
        .clone();
    for bad in [json!("1_000"), json!("100.5e2"), json!("ten"), json!(true)] {
        let (s, v) = app
            .post("/api/v1/multibot/bots", &t, json!({"template_id": btc, "amount": bad}))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert_eq!(v["error"]["field"], "amount", "{v}");
        let m = v["error"]["message"].as_str().unwrap();
        assert!(
            !m.contains("Decimal") && !m.contains("line 1") && !m.contains("expected"),
            "{m}"
        );
    }
    let ko = |body: serde_json::Value| {
        app.http
            .post(format!("{}/api/v1/multibot/bots", app.base))
            .bearer_auth(&t)
            .header("Accept-Language", "ko")
            .json(&body)
            .send()
    };
    let v: serde_json::Value = ko(json!({"template_id": btc, "amount": 5}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["error"]["message"], "최소 투자금은 $50.00입니다", "{v}");
    let v: serde_json::Value = ko(json!({"template_id": 987654, "amount": 100}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["error"]["message"], "유효하지 않은 전략입니다", "{v}");
    let v: serde_json::Value = ko(json!({"template_id": btc})).await.unwrap().json().await.unwrap();
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.starts_with("금액:"), "{m}");
}
