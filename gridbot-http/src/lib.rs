//! # gridbot-http
//!
//! The axum router: REST API under `/api/v1`, auth, the server-sent-event
//! stream and the embedded web dashboard.
//!
//! Build an [`AppState`] and call [`router`]; serve it with
//! `axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())`
//! so login rate limits see the client's IP.
//!
//! Invariants: every error answers the envelope of [`error`]; money is a
//! decimal string in every body; a user only ever sees their own bots (a
//! bot id of another user answers 404); secrets are never returned or
//! logged.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod accounts;
pub mod auth;
pub mod balance;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod secrets;
pub mod server;
pub mod services;
pub mod state;
pub mod views;

use axum::routing::{get, post};
use axum::Router;

pub use accounts::Accounts;
pub use error::{ApiError, ApiResult};
pub use state::AppState;

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    use routes::{account, auth, backtest, gridbot, health, market, multibot, stream};
    let api = Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route(
            "/account/exchange-credentials",
            get(account::get_credentials)
                .put(account::put_credentials)
                .delete(account::delete_credentials),
        )
        .route("/account/balance", get(account::get_balance))
        .route("/account/risk-settings", get(account::get_risk).put(account::put_risk))
        .route("/multibot/templates", get(multibot::templates))
        .route("/multibot/templates/{id}", get(multibot::template))
        .route("/multibot/bots", get(multibot::list_bots).post(multibot::start_bot))
        .route("/multibot/bots/{id}", get(multibot::get_bot).delete(multibot::stop_bot))
        .route("/multibot/summary", get(multibot::summary))
        .route("/multibot/balance-check", get(multibot::balance_check))
        .route("/grid-bot/analyze", post(gridbot::analyze))
        .route("/grid-bot/preview", post(gridbot::preview))
        .route("/grid-bot/create", post(gridbot::create))
        .route("/grid-bot/list", get(gridbot::list))
        .route("/grid-bot/{id}/start", post(gridbot::start))
        .route("/grid-bot/{id}/stop", post(gridbot::stop))
        .route("/grid-bot/{id}/performance", get(gridbot::performance))
        .route("/market/symbols", get(market::symbols))
        .route("/stream", get(stream::stream))
        .route("/backtest", post(backtest::backtest))
        .fallback(|| async { ApiError::not_found("route") });
    Router::new()
        .route("/", get(dashboard::index))
        .route("/assets/{file}", get(dashboard::asset))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(health::openapi))
        .nest("/api/v1", api)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}
