//! The advisor judged the way a user lives it: take the recommendation made
//! at the end of week `k`, run it on week `k + 1` that nobody had seen.
//!
//! Over a candle file, for each of the last `weeks` weekly steps: the
//! advisor gets the candles of the [`BacktestAdvisorConfig::history_days`]
//! before the step (nothing after it), and each pick is backtested over the
//! 7 days that follow, from the step's first open, with the investment it
//! was recommended at. [`Evaluation::rows`] sums it up per profile: the mean
//! forecast (`expected_roi_7d_pct`) and in-sample figure shown, what the
//! next week gave (mean, median, positive), liquidations, drawdowns above
//! twice the one shown, and how many weeks the profile had a pick.
//!
//! `gridbot recommend --evaluate FILE.csv --weeks N` prints
//! [`Evaluation::table`]; the test suite runs a reduced evaluation and the
//! full one is an ignored test (`cargo test --release -p gridbot-core --test
//! advisor_walk_forward -- --ignored`).
//!
//! Figures (release build, 2026-12-06, `--weeks 27`, 5m files; expected =
//! mean `expected_roi_7d_pct`, next = mean / median of the week after,
//! liq = liquidated the week after, out/exp = next mean / expected):
//!
//! | files             | profile      | picks   | expected | next          | liq       | out/exp |
//! |-------------------|--------------|---------|----------|---------------|-----------|---------|
//! | BTC+ETH (train)   | conservative | 52/54   | 0.36 %   | 0.34 / 0.33 % | 0         | 0.95    |
//! |                   | moderate     | 54/54   | 0.87 %   | 0.77 / 0.81 % | 0         | 0.89    |
//! |                   | aggressive   | 53/54   | 0.99 %   | 0.99 / 1.12 % | 0         | 1.01    |
//! | SOL+XRP (held out)| conservative | 43/54   | 0.57 %   | 0.43 / 0.95 % | 0         | 0.75    |
//! |                   | moderate     | 49/54   | 1.12 %   | 0.79 / 1.85 % | 1 (2.0 %) | 0.71    |
//! |                   | aggressive   | 44/54   | 1.41 %   | 1.81 / 3.02 % | 1 (2.3 %) | 1.29    |
//! | all four          | conservative | 95/108  | 0.45 %   | 0.38 / 0.41 % | 0         | 0.83    |
//! |                   | moderate     | 103/108 | 0.99 %   | 0.78 / 0.86 % | 1 (1.0 %) | 0.79    |
//! |                   | aggressive   | 97/108  | 1.18 %   | 1.36 / 1.61 % | 1 (1.0 %) | 1.16    |
//!
//! Both liquidations are one week of XRP (0.59 → 1.31, +121 % in seven
//! days): the short side of a 2x neutral grid is liquidated about 115 %
//! above its price, far beyond the plausible move of that week (41 % up,
//! the largest of the five weeks before). The three weeks without any pick
//! are SOL's and XRP's wildest (a plausible move of 52–79 % down).
//! Single files are too few picks for these means (one XRP week moves its
//! file's mean by 4 %): BTC's moderate picks gave 0.54× their forecast,
//! ETH's 1.17×, SOL's 3.0×, XRP's −2.8×. In the weeks without a pick for
//! moderate or aggressive, every safe rule was the very grid a less risky
//! profile already showed (wide ranges clamped to 40 %), or none was safe.
//!
//! Before (best in-sample ROI of the last 7 days, 30 weeks of the same
//! files): shown 10.4 / 27.1 / 71.1 %, next week 1.6 / 4.6 / 3.2 %,
//! liquidated 0.8 / 3.5 / 21 % of the picks. The first walk-forward
//! version (each profile at its own leverages only: 1–2x, 2–3x, 3–4x, the
//! lowest scored best) picked in 88 / 72 / 67 % of the weeks (57 / 48 % for
//! moderate and aggressive on the held-out files) with out/exp 0.98 /
//! 0.59 / 0.95.

use rust_decimal::prelude::ToPrimitive;

use super::backtest_advisor::{BacktestAdvisor, BacktestAdvisorConfig};
use super::candidates::Candidate;
use super::sweep::{config_of, GridBacktester};
use super::walk_forward::between;
use crate::analysis::DAY_MS;
use crate::error::AdvisorError;
use crate::model::{Candle, Instrument, Interval, TimestampMs};
use crate::ports::{AdvisorRequest, RiskLevel};

/// One pick and what the week after gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    /// Index of the weekly step.
    pub step: usize,
    /// The profile.
    pub risk_level: RiskLevel,
    /// `expected_roi_7d_pct` shown.
    pub expected_7d: f64,
    /// `backtest_roi_pct` shown (in sample, over `backtest_days`).
    pub backtest_roi: f64,
    /// In-sample drawdown shown, percent.
    pub shown_drawdown: f64,
    /// Leverage.
    pub leverage: u32,
    /// ROI over the next 7 days, percent.
    pub outcome: f64,
    /// Drawdown over the next 7 days, percent.
    pub outcome_drawdown: f64,
    /// Liquidated within the next 7 days.
    pub liquidated: bool,
}

/// All the picks of an evaluation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    /// Weekly steps evaluated.
    pub weeks: usize,
    /// Every pick, step by step.
    pub picks: Vec<Pick>,
    /// Steps where the advisor failed altogether, with the error.
    pub failures: Vec<(usize, String)>,
    /// Steps where a profile had no pick while another had one, with the
    /// advisor's reason.
    pub unavailable: Vec<(usize, RiskLevel, String)>,
}

/// One profile's line of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRow {
    /// The profile.
    pub risk_level: RiskLevel,
    /// Picks (weeks with a pick).
    pub picks: usize,
    /// Weekly steps.
    pub weeks: usize,
    /// Mean `expected_roi_7d_pct`.
    pub mean_expected: f64,
    /// Mean in-sample `backtest_roi_pct`.
    pub mean_backtest: f64,
    /// Mean of what the next week gave.
    pub mean_outcome: f64,
    /// Median of what the next week gave.
    pub median_outcome: f64,
    /// Picks whose next week was positive.
    pub positive: usize,
    /// Picks liquidated in the next week.
    pub liquidated: usize,
    /// Picks whose next-week drawdown exceeded twice the one shown.
    pub drawdown_over_2x: usize,
}

impl ProfileRow {
    /// Mean outcome over mean forecast (`NaN` without picks).
    pub fn calibration(&self) -> f64 {
        self.mean_outcome / self.mean_expected
    }

    /// Liquidated picks, fraction.
    pub fn liquidation_rate(&self) -> f64 {
        if self.picks == 0 {
            0.0
        } else {
            self.liquidated as f64 / self.picks as f64
        }
    }

    /// Weeks with a pick, fraction.
    pub fn pick_rate(&self) -> f64 {
        if self.weeks == 0 {
            0.0
        } else {
            self.picks as f64 / self.weeks as f64
        }
    }
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

impl Evaluation {
    /// Adds another evaluation's picks (steps renumbered after this one's).
    pub fn merge(&mut self, other: Evaluation) {
        let offset = self.weeks;
        self.picks.extend(other.picks.into_iter().map(|mut p| {
            p.step += offset;
            p
        }));
        self.failures
            .extend(other.failures.into_iter().map(|(s, e)| (s + offset, e)));
        self.unavailable
            .extend(other.unavailable.into_iter().map(|(s, l, e)| (s + offset, l, e)));
        self.weeks += other.weeks;
    }

    /// The per-profile summary, conservative first.
    pub fn rows(&self) -> Vec<ProfileRow> {
        RiskLevel::ALL
            .iter()
            .map(|&level| {
                let picks: Vec<&Pick> = self.picks.iter().filter(|p| p.risk_level == level).collect();
                let outcomes: Vec<f64> = picks.iter().map(|p| p.outcome).collect();
                ProfileRow {
                    risk_level: level,
                    picks: picks.len(),
                    weeks: self.weeks,
                    mean_expected: mean(&picks.iter().map(|p| p.expected_7d).collect::<Vec<_>>()),
                    mean_backtest: mean(&picks.iter().map(|p| p.backtest_roi).collect::<Vec<_>>()),
                    mean_outcome: mean(&outcomes),
                    median_outcome: median(&outcomes),
                    positive: outcomes.iter().filter(|x| **x > 0.0).count(),
                    liquidated: picks.iter().filter(|p| p.liquidated).count(),
                    drawdown_over_2x: picks
                        .iter()
                        .filter(|p| p.outcome_drawdown > 2.0 * p.shown_drawdown)
                        .count(),
                }
            })
            .collect()
    }

    /// The table of [`Evaluation::rows`], plain text.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<13} {:>10} {:>12} {:>12} {:>16} {:>10} {:>14} {:>12} {:>9}\n",
            "profile",
            "picks",
            "expected 7d",
            "backtest 7d",
            "next week mean/median",
            "positive",
            "liquidated",
            "DD > 2x shown",
            "out/exp"
        );
        for r in self.rows() {
            out.push_str(&format!(
                "{:<13} {:>4}/{:<5} {:>11.2}% {:>11.2}% {:>9.2}% / {:>6.2}% {:>5}/{:<4} {:>4} ({:>4.1} %) {:>12} {:>9.2}\n",
                r.risk_level.as_str(),
                r.picks,
                r.weeks,
                r.mean_expected,
                r.mean_backtest,
                r.mean_outcome,
                r.median_outcome,
                r.positive,
                r.picks,
                r.liquidated,
                r.liquidation_rate() * 100.0,
                r.drawdown_over_2x,
                r.calibration()
            ));
        }
        for level in RiskLevel::ALL {
            let steps: Vec<String> = self
                .unavailable
                .iter()
                .filter(|(_, l, _)| *l == level)
                .map(|(s, _, _)| s.to_string())
                .collect();
            if !steps.is_empty() {
                out.push_str(&format!(
                    "{}: no pick at {} where another profile had one ({})\n",
                    level.as_str(),
                    if steps.len() == 1 {
                        "1 step".to_owned()
                    } else {
                        format!("{} steps", steps.len())
                    },
                    steps.join(", ")
                ));
            }
        }
        if !self.failures.is_empty() {
            out.push_str(&format!("{} steps without any pick:\n", self.failures.len()));
            for (step, why) in &self.failures {
                out.push_str(&format!("  step {step}: {why}\n"));
            }
        }
        out
    }
}

/// Weekly steps a candle file allows with `config`'s history.
pub fn max_weeks(candles: &[Candle], interval: Interval, config: &BacktestAdvisorConfig) -> usize {
    let (Some(first), Some(last)) = (candles.first(), candles.last()) else {
        return 0;
    };
    let span = last.ts + interval.millis() - first.ts;
    let usable = span - config.history_days() * DAY_MS;
    usize::try_from(usable / (7 * DAY_MS)).unwrap_or(0)
}

/// Evaluates `advisor` over the last `weeks` weekly steps of `candles`
/// (fewer when the file is shorter; see [`max_weeks`]), judging each pick
/// with `backtester`. `progress` is told `(step, weeks)` as steps finish.
pub fn evaluate(
    advisor: &BacktestAdvisor,
    backtester: &dyn GridBacktester,
    instrument: &Instrument,
    interval: Interval,
    candles: &[Candle],
    weeks: usize,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<Evaluation, AdvisorError> {
    let config = advisor.config();
    let weeks = weeks.min(max_weeks(candles, interval, config));
    let Some(last) = candles.last() else {
        return Err(AdvisorError::NotEnoughData("no candles to evaluate".into()));
    };
    if weeks == 0 {
        return Err(AdvisorError::NotEnoughData(format!(
            "an evaluation needs {} days of history plus a week per step",
            config.history_days() + 7
        )));
    }
    let end = last.ts + interval.millis();
    let week_ms = 7 * DAY_MS;
    let mut eval = Evaluation {
        weeks,
        ..Evaluation::default()
    };
    for step in 0..weeks {
        let t: TimestampMs = end - i64::try_from(weeks - step).unwrap_or(0) * week_ms;
        let history = between(candles, t - config.history_days() * DAY_MS, t).to_vec();
        let next = between(candles, t, t + week_ms);
        if next.is_empty() {
            continue;
        }
        let request = AdvisorRequest::new(instrument.clone(), interval, std::sync::Arc::new(history), t);
        match advisor.recommend_blocking(&request) {
            Ok(set) => {
                eval.unavailable
                    .extend(set.unavailable.iter().map(|u| (step, u.risk_level, u.reason.clone())));
                for r in &set.recommendations {
                    let c = Candidate {
                        risk_level: r.risk_level,
                        mode: r.mode,
                        spacing: r.spacing,
                        lower: r.lower,
                        upper: r.upper,
                        grids: r.grids,
                        leverage: r.leverage,
                    };
                    let cfg = config_of(&c, instrument, r.backtest_investment);
                    let o = backtester
                        .backtest(&cfg, instrument, next)
                        .map_err(|e| AdvisorError::Upstream(format!("the week after step {step}: {e}")))?;
                    let f = |d: rust_decimal::Decimal| d.to_f64().unwrap_or(0.0);
                    eval.picks.push(Pick {
                        step,
                        risk_level: r.risk_level,
                        expected_7d: f(r.expected_roi_7d_pct),
                        backtest_roi: f(r.backtest_roi_pct),
                        shown_drawdown: f(r.max_drawdown_pct),
                        leverage: r.leverage,
                        outcome: f(o.roi_pct),
                        outcome_drawdown: f(o.max_drawdown_pct),
                        liquidated: o.liquidated,
                    });
                }
            }
            Err(e) => eval.failures.push((step, e.to_string())),
        }
        if let Some(p) = progress {
            p(step + 1, weeks);
        }
    }
    Ok(eval)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(level: RiskLevel, expected: f64, outcome: f64, liquidated: bool) -> Pick {
        Pick {
            step: 0,
            risk_level: level,
            expected_7d: expected,
            backtest_roi: 2.0 * expected,
            shown_drawdown: 2.0,
            leverage: 1,
            outcome,
            outcome_drawdown: if liquidated { 100.0 } else { 3.0 },
            liquidated,
        }
    }

    #[test]
    fn rows_sum_up_each_profile() {
        let mut e = Evaluation {
            weeks: 4,
            picks: vec![
                pick(RiskLevel::Conservative, 1.0, 2.0, false),
                pick(RiskLevel::Conservative, 1.0, -1.0, false),
                pick(RiskLevel::Conservative, 2.0, 5.0, false),
                pick(RiskLevel::Aggressive, 3.0, -100.0, true),
            ],
            failures: vec![],
            unavailable: vec![(1, RiskLevel::Moderate, "no safe moderate setup".into())],
        };
        let rows = e.rows();
        let c = &rows[0];
        assert_eq!((c.picks, c.positive, c.liquidated, c.drawdown_over_2x), (3, 2, 0, 0));
        assert!((c.mean_expected - 4.0 / 3.0).abs() < 1e-12);
        assert!((c.mean_outcome - 2.0).abs() < 1e-12);
        assert_eq!(c.median_outcome, 2.0);
        assert!((c.calibration() - 1.5).abs() < 1e-12);
        assert_eq!(c.pick_rate(), 0.75);
        assert_eq!(rows[1].picks, 0);
        assert_eq!((rows[2].liquidated, rows[2].drawdown_over_2x), (1, 1));
        assert!(e.table().contains("conservative"));
        assert!(
            e.table()
                .contains("moderate: no pick at 1 step where another profile had one (1)"),
            "{}",
            e.table()
        );
        let other = e.clone();
        e.merge(other);
        assert_eq!((e.weeks, e.picks.len()), (8, 8));
        assert_eq!(e.unavailable[1].0, 5, "steps renumbered after the first evaluation's");
    }
}
