//! `order_placement` bench: a 100-order grid placed into the paper exchange,
//! then the fills of all 100 processed.
//!
//! Targets (one core): ≥ 1,000,000 orders placed per second and ≥ 500,000
//! fills processed per second. Setup (venue, account, requests) is outside
//! the timed part; throughput is reported per order / per fill.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use gridbot_core::model::{Candle, ClientOrderId, Instrument, OrderRequest, Side, Symbol};
use gridbot_core::paper::{PaperAccount, PaperConfig, PaperExchange};
use gridbot_core::ports::Exchange;
use rust_decimal::Decimal;

const ORDERS: usize = 100;

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").expect("valid symbol")
}

fn venue() -> (PaperExchange, PaperAccount) {
    let v = PaperExchange::with_instruments(PaperConfig::default(), [Instrument::btcusdt()]);
    v.on_price(&btc(), Decimal::from(30_000), 0).expect("listed");
    let a = v
        .open_account("bench", Decimal::from(10_000_000))
        .expect("valid account");
    (v, a)
}

/// 50 buys below 30000 and 50 sells above, 10 USDT apart, like a grid.
fn grid() -> Vec<OrderRequest> {
    (0..ORDERS)
        .map(|i| {
            let k = Decimal::from(i as i64 / 2 + 1) * Decimal::from(10);
            let (side, price) = if i % 2 == 0 {
                (Side::Buy, Decimal::from(30_000) - k)
            } else {
                (Side::Sell, Decimal::from(30_000) + k)
            };
            OrderRequest::limit(
                ClientOrderId::grid(gridbot_core::model::BotId(1), i as u32, 0),
                btc(),
                side,
                price,
                Decimal::new(1, 3),
            )
        })
        .collect()
}

/// 100 buys below the price, all filled by one walk down.
fn buys() -> Vec<OrderRequest> {
    (0..ORDERS)
        .map(|i| {
            let price = Decimal::from(29_990) - Decimal::from(i as i64 * 10);
            OrderRequest::limit(
                ClientOrderId::grid(gridbot_core::model::BotId(1), i as u32, 0),
                btc(),
                Side::Buy,
                price,
                Decimal::new(1, 3),
            )
        })
        .collect()
}

fn placement(c: &mut Criterion) {
    let mut g = c.benchmark_group("order_placement");
    g.throughput(Throughput::Elements(ORDERS as u64));
    g.bench_function("place_orders_sync/100", |b| {
        b.iter_batched(
            || (venue(), grid()),
            |((v, a), reqs)| {
                let r = a.place_orders_sync(&reqs);
                (v, a, r)
            },
            BatchSize::SmallInput,
        )
    });
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    g.bench_function("place_orders_trait/100", |b| {
        b.to_async(&rt).iter_batched(
            || (venue(), grid()),
            |((v, a), reqs)| async move {
                let r = a.place_orders(&reqs).await;
                (v, a, r)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn fills(c: &mut Criterion) {
    let mut g = c.benchmark_group("fills");
    g.throughput(Throughput::Elements(ORDERS as u64));
    g.bench_function("on_price_fills_100", |b| {
        b.iter_batched(
            || {
                let (v, a) = venue();
                let placed = a.place_orders_sync(&buys());
                assert!(placed.iter().all(Result::is_ok));
                (v, a)
            },
            |(v, a)| {
                v.on_price(&btc(), Decimal::from(28_000), 1).expect("listed");
                (v, a)
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("on_candle_fills_100", |b| {
        let candle = Candle {
            ts: 60_000,
            open: Decimal::from(30_000),
            high: Decimal::from(30_050),
            low: Decimal::from(28_000),
            close: Decimal::from(28_100),
            volume: Decimal::ONE,
        };
        b.iter_batched(
            || {
                let (v, a) = venue();
                let placed = a.place_orders_sync(&buys());
                assert!(placed.iter().all(Result::is_ok));
                (v, a)
            },
            |(v, a)| {
                v.on_candle(&btc(), &candle).expect("listed");
                (v, a)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, placement, fills);
criterion_main!(benches);
