//! Prices and candle history through the account's API (the classic v2
//! public endpoints when there are no keys).

use gridbot_core::model::{Candle, Interval, Symbol, TimestampMs};
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;

use super::{BitgetExchange, Rest};
use crate::http::candles::{fetch_history, CandleHistory, CandleLimits};
use crate::http::client::now_ms;

impl BitgetExchange {
    /// The last traded price of `symbol`.
    pub async fn ticker(&self, symbol: &Symbol) -> Result<Decimal, ExchangeError> {
        let rest = self.public_rest().await?;
        crate::both!(rest, r => r.ticker(symbol).await)
    }

    /// Candles of `symbol` with open time in `[start, end)`, oldest first,
    /// complete and on the UTC grid, with the gaps Bitget could not fill
    /// (see [`crate::http::candles`]).
    pub async fn candle_history(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start: TimestampMs,
        end: TimestampMs,
    ) -> Result<CandleHistory, ExchangeError> {
        let rest = self.public_rest().await?;
        let limits = match rest {
            Rest::Classic(_) => CandleLimits::V2,
            Rest::Unified(_) => CandleLimits::V3,
        };
        fetch_history(interval, start, end, now_ms(), limits, |req| {
            let rest = rest.clone();
            let symbol = symbol.clone();
            async move { crate::both!(rest, r => r.candles(&symbol, &req).await) }
        })
        .await
    }

    /// Candles of `symbol` with open time in `[start, end)`, oldest first;
    /// fails with [`ExchangeError::NotFound`] naming the gaps when Bitget
    /// cannot provide every closed candle of the range.
    pub async fn candles(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start: TimestampMs,
        end: TimestampMs,
    ) -> Result<Vec<Candle>, ExchangeError> {
        let h = self.candle_history(symbol, interval, start, end).await?;
        match h.gap_report(interval) {
            Some(report) => Err(ExchangeError::NotFound(format!("{symbol}: {report}"))),
            None => Ok(h.candles),
        }
    }
}
