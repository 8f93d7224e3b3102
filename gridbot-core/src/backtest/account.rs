//! The backtested bot's account: its resting orders, position, wallet and
//! fees, under the paper exchange's fill model.
//!
//! Invariants:
//! - `wallet` = investment + Σ realised PnL − Σ fees.
//! - The bot's whole allocation is its isolated margin (as exchanges' grid
//!   bots hold it): the position is liquidated when `wallet` + unrealised
//!   PnL ≤ mmr × notional, i.e. at
//!   [`crate::paper::fill_model::liquidation_price`] with margin = `wallet`.
//!   A liquidation closes the position at that price (rounded to the tick
//!   against the bot), cancels every resting order, and takes the rest of
//!   the wallet as the fill's fee, leaving the bot with nothing.
//! - Orders are not refused for margin: the allocation backs them all and
//!   liquidation is the limit (the grid plan checks the margin up front).
//! - Resting bids are below `price` and asks above it; a crossing limit
//!   fills at once as taker at its limit price.
//!
//! For the backtester's quiet-candle test ([`SimAccount::quiet`]) the
//! account keeps, in ticks, its best bid and ask and how far its
//! liquidation price is from being reached, and counts the changes of its
//! wallet and position (`version`), after which a marked equity is stale.
//!
//! The liquidation price is computed in decimals only when a walk may
//! reach it: after each fill the account first bounds it in `f64` (see
//! [`SimAccount::liquidation_reachable`]), with a margin far above the
//! `f64` and decimal rounding errors, and the bounds decide most walks.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rust_decimal::Decimal;

use crate::model::{
    ClientOrderId, Fill, Instrument, Liquidity, NetPosition, OrderKind, OrderRequest, Rounding, Side, TimeInForce,
    TimestampMs,
};
use crate::paper::fill_model::{liquidation_price, market_fill_price, ticks_ceil, ticks_floor, to_ticks};
use crate::paper::{OrderBook, Slot};

use super::to_f64;

/// Relative margin of the `f64` liquidation bounds (see
/// [`SimAccount::liquidation_reachable`]).
const LIQ_MARGIN: f64 = 1e-9;

/// Above the relative error of one `f64` division (2⁻⁵³).
const DIV_ERROR: f64 = 1e-15;

/// A resting order of the bot: what its fill needs of the request.
#[derive(Debug, Clone)]
struct Resting {
    /// Its client id (moved into the fill when it fills).
    client_id: ClientOrderId,
    side: Side,
    price: Decimal,
    qty: Decimal,
    reduce_only: bool,
    ticks: i64,
    open: bool,
}

/// A fast, non-cryptographic hasher for the account's client ids (the
/// backtested engine's own ids: no adversary).
#[derive(Debug, Default, Clone, Copy)]
struct IdHasher(u64);

impl IdHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Spread the multiply's high bits to the low ones the table uses.
        self.0 ^ (self.0 >> 29)
    }
}

/// `prefix` then `n` in decimal: `format!("{prefix}{n}")` without the
/// formatting machinery.
fn numbered(prefix: &str, n: u64) -> String {
    let mut s = String::with_capacity(prefix.len() + 20);
    s.push_str(prefix);
    crate::model::push_u64(&mut s, n);
    s
}

/// The fill id and order id of fill number `n`: `bt-f{n}` and `bt-o{n}`
/// (digits written once).
fn fill_ids(n: u64) -> (String, String) {
    let fill = numbered("bt-f", n);
    let mut order = String::with_capacity(fill.len());
    order.push_str("bt-o");
    order.push_str(fill.get(4..).unwrap_or_default());
    (fill, order)
}

/// What a placement led to.
#[derive(Debug)]
pub(crate) enum Placed {
    /// Resting on the book (or an IOC that did not cross: dropped).
    Accepted,
    /// Filled at once.
    Filled(Fill),
    /// Refused: the order's id and the reason.
    Rejected(ClientOrderId, String),
}

/// The bot's account in a backtest.
#[derive(Debug)]
pub(crate) struct SimAccount {
    pub inst: Instrument,
    slippage_bps: Decimal,
    orders: Vec<Resting>,
    by_client: HashMap<ClientOrderId, Slot, BuildHasherDefault<IdHasher>>,
    book: OrderBook,
    pub position: NetPosition,
    pub wallet: Decimal,
    pub fees: Decimal,
    /// The exact liquidation price of the position, once computed (`None`:
    /// not yet, since the last change of the wallet or the position).
    liq: Cell<Option<Option<Decimal>>>,
    pub fills: u64,
    pub liquidated: bool,
    /// The price now (the last walk point reached).
    pub price: Decimal,
    /// Changes of the wallet or the position so far.
    pub version: u64,
    /// Highest resting bid, ticks (`i64::MIN` when none).
    best_bid: i64,
    /// Lowest resting ask, ticks (`i64::MAX` when none).
    best_ask: i64,
    /// A long's liquidation is out of a walk's reach when this is below the
    /// walk's `lo_floor`: at least `⌊liq / tick⌋` (exactly that once the
    /// decimal price is known), `i64::MIN` without a long, `i64::MAX` when
    /// unknown.
    liq_floor: Cell<i64>,
    /// A short's liquidation is out of reach when this is above the walk's
    /// `hi_ceil`: at most `⌈liq / tick⌉`, `i64::MAX` without a short.
    liq_ceil: Cell<i64>,
    /// The maintenance margin rate and the tick as `f64`s.
    mmr_f: f64,
    tick_f: f64,
}

impl SimAccount {
    pub fn new(inst: Instrument, investment: Decimal, slippage_bps: Decimal, price: Decimal) -> Self {
        let (mmr_f, tick_f) = (to_f64(inst.maint_margin_rate), to_f64(inst.tick_size));
        SimAccount {
            inst,
            slippage_bps,
            orders: Vec::new(),
            by_client: HashMap::default(),
            book: OrderBook::new(),
            position: NetPosition::default(),
            wallet: investment,
            fees: Decimal::ZERO,
            liq: Cell::new(Some(None)),
            fills: 0,
            liquidated: false,
            price,
            version: 0,
            best_bid: i64::MIN,
            best_ask: i64::MAX,
            liq_floor: Cell::new(i64::MIN),
            liq_ceil: Cell::new(i64::MAX),
            mmr_f,
            tick_f,
        }
    }

    /// True when a walk provably touches no resting order and does not
    /// reach the liquidation price (see [`super::prepared`]): walking it
    /// would change nothing. The walk touches bids at or above `bid_bound`
    /// and asks at or below `ask_bound`; its lowest point floors to
    /// `lo_floor` ticks and its highest ceils to `hi_ceil`.
    #[inline]
    pub fn quiet(&self, bid_bound: i64, ask_bound: i64, lo_floor: i64, hi_ceil: i64) -> bool {
        self.best_bid < bid_bound && self.best_ask > ask_bound && !self.liquidation_reachable(lo_floor, hi_ceil)
    }

    /// False when the liquidation price is provably out of the reach of a
    /// walk whose lowest point floors to `lo_floor` ticks and whose highest
    /// ceils to `hi_ceil` (see [`super::prepared`]): then the walk neither
    /// starts past it nor reaches it, and it need not be known.
    #[inline]
    pub fn liquidation_reachable(&self, lo_floor: i64, hi_ceil: i64) -> bool {
        !(self.liq_floor.get() < lo_floor && self.liq_ceil.get() > hi_ceil)
    }

    /// The exact (decimal) liquidation price of the position, computed once
    /// per change of the wallet or the position; `None` when flat or never
    /// liquidated.
    pub fn liquidation_price(&self) -> Option<Decimal> {
        if let Some(liq) = self.liq.get() {
            return liq;
        }
        let liq = liquidation_price(
            self.position.qty,
            self.position.entry_price,
            self.wallet,
            self.inst.maint_margin_rate,
        );
        self.liq.set(Some(liq));
        let (floor, ceil) = self.exact_liq_bounds(liq);
        self.liq_floor.set(floor);
        self.liq_ceil.set(ceil);
        liq
    }

    /// The tick bounds of the exact liquidation price `liq`.
    fn exact_liq_bounds(&self, liq: Option<Decimal>) -> (i64, i64) {
        let tick = self.inst.tick_size;
        match liq {
            None => (i64::MIN, i64::MAX),
            // `ticks_floor` is never below the exact floor (it saturates
            // or rounds up), so the test stays conservative.
            Some(l) if self.position.qty.is_sign_positive() => (ticks_floor(l, tick), i64::MAX),
            // `ticks_ceil` is never above the exact ceiling; `i64::MAX` may
            // also mean "not computable": then never out of reach.
            Some(l) => match ticks_ceil(l, tick) {
                i64::MAX => (i64::MAX, i64::MAX),
                c => (i64::MIN, c),
            },
        }
    }

    /// After a change of the wallet or the position: forgets the exact
    /// liquidation price and bounds the new one in `f64`.
    ///
    /// Long `q > 0`: `L = (entry − wallet/q) / (1 − mmr)`; short: `L =
    /// (entry + wallet/|q|) / (1 + mmr)` ([`liquidation_price`]). Computed
    /// in `f64` from `f64` images of the decimals (each within a few units
    /// in the last place), `L` is off by less than 10⁻¹⁴ of `S = (|entry| +
    /// |wallet/q|) / (1 ∓ mmr)` (the subtraction may cancel, so the error is
    /// bounded by the operands, not by `L`), and the decimal `L` by less
    /// than 10⁻²⁵ of `S`. With a margin of 10⁻⁹ · `S`, and the division by
    /// the tick's error and one tick more for rounding in ticks, the long's
    /// bound is at least
    /// `⌊L / tick⌋` and the short's at most `⌈L / tick⌉`. Anything not
    /// finite (or a non-positive `1 − mmr` or tick) computes the decimal
    /// price at once instead.
    fn reset_liq(&mut self) {
        let q = self.position.qty;
        if q.is_zero() {
            self.liq.set(Some(None));
            self.liq_floor.set(i64::MIN);
            self.liq_ceil.set(i64::MAX);
            return;
        }
        self.liq.set(None);
        let long = q.is_sign_positive();
        let qty = to_f64(q).abs();
        let entry = to_f64(self.position.entry_price);
        let per_unit = to_f64(self.wallet) / qty;
        let (mmr, tick) = (self.mmr_f, self.tick_f);
        let den = if long { 1.0 - mmr } else { 1.0 + mmr };
        let l = if long { entry - per_unit } else { entry + per_unit } / den;
        let margin = LIQ_MARGIN * (entry.abs() + per_unit.abs()) / den;
        let (floor, ceil) = if long {
            let u = (l + margin) / tick;
            ((u + u.abs() * DIV_ERROR + 1.0).floor(), f64::INFINITY)
        } else {
            let u = (l - margin) / tick;
            (f64::NEG_INFINITY, (u - u.abs() * DIV_ERROR - 1.0).ceil())
        };
        let usable = den > 0.0 && tick > 0.0 && margin.is_finite() && !floor.is_nan() && !ceil.is_nan();
        if usable {
            // `as` saturates: a bound beyond the `i64` range stays beyond
            // every walk on that side.
            self.liq_floor.set(floor as i64);
            self.liq_ceil.set(ceil as i64);
        } else {
            self.liquidation_price();
        }
    }

    /// Wallet plus unrealised PnL at `mark`.
    pub fn equity(&self, mark: Decimal) -> Decimal {
        self.wallet + self.position.unrealized(mark)
    }

    fn closable_by(&self, side: Side) -> Decimal {
        let q = self.position.qty;
        match side {
            Side::Buy if q.is_sign_negative() => -q,
            Side::Sell if q.is_sign_positive() && !q.is_zero() => q,
            _ => Decimal::ZERO,
        }
    }

    /// True when [`Instrument::check_order`] certainly accepts `price` (in
    /// ticks: `ticks`) and `qty`: a positive whole number of ticks and of
    /// lots (exact integer tests, where `check_order` takes decimal
    /// remainders), at least the minimum quantity and notional (the same
    /// decimal comparisons). False means "ask `check_order`" (it words the
    /// refusal).
    fn surely_valid(&self, ticks: Option<i64>, price: Decimal, qty: Decimal) -> bool {
        ticks.is_some_and(|t| t > 0)
            && to_ticks(qty, self.inst.lot_size).is_some_and(|l| l > 0)
            && qty >= self.inst.min_qty
            && price.checked_mul(qty).is_some_and(|n| n >= self.inst.min_notional)
    }

    /// Places an order at the current price, by the paper exchange's rules.
    pub fn place(&mut self, req: OrderRequest, ts: TimestampMs) -> Placed {
        if req.symbol != self.inst.symbol {
            let reason = format!("order for {} in a backtest of {}", req.symbol, self.inst.symbol);
            return Placed::Rejected(req.client_id, reason);
        }
        if let Some(&slot) = self.by_client.get(&req.client_id) {
            if self.orders.get(slot as usize).is_some_and(|o| o.open) {
                return Placed::Accepted;
            }
        }
        let limit = match (req.kind, req.price) {
            (OrderKind::Limit, Some(p)) => Some(p),
            (OrderKind::Limit, None) => {
                let reason = format!("limit order {} needs a price", req.client_id);
                return Placed::Rejected(req.client_id, reason);
            }
            (OrderKind::Market, _) => None,
        };
        let reference = limit.unwrap_or_else(|| self.inst.round_price(self.price, Rounding::Nearest));
        let reference_ticks = to_ticks(reference, self.inst.tick_size);
        if !self.surely_valid(reference_ticks, reference, req.qty) {
            if let Err(e) = self.inst.check_order(reference, req.qty) {
                return Placed::Rejected(req.client_id, e.to_string());
            }
        }
        let closable = self.closable_by(req.side);
        if req.reduce_only && (closable.is_zero() || req.qty > closable) {
            let reason = format!(
                "reduce-only {} of {} would increase or flip the position ({})",
                req.side.as_str(),
                req.qty,
                self.position.qty
            );
            return Placed::Rejected(req.client_id, reason);
        }
        let crosses = match limit {
            None => true,
            Some(p) => match req.side {
                Side::Buy => p >= self.price,
                Side::Sell => p <= self.price,
            },
        };
        if crosses {
            if limit.is_some() && req.tif == TimeInForce::PostOnly {
                let reason = format!("post-only order {} would take liquidity", req.client_id);
                return Placed::Rejected(req.client_id, reason);
            }
            let price = limit
                .unwrap_or_else(|| market_fill_price(req.side, self.price, self.slippage_bps, self.inst.tick_size));
            let fill = self.book_fill(req.client_id, req.side, price, req.qty, Liquidity::Taker, ts);
            return Placed::Filled(fill);
        }
        if matches!(req.tif, TimeInForce::Ioc | TimeInForce::Fok) {
            return Placed::Accepted;
        }
        let Some(ticks) = limit.and(reference_ticks) else {
            let reason = format!("price of {} is off the tick {}", req.client_id, self.inst.tick_size);
            return Placed::Rejected(req.client_id, reason);
        };
        let slot = self.orders.len() as Slot;
        self.by_client.insert(req.client_id.clone(), slot);
        self.orders.push(Resting {
            client_id: req.client_id,
            side: req.side,
            price: limit.unwrap_or(reference),
            qty: req.qty,
            reduce_only: req.reduce_only,
            ticks,
            open: true,
        });
        self.book.insert(req.side, ticks, slot);
        match req.side {
            Side::Buy => self.best_bid = self.best_bid.max(ticks),
            Side::Sell => self.best_ask = self.best_ask.min(ticks),
        }
        Placed::Accepted
    }

    /// Cancels the resting order `client_id`; false when none rests.
    pub fn cancel(&mut self, client_id: &ClientOrderId) -> bool {
        let Some(slot) = self.by_client.remove(client_id) else {
            return false;
        };
        self.unrest(slot)
    }

    fn unrest(&mut self, slot: Slot) -> bool {
        match self.orders.get_mut(slot as usize) {
            Some(o) if o.open => {
                o.open = false;
                let (side, ticks) = (o.side, o.ticks);
                let removed = self.book.remove(side, ticks, slot);
                // Only the removal of a best order can change the best.
                match side {
                    Side::Buy if ticks >= self.best_bid => {
                        self.best_bid = self.book.first_bid_at_or_above(i64::MIN).map_or(i64::MIN, |(t, _)| t)
                    }
                    Side::Sell if ticks <= self.best_ask => {
                        self.best_ask = self.book.first_ask_at_or_below(i64::MAX).map_or(i64::MAX, |(t, _)| t)
                    }
                    _ => {}
                }
                removed
            }
            _ => false,
        }
    }

    /// Closes the whole position at market (reduce-only); `None` when flat.
    pub fn close_position(&mut self, client_id: &ClientOrderId, ts: TimestampMs) -> Option<Fill> {
        let q = self.position.qty;
        if q.is_zero() {
            return None;
        }
        let side = if q.is_sign_positive() { Side::Sell } else { Side::Buy };
        let price = market_fill_price(side, self.price, self.slippage_bps, self.inst.tick_size);
        Some(self.book_fill(client_id.clone(), side, price, q.abs(), Liquidity::Taker, ts))
    }

    /// The first touched bid at or above `min_ticks`, with its price.
    pub fn first_bid(&self, min_ticks: i64) -> Option<(Slot, Decimal)> {
        let (_, slot) = self.book.first_bid_at_or_above(min_ticks)?;
        Some((slot, self.orders.get(slot as usize)?.price))
    }

    /// The first touched ask at or below `max_ticks`, with its price.
    pub fn first_ask(&self, max_ticks: i64) -> Option<(Slot, Decimal)> {
        let (_, slot) = self.book.first_ask_at_or_below(max_ticks)?;
        Some((slot, self.orders.get(slot as usize)?.price))
    }

    /// Fills resting order `slot` at `price` as maker. A reduce-only order
    /// fills only what is left of the position (nothing when flat).
    pub fn fill_resting(&mut self, slot: Slot, price: Decimal, ts: TimestampMs) -> Option<Fill> {
        if !self.unrest(slot) {
            return None;
        }
        let o = self.orders.get_mut(slot as usize)?;
        // The order is done: its id moves into the fill.
        let client_id = std::mem::replace(&mut o.client_id, ClientOrderId::new(String::new()));
        let (side, qty, reduce_only) = (o.side, o.qty, o.reduce_only);
        self.by_client.remove(&client_id);
        let qty = if reduce_only {
            qty.min(self.closable_by(side))
        } else {
            qty
        };
        self.price = price;
        if qty.is_zero() {
            return None;
        }
        Some(self.book_fill(client_id, side, price, qty, Liquidity::Maker, ts))
    }

    /// Liquidates the position at its liquidation price; see the module docs.
    pub fn liquidate(&mut self, ts: TimestampMs) -> Option<Fill> {
        let liq = self.liquidation_price()?;
        let q = self.position.qty;
        if q.is_zero() {
            return None;
        }
        let slots: Vec<Slot> = self.book.slots().collect();
        for s in slots {
            self.unrest(s);
        }
        self.by_client.clear();
        let side = if q.is_sign_positive() { Side::Sell } else { Side::Buy };
        let rounding = if side == Side::Sell {
            Rounding::Down
        } else {
            Rounding::Up
        };
        let price = self.inst.round_price(liq, rounding).max(self.inst.tick_size);
        let realized = self.position.apply(side, price, q.abs());
        let fee = (self.wallet + realized).max(Decimal::ZERO);
        self.wallet += realized - fee;
        self.fees += fee;
        self.reset_liq();
        self.version += 1;
        self.liquidated = true;
        self.price = price;
        self.fills += 1;
        let mut fill = self.fill_record(ClientOrderId::new("liquidation"), side, price, q.abs(), fee, ts);
        fill.realized_pnl = realized;
        fill.is_liquidation = true;
        Some(fill)
    }

    fn book_fill(
        &mut self,
        client_id: ClientOrderId,
        side: Side,
        price: Decimal,
        qty: Decimal,
        liquidity: Liquidity,
        ts: TimestampMs,
    ) -> Fill {
        let realized = self.position.apply(side, price, qty);
        let rate = match liquidity {
            Liquidity::Maker => self.inst.maker_fee,
            Liquidity::Taker => self.inst.taker_fee,
        };
        let fee = price * qty * rate;
        self.wallet += realized - fee;
        self.fees += fee;
        self.reset_liq();
        self.version += 1;
        self.fills += 1;
        let mut fill = self.fill_record(client_id, side, price, qty, fee, ts);
        fill.liquidity = liquidity;
        fill.realized_pnl = realized;
        fill
    }

    fn fill_record(
        &self,
        client_id: ClientOrderId,
        side: Side,
        price: Decimal,
        qty: Decimal,
        fee: Decimal,
        ts: TimestampMs,
    ) -> Fill {
        let (fill_id, order_id) = fill_ids(self.fills);
        Fill::new(
            fill_id,
            order_id,
            client_id,
            self.inst.symbol.clone(),
            side,
            price,
            qty,
            fee,
            Liquidity::Taker,
            ts,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn account(tick: Decimal, mmr: Decimal) -> SimAccount {
        let mut inst = Instrument::btcusdt();
        inst.tick_size = tick;
        inst.maint_margin_rate = mmr;
        SimAccount::new(inst, Decimal::from(1000), Decimal::from(2), Decimal::from(100))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// The `f64` bounds of the liquidation price never exclude the
        /// exact (decimal) price's ticks: a long's floor bound is at least
        /// the exact floor and a short's ceiling bound at most the exact
        /// ceiling; and they are tight (within the margin and two ticks)
        /// wherever the price is not cancelled to about zero.
        #[test]
        fn liquidation_bounds_contain_the_exact_price(
            qty_lots in 1i64..10_000_000,
            lot_scale in 0u32..6,
            entry_units in 1i64..10_000_000_000,
            entry_scale in 0u32..12,
            // Wallet as a multiple of the notional, in 1/1000, plus noise:
            // around 1000 the long's price cancels to zero.
            per_mille in 1i64..3000,
            noise in -1_000_000i64..1_000_000,
            long in any::<bool>(),
            tick_scale in 0u32..6,
            mmr_bp in 0i64..500,
        ) {
            let tick = Decimal::new(1, tick_scale);
            let mut a = account(tick, Decimal::new(mmr_bp, 4));
            let q = Decimal::new(qty_lots, lot_scale);
            let entry = Decimal::new(entry_units, entry_scale);
            a.wallet = (entry * q * Decimal::new(per_mille, 3) + Decimal::new(noise, 9)).max(Decimal::new(1, 9));
            a.position = NetPosition { qty: if long { q } else { -q }, entry_price: entry };
            a.reset_liq();
            let (floor, ceil) = (a.liq_floor.get(), a.liq_ceil.get());
            let exact = liquidation_price(a.position.qty, entry, a.wallet, a.inst.maint_margin_rate);
            let (exact_floor, exact_ceil) = a.exact_liq_bounds(exact);
            prop_assert!(floor >= exact_floor, "floor {floor} < exact {exact_floor} ({exact:?})");
            prop_assert!(ceil <= exact_ceil, "ceil {ceil} > exact {exact_ceil} ({exact:?})");
            if let Some(l) = exact.filter(|l| *l > tick * Decimal::from(1000)) {
                // The margin: 10⁻⁹ of |entry| + |wallet / qty|, in ticks.
                let slack = 2 + (to_f64((entry + a.wallet / q) / tick) * 2e-9) as i64;
                if long {
                    prop_assert!(floor - exact_floor <= slack, "loose floor {floor} vs {exact_floor} ({l})");
                } else if exact_ceil != i64::MAX {
                    prop_assert!(exact_ceil - ceil <= slack, "loose ceil {ceil} vs {exact_ceil} ({l})");
                }
            }
            // The decimal price, once asked for, is the exact one, and the
            // bounds become exact.
            prop_assert_eq!(a.liquidation_price(), exact);
            prop_assert_eq!((a.liq_floor.get(), a.liq_ceil.get()), (exact_floor, exact_ceil));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// The integer pre-check never accepts what `check_order` refuses,
        /// and accepts the ordinary valid orders.
        #[test]
        fn the_order_pre_check_accepts_only_what_check_order_accepts(
            price_units in -1_000i64..100_000_000,
            price_scale in 0u32..8,
            qty_units in -10i64..1_000_000,
            qty_scale in 0u32..8,
            tick_scale in 0u32..4,
            tick_digit in 1i64..6,
            lot_scale in 0u32..6,
            min_qty_units in 0i64..100,
            min_notional in 0i64..20,
        ) {
            let mut a = account(Decimal::new(tick_digit, tick_scale), Decimal::new(4, 3));
            a.inst.lot_size = Decimal::new(1, lot_scale);
            a.inst.min_qty = Decimal::new(min_qty_units, lot_scale);
            a.inst.min_notional = Decimal::from(min_notional);
            let price = Decimal::new(price_units, price_scale);
            let qty = Decimal::new(qty_units, qty_scale);
            let ticks = to_ticks(price, a.inst.tick_size);
            let fast = a.surely_valid(ticks, price, qty);
            let checked = a.inst.check_order(price, qty);
            prop_assert!(!fast || checked.is_ok(), "{price} x {qty}: pre-check accepts, check_order says {checked:?}");
            if checked.is_ok() {
                prop_assert!(fast, "{price} x {qty}: valid but not pre-accepted");
            }
        }
    }

    #[test]
    fn fill_ids_are_numbered_as_format_would() {
        for n in [0u64, 1, 9, 10, 12_345, u64::MAX] {
            assert_eq!(numbered("bt-f", n), format!("bt-f{n}"));
            assert_eq!(fill_ids(n), (format!("bt-f{n}"), format!("bt-o{n}")));
        }
    }
}
