//! A grid keeps running through the adapter over thousands of fills, on a
//! classic and on a unified account, while 10 % of requests fail (5xx, 429,
//! timeouts before and after taking effect) and the private socket is
//! dropped every two seconds: no order is doubled (every cell always has
//! exactly one resting order) and no fill is lost or delivered twice.
//!
//! The grid engine is written elsewhere; this test's driver plays its role:
//! each filled order flips into its counter order with a new deterministic
//! client id, and after an error it reconciles by client id before
//! re-sending.

mod support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use gridbot_bitget::fake::faults::Fault;
use gridbot_bitget::fake::FakeBitget;
use gridbot_bitget::AccountKind;
use gridbot_core::model::{BotId, ClientOrderId, ExecutionEvent, OrderRequest, Side};
use gridbot_core::ports::Exchange;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::*;

const CELLS: u32 = 40;
const TARGET_FILLS: usize = 1500;

fn line(i: u32) -> Decimal {
    dec!(29000) + Decimal::from(i * 20)
}

struct Cell {
    generation: u64,
    side: Side,
}

fn order_of(cell: u32, c: &Cell) -> OrderRequest {
    let price = match c.side {
        Side::Buy => line(cell),
        Side::Sell => line(cell + 1),
    };
    OrderRequest::limit(
        ClientOrderId::grid(BotId(1), cell, c.generation),
        btc(),
        c.side,
        price,
        dec!(0.001),
    )
}

fn cell_of(id: &ClientOrderId) -> Option<(u32, u64)> {
    let mut parts = id.as_str().split('-').skip(1);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classic_grid_survives_ten_percent_failing_requests_and_dropped_sockets_without_doubling_or_losing() {
    grid_under_faults(FakeBitget::start().await.unwrap(), AccountKind::Classic).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unified_grid_survives_ten_percent_failing_requests_and_dropped_sockets_without_doubling_or_losing() {
    grid_under_faults(FakeBitget::unified().await.unwrap(), AccountKind::Unified).await;
}

async fn grid_under_faults(fake: FakeBitget, kind: AccountKind) {
    let mut cfg = fake.config();
    cfg.request_timeout = Duration::from_millis(150);
    cfg.max_retries = 4;
    fake.faults().set_timeout_delay(Duration::from_millis(250));
    let ex = exchange_with(cfg);
    ex.set_leverage(&btc(), 10).await.unwrap();
    assert_eq!(ex.known_kind(), Some(kind));
    fake.faults().drop_private_every(Some(Duration::from_secs(2)));
    let mut events = ex.execution_events();
    assert!(eventually(5, || fake.ws_stats().logins >= 1).await);

    // Neutral grid around 29400: buys below, sells above.
    let start = 20;
    let mut cells: HashMap<u32, Cell> = (0..CELLS)
        .map(|i| {
            (
                i,
                Cell {
                    generation: 0,
                    side: if i < start { Side::Buy } else { Side::Sell },
                },
            )
        })
        .collect();
    let initial: Vec<_> = (0..CELLS).map(|i| order_of(i, &cells[&i])).collect();
    for r in ex.place_orders(&initial).await.unwrap() {
        r.unwrap();
    }
    fake.faults().set_random(
        0.10,
        &[
            Fault::ServerError,
            Fault::RateLimited,
            Fault::TimeoutBefore,
            Fault::TimeoutAfter,
        ],
        42,
    );

    let mut seen_fills: HashSet<String> = HashSet::new();
    let mut position = Decimal::ZERO;
    let mut unsure: Vec<OrderRequest> = Vec::new();
    let mut rng: u64 = 7;
    let mut level: i64 = 20;
    let mut steps = 0;
    while seen_fills.len() < TARGET_FILLS {
        steps += 1;
        assert!(steps < 5000, "grid stalled at {} fills", seen_fills.len());
        // Scripted price path: jumps of 1..4 lines, bouncing inside the range.
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let jump = ((rng >> 33) % 4 + 1) as i64;
        let up = (rng >> 40).is_multiple_of(2);
        level = if up { level + jump } else { level - jump };
        level = level.clamp(1, CELLS as i64 - 1);
        fake.set_price("BTCUSDT", line(level as u32) + if up { dec!(1) } else { dec!(-1) });

        // Receive every fill the fake made; a fill that never arrives fails the test.
        let expected = fake.fill_ids().len();
        let mut flips: Vec<OrderRequest> = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while seen_fills.len() < expected {
            let ev = tokio::time::timeout_at(deadline, events.next())
                .await
                .unwrap_or_else(|_| panic!("fill lost: {} of {} delivered", seen_fills.len(), expected))
                .expect("stream ended");
            let ExecutionEvent::Fill(f) = ev else { continue };
            assert!(seen_fills.insert(f.id.clone()), "fill {} delivered twice", f.id);
            position += f.qty * f.side.sign();
            let (cell, generation) = cell_of(&f.client_id).expect("grid client id");
            let c = cells.get_mut(&cell).expect("known cell");
            assert_eq!(c.generation, generation, "fill of a stale order {}", f.client_id);
            c.generation += 1;
            c.side = c.side.opposite();
            flips.push(order_of(cell, c));
        }

        // Reconcile orders whose placement outcome was unknown, then place.
        let mut to_place = Vec::new();
        for req in std::mem::take(&mut unsure) {
            match ex.order(&btc(), &req.client_id).await {
                Ok(Some(_)) => {}
                Ok(None) => to_place.push(req),
                Err(e) if e.is_transient() => unsure.push(req),
                Err(e) => panic!("reconcile failed: {e}"),
            }
        }
        to_place.extend(flips);
        if to_place.is_empty() {
            continue;
        }
        match ex.place_orders(&to_place).await {
            Ok(results) => {
                for (req, r) in to_place.into_iter().zip(results) {
                    match r {
                        Ok(_) => {}
                        Err(e) if e.is_transient() => unsure.push(req),
                        Err(e) => panic!("order {} refused: {e}", req.client_id),
                    }
                }
            }
            Err(e) if e.is_transient() => unsure.extend(to_place),
            Err(e) => panic!("placement failed: {e}"),
        }
    }
    // Settle what is still unsure with faults off.
    fake.faults().set_random(0.0, &[], 1);
    for req in std::mem::take(&mut unsure) {
        if ex.order(&btc(), &req.client_id).await.unwrap().is_none() {
            ex.place_orders(std::slice::from_ref(&req)).await.unwrap()[0]
                .clone()
                .unwrap();
        }
    }
    assert!(
        fake.faults().injected() > 100,
        "faults were injected: {}",
        fake.faults().injected()
    );
    assert!(fake.ws_stats().private_connects >= 3, "sockets were dropped");
    // Exactly one resting order per cell, each the cell's current one.
    assert_eq!(fake.open_orders("BTCUSDT"), CELLS as usize);
    for (i, c) in &cells {
        let id = order_of(*i, c).client_id;
        let o = ex.order(&btc(), &id).await.unwrap().expect("current order exists");
        assert!(o.status.is_open(), "cell {i} current order {id} is {:?}", o.status);
    }
    // Every fill delivered once; the position is the sum of the fills.
    assert_eq!(seen_fills, fake.fill_ids().into_iter().collect::<HashSet<_>>());
    assert_eq!(fake.position_qty(&btc()), position);
}
