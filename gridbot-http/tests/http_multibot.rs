//! Multibot: templates, starting bots from them, listing, stopping, the
//! summary and the balance check, with every refusal and user isolation.

mod common;

use std::collections::HashSet;

use common::{error_code, spawn, spawn_with, Options, TestApp};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// The template id of the first active template on `symbol` (long).
async fn template_for(app: &TestApp, token: &str, symbol: &str) -> i64 {
    let (_, v) = app.get("/api/v1/multibot/templates", token).await;
    v.as_array()
        .unwrap()
        .iter()
        .find(|t| t["symbol"] == symbol && t["is_active"] == true)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn start(app: &TestApp, token: &str, template: i64, amount: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/multibot/bots",
        token,
        json!({"template_id": template, "amount": amount}),
    )
    .await
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn templates_are_listed_and_one_can_be_fetched_or_404() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let (s, v) = app.get("/api/v1/multibot/templates", &t).await;
    assert_eq!(s, StatusCode::OK);
    let list = v.as_array().unwrap();
    assert!(list.len() >= 7);
    let id = list[0]["id"].as_i64().unwrap();
    assert!(list[0]["min_investment"].is_number(), "the owner's money is a number");
    assert!(
        list[0]["min_investment_exact"].is_string(),
        "gridbot's exact decimal beside it"
    );
    let (s, v) = app.get(&format!("/api/v1/multibot/templates/{id}"), &t).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["id"], id);
    let (s, v) = app.get("/api/v1/multibot/templates/999999", &t).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&v), "template_not_found");
    let (s, v) = app.get("/api/v1/multibot/templates/abc", &t).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&v), "validation");
}

#[tokio::test]
async fn starting_a_bot_allocates_it_and_stopping_frees_the_allocation() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let tpl = template_for(&app, &t, "BTCUSDT").await;
    let (s, bot) = start(&app, &t, tpl, "250.239").await;
    assert_eq!(s, StatusCode::CREATED, "{bot}");
    assert_eq!(bot["allocation"], "250.23", "rounded down to cents");
    assert_eq!(bot["symbol"], "BTCUSDT");
    assert_eq!(bot["kind"], "trend");
    let id = bot["id"].as_i64().unwrap();

    let (_, sum) = app.get("/api/v1/multibot/summary", &t).await;
    assert_eq!(sum["balance"]["used"], "250.23");
    assert_eq!(sum["balance"]["available"], "9749.77");
    assert_eq!(sum["balance"]["used_pct"], "2.50");
    assert_eq!(sum["active_bot_count"], 1);
    assert_eq!(sum["used_amount"], 250.23);
    assert_eq!(sum["bots"][0]["id"], id);

    let (s, v) = app.get(&format!("/api/v1/multibot/bots/{id}"), &t).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "running");

    let (s, v) = app
        .call(Method::DELETE, &format!("/api/v1/multibot/bots/{id}"), Some(&t), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["success"], true);
    assert_eq!(v["bot"]["status"], "stopped");
    let (_, sum) = app.get("/api/v1/multibot/summary", &t).await;
    assert_eq!(sum["balance"]["used"], "0");
    assert_eq!(sum["active_bot_count"], 0);

    let (s, v) = app
        .call(Method::DELETE, &format!("/api/v1/multibot/bots/{id}"), Some(&t), None)
        .await;
    // Idempotent: a stop that finds the bot stopped (it may have waited for
    // another stop) answers the stopped bot.
    assert_eq!(s, StatusCode::OK, "stopping a stopped bot: {v}");
    assert_eq!(v["bot"]["status"], "stopped");
}

#[tokio::test]
async fn bot_list_filters_by_status() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let a = template_for(&app, &t, "BTCUSDT").await;
    let b = template_for(&app, &t, "ETHUSDT").await;
    let (_, first) = start(&app, &t, a, "100").await;
    start(&app, &t, b, "100").await;
    app.call(
        Method::DELETE,
        &format!("/api/v1/multibot/bots/{}", first["id"]),
        Some(&t),
        None,
    )
    .await;
    let (_, all) = app.get("/api/v1/multibot/bots", &t).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, running) = app.get("/api/v1/multibot/bots?status=running", &t).await;
    assert_eq!(running.as_array().unwrap().len(), 1);
    assert_eq!(running[0]["symbol"], "ETHUSDT");
    let (_, stopped) = app.get("/api/v1/multibot/bots?status=stopped", &t).await;
    assert_eq!(stopped[0]["symbol"], "BTCUSDT");
    let (_, active) = app.get("/api/v1/multibot/bots?status=active", &t).await;
    assert_eq!(active.as_array().unwrap().len(), 1);
    let (s, v) = app.get("/api/v1/multibot/bots?status=flying", &t).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&v), "validation");
}

#[tokio::test]
async fn a_second_bot_on_the_same_symbol_is_a_409() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let tpl = template_for(&app, &t, "BTCUSDT").await;
    assert_eq!(start(&app, &t, tpl, "100").await.0, StatusCode::CREATED);
    let (s, v) = start(&app, &t, tpl, "100").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(error_code(&v), "symbol_busy");
    assert_eq!(v["error"]["details"]["symbol"], "BTCUSDT");
}

#[tokio::test]
async fn a_sixth_bot_is_a_409_bot_limit() {
    let app = spawn().await;
    let t = app.user("ann").await;
    for sym in ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT"] {
        let tpl = template_for(&app, &t, sym).await;
        let (s, v) = start(&app, &t, tpl, "100").await;
        assert_eq!(s, StatusCode::CREATED, "{sym}: {v}");
    }
    let tpl = template_for(&app, &t, "BNBUSDT").await;
    let (s, v) = start(&app, &t, tpl, "100").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(error_code(&v), "bot_limit_reached");
    assert_eq!(v["error"]["details"]["max"], 5);
}

#[tokio::test]
async fn an_allocation_beyond_the_balance_is_a_422() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let a = template_for(&app, &t, "BTCUSDT").await;
    let b = template_for(&app, &t, "ETHUSDT").await;
    let (_, tpl) = app.get(&format!("/api/v1/multibot/templates/{a}"), &t).await;
    let max = Decimal::try_from(tpl["max_investment"].as_f64().unwrap()).unwrap();
    assert!(max >= Decimal::from(6000), "templates allow large amounts: {max}");
    assert_eq!(start(&app, &t, a, "6000").await.0, StatusCode::CREATED);
    let (s, v) = start(&app, &t, b, "4000.01").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(error_code(&v), "insufficient_balance");
    assert_eq!(v["error"]["details"]["available"], "4000");
    assert_eq!(v["error"]["field"], "amount");
    assert_eq!(
        start(&app, &t, b, "4000").await.0,
        StatusCode::CREATED,
        "equality passes"
    );
}

#[tokio::test]
async fn amounts_outside_the_range_and_bad_bodies_are_400_and_unknown_templates_404() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let tpl = template_for(&app, &t, "BTCUSDT").await;
    let (s, v) = start(&app, &t, tpl, "9.99").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&v), "amount_out_of_range");
    assert_eq!(v["error"]["field"], "amount");
    assert_eq!(v["error"]["message"], "minimum investment is $50.00");
    let (s, v) = app.post("/api/v1/multibot/bots", &t, json!({"template_id": tpl})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&v), "validation");
    let (s, _) = app
        .post(
            "/api/v1/multibot/bots",
            &t,
            json!({"template_id": tpl, "amount": "ten"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = start(&app, &t, 987654, "100").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&v), "template_not_found");
}

#[tokio::test]
async fn balance_check_answers_requested_available_used_and_remaining() {
    let app = spawn().await;
    let t = app.user("ann").await;
    let tpl = template_for(&app, &t, "BTCUSDT").await;
    start(&app, &t, tpl, "1000").await;
    let (s, v) = app.get("/api/v1/multibot/balance-check?amount=500", &t).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["requested_amount"], 500.0);
    assert_eq!(v["available"], true);
    assert_eq!(v["current_balance"], 10000.0);
    assert_eq!(v["used_amount"], 1000.0);
    assert_eq!(v["remaining"], 9000.0, "the owner's remaining: balance − used");
    assert_eq!(v["remaining_after"], "8500");
    assert_eq!(v["available_amount"], "9000");
    let (_, v) = app.get("/api/v1/multibot/balance-check?amount=9000.01", &t).await;
    assert_eq!(v["available"], false, "{v}");
    assert_eq!(v["code"], "insufficient_balance");
    assert!(v["message"].as_str().unwrap().contains("insufficient"));
    let (_, v) = app.get("/api/v1/multibot/balance-check?percent=50", &t).await;
    assert_eq!(v["requested"], "4500");
    // With a template: every start rule, here the symbol already running.
    let (_, v) = app
        .get(
            &format!("/api/v1/multibot/balance-check?amount=100&template_id={tpl}"),
            &t,
        )
        .await;
    assert_eq!(
        (v["available"].clone(), v["code"].clone()),
        (json!(false), json!("symbol_busy")),
        "{v}"
    );
    let (s, _) = app.get("/api/v1/multibot/balance-check?amount=abc", &t).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.get("/api/v1/multibot/balance-check", &t).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.get("/api/v1/multibot/balance-check?percent=150", &t).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn another_users_bot_answers_404_everywhere() {
    let app = spawn().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let tpl = template_for(&app, &ann, "BTCUSDT").await;
    let (_, bot) = start(&app, &ann, tpl, "100").await;
    let id = bot["id"].as_i64().unwrap();
    for (m, path) in [
        (Method::GET, format!("/api/v1/multibot/bots/{id}")),
        (Method::DELETE, format!("/api/v1/multibot/bots/{id}")),
        (Method::GET, format!("/api/v1/grid-bot/{id}/performance")),
        (Method::POST, format!("/api/v1/grid-bot/{id}/stop")),
        (Method::POST, format!("/api/v1/grid-bot/{id}/start")),
    ] {
        let (s, v) = app.call(m.clone(), &path, Some(&bob), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{m} {path}: {v}");
        assert_eq!(error_code(&v), "bot_not_found");
    }
    let (_, list) = app.get("/api/v1/multibot/bots", &bob).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    let (_, sum) = app.get("/api/v1/multibot/summary", &bob).await;
    assert_eq!(sum["balance"]["used"], "0");
    // bob can use the same symbol: the rule is per user
    let (s, _) = start(&app, &bob, tpl, "100").await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, v) = app.get(&format!("/api/v1/multibot/bots/{id}"), &ann).await;
    assert_eq!(v["status"], "running", "ann's bot untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_parallel_starts_end_with_at_most_five_bots_distinct_symbols_within_balance() {
    race(spawn().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_start_race_holds_on_sqlite_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("race.db").display());
    race(
        spawn_with(Options {
            db,
            ..Options::default()
        })
        .await,
    )
    .await;
}

async fn race(app: TestApp) {
    let t = app.user("ann").await;
    let (_, templates) = app.get("/api/v1/multibot/templates", &t).await;
    let ids: Vec<i64> = templates
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["is_active"] == true)
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let http = app.http.clone();
        let url = format!("{}/api/v1/multibot/bots", app.base);
        let t = t.clone();
        let tpl = ids[i % ids.len()];
        tasks.push(tokio::spawn(async move {
            let res = http
                .post(url)
                .bearer_auth(t)
                .json(&json!({"template_id": tpl, "amount": "2400"}))
                .send()
                .await
                .unwrap();
            res.status()
        }));
    }
    let mut created = 0;
    for task in tasks {
        let s = task.await.unwrap();
        assert!(
            [
                StatusCode::CREATED,
                StatusCode::CONFLICT,
                StatusCode::UNPROCESSABLE_ENTITY
            ]
            .contains(&s),
            "unexpected status {s}"
        );
        if s == StatusCode::CREATED {
            created += 1;
        }
    }
    let (_, active) = app.get("/api/v1/multibot/bots?status=active", &t).await;
    let active = active.as_array().unwrap();
    assert_eq!(active.len(), created);
    assert!(active.len() <= 5, "{} active bots", active.len());
    let symbols: HashSet<&str> = active.iter().map(|b| b["symbol"].as_str().unwrap()).collect();
    assert_eq!(symbols.len(), active.len(), "duplicate symbol");
    let used: Decimal = active.iter().map(|b| dec(&b["allocation"])).sum();
    assert!(used <= Decimal::from(10_000), "allocated {used}");
    assert_eq!(active.len(), 4, "2400 × 4 fits in 10000, a fifth does not");
}
