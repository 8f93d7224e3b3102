//! `grid_math`: how long one grid plan takes (levels, quantity, initial
//! orders, margin, profit per grid, liquidation, viability), for 10, 100 and
//! 200 grids, arithmetic and geometric, on Bitget BTCUSDT rules.
//!
//! Target: a 100-grid plan in ≤ 5 µs. Geometric lines use one `powf` for the
//! ratio and repeated multiplication on integer ticks (see
//! `gridbot_core::grid::levels`), because a Decimal power costs microseconds.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gridbot_core::grid::{plan, GridConfig, GridMode, Spacing};
use gridbot_core::model::Instrument;
use gridbot_core::Decimal;

fn grid_plans(c: &mut Criterion) {
    let instrument = Instrument::btcusdt();
    let mut group = c.benchmark_group("grid_plan");
    group.throughput(Throughput::Elements(1));
    for spacing in [Spacing::Arithmetic, Spacing::Geometric] {
        for grids in [10u32, 100, 200] {
            let config = GridConfig::new(
                instrument.symbol.clone(),
                Decimal::from(25_000),
                Decimal::from(35_000),
                grids,
                spacing,
                GridMode::Long,
                Decimal::from(10_000),
                3,
            );
            let start = Decimal::from(30_000);
            group.bench_with_input(BenchmarkId::new(spacing.as_str(), grids), &config, |b, config| {
                b.iter(|| plan(black_box(config), black_box(&instrument), black_box(start)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, grid_plans);
criterion_main!(benches);
