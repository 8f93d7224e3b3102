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
use crate::advisor::check_order;

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

/// The Formula with the drawdown 11 − leverage (a conservative 1x grid
/// would be the deepest), so picks chosen one profile at a time would be
/// out of risk order.
struct Inverted;

impl GridBacktester for Inverted {
    fn backtest(
        &self,
        config: &GridConfig,
        instrument: &Instrument,
        candles: &[Candle],
    ) -> Result<BacktestOutcome, AdvisorError> {
        let mut o = Formula.backtest(config, instrument, candles)?;
        o.max_drawdown_pct = Decimal::from(11 - i64::from(config.leverage));
        Ok(o)
    }
}

fn check_pick(r: &Recommendation, req: &AdvisorRequest, analysis: &MarketAnalysis) {
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
        assert!(r.liquidation_distance_pct.unwrap() > r.plausible_move_pct);
    }
    // The in-sample figures are the Formula's, labelled as a backtest.
    assert_eq!(r.backtest_roi_pct, Decimal::from(r.grids * r.leverage) / dec!(100));
    assert_eq!(r.backtest_days, dec!(7));
    assert!(r.roi_curve.len() <= 500 && !r.roi_curve.is_empty());
    // The forecast: a range around a figure, 30 days scaled from 7.
    assert!(r.expected_roi_7d_low_pct < r.expected_roi_7d_pct && r.expected_roi_7d_pct < r.expected_roi_7d_high_pct);
    assert_eq!(
        r.expected_roi_30d,
        (r.expected_roi_7d_pct * dec!(30) / dec!(7)).round_dp(2)
    );
    assert_eq!(r.validation_roi_pct.len(), 1, "8 days of candles fit one window");
}

#[test]
fn picks_pass_every_rule_carry_the_forecast_and_are_ordered_by_risk() {
    let req = request();
    let a = advisor(2);
    let set = a.recommend_blocking(&req).unwrap();
    assert_eq!(set.source, "backtest");
    let levels: Vec<_> = set
        .recommendations
        .iter()
        .map(|r| r.risk_level)
        .chain(set.unavailable.iter().map(|u| u.risk_level))
        .collect();
    assert_eq!(levels.len(), 3, "each profile has a pick or a reason");
    assert!(set.recommendations.len() >= 2, "{:?}", set.unavailable);
    check_order(&set.recommendations).unwrap();
    let analysis = crate::analysis::analyze_request(&req).unwrap();
    for r in &set.recommendations {
        check_pick(r, &req, &analysis);
    }
    // The walk-forward forecast is not the in-sample figure scaled: the
    // validation window's ROI is shrunk toward the profile's prior.
    let c = &set.recommendations[0];
    assert!(c.expected_roi_30d != (c.backtest_roi_pct * dec!(30) / dec!(7)).round_dp(2));
}

#[test]
fn profiles_stay_in_risk_order_even_when_the_safer_grids_draw_down_more() {
    let a = BacktestAdvisor::new(Arc::new(Inverted), BacktestAdvisorConfig::default());
    let set = a.recommend_blocking(&request()).unwrap();
    check_order(&set.recommendations).unwrap();
    // Conservative at 1x draws down 10 %; moderate's 2x (9 %) and
    // aggressive's 3x (8 %) and 2x would show less, so both step down to
    // 1x, each with a grid of its own.
    assert_eq!(set.recommendations.len(), 3, "{:?}", set.unavailable);
    for r in &set.recommendations {
        assert_eq!((r.leverage, r.max_drawdown_pct), (1, dec!(10)), "{r:?}");
    }
    let grids: Vec<_> = set
        .recommendations
        .iter()
        .map(|r| (r.lower, r.upper, r.grids, r.spacing))
        .collect();
    assert!(
        grids[0] != grids[1] && grids[1] != grids[2] && grids[0] != grids[2],
        "{grids:?}"
    );
}

#[test]
fn each_profile_takes_its_highest_leverage_when_it_is_safe() {
    let set = advisor(2).recommend_blocking(&crash_request(0.0)).unwrap();
    let levs: Vec<_> = set.recommendations.iter().map(|r| (r.risk_level, r.leverage)).collect();
    assert_eq!(
        levs,
        vec![
            (RiskLevel::Conservative, 1),
            (RiskLevel::Moderate, 2),
            (RiskLevel::Aggressive, 3)
        ]
    );
    assert!(set.recommendations.iter().all(|r| r.stepped_down_from.is_none()));
    // The forecast grows with the leverage (the same σ, its prior per σ).
    let f: Vec<_> = set.recommendations.iter().map(|r| r.expected_roi_7d_pct).collect();
    assert!(f[0] < f[1] && f[1] < f[2], "{f:?}");
}

/// 36 days of hourly candles: calm ±1 % swings, and 20 days ago a crash of
/// `crash` (a fraction) that recovered within two days.
fn crash_request(crash: f64) -> AdvisorRequest {
    let candles: Vec<Candle> = (0..36 * 24)
        .map(|i| {
            let mut x = 30000.0 * (1.0 + 0.01 * (i as f64 * std::f64::consts::TAU / 12.0).sin());
            let h = 36 * 24 - i;
            if (20 * 24 - 24..20 * 24).contains(&h) {
                x *= 1.0 - crash;
            }
            let p = Decimal::try_from(x).unwrap().round_dp(1);
            Candle {
                ts: 1_700_000_000_000 + i * 3_600_000,
                open: p,
                high: p + dec!(20),
                low: p - dec!(20),
                close: p,
                volume: dec!(1),
            }
        })
        .collect();
    let now = candles.last().unwrap().ts + 3_600_000;
    AdvisorRequest::new(Instrument::btcusdt(), Interval::H1, Arc::new(candles), now)
}

#[test]
fn a_profile_whose_liquidations_a_plausible_week_reaches_says_no_safe_pick() {
    let a = advisor(2);
    // Calm weeks: every profile has a pick, validated on 4 windows.
    let calm = a.recommend_blocking(&crash_request(0.0)).unwrap();
    assert_eq!(calm.recommendations.len(), 3, "{:?}", calm.unavailable);
    assert!(calm.recommendations.iter().all(|r| r.validation_roi_pct.len() == 4));
    // A 60 % crash and its 150 % recovery in the history make such weeks
    // plausible: every 3x grid's short side (and its long side) is within
    // reach; a 1x grid's is not. Aggressive steps down to what is safe.
    let crash = crash_request(0.6);
    let set = a.recommend_blocking(&crash).unwrap();
    check_order(&set.recommendations).unwrap();
    let aggressive = set
        .recommendations
        .iter()
        .find(|r| r.risk_level == RiskLevel::Aggressive)
        .unwrap();
    assert!(aggressive.leverage < 3, "{aggressive:?}");
    assert_eq!(aggressive.stepped_down_from, Some(3));
    assert!(aggressive.description.contains("no 3x setup of the aggressive profile"));
    for r in &set.recommendations {
        assert!(r.plausible_move_pct >= dec!(60), "{r:?}");
        if let Some(d) = r.liquidation_distance_pct {
            assert!(d > r.plausible_move_pct);
        }
    }
    // With only 3x rules to choose from, aggressive has no safe setup and
    // says so, while conservative still has its pick.
    let only_3x: Vec<Rule> = rules(&crash.instrument)
        .into_iter()
        .filter(|r| r.risk_level != RiskLevel::Aggressive || r.leverage == 3)
        .collect();
    let set = a.recommend_rules(&crash, &only_3x).unwrap();
    assert!(set
        .recommendations
        .iter()
        .any(|r| r.risk_level == RiskLevel::Conservative));
    assert!(set
        .recommendations
        .iter()
        .all(|r| r.risk_level != RiskLevel::Aggressive));
    let u = set
        .unavailable
        .iter()
        .find(|u| u.risk_level == RiskLevel::Aggressive)
        .unwrap();
    assert!(u.reason.contains("no safe aggressive setup"), "{}", u.reason);
    assert!(
        u.reason.contains("liquidation price within a plausible next-week move"),
        "{}",
        u.reason
    );
    // When not even a 1x grid is safe, no profile has a pick: the answer
    // says why for each.
    let err = a.recommend_blocking(&crash_request(0.85)).unwrap_err();
    let msg = err.to_string();
    for level in ["conservative", "moderate", "aggressive"] {
        assert!(msg.contains(&format!("no safe {level} setup")), "{msg}");
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
    let windows = a.scheme(&request()).unwrap().windows;
    let total = crate::advisor::candidates::rules(&request().instrument).len() * (windows + 1);
    assert_eq!(seen.load(Ordering::SeqCst), total);
}

#[test]
fn rebacktesting_a_pick_reproduces_it_and_unviable_proposals_are_refused() {
    let req = request();
    let a = advisor(0);
    let set = a.recommend_blocking(&req).unwrap();
    for r in &set.recommendations {
        // The same validation, safety and forecast; only the track record
        // (the method's own past picks) is not a proposal's.
        let mut again = a.rebacktest(&req, &proposal_of(r)).unwrap();
        assert!(again.track_record_roi_pct.is_empty());
        assert_eq!(again.stepped_down_from, None);
        again.track_record_roi_pct = r.track_record_roi_pct.clone();
        if r.stepped_down_from.is_some() {
            again.stepped_down_from = r.stepped_down_from;
            again.description = r.description.clone();
        }
        assert_eq!(&again, r);
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
