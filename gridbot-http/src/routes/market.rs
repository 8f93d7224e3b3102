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
    /// Price step (prices are shown to it).
    #[schema(value_type = Option<String>)]
    pub tick_size: Option<Decimal>,
    /// Quantity step (quantities are shown to it).
    #[schema(value_type = Option<String>)]
    pub lot_size: Option<Decimal>,
}

/// The symbols with their last prices and steps, sorted by name.
#[utoipa::path(get, path = "/api/v1/market/symbols", tag = "market", security(("bearer" = [])),
    responses((status = 200, body = [SymbolView]), (status = 401, body = ErrorBody)))]
pub async fn symbols(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Vec<SymbolView>>> {
    let market = &state.services.market;
    let exchange = state.accounts.exchange_for(user.id).await.ok();
    let mut symbols = market.symbols();
    symbols.sort();
    let mut out = Vec::with_capacity(symbols.len());
    for s in symbols {
        let price = market.last_price(&s).await.ok();
        let instrument = match &exchange {
            Some(x) => x.instrument(&s).await.ok(),
            None => None,
        };
        out.push(SymbolView {
            symbol: s.to_string(),
            price,
            tick_size: instrument.as_ref().map(|i| i.tick_size),
            lot_size: instrument.as_ref().map(|i| i.lot_size),
        });
    }
    Ok(Json(out))
}
