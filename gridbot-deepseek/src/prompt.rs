//! The prompt: the market analysis and the backtest advisor's best
//! candidates, the bounds, and the exact JSON shape expected back.
//!
//! The model is asked for grid parameters only. It is told that every setup
//! is backtested by the caller, so it has no reason to invent returns, and
//! any extra key makes the answer invalid ([`crate::response`]).

use gridbot_core::advisor::ProposalBounds;
use gridbot_core::model::Instrument;
use gridbot_core::ports::{MarketAnalysis, Recommendation};
use rust_decimal::Decimal;
use serde_json::json;

use crate::client::ChatMessage;

/// The system and user messages for one request.
pub fn build(
    analysis: &MarketAnalysis,
    candidates: &[Recommendation],
    bounds: &ProposalBounds,
    instrument: &Instrument,
) -> Vec<ChatMessage> {
    let price = analysis.current_price;
    let d = bounds.max_distance_pct / Decimal::ONE_HUNDRED;
    let floor = instrument.round_price(price * (Decimal::ONE - d), gridbot_core::model::Rounding::Up);
    let ceiling = instrument.round_price(price * (Decimal::ONE + d), gridbot_core::model::Rounding::Down);
    let max_leverage = bounds.max_leverage.min(instrument.max_leverage);
    let system = format!(
        "You design grid-trading bots for USDT-M perpetual futures. Answer with one JSON object and nothing else, \
         shaped exactly like {{\"recommendations\":[{{\"risk_level\":\"conservative\",\"mode\":\"neutral\",\
         \"spacing\":\"geometric\",\"lower\":\"123.4\",\"upper\":\"145.6\",\"grids\":40,\"leverage\":2,\
         \"rationale\":\"one sentence\"}}]}}. Give exactly three recommendations, one per risk_level: conservative, \
         moderate, aggressive. mode is long, short or neutral; spacing is arithmetic or geometric. Rules: grids is \
         an integer from {} to {}; leverage is an integer from {} to {}; lower is below the current price {price} \
         and at or above {floor}; upper is above the current price and at or below {ceiling}; prices are strings. \
         Use no other keys and state no returns: the caller backtests every setup on the last 7 days and shows only \
         backtested numbers.",
        bounds.min_grids, bounds.max_grids, bounds.min_leverage, max_leverage
    );
    let market = json!({
        "symbol": analysis.symbol,
        "current_price": analysis.current_price,
        "high_24h": analysis.high_24h,
        "low_24h": analysis.low_24h,
        "change_24h_pct": analysis.change_24h_pct,
        "trend": analysis.trend,
        "volatility_24h_pct": analysis.volatility_24h_pct,
        "volatility_annual_pct": analysis.volatility_annual_pct,
        "atr_pct": analysis.atr_pct,
        "support": analysis.support,
        "resistance": analysis.resistance,
        "tick_size": instrument.tick_size,
        "maker_fee": instrument.maker_fee,
    });
    let candidates: Vec<_> = candidates
        .iter()
        .map(|c| {
            json!({
                "risk_level": c.risk_level,
                "mode": c.mode,
                "spacing": c.spacing,
                "lower": c.lower,
                "upper": c.upper,
                "grids": c.grids,
                "leverage": c.leverage,
                "expected_roi_7d_pct": c.expected_roi_7d_pct,
                "validation_roi_pct": c.validation_roi_pct,
                "backtest_roi_pct": c.backtest_roi_pct,
                "backtest_days": c.backtest_days,
                "backtest_apr_pct": c.apr_pct,
                "backtest_max_drawdown_pct": c.max_drawdown_pct,
                "backtest_round_trips": c.round_trips,
                "liquidation_price": c.liquidation_price,
            })
        })
        .collect();
    let user = json!({
        "task": "Propose the three grid setups as JSON. Start from the best backtested candidates below; keep one \
                 unchanged if you cannot improve on it.",
        "market": market,
        "best_backtested_candidates": candidates,
    });
    vec![ChatMessage::system(system), ChatMessage::user(user.to_string())]
}
