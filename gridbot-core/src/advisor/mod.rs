//! Advisors built into the core, and the seams other advisors plug into.
//!
//! - [`proposal`]: a grid setup proposed by anyone (a sweep, an LLM), the
//!   bounds every proposal must respect, and the [`Rebacktest`] port through
//!   which a proposal becomes a backtested [`crate::ports::Recommendation`].
//! - [`profile`] and [`candidates`]: the risk profiles and the candidate
//!   grids the backtest advisor sweeps.
//! - [`sweep`] and [`report`]: planning, backtesting and judging each
//!   candidate in parallel, and the figures of a recommendation.
//! - [`walk_forward`] and [`forecast`]: how picks are chosen on validation
//!   windows they were not fitted to, kept safe for the week after, ordered
//!   by risk, and given an honest 7-day forecast.
//! - [`evaluate`]: the walk-forward evaluation of the advisor itself over a
//!   candle file (`gridbot recommend --evaluate`).
//! - [`core_backtester`]: [`CoreBacktester`], the sweep's backtests on the
//!   core backtester.
//! - [`backtest_advisor`]: [`BacktestAdvisor`], the embedded default.
//! - [`cache`]: [`CachedAdvisor`], one hour per (symbol, timeframe) over any
//!   advisor, with an upstream call budget and single-flight.

pub mod backtest_advisor;
pub mod cache;
pub mod candidates;
pub mod core_backtester;
pub mod evaluate;
pub mod forecast;
pub mod profile;
pub mod proposal;
pub mod report;
pub mod sweep;
pub mod walk_forward;

pub use backtest_advisor::{check_order, BacktestAdvisor, BacktestAdvisorConfig, REQUEST_HISTORY_DAYS};
pub use cache::{CacheConfig, CachedAdvisor};
pub use core_backtester::{CoreBacktester, GridEngineFactory};
pub use proposal::{GridProposal, ProposalBounds, Rebacktest};
pub use sweep::{BacktestOutcome, GridBacktester};
