//! [`BitgetExchange`]: the [`Exchange`] port over Bitget's REST API, plus the
//! account calls the CLI uses (contracts, positions, ticker, candles).
//!
//! Invariants:
//! - The account trades one-way position mode and isolated margin;
//!   [`Exchange::set_leverage`] prepares a symbol that way before a bot's
//!   first order. Bitget refuses to switch modes while orders or positions
//!   exist (which is also the case when the mode is already right), so mode
//!   refusals are logged, not fatal; a leverage refusal is an error.
//! - Every order carries its deterministic `clientOid`; placement never sends
//!   an order twice (see [`crate::http::orders`]).
//! - Bitget's fill records carry the exchange order id but not the client
//!   id; the adapter remembers `orderId → clientOid` for the orders it has
//!   seen and asks `order/detail` for the others.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use async_trait::async_trait;
use gridbot_core::model::{
    AccountBalance, Candle, ClientOrderId, FillCursor, Instrument, Interval, Order, OrderRequest, Position, Symbol,
    TimestampMs,
};
use gridbot_core::ports::{Exchange, ExecutionStream, FillPage};
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;

use crate::common::enums::{granularity, ProductType};
use crate::config::BitgetConfig;
use crate::http::client::{BitgetHttpClient, Retry};
use crate::http::models::{
    parse_candle_row, AccountRecord, ContractRecord, PositionRecord, SetLeverageBody, SetMarginModeBody,
    SetPositionModeBody, TickerRecord,
};
use crate::ws::private::ExecutionHub;

/// Margin mode every bot uses.
pub const MARGIN_MODE: &str = "isolated";
/// Most `orderId → clientOid` pairs remembered.
const ORDER_ID_MEMORY: usize = 200_000;
/// Most candles one `candles` request asks for.
pub const CANDLES_PER_REQUEST: usize = 1000;

/// Remembered `orderId → clientOid` pairs, oldest forgotten first.
#[derive(Default)]
struct OrderIdMemory {
    map: HashMap<String, ClientOrderId>,
    order: VecDeque<String>,
}

impl OrderIdMemory {
    fn insert(&mut self, order_id: &str, client_id: &ClientOrderId) {
        if order_id.is_empty() || client_id.as_str().is_empty() {
            return;
        }
        if self.map.insert(order_id.to_owned(), client_id.clone()).is_none() {
            self.order.push_back(order_id.to_owned());
            while self.order.len() > ORDER_ID_MEMORY {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }
}

pub(crate) struct Inner {
    pub(crate) client: BitgetHttpClient,
    name: String,
    instruments: RwLock<HashMap<Symbol, Instrument>>,
    order_ids: Mutex<OrderIdMemory>,
    tracked: Mutex<BTreeSet<Symbol>>,
    hub: OnceLock<ExecutionHub>,
}

/// A Bitget USDT-M futures account. Cheap to clone.
#[derive(Clone)]
pub struct BitgetExchange {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for BitgetExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BitgetExchange")
            .field("name", &self.inner.name)
            .field("client", &self.inner.client)
            .finish()
    }
}

impl BitgetExchange {
    /// An account client for `config`.
    pub fn new(config: BitgetConfig) -> Result<Self, ExchangeError> {
        let name = if config.is_demo() { "bitget-demo" } else { "bitget" }.to_owned();
        Ok(BitgetExchange {
            inner: Arc::new(Inner {
                client: BitgetHttpClient::new(config)?,
                name,
                instruments: RwLock::new(HashMap::new()),
                order_ids: Mutex::new(OrderIdMemory::default()),
                tracked: Mutex::new(BTreeSet::new()),
                hub: OnceLock::new(),
            }),
        })
    }

    /// The REST client.
    pub fn client(&self) -> &BitgetHttpClient {
        &self.inner.client
    }

    pub(crate) fn product(&self) -> ProductType {
        self.inner.client.config().product_type()
    }

    pub(crate) fn pt(&self) -> &'static str {
        self.product().as_str()
    }

    pub(crate) fn coin(&self) -> &'static str {
        self.product().margin_coin()
    }

    pub(crate) fn remember_order_id(&self, order_id: &str, client_id: &ClientOrderId) {
        if let Ok(mut m) = self.inner.order_ids.lock() {
            m.insert(order_id, client_id);
        }
    }

    pub(crate) fn known_client_id(&self, order_id: &str) -> Option<ClientOrderId> {
        self.inner.order_ids.lock().ok()?.map.get(order_id).cloned()
    }

    /// Marks `symbol` as traded, so the execution stream fills gaps on it after a reconnect.
    pub fn track(&self, symbol: &Symbol) {
        if let Ok(mut t) = self.inner.tracked.lock() {
            t.insert(symbol.clone());
        }
    }

    /// Symbols traded through this client.
    pub fn tracked_symbols(&self) -> Vec<Symbol> {
        self.inner
            .tracked
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Every USDT-M contract's trading rules (refreshes the cache).
    pub async fn contracts(&self) -> Result<Vec<Instrument>, ExchangeError> {
        let records: Vec<ContractRecord> = self
            .inner
            .client
            .get(
                "/api/v2/mix/market/contracts",
                &[("productType", self.pt().to_owned())],
                false,
            )
            .await?;
        let mut out = Vec::with_capacity(records.len());
        for r in &records {
            match r.to_instrument() {
                Ok(i) => out.push(i),
                Err(e) => {
                    tracing::warn!(symbol = %r.symbol, error = %e, "skipping a contract this adapter cannot read")
                }
            }
        }
        if let Ok(mut cache) = self.inner.instruments.write() {
            for i in &out {
                cache.insert(i.symbol.clone(), i.clone());
            }
        }
        Ok(out)
    }

    /// Symbols whose rules are cached (after [`BitgetExchange::contracts`]).
    pub fn cached_symbols(&self) -> Vec<Symbol> {
        let mut v: Vec<Symbol> = self
            .inner
            .instruments
            .read()
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Open positions of every symbol.
    pub async fn positions(&self) -> Result<Vec<Position>, ExchangeError> {
        let records: Vec<PositionRecord> = self
            .inner
            .client
            .get(
                "/api/v2/mix/position/all-position",
                &[
                    ("productType", self.pt().to_owned()),
                    ("marginCoin", self.coin().to_owned()),
                ],
                true,
            )
            .await?;
        let mut by_symbol: Vec<Position> = Vec::new();
        for r in records.iter().filter(|r| !r.total.is_zero()) {
            let symbol = Symbol::new(r.symbol()).map_err(|e| ExchangeError::Protocol(format!("position: {e}")))?;
            by_symbol.push(position_from(&symbol, std::slice::from_ref(r)));
        }
        Ok(by_symbol)
    }

    /// The last traded price of `symbol`.
    pub async fn ticker(&self, symbol: &Symbol) -> Result<Decimal, ExchangeError> {
        let rows: Vec<TickerRecord> = self
            .inner
            .client
            .get(
                "/api/v2/mix/market/ticker",
                &[("productType", self.pt().to_owned()), ("symbol", symbol.to_string())],
                false,
            )
            .await?;
        rows.first()
            .map(|t| t.last_pr)
            .filter(|p| *p > Decimal::ZERO)
            .ok_or_else(|| ExchangeError::UnknownSymbol(format!("{symbol}: no ticker")))
    }

    /// Candles of `symbol` with open time in `[start, end)`, oldest first,
    /// paging forward `CANDLES_PER_REQUEST` at a time.
    pub async fn candles(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start: TimestampMs,
        end: TimestampMs,
    ) -> Result<Vec<Candle>, ExchangeError> {
        let step = interval.millis();
        let mut out: Vec<Candle> = Vec::new();
        let mut from = interval.floor(start);
        while from < end {
            let to = (from + step * CANDLES_PER_REQUEST as i64).min(end);
            let rows: Vec<Vec<serde_json::Value>> = self
                .inner
                .client
                .get(
                    "/api/v2/mix/market/candles",
                    &[
                        ("symbol", symbol.to_string()),
                        ("productType", self.pt().to_owned()),
                        ("granularity", granularity(interval).to_owned()),
                        ("startTime", from.to_string()),
                        ("endTime", to.to_string()),
                        ("limit", CANDLES_PER_REQUEST.to_string()),
                    ],
                    false,
                )
                .await?;
            for row in &rows {
                let c = parse_candle_row(row)?;
                if c.ts >= start && c.ts < end {
                    out.push(c);
                }
            }
            from = to;
        }
        out.sort_by_key(|c| c.ts);
        out.dedup_by_key(|c| c.ts);
        Ok(out)
    }

    async fn set_mode<B: serde::Serialize>(&self, path: &str, body: &B, what: &str) -> Result<(), ExchangeError> {
        match self
            .inner
            .client
            .post::<serde_json::Value, _>(path, body, Retry::Safe)
            .await
        {
            Ok(_) => Ok(()),
            Err(f) if f.error.is_transient() || matches!(f.error, ExchangeError::Auth(_)) => Err(f.error),
            Err(f) => {
                tracing::warn!(error = %f.error, "Bitget kept the current {what}; continuing");
                Ok(())
            }
        }
    }

    /// The account balance record for the margin coin.
    pub async fn account(&self) -> Result<AccountRecord, ExchangeError> {
        let list: Vec<AccountRecord> = self
            .inner
            .client
            .get(
                "/api/v2/mix/account/accounts",
                &[("productType", self.pt().to_owned())],
                true,
            )
            .await?;
        let coin = self.coin();
        list.into_iter()
            .find(|a| a.margin_coin.eq_ignore_ascii_case(coin))
            .ok_or_else(|| ExchangeError::NotFound(format!("no {coin} futures account")))
    }

    pub(crate) fn hub(&self) -> &ExecutionHub {
        self.inner
            .hub
            .get_or_init(|| ExecutionHub::new(Arc::downgrade(&self.inner)))
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        BitgetExchange { inner }
    }
}

/// A one-way position from Bitget's position records of one symbol.
pub(crate) fn position_from(symbol: &Symbol, records: &[PositionRecord]) -> Position {
    let mut qty = Decimal::ZERO;
    let mut leverage = 1u32;
    let mut entry = Decimal::ZERO;
    let mut margin = Decimal::ZERO;
    let mut upnl = Decimal::ZERO;
    let mut liq = None;
    for r in records {
        leverage = leverage.max(r.leverage);
        if r.total.is_zero() {
            continue;
        }
        qty += r.signed_qty();
        entry = r.open_price_avg;
        margin += r.margin_size;
        upnl += r.unrealized_pl;
        liq = r.liquidation_price.filter(|p| *p > Decimal::ZERO);
    }
    if qty.is_zero() {
        return Position::flat(symbol.clone(), leverage);
    }
    Position::new(symbol.clone(), qty, entry, leverage, margin, upnl, liq)
}

#[async_trait]
impl Exchange for BitgetExchange {
    fn name(&self) -> &str {
        &self.inner.name
    }

    async fn instrument(&self, symbol: &Symbol) -> Result<Instrument, ExchangeError> {
        if let Some(i) = self.inner.instruments.read().ok().and_then(|c| c.get(symbol).cloned()) {
            return Ok(i);
        }
        self.contracts().await?;
        self.inner
            .instruments
            .read()
            .ok()
            .and_then(|c| c.get(symbol).cloned())
            .ok_or_else(|| ExchangeError::UnknownSymbol(format!("{symbol} is not a Bitget {} contract", self.pt())))
    }

    async fn balance(&self) -> Result<AccountBalance, ExchangeError> {
        let a = self.account().await?;
        let equity = a.usdt_equity.filter(|e| !e.is_zero()).unwrap_or(a.account_equity);
        // Margin held by positions and orders: what equity holds beyond what is available.
        let used = (a.account_equity - a.available).max(Decimal::ZERO);
        Ok(AccountBalance::new(equity, a.available, used))
    }

    async fn set_leverage(&self, symbol: &Symbol, leverage: u32) -> Result<(), ExchangeError> {
        let inst = self.instrument(symbol).await?;
        if leverage == 0 || leverage > inst.max_leverage {
            return Err(ExchangeError::InvalidOrder(format!(
                "leverage {leverage} is outside 1..={} for {symbol}",
                inst.max_leverage
            )));
        }
        self.track(symbol);
        let s = symbol.as_str();
        self.set_mode(
            "/api/v2/mix/account/set-position-mode",
            &SetPositionModeBody {
                product_type: self.pt(),
                pos_mode: "one_way_mode",
            },
            "position mode",
        )
        .await?;
        self.set_mode(
            "/api/v2/mix/account/set-margin-mode",
            &SetMarginModeBody {
                symbol: s,
                product_type: self.pt(),
                margin_coin: self.coin(),
                margin_mode: MARGIN_MODE,
            },
            "margin mode",
        )
        .await?;
        self.inner
            .client
            .post::<serde_json::Value, _>(
                "/api/v2/mix/account/set-leverage",
                &SetLeverageBody {
                    symbol: s,
                    product_type: self.pt(),
                    margin_coin: self.coin(),
                    leverage: leverage.to_string(),
                },
                Retry::Safe,
            )
            .await
            .map_err(|f| f.error)?;
        Ok(())
    }

    async fn place_orders(&self, orders: &[OrderRequest]) -> Result<Vec<Result<Order, ExchangeError>>, ExchangeError> {
        self.place_all(orders).await
    }

    async fn cancel_orders(
        &self,
        symbol: &Symbol,
        ids: &[ClientOrderId],
    ) -> Result<Vec<Result<(), ExchangeError>>, ExchangeError> {
        self.cancel_many(symbol, ids).await
    }

    async fn cancel_all(&self, symbol: &Symbol) -> Result<usize, ExchangeError> {
        self.cancel_everything(symbol).await
    }

    async fn open_orders(&self, symbol: &Symbol) -> Result<Vec<Order>, ExchangeError> {
        self.pending_orders(symbol).await
    }

    async fn order(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        self.order_by_client_id(symbol, client_id).await
    }

    async fn fills_since(&self, symbol: &Symbol, cursor: Option<FillCursor>) -> Result<FillPage, ExchangeError> {
        self.fill_page(symbol, cursor).await
    }

    async fn position(&self, symbol: &Symbol) -> Result<Position, ExchangeError> {
        let records: Vec<PositionRecord> = self
            .inner
            .client
            .get(
                "/api/v2/mix/position/single-position",
                &[
                    ("symbol", symbol.to_string()),
                    ("productType", self.pt().to_owned()),
                    ("marginCoin", self.coin().to_owned()),
                ],
                true,
            )
            .await?;
        Ok(position_from(symbol, &records))
    }

    async fn close_position(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        let pos = self.position(symbol).await?;
        if pos.is_flat() {
            // A close sent before (same client id) may already have flattened it.
            return self.order_by_client_id(symbol, client_id).await;
        }
        let side = if pos.qty > Decimal::ZERO {
            gridbot_core::model::Side::Sell
        } else {
            gridbot_core::model::Side::Buy
        };
        let req = OrderRequest::market(client_id.clone(), symbol.clone(), side, pos.qty.abs()).reduce_only();
        let mut results = self.place_all(std::slice::from_ref(&req)).await?;
        match results.pop() {
            Some(r) => r.map(Some),
            None => Err(ExchangeError::Protocol("no result for the closing order".into())),
        }
    }

    fn execution_events(&self) -> ExecutionStream {
        self.hub().subscribe()
    }
}
