//! # gridbot-http
//!
//! The HTTP frontend of gridbot: an axum [`Router`] with the REST API under
//! `/api/v1` (auth, account, multibot, grid-bot, backtest, market), the
//! server-sent-event stream, `/healthz`, `/metrics`, `/openapi.json` and the
//! embedded web dashboard (static files compiled into the binary, no build
//! step). `gridbot serve` in the root crate wires it to the trading services.
//!
//! # Example
//!
//! Build an [`AppState`] (store, clock, accounts, tokens, cipher, limits,
//! metrics and the trading [`services::Services`]), then serve it:
//!
//! ```no_run
//! use gridbot_http::{server, AppState};
//!
//! async fn run(state: AppState) -> std::io::Result<()> {
//!     let listener = server::bind("127.0.0.1:8080".parse().expect("a socket address")).await?;
//!     // Stops on Ctrl-C or SIGTERM, letting in-flight requests finish.
//!     server::serve(listener, state, server::shutdown_signal()).await
//! }
//! ```
//!
//! Or take the [`router`] and serve it yourself with
//! `axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())`
//! so login rate limits see the client's IP.
//!
//! # Where to go next
//!
//! - [`routes`]: every endpoint, its rules and answers ([`openapi::ApiDoc`]
//!   is the same as an OpenAPI document, served at `/openapi.json`);
//! - [`error`]: the error envelope and which status means what;
//! - [`auth`]: passwords, access and refresh tokens (rotation, logout and
//!   the limits of revocation), login rate limits;
//! - [`summaries`]: the shared per-user summary cache behind
//!   `/multibot/summary` and `/stream`, and exactly when it is refreshed;
//! - [`secrets`]: the master key and how exchange credentials are sealed;
//! - [`state`] and [`services`]: what a server needs to be built.
//!
//! # Invariants
//!
//! Every error answers the envelope of [`error`], in the request's language
//! ([`i18n`]); the owner's routes answer the owner's shapes (`SEED_API.md`,
//! [`views`]) with gridbot's exact decimal strings beside them; a user only
//! ever sees their own bots (a bot id of another user answers 404); secrets
//! are never returned or logged.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod accounts;
pub mod auth;
pub mod balance;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod input;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod secrets;
pub mod server;
pub mod services;
pub mod state;
pub mod summaries;
pub mod views;

use std::sync::Arc;

use axum::extract::{FromRef, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

pub use accounts::Accounts;
pub use error::{ApiError, ApiResult};
pub use state::AppState;

/// Shared types must cross threads: axum runs handlers on any worker.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<AppState>();
    shared::<services::Services>();
    shared::<summaries::SummaryCache>();
    shared::<summaries::SummarySnapshot>();
    shared::<auth::tokens::TokenService>();
    shared::<auth::limiter::AuthLimiter>();
    shared::<metrics::Metrics>();
    shared::<secrets::CredentialCipher>();
    shared::<accounts::PaperAccounts>();
    shared::<ApiError>();
    shared::<RouterConfig>();
};

/// The router's state: the [`AppState`] the caller built plus what the
/// router owns itself (the shared summary cache). Kept private so adding to
/// it never breaks callers that build an [`AppState`].
#[derive(Clone)]
struct RouterState {
    app: AppState,
    summaries: Arc<summaries::SummaryCache>,
}

impl FromRef<RouterState> for AppState {
    fn from_ref(s: &RouterState) -> Self {
        s.app.clone()
    }
}

impl FromRef<RouterState> for Arc<summaries::SummaryCache> {
    fn from_ref(s: &RouterState) -> Self {
        s.summaries.clone()
    }
}

/// After any request that may change something (not GET, HEAD or OPTIONS)
/// made with a valid access token, the caller's cached summary is marked
/// stale — whether the request succeeded or not, since a failed start may
/// still have left a bot in `error`. This covers every present and future
/// writing route, including changes that publish no bot event.
async fn invalidate_after_writes(State(s): State<RouterState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let user = auth::extract::access_user(request.headers(), request.uri(), &s.app);
    let response = next.run(request).await;
    if let Some(user) = user {
        s.summaries.invalidate(user);
    }
    response
}

/// Tuning of the router; [`RouterConfig::default`] is what `gridbot serve`
/// runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouterConfig {
    /// Longest time a cached summary is served without an event saying it
    /// changed ([`summaries::DEFAULT_MAX_AGE`]; zero disables the cache).
    pub summary_max_age: std::time::Duration,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            summary_max_age: summaries::DEFAULT_MAX_AGE,
        }
    }
}

impl RouterConfig {
    /// With another summary max age.
    pub fn with_summary_max_age(mut self, max_age: std::time::Duration) -> Self {
        self.summary_max_age = max_age;
        self
    }
}

/// The whole HTTP application, with the default [`RouterConfig`].
pub fn router(state: AppState) -> Router {
    router_with(state, RouterConfig::default())
}

/// The whole HTTP application.
///
/// Subscribes a [`summaries::SummaryCache`] to the manager's event bus; the
/// summary route and the event stream share it.
pub fn router_with(state: AppState, config: RouterConfig) -> Router {
    use routes::{account, auth, backtest, exchange, gridbot, health, market, multibot, stream};
    let api = Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route(
            "/account/exchange-credentials",
            get(account::get_credentials)
                .put(account::put_credentials)
                .delete(account::delete_credentials),
        )
        .route("/account/balance", get(account::get_balance))
        .route("/account/exchange", get(exchange::get_exchange))
        .route("/account/exchange/close-orphans", post(exchange::close_orphans))
        .route("/account/risk-settings", get(account::get_risk).put(account::put_risk))
        .route("/multibot/templates", get(multibot::templates))
        .route("/multibot/templates/{id}", get(multibot::template))
        .route("/multibot/bots", get(multibot::list_bots).post(multibot::start_bot))
        .route("/multibot/bots/{id}", get(multibot::get_bot).delete(multibot::stop_bot))
        .route("/multibot/bots/{id}/start", post(multibot::restart_bot))
        .route("/multibot/summary", get(multibot::summary))
        .route("/multibot/balance-check", get(multibot::balance_check))
        .route("/multibot/limits", get(multibot::limits))
        .route("/grid-bot/analyze", post(gridbot::analyze))
        .route("/grid-bot/preview", post(gridbot::preview))
        .route("/grid-bot/create", post(gridbot::create))
        .route("/grid-bot/list", get(gridbot::list))
        .route("/grid-bot/{id}", axum::routing::patch(gridbot::edit))
        .route("/grid-bot/{id}/start", post(gridbot::start))
        .route("/grid-bot/{id}/stop", post(gridbot::stop))
        .route("/grid-bot/{id}/performance", get(gridbot::performance))
        .route("/market/symbols", get(market::symbols))
        .route("/stream", get(stream::stream))
        .route("/backtest", post(backtest::backtest))
        .fallback(|| async { ApiError::not_found("route", "경로") });
    let shared = RouterState {
        summaries: Arc::new(summaries::SummaryCache::new(
            state.services.manager.subscribe(),
            config.summary_max_age,
        )),
        app: state.clone(),
    };
    let api = api.layer(axum::middleware::from_fn_with_state(
        shared.clone(),
        invalidate_after_writes,
    ));
    Router::new()
        .route("/", get(dashboard::index))
        .route("/assets/{file}", get(dashboard::asset))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(health::openapi))
        .nest("/api/v1", api)
        .layer(axum::middleware::from_fn(error::localize))
        .layer(axum::middleware::from_fn_with_state(state, metrics::track))
        .with_state(shared)
}
