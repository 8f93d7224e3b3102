//! Fill history and fees in USDT.
//!
//! Bitget pages fills newest first (v2 `idLessThan`; v3 `cursor` inside
//! 30-day windows); the port wants the fills after a cursor, oldest first.
//! The cursor is the last fill id delivered (Bitget's fill ids are numeric
//! and increase). A call reads pages backwards until it reaches the cursor,
//! then returns the oldest [`MAX_FILLS_PER_PAGE`] fills after it
//! (`has_more` set when there are more). Fills whose client id Bitget does
//! not include are resolved through the order by its exchange id.
//!
//! Fees: a fee charged in USDT is taken as is; a fee charged in another coin
//! (BGB when the account pays fees with BGB) is converted at that coin's
//! last `{COIN}USDT` spot price (cached for [`FEE_PRICE_TTL`]). When Bitget
//! lists no price for the coin, the fill is refused with an error naming the
//! fill, the amount and the coin: a fee is never booked in the wrong unit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gridbot_core::model::{ClientOrderId, Fill, FillCursor, Liquidity, Symbol, TimestampMs};
use gridbot_core::ports::FillPage;
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;

use super::BitgetExchange;
use crate::common::enums::FillTradeSide;
use crate::http::records::{FeePart, FillRecord, OrderKey};

/// Most pages read in one call.
const MAX_FILL_REQUESTS: usize = 100;
/// Most fills returned in one [`FillPage`].
pub const MAX_FILLS_PER_PAGE: usize = 500;
/// How long a fee coin's price is reused.
pub const FEE_PRICE_TTL: Duration = Duration::from_secs(60);
/// Decimals a converted fee keeps.
const FEE_DECIMALS: u32 = 8;

/// Fee-coin prices, per coin, with the time they were read.
#[derive(Default)]
pub(crate) struct FeePrices(Mutex<HashMap<String, (Decimal, Instant)>>);

/// Orders two fill ids: numerically when both are numbers.
pub fn fill_id_after(id: &str, cursor: &str) -> bool {
    match (id.parse::<u128>(), cursor.parse::<u128>()) {
        (Ok(a), Ok(b)) => a > b,
        _ => (id.len(), id) > (cursor.len(), cursor),
    }
}

impl BitgetExchange {
    /// The port's `fills_since`.
    pub(crate) async fn fill_page(
        &self,
        symbol: &Symbol,
        cursor: Option<FillCursor>,
    ) -> Result<FillPage, ExchangeError> {
        let after = cursor.as_ref().map(|c| c.0.clone());
        let (mut records, truncated) = self.fill_records(symbol, after.as_deref(), None).await?;
        let has_more = truncated || records.len() > MAX_FILLS_PER_PAGE;
        records.truncate(MAX_FILLS_PER_PAGE);
        let mut fills = Vec::with_capacity(records.len());
        for r in &records {
            fills.push(self.to_fill(symbol, r).await?);
        }
        let next_cursor = fills.last().map(|f| FillCursor(f.id.clone())).or(cursor);
        Ok(FillPage::new(fills, next_cursor, has_more))
    }

    /// Fill records of `symbol` after the fill id `after` (or at/after
    /// `since` ms when there is no id), oldest first. The flag says the read
    /// stopped at the page limit before reaching the cursor.
    pub(crate) async fn fill_records(
        &self,
        symbol: &Symbol,
        after: Option<&str>,
        since: Option<TimestampMs>,
    ) -> Result<(Vec<FillRecord>, bool), ExchangeError> {
        let rest = self.rest().await?;
        let since = if after.is_none() { since } else { None };
        let mut out: Vec<FillRecord> = Vec::new();
        let mut token: Option<String> = None;
        let mut truncated = true;
        for _ in 0..MAX_FILL_REQUESTS {
            let (list, next) = crate::both!(&rest, r => r.fills_page(symbol, token.as_deref(), since).await)?;
            let mut reached = false;
            for rec in list {
                let old = match (after, since) {
                    (Some(c), _) => !fill_id_after(&rec.id, c),
                    (None, Some(ts)) => rec.ts < ts,
                    (None, None) => false,
                };
                if old {
                    reached = true;
                    break;
                }
                out.push(rec);
            }
            if reached || next.is_none() {
                truncated = false;
                break;
            }
            token = next;
        }
        out.reverse();
        let mut seen = std::collections::HashSet::new();
        out.retain(|r| seen.insert(r.id.clone()));
        out.sort_by(|a, b| {
            if fill_id_after(&a.id, &b.id) {
                std::cmp::Ordering::Greater
            } else if a.id == b.id {
                std::cmp::Ordering::Equal
            } else {
                std::cmp::Ordering::Less
            }
        });
        if truncated {
            tracing::warn!(%symbol, "more fills since the cursor than one call reads; returning the newest ones read");
        }
        Ok((out, truncated))
    }

    /// A fill record in the core model: client id resolved, fee in USDT.
    pub(crate) async fn to_fill(&self, symbol: &Symbol, r: &FillRecord) -> Result<Fill, ExchangeError> {
        let client_id = match &r.client_oid {
            Some(c) => ClientOrderId::new(c.clone()),
            None => match self.known_client_id(&r.order_id) {
                Some(c) => c,
                None => match self.order_detail(symbol, OrderKey::OrderId(&r.order_id)).await? {
                    Some(o) => o.client_id,
                    None => {
                        tracing::warn!(order_id = %r.order_id, fill_id = %r.id, "fill of an order Bitget no longer knows; no client id");
                        ClientOrderId::new("")
                    }
                },
            },
        };
        let fee = self.fee_in_usdt(&r.id, &r.fees).await?;
        Ok(fill_from_record(symbol, r, client_id, fee))
    }

    /// The fee parts of a fill, in USDT (module docs).
    pub(crate) async fn fee_in_usdt(&self, fill_id: &str, parts: &[FeePart]) -> Result<Decimal, ExchangeError> {
        let mut total = Decimal::ZERO;
        for p in parts {
            if p.coin.eq_ignore_ascii_case("USDT") || p.paid.is_zero() {
                total += p.paid;
                continue;
            }
            let price = self.fee_coin_price(&p.coin).await?.ok_or_else(|| {
                ExchangeError::Protocol(format!(
                    "fill {fill_id}: its fee of {} {} cannot be converted to USDT: Bitget lists no {}USDT price",
                    p.paid, p.coin, p.coin
                ))
            })?;
            total += (p.paid * price).round_dp(FEE_DECIMALS);
        }
        Ok(total)
    }

    async fn fee_coin_price(&self, coin: &str) -> Result<Option<Decimal>, ExchangeError> {
        let key = coin.to_ascii_uppercase();
        if let Ok(m) = self.inner.fee_prices.0.lock() {
            if let Some((p, at)) = m.get(&key) {
                if at.elapsed() < FEE_PRICE_TTL {
                    return Ok(Some(*p));
                }
            }
        }
        let pair = format!("{key}USDT");
        let rest = self.public_rest().await?;
        let price = crate::both!(rest, r => r.spot_price(&pair).await)?;
        if let (Some(p), Ok(mut m)) = (price, self.inner.fee_prices.0.lock()) {
            m.insert(key, (p, Instant::now()));
        }
        Ok(price)
    }
}

/// A fill from its record, resolved client id and fee in USDT. Unknown
/// `tradeSide` values are logged and kept as ordinary fills.
pub fn fill_from_record(symbol: &Symbol, r: &FillRecord, client_id: ClientOrderId, fee_usdt: Decimal) -> Fill {
    let trade_side = FillTradeSide::parse(&r.trade_side);
    if let FillTradeSide::Unknown(v) = &trade_side {
        if !v.is_empty() {
            tracing::warn!(fill_id = %r.id, trade_side = %v, "unknown Bitget tradeSide; treating the fill as ordinary");
        }
    }
    let liquidity = if r.maker { Liquidity::Maker } else { Liquidity::Taker };
    let mut fill = Fill::new(
        r.id.clone(),
        r.order_id.clone(),
        client_id,
        symbol.clone(),
        r.side,
        r.price,
        r.qty,
        fee_usdt,
        liquidity,
        r.ts,
    );
    fill.realized_pnl = r.realized_pnl;
    fill.is_liquidation = trade_side.is_liquidation();
    fill
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_ids_compare_numerically() {
        assert!(fill_id_after("1000", "999"));
        assert!(!fill_id_after("999", "1000"));
        assert!(!fill_id_after("1000", "1000"));
    }
}
