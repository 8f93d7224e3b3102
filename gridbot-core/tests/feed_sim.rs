//! Simulated market: determinism, history, aggregation, reference-counted
//! subscriptions, venue-first ordering and real-time pacing.

use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use gridbot_core::clock::ManualClock;
use gridbot_core::feed::{aggregate, SimConfig, SimMarket};
use gridbot_core::model::{ClientOrderId, Interval, MarketEvent, OrderRequest, Side, Symbol};
use gridbot_core::paper::{PaperConfig, PaperExchange};
use gridbot_core::ports::{Exchange, MarketData, MarketSubscription};
use rust_decimal::Decimal;

/// 2024-01-01 00:00:30 UTC (mid-minute on purpose).
const NOW: i64 = 1_704_067_230_000;

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn market(seed: u64, days: u32) -> (SimMarket, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(NOW));
    let m = SimMarket::new(
        SimConfig::default().with_seed(seed).with_history_days(days),
        clock.clone(),
    )
    .unwrap();
    (m, clock)
}

fn drain(s: &mut MarketSubscription) -> Vec<MarketEvent> {
    let mut out = Vec::new();
    while let Some(Some(e)) = tokio::task::unconstrained(s.next()).now_or_never() {
        out.push(e);
    }
    out
}

#[tokio::test]
async fn the_same_seed_gives_the_same_candles_and_another_seed_does_not() {
    let (a, _) = market(7, 1);
    let (b, _) = market(7, 1);
    let (c, _) = market(8, 1);
    let end = Interval::M1.floor(NOW);
    for s in a.symbols() {
        let ha = a.candles(&s, Interval::M1, 0, end).await.unwrap();
        assert_eq!(ha, b.candles(&s, Interval::M1, 0, end).await.unwrap());
        assert_ne!(ha, c.candles(&s, Interval::M1, 0, end).await.unwrap());
    }
    assert_eq!(a.step().unwrap(), b.step().unwrap());
}

#[tokio::test]
async fn default_market_has_seven_symbols_and_30_days_of_minutes_ending_now() {
    let clock = Arc::new(ManualClock::new(NOW));
    let m = SimMarket::new(SimConfig::default().with_symbols(&["BTCUSDT", "DOGEUSDT"]), clock).unwrap();
    let all = SimMarket::new(
        SimConfig::default().with_history_days(0),
        Arc::new(ManualClock::new(NOW)),
    )
    .unwrap();
    let names: Vec<String> = all.symbols().iter().map(|s| s.to_string()).collect();
    assert_eq!(
        names,
        ["ADAUSDT", "BNBUSDT", "BTCUSDT", "DOGEUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
    );
    let end = Interval::M1.floor(NOW);
    let h = m.candles(&btc(), Interval::M1, 0, i64::MAX).await.unwrap();
    assert_eq!(h.len(), 30 * 1440);
    assert_eq!(h.last().unwrap().ts, end - 60_000);
    assert_eq!(h[0].ts, end - 30 * 86_400_000);
    let p = m.last_price(&btc()).await.unwrap();
    assert!(p > Decimal::from(30_000) && p < Decimal::from(300_000), "BTC at {p}");
    assert!(m.last_price(&Symbol::new("DOGEUSDT").unwrap()).await.unwrap() < Decimal::from(5));
    assert_eq!(m.next_candle_ts(), end);
}

#[tokio::test]
async fn candles_aggregate_minute_history_to_any_interval() {
    let (m, _) = market(3, 2);
    let minutes = m.candles(&btc(), Interval::M1, 0, i64::MAX).await.unwrap();
    let start = minutes[0].ts + 3_600_000 + 60_000; // not on an hour: the first hour starts after it
    let hours = m.candles(&btc(), Interval::H1, start, NOW).await.unwrap();
    let first_hour = Interval::H1.floor(start) + 3_600_000;
    assert_eq!(hours[0].ts, first_hour);
    let inside: Vec<_> = minutes
        .iter()
        .filter(|c| Interval::H1.floor(c.ts) == first_hour)
        .copied()
        .collect();
    assert_eq!(inside.len(), 60);
    assert_eq!(hours[0].open, inside[0].open);
    assert_eq!(hours[0].close, inside[59].close);
    assert_eq!(hours[0].high, inside.iter().map(|c| c.high).max().unwrap());
    assert_eq!(hours[0].low, inside.iter().map(|c| c.low).min().unwrap());
    assert_eq!(hours[0].volume, inside.iter().map(|c| c.volume).sum::<Decimal>());
    // Two days of history ending at midnight: exactly two daily candles.
    assert_eq!(aggregate(&minutes, Interval::D1).len(), 2);
    for iv in Interval::ALL {
        let c = m.candles(&btc(), iv, 0, i64::MAX).await.unwrap();
        assert!(
            c.windows(2).all(|w| w[1].ts - w[0].ts == iv.millis()),
            "{iv} buckets are contiguous"
        );
    }
}

#[tokio::test]
async fn one_channel_per_symbol_however_many_subscribers_released_with_the_last() {
    let (m, _) = market(1, 0);
    let hub = m.hub().clone();
    assert_eq!(hub.channel_count(), 0);
    let s1 = m.subscribe(&btc()).await.unwrap();
    let mut s2 = m.subscribe(&btc()).await.unwrap();
    let e1 = m.subscribe(&Symbol::new("ETHUSDT").unwrap()).await.unwrap();
    assert_eq!(hub.channel_count(), 2);
    assert_eq!(hub.subscriber_count(&btc()), 2);
    drop(s1);
    assert_eq!(hub.subscriber_count(&btc()), 1);
    m.step().unwrap();
    assert_eq!(
        drain(&mut s2).len(),
        5,
        "4 ticks and the candle still reach the other subscriber"
    );
    drop(s2);
    drop(e1);
    assert_eq!(hub.channel_count(), 0);
    let mut again = m.subscribe(&btc()).await.unwrap();
    m.step().unwrap();
    assert_eq!(drain(&mut again).len(), 5);
    assert!(m.subscribe(&Symbol::new("FOOUSDT").unwrap()).await.is_err());
}

#[tokio::test]
async fn subscribers_get_ticks_along_the_walk_then_the_closed_candle_after_the_venue() {
    let (m, _) = market(5, 1);
    let venue = PaperExchange::new(PaperConfig::default());
    m.attach_venue(venue.clone()).unwrap();
    let acct = venue.open_account("u1", Decimal::from(100_000)).unwrap();
    let price = m.last_price(&btc()).await.unwrap();
    assert_eq!(venue.last_price(&btc()), Some(price));
    // A buy one tick below the price: the next minutes will touch it.
    let limit = price - Decimal::new(1, 1);
    acct.place_orders(&[OrderRequest::limit(
        ClientOrderId::new("b"),
        btc(),
        Side::Buy,
        limit,
        Decimal::new(1, 3),
    )])
    .await
    .unwrap();
    let mut sub = m.subscribe(&btc()).await.unwrap();
    let mut filled_before_seen = false;
    for _ in 0..120 {
        let candles = m.step().unwrap();
        let (_, candle) = candles.iter().find(|(s, _)| *s == btc()).unwrap();
        let events = drain(&mut sub);
        assert_eq!(events.len(), 5);
        assert!(matches!(&events[4], MarketEvent::Candle { candle: c, .. } if c == candle));
        let ticks: Vec<Decimal> = events[..4]
            .iter()
            .map(|e| {
                if let MarketEvent::Tick(t) = e {
                    t.price
                } else {
                    panic!("tick")
                }
            })
            .collect();
        assert_eq!(ticks[0], candle.open);
        assert_eq!(ticks[3], candle.close);
        if candle.low <= limit {
            // The venue saw the candle before this subscriber did.
            filled_before_seen = acct.fills().unwrap().len() == 1;
            break;
        }
    }
    assert!(filled_before_seen);
}

#[tokio::test]
async fn spawned_market_publishes_in_clock_time_at_the_configured_speed() {
    let clock = Arc::new(ManualClock::new(NOW));
    let m = SimMarket::new(
        SimConfig::default().with_seed(9).with_history_days(0).with_speed(10),
        clock.clone(),
    )
    .unwrap();
    let mut sub = m.subscribe(&btc()).await.unwrap();
    let task = m.spawn();
    tokio::task::yield_now().await;
    // Market time starts at NOW (30 s into the minute): the open and the
    // +20 s point are already due.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let first = drain(&mut sub);
    assert_eq!(first.len(), 2, "{first:?}");
    // 3 s of clock = 30 s of market time at 10x: the minute completes and
    // the next one opens.
    clock.advance(3_000);
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let rest = drain(&mut sub);
    assert_eq!(rest.len(), 4, "{rest:?}");
    assert!(matches!(rest[2], MarketEvent::Candle { .. }));
    let next_minute = Interval::M1.floor(NOW) + 60_000;
    assert!(matches!(&rest[3], MarketEvent::Tick(t) if t.ts == next_minute));
    task.abort();
    let _ = tokio::time::timeout(Duration::from_millis(100), task).await;
}
