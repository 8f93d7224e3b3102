//! What a backtest reports, and the running statistics behind it.
//!
//! - `total_pnl` = final equity − investment (equity = wallet + unrealised
//!   PnL at the last close).
//! - `grid_profit` and `round_trips` / `win_rate` come from the engine's own
//!   stats ([`crate::model::BotStats`]); `position_pnl` = `total_pnl` −
//!   `grid_profit` (what holding the position and its unmatched fees made).
//! - `roi_pct` = total_pnl / investment × 100; `apr_pct` = roi × 365 / days,
//!   where days span the first candle's open to the last candle's close
//!   (both by [`crate::model::returns`], 2 places).
//! - Money fields are exact (the Decimal reference); what is shown or sent
//!   as JSON is [`BacktestReport::rounded`]: USDT to cents, percentages to 2
//!   places (the one rule of [`crate::model::returns`]).
//! - `max_drawdown_pct`: the largest fall of equity from a previous peak, in
//!   percent of that peak, measured on candle closes (and at liquidation).
//! - The equity curve keeps at most `max_curve_points` evenly spaced closes,
//!   the first and the last always included.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::engine::StopReason;
use crate::model::TimestampMs;

/// The result of one backtest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BacktestReport {
    /// Candles processed (fewer than given when the bot finished early).
    pub candles: usize,
    /// Open time of the first candle.
    pub start_ts: TimestampMs,
    /// Close time of the last candle processed.
    pub end_ts: TimestampMs,
    /// Days covered.
    pub days: Decimal,
    /// First candle's open.
    pub start_price: Decimal,
    /// Last processed candle's close.
    pub end_price: Decimal,
    /// Investment (initial equity), USDT.
    pub investment: Decimal,
    /// Equity at the end, USDT.
    pub final_equity: Decimal,
    /// Final equity − investment, USDT.
    pub total_pnl: Decimal,
    /// Profit of completed grid round trips after their fees (engine stats), USDT.
    pub grid_profit: Decimal,
    /// `total_pnl − grid_profit`, USDT.
    pub position_pnl: Decimal,
    /// Fees paid (a liquidation's forfeited margin included), USDT.
    pub fees: Decimal,
    /// Return on investment, percent (2 dp).
    pub roi_pct: Decimal,
    /// ROI annualised (simple), percent (2 dp).
    pub apr_pct: Decimal,
    /// Largest peak-to-trough equity fall, percent of the peak (4 dp).
    pub max_drawdown_pct: Decimal,
    /// Completed round trips (engine stats).
    pub round_trips: u64,
    /// Fills booked.
    pub fills: u64,
    /// Winning round trips / round trips, percent (engine stats).
    pub win_rate: Decimal,
    /// Whether the position was liquidated.
    pub liquidated: bool,
    /// Why the engine finished, if it did.
    pub stop_reason: Option<StopReason>,
    /// `(ts, equity)` points, at most the configured number.
    pub equity_curve: Vec<(TimestampMs, Decimal)>,
}

impl BacktestReport {
    /// The report as shown: every USDT amount (equity, PnL, fees, the
    /// curve's points) rounded to cents and every percentage to 2 places,
    /// by [`crate::model::returns`]; prices, counts and times unchanged.
    pub fn rounded(&self) -> BacktestReport {
        use crate::model::returns::{round_money, round_pct};
        BacktestReport {
            final_equity: round_money(self.final_equity),
            total_pnl: round_money(self.total_pnl),
            grid_profit: round_money(self.grid_profit),
            position_pnl: round_money(self.position_pnl),
            fees: round_money(self.fees),
            investment: round_money(self.investment),
            roi_pct: round_pct(self.roi_pct),
            apr_pct: round_pct(self.apr_pct),
            max_drawdown_pct: round_pct(self.max_drawdown_pct),
            win_rate: round_pct(self.win_rate),
            equity_curve: self.equity_curve.iter().map(|&(t, e)| (t, round_money(e))).collect(),
            ..self.clone()
        }
    }
}

/// Running peak-to-trough tracking (divides only at a new trough).
#[derive(Debug, Clone)]
pub(crate) struct Drawdown {
    peak: Decimal,
    trough: Decimal,
    max: Decimal,
}

impl Drawdown {
    pub fn new(start: Decimal) -> Self {
        Drawdown {
            peak: start,
            trough: start,
            max: Decimal::ZERO,
        }
    }

    /// The highest equity so far.
    pub fn peak(&self) -> Decimal {
        self.peak
    }

    /// The lowest equity since the peak.
    #[cfg(test)]
    pub fn trough(&self) -> Decimal {
        self.trough
    }

    /// The largest drawdown so far, percent, unrounded.
    pub fn max(&self) -> Decimal {
        self.max
    }

    /// Takes one equity mark; true when it moved the peak or the trough. A
    /// mark within `[trough, peak]` changes nothing.
    pub fn observe(&mut self, equity: Decimal) -> bool {
        if equity > self.peak {
            self.peak = equity;
            self.trough = equity;
            return true;
        }
        if equity < self.trough {
            self.trough = equity;
            if self.peak > Decimal::ZERO {
                let dd = (self.peak - equity) / self.peak * Decimal::ONE_HUNDRED;
                self.max = self.max.max(dd);
            }
            return true;
        }
        false
    }

    /// The largest drawdown seen, percent.
    pub fn max_pct(&self) -> Decimal {
        self.max.round_dp(4)
    }
}

/// Keeps every `stride`-th point so that at most `max` are kept, plus the
/// last. Only the kept points need an equity: the last one's is given at
/// [`Curve::finish`] (the final equity), so the caller marks equity for the
/// curve only where [`Curve::wants`] says so.
#[derive(Debug, Clone)]
pub(crate) struct Curve {
    stride: usize,
    /// Observations until the next kept one.
    countdown: usize,
    points: Vec<(TimestampMs, Decimal)>,
    /// Time of the last observation when it was not kept.
    last: Option<TimestampMs>,
    max: usize,
}

impl Curve {
    /// A curve for `n` observations kept to at most `max` points (≥ 2).
    pub fn new(n: usize, max: usize) -> Self {
        let max = max.max(2);
        let stride = n.div_ceil(max - 1).max(1);
        Curve {
            stride,
            countdown: 0,
            points: Vec::with_capacity(max),
            last: None,
            max,
        }
    }

    /// True when the next observation (the `i`-th, counting from 0, with
    /// `i` a multiple of the stride) is kept.
    #[inline]
    pub fn wants(&self) -> bool {
        self.countdown == 0 && self.points.len() < self.max - 1
    }

    /// Takes the next observation; `equity` is called only when it is kept.
    #[inline]
    pub fn observe(&mut self, ts: TimestampMs, equity: impl FnOnce() -> Decimal) {
        if self.wants() {
            self.points.push((ts, equity()));
            self.last = None;
        } else {
            self.last = Some(ts);
        }
        self.countdown = if self.countdown == 0 {
            self.stride - 1
        } else {
            self.countdown - 1
        };
    }

    /// The points, the last observation's (if not kept) at `last_equity`.
    pub fn finish(mut self, last_equity: Decimal) -> Vec<(TimestampMs, Decimal)> {
        if let Some(ts) = self.last {
            self.points.push((ts, last_equity));
        }
        self.points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_keeps_at_most_max_points_with_first_and_last() {
        for n in [1usize, 2, 499, 500, 501, 43_200] {
            let mut c = Curve::new(n, 500);
            let stride = n.div_ceil(499).max(1);
            for i in 0..n {
                c.observe(i as i64, || Decimal::from(i));
            }
            let pts = c.finish(Decimal::from(n - 1));
            assert!(pts.len() <= 500 && !pts.is_empty(), "n={n}: {}", pts.len());
            assert_eq!(pts[0].0, 0);
            assert_eq!(pts.last().unwrap().0, n as i64 - 1);
            // Every point but the last is a multiple of the stride, marked
            // with its own observation's equity.
            for (k, p) in pts.iter().enumerate() {
                assert_eq!(p.1, Decimal::from(p.0));
                if k + 1 < pts.len() {
                    assert_eq!(p.0 as usize, k * stride);
                }
            }
        }
    }

    #[test]
    fn drawdown_is_the_largest_fall_from_a_previous_peak() {
        let mut d = Drawdown::new(Decimal::from(100));
        let moved: Vec<bool> = [110, 99, 105, 120, 90, 130, 125, 127]
            .into_iter()
            .map(|e| d.observe(Decimal::from(e)))
            .collect();
        assert_eq!(d.max_pct(), Decimal::from(25)); // 120 → 90
        assert_eq!(moved, [true, true, false, true, true, true, true, false]);
        assert_eq!((d.peak(), d.trough()), (Decimal::from(130), Decimal::from(125)));
    }
}
