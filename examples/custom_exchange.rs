//! Bring your own exchange: "Toy Exchange", a made-up venue written here,
//! outside the gridbot crates, implements the [`Exchange`] and
//! [`MarketData`] traits; a grid bot then trades on it through the normal
//! manager and runner, for ten simulated hours.
//!
//! `cargo run --example custom_exchange` (no keys; a few seconds).
//!
//! The toy venue: one account, one contract (BTCUSDT with Bitget's rules),
//! limit orders fill completely at their price when a candle's walk touches
//! them, market orders fill at the last price, maker fee 0.02 %, taker fee
//! 0.06 %, no margin checks, no liquidation. Its prices are a seeded random
//! walk, one candle a minute.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use futures::channel::mpsc;
use gridbot::core::clock::ManualClock;
use gridbot::core::error::{ExchangeError, MarketDataError};
use gridbot::core::grid::{GridConfig, GridMode, Spacing};
use gridbot::core::model::{
    AccountBalance, BotSource, Candle, ClientOrderId, ExecutionEvent, Fill, FillCursor, Instrument, Interval,
    Liquidity, MarketEvent, Order, OrderKind, OrderRequest, OrderStatus, Position, Rounding, Side, Symbol, TimestampMs,
};
use gridbot::core::ports::{Exchange, ExecutionStream, FillPage, MarketData, MarketSubscription};
use gridbot::{Decimal, Gridbot};

/// The venue's state: the book, the fills, the position, the wallet.
struct Book {
    rules: Instrument,
    last: Decimal,
    now: TimestampMs,
    wallet: Decimal,
    leverage: u32,
    /// Net quantity and average entry price.
    position: (Decimal, Decimal),
    orders: BTreeMap<String, Order>,
    fills: Vec<Fill>,
    candles: Vec<Candle>,
    executions: Vec<mpsc::UnboundedSender<ExecutionEvent>>,
    market: Vec<mpsc::UnboundedSender<MarketEvent>>,
}

/// Toy Exchange: an [`Exchange`] and its own [`MarketData`].
struct ToyExchange {
    book: Mutex<Book>,
}

impl ToyExchange {
    fn new(deposit: Decimal, price: Decimal, now: TimestampMs) -> Self {
        ToyExchange {
            book: Mutex::new(Book {
                rules: Instrument::btcusdt(),
                last: price,
                now,
                wallet: deposit,
                leverage: 1,
                position: (Decimal::ZERO, Decimal::ZERO),
                orders: BTreeMap::new(),
                fills: Vec::new(),
                candles: Vec::new(),
                executions: Vec::new(),
                market: Vec::new(),
            }),
        }
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Trades one minute: walks open → low → high → close (or open → high →
    /// low → close on a down candle), filling the orders it touches, then
    /// tells the market's subscribers.
    fn trade_candle(&self, candle: Candle) {
        let mut b = self.book();
        let path = if candle.close >= candle.open {
            [candle.open, candle.low, candle.high, candle.close]
        } else {
            [candle.open, candle.high, candle.low, candle.close]
        };
        b.now = candle.ts + 60_000;
        for price in path {
            b.last = price;
            let touched: Vec<String> = b
                .orders
                .values()
                .filter(|o| o.status == OrderStatus::Open && o.kind == OrderKind::Limit)
                .filter(|o| match (o.side, o.price) {
                    (Side::Buy, Some(p)) => price <= p,
                    (Side::Sell, Some(p)) => price >= p,
                    _ => false,
                })
                .map(|o| o.client_id.as_str().to_owned())
                .collect();
            for id in touched {
                b.fill(&id, Liquidity::Maker);
            }
        }
        b.candles.push(candle);
        let event = MarketEvent::Candle {
            symbol: b.rules.symbol.clone(),
            candle,
        };
        b.market.retain(|tx| tx.unbounded_send(event.clone()).is_ok());
    }
}

impl Book {
    /// Fills the whole order `id` at its limit (or the last) price.
    fn fill(&mut self, id: &str, liquidity: Liquidity) {
        let Some(order) = self.orders.get_mut(id) else { return };
        let price = order.price.unwrap_or(self.last);
        let qty = order.qty;
        order.filled_qty = qty;
        order.avg_fill_price = Some(price);
        order.status = OrderStatus::Filled;
        order.updated_at = self.now;
        let order = order.clone();
        let rate = match liquidity {
            Liquidity::Maker => self.rules.maker_fee,
            Liquidity::Taker => self.rules.taker_fee,
        };
        let fee = (price * qty * rate).round_dp(8);
        let (net, entry) = self.position;
        let signed = qty * order.side.sign();
        // The part that closes the position realises PnL; the rest opens.
        let closing = if net.is_sign_positive() != signed.is_sign_positive() && !net.is_zero() {
            signed.abs().min(net.abs())
        } else {
            Decimal::ZERO
        };
        let direction = if net > Decimal::ZERO {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        let realized = closing * (price - entry) * direction;
        let new_net = net + signed;
        let new_entry = if new_net.is_zero() {
            Decimal::ZERO
        } else if closing.is_zero() {
            (net.abs() * entry + qty * price) / new_net.abs()
        } else if new_net.is_sign_positive() == net.is_sign_positive() {
            entry
        } else {
            price
        };
        self.position = (new_net, new_entry);
        self.wallet += realized - fee;
        let n = self.fills.len() + 1;
        let mut fill = Fill::new(
            format!("toy-f{n}"),
            order.id.clone(),
            order.client_id.clone(),
            order.symbol.clone(),
            order.side,
            price,
            qty,
            fee,
            liquidity,
            self.now,
        );
        fill.realized_pnl = realized;
        self.fills.push(fill.clone());
        let position = self.position_view();
        for ev in [
            ExecutionEvent::Fill(fill),
            ExecutionEvent::Order(order),
            ExecutionEvent::Position(position),
        ] {
            self.executions.retain(|tx| tx.unbounded_send(ev.clone()).is_ok());
        }
    }

    fn position_view(&self) -> Position {
        let (qty, entry) = self.position;
        let margin = (qty.abs() * entry / Decimal::from(self.leverage)).round_dp(8);
        Position::new(
            self.rules.symbol.clone(),
            qty,
            entry,
            self.leverage,
            margin,
            qty * (self.last - entry),
            None,
        )
    }

    fn check_symbol(&self, symbol: &Symbol) -> Result<(), ExchangeError> {
        if *symbol == self.rules.symbol {
            Ok(())
        } else {
            Err(ExchangeError::UnknownSymbol(format!(
                "Toy Exchange lists only BTCUSDT, not {symbol}"
            )))
        }
    }

    fn place(&mut self, req: &OrderRequest) -> Result<Order, ExchangeError> {
        self.check_symbol(&req.symbol)?;
        if let Some(existing) = self.orders.get(req.client_id.as_str()) {
            return Ok(existing.clone()); // idempotent by client id
        }
        // The instrument's own rules: tick, lot, minimum quantity and notional.
        self.rules.check_order(req.price.unwrap_or(self.last), req.qty)?;
        let id = format!("toy-{}", self.orders.len() + 1);
        self.orders
            .insert(req.client_id.as_str().to_owned(), Order::accepted(id, req, self.now));
        let crosses = match (req.kind, req.side, req.price) {
            (OrderKind::Market, _, _) => true,
            (_, Side::Buy, Some(p)) => p >= self.last,
            (_, Side::Sell, Some(p)) => p <= self.last,
            _ => false,
        };
        if crosses {
            self.fill(req.client_id.as_str(), Liquidity::Taker);
        } else if let Some(o) = self.orders.get(req.client_id.as_str()) {
            let ev = ExecutionEvent::Order(o.clone());
            self.executions.retain(|tx| tx.unbounded_send(ev.clone()).is_ok());
        }
        self.orders
            .get(req.client_id.as_str())
            .cloned()
            .ok_or_else(|| ExchangeError::Protocol("order vanished".into()))
    }

    fn cancel(&mut self, id: &str) -> Result<(), ExchangeError> {
        let now = self.now;
        match self.orders.get_mut(id) {
            Some(o) if o.status == OrderStatus::Open => {
                o.status = OrderStatus::Canceled;
                o.updated_at = now;
                let ev = ExecutionEvent::Order(o.clone());
                self.executions.retain(|tx| tx.unbounded_send(ev.clone()).is_ok());
                Ok(())
            }
            _ => Err(ExchangeError::NotFound(format!("no open order {id}"))),
        }
    }
}

#[async_trait]
impl Exchange for ToyExchange {
    fn name(&self) -> &str {
        "toy"
    }

    async fn instrument(&self, symbol: &Symbol) -> Result<Instrument, ExchangeError> {
        let b = self.book();
        b.check_symbol(symbol)?;
        Ok(b.rules.clone())
    }

    async fn balance(&self) -> Result<AccountBalance, ExchangeError> {
        let b = self.book();
        let p = b.position_view();
        let equity = b.wallet + p.unrealized_pnl;
        Ok(AccountBalance::new(
            equity,
            (b.wallet - p.margin).max(Decimal::ZERO),
            p.margin,
        ))
    }

    async fn set_leverage(&self, symbol: &Symbol, leverage: u32) -> Result<(), ExchangeError> {
        let mut b = self.book();
        b.check_symbol(symbol)?;
        b.leverage = leverage.max(1);
        Ok(())
    }

    async fn place_orders(&self, orders: &[OrderRequest]) -> Result<Vec<Result<Order, ExchangeError>>, ExchangeError> {
        let mut b = self.book();
        Ok(orders.iter().map(|o| b.place(o)).collect())
    }

    async fn cancel_orders(
        &self,
        symbol: &Symbol,
        ids: &[ClientOrderId],
    ) -> Result<Vec<Result<(), ExchangeError>>, ExchangeError> {
        let mut b = self.book();
        b.check_symbol(symbol)?;
        Ok(ids.iter().map(|id| b.cancel(id.as_str())).collect())
    }

    async fn cancel_all(&self, symbol: &Symbol) -> Result<usize, ExchangeError> {
        let mut b = self.book();
        b.check_symbol(symbol)?;
        let open: Vec<String> = b
            .orders
            .iter()
            .filter(|(_, o)| o.status == OrderStatus::Open)
            .map(|(k, _)| k.clone())
            .collect();
        Ok(open.iter().filter(|id| b.cancel(id).is_ok()).count())
    }

    async fn open_orders(&self, symbol: &Symbol) -> Result<Vec<Order>, ExchangeError> {
        let b = self.book();
        b.check_symbol(symbol)?;
        Ok(b.orders
            .values()
            .filter(|o| o.status == OrderStatus::Open)
            .cloned()
            .collect())
    }

    async fn order(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        let b = self.book();
        b.check_symbol(symbol)?;
        Ok(b.orders.get(client_id.as_str()).cloned())
    }

    async fn fills_since(&self, symbol: &Symbol, cursor: Option<FillCursor>) -> Result<FillPage, ExchangeError> {
        let b = self.book();
        b.check_symbol(symbol)?;
        // The cursor is how many fills the caller has seen.
        let seen = match &cursor {
            Some(c) => {
                c.0.parse::<usize>()
                    .map_err(|_| ExchangeError::InvalidOrder(format!("bad cursor {c:?}")))?
            }
            None => 0,
        };
        let fills = b.fills.get(seen..).unwrap_or_default().to_vec();
        let next = FillCursor(b.fills.len().max(seen).to_string());
        Ok(FillPage::new(fills, Some(next), false))
    }

    async fn position(&self, symbol: &Symbol) -> Result<Position, ExchangeError> {
        let b = self.book();
        b.check_symbol(symbol)?;
        Ok(b.position_view())
    }

    async fn close_position(&self, symbol: &Symbol, client_id: &ClientOrderId) -> Result<Option<Order>, ExchangeError> {
        let mut b = self.book();
        b.check_symbol(symbol)?;
        let (qty, _) = b.position;
        if qty.is_zero() {
            return Ok(None);
        }
        let side = if qty > Decimal::ZERO { Side::Sell } else { Side::Buy };
        let req = OrderRequest::market(client_id.clone(), symbol.clone(), side, qty.abs()).reduce_only();
        b.place(&req).map(Some)
    }

    fn execution_events(&self) -> ExecutionStream {
        let (tx, rx) = mpsc::unbounded();
        self.book().executions.push(tx);
        Box::pin(rx)
    }
}

#[async_trait]
impl MarketData for ToyExchange {
    async fn subscribe(&self, symbol: &Symbol) -> Result<MarketSubscription, MarketDataError> {
        let (tx, rx) = mpsc::unbounded();
        let mut b = self.book();
        if *symbol != b.rules.symbol {
            return Err(MarketDataError::UnknownSymbol(symbol.to_string()));
        }
        b.market.push(tx);
        Ok(MarketSubscription::new(rx, None))
    }

    async fn candles(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start: TimestampMs,
        end: TimestampMs,
    ) -> Result<Vec<Candle>, MarketDataError> {
        let b = self.book();
        if *symbol != b.rules.symbol || interval != Interval::M1 {
            return Err(MarketDataError::NoData(
                "Toy Exchange has 1m candles of BTCUSDT only".into(),
            ));
        }
        Ok(b.candles
            .iter()
            .filter(|c| c.ts >= start && c.ts < end)
            .copied()
            .collect())
    }

    async fn last_price(&self, symbol: &Symbol) -> Result<Decimal, MarketDataError> {
        let b = self.book();
        if *symbol != b.rules.symbol {
            return Err(MarketDataError::UnknownSymbol(symbol.to_string()));
        }
        Ok(b.last)
    }

    fn symbols(&self) -> Vec<Symbol> {
        vec![self.book().rules.symbol.clone()]
    }
}

/// A seeded random walk of one-minute candles (xorshift, ±0.15 % a minute).
struct Walk {
    state: u64,
    price: Decimal,
}

impl Walk {
    fn next(&mut self, ts: TimestampMs, rules: &Instrument) -> Candle {
        let mut step = || {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            Decimal::from((self.state % 3_001) as i64 - 1_500) / Decimal::from(1_000_000)
        };
        let (a, b, c) = (step(), step().abs(), step().abs());
        let open = self.price;
        let close = rules.round_price(open * (Decimal::ONE + a), Rounding::Down);
        let high = rules.round_price(open.max(close) * (Decimal::ONE + b), Rounding::Up);
        let low = rules.round_price(open.min(close) * (Decimal::ONE - c), Rounding::Down);
        self.price = close;
        Candle {
            ts,
            open,
            high,
            low,
            close,
            volume: Decimal::ONE,
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start: TimestampMs = 1_735_689_600_000;
    let clock = Arc::new(ManualClock::new(start));
    let price = Decimal::from(60_000);
    let toy = Arc::new(ToyExchange::new(Decimal::from(5_000), price, start));
    let btc = Symbol::new("BTCUSDT")?;

    // The toy venue is both the account every user trades on and the market.
    let gridbot = Gridbot::builder()
        .clock(clock.clone())
        .exchange(toy.clone())
        .market_data(toy.clone(), vec![Instrument::btcusdt()])
        .build()
        .await?;
    let user = gridbot.ensure_user("toy-trader").await?;
    let config = GridConfig::new(
        btc.clone(),
        Decimal::from(58_800),
        Decimal::from(61_200),
        24,
        Spacing::Arithmetic,
        GridMode::Neutral,
        Decimal::from(2_000),
        2,
    );
    let bot = gridbot.manager().start_grid(user, config, BotSource::Manual).await?;
    println!("grid bot #{} started on Toy Exchange", bot.id);

    let mut walk = Walk {
        state: 0x9E37_79B9_7F4A_7C15,
        price,
    };
    let rules = Instrument::btcusdt();
    for minute in 0..600 {
        let candle = walk.next(start + minute * 60_000, &rules);
        clock.set(candle.ts + 60_000);
        toy.trade_candle(candle);
        gridbot
            .wait_for_bots(user, &[(btc.clone(), candle.close)], Duration::from_secs(5))
            .await?;
    }

    let bot = gridbot.manager().bot_detail(user, bot.id).await?.bot;
    let s = &bot.stats;
    println!(
        "after 10 hours at {}: {} fills, {} round trips, grid profit {:.4} USDT, total PnL {:.4} USDT",
        walk.price,
        s.fills,
        s.round_trips,
        s.grid_profit,
        s.total_pnl()
    );
    let stopped = gridbot.manager().stop_bot(user, bot.id).await?;
    let balance = toy.balance().await?;
    println!(
        "stopped ({:?}); Toy Exchange wallet {:.4} USDT, {} open orders, position {}",
        stopped.status,
        balance.equity,
        toy.open_orders(&btc).await?.len(),
        toy.position(&btc).await?.qty
    );
    gridbot.shutdown().await;
    Ok(())
}
