//! [`CoreBacktester`]: the advisor's [`GridBacktester`] over the core
//! backtester ([`crate::backtest::run`]) and a grid engine.
//!
//! Each backtest builds a fresh engine for the grid (through the
//! [`GridEngineFactory`]; by default the live bots' own
//! [`crate::engine::grid::GridEngine`], so a backtest trades exactly as a
//! live grid bot would), runs it over the candles from the first open with
//! the grid's investment as isolated margin and the backtester's default
//! market slippage (2 bp), and keeps the report's figures and equity curve
//! (≤ 500 points). On candles prepared once per sweep
//! ([`GridBacktester::backtest_prepared`]) it runs
//! [`crate::backtest::run_prepared`], which reports exactly what
//! [`crate::backtest::run`] does.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::sweep::{BacktestOutcome, GridBacktester, MAX_CURVE_POINTS};
use crate::backtest::{self, BacktestConfig, BacktestReport, PreparedCandles};
use crate::engine::grid::GridEngine;
use crate::engine::BotEngine;
use crate::error::AdvisorError;
use crate::grid::GridConfig;
use crate::model::{BotId, Candle, Instrument};

/// Builds the engine that trades `config` on `instrument`.
pub type GridEngineFactory =
    Arc<dyn Fn(&GridConfig, &Instrument) -> Result<Box<dyn BotEngine>, AdvisorError> + Send + Sync>;

/// Backtests grids with the core backtester (see the module docs).
#[derive(Clone)]
pub struct CoreBacktester {
    engines: GridEngineFactory,
    slippage_bps: Option<Decimal>,
}

impl CoreBacktester {
    /// Backtests the engines `engines` builds.
    pub fn new(engines: GridEngineFactory) -> Self {
        CoreBacktester {
            engines,
            slippage_bps: None,
        }
    }

    /// With another market-order slippage, basis points.
    pub fn with_slippage_bps(mut self, bps: Decimal) -> Self {
        self.slippage_bps = Some(bps);
        self
    }

    /// The backtester's full report for one grid.
    pub fn report(
        &self,
        config: &GridConfig,
        instrument: &Instrument,
        candles: &[Candle],
    ) -> Result<BacktestReport, AdvisorError> {
        let mut engine = (self.engines)(config, instrument)?;
        backtest::run(engine.as_mut(), instrument, candles, &self.settings(config))
            .map_err(|e| AdvisorError::NotEnoughData(format!("cannot backtest: {e}")))
    }

    /// [`CoreBacktester::report`] on prepared candles (the same report).
    pub fn report_prepared(
        &self,
        config: &GridConfig,
        candles: &PreparedCandles,
    ) -> Result<BacktestReport, AdvisorError> {
        let mut engine = (self.engines)(config, candles.instrument())?;
        backtest::run_prepared(engine.as_mut(), candles, &self.settings(config))
            .map_err(|e| AdvisorError::NotEnoughData(format!("cannot backtest: {e}")))
    }

    fn settings(&self, config: &GridConfig) -> BacktestConfig {
        let mut settings = BacktestConfig::new(config.investment);
        settings.max_curve_points = MAX_CURVE_POINTS;
        if let Some(bps) = self.slippage_bps {
            settings = settings.with_slippage_bps(bps);
        }
        settings
    }
}

fn outcome(r: BacktestReport) -> BacktestOutcome {
    BacktestOutcome {
        days: r.days,
        roi_pct: r.roi_pct,
        apr_pct: r.apr_pct,
        max_drawdown_pct: r.max_drawdown_pct,
        round_trips: r.round_trips,
        liquidated: r.liquidated,
        equity_curve: r.equity_curve,
    }
}

impl Default for CoreBacktester {
    /// The live grid engine ([`GridEngine`]).
    fn default() -> Self {
        CoreBacktester::new(Arc::new(|config: &GridConfig, instrument: &Instrument| {
            let engine = GridEngine::new(BotId(0), config.clone(), instrument.clone())?;
            Ok(Box::new(engine) as Box<dyn BotEngine>)
        }))
    }
}

impl GridBacktester for CoreBacktester {
    fn backtest(
        &self,
        config: &GridConfig,
        instrument: &Instrument,
        candles: &[Candle],
    ) -> Result<BacktestOutcome, AdvisorError> {
        self.report(config, instrument, candles).map(outcome)
    }

    fn backtest_prepared(
        &self,
        config: &GridConfig,
        candles: &PreparedCandles,
    ) -> Result<BacktestOutcome, AdvisorError> {
        self.report_prepared(config, candles).map(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Command, EngineEvent, EnginePhase};
    use crate::grid::{GridMode, Spacing};
    use crate::model::{BotStats, ClientOrderId, OrderRequest, Side};
    use rust_decimal_macros::dec;

    /// Buys `qty` at market on start and holds it.
    struct Hold(Decimal);

    impl BotEngine for Hold {
        fn on_event(&mut self, event: &EngineEvent, out: &mut Vec<Command>) {
            if let EngineEvent::Start { .. } = event {
                out.push(Command::Place(OrderRequest::market(
                    ClientOrderId::new("hold"),
                    Instrument::btcusdt().symbol,
                    Side::Buy,
                    self.0,
                )));
            }
        }
        fn ideal_orders(&self) -> Vec<OrderRequest> {
            Vec::new()
        }
        fn stats(&self) -> BotStats {
            BotStats::default()
        }
        fn phase(&self) -> EnginePhase {
            EnginePhase::Active
        }
        fn snapshot(&self) -> serde_json::Value {
            serde_json::Value::Null
        }
    }

    #[test]
    fn the_outcome_carries_the_reports_figures_for_the_grids_investment() {
        let i = Instrument::btcusdt();
        let candles: Vec<Candle> = (0..2000)
            .map(|k| {
                let p = dec!(30000) + Decimal::from(k % 50);
                Candle {
                    ts: k * 60_000,
                    open: p,
                    high: p + dec!(5),
                    low: p - dec!(5),
                    close: p,
                    volume: dec!(1),
                }
            })
            .collect();
        let bt = CoreBacktester::new(Arc::new(|cfg: &GridConfig, _: &Instrument| {
            Ok(Box::new(Hold(cfg.investment / dec!(30000))) as Box<dyn BotEngine>)
        }));
        let cfg = GridConfig::new(
            i.symbol.clone(),
            dec!(29000),
            dec!(31000),
            10,
            Spacing::Arithmetic,
            GridMode::Long,
            dec!(600),
            1,
        );
        let report = bt.report(&cfg, &i, &candles).unwrap();
        let outcome = bt.backtest(&cfg, &i, &candles).unwrap();
        assert_eq!(report.investment, dec!(600));
        assert_eq!(
            (
                outcome.days,
                outcome.roi_pct,
                outcome.max_drawdown_pct,
                outcome.liquidated
            ),
            (report.days, report.roi_pct, report.max_drawdown_pct, report.liquidated)
        );
        assert!(
            outcome.roi_pct != Decimal::ZERO,
            "the hold paid a taker fee and moved with the price"
        );
        assert!(outcome.equity_curve.len() <= MAX_CURVE_POINTS && outcome.equity_curve.len() >= 2);
        assert!(bt.backtest(&cfg, &i, &[]).is_err());
        let prepared = PreparedCandles::new(&i, &candles).unwrap();
        assert_eq!(bt.report_prepared(&cfg, &prepared).unwrap(), report);
        assert_eq!(bt.backtest_prepared(&cfg, &prepared).unwrap(), outcome);
    }
}
