//! Walk-forward selection: how the backtest advisor chooses, checks and
//! forecasts its picks.
//!
//! # Scheme
//!
//! The request's candles end at `now`. Before `now` lie `W` consecutive
//! **validation windows** of `D` days each ([`Scheme`]; `W` = 4 and `D` = 7
//! by default, fewer windows when the candles do not reach that far back).
//! Each window has a **lookback**: the `L` days (7) before it.
//!
//! A candidate is a [`Rule`] — a grid relative to the price and the weekly
//! volatility σ (daily σ of the lookback's log returns × √7), see
//! [`super::candidates`]. In window `j` the rule becomes the concrete grid
//! it gives at the window's first open and the σ of the window's lookback —
//! only what was known when the window began — and that grid is backtested
//! over the window. So every window is out of sample for the rule, and a
//! rule scores well only if it did well in several consecutive weeks and
//! regimes rather than in the one week a single backtest would show.
//!
//! # Rejections
//!
//! A rule is out when, in any window, its grid is not viable, its backtest
//! fails or is liquidated; and when its grid at the current price and σ is
//! not viable or not **safe**: each of its estimated liquidation prices
//! (below for the long side, above for the short side; a neutral grid has
//! both, [`crate::grid::GridPlan::long_liquidation_price`]) must lie
//! farther from the price than a plausible next-week move that way
//! ([`Moves`]: the larger of a [`SAFETY_SIGMAS`]-σ weekly log move and the
//! largest move over any `D`-day span of the candles).
//!
//! # Score
//!
//! `score = μ·mean − λ·sd − penalties` over the windows' ROIs scaled to 7
//! days, percent ([`Penalties`]): the spread (λ = 0.5) punishes luck in
//! one window, and the penalties are what predicts blow-ups and thin
//! profits — liquidation distance short of twice the plausible move, a
//! range narrower than 3.5 weekly σ on a side, and a grid spacing under
//! four round trips' fees. The mean's weight is small (μ = 0.2): on the
//! training data (BTC and ETH 5m, 27 weekly steps each) the validation
//! mean of a pick had no correlation with its next week (−0.05 to 0.06 at
//! each leverage), while width and leverage did matter. For the same
//! reason the profile's drawdown limit is not required in the validation
//! weeks (it is in the in-sample backtest): requiring it favoured setups
//! fitted to calm weeks and lowered the next week's mean. Leverage is not
//! scored: it is the profile's choice (below).
//!
//! # Picks, ordered by risk
//!
//! Profiles are picked in order, conservative first. A profile tries its
//! leverages in its order of preference, highest first
//! ([`super::profile`]): for each, up to [`MAX_TRIES`] of the
//! best-scoring rules at that leverage, and the first whose grid at the
//! current price also passes the **in-sample backtest** over the last `D`
//! days (not liquidated, drawdown within the profile's limit, the figures
//! shown as `backtest_roi_pct`), keeps the order (no lower leverage and no
//! smaller in-sample drawdown than the pick of the profile before), is not
//! the very grid a less risky profile picked, and has a positive forecast
//! is the pick. Only when no rule at a leverage passes
//! does the profile step down to the next. So conservative never shows a
//! larger drawdown or leverage than moderate, nor moderate than
//! aggressive, and a profile whose own leverage is unsafe this week shows
//! the riskiest setup that is safe rather than none; a profile with no
//! pick at all says why ([`crate::ports::ProfileUnavailable`]).
//!
//! # Track record
//!
//! For every window `j ≥ 2`, the profile's best rule on windows `1..j−1`
//! (same rejections but the current safety test, same score, the same
//! preference for the profile's highest leverage) and what it returned in
//! window `j`: what this method would have shown and delivered on this
//! symbol, shown beside the forecast ([`super::forecast`]).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::candidates::{Candidate, Rule};
use super::profile::Profile;
use super::sweep::{config_of, BacktestOutcome, GridBacktester, Rejection};
use crate::analysis::indicators::{log_return_std, resample_hourly, to_f64};
use crate::analysis::DAY_MS;
use crate::backtest::PreparedCandles;
use crate::grid::{plan, GridPlan};
use crate::model::{Candle, Instrument, Interval, TimestampMs};
use crate::ports::RiskLevel;

/// Weekly σ a plausible next-week move is at least.
pub const SAFETY_SIGMAS: f64 = 3.0;

/// Most rules tried per profile and leverage for the in-sample backtest and
/// the order.
pub const MAX_TRIES: usize = 48;

/// Weights of the score (see the module docs), percent of weekly ROI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Penalties {
    /// Weight of the windows' mean.
    pub mean: f64,
    /// Weight of the windows' standard deviation.
    pub spread: f64,
    /// Per unit of `2 − liquidation distance / plausible move` (when > 0).
    pub liquidation: f64,
    /// Per weekly σ of room short of 3.5 on the narrower side.
    pub width: f64,
    /// Per unit of `1 − spacing / (4 × round-trip fees)` (when > 0).
    pub fees: f64,
}

impl Default for Penalties {
    fn default() -> Self {
        Penalties {
            mean: 0.2,
            spread: 0.5,
            liquidation: 1.0,
            width: 1.0,
            fees: 1.0,
        }
    }
}

/// Windows of a walk-forward (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme {
    /// Number of validation windows.
    pub windows: usize,
    /// Length of a window, ms.
    pub window_ms: i64,
    /// Length of a window's lookback, ms.
    pub lookback_ms: i64,
}

impl Scheme {
    /// The scheme for candles spanning `span_ms`: up to `windows` windows of
    /// `days` days after a lookback of `lookback_days`. When not even one
    /// window fits, one window and its lookback split the span (the window
    /// gets the larger half); `None` when that leaves less than a day each.
    pub fn fit(span_ms: i64, windows: usize, days: u32, lookback_days: u32) -> Option<Scheme> {
        let window_ms = i64::from(days.max(1)) * DAY_MS;
        let lookback_ms = i64::from(lookback_days.max(1)) * DAY_MS;
        let fit = usize::try_from((span_ms - lookback_ms) / window_ms).unwrap_or(0);
        let n = fit.min(windows.max(1));
        if n >= 1 {
            return Some(Scheme {
                windows: n,
                window_ms,
                lookback_ms,
            });
        }
        let lookback_ms = (span_ms / 2).min(lookback_ms);
        let window_ms = span_ms - lookback_ms;
        (lookback_ms >= DAY_MS && window_ms >= DAY_MS).then_some(Scheme {
            windows: 1,
            window_ms,
            lookback_ms,
        })
    }
}

/// Daily volatility of `candles` (interval `interval`), a fraction: the
/// standard deviation of hourly log returns (candles shorter than an hour
/// are first resampled to hours: minute returns carry bid-ask noise that
/// scaled up to a week overstates the weekly σ) × √(bars per day).
pub fn daily_volatility(candles: &[Candle], interval: Interval) -> f64 {
    let hourly = resample_hourly(candles, interval);
    let step = interval.millis().max(Interval::H1.millis());
    let per_day = DAY_MS as f64 / step as f64;
    let v = log_return_std(&hourly) * per_day.sqrt();
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// Plausible next-week moves down and up, fractions of the price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moves {
    /// A fall of this fraction is plausible.
    pub down: f64,
    /// A rise of this fraction is plausible.
    pub up: f64,
}

impl Moves {
    /// A log move of `SAFETY_SIGMAS` weekly σ (down `1 − e^(−zσ)`, up
    /// `e^(zσ) − 1`), or the largest fall and rise over any `horizon_ms` span
    /// of `history` (from a close to the lowest low and highest high within
    /// the span), whichever is larger.
    pub fn of(history: &[Candle], sigma_week: f64, horizon_ms: i64, interval: Interval) -> Moves {
        let z = SAFETY_SIGMAS * sigma_week.max(0.0);
        let mut moves = Moves {
            down: 1.0 - (-z).exp(),
            up: z.exp() - 1.0,
        };
        let n = history.len();
        let span = usize::try_from(horizon_ms / interval.millis().max(1))
            .unwrap_or(1)
            .max(1);
        // Starts every hour of market time (the extremes of a week barely
        // move between nearby starts).
        let stride = usize::try_from(3_600_000 / interval.millis().max(1))
            .unwrap_or(1)
            .max(1);
        let lows: Vec<f64> = history.iter().map(|c| to_f64(c.low)).collect();
        let highs: Vec<f64> = history.iter().map(|c| to_f64(c.high)).collect();
        let mut i = 0;
        while i < n {
            let base = history.get(i).map_or(0.0, |c| to_f64(c.close));
            let end = (i + 1 + span).min(n);
            if base > 0.0 && i + 1 < end {
                let lo = lows[i + 1..end].iter().copied().fold(f64::INFINITY, f64::min);
                let hi = highs[i + 1..end].iter().copied().fold(0.0, f64::max);
                moves.down = moves.down.max(1.0 - lo / base);
                moves.up = moves.up.max(hi / base - 1.0);
            }
            i += stride;
        }
        moves
    }

    /// The move a liquidation at `liquidation` (from `price`) must stay out
    /// of reach of: down when it lies below the price, up when above.
    pub fn against(&self, price: Decimal, liquidation: Decimal) -> f64 {
        if liquidation < price {
            self.down
        } else {
            self.up
        }
    }
}

/// The safety figures of a plan at `price`: its tightest liquidation
/// `(distance, plausible move that way)`, fractions of the price, taken
/// over the long side (below) and the short side (above); `None` when it
/// has no liquidation price.
pub fn tightest(plan: &GridPlan, price: Decimal, moves: &Moves) -> Option<(f64, f64)> {
    [
        plan.long_liquidation_price,
        plan.short_liquidation_price,
        plan.liquidation_price,
    ]
    .into_iter()
    .flatten()
    .map(|l| (liquidation_distance(price, l), moves.against(price, l)))
    .min_by(|a, b| (a.0 - a.1).total_cmp(&(b.0 - b.1)))
}

/// The distance from `price` to `liquidation`, fraction of the price.
pub fn liquidation_distance(price: Decimal, liquidation: Decimal) -> f64 {
    if price <= Decimal::ZERO {
        return 0.0;
    }
    ((price - liquidation).abs() / price).to_f64().unwrap_or(0.0)
}

/// One validation window, prepared.
pub struct Window {
    /// Open time of its first candle.
    pub start: TimestampMs,
    /// Its first open: the price its grids are planned at.
    pub price: Decimal,
    /// Weekly σ of its lookback, a fraction.
    pub sigma_week: f64,
    /// Its candles, prepared (`None` when the backtester refuses them).
    pub prepared: Option<PreparedCandles>,
    /// Its candles.
    pub candles: Vec<Candle>,
    /// Days it covers (for scaling its ROI to 7 days).
    pub days: f64,
}

/// The windows of `scheme` over `candles` ending at `now` (oldest first);
/// windows without candles are left out.
pub fn windows(
    scheme: &Scheme,
    candles: &[Candle],
    interval: Interval,
    now: TimestampMs,
    instrument: &Instrument,
) -> Vec<Window> {
    let mut out = Vec::with_capacity(scheme.windows);
    for j in 0..scheme.windows {
        let back = i64::try_from(scheme.windows - j).unwrap_or(1);
        let start = now - back * scheme.window_ms;
        let end = start + scheme.window_ms;
        let slice = between(candles, start, end);
        let lookback = between(candles, start - scheme.lookback_ms, start);
        let Some(first) = slice.first() else { continue };
        let sigma_week = daily_volatility(lookback, interval) * 7f64.sqrt();
        out.push(Window {
            start,
            price: first.open,
            sigma_week,
            prepared: PreparedCandles::new(instrument, slice).ok(),
            candles: slice.to_vec(),
            days: scheme.window_ms as f64 / DAY_MS as f64,
        });
    }
    out
}

/// The candles with `from ≤ ts < to`.
pub fn between(candles: &[Candle], from: TimestampMs, to: TimestampMs) -> &[Candle] {
    let a = candles.partition_point(|c| c.ts < from);
    let b = candles.partition_point(|c| c.ts < to);
    candles.get(a..b.max(a)).unwrap_or(&[])
}

/// What a rule did in one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowResult {
    /// ROI scaled to 7 days, percent.
    pub roi_7d: f64,
    /// Maximum drawdown, percent.
    pub drawdown: f64,
    /// Liquidated in the window.
    pub liquidated: bool,
}

impl WindowResult {
    /// Whether the result keeps the rule in the running: not liquidated.
    pub fn passes(&self) -> bool {
        !self.liquidated
    }
}

/// Plans `c` at `price` with `investment` and backtests it on `window`'s
/// candles: the window result, or why it could not run.
pub fn run_window(
    c: &Candidate,
    window: &Window,
    instrument: &Instrument,
    investment: Decimal,
    backtester: &dyn GridBacktester,
) -> Result<WindowResult, Rejection> {
    let (_, outcome) = plan_and_backtest(
        c,
        window.price,
        &window.candles,
        window.prepared.as_ref(),
        instrument,
        investment,
        backtester,
    )?;
    let scale = if window.days > 0.0 { 7.0 / window.days } else { 1.0 };
    Ok(WindowResult {
        roi_7d: outcome.roi_pct.to_f64().unwrap_or(0.0) * scale,
        drawdown: outcome.max_drawdown_pct.to_f64().unwrap_or(0.0),
        liquidated: outcome.liquidated,
    })
}

/// Plans `c` at `price` (refused when not viable) and backtests it.
pub fn plan_and_backtest(
    c: &Candidate,
    price: Decimal,
    candles: &[Candle],
    prepared: Option<&PreparedCandles>,
    instrument: &Instrument,
    investment: Decimal,
    backtester: &dyn GridBacktester,
) -> Result<(GridPlan, BacktestOutcome), Rejection> {
    let config = config_of(c, instrument, investment);
    let plan = plan(&config, instrument, price).map_err(|e| Rejection::Backtest(e.to_string()))?;
    if let Some(e) = plan.errors.first() {
        return Err(Rejection::NotViable(e.code()));
    }
    let outcome = match prepared {
        Some(p) => backtester.backtest_prepared(&config, p),
        None => backtester.backtest(&config, instrument, candles),
    }
    .map_err(|e| Rejection::Backtest(e.to_string()))?;
    Ok((plan, outcome))
}

/// Mean and sample standard deviation (0 with fewer than two values).
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// The penalty of a rule (percent of weekly ROI) given its liquidation
/// distance over the plausible move (`None`: no liquidation price) and the
/// weekly σ the spacing is judged at.
pub fn penalty(
    rule: &Rule,
    liq_over_move: Option<f64>,
    sigma_week: f64,
    instrument: &Instrument,
    p: &Penalties,
) -> f64 {
    let liq = liq_over_move.map_or(0.0, |r| (2.0 - r).max(0.0));
    let width = (3.5 - rule.below.min(rule.above)).max(0.0);
    let spacing = (rule.below + rule.above) * sigma_week / f64::from(rule.grids.max(1));
    let round_trip = 2.0 * instrument.maker_fee.to_f64().unwrap_or(0.0);
    let fees = if round_trip > 0.0 {
        (1.0 - spacing / (4.0 * round_trip)).max(0.0)
    } else {
        0.0
    };
    p.liquidation * liq + p.width * width + p.fees * fees
}

/// The score of window results (see the module docs); `None` when a result
/// is missing, failed or liquidated.
pub fn score(
    results: &[Option<Result<WindowResult, Rejection>>],
    penalty: f64,
    p: &Penalties,
) -> Option<(f64, Vec<f64>)> {
    let mut rois = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Some(Ok(w)) if w.passes() => rois.push(w.roi_7d),
            _ => return None,
        }
    }
    if rois.is_empty() {
        return None;
    }
    let (mean, sd) = mean_sd(&rois);
    Some((p.mean * mean - p.spread * sd - penalty, rois))
}

/// The drawdown limit of a profile, percent.
pub fn limit_of(level: RiskLevel) -> f64 {
    Profile::of(level).max_drawdown_pct.to_f64().unwrap_or(0.0)
}

/// The method's track record for one profile (see the module docs): for
/// each window `j ≥ 1` (0-based), the ROI (7-day) in window `j` of the best
/// rule on windows `0..j`. `results[r][j]` is rule `r`'s result in window
/// `j`; `penalties[r]` its penalty.
pub fn track_record(
    rules: &[Rule],
    results: &[Vec<Option<Result<WindowResult, Rejection>>>],
    penalties: &[f64],
    level: RiskLevel,
    p: &Penalties,
) -> Vec<f64> {
    let profile = Profile::of(level);
    let windows = results.first().map_or(0, Vec::len);
    let mut out = Vec::new();
    for j in 1..windows {
        // (preference of the leverage, score, rule): lowest preference
        // index first, then highest score.
        let mut best: Option<(usize, f64, usize)> = None;
        for (r, rule) in rules.iter().enumerate() {
            if rule.risk_level != level {
                continue;
            }
            let Some(tier) = profile.preference(rule.leverage) else {
                continue;
            };
            let (Some(res), Some(pen)) = (results.get(r), penalties.get(r)) else {
                continue;
            };
            let Some((s, _)) = score(&res[..j], *pen, p) else {
                continue;
            };
            if best.is_none_or(|(bt, bs, _)| tier < bt || (tier == bt && s > bs)) {
                best = Some((tier, s, r));
            }
        }
        if let Some((_, _, r)) = best {
            if let Some(Some(Ok(w))) = results.get(r).and_then(|res| res.get(j)) {
                out.push(if w.liquidated { -100.0 } else { w.roi_7d });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_scheme_fits_the_span() {
        let s = Scheme::fit(35 * DAY_MS, 4, 7, 7).unwrap();
        assert_eq!((s.windows, s.window_ms, s.lookback_ms), (4, 7 * DAY_MS, 7 * DAY_MS));
        let s = Scheme::fit(20 * DAY_MS, 4, 7, 7).unwrap();
        assert_eq!(s.windows, 1);
        let s = Scheme::fit(8 * DAY_MS, 4, 7, 7).unwrap();
        assert_eq!((s.windows, s.window_ms, s.lookback_ms), (1, 4 * DAY_MS, 4 * DAY_MS));
        assert_eq!(Scheme::fit(DAY_MS, 4, 7, 7), None);
    }

    fn candle(ts: i64, p: Decimal) -> Candle {
        Candle {
            ts,
            open: p,
            high: p,
            low: p,
            close: p,
            volume: Decimal::ONE,
        }
    }

    #[test]
    fn plausible_moves_cover_sigma_and_the_worst_week_seen() {
        // A 20 % fall then a recovery inside a week, hourly.
        let c: Vec<Candle> = (0..400)
            .map(|i| {
                let p = if (100..110).contains(&i) { dec!(80) } else { dec!(100) };
                candle(i * 3_600_000, p)
            })
            .collect();
        let m = Moves::of(&c, 0.01, 7 * DAY_MS, Interval::H1);
        assert!((m.down - 0.2).abs() < 1e-9, "{m:?}");
        assert!((m.up - 0.25).abs() < 1e-9, "{m:?}");
        // Calm candles: 3 weekly σ of 5 %, as a log move each way.
        let calm = Moves::of(&c[..50], 0.05, 7 * DAY_MS, Interval::H1);
        assert!((calm.down - (1.0 - (-0.15f64).exp())).abs() < 1e-9);
        assert!((calm.up - (0.15f64.exp() - 1.0)).abs() < 1e-9);
        // A huge σ never makes a fall beyond 100 % plausible.
        let wild = Moves::of(&c[..50], 0.6, 7 * DAY_MS, Interval::H1);
        assert!(wild.down < 1.0 && wild.up > 4.0);
        assert_eq!(m.against(dec!(100), dec!(50)), m.down);
        assert_eq!(m.against(dec!(100), dec!(150)), m.up);
    }

    #[test]
    fn a_liquidated_or_failed_window_rules_the_rule_out() {
        let ok = |roi: f64| {
            Some(Ok(WindowResult {
                roi_7d: roi,
                drawdown: 5.0,
                liquidated: false,
            }))
        };
        let p = Penalties::default();
        let (s, rois) = score(&[ok(2.0), ok(4.0)], 0.5, &p).unwrap();
        let sd = 2f64.sqrt();
        assert!((s - (0.2 * 3.0 - 0.5 * sd - 0.5)).abs() < 1e-12);
        assert_eq!(rois, vec![2.0, 4.0]);
        let liq = Some(Ok(WindowResult {
            roi_7d: 9.0,
            drawdown: 5.0,
            liquidated: true,
        }));
        assert!(score(&[ok(2.0), liq], 0.0, &p).is_none());
        // A deep drawdown in a validation week counts through the ROI and
        // the spread, not as a rejection.
        let deep = Some(Ok(WindowResult {
            roi_7d: -9.0,
            drawdown: 40.0,
            liquidated: false,
        }));
        assert!(score(&[ok(2.0), deep], 0.0, &p).is_some());
        assert!(score(&[ok(2.0), Some(Err(Rejection::NotViable("x")))], 0.0, &p).is_none());
        assert!(score(&[ok(2.0), None], 0.0, &p).is_none());
    }
}
