//! Properties of the grid math, checked on random grids (proptest; failing
//! cases are kept in `proptest-regressions/grid_props.txt`).
//!
//! Each property recomputes what it checks with plain Decimal formulas
//! written here, independent of the implementation's integer-tick path.

use gridbot_core::grid::{plan, GridConfig, GridMode, GridPlan, Spacing};
use gridbot_core::model::{Instrument, OrderKind, Rounding, Side, Symbol};
use gridbot_core::Decimal;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rust_decimal::MathematicalOps;
use rust_decimal_macros::dec;

/// One random planning input.
#[derive(Debug, Clone)]
struct Case {
    instrument: Instrument,
    config: GridConfig,
    start: Decimal,
}

fn instrument(tick: Decimal, lot: Decimal, min_notional: Decimal, maker: Decimal) -> Instrument {
    Instrument::new(
        Symbol::new("TESTUSDT").unwrap(),
        tick,
        lot,
        lot,
        min_notional,
        100,
        maker,
        dec!(0.0006),
        dec!(0.005),
    )
    .unwrap()
}

fn spacing() -> impl Strategy<Value = Spacing> {
    prop_oneof![Just(Spacing::Arithmetic), Just(Spacing::Geometric)]
}

fn mode() -> impl Strategy<Value = GridMode> {
    prop_oneof![Just(GridMode::Long), Just(GridMode::Short), Just(GridMode::Neutral)]
}

/// Mostly workable grids, with a share of broken ones (inverted range, grid
/// count outside 2..=200, leverage above 100, tiny investments, coarse ticks).
fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just(dec!(0.1)), Just(dec!(0.01)), Just(dec!(0.5)), Just(dec!(1))],
        prop_oneof![4 => Just(dec!(0.0001)), 2 => Just(dec!(0.001)), 1 => Just(dec!(1))],
        prop_oneof![Just(dec!(0)), Just(dec!(5))],
        prop_oneof![Just(dec!(0.0002)), Just(dec!(0)), Just(dec!(0.001))],
        1i64..2_000_000, // lower, in hundredths
        // width, in hundredths of a percent of lower
        prop_oneof![5 => 10i64..5_000, 3 => 5_000i64..200_000, 1 => -1_000i64..10],
        prop_oneof![6 => 2u32..=60, 3 => 2u32..=200, 1 => 0u32..=210],
        spacing(),
        mode(),
        1i64..2_000_000, // investment, cents
        prop_oneof![6 => 1u32..=3, 2 => 1u32..=10, 1 => 1u32..=120],
        -2000i64..12_000, // start, in hundredths of a percent across the range
    )
        .prop_map(
            |(tick, lot, min_notional, maker, lower, width, grids, spacing, mode, investment, leverage, start)| {
                let lower = Decimal::new(lower, 2).max(tick);
                let upper = (lower + lower * Decimal::new(width, 4)).round_dp(2).max(dec!(0.01));
                let start = (lower + (upper - lower) * Decimal::new(start, 4))
                    .round_dp(2)
                    .max(dec!(0.01));
                let instrument = instrument(tick, lot, min_notional, maker);
                let config = GridConfig::new(
                    instrument.symbol.clone(),
                    lower,
                    upper,
                    grids,
                    spacing,
                    mode,
                    Decimal::new(investment, 2),
                    leverage,
                );
                Case {
                    instrument,
                    config,
                    start,
                }
            },
        )
}

fn run(case: &Case) -> GridPlan {
    plan(&case.config, &case.instrument, case.start).expect("valid input")
}

fn has(p: &GridPlan, code: &str) -> bool {
    p.errors.iter().any(|e| e.code() == code)
}

/// The exact (unsnapped) line `i` on the snapped ends, 28-digit Decimal.
fn exact_line(l: Decimal, u: Decimal, n: u32, i: u32, spacing: Spacing) -> Decimal {
    match spacing {
        Spacing::Arithmetic => l + (u - l) * Decimal::from(i) / Decimal::from(n),
        Spacing::Geometric => l * (u / l).powd(Decimal::from(i) / Decimal::from(n)),
    }
}

/// The rules of DESIGN.md, recomputed from the plan's lines: which error
/// codes the plan must report.
fn expected_codes(case: &Case, p: &GridPlan) -> Vec<&'static str> {
    let c = &case.config;
    let i = &case.instrument;
    let mut codes = Vec::new();
    let structural = c.lower >= c.upper || !(2..=200).contains(&c.grids);
    if c.lower >= c.upper {
        codes.push("invalid_range");
    }
    if !(2..=200).contains(&c.grids) {
        codes.push("grid_count_out_of_range");
    }
    let l = i.round_price(c.lower, Rounding::Nearest);
    let u = i.round_price(c.upper, Rounding::Nearest);
    if !structural && u <= l {
        codes.push("spacing_below_tick");
    } else if !structural {
        let n = c.grids;
        let first_step = exact_line(l, u, n, 1, c.spacing) - l;
        let min_step = match c.spacing {
            Spacing::Arithmetic => (u - l) / Decimal::from(n),
            Spacing::Geometric => first_step,
        };
        let coincide = p.levels.windows(2).any(|w| w[1] <= w[0]);
        if min_step < i.tick_size || coincide {
            codes.push("spacing_below_tick");
        }
        let bottoms: Decimal = p.levels[..n as usize].iter().copied().sum();
        let q = i.floor_qty(c.investment * Decimal::from(c.leverage) / bottoms);
        if q < i.min_qty || q.is_zero() {
            codes.push("qty_below_min_qty");
        }
        if q * l < i.min_notional {
            codes.push("notional_below_min");
        }
        let worst = p
            .levels
            .windows(2)
            .map(|w| (w[1] - w[0]) - i.maker_fee * (w[0] + w[1]))
            .min()
            .unwrap();
        if worst <= Decimal::ZERO {
            codes.push("unprofitable_grid");
        }
        let (long, short) = liquidations(case, p, q);
        if long.is_some_and(|x| x >= l) || short.is_some_and(|x| x <= u) {
            codes.push("liquidation_in_range");
        }
    }
    if c.leverage > i.max_leverage {
        codes.push("leverage_above_limit");
    }
    codes
}

/// Long-side and short-side liquidation prices, summing the opening fills
/// one by one.
fn liquidations(case: &Case, p: &GridPlan, q: Decimal) -> (Option<Decimal>, Option<Decimal>) {
    let i = &case.instrument;
    let m = case.config.investment;
    let s = case.start;
    let n = p.levels.len() - 1;
    let mut long = (Decimal::ZERO, Decimal::ZERO); // (qty, cost)
    let mut short = (Decimal::ZERO, Decimal::ZERO);
    for cell in 0..n {
        let (lo, hi) = (p.levels[cell], p.levels[cell + 1]);
        let buys = hi <= s || (lo < s && s < hi && case.config.mode != GridMode::Short);
        match (case.config.mode, buys) {
            (GridMode::Long, true) | (GridMode::Neutral, true) => {
                long = (long.0 + q, long.1 + q * lo);
            }
            (GridMode::Long, false) => long = (long.0 + q, long.1 + q * s),
            (GridMode::Short, true) => short = (short.0 + q, short.1 + q * s),
            (GridMode::Short, false) | (GridMode::Neutral, false) => {
                short = (short.0 + q, short.1 + q * hi);
            }
        }
    }
    let mmr = i.maint_margin_rate;
    let long_liq = (!long.0.is_zero())
        .then(|| i.round_price((long.1 - m) / (long.0 * (Decimal::ONE - mmr)), Rounding::Up))
        .filter(|x| *x > Decimal::ZERO);
    let short_liq =
        (!short.0.is_zero()).then(|| i.round_price((short.1 + m) / (short.0 * (Decimal::ONE + mmr)), Rounding::Down));
    (long_liq, short_liq)
}

/// 512 cases; failures are saved next to the crate (the default location
/// cannot be found from an integration test).
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/grid_props.txt"
        )))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn lines_run_from_lower_to_upper_on_the_tick_grid(case in case()) {
        let p = run(&case);
        let c = &case.config;
        let i = &case.instrument;
        if p.levels.is_empty() {
            prop_assert!(!p.is_viable());
            return Ok(());
        }
        prop_assert_eq!(p.levels.len(), c.grids as usize + 1);
        prop_assert_eq!(p.levels[0], i.round_price(c.lower, Rounding::Nearest));
        prop_assert_eq!(*p.levels.last().unwrap(), i.round_price(c.upper, Rounding::Nearest));
        for l in &p.levels {
            prop_assert!(i.is_on_tick(*l), "{} is off the tick grid", l);
        }
        if !has(&p, "spacing_below_tick") {
            for w in p.levels.windows(2) {
                prop_assert!(w[0] < w[1], "lines not increasing: {} then {}", w[0], w[1]);
            }
        }
    }

    #[test]
    fn each_line_is_the_exact_formula_snapped_to_the_nearest_tick(case in case()) {
        let p = run(&case);
        prop_assume!(!p.levels.is_empty());
        let c = &case.config;
        let tick = case.instrument.tick_size;
        let (l, u) = (p.levels[0], p.levels[c.grids as usize]);
        for (k, line) in p.levels.iter().enumerate() {
            let exact = exact_line(l, u, c.grids, k as u32, c.spacing);
            let off = (*line - exact).abs();
            // Within half a tick; ties (exactly half) only arise arithmetically.
            prop_assert!(off <= tick / dec!(2) + dec!(0.000000001), "line {} = {} vs exact {}", k, line, exact);
        }
    }

    #[test]
    fn steps_are_equal_or_the_ratio_constant_within_one_tick(case in case()) {
        let p = run(&case);
        prop_assume!(!p.levels.is_empty() && !has(&p, "spacing_below_tick"));
        let tick = case.instrument.tick_size;
        let steps: Vec<Decimal> = p.levels.windows(2).map(|w| w[1] - w[0]).collect();
        match case.config.spacing {
            Spacing::Arithmetic => {
                let (lo, hi) = (steps.iter().min().unwrap(), steps.iter().max().unwrap());
                prop_assert!(*hi - *lo <= tick, "steps {} to {}", lo, hi);
            }
            Spacing::Geometric => {
                let n = case.config.grids;
                let (l, u) = (p.levels[0], p.levels[n as usize]);
                let r = (u / l).powd(Decimal::ONE / Decimal::from(n));
                for w in p.levels.windows(2) {
                    // |P_i+1 − r·P_i| ≤ ½ tick (P_i+1) + r·½ tick (P_i).
                    let bound = tick * (Decimal::ONE + r) / dec!(2) + dec!(0.000000001);
                    prop_assert!((w[1] - r * w[0]).abs() <= bound, "{} → {} with ratio {}", w[0], w[1], r);
                }
            }
        }
    }

    #[test]
    fn quantity_is_the_largest_lot_multiple_the_investment_allows(case in case()) {
        let p = run(&case);
        prop_assume!(!p.levels.is_empty());
        let c = &case.config;
        let i = &case.instrument;
        let q = p.qty_per_grid;
        prop_assert!(i.is_on_lot(q));
        let bottoms: Decimal = p.levels[..c.grids as usize].iter().copied().sum();
        let budget = c.investment * Decimal::from(c.leverage);
        prop_assert!(q * bottoms <= budget);
        prop_assert!((q + i.lot_size) * bottoms > budget, "q {} could be one lot larger", q);
        prop_assert!(p.initial_margin <= c.investment, "margin {} > investment {}", p.initial_margin, c.investment);
        prop_assert_eq!(p.required_margin, p.initial_margin + p.fee_reserve);
    }

    #[test]
    fn every_cell_has_one_initial_order_buying_below_and_selling_above_the_start(case in case()) {
        let p = run(&case);
        // Coinciding lines (spacing below one tick) make empty cells that are
        // both below and above the start; such plans are refused anyway.
        prop_assume!(!p.levels.is_empty() && !has(&p, "spacing_below_tick"));
        let c = &case.config;
        let s = case.start;
        let limits: Vec<_> = p.initial_orders.iter().filter(|o| o.kind == OrderKind::Limit).collect();
        prop_assert_eq!(limits.len(), c.grids as usize);
        for (cell, o) in limits.iter().enumerate() {
            prop_assert_eq!(o.cell, Some(cell as u32));
            // Below S buys, above S sells; the cell containing S buys except in short mode.
            let (lo, hi) = (p.levels[cell], p.levels[cell + 1]);
            let buys = hi <= s || (lo < s && s < hi && c.mode != GridMode::Short);
            prop_assert_eq!(o.side == Side::Buy, buys, "cell {} [{}, {}] at start {}", cell, lo, hi, s);
            prop_assert_eq!(o.qty, p.qty_per_grid);
            match o.side {
                Side::Buy => {
                    prop_assert_eq!(o.price, p.levels[cell]);
                    prop_assert!(o.price < s, "buy at {} not below start {}", o.price, s);
                }
                Side::Sell => {
                    prop_assert_eq!(o.price, p.levels[cell + 1]);
                    prop_assert!(o.price > s, "sell at {} not above start {}", o.price, s);
                }
            }
        }
        let sells = limits.iter().filter(|o| o.side == Side::Sell).count();
        let market = p.market_order();
        match c.mode {
            GridMode::Long => prop_assert_eq!(
                market.map(|m| (m.side, m.qty)),
                (sells > 0).then(|| (Side::Buy, p.qty_per_grid * Decimal::from(sells)))
            ),
            GridMode::Short => prop_assert_eq!(
                market.map(|m| (m.side, m.qty)),
                (sells < limits.len()).then(|| (Side::Sell, p.qty_per_grid * Decimal::from(limits.len() - sells)))
            ),
            GridMode::Neutral => prop_assert!(market.is_none()),
        }
    }

    #[test]
    fn profit_per_grid_is_the_min_and_max_of_the_per_cell_formula(case in case()) {
        let p = run(&case);
        prop_assume!(!p.levels.is_empty());
        let f = case.instrument.maker_fee;
        let q = p.qty_per_grid;
        let quotes: Vec<Decimal> = p.levels.windows(2).map(|w| q * (w[1] - w[0]) - f * q * (w[0] + w[1])).collect();
        let pcts: Vec<Decimal> = p.levels.windows(2).map(|w| ((w[1] - w[0]) - f * (w[0] + w[1])) / w[0] * dec!(100)).collect();
        prop_assert!(p.profit_per_grid_quote.min <= p.profit_per_grid_quote.max);
        prop_assert!(p.profit_per_grid_pct.min <= p.profit_per_grid_pct.max);
        prop_assert_eq!(p.profit_per_grid_quote.min, *quotes.iter().min().unwrap());
        prop_assert_eq!(p.profit_per_grid_quote.max, *quotes.iter().max().unwrap());
        let close = |a: Decimal, b: Decimal| (a - b).abs() <= dec!(0.00000000000000000001) * (Decimal::ONE + b.abs());
        prop_assert!(close(p.profit_per_grid_pct.min, *pcts.iter().min().unwrap()));
        prop_assert!(close(p.profit_per_grid_pct.max, *pcts.iter().max().unwrap()));
    }

    #[test]
    fn a_plan_is_rejected_exactly_when_a_viability_rule_is_broken(case in case()) {
        let p = run(&case);
        let got: Vec<&str> = p.errors.iter().map(|e| e.code()).collect();
        let want = expected_codes(&case, &p);
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(p.is_viable(), want.is_empty());
    }

    #[test]
    fn the_liquidation_estimate_is_the_worse_side_of_the_maintenance_equation(case in case()) {
        let p = run(&case);
        prop_assume!(!p.levels.is_empty());
        let (long, short) = liquidations(&case, &p, p.qty_per_grid);
        let (l, u) = (p.levels[0], *p.levels.last().unwrap());
        let want = match (long, short) {
            (Some(a), Some(b)) => Some(if (l - a) / l <= (b - u) / u { a } else { b }),
            (a, b) => a.or(b),
        };
        prop_assert_eq!(p.liquidation_price, want);
    }

    #[test]
    fn planning_is_deterministic_and_survives_a_json_round_trip(case in case()) {
        let a = run(&case);
        let b = run(&case);
        prop_assert_eq!(&a, &b);
        let json = serde_json::to_string(&a).unwrap();
        let back: GridPlan = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(a, back);
    }

    #[test]
    fn planning_never_panics_on_any_input(
        lower in any::<i64>(), upper in any::<i64>(), scale_l in 0u32..=28, scale_u in 0u32..=28,
        grids in any::<u32>(), investment in any::<i64>(), leverage in any::<u32>(),
        price in any::<i64>(), scale_p in 0u32..=28, spacing in spacing(), mode in mode(),
    ) {
        let i = Instrument::btcusdt();
        let c = GridConfig::new(
            i.symbol.clone(),
            Decimal::new(lower, scale_l),
            Decimal::new(upper, scale_u),
            grids,
            spacing,
            mode,
            Decimal::new(investment, 2),
            leverage,
        );
        if let Ok(p) = plan(&c, &i, Decimal::new(price, scale_p)) {
            prop_assert_eq!(p.is_viable(), p.errors.is_empty());
        }
    }
}
