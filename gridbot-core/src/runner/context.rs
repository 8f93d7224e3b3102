//! What a runner needs from the outside ([`RunnerContext`]), how it behaves
//! ([`RunnerOptions`]) and why it stops ([`RunnerError`]).

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use thiserror::Error;

use super::RetryPolicy;
use crate::clock::Clock;
use crate::error::{ExchangeError, MarketDataError, StoreError, ValidationError};
use crate::events::EventBus;
use crate::model::{Symbol, Tick};
use crate::ports::{Exchange, Store};

/// Why a runner stopped working. Exchange errors here are persistent (or
/// transient ones that outlasted the retries).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RunnerError {
    /// The exchange failed.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// The store failed (or refused: a lost lease, a fill beyond its order).
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    /// The bot's settings or saved state are invalid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Market data failed.
    #[error(transparent)]
    Market(#[from] MarketDataError),
    /// A stop could not close the bot's position; the bot is left in
    /// `error` (never `stopped`) so the user sees it.
    #[error("position of {qty} {symbol} left open: {reason}")]
    PositionLeftOpen {
        /// The contract.
        symbol: Symbol,
        /// The bot's position (signed: + long, − short).
        qty: Decimal,
        /// Why the exchange did not close it.
        reason: String,
    },
    /// A stop could not get the exchange to drop the bot's orders; the bot
    /// stays `stopping` and the stop is tried again.
    #[error("orders of the bot still open on the exchange after cancelling: {ids}")]
    OrdersLeftOpen {
        /// The client ids still open.
        ids: String,
    },
    /// The exchange holds something the bot's books cannot account for (a
    /// position that differs from the bot's, a fill of none of its orders).
    #[error("the exchange and the bot's books disagree on {symbol}: {detail}")]
    Mismatch {
        /// The contract.
        symbol: Symbol,
        /// What differs, with both records.
        detail: String,
    },
}

impl RunnerError {
    /// True when the runner lost its lease: it must stop acting for the bot
    /// and write nothing more (another process may run the bot now).
    pub fn is_lease_lost(&self) -> bool {
        matches!(self, RunnerError::Store(StoreError::LeaseLost { .. }))
    }

    /// True when retrying later may succeed (the exchange or the database
    /// was unreachable, orders are still being cancelled): a stop keeps the
    /// bot `stopping` and tries again instead of marking it `error`.
    pub fn is_transient(&self) -> bool {
        match self {
            RunnerError::Exchange(e) => e.is_transient(),
            RunnerError::Store(StoreError::Database(_)) => true,
            RunnerError::Market(MarketDataError::Connectivity(_)) => true,
            RunnerError::OrdersLeftOpen { .. } => true,
            _ => false,
        }
    }
}

/// How a runner behaves.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Retries of transient exchange errors (the one retry layer of the
    /// runner: see `retry.rs`).
    pub retry: RetryPolicy,
    /// Minimum market time between two equity snapshots, ms.
    pub equity_interval_ms: i64,
    /// Fetch fills before every closed candle (paper, simulations) rather
    /// than only when the account reports one.
    pub sync_fills_every_candle: bool,
    /// Longest time between two reconciliations with the exchange (open
    /// orders, fills, position), measured on the runner's clock.
    pub reconcile_every: Duration,
    /// Attempts a stop makes to cancel the bot's orders and close its
    /// position before it gives up (waiting [`RetryPolicy::delay`] between
    /// attempts).
    pub stop_attempts: u32,
    /// Told after the runner has handled each tick (metrics: tick-to-decision
    /// latency). `None` in normal operation.
    pub tick_probe: Option<TickProbe>,
}

/// A callback run after each handled tick, with the tick (see
/// [`RunnerOptions::tick_probe`]). It runs on the runner's task: keep it cheap.
#[derive(Clone)]
pub struct TickProbe(pub(super) Arc<dyn Fn(&Tick) + Send + Sync>);

impl TickProbe {
    /// A probe calling `f`.
    pub fn new(f: impl Fn(&Tick) + Send + Sync + 'static) -> Self {
        TickProbe(Arc::new(f))
    }
}

impl std::fmt::Debug for TickProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TickProbe")
    }
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            retry: RetryPolicy::default(),
            equity_interval_ms: 60_000,
            sync_fills_every_candle: true,
            reconcile_every: Duration::from_secs(30),
            stop_attempts: 8,
            tick_probe: None,
        }
    }
}

/// Everything one bot's runner needs from the outside.
#[derive(Clone)]
pub struct RunnerContext {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// The bot owner's account.
    pub exchange: Arc<dyn Exchange>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Where status and stats changes are published.
    pub events: EventBus,
    /// Behaviour.
    pub options: RunnerOptions,
}
