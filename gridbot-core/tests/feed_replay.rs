//! CSV replay market: gaps in time and price, zero volume, malformed rows,
//! pacing, and the real data files.

use std::sync::Arc;

use futures::{FutureExt, StreamExt};
use gridbot_core::clock::ManualClock;
use gridbot_core::feed::{symbol_from_path, ReplayConfig, ReplayMarket};
use gridbot_core::model::{Candle, ClientOrderId, Interval, MarketEvent, OrderRequest, Side, Symbol};
use gridbot_core::paper::{PaperConfig, PaperExchange};
use gridbot_core::ports::{Exchange, MarketData, MarketSubscription};
use gridbot_core::MarketDataError;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/binance_BTCUSDT_1m.csv");

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn c(min: i64, o: Decimal, h: Decimal, l: Decimal, cl: Decimal, v: Decimal) -> Candle {
    Candle {
        ts: min * 60_000,
        open: o,
        high: h,
        low: l,
        close: cl,
        volume: v,
    }
}

/// Three minutes, a two-hour hole with a drop from 30000 to 27000, three more.
fn gapped() -> Vec<Candle> {
    vec![
        c(0, dec!(30000), dec!(30010), dec!(29990), dec!(30000), dec!(1)),
        c(1, dec!(30000), dec!(30020), dec!(29995), dec!(30005), dec!(0)),
        c(2, dec!(30005), dec!(30010), dec!(29990), dec!(30000), dec!(2)),
        c(122, dec!(27000), dec!(27050), dec!(26990), dec!(27010), dec!(5)),
        c(123, dec!(27010), dec!(27020), dec!(27000), dec!(27000), dec!(0)),
        c(124, dec!(27000), dec!(27100), dec!(26950), dec!(27080), dec!(1)),
    ]
}

fn drain(s: &mut MarketSubscription) -> Vec<MarketEvent> {
    let mut out = Vec::new();
    while let Some(Some(e)) = tokio::task::unconstrained(s.next()).now_or_never() {
        out.push(e);
    }
    out
}

fn replay(history: usize, clock: Arc<ManualClock>) -> ReplayMarket {
    ReplayMarket::from_candles(
        btc(),
        gapped(),
        ReplayConfig::default().with_history_candles(history),
        clock,
        "test",
    )
    .unwrap()
}

#[tokio::test]
async fn a_jump_in_time_and_price_fills_orders_in_between_at_their_limit() {
    let m = replay(3, Arc::new(ManualClock::new(0)));
    let venue = PaperExchange::new(PaperConfig::default());
    m.attach_venue(venue.clone()).unwrap();
    assert_eq!(venue.last_price(&btc()), Some(dec!(30000)));
    let a = venue.open_account("a", dec!(10000)).unwrap();
    a.place_orders(&[OrderRequest::limit(
        ClientOrderId::new("b"),
        btc(),
        Side::Buy,
        dec!(28000),
        dec!(0.01),
    )])
    .await
    .unwrap();
    assert_eq!(m.step().unwrap().unwrap().ts, 122 * 60_000);
    let fills = a.fills().unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(fills[0].price, dec!(28000));
    assert_eq!(
        fills[0].ts,
        122 * 60_000,
        "filled on the gap, at the open of the first candle after it"
    );
    while m.step().unwrap().is_some() {}
    assert_eq!(m.remaining(), 0);
    assert_eq!(m.last_price(&btc()).await.unwrap(), dec!(27080));
}

#[tokio::test]
async fn history_and_aggregation_skip_the_missing_minutes() {
    let m = replay(6, Arc::new(ManualClock::new(0)));
    let five = m.candles(&btc(), Interval::M5, 0, i64::MAX).await.unwrap();
    assert_eq!(five.iter().map(|c| c.ts).collect::<Vec<_>>(), vec![0, 120 * 60_000]);
    assert_eq!(five[0].volume, dec!(3));
    assert_eq!(five[1].low, dec!(26950));
    assert_eq!(five[1].open, dec!(27000));
}

#[tokio::test]
async fn a_paced_replay_does_not_wait_out_a_gap() {
    let clock = Arc::new(ManualClock::new(0));
    let m = replay(2, clock.clone());
    let mut sub = m.subscribe(&btc()).await.unwrap();
    let task = m.spawn();
    let settle = || async {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    };
    settle().await;
    // Row 3 (minute 2) starts at once: its open is due.
    assert_eq!(drain(&mut sub).len(), 1);
    clock.advance(60_000);
    settle().await;
    // Row 3 completes (3 more ticks + candle); then the gap: minute 122 plays
    // right away instead of two hours later.
    let events = drain(&mut sub);
    assert!(events.len() >= 5, "{events:?}");
    assert!(matches!(&events[4], MarketEvent::Tick(t) if t.ts == 122 * 60_000 && t.price == dec!(27000)));
    task.abort();
}

#[test]
fn the_symbol_comes_from_the_file_name() {
    let p = std::path::Path::new("/x/binance_ETHUSDT_1m.csv");
    assert_eq!(symbol_from_path(p).unwrap().as_str(), "ETHUSDT");
    assert!(symbol_from_path(std::path::Path::new("candles.csv")).is_none());
}

#[test]
fn a_malformed_row_is_an_error_naming_its_line() {
    let dir = std::env::temp_dir().join(format!("gridbot-feed-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("BTCUSDT_1m.csv");
    std::fs::write(
        &path,
        "ts_ms,open,high,low,close,volume\n0,1,2,1,1,0\n60000,1,2,oops,1,0\n",
    )
    .unwrap();
    let err = ReplayMarket::from_csv(&path, ReplayConfig::default(), Arc::new(ManualClock::new(0))).unwrap_err();
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        matches!(&err, MarketDataError::Malformed(m) if m.contains("line 3") && m.contains("low")),
        "{err}"
    );
}

#[tokio::test]
async fn the_real_btc_file_replays_as_one_minute_candles() {
    if !std::path::Path::new(DATA).exists() {
        eprintln!("skipping: {DATA} is absent");
        return;
    }
    let m = ReplayMarket::from_csv(
        std::path::Path::new(DATA),
        ReplayConfig::default(),
        Arc::new(ManualClock::new(0)),
    )
    .unwrap();
    assert_eq!(m.symbol().as_str(), "BTCUSDT");
    let hist = m.candles(&btc(), Interval::M1, 0, i64::MAX).await.unwrap();
    assert_eq!(hist.len(), 10_080);
    let next = m.step().unwrap().unwrap();
    assert!(next.ts > hist.last().unwrap().ts);
    assert!(m.candles(&btc(), Interval::D1, 0, i64::MAX).await.unwrap().len() >= 7);
}
