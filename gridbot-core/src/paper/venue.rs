//! The paper venue ([`PaperExchange`]) and its account handles
//! ([`PaperAccount`], which implement the [`Exchange`] port).
//!
//! One venue holds the instruments, the last price of each symbol and every
//! account, behind one mutex: a price move is applied to all accounts
//! atomically, and an account call sees a consistent state. Handles are an
//! `Arc` and a name, so cloning one is cheap.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use futures::StreamExt;
use rust_decimal::Decimal;
use tokio_stream::wrappers::BroadcastStream;

use super::account::AccountState;
use super::config::PaperConfig;
use super::fill_model::{candle_segments, Segment, SegmentBounds};
use super::matching::Market;
use crate::error::ExchangeError;
use crate::model::{
    AccountBalance, Candle, ClientOrderId, Fill, FillCursor, Instrument, Order, OrderRequest, Position, Side, Symbol,
    TimestampMs,
};
use crate::ports::{Exchange, ExecutionStream, FillPage};

/// Largest initial deposit accepted, USDT.
const MAX_DEPOSIT: i64 = 1_000_000_000_000;

/// The last price of a symbol and when it was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PricePoint {
    pub price: Decimal,
    pub ts: TimestampMs,
}

/// Everything a venue knows.
#[derive(Debug)]
pub(crate) struct VenueState {
    pub config: PaperConfig,
    pub instruments: HashMap<Symbol, Instrument>,
    pub prices: HashMap<Symbol, PricePoint>,
    pub now: TimestampMs,
    pub accounts: BTreeMap<String, AccountState>,
}

impl VenueState {
    fn instrument(&self, symbol: &Symbol) -> Result<&Instrument, ExchangeError> {
        self.instruments
            .get(symbol)
            .ok_or_else(|| ExchangeError::UnknownSymbol(symbol.to_string()))
    }

    /// Walks `segments` of `symbol` over every account, then records the
    /// last point as the symbol's price.
    fn walk(&mut self, symbol: &Symbol, segments: &[Segment]) -> Result<(), ExchangeError> {
        let VenueState {
            instruments,
            prices,
            accounts,
            now,
            ..
        } = self;
        let inst = instruments
            .get(symbol)
            .ok_or_else(|| ExchangeError::UnknownSymbol(symbol.to_string()))?;
        let bounds: Vec<SegmentBounds> = segments
            .iter()
            .map(|s| SegmentBounds::new(*s, inst.tick_size))
            .collect();
        for account in accounts.values_mut() {
            for b in &bounds {
                account.walk(inst, b);
            }
        }
        if let Some(last) = segments.last() {
            *now = (*now).max(last.ts);
            match prices.get_mut(symbol) {
                Some(p) => {
                    p.price = last.to;
                    p.ts = last.ts;
                }
                None => {
                    prices.insert(
                        symbol.clone(),
                        PricePoint {
                            price: last.to,
                            ts: last.ts,
                        },
                    );
                }
            }
        }
        Ok(())
    }
}

/// Shared by the venue and its handles.
#[derive(Debug)]
pub(crate) struct Venue {
    state: Mutex<VenueState>,
}

impl Venue {
    pub(crate) fn new(state: VenueState) -> Arc<Self> {
        Arc::new(Venue {
            state: Mutex::new(state),
        })
    }

    /// The state. A poisoned lock is recovered: no code path panics while
    /// holding it, and the state is consistent between calls.
    pub(crate) fn lock(&self) -> MutexGuard<'_, VenueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A paper venue: many accounts trading on one shared price feed.
///
/// Drive it with [`PaperExchange::on_candle`] / [`PaperExchange::on_price`];
/// trade through the [`PaperAccount`] handles from
/// [`PaperExchange::open_account`].
#[derive(Debug, Clone)]
pub struct PaperExchange {
    venue: Arc<Venue>,
}

impl PaperExchange {
    /// A venue with no instruments yet.
    pub fn new(config: PaperConfig) -> Self {
        Self::with_instruments(config, [])
    }

    /// A venue trading `instruments`.
    pub fn with_instruments(config: PaperConfig, instruments: impl IntoIterator<Item = Instrument>) -> Self {
        let instruments = instruments.into_iter().map(|i| (i.symbol.clone(), i)).collect();
        PaperExchange {
            venue: Venue::new(VenueState {
                config,
                instruments,
                prices: HashMap::new(),
                now: 0,
                accounts: BTreeMap::new(),
            }),
        }
    }

    pub(crate) fn from_state(state: VenueState) -> Self {
        PaperExchange {
            venue: Venue::new(state),
        }
    }

    pub(crate) fn venue(&self) -> &Venue {
        &self.venue
    }

    /// Lists (or replaces the rules of) an instrument.
    pub fn add_instrument(&self, instrument: Instrument) {
        self.venue
            .lock()
            .instruments
            .insert(instrument.symbol.clone(), instrument);
    }

    /// Every listed instrument, by symbol.
    pub fn instruments(&self) -> Vec<Instrument> {
        let mut v: Vec<Instrument> = self.venue.lock().instruments.values().cloned().collect();
        v.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        v
    }

    /// The venue's settings.
    pub fn config(&self) -> PaperConfig {
        self.venue.lock().config.clone()
    }

    /// Opens account `id` with `initial_usdt`, or returns the handle of the
    /// existing account `id` (its balance untouched). Ids are 1–64
    /// characters of `[A-Za-z0-9_-]`; the deposit is 0 to 10¹² USDT.
    pub fn open_account(&self, id: &str, initial_usdt: Decimal) -> Result<PaperAccount, ExchangeError> {
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(ExchangeError::InvalidOrder(format!(
                "account id must be 1 to 64 characters of A-Z, a-z, 0-9, _ or -, got {id:?}"
            )));
        }
        if initial_usdt < Decimal::ZERO || initial_usdt > Decimal::from(MAX_DEPOSIT) {
            return Err(ExchangeError::InvalidOrder(format!(
                "initial balance must be between 0 and {MAX_DEPOSIT} USDT, got {initial_usdt}"
            )));
        }
        let mut st = self.venue.lock();
        if !st.accounts.contains_key(id) {
            let buffer = st.config.event_buffer;
            st.accounts
                .insert(id.to_owned(), AccountState::new(id.to_owned(), initial_usdt, buffer));
        }
        Ok(PaperAccount {
            venue: self.venue.clone(),
            id: Arc::from(id),
        })
    }

    /// The handle of account `id`, if it exists.
    pub fn account(&self, id: &str) -> Option<PaperAccount> {
        self.venue.lock().accounts.contains_key(id).then(|| PaperAccount {
            venue: self.venue.clone(),
            id: Arc::from(id),
        })
    }

    /// Ids of every account, sorted.
    pub fn account_ids(&self) -> Vec<String> {
        self.venue.lock().accounts.keys().cloned().collect()
    }

    /// Applies a closed candle: walks it from the last price per the fill
    /// model over every account's orders and positions on `symbol`.
    pub fn on_candle(&self, symbol: &Symbol, candle: &Candle) -> Result<(), ExchangeError> {
        let mut st = self.venue.lock();
        let prev = st.prices.get(symbol).map(|p| p.price);
        let (segments, _) = candle_segments(prev, candle);
        st.walk(symbol, &segments)
    }

    /// Applies a new last price: walks from the previous price to `price`.
    pub fn on_price(&self, symbol: &Symbol, price: Decimal, ts: TimestampMs) -> Result<(), ExchangeError> {
        if price <= Decimal::ZERO {
            return Err(ExchangeError::InvalidOrder(format!(
                "price of {symbol} must be greater than 0, got {price}"
            )));
        }
        let mut st = self.venue.lock();
        let from = st.prices.get(symbol).map_or(price, |p| p.price);
        st.walk(symbol, &[Segment { from, to: price, ts }])
    }

    /// The last price of `symbol`, if one was seen.
    pub fn last_price(&self, symbol: &Symbol) -> Option<Decimal> {
        self.venue.lock().prices.get(symbol).map(|p| p.price)
    }

    /// The venue's time: the latest price time seen.
    pub fn now(&self) -> TimestampMs {
        self.venue.lock().now
    }
}

/// One account on a [`PaperExchange`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct PaperAccount {
    venue: Arc<Venue>,
    id: Arc<str>,
}

impl PaperAccount {
    /// The account's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn with<T>(&self, f: impl FnOnce(&mut VenueState, &mut AccountState) -> T) -> Result<T, ExchangeError> {
        let mut guard = self.venue.lock();
        let st = &mut *guard;
        // Take the account out so both the venue and the account can be borrowed.
        let mut account = st
            .accounts
            .remove(&*self.id)
            .ok_or_else(|| ExchangeError::NotFound(format!("paper account {}", self.id)))?;
        let out = f(st, &mut account);
        st.accounts.insert(account.id.clone(), account);
        Ok(out)
    }

    fn read<T>(&self, f: impl FnOnce(&VenueState, &AccountState) -> T) -> Result<T, ExchangeError> {
        let guard = self.venue.lock();
        let account = guard
            .accounts
            .get(&*self.id)
            .ok_or_else(|| ExchangeError::NotFound(format!("paper account {}", self.id)))?;
        Ok(f(&guard, account))
    }

    /// Places a batch synchronously: one result per request, in order (the
    /// core of [`Exchange::place_orders`]).
    pub fn place_orders_sync(&self, orders: &[OrderRequest]) -> Vec<Result<Order, ExchangeError>> {
        let mut guard = self.venue.lock();
        let VenueState {
            config,
            instruments,
            prices,
            now,
            accounts,
        } = &mut *guard;
        let Some(account) = accounts.get_mut(&*self.id) else {
            let err = ExchangeError::NotFound(format!("paper account {}", self.id));
            return orders.iter().map(|_| Err(err.clone())).collect();
        };
        let mut available = account.available();
        orders
            .iter()
            .map(|req| {
                let instrument = instruments
                    .get(&req.symbol)
                    .ok_or_else(|| ExchangeError::UnknownSymbol(req.symbol.to_string()))?;
                let market = Market {
                    instrument,
                    config,
                    price: prices.get(&req.symbol).map(|p| p.price),
                    now: *now,
                };
                account.place(&market, req, &mut available)
            })
            .collect()
    }

    /// Sets the leverage of `symbol` (1 to the instrument's maximum). The
    /// same leverage is a no-op; a different one is refused while a position
    /// or an order is open on the symbol.
    pub fn set_leverage_sync(&self, symbol: &Symbol, leverage: u32) -> Result<(), ExchangeError> {
        self.with(|venue, account| {
            let inst = venue.instrument(symbol)?;
            if leverage == 0 || leverage > inst.max_leverage {
                return Err(ExchangeError::InvalidOrder(format!(
                    "leverage must be between 1 and {} for {symbol}, got {leverage}",
                    inst.max_leverage
                )));
            }
            account.ensure_symbol(symbol, leverage);
            let st = account
                .symbols
                .get_mut(symbol)
                .ok_or_else(|| ExchangeError::UnknownSymbol(symbol.to_string()))?;
            if st.leverage == leverage {
                return Ok(());
            }
            if !st.position.is_flat() || !st.book.is_empty() {
                return Err(ExchangeError::InvalidOrder(format!(
                    "close the position and cancel the orders on {symbol} before changing leverage from {}x to {leverage}x",
                    st.leverage
                )));
            }
            st.leverage = leverage;
            Ok(())
        })?
    }

    /// Equity, available and used margin, marked at the venue's last prices.
    pub fn balance_sync(&self) -> Result<AccountBalance, ExchangeError> {
        self.read(|venue, account| account.balance(|s| venue.prices.get(s).map(|p| p.price)))
    }

    /// The position on `symbol`, marked at the last price.
    pub fn position_sync(&self, symbol: &Symbol) -> Result<Position, ExchangeError> {
        self.read(|venue, account| {
            let inst = venue.instrument(symbol)?;
            let mark = venue.prices.get(symbol).map(|p| p.price);
            Ok(match account.symbols.get(symbol) {
                Some(st) => st.view(symbol, mark),
                None => Position::flat(symbol.clone(), venue.config.default_leverage.min(inst.max_leverage)),
            })
        })?
    }

    /// Every fill of the account, oldest first.
    pub fn fills(&self) -> Result<Vec<Fill>, ExchangeError> {
        self.read(|_, account| account.fills.clone())
    }

    fn fill_page(&self, symbol: &Symbol, cursor: Option<FillCursor>) -> Result<FillPage, ExchangeError> {
        self.read(|venue, account| {
            let after = match &cursor {
                None => 0usize,
                Some(c) => account.cursor_position(&c.0).ok_or_else(|| ExchangeError::Rejected {
                    code: "invalid_cursor".into(),
                    message: format!("fill cursor must be a fill sequence number, got {:?}", c.0),
                })?,
            };
            let page = venue.config.fills_page_size.max(1);
            let mut fills = Vec::new();
            let mut last = None;
            let mut has_more = false;
            for (i, f) in account.fills.iter().enumerate().skip(after) {
                if f.symbol != *symbol {
                    continue;
                }
                if fills.len() == page {
                    has_more = true;
                    break;
                }
                fills.push(f.clone());
                last = Some(i + 1);
            }
            // With no new fill the cursor comes back in today's form, so a
            // cursor of an earlier stretch is translated once.
            let next = match (last, &cursor) {
                (Some(n), _) => Some(n),
                (None, Some(_)) => Some(after),
                (None, None) => None,
            };
            Ok(FillPage {
                fills,
                next_cursor: next.map(|n| FillCursor(account.cursor_at(n))),
                has_more,
            })
        })?
    }

    fn close_sync(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        let existing = self.read(|_, a| a.order(client_id).cloned())?;
        if let Some(order) = existing {
            return Ok(Some(order));
        }
        let qty = self.position_sync(symbol)?.qty;
        if qty.is_zero() {
            return Ok(None);
        }
        let side = if qty.is_sign_positive() { Side::Sell } else { Side::Buy };
        let req = OrderRequest::market(client_id.clone(), symbol.clone(), side, qty.abs()).reduce_only();
        match self.place_orders_sync(std::slice::from_ref(&req)).pop() {
            Some(r) => r.map(Some),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl Exchange for PaperAccount {
    fn name(&self) -> &str {
        "paper"
    }

    async fn instrument(&self, symbol: &Symbol) -> Result<Instrument, ExchangeError> {
        self.read(|v, _| v.instrument(symbol).cloned())?
    }

    async fn balance(&self) -> Result<AccountBalance, ExchangeError> {
        self.balance_sync()
    }

    async fn set_leverage(&self, symbol: &Symbol, leverage: u32) -> Result<(), ExchangeError> {
        self.set_leverage_sync(symbol, leverage)
    }

    async fn place_orders(&self, orders: &[OrderRequest]) -> Result<Vec<Result<Order, ExchangeError>>, ExchangeError> {
        Ok(self.place_orders_sync(orders))
    }

    async fn cancel_orders(
        &self,
        symbol: &Symbol,
        ids: &[ClientOrderId],
    ) -> Result<Vec<Result<(), ExchangeError>>, ExchangeError> {
        self.with(|venue, account| {
            let inst = venue.instrument(symbol)?;
            Ok(ids.iter().map(|id| account.cancel(inst, id, venue.now)).collect())
        })?
    }

    async fn cancel_all(&self, symbol: &Symbol) -> Result<usize, ExchangeError> {
        self.with(|venue, account| Ok(account.cancel_all(venue.instrument(symbol)?, venue.now)))?
    }

    async fn open_orders(&self, symbol: &Symbol) -> Result<Vec<Order>, ExchangeError> {
        self.read(|venue, account| {
            venue.instrument(symbol)?;
            Ok(account.open_orders(symbol))
        })?
    }

    async fn order(&self, _symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        self.read(|_, account| account.order(client_id).cloned())
    }

    async fn fills_since(&self, symbol: &Symbol, cursor: Option<FillCursor>) -> Result<FillPage, ExchangeError> {
        self.fill_page(symbol, cursor)
    }

    async fn position(&self, symbol: &Symbol) -> Result<Position, ExchangeError> {
        self.position_sync(symbol)
    }

    async fn close_position(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        self.close_sync(symbol, client_id)
    }

    fn execution_events(&self) -> ExecutionStream {
        let rx = self.read(|_, account| account.events.subscribe()).ok();
        match rx {
            // A lagging subscriber loses the events it missed (reconcile with fills_since).
            Some(rx) => Box::pin(BroadcastStream::new(rx).filter_map(|r| async move { r.ok() })),
            None => Box::pin(futures::stream::empty()),
        }
    }
}
