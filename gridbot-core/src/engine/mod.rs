//! Bot engines: deterministic state machines.
//!
//! An engine never talks to an exchange. It receives [`EngineEvent`]s and
//! answers with [`Command`]s (place, cancel, close the position, finish).
//! From its state it can always say which orders *should* rest
//! ([`BotEngine::ideal_orders`]); the runner reconciles that ideal set with
//! the exchange's actual open orders, so a lost acknowledgement, a restart or
//! a timeout never doubles an order: every order carries a deterministic
//! [`crate::model::ClientOrderId`].
//!
//! The same engines run live (runner), on paper and in the backtester.

mod build;
pub mod ema;
pub mod grid;
pub mod trend;

pub use build::{build_engine, build_warmed_engine, restore_engine};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{BotStats, Candle, ClientOrderId, Fill, OrderRequest, TimestampMs};

/// Something that happened to a bot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EngineEvent {
    /// The bot is started (or resumed) at this price.
    Start {
        /// Current price.
        price: Decimal,
        /// Now.
        ts: TimestampMs,
    },
    /// A new last price.
    Price {
        /// Last price.
        price: Decimal,
        /// Now.
        ts: TimestampMs,
    },
    /// A 1-minute candle closed.
    Candle(Candle),
    /// One of the bot's orders filled (fully or partly). The runner passes
    /// each exchange fill id once.
    Fill(Fill),
    /// The exchange refused one of the bot's orders.
    Rejected {
        /// The refused order.
        client_id: ClientOrderId,
        /// The exchange's reason.
        reason: String,
        /// Now.
        ts: TimestampMs,
    },
    /// The user (or a risk rule) stops the bot.
    Stop {
        /// Now.
        ts: TimestampMs,
    },
    /// A risk rule pauses the bot: the engine cancels its resting orders,
    /// closes its position with its own closing order when
    /// `close_position`, and places nothing until the next
    /// [`EngineEvent::Start`] (the resume). Fills of orders that were
    /// already out are still booked. Each engine's docs say what its resume
    /// does.
    Pause {
        /// Also close the position (the user's `close_positions_on_pause`).
        close_position: bool,
        /// Now.
        ts: TimestampMs,
    },
}

/// Why an engine finished by itself or was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopReason {
    /// Stopped by the user.
    User,
    /// The whole-grid (or trend) stop-loss was hit.
    StopLoss,
    /// The whole-grid (or trend) take-profit was hit.
    TakeProfit,
    /// The price left the range and the bot is configured to stop.
    OutOfRange,
    /// A risk rule (daily loss limit) stopped it.
    Risk,
    /// The position was liquidated.
    Liquidated,
}

/// What an engine asks the runner to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Place this order (its client id is deterministic).
    Place(OrderRequest),
    /// Cancel this resting order.
    Cancel(ClientOrderId),
    /// Close the whole position with a reduce-only market order.
    ClosePosition(ClientOrderId),
    /// The engine is done: after the commands before this one are carried
    /// out, mark the bot stopped.
    Finish(StopReason),
}

/// Where an engine is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnginePhase {
    /// Not started yet, or waiting for the trigger price.
    Waiting,
    /// Trading.
    Active,
    /// Finished.
    Finished,
}

/// A bot's trading logic.
pub trait BotEngine: Send {
    /// Handles one event, appending the commands it leads to to `out`.
    fn on_event(&mut self, event: &EngineEvent, out: &mut Vec<Command>);

    /// The orders that should be resting now, by client id.
    fn ideal_orders(&self) -> Vec<OrderRequest>;

    /// Running totals (PnL, fees, fills, round trips, position).
    fn stats(&self) -> BotStats;

    /// Where the engine is.
    fn phase(&self) -> EnginePhase;

    /// The engine's state as JSON, from which [`BotEngine`] implementations
    /// can be restored exactly (deterministic continuation).
    fn snapshot(&self) -> serde_json::Value;

    /// Makes a fresh engine number every client id it will make from
    /// generation `floor` on: a new run of a bot whose earlier run used the
    /// generations below (an exchange remembers client ids; a new run must
    /// never reuse one). Engines that make no client ids keep the default,
    /// which does nothing.
    fn set_id_floor(&mut self, floor: u64) {
        let _ = floor;
    }
}
