//! `GET /account/exchange`: what the paper venue itself holds for the user
//! (positions, resting orders, every fill, paged deterministically), which
//! of it no active bot owns, and closing those orphans.

mod common;

use common::{error_code, spawn};
use gridbot_core::model::{ClientOrderId, OrderRequest, Side, Symbol, UserId};
use gridbot_core::paper::paper_account_id;
use gridbot_core::ports::Exchange;
use reqwest::{Method, StatusCode};
use rust_decimal_macros::dec;
use serde_json::{json, Value};

async fn register(app: &common::TestApp, name: &str) -> (String, UserId) {
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": name, "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (
        v["access_token"].as_str().unwrap().to_owned(),
        UserId(v["user"]["id"].as_i64().unwrap()),
    )
}

#[tokio::test]
async fn the_exchange_view_shows_the_venues_orders_positions_and_fills_and_closes_orphans() {
    let app = spawn().await;
    let (t, user) = register(&app, "ann").await;
    let account = app.venue.open_account(&paper_account_id(user), dec!(10000)).unwrap();
    let btc = Symbol::new("BTCUSDT").unwrap();
    let eth = Symbol::new("ETHUSDT").unwrap();
    // A position and a resting order no bot owns.
    let filled = account
        .place_orders(&[OrderRequest::market(
            ClientOrderId::new("manual-1"),
            btc.clone(),
            Side::Buy,
            dec!(0.01),
        )])
        .await
        .unwrap();
    assert!(filled[0].is_ok(), "{filled:?}");
    account
        .place_orders(&[
            OrderRequest::limit(
                ClientOrderId::new("manual-2"),
                eth.clone(),
                Side::Buy,
                dec!(2500),
                dec!(0.1),
            ),
            OrderRequest::limit(
                ClientOrderId::new("manual-3"),
                eth.clone(),
                Side::Buy,
                dec!(2400),
                dec!(0.1),
            ),
        ])
        .await
        .unwrap();
    let (s, v) = app.get("/api/v1/account/exchange", &t).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["exchange"], "paper");
    assert_eq!(v["now_ms"], app.venue.now(), "the venue's own time");
    let pos = &v["positions"][0];
    assert_eq!(
        (pos["symbol"].clone(), pos["qty"].clone()),
        (json!("BTCUSDT"), json!("0.01"))
    );
    assert_eq!(pos["orphan"], true);
    assert!(pos["entry_price"].is_string());
    let orders = v["open_orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0]["client_id"], "manual-2");
    assert_eq!(
        (orders[0]["qty"].clone(), orders[0]["filled_qty"].clone()),
        (json!("0.1"), json!("0"))
    );
    let fills = v["fills"].as_array().unwrap();
    assert_eq!(fills.len(), 1);
    for k in ["fill_id", "client_id", "symbol", "side", "price", "qty", "fee"] {
        assert!(fills[0][k].is_string(), "{k}: {}", fills[0]);
    }
    assert!(fills[0]["ts_ms"].is_i64());
    assert_eq!(
        (v["orphan_positions"].clone(), v["orphan_orders"].clone()),
        (json!(1), json!(2))
    );

    // Fills page deterministically; since a time keeps the later ones.
    account
        .place_orders(&[OrderRequest::market(
            ClientOrderId::new("manual-4"),
            btc.clone(),
            Side::Buy,
            dec!(0.01),
        )])
        .await
        .unwrap();
    let (_, p1) = app.get("/api/v1/account/exchange?fills_limit=1", &t).await;
    assert_eq!(p1["fills"].as_array().unwrap().len(), 1);
    let next = p1["fills_next"].as_str().unwrap().to_owned();
    let (_, p2) = app
        .get(
            &format!("/api/v1/account/exchange?fills_limit=1&fills_after={next}"),
            &t,
        )
        .await;
    assert_eq!(p2["fills"].as_array().unwrap().len(), 1);
    assert_ne!(p1["fills"][0]["fill_id"], p2["fills"][0]["fill_id"]);
    assert!(p2["fills_next"].is_null(), "the last page: {p2}");
    let (_, again) = app.get("/api/v1/account/exchange?fills_limit=1", &t).await;
    assert_eq!(again["fills"], p1["fills"], "same state, same page");
    let future = app.venue.now() + 1;
    let (_, none) = app
        .get(&format!("/api/v1/account/exchange?fills_since_ms={future}"), &t)
        .await;
    assert_eq!(none["fills"].as_array().unwrap().len(), 0);
    let (s, v) = app.get("/api/v1/account/exchange?fills_limit=0", &t).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "fills_limit");

    // Closing the orphans: orders cancelled, the position closed reduce-only.
    for sym in ["BTCUSDT", "ETHUSDT"] {
        let (s, v) = app
            .post("/api/v1/account/exchange/close-orphans", &t, json!({"symbol": sym}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (_, v) = app.get("/api/v1/account/exchange", &t).await;
    assert_eq!(v["positions"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(v["open_orders"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(account.position(&btc).await.unwrap().qty, dec!(0));
}

#[tokio::test]
async fn orphans_on_a_symbol_an_active_bot_trades_are_refused_and_other_users_see_nothing() {
    let app = spawn().await;
    let (t, _) = register(&app, "ann").await;
    let (_, list) = app.get("/api/v1/multibot/templates", &t).await;
    let btc = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["symbol"] == "BTCUSDT")
        .unwrap()["id"]
        .clone();
    let (s, _) = app
        .post("/api/v1/multibot/bots", &t, json!({"template_id": btc, "amount": 100}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app
        .post(
            "/api/v1/account/exchange/close-orphans",
            &t,
            json!({"symbol": "BTCUSDT"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(error_code(&v), "bot_owned");
    let (s, v) = app
        .post(
            "/api/v1/account/exchange/close-orphans",
            &t,
            json!({"symbol": "NOPEUSDT"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (bob, _) = register(&app, "bob").await;
    let (_, v): (StatusCode, Value) = app.get("/api/v1/account/exchange", &bob).await;
    assert_eq!(v["fills"].as_array().unwrap().len(), 0);
}
