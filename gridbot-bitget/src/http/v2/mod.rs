//! The classic (v2) REST API of USDT-M futures: one method per call the
//! adapter makes, answering in the API-neutral [`crate::http::records`] or
//! the core model. Request and answer shapes are in [`requests`] and
//! [`models`]; the endpoint table is in `../shared/bitget/README.md`.
//!
//! Paths: `/api/v2/mix/market/*` (public), `/api/v2/mix/account/*`,
//! `/api/v2/mix/order/*`, `/api/v2/mix/position/*` (signed), and the spot
//! ticker for fee-coin prices. Every call carries `productType=USDT-FUTURES`
//! (live and demo alike) and, where Bitget wants it, `marginCoin=USDT`.

pub mod models;
pub mod requests;

use gridbot_core::model::{AccountBalance, Candle, ClientOrderId, Order, Position, Symbol};
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;

use crate::common::enums::ProductType;
use crate::http::candles::{parse_candle_rows, CandleRequest};
use crate::http::client::{ApiFailure, BitgetHttpClient, Retry};
use crate::http::records::{
    add_open_orders, last_page, readable_specs, single_answer, spot_price_from, AccountModes, Ack, BatchAnswer,
    ContractSpec, EncodedOrder, FillRecord, HoldMode, ItemFailure, MarginMode, OrderKey, RiskTier,
};
use models::{
    V2AccountRecord, V2BatchResult, V2ContractRecord, V2FillsData, V2OrderAck, V2OrderRecord, V2PendingOrders,
    V2PositionRecord, V2SingleAccount, V2SpotTicker, V2TickerRecord, V2TierRecord,
};
use requests::{
    V2BatchCancelBody, V2BatchPlaceBody, V2CancelBody, V2ClosePositionsBody, V2OrderItem, V2OrderRef, V2PlaceOrderBody,
    V2SetLeverageBody, V2SetMarginModeBody, V2SetPositionModeBody,
};

/// Most orders in one v2 batch request.
pub const MAX_BATCH: usize = 50;
/// Rows per page of `orders-pending` and `fills`.
pub const PAGE: usize = 100;
/// Most pages of open orders read (10 000 orders).
const MAX_PAGES: usize = 100;

const PT: &str = ProductType::UsdtFutures.as_str();
const COIN: &str = ProductType::UsdtFutures.margin_coin();

/// The classic API over a signed client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ClassicRest {
    client: BitgetHttpClient,
}

fn base(symbol: &Symbol) -> Vec<(&'static str, String)> {
    vec![("symbol", symbol.to_string()), ("productType", PT.to_owned())]
}

impl ClassicRest {
    /// The classic API through `client`.
    pub fn new(client: BitgetHttpClient) -> Self {
        ClassicRest { client }
    }

    /// Every USDT-M contract's rules (contracts the adapter cannot read are logged and skipped).
    pub async fn contracts(&self) -> Result<Vec<ContractSpec>, ExchangeError> {
        let records: Vec<V2ContractRecord> = self
            .client
            .get("/api/v2/mix/market/contracts", &[("productType", PT.to_owned())], false)
            .await?;
        Ok(readable_specs(&records, |r| &r.symbol, V2ContractRecord::to_spec))
    }

    /// Maintenance margin tiers of `symbol` (`query-position-lever`).
    pub async fn tiers(&self, symbol: &Symbol) -> Result<Vec<RiskTier>, ExchangeError> {
        let rows: Vec<V2TierRecord> = self
            .client
            .get("/api/v2/mix/market/query-position-lever", &base(symbol), false)
            .await?;
        Ok(rows.iter().map(V2TierRecord::to_tier).collect())
    }

    /// The last traded price of `symbol`.
    pub async fn ticker(&self, symbol: &Symbol) -> Result<Decimal, ExchangeError> {
        let rows: Vec<V2TickerRecord> = self
            .client
            .get("/api/v2/mix/market/ticker", &base(symbol), false)
            .await?;
        rows.first()
            .map(|t| t.last_pr)
            .filter(|p| *p > Decimal::ZERO)
            .ok_or_else(|| ExchangeError::UnknownSymbol(format!("{symbol}: no ticker")))
    }

    /// The last spot price of `pair` (e.g. `BGBUSDT`); `None` when Bitget lists no such pair.
    pub async fn spot_price(&self, pair: &str) -> Result<Option<Decimal>, ExchangeError> {
        let r: Result<Vec<V2SpotTicker>, _> = self
            .client
            .get("/api/v2/spot/market/tickers", &[("symbol", pair.to_owned())], false)
            .await;
        spot_price_from(
            r.map(|rows| rows.into_iter().map(|t| (t.symbol, t.last_pr)).collect()),
            pair,
        )
    }

    /// One candle request (`candles` or `history-candles`).
    pub async fn candles(&self, symbol: &Symbol, req: &CandleRequest) -> Result<Vec<Candle>, ExchangeError> {
        let mut params = base(symbol);
        params.extend(req.params("granularity"));
        let rows: Vec<Vec<serde_json::Value>> = self
            .client
            .get(&req.path("/api/v2/mix/market/"), &params, false)
            .await?;
        parse_candle_rows(&rows)
    }

    /// The USDT futures balance (`accounts`).
    pub async fn balance(&self) -> Result<AccountBalance, ExchangeError> {
        let list: Vec<V2AccountRecord> = self
            .client
            .get("/api/v2/mix/account/accounts", &[("productType", PT.to_owned())], true)
            .await?;
        let a = list
            .into_iter()
            .find(|a| a.margin_coin.eq_ignore_ascii_case(COIN))
            .ok_or_else(|| ExchangeError::NotFound(format!("no {COIN} futures account")))?;
        let equity = a.usdt_equity.filter(|e| !e.is_zero()).unwrap_or(a.account_equity);
        // Margin held by positions and orders: what equity holds beyond what is available.
        let used = (a.account_equity - a.available).max(Decimal::ZERO);
        Ok(AccountBalance::new(equity, a.available, used))
    }

    /// Position mode and the margin mode of `symbol` (`account`).
    pub async fn modes(&self, symbol: &Symbol) -> Result<AccountModes, ExchangeError> {
        let mut params = base(symbol);
        params.push(("marginCoin", COIN.to_owned()));
        let a: V2SingleAccount = self.client.get("/api/v2/mix/account/account", &params, true).await?;
        Ok(a.to_modes(symbol))
    }

    /// Sets the position mode of USDT-M futures.
    pub async fn set_hold_mode(&self, mode: HoldMode) -> Result<(), ApiFailure> {
        let body = V2SetPositionModeBody {
            product_type: PT,
            pos_mode: mode.as_str(),
        };
        self.client
            .post::<serde_json::Value, _>("/api/v2/mix/account/set-position-mode", &body, Retry::Safe)
            .await
            .map(drop)
    }

    /// Sets the margin mode of `symbol`.
    pub async fn set_margin_mode(&self, symbol: &Symbol, mode: MarginMode) -> Result<(), ApiFailure> {
        let body = V2SetMarginModeBody {
            symbol: symbol.as_str(),
            product_type: PT,
            margin_coin: COIN,
            margin_mode: mode.as_str(),
        };
        self.client
            .post::<serde_json::Value, _>("/api/v2/mix/account/set-margin-mode", &body, Retry::Safe)
            .await
            .map(drop)
    }

    /// Sets the leverage of `symbol` (one-way mode: no `holdSide`).
    pub async fn set_leverage(&self, symbol: &Symbol, leverage: u32) -> Result<(), ApiFailure> {
        let body = V2SetLeverageBody {
            symbol: symbol.as_str(),
            product_type: PT,
            margin_coin: COIN,
            leverage: leverage.to_string(),
        };
        self.client
            .post::<serde_json::Value, _>("/api/v2/mix/account/set-leverage", &body, Retry::Safe)
            .await
            .map(drop)
    }

    /// Places `orders` (at most [`MAX_BATCH`]; one order uses `place-order`,
    /// whose refusal becomes that order's failure). Isolated margin.
    pub async fn place(&self, symbol: &Symbol, orders: &[EncodedOrder]) -> Result<BatchAnswer, ApiFailure> {
        if let [o] = orders {
            let body = V2PlaceOrderBody {
                symbol: symbol.to_string(),
                product_type: PT,
                margin_mode: MarginMode::Isolated.as_str(),
                margin_coin: COIN,
                order: V2OrderItem::from_encoded(o),
            };
            return single_answer(
                &o.client_oid,
                self.client
                    .post::<V2OrderAck, _>("/api/v2/mix/order/place-order", &body, Retry::RefusedOnly)
                    .await,
            );
        }
        let items: Vec<V2OrderItem> = orders.iter().map(V2OrderItem::from_encoded).collect();
        let body = V2BatchPlaceBody {
            symbol: symbol.as_str(),
            product_type: PT,
            margin_coin: COIN,
            margin_mode: MarginMode::Isolated.as_str(),
            order_list: &items,
        };
        let r: V2BatchResult = self
            .client
            .post("/api/v2/mix/order/batch-place-order", &body, Retry::RefusedOnly)
            .await?;
        Ok(batch_answer(r))
    }

    /// One order by exchange or client id; `None` when Bitget does not know it.
    pub async fn order(&self, symbol: &Symbol, key: OrderKey<'_>) -> Result<Option<Order>, ExchangeError> {
        let mut params = base(symbol);
        params.push(match key {
            OrderKey::OrderId(id) => ("orderId", id.to_owned()),
            OrderKey::ClientOid(c) => ("clientOid", c.as_str().to_owned()),
        });
        match self
            .client
            .get::<V2OrderRecord>("/api/v2/mix/order/detail", &params, true)
            .await
        {
            Ok(rec) => rec.to_order().map(Some),
            Err(ExchangeError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Resting orders of `symbol`. Bitget's pages say different things about
    /// what `orders-pending` lists without a `status` (English: `live` only;
    /// Chinese: every state), so the adapter also asks for
    /// `partially_filled` and keeps the open ones of both.
    pub async fn open_orders(&self, symbol: &Symbol) -> Result<Vec<Order>, ExchangeError> {
        let mut out: Vec<Order> = Vec::new();
        for status in [None, Some("partially_filled")] {
            let mut before: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let mut params = base(symbol);
                params.push(("limit", PAGE.to_string()));
                if let Some(s) = status {
                    params.push(("status", s.to_owned()));
                }
                if let Some(id) = &before {
                    params.push(("idLessThan", id.clone()));
                }
                let page: V2PendingOrders = self
                    .client
                    .get("/api/v2/mix/order/orders-pending", &params, true)
                    .await?;
                let list = page.entrusted_list.unwrap_or_default();
                let orders = list
                    .iter()
                    .map(V2OrderRecord::to_order)
                    .collect::<Result<Vec<_>, _>>()?;
                add_open_orders(&mut out, orders);
                if last_page(list.len(), PAGE, &page.end_id, before.as_deref()) {
                    break;
                }
                before = Some(page.end_id);
            }
        }
        Ok(out)
    }

    /// One page of fills of `symbol`, newest first, and the token of the next
    /// (older) page. `since` bounds the read by time.
    pub async fn fills_page(
        &self,
        symbol: &Symbol,
        token: Option<&str>,
        since: Option<i64>,
    ) -> Result<(Vec<FillRecord>, Option<String>), ExchangeError> {
        let mut params = base(symbol);
        params.push(("limit", PAGE.to_string()));
        if let Some(id) = token {
            params.push(("idLessThan", id.to_owned()));
        }
        if let Some(ts) = since {
            params.push(("startTime", ts.to_string()));
        }
        let page: V2FillsData = self.client.get("/api/v2/mix/order/fills", &params, true).await?;
        let list = page.fill_list.unwrap_or_default();
        let next = (list.len() >= PAGE && !page.end_id.is_empty() && token != Some(page.end_id.as_str()))
            .then_some(page.end_id);
        let records = list.iter().map(|r| r.to_record()).collect::<Result<Vec<_>, _>>()?;
        Ok((records, next))
    }

    /// The position of `symbol`.
    pub async fn position(&self, symbol: &Symbol) -> Result<Position, ExchangeError> {
        let mut params = base(symbol);
        params.push(("marginCoin", COIN.to_owned()));
        let records: Vec<V2PositionRecord> = self
            .client
            .get("/api/v2/mix/position/single-position", &params, true)
            .await?;
        Ok(V2PositionRecord::to_position(symbol, &records))
    }

    /// Every open position.
    pub async fn positions(&self) -> Result<Vec<Position>, ExchangeError> {
        let records: Vec<V2PositionRecord> = self
            .client
            .get(
                "/api/v2/mix/position/all-position",
                &[("productType", PT.to_owned()), ("marginCoin", COIN.to_owned())],
                true,
            )
            .await?;
        records
            .iter()
            .filter(|r| !r.total.is_zero())
            .map(|r| {
                let symbol = Symbol::new(r.symbol()).map_err(|e| ExchangeError::Protocol(format!("position: {e}")))?;
                Ok(V2PositionRecord::to_position(&symbol, std::slice::from_ref(r)))
            })
            .collect()
    }

    /// Cancels orders by client id (one uses `cancel-order`; at most [`MAX_BATCH`]).
    pub async fn cancel(&self, symbol: &Symbol, ids: &[ClientOrderId]) -> Result<BatchAnswer, ApiFailure> {
        let oref = |id: &ClientOrderId| V2OrderRef {
            order_id: None,
            client_oid: Some(id.as_str().to_owned()),
        };
        if let [id] = ids {
            let body = V2CancelBody {
                symbol: symbol.as_str(),
                product_type: PT,
                margin_coin: COIN,
                order: oref(id),
            };
            return single_answer(
                id.as_str(),
                self.client
                    .post::<V2OrderAck, _>("/api/v2/mix/order/cancel-order", &body, Retry::Safe)
                    .await,
            );
        }
        let body = V2BatchCancelBody {
            symbol: symbol.as_str(),
            product_type: PT,
            margin_coin: COIN,
            order_id_list: Some(ids.iter().map(oref).collect()),
        };
        let r: V2BatchResult = self
            .client
            .post("/api/v2/mix/order/batch-cancel-orders", &body, Retry::Safe)
            .await?;
        Ok(batch_answer(r))
    }

    /// Cancels every order of `symbol` (`batch-cancel-orders` without a list).
    pub async fn cancel_all(&self, symbol: &Symbol) -> Result<usize, ExchangeError> {
        let body = V2BatchCancelBody {
            symbol: symbol.as_str(),
            product_type: PT,
            margin_coin: COIN,
            order_id_list: None,
        };
        match self
            .client
            .post::<V2BatchResult, _>("/api/v2/mix/order/batch-cancel-orders", &body, Retry::Safe)
            .await
        {
            Ok(r) => Ok(r.success_list.map(|l| l.len()).unwrap_or(0)),
            Err(f) if matches!(f.error, ExchangeError::NotFound(_)) => Ok(0),
            Err(f) => Err(f.error),
        }
    }

    /// Closes the position of `symbol` at market (`close-positions`);
    /// returns how many closing orders Bitget made.
    pub async fn close_positions(&self, symbol: &Symbol) -> Result<usize, ExchangeError> {
        let body = V2ClosePositionsBody {
            symbol: symbol.as_str(),
            product_type: PT,
        };
        match self
            .client
            .post::<V2BatchResult, _>("/api/v2/mix/order/close-positions", &body, Retry::RefusedOnly)
            .await
        {
            Ok(r) => Ok(r.success_list.map(|l| l.len()).unwrap_or(0)),
            Err(f) if f.code.as_deref() == Some("22002") => Ok(0),
            Err(f) => Err(f.error),
        }
    }
}

impl From<V2OrderAck> for Ack {
    fn from(a: V2OrderAck) -> Self {
        Ack {
            order_id: a.order_id,
            client_oid: a.client_oid,
        }
    }
}

fn batch_answer(r: V2BatchResult) -> BatchAnswer {
    BatchAnswer {
        acks: r.success_list.unwrap_or_default().into_iter().map(Ack::from).collect(),
        failures: r
            .failure_list
            .unwrap_or_default()
            .into_iter()
            .map(|f| ItemFailure {
                client_oid: f.client_oid,
                code: f.error_code,
                msg: f.error_msg,
            })
            .collect(),
    }
}
