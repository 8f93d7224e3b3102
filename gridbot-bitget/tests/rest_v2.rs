//! Every classic (v2) REST endpoint against the fake: the request the
//! client sends (method, path, sorted query, body fields spelled as Bitget
//! spells them, signed headers) and how the answer is read.

mod support;

use gridbot_bitget::common::signing::sign_rest;
use gridbot_bitget::fake::{FakeBitget, FakeOptions, FAKE_API_KEY, FAKE_PASSPHRASE, FAKE_SECRET};
use gridbot_bitget::{AccountKind, Environment};
use gridbot_core::model::{ClientOrderId, Interval, OrderKind, OrderRequest, OrderStatus, Side, TimeInForce};
use gridbot_core::ports::Exchange;
use gridbot_core::ExchangeError;
use rust_decimal_macros::dec;
use serde_json::json;
use support::*;

fn last(fake: &FakeBitget, path: &str) -> gridbot_bitget::fake::RecordedRequest {
    fake.requests_to(path)
        .pop()
        .unwrap_or_else(|| panic!("no request to {path}"))
}

#[tokio::test]
async fn signed_requests_carry_bitget_headers_and_a_valid_signature() {
    let fake = fake().await;
    let ex = exchange(&fake);
    ex.balance().await.unwrap();
    let r = last(&fake, "/api/v2/mix/account/accounts");
    assert_eq!(r.method, "GET");
    assert_eq!(r.query, "productType=USDT-FUTURES");
    let h = &r.headers;
    assert_eq!(h["access-key"], FAKE_API_KEY);
    assert_eq!(h["access-passphrase"], FAKE_PASSPHRASE);
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["locale"], "en-US");
    assert!(!h.contains_key("paptrading"));
    let expected = sign_rest(FAKE_SECRET, &h["access-timestamp"], "GET", &r.path, &r.query, "");
    assert_eq!(h["access-sign"], expected);
}

#[tokio::test]
async fn contracts_request_and_instrument_parsing() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let i = ex.instrument(&btc()).await.unwrap();
    let r = last(&fake, "/api/v2/mix/market/contracts");
    assert_eq!(
        (r.method.as_str(), r.query.as_str()),
        ("GET", "productType=USDT-FUTURES")
    );
    assert!(!r.headers.contains_key("access-sign"), "public calls are not signed");
    assert_eq!(
        (i.tick_size, i.lot_size, i.min_qty, i.min_notional, i.max_leverage),
        (dec!(0.1), dec!(0.0001), dec!(0.0001), dec!(5), 125)
    );
    assert_eq!(ex.contracts().await.unwrap().len(), 2);
    // Maintenance margin comes from the contract's first tier, per contract.
    assert_eq!(i.maint_margin_rate, dec!(0.004));
    assert_eq!(
        last(&fake, "query-position-lever").query,
        "productType=USDT-FUTURES&symbol=BTCUSDT"
    );
    let eth = ex
        .instrument(&gridbot_core::model::Symbol::new("ETHUSDT").unwrap())
        .await
        .unwrap();
    assert_eq!(eth.maint_margin_rate, dec!(0.01));
    let unknown = ex
        .instrument(&gridbot_core::model::Symbol::new("NOPEUSDT").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(unknown, ExchangeError::UnknownSymbol(_)));
}

#[tokio::test]
async fn ticker_request_and_parsing() {
    let fake = fake().await;
    let ex = exchange(&fake);
    fake.set_price("BTCUSDT", dec!(31234.5));
    assert_eq!(ex.ticker(&btc()).await.unwrap(), dec!(31234.5));
    let r = last(&fake, "/api/v2/mix/market/ticker");
    assert_eq!(r.query, "productType=USDT-FUTURES&symbol=BTCUSDT");
}

#[tokio::test]
async fn old_candles_come_from_history_candles_in_windows_within_the_row_limit() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let start = 1_700_000_000_000i64 - 1_700_000_000_000 % 60_000;
    let candles: Vec<_> = (0..2500)
        .map(|i| gridbot_core::model::Candle {
            ts: start + i * 60_000,
            open: dec!(100),
            high: dec!(101),
            low: dec!(99),
            close: dec!(100.5),
            volume: dec!(2),
        })
        .collect();
    fake.seed_candles("BTCUSDT", candles);
    let got = ex
        .candles(&btc(), Interval::M1, start, start + 2500 * 60_000)
        .await
        .unwrap();
    assert_eq!(got.len(), 2500);
    assert!(got.windows(2).all(|w| w[1].ts == w[0].ts + 60_000));
    assert!(
        fake.requests_to("/api/v2/mix/market/candles").is_empty(),
        "too old for `candles`"
    );
    let reqs = fake.requests_to("/api/v2/mix/market/history-candles");
    // 198 rows a request (200 with one spare interval on each side).
    assert_eq!(reqs.len(), 2500usize.div_ceil(198));
    assert_eq!(
        reqs[0].query,
        format!(
            "endTime={}&granularity=1m&limit=200&productType=USDT-FUTURES&startTime={}&symbol=BTCUSDT",
            start + 198 * 60_000,
            start - 60_000
        )
    );
    ex.candles(&btc(), Interval::H1, start, start + 3_600_000)
        .await
        .unwrap();
    assert!(last(&fake, "/api/v2/mix/market/history-candles")
        .query
        .contains("granularity=1H"));
}

#[tokio::test]
async fn daily_candles_are_asked_utc_aligned() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let day = 86_400_000i64;
    let start = 1_700_000_000_000i64 - 1_700_000_000_000 % day;
    let hours: Vec<_> = (0..24 * 10)
        .map(|i| gridbot_core::model::Candle {
            ts: start + i * 3_600_000,
            open: dec!(100),
            high: dec!(101),
            low: dec!(99),
            close: dec!(100.5),
            volume: dec!(1),
        })
        .collect();
    fake.seed_candles("BTCUSDT", hours);
    let got = ex.candles(&btc(), Interval::D1, start, start + 10 * day).await.unwrap();
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|c| c.ts % day == 0 && c.volume == dec!(24)), "{got:?}");
    assert!(last(&fake, "history-candles").query.contains("granularity=1Dutc"));
}

#[tokio::test]
async fn account_balance_is_read_from_accounts() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let b = ex.balance().await.unwrap();
    assert_eq!(
        (b.equity, b.available, b.used_margin),
        (dec!(100000), dec!(100000), dec!(0))
    );
    ex.set_leverage(&btc(), 10).await.unwrap();
    ex.place_orders(&[limit("acct-1", Side::Buy, dec!(29000), dec!(0.1))])
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    let b = ex.balance().await.unwrap();
    assert_eq!(b.used_margin, dec!(290));
    assert_eq!(b.available, dec!(99710));
}

#[tokio::test]
async fn set_leverage_prepares_one_way_isolated_at_the_leverage_with_exact_bodies() {
    let fake = fake().await;
    fake.with_book(|b| b.pos_mode = "hedge_mode".into());
    let ex = exchange(&fake);
    // Before preparation the account is in hedge mode: Bitget refuses one-way orders.
    let before = ex
        .place_orders(&[limit("prep-0", Side::Buy, dec!(29000), dec!(0.01))])
        .await
        .unwrap();
    assert!(matches!(before[0], Err(ExchangeError::InvalidOrder(_))));
    ex.set_leverage(&btc(), 7).await.unwrap();
    assert_eq!(
        last(&fake, "set-position-mode").json(),
        json!({"productType": "USDT-FUTURES", "posMode": "one_way_mode"})
    );
    assert_eq!(
        last(&fake, "set-margin-mode").json(),
        json!({"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT", "marginMode": "isolated"})
    );
    assert_eq!(
        last(&fake, "set-leverage").json(),
        json!({"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT", "leverage": "7"})
    );
    fake.with_book(|b| {
        assert_eq!(b.pos_mode, "one_way_mode");
        assert_eq!(b.margin_mode["BTCUSDT"], "isolated");
        assert_eq!(b.leverage["BTCUSDT"], 7);
    });
    let after = ex
        .place_orders(&[limit("prep-1", Side::Buy, dec!(29000), dec!(0.01))])
        .await
        .unwrap();
    assert!(after[0].is_ok());
    // With an order resting Bitget refuses mode switches; preparing again still succeeds.
    ex.set_leverage(&btc(), 8).await.unwrap();
    assert!(matches!(
        ex.set_leverage(&btc(), 500).await,
        Err(ExchangeError::InvalidOrder(_))
    ));
}

#[tokio::test]
async fn single_order_uses_place_order_with_exact_fields() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let req = OrderRequest::limit(ClientOrderId::new("g1-5-0"), btc(), Side::Buy, dec!(29000), dec!(0.002))
        .with_tif(TimeInForce::PostOnly)
        .with_presets(Some(dec!(28000)), Some(dec!(31000.04)));
    let r = ex.place_orders(&[req]).await.unwrap();
    let o = r[0].clone().unwrap();
    assert_eq!(
        (o.client_id.as_str(), o.status, o.price),
        ("g1-5-0", OrderStatus::Open, Some(dec!(29000)))
    );
    assert!(!o.id.is_empty());
    let sent = last(&fake, "/api/v2/mix/order/place-order");
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.query, "");
    assert_eq!(
        sent.json(),
        json!({"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginMode": "isolated", "marginCoin": "USDT",
               "size": "0.0020", "price": "29000.0", "side": "buy", "orderType": "limit", "force": "post_only",
               "clientOid": "g1-5-0", "reduceOnly": "NO", "presetStopSurplusPrice": "31000.0", "presetStopLossPrice": "28000.0"})
    );
    let mkt = OrderRequest::market(ClientOrderId::new("m-1"), btc(), Side::Sell, dec!(0.001)).reduce_only();
    let r = ex.place_orders(&[mkt]).await.unwrap();
    // Reduce-only with no position: Bitget refuses; the refusal is the order's result.
    assert!(matches!(r[0], Err(ExchangeError::InvalidOrder(_))));
    assert_eq!(
        last(&fake, "/api/v2/mix/order/place-order").json(),
        json!({"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginMode": "isolated", "marginCoin": "USDT",
               "size": "0.0010", "side": "sell", "orderType": "market", "clientOid": "m-1", "reduceOnly": "YES"})
    );
}

#[tokio::test]
async fn a_hundred_orders_go_in_two_batch_requests_of_fifty() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let orders: Vec<_> = (0..100)
        .map(|i| {
            limit(
                &format!("g2-{i}-0"),
                Side::Buy,
                dec!(20000) + rust_decimal::Decimal::from(i * 10),
                dec!(0.001),
            )
        })
        .collect();
    let r = ex.place_orders(&orders).await.unwrap();
    assert_eq!(r.len(), 100);
    assert!(r.iter().all(|x| x.is_ok()));
    for (i, o) in r.iter().enumerate() {
        assert_eq!(o.as_ref().unwrap().client_id.as_str(), format!("g2-{i}-0"));
    }
    let batches = fake.requests_to("/api/v2/mix/order/batch-place-order");
    assert_eq!(batches.len(), 2);
    let body = batches[0].json();
    assert_eq!(body["orderList"].as_array().unwrap().len(), 50);
    assert_eq!(
        (
            body["symbol"].clone(),
            body["productType"].clone(),
            body["marginCoin"].clone(),
            body["marginMode"].clone()
        ),
        (
            json!("BTCUSDT"),
            json!("USDT-FUTURES"),
            json!("USDT"),
            json!("isolated")
        )
    );
    assert_eq!(
        body["orderList"][0],
        json!({"size": "0.0010", "price": "20000.0", "side": "buy", "orderType": "limit", "force": "gtc", "clientOid": "g2-0-0", "reduceOnly": "NO"})
    );
    assert_eq!(fake.open_orders("BTCUSDT"), 100);
}

#[tokio::test]
async fn batch_failures_are_per_order_and_typed() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let orders = vec![
        limit("ok-1", Side::Buy, dec!(29000), dec!(0.001)),
        limit("rich-1", Side::Buy, dec!(29000), dec!(400)),
        limit("ok-2", Side::Sell, dec!(31000), dec!(0.001)),
    ];
    let r = ex.place_orders(&orders).await.unwrap();
    assert!(r[0].is_ok() && r[2].is_ok());
    assert!(matches!(r[1], Err(ExchangeError::InsufficientBalance(_))), "{:?}", r[1]);
    // Refused locally before any request: off tick.
    let r = ex
        .place_orders(&[limit("tick", Side::Buy, dec!(29000.05), dec!(0.001))])
        .await
        .unwrap();
    assert!(matches!(r[0], Err(ExchangeError::Precision(_))));
}

#[tokio::test]
async fn cancel_single_and_batch_send_client_oids_and_report_missing_orders() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let orders: Vec<_> = (0..3)
        .map(|i| limit(&format!("c-{i}"), Side::Buy, dec!(29000), dec!(0.001)))
        .collect();
    ex.place_orders(&orders).await.unwrap();
    let one = ex.cancel_orders(&btc(), &[ClientOrderId::new("c-0")]).await.unwrap();
    assert_eq!(one, vec![Ok(())]);
    assert_eq!(
        last(&fake, "/api/v2/mix/order/cancel-order").json(),
        json!({"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT", "clientOid": "c-0"})
    );
    let again = ex.cancel_orders(&btc(), &[ClientOrderId::new("c-0")]).await.unwrap();
    assert!(matches!(again[0], Err(ExchangeError::NotFound(_))));
    let many = ex
        .cancel_orders(
            &btc(),
            &[
                ClientOrderId::new("c-1"),
                ClientOrderId::new("nope"),
                ClientOrderId::new("c-2"),
            ],
        )
        .await
        .unwrap();
    assert!(many[0].is_ok() && many[2].is_ok());
    assert!(matches!(many[1], Err(ExchangeError::NotFound(_))));
    assert_eq!(
        last(&fake, "/api/v2/mix/order/batch-cancel-orders").json(),
        json!({"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT",
               "orderIdList": [{"clientOid": "c-1"}, {"clientOid": "nope"}, {"clientOid": "c-2"}]})
    );
    assert_eq!(fake.open_orders("BTCUSDT"), 0);
}

#[tokio::test]
async fn cancel_all_sends_no_list_and_counts_what_was_cancelled() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let orders: Vec<_> = (0..4)
        .map(|i| limit(&format!("a-{i}"), Side::Sell, dec!(31000), dec!(0.001)))
        .collect();
    ex.place_orders(&orders).await.unwrap();
    assert_eq!(ex.cancel_all(&btc()).await.unwrap(), 4);
    assert_eq!(
        last(&fake, "/api/v2/mix/order/batch-cancel-orders").json(),
        json!({"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT"})
    );
    assert_eq!(ex.cancel_all(&btc()).await.unwrap(), 0);
}

#[tokio::test]
async fn open_orders_are_paged_with_id_less_than() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let orders: Vec<_> = (0..150)
        .map(|i| limit(&format!("p-{i}"), Side::Buy, dec!(25000), dec!(0.001)))
        .collect();
    ex.place_orders(&orders).await.unwrap();
    let open = ex.open_orders(&btc()).await.unwrap();
    assert_eq!(open.len(), 150);
    let reqs = fake.requests_to("/api/v2/mix/order/orders-pending");
    // Two pages without a status, then the partially filled ones.
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].query, "limit=100&productType=USDT-FUTURES&symbol=BTCUSDT");
    assert!(reqs[1].query.starts_with("idLessThan="));
    assert!(reqs[1]
        .query
        .ends_with("&limit=100&productType=USDT-FUTURES&symbol=BTCUSDT"));
    assert_eq!(
        reqs[2].query,
        "limit=100&productType=USDT-FUTURES&status=partially_filled&symbol=BTCUSDT"
    );
}

#[tokio::test]
async fn partially_filled_orders_are_listed_whichever_way_orders_pending_reads_its_default() {
    for every_state in [false, true] {
        let fake = fake().await;
        fake.pending_lists_every_state(every_state);
        let ex = exchange(&fake);
        ex.place_orders(&[
            limit("pf-1", Side::Buy, dec!(29000), dec!(0.01)),
            limit("pf-2", Side::Buy, dec!(28000), dec!(0.01)),
        ])
        .await
        .unwrap();
        assert!(fake.fill_partially("pf-1", dec!(0.004)));
        let open = ex.open_orders(&btc()).await.unwrap();
        let mut ids: Vec<_> = open
            .iter()
            .map(|o| (o.client_id.as_str().to_owned(), o.status))
            .collect();
        ids.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            ids,
            vec![
                ("pf-1".to_owned(), OrderStatus::PartiallyFilled),
                ("pf-2".to_owned(), OrderStatus::Open)
            ],
            "every_state = {every_state}"
        );
    }
}

#[tokio::test]
async fn order_detail_by_client_oid_finds_or_answers_none() {
    let fake = fake().await;
    let ex = exchange(&fake);
    ex.place_orders(&[limit("d-1", Side::Buy, dec!(29000), dec!(0.001))])
        .await
        .unwrap();
    let o = ex.order(&btc(), &ClientOrderId::new("d-1")).await.unwrap().unwrap();
    assert_eq!(
        (o.status, o.kind, o.qty),
        (OrderStatus::Open, OrderKind::Limit, dec!(0.001))
    );
    assert_eq!(
        last(&fake, "/api/v2/mix/order/detail").query,
        "clientOid=d-1&productType=USDT-FUTURES&symbol=BTCUSDT"
    );
    assert_eq!(ex.order(&btc(), &ClientOrderId::new("never")).await.unwrap(), None);
}

#[tokio::test]
async fn fills_are_paged_from_the_cursor_oldest_first_with_client_ids_resolved() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let orders: Vec<_> = (0..230)
        .map(|i| limit(&format!("f-{i}"), Side::Buy, dec!(29000), dec!(0.001)))
        .collect();
    ex.place_orders(&orders).await.unwrap();
    fake.set_price("BTCUSDT", dec!(28999));
    let page = ex.fills_since(&btc(), None).await.unwrap();
    assert_eq!(page.fills.len(), 230);
    assert!(!page.has_more);
    assert!(page.fills.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(page.fills[0].client_id.as_str(), "f-0");
    assert_eq!(page.fills[0].price, dec!(29000));
    let reqs = fake.requests_to("/api/v2/mix/order/fills");
    assert_eq!(reqs[0].query, "limit=100&productType=USDT-FUTURES&symbol=BTCUSDT");
    assert_eq!(reqs.len(), 3);
    let cursor = page.next_cursor.clone();
    let empty = ex.fills_since(&btc(), cursor.clone()).await.unwrap();
    assert!(empty.fills.is_empty());
    assert_eq!(empty.next_cursor, cursor);
    // A fresh client (no memory of the orders) resolves client ids through order detail.
    let fresh = exchange(&fake);
    let mid = gridbot_core::model::FillCursor(page.fills[227].id.clone());
    let tail = fresh.fills_since(&btc(), Some(mid)).await.unwrap();
    assert_eq!(
        tail.fills.iter().map(|f| f.client_id.as_str()).collect::<Vec<_>>(),
        vec!["f-228", "f-229"]
    );
}

#[tokio::test]
async fn positions_single_and_all_are_read_and_close_position_reduces_to_flat() {
    let fake = fake().await;
    let ex = exchange(&fake);
    ex.set_leverage(&btc(), 10).await.unwrap();
    assert!(ex.position(&btc()).await.unwrap().is_flat());
    let q = last(&fake, "single-position").query;
    assert_eq!(q, "marginCoin=USDT&productType=USDT-FUTURES&symbol=BTCUSDT");
    let m = OrderRequest::market(ClientOrderId::new("open-1"), btc(), Side::Sell, dec!(0.01));
    ex.place_orders(&[m]).await.unwrap()[0].clone().unwrap();
    let p = ex.position(&btc()).await.unwrap();
    assert_eq!((p.qty, p.entry_price, p.leverage), (dec!(-0.01), dec!(30000), 10));
    assert!(p.liquidation_price.is_some());
    let all = ex.positions().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        last(&fake, "all-position").query,
        "marginCoin=USDT&productType=USDT-FUTURES"
    );
    let close = ex
        .close_position(&btc(), &ClientOrderId::new("close-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((close.side, close.reduce_only), (Side::Buy, true));
    assert!(fake.position_qty(&btc()).is_zero());
    // Closing again: flat, answers the earlier close order.
    let again = ex.close_position(&btc(), &ClientOrderId::new("close-1")).await.unwrap();
    assert_eq!(again.map(|o| o.client_id), Some(ClientOrderId::new("close-1")));
    assert_eq!(fake.orders_with_client_oid("close-1"), 1);
}

#[tokio::test]
async fn demo_mode_sends_paptrading_with_the_normal_product_type() {
    let fake = FakeBitget::start_with(FakeOptions {
        kind: AccountKind::Classic,
        environment: Environment::Demo,
    })
    .await
    .unwrap();
    let ex = exchange(&fake);
    assert_eq!(ex.name(), "bitget-demo");
    ex.balance().await.unwrap();
    let r = last(&fake, "/api/v2/mix/account/accounts");
    assert_eq!(r.headers["paptrading"], "1");
    assert_eq!(r.query, "productType=USDT-FUTURES");
    ex.place_orders(&[limit("demo-1", Side::Buy, dec!(29000), dec!(0.001))])
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    let b = last(&fake, "place-order").json();
    assert_eq!(
        (b["productType"].clone(), b["marginCoin"].clone()),
        (json!("USDT-FUTURES"), json!("USDT"))
    );
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.headers.get("paptrading").map(String::as_str) == Some("1")));
}

#[tokio::test]
async fn wrong_secret_or_stale_clock_is_an_auth_error() {
    let fake = fake().await;
    let mut cfg = fake.config();
    cfg.credentials = Some(gridbot_bitget::Credentials::new(
        FAKE_API_KEY,
        "wrong-secret",
        FAKE_PASSPHRASE,
    ));
    let ex = exchange_with(cfg);
    let e = ex.balance().await.unwrap_err();
    assert!(matches!(e, ExchangeError::Auth(ref m) if m.contains("40009")), "{e}");
    assert!(!e.to_string().contains("wrong-secret"));
    let mut cfg = fake.config();
    cfg.credentials = None;
    assert!(matches!(
        exchange_with(cfg).balance().await,
        Err(ExchangeError::Auth(_))
    ));
}

#[tokio::test]
async fn the_fake_refuses_stale_timestamps_and_tampered_queries_like_bitget() {
    let fake = fake().await;
    let http = reqwest::Client::new();
    let send = |ts: i64, signed_query: &'static str, sent_query: &'static str| {
        let ts = ts.to_string();
        let sign = sign_rest(
            FAKE_SECRET,
            &ts,
            "GET",
            "/api/v2/mix/account/accounts",
            signed_query,
            "",
        );
        http.get(format!("{}/api/v2/mix/account/accounts?{sent_query}", fake.base_url()))
            .header("ACCESS-KEY", FAKE_API_KEY)
            .header("ACCESS-PASSPHRASE", FAKE_PASSPHRASE)
            .header("ACCESS-TIMESTAMP", ts)
            .header("ACCESS-SIGN", sign)
            .send()
    };
    let now = gridbot_bitget::http::client::now_ms();
    let code = |r: reqwest::Response| async move { r.json::<serde_json::Value>().await.unwrap()["code"].clone() };
    let ok = send(now, "productType=USDT-FUTURES", "productType=USDT-FUTURES")
        .await
        .unwrap();
    assert_eq!(code(ok).await, json!("00000"));
    let stale = send(now - 120_000, "productType=USDT-FUTURES", "productType=USDT-FUTURES")
        .await
        .unwrap();
    assert_eq!(code(stale).await, json!("40008"));
    let tampered = send(now, "productType=USDT-FUTURES", "productType=SUSDT-FUTURES")
        .await
        .unwrap();
    assert_eq!(code(tampered).await, json!("40009"));
}
