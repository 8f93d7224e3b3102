//! Backtester rules, with small engines written for the tests (the real
//! grid engine lives in `engine::grid`; the trend engine is used as is).

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::engine::{BotEngine, Command, EngineEvent, EnginePhase, StopReason};
use crate::model::{BotId, BotStats, ClientOrderId, Liquidity, OrderRequest, Side, Symbol};

fn inst() -> Instrument {
    Instrument::btcusdt()
}

fn candle(i: i64, o: Decimal, h: Decimal, l: Decimal, c: Decimal) -> Candle {
    Candle {
        ts: i * 60_000,
        open: o,
        high: h,
        low: l,
        close: c,
        volume: dec!(1),
    }
}

/// A neutral ladder: buys below the start price, sells above; a filled buy
/// at `levels[i]` places a sell at `levels[i + 1]` and the other way round.
struct Ladder {
    levels: Vec<Decimal>,
    qty: Decimal,
    generation: u64,
    open_fee: Vec<Option<(Side, Decimal)>>,
    stats: BotStats,
    fills: Vec<Fill>,
    finished: bool,
}

impl Ladder {
    fn new(levels: Vec<Decimal>, qty: Decimal) -> Self {
        let n = levels.len();
        Ladder {
            levels,
            qty,
            generation: 0,
            open_fee: vec![None; n],
            stats: BotStats::default(),
            fills: Vec::new(),
            finished: false,
        }
    }

    fn order(&mut self, side: Side, level: usize) -> Command {
        self.generation += 1;
        let id = ClientOrderId::grid(BotId(1), level as u32, self.generation);
        Command::Place(OrderRequest::limit(
            id,
            inst().symbol,
            side,
            self.levels[level],
            self.qty,
        ))
    }
}

impl BotEngine for Ladder {
    fn on_event(&mut self, event: &EngineEvent, out: &mut Vec<Command>) {
        match event {
            EngineEvent::Start { price, .. } => {
                for i in 0..self.levels.len() {
                    if self.levels[i] < *price {
                        out.push(self.order(Side::Buy, i));
                    } else if self.levels[i] > *price {
                        out.push(self.order(Side::Sell, i));
                    }
                }
            }
            EngineEvent::Fill(f) => {
                self.fills.push(f.clone());
                self.stats.fills += 1;
                self.stats.fees += f.fee;
                self.stats.realized_pnl += f.realized_pnl;
                if f.is_liquidation {
                    self.finished = true;
                    out.push(Command::Finish(StopReason::Liquidated));
                    return;
                }
                let Some(i) = self.levels.iter().position(|l| *l == f.price) else {
                    return;
                };
                // Close a round trip opened one level away, else open one here.
                let (partner, flip_side) = match f.side {
                    Side::Buy => (i + 1, Side::Sell),
                    Side::Sell => (i.wrapping_sub(1), Side::Buy),
                };
                match self.open_fee.get(partner).copied().flatten() {
                    Some((side, fee)) if side != f.side => {
                        self.open_fee[partner] = None;
                        self.stats.round_trips += 1;
                        let profit = self.qty * (self.levels[i] - self.levels[partner]).abs() - fee - f.fee;
                        self.stats.grid_profit += profit;
                        if profit > Decimal::ZERO {
                            self.stats.wins += 1;
                        }
                    }
                    _ => self.open_fee[i] = Some((f.side, f.fee)),
                }
                if partner < self.levels.len() {
                    out.push(self.order(flip_side, partner));
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
        if self.finished {
            EnginePhase::Finished
        } else {
            EnginePhase::Active
        }
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// Buys `qty` at market at the start and holds.
struct Hold {
    qty: Decimal,
    fills: Vec<Fill>,
}

impl BotEngine for Hold {
    fn on_event(&mut self, event: &EngineEvent, out: &mut Vec<Command>) {
        match event {
            EngineEvent::Start { .. } => out.push(Command::Place(OrderRequest::market(
                ClientOrderId::new("hold"),
                inst().symbol,
                Side::Buy,
                self.qty,
            ))),
            EngineEvent::Fill(f) => self.fills.push(f.clone()),
            _ => {}
        }
    }
    fn ideal_orders(&self) -> Vec<OrderRequest> {
        Vec::new()
    }
    fn stats(&self) -> BotStats {
        BotStats::default()
    }
    fn phase(&self) -> EnginePhase {
        EnginePhase::Active
    }
    fn snapshot(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// Places orders the account must refuse at the start and keeps what it
/// is told about them.
struct Refused {
    rejected: Vec<(ClientOrderId, String)>,
}

impl BotEngine for Refused {
    fn on_event(&mut self, event: &EngineEvent, out: &mut Vec<Command>) {
        match event {
            EngineEvent::Start { price, .. } => {
                let id = ClientOrderId::new;
                let buy =
                    |id: ClientOrderId, p: Decimal| OrderRequest::limit(id, inst().symbol, Side::Buy, p, dec!(0.01));
                out.push(Command::Place(
                    buy(id("crossing"), *price + dec!(10)).with_tif(crate::model::TimeInForce::PostOnly),
                ));
                out.push(Command::Place(buy(id("off-tick"), *price - dec!(10.05))));
                out.push(Command::Place(
                    OrderRequest::limit(id("reduce"), inst().symbol, Side::Sell, *price + dec!(10), dec!(0.01))
                        .reduce_only(),
                ));
                out.push(Command::Place(OrderRequest::limit(
                    id("no-price"),
                    inst().symbol,
                    Side::Buy,
                    *price,
                    dec!(0.01),
                )));
                if let Some(Command::Place(req)) = out.last_mut() {
                    req.price = None;
                }
            }
            EngineEvent::Rejected { client_id, reason, .. } => self.rejected.push((client_id.clone(), reason.clone())),
            _ => {}
        }
    }
    fn ideal_orders(&self) -> Vec<OrderRequest> {
        Vec::new()
    }
    fn stats(&self) -> BotStats {
        BotStats::default()
    }
    fn phase(&self) -> EnginePhase {
        EnginePhase::Active
    }
    fn snapshot(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// Refusals reach the engine under the refused order's id, with the
/// paper exchange's reasons.
#[test]
fn refused_orders_are_reported_under_their_ids() {
    let mut e = Refused { rejected: Vec::new() };
    let r = run(&mut e, &inst(), &sideways(3), &cfg()).unwrap();
    assert_eq!(r.fills, 0);
    let ids: Vec<&str> = e.rejected.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["crossing", "off-tick", "reduce", "no-price"]);
    let reasons: Vec<&str> = e.rejected.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(reasons[0], "post-only order crossing would take liquidity");
    assert!(reasons[1].contains("tick"), "{}", reasons[1]);
    assert!(
        reasons[2].starts_with("reduce-only sell of 0.01 would increase or flip"),
        "{}",
        reasons[2]
    );
    assert_eq!(reasons[3], "limit order no-price needs a price");
}

fn levels() -> Vec<Decimal> {
    (0..=10).map(|i| dec!(30000) + Decimal::from(i * 100)).collect()
}

/// Oscillates between 30050 and 30950 so every level is crossed each way.
fn sideways(n: i64) -> Vec<Candle> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                candle(i, dec!(30500), dec!(30950), dec!(30500), dec!(30900))
            } else {
                candle(i, dec!(30900), dec!(30900), dec!(30050), dec!(30500))
            }
        })
        .collect()
}

fn cfg() -> BacktestConfig {
    BacktestConfig::new(dec!(1000)).with_slippage_bps(Decimal::ZERO)
}

#[test]
fn a_backtest_is_deterministic() {
    let candles = sideways(200);
    let a = run(&mut Ladder::new(levels(), dec!(0.01)), &inst(), &candles, &cfg()).unwrap();
    let b = run(&mut Ladder::new(levels(), dec!(0.01)), &inst(), &candles, &cfg()).unwrap();
    assert_eq!(a, b);
    assert!(a.round_trips > 100, "{}", a.round_trips);
}

#[test]
fn resting_orders_fill_at_their_limits_as_maker_and_pnl_adds_up() {
    let candles = sideways(40);
    let mut eng = Ladder::new(levels(), dec!(0.01));
    let r = run(&mut eng, &inst(), &candles, &cfg()).unwrap();
    assert!(eng
        .fills
        .iter()
        .all(|f| levels().contains(&f.price) && f.liquidity == Liquidity::Maker));
    let fees: Decimal = eng.fills.iter().map(|f| f.fee).sum();
    assert_eq!(r.fees, fees);
    // Equity = investment + realised − fees + unrealised at the last close.
    let realized: Decimal = eng.fills.iter().map(|f| f.realized_pnl).sum();
    let mut pos = crate::model::NetPosition::default();
    for f in &eng.fills {
        pos.apply(f.side, f.price, f.qty);
    }
    let close = candles.last().unwrap().close;
    assert_eq!(r.final_equity, dec!(1000) + realized - fees + pos.unrealized(close));
    assert_eq!(r.total_pnl, r.final_equity - dec!(1000));
    assert_eq!(r.position_pnl, r.total_pnl - r.grid_profit);
    // Each round trip earns one step minus two maker fees.
    let per_trip_min = dec!(0.01) * dec!(100) - dec!(0.01) * dec!(31000) * dec!(0.0002) * dec!(2);
    assert!(r.grid_profit >= per_trip_min * Decimal::from(r.round_trips));
    assert_eq!(r.win_rate, dec!(100));
    assert_eq!(r.candles, 40);
}

#[test]
fn a_flipped_order_can_fill_later_in_the_same_candle() {
    // Start at 30550: buy at 30500 below. One rising candle: O→L (30450,
    // fills the buy) → H (30650: the flipped sell at 30600 fills) → C.
    let candles = vec![candle(0, dec!(30550), dec!(30650), dec!(30450), dec!(30560))];
    let mut eng = Ladder::new(vec![dec!(30500), dec!(30600)], dec!(0.01));
    let r = run(&mut eng, &inst(), &candles, &cfg()).unwrap();
    let got: Vec<(Side, Decimal)> = eng.fills.iter().map(|f| (f.side, f.price)).collect();
    // The initial sell at 30600 fills on the way up too, as does the flip of the buy.
    assert!(got.contains(&(Side::Buy, dec!(30500))));
    assert!(
        got.iter()
            .filter(|(s, p)| *s == Side::Sell && *p == dec!(30600))
            .count()
            >= 1
    );
    assert!(r.round_trips >= 1);
}

#[test]
fn a_gap_fills_every_order_it_jumps_over_at_its_own_limit() {
    let mut candles = vec![candle(0, dec!(31050), dec!(31060), dec!(31040), dec!(31050))];
    // Two hours missing, then an open 650 lower.
    candles.push(candle(120, dec!(30400), dec!(30420), dec!(30380), dec!(30410)));
    candles.push(candle(121, dec!(30410), dec!(30420), dec!(30390), dec!(30400)));
    let mut eng = Ladder::new(levels(), dec!(0.01));
    let r = run(&mut eng, &inst(), &candles, &cfg()).unwrap();
    let buys: Vec<Decimal> = eng
        .fills
        .iter()
        .filter(|f| f.side == Side::Buy)
        .map(|f| f.price)
        .collect();
    // 30400 is touched too: the open reaches it exactly.
    let want: Vec<Decimal> = (4..=10).rev().map(|i| dec!(30000) + Decimal::from(i * 100)).collect();
    assert_eq!(buys, want);
    assert!(eng.fills.iter().all(|f| f.ts == 120 * 60_000));
    // The candle length is the data's smallest spacing, not the gap.
    assert_eq!(r.end_ts, 122 * 60_000);
}

#[test]
fn a_leveraged_hold_is_liquidated_where_the_formula_says_and_loses_the_investment() {
    let inst = inst();
    let mut candles: Vec<Candle> = (0..10)
        .map(|i| candle(i, dec!(30000), dec!(30010), dec!(29990), dec!(30000)))
        .collect();
    for (k, i) in (10..40).enumerate() {
        let top = dec!(30000) - Decimal::from(k as i64 * 100);
        candles.push(candle(i, top, top + dec!(10), top - dec!(100), top - dec!(100)));
    }
    // 0.5 BTC on 1000 USDT: 15x.
    let mut eng = Hold {
        qty: dec!(0.5),
        fills: Vec::new(),
    };
    let r = run(&mut eng, &inst, &candles, &cfg()).unwrap();
    assert!(r.liquidated);
    let entry = dec!(30000);
    let wallet = dec!(1000) - entry * dec!(0.5) * inst.taker_fee;
    let liq = (entry - wallet / dec!(0.5)) / (Decimal::ONE - inst.maint_margin_rate);
    let at = candles.iter().position(|c| c.low <= liq).unwrap();
    let liq_fill = eng.fills.iter().find(|f| f.is_liquidation).unwrap();
    assert_eq!(liq_fill.ts / 60_000, candles[at].ts / 60_000);
    assert_eq!(liq_fill.price, inst.round_price(liq, crate::model::Rounding::Down));
    assert_eq!(r.final_equity, Decimal::ZERO);
    assert_eq!(r.total_pnl, dec!(-1000));
    assert_eq!(r.max_drawdown_pct, dec!(100));
}

#[test]
fn bad_input_is_refused() {
    let mut eng = Hold {
        qty: dec!(0.01),
        fills: Vec::new(),
    };
    assert_eq!(
        run(&mut eng, &inst(), &[], &cfg()).unwrap_err(),
        BacktestError::NoCandles
    );
    let c = candle(1, dec!(1), dec!(1), dec!(1), dec!(1));
    assert!(matches!(
        run(&mut eng, &inst(), &[c, c], &cfg()),
        Err(BacktestError::Unordered { index: 1, .. })
    ));
    assert!(matches!(
        run(&mut eng, &inst(), &[c], &BacktestConfig::new(Decimal::ZERO)),
        Err(BacktestError::Investment(_))
    ));
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/binance_BTCUSDT_1m.csv");

#[test]
fn a_month_of_real_minutes_reports_a_curve_of_at_most_500_points() {
    if !std::path::Path::new(DATA).exists() {
        eprintln!("skipping: {DATA} is absent");
        return;
    }
    let candles = crate::feed::read_candles(std::path::Path::new(DATA)).unwrap();
    let candles = &candles[..43_200.min(candles.len())];
    let p0 = candles[0].open;
    let step = inst().round_price(p0 * dec!(0.002), crate::model::Rounding::Down);
    let lv: Vec<Decimal> = (-50i64..=50)
        .map(|i| inst().round_price(p0 + step * Decimal::from(i), crate::model::Rounding::Down))
        .collect();
    let mut eng = Ladder::new(lv, dec!(0.001));
    let r = run(&mut eng, &inst(), candles, &BacktestConfig::new(dec!(10000))).unwrap();
    assert!(
        r.equity_curve.len() <= 500 && r.equity_curve.len() >= 400,
        "{}",
        r.equity_curve.len()
    );
    assert_eq!(r.equity_curve.last().unwrap().1, r.final_equity);
    assert!(r.fills > 100);
    assert_eq!(r.candles, candles.len());
    assert!(r.max_drawdown_pct >= Decimal::ZERO);
}

#[test]
fn the_trend_engine_runs_in_the_backtester() {
    use crate::engine::trend::TrendEngine;
    use crate::model::{Interval, TrendConfig, TrendDirection};
    if !std::path::Path::new(DATA).exists() {
        eprintln!("skipping: {DATA} is absent");
        return;
    }
    let candles = crate::feed::read_candles(std::path::Path::new(DATA)).unwrap();
    let candles = &candles[..20_000];
    let config = TrendConfig::new(
        Symbol::new("BTCUSDT").unwrap(),
        Interval::M15,
        9,
        21,
        TrendDirection::Long,
        3,
        dec!(2),
        dec!(4),
        dec!(1000),
    );
    let mut a = TrendEngine::new(BotId(3), config.clone(), inst()).unwrap();
    let mut b = TrendEngine::new(BotId(3), config, inst()).unwrap();
    let ra = run(&mut a, &inst(), candles, &BacktestConfig::new(dec!(1000))).unwrap();
    let rb = run(&mut b, &inst(), candles, &BacktestConfig::new(dec!(1000))).unwrap();
    assert_eq!(ra, rb);
    assert!(ra.fills >= 2, "the crossover traded: {} fills", ra.fills);
    assert_eq!(ra.total_pnl, ra.final_equity - dec!(1000));
}

/// An instrument for a `shared/data` file (named BTCUSDT, as the test
/// engines' orders are): a tick one decimal
/// coarser than the data's (so most prices are off the grid, as BTC's are on
/// Bitget) or exactly the data's, and lots sized to its price.
fn file_instrument(candles: &[Candle], coarse: bool) -> Instrument {
    let dp = candles.iter().take(200).map(|c| c.close.scale()).max().unwrap_or(2);
    let tick = Decimal::new(1, if coarse { dp.saturating_sub(1) } else { dp });
    let lot = if candles[0].open > dec!(100) {
        dec!(0.0001)
    } else {
        dec!(0.1)
    };
    Instrument::new(
        inst().symbol,
        tick,
        lot,
        lot,
        dec!(5),
        125,
        dec!(0.0002),
        dec!(0.0006),
        dec!(0.004),
    )
    .unwrap()
}

/// Grids over a file's candles: in range, narrow and leveraged (leaves the
/// range, may be liquidated), short and leveraged, and one that stops.
fn file_grids(inst: &Instrument, candles: &[Candle]) -> Vec<crate::grid::GridConfig> {
    use crate::grid::{GridConfig, GridMode, OutOfRange, Spacing};
    use crate::model::Rounding;
    let lo = candles.iter().map(|c| c.low).min().unwrap();
    let hi = candles.iter().map(|c| c.high).max().unwrap();
    let p0 = candles[0].open;
    let r = |p: Decimal| inst.round_price(p, Rounding::Nearest);
    let g = |lower, upper, grids, spacing, mode, lev| {
        GridConfig::new(
            inst.symbol.clone(),
            r(lower),
            r(upper),
            grids,
            spacing,
            mode,
            dec!(10000),
            lev,
        )
    };
    let mut stopping = g(
        p0 * dec!(0.9),
        p0 * dec!(1.1),
        40,
        Spacing::Arithmetic,
        GridMode::Neutral,
        3,
    );
    stopping.on_out_of_range = OutOfRange::Stop;
    stopping.stop_loss = Some(r(p0 * dec!(0.85)));
    vec![
        g(lo, hi, 100, Spacing::Arithmetic, GridMode::Neutral, 2),
        g(
            p0 * dec!(0.97),
            p0 * dec!(1.03),
            30,
            Spacing::Geometric,
            GridMode::Long,
            25,
        ),
        g(
            p0 * dec!(0.95),
            p0 * dec!(1.05),
            20,
            Spacing::Arithmetic,
            GridMode::Short,
            15,
        ),
        stopping,
    ]
}

/// The fast path (quiet candles not walked, equity marked only where it can
/// matter) gives exactly the plain walk's report — same values, same
/// decimal representation — on every file of `shared/data`, for the live
/// grid engine in several shapes (in range, out of range, liquidated,
/// stopped), the ladder, a liquidated hold and the trend engine.
#[test]
fn the_fast_path_reports_exactly_what_the_plain_walk_does_on_every_real_file() {
    use crate::engine::grid::GridEngine;
    use crate::engine::trend::TrendEngine;
    use crate::model::{Interval, TrendConfig, TrendDirection};
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data"));
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("skipping: {} is absent", dir.display());
        return;
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let (mut compared, mut liquidated, mut stopped) = (0, 0, 0);
    for (k, path) in files.iter().enumerate() {
        let all = crate::feed::read_candles(path).unwrap();
        let candles = &all[..10_000.min(all.len())];
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let inst = file_instrument(candles, k % 2 == 0);
        let mut check = |label: &str, engine: &mut dyn FnMut() -> Box<dyn BotEngine>, config: &BacktestConfig| {
            let fast = run(engine().as_mut(), &inst, candles, config).unwrap();
            let plain = run_plain(engine().as_mut(), &inst, candles, config).unwrap();
            let brief = |r: &BacktestReport| {
                (
                    r.candles,
                    r.fills,
                    r.final_equity,
                    r.max_drawdown_pct,
                    r.liquidated,
                    r.equity_curve.len(),
                )
            };
            assert!(
                fast == plain,
                "{name}: {label}: fast {:?} != plain {:?}",
                brief(&fast),
                brief(&plain)
            );
            assert_eq!(
                serde_json::to_string(&fast).unwrap(),
                serde_json::to_string(&plain).unwrap(),
                "{name}: {label}"
            );
            let prepared = PreparedCandles::new(&inst, candles).unwrap();
            assert_eq!(run_prepared(engine().as_mut(), &prepared, config).unwrap(), fast);
            compared += 1;
            liquidated += usize::from(fast.liquidated);
            stopped += usize::from(fast.stop_reason.is_some());
        };
        for (i, grid) in file_grids(&inst, candles).into_iter().enumerate() {
            let Ok(engine) = GridEngine::new(BotId(1), grid.clone(), inst.clone()) else {
                panic!("{name}: grid {i} refused: {grid:?}");
            };
            let config = BacktestConfig::new(grid.investment);
            check(&format!("grid {i}"), &mut || Box::new(engine.clone()), &config);
        }
        let p0 = candles[0].open;
        let step = inst.round_price(p0 * dec!(0.002), crate::model::Rounding::Down);
        let lv: Vec<Decimal> = (-50i64..=50).map(|i| p0 + step * Decimal::from(i)).collect();
        let qty = inst.floor_qty(dec!(50) / p0).max(inst.lot_size);
        let cfg = BacktestConfig::new(dec!(10000));
        check("ladder", &mut || Box::new(Ladder::new(lv.clone(), qty)), &cfg);
        let big = inst.floor_qty(dec!(20000) / p0);
        check(
            "hold 20x",
            &mut || {
                Box::new(Hold {
                    qty: big,
                    fills: Vec::new(),
                })
            },
            &BacktestConfig::new(dec!(1000)),
        );
        let trend = TrendConfig::new(
            inst.symbol.clone(),
            Interval::M15,
            9,
            21,
            TrendDirection::Long,
            3,
            dec!(2),
            dec!(4),
            dec!(1000),
        );
        check(
            "trend",
            &mut || Box::new(TrendEngine::new(BotId(3), trend.clone(), inst.clone()).unwrap()),
            &BacktestConfig::new(dec!(1000)),
        );
    }
    assert!(compared >= files.len() * 7);
    assert!(
        liquidated > 0 && stopped > 0,
        "liquidated {liquidated}, stopped {stopped}"
    );
}

/// The benched backtest (100 neutral cells over the month's range, the
/// whole 1m BTC file) reports the same on the fast path as on the plain walk.
#[test]
fn the_benched_month_reports_exactly_what_the_plain_walk_does() {
    use crate::engine::grid::GridEngine;
    use crate::grid::{GridConfig, GridMode, Spacing};
    if !std::path::Path::new(DATA).exists() {
        eprintln!("skipping: {DATA} is absent");
        return;
    }
    let candles = crate::feed::read_candles(std::path::Path::new(DATA)).unwrap();
    let candles = &candles[..43_200.min(candles.len())];
    let grid = GridConfig::new(
        inst().symbol,
        dec!(30000),
        dec!(60000),
        100,
        Spacing::Arithmetic,
        GridMode::Neutral,
        dec!(10000),
        2,
    );
    let engine = GridEngine::new(BotId(1), grid, inst()).unwrap();
    let config = BacktestConfig::new(dec!(10000));
    let fast = run(&mut engine.clone(), &inst(), candles, &config).unwrap();
    let plain = run_plain(&mut engine.clone(), &inst(), candles, &config).unwrap();
    assert!(fast == plain, "the fast path differs from the plain walk");
    assert_eq!(
        serde_json::to_string(&fast).unwrap(),
        serde_json::to_string(&plain).unwrap()
    );
    assert!(fast.fills > 1000, "{} fills", fast.fills);
}

proptest::proptest! {
    /// `to_f64` is within a few units in the last place of the decimal's
    /// value, on mantissas of every size (the `f64` filters' margins rest
    /// on that).
    #[test]
    fn decimals_convert_to_f64_within_a_few_ulps(
        hi in 0u32..u32::MAX,
        lo in proptest::prelude::any::<u64>(),
        small in proptest::prelude::any::<bool>(),
        negative in proptest::prelude::any::<bool>(),
        scale in 0u32..=28,
    ) {
        let hi = if small { 0 } else { hi };
        let d = Decimal::from_parts(lo as u32, (lo >> 32) as u32, hi, negative, scale);
        let exact: f64 = d.to_string().parse().unwrap();
        let got = to_f64(d);
        proptest::prop_assert!((got - exact).abs() <= exact.abs() * 8.0 * f64::EPSILON, "{d}: {got} vs {exact}");
    }
}
