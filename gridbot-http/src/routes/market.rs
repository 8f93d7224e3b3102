//! `GET /market/symbols`: the symbols the market serves, with last prices
//! (the dashboard's symbol pickers).

use axum::extract::State;
use axum::Json;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::extract::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;

/// A tradable symbol.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct SymbolView {
    /// The contract.
    pub symbol: String,
    /// Last price, when known.
    #[schema(value_type = Option<String>)]
    pub price: Option<Decimal>,
}

/// The symbols with their last prices, sorted by name.
#[utoipa::path(get, path = "/api/v1/market/symbols", tag = "market", security(("bearer" = [])),
    responses((status = 200, body = [SymbolView]), (status = 401, body = ErrorBody)))]
pub async fn symbols(State(state): State<AppState>, _user: AuthUser) -> ApiResult<Json<Vec<SymbolView>>> {
    let market = &state.services.market;
    let mut symbols = market.symbols();
    symbols.sort();
    let mut out = Vec::with_capacity(symbols.len());
    for s in symbols {
        let price = market.last_price(&s).await.ok();
        out.push(SymbolView {
            symbol: s.to_string(),
            price,
        });
    }
    Ok(Json(out))
}
