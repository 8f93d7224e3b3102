//! Aggregating candles into longer intervals.
//!
//! A bucket's open time is `interval.floor(ts)` of its first candle; open is
//! the first candle's open, close the last one's close, high/low the
//! extremes, volume the sum. Missing minutes (gaps) are simply absent from
//! their bucket; an empty bucket produces no candle. The newest bucket may be
//! partial (it is still forming).

use crate::model::{Candle, Interval};

/// Aggregates `candles` (oldest first, each shorter than or equal to
/// `interval`) into `interval` buckets, oldest first.
pub fn aggregate(candles: &[Candle], interval: Interval) -> Vec<Candle> {
    let mut out: Vec<Candle> = Vec::with_capacity(candles.len() / (interval.millis() / 60_000).max(1) as usize + 1);
    for c in candles {
        let bucket = interval.floor(c.ts);
        match out.last_mut() {
            Some(last) if last.ts == bucket => {
                last.high = last.high.max(c.high);
                last.low = last.low.min(c.low);
                last.close = c.close;
                last.volume += c.volume;
            }
            _ => out.push(Candle { ts: bucket, ..*c }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn c(min: i64, o: i64, h: i64, l: i64, cl: i64) -> Candle {
        Candle {
            ts: min * 60_000,
            open: Decimal::from(o),
            high: Decimal::from(h),
            low: Decimal::from(l),
            close: Decimal::from(cl),
            volume: Decimal::ONE,
        }
    }

    #[test]
    fn five_minute_buckets_take_first_open_last_close_extremes_and_summed_volume() {
        let m = [
            c(0, 10, 12, 9, 11),
            c(1, 11, 15, 11, 14),
            c(4, 14, 14, 7, 8),
            c(5, 8, 9, 8, 9),
        ];
        let a = aggregate(&m, Interval::M5);
        assert_eq!(a.len(), 2);
        assert_eq!(
            a[0],
            Candle {
                ts: 0,
                open: 10.into(),
                high: 15.into(),
                low: 7.into(),
                close: 8.into(),
                volume: 3.into()
            }
        );
        assert_eq!(a[1].ts, 300_000);
    }

    #[test]
    fn a_gap_leaves_no_empty_bucket() {
        let m = [c(0, 10, 10, 10, 10), c(200, 20, 20, 20, 20)];
        let a = aggregate(&m, Interval::H1);
        assert_eq!(a.iter().map(|x| x.ts).collect::<Vec<_>>(), vec![0, 3 * 3_600_000]);
    }
}
