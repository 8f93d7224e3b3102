//! The fake's account and matching engine: one account, a per-symbol book
//! of resting limit orders filled when the scripted price crosses them,
//! market orders at the current price, fills with increasing ids, a one-way
//! position per symbol and a USDT balance.
//!
//! Matching rules (documented for test writers):
//! - A resting buy fills in full at its own price (maker) when the price
//!   moves to or below it; a resting sell when the price moves to or above it.
//! - A limit order that crosses the current price on arrival fills at once at
//!   the current price (taker); `post_only` crossing orders are cancelled.
//! - Market orders fill at the current price (taker).
//! - Fees: maker / taker rate × notional, subtracted from the wallet; when
//!   [`Book::fee_coin`] is another coin (BGB), the fee is charged in that
//!   coin at its [`Book::coin_prices`] price and the fill reports it so.
//! - [`Book::fill_partially`] fills part of a resting order (for tests of
//!   partially filled orders).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use gridbot_core::model::{Candle, OrderKind, OrderStatus, Side};
use rust_decimal::Decimal;

/// A maintenance margin tier: (from value, to value, max leverage, rate).
pub type Tier = (Decimal, Decimal, u32, Decimal);

/// A contract the fake lists.
#[derive(Debug, Clone)]
pub struct FakeContract {
    /// Symbol.
    pub symbol: String,
    /// Price decimals.
    pub price_place: u32,
    /// Size decimals.
    pub volume_place: u32,
    /// Size step.
    pub size_multiplier: Decimal,
    /// Smallest size.
    pub min_trade_num: Decimal,
    /// Smallest value, USDT.
    pub min_trade_usdt: Decimal,
    /// Highest leverage.
    pub max_lever: u32,
    /// Maker fee rate.
    pub maker_fee: Decimal,
    /// Taker fee rate.
    pub taker_fee: Decimal,
    /// Maintenance margin tiers.
    pub tiers: Vec<Tier>,
}

impl FakeContract {
    /// Tick size.
    pub fn tick(&self) -> Decimal {
        Decimal::new(1, self.price_place)
    }
}

/// An order in the fake.
#[derive(Debug, Clone)]
pub struct FakeOrder {
    /// Exchange id.
    pub id: u64,
    /// Client id.
    pub client_oid: String,
    /// Symbol.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Limit or market.
    pub kind: OrderKind,
    /// Limit price.
    pub price: Option<Decimal>,
    /// Size.
    pub size: Decimal,
    /// Filled size.
    pub filled: Decimal,
    /// Average fill price.
    pub avg_price: Option<Decimal>,
    /// Status.
    pub status: OrderStatus,
    /// Reduce-only.
    pub reduce_only: bool,
    /// `gtc`, `post_only`, ...
    pub force: String,
    /// Created.
    pub c_time: i64,
    /// Updated.
    pub u_time: i64,
}

/// A fill in the fake.
#[derive(Debug, Clone)]
pub struct FakeFill {
    /// Trade id.
    pub trade_id: u64,
    /// Order id.
    pub order_id: u64,
    /// Client id of the order.
    pub client_oid: String,
    /// Symbol.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Price.
    pub price: Decimal,
    /// Size.
    pub size: Decimal,
    /// Fee paid, in USDT (positive).
    pub fee: Decimal,
    /// The coin the fee was charged in.
    pub fee_coin: String,
    /// The fee in that coin (positive).
    pub fee_in_coin: Decimal,
    /// Realised PnL.
    pub profit: Decimal,
    /// `buy_single`, `reduce_sell_single`, ...
    pub trade_side: String,
    /// Maker or taker.
    pub maker: bool,
    /// Time.
    pub ts: i64,
}

/// A one-way position.
#[derive(Debug, Clone, Default)]
pub struct FakePosition {
    /// Signed size.
    pub qty: Decimal,
    /// Entry price.
    pub entry: Decimal,
}

/// What changed, for the private WebSocket.
#[derive(Debug, Clone)]
pub enum BookEvent {
    /// An order changed.
    Order(FakeOrder),
    /// A fill happened.
    Fill(FakeFill),
    /// A symbol's position changed.
    Position(String),
}

/// A refusal: Bitget code and message.
pub type Refusal = (&'static str, String);

/// A new order.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Symbol.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Kind.
    pub kind: OrderKind,
    /// Limit price.
    pub price: Option<Decimal>,
    /// Size.
    pub size: Decimal,
    /// Client id.
    pub client_oid: String,
    /// Reduce-only.
    pub reduce_only: bool,
    /// Time in force.
    pub force: String,
}

/// The whole fake account and market.
#[derive(Debug, Default)]
pub struct Book {
    /// Listed contracts.
    pub contracts: BTreeMap<String, FakeContract>,
    /// Current prices.
    pub prices: HashMap<String, Decimal>,
    /// Every order ever accepted, by id.
    pub orders: BTreeMap<u64, FakeOrder>,
    /// Order id by client id.
    pub by_client_oid: HashMap<String, u64>,
    /// Ids of the orders still open (an index over `orders`).
    pub open: BTreeSet<u64>,
    /// Every fill, oldest first.
    pub fills: Vec<FakeFill>,
    /// Positions.
    pub positions: HashMap<String, FakePosition>,
    /// Leverage per symbol.
    pub leverage: HashMap<String, u32>,
    /// Margin mode per symbol (`crossed` when not set, as on Bitget).
    pub margin_mode: HashMap<String, String>,
    /// `one_way_mode` / `hedge_mode`.
    pub pos_mode: String,
    /// Unified accounts: `accountLevel` (`basic`, `advanced`, `isolated`, `delta`).
    pub account_level: String,
    /// The coin fees are charged in (`USDT`, or `BGB` with BGB deduction on).
    pub fee_coin: String,
    /// Spot prices in USDT of other coins (`BGB` → 4.2), served on the spot tickers.
    pub coin_prices: HashMap<String, Decimal>,
    /// Balances of coins other than USDT (fees charged in BGB come off here).
    pub coin_balances: HashMap<String, Decimal>,
    /// Wallet balance (before unrealised PnL).
    pub wallet: Decimal,
    /// Seeded candle history.
    pub candles: HashMap<String, Vec<Candle>>,
    next_id: u64,
}

impl Book {
    /// An empty book with `wallet` USDT.
    pub fn new(wallet: Decimal) -> Self {
        Book {
            wallet,
            pos_mode: "hedge_mode".to_owned(),
            account_level: "advanced".to_owned(),
            fee_coin: "USDT".to_owned(),
            next_id: 1_100_000_000_000_000_000,
            ..Book::default()
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Margin mode of `symbol` (`crossed` until set).
    pub fn margin_of(&self, symbol: &str) -> &str {
        self.margin_mode.get(symbol).map(String::as_str).unwrap_or("crossed")
    }

    /// True when `symbol` has a position or a resting order.
    pub fn busy(&self, symbol: &str) -> bool {
        self.positions.get(symbol).is_some_and(|p| !p.qty.is_zero())
            || self
                .open
                .iter()
                .filter_map(|id| self.orders.get(id))
                .any(|o| o.symbol == symbol)
    }

    /// True when any symbol has a position or a resting order.
    pub fn any_busy(&self) -> bool {
        self.positions.values().any(|p| !p.qty.is_zero()) || !self.open.is_empty()
    }

    /// Leverage of `symbol` (default 10).
    pub fn leverage_of(&self, symbol: &str) -> u32 {
        self.leverage.get(symbol).copied().unwrap_or(10).max(1)
    }

    /// Unrealised PnL of every position.
    pub fn unrealized(&self) -> Decimal {
        self.positions
            .iter()
            .map(|(s, p)| p.qty * (self.prices.get(s).copied().unwrap_or(p.entry) - p.entry))
            .sum()
    }

    /// Margin held by positions and resting orders.
    pub fn used_margin(&self) -> Decimal {
        let pos: Decimal = self
            .positions
            .iter()
            .map(|(s, p)| p.qty.abs() * p.entry / Decimal::from(self.leverage_of(s)))
            .sum();
        let ord: Decimal = self
            .open
            .iter()
            .filter_map(|id| self.orders.get(id))
            .filter(|o| !o.reduce_only)
            .map(|o| (o.size - o.filled) * o.price.unwrap_or_default() / Decimal::from(self.leverage_of(&o.symbol)))
            .sum();
        pos + ord
    }

    /// Wallet plus unrealised PnL.
    pub fn equity(&self) -> Decimal {
        self.wallet + self.unrealized()
    }

    /// Places an order, matching it at once when it crosses.
    pub fn place(&mut self, o: NewOrder, now: i64, events: &mut Vec<BookEvent>) -> Result<u64, Refusal> {
        let c = self
            .contracts
            .get(&o.symbol)
            .cloned()
            .ok_or(("40034", format!("Parameter symbol {} does not exist", o.symbol)))?;
        if self.by_client_oid.contains_key(&o.client_oid) {
            return Err(("40786", "Duplicate clientOid".to_owned()));
        }
        let current = self.prices.get(&o.symbol).copied().unwrap_or_default();
        if o.size <= Decimal::ZERO || (o.size % c.size_multiplier) != Decimal::ZERO || o.size.scale() > c.volume_place {
            return Err((
                "40808",
                format!("Parameter verification exception size scale error: {}", o.size),
            ));
        }
        if let Some(p) = o.price {
            if p <= Decimal::ZERO {
                return Err(("43011", "The parameter price must be greater than 0".to_owned()));
            }
            if (p % c.tick()) != Decimal::ZERO || p.scale() > c.price_place {
                return Err((
                    "40808",
                    format!("Parameter verification exception price scale error: {p}"),
                ));
            }
        }
        let ref_price = o.price.unwrap_or(current);
        if o.size < c.min_trade_num || o.size * ref_price < c.min_trade_usdt {
            return Err((
                "45110",
                format!(
                    "less than the minimum order quantity, minimum {} USDT",
                    c.min_trade_usdt
                ),
            ));
        }
        let pos = self.positions.get(&o.symbol).cloned().unwrap_or_default();
        if o.reduce_only {
            let reduces =
                (o.side == Side::Sell && pos.qty > Decimal::ZERO) || (o.side == Side::Buy && pos.qty < Decimal::ZERO);
            if !reduces {
                return Err(("22002", "No position to close".to_owned()));
            }
        } else {
            let need = o.size * ref_price / Decimal::from(self.leverage_of(&o.symbol));
            if need > self.equity() - self.used_margin() {
                return Err(("43012", "Insufficient balance".to_owned()));
            }
        }
        let id = self.id();
        let order = FakeOrder {
            id,
            client_oid: o.client_oid.clone(),
            symbol: o.symbol.clone(),
            side: o.side,
            kind: o.kind,
            price: o.price,
            size: o.size,
            filled: Decimal::ZERO,
            avg_price: None,
            status: OrderStatus::Open,
            reduce_only: o.reduce_only,
            force: o.force.clone(),
            c_time: now,
            u_time: now,
        };
        self.by_client_oid.insert(o.client_oid.clone(), id);
        self.orders.insert(id, order.clone());
        self.open.insert(id);
        events.push(BookEvent::Order(order));
        let crosses = match (o.kind, o.price) {
            (OrderKind::Market, _) => true,
            (OrderKind::Limit, Some(p)) => {
                (o.side == Side::Buy && p >= current) || (o.side == Side::Sell && p <= current)
            }
            (OrderKind::Limit, None) => false,
        };
        if crosses && current > Decimal::ZERO {
            if o.force == "post_only" {
                self.finish(id, OrderStatus::Canceled, now, events);
            } else {
                self.fill(id, current, None, false, now, events);
            }
        }
        Ok(id)
    }

    /// Cancels an open order by id.
    pub fn cancel(&mut self, id: u64, now: i64, events: &mut Vec<BookEvent>) -> Result<(), Refusal> {
        match self.orders.get(&id) {
            Some(o) if o.status.is_open() => {
                self.finish(id, OrderStatus::Canceled, now, events);
                Ok(())
            }
            _ => Err(("40768", "Order does not exist".to_owned())),
        }
    }

    fn finish(&mut self, id: u64, status: OrderStatus, now: i64, events: &mut Vec<BookEvent>) {
        self.open.remove(&id);
        if let Some(o) = self.orders.get_mut(&id) {
            o.status = status;
            o.u_time = now.max(o.u_time + 1);
            events.push(BookEvent::Order(o.clone()));
        }
    }

    /// Moves the price of `symbol`, filling the resting orders it crosses.
    pub fn set_price(&mut self, symbol: &str, price: Decimal, now: i64, events: &mut Vec<BookEvent>) {
        self.prices.insert(symbol.to_owned(), price);
        let crossed: Vec<(u64, Decimal)> = self
            .open
            .iter()
            .filter_map(|id| self.orders.get(id))
            .filter(|o| o.symbol == symbol && o.kind == OrderKind::Limit)
            .filter_map(|o| {
                let p = o.price?;
                let hit = (o.side == Side::Buy && price <= p) || (o.side == Side::Sell && price >= p);
                hit.then_some((o.id, p))
            })
            .collect();
        for (id, p) in crossed {
            self.fill(id, p, None, true, now, events);
        }
    }

    /// Fills `qty` of the resting order with client id `client_oid` at its
    /// price (maker); the order stays open when some of it remains.
    pub fn fill_partially(&mut self, client_oid: &str, qty: Decimal, now: i64, events: &mut Vec<BookEvent>) -> bool {
        let Some(id) = self.by_client_oid.get(client_oid).copied() else {
            return false;
        };
        let Some(price) = self
            .orders
            .get(&id)
            .filter(|o| o.status.is_open())
            .and_then(|o| o.price)
        else {
            return false;
        };
        self.fill(id, price, Some(qty), true, now, events);
        true
    }

    fn fill(
        &mut self,
        id: u64,
        price: Decimal,
        part: Option<Decimal>,
        maker: bool,
        now: i64,
        events: &mut Vec<BookEvent>,
    ) {
        let Some(o) = self.orders.get(&id).cloned() else { return };
        let Some(c) = self.contracts.get(&o.symbol).cloned() else {
            return;
        };
        let mut qty = o.size - o.filled;
        if let Some(p) = part {
            qty = qty.min(p);
        }
        let pos = self.positions.get(&o.symbol).cloned().unwrap_or_default();
        if o.reduce_only {
            qty = qty.min(pos.qty.abs());
        }
        if qty <= Decimal::ZERO {
            self.finish(id, OrderStatus::Canceled, now, events);
            return;
        }
        let signed = qty * o.side.sign();
        let mut profit = Decimal::ZERO;
        let mut new = pos.clone();
        let reducing = !pos.qty.is_zero() && pos.qty.is_sign_positive() != signed.is_sign_positive();
        if reducing {
            let closed = qty.min(pos.qty.abs());
            profit = if pos.qty > Decimal::ZERO {
                closed * (price - pos.entry)
            } else {
                closed * (pos.entry - price)
            };
            new.qty = pos.qty + signed;
            if new.qty.is_zero() {
                new.entry = Decimal::ZERO;
            } else if new.qty.is_sign_positive() != pos.qty.is_sign_positive() {
                new.entry = price;
            }
        } else {
            let total = pos.qty.abs() + qty;
            new.entry = (pos.entry * pos.qty.abs() + price * qty) / total;
            new.qty = pos.qty + signed;
        }
        let rate = if maker { c.maker_fee } else { c.taker_fee };
        let fee = (price * qty * rate).round_dp(8);
        let coin_price = self.coin_prices.get(&self.fee_coin).copied();
        let (fee_coin, fee_in_coin) = match coin_price {
            Some(p) if self.fee_coin != "USDT" && p > Decimal::ZERO => (self.fee_coin.clone(), (fee / p).round_dp(8)),
            _ if self.fee_coin != "USDT" => (self.fee_coin.clone(), fee),
            _ => ("USDT".to_owned(), fee),
        };
        if fee_coin == "USDT" {
            self.wallet += profit - fee;
        } else {
            self.wallet += profit;
            *self.coin_balances.entry(fee_coin.clone()).or_default() -= fee_in_coin;
        }
        self.positions.insert(o.symbol.clone(), new);
        let trade_side = match (reducing, o.side) {
            (false, Side::Buy) => "buy_single",
            (false, Side::Sell) => "sell_single",
            (true, Side::Buy) => "reduce_buy_single",
            (true, Side::Sell) => "reduce_sell_single",
        };
        let trade_id = self.id();
        let f = FakeFill {
            trade_id,
            order_id: id,
            client_oid: o.client_oid.clone(),
            symbol: o.symbol.clone(),
            side: o.side,
            price,
            size: qty,
            fee,
            fee_coin,
            fee_in_coin,
            profit,
            trade_side: trade_side.to_owned(),
            maker,
            ts: now,
        };
        self.fills.push(f.clone());
        if let Some(ord) = self.orders.get_mut(&id) {
            ord.filled += qty;
            ord.avg_price = Some(price);
            ord.status = if ord.filled < ord.size {
                OrderStatus::PartiallyFilled
            } else {
                OrderStatus::Filled
            };
            ord.u_time = now.max(ord.u_time + 1);
            if !ord.status.is_open() {
                self.open.remove(&id);
            }
            events.push(BookEvent::Order(ord.clone()));
        }
        events.push(BookEvent::Fill(f));
        events.push(BookEvent::Position(o.symbol));
    }
}
