//! The fill model shared by the paper exchange and the backtester.
//!
//! Everything that decides *whether* and *at what price* something fills
//! lives here, so that a paper account and a backtest of the same orders over
//! the same candles produce the same fills. The rules are written out in the
//! [`crate::paper`] module docs; this file is their implementation.
//!
//! Invariants:
//! - A candle is walked as at most four monotonic segments
//!   (previous price → open → first extreme → second extreme → close).
//! - Touch tests on integer ticks equal the Decimal tests exactly: a buy limit
//!   `P` is touched by a walk down to `b` iff `P ≥ b` iff
//!   `ticks(P) ≥ ceil(b / tick)`; a sell limit is touched by a walk up to `b`
//!   iff `ticks(P) ≤ floor(b / tick)`.

use std::cmp::Ordering;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::book::Slot;
use crate::model::{Candle, Side, TimestampMs};

/// Offsets (ms from the candle's open time) at which the walk reaches the
/// open, the first extreme, the second extreme and the close. Fills are
/// stamped with the time of the point that ends their segment.
pub const PATH_OFFSETS_MS: [i64; 4] = [0, 20_000, 40_000, 59_999];

/// The four points a candle's price visits, in order: open, low, high, close
/// when the candle closes at or above its open, else open, high, low, close.
pub fn candle_path(candle: &Candle) -> [Decimal; 4] {
    if candle.close >= candle.open {
        [candle.open, candle.low, candle.high, candle.close]
    } else {
        [candle.open, candle.high, candle.low, candle.close]
    }
}

/// One monotonic move of the price from `from` to `to`, reached at `ts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Where the price starts.
    pub from: Decimal,
    /// Where it ends.
    pub to: Decimal,
    /// Time at which `to` is reached.
    pub ts: TimestampMs,
}

impl Segment {
    /// True when the price falls along this segment.
    pub fn is_down(&self) -> bool {
        self.to < self.from
    }
}

/// The segments of a candle's walk, starting from `prev` (the last known
/// price) when given: a gap between `prev` and the open is walked as its own
/// segment, stamped with the candle's open time. Zero-length segments are
/// kept (they touch orders resting exactly at that price).
pub fn candle_segments(prev: Option<Decimal>, candle: &Candle) -> ([Segment; 4], Segment) {
    let path = candle_path(candle);
    let gap = Segment {
        from: prev.unwrap_or(path[0]),
        to: path[0],
        ts: candle.ts,
    };
    let seg = |i: usize| Segment {
        from: path[i],
        to: path[i + 1],
        ts: candle.ts + PATH_OFFSETS_MS[i + 1],
    };
    let last = Segment {
        from: path[3],
        to: path[3],
        ts: candle.ts + PATH_OFFSETS_MS[3],
    };
    ([gap, seg(0), seg(1), seg(2)], last)
}

/// True when a resting limit order on `side` at `limit` is touched by a walk
/// from `from` to `to`: a buy when the price reaches `limit` or below, a sell
/// when it reaches `limit` or above.
pub fn touches(side: Side, limit: Decimal, from: Decimal, to: Decimal) -> bool {
    match side {
        Side::Buy => from.min(to) <= limit,
        Side::Sell => from.max(to) >= limit,
    }
}

/// `price / tick` as an exact integer fraction `(num, den)`, `den > 0`,
/// from the decimals' mantissas and scales (no decimal division).
fn tick_ratio(price: Decimal, tick: Decimal) -> Option<(i128, i128)> {
    const POW10: [i128; 29] = {
        let mut t = [1i128; 29];
        let mut i = 1;
        while i < 29 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    let num = price.mantissa().checked_mul(*POW10.get(tick.scale() as usize)?)?;
    let den = tick.mantissa().checked_mul(*POW10.get(price.scale() as usize)?)?;
    (den > 0).then_some((num, den))
}

/// `10^k` for `k ≤ 18` (every power that fits an `i64`).
pub(crate) const POW10_I64: [i64; 19] = {
    let mut t = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// [`tick_ratio`] when both terms fit an `i64` (the common case, without
/// 128-bit division).
#[inline]
fn tick_ratio_i64(price: Decimal, tick: Decimal) -> Option<(i64, i64)> {
    let num = i64::try_from(price.mantissa())
        .ok()?
        .checked_mul(*POW10_I64.get(tick.scale() as usize)?)?;
    let den = i64::try_from(tick.mantissa())
        .ok()?
        .checked_mul(*POW10_I64.get(price.scale() as usize)?)?;
    (den > 0).then_some((num, den))
}

/// `price` in whole ticks, when it lies on the tick grid and fits an `i64`.
pub fn to_ticks(price: Decimal, tick: Decimal) -> Option<i64> {
    if tick.is_sign_negative() || tick.is_zero() {
        return None;
    }
    if let Some((num, den)) = tick_ratio_i64(price, tick) {
        return (num % den == 0).then_some(num / den);
    }
    match tick_ratio(price, tick) {
        Some((num, den)) => (num % den == 0).then(|| i64::try_from(num / den).ok()).flatten(),
        None => {
            let units = price.checked_div(tick)?;
            if !units.fract().is_zero() {
                return None;
            }
            units.to_i64()
        }
    }
}

fn saturate(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// `num / den` rounded down, in 64-bit arithmetic when both fit (the common case).
fn div_floor(num: i128, den: i128) -> i128 {
    match (i64::try_from(num), i64::try_from(den)) {
        (Ok(n), Ok(d)) => i128::from(n.div_euclid(d)),
        _ => num.div_euclid(den),
    }
}

/// The lowest tick count whose price is at or above `price` (saturating).
pub fn ticks_ceil(price: Decimal, tick: Decimal) -> i64 {
    match tick_ratio(price, tick) {
        Some((num, den)) => saturate(-div_floor(-num, den)),
        None => match price.checked_div(tick) {
            Some(u) => u
                .ceil()
                .to_i64()
                .unwrap_or(if u.is_sign_negative() { i64::MIN } else { i64::MAX }),
            None => i64::MAX,
        },
    }
}

/// The highest tick count whose price is at or below `price` (saturating).
pub fn ticks_floor(price: Decimal, tick: Decimal) -> i64 {
    match tick_ratio(price, tick) {
        Some((num, den)) => saturate(div_floor(num, den)),
        None => match price.checked_div(tick) {
            Some(u) => u
                .floor()
                .to_i64()
                .unwrap_or(if u.is_sign_negative() { i64::MIN } else { i64::MAX }),
            None => i64::MAX,
        },
    }
}

/// The price at which an isolated position is liquidated: where margin plus
/// unrealised PnL equals `mmr × notional`.
///
/// Long `q > 0`: `(entry − margin/q) / (1 − mmr)`; short: `(entry +
/// margin/|q|) / (1 + mmr)`. `None` when flat or when the long's price would
/// be ≤ 0 (it can never be liquidated).
pub fn liquidation_price(qty: Decimal, entry: Decimal, margin: Decimal, mmr: Decimal) -> Option<Decimal> {
    if qty.is_zero() {
        return None;
    }
    let per_unit = margin.checked_div(qty.abs())?;
    if qty.is_sign_positive() {
        let p = (entry - per_unit).checked_div(Decimal::ONE - mmr)?;
        (p > Decimal::ZERO).then_some(p)
    } else {
        (entry + per_unit).checked_div(Decimal::ONE + mmr)
    }
}

/// True when a position of signed `qty` is at or past its liquidation price
/// `liq` with the price at `price`.
pub fn is_breached(qty: Decimal, liq: Decimal, price: Decimal) -> bool {
    if qty.is_sign_positive() {
        price <= liq
    } else {
        price >= liq
    }
}

/// The market-order fill price: `price` moved against the taker by
/// `slippage_bps` basis points, then snapped to the tick away from the
/// taker's favour (buys up, sells down).
pub fn market_fill_price(side: Side, price: Decimal, slippage_bps: Decimal, tick: Decimal) -> Decimal {
    let factor = slippage_bps / Decimal::from(10_000);
    let moved = match side {
        Side::Buy => price + price * factor,
        Side::Sell => price - price * factor,
    };
    let units = moved / tick;
    let snapped = match side {
        Side::Buy => units.ceil(),
        Side::Sell => units.floor(),
    } * tick;
    snapped.max(tick).normalize()
}

/// A walk segment with its touch bounds in ticks, computed once and shared
/// by every book walked over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentBounds {
    /// The segment.
    pub seg: Segment,
    /// Bids at or above this many ticks are touched: `ceil(min(from, to) / tick)`
    /// (`i64::MAX` on a rising segment).
    pub bid_min: i64,
    /// Asks at or below this many ticks are touched: `floor(max(from, to) / tick)`
    /// (`i64::MIN` on a falling segment).
    pub ask_max: i64,
}

impl SegmentBounds {
    /// The bounds of `seg` on a `tick` grid. Only the side a segment can
    /// touch is computed (bids falling, asks rising, both when flat); the
    /// other is set so that it touches nothing.
    pub fn new(seg: Segment, tick: Decimal) -> Self {
        let (bid_min, ask_max) = if seg.to < seg.from {
            (ticks_ceil(seg.to, tick), i64::MIN)
        } else if seg.to > seg.from {
            (i64::MAX, ticks_floor(seg.to, tick))
        } else {
            (ticks_ceil(seg.to, tick), ticks_floor(seg.to, tick))
        };
        SegmentBounds { seg, bid_min, ask_max }
    }
}

/// Resting orders and a position, as the walk sees them. Implemented by a
/// paper account (per symbol) and by the backtester's book.
pub trait Resting {
    /// The first bid a walk down to `min_ticks` touches (highest price,
    /// oldest first) and its limit price.
    fn first_bid(&self, min_ticks: i64) -> Option<(Slot, Decimal)>;
    /// The first ask a walk up to `max_ticks` touches (lowest price, oldest
    /// first) and its limit price.
    fn first_ask(&self, max_ticks: i64) -> Option<(Slot, Decimal)>;
    /// `(is_long, liquidation price)` of the open position, if any.
    fn liquidation(&self) -> Option<(bool, Decimal)>;
    /// Fills resting order `slot` at its limit `price` (maker) at `ts`.
    fn fill(&mut self, slot: Slot, price: Decimal, ts: TimestampMs);
    /// Liquidates the position at `ts`.
    fn liquidate(&mut self, ts: TimestampMs);
}

/// Walks one monotonic segment over `book`, filling and liquidating in the
/// order the price meets them:
/// - a position already past its liquidation price at the segment's start
///   is liquidated first;
/// - falling: the highest touched bid or the long's liquidation price,
///   whichever is higher (liquidation on a tie), until neither is reached;
/// - rising: the lowest touched ask or the short's liquidation price,
///   whichever is lower (liquidation on a tie);
/// - flat (a gap of zero or the first price): every bid at or above and
///   every ask at or below the price.
///
/// Resting bids are always below the last price and asks above it (a
/// crossing order fills on placement), so a falling walk only meets bids
/// and a rising one only asks. Orders placed by `fill` callbacks join the
/// walk at once: a bid placed below the price during a fall is met later in
/// the same segment.
pub fn walk_segment<R: Resting + ?Sized>(book: &mut R, b: &SegmentBounds) {
    let seg = b.seg;
    // The segment does not change while it is walked: compare once.
    let direction = seg.to.cmp(&seg.from);
    loop {
        let liq = book.liquidation();
        if let Some((long, l)) = liq {
            let qty_sign = if long { Decimal::ONE } else { Decimal::NEGATIVE_ONE };
            if is_breached(qty_sign, l, seg.from) {
                book.liquidate(seg.ts);
                continue;
            }
        }
        if direction == Ordering::Less {
            let bid = book.first_bid(b.bid_min);
            let liq = liq.filter(|(long, l)| *long && *l >= seg.to).map(|(_, l)| l);
            match (bid, liq) {
                (Some((_, p)), Some(l)) if l >= p => book.liquidate(seg.ts),
                (Some((slot, p)), _) => book.fill(slot, p, seg.ts),
                (None, Some(_)) => book.liquidate(seg.ts),
                (None, None) => return,
            }
        } else if direction == Ordering::Greater {
            let ask = book.first_ask(b.ask_max);
            let liq = liq.filter(|(long, l)| !*long && *l <= seg.to).map(|(_, l)| l);
            match (ask, liq) {
                (Some((_, p)), Some(l)) if l <= p => book.liquidate(seg.ts),
                (Some((slot, p)), _) => book.fill(slot, p, seg.ts),
                (None, Some(_)) => book.liquidate(seg.ts),
                (None, None) => return,
            }
        } else if let Some((slot, p)) = book.first_bid(b.bid_min) {
            book.fill(slot, p, seg.ts);
        } else if let Some((slot, p)) = book.first_ask(b.ask_max) {
            book.fill(slot, p, seg.ts);
        } else {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn candle(o: Decimal, h: Decimal, l: Decimal, c: Decimal) -> Candle {
        Candle {
            ts: 0,
            open: o,
            high: h,
            low: l,
            close: c,
            volume: dec!(1),
        }
    }

    #[test]
    fn a_rising_candle_walks_low_before_high_and_a_falling_one_high_before_low() {
        let up = candle(dec!(10), dec!(12), dec!(9), dec!(11));
        assert_eq!(candle_path(&up), [dec!(10), dec!(9), dec!(12), dec!(11)]);
        let down = candle(dec!(10), dec!(12), dec!(9), dec!(9.5));
        assert_eq!(candle_path(&down), [dec!(10), dec!(12), dec!(9), dec!(9.5)]);
    }

    #[test]
    fn a_gap_from_the_previous_price_is_its_own_segment() {
        let c = candle(dec!(90), dec!(91), dec!(89), dec!(90));
        let (segs, _) = candle_segments(Some(dec!(100)), &c);
        assert_eq!((segs[0].from, segs[0].to), (dec!(100), dec!(90)));
        assert!(segs[0].is_down());
    }

    #[test]
    fn liquidation_price_puts_margin_plus_pnl_at_the_maintenance_margin() {
        // 10x long of 1 at 100: margin 10.
        let liq = liquidation_price(dec!(1), dec!(100), dec!(10), dec!(0.004)).unwrap();
        let equity = dec!(10) + (liq - dec!(100));
        assert!((equity - dec!(0.004) * liq).abs() < dec!(0.0000000001));
        let liq_s = liquidation_price(dec!(-1), dec!(100), dec!(10), dec!(0.004)).unwrap();
        let equity_s = dec!(10) + (dec!(100) - liq_s);
        assert!((equity_s - dec!(0.004) * liq_s).abs() < dec!(0.0000000001));
    }

    #[test]
    fn market_price_moves_against_the_taker_and_snaps_away_from_them() {
        assert_eq!(market_fill_price(Side::Buy, dec!(100), dec!(5), dec!(0.1)), dec!(100.1));
        assert_eq!(market_fill_price(Side::Sell, dec!(100), dec!(5), dec!(0.1)), dec!(99.9));
        assert_eq!(market_fill_price(Side::Buy, dec!(100), dec!(0), dec!(0.1)), dec!(100));
    }

    proptest! {
        /// `to_ticks` (64-bit when it fits, else 128-bit) is the decimal
        /// quotient exactly when the remainder is zero.
        #[test]
        fn to_ticks_is_the_whole_decimal_quotient(
            m in any::<i64>(),
            s in 0u32..20,
            tm in 1i64..1000,
            ts in 0u32..10,
            big in any::<bool>(),
        ) {
            let p = if big { Decimal::from_i128_with_scale(i128::from(m) * 1_000_000_007, s) } else { Decimal::new(m, s) };
            let t = Decimal::new(tm, ts);
            // Where the decimal quotient itself overflows there is nothing
            // to compare with.
            let (Some(r), Some(q)) = (p.checked_rem(t), p.checked_div(t)) else {
                return Ok(());
            };
            let expect = if r.is_zero() { q.to_i64() } else { None };
            prop_assert_eq!(to_ticks(p, t), expect, "{} / {}", p, t);
        }

        #[test]
        fn tick_touch_tests_equal_the_decimal_tests(limit_ticks in 1i64..2_000_000, bound in 1u64..200_000_000u64) {
            let tick = dec!(0.1);
            let limit = Decimal::from(limit_ticks) * tick;
            let b = Decimal::new(bound as i64, 3);
            let above = b + dec!(1000);
            prop_assert_eq!(limit_ticks >= ticks_ceil(b, tick), touches(Side::Buy, limit, above, b));
            prop_assert_eq!(limit_ticks <= ticks_floor(b, tick), touches(Side::Sell, limit, dec!(0), b));
            prop_assert_eq!(to_ticks(limit, tick), Some(limit_ticks));
            let exact = b / tick;
            prop_assert_eq!(Decimal::from(ticks_ceil(b, tick)), exact.ceil());
            prop_assert_eq!(Decimal::from(ticks_floor(b, tick)), exact.floor());
        }
    }
}
