//! Auth: register, login, refresh, token checks and login rate limits.

mod common;

use common::{error_code, spawn, spawn_with, Options};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn register_returns_tokens_that_authorise_api_calls() {
    let app = spawn().await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "ann", "password": "password123"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["user"]["username"], "ann");
    let token = v["access_token"].as_str().unwrap();
    let (s, _) = app.get("/api/v1/account/risk-settings", token).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_taken_user_name_is_a_409_conflict() {
    let app = spawn().await;
    app.user("ann").await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "ann", "password": "password123"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(error_code(&v), "conflict");
}

#[tokio::test]
async fn short_passwords_bad_names_and_malformed_bodies_are_400() {
    let app = spawn().await;
    for body in [
        json!({"username": "ann", "password": "short"}),
        json!({"username": "a", "password": "password123"}),
        json!({"username": "bad name!", "password": "password123"}),
        json!({"username": "ann"}),
    ] {
        let (s, v) = app.call(Method::POST, "/api/v1/auth/register", None, Some(body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(error_code(&v), "validation");
    }
    let res = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_code(&v), "validation");
}

#[tokio::test]
async fn login_answers_the_same_401_for_a_wrong_password_and_an_unknown_name() {
    let app = spawn().await;
    app.user("ann").await;
    let (s1, v1) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "ann", "password": "wrong password"})),
        )
        .await;
    let (s2, v2) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "nobody", "password": "wrong password"})),
        )
        .await;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(v1, v2);
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "ann", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["refresh_token"].is_string());
}

#[tokio::test]
async fn refresh_trades_a_refresh_token_for_new_tokens_and_refuses_access_tokens() {
    let app = spawn().await;
    let (_, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "ann", "password": "password123"})),
        )
        .await;
    let refresh = v["refresh_token"].as_str().unwrap();
    let access = v["access_token"].as_str().unwrap();
    let (s, nv) = app
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(nv["access_token"].is_string());
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": access})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&v), "unauthorized");
    // and a refresh token does not authorise API calls
    let (s, _) = app.get("/api/v1/account/risk-settings", refresh).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn api_calls_without_or_with_a_forged_token_are_401() {
    let app = spawn().await;
    let (s, v) = app.call(Method::GET, "/api/v1/multibot/summary", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&v), "unauthorized");
    let (s, _) = app.get("/api/v1/multibot/summary", "eyJhbGciOiJIUzI1NiJ9.e30.x").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_attempts_past_the_limit_are_429_with_retry_after() {
    let app = spawn_with(Options {
        login_burst: 3,
        register_burst: 100,
        ..Options::default()
    })
    .await;
    app.user("ann").await;
    let body = json!({"username": "ann", "password": "wrong password"});
    for _ in 0..3 {
        let (s, _) = app
            .call(Method::POST, "/api/v1/auth/login", None, Some(body.clone()))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let res = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"username": "ann", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_code(&v), "rate_limited");
    // another user name from the same address is not affected
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "bob", "password": "whatever1"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn registrations_past_the_limit_per_address_are_429() {
    let app = spawn_with(Options {
        login_burst: 100,
        register_burst: 2,
        ..Options::default()
    })
    .await;
    app.user("ann").await;
    app.user("bob").await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "cat", "password": "password123"})),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&v), "rate_limited");
}

async fn register(app: &common::TestApp, name: &str) -> serde_json::Value {
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": name, "password": "password123"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn refresh(app: &common::TestApp, token: &str) -> (StatusCode, serde_json::Value) {
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

async fn logout(app: &common::TestApp, token: &str) -> StatusCode {
    app.call(
        Method::POST,
        "/api/v1/auth/logout",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
    .0
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_successor_works() {
    let app = spawn().await;
    let v = register(&app, "ann").await;
    let first = v["refresh_token"].as_str().unwrap();
    let (s, second) = refresh(&app, first).await;
    assert_eq!(s, StatusCode::OK);
    let second = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let (s, v) = refresh(&app, first).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "an old refresh token used twice: {v}");
    assert_eq!(error_code(&v), "unauthorized");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already used or revoked"));
    let (s, third) = refresh(&app, &second).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .get("/api/v1/account/risk-settings", third["access_token"].as_str().unwrap())
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_refreshes_with_one_token_exactly_one_succeeds() {
    let app = std::sync::Arc::new(spawn().await);
    let v = register(&app, "ann").await;
    let token = v["refresh_token"].as_str().unwrap().to_owned();
    let mut joins = Vec::new();
    for _ in 0..8 {
        let (app, token) = (app.clone(), token.clone());
        joins.push(tokio::spawn(async move { refresh(&app, &token).await.0 }));
    }
    let mut ok = 0;
    for j in joins {
        match j.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::UNAUTHORIZED => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_and_is_idempotent() {
    let app = spawn().await;
    let v = register(&app, "ann").await;
    let token = v["refresh_token"].as_str().unwrap();
    // Another session of the same user is not touched.
    let (_, other) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "ann", "password": "password123"})),
        )
        .await;
    assert_eq!(logout(&app, token).await, StatusCode::NO_CONTENT);
    let (s, v) = refresh(&app, token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(logout(&app, token).await, StatusCode::NO_CONTENT);
    let (s, _) = refresh(&app, other["refresh_token"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    // An access token or a forged one is no refresh token.
    assert_eq!(
        logout(&app, v["access_token"].as_str().unwrap_or("x.y.z")).await,
        StatusCode::UNAUTHORIZED
    );
    let (s, v) = app
        .call(Method::POST, "/api/v1/auth/logout", None, Some(json!({})))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn revocations_survive_a_restart_on_the_same_store() {
    let app = spawn().await;
    let v = register(&app, "ann").await;
    let logged_out = v["refresh_token"].as_str().unwrap().to_owned();
    let (_, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "ann", "password": "password123"})),
        )
        .await;
    let rotated = v["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(logout(&app, &logged_out).await, StatusCode::NO_CONTENT);
    assert_eq!(refresh(&app, &rotated).await.0, StatusCode::OK);

    // A new process: same store and key, empty memory.
    let restarted = common::spawn_on(app.store.clone(), Options::default()).await;
    assert_eq!(refresh(&restarted, &logged_out).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh(&restarted, &rotated).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn one_address_spraying_passwords_across_many_names_is_throttled() {
    let app = spawn_with(Options {
        login_burst: 100,
        login_ip_burst: 5,
        ..Options::default()
    })
    .await;
    for i in 0..5 {
        let (s, _) = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": format!("user{i}"), "password": "Summer2024!"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "user9", "password": "Summer2024!"})),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(error_code(&v), "rate_limited");
}

#[tokio::test]
async fn an_access_token_in_the_query_works_only_on_the_stream() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app
        .call(
            Method::GET,
            &format!("/api/v1/multibot/summary?access_token={t}"),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let res = app
        .http
        .get(format!("{}/api/v1/stream?access_token={t}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn tokens_carry_the_standard_exp_claim_and_a_token_of_an_unknown_user_is_refused() {
    use base64::Engine as _;
    let app = spawn().await;
    let t = app.user("ann").await;
    let payload = t.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert!(claims["exp"].is_i64(), "{claims}");
    assert!(claims.get("exp_ms").is_none(), "{claims}");
    // Signed with the server's key, for a user the store does not have.
    let key = [42u8; 32];
    let svc = gridbot_http::auth::tokens::TokenService::new(&key);
    let now = gridbot_core::clock::Clock::now_ms(&gridbot_core::clock::SystemClock);
    let ghost = svc
        .issue(
            gridbot_core::model::UserId(987_654),
            "ghost",
            gridbot_http::auth::tokens::TokenKind::Access,
            now,
        )
        .unwrap();
    let (s, v) = app.get("/api/v1/multibot/summary", &ghost).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(error_code(&v), "unauthorized");
}
