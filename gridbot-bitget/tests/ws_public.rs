//! The public WebSocket of both APIs (v2 `ticker`/`candle1m`; v3
//! `ticker`/`kline` for a unified key): one upstream subscription per symbol
//! however many listeners, split across connections before the channel
//! limit, ping, reconnect and resubscribe, ticks and closed candles.

mod support;

use std::time::Duration;

use futures::StreamExt;
use gridbot_bitget::fake::FakeBitget;
use gridbot_bitget::{AccountKind, BitgetMarketData};
use gridbot_core::model::{Interval, MarketEvent, Symbol};
use gridbot_core::ports::{MarketData, MarketSubscription};
use rust_decimal_macros::dec;
use support::*;

fn channels(fake: &FakeBitget) -> usize {
    fake.ws_stats().public_channels.values().sum()
}

async fn next_tick(sub: &mut MarketSubscription) -> MarketEvent {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(5), sub.next())
            .await
            .unwrap()
            .unwrap();
        if matches!(ev, MarketEvent::Tick(_)) {
            return ev;
        }
    }
}

async fn fake_of(kind: AccountKind) -> FakeBitget {
    match kind {
        AccountKind::Classic => FakeBitget::start().await.unwrap(),
        AccountKind::Unified => FakeBitget::unified().await.unwrap(),
    }
}

#[tokio::test]
async fn every_listener_gets_ticks_from_one_upstream_subscription_per_symbol() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        one_upstream_subscription(kind).await;
    }
}

async fn one_upstream_subscription(kind: AccountKind) {
    let fake = fake_of(kind).await;
    let md = BitgetMarketData::new(fake.config()).unwrap();
    let mut a = md.subscribe(&btc()).await.unwrap();
    let mut b = md.subscribe(&btc()).await.unwrap();
    assert!(eventually(5, || channels(&fake) == 2).await);
    assert_eq!(md.listeners(&btc()), 2);
    assert_eq!(fake.ws_stats().public_subscribe_args, 2, "ticker + candle1m once");
    fake.set_price("BTCUSDT", dec!(30100.5));
    for s in [&mut a, &mut b] {
        match next_tick(s).await {
            MarketEvent::Tick(t) => assert_eq!((t.symbol, t.price), (btc(), dec!(30100.5))),
            _ => unreachable!(),
        }
    }
    drop(a);
    assert_eq!(md.listeners(&btc()), 1);
    assert_eq!(fake.ws_stats().public_unsubscribe_args, 0);
    drop(b);
    assert!(eventually(5, || fake.ws_stats().public_unsubscribe_args == 2).await);
    assert_eq!(md.listeners(&btc()), 0);
    assert_eq!(md.connection_count(), 1);
    assert_eq!(
        fake.ws_stats().v3_public_connects > 0,
        kind == AccountKind::Unified,
        "{kind} uses its own public WebSocket"
    );
}

#[tokio::test]
async fn subscriptions_are_split_across_connections_before_the_channel_limit() {
    let fake = fake().await;
    let mut cfg = fake.config();
    cfg.ws.max_channels_per_connection = 4;
    let md = BitgetMarketData::new(cfg).unwrap();
    let mut subs = Vec::new();
    for s in ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT"] {
        subs.push(md.subscribe(&Symbol::new(s).unwrap()).await.unwrap());
    }
    assert_eq!(md.connection_count(), 3);
    assert!(eventually(5, || channels(&fake) == 10).await);
    assert!(fake.ws_stats().public_channels.values().all(|n| *n <= 4));
}

#[tokio::test]
async fn a_dropped_public_socket_reconnects_pings_and_resubscribes() {
    let fake = fake().await;
    let md = BitgetMarketData::new(fake.config()).unwrap();
    let mut sub = md.subscribe(&btc()).await.unwrap();
    assert!(eventually(5, || channels(&fake) == 2).await);
    fake.drop_public_sockets();
    assert!(eventually(5, || fake.ws_stats().public_connects >= 2 && channels(&fake) == 2).await);
    fake.set_price("BTCUSDT", dec!(29999.9));
    match next_tick(&mut sub).await {
        MarketEvent::Tick(t) => assert_eq!(t.price, dec!(29999.9)),
        _ => unreachable!(),
    }
    assert!(
        eventually(3, || fake.ws_stats().pings >= 1).await,
        "ping every interval"
    );
}

#[tokio::test]
async fn a_candle_is_delivered_once_the_next_minute_starts() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        candle_delivered(kind).await;
    }
}

async fn candle_delivered(kind: AccountKind) {
    let fake = fake_of(kind).await;
    let md = BitgetMarketData::new(fake.config()).unwrap();
    let mut sub = md.subscribe(&btc()).await.unwrap();
    assert!(eventually(5, || channels(&fake) == 2).await);
    let t0 = 1_700_000_040_000i64; // a minute boundary
    for (p, dt) in [
        (dec!(100), 0),
        (dec!(104), 10_000),
        (dec!(98), 20_000),
        (dec!(101), 59_000),
        (dec!(102), 60_000),
    ] {
        fake.set_price_at("BTCUSDT", p, t0 + dt);
    }
    let candle = loop {
        let ev = tokio::time::timeout(Duration::from_secs(5), sub.next())
            .await
            .unwrap()
            .unwrap();
        if let MarketEvent::Candle { candle, .. } = ev {
            break candle;
        }
    };
    assert_eq!(
        (candle.ts, candle.open, candle.high, candle.low, candle.close),
        (t0, dec!(100), dec!(104), dec!(98), dec!(101))
    );
}

#[tokio::test]
async fn history_last_price_and_symbols_come_from_rest() {
    let fake = fake().await;
    let md = BitgetMarketData::new(fake.config()).unwrap();
    let t0 = 1_700_000_040_000i64;
    let cs: Vec<_> = (0..10)
        .map(|i| gridbot_core::model::Candle {
            ts: t0 + i * 60_000,
            open: dec!(1),
            high: dec!(2),
            low: dec!(1),
            close: dec!(2),
            volume: dec!(3),
        })
        .collect();
    fake.seed_candles("BTCUSDT", cs);
    assert_eq!(
        md.candles(&btc(), Interval::M1, t0, t0 + 5 * 60_000)
            .await
            .unwrap()
            .len(),
        5
    );
    assert_eq!(md.last_price(&btc()).await.unwrap(), dec!(30000));
    assert!(md.symbols().is_empty());
    md.load_symbols().await.unwrap();
    assert_eq!(md.symbols().len(), 2);
}
