//! One paper account's state and its margin accounting.
//!
//! Invariants:
//! - `wallet` = deposit + Σ realised PnL − Σ fees (liquidation losses
//!   included); it never includes unrealised PnL.
//! - A symbol's position margin is what was locked when its quantity was
//!   opened (`opened qty × fill price / leverage`), released pro rata as the
//!   position is reduced, and lost whole on liquidation.
//! - A symbol's order margin is `max(buy side, sell side) / leverage`, where a
//!   side counts the notional of its resting non-reduce-only orders minus the
//!   part that would only close the opposite position (pro rata by quantity).
//!   Buys and sells cannot both open a one-way position at once, so the larger
//!   side is what can be needed (Binance computes open-order margin the same way).
//! - `used_margin` = Σ position margin + Σ order margin;
//!   `available` = max(0, wallet − used_margin): unrealised profit is not
//!   available, and an isolated position's loss is bounded by its margin,
//!   which is already counted as used.
//! - `orders[slot]` holds every order the account ever accepted, in
//!   acceptance order; `by_client` indexes them all by client id; the books
//!   hold exactly the open limit orders.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use rust_decimal::Decimal;
use tokio::sync::broadcast;

use super::book::{OrderBook, Slot};
use super::fill_model::liquidation_price;
use crate::model::{
    AccountBalance, ClientOrderId, ExecutionEvent, Fill, NetPosition, Order, Position, Side, Symbol, TimestampMs,
};

/// FNV-1a: a fast hash for the client-id index (short strings, one per
/// order; hash flooding is not a concern for a paper venue's own ids).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The client-id index of an account.
pub(crate) type ClientIndex = HashMap<ClientOrderId, Slot, BuildHasherDefault<Fnv>>;

/// An accepted order and its price in ticks (0 for market orders).
#[derive(Debug, Clone)]
pub(crate) struct OrderEntry {
    pub order: Order,
    pub ticks: i64,
}

/// Quantity and notional of one side's resting opening orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SideTotals {
    pub qty: Decimal,
    pub notional: Decimal,
}

impl SideTotals {
    /// The notional of the part of these orders that would open a position,
    /// given `closable` quantity of an opposite position they would close first.
    fn opening_notional(&self, closable: Decimal) -> Decimal {
        if self.qty <= closable || self.qty.is_zero() {
            return Decimal::ZERO;
        }
        if closable.is_zero() {
            return self.notional;
        }
        self.notional * (self.qty - closable) / self.qty
    }
}

/// One symbol of one account: leverage, position, margin, resting orders.
#[derive(Debug, Clone)]
pub(crate) struct SymbolState {
    pub leverage: u32,
    pub position: NetPosition,
    pub margin: Decimal,
    /// Cached liquidation price of the position (exact, not tick-rounded).
    pub liq: Option<Decimal>,
    pub book: OrderBook,
    pub buys: SideTotals,
    pub sells: SideTotals,
}

impl SymbolState {
    pub fn new(leverage: u32) -> Self {
        SymbolState {
            leverage,
            position: NetPosition::default(),
            margin: Decimal::ZERO,
            liq: None,
            book: OrderBook::new(),
            buys: SideTotals::default(),
            sells: SideTotals::default(),
        }
    }

    /// Notional of the resting opening orders that margin is reserved for:
    /// the larger side, leaving out what would only close the position.
    pub fn order_notional(&self) -> Decimal {
        let q = self.position.qty;
        let short = if q.is_sign_negative() { -q } else { Decimal::ZERO };
        let long = if q.is_sign_positive() { q } else { Decimal::ZERO };
        let buy = self.buys.opening_notional(short);
        let sell = self.sells.opening_notional(long);
        buy.max(sell)
    }

    /// Margin reserved by resting opening orders.
    pub fn order_margin(&self) -> Decimal {
        let n = self.order_notional();
        if n.is_zero() {
            return n;
        }
        n / Decimal::from(self.leverage.max(1))
    }

    /// Position margin plus order margin.
    pub fn used_margin(&self) -> Decimal {
        self.margin + self.order_margin()
    }

    /// Counts a resting opening order in its side's totals (`sign` +1 to add, −1 to remove).
    pub fn count_order(&mut self, side: Side, price: Decimal, qty: Decimal, sign: Decimal) {
        let totals = match side {
            Side::Buy => &mut self.buys,
            Side::Sell => &mut self.sells,
        };
        totals.qty += sign * qty;
        totals.notional += sign * price * qty;
    }

    /// Recomputes the cached liquidation price.
    pub fn refresh_liq(&mut self, mmr: Decimal) {
        self.liq = liquidation_price(self.position.qty, self.position.entry_price, self.margin, mmr);
    }

    /// Quantity of the position that a `side` order would close.
    pub fn closable_by(&self, side: Side) -> Decimal {
        let q = self.position.qty;
        match side {
            Side::Buy if q.is_sign_negative() => -q,
            Side::Sell if q.is_sign_positive() && !q.is_zero() => q,
            _ => Decimal::ZERO,
        }
    }

    /// The public view of the position, marked at `mark` (entry when unknown).
    pub fn view(&self, symbol: &Symbol, mark: Option<Decimal>) -> Position {
        if self.position.is_flat() {
            return Position::flat(symbol.clone(), self.leverage);
        }
        let mark = mark.unwrap_or(self.position.entry_price);
        Position::new(
            symbol.clone(),
            self.position.qty,
            self.position.entry_price,
            self.leverage,
            self.margin,
            self.position.unrealized(mark),
            self.liq,
        )
    }
}

/// A paper account.
#[derive(Debug)]
pub(crate) struct AccountState {
    pub id: String,
    pub deposited: Decimal,
    pub wallet: Decimal,
    pub symbols: BTreeMap<Symbol, SymbolState>,
    pub orders: Vec<OrderEntry>,
    pub by_client: ClientIndex,
    pub fills: Vec<Fill>,
    /// Restarts after a crash, oldest first (see [`FillEpoch`]); empty for
    /// a venue that never lost anything.
    pub epochs: Vec<FillEpoch>,
    pub events: broadcast::Sender<ExecutionEvent>,
    /// What changed since the last journal commit (`None` when the venue
    /// keeps no journal, so the in-memory venue pays nothing for it).
    pub journal: Option<Box<AccountJournal>>,
}

/// An account's changes since the venue's last journal commit, and the
/// events held back until that commit (see "Durability" in the paper
/// module docs).
#[derive(Debug, Default)]
pub(crate) struct AccountJournal {
    /// Something of the account changed (wallet, a symbol, an order, a fill).
    pub dirty: bool,
    /// Slots of orders accepted or changed since the commit (may repeat).
    pub changed: Vec<Slot>,
    /// Fills already committed (the durable end of the fill sequence).
    pub committed_fills: usize,
    /// Fills already put in a journal entry (committed or in flight).
    pub encoded_fills: usize,
    /// Events waiting for the commit that includes their facts.
    pub held: Vec<ExecutionEvent>,
}

/// One stretch of an account's fill sequence after a restart from a
/// snapshot that may have lagged (see "Restarts" in the paper module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FillEpoch {
    /// Unique label of the restart; part of every fill id and cursor of the
    /// stretch.
    pub label: String,
    /// Index in `fills` of the stretch's first fill.
    pub start: usize,
}

impl AccountState {
    pub fn new(id: String, deposit: Decimal, event_buffer: usize) -> Self {
        let (events, _) = broadcast::channel(event_buffer.max(1));
        AccountState {
            id,
            deposited: deposit,
            wallet: deposit,
            symbols: BTreeMap::new(),
            orders: Vec::new(),
            by_client: ClientIndex::default(),
            fills: Vec::new(),
            epochs: Vec::new(),
            events,
            journal: None,
        }
    }

    /// Starts tracking changes for the journal, everything present counted
    /// as committed.
    pub fn start_journal(&mut self) {
        self.journal = Some(Box::new(AccountJournal {
            committed_fills: self.fills.len(),
            encoded_fills: self.fills.len(),
            ..AccountJournal::default()
        }));
    }

    /// How many fills may be shown: the committed ones on a durable venue.
    pub fn told_fills(&self) -> usize {
        self.journal
            .as_ref()
            .map_or(self.fills.len(), |j| j.committed_fills.min(self.fills.len()))
    }

    /// Notes that the account changed (for the journal).
    pub fn mark(&mut self) {
        if let Some(j) = &mut self.journal {
            j.dirty = true;
        }
    }

    /// Notes that order `slot` was accepted or changed (for the journal).
    pub fn mark_order(&mut self, slot: Slot) {
        if let Some(j) = &mut self.journal {
            j.dirty = true;
            j.changed.push(slot);
        }
    }

    /// Sends an event when someone listens (building it only then); with a
    /// journal, holds it until the commit that includes its facts.
    pub fn emit(&mut self, event: impl FnOnce() -> ExecutionEvent) {
        if self.events.receiver_count() > 0 {
            match &mut self.journal {
                Some(j) => j.held.push(event()),
                // A send error means every receiver dropped in between: nobody to tell.
                None => {
                    let _ = self.events.send(event());
                }
            }
        }
    }

    /// Creates the symbol's state with `leverage` unless it exists (the
    /// symbol is cloned only the first time).
    pub fn ensure_symbol(&mut self, symbol: &Symbol, leverage: u32) {
        if !self.symbols.contains_key(symbol) {
            self.symbols.insert(symbol.clone(), SymbolState::new(leverage));
        }
    }

    /// Σ position margin + Σ order margin.
    pub fn used_margin(&self) -> Decimal {
        self.symbols.values().map(SymbolState::used_margin).sum()
    }

    /// What new margin may still use.
    pub fn available(&self) -> Decimal {
        (self.wallet - self.used_margin()).max(Decimal::ZERO)
    }

    /// Equity, available and used margin, marking positions with `mark`.
    pub fn balance(&self, mark: impl Fn(&Symbol) -> Option<Decimal>) -> AccountBalance {
        let upnl: Decimal = self
            .symbols
            .iter()
            .filter(|(_, s)| !s.position.is_flat())
            .map(|(sym, s)| s.position.unrealized(mark(sym).unwrap_or(s.position.entry_price)))
            .sum();
        let used = self.used_margin();
        AccountBalance::new(self.wallet + upnl, (self.wallet - used).max(Decimal::ZERO), used)
    }

    /// Next order's exchange id.
    pub fn next_order_id(&self) -> String {
        format!("{}-o{}", self.id, self.orders.len() + 1)
    }

    /// Next fill's id: `{account}-f{n}`, or `{account}-{label}-f{n}` after
    /// a restart, where `n` is the fill sequence number.
    pub fn next_fill_id(&self) -> String {
        match self.epochs.last() {
            None => format!("{}-f{}", self.id, self.fills.len() + 1),
            Some(e) => format!("{}-{}-f{}", self.id, e.label, self.fills.len() + 1),
        }
    }

    /// The cursor after the first `n` fills: `n`, or `{label}:{n}` after a
    /// restart.
    pub fn cursor_at(&self, n: usize) -> String {
        match self.epochs.last() {
            None => n.to_string(),
            Some(e) => format!("{}:{n}", e.label),
        }
    }

    /// How many fills a cursor has seen, in today's sequence. A cursor of
    /// an earlier stretch (or of a stretch this venue never saved) counts
    /// only the fills that stretch shares with today's sequence: what it
    /// saw past that was lost with the crash, and what came since is new.
    /// `None` when the cursor is malformed.
    pub fn cursor_position(&self, cursor: &str) -> Option<usize> {
        let (label, n) = match cursor.split_once(':') {
            Some((label, n)) => (label, n),
            None => ("", cursor),
        };
        let n: usize = n.parse().ok()?;
        let current = self.epochs.last().map(|e| e.label.as_str()).unwrap_or("");
        let seen = if label == current {
            n
        } else {
            // Label "" is the first stretch, which starts at 0.
            let idx = if label.is_empty() {
                Some(None)
            } else {
                self.epochs.iter().position(|e| e.label == label).map(Some)
            };
            let shared = match idx {
                // Known: shared up to where the next stretch starts.
                Some(i) => {
                    let next = i.map_or(0, |i| i + 1);
                    self.epochs.get(next).map_or(self.fills.len(), |e| e.start)
                }
                // Unknown (never saved): it branched off at or before the
                // start of today's stretch.
                None => self.epochs.last().map_or(0, |e| e.start),
            };
            n.min(shared)
        };
        Some(seen.min(self.fills.len()))
    }

    /// The open orders on `symbol`: bids from the highest, then asks from the lowest.
    pub fn open_orders(&self, symbol: &Symbol) -> Vec<Order> {
        let Some(st) = self.symbols.get(symbol) else {
            return Vec::new();
        };
        st.book
            .slots()
            .filter_map(|s| self.orders.get(s as usize).map(|e| e.order.clone()))
            .collect()
    }

    /// The order with `client_id`, if any.
    pub fn order(&self, client_id: &ClientOrderId) -> Option<&Order> {
        let slot = *self.by_client.get(client_id)?;
        self.orders.get(slot as usize).map(|e| &e.order)
    }

    /// Stamps `order` as changed at `ts`.
    pub fn touch(order: &mut Order, ts: TimestampMs) {
        if ts > order.updated_at {
            order.updated_at = ts;
        }
    }
}
