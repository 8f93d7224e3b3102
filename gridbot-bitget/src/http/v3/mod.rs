//! The unified (v3, UTA) REST API for USDT-M perpetuals: one method per
//! call the adapter makes, answering in [`crate::http::records`] or the core
//! model. Request and answer shapes are in [`requests`] and [`models`];
//! every fact and its sources are in `../shared/bitget/UTA.md`.
//!
//! Differences from v2 the adapter relies on: `category` instead of
//! `productType` (same value, `USDT-FUTURES`, live and demo); batch bodies
//! are bare JSON arrays of at most [`MAX_BATCH`] items with per-item
//! results; paging uses `cursor`; order lookups need no symbol; fills carry
//! no symbol filter and may be read only 30 days per request within the
//! last 90 days; the position mode is account-wide; there is no margin-mode
//! switch (the mode goes with `set-leverage` and each order).

pub mod models;
pub mod requests;

use gridbot_core::model::{AccountBalance, Candle, ClientOrderId, Order, Position, Symbol};
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;

use crate::common::enums::ProductType;
use crate::http::candles::{parse_candle_rows, CandleRequest};
use crate::http::client::{now_ms, ApiFailure, BitgetHttpClient, Retry};
use crate::http::records::{
    add_open_orders, last_page, readable_specs, single_answer, spot_price_from, Ack, BatchAnswer, ContractSpec,
    EncodedOrder, FillRecord, HoldMode, ItemFailure, MarginMode, OrderKey, RiskTier,
};
use models::{
    V3AckList, V3Assets, V3FillList, V3Instrument, V3OrderAck, V3OrderList, V3OrderRecord, V3PositionList,
    V3PositionRecord, V3Settings, V3Ticker, V3Tier,
};
use requests::{V3CancelBody, V3PlaceOrderBody, V3SetHoldModeBody, V3SetLeverageBody, V3SymbolBody};

/// Most orders in one v3 batch request.
pub const MAX_BATCH: usize = 20;
/// Rows per page of `unfilled-orders` and `fills`.
pub const PAGE: usize = 100;
/// Longest span of one `fills` request.
pub const FILLS_WINDOW_MS: i64 = 30 * 86_400_000;
/// How far back `fills` reaches.
pub const FILLS_DEPTH_MS: i64 = 90 * 86_400_000;
const MAX_PAGES: usize = 100;

const CATEGORY: &str = ProductType::UsdtFutures.as_str();

/// The unified API over a signed client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct UnifiedRest {
    client: BitgetHttpClient,
}

fn cat(symbol: &Symbol) -> Vec<(&'static str, String)> {
    vec![("category", CATEGORY.to_owned()), ("symbol", symbol.to_string())]
}

impl UnifiedRest {
    /// The unified API through `client`.
    pub fn new(client: BitgetHttpClient) -> Self {
        UnifiedRest { client }
    }

    /// Every USDT-M contract's rules (`market/instruments`).
    pub async fn contracts(&self) -> Result<Vec<ContractSpec>, ExchangeError> {
        let rows: Vec<V3Instrument> = self
            .client
            .get(
                "/api/v3/market/instruments",
                &[("category", CATEGORY.to_owned())],
                false,
            )
            .await?;
        Ok(readable_specs(&rows, |r| &r.symbol, V3Instrument::to_spec))
    }

    /// Maintenance margin tiers of `symbol` (`market/position-tier`).
    pub async fn tiers(&self, symbol: &Symbol) -> Result<Vec<RiskTier>, ExchangeError> {
        let rows: Vec<V3Tier> = self
            .client
            .get("/api/v3/market/position-tier", &cat(symbol), false)
            .await?;
        Ok(rows.iter().map(V3Tier::to_tier).collect())
    }

    /// The last traded price of `symbol`.
    pub async fn ticker(&self, symbol: &Symbol) -> Result<Decimal, ExchangeError> {
        let rows: Vec<V3Ticker> = self.client.get("/api/v3/market/tickers", &cat(symbol), false).await?;
        rows.iter()
            .find(|t| t.symbol.is_empty() || t.symbol == symbol.as_str())
            .map(|t| t.last_price)
            .filter(|p| *p > Decimal::ZERO)
            .ok_or_else(|| ExchangeError::UnknownSymbol(format!("{symbol}: no ticker")))
    }

    /// The last spot price of `pair` (e.g. `BGBUSDT`); `None` when Bitget lists no such pair.
    pub async fn spot_price(&self, pair: &str) -> Result<Option<Decimal>, ExchangeError> {
        let r: Result<Vec<V3Ticker>, _> = self
            .client
            .get(
                "/api/v3/market/tickers",
                &[("category", "SPOT".to_owned()), ("symbol", pair.to_owned())],
                false,
            )
            .await;
        spot_price_from(
            r.map(|rows| rows.into_iter().map(|t| (t.symbol, t.last_price)).collect()),
            pair,
        )
    }

    /// One candle request (`market/candles` or `market/history-candles`).
    pub async fn candles(&self, symbol: &Symbol, req: &CandleRequest) -> Result<Vec<Candle>, ExchangeError> {
        let mut params = cat(symbol);
        params.extend(req.params("interval"));
        let rows: Vec<Vec<serde_json::Value>> = self.client.get(&req.path("/api/v3/market/"), &params, false).await?;
        parse_candle_rows(&rows)
    }

    /// `account/assets`, keeping Bitget's code on failure (the account-kind probe).
    pub async fn assets(&self) -> Result<V3Assets, ApiFailure> {
        self.client.get_detailed("/api/v3/account/assets", &[], true).await
    }

    /// The USDT balance.
    pub async fn balance(&self) -> Result<AccountBalance, ExchangeError> {
        Ok(self.assets().await.map_err(|f| f.error)?.to_balance())
    }

    /// `account/settings`: position mode, account level, per-symbol margin mode.
    pub async fn settings(&self) -> Result<V3Settings, ExchangeError> {
        self.client.get("/api/v3/account/settings", &[], true).await
    }

    /// Sets the account-wide position mode.
    pub async fn set_hold_mode(&self, mode: HoldMode) -> Result<(), ApiFailure> {
        let body = V3SetHoldModeBody {
            hold_mode: mode.as_str(),
        };
        self.client
            .post::<serde_json::Value, _>("/api/v3/account/set-hold-mode", &body, Retry::Safe)
            .await
            .map(drop)
    }

    /// Sets the isolated leverage of `symbol` (which also selects isolated
    /// margin for it); `pos_side` only when Bitget wants one side at a time.
    pub async fn set_leverage(
        &self,
        symbol: &Symbol,
        leverage: u32,
        pos_side: Option<&'static str>,
    ) -> Result<(), ApiFailure> {
        let body = V3SetLeverageBody {
            category: CATEGORY,
            symbol: symbol.as_str(),
            leverage: leverage.to_string(),
            margin_mode: MarginMode::Isolated.as_str(),
            pos_side,
        };
        self.client
            .post::<serde_json::Value, _>("/api/v3/account/set-leverage", &body, Retry::Safe)
            .await
            .map(drop)
    }

    /// Places one order with `place-order` (its refusal becomes the order's failure).
    pub async fn place_one(&self, symbol: &Symbol, order: &EncodedOrder) -> Result<BatchAnswer, ApiFailure> {
        let body = V3PlaceOrderBody::from_encoded(CATEGORY, symbol.as_str(), order, MarginMode::Isolated.as_str());
        single_answer(
            &order.client_oid,
            self.client
                .post::<V3OrderAck, _>("/api/v3/trade/place-order", &body, Retry::RefusedOnly)
                .await,
        )
    }

    /// Places at most [`MAX_BATCH`] orders with `place-batch` (a bare array; per-item results).
    pub async fn place_batch(&self, symbol: &Symbol, orders: &[EncodedOrder]) -> Result<BatchAnswer, ApiFailure> {
        let items: Vec<V3PlaceOrderBody> = orders
            .iter()
            .map(|o| V3PlaceOrderBody::from_encoded(CATEGORY, symbol.as_str(), o, MarginMode::Isolated.as_str()))
            .collect();
        let r: Vec<V3OrderAck> = self
            .client
            .post("/api/v3/trade/place-batch", &items, Retry::RefusedOnly)
            .await?;
        Ok(split_items(r))
    }

    /// One order by exchange or client id (`order-info` needs no symbol);
    /// `None` when Bitget does not know it or it is on another symbol.
    pub async fn order(&self, symbol: &Symbol, key: OrderKey<'_>) -> Result<Option<Order>, ExchangeError> {
        let param = match key {
            OrderKey::OrderId(id) => ("orderId", id.to_owned()),
            OrderKey::ClientOid(c) => ("clientOid", c.as_str().to_owned()),
        };
        match self
            .client
            .get::<V3OrderRecord>("/api/v3/trade/order-info", &[param], true)
            .await
        {
            Ok(rec) if rec.symbol.is_empty() || rec.symbol == symbol.as_str() => rec.to_order().map(Some),
            Ok(_) | Err(ExchangeError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Resting orders of `symbol`, paging with `cursor`.
    pub async fn open_orders(&self, symbol: &Symbol) -> Result<Vec<Order>, ExchangeError> {
        let mut out: Vec<Order> = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = cat(symbol);
            params.push(("limit", PAGE.to_string()));
            if let Some(c) = &cursor {
                params.push(("cursor", c.clone()));
            }
            let page: V3OrderList = self.client.get("/api/v3/trade/unfilled-orders", &params, true).await?;
            let list = page.list.unwrap_or_default();
            let orders = list
                .iter()
                .filter(|r| r.symbol == symbol.as_str())
                .map(V3OrderRecord::to_order)
                .collect::<Result<Vec<_>, _>>()?;
            add_open_orders(&mut out, orders);
            if last_page(list.len(), PAGE, &page.cursor, cursor.as_deref()) {
                break;
            }
            cursor = Some(page.cursor);
        }
        Ok(out)
    }

    /// One page of fills of `symbol`, newest first, and the token of the next
    /// (older) page. `fills` takes no symbol, so other symbols' rows are
    /// dropped here; it serves 30 days per request within the last 90, so
    /// the token walks windows back in time: `"{windowEnd}:{cursor}"`.
    pub async fn fills_page(
        &self,
        symbol: &Symbol,
        token: Option<&str>,
        since: Option<i64>,
    ) -> Result<(Vec<FillRecord>, Option<String>), ExchangeError> {
        let now = now_ms();
        let floor = since.unwrap_or(i64::MIN).max(now - FILLS_DEPTH_MS);
        let (end, cursor) = match token.and_then(|t| t.split_once(':')) {
            Some((e, c)) => (e.parse::<i64>().unwrap_or(now), Some(c).filter(|c| !c.is_empty())),
            None => (now, None),
        };
        let start = (end - FILLS_WINDOW_MS).max(floor);
        let mut params = vec![
            ("category", CATEGORY.to_owned()),
            ("startTime", start.to_string()),
            ("endTime", end.to_string()),
            ("limit", PAGE.to_string()),
        ];
        if let Some(c) = cursor {
            params.push(("cursor", c.to_owned()));
        }
        let page: V3FillList = self.client.get("/api/v3/trade/fills", &params, true).await?;
        let list = page.list.unwrap_or_default();
        let full = list.len() >= PAGE && !page.cursor.is_empty() && cursor != Some(page.cursor.as_str());
        let next = if full {
            Some(format!("{end}:{}", page.cursor))
        } else if start > floor {
            Some(format!("{start}:"))
        } else {
            None
        };
        let records = list
            .iter()
            .filter(|r| r.symbol == symbol.as_str())
            .map(|r| r.to_record())
            .collect::<Result<Vec<_>, _>>()?;
        Ok((records, next))
    }

    /// Position records of USDT-M futures (of `symbol` when given).
    pub async fn position_records(&self, symbol: Option<&Symbol>) -> Result<Vec<V3PositionRecord>, ExchangeError> {
        let params = match symbol {
            Some(s) => cat(s),
            None => vec![("category", CATEGORY.to_owned())],
        };
        let page: V3PositionList = self
            .client
            .get("/api/v3/position/current-position", &params, true)
            .await?;
        Ok(page.list.unwrap_or_default())
    }

    /// The position of `symbol`.
    pub async fn position(&self, symbol: &Symbol) -> Result<Position, ExchangeError> {
        let records = self.position_records(Some(symbol)).await?;
        Ok(V3PositionRecord::to_position(symbol, &records))
    }

    /// Every open position.
    pub async fn positions(&self) -> Result<Vec<Position>, ExchangeError> {
        let records = self.position_records(None).await?;
        let mut symbols: Vec<&str> = records
            .iter()
            .filter(|r| !r.total.is_zero())
            .map(|r| r.symbol.as_str())
            .collect();
        symbols.sort_unstable();
        symbols.dedup();
        symbols
            .into_iter()
            .map(|s| {
                let symbol = Symbol::new(s).map_err(|e| ExchangeError::Protocol(format!("position: {e}")))?;
                Ok(V3PositionRecord::to_position(&symbol, &records))
            })
            .collect()
    }

    /// Cancels orders by client id (one uses `cancel-order`; at most [`MAX_BATCH`]).
    pub async fn cancel(&self, symbol: &Symbol, ids: &[ClientOrderId]) -> Result<BatchAnswer, ApiFailure> {
        fn body<'a>(symbol: &'a Symbol, id: &'a ClientOrderId) -> V3CancelBody<'a> {
            V3CancelBody {
                category: CATEGORY,
                symbol: symbol.as_str(),
                client_oid: id.as_str(),
            }
        }
        if let [id] = ids {
            return single_answer(
                id.as_str(),
                self.client
                    .post::<V3OrderAck, _>("/api/v3/trade/cancel-order", &body(symbol, id), Retry::Safe)
                    .await,
            );
        }
        let items: Vec<V3CancelBody> = ids.iter().map(|id| body(symbol, id)).collect();
        let r: Vec<V3OrderAck> = self
            .client
            .post("/api/v3/trade/cancel-batch", &items, Retry::Safe)
            .await?;
        Ok(split_items(r))
    }

    /// Cancels every order of `symbol` (`cancel-symbol-order`); returns how many were cancelled.
    pub async fn cancel_all(&self, symbol: &Symbol) -> Result<usize, ExchangeError> {
        self.symbol_call("/api/v3/trade/cancel-symbol-order", symbol, Retry::Safe)
            .await
    }

    /// Closes the position of `symbol` at market (`close-positions`); returns
    /// how many closing orders Bitget made.
    pub async fn close_positions(&self, symbol: &Symbol) -> Result<usize, ExchangeError> {
        self.symbol_call("/api/v3/trade/close-positions", symbol, Retry::RefusedOnly)
            .await
    }

    async fn symbol_call(&self, path: &str, symbol: &Symbol, retry: Retry) -> Result<usize, ExchangeError> {
        let body = V3SymbolBody {
            category: CATEGORY,
            symbol: symbol.as_str(),
        };
        match self.client.post::<V3AckList, _>(path, &body, retry).await {
            Ok(r) => Ok(r.list.unwrap_or_default().iter().filter(|a| !a.failed()).count()),
            Err(f) if matches!(f.error, ExchangeError::NotFound(_)) || f.code.as_deref() == Some("25227") => Ok(0),
            Err(f) => Err(f.error),
        }
    }
}

/// Per-item batch results split into accepted and refused items.
fn split_items(items: Vec<V3OrderAck>) -> BatchAnswer {
    let mut answer = BatchAnswer::default();
    for it in items {
        if it.failed() {
            answer.failures.push(ItemFailure {
                client_oid: it.client_oid,
                code: it.code,
                msg: it.msg,
            });
        } else {
            answer.acks.push(Ack::from(it));
        }
    }
    answer
}
