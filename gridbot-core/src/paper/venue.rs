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
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use super::account::AccountState;
use super::config::PaperConfig;
use super::fill_model::{candle_segments, Segment, SegmentBounds};
use super::journal::{Commits, JournalBook};
use super::matching::Market;
use crate::error::ExchangeError;
use crate::model::{
    AccountBalance, Candle, ClientOrderId, ExecutionEvent, Fill, FillCursor, Instrument, Order, OrderRequest, Position,
    Side, Symbol, TimestampMs,
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
    /// Where the market feeding the venue stands (its own encoding), kept
    /// with the prices it published so a restart resumes the feed there.
    pub feed: Option<serde_json::Value>,
    /// The journal's bookkeeping, when the venue keeps one.
    pub journal: Option<JournalBook>,
}

impl VenueState {
    /// Counts a change for the journal (the venue-level parts flagged by
    /// `what`); true when the writer must be woken.
    pub(crate) fn changed(&mut self, what: Changed) -> bool {
        let Some(j) = &mut self.journal else {
            return false;
        };
        j.gen += 1;
        match what {
            Changed::Accounts => {}
            Changed::Prices => j.prices_dirty = true,
            Changed::Instruments => j.instruments_dirty = true,
            Changed::Feed => j.feed_dirty = true,
        }
        true
    }

    /// The generation a caller must see committed before it tells what it
    /// read or did (`None` without a journal).
    pub(crate) fn generation(&self) -> Option<u64> {
        self.journal.as_ref().map(|j| j.gen)
    }

    /// Refuses to change anything once the journal failed or was fenced.
    pub(crate) fn check_trading(&self) -> Result<(), ExchangeError> {
        match self.journal.as_ref().and_then(|j| j.halted.as_ref()) {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

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

/// Which venue-level part of the state a change touched (accounts flag
/// their own changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Changed {
    Accounts,
    Prices,
    Instruments,
    Feed,
}

/// Shared by the venue and its handles.
#[derive(Debug)]
pub(crate) struct Venue {
    state: Mutex<VenueState>,
    /// The link to the journal writer, when the venue keeps a journal.
    pub(crate) commits: Option<Arc<Commits>>,
}

impl Drop for Venue {
    fn drop(&mut self) {
        // Lets the writer see that the venue is gone and end.
        if let Some(c) = &self.commits {
            c.wake.notify_one();
        }
    }
}

impl Venue {
    pub(crate) fn new(state: VenueState) -> Arc<Self> {
        Arc::new(Venue {
            state: Mutex::new(state),
            commits: None,
        })
    }

    pub(crate) fn with_commits(state: VenueState, commits: Arc<Commits>) -> Arc<Self> {
        Arc::new(Venue {
            state: Mutex::new(state),
            commits: Some(commits),
        })
    }

    /// The state. A poisoned lock is recovered: no code path panics while
    /// holding it, and the state is consistent between calls.
    pub(crate) fn lock(&self) -> MutexGuard<'_, VenueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the state with `f` (refused once the journal halted), counts
    /// the change for the journal and wakes its writer. Returns `f`'s
    /// answer and the generation to wait for before telling it.
    pub(crate) fn change<T>(
        &self,
        what: Changed,
        f: impl FnOnce(&mut VenueState) -> T,
    ) -> Result<(T, Option<u64>), ExchangeError> {
        let (out, wake, gen) = {
            let mut st = self.lock();
            st.check_trading()?;
            let out = f(&mut st);
            let wake = st.changed(what);
            (out, wake, st.generation())
        };
        if wake {
            if let Some(c) = &self.commits {
                c.wake.notify_one();
            }
        }
        Ok((out, gen))
    }

    /// Waits until generation `gen` is committed to the journal (at once
    /// without a journal): what a caller read or did at `gen` may then be
    /// told. Fails when the journal halted before committing it.
    pub(crate) async fn committed(&self, gen: Option<u64>) -> Result<(), ExchangeError> {
        match (gen, &self.commits) {
            (Some(gen), Some(c)) => c.wait(gen).await,
            _ => Ok(()),
        }
    }
}

/// A paper venue: many accounts trading on one shared price feed.
///
/// Drive it with [`PaperExchange::on_candle`] / [`PaperExchange::on_price`];
/// trade through the [`PaperAccount`] handles from
/// [`PaperExchange::open_account`]. A venue opened with
/// [`PaperExchange::open_journaled`] is durable (see "Durability" in the
/// [`crate::paper`] docs).
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
                feed: None,
                journal: None,
            }),
        }
    }

    pub(crate) fn from_state(state: VenueState) -> Self {
        PaperExchange {
            venue: Venue::new(state),
        }
    }

    pub(crate) fn from_venue(venue: Arc<Venue>) -> Self {
        PaperExchange { venue }
    }

    pub(crate) fn venue(&self) -> &Venue {
        &self.venue
    }

    /// Lists (or replaces the rules of) an instrument. (A venue whose
    /// journal halted keeps its instruments: it trades no more anyway.)
    pub fn add_instrument(&self, instrument: Instrument) {
        {
            let st = self.venue.lock();
            if st.instruments.get(&instrument.symbol) == Some(&instrument) {
                return;
            }
        }
        // Err only when the journal halted, which every trade then reports.
        let _ = self.venue.change(Changed::Instruments, |st| {
            st.instruments.insert(instrument.symbol.clone(), instrument);
        });
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
    /// characters of `[A-Za-z0-9_-]`; the deposit is 0 to 10¹² USDT. A new
    /// account of a durable venue is journaled like any change (use
    /// [`PaperExchange::open_account_durably`] to wait for it).
    pub fn open_account(&self, id: &str, initial_usdt: Decimal) -> Result<PaperAccount, ExchangeError> {
        self.open_account_at(id, initial_usdt).map(|(a, _)| a)
    }

    /// [`PaperExchange::open_account`], returning once the new account is
    /// committed to the venue's journal (at once without a journal).
    pub async fn open_account_durably(&self, id: &str, initial_usdt: Decimal) -> Result<PaperAccount, ExchangeError> {
        let (account, gen) = self.open_account_at(id, initial_usdt)?;
        self.venue.committed(gen).await?;
        Ok(account)
    }

    fn open_account_at(&self, id: &str, initial_usdt: Decimal) -> Result<(PaperAccount, Option<u64>), ExchangeError> {
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
        let handle = PaperAccount {
            venue: self.venue.clone(),
            id: Arc::from(id),
        };
        let gen = {
            let st = self.venue.lock();
            st.accounts.contains_key(id).then(|| st.generation())
        };
        if let Some(gen) = gen {
            return Ok((handle, gen));
        }
        let ((), gen) = self.venue.change(Changed::Accounts, |st| {
            if !st.accounts.contains_key(id) {
                let buffer = st.config.event_buffer;
                let mut account = AccountState::new(id.to_owned(), initial_usdt, buffer);
                if st.journal.is_some() {
                    account.start_journal();
                    account.mark();
                }
                st.accounts.insert(id.to_owned(), account);
            }
        })?;
        Ok((handle, gen))
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
    /// Refused once the venue's journal halted.
    pub fn on_candle(&self, symbol: &Symbol, candle: &Candle) -> Result<(), ExchangeError> {
        self.venue
            .change(Changed::Prices, |st| {
                let prev = st.prices.get(symbol).map(|p| p.price);
                let (segments, _) = candle_segments(prev, candle);
                st.walk(symbol, &segments)
            })?
            .0
    }

    /// Applies a new last price: walks from the previous price to `price`.
    /// Refused once the venue's journal halted.
    pub fn on_price(&self, symbol: &Symbol, price: Decimal, ts: TimestampMs) -> Result<(), ExchangeError> {
        if price <= Decimal::ZERO {
            return Err(ExchangeError::InvalidOrder(format!(
                "price of {symbol} must be greater than 0, got {price}"
            )));
        }
        self.venue
            .change(Changed::Prices, |st| {
                let from = st.prices.get(symbol).map_or(price, |p| p.price);
                st.walk(symbol, &[Segment { from, to: price, ts }])
            })?
            .0
    }

    /// The last price of `symbol`, if one was seen.
    pub fn last_price(&self, symbol: &Symbol) -> Option<Decimal> {
        self.venue.lock().prices.get(symbol).map(|p| p.price)
    }

    /// The last price of `symbol` and the market time it was reached, if
    /// one was seen.
    pub fn last_price_at(&self, symbol: &Symbol) -> Option<(Decimal, TimestampMs)> {
        self.venue.lock().prices.get(symbol).map(|p| (p.price, p.ts))
    }

    /// The venue's time: the latest price time seen.
    pub fn now(&self) -> TimestampMs {
        self.venue.lock().now
    }

    /// Where the market feeding the venue stood at the venue's last change
    /// (see [`PaperExchange::set_feed_mark`]), e.g. after a restart.
    pub fn feed_mark(&self) -> Option<serde_json::Value> {
        self.venue.lock().feed.clone()
    }

    /// Records where the market feeding the venue stands (the feed's own
    /// encoding). A durable venue journals it with the prices published
    /// before it, so the feed resumes there after a restart and never goes
    /// back in time. Refused once the venue's journal halted.
    pub fn set_feed_mark(&self, mark: serde_json::Value) -> Result<(), ExchangeError> {
        self.venue
            .change(Changed::Feed, |st| {
                st.feed = Some(mark);
            })
            .map(|_| ())
    }

    /// Why the venue no longer trades (its journal failed or was fenced),
    /// if it stopped.
    pub fn halted(&self) -> Option<ExchangeError> {
        self.venue.lock().check_trading().err()
    }

    /// True when the venue keeps a journal (see [`PaperExchange::open_journaled`]).
    pub fn is_durable(&self) -> bool {
        self.venue.commits.is_some()
    }

    /// Waits until every change made so far is committed to the journal
    /// (at once without a journal); fails when the journal halted first.
    pub async fn flush(&self) -> Result<(), ExchangeError> {
        let gen = self.venue.lock().generation();
        self.venue.committed(gen).await
    }
}

/// One result per order of a batch.
type Placed = Vec<Result<Order, ExchangeError>>;

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

    fn not_found(&self) -> ExchangeError {
        ExchangeError::NotFound(format!("paper account {}", self.id))
    }

    /// Changes the account with `f`; returns `f`'s answer and the
    /// generation to wait for before telling it.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut VenueState, &mut AccountState) -> T,
    ) -> Result<(T, Option<u64>), ExchangeError> {
        let (out, gen) = self.venue.change(Changed::Accounts, |st| {
            // Take the account out so both the venue and the account can be borrowed.
            let mut account = st.accounts.remove(&*self.id)?;
            let out = f(st, &mut account);
            st.accounts.insert(account.id.clone(), account);
            Some(out)
        })?;
        Ok((out.ok_or_else(|| self.not_found())?, gen))
    }

    fn read<T>(&self, f: impl FnOnce(&VenueState, &AccountState) -> T) -> Result<(T, Option<u64>), ExchangeError> {
        let guard = self.venue.lock();
        let account = guard.accounts.get(&*self.id).ok_or_else(|| self.not_found())?;
        Ok((f(&guard, account), guard.generation()))
    }

    /// Reads like `read`, then waits until what was read is committed.
    async fn read_told<T>(&self, f: impl FnOnce(&VenueState, &AccountState) -> T) -> Result<T, ExchangeError> {
        let (out, gen) = self.read(f)?;
        self.venue.committed(gen).await?;
        Ok(out)
    }

    /// Places a batch synchronously: one result per request, in order (the
    /// core of [`Exchange::place_orders`]). On a durable venue this does
    /// not wait for the journal: use [`Exchange::place_orders`] there.
    pub fn place_orders_sync(&self, orders: &[OrderRequest]) -> Vec<Result<Order, ExchangeError>> {
        match self.place_at(orders) {
            Ok((results, _)) => results,
            Err(err) => orders.iter().map(|_| Err(err.clone())).collect(),
        }
    }

    fn place_at(&self, orders: &[OrderRequest]) -> Result<(Placed, Option<u64>), ExchangeError> {
        self.venue.change(Changed::Accounts, |st| {
            let VenueState {
                config,
                instruments,
                prices,
                now,
                accounts,
                ..
            } = st;
            let Some(account) = accounts.get_mut(&*self.id) else {
                let err = self.not_found();
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
        })
    }

    /// Sets the leverage of `symbol` (1 to the instrument's maximum). The
    /// same leverage is a no-op; a different one is refused while a position
    /// or an order is open on the symbol. On a durable venue this does not
    /// wait for the journal: use [`Exchange::set_leverage`] there.
    pub fn set_leverage_sync(&self, symbol: &Symbol, leverage: u32) -> Result<(), ExchangeError> {
        self.set_leverage_at(symbol, leverage).map(|_| ())
    }

    fn set_leverage_at(&self, symbol: &Symbol, leverage: u32) -> Result<Option<u64>, ExchangeError> {
        let (out, gen) = self.with(|venue, account| {
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
            account.mark();
            Ok(())
        })?;
        out.map(|()| gen)
    }

    /// Equity, available and used margin, marked at the venue's last prices.
    pub fn balance_sync(&self) -> Result<AccountBalance, ExchangeError> {
        self.read(|venue, account| account.balance(|s| venue.prices.get(s).map(|p| p.price)))
            .map(|(b, _)| b)
    }

    fn position_of(venue: &VenueState, account: &AccountState, symbol: &Symbol) -> Result<Position, ExchangeError> {
        let inst = venue.instrument(symbol)?;
        let mark = venue.prices.get(symbol).map(|p| p.price);
        Ok(match account.symbols.get(symbol) {
            Some(st) => st.view(symbol, mark),
            None => Position::flat(symbol.clone(), venue.config.default_leverage.min(inst.max_leverage)),
        })
    }

    /// The position on `symbol`, marked at the last price.
    pub fn position_sync(&self, symbol: &Symbol) -> Result<Position, ExchangeError> {
        self.read(|venue, account| Self::position_of(venue, account, symbol))?.0
    }

    /// Every fill of the account, oldest first (on a durable venue, the
    /// committed ones only).
    pub fn fills(&self) -> Result<Vec<Fill>, ExchangeError> {
        self.read(|_, account| account.fills[..account.told_fills()].to_vec())
            .map(|(f, _)| f)
    }

    fn fill_page(
        venue: &VenueState,
        account: &AccountState,
        symbol: &Symbol,
        cursor: Option<FillCursor>,
    ) -> Result<FillPage, ExchangeError> {
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
    }

    async fn close_at(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        let existing = self.read_told(|_, a| a.order(client_id).cloned()).await?;
        if let Some(order) = existing {
            return Ok(Some(order));
        }
        let qty = self
            .read(|venue, account| Self::position_of(venue, account, symbol))?
            .0?
            .qty;
        if qty.is_zero() {
            return Ok(None);
        }
        let side = if qty.is_sign_positive() { Side::Sell } else { Side::Buy };
        let req = OrderRequest::market(client_id.clone(), symbol.clone(), side, qty.abs()).reduce_only();
        let (mut results, gen) = self.place_at(std::slice::from_ref(&req))?;
        self.venue.committed(gen).await?;
        match results.pop() {
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
        self.read(|v, _| v.instrument(symbol).cloned())?.0
    }

    async fn balance(&self) -> Result<AccountBalance, ExchangeError> {
        self.read_told(|venue, account| account.balance(|s| venue.prices.get(s).map(|p| p.price)))
            .await
    }

    async fn set_leverage(&self, symbol: &Symbol, leverage: u32) -> Result<(), ExchangeError> {
        let gen = self.set_leverage_at(symbol, leverage)?;
        self.venue.committed(gen).await
    }

    async fn place_orders(&self, orders: &[OrderRequest]) -> Result<Vec<Result<Order, ExchangeError>>, ExchangeError> {
        let (results, gen) = self.place_at(orders)?;
        self.venue.committed(gen).await?;
        Ok(results)
    }

    async fn cancel_orders(
        &self,
        symbol: &Symbol,
        ids: &[ClientOrderId],
    ) -> Result<Vec<Result<(), ExchangeError>>, ExchangeError> {
        let (out, gen) = self.with(|venue, account| {
            let inst = venue.instrument(symbol)?;
            Ok(ids.iter().map(|id| account.cancel(inst, id, venue.now)).collect())
        })?;
        self.venue.committed(gen).await?;
        out
    }

    async fn cancel_all(&self, symbol: &Symbol) -> Result<usize, ExchangeError> {
        let (out, gen) = self.with(|venue, account| Ok(account.cancel_all(venue.instrument(symbol)?, venue.now)))?;
        self.venue.committed(gen).await?;
        out
    }

    async fn open_orders(&self, symbol: &Symbol) -> Result<Vec<Order>, ExchangeError> {
        self.read_told(|venue, account| {
            venue.instrument(symbol)?;
            Ok(account.open_orders(symbol))
        })
        .await?
    }

    async fn order(&self, _symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        self.read_told(|_, account| account.order(client_id).cloned()).await
    }

    async fn fills_since(&self, symbol: &Symbol, cursor: Option<FillCursor>) -> Result<FillPage, ExchangeError> {
        self.read_told(|venue, account| Self::fill_page(venue, account, symbol, cursor))
            .await?
    }

    async fn position(&self, symbol: &Symbol) -> Result<Position, ExchangeError> {
        self.read_told(|venue, account| Self::position_of(venue, account, symbol))
            .await?
    }

    async fn close_position(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        self.close_at(symbol, client_id).await
    }

    fn execution_events(&self) -> ExecutionStream {
        let rx = self.read(|_, account| account.events.subscribe()).ok();
        match rx {
            // A subscriber that lagged lost events: it is told so (`Gap`)
            // and reconciles with `fills_since`.
            Some((rx, _)) => Box::pin(BroadcastStream::new(rx).map(|r| match r {
                Ok(ev) => ev,
                Err(BroadcastStreamRecvError::Lagged(_)) => ExecutionEvent::Gap,
            })),
            None => Box::pin(futures::stream::empty()),
        }
    }
}
