//! [`BacktestAdvisor`]: the embedded default advisor. Every number it shows
//! is a backtest that can be re-run.
//!
//! Per request:
//! 1. analyse all the request's candles ([`crate::analysis`]);
//! 2. take the last [`BacktestAdvisorConfig::days`] days of candles as the
//!    backtest window (at least one day of data is required);
//! 3. build the candidates ([`super::candidates`], ≥ 300) and sweep them
//!    ([`super::sweep`]) over the window prepared once for the backtester
//!    ([`PreparedCandles`]): plan at the current price, drop the non-viable,
//!    backtest the rest from the window's first open with
//!    [`BacktestAdvisorConfig::investment`], drop the liquidated and those
//!    over their profile's drawdown limit;
//! 4. per profile, pick the survivor with the highest ROI (ties: smaller
//!    drawdown, then fewer grids, then sweep order) and describe it
//!    ([`super::report`]).
//!
//! The result is deterministic: the same request gives the same set on any
//! number of threads. A profile with no survivor is left out; no survivor at
//! all is [`AdvisorError::NoViableGrid`] with the reasons counted.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;

use super::candidates::{candidates, Candidate};
use super::proposal::{GridProposal, Rebacktest};
use super::report::recommendation;
use super::sweep::{evaluate, sweep, GridBacktester, Progress, Rejection, Survivor, SweepInput};
use crate::analysis::{self, DAY_MS};
use crate::backtest::PreparedCandles;
use crate::error::AdvisorError;
use crate::model::Candle;
use crate::ports::{Advisor, AdvisorRequest, MarketAnalysis, RecommendationSet, RiskLevel};

/// Name of this advisor in [`RecommendationSet::source`].
pub const SOURCE: &str = "backtest";

/// Settings of the [`BacktestAdvisor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BacktestAdvisorConfig {
    /// Margin every candidate is backtested with, USDT (1000).
    pub investment: Decimal,
    /// Days of candles backtested (7).
    pub days: u32,
    /// Sweep threads, 0 = one per core (0).
    pub threads: usize,
}

impl Default for BacktestAdvisorConfig {
    fn default() -> Self {
        BacktestAdvisorConfig {
            investment: Decimal::from(1000),
            days: 7,
            threads: 0,
        }
    }
}

/// The backtest-driven advisor (see the module docs).
#[derive(Clone)]
pub struct BacktestAdvisor {
    backtester: Arc<dyn GridBacktester>,
    config: BacktestAdvisorConfig,
    progress: Option<Progress>,
}

impl BacktestAdvisor {
    /// An advisor backtesting with `backtester`.
    pub fn new(backtester: Arc<dyn GridBacktester>, config: BacktestAdvisorConfig) -> Self {
        BacktestAdvisor {
            backtester,
            config,
            progress: None,
        }
    }

    /// With a callback told `(done, total)` as the sweep advances.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The settings.
    pub fn config(&self) -> &BacktestAdvisorConfig {
        &self.config
    }

    /// The backtest window of a request: its last `days` days of candles.
    pub fn window<'a>(&self, request: &'a AdvisorRequest) -> Result<&'a [Candle], AdvisorError> {
        let span = i64::from(self.config.days) * DAY_MS;
        let window = analysis::window(&request.candles, request.timeframe, span);
        let covered = match (window.first(), window.last()) {
            (Some(a), Some(b)) => b.ts + request.timeframe.millis() - a.ts,
            _ => 0,
        };
        if covered < DAY_MS {
            return Err(AdvisorError::NotEnoughData(format!(
                "need at least one day of {} candles to backtest, got {} candles covering {:.1} hours",
                request.timeframe,
                window.len(),
                covered as f64 / 3_600_000.0
            )));
        }
        Ok(window)
    }

    /// The candidates swept for a request, with its analysis.
    pub fn candidates(&self, request: &AdvisorRequest) -> Result<(MarketAnalysis, Vec<Candidate>), AdvisorError> {
        let analysis = analysis::analyze_request(request)?;
        let list = candidates(&analysis, &request.instrument);
        Ok((analysis, list))
    }

    /// Runs the whole recommendation on this thread (and the sweep's).
    pub fn recommend_blocking(&self, request: &AdvisorRequest) -> Result<RecommendationSet, AdvisorError> {
        let window = self.window(request)?;
        let (analysis, list) = self.candidates(request)?;
        // Candles the backtester refuses are left unprepared: each backtest
        // then fails on them with the backtester's own reason.
        let prepared = PreparedCandles::new(&request.instrument, window).ok();
        let mut input = self.input(request, &analysis, window);
        input.prepared = prepared.as_ref();
        let results = sweep(&list, &input, self.config.threads, self.progress.as_ref());
        let mut rejected: BTreeMap<String, usize> = BTreeMap::new();
        let mut first_failure: Option<String> = None;
        let mut survivors = Vec::new();
        for r in results {
            match r {
                Ok(s) => survivors.push(s),
                Err(e) => {
                    if let Rejection::Backtest(msg) = &e {
                        first_failure.get_or_insert_with(|| msg.clone());
                    }
                    *rejected.entry(rejection_name(&e)).or_default() += 1;
                }
            }
        }
        let recommendations: Vec<_> = RiskLevel::ALL
            .iter()
            .filter_map(|level| best(&survivors, *level))
            .map(|s| recommendation(s, &analysis, &request.instrument))
            .collect();
        if recommendations.is_empty() {
            let reasons: Vec<String> = rejected.iter().map(|(k, n)| format!("{n} {k}")).collect();
            let failure = first_failure
                .map(|m| format!("; first backtest failure: {m}"))
                .unwrap_or_default();
            return Err(AdvisorError::NoViableGrid(format!(
                "all {} candidates were dropped ({}){failure}",
                list.len(),
                reasons.join(", ")
            )));
        }
        Ok(RecommendationSet::new(analysis, recommendations, SOURCE, request.now))
    }

    fn input<'a>(
        &'a self,
        request: &'a AdvisorRequest,
        analysis: &MarketAnalysis,
        window: &'a [Candle],
    ) -> SweepInput<'a> {
        SweepInput {
            instrument: &request.instrument,
            investment: self.config.investment,
            price: analysis.current_price,
            candles: window,
            prepared: None,
            backtester: self.backtester.as_ref(),
        }
    }
}

/// The best survivor of a profile.
fn best(survivors: &[Survivor], level: RiskLevel) -> Option<&Survivor> {
    survivors
        .iter()
        .filter(|s| s.candidate.risk_level == level)
        .min_by_key(|s| {
            (
                Reverse(s.outcome.roi_pct),
                s.outcome.max_drawdown_pct,
                s.candidate.grids,
            )
        })
}

fn rejection_name(r: &Rejection) -> String {
    match r {
        Rejection::NotViable(code) => (*code).to_owned(),
        Rejection::Backtest(_) => "backtest_failed".into(),
        Rejection::Liquidated => "liquidated_in_backtest".into(),
        Rejection::Drawdown => "drawdown_over_limit".into(),
    }
}

#[async_trait]
impl Advisor for BacktestAdvisor {
    async fn recommend(&self, request: &AdvisorRequest) -> Result<RecommendationSet, AdvisorError> {
        let this = self.clone();
        let request = request.clone();
        tokio::task::spawn_blocking(move || this.recommend_blocking(&request))
            .await
            .map_err(|e| AdvisorError::Upstream(format!("the backtest sweep stopped unexpectedly: {e}")))?
    }
}

impl Rebacktest for BacktestAdvisor {
    /// Plans the proposal at the current price and backtests it on the same
    /// window with the same investment as the sweep; refuses it under the
    /// same rules (viability, liquidation, its profile's drawdown limit).
    fn rebacktest(
        &self,
        request: &AdvisorRequest,
        proposal: &GridProposal,
    ) -> Result<crate::ports::Recommendation, AdvisorError> {
        let window = self.window(request)?;
        let analysis = analysis::analyze_request(request)?;
        let candidate = Candidate {
            risk_level: proposal.risk_level,
            mode: proposal.mode,
            spacing: proposal.spacing,
            lower: proposal.lower,
            upper: proposal.upper,
            grids: proposal.grids,
            leverage: proposal.leverage,
        };
        let input = self.input(request, &analysis, window);
        match evaluate(&candidate, &input) {
            Ok(s) => Ok(recommendation(&s, &analysis, &request.instrument)),
            Err(r) => Err(AdvisorError::NoViableGrid(match r {
                Rejection::NotViable(code) => format!("the plan breaks the rule {code}"),
                Rejection::Backtest(e) => format!("the backtest failed: {e}"),
                Rejection::Liquidated => "it was liquidated in the backtest".into(),
                Rejection::Drawdown => format!(
                    "its backtest drawdown exceeds the {} profile's limit",
                    proposal.risk_level.as_str()
                ),
            })),
        }
    }
}

#[cfg(test)]
mod tests;
