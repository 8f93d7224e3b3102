//! Every unified (v3) REST call against a unified fake: the request the
//! client sends (method, path, sorted query, body spelled as Bitget spells
//! it, signed headers), checked against the fixture `data/v3_requests.json`
//! (one entry per call, each naming its source in `UTA.md`), and how the
//! answers are read.

mod support;

use std::collections::BTreeSet;

use gridbot_bitget::common::signing::sign_rest;
use gridbot_bitget::fake::{FakeBitget, RecordedRequest, FAKE_API_KEY, FAKE_PASSPHRASE, FAKE_SECRET};
use gridbot_bitget::AccountKind;
use gridbot_core::model::{Candle, ClientOrderId, Interval, OrderRequest, OrderStatus, Side, TimeInForce};
use gridbot_core::ports::Exchange;
use gridbot_core::ExchangeError;
use rust_decimal_macros::dec;
use serde_json::Value;
use support::*;

fn fixture() -> Vec<Value> {
    serde_json::from_str(include_str!("data/v3_requests.json")).unwrap()
}

/// `a=1&b=*` matches `a=1&b=<anything non-empty>`.
fn query_matches(expected: &str, got: &str) -> bool {
    let split = |q: &str| -> Vec<(String, String)> {
        q.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect()
    };
    let (e, g) = (split(expected), split(got));
    e.len() == g.len()
        && e.iter()
            .zip(&g)
            .all(|((ek, ev), (gk, gv))| ek == gk && (ev == gv || (ev == "*" && !gv.is_empty())))
}

struct Checker {
    entries: Vec<Value>,
    seen: BTreeSet<String>,
}

impl Checker {
    fn new() -> Self {
        Checker {
            entries: fixture(),
            seen: BTreeSet::new(),
        }
    }

    /// The newest request to the call's path must match the call's entry.
    fn check(&mut self, fake: &FakeBitget, call: &str) {
        let e = self
            .entries
            .iter()
            .find(|e| e["call"] == call)
            .unwrap_or_else(|| panic!("no fixture entry {call}"))
            .clone();
        let path = e["path"].as_str().unwrap();
        let method = e["method"].as_str().unwrap();
        let r: RecordedRequest = fake
            .requests()
            .into_iter()
            .rfind(|r| r.path == path && r.method == method && query_matches(e["query"].as_str().unwrap(), &r.query))
            .unwrap_or_else(|| {
                panic!(
                    "{call}: no {method} {path} matching {}; sent: {:?}",
                    e["query"],
                    fake.requests_to(path)
                        .iter()
                        .map(|r| r.query.clone())
                        .collect::<Vec<_>>()
                )
            });
        if let Some(body) = e.get("body") {
            assert_eq!(&r.json(), body, "{call}: body");
        } else {
            assert_eq!(r.body, "", "{call}: a GET has no body");
        }
        let h = &r.headers;
        assert_eq!(h["content-type"], "application/json", "{call}");
        assert_eq!(h["locale"], "en-US", "{call}");
        assert!(
            !h.contains_key("paptrading"),
            "{call}: live requests carry no demo header"
        );
        if e["signed"] == true {
            assert_eq!(h["access-key"], FAKE_API_KEY, "{call}");
            assert_eq!(h["access-passphrase"], FAKE_PASSPHRASE, "{call}");
            let sign = sign_rest(FAKE_SECRET, &h["access-timestamp"], method, &r.path, &r.query, &r.body);
            assert_eq!(h["access-sign"], sign, "{call}: signature");
        } else {
            assert!(!h.contains_key("access-sign"), "{call}: public calls are not signed");
        }
        self.seen.insert(call.to_owned());
    }

    fn all_checked(&self) {
        let all: BTreeSet<String> = self
            .entries
            .iter()
            .map(|e| e["call"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(self.seen, all, "every fixture entry is exercised");
    }
}

fn minutes(from: i64, n: i64, step: i64) -> Vec<Candle> {
    (0..n)
        .map(|i| Candle {
            ts: from + i * step,
            open: dec!(100),
            high: dec!(101),
            low: dec!(99),
            close: dec!(100.5),
            volume: dec!(1),
        })
        .collect()
}

#[tokio::test]
async fn every_v3_call_is_sent_exactly_as_the_fixture_says() {
    let fake = FakeBitget::unified().await.unwrap();
    fake.with_book(|b| b.pos_mode = "hedge_mode".into());
    let ex = exchange(&fake);
    let mut c = Checker::new();

    assert_eq!(ex.balance().await.unwrap().equity, dec!(100000));
    c.check(&fake, "assets");
    assert_eq!(ex.account_kind().await.unwrap(), AccountKind::Unified);
    assert!(
        fake.requests().iter().all(|r| !r.path.starts_with("/api/v2/")),
        "a unified key never calls v2"
    );

    let i = ex.instrument(&btc()).await.unwrap();
    c.check(&fake, "instruments");
    c.check(&fake, "position_tier");
    assert_eq!(
        (
            i.tick_size,
            i.lot_size,
            i.min_qty,
            i.min_notional,
            i.max_leverage,
            i.maint_margin_rate
        ),
        (dec!(0.1), dec!(0.0001), dec!(0.0001), dec!(5), 125, dec!(0.004))
    );
    assert_eq!(ex.ticker(&btc()).await.unwrap(), dec!(30000));
    c.check(&fake, "ticker");

    ex.set_leverage(&btc(), 7).await.unwrap();
    c.check(&fake, "settings");
    c.check(&fake, "set_hold_mode");
    c.check(&fake, "set_leverage");

    let req = OrderRequest::limit(ClientOrderId::new("u-5"), btc(), Side::Buy, dec!(29000), dec!(0.002))
        .with_tif(TimeInForce::PostOnly)
        .with_presets(Some(dec!(28000)), Some(dec!(31000.04)));
    let o = ex.place_orders(&[req]).await.unwrap()[0].clone().unwrap();
    assert_eq!((o.client_id.as_str(), o.status), ("u-5", OrderStatus::Open));
    c.check(&fake, "place_order");
    let batch = vec![
        limit("u-b0", Side::Buy, dec!(28000), dec!(0.001)),
        limit("u-b1", Side::Sell, dec!(32000), dec!(0.001)),
    ];
    assert!(ex.place_orders(&batch).await.unwrap().iter().all(|r| r.is_ok()));
    c.check(&fake, "place_batch");
    let got = ex.order(&btc(), &ClientOrderId::new("u-5")).await.unwrap().unwrap();
    assert_eq!((got.price, got.qty), (Some(dec!(29000)), dec!(0.002)));
    c.check(&fake, "order_info");
    assert_eq!(ex.open_orders(&btc()).await.unwrap().len(), 3);
    c.check(&fake, "unfilled_orders");
    assert_eq!(
        ex.cancel_orders(&btc(), &[ClientOrderId::new("u-5")]).await.unwrap(),
        vec![Ok(())]
    );
    c.check(&fake, "cancel_order");
    let both = [ClientOrderId::new("u-b0"), ClientOrderId::new("u-b1")];
    assert_eq!(ex.cancel_orders(&btc(), &both).await.unwrap(), vec![Ok(()), Ok(())]);
    c.check(&fake, "cancel_batch");
    ex.place_orders(&[limit("u-all", Side::Buy, dec!(28000), dec!(0.001))])
        .await
        .unwrap();
    assert_eq!(ex.cancel_all(&btc()).await.unwrap(), 1);
    c.check(&fake, "cancel_symbol_order");

    fake.pay_fees_in("BGB", Some(dec!(5)));
    let m = OrderRequest::market(ClientOrderId::new("u-open"), btc(), Side::Buy, dec!(0.001));
    ex.place_orders(&[m]).await.unwrap()[0].clone().unwrap();
    let page = ex.fills_since(&btc(), None).await.unwrap();
    c.check(&fake, "fills");
    c.check(&fake, "spot_ticker");
    // 30000 × 0.001 × 0.06 % = 0.018 USDT, charged as 0.0036 BGB at 5 USDT.
    assert_eq!((page.fills.len(), page.fills[0].fee), (1, dec!(0.018)));
    assert_eq!(page.fills[0].client_id.as_str(), "u-open");
    let p = ex.position(&btc()).await.unwrap();
    c.check(&fake, "current_position");
    assert_eq!((p.qty, p.entry_price, p.leverage), (dec!(0.001), dec!(30000), 7));
    let close = ex
        .close_position(&btc(), &ClientOrderId::new("u-close"))
        .await
        .unwrap()
        .unwrap();
    assert!(close.reduce_only);
    c.check(&fake, "place_order_reduce_only");
    assert!(fake.position_qty(&btc()).is_zero());
    ex.place_orders(&[OrderRequest::market(
        ClientOrderId::new("u-open2"),
        btc(),
        Side::Sell,
        dec!(0.001),
    )])
    .await
    .unwrap();
    assert_eq!(ex.flash_close(&btc()).await.unwrap(), 1);
    c.check(&fake, "close_positions");
    assert!(fake.position_qty(&btc()).is_zero());

    let now = gridbot_bitget::http::client::now_ms();
    let minute = 60_000;
    let start = Interval::M1.floor(now) - 600 * minute;
    fake.seed_candles("BTCUSDT", minutes(start, 600, minute));
    assert_eq!(
        ex.candles(&btc(), Interval::M1, start, start + 600 * minute)
            .await
            .unwrap()
            .len(),
        600
    );
    c.check(&fake, "candles");
    let day = 86_400_000;
    let old = Interval::D1.floor(now) - 200 * day;
    fake.seed_candles("BTCUSDT", minutes(old, 24 * 10, 3_600_000));
    let daily = ex.candles(&btc(), Interval::D1, old, old + 10 * day).await.unwrap();
    assert_eq!(daily.len(), 10);
    assert!(daily.iter().all(|c| c.ts % day == 0));
    c.check(&fake, "history_candles");
    c.all_checked();
}

#[tokio::test]
async fn forty_five_orders_go_in_batches_of_twenty_with_per_item_results() {
    let fake = FakeBitget::unified().await.unwrap();
    let ex = exchange(&fake);
    let mut orders: Vec<_> = (0..45)
        .map(|i| {
            limit(
                &format!("u2-{i}"),
                Side::Buy,
                dec!(20000) + rust_decimal::Decimal::from(i * 10),
                dec!(0.001),
            )
        })
        .collect();
    orders[7] = limit("u2-rich", Side::Buy, dec!(29000), dec!(400));
    let r = ex.place_orders(&orders).await.unwrap();
    assert_eq!(r.len(), 45);
    assert!(matches!(r[7], Err(ExchangeError::InsufficientBalance(_))), "{:?}", r[7]);
    assert_eq!(r.iter().filter(|x| x.is_ok()).count(), 44);
    let batches = fake.requests_to("/api/v3/trade/place-batch");
    assert_eq!(
        batches
            .iter()
            .map(|b| b.json().as_array().unwrap().len())
            .collect::<Vec<_>>(),
        vec![20, 20, 5]
    );
    // A repeated placement answers the existing orders (duplicate clientOid 25212).
    let again = ex.place_orders(&orders[..3]).await.unwrap();
    assert!(again.iter().all(|x| x.is_ok()));
    assert_eq!(fake.orders_with_client_oid("u2-0"), 1);
}

#[tokio::test]
async fn reduce_only_and_preset_orders_never_go_in_a_v3_batch() {
    let fake = FakeBitget::unified().await.unwrap();
    let ex = exchange(&fake);
    ex.place_orders(&[OrderRequest::market(
        ClientOrderId::new("pos"),
        btc(),
        Side::Buy,
        dec!(0.01),
    )])
    .await
    .unwrap();
    fake.clear_requests();
    let orders = vec![
        limit("n-1", Side::Buy, dec!(29000), dec!(0.001)),
        limit("n-2", Side::Buy, dec!(28900), dec!(0.001)),
        limit("r-1", Side::Sell, dec!(31000), dec!(0.001)).reduce_only(),
        limit("t-1", Side::Buy, dec!(28800), dec!(0.001)).with_presets(Some(dec!(27000)), None),
    ];
    let r = ex.place_orders(&orders).await.unwrap();
    assert!(r.iter().all(|x| x.is_ok()), "{r:?}");
    let batch = fake.requests_to("/api/v3/trade/place-batch");
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].json().as_array().unwrap().len(), 2);
    let singles: Vec<String> = fake
        .requests_to("/api/v3/trade/place-order")
        .iter()
        .map(|r| r.json()["clientOid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(singles, vec!["r-1", "t-1"]);
}

#[tokio::test]
async fn a_refused_margin_mode_in_batches_falls_back_to_single_orders_placed_once() {
    let fake = FakeBitget::unified().await.unwrap();
    fake.refuse_batch_margin_mode(true);
    let ex = exchange(&fake);
    let orders: Vec<_> = (0..3)
        .map(|i| {
            limit(
                &format!("mm-{i}"),
                Side::Buy,
                dec!(29000) - rust_decimal::Decimal::from(i),
                dec!(0.001),
            )
        })
        .collect();
    let r = ex.place_orders(&orders).await.unwrap();
    assert!(r.iter().all(|x| x.is_ok()), "{r:?}");
    assert_eq!(fake.requests_to("/api/v3/trade/place-order").len(), 3);
    for i in 0..3 {
        assert_eq!(fake.orders_with_client_oid(&format!("mm-{i}")), 1);
    }
    fake.with_book(|b| assert_eq!(b.margin_of("BTCUSDT"), "isolated"));
    // From then on this account places one by one.
    fake.clear_requests();
    ex.place_orders(&[
        limit("mm-a", Side::Buy, dec!(28000), dec!(0.001)),
        limit("mm-b", Side::Buy, dec!(28001), dec!(0.001)),
    ])
    .await
    .unwrap();
    assert!(fake.requests_to("/api/v3/trade/place-batch").is_empty());
}

#[tokio::test]
async fn fills_of_other_symbols_are_left_out_and_pages_follow_the_cursor() {
    let fake = FakeBitget::unified().await.unwrap();
    let ex = exchange(&fake);
    let orders: Vec<_> = (0..130)
        .map(|i| limit(&format!("f3-{i}"), Side::Buy, dec!(29000), dec!(0.001)))
        .collect();
    ex.place_orders(&orders).await.unwrap();
    let eth = gridbot_core::model::Symbol::new("ETHUSDT").unwrap();
    ex.place_orders(&[OrderRequest::market(
        ClientOrderId::new("eth-1"),
        eth,
        Side::Buy,
        dec!(0.01),
    )])
    .await
    .unwrap();
    fake.set_price("BTCUSDT", dec!(28999));
    let page = ex.fills_since(&btc(), None).await.unwrap();
    assert_eq!(page.fills.len(), 130);
    assert!(page.fills.iter().all(|f| f.symbol == btc()));
    assert!(page.fills.windows(2).all(|w| w[0].id < w[1].id));
    let pages = fake.requests_to("/api/v3/trade/fills");
    assert!(
        pages.iter().any(|r| r.query.contains("cursor=")),
        "the second page follows the cursor"
    );
    let tail = ex
        .fills_since(
            &btc(),
            Some(gridbot_core::model::FillCursor(page.fills[127].id.clone())),
        )
        .await
        .unwrap();
    assert_eq!(
        tail.fills.iter().map(|f| f.client_id.as_str()).collect::<Vec<_>>(),
        vec!["f3-128", "f3-129"]
    );
}
