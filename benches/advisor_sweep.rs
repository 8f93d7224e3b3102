//! `advisor_sweep`: one full backtest recommendation — analysis, ≥ 300
//! candidates planned and backtested on the last 7 days of BTC/USDT 1m
//! candles (10 080 candles), best pick per profile — on one core and on
//! every core (`std::thread::scope`, one candidate at a time per thread).
//!
//! Every candidate is a real backtest of the live `GridEngine`; the window
//! is prepared for the backtester once per sweep (`PreparedCandles`: each
//! candle's walk in integer ticks) and shared by every candidate and
//! thread.
//!
//! Target: ≤ 1 s on one core. Measured on the 2-core build machine while
//! four other sessions compiled (so the second core was never free and "all
//! cores" cannot beat one core here), 324 candidates × 10,080 candles,
//! 2026-11-21: one core 535 ms and all cores 571 ms at load average
//! 2.5–4.8; one core 636 ms and all cores 739 ms at load 5.0. Before: 1.09 s
//! / 1.13 s (walk bounds per candidate), and 1.71 s / 1.54 s before that. About a quarter of the time is now the
//! grid engine's own per-candle work (`GridEngine::on_event` → `on_point`
//! → `exit_reason`, decimal comparisons of every walk point), the rest the
//! backtester's loop, fills and equity marks.
//!
//! On the quiet machine (load average 1.5, 2026-11-21 09:35), 324
//! candidates × 10,080 candles: one core **402 ms**, all (2) cores
//! **208 ms** (target ≤ 1 s on one core met).
//!
//! Needs ../shared/data/binance_BTCUSDT_1m.csv; prints a message and
//! measures nothing when it is absent.

use std::path::Path;
use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use gridbot_core::advisor::{BacktestAdvisor, BacktestAdvisorConfig, CoreBacktester};
use gridbot_core::analysis::{window, DAY_MS};
use gridbot_core::feed::read_candles;
use gridbot_core::model::{Instrument, Interval};
use gridbot_core::ports::AdvisorRequest;

const BTC_1M: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/binance_BTCUSDT_1m.csv");

fn advisor(threads: usize) -> BacktestAdvisor {
    BacktestAdvisor::new(
        Arc::new(CoreBacktester::default()),
        BacktestAdvisorConfig {
            threads,
            ..BacktestAdvisorConfig::default()
        },
    )
}

fn sweep(c: &mut Criterion) {
    if !Path::new(BTC_1M).exists() {
        eprintln!("advisor_sweep: {BTC_1M} not found; nothing measured");
        return;
    }
    let all = match read_candles(Path::new(BTC_1M)) {
        Ok(all) => all,
        Err(e) => {
            eprintln!("advisor_sweep: cannot read {BTC_1M}: {e}");
            return;
        }
    };
    let week = window(&all, Interval::M1, 7 * DAY_MS).to_vec();
    let now = week.last().map_or(0, |c| c.ts + 60_000);
    let request = AdvisorRequest::new(Instrument::btcusdt(), Interval::M1, Arc::new(week), now);
    let candidates = match advisor(1).candidates(&request) {
        Ok((_, list)) => list.len(),
        Err(e) => {
            eprintln!("advisor_sweep: {e}");
            return;
        }
    };
    eprintln!(
        "advisor_sweep: {candidates} candidates × {} candles, {} cores",
        request.candles.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut group = c.benchmark_group("advisor_sweep");
    group.sample_size(10);
    group.throughput(Throughput::Elements(candidates as u64));
    for (name, threads) in [("one_core", 1), ("all_cores", 0)] {
        let a = advisor(threads);
        group.bench_function(name, |b| b.iter(|| a.recommend_blocking(black_box(&request))));
    }
    group.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
