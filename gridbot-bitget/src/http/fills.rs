//! Fill history: Bitget pages `fills` newest first (`idLessThan`); the port
//! wants fills after a cursor, oldest first.
//!
//! The cursor is the last fill id delivered (Bitget trade ids are numeric and
//! increase). A call reads pages backwards until it reaches the cursor, then
//! returns the oldest [`MAX_FILLS_PER_PAGE`] fills after it (`has_more` set
//! when there are more). Fills whose client id Bitget does not include are
//! resolved through `order/detail` by order id (remembered afterwards).

use gridbot_core::model::{ClientOrderId, Fill, FillCursor, Liquidity, Symbol, TimestampMs};
use gridbot_core::ports::FillPage;
use gridbot_core::ExchangeError;

use crate::common::enums::FillTradeSide;
use crate::http::exchange::BitgetExchange;
use crate::http::models::{fill_side, FillRecord, FillsData};

/// Fills per Bitget page.
const FILLS_PER_REQUEST: usize = 100;
/// Most pages read in one call (10 000 fills).
const MAX_FILL_REQUESTS: usize = 100;
/// Most fills returned in one [`FillPage`].
pub const MAX_FILLS_PER_PAGE: usize = 500;

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
        let mut out: Vec<FillRecord> = Vec::new();
        let mut id_less_than: Option<String> = None;
        let mut truncated = true;
        for _ in 0..MAX_FILL_REQUESTS {
            let mut params = vec![
                ("symbol", symbol.to_string()),
                ("productType", self.pt().to_owned()),
                ("limit", FILLS_PER_REQUEST.to_string()),
            ];
            if let Some(id) = &id_less_than {
                params.push(("idLessThan", id.clone()));
            }
            if let (None, Some(ts)) = (after, since) {
                params.push(("startTime", ts.to_string()));
            }
            let page: FillsData = self.client().get("/api/v2/mix/order/fills", &params, true).await?;
            let list = page.fill_list.unwrap_or_default();
            let n = list.len();
            let mut reached = false;
            for rec in list {
                if let Some(c) = after {
                    if !fill_id_after(&rec.trade_id, c) {
                        reached = true;
                        break;
                    }
                }
                if let Some(ts) = since {
                    if after.is_none() && rec.c_time < ts {
                        reached = true;
                        break;
                    }
                }
                out.push(rec);
            }
            let last_page = n < FILLS_PER_REQUEST
                || page.end_id.is_empty()
                || id_less_than.as_deref() == Some(page.end_id.as_str());
            if reached || last_page {
                truncated = false;
                break;
            }
            id_less_than = Some(page.end_id);
        }
        out.reverse();
        let mut seen = std::collections::HashSet::new();
        out.retain(|r| seen.insert(r.trade_id.clone()));
        if truncated {
            tracing::warn!(%symbol, "more than {} fills since the cursor; returning the newest ones read", FILLS_PER_REQUEST * MAX_FILL_REQUESTS);
        }
        Ok((out, truncated))
    }

    /// A fill record in the core model, its client id resolved.
    pub(crate) async fn to_fill(&self, symbol: &Symbol, r: &FillRecord) -> Result<Fill, ExchangeError> {
        let client_id = if !r.client_oid.is_empty() {
            ClientOrderId::new(r.client_oid.clone())
        } else if let Some(c) = self.known_client_id(&r.order_id) {
            c
        } else {
            match self.order_detail(symbol, ("orderId", &r.order_id)).await? {
                Some(o) => o.client_id,
                None => {
                    tracing::warn!(order_id = %r.order_id, trade_id = %r.trade_id, "fill of an order Bitget no longer knows; no client id");
                    ClientOrderId::new("")
                }
            }
        };
        fill_from_record(symbol, r, client_id)
    }
}

/// A fill from its record and resolved client id. Unknown `tradeSide`
/// values are logged and kept as ordinary fills.
pub fn fill_from_record(symbol: &Symbol, r: &FillRecord, client_id: ClientOrderId) -> Result<Fill, ExchangeError> {
    let side = fill_side(r)?;
    let trade_side = FillTradeSide::parse(&r.trade_side);
    if let FillTradeSide::Unknown(v) = &trade_side {
        if !v.is_empty() {
            tracing::warn!(trade_id = %r.trade_id, trade_side = %v, "unknown Bitget tradeSide; treating the fill as ordinary");
        }
    }
    let liquidity = if r.trade_scope.eq_ignore_ascii_case("maker") {
        Liquidity::Maker
    } else {
        Liquidity::Taker
    };
    let mut fill = Fill::new(
        r.trade_id.clone(),
        r.order_id.clone(),
        client_id,
        symbol.clone(),
        side,
        r.price,
        r.base_volume,
        r.fee_paid(),
        liquidity,
        r.c_time,
    );
    fill.realized_pnl = r.profit;
    fill.is_liquidation = trade_side.is_liquidation();
    Ok(fill)
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
