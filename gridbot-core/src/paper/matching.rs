//! Placing, cancelling and filling one account's orders: the matching
//! engine behind [`super::PaperAccount`]. The rules are the fill model in
//! the [`crate::paper`] module docs; the price tests are in
//! [`super::fill_model`].

use rust_decimal::Decimal;

use super::account::{AccountState, OrderEntry};
use super::book::Slot;
use super::config::PaperConfig;
use super::fill_model::{market_fill_price, to_ticks, walk_segment, Resting, SegmentBounds};
use crate::error::ExchangeError;
use crate::model::{
    ClientOrderId, ExecutionEvent, Fill, Instrument, Liquidity, Order, OrderKind, OrderRequest, OrderStatus, Rounding,
    Side, TimeInForce, TimestampMs,
};

/// Largest price or quantity accepted, so that no product can overflow.
const MAX_INPUT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0); // 1e12

/// The market an order meets: its contract, the venue's settings, the last
/// price (when one is known) and the venue's time.
pub(crate) struct Market<'a> {
    pub instrument: &'a Instrument,
    pub config: &'a PaperConfig,
    pub price: Option<Decimal>,
    pub now: TimestampMs,
}

fn internal(symbol: &str) -> ExchangeError {
    ExchangeError::Rejected {
        code: "internal".into(),
        message: format!("paper account has no state for {symbol}"),
    }
}

impl AccountState {
    /// Places one order. `available` is the account's available margin,
    /// kept up to date across a batch. See the module docs for the rules.
    pub fn place(
        &mut self,
        m: &Market<'_>,
        req: &OrderRequest,
        available: &mut Decimal,
    ) -> Result<Order, ExchangeError> {
        if let Some(existing) = self.order(&req.client_id) {
            return Ok(existing.clone());
        }
        let inst = m.instrument;
        if req.qty > MAX_INPUT || req.price.is_some_and(|p| p > MAX_INPUT) {
            return Err(ExchangeError::InvalidOrder(format!(
                "price and quantity must be at most {MAX_INPUT}, got price {:?} quantity {}",
                req.price, req.qty
            )));
        }
        let limit =
            match req.kind {
                OrderKind::Limit => Some(req.price.ok_or_else(|| {
                    ExchangeError::InvalidOrder(format!("limit order {} needs a price", req.client_id))
                })?),
                OrderKind::Market => None,
            };
        let reference = match (limit, m.price) {
            (Some(p), _) => p,
            (None, Some(last)) => inst.round_price(last, Rounding::Nearest),
            (None, None) => {
                return Err(ExchangeError::InvalidOrder(format!(
                    "no price for {} yet: a market order needs a last price",
                    inst.symbol
                )))
            }
        };
        inst.check_order(reference, req.qty)?;
        let ticks = match limit {
            Some(p) => to_ticks(p, inst.tick_size).ok_or_else(|| {
                ExchangeError::Precision(format!(
                    "price {p} is not a multiple of the tick size {}",
                    inst.tick_size
                ))
            })?,
            None => 0,
        };
        self.ensure_symbol(&inst.symbol, m.config.default_leverage);
        let st = self
            .symbols
            .get(&inst.symbol)
            .ok_or_else(|| internal(inst.symbol.as_str()))?;
        let closable = st.closable_by(req.side);
        if req.reduce_only && (closable.is_zero() || req.qty > closable) {
            return Err(ExchangeError::InvalidOrder(format!(
                "reduce-only {} of {} on {} would increase or flip the position ({})",
                req.side.as_str(),
                req.qty,
                inst.symbol,
                st.position.qty
            )));
        }
        let crosses = match (limit, m.price) {
            (None, _) => true,
            (Some(p), Some(last)) => match req.side {
                Side::Buy => p >= last,
                Side::Sell => p <= last,
            },
            (Some(_), None) => false,
        };
        if crosses && limit.is_some() && req.tif == TimeInForce::PostOnly {
            return Err(ExchangeError::InvalidOrder(format!(
                "post-only {} at {} on {} would take liquidity (last price {})",
                req.side.as_str(),
                reference,
                inst.symbol,
                m.price.unwrap_or_default()
            )));
        }
        if !crosses && matches!(req.tif, TimeInForce::Ioc | TimeInForce::Fok) {
            let slot = self.record(req, m.now, ticks);
            return self.finish_unfilled(slot, m.now);
        }
        let leverage = Decimal::from(st.leverage.max(1));
        if crosses {
            let price = match (limit, m.price) {
                (Some(p), _) => p,
                (None, Some(last)) => market_fill_price(req.side, last, m.config.slippage_bps, inst.tick_size),
                (None, None) => reference,
            };
            let opening = (req.qty - closable).max(Decimal::ZERO);
            let required = opening * price / leverage + price * req.qty * inst.taker_fee;
            if required > *available {
                return Err(insufficient(required, *available, req, &leverage));
            }
            let slot = self.record(req, m.now, ticks);
            self.execute(slot, price, req.qty, Liquidity::Taker, m.now, inst);
            *available = self.available();
            return self.order_at(slot);
        }
        // Resting limit order: reserve its margin first.
        let price = reference;
        if !req.reduce_only {
            let st = self
                .symbols
                .get_mut(&inst.symbol)
                .ok_or_else(|| internal(inst.symbol.as_str()))?;
            let before = st.order_notional();
            st.count_order(req.side, price, req.qty, Decimal::ONE);
            let grown = st.order_notional() - before;
            if grown > Decimal::ZERO {
                let delta = grown / leverage;
                if delta > *available {
                    st.count_order(req.side, price, req.qty, Decimal::NEGATIVE_ONE);
                    return Err(insufficient(delta, *available, req, &leverage));
                }
                *available -= delta;
            }
        }
        let slot = self.record(req, m.now, ticks);
        if let Some(st) = self.symbols.get_mut(&inst.symbol) {
            st.book.insert(req.side, ticks, slot);
        }
        let order = self.order_at(slot)?;
        self.emit(|| ExecutionEvent::Order(order.clone()));
        Ok(order)
    }

    /// Stores a newly accepted order and returns its slot.
    fn record(&mut self, req: &OrderRequest, now: TimestampMs, ticks: i64) -> Slot {
        let slot = self.orders.len() as Slot;
        let mut order = Order::accepted(self.next_order_id(), req, now);
        if req.kind == OrderKind::Market {
            order.price = None;
        }
        self.orders.push(OrderEntry { order, ticks });
        self.by_client.insert(req.client_id.clone(), slot);
        self.mark_order(slot);
        slot
    }

    fn order_at(&self, slot: Slot) -> Result<Order, ExchangeError> {
        self.orders
            .get(slot as usize)
            .map(|e| e.order.clone())
            .ok_or_else(|| internal("order"))
    }

    /// Marks a never-filled order cancelled (IOC/FOK that did not cross).
    fn finish_unfilled(&mut self, slot: Slot, now: TimestampMs) -> Result<Order, ExchangeError> {
        if let Some(e) = self.orders.get_mut(slot as usize) {
            e.order.status = OrderStatus::Canceled;
            AccountState::touch(&mut e.order, now);
        }
        self.mark_order(slot);
        let order = self.order_at(slot)?;
        self.emit(|| ExecutionEvent::Order(order.clone()));
        Ok(order)
    }

    /// Cancels the open order `client_id` on `inst`'s symbol.
    pub fn cancel(
        &mut self,
        inst: &Instrument,
        client_id: &ClientOrderId,
        now: TimestampMs,
    ) -> Result<(), ExchangeError> {
        let slot = self.by_client.get(client_id).copied();
        let open = slot.and_then(|s| self.orders.get(s as usize)).is_some_and(|e| {
            e.order.status.is_open() && e.order.kind == OrderKind::Limit && e.order.symbol == inst.symbol
        });
        match slot {
            Some(slot) if open => {
                self.unrest(slot, inst);
                self.set_canceled(slot, now);
                Ok(())
            }
            _ => Err(ExchangeError::NotFound(format!(
                "no open order {client_id} on {}",
                inst.symbol
            ))),
        }
    }

    /// Cancels every open order on `inst`'s symbol; returns how many.
    pub fn cancel_all(&mut self, inst: &Instrument, now: TimestampMs) -> usize {
        let slots: Vec<Slot> = match self.symbols.get(&inst.symbol) {
            Some(st) => st.book.slots().collect(),
            None => return 0,
        };
        for &slot in &slots {
            self.unrest(slot, inst);
            self.set_canceled(slot, now);
        }
        slots.len()
    }

    /// Takes a resting order off the book and out of the margin totals.
    fn unrest(&mut self, slot: Slot, inst: &Instrument) {
        let Some(entry) = self.orders.get(slot as usize) else {
            return;
        };
        let o = &entry.order;
        let Some(st) = self.symbols.get_mut(&inst.symbol) else {
            return;
        };
        if st.book.remove(o.side, entry.ticks, slot) && !o.reduce_only {
            st.count_order(
                o.side,
                o.price.unwrap_or_default(),
                o.remaining_qty(),
                Decimal::NEGATIVE_ONE,
            );
        }
    }

    fn set_canceled(&mut self, slot: Slot, now: TimestampMs) {
        if let Some(e) = self.orders.get_mut(slot as usize) {
            e.order.status = OrderStatus::Canceled;
            AccountState::touch(&mut e.order, now);
            let order = e.order.clone();
            self.mark_order(slot);
            self.emit(|| ExecutionEvent::Order(order));
        }
    }

    /// Books an execution of order `slot`: position, margin, fee, wallet,
    /// the fill record and its events.
    fn execute(
        &mut self,
        slot: Slot,
        price: Decimal,
        qty: Decimal,
        liquidity: Liquidity,
        ts: TimestampMs,
        inst: &Instrument,
    ) {
        let Some(side) = self.orders.get(slot as usize).map(|e| e.order.side) else {
            return;
        };
        let Some(st) = self.symbols.get_mut(&inst.symbol) else {
            return;
        };
        let before = st.position.qty.abs();
        let closing = st.closable_by(side).min(qty);
        let opening = qty - closing;
        let realized = st.position.apply(side, price, qty);
        if !closing.is_zero() {
            if closing >= before {
                st.margin = Decimal::ZERO;
            } else {
                st.margin -= st.margin * closing / before;
            }
        }
        if !opening.is_zero() {
            st.margin += opening * price / Decimal::from(st.leverage.max(1));
        }
        st.refresh_liq(inst.maint_margin_rate);
        let rate = match liquidity {
            Liquidity::Maker => inst.maker_fee,
            Liquidity::Taker => inst.taker_fee,
        };
        let fee = price * qty * rate;
        self.wallet += realized - fee;
        self.record_fill(slot, price, qty, fee, realized, liquidity, ts, false, inst);
    }

    /// Appends the fill record, updates the order and sends the events.
    #[allow(clippy::too_many_arguments)]
    fn record_fill(
        &mut self,
        slot: Slot,
        price: Decimal,
        qty: Decimal,
        fee: Decimal,
        realized: Decimal,
        liquidity: Liquidity,
        ts: TimestampMs,
        is_liquidation: bool,
        inst: &Instrument,
    ) {
        let id = self.next_fill_id();
        let Some(entry) = self.orders.get_mut(slot as usize) else {
            return;
        };
        let order = &mut entry.order;
        let prev = order.filled_qty;
        order.filled_qty += qty;
        order.avg_fill_price = Some(match order.avg_fill_price {
            Some(avg) if !prev.is_zero() => (avg * prev + price * qty) / order.filled_qty,
            _ => price,
        });
        order.status = if order.filled_qty >= order.qty {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        AccountState::touch(order, ts);
        let mut fill = Fill::new(
            id,
            order.id.clone(),
            order.client_id.clone(),
            inst.symbol.clone(),
            order.side,
            price,
            qty,
            fee,
            liquidity,
            ts,
        );
        fill.realized_pnl = realized;
        fill.is_liquidation = is_liquidation;
        if self.events.receiver_count() > 0 {
            let order = order.clone();
            self.emit(|| ExecutionEvent::Fill(fill.clone()));
            self.emit(|| ExecutionEvent::Order(order));
            if let Some(st) = self.symbols.get(&inst.symbol) {
                let position = st.view(&inst.symbol, Some(price));
                self.emit(|| ExecutionEvent::Position(position));
            }
        }
        self.mark_order(slot);
        self.fills.push(fill);
    }

    /// Fills resting order `slot` (at `ticks`) at its limit price as maker.
    /// A reduce-only order is trimmed to the position (the rest cancelled),
    /// or cancelled when there is nothing left to reduce.
    fn fill_resting(&mut self, slot: Slot, inst: &Instrument, ts: TimestampMs) {
        let Some(entry) = self.orders.get(slot as usize) else {
            return;
        };
        let (side, price, remaining, reduce_only) = (
            entry.order.side,
            entry.order.price.unwrap_or_default(),
            entry.order.remaining_qty(),
            entry.order.reduce_only,
        );
        self.unrest(slot, inst);
        let qty = if reduce_only {
            match self.symbols.get(&inst.symbol) {
                Some(st) => remaining.min(st.closable_by(side)),
                None => Decimal::ZERO,
            }
        } else {
            remaining
        };
        if !qty.is_zero() {
            self.execute(slot, price, qty, Liquidity::Maker, ts, inst);
        }
        if qty < remaining {
            self.set_canceled(slot, ts);
        }
    }

    /// Liquidates the position on `inst`'s symbol at its liquidation price
    /// (rounded to the tick against the trader): every order on the symbol
    /// is cancelled, the position is closed by a taker fill flagged
    /// `is_liquidation` whose fee takes whatever margin is left, so the
    /// wallet loses exactly the position's margin.
    fn liquidate(&mut self, inst: &Instrument, ts: TimestampMs) {
        self.cancel_all(inst, ts);
        let Some(st) = self.symbols.get(&inst.symbol) else {
            return;
        };
        let (qty, liq) = (st.position.qty, st.liq);
        let Some(liq) = liq else {
            return;
        };
        if qty.is_zero() {
            return;
        }
        let side = if qty.is_sign_positive() { Side::Sell } else { Side::Buy };
        let rounding = match side {
            Side::Sell => Rounding::Down,
            Side::Buy => Rounding::Up,
        };
        let price = inst.round_price(liq, rounding).max(inst.tick_size);
        let client_id = ClientOrderId::new(format!("liq-{}-{}", self.id, self.orders.len() + 1));
        let req = OrderRequest::market(client_id, inst.symbol.clone(), side, qty.abs()).reduce_only();
        let slot = self.record(&req, ts, 0);
        let Some(st) = self.symbols.get_mut(&inst.symbol) else {
            return;
        };
        let realized = st.position.apply(side, price, qty.abs());
        let fee = (st.margin + realized).max(Decimal::ZERO);
        st.margin = Decimal::ZERO;
        st.liq = None;
        self.wallet += realized - fee;
        self.record_fill(slot, price, qty.abs(), fee, realized, Liquidity::Taker, ts, true, inst);
    }

    /// Walks one segment of the price over this account's orders and
    /// position on `inst`'s symbol (the shared [`walk_segment`]).
    pub fn walk(&mut self, inst: &Instrument, b: &SegmentBounds) {
        walk_segment(&mut PaperWalk { account: self, inst }, b);
    }

    fn limit_price(&self, slot: Slot) -> Decimal {
        self.orders
            .get(slot as usize)
            .and_then(|e| e.order.price)
            .unwrap_or_default()
    }
}

fn insufficient(required: Decimal, available: Decimal, req: &OrderRequest, leverage: &Decimal) -> ExchangeError {
    ExchangeError::InsufficientBalance(format!(
        "{} USDT of margin and fees needed for {} {} {} at {leverage}x, {} USDT available",
        required.round_dp(4).normalize(),
        req.side.as_str(),
        req.qty,
        req.symbol,
        available.round_dp(4).normalize()
    ))
}

/// One account on one symbol, as the shared walk sees it.
struct PaperWalk<'a> {
    account: &'a mut AccountState,
    inst: &'a Instrument,
}

impl Resting for PaperWalk<'_> {
    fn first_bid(&self, min_ticks: i64) -> Option<(Slot, Decimal)> {
        let st = self.account.symbols.get(&self.inst.symbol)?;
        let (_, slot) = st.book.first_bid_at_or_above(min_ticks)?;
        Some((slot, self.account.limit_price(slot)))
    }

    fn first_ask(&self, max_ticks: i64) -> Option<(Slot, Decimal)> {
        let st = self.account.symbols.get(&self.inst.symbol)?;
        let (_, slot) = st.book.first_ask_at_or_below(max_ticks)?;
        Some((slot, self.account.limit_price(slot)))
    }

    fn liquidation(&self) -> Option<(bool, Decimal)> {
        let st = self.account.symbols.get(&self.inst.symbol)?;
        st.liq.map(|l| (st.position.qty.is_sign_positive(), l))
    }

    fn fill(&mut self, slot: Slot, _price: Decimal, ts: TimestampMs) {
        self.account.fill_resting(slot, self.inst, ts);
    }

    fn liquidate(&mut self, ts: TimestampMs) {
        self.account.liquidate(self.inst, ts);
    }
}
