//! The grid plan: a pure function from a [`GridConfig`], an [`Instrument`]
//! and a start price to a [`GridPlan`].
//!
//! Definitions (DESIGN.md "Grids", made precise here):
//!
//! - **Lines** `P_0..P_N`: see [`super::levels`]. Cell `c` is `[P_c, P_c+1]`.
//! - **Quantity per grid** `q = investment·leverage / Σ_{i<N} P_i`, rounded
//!   down to the lot step (never more than the investment allows).
//! - **Sides at start** (start price `S`): a cell with `P_c+1 ≤ S` is below
//!   `S` and waits to BUY at `P_c`; a cell with `P_c ≥ S` is above and waits
//!   to SELL at `P_c+1`; the cell with `P_c < S < P_c+1` counts as below in
//!   long and neutral mode, above in short mode. So the first
//!   [`GridPlan::buy_cells`] cells buy and the rest sell; no order ever rests
//!   at `S` itself.
//! - **Initial orders**: long buys the selling cells at start with one market
//!   order (`q × their count`), short sells the buying cells with one market
//!   order, neutral places none; then one limit order per cell, lowest price
//!   first. A market order's `price` is its reference (start) price.
//! - **Profit per grid** of cell `c` (one buy at `P_c` and one sell at
//!   `P_c+1`, both maker): `q·(P_c+1 − P_c) − maker_fee·q·(P_c + P_c+1)`
//!   quote, and in percent of the cell's buy notional `q·P_c`:
//!   `100·((P_c+1 − P_c) − maker_fee·(P_c + P_c+1)) / P_c` (`q` cancels, so
//!   the percentage exists even when `q` rounds to zero). Reported as
//!   min–max over cells; both bounds are exact (not rounded).
//! - **Initial margin** `= q·Σ_{i<N} P_i / leverage`: the margin of the whole
//!   grid valued at the cells' bottom lines, the same notional `q` is sized
//!   from, hence never above the investment.
//! - **Fee reserve** `= taker_fee × (market order qty × S) + maker_fee ×
//!   Σ(qty × price)` over the initial limit orders: the fees of building the
//!   initial position and of filling every initial resting order once.
//! - **Required margin** `= initial margin + fee reserve`.
//! - **Liquidation** ([`super::liquidation`]), isolated margin = investment,
//!   assuming every opening-side order fills: long holds `N·q` bought at `S`
//!   (market cells) and at the buy lines; short holds `N·q` sold at `S` and at
//!   the sell lines; neutral checks the long side (every buy below `S`
//!   filled) and the short side (every sell above `S` filled) and reports
//!   the worse one: the side whose liquidation price is relatively closer to
//!   its end of the range (`(L − liq)/L` for the long side, `(liq − U)/U` for
//!   the short side).
//! - **Viability**: every rule in [`PlanError`] is checked and every broken
//!   rule is listed. "Profit per grid ≤ 0 after fees" uses the percentage, so
//!   it is independent of `q`. The minimum notional is checked at the lowest
//!   line, `q × P_0`, the smallest order any cell ever places (cell 0 buys
//!   there after its first flip). Liquidation is inside the range when the
//!   long side's price is `≥ L` or the short side's `≤ U`.
//!
//! Invalid input (a non-positive price, investment or leverage, a symbol that
//! is not the instrument's) is a [`ValidationError`] naming the field; a
//! valid but unworkable grid is a plan with [`GridPlan::errors`].
//!
//! ```
//! use gridbot_core::grid::{plan, GridConfig, GridMode, Spacing};
//! use gridbot_core::model::Instrument;
//! use rust_decimal::Decimal;
//!
//! let i = Instrument::btcusdt();
//! let c = GridConfig::new(i.symbol.clone(), Decimal::from(25_000), Decimal::from(35_000), 20,
//!     Spacing::Arithmetic, GridMode::Long, Decimal::from(1000), 3);
//! let p = plan(&c, &i, Decimal::from(30_000)).unwrap();
//! assert!(p.is_viable());
//! assert_eq!(p.levels.len(), 21);
//! assert_eq!(p.qty_per_grid, Decimal::new(5, 3)); // 3000 / 595000 = 0.00504.. → 0.005
//! ```

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::levels::{tick_levels, TickScale};
use super::liquidation::liquidation_price;
use super::{GridConfig, GridMode, PlanError, PlanWarning, Spacing};
use crate::error::ValidationError;
use crate::model::{Instrument, OrderKind, Side, Symbol};

/// Fewest grids allowed.
pub const MIN_GRIDS: u32 = 2;
/// Most grids allowed.
pub const MAX_GRIDS: u32 = 200;
/// Largest investment accepted, USDT.
pub const MAX_INVESTMENT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// A closed range of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MinMax {
    /// Smallest.
    pub min: Decimal,
    /// Largest.
    pub max: Decimal,
}

/// One order the plan places at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedOrder {
    /// Buy or sell.
    pub side: Side,
    /// Market (the initial position) or limit (a cell's resting order).
    pub kind: OrderKind,
    /// Limit price, or the reference (start) price of the market order.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// The cell a limit order belongs to; `None` for the market order.
    pub cell: Option<u32>,
}

/// Everything a grid will do at start, and whether it can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GridPlan {
    /// The contract.
    pub symbol: Symbol,
    /// Arithmetic or geometric.
    pub spacing: Spacing,
    /// Long, short or neutral.
    pub mode: GridMode,
    /// Number of grids `N` as asked.
    pub grids: u32,
    /// Start price `S`.
    pub start_price: Decimal,
    /// Investment (isolated margin), USDT.
    pub investment: Decimal,
    /// Leverage.
    pub leverage: u32,
    /// `N+1` lines, lowest first, on the tick grid (empty when the range or
    /// the grid count is invalid).
    pub levels: Vec<Decimal>,
    /// Quantity per grid `q`, a lot multiple.
    pub qty_per_grid: Decimal,
    /// How many cells (from the bottom) wait to buy at start; the rest sell.
    pub buy_cells: u32,
    /// The market order (if any) then one limit order per cell, by price.
    pub initial_orders: Vec<PlannedOrder>,
    /// `q·Σ_{i<N} P_i / leverage`.
    pub initial_margin: Decimal,
    /// Fees of the initial market order and one fill of each resting order.
    pub fee_reserve: Decimal,
    /// Initial margin + fee reserve.
    pub required_margin: Decimal,
    /// Profit per grid, percent of the cell's buy notional, min–max.
    pub profit_per_grid_pct: MinMax,
    /// Profit per grid, quote (USDT), min–max.
    pub profit_per_grid_quote: MinMax,
    /// Estimated liquidation price (the worse side for neutral grids).
    pub liquidation_price: Option<Decimal>,
    /// Estimated liquidation price of the long side (below the price), if
    /// the grid can be long: for a neutral grid, with every buy filled.
    #[serde(default)]
    pub long_liquidation_price: Option<Decimal>,
    /// Estimated liquidation price of the short side (above the price), if
    /// the grid can be short: for a neutral grid, with every sell filled.
    #[serde(default)]
    pub short_liquidation_price: Option<Decimal>,
    /// Broken viability rules; empty when the plan can run.
    pub errors: Vec<PlanError>,
    /// Things worth a second look; never block.
    pub warnings: Vec<PlanWarning>,
}

impl GridPlan {
    /// True when no viability rule is broken.
    pub fn is_viable(&self) -> bool {
        self.errors.is_empty()
    }

    /// Number of cells (`levels.len() − 1`, or 0 without levels).
    pub fn cells(&self) -> u32 {
        self.levels.len().saturating_sub(1) as u32
    }

    /// The side cell `c` waits on at start.
    pub fn initial_side(&self, cell: u32) -> Side {
        if cell < self.buy_cells {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    /// The market order placed at start, if any.
    pub fn market_order(&self) -> Option<&PlannedOrder> {
        self.initial_orders.iter().find(|o| o.kind == OrderKind::Market)
    }
}

/// Profit of one round trip in a cell `[lo, hi]` with quantity `q`:
/// `q·(hi − lo) − maker_fee·q·(lo + hi)`.
pub fn cell_profit(qty: Decimal, lo: Decimal, hi: Decimal, maker_fee: Decimal) -> Decimal {
    qty * (hi - lo) - maker_fee * qty * (lo + hi)
}

/// Profit of one round trip in percent of the cell's buy notional `q·lo`:
/// `100·((hi − lo) − maker_fee·(lo + hi)) / lo` (0 when `lo` is 0).
pub fn cell_profit_pct(lo: Decimal, hi: Decimal, maker_fee: Decimal) -> Decimal {
    ((hi - lo) - maker_fee * (lo + hi))
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|x| x.checked_div(lo))
        .unwrap_or_default()
}

/// The investment for a share `ratio` (in `(0, 1]`) of the available
/// balance, rounded down to cents.
///
/// ```
/// use gridbot_core::grid::investment_from_ratio;
/// use rust_decimal::Decimal;
/// let inv = investment_from_ratio(Decimal::new(123456, 2), Decimal::new(5, 1)).unwrap();
/// assert_eq!(inv, Decimal::new(61728, 2)); // 1234.56 × 0.5 = 617.28
/// ```
pub fn investment_from_ratio(available: Decimal, ratio: Decimal) -> Result<Decimal, ValidationError> {
    if ratio <= Decimal::ZERO || ratio > Decimal::ONE {
        return Err(ValidationError::new(
            "ratio",
            format!("must be in (0, 1] (a share of the available balance), got {ratio}"),
        ));
    }
    if available <= Decimal::ZERO {
        return Err(ValidationError::new(
            "available",
            format!("no balance available to invest ({available} USDT)"),
        ));
    }
    let amount = (available * ratio).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero);
    if amount <= Decimal::ZERO {
        return Err(ValidationError::new(
            "ratio",
            format!("{ratio} of {available} USDT is less than one cent"),
        ));
    }
    Ok(amount)
}

/// Plans a grid started at `start_price`. See the module docs for every
/// definition.
pub fn plan(config: &GridConfig, instrument: &Instrument, start_price: Decimal) -> Result<GridPlan, ValidationError> {
    validate(config, instrument, start_price)?;
    let scale = TickScale::new(instrument.tick_size)?;
    let n = config.grids;
    let mut plan = GridPlan {
        symbol: config.symbol.clone(),
        spacing: config.spacing,
        mode: config.mode,
        grids: n,
        start_price,
        investment: config.investment,
        leverage: config.leverage,
        levels: Vec::new(),
        qty_per_grid: Decimal::ZERO,
        buy_cells: 0,
        initial_orders: Vec::new(),
        initial_margin: Decimal::ZERO,
        fee_reserve: Decimal::ZERO,
        required_margin: Decimal::ZERO,
        profit_per_grid_pct: MinMax::default(),
        profit_per_grid_quote: MinMax::default(),
        liquidation_price: None,
        long_liquidation_price: None,
        short_liquidation_price: None,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    if config.lower >= config.upper {
        plan.errors.push(PlanError::InvalidRange {
            lower: config.lower,
            upper: config.upper,
        });
    }
    if !(MIN_GRIDS..=MAX_GRIDS).contains(&n) {
        plan.errors.push(PlanError::GridCountOutOfRange {
            grids: n,
            min: MIN_GRIDS,
            max: MAX_GRIDS,
        });
    }
    let leverage_error = (config.leverage > instrument.max_leverage).then_some(PlanError::LeverageAboveLimit {
        leverage: config.leverage,
        max_leverage: instrument.max_leverage,
    });
    if !plan.errors.is_empty() {
        plan.errors.extend(leverage_error);
        return Ok(plan);
    }
    let lt = scale.to_ticks("lower", config.lower)?;
    let ut = scale.to_ticks("upper", config.upper)?;
    scale.to_ticks("price", start_price)?;
    if lt <= 0 {
        return Err(ValidationError::new(
            "lower",
            format!("must be at least one tick ({}), got {}", scale.tick(), config.lower),
        ));
    }
    scale.check_range("upper", ut)?;
    if ut <= lt {
        // L < U but both snap to the same tick.
        plan.errors.push(PlanError::SpacingBelowTick {
            min_step: (config.upper - config.lower) / Decimal::from(n),
            tick_size: scale.tick(),
        });
        plan.errors.extend(leverage_error);
        return Ok(plan);
    }
    let lines = tick_levels(lt, ut, n, config.spacing);
    let ticks = &lines.ticks;
    let tick = scale.tick();
    plan.levels = ticks.iter().map(|&t| scale.to_price(t)).collect();
    // Normalised copies for messages ("25000", not "25000.0").
    let lower = plan.levels[0].normalize();
    let upper = plan.levels[n as usize].normalize();

    // Quantity per grid, rounded down to the lot; the exact check undoes a
    // division that rounded up to the next whole lot.
    let bottoms_ticks: i128 = ticks[..n as usize].iter().map(|&t| t as i128).sum();
    let bottoms = Decimal::from_i128_with_scale(bottoms_ticks, 0) * tick;
    let budget = config.investment * Decimal::from(config.leverage);
    let lot = instrument.lot_size;
    let mut lots = (budget / (bottoms * lot)).floor();
    if lots * lot * bottoms > budget {
        lots -= Decimal::ONE;
    }
    let q = (lots * lot).normalize();
    plan.qty_per_grid = q;

    // Sides at start.
    let s = start_price;
    let at_or_below = plan.levels.partition_point(|p| *p <= s);
    let mut buys = at_or_below.saturating_sub(1).min(n as usize);
    let contains = at_or_below >= 1 && at_or_below <= n as usize && plan.levels[at_or_below - 1] < s;
    if contains && config.mode != GridMode::Short {
        buys += 1;
    }
    let b = buys;
    plan.buy_cells = b as u32;
    let sells = n as usize - b;

    // Initial orders.
    let market = match config.mode {
        GridMode::Long if sells > 0 => Some((Side::Buy, sells)),
        GridMode::Short if b > 0 => Some((Side::Sell, b)),
        _ => None,
    };
    let mut orders = Vec::with_capacity(n as usize + 1);
    if let Some((side, count)) = market {
        orders.push(PlannedOrder {
            side,
            kind: OrderKind::Market,
            price: s,
            qty: q * Decimal::from(count),
            cell: None,
        });
    }
    for c in 0..n as usize {
        let (side, price) = if c < b {
            (Side::Buy, plan.levels[c])
        } else {
            (Side::Sell, plan.levels[c + 1])
        };
        orders.push(PlannedOrder {
            side,
            kind: OrderKind::Limit,
            price,
            qty: q,
            cell: Some(c as u32),
        });
    }
    plan.initial_orders = orders;

    // Margin and fees.
    plan.initial_margin = q * bottoms / Decimal::from(config.leverage);
    let buy_ticks: i128 = ticks[..b].iter().map(|&t| t as i128).sum();
    let sell_ticks: i128 = ticks[b + 1..].iter().map(|&t| t as i128).sum();
    let limit_value = q * Decimal::from_i128_with_scale(buy_ticks + sell_ticks, 0) * tick;
    // Only the start price is unbounded relative to the range: products with
    // it are checked (a start price absurdly far from the range is refused).
    let too_far = || {
        ValidationError::new(
            "price",
            format!("{start_price} is too far from the range {lower}–{upper} to plan"),
        )
    };
    let at_start = |count: usize| (q * Decimal::from(count)).checked_mul(s).ok_or_else(too_far);
    let market_value = match market {
        Some((_, k)) => at_start(k)?,
        None => Decimal::ZERO,
    };
    plan.fee_reserve = (instrument.taker_fee * market_value)
        .checked_add(instrument.maker_fee * limit_value)
        .ok_or_else(too_far)?;
    plan.required_margin = plan.initial_margin + plan.fee_reserve;

    // Profit per grid.
    let (pct_min_c, pct_max_c) = extreme_ratio_cells(ticks);
    let pct = |c: usize| cell_profit_pct(plan.levels[c], plan.levels[c + 1], instrument.maker_fee);
    plan.profit_per_grid_pct = MinMax {
        min: pct(pct_min_c),
        max: pct(pct_max_c),
    };
    let quote = |c: usize| cell_profit(q, plan.levels[c], plan.levels[c + 1], instrument.maker_fee);
    plan.profit_per_grid_quote = match extreme_quote_cells(ticks, instrument.maker_fee) {
        Some((lo, hi)) => MinMax {
            min: quote(lo),
            max: quote(hi),
        },
        None => (0..n as usize).map(quote).fold(
            MinMax {
                min: Decimal::MAX,
                max: Decimal::MIN,
            },
            |m, v| MinMax {
                min: m.min.min(v),
                max: m.max.max(v),
            },
        ),
    };

    // Liquidation, assuming every opening-side order fills.
    let m = config.investment;
    let price_of = |t: i128| Decimal::from_i128_with_scale(t, 0) * tick;
    let (long_liq, short_liq) = match config.mode {
        GridMode::Long => {
            let cost = (q * price_of(buy_ticks))
                .checked_add(at_start(sells)?)
                .ok_or_else(too_far)?;
            (
                liquidation_price(Side::Buy, q * Decimal::from(n), cost, m, instrument),
                None,
            )
        }
        GridMode::Short => {
            let cost = (q * price_of(sell_ticks))
                .checked_add(at_start(b)?)
                .ok_or_else(too_far)?;
            (
                None,
                liquidation_price(Side::Sell, q * Decimal::from(n), cost, m, instrument),
            )
        }
        GridMode::Neutral => (
            liquidation_price(Side::Buy, q * Decimal::from(b), q * price_of(buy_ticks), m, instrument),
            liquidation_price(
                Side::Sell,
                q * Decimal::from(sells),
                q * price_of(sell_ticks),
                m,
                instrument,
            ),
        ),
    };
    plan.long_liquidation_price = long_liq;
    plan.short_liquidation_price = short_liq;
    plan.liquidation_price = match (long_liq, short_liq) {
        (Some(l), Some(h)) => {
            // The side relatively closer to (or deeper into) the range.
            if (lower - l) / lower <= (h - upper) / upper {
                Some(l)
            } else {
                Some(h)
            }
        }
        (l, h) => l.or(h),
    };

    // Viability.
    let mut errors = Vec::new();
    if lines.below_tick {
        errors.push(PlanError::SpacingBelowTick {
            min_step: (lines.min_step_ticks * tick).normalize(),
            tick_size: tick,
        });
    }
    if q < instrument.min_qty || q.is_zero() {
        errors.push(PlanError::QtyBelowMinQty {
            qty: q,
            min_qty: instrument.min_qty,
        });
    }
    let smallest_notional = q * lower;
    if smallest_notional < instrument.min_notional {
        errors.push(PlanError::NotionalBelowMin {
            notional: smallest_notional.normalize(),
            min_notional: instrument.min_notional,
        });
    }
    if plan.profit_per_grid_pct.min <= Decimal::ZERO {
        errors.push(PlanError::UnprofitableGrid {
            min_profit_pct: plan.profit_per_grid_pct.min.round_dp(4),
        });
    }
    let long_in = long_liq.filter(|&l| l >= lower);
    let short_in = short_liq.filter(|&h| h <= upper);
    if let Some(liq) = long_in.or(short_in) {
        errors.push(PlanError::LiquidationInRange {
            liquidation_price: liq,
            lower,
            upper,
        });
    }
    errors.extend(leverage_error);
    plan.errors = errors;
    plan.warnings = warnings(&plan, config, long_liq, short_liq);
    Ok(plan)
}

fn validate(config: &GridConfig, instrument: &Instrument, start_price: Decimal) -> Result<(), ValidationError> {
    if config.symbol != instrument.symbol {
        return Err(ValidationError::new(
            "symbol",
            format!(
                "the grid trades {} but the instrument rules are for {}",
                config.symbol, instrument.symbol
            ),
        ));
    }
    let positive = |field: &str, v: Decimal| {
        if v <= Decimal::ZERO {
            Err(ValidationError::new(field, format!("must be greater than 0, got {v}")))
        } else {
            Ok(())
        }
    };
    positive("lower", config.lower)?;
    positive("upper", config.upper)?;
    positive("investment", config.investment)?;
    positive("price", start_price)?;
    if config.investment > MAX_INVESTMENT {
        return Err(ValidationError::new(
            "investment",
            format!("must be at most {MAX_INVESTMENT} USDT, got {}", config.investment),
        ));
    }
    if config.leverage == 0 {
        return Err(ValidationError::new("leverage", "must be at least 1"));
    }
    for (field, v) in [
        ("trigger_price", config.trigger_price),
        ("stop_loss", config.stop_loss),
        ("take_profit", config.take_profit),
    ] {
        if let Some(v) = v {
            positive(field, v)?;
        }
    }
    Ok(())
}

/// Cells with the smallest and largest `(P_c+1 − P_c)/P_c`, which orders the
/// profit-per-grid percentage (it is `100·((1−f)·Δ/P − 2f)`, increasing in
/// `Δ/P`). Exact integer cross-multiplication, no division.
fn extreme_ratio_cells(ticks: &[i64]) -> (usize, usize) {
    let (mut lo, mut hi) = (0usize, 0usize);
    let ratio = |c: usize| ((ticks[c + 1] - ticks[c]) as i128, ticks[c] as i128);
    for c in 1..ticks.len() - 1 {
        let (d, p) = ratio(c);
        let (dl, pl) = ratio(lo);
        if d * pl < dl * p {
            lo = c;
        }
        let (dh, ph) = ratio(hi);
        if d * ph > dh * p {
            hi = c;
        }
    }
    (lo, hi)
}

/// Cells with the smallest and largest quote profit, which is proportional
/// to `Δ·(1 − f) − 2f·P` (in ticks, `f = m·10^-e`: `Δ·(10^e − m) − 2m·P`).
/// `None` when the fee's precision would overflow the integer path.
fn extreme_quote_cells(ticks: &[i64], maker_fee: Decimal) -> Option<(usize, usize)> {
    let fee = maker_fee.normalize();
    let m = fee.mantissa();
    let unit = 10i128.checked_pow(fee.scale())?;
    let value = |c: usize| -> Option<i128> {
        let d = (ticks[c + 1] - ticks[c]) as i128;
        let p = ticks[c] as i128;
        d.checked_mul(unit - m)?.checked_sub(p.checked_mul(2 * m)?)
    };
    let (mut lo, mut hi) = (0usize, 0usize);
    let (mut vlo, mut vhi) = (value(0)?, value(0)?);
    for c in 1..ticks.len() - 1 {
        let v = value(c)?;
        if v < vlo {
            (lo, vlo) = (c, v);
        }
        if v > vhi {
            (hi, vhi) = (c, v);
        }
    }
    Some((lo, hi))
}

fn warnings(
    plan: &GridPlan,
    config: &GridConfig,
    long_liq: Option<Decimal>,
    short_liq: Option<Decimal>,
) -> Vec<PlanWarning> {
    let mut w = Vec::new();
    let lower = plan.levels[0].normalize();
    let upper = plan.levels[plan.levels.len() - 1].normalize();
    let s = plan.start_price;
    if s < lower || s > upper {
        w.push(PlanWarning::StartOutsideRange {
            start_price: s,
            lower,
            upper,
        });
    }
    let near = Decimal::new(5, 2);
    if let Some(l) = long_liq.filter(|&l| l < lower && l >= lower * (Decimal::ONE - near)) {
        w.push(PlanWarning::LiquidationNearRange { liquidation_price: l });
    }
    if let Some(h) = short_liq.filter(|&h| h > upper && h <= upper * (Decimal::ONE + near)) {
        w.push(PlanWarning::LiquidationNearRange { liquidation_price: h });
    }
    if let Some(sl) = config.stop_loss {
        let beyond = if sl < s {
            long_liq.filter(|&l| sl <= l)
        } else {
            short_liq.filter(|&h| sl >= h)
        };
        if let Some(liq) = beyond {
            w.push(PlanWarning::StopLossBeyondLiquidation {
                stop_loss: sl,
                liquidation_price: liq,
            });
        }
    }
    for (which, price) in [("stop-loss", config.stop_loss), ("take-profit", config.take_profit)] {
        if let Some(p) = price.filter(|&p| p > lower && p < upper) {
            w.push(PlanWarning::StopInsideRange {
                which: which.to_owned(),
                price: p,
                lower,
                upper,
            });
        }
    }
    let min_pct = plan.profit_per_grid_pct.min;
    if min_pct > Decimal::ZERO && min_pct < Decimal::new(1, 1) {
        w.push(PlanWarning::ThinProfit {
            min_profit_pct: min_pct.round_dp(4),
        });
    }
    if !plan.qty_per_grid.is_zero() && plan.initial_margin * Decimal::TEN < plan.investment * Decimal::from(9) {
        w.push(PlanWarning::InvestmentUnderused {
            used_pct: (plan.initial_margin * Decimal::ONE_HUNDRED / plan.investment).round_dp(2),
        });
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn btc(lower: Decimal, upper: Decimal, grids: u32, mode: GridMode) -> GridConfig {
        GridConfig::new(
            Instrument::btcusdt().symbol,
            lower,
            upper,
            grids,
            Spacing::Arithmetic,
            mode,
            dec!(1000),
            3,
        )
    }

    #[test]
    fn invalid_input_names_the_field() {
        let i = Instrument::btcusdt();
        let e = plan(&btc(dec!(-1), dec!(10), 5, GridMode::Long), &i, dec!(5)).unwrap_err();
        assert_eq!(e.field, "lower");
        let e = plan(&btc(dec!(1), dec!(10), 5, GridMode::Long), &i, dec!(0)).unwrap_err();
        assert_eq!(e.field, "price");
        let mut c = btc(dec!(1), dec!(10), 5, GridMode::Long);
        c.leverage = 0;
        assert_eq!(plan(&c, &i, dec!(5)).unwrap_err().field, "leverage");
    }

    #[test]
    fn inverted_range_and_grid_count_are_plan_errors_not_panics() {
        let i = Instrument::btcusdt();
        let p = plan(&btc(dec!(35000), dec!(25000), 500, GridMode::Long), &i, dec!(30000)).unwrap();
        assert!(!p.is_viable());
        let codes: Vec<_> = p.errors.iter().map(PlanError::code).collect();
        assert_eq!(codes, ["invalid_range", "grid_count_out_of_range"]);
        assert!(p.levels.is_empty());
    }

    #[test]
    fn the_cell_containing_the_start_price_buys_in_long_and_sells_in_short() {
        let i = Instrument::btcusdt();
        let long = plan(&btc(dec!(100), dec!(200), 10, GridMode::Long), &i, dec!(155)).unwrap();
        assert_eq!(long.buy_cells, 6);
        let short = plan(&btc(dec!(100), dec!(200), 10, GridMode::Short), &i, dec!(155)).unwrap();
        assert_eq!(short.buy_cells, 5);
        // On a line: nothing rests at the start price.
        let on_line = plan(&btc(dec!(100), dec!(200), 10, GridMode::Neutral), &i, dec!(150)).unwrap();
        assert_eq!(on_line.buy_cells, 5);
    }

    #[test]
    fn investment_ratio_rounds_down_to_cents_and_checks_the_ratio() {
        assert_eq!(investment_from_ratio(dec!(100), dec!(0.3333)).unwrap(), dec!(33.33));
        assert_eq!(investment_from_ratio(dec!(100), dec!(1.5)).unwrap_err().field, "ratio");
        assert_eq!(
            investment_from_ratio(dec!(0), dec!(0.5)).unwrap_err().field,
            "available"
        );
    }
}
