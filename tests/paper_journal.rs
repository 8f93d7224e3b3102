//! The durable paper venue against real stores (the in-memory store, and
//! SQLite): a venue restored from its journal is the venue before the
//! crash; nothing is told before it is committed; a fenced venue refuses
//! to trade; the simulated market resumes where the venue left it.
//!
//! (These live in the root crate because the stores are in `gridbot-store`,
//! which depends on `gridbot-core`.)

use std::sync::Arc;

use futures::StreamExt;
use gridbot_core::clock::ManualClock;
use gridbot_core::feed::{SimConfig, SimMarket};
use gridbot_core::model::{Candle, ClientOrderId, ExecutionEvent, Instrument, OrderRequest, OrderStatus, Side, Symbol};
use gridbot_core::paper::{JournalOptions, JournalStart, PaperAccount, PaperConfig, PaperExchange};
use gridbot_core::ports::{Exchange, Store};
use gridbot_core::Decimal;
use gridbot_store::MemoryStore;
use rust_decimal_macros::dec;

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn buy(id: &str, price: Decimal, qty: Decimal) -> OrderRequest {
    OrderRequest::limit(ClientOrderId::new(id), btc(), Side::Buy, price, qty)
}

fn sell(id: &str, price: Decimal, qty: Decimal) -> OrderRequest {
    OrderRequest::limit(ClientOrderId::new(id), btc(), Side::Sell, price, qty)
}

async fn open(store: &Arc<dyn Store>, owner: &str, every: usize) -> (PaperExchange, JournalStart) {
    PaperExchange::open_journaled(
        store.clone(),
        JournalOptions::new("paper", owner).with_checkpoint_every(every, 1 << 30),
        PaperConfig::default(),
        vec![Instrument::btcusdt()],
        None,
    )
    .await
    .unwrap()
}

/// One step of the scenario, applied the same way to any venue.
async fn act(venue: &PaperExchange, step: usize) {
    let acc = |i: usize| -> PaperAccount { venue.open_account(&format!("acc-{i}"), Decimal::from(50_000)).unwrap() };
    let k = Decimal::from(step as i64);
    match step % 7 {
        0 => {
            venue
                .on_price(&btc(), dec!(30000) + k * dec!(7), step as i64 * 1000)
                .unwrap();
        }
        1 => {
            for i in 0..3 {
                let a = acc(i);
                let p = dec!(29900) - Decimal::from(i as i64 * 10) - k;
                let r = a
                    .place_orders(&[
                        buy(&format!("b{step}-{i}"), p, dec!(0.01)),
                        sell(&format!("s{step}-{i}"), p + dec!(250), dec!(0.005)),
                    ])
                    .await
                    .unwrap();
                assert!(r.iter().all(Result::is_ok), "{r:?}");
            }
        }
        2 => {
            // A walk down, then up, through the orders.
            venue.on_price(&btc(), dec!(29700) - k, step as i64 * 1000).unwrap();
            let c = Candle {
                ts: step as i64 * 1000 + 500,
                open: dec!(29700) - k,
                high: dec!(30300),
                low: dec!(29650) - k,
                close: dec!(30010),
                volume: Decimal::ONE,
            };
            venue.on_candle(&btc(), &c).unwrap();
        }
        3 => {
            let a = acc(step % 3);
            let open = a.open_orders(&btc()).await.unwrap();
            if let Some(o) = open.first() {
                a.cancel_orders(&btc(), std::slice::from_ref(&o.client_id))
                    .await
                    .unwrap();
            }
        }
        4 => {
            let a = acc(1);
            let m = OrderRequest::market(ClientOrderId::new(format!("m{step}")), btc(), Side::Buy, dec!(0.002));
            a.place_orders(&[m]).await.unwrap().pop().unwrap().unwrap();
        }
        5 => {
            let a = acc(2);
            a.close_position(&btc(), &ClientOrderId::new(format!("c{step}")))
                .await
                .unwrap();
            acc(3).set_leverage(&btc(), 3 + (step % 5) as u32).await.unwrap();
        }
        _ => {
            venue.open_account(&format!("late-{step}"), Decimal::from(7)).unwrap();
            venue.on_price(&btc(), dec!(30100) + k, step as i64 * 1000).unwrap();
        }
    }
}

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

/// A SQLite store in a temporary folder (kept as long as the store).
async fn sqlite(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    gridbot_store::open(&format!("sqlite://{}?mode=rwc", dir.path().join("venue.db").display()))
        .await
        .unwrap()
}

macro_rules! on_both_stores {
    ($case:ident, $memory:ident, $sqlite:ident) => {
        #[tokio::test]
        async fn $memory() {
            $case(memory().await).await;
        }

        #[tokio::test]
        async fn $sqlite() {
            let dir = tempfile::tempdir().unwrap();
            $case(sqlite(&dir).await).await;
        }
    };
}

on_both_stores!(
    restored_equals_before_the_crash,
    a_venue_restored_from_its_journal_is_the_venue_before_the_crash,
    a_venue_restored_from_its_sqlite_journal_is_the_venue_before_the_crash
);
on_both_stores!(
    told_only_after_commit,
    a_fill_from_a_price_step_is_told_only_after_its_commit,
    on_sqlite_a_fill_from_a_price_step_is_told_only_after_its_commit
);
on_both_stores!(
    crash_before_commit,
    a_crash_before_the_commit_loses_only_what_was_never_told,
    on_sqlite_a_crash_before_the_commit_loses_only_what_was_never_told
);
on_both_stores!(
    fenced_refuses,
    a_fenced_venue_refuses_orders_and_prices,
    on_sqlite_a_fenced_venue_refuses_orders_and_prices
);

async fn restored_equals_before_the_crash(store: Arc<dyn Store>) {
    let (mut venue, start) = open(&store, "me", 3).await;
    assert_eq!(start, JournalStart::Fresh);
    // The same scenario on a venue that never stops.
    let reference = PaperExchange::with_instruments(PaperConfig::default(), [Instrument::btcusdt()]);
    let mut restarts = 0;
    for step in 0..60 {
        act(&venue, step).await;
        act(&reference, step).await;
        if step % 5 == 4 {
            venue.flush().await.unwrap();
            let before = venue.snapshot();
            drop(venue);
            let (again, start) = open(&store, "me", 3).await;
            assert!(matches!(start, JournalStart::Restored { .. }));
            assert_eq!(again.snapshot(), before, "restored at step {step}");
            venue = again;
            restarts += 1;
        }
    }
    venue.flush().await.unwrap();
    assert_eq!(restarts, 12);
    let (durable, expected) = (venue.snapshot(), reference.snapshot());
    assert_eq!(durable, expected, "twelve restarts change nothing");
    let mut ids: Vec<String> = durable
        .accounts
        .iter()
        .flat_map(|a| a.fills.iter().map(|f| f.id.clone()))
        .collect();
    assert!(ids.len() >= 20, "the scenario fills ({})", ids.len());
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "no fill id repeats");
}

async fn told_only_after_commit(store: Arc<dyn Store>) {
    let (venue, _) = open(&store, "me", 1000).await;
    venue.on_price(&btc(), dec!(30000), 0).unwrap();
    let a = venue.open_account_durably("a", Decimal::from(10_000)).await.unwrap();
    a.place_orders(&[buy("b1", dec!(29900), dec!(0.01))]).await.unwrap();
    let mut events = a.execution_events();
    // The walk fills the order in memory; the writer has not run yet
    // (single-threaded runtime, nothing awaited).
    venue.on_price(&btc(), dec!(29800), 1000).unwrap();
    assert!(a.fills().unwrap().is_empty(), "no uncommitted fill is shown");
    assert!(futures::poll!(events.next()).is_pending(), "no event before the commit");
    let symbol = btc();
    let mut since = Box::pin(a.fills_since(&symbol, None));
    assert!(
        futures::poll!(since.as_mut()).is_pending(),
        "fills_since waits for the commit"
    );
    let page = since.await.unwrap();
    assert_eq!(page.fills.len(), 1);
    assert_eq!(page.fills[0].id, "a-f1");
    match events.next().await {
        Some(ExecutionEvent::Fill(f)) => assert_eq!(f.id, "a-f1"),
        other => panic!("expected the fill, got {other:?}"),
    }
    assert_eq!(a.fills().unwrap().len(), 1);
}

async fn crash_before_commit(store: Arc<dyn Store>) {
    let (venue, _) = open(&store, "me", 1000).await;
    venue.on_price(&btc(), dec!(30000), 0).unwrap();
    let a = venue.open_account_durably("a", Decimal::from(10_000)).await.unwrap();
    let reqs = [buy("b1", dec!(29900), dec!(0.01))];
    let mut placing = Box::pin(a.place_orders(&reqs));
    assert!(
        futures::poll!(placing.as_mut()).is_pending(),
        "place returns after its commit"
    );
    placing.await.unwrap();
    venue.on_price(&btc(), dec!(29800), 1000).unwrap();
    // Killed before the writer ran: the fill was never committed, nor told.
    drop((venue, a));
    let (venue, _) = open(&store, "me", 1000).await;
    let a = venue.account("a").unwrap();
    assert!(a.fills().unwrap().is_empty());
    let open_orders = a.open_orders(&btc()).await.unwrap();
    assert_eq!(open_orders.len(), 1, "the committed order is there");
    assert_eq!(venue.last_price(&btc()), Some(dec!(30000)));
    // The market moves again: the fill happens once, with the first id.
    venue.on_price(&btc(), dec!(29800), 2000).unwrap();
    let page = a.fills_since(&btc(), None).await.unwrap();
    assert_eq!(
        page.fills.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        vec!["a-f1"]
    );
}

async fn fenced_refuses(store: Arc<dyn Store>) {
    let (first, _) = open(&store, "one", 1000).await;
    first.on_price(&btc(), dec!(30000), 0).unwrap();
    let a = first.open_account_durably("a", Decimal::from(10_000)).await.unwrap();
    // Another process claims the venue.
    let (second, _) = open(&store, "two", 1000).await;
    let err = a.place_orders(&[buy("b1", dec!(29900), dec!(0.01))]).await.unwrap_err();
    assert!(err.to_string().contains("venue_fenced"), "{err}");
    assert!(first.halted().is_some());
    let again = a.place_orders(&[buy("b2", dec!(29900), dec!(0.01))]).await.unwrap_err();
    assert!(again.to_string().contains("another process"), "{again}");
    assert!(
        first.on_price(&btc(), dec!(29000), 1).is_err(),
        "no price moves a halted venue"
    );
    // The new owner trades on.
    let b = second.open_account_durably("a", Decimal::from(10_000)).await.unwrap();
    b.place_orders(&[buy("b3", dec!(29900), dec!(0.01))])
        .await
        .unwrap()
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(
        b.open_orders(&btc()).await.unwrap().len(),
        1,
        "the fenced order never existed"
    );
}

#[tokio::test]
async fn a_lagging_subscriber_is_told_of_the_gap() {
    let mut config = PaperConfig::default();
    config.event_buffer = 4;
    let venue = PaperExchange::with_instruments(config, [Instrument::btcusdt()]);
    venue.on_price(&btc(), dec!(30000), 0).unwrap();
    let a = venue.open_account("a", Decimal::from(100_000)).unwrap();
    let mut events = a.execution_events();
    let reqs: Vec<OrderRequest> = (0..10)
        .map(|i| buy(&format!("b{i}"), dec!(29000) + Decimal::from(i), dec!(0.001)))
        .collect();
    a.place_orders(&reqs).await.unwrap();
    assert_eq!(events.next().await, Some(ExecutionEvent::Gap));
    match events.next().await {
        Some(ExecutionEvent::Order(o)) => assert_eq!(o.status, OrderStatus::Open),
        other => panic!("expected an order event after the gap, got {other:?}"),
    }
}

#[tokio::test]
async fn the_simulated_market_resumes_where_the_durable_venue_left_it() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let config = SimConfig::default()
        .with_symbols(&["BTCUSDT", "ETHUSDT"])
        .with_history_days(1);
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    // The uninterrupted market.
    let straight = SimMarket::new(config.clone(), clock.clone()).unwrap();
    let expected: Vec<_> = (0..30).map(|_| straight.step().unwrap()).collect();
    // The durable one, killed after 17 minutes.
    let (venue, _) = open(&store, "me", 1000).await;
    let sim = SimMarket::open(config.clone(), clock.clone(), Some(&venue)).unwrap();
    sim.attach_venue(venue.clone()).unwrap();
    for e in expected.iter().take(17) {
        assert_eq!(&sim.step().unwrap(), e);
    }
    venue.flush().await.unwrap();
    let (now, prices) = (venue.now(), venue.snapshot().prices);
    drop((sim, venue));
    // The clock went back (another machine, a restart at speed 60):
    // the market continues from the venue's time anyway.
    clock.set(1_600_000_000_000);
    let (venue, _) = open(&store, "me", 1000).await;
    assert_eq!(venue.now(), now);
    let sim = SimMarket::open(config, clock, Some(&venue)).unwrap();
    assert_eq!(
        sim.next_candle_ts(),
        expected[17][0].1.ts,
        "the next minute, not back in time"
    );
    for (symbol, p) in prices.iter().map(|p| (p.symbol.clone(), p.price)) {
        assert_eq!(
            sim.hub().last_price(&symbol).unwrap(),
            p,
            "the feed resumes at the venue's price"
        );
    }
    sim.attach_venue(venue.clone()).unwrap();
    assert_eq!(venue.now(), now);
    for e in expected.iter().skip(17) {
        assert_eq!(&sim.step().unwrap(), e, "the same candles as without the restart");
    }
    let history = sim
        .hub()
        .candles(&btc(), gridbot_core::model::Interval::M1, 0, i64::MAX)
        .unwrap();
    assert_eq!(history.last().map(|c| c.ts), expected.last().map(|s| s[0].1.ts));
}
