//! [`BacktestAdvisor`]: the embedded default advisor. Every number it shows
//! is a backtest that can be re-run, and its forecast is out of sample.
//!
//! Per request:
//! 1. analyse all the request's candles ([`crate::analysis`]);
//! 2. cut the walk-forward windows ([`super::walk_forward::Scheme`]: up to
//!    [`BacktestAdvisorConfig::windows`] windows of
//!    [`BacktestAdvisorConfig::days`] days, each after a lookback of
//!    [`BacktestAdvisorConfig::lookback_days`]); a request should carry
//!    [`BacktestAdvisorConfig::history_days`] days of candles for the full
//!    scheme (fewer give fewer windows; at least two days are required);
//! 3. backtest every rule ([`super::candidates`], 270) in every window, in
//!    parallel ([`super::sweep::par_map`]), and plan it at the current price
//!    and σ for the safety test;
//! 4. score, pick per profile in risk order, and forecast
//!    ([`super::walk_forward`], [`super::forecast`]); describe each pick
//!    ([`super::report`]).
//!
//! The result is deterministic: the same request gives the same set on any
//! number of threads. A profile with no pick is listed in
//! [`RecommendationSet::unavailable`] with the reason; no pick at all is
//! [`AdvisorError::NoViableGrid`] with the reasons.
//!
//! [`Rebacktest`] (how a DeepSeek proposal is shown) runs a proposal through
//! the same validation: its rule (room below and above in weekly σ) in every
//! window, the same rejections and safety test, the same in-sample backtest
//! and the same forecast (with the long-run prior of its leverage; a
//! proposal has no track record of its own). A sweep pick proposed again
//! gets the same figures, except when its range was clamped to the 40 %
//! limit ([`super::candidates::HALF_WIDTH_LIMITS`]): the sweep validated
//! the rule it came from (k weekly σ, clamped in each week), while a
//! proposal is validated as its own room in weekly σ now.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;

use super::candidates::{candidates, rules, Candidate, Rule};
use super::forecast::Forecast;
use super::profile::Profile;
use super::proposal::{GridProposal, Rebacktest};
use super::report::{recommendation, with_forecast, Validation};
use super::sweep::{downsample, par_map, GridBacktester, Progress, Rejection, Survivor, MAX_CURVE_POINTS};
use super::walk_forward::{
    daily_volatility, penalty, plan_and_backtest, run_window, score, tightest, track_record, windows, Moves, Penalties,
    Scheme, Window, WindowResult, MAX_TRIES,
};
use crate::analysis::{self, DAY_MS};
use crate::backtest::PreparedCandles;
use crate::error::AdvisorError;
use crate::model::Candle;
use crate::ports::{
    Advisor, AdvisorRequest, MarketAnalysis, ProfileUnavailable, Recommendation, RecommendationSet, RiskLevel,
};

/// Days of candles a request should carry: the default scheme's
/// [`BacktestAdvisorConfig::history_days`] (4 weeks of validation and a week
/// of lookback). The HTTP `analyze` route and the background refresh ask
/// the market for this much.
pub const REQUEST_HISTORY_DAYS: i64 = 35;

/// Name of this advisor in [`RecommendationSet::source`].
pub const SOURCE: &str = "backtest";

/// Settings of the [`BacktestAdvisor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BacktestAdvisorConfig {
    /// Margin every candidate is backtested with, USDT (1000).
    pub investment: Decimal,
    /// Days of the in-sample backtest and of each validation window (7).
    pub days: u32,
    /// Most walk-forward validation windows (4).
    pub windows: u32,
    /// Days before each window its volatility is measured on (7).
    pub lookback_days: u32,
    /// Sweep threads, 0 = one per core (0).
    pub threads: usize,
}

impl Default for BacktestAdvisorConfig {
    fn default() -> Self {
        BacktestAdvisorConfig {
            investment: Decimal::from(1000),
            days: 7,
            windows: 4,
            lookback_days: 7,
            threads: 0,
        }
    }
}

impl BacktestAdvisorConfig {
    /// Days of candles a request needs for the full walk-forward scheme:
    /// the windows and the first window's lookback (35 by default).
    pub fn history_days(&self) -> i64 {
        i64::from(self.windows.max(1)) * i64::from(self.days.max(1)) + i64::from(self.lookback_days.max(1))
    }
}

/// The backtest-driven advisor (see the module docs).
#[derive(Clone)]
pub struct BacktestAdvisor {
    backtester: Arc<dyn GridBacktester>,
    config: BacktestAdvisorConfig,
    penalties: Penalties,
    progress: Option<Progress>,
}

/// Everything of a request the rules are judged on.
struct Ground {
    analysis: MarketAnalysis,
    windows: Vec<Window>,
    /// The in-sample window's candles and their preparation.
    recent: Vec<Candle>,
    recent_prepared: Option<PreparedCandles>,
    /// The current price and weekly σ.
    price: Decimal,
    sigma_week: f64,
    moves: Moves,
}

/// A rule at the current price: its grid, plan and safety.
struct Now {
    candidate: Candidate,
    liq_distance: Option<f64>,
    required: f64,
}

impl Now {
    fn safe(&self) -> bool {
        self.liq_distance.is_none_or(|d| d > self.required)
    }

    fn liq_over_move(&self) -> Option<f64> {
        self.liq_distance.map(|d| {
            if self.required > 0.0 {
                d / self.required
            } else {
                f64::MAX
            }
        })
    }
}

/// Why a rule was not picked, counted per profile for the "no pick" reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fate {
    NotViableNow,
    Unsafe,
    FailedValidation,
    InSample,
    Order,
    Taken,
    NoEdge,
}

impl Fate {
    fn describe(self) -> &'static str {
        match self {
            Fate::NotViableNow => "not viable at the current price",
            Fate::Unsafe => "liquidation price within a plausible next-week move",
            Fate::FailedValidation => "liquidated or not viable in a validation week",
            Fate::InSample => "liquidated or over the drawdown limit in the in-sample backtest",
            Fate::Order => "riskier than allowed next to the other profiles' picks",
            Fate::Taken => "the same grid as a less risky profile's pick",
            Fate::NoEdge => "not expected to earn over the next week",
        }
    }
}

impl BacktestAdvisor {
    /// An advisor backtesting with `backtester`.
    pub fn new(backtester: Arc<dyn GridBacktester>, config: BacktestAdvisorConfig) -> Self {
        BacktestAdvisor {
            backtester,
            config,
            penalties: Penalties::default(),
            progress: None,
        }
    }

    /// With a callback told `(done, total)` as the sweep advances.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// With other score weights.
    pub fn with_penalties(mut self, penalties: Penalties) -> Self {
        self.penalties = penalties;
        self
    }

    /// The backtester.
    pub fn backtester(&self) -> &Arc<dyn GridBacktester> {
        &self.backtester
    }

    /// The settings.
    pub fn config(&self) -> &BacktestAdvisorConfig {
        &self.config
    }

    /// The in-sample window of a request: its last `days` days of candles
    /// (at least one day of data is required).
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

    /// The candidates at the current price and σ, with the request's analysis.
    pub fn candidates(&self, request: &AdvisorRequest) -> Result<(MarketAnalysis, Vec<Candidate>), AdvisorError> {
        let analysis = analysis::analyze_request(request)?;
        let list = candidates(&analysis, &request.instrument);
        Ok((analysis, list))
    }

    /// The walk-forward scheme of a request.
    pub fn scheme(&self, request: &AdvisorRequest) -> Result<Scheme, AdvisorError> {
        let span = match request.candles.first() {
            Some(first) => request.now.max(first.ts) - first.ts,
            None => 0,
        };
        Scheme::fit(
            span,
            self.config.windows as usize,
            self.config.days,
            self.config.lookback_days,
        )
        .ok_or_else(|| {
            AdvisorError::NotEnoughData(format!(
                "need at least two days of {} candles for a walk-forward validation, got {} candles covering {:.1} hours",
                request.timeframe,
                request.candles.len(),
                span as f64 / 3_600_000.0
            ))
        })
    }

    fn ground(&self, request: &AdvisorRequest) -> Result<Ground, AdvisorError> {
        let recent = self.window(request)?.to_vec();
        let analysis = analysis::analyze_request(request)?;
        let scheme = self.scheme(request)?;
        let windows = windows(
            &scheme,
            &request.candles,
            request.timeframe,
            request.now,
            &request.instrument,
        );
        if windows.is_empty() {
            return Err(AdvisorError::NotEnoughData(
                "no candles fall in the walk-forward validation windows".into(),
            ));
        }
        let lookback = analysis::window(&request.candles, request.timeframe, scheme.lookback_ms);
        let sigma_week = daily_volatility(lookback, request.timeframe) * 7f64.sqrt();
        let history = analysis::window(
            &request.candles,
            request.timeframe,
            scheme.lookback_ms + scheme.window_ms * scheme.windows as i64,
        );
        let moves = Moves::of(history, sigma_week, scheme.window_ms, request.timeframe);
        Ok(Ground {
            price: analysis.current_price,
            analysis,
            windows,
            recent_prepared: PreparedCandles::new(&request.instrument, &recent).ok(),
            recent,
            sigma_week,
            moves,
        })
    }

    /// A candidate at the current price: planned, with its safety figures.
    fn now(&self, c: Candidate, ground: &Ground, request: &AdvisorRequest) -> Result<Now, Rejection> {
        let config = super::sweep::config_of(&c, &request.instrument, self.config.investment);
        let plan = crate::grid::plan(&config, &request.instrument, ground.price)
            .map_err(|e| Rejection::Backtest(e.to_string()))?;
        if let Some(e) = plan.errors.first() {
            return Err(Rejection::NotViable(e.code()));
        }
        let (liq_distance, required) = match tightest(&plan, ground.price, &ground.moves) {
            Some((d, m)) => (Some(d), m),
            None => (None, ground.moves.down.max(ground.moves.up)),
        };
        Ok(Now {
            candidate: c,
            liq_distance,
            required,
        })
    }

    /// `rule` in window `window`.
    fn in_window(&self, rule: &Rule, window: &Window, request: &AdvisorRequest) -> Result<WindowResult, Rejection> {
        let c = rule
            .at(window.price, window.sigma_week, &request.instrument)
            .ok_or(Rejection::NotViable("range_collapsed"))?;
        run_window(
            &c,
            window,
            &request.instrument,
            self.config.investment,
            self.backtester.as_ref(),
        )
    }

    /// The in-sample backtest of a grid at the current price: a survivor,
    /// or `None` when liquidated or over the profile's drawdown limit.
    fn in_sample(&self, now: &Now, ground: &Ground, request: &AdvisorRequest) -> Option<Survivor> {
        let (plan, mut outcome) = plan_and_backtest(
            &now.candidate,
            ground.price,
            &ground.recent,
            ground.recent_prepared.as_ref(),
            &request.instrument,
            self.config.investment,
            self.backtester.as_ref(),
        )
        .ok()?;
        let limit = Profile::of(now.candidate.risk_level).max_drawdown_pct;
        if outcome.liquidated || outcome.max_drawdown_pct > limit {
            return None;
        }
        outcome.equity_curve = downsample(std::mem::take(&mut outcome.equity_curve), MAX_CURVE_POINTS);
        Some(Survivor {
            candidate: now.candidate,
            plan,
            outcome,
        })
    }

    /// Runs the whole recommendation on this thread (and the sweep's).
    pub fn recommend_blocking(&self, request: &AdvisorRequest) -> Result<RecommendationSet, AdvisorError> {
        self.recommend_rules(request, &rules(&request.instrument))
    }

    /// [`BacktestAdvisor::recommend_blocking`] over another list of rules
    /// (the `advisor_sweep` bench sweeps more than the advisor's own).
    pub fn recommend_rules(&self, request: &AdvisorRequest, list: &[Rule]) -> Result<RecommendationSet, AdvisorError> {
        let ground = self.ground(request)?;
        let w = ground.windows.len();
        let total = list.len() * (w + 1);
        // Job k: rule k / (w + 1); slot w is the rule at the current price.
        enum Job {
            Window(Result<WindowResult, Rejection>),
            Now(Result<Now, Rejection>),
        }
        let jobs = par_map(total, self.config.threads, self.progress.as_ref(), |k| {
            let (r, j) = (k / (w + 1), k % (w + 1));
            let Some(rule) = list.get(r) else {
                return Job::Window(Err(Rejection::Backtest("no such rule".into())));
            };
            match ground.windows.get(j) {
                Some(window) => Job::Window(self.in_window(rule, window, request)),
                None => Job::Now(
                    rule.at(ground.price, ground.sigma_week, &request.instrument)
                        .ok_or(Rejection::NotViable("range_collapsed"))
                        .and_then(|c| self.now(c, &ground, request)),
                ),
            }
        });
        let mut results: Vec<Vec<Option<Result<WindowResult, Rejection>>>> = Vec::with_capacity(list.len());
        let mut nows: Vec<Option<Now>> = Vec::with_capacity(list.len());
        let mut jobs = jobs.into_iter();
        for _ in 0..list.len() {
            let mut row = Vec::with_capacity(w);
            let mut now = None;
            for _ in 0..=w {
                match jobs.next().flatten() {
                    Some(Job::Window(r)) => row.push(Some(r)),
                    Some(Job::Now(n)) => now = n.ok(),
                    None => row.push(None),
                }
            }
            row.truncate(w);
            results.push(row);
            nows.push(now);
        }
        let penalties: Vec<f64> = list
            .iter()
            .zip(&nows)
            .map(|(rule, now)| {
                let liq = now.as_ref().and_then(Now::liq_over_move);
                penalty(rule, liq, ground.sigma_week, &request.instrument, &self.penalties)
            })
            .collect();

        let mut recommendations = Vec::new();
        let mut unavailable = Vec::new();
        let mut floor: Option<(Decimal, u32)> = None;
        // The grids picked so far: a profile that steps down to a grid a
        // less risky profile already shows takes its next rule instead.
        let mut taken: Vec<Candidate> = Vec::new();
        for level in RiskLevel::ALL {
            let profile = Profile::of(level);
            let mut fates: BTreeMap<Fate, usize> = BTreeMap::new();
            // (preference of the leverage, score, rule, validation ROIs)
            let mut ranked: Vec<(usize, f64, usize, Vec<f64>)> = Vec::new();
            for (r, rule) in list.iter().enumerate() {
                if rule.risk_level != level {
                    continue;
                }
                let Some(tier) = profile.preference(rule.leverage) else {
                    continue;
                };
                let fate = match (&nows[r], score(&results[r], penalties[r], &self.penalties)) {
                    (None, _) => Fate::NotViableNow,
                    (Some(_), None) => Fate::FailedValidation,
                    (Some(n), Some(_)) if !n.safe() => Fate::Unsafe,
                    (Some(_), Some((s, rois))) => {
                        ranked.push((tier, s, r, rois));
                        continue;
                    }
                };
                *fates.entry(fate).or_default() += 1;
            }
            // The preferred leverage first, then the best score, then the
            // sweep order; at most MAX_TRIES tried per leverage.
            ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
            let mut tried: BTreeMap<usize, usize> = BTreeMap::new();
            ranked.retain(|x| {
                let n = tried.entry(x.0).or_default();
                *n += 1;
                *n <= MAX_TRIES
            });
            let track = track_record(list, &results, &penalties, level, &self.penalties);
            let mut picked = None;
            for (tier, _, r, rois) in &ranked {
                let Some(now) = nows[*r].as_ref() else { continue };
                let Some(s) = self.in_sample(now, &ground, request) else {
                    *fates.entry(Fate::InSample).or_default() += 1;
                    continue;
                };
                if let Some((dd, lev)) = floor {
                    if s.outcome.max_drawdown_pct < dd || s.candidate.leverage < lev {
                        *fates.entry(Fate::Order).or_default() += 1;
                        continue;
                    }
                }
                if taken.iter().any(|t| t.same_grid(&s.candidate)) {
                    *fates.entry(Fate::Taken).or_default() += 1;
                    continue;
                }
                let forecast = Forecast::of(s.candidate.leverage, rois, ground.sigma_week);
                if forecast.expected <= 0.0 {
                    *fates.entry(Fate::NoEdge).or_default() += 1;
                    continue;
                }
                picked = Some((s, now, *r, rois.clone(), forecast, *tier));
                break;
            }
            match picked {
                Some((s, now, r, rois, forecast, tier)) => {
                    floor = Some((s.outcome.max_drawdown_pct, s.candidate.leverage));
                    taken.push(s.candidate);
                    let validation = Validation {
                        days: ground.windows.first().map_or(0.0, |x| x.days),
                        max_drawdown: results[r]
                            .iter()
                            .filter_map(|x| x.as_ref().and_then(|x| x.as_ref().ok()))
                            .map(|x| x.drawdown)
                            .fold(0.0, f64::max),
                        rois,
                        track,
                        liquidation_distance: now.liq_distance,
                        plausible_move: now.required,
                    };
                    let rec = recommendation(&s, &ground.analysis, &request.instrument);
                    let mut rec = with_forecast(rec, &forecast, &validation);
                    if let Some(own) = profile.leverages.first().copied().filter(|_| tier > 0) {
                        rec.stepped_down_from = Some(own);
                        rec.description = format!(
                            "{} This week no {own}x setup of the {} profile is viable, safe and validated: \
                             this is its riskiest setup that is.",
                            rec.description,
                            level.as_str()
                        );
                    }
                    recommendations.push(rec);
                }
                None => unavailable.push(ProfileUnavailable {
                    risk_level: level,
                    reason: no_pick_reason(level, &fates, &ground),
                }),
            }
        }
        if recommendations.is_empty() {
            let reasons: Vec<String> = unavailable.iter().map(|u| u.reason.clone()).collect();
            return Err(AdvisorError::NoViableGrid(reasons.join("; ")));
        }
        let mut set = RecommendationSet::new(ground.analysis, recommendations, SOURCE, request.now);
        set.unavailable = unavailable;
        Ok(set)
    }
}

fn no_pick_reason(level: RiskLevel, fates: &BTreeMap<Fate, usize>, ground: &Ground) -> String {
    let counts: Vec<String> = fates.iter().map(|(f, n)| format!("{n} {}", f.describe())).collect();
    format!(
        "no safe {} setup: none is viable, safe and expected to earn over the next week (plausible next-week move {:.1} % down, {:.1} % up); rules dropped: {}",
        level.as_str(),
        ground.moves.down * 100.0,
        ground.moves.up * 100.0,
        if counts.is_empty() { "none swept".to_owned() } else { counts.join(", ") }
    )
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
    /// Validates the proposal as the sweep validates its rules (see the
    /// module docs) and returns it with the same figures and forecast;
    /// refuses it under the same rules.
    fn rebacktest(&self, request: &AdvisorRequest, proposal: &GridProposal) -> Result<Recommendation, AdvisorError> {
        let ground = self.ground(request)?;
        let candidate = Candidate {
            risk_level: proposal.risk_level,
            mode: proposal.mode,
            spacing: proposal.spacing,
            lower: proposal.lower,
            upper: proposal.upper,
            grids: proposal.grids,
            leverage: proposal.leverage,
        };
        let refuse = |why: String| AdvisorError::NoViableGrid(why);
        let now = self.now(candidate, &ground, request).map_err(|r| {
            refuse(match r {
                Rejection::NotViable(code) => format!("the plan breaks the rule {code}"),
                other => format!("the plan failed: {other:?}"),
            })
        })?;
        if !now.safe() {
            return Err(refuse(format!(
                "its liquidation price is {:.1} % from the price, within a plausible next-week move of {:.1} %",
                now.liq_distance.unwrap_or(0.0) * 100.0,
                now.required * 100.0
            )));
        }
        let rule = Rule::of(&candidate, ground.price, ground.sigma_week);
        let results: Vec<Option<Result<WindowResult, Rejection>>> = ground
            .windows
            .iter()
            .map(|w| Some(self.in_window(&rule, w, request)))
            .collect();
        let pen = penalty(
            &rule,
            now.liq_over_move(),
            ground.sigma_week,
            &request.instrument,
            &self.penalties,
        );
        let Some((_, rois)) = score(&results, pen, &self.penalties) else {
            let why = results
                .iter()
                .enumerate()
                .find_map(|(j, r)| match r {
                    Some(Ok(x)) if x.liquidated => Some(format!("it was liquidated in validation week {}", j + 1)),
                    Some(Err(Rejection::NotViable(code))) => {
                        Some(format!("in validation week {} the plan breaks the rule {code}", j + 1))
                    }
                    Some(Err(e)) => Some(format!("validation week {} failed: {e:?}", j + 1)),
                    _ => None,
                })
                .unwrap_or_else(|| "it failed the walk-forward validation".into());
            return Err(refuse(why));
        };
        let Some(s) = self.in_sample(&now, &ground, request) else {
            return Err(refuse(format!(
                "it was liquidated or exceeded the {} profile's drawdown limit in the in-sample backtest",
                proposal.risk_level.as_str()
            )));
        };
        let validation = Validation {
            days: ground.windows.first().map_or(0.0, |x| x.days),
            max_drawdown: results
                .iter()
                .filter_map(|x| x.as_ref().and_then(|x| x.as_ref().ok()))
                .map(|x| x.drawdown)
                .fold(0.0, f64::max),
            rois,
            track: Vec::new(),
            liquidation_distance: now.liq_distance,
            plausible_move: now.required,
        };
        let forecast = Forecast::of(proposal.leverage, &validation.rois, ground.sigma_week);
        if forecast.expected <= 0.0 {
            return Err(refuse(format!(
                "it is not expected to earn over the next week ({:.2} %)",
                forecast.expected
            )));
        }
        let rec = recommendation(&s, &ground.analysis, &request.instrument);
        Ok(with_forecast(rec, &forecast, &validation))
    }
}

/// Checks that `recs` are ordered by risk: for any two, the less risky
/// profile's pick has no larger in-sample drawdown and no larger leverage.
pub fn check_order(recs: &[Recommendation]) -> Result<(), String> {
    let rank = |l: RiskLevel| RiskLevel::ALL.iter().position(|x| *x == l).unwrap_or(0);
    for a in recs {
        for b in recs {
            if rank(a.risk_level) < rank(b.risk_level)
                && (a.max_drawdown_pct > b.max_drawdown_pct || a.leverage > b.leverage)
            {
                return Err(format!(
                    "the {} setup ({}x, {} % drawdown) is riskier than the {} one ({}x, {} % drawdown)",
                    a.risk_level.as_str(),
                    a.leverage,
                    a.max_drawdown_pct,
                    b.risk_level.as_str(),
                    b.leverage,
                    b.max_drawdown_pct
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
