//! A strategy template: the owner's `TemplateResponse` plus gridbot's EMA
//! settings and, when asked, whether a start from it would pass now.

use serde::Serialize;
use utoipa::ToSchema;

use gridbot_core::model::{StrategyTemplate, TrendDirection};

use super::num2;
use crate::i18n::{self, Lang};

/// Whether a start from the template at its minimum would pass now.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct StartCheck {
    /// True when the start would pass.
    pub allowed: bool,
    /// The refusal's code (`bot_limit_reached`, `symbol_busy`, ...).
    pub code: Option<String>,
    /// The refusal, in the request's language.
    pub message: Option<String>,
}

/// A strategy template.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[non_exhaustive]
pub struct TemplateView {
    /// Id.
    pub id: i64,
    /// Display name, in the request's language.
    pub name: String,
    /// The contract.
    pub symbol: String,
    /// What it does, in the request's language.
    pub description: Option<String>,
    /// `ema_crossover`.
    pub strategy_type: String,
    /// `long` or `short`.
    pub direction: &'static str,
    /// Leverage.
    pub leverage: u32,
    /// Stop-loss, percent from entry.
    pub stop_loss_percent: f64,
    /// Take-profit, percent from entry.
    pub take_profit_percent: f64,
    /// Smallest amount, USDT.
    pub min_investment: f64,
    /// Largest amount, USDT.
    pub max_investment: f64,
    /// Offered to users.
    pub is_active: bool,
    /// Shown first.
    pub is_featured: bool,
    /// EMA candle interval (`15m`).
    pub interval: &'static str,
    /// Fast EMA period.
    pub fast_period: u32,
    /// Slow EMA period.
    pub slow_period: u32,
    /// Smallest amount, USDT, exact.
    pub min_investment_exact: String,
    /// Whether a start at the minimum would pass now (listing only).
    pub start_check: Option<StartCheck>,
}

impl TemplateView {
    /// The view of `t` in `lang`.
    pub fn new(t: &StrategyTemplate, lang: Lang) -> Self {
        let description = i18n::template_description(&t.description, lang);
        TemplateView {
            id: t.id.0,
            name: i18n::name(&t.name, lang),
            symbol: t.symbol.to_string(),
            description: (!description.is_empty()).then_some(description),
            strategy_type: t.strategy_type.clone(),
            direction: match t.direction {
                TrendDirection::Long => "long",
                TrendDirection::Short => "short",
            },
            leverage: t.leverage,
            stop_loss_percent: num2(t.stop_loss_percent),
            take_profit_percent: num2(t.take_profit_percent),
            min_investment: num2(t.min_investment),
            max_investment: num2(t.max_investment),
            is_active: t.is_active,
            is_featured: t.is_featured,
            interval: t.interval.as_str(),
            fast_period: t.fast_period,
            slow_period: t.slow_period,
            min_investment_exact: t.min_investment.normalize().to_string(),
            start_check: None,
        }
    }
}
