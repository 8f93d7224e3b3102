//! `bitget_place` bench: a 100-order grid placed through the Bitget adapter
//! against the fake Bitget on loopback, on a classic account (2 batch
//! requests of 50) and on a unified account (5 batch requests of 20), and
//! the client-side work alone (check + format orders, encode the JSON
//! bodies, sign, parse the answers) per order.
//!
//! Target: client-side overhead ≤ 20 µs per order. Wall time of the whole
//! placement is reported as measured (it includes the fake's own work and
//! loopback HTTP). Setup (fake, instrument cache, cancelling between
//! iterations) is outside the timed part.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gridbot_bitget::common::signing::sign_rest;
use gridbot_bitget::fake::FakeBitget;
use gridbot_bitget::http::client::parse_response;
use gridbot_bitget::http::records::encode_order;
use gridbot_bitget::http::v2::models::V2BatchResult;
use gridbot_bitget::http::v2::requests::{V2BatchPlaceBody, V2OrderItem};
use gridbot_bitget::http::v2::MAX_BATCH;
use gridbot_bitget::{AccountKind, BitgetExchange, RateLimitConfig};
use gridbot_core::model::{BotId, ClientOrderId, Instrument, Order, OrderRequest, Side, Symbol};
use gridbot_core::ports::Exchange;
use rust_decimal::Decimal;

const ORDERS: usize = 100;

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").expect("valid symbol")
}

/// 50 buys below 30000 and 50 sells above, 10 USDT apart; `generation` keeps client ids fresh.
fn grid(generation: u64) -> Vec<OrderRequest> {
    (0..ORDERS)
        .map(|i| {
            let k = Decimal::from(i as i64 / 2 + 1) * Decimal::from(10);
            let (side, price) = if i % 2 == 0 {
                (Side::Buy, Decimal::from(30_000) - k)
            } else {
                (Side::Sell, Decimal::from(30_000) + k)
            };
            OrderRequest::limit(
                ClientOrderId::grid(BotId(1), i as u32, generation),
                btc(),
                side,
                price,
                Decimal::new(1, 3),
            )
        })
        .collect()
}

fn bench_loopback(c: &mut Criterion) {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        bench_loopback_on(c, kind);
    }
}

fn bench_loopback_on(c: &mut Criterion, kind: AccountKind) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fake = match kind {
        AccountKind::Classic => rt.block_on(FakeBitget::start()),
        AccountKind::Unified => rt.block_on(FakeBitget::unified()),
    }
    .expect("fake starts");
    let mut cfg = fake.config();
    cfg.rate_limits = RateLimitConfig::disabled();
    cfg.request_timeout = Duration::from_secs(10);
    let ex = BitgetExchange::new(cfg).expect("client");
    rt.block_on(ex.instrument(&btc())).expect("instrument");
    // One placement to check the request count.
    fake.clear_requests();
    let r = rt.block_on(ex.place_orders(&grid(0))).expect("placed");
    assert!(r.iter().all(|x| x.is_ok()));
    let (path, expected) = match kind {
        AccountKind::Classic => ("/api/v2/mix/order/batch-place-order", 2),
        AccountKind::Unified => ("/api/v3/trade/place-batch", 5),
    };
    let batches = fake.requests_to(path).len();
    assert_eq!(batches, expected, "100 orders take {expected} batch requests on {kind}");
    println!("bitget_place: 100 orders on a {kind} account → {batches} batch requests");
    rt.block_on(ex.cancel_all(&btc())).expect("cancel");

    let mut group = c.benchmark_group("bitget_place");
    group.throughput(Throughput::Elements(ORDERS as u64));
    let mut generation = 1u64;
    group.bench_function(format!("place_100_grid_loopback_{kind}"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let orders = grid(generation);
                generation += 1;
                let t = Instant::now();
                let r = rt.block_on(ex.place_orders(&orders)).expect("placed");
                total += t.elapsed();
                assert!(r.iter().all(|x| x.is_ok()));
                rt.block_on(ex.cancel_all(&btc())).expect("cancel");
            }
            total
        })
    });
    group.finish();
}

fn answer(orders: &[OrderRequest]) -> Vec<u8> {
    let list: Vec<_> = orders
        .iter()
        .enumerate()
        .map(|(i, o)| serde_json::json!({"orderId": (1_100_000_000_000_000_000u64 + i as u64).to_string(), "clientOid": o.client_id.as_str()}))
        .collect();
    serde_json::json!({"code": "00000", "msg": "success", "requestTime": 1, "data": {"successList": list, "failureList": []}})
        .to_string()
        .into_bytes()
}

fn bench_client_side(c: &mut Criterion) {
    let inst = Instrument::btcusdt();
    let orders = grid(0);
    let answers: Vec<Vec<u8>> = orders.chunks(MAX_BATCH).map(answer).collect();
    let mut group = c.benchmark_group("bitget_place");
    group.throughput(Throughput::Elements(ORDERS as u64));
    group.bench_function("client_side_100_orders", |b| {
        b.iter(|| {
            let items: Vec<_> = orders
                .iter()
                .map(|o| V2OrderItem::from_encoded(&encode_order(&inst, o).expect("valid")))
                .collect();
            let mut placed: Vec<Order> = Vec::with_capacity(ORDERS);
            for (chunk, (reqs, bytes)) in items.chunks(MAX_BATCH).zip(orders.chunks(MAX_BATCH).zip(&answers)) {
                let body = serde_json::to_string(&V2BatchPlaceBody {
                    symbol: "BTCUSDT",
                    product_type: "USDT-FUTURES",
                    margin_coin: "USDT",
                    margin_mode: "isolated",
                    order_list: chunk,
                })
                .expect("encodes");
                let sign = sign_rest(
                    "secret",
                    "1700000000000",
                    "POST",
                    "/api/v2/mix/order/batch-place-order",
                    "",
                    &body,
                );
                std::hint::black_box(sign);
                let r: V2BatchResult = parse_response("/batch", 200, bytes, None).expect("parses");
                for (ack, req) in r.success_list.unwrap_or_default().iter().zip(reqs) {
                    placed.push(Order::accepted(ack.order_id.clone(), req, 0));
                }
            }
            std::hint::black_box(placed)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_client_side, bench_loopback);
criterion_main!(benches);
