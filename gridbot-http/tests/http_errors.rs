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
