//! The `Exchange` port: one per trading account.

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;

use crate::error::ExchangeError;
use crate::model::{
    AccountBalance, ClientOrderId, ExecutionEvent, Fill, FillCursor, Instrument, Order, OrderRequest, Position, Symbol,
};

/// A stream of an account's execution events (order updates, fills,
/// position changes). It may deliver a fill more than once (after a
/// reconnect); consumers de-duplicate by [`Fill::id`].
pub type ExecutionStream = Pin<Box<dyn Stream<Item = ExecutionEvent> + Send + 'static>>;

/// One page of fills, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FillPage {
    /// Fills after the cursor given, oldest first.
    pub fills: Vec<Fill>,
    /// Pass this to get the fills after these. Equal to the cursor given when
    /// there are none.
    pub next_cursor: Option<FillCursor>,
    /// True when more fills remain after this page.
    pub has_more: bool,
}

impl FillPage {
    /// A page of `fills` (oldest first), the cursor to continue from, and
    /// whether more remain.
    pub fn new(fills: Vec<Fill>, next_cursor: Option<FillCursor>, has_more: bool) -> Self {
        FillPage {
            fills,
            next_cursor,
            has_more,
        }
    }
}

/// A futures trading account on one exchange (one-way position mode,
/// isolated margin, USDT-M).
///
/// Idempotency contract: placing an order whose client id the account has
/// already seen returns the existing order rather than creating a second.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Exchange: Send + Sync {
    /// A short name for logs (`paper`, `bitget`, `bitget-demo`).
    fn name(&self) -> &str;

    /// The contract's trading rules.
    async fn instrument(&self, symbol: &Symbol) -> Result<Instrument, ExchangeError>;

    /// The account's USDT balance.
    async fn balance(&self) -> Result<AccountBalance, ExchangeError>;

    /// Prepares `symbol` for a bot: one-way position mode, isolated margin,
    /// the given leverage.
    async fn set_leverage(&self, symbol: &Symbol, leverage: u32) -> Result<(), ExchangeError>;

    /// Places a batch of orders, all on the same symbol. The outer error is
    /// for the whole call (nothing is known to have been placed); otherwise
    /// there is one result per request, in order.
    async fn place_orders(&self, orders: &[OrderRequest]) -> Result<Vec<Result<Order, ExchangeError>>, ExchangeError>;

    /// Cancels orders by client id. One result per id; an order that no
    /// longer rests answers [`ExchangeError::NotFound`].
    async fn cancel_orders(
        &self,
        symbol: &Symbol,
        ids: &[ClientOrderId],
    ) -> Result<Vec<Result<(), ExchangeError>>, ExchangeError>;

    /// Cancels every open order on `symbol`; returns how many were cancelled.
    async fn cancel_all(&self, symbol: &Symbol) -> Result<usize, ExchangeError>;

    /// The account's resting orders on `symbol`.
    async fn open_orders(&self, symbol: &Symbol) -> Result<Vec<Order>, ExchangeError>;

    /// One order by client id, open or not, if the exchange knows it.
    async fn order(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError>;

    /// Fills on `symbol` after `cursor` (all, when `None`), oldest first.
    async fn fills_since(&self, symbol: &Symbol, cursor: Option<FillCursor>) -> Result<FillPage, ExchangeError>;

    /// The position on `symbol` (flat when there is none).
    async fn position(&self, symbol: &Symbol) -> Result<Position, ExchangeError>;

    /// Closes the whole position on `symbol` with a reduce-only market order
    /// carrying `client_id`. Returns the order, or `None` when already flat.
    async fn close_position(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError>;

    /// A new stream of the account's execution events from now on.
    fn execution_events(&self) -> ExecutionStream;
}
