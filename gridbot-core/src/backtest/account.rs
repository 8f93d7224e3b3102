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

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::model::{
    ClientOrderId, Fill, Instrument, Liquidity, NetPosition, OrderKind, OrderRequest, Rounding, Side, TimeInForce,
    TimestampMs,
};
use crate::paper::fill_model::{liquidation_price, market_fill_price, ticks_ceil, ticks_floor, to_ticks};
use crate::paper::{OrderBook, Slot};

/// A resting order of the bot.
#[derive(Debug, Clone)]
struct Resting {
    req: OrderRequest,
    ticks: i64,
    open: bool,
}

/// What a placement led to.
#[derive(Debug)]
pub(crate) enum Placed {
    /// Resting on the book (or an IOC that did not cross: dropped).
    Accepted,
    /// Filled at once.
    Filled(Fill),
    /// Refused, with the reason.
    Rejected(String),
}

/// The bot's account in a backtest.
#[derive(Debug)]
pub(crate) struct SimAccount {
    pub inst: Instrument,
    slippage_bps: Decimal,
    orders: Vec<Resting>,
    by_client: HashMap<ClientOrderId, Slot>,
    book: OrderBook,
    pub position: NetPosition,
    pub wallet: Decimal,
    pub fees: Decimal,
    pub liq: Option<Decimal>,
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
    /// walk's `lo_floor`: `⌊liq / tick⌋`, `i64::MIN` without a long,
    /// `i64::MAX` when unknown.
    liq_floor: i64,
    /// A short's liquidation is out of reach when this is above the walk's
    /// `hi_ceil`: `⌈liq / tick⌉`, `i64::MAX` without a short.
    liq_ceil: i64,
}

impl SimAccount {
    pub fn new(inst: Instrument, investment: Decimal, slippage_bps: Decimal, price: Decimal) -> Self {
        SimAccount {
            inst,
            slippage_bps,
            orders: Vec::new(),
            by_client: HashMap::new(),
            book: OrderBook::new(),
            position: NetPosition::default(),
            wallet: investment,
            fees: Decimal::ZERO,
            liq: None,
            fills: 0,
            liquidated: false,
            price,
            version: 0,
            best_bid: i64::MIN,
            best_ask: i64::MAX,
            liq_floor: i64::MIN,
            liq_ceil: i64::MAX,
        }
    }

    /// True when a walk provably touches no resting order and does not
    /// reach the liquidation price (see [`super::prepared`]): walking it
    /// would change nothing. The walk touches bids at or above `bid_bound`
    /// and asks at or below `ask_bound`; its lowest point floors to
    /// `lo_floor` ticks and its highest ceils to `hi_ceil`.
    #[inline]
    pub fn quiet(&self, bid_bound: i64, ask_bound: i64, lo_floor: i64, hi_ceil: i64) -> bool {
        self.best_bid < bid_bound && self.best_ask > ask_bound && self.liq_floor < lo_floor && self.liq_ceil > hi_ceil
    }

    /// Sets the liquidation price and its tick bounds.
    fn set_liq(&mut self, liq: Option<Decimal>) {
        self.liq = liq;
        let tick = self.inst.tick_size;
        (self.liq_floor, self.liq_ceil) = match liq {
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
        };
    }

    /// Re-reads the best bid and ask after a removal.
    fn refresh_best(&mut self) {
        self.best_bid = self.book.first_bid_at_or_above(i64::MIN).map_or(i64::MIN, |(t, _)| t);
        self.best_ask = self.book.first_ask_at_or_below(i64::MAX).map_or(i64::MAX, |(t, _)| t);
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

    /// Places an order at the current price, by the paper exchange's rules.
    pub fn place(&mut self, req: &OrderRequest, ts: TimestampMs) -> Placed {
        if req.symbol != self.inst.symbol {
            return Placed::Rejected(format!(
                "order for {} in a backtest of {}",
                req.symbol, self.inst.symbol
            ));
        }
        if let Some(&slot) = self.by_client.get(&req.client_id) {
            if self.orders.get(slot as usize).is_some_and(|o| o.open) {
                return Placed::Accepted;
            }
        }
        let limit = match (req.kind, req.price) {
            (OrderKind::Limit, Some(p)) => Some(p),
            (OrderKind::Limit, None) => {
                return Placed::Rejected(format!("limit order {} needs a price", req.client_id))
            }
            (OrderKind::Market, _) => None,
        };
        let reference = limit.unwrap_or_else(|| self.inst.round_price(self.price, Rounding::Nearest));
        if let Err(e) = self.inst.check_order(reference, req.qty) {
            return Placed::Rejected(e.to_string());
        }
        let closable = self.closable_by(req.side);
        if req.reduce_only && (closable.is_zero() || req.qty > closable) {
            return Placed::Rejected(format!(
                "reduce-only {} of {} would increase or flip the position ({})",
                req.side.as_str(),
                req.qty,
                self.position.qty
            ));
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
                return Placed::Rejected(format!("post-only order {} would take liquidity", req.client_id));
            }
            let price = limit
                .unwrap_or_else(|| market_fill_price(req.side, self.price, self.slippage_bps, self.inst.tick_size));
            let fill = self.book_fill(&req.client_id, req.side, price, req.qty, Liquidity::Taker, ts);
            return Placed::Filled(fill);
        }
        if matches!(req.tif, TimeInForce::Ioc | TimeInForce::Fok) {
            return Placed::Accepted;
        }
        let Some(ticks) = limit.and_then(|p| to_ticks(p, self.inst.tick_size)) else {
            return Placed::Rejected(format!(
                "price of {} is off the tick {}",
                req.client_id, self.inst.tick_size
            ));
        };
        let slot = self.orders.len() as Slot;
        self.orders.push(Resting {
            req: req.clone(),
            ticks,
            open: true,
        });
        self.by_client.insert(req.client_id.clone(), slot);
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
                let removed = self.book.remove(o.req.side, o.ticks, slot);
                self.refresh_best();
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
        Some(self.book_fill(client_id, side, price, q.abs(), Liquidity::Taker, ts))
    }

    /// The first touched bid at or above `min_ticks`, with its price.
    pub fn first_bid(&self, min_ticks: i64) -> Option<(Slot, Decimal)> {
        let (_, slot) = self.book.first_bid_at_or_above(min_ticks)?;
        Some((slot, self.orders.get(slot as usize)?.req.price?))
    }

    /// The first touched ask at or below `max_ticks`, with its price.
    pub fn first_ask(&self, max_ticks: i64) -> Option<(Slot, Decimal)> {
        let (_, slot) = self.book.first_ask_at_or_below(max_ticks)?;
        Some((slot, self.orders.get(slot as usize)?.req.price?))
    }

    /// Fills resting order `slot` at `price` as maker. A reduce-only order
    /// fills only what is left of the position (nothing when flat).
    pub fn fill_resting(&mut self, slot: Slot, price: Decimal, ts: TimestampMs) -> Option<Fill> {
        if !self.unrest(slot) {
            return None;
        }
        let o = self.orders.get(slot as usize)?;
        let (client_id, side, qty, reduce_only) = (o.req.client_id.clone(), o.req.side, o.req.qty, o.req.reduce_only);
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
        Some(self.book_fill(&client_id, side, price, qty, Liquidity::Maker, ts))
    }

    /// Liquidates the position at its liquidation price; see the module docs.
    pub fn liquidate(&mut self, ts: TimestampMs) -> Option<Fill> {
        let liq = self.liq?;
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
        self.set_liq(None);
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
        client_id: &ClientOrderId,
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
        self.set_liq(liquidation_price(
            self.position.qty,
            self.position.entry_price,
            self.wallet,
            self.inst.maint_margin_rate,
        ));
        self.version += 1;
        self.fills += 1;
        let mut fill = self.fill_record(client_id.clone(), side, price, qty, fee, ts);
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
        let n = self.fills;
        Fill::new(
            format!("bt-f{n}"),
            format!("bt-o{n}"),
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
