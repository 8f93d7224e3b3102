//! `backtest` bench: a 100-grid backtest over 43,200 one-minute candles
//! (30 days of real BTCUSDT from `shared/data`), target ≤ 10 ms.
//!
//! The grid here is a minimal neutral ladder engine defined in this file
//! (a buy fill places a sell one level up and back), so the figure is the
//! backtester's own cost (walks, fills, accounting, curve) plus a trivially
//! cheap engine. A trend-engine run over the same candles is measured too.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gridbot_core::backtest::{self, BacktestConfig};
use gridbot_core::engine::trend::TrendEngine;
use gridbot_core::engine::{BotEngine, Command, EngineEvent, EnginePhase};
use gridbot_core::feed::read_candles;
use gridbot_core::model::{
    BotId, BotStats, Candle, ClientOrderId, Instrument, Interval, OrderRequest, Rounding, Side, Symbol, TrendConfig,
    TrendDirection,
};
use rust_decimal::Decimal;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/binance_BTCUSDT_1m.csv");

/// Neutral ladder over fixed levels: buys below the start, sells above,
/// each fill flips to the neighbouring level.
struct Ladder {
    levels: Vec<Decimal>,
    qty: Decimal,
    generation: u64,
    symbol: Symbol,
    stats: BotStats,
}

impl Ladder {
    fn place(&mut self, side: Side, level: usize, out: &mut Vec<Command>) {
        if let Some(&price) = self.levels.get(level) {
            self.generation += 1;
            let id = ClientOrderId::grid(BotId(1), level as u32, self.generation);
            out.push(Command::Place(OrderRequest::limit(
                id,
                self.symbol.clone(),
                side,
                price,
                self.qty,
            )));
        }
    }
}

impl BotEngine for Ladder {
    fn on_event(&mut self, event: &EngineEvent, out: &mut Vec<Command>) {
        match event {
            EngineEvent::Start { price, .. } => {
                for i in 0..self.levels.len() {
                    if self.levels[i] < *price {
                        self.place(Side::Buy, i, out);
                    } else if self.levels[i] > *price {
                        self.place(Side::Sell, i, out);
                    }
                }
            }
            EngineEvent::Fill(f) => {
                self.stats.fills += 1;
                let Ok(i) = self.levels.binary_search(&f.price) else {
                    return;
                };
                match f.side {
                    Side::Buy => self.place(Side::Sell, i + 1, out),
                    Side::Sell if i > 0 => self.place(Side::Buy, i - 1, out),
                    Side::Sell => {}
                }
            }
            _ => {}
        }
    }
    fn ideal_orders(&self) -> Vec<OrderRequest> {
        Vec::new()
    }
    fn stats(&self) -> BotStats {
        self.stats.clone()
    }
    fn phase(&self) -> EnginePhase {
        EnginePhase::Active
    }
    fn snapshot(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

fn ladder(inst: &Instrument, first: &Candle) -> Ladder {
    // 100 grids, ±10 % around the first open.
    let lower = first.open * Decimal::new(9, 1);
    let step = first.open * Decimal::new(2, 1) / Decimal::from(100);
    let levels = (0..=100)
        .map(|i| inst.round_price(lower + step * Decimal::from(i), Rounding::Down))
        .collect();
    Ladder {
        levels,
        qty: Decimal::new(1, 3),
        generation: 0,
        symbol: inst.symbol.clone(),
        stats: BotStats::default(),
    }
}

fn bench(c: &mut Criterion) {
    if !Path::new(DATA).exists() {
        eprintln!("skipping the backtest bench: {DATA} is absent");
        return;
    }
    let Ok(all) = read_candles(Path::new(DATA)) else {
        eprintln!("skipping the backtest bench: {DATA} does not parse");
        return;
    };
    let candles: Vec<Candle> = all.into_iter().take(43_200).collect();
    let inst = Instrument::btcusdt();
    let config = BacktestConfig::new(Decimal::from(10_000));
    let mut g = c.benchmark_group("backtest");
    g.throughput(Throughput::Elements(candles.len() as u64));
    g.sample_size(20);
    let probe = backtest::run(&mut ladder(&inst, &candles[0]), &inst, &candles, &config);
    if let Ok(r) = &probe {
        eprintln!(
            "100-grid ladder over {} candles: {} fills, pnl {}",
            r.candles,
            r.fills,
            r.total_pnl.round_dp(2)
        );
    }
    g.bench_function("grid_100_over_43200_1m", |b| {
        b.iter(|| backtest::run(&mut ladder(&inst, &candles[0]), &inst, &candles, &config))
    });
    let trend = TrendConfig::new(
        inst.symbol.clone(),
        Interval::M15,
        9,
        21,
        TrendDirection::Long,
        3,
        Decimal::from(2),
        Decimal::from(4),
        Decimal::from(1_000),
    );
    g.bench_function("trend_over_43200_1m", |b| {
        b.iter(|| {
            let mut e = TrendEngine::new(BotId(2), trend.clone(), inst.clone()).ok()?;
            backtest::run(&mut e, &inst, &candles, &config).ok()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
