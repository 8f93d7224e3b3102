//! Bot runners: one task per bot, fed by shared market data and the
//! account's execution events, money-exact through crashes, races and
//! restarts.
//!
//! Read it in the order a tick travels:
//! 1. `task.rs` — the task around a runner: waits for a market event, an
//!    execution event, a control message or the reconciliation timer.
//! 2. [`BotRunner`] (`bot_runner.rs`) — one step per event: book fills,
//!    feed the engine, carry out its commands, commit. Its module docs state
//!    the crash-safety design.
//! 3. `exec.rs` — commands against the [`crate::ports::Exchange`]: orders
//!    written before they are sent, unknown outcomes looked up by client id.
//! 4. `books.rs` — what the runner writes (one fenced transaction per step)
//!    and how fills are booked exactly once, never beyond their order.
//! 5. `reconcile.rs` — the bot's books against the exchange's own view
//!    (orders, fills, position), and the end of every stop.
//!
//! Around them:
//! - [`Supervisor`] owns the tasks, runs one lifecycle action per bot at a
//!   time, resumes bots at process start, shuts down gracefully, and
//!   watches the daily loss limit; it is the manager's [`BotLauncher`].
//! - `lease.rs` ([`LeaseOptions`]): each bot runs in one process of those
//!   sharing a store; the lease is the fencing token of every write.
//! - [`MarketHub`] shares one upstream market subscription per symbol among
//!   every runner that listens.
//! - [`RetryPolicy`] (`retry.rs`) is the runner's one retry layer.

mod books;
mod bot_runner;
mod context;
mod exec;
mod hub;
mod launcher;
mod lease;
mod locks;
mod reconcile;
mod retry;
mod supervisor;
mod task;
mod woken;

pub use bot_runner::BotRunner;
pub use context::{RunnerContext, RunnerError, RunnerOptions, TickProbe};
pub use hub::MarketHub;
pub use launcher::BotLauncher;
#[cfg(any(test, feature = "mocks"))]
pub use launcher::MockBotLauncher;
pub use lease::{LeaseOptions, LeaseRound, DEFAULT_LEASE_TTL_MS};
pub use locks::BotLocks;
pub use retry::RetryPolicy;
pub use supervisor::Supervisor;

#[cfg(test)]
mod tests;
