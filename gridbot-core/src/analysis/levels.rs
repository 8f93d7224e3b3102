//! Support and resistance: swing-pivot clusters.
//!
//! Method: on hourly bars, a bar is a swing high when its high is the
//! highest of the `k` bars on each side (`k = 3`), a swing low when its low
//! is the lowest. Pivot prices (highs and lows together: a broken
//! resistance becomes support) are sorted and merged greedily into
//! clusters: a price joins the current cluster while it lies within
//! `tolerance` (relative) of the cluster's mean. A cluster's level is its
//! mean snapped to the nearest tick. Levels below the current price are
//! supports, above it resistances, each nearest first, at most
//! [`MAX_LEVELS`]; a level equal to the price is neither.

use rust_decimal::Decimal;

use crate::model::{Candle, Instrument, Rounding};

/// Most levels reported on each side.
pub const MAX_LEVELS: usize = 5;

/// Bars on each side a pivot must dominate.
pub const PIVOT_SPAN: usize = 3;

/// Swing-pivot prices of `bars`: highs that are the highest and lows that are
/// the lowest of the `span` bars on each side (ties count). In bar order.
pub fn pivots(bars: &[Candle], span: usize) -> Vec<Decimal> {
    let mut out = Vec::new();
    if span == 0 || bars.len() < 2 * span + 1 {
        return out;
    }
    for w in bars.windows(2 * span + 1) {
        let Some(mid) = w.get(span) else { continue };
        if w.iter().all(|b| b.high <= mid.high) {
            out.push(mid.high);
        }
        if w.iter().all(|b| b.low >= mid.low) {
            out.push(mid.low);
        }
    }
    out
}

/// Merges prices into clusters within `tolerance` (relative, e.g. 0.003)
/// of the running mean; returns `(mean, members)` ascending by price.
pub fn clusters(mut prices: Vec<Decimal>, tolerance: Decimal) -> Vec<(Decimal, usize)> {
    prices.sort();
    let mut out: Vec<(Decimal, Decimal, usize)> = Vec::new(); // (sum, mean, n)
    for p in prices {
        match out.last_mut() {
            Some((sum, mean, n)) if p - *mean <= *mean * tolerance => {
                *sum += p;
                *n += 1;
                *mean = *sum / Decimal::from(*n as u64);
            }
            _ => out.push((p, p, 1)),
        }
    }
    out.into_iter().map(|(_, mean, n)| (mean, n)).collect()
}

/// Supports (below `price`, nearest first) and resistances (above, nearest
/// first) from the pivots of `bars`, snapped to the instrument's tick.
pub fn support_resistance(
    bars: &[Candle],
    price: Decimal,
    tolerance: Decimal,
    instrument: &Instrument,
) -> (Vec<Decimal>, Vec<Decimal>) {
    let mut levels: Vec<Decimal> = clusters(pivots(bars, PIVOT_SPAN), tolerance)
        .into_iter()
        .map(|(mean, _)| instrument.round_price(mean, Rounding::Nearest))
        .collect();
    levels.dedup();
    let mut support: Vec<Decimal> = levels.iter().copied().filter(|l| *l < price).collect();
    support.reverse();
    support.truncate(MAX_LEVELS);
    let mut resistance: Vec<Decimal> = levels.into_iter().filter(|l| *l > price).collect();
    resistance.truncate(MAX_LEVELS);
    (support, resistance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn bar(i: i64, h: Decimal, l: Decimal) -> Candle {
        Candle {
            ts: i * 3_600_000,
            open: l,
            high: h,
            low: l,
            close: h,
            volume: dec!(1),
        }
    }

    /// A zig-zag with highs between 94 and 110.2 and lows 20 below, period 8.
    fn zigzag() -> Vec<Candle> {
        let highs = [
            dec!(102),
            dec!(106),
            dec!(110),
            dec!(106),
            dec!(102),
            dec!(98),
            dec!(94),
            dec!(98),
        ];
        (0..32)
            .map(|i| {
                let h = highs[(i % 8) as usize] + Decimal::from(i % 3) / dec!(10);
                bar(i, h, h - dec!(20))
            })
            .collect()
    }

    #[test]
    fn a_bar_higher_than_its_neighbours_is_a_swing_high() {
        let bars: Vec<Candle> = [100, 101, 102, 105, 102, 101, 100]
            .iter()
            .enumerate()
            .map(|(i, h)| bar(i as i64, Decimal::from(*h), dec!(90) + Decimal::from(i as i64)))
            .collect();
        let p = pivots(&bars, 3);
        assert_eq!(p, vec![dec!(105)]);
        assert!(pivots(&bars[..6], 3).is_empty());
    }

    #[test]
    fn nearby_prices_merge_into_one_level_at_their_mean() {
        let c = clusters(
            vec![dec!(100.2), dec!(120), dec!(100), dec!(100.1), dec!(121)],
            dec!(0.01),
        );
        assert_eq!(c, vec![(dec!(100.1), 3), (dec!(120.5), 2)]);
    }

    #[test]
    fn supports_lie_below_and_resistances_above_the_price_nearest_first() {
        let bars = zigzag();
        let (s, r) = support_resistance(&bars, dec!(95), dec!(0.01), &Instrument::btcusdt());
        assert!(!s.is_empty() && !r.is_empty());
        assert!(s.iter().all(|l| *l < dec!(95)));
        assert!(r.iter().all(|l| *l > dec!(95)));
        assert!(s.windows(2).all(|w| w[0] > w[1]));
        assert!(r.windows(2).all(|w| w[0] < w[1]));
        // Swing highs at 110.x cluster into one resistance near 110.1.
        let top = r.last().unwrap();
        assert!(*top >= dec!(110) && *top <= dec!(110.2), "{top}");
    }
}
