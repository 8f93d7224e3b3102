//! Grid bots: analyze, preview, create (config or recommendation, amount or
//! ratio), start, stop, list, performance.

mod common;

use common::{error_code, spawn, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn btc_grid() -> Value {
    json!({"symbol": "BTCUSDT", "lower": "54000", "upper": "66000", "grids": 20, "mode": "neutral",
           "spacing": "arithmetic", "investment": "1000", "leverage": 3})
}

async fn create(app: &TestApp, t: &str, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/grid-bot/create", t, body).await
}

#[tokio::test]
async fn analyze_returns_the_analysis_and_three_recommendations() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app
        .post(
            "/api/v1/grid-bot/analyze",
            &t,
            json!({"symbol": "btcusdt", "timeframe": "1h"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["analysis"]["symbol"], "BTCUSDT");
    let recs = v["recommendations"].as_array().unwrap();
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0]["risk_level"], "conservative");
    assert!(recs[0]["expected_roi_30d"].is_string());
}

#[tokio::test]
async fn analyze_refuses_bad_symbols_and_timeframes_with_400() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app
        .post("/api/v1/grid-bot/analyze", &t, json!({"symbol": "BTC/USDT"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["details"]["field"], "symbol");
    let (s, v) = app
        .post("/api/v1/grid-bot/analyze", &t, json!({"symbol": "NOPEUSDT"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/grid-bot/analyze",
            &t,
            json!({"symbol": "BTCUSDT", "timeframe": "7m"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["details"]["field"], "interval");
}

#[tokio::test]
async fn preview_shows_levels_margin_profit_and_liquidation_or_the_broken_rules() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app.post("/api/v1/grid-bot/preview", &t, btc_grid()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["viable"], true);
    assert_eq!(v["levels"].as_array().unwrap().len(), 21);
    assert!(v["required_margin"].is_string());
    assert!(v["profit_per_grid_pct"]["min"].is_string());
    let mut tiny = btc_grid();
    tiny["investment"] = json!("10");
    tiny["leverage"] = json!(1);
    let (s, v) = app.post("/api/v1/grid-bot/preview", &t, tiny).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["viable"], false);
    assert!(!v["error_messages"].as_array().unwrap().is_empty(), "{v}");
    let mut inverted = btc_grid();
    inverted["lower"] = json!("70000");
    let (s, v) = app.post("/api/v1/grid-bot/preview", &t, inverted).await;
    assert!(s == StatusCode::BAD_REQUEST || v["viable"] == false, "{s} {v}");
}

#[tokio::test]
async fn a_grid_is_created_then_started_then_stopped() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, bot) = create(&app, &t, json!({"config": btc_grid()})).await;
    assert_eq!(s, StatusCode::CREATED, "{bot}");
    assert_eq!(bot["status"], "created");
    assert_eq!(bot["kind"], "grid");
    let id = bot["id"].as_i64().unwrap();
    let (_, bal) = app.get("/api/v1/account/balance", &t).await;
    assert_eq!(bal["used"], "0", "a created bot holds nothing");

    let (s, v) = app.post(&format!("/api/v1/grid-bot/{id}/start"), &t, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "running");
    let (_, bal) = app.get("/api/v1/account/balance", &t).await;
    assert_eq!(bal["used"], "1000");

    let (s, v) = app.post(&format!("/api/v1/grid-bot/{id}/start"), &t, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "already running: {v}");

    let (_, list) = app.get("/api/v1/grid-bot/list", &t).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    let (s, v) = app.post(&format!("/api/v1/grid-bot/{id}/stop"), &t, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "stopped");
    let (_, bal) = app.get("/api/v1/account/balance", &t).await;
    assert_eq!(bal["used"], "0");
}

#[tokio::test]
async fn a_recommendation_is_created_with_an_amount_or_a_ratio_of_available() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (_, v) = app
        .post("/api/v1/grid-bot/analyze", &t, json!({"symbol": "ETHUSDT"}))
        .await;
    let rec = v["recommendations"][1].clone();
    let (s, bot) = create(
        &app,
        &t,
        json!({"symbol": "ETHUSDT", "recommendation": rec, "investment_ratio": "0.25"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{bot}");
    let allocation: rust_decimal::Decimal = bot["allocation"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        allocation,
        rust_decimal::Decimal::from(2500),
        "a quarter of 10000 available"
    );
    assert_eq!(bot["source"]["source"], "recommendation");
    let (s, v) = create(
        &app,
        &t,
        json!({"symbol": "ETHUSDT", "recommendation": rec, "investment_amount": "300"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["allocation"], "300");
}

#[tokio::test]
async fn create_refuses_missing_or_contradictory_input_with_400() {
    let app = spawn().await;
    let t = app.user("ann").await;
    for body in [
        json!({}),
        json!({"config": btc_grid(), "investment_amount": "100", "investment_ratio": "0.5"}),
        json!({"config": btc_grid(), "investment_ratio": "1.5"}),
        json!({"recommendation": {"lower": "1", "upper": "2", "grids": 10, "leverage": 1, "mode": "long", "spacing": "arithmetic"}}),
        json!({"config": {"symbol": "BTCUSDT", "lower": "54000", "upper": "66000", "grids": 500, "investment": "1000"}}),
        json!({"config": {"symbol": "BTCUSDT", "lower": "54000", "upper": "66000", "grids": 20, "investment": "5"}}),
    ] {
        let (s, v) = create(&app, &t, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} -> {v}");
        assert_eq!(error_code(&v), "validation");
    }
}

#[tokio::test]
async fn performance_shows_figures_curve_levels_orders_trades_and_price() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (_, bot) = create(&app, &t, json!({"config": btc_grid()})).await;
    let id = bot["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/grid-bot/{id}/start"), &t, json!({})).await;
    let (s, v) = app.get(&format!("/api/v1/grid-bot/{id}/performance"), &t).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["bot"]["id"], id);
    assert_eq!(v["levels"].as_array().unwrap().len(), 21);
    assert_eq!(v["current_price"], "60000");
    for k in ["roi_pct", "apr_pct", "grid_profit", "unrealized_pnl", "fees"] {
        assert!(v[k].is_string(), "{k}: {v}");
    }
    assert!(v["equity_curve"].is_array() && v["trades"].is_array() && v["open_orders"].is_array());
    let (s, _) = app.get("/api/v1/grid-bot/424242/performance", &t).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn backtest_replays_recent_candles_and_answers_roi_drawdown_and_curve() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app
        .post(
            "/api/v1/backtest",
            &t,
            json!({"config": btc_grid(), "days": 2, "timeframe": "1h"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["symbol"], "BTCUSDT");
    let n = v["candles"].as_u64().unwrap();
    assert!((48..=49).contains(&n), "2 days of hours (plus the current one): {n}");
    assert_eq!(v["roi_pct"], "1.5");
    assert_eq!(v["equity_curve"].as_array().unwrap().len(), 2);
    let (s, v) = app
        .post("/api/v1/backtest", &t, json!({"config": btc_grid(), "days": 31}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["details"]["field"], "days");
    let mut many = btc_grid();
    many["grids"] = json!(150);
    let (s, v) = app.post("/api/v1/backtest", &t, json!({"config": many})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&v), "no_viable_grid");
    let (s, _) = app.post("/api/v1/backtest", &t, json!({"days": 2})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
