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
    // The owner's shape beside it.
    assert_eq!(v["symbol"], "BTCUSDT");
    let owner = v["recommended_strategies"].as_array().unwrap();
    assert_eq!(owner.len(), 3);
    assert_eq!(owner[0]["risk_level"], "low");
    assert_eq!(owner[2]["risk_level"], "high");
    assert!(owner[0]["expected_roi_30d"].is_number() && owner[0]["price_range_lower"].is_number());
    assert_eq!(v["market_analysis"]["trend"], "sideways");
    assert_eq!(v["market_analysis"]["volatility"], 0.01, "a fraction");
    // symbol in the query, no body, the owner's default timeframe
    let (s, v) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/grid-bot/analyze?symbol=ETHUSDT",
            Some(&t),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["symbol"], "ETHUSDT");
}

#[tokio::test]
async fn analyze_refuses_bad_symbols_and_timeframes_with_400() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app
        .post("/api/v1/grid-bot/analyze", &t, json!({"symbol": "BTC/USDT"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "symbol");
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
    assert_eq!(v["error"]["field"], "timeframe");
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
    // Above the user's leverage cap (20): the plan is fine, a start is not.
    let mut high = btc_grid();
    high["leverage"] = json!(30);
    high["lower"] = json!("58000");
    high["upper"] = json!("62000");
    let (_, v) = app.post("/api/v1/grid-bot/preview", &t, high).await;
    assert_eq!(
        (v["viable"].clone(), v["refusal_code"].clone()),
        (json!(false), json!("leverage_above_cap")),
        "{v}"
    );
    // A long grid below the price starts with a market buy: said.
    let mut long = btc_grid();
    long["mode"] = json!("long");
    let (_, v) = app.post("/api/v1/grid-bot/preview", &t, long).await;
    let warnings = v["warning_messages"].to_string();
    assert!(warnings.contains("market buy"), "{warnings}");
    // Korean when asked.
    let mut tiny = btc_grid();
    tiny["investment"] = json!("10");
    tiny["leverage"] = json!(1);
    let res = app
        .http
        .post(format!("{}/api/v1/grid-bot/preview", app.base))
        .bearer_auth(&t)
        .header("Accept-Language", "ko-KR,ko;q=0.9")
        .json(&tiny)
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    let msg = v["error_messages"][0].as_str().unwrap();
    assert!(msg.contains("최소") || msg.contains("투자금"), "{msg}");
}

#[tokio::test]
async fn a_grid_is_created_then_started_then_stopped() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, bot) = create(&app, &t, json!({"config": btc_grid()})).await;
    assert_eq!(s, StatusCode::CREATED, "{bot}");
    assert_eq!(bot["status"], "stopped", "the owner's status of a created bot");
    assert_eq!(bot["state"], "created");
    assert_eq!(bot["grid_type"], "arithmetic");
    assert_eq!(bot["price_range_lower"], 54000.0);
    assert_eq!(bot["grid_count"], 20);
    assert_eq!(bot["investment_amount"], 1000.0);
    assert!(bot["investment_ratio"].is_null());
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
    assert!(v["stopped_at"].as_str().unwrap().ends_with('Z'), "ISO time: {v}");
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
        json!({"symbol": "ETHUSDT", "recommendation": rec, "investment_ratio": 25}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{bot}");
    assert_eq!(bot["investment_ratio"], 25.0);
    assert_eq!(bot["is_ai_recommended"], true);
    let allocation: rust_decimal::Decimal = bot["bot"]["allocation"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        allocation,
        rust_decimal::Decimal::from(2500),
        "a quarter of 10000 available"
    );
    assert_eq!(bot["bot"]["source"]["source"], "recommendation");
    let (s, v) = create(
        &app,
        &t,
        json!({"symbol": "ETHUSDT", "recommendation": rec, "investment_amount": "300"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["bot"]["allocation"], "300");
}

#[tokio::test]
async fn create_refuses_missing_or_contradictory_input_with_400() {
    let app = spawn().await;
    let t = app.user("ann").await;
    for body in [
        json!({}),
        json!({"config": btc_grid(), "investment_amount": "100", "investment_ratio": "0.5"}),
        json!({"config": btc_grid(), "investment_ratio": "150"}),
        json!({"config": btc_grid(), "investment_amount": "1_000"}),
        json!({"config": btc_grid(), "investment_amount": "100.5e2"}),
        json!({"recommendation": {"lower": "1", "upper": "2", "grids": 10, "leverage": 1, "mode": "long", "spacing": "arithmetic"}}),
        json!({"config": {"symbol": "BTCUSDT", "lower": "54000", "upper": "66000", "grids": 500, "investment": "1000"}}),
        json!({"config": {"symbol": "BTCUSDT", "lower": "54000", "upper": "66000", "grids": 20, "investment": "5"}}),
    ] {
        let (s, v) = create(&app, &t, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} -> {v}");
        assert!(
            ["validation", "invalid_plan", "amount_out_of_range"].contains(&error_code(&v)),
            "{v}"
        );
        assert!(v["error"]["field"].is_string(), "the field is named: {v}");
        let m = v["error"]["message"].as_str().unwrap();
        assert!(
            !m.contains("..=") && !m.contains("expected") && !m.contains("line 1"),
            "{m}"
        );
    }
    // A price beyond any contract's is refused naming the field.
    let mut huge = btc_grid();
    huge["upper"] = json!(9223372036854775808u64);
    let (s, v) = create(&app, &t, json!({"config": huge})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "upper");
}

#[tokio::test]
async fn the_owners_create_fields_make_a_grid_and_start_true_starts_it_in_one_call() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let body = json!({"symbol": "BTCUSDT", "grid_type": "geometric", "price_range_lower": 54000,
        "price_range_upper": 66000, "grid_count": 20, "investment_amount": 1000, "leverage": 3,
        "stop_loss_percent": 5, "take_profit_percent": 5, "start": true});
    let (s, v) = create(&app, &t, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "running");
    assert_eq!(v["grid_type"], "geometric");
    assert_eq!(v["stop_loss"], "51300", "5 % below the lower edge");
    assert_eq!(v["take_profit"], "69300", "5 % above the upper edge");
    assert_eq!(v["stop_loss_percent"], 5.0);
    // A second start on the same symbol is refused and leaves no bot behind.
    let (s, v) = create(&app, &t, body).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "symbol_busy");
    let (_, all) = app.get("/api/v1/multibot/bots?status=all", &t).await;
    assert_eq!(all.as_array().unwrap().len(), 1, "no created orphan: {all}");
}

#[tokio::test]
async fn a_created_bot_can_be_deleted_or_started_and_a_stopped_one_restarted() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (_, a) = create(&app, &t, json!({"config": btc_grid()})).await;
    let a = a["id"].as_i64().unwrap();
    let (s, v) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/multibot/bots/{a}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["success"].clone(), v["deleted"].clone()), (json!(true), json!(true)));
    let (s, _) = app.get(&format!("/api/v1/multibot/bots/{a}"), &t).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (_, b) = create(&app, &t, json!({"config": btc_grid()})).await;
    let b = b["id"].as_i64().unwrap();
    let (s, v) = app
        .post(&format!("/api/v1/multibot/bots/{b}/start"), &t, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "running");
    app.post(&format!("/api/v1/grid-bot/{b}/stop"), &t, json!({})).await;
    let (_, v) = app.get(&format!("/api/v1/multibot/bots/{b}"), &t).await;
    assert_eq!(v["actions"]["start"], true, "a stopped bot offers a restart: {v}");
    let (s, v) = app
        .post(&format!("/api/v1/multibot/bots/{b}/start"), &t, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "running");
    let (_, bal) = app.get("/api/v1/account/balance", &t).await;
    assert_eq!(bal["used"], "1000");
}

#[tokio::test]
async fn a_running_grids_stops_can_be_edited_cleared_and_a_zero_price_is_refused() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (_, bot) = create(&app, &t, json!({"config": btc_grid(), "start": true})).await;
    let id = bot["id"].as_i64().unwrap();
    let path = format!("/api/v1/grid-bot/{id}");
    let (s, v) = app
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(&t),
            Some(json!({"stop_loss": "50000", "take_profit": 70000})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["stop_loss"].clone(), v["take_profit"].clone()),
        (json!("50000"), json!("70000"))
    );
    let (s, v) = app
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(&t),
            Some(json!({"take_profit": null})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["take_profit"].is_null() && v["stop_loss"] == "50000", "{v}");
    let (s, v) = app
        .call(reqwest::Method::PATCH, &path, Some(&t), Some(json!({"stop_loss": "0"})))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "stop_loss");
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
    assert_eq!(v["tick_size"], "0.1");
    for k in ["roi_pct", "grid_profit", "unrealized_pnl", "fees"] {
        assert!(v[k].is_string(), "{k}: {v}");
    }
    assert!(v["apr_pct"].is_null(), "no APR before a day of running: {v}");
    assert!(v["roi"].is_number());
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
    assert_eq!(v["error"]["field"], "days");
    let mut many = btc_grid();
    many["grids"] = json!(150);
    let (s, v) = app.post("/api/v1/backtest", &t, json!({"config": many})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&v), "no_viable_grid");
    let (s, _) = app.post("/api/v1/backtest", &t, json!({"days": 2})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
