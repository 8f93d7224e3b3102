//! The traits through which the core talks to the world. All are
//! object-safe `async_trait`s and `Send + Sync`, so they are shared as
//! `Arc<dyn Trait>` across tasks.
//!
//! With the `mocks` feature (and in this crate's own tests) the `mocks` module holds
//! mockall mocks of each: `MockExchange`, `MockMarketData`, `MockStore`,
//! `MockAdvisor`.

mod advisor;
mod exchange;
mod exchange_provider;
mod market_data;
mod store;
mod venue_journal;

pub use advisor::{
    Advisor, AdvisorRequest, MarketAnalysis, ProfileUnavailable, Recommendation, RecommendationSet, RiskLevel, Trend,
};
pub use exchange::{Exchange, ExecutionStream, FillPage};
pub use exchange_provider::{ExchangeMap, ExchangeProvider, SharedExchange};
pub use market_data::{MarketData, MarketSubscription};
pub use store::{check_fill_booking, BotLimits, BotWrites, BotWritten, EngineSave, Lease, StatusChange, Store};
pub use venue_journal::{VenueClaim, VenueEntry, VenueLoad};

/// mockall mocks of every port.
#[cfg(any(test, feature = "mocks"))]
pub mod mocks {
    pub use super::advisor::MockAdvisor;
    pub use super::exchange::MockExchange;
    pub use super::exchange_provider::MockExchangeProvider;
    pub use super::market_data::MockMarketData;
    pub use super::store::MockStore;
}
