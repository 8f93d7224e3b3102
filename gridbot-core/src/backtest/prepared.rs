//! Candles prepared for backtesting: checked once, and each candle's walk
//! reduced to the integer bounds the backtester's quiet-candle test needs.
//!
//! For every candle the walk visits the previous close, the open, the high,
//! the low and the close (in the fill model's order). [`Reach`] keeps, in
//! ticks of the instrument:
//! - `bid_bound` = ⌈lowest point / tick⌉: every segment that can touch a bid
//!   ends at a point, and a bid is touched only at or above `⌈end / tick⌉`
//!   ([`crate::paper::fill_model::SegmentBounds`]), so a book whose best bid
//!   is below `bid_bound` has no bid touched anywhere in the walk;
//! - `ask_bound` = ⌊highest point / tick⌋, the same for asks;
//! - `lo_floor` = ⌊lowest point / tick⌋ and `hi_ceil` = ⌈highest point /
//!   tick⌉: a long whose liquidation price `l` has `⌊l / tick⌋ < lo_floor`
//!   is below every point (`l < (⌊l/tick⌋ + 1)·tick ≤ lo_floor·tick ≤ low`),
//!   so neither a breach at a segment's start nor a fall to `l` can happen;
//!   a short with `⌈l / tick⌉ > hi_ceil` likewise;
//! - `path`: the walk's five points in walk order, in units of `10^-S` (`S`
//!   the largest scale in the data): a candle that does touch something is
//!   walked segment by segment, and each segment's direction and tick
//!   bounds come from these integers (a segment that touches nothing is not
//!   walked either);
//! - `close_f`: the close as an `f64`, for the backtester's equity filter
//!   (a filter only: equity itself is always marked in decimals).
//!
//! The bounds are computed exactly, in integers: each price is converted to
//! units of `10^-S` once (`S` ≤ 18 and every value fitting an `i64`) and
//! divided by the tick in those units. A candle whose prices do not convert
//! gets bounds that never pass the test and no `path` (it is walked in full
//! by the decimal walk); the result is the same, only slower.
//!
//! A single backtest ([`run`](super::run)) makes each reach as it gets
//! to the candle ([`ReachMaker`], after one pass for the scale).
//! Preparing costs one pass over the candles; a [`PreparedCandles`] is
//! immutable and shared by reference (or `Arc`) between any number of
//! backtests on any number of threads: the advisor prepares its window once
//! per sweep.

use rust_decimal::Decimal;

use super::BacktestError;
use crate::model::{Candle, Instrument, TimestampMs};
use crate::paper::fill_model::POW10_I64 as POW10;

/// What one candle's walk can reach, in ticks; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Reach {
    /// Bids at or above this may be touched.
    pub bid_bound: i64,
    /// Asks at or below this may be touched.
    pub ask_bound: i64,
    /// `⌊lowest point / tick⌋`.
    pub lo_floor: i64,
    /// `⌈highest point / tick⌉`.
    pub hi_ceil: i64,
    /// Previous close, open, first extreme, second extreme, close, in units
    /// of `10^-S`; `None` when some point does not convert.
    pub path: Option<[i64; 5]>,
    /// The close as an `f64` (NaN when it does not convert).
    pub close_f: f64,
}

impl Reach {
    /// Bounds no book passes: the candle is always walked in full.
    const UNKNOWN: Reach = Reach {
        bid_bound: i64::MIN,
        ask_bound: i64::MAX,
        lo_floor: i64::MIN,
        hi_ceil: i64::MAX,
        path: None,
        close_f: f64::NAN,
    };
}

/// Every candle's [`Reach`] and the tick in units of `10^-S`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reaches {
    pub reach: Vec<Reach>,
    /// The tick in units (0 when it does not convert: then every reach is
    /// unknown).
    pub tick_units: i64,
}

/// `price` in units of `10^-scale`, when it fits an `i64`.
#[inline]
fn units(price: Decimal, scale: u32) -> Option<i64> {
    let shift = scale.checked_sub(price.scale())?;
    let factor = *POW10.get(shift as usize)?;
    i64::try_from(price.mantissa()).ok()?.checked_mul(factor)
}

/// `(⌊a / b⌋, ⌈a / b⌉)` for `b > 0`, with one division.
#[inline]
pub(crate) fn floor_ceil(a: i64, b: i64) -> (i64, i64) {
    let (q, r) = (a / b, a % b);
    let floor = if r < 0 { q - 1 } else { q };
    (floor, if r == 0 { floor } else { floor + 1 })
}

/// Makes the reaches of candles on a tick grid one candle at a time, in
/// order (see the module docs): what [`reaches`] collects, and what a
/// single backtest computes as it goes instead of storing them.
#[derive(Debug, Clone)]
pub(crate) struct ReachMaker {
    /// The largest scale in the data (and the tick's).
    scale: u32,
    /// The tick in units of `10^-scale` (0 when it does not convert: then
    /// every reach is unknown).
    pub tick_units: i64,
    /// `10^scale` as an `f64`.
    unit: f64,
    /// The previous candle's close in units (the first candle's open at
    /// first), when it converted.
    prev: Option<i64>,
}

impl ReachMaker {
    /// A maker for `candles` (all of them: the scale is theirs) on a
    /// `tick` grid.
    pub fn new(candles: &[Candle], tick: Decimal) -> Self {
        ReachMaker::with_scale(candles, tick, candles.iter().map(price_scale).max().unwrap_or(0))
    }

    /// [`ReachMaker::new`] given the candles' largest price scale
    /// (`data_scale`, from [`check_scan`]).
    pub fn with_scale(candles: &[Candle], tick: Decimal, data_scale: u32) -> Self {
        let scale = tick.scale().max(data_scale);
        let tick_units = units(tick, scale).filter(|t| *t > 0).unwrap_or(0);
        ReachMaker {
            scale,
            tick_units,
            unit: POW10.get(scale as usize).map_or(f64::NAN, |p| *p as f64),
            prev: candles.first().and_then(|c| units(c.open, scale)),
        }
    }

    /// The reach of `c`, the candle after the previous one asked for (the
    /// first candle first).
    #[inline]
    pub fn next(&mut self, c: &Candle) -> Reach {
        let (tu, scale) = (self.tick_units, self.scale);
        if tu == 0 {
            return Reach::UNKNOWN;
        }
        // Every point converted, or `None` (then the candle is walked in
        // full and the next one's previous close is unknown too).
        let (o, h, l, cl) = (
            units(c.open, scale),
            units(c.high, scale),
            units(c.low, scale),
            units(c.close, scale),
        );
        let reach = match (self.prev, o, h, l, cl) {
            (Some(p), Some(o), Some(h), Some(l), Some(cl)) => {
                let lo = p.min(o).min(h.min(l)).min(cl);
                let hi = p.max(o).max(h.max(l)).max(cl);
                let (lo_floor, lo_ceil) = floor_ceil(lo, tu);
                let (hi_floor, hi_ceil) = floor_ceil(hi, tu);
                // The fill model's order: low first when the candle closes
                // at or above its open.
                let (x1, x2) = if cl >= o { (l, h) } else { (h, l) };
                Reach {
                    bid_bound: lo_ceil,
                    ask_bound: hi_floor,
                    lo_floor,
                    hi_ceil,
                    path: Some([p, o, x1, x2, cl]),
                    close_f: cl as f64 / self.unit,
                }
            }
            _ => Reach::UNKNOWN,
        };
        self.prev = cl;
        reach
    }
}

/// The reaches of `candles` on a `tick` grid (see the module docs).
pub(crate) fn reaches(candles: &[Candle], tick: Decimal) -> Reaches {
    let mut maker = ReachMaker::new(candles, tick);
    Reaches {
        reach: candles.iter().map(|c| maker.next(c)).collect(),
        tick_units: maker.tick_units,
    }
}

/// The largest scale of a candle's prices.
#[inline]
fn price_scale(c: &Candle) -> u32 {
    c.open
        .scale()
        .max(c.high.scale())
        .max(c.low.scale().max(c.close.scale()))
}

/// [`check`] and the candles' largest price scale, in one pass over them
/// (a single backtest reads its candles once before the run).
pub(crate) fn check_scan(candles: &[Candle]) -> Result<(TimestampMs, u32), BacktestError> {
    let Some(first) = candles.first() else {
        return Err(BacktestError::NoCandles);
    };
    let (mut step, mut scale, mut prev) = (None::<TimestampMs>, price_scale(first), first.ts);
    for (index, c) in candles.iter().enumerate().skip(1) {
        if c.ts <= prev {
            return Err(BacktestError::Unordered { index, ts: c.ts });
        }
        // As `check` subtracts (wrapping only where it would overflow).
        let gap = c.ts.wrapping_sub(prev);
        step = Some(step.map_or(gap, |s| s.min(gap)));
        scale = scale.max(price_scale(c));
        prev = c.ts;
    }
    Ok((step.unwrap_or(60_000).max(1), scale))
}

/// Checks that candles can be backtested and returns a candle's length: the
/// smallest spacing in the data (gaps are longer), 1 min for a single candle.
pub(crate) fn check(candles: &[Candle]) -> Result<TimestampMs, BacktestError> {
    if candles.is_empty() {
        return Err(BacktestError::NoCandles);
    }
    if let Some(i) = candles.windows(2).position(|w| w[1].ts <= w[0].ts) {
        return Err(BacktestError::Unordered {
            index: i + 1,
            ts: candles[i + 1].ts,
        });
    }
    Ok(candles
        .windows(2)
        .map(|w| w[1].ts - w[0].ts)
        .min()
        .unwrap_or(60_000)
        .max(1))
}

/// Candles checked and prepared once for any number of backtests of one
/// instrument; run them with [`run_prepared`](super::run_prepared).
///
/// For each candle it holds, computed exactly in integers, the tick bounds
/// of what the candle's walk (previous close → open → first extreme →
/// second extreme → close) can reach: `⌈lowest point / tick⌉` (no bid below
/// it is touched), `⌊highest point / tick⌋` (no ask above it), the floor of
/// the lowest and the ceiling of the highest point (a liquidation price
/// beyond them is not reached), and the walk's points in integer units of
/// the data's finest decimal. A book whose best bid, best ask and
/// liquidation price all lie outside a candle's bounds is not changed by
/// its walk, so the backtester does not walk it.
#[derive(Debug, Clone)]
pub struct PreparedCandles {
    instrument: Instrument,
    candles: Vec<Candle>,
    step: TimestampMs,
    reaches: Reaches,
}

impl PreparedCandles {
    /// Prepares `candles` (oldest first, any interval, gaps allowed) for
    /// backtests on `instrument`; refuses what [`run`](super::run) refuses
    /// about candles (none, out of order or repeated).
    pub fn new(instrument: &Instrument, candles: &[Candle]) -> Result<PreparedCandles, BacktestError> {
        let step = check(candles)?;
        Ok(PreparedCandles {
            instrument: instrument.clone(),
            candles: candles.to_vec(),
            step,
            reaches: reaches(candles, instrument.tick_size),
        })
    }

    /// The instrument the candles were prepared for.
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// The candles, oldest first.
    pub fn candles(&self) -> &[Candle] {
        &self.candles
    }

    pub(crate) fn step(&self) -> TimestampMs {
        self.step
    }

    pub(crate) fn reaches(&self) -> &Reaches {
        &self.reaches
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paper::fill_model::{ticks_ceil, ticks_floor};
    use proptest::prelude::*;

    fn candle(ts: i64, o: Decimal, h: Decimal, l: Decimal, c: Decimal) -> Candle {
        Candle {
            ts,
            open: o,
            high: h,
            low: l,
            close: c,
            volume: Decimal::ONE,
        }
    }

    proptest! {
        /// The integer bounds equal the fill model's own tick conversions of
        /// the walk's lowest and highest points, on any mix of scales.
        #[test]
        fn bounds_equal_the_fill_models_tick_conversions(
            raw in proptest::collection::vec((1i64..10_000_000, 0u32..4, 0i64..5_000, 0i64..5_000, -4_000i64..4_000), 1..30),
            tick_scale in 0u32..3,
        ) {
            let tick = Decimal::new(5, tick_scale);
            let candles: Vec<Candle> = raw
                .iter()
                .enumerate()
                .map(|(i, &(o, s, up, down, move_))| {
                    let d = |v: i64| Decimal::new(v, s);
                    let low = (o - down).max(1);
                    let close = (o + move_).clamp(low, o + up);
                    candle(i as i64 * 60_000, d(o), d(o + up), d(low), d(close))
                })
                .collect();
            let r = reaches(&candles, tick);
            let mut prev = candles[0].open;
            for (c, reach) in candles.iter().zip(&r.reach) {
                let pts = [prev, c.open, c.high, c.low, c.close];
                let lo = pts.iter().copied().min().unwrap();
                let hi = pts.iter().copied().max().unwrap();
                prop_assert_eq!(reach.bid_bound, ticks_ceil(lo, tick));
                prop_assert_eq!(reach.ask_bound, ticks_floor(hi, tick));
                prop_assert_eq!(reach.lo_floor, ticks_floor(lo, tick));
                prop_assert_eq!(reach.hi_ceil, ticks_ceil(hi, tick));
                // The path is the fill model's walk, point by point, and
                // its tick conversions are the fill model's.
                let path = reach.path.unwrap();
                let (segs, _) = crate::paper::fill_model::candle_segments(Some(prev), c);
                for (k, seg) in segs.iter().enumerate() {
                    prop_assert_eq!(path[k].cmp(&path[k + 1]), seg.from.cmp(&seg.to));
                    let (f, cl) = floor_ceil(path[k + 1], r.tick_units);
                    prop_assert_eq!((f, cl), (ticks_floor(seg.to, tick), ticks_ceil(seg.to, tick)));
                }
                let close: f64 = c.close.to_string().parse().unwrap();
                prop_assert!((reach.close_f - close).abs() <= close.abs() * 1e-15);
                prev = c.close;
            }
        }
    }

    #[test]
    fn prices_that_do_not_fit_leave_the_candle_always_walked() {
        let huge = Decimal::from_i128_with_scale(10i128.pow(26), 2);
        let one = Decimal::ONE;
        let candles = vec![candle(0, one, one, one, one), candle(60_000, one, huge, one, one)];
        let r = reaches(&candles, Decimal::new(1, 1));
        assert!(r.reach[0].path.is_some());
        assert_eq!(r.reach[1].bid_bound, i64::MIN);
        assert_eq!(r.reach[1].ask_bound, i64::MAX);
        assert_eq!(r.reach[1].path, None);
        let r = reaches(
            &[candle(0, one, one, one, one)],
            Decimal::from_i128_with_scale(10i128.pow(20), 0),
        );
        assert_eq!(r.tick_units, 0, "a tick beyond an i64 does not convert");
        assert!(r.reach.iter().all(|x| x.path.is_none() && x.lo_floor == i64::MIN));
    }

    proptest! {
        /// The one-pass check finds what `check` finds (the same error, or
        /// the same step) and the largest price scale.
        #[test]
        fn the_one_pass_check_is_check(
            raw in proptest::collection::vec((-5i64..200, 0u32..6), 0..12),
        ) {
            let candles: Vec<Candle> = raw
                .iter()
                .scan(0i64, |ts, &(dt, s)| {
                    *ts += dt * 1000;
                    let p = Decimal::new(12345, s);
                    Some(candle(*ts, p, p, p, p))
                })
                .collect();
            let scanned = check_scan(&candles);
            prop_assert_eq!(scanned.clone().map(|(step, _)| step), check(&candles));
            if let Ok((_, scale)) = scanned {
                prop_assert_eq!(scale, raw.iter().map(|r| r.1).max().unwrap_or(0));
            }
        }
    }

    #[test]
    fn preparing_refuses_what_a_backtest_refuses() {
        let i = Instrument::btcusdt();
        assert_eq!(PreparedCandles::new(&i, &[]).unwrap_err(), BacktestError::NoCandles);
        let c = candle(60_000, Decimal::ONE, Decimal::ONE, Decimal::ONE, Decimal::ONE);
        assert!(matches!(
            PreparedCandles::new(&i, &[c, c]),
            Err(BacktestError::Unordered { index: 1, .. })
        ));
        let p = PreparedCandles::new(&i, &[c]).unwrap();
        assert_eq!((p.candles().len(), p.step()), (1, 60_000));
    }
}
