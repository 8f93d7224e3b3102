//! [`BitgetExchange`]: the [`Exchange`] port over Bitget, for classic (v2)
//! and unified (v3) accounts alike, plus the account calls the CLI uses.
//!
//! Invariants:
//! - The account kind is detected once, on the first call that needs it
//!   ([`account`]): `GET /api/v3/account/assets` succeeds → unified, 40084 →
//!   classic, anything else → the call fails with an error saying so; the
//!   adapter never guesses. Every request afterwards goes to that kind's API.
//! - The account trades one-way position mode and isolated margin.
//!   [`Exchange::set_leverage`] reads both modes, switches them when Bitget
//!   allows, checks the result, and otherwise fails with a message saying
//!   what to change on Bitget ([`modes`]).
//! - Every order carries its `clientOid`, checked against the id rule
//!   ([`crate::common::client_oid`]); placement never sends an order twice
//!   ([`orders`]).
//! - Fills are delivered once each, with fees in USDT ([`fills`],
//!   [`stream`]).
//! - Bitget's fill records may lack the client id; the adapter remembers
//!   `orderId → clientOid` for the orders it has seen and asks for the others.

pub mod account;
pub mod fills;
pub mod instruments;
pub mod market;
pub mod modes;
pub mod orders;
pub mod stream;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use gridbot_core::model::{
    AccountBalance, ClientOrderId, FillCursor, Instrument, Order, OrderRequest, Position, Side, Symbol,
};
use gridbot_core::ports::{Exchange, ExecutionStream, FillPage};
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;
use tokio::sync::OnceCell;

use crate::common::account::AccountKind;
use crate::config::BitgetConfig;
use crate::http::client::BitgetHttpClient;
use crate::http::records::OrderKey;

pub use account::AccountInfo;
pub(crate) use account::Rest;
pub use fills::{fill_from_record, fill_id_after, MAX_FILLS_PER_PAGE};
pub use instruments::ContractDetails;
pub use stream::{DELIVERED_MEMORY, REORDER_WINDOW_MS};

/// Most `orderId → clientOid` pairs remembered.
const ORDER_ID_MEMORY: usize = 200_000;

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
    kind: OnceCell<AccountKind>,
    cache: instruments::Cache,
    fee_prices: fills::FeePrices,
    order_ids: Mutex<OrderIdMemory>,
    tracked: Mutex<BTreeSet<Symbol>>,
    /// Unified accounts: Bitget refused `marginMode` in batch items, so
    /// orders go one by one.
    singles_only: std::sync::atomic::AtomicBool,
    hub: OnceLock<stream::ExecutionHub>,
}

/// A Bitget USDT-M futures account, classic or unified. Cheap to clone.
#[derive(Clone)]
pub struct BitgetExchange {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for BitgetExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BitgetExchange")
            .field("name", &self.inner.name)
            .field("kind", &self.inner.kind.get())
            .field("client", &self.inner.client)
            .finish()
    }
}

impl BitgetExchange {
    /// An account client for `config`. Touches no network: the account kind
    /// is detected on first use.
    pub fn new(config: BitgetConfig) -> Result<Self, ExchangeError> {
        let name = if config.is_demo() { "bitget-demo" } else { "bitget" }.to_owned();
        Ok(BitgetExchange {
            inner: Arc::new(Inner {
                client: BitgetHttpClient::new(config)?,
                name,
                kind: OnceCell::new(),
                cache: instruments::Cache::default(),
                fee_prices: fills::FeePrices::default(),
                order_ids: Mutex::new(OrderIdMemory::default()),
                tracked: Mutex::new(BTreeSet::new()),
                singles_only: std::sync::atomic::AtomicBool::new(false),
                hub: OnceLock::new(),
            }),
        })
    }

    /// The REST client.
    pub fn client(&self) -> &BitgetHttpClient {
        &self.inner.client
    }

    /// The account kind, once detected (or configured).
    pub fn known_kind(&self) -> Option<AccountKind> {
        self.inner.kind.get().copied()
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

    /// Open positions of every symbol.
    pub async fn positions(&self) -> Result<Vec<Position>, ExchangeError> {
        let rest = self.rest().await?;
        crate::both!(rest, r => r.positions().await)
    }

    /// Closes the position of `symbol` with Bitget's own market close
    /// (`close-positions`, no client id); returns how many closing orders
    /// Bitget made. Bots close through [`Exchange::close_position`], which
    /// carries a client id.
    pub async fn flash_close(&self, symbol: &Symbol) -> Result<usize, ExchangeError> {
        let rest = self.rest().await?;
        crate::both!(rest, r => r.close_positions(symbol).await)
    }

    /// One order by client id; `None` when Bitget does not know it (or the
    /// id could never exist on Bitget).
    pub(crate) async fn order_by_client_id(
        &self,
        symbol: &Symbol,
        client_id: &ClientOrderId,
    ) -> Result<Option<Order>, ExchangeError> {
        if !crate::common::client_oid::is_valid_client_oid(client_id) {
            return Ok(None);
        }
        self.order_detail(symbol, OrderKey::ClientOid(client_id)).await
    }

    /// One order by exchange or client id, remembered for fill matching.
    pub(crate) async fn order_detail(
        &self,
        symbol: &Symbol,
        key: OrderKey<'_>,
    ) -> Result<Option<Order>, ExchangeError> {
        let rest = self.rest().await?;
        let order = crate::both!(rest, r => r.order(symbol, key).await)?;
        if let Some(o) = &order {
            self.remember_order_id(&o.id, &o.client_id);
        }
        Ok(order)
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        BitgetExchange { inner }
    }
}

#[async_trait]
impl Exchange for BitgetExchange {
    fn name(&self) -> &str {
        &self.inner.name
    }

    async fn instrument(&self, symbol: &Symbol) -> Result<Instrument, ExchangeError> {
        self.instrument_of(symbol).await
    }

    async fn balance(&self) -> Result<AccountBalance, ExchangeError> {
        let rest = self.rest().await?;
        crate::both!(rest, r => r.balance().await)
    }

    async fn set_leverage(&self, symbol: &Symbol, leverage: u32) -> Result<(), ExchangeError> {
        self.prepare_symbol(symbol, leverage).await
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
        let rest = self.rest().await?;
        crate::both!(rest, r => r.cancel_all(symbol).await)
    }

    async fn open_orders(&self, symbol: &Symbol) -> Result<Vec<Order>, ExchangeError> {
        let rest = self.rest().await?;
        let orders = crate::both!(rest, r => r.open_orders(symbol).await)?;
        for o in &orders {
            self.remember_order_id(&o.id, &o.client_id);
        }
        Ok(orders)
    }

    async fn order(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        self.order_by_client_id(symbol, client_id).await
    }

    async fn fills_since(&self, symbol: &Symbol, cursor: Option<FillCursor>) -> Result<FillPage, ExchangeError> {
        self.fill_page(symbol, cursor).await
    }

    async fn position(&self, symbol: &Symbol) -> Result<Position, ExchangeError> {
        let rest = self.rest().await?;
        crate::both!(rest, r => r.position(symbol).await)
    }

    async fn close_position(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        let pos = self.position(symbol).await?;
        if pos.is_flat() {
            // A close sent before (same client id) may already have flattened it.
            return self.order_by_client_id(symbol, client_id).await;
        }
        let side = if pos.qty > Decimal::ZERO { Side::Sell } else { Side::Buy };
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
