//! The trend rule.
//!
//! Inputs: the EMA gap `g = (EMA_fast − EMA_slow) / EMA_slow × 100` over
//! hourly closes (fast 20, slow 50 by default) and the 24 h change `c` in
//! percent. With the default thresholds:
//!
//! - **up** when `g ≥ +0.5` and `c ≥ +1`, or when `c ≥ +5` (a strong day
//!   overrides the lagging averages);
//! - **down** when `g ≤ −0.5` and `c ≤ −1`, or when `c ≤ −5`;
//! - **sideways** otherwise.
//!
//! Up and down can never both hold: each needs `c` on its own side of ±1.

use serde::{Deserialize, Serialize};

use super::indicators::ema;
use crate::ports::Trend;

/// Thresholds of the trend rule (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TrendRule {
    /// Fast EMA period, in hourly closes.
    pub fast: usize,
    /// Slow EMA period, in hourly closes.
    pub slow: usize,
    /// Smallest EMA gap, percent, that counts as a trend.
    pub min_gap_pct: f64,
    /// Smallest 24 h change, percent, that confirms the EMA gap.
    pub min_change_pct: f64,
    /// 24 h change, percent, that makes a trend on its own.
    pub strong_change_pct: f64,
}

impl Default for TrendRule {
    fn default() -> Self {
        TrendRule {
            fast: 20,
            slow: 50,
            min_gap_pct: 0.5,
            min_change_pct: 1.0,
            strong_change_pct: 5.0,
        }
    }
}

impl TrendRule {
    /// The EMA gap in percent over `closes` (oldest first); 0 when there are
    /// no closes.
    pub fn ema_gap_pct(&self, closes: &[f64]) -> f64 {
        match (ema(closes, self.fast), ema(closes, self.slow)) {
            (Some(fast), Some(slow)) if slow > 0.0 => (fast - slow) / slow * 100.0,
            _ => 0.0,
        }
    }

    /// Classifies a market from its EMA gap and 24 h change (both percent).
    pub fn classify(&self, ema_gap_pct: f64, change_24h_pct: f64) -> Trend {
        let (g, c) = (ema_gap_pct, change_24h_pct);
        if (g >= self.min_gap_pct && c >= self.min_change_pct) || c >= self.strong_change_pct {
            Trend::Up
        } else if (g <= -self.min_gap_pct && c <= -self.min_change_pct) || c <= -self.strong_change_pct {
            Trend::Down
        } else {
            Trend::Sideways
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_needs_a_confirming_day_unless_the_day_is_strong() {
        let r = TrendRule::default();
        assert_eq!(r.classify(0.6, 1.2), Trend::Up);
        assert_eq!(r.classify(0.6, 0.5), Trend::Sideways);
        assert_eq!(r.classify(-0.2, 5.0), Trend::Up);
        assert_eq!(r.classify(-0.6, -1.0), Trend::Down);
        assert_eq!(r.classify(0.3, -6.0), Trend::Down);
        assert_eq!(r.classify(0.4, 2.0), Trend::Sideways);
    }

    #[test]
    fn rising_closes_give_a_positive_ema_gap() {
        let rising: Vec<f64> = (0..100).map(|i| 100.0 + i as f64).collect();
        let falling: Vec<f64> = rising.iter().rev().copied().collect();
        let r = TrendRule::default();
        assert!(r.ema_gap_pct(&rising) > 0.5);
        assert!(r.ema_gap_pct(&falling) < -0.5);
        assert_eq!(r.ema_gap_pct(&[]), 0.0);
    }
}
