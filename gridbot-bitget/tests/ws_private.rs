//! The private execution stream of both account kinds (v2 `orders` /
//! `fill` / `positions`; v3 `order` / `fill` / `position` / `account` under
//! `instType` `UTA`): login, events, refused logins, and — with sockets
//! dropped every few hundred milliseconds and events duplicated and
//! reordered — no fill lost and none delivered twice.

mod support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use gridbot_bitget::fake::FakeBitget;
use gridbot_bitget::AccountKind;
use gridbot_core::model::{ExecutionEvent, OrderStatus, Side};
use gridbot_core::ports::{Exchange, ExecutionStream};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::*;

async fn collect_until(
    stream: &mut ExecutionStream,
    secs: u64,
    mut done: impl FnMut(&[ExecutionEvent]) -> bool,
) -> Vec<ExecutionEvent> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !done(&out) {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(e)) => out.push(e),
            _ => break,
        }
    }
    out
}

async fn fake_of(kind: AccountKind) -> FakeBitget {
    match kind {
        AccountKind::Classic => FakeBitget::start().await.unwrap(),
        AccountKind::Unified => FakeBitget::unified().await.unwrap(),
    }
}

#[tokio::test]
async fn the_stream_logs_in_and_delivers_order_fill_and_position_events() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        stream_delivers_events(kind).await;
    }
}

async fn stream_delivers_events(kind: AccountKind) {
    let fake = fake_of(kind).await;
    let ex = exchange(&fake);
    let mut events = ex.execution_events();
    assert!(eventually(5, || fake.ws_stats().logins == 1).await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    ex.place_orders(&[limit("w-1", Side::Buy, dec!(29900), dec!(0.01))])
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    fake.set_price("BTCUSDT", dec!(29850));
    let got = collect_until(&mut events, 5, |e| {
        e.iter().any(|x| matches!(x, ExecutionEvent::Position(_)))
    })
    .await;
    let fill = got
        .iter()
        .find_map(|e| {
            if let ExecutionEvent::Fill(f) = e {
                Some(f.clone())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(
        (fill.client_id.as_str(), fill.side, fill.price, fill.qty),
        ("w-1", Side::Buy, dec!(29900), dec!(0.01))
    );
    assert_eq!(fill.fee, dec!(0.0598));
    let statuses: Vec<_> = got
        .iter()
        .filter_map(|e| {
            if let ExecutionEvent::Order(o) = e {
                Some(o.status)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(statuses, vec![OrderStatus::Open, OrderStatus::Filled]);
    let pos = got
        .iter()
        .find_map(|e| {
            if let ExecutionEvent::Position(p) = e {
                Some(p.clone())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!((pos.qty, pos.entry_price), (dec!(0.01), dec!(29900)));
    let v3 = fake.ws_stats().v3_private_connects > 0;
    assert_eq!(
        v3,
        kind == AccountKind::Unified,
        "{kind} uses its own private WebSocket"
    );
    if kind == AccountKind::Unified {
        assert!(
            eventually(2, || ex.streamed_balance().is_some()).await,
            "the account topic's balance is kept"
        );
    }
}

#[tokio::test]
async fn refused_logins_are_retried_with_backoff_until_one_succeeds() {
    let fake = fake().await;
    fake.faults().fail_logins(2);
    let ex = exchange(&fake);
    let mut events = ex.execution_events();
    assert!(eventually(5, || fake.ws_stats().logins == 1).await);
    assert_eq!(fake.ws_stats().login_failures, 2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    ex.place_orders(&[limit("l-1", Side::Buy, dec!(29900), dec!(0.01))])
        .await
        .unwrap();
    let got = collect_until(&mut events, 5, |e| !e.is_empty()).await;
    assert!(matches!(got.first(), Some(ExecutionEvent::Order(o)) if o.client_id.as_str() == "l-1"));
}

#[tokio::test]
async fn fills_made_while_the_socket_is_down_are_recovered_from_rest() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        fills_recovered(kind).await;
    }
}

async fn fills_recovered(kind: AccountKind) {
    let fake = fake_of(kind).await;
    let ex = exchange(&fake);
    let mut events = ex.execution_events();
    assert!(eventually(5, || fake.ws_stats().logins == 1).await);
    ex.place_orders(&[limit("gap-1", Side::Buy, dec!(29900), dec!(0.01))])
        .await
        .unwrap();
    fake.faults().fail_logins(3);
    fake.drop_private_sockets();
    tokio::time::sleep(Duration::from_millis(30)).await;
    fake.set_price("BTCUSDT", dec!(29800));
    let got = collect_until(&mut events, 8, |e| {
        e.iter().any(|x| matches!(x, ExecutionEvent::Fill(_)))
    })
    .await;
    let fills: Vec<_> = got.iter().filter(|e| matches!(e, ExecutionEvent::Fill(_))).collect();
    assert_eq!(fills.len(), 1, "{kind}");
    assert!(
        eventually(5, || fake.ws_stats().logins >= 2).await,
        "{kind}: the socket comes back"
    );
}

#[tokio::test]
async fn with_sockets_dropped_every_few_hundred_ms_and_events_doubled_and_reordered_no_fill_is_lost_or_doubled() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        no_fill_lost_or_doubled(kind).await;
    }
}

async fn no_fill_lost_or_doubled(kind: AccountKind) {
    let fake = fake_of(kind).await;
    fake.faults().drop_private_every(Some(Duration::from_millis(300)));
    fake.faults().duplicate_events(true);
    fake.faults().out_of_order_events(true);
    let ex = exchange(&fake);
    ex.set_leverage(&btc(), 5).await.unwrap();
    let mut events = ex.execution_events();
    assert!(eventually(5, || fake.ws_stats().logins >= 1).await);
    // A ladder of 120 buys, 10 USDT apart, filled as the price walks down.
    let orders: Vec<_> = (0..120)
        .map(|i| {
            limit(
                &format!("lad-{i}"),
                Side::Buy,
                dec!(29990) - Decimal::from(i * 10),
                dec!(0.001),
            )
        })
        .collect();
    ex.place_orders(&orders).await.unwrap();
    for i in 0..120 {
        fake.set_price("BTCUSDT", dec!(29990) - Decimal::from(i * 10));
        tokio::time::sleep(Duration::from_millis(8)).await;
    }
    let total = fake.fill_ids().len();
    assert_eq!(total, 120);
    let mut seen: Vec<String> = Vec::new();
    let mut last_status: HashMap<String, OrderStatus> = HashMap::new();
    let got = collect_until(&mut events, 15, |e| {
        e.iter().filter(|x| matches!(x, ExecutionEvent::Fill(_))).count() >= 120
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut got = got;
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(300), events.next()).await {
        got.push(e);
    }
    for e in &got {
        match e {
            ExecutionEvent::Fill(f) => {
                assert!(f.client_id.as_str().starts_with("lad-"), "client id resolved: {f:?}");
                seen.push(f.id.clone());
            }
            ExecutionEvent::Order(o) => {
                let prev = last_status.insert(o.client_id.as_str().to_owned(), o.status);
                assert!(
                    !(prev == Some(OrderStatus::Filled) && o.status == OrderStatus::Open),
                    "stale update delivered"
                );
            }
            _ => {}
        }
    }
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "a fill was delivered twice");
    assert_eq!(
        unique,
        fake.fill_ids().into_iter().collect::<HashSet<_>>(),
        "a fill was lost"
    );
    assert!(
        fake.ws_stats().private_connects >= 3,
        "sockets were dropped and re-opened"
    );
}

#[tokio::test]
async fn a_fill_with_an_unknown_trade_side_or_garbage_pushes_never_stop_the_stream() {
    let fake = fake().await;
    let ex = exchange(&fake);
    let mut events = ex.execution_events();
    assert!(eventually(5, || fake.ws_stats().logins == 1).await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let o = ex
        .place_orders(&[limit("odd-1", Side::Buy, dec!(29000), dec!(0.01))])
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    fake.push_private_raw(
        "fill",
        "{\"action\":\"snapshot\",\"arg\":{\"channel\":\"fill\"},\"data\":[{\"tradeId\":".into(),
    );
    fake.push_private_raw(
        "fill",
        serde_json::json!({"action": "snapshot", "arg": {"instType": "USDT-FUTURES", "channel": "fill", "instId": "default"},
            "data": [{"tradeId": "77", "symbol": "BTCUSDT", "orderId": o.id, "price": "29000", "baseVolume": "0.01",
                      "side": "buy", "tradeSide": "brand_new_side", "tradeScope": "maker", "cTime": "1700000000000",
                      "feeDetail": [{"feeCoin": "USDT", "totalFee": "-0.058"}]}],
            "ts": 1700000000000i64})
        .to_string(),
    );
    let got = collect_until(&mut events, 5, |e| {
        e.iter().any(|x| matches!(x, ExecutionEvent::Fill(_)))
    })
    .await;
    let fill = got
        .iter()
        .find_map(|e| {
            if let ExecutionEvent::Fill(f) = e {
                Some(f.clone())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(
        (fill.id.as_str(), fill.client_id.as_str(), fill.is_liquidation),
        ("77", "odd-1", false)
    );
    assert_eq!(fill.fee, dec!(0.058));
}

#[tokio::test]
async fn a_login_with_a_wrong_secret_is_refused_by_signature_check() {
    let fake = fake().await;
    let mut cfg = fake.config();
    cfg.credentials = Some(gridbot_bitget::Credentials::new(
        gridbot_bitget::fake::FAKE_API_KEY,
        "not-the-secret",
        gridbot_bitget::fake::FAKE_PASSPHRASE,
    ));
    let ex = exchange_with(cfg.with_account(gridbot_bitget::AccountMode::Classic));
    let _events = ex.execution_events();
    assert!(
        eventually(5, || fake.ws_stats().login_failures >= 2).await,
        "refused and retried"
    );
    assert_eq!(fake.ws_stats().logins, 0);
}
