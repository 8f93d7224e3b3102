//! Column values ↔ model types for the SQL stores.
//!
//! Decimals travel as their exact text (`Decimal`'s `Display`, read back
//! with `from_str_exact`), JSON documents as text, enums as their stored
//! names, booleans as integers (0 / 1). A value that does not decode is [`StoreError::Corrupt`], naming
//! the column.

use std::str::FromStr;

use gridbot_core::model::{
    AuditEvent, Bot, BotId, BotKind, BotOrder, BotOrderStatus, BotSource, BotStats, BotStatus, ClientOrderId,
    CredentialsRecord, EquitySnapshot, Fill, FillRecord, Interval, Liquidity, RiskSettings, Side, StrategyTemplate,
    Symbol, TemplateId, TrendDirection, UserId,
};
use gridbot_core::StoreError;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Parses an exact decimal from column `what`.
pub(crate) fn dec(s: &str, what: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str_exact(s.trim()).map_err(|e| StoreError::Corrupt(format!("{what}: {s:?} is not a decimal: {e}")))
}

/// Parses an optional exact decimal.
pub(crate) fn opt_dec(s: Option<&str>, what: &str) -> Result<Option<Decimal>, StoreError> {
    s.map(|v| dec(v, what)).transpose()
}

/// Parses a JSON document from column `what`.
pub(crate) fn json<T: DeserializeOwned>(s: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Serialises a value to JSON text.
pub(crate) fn to_json<T: Serialize>(v: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("{what} cannot be serialised: {e}")))
}

/// A `u32`/`u64` count as a column integer (saturating).
pub(crate) fn int<T: TryInto<i64>>(v: T) -> i64 {
    v.try_into().unwrap_or(i64::MAX)
}

/// A column integer as `u32`, refusing what does not fit.
pub(crate) fn u32_col(v: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what}: {v} is out of range")))
}

/// A non-negative column integer as `u64`.
pub(crate) fn u64_col(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what}: {v} is negative")))
}

fn corrupt<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

/// A bot status by its stored name.
pub(crate) fn bot_status(s: &str) -> Result<BotStatus, StoreError> {
    BotStatus::from_str(s).map_err(corrupt("bots.status"))
}

/// An order side by its stored name.
pub(crate) fn side(s: &str, what: &str) -> Result<Side, StoreError> {
    match s {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        _ => Err(StoreError::Corrupt(format!("{what}: unknown side {s:?}"))),
    }
}

fn order_status(s: &str) -> Result<BotOrderStatus, StoreError> {
    [
        BotOrderStatus::Intended,
        BotOrderStatus::Open,
        BotOrderStatus::Filled,
        BotOrderStatus::Canceled,
        BotOrderStatus::Rejected,
    ]
    .into_iter()
    .find(|st| st.as_str() == s)
    .ok_or_else(|| StoreError::Corrupt(format!("bot_orders.status: unknown status {s:?}")))
}

/// `maker` or `taker`.
pub(crate) fn liquidity_str(l: Liquidity) -> &'static str {
    match l {
        Liquidity::Maker => "maker",
        Liquidity::Taker => "taker",
    }
}

fn liquidity(s: &str) -> Result<Liquidity, StoreError> {
    match s {
        "maker" => Ok(Liquidity::Maker),
        "taker" => Ok(Liquidity::Taker),
        _ => Err(StoreError::Corrupt(format!("fills.liquidity: unknown value {s:?}"))),
    }
}

/// `long` or `short`.
pub(crate) fn direction_str(d: TrendDirection) -> &'static str {
    match d {
        TrendDirection::Long => "long",
        TrendDirection::Short => "short",
    }
}

fn direction(s: &str) -> Result<TrendDirection, StoreError> {
    match s {
        "long" => Ok(TrendDirection::Long),
        "short" => Ok(TrendDirection::Short),
        _ => Err(StoreError::Corrupt(format!(
            "strategy_templates.direction: unknown value {s:?}"
        ))),
    }
}

/// The stored `(source, template_id)` of a bot source.
pub(crate) fn source_cols(s: BotSource) -> (&'static str, Option<i64>) {
    match s {
        BotSource::Manual => ("manual", None),
        BotSource::Template(id) => ("template", Some(id.0)),
        BotSource::Recommendation => ("recommendation", None),
    }
}

fn source(s: &str, template_id: Option<i64>) -> Result<BotSource, StoreError> {
    match (s, template_id) {
        ("manual", _) => Ok(BotSource::Manual),
        ("recommendation", _) => Ok(BotSource::Recommendation),
        ("template", Some(id)) => Ok(BotSource::Template(TemplateId(id))),
        _ => Err(StoreError::Corrupt(format!(
            "bots.source: {s:?} with template id {template_id:?}"
        ))),
    }
}

/// A bot's columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct BotRow {
    id: i64,
    user_id: i64,
    name: String,
    status: String,
    config: String,
    allocation: String,
    source: String,
    template_id: Option<i64>,
    stats: String,
    error_message: Option<String>,
    engine_state: Option<String>,
    fill_cursor: Option<String>,
    created_at: i64,
    updated_at: i64,
    started_at: Option<i64>,
    stopped_at: Option<i64>,
}

impl BotRow {
    /// The bot these columns hold.
    pub(crate) fn into_bot(self) -> Result<Bot, StoreError> {
        let kind: BotKind = json(&self.config, "bots.config")?;
        let allocation = dec(&self.allocation, "bots.allocation")?;
        let mut bot = Bot::new(
            BotId(self.id),
            UserId(self.user_id),
            self.name,
            kind,
            allocation,
            source(&self.source, self.template_id)?,
            self.created_at,
        );
        bot.status = bot_status(&self.status)?;
        bot.stats = json::<BotStats>(&self.stats, "bots.stats")?;
        bot.error_message = self.error_message;
        bot.engine_state = self.engine_state.map(|s| json(&s, "bots.engine_state")).transpose()?;
        bot.fill_cursor = self.fill_cursor;
        bot.updated_at = self.updated_at;
        bot.started_at = self.started_at;
        bot.stopped_at = self.stopped_at;
        Ok(bot)
    }
}

/// A bot's columns plus the counts of the summary query.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct BotOverviewRow {
    #[sqlx(flatten)]
    pub bot: BotRow,
    pub fill_count: i64,
    pub open_orders: i64,
}

/// An order's columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OrderRow {
    client_id: String,
    bot_id: i64,
    exchange_order_id: Option<String>,
    cell: Option<i64>,
    side: String,
    price: Option<String>,
    qty: String,
    status: String,
    created_at: i64,
    updated_at: i64,
}

impl OrderRow {
    /// The order these columns hold.
    pub(crate) fn into_order(self) -> Result<BotOrder, StoreError> {
        let cell = self.cell.map(|c| u32_col(c, "bot_orders.cell")).transpose()?;
        let mut o = BotOrder::new(
            ClientOrderId::new(self.client_id),
            BotId(self.bot_id),
            cell,
            side(&self.side, "bot_orders.side")?,
            opt_dec(self.price.as_deref(), "bot_orders.price")?,
            dec(&self.qty, "bot_orders.qty")?,
            order_status(&self.status)?,
            self.created_at,
        );
        o.exchange_order_id = self.exchange_order_id;
        o.updated_at = self.updated_at;
        Ok(o)
    }
}

/// A fill's columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct FillRow {
    bot_id: i64,
    fill_id: String,
    order_id: String,
    client_id: String,
    symbol: String,
    side: String,
    price: String,
    qty: String,
    fee: String,
    liquidity: String,
    realized_pnl: String,
    is_liquidation: i64,
    ts: i64,
}

impl FillRow {
    /// The fill these columns hold.
    pub(crate) fn into_fill(self) -> Result<FillRecord, StoreError> {
        let mut fill = Fill::new(
            self.fill_id,
            self.order_id,
            ClientOrderId::new(self.client_id),
            Symbol::new(&self.symbol).map_err(corrupt("fills.symbol"))?,
            side(&self.side, "fills.side")?,
            dec(&self.price, "fills.price")?,
            dec(&self.qty, "fills.qty")?,
            dec(&self.fee, "fills.fee")?,
            liquidity(&self.liquidity)?,
            self.ts,
        );
        fill.realized_pnl = dec(&self.realized_pnl, "fills.realized_pnl")?;
        fill.is_liquidation = self.is_liquidation != 0;
        Ok(FillRecord {
            bot_id: BotId(self.bot_id),
            fill,
        })
    }
}

/// An equity snapshot's columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EquityRow {
    bot_id: i64,
    ts: i64,
    equity: String,
    pnl: String,
}

impl EquityRow {
    /// The snapshot these columns hold.
    pub(crate) fn into_snapshot(self) -> Result<EquitySnapshot, StoreError> {
        Ok(EquitySnapshot {
            bot_id: BotId(self.bot_id),
            ts: self.ts,
            equity: dec(&self.equity, "equity_snapshots.equity")?,
            pnl: dec(&self.pnl, "equity_snapshots.pnl")?,
        })
    }
}

/// A template's columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TemplateRow {
    id: i64,
    name: String,
    symbol: String,
    description: String,
    strategy_type: String,
    direction: String,
    leverage: i64,
    stop_loss_percent: String,
    take_profit_percent: String,
    min_investment: String,
    max_investment: String,
    is_active: i64,
    is_featured: i64,
    candle_interval: String,
    fast_period: i64,
    slow_period: i64,
}

impl TemplateRow {
    /// The template these columns hold.
    pub(crate) fn into_template(self) -> Result<StrategyTemplate, StoreError> {
        let mut t = StrategyTemplate::ema_crossover(
            self.name,
            Symbol::new(&self.symbol).map_err(corrupt("strategy_templates.symbol"))?,
            self.description,
            direction(&self.direction)?,
            u32_col(self.leverage, "strategy_templates.leverage")?,
            dec(&self.stop_loss_percent, "strategy_templates.stop_loss_percent")?,
            dec(&self.take_profit_percent, "strategy_templates.take_profit_percent")?,
            dec(&self.min_investment, "strategy_templates.min_investment")?,
            dec(&self.max_investment, "strategy_templates.max_investment")?,
            Interval::from_str(&self.candle_interval).map_err(corrupt("strategy_templates.candle_interval"))?,
            u32_col(self.fast_period, "strategy_templates.fast_period")?,
            u32_col(self.slow_period, "strategy_templates.slow_period")?,
        );
        t.id = TemplateId(self.id);
        t.strategy_type = self.strategy_type;
        t.is_active = self.is_active != 0;
        t.is_featured = self.is_featured != 0;
        Ok(t)
    }
}

/// Credentials columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CredentialsRow {
    user_id: i64,
    exchange: String,
    ciphertext: Vec<u8>,
    nonce: Vec<u8>,
    demo: i64,
    updated_at: i64,
}

impl CredentialsRow {
    /// The record these columns hold.
    pub(crate) fn into_record(self) -> CredentialsRecord {
        CredentialsRecord::new(
            UserId(self.user_id),
            self.exchange,
            self.ciphertext,
            self.nonce,
            self.demo != 0,
            self.updated_at,
        )
    }
}

/// Risk settings columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RiskRow {
    user_id: i64,
    daily_loss_limit: Option<String>,
    max_leverage: i64,
    max_open_positions: i64,
    close_positions_on_pause: i64,
}

impl RiskRow {
    /// The settings these columns hold.
    pub(crate) fn into_settings(self) -> Result<RiskSettings, StoreError> {
        let mut r = RiskSettings::default_for(UserId(self.user_id));
        r.daily_loss_limit = opt_dec(self.daily_loss_limit.as_deref(), "risk_settings.daily_loss_limit")?;
        r.max_leverage = u32_col(self.max_leverage, "risk_settings.max_leverage")?;
        r.max_open_positions = u32_col(self.max_open_positions, "risk_settings.max_open_positions")?;
        r.close_positions_on_pause = self.close_positions_on_pause != 0;
        Ok(r)
    }
}

/// Audit event columns.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EventRow {
    id: i64,
    user_id: Option<i64>,
    bot_id: Option<i64>,
    kind: String,
    message: String,
    data: String,
    ts: i64,
}

impl EventRow {
    /// The event these columns hold.
    pub(crate) fn into_event(self) -> Result<AuditEvent, StoreError> {
        let mut e = AuditEvent::new(
            self.user_id.map(UserId),
            self.bot_id.map(BotId),
            self.kind,
            self.message,
            self.ts,
        );
        e.id = self.id;
        e.data = json(&self.data, "audit_events.data")?;
        Ok(e)
    }
}
