//! Bot runners: one task per bot, fed by shared market data and the
//! account's fills, crash-safe by construction.
//!
//! - [`BotRunner`] is one bot's state machine between engine, exchange and
//!   store; its module docs state the crash-safety design.
//! - [`Supervisor`] owns the tasks, resumes bots at process start, shuts
//!   down gracefully, and watches the daily loss limit.
//! - [`MarketHub`] shares one upstream market subscription per symbol among
//!   every runner that listens.
//! - [`RetryPolicy`] retries transient exchange errors with backoff.
//! - [`LeaseOptions`]: each bot runs in one process of those sharing a
//!   store (leases taken, renewed, released, taken over).

mod bot_runner;
mod engines;
mod exec;
mod fills;
mod hub;
mod lease;
mod retry;
mod supervisor;
mod task;
mod woken;

pub use bot_runner::{BotRunner, RunnerContext, RunnerError, RunnerOptions, TickProbe};
pub use engines::{build_engine, build_warmed_engine, restore_engine};
pub use hub::MarketHub;
pub use lease::{LeaseOptions, LeaseRound, DEFAULT_LEASE_TTL_MS};
pub use retry::RetryPolicy;
pub use supervisor::Supervisor;

#[cfg(test)]
mod tests;
