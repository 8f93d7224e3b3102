//! Worked grid plans with every number computed by hand in the comments.
//! Instrument: Bitget BTCUSDT (tick 0.1, lot 0.0001, min qty 0.0001, min
//! notional 5, maker 0.0002, taker 0.0006, mmr 0.004, max leverage 125).

use gridbot_core::grid::{plan, GridConfig, GridMode, PlanError, PlanWarning, Spacing};
use gridbot_core::model::{Instrument, OrderKind, Side};
use gridbot_core::Decimal;
use rust_decimal_macros::dec;

#[allow(clippy::too_many_arguments)]
fn config(
    lower: Decimal,
    upper: Decimal,
    grids: u32,
    spacing: Spacing,
    mode: GridMode,
    investment: Decimal,
    leverage: u32,
) -> GridConfig {
    GridConfig::new(
        Instrument::btcusdt().symbol,
        lower,
        upper,
        grids,
        spacing,
        mode,
        investment,
        leverage,
    )
}

fn limit_orders(p: &gridbot_core::grid::GridPlan) -> Vec<(Side, Decimal)> {
    p.initial_orders
        .iter()
        .filter(|o| o.kind == OrderKind::Limit)
        .map(|o| (o.side, o.price))
        .collect()
}

/// README example: 25000–35000, 20 arithmetic grids, long, 1000 USDT at 3x,
/// start 30000.
#[test]
fn arithmetic_long_btc_grid_matches_the_hand_computation() {
    let i = Instrument::btcusdt();
    let c = config(
        dec!(25000),
        dec!(35000),
        20,
        Spacing::Arithmetic,
        GridMode::Long,
        dec!(1000),
        3,
    );
    let p = plan(&c, &i, dec!(30000)).unwrap();

    // Step (35000 − 25000)/20 = 500: 25000, 25500, …, 35000.
    let expected: Vec<Decimal> = (0..=20).map(|k| dec!(25000) + Decimal::from(500 * k)).collect();
    assert_eq!(p.levels, expected);

    // Σ_{i<20} P_i = 20·25000 + 500·(0+…+19) = 500000 + 95000 = 595000.
    // q = 1000·3 / 595000 = 0.0050420… → 0.005 (lot 0.0001, rounded down).
    assert_eq!(p.qty_per_grid, dec!(0.005));

    // S = 30000 = P_10: cells 0..9 (tops ≤ 30000) buy at their bottoms,
    // cells 10..19 sell at their tops. Long: those 10 cells are bought at
    // start with one market order of 10 × 0.005 = 0.05.
    assert_eq!(p.buy_cells, 10);
    let m = p.market_order().unwrap();
    assert_eq!((m.side, m.qty, m.price), (Side::Buy, dec!(0.05), dec!(30000)));
    let limits = limit_orders(&p);
    assert_eq!(limits.len(), 20);
    assert_eq!(limits[0], (Side::Buy, dec!(25000)));
    assert_eq!(limits[9], (Side::Buy, dec!(29500)));
    assert_eq!(limits[10], (Side::Sell, dec!(30500)));
    assert_eq!(limits[19], (Side::Sell, dec!(35000)));

    // Initial margin = 0.005 × 595000 / 3 = 2975 / 3 = 991.666…
    assert_eq!(p.initial_margin.round_dp(6), dec!(991.666667));
    // Fee reserve: taker 0.0006 × 0.05 × 30000 = 0.9; maker 0.0002 × 0.005 ×
    // (Σ buys 272500 + Σ sells 327500 = 600000) = 0.6; total 1.5.
    assert_eq!(p.fee_reserve, dec!(1.5));
    assert_eq!(p.required_margin.round_dp(6), dec!(993.166667));

    // Profit per cell = 0.005·500 − 0.0002·0.005·(2P + 500) = 2.5 − 0.000001·(2P+500):
    // cell 0 (P 25000): 2.5 − 0.0505 = 2.4495; cell 19 (P 34500): 2.5 − 0.0695 = 2.4305.
    assert_eq!(p.profit_per_grid_quote.min, dec!(2.4305));
    assert_eq!(p.profit_per_grid_quote.max, dec!(2.4495));
    // In % of q·P: cell 0: 2.4495 / 125 = 1.9596 %; cell 19: 2.4305 / 172.5 = 1.408985507… %.
    assert_eq!(p.profit_per_grid_pct.max, dec!(1.9596));
    assert_eq!(p.profit_per_grid_pct.min.round_dp(9), dec!(1.408985507));

    // Liquidation with every buy filled: Q = 20 × 0.005 = 0.1, cost =
    // 0.005 × (272500 + 10 × 30000) = 2862.5, entry 28625;
    // p = (2862.5 − 1000) / (0.1 × 0.996) = 18699.799… → 18699.8 (rounded up).
    assert_eq!(p.liquidation_price, Some(dec!(18699.8)));
    assert!(p.is_viable(), "{:?}", p.errors);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

/// 20000–40000, 4 geometric grids, neutral, 500 USDT at 2x, start 30000.
#[test]
fn geometric_neutral_btc_grid_matches_the_hand_computation() {
    let i = Instrument::btcusdt();
    let c = config(
        dec!(20000),
        dec!(40000),
        4,
        Spacing::Geometric,
        GridMode::Neutral,
        dec!(500),
        2,
    );
    let p = plan(&c, &i, dec!(30000)).unwrap();

    // r = 2^(1/4) = 1.18920711500272…: 20000·r = 23784.1423 → 23784.1,
    // 20000·√2 = 28284.2712 → 28284.3, 20000·2^(3/4) = 33635.8566 → 33635.9.
    assert_eq!(
        p.levels,
        vec![dec!(20000), dec!(23784.1), dec!(28284.3), dec!(33635.9), dec!(40000)]
    );
    // Σ_{i<4} = 105704.3; q = 1000 / 105704.3 = 0.009460… → 0.0094.
    assert_eq!(p.qty_per_grid, dec!(0.0094));

    // S = 30000 lies inside cell 2 [28284.3, 33635.9]: neutral counts it as
    // below, so cells 0, 1, 2 buy and cell 3 sells at 40000. No market order.
    assert_eq!(p.buy_cells, 3);
    assert!(p.market_order().is_none());
    assert_eq!(
        limit_orders(&p),
        vec![
            (Side::Buy, dec!(20000)),
            (Side::Buy, dec!(23784.1)),
            (Side::Buy, dec!(28284.3)),
            (Side::Sell, dec!(40000)),
        ]
    );

    // Profit % = 100·(Δ − 0.0002·(lo+hi))/lo:
    // cell 0: (3784.1 − 8.75682)/200 = 18.8767159 % (min)
    // cell 1: (4500.2 − 10.41368)/237.841 = 18.87725968… % (max)
    // cell 2: 18.87695986… %, cell 3: 18.87677398… %
    assert_eq!(p.profit_per_grid_pct.min, dec!(18.8767159));
    assert_eq!(p.profit_per_grid_pct.max.round_dp(8), dec!(18.87725968));
    // Quote = 0.0094·Δ − 0.0002·0.0094·(lo+hi): cell 0: 35.5705400 − 0.0823141 =
    // 35.488225892 (min); cell 3: 0.0094·6364.1 − 0.0002·0.0094·73635.9 =
    // 59.82254 − 0.138435492 = 59.684104508 (max).
    assert_eq!(p.profit_per_grid_quote.min, dec!(35.488225892));
    assert_eq!(p.profit_per_grid_quote.max, dec!(59.684104508));

    // Initial margin 0.0094 × 105704.3 / 2 = 496.81021; fee reserve (no
    // market order) 0.0002 × 0.0094 × (72068.4 + 40000) = 0.210688592.
    assert_eq!(p.initial_margin, dec!(496.81021));
    assert_eq!(p.fee_reserve, dec!(0.210688592));
    assert_eq!(p.required_margin, dec!(497.020898592));

    // Long side (all three buys filled): Q = 0.0282, cost = 0.0094 × 72068.4 =
    // 677.44296; p = (677.44296 − 500)/(0.0282 × 0.996) = 6317.57… → 6317.6.
    // Short side (the sell filled): (376 + 500)/(0.0094 × 1.004) = 92820.2…
    // Distances: long (20000 − 6317.6)/20000 = 0.68, short (92820.2 − 40000)/40000
    // = 1.32: the long side is the worse one.
    assert_eq!(p.liquidation_price, Some(dec!(6317.6)));
    assert!(p.is_viable(), "{:?}", p.errors);
}

/// 60000–70000, 10 arithmetic grids, short, 2000 USDT at 5x, start 62500.
#[test]
fn arithmetic_short_btc_grid_matches_the_hand_computation() {
    let i = Instrument::btcusdt();
    let c = config(
        dec!(60000),
        dec!(70000),
        10,
        Spacing::Arithmetic,
        GridMode::Short,
        dec!(2000),
        5,
    );
    let p = plan(&c, &i, dec!(62500)).unwrap();

    // Step 1000. Σ_{i<10} = 10·60000 + 1000·45 = 645000;
    // q = 10000 / 645000 = 0.0155038… → 0.0155.
    assert_eq!(p.levels.len(), 11);
    assert_eq!(p.levels[3], dec!(63000));
    assert_eq!(p.qty_per_grid, dec!(0.0155));

    // S = 62500 is inside cell 2 [62000, 63000]; short counts it as above:
    // cells 0, 1 buy at 60000, 61000; cells 2..9 sell at 63000..70000.
    // The two buying cells are sold at start: market sell 2 × 0.0155 = 0.031.
    assert_eq!(p.buy_cells, 2);
    let m = p.market_order().unwrap();
    assert_eq!((m.side, m.qty), (Side::Sell, dec!(0.031)));
    let limits = limit_orders(&p);
    assert_eq!(limits[1], (Side::Buy, dec!(61000)));
    assert_eq!(limits[2], (Side::Sell, dec!(63000)));
    assert_eq!(limits[9], (Side::Sell, dec!(70000)));

    // Initial margin 0.0155 × 645000 / 5 = 1999.5. Fees: taker 0.0006 × 0.031
    // × 62500 = 1.1625; maker 0.0002 × 0.0155 × (121000 + Σ 63000..70000 = 532000)
    // = 2.0243; required 1999.5 + 3.1868 = 2002.6868.
    assert_eq!(p.initial_margin, dec!(1999.5));
    assert_eq!(p.fee_reserve, dec!(3.1868));
    assert_eq!(p.required_margin, dec!(2002.6868));

    // Quote: 15.5 − 0.0002·0.0155·(2P + 1000): cell 0: 15.5 − 0.3751 = 15.1249,
    // cell 9: 15.5 − 0.4309 = 15.0691. Percent: cell 0: 975.8/600 = 1.62633… %,
    // cell 9: 972.2/690 = 1.40898… %.
    assert_eq!(p.profit_per_grid_quote.min, dec!(15.0691));
    assert_eq!(p.profit_per_grid_quote.max, dec!(15.1249));
    assert_eq!(p.profit_per_grid_pct.max.round_dp(6), dec!(1.626333));
    assert_eq!(p.profit_per_grid_pct.min.round_dp(6), dec!(1.408986));

    // Every sell filled: Q = 0.155, cost = 0.0155 × (532000 + 2 × 62500) =
    // 10183.5; p = (10183.5 + 2000)/(0.155 × 1.004) = 78290.07… → 78290.0
    // (rounded down for a short).
    assert_eq!(p.liquidation_price, Some(dec!(78290.0)));
    assert!(p.is_viable(), "{:?}", p.errors);
}

/// The same long grid at 20x: liquidation moves inside the range.
#[test]
fn high_leverage_puts_the_liquidation_inside_the_range() {
    let i = Instrument::btcusdt();
    let c = config(
        dec!(25000),
        dec!(35000),
        20,
        Spacing::Arithmetic,
        GridMode::Long,
        dec!(1000),
        20,
    );
    let p = plan(&c, &i, dec!(30000)).unwrap();
    // q = 20000 / 595000 = 0.0336… → 0.0336; Q = 0.672, cost = 0.0336 × 572500
    // = 19236; p = (19236 − 1000)/(0.672 × 0.996) = 18236 / 0.669312 = 27245.89…
    // → 27245.9 (rounded up), inside 25000–35000.
    assert_eq!(p.qty_per_grid, dec!(0.0336));
    assert_eq!(p.liquidation_price, Some(dec!(27245.9)));
    assert_eq!(
        p.errors,
        vec![PlanError::LiquidationInRange {
            liquidation_price: dec!(27245.9),
            lower: dec!(25000),
            upper: dec!(35000),
        }]
    );
}

/// Too many grids for a small investment and a narrow range.
#[test]
fn tiny_grids_break_the_tick_size_and_minimum_rules() {
    let i = Instrument::btcusdt();
    let c = config(
        dec!(30000),
        dec!(30010),
        200,
        Spacing::Arithmetic,
        GridMode::Neutral,
        dec!(10),
        1,
    );
    let p = plan(&c, &i, dec!(30005)).unwrap();
    // Step 10/200 = 0.05 < 0.1; q = 10 / (~200 × 30005) ≈ 0.0000016 → 0;
    // 0 × 30000 < 5 USDT; the fees exceed the spacing in every cell.
    let codes: Vec<_> = p.errors.iter().map(PlanError::code).collect();
    assert_eq!(
        codes,
        [
            "spacing_below_tick",
            "qty_below_min_qty",
            "notional_below_min",
            "unprofitable_grid"
        ]
    );
    assert_eq!(
        p.errors[0],
        PlanError::SpacingBelowTick {
            min_step: dec!(0.05),
            tick_size: dec!(0.1),
        }
    );
}

#[test]
fn a_long_grid_started_below_its_range_buys_every_cell_at_start_and_warns() {
    let i = Instrument::btcusdt();
    let c = config(
        dec!(25000),
        dec!(35000),
        10,
        Spacing::Arithmetic,
        GridMode::Long,
        dec!(1000),
        2,
    );
    let p = plan(&c, &i, dec!(24000)).unwrap();
    assert_eq!(p.buy_cells, 0);
    assert_eq!(p.market_order().unwrap().qty, p.qty_per_grid * Decimal::from(10));
    assert!(p
        .warnings
        .iter()
        .any(|w| matches!(w, PlanWarning::StartOutsideRange { .. })));
}

#[test]
fn leverage_above_the_instrument_limit_is_an_error() {
    let i = Instrument::btcusdt();
    let c = config(
        dec!(25000),
        dec!(35000),
        10,
        Spacing::Arithmetic,
        GridMode::Neutral,
        dec!(1000),
        150,
    );
    let p = plan(&c, &i, dec!(30000)).unwrap();
    assert!(p.errors.contains(&PlanError::LeverageAboveLimit {
        leverage: 150,
        max_leverage: 125
    }));
}

#[test]
fn extreme_inputs_are_refused_or_planned_without_overflow() {
    // Lines at 10^14 on a tick of 1: products of two prices exceed Decimal.
    let coarse = Instrument::new(
        Instrument::btcusdt().symbol,
        dec!(1),
        dec!(0.0001),
        dec!(0.0001),
        dec!(5),
        125,
        dec!(0.0002),
        dec!(0.0006),
        dec!(0.004),
    )
    .unwrap();
    for mode in [GridMode::Long, GridMode::Short, GridMode::Neutral] {
        let c = config(
            dec!(100000000000000),
            dec!(900000000000000),
            200,
            Spacing::Geometric,
            mode,
            dec!(1000000000),
            125,
        );
        assert!(plan(&c, &coarse, dec!(500000000000000)).is_ok());
    }
    let i = Instrument::btcusdt();
    for mode in [GridMode::Long, GridMode::Short, GridMode::Neutral] {
        for spacing in [Spacing::Arithmetic, Spacing::Geometric] {
            let c = config(dec!(0.1), dec!(0.3), 2, spacing, mode, dec!(1000000000), u32::MAX);
            for price in [dec!(0.1), dec!(0.2), dec!(100000000000000)] {
                if let Ok(p) = plan(&c, &i, price) {
                    assert!(!p.is_viable());
                }
            }
        }
    }
}
