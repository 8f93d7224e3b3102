//! BacktestAdvisor selection rules, with a deterministic stand-in
//! backtester (the real one is exercised in tests/advisor_backtest.rs).

use std::sync::atomic::{AtomicUsize, Ordering};

use rust_decimal_macros::dec;

use super::*;
use crate::grid::{plan, GridConfig, Spacing};
use crate::model::{Instrument, Interval};
use crate::ports::Recommendation;

use super::super::profile::Profile;
use super::super::sweep::{config_of, BacktestOutcome};

/// ROI = grids × leverage / 100 %, drawdown = 4 % per leverage step,
/// liquidated when geometric with 100 grids.
struct Formula;

impl GridBacktester for Formula {
    fn backtest(
        &self,
        config: &GridConfig,
        _instrument: &Instrument,
        candles: &[Candle],
    ) -> Result<BacktestOutcome, AdvisorError> {
        let roi = Decimal::from(config.grids * config.leverage) / dec!(100);
        let curve = candles
            .iter()
            .map(|c| (c.ts, config.investment * (Decimal::ONE + roi / dec!(100))))
            .collect();
        Ok(BacktestOutcome {
            days: dec!(7),
            roi_pct: roi,
            apr_pct: roi * dec!(365) / dec!(7),
            max_drawdown_pct: Decimal::from(4 * config.leverage),
            round_trips: u64::from(config.grids),
            liquidated: config.spacing == Spacing::Geometric && config.grids == 100,
            equity_curve: curve,
        })
    }
}

/// 8 days of hourly candles swinging ±3 % around 30000 every 12 hours.
fn request() -> AdvisorRequest {
    let candles: Vec<Candle> = (0..192)
        .map(|i| {
            let x = 30000.0 * (1.0 + 0.03 * (i as f64 * std::f64::consts::TAU / 12.0).sin());
            let p = Decimal::try_from(x).unwrap().round_dp(1);
            Candle {
                ts: 1_700_000_000_000 + i * 3_600_000,
                open: p,
                high: p + dec!(50),
                low: p - dec!(50),
                close: p,
                volume: dec!(1),
            }
        })
        .collect();
    let now = candles.last().unwrap().ts + 3_600_000;
    AdvisorRequest::new(Instrument::btcusdt(), Interval::H1, Arc::new(candles), now)
}

fn advisor(threads: usize) -> BacktestAdvisor {
    BacktestAdvisor::new(
        Arc::new(Formula),
        BacktestAdvisorConfig {
            threads,
            ..BacktestAdvisorConfig::default()
        },
    )
}

fn proposal_of(r: &Recommendation) -> GridProposal {
    GridProposal {
        risk_level: r.risk_level,
        mode: r.mode,
        spacing: r.spacing,
        lower: r.lower,
        upper: r.upper,
        grids: r.grids,
        leverage: r.leverage,
        rationale: String::new(),
    }
}

#[test]
fn each_profile_gets_its_best_viable_survivor() {
    let req = request();
    let a = advisor(2);
    let set = a.recommend_blocking(&req).unwrap();
    assert_eq!(set.source, "backtest");
    let levels: Vec<_> = set.recommendations.iter().map(|r| r.risk_level).collect();
    assert_eq!(levels, RiskLevel::ALL.to_vec());

    let (analysis, list) = a.candidates(&req).unwrap();
    assert!(list.len() >= 300);
    let window = a.window(&req).unwrap();
    let input = a.input(&req, &analysis, window);
    for r in &set.recommendations {
        let profile = Profile::of(r.risk_level);
        assert!(r.max_drawdown_pct <= profile.max_drawdown_pct);
        assert!(profile.leverages.contains(&r.leverage));
        assert!(
            !(r.spacing == Spacing::Geometric && r.grids == 100),
            "a liquidated candidate was picked"
        );
        let cfg = GridConfig::new(
            req.instrument.symbol.clone(),
            r.lower,
            r.upper,
            r.grids,
            r.spacing,
            r.mode,
            r.backtest_investment,
            r.leverage,
        );
        let p = plan(&cfg, &req.instrument, analysis.current_price).unwrap();
        assert!(p.is_viable(), "{:?}", p.errors);
        if let Some(liq) = r.liquidation_price {
            assert!(liq < r.lower || liq > r.upper);
        }
        // No survivor of the profile beats it.
        let best_other = list
            .iter()
            .filter(|c| c.risk_level == r.risk_level)
            .filter_map(|c| evaluate(c, &input).ok())
            .map(|s| s.outcome.roi_pct)
            .max()
            .unwrap();
        assert_eq!(r.roi_pct, best_other);
        assert!(r.roi_curve.len() <= 500 && !r.roi_curve.is_empty());
        assert_eq!(r.expected_roi_30d, (r.roi_pct * dec!(30) / dec!(7)).round_dp(2));
    }
}

#[test]
fn the_answer_does_not_depend_on_the_thread_count() {
    let req = request();
    assert_eq!(
        advisor(1).recommend_blocking(&req).unwrap(),
        advisor(3).recommend_blocking(&req).unwrap()
    );
}

#[test]
fn progress_counts_every_candidate() {
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    let a = advisor(2).with_progress(Arc::new(move |done, total| {
        assert!(done <= total);
        s.fetch_max(done, Ordering::SeqCst);
    }));
    a.recommend_blocking(&request()).unwrap();
    let total = a.candidates(&request()).unwrap().1.len();
    assert_eq!(seen.load(Ordering::SeqCst), total);
}

#[test]
fn rebacktesting_a_pick_reproduces_it_and_unviable_proposals_are_refused() {
    let req = request();
    let a = advisor(0);
    let set = a.recommend_blocking(&req).unwrap();
    for r in &set.recommendations {
        assert_eq!(&a.rebacktest(&req, &proposal_of(r)).unwrap(), r);
    }
    let mut reckless = proposal_of(&set.recommendations[0]);
    reckless.leverage = 100;
    let err = a.rebacktest(&req, &reckless).unwrap_err();
    assert!(
        matches!(err, AdvisorError::NoViableGrid(ref m) if m.contains("liquidation_in_range")),
        "{err}"
    );
    let mut liquidated = proposal_of(&set.recommendations[0]);
    liquidated.spacing = Spacing::Geometric;
    liquidated.grids = 100;
    assert!(a.rebacktest(&req, &liquidated).is_err());
}

#[test]
fn less_than_a_day_of_candles_is_not_enough() {
    let full = request();
    let short: Vec<Candle> = full.candles[..20].to_vec();
    let req = AdvisorRequest::new(Instrument::btcusdt(), Interval::H1, Arc::new(short), full.now);
    assert!(matches!(
        advisor(1).recommend_blocking(&req),
        Err(AdvisorError::NotEnoughData(_))
    ));
}

#[test]
fn candidates_become_configs_with_the_backtest_investment() {
    let req = request();
    let a = advisor(1);
    let (_, list) = a.candidates(&req).unwrap();
    let cfg = config_of(&list[0], &req.instrument, a.config().investment);
    assert_eq!(cfg.investment, dec!(1000));
    assert_eq!(
        (cfg.lower, cfg.upper, cfg.grids),
        (list[0].lower, list[0].upper, list[0].grids)
    );
}

#[tokio::test]
async fn the_async_advisor_gives_the_blocking_answer() {
    let req = request();
    let a = advisor(1);
    assert_eq!(a.recommend(&req).await.unwrap(), a.recommend_blocking(&req).unwrap());
}
