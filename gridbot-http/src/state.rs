//! The state every handler shares.

use std::sync::Arc;

use gridbot_core::clock::Clock;
use gridbot_core::ports::Store;

use crate::accounts::Accounts;
use crate::auth::limiter::AuthLimiter;
use crate::auth::tokens::TokenService;
use crate::metrics::Metrics;
use crate::secrets::CredentialCipher;
use crate::services::Services;

/// Shared application state (cheap to clone: everything is behind `Arc`).
///
/// Not `#[non_exhaustive]` on purpose: `gridbot serve` (root crate) builds it
/// with a struct literal, so a new field here is a breaking change for it.
/// What the router owns itself (the summary cache) lives in the router, not
/// here; see [`crate::router_with`].
#[derive(Clone)]
pub struct AppState {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Users' exchange accounts.
    pub accounts: Arc<dyn Accounts>,
    /// JWT signing and checking.
    pub tokens: Arc<TokenService>,
    /// Credential encryption.
    pub cipher: Arc<CredentialCipher>,
    /// Login / registration rate limits.
    pub limiter: Arc<AuthLimiter>,
    /// Request counters and latency histograms.
    pub metrics: Arc<Metrics>,
    /// The trading services (manager, planner, advisor, backtester).
    pub services: Services,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState(..)")
    }
}
