//! Order placement and cancellation, with the never-twice rule.
//!
//! Placement: orders are checked against the instrument (tick, lot, minimums)
//! and formatted at its precision, then sent in chunks of at most
//! [`MAX_BATCH`] (`batch-place-order`; a single order uses `place-order`).
//! A 429 is retried (nothing happened). After a timeout or a server error the
//! outcome is unknown: the client asks `order/detail` for each `clientOid`
//! of the chunk; orders found are returned as placed, orders certainly absent
//! are sent again, and an order whose existence cannot be established is
//! reported as [`ExchangeError::Timeout`] and **not** resent. A
//! duplicate-`clientOid` refusal is answered with the existing order
//! (idempotency contract of [`gridbot_core::ports::Exchange`]).

use gridbot_core::model::{ClientOrderId, Instrument, Order, OrderKind, OrderRequest, Symbol};
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;

use crate::common::enums::{force_str, order_type_str, side_str};
use crate::http::client::{now_ms, ApiFailure, Retry};
use crate::http::error::{from_api_code, is_duplicate_client_oid};
use crate::http::exchange::{BitgetExchange, MARGIN_MODE};
use crate::http::models::{
    BatchCancelBody, BatchPlaceBody, BatchResult, CancelBody, OrderAck, OrderItem, OrderRecord, OrderRef,
    PendingOrders, PlaceOrderBody,
};

/// Most orders in one batch request.
pub const MAX_BATCH: usize = 50;
/// Orders per page of `orders-pending`.
const PENDING_PAGE: usize = 100;
/// Most pages of open orders read (10 000 orders).
const MAX_PENDING_PAGES: usize = 100;

/// `value` written with exactly the decimals of `step` (`0.1` → 1 decimal).
pub fn format_at(value: Decimal, step: Decimal) -> String {
    let mut v = value;
    v.rescale(step.normalize().scale());
    v.to_string()
}

/// Checks `req` against `inst` and writes it as Bitget's order fields.
pub fn encode_order(inst: &Instrument, req: &OrderRequest) -> Result<OrderItem, ExchangeError> {
    if req.symbol != inst.symbol {
        return Err(ExchangeError::InvalidOrder(format!(
            "order {} is for {}, not {}",
            req.client_id, req.symbol, inst.symbol
        )));
    }
    let price = match req.kind {
        OrderKind::Limit => {
            let p = req
                .price
                .ok_or_else(|| ExchangeError::InvalidOrder(format!("limit order {} has no price", req.client_id)))?;
            inst.check_order(p, req.qty)?;
            Some(format_at(p, inst.tick_size))
        }
        OrderKind::Market => {
            if !inst.is_on_lot(req.qty) {
                return Err(ExchangeError::Precision(format!(
                    "quantity {} is not a multiple of the lot size {} for {}",
                    req.qty, inst.lot_size, inst.symbol
                )));
            }
            if req.qty < inst.min_qty || req.qty <= Decimal::ZERO {
                return Err(ExchangeError::BelowMinimum(format!(
                    "quantity {} is below the minimum {} for {}",
                    req.qty, inst.min_qty, inst.symbol
                )));
            }
            None
        }
    };
    let preset = |p: Option<Decimal>| {
        p.map(|v| {
            format_at(
                inst.round_price(v, gridbot_core::model::Rounding::Nearest),
                inst.tick_size,
            )
        })
    };
    Ok(OrderItem {
        size: format_at(req.qty, inst.lot_size),
        price,
        side: side_str(req.side),
        order_type: order_type_str(req.kind),
        force: match req.kind {
            OrderKind::Limit => Some(force_str(req.tif).ok_or_else(|| {
                ExchangeError::InvalidOrder(format!(
                    "time in force {:?} is not offered by Bitget; use gtc, post-only, ioc or fok",
                    req.tif
                ))
            })?),
            OrderKind::Market => None,
        },
        client_oid: req.client_id.as_str().to_owned(),
        reduce_only: if req.reduce_only { "YES" } else { "NO" },
        preset_stop_surplus_price: preset(req.preset_take_profit),
        preset_stop_loss_price: preset(req.preset_stop_loss),
    })
}

type OrderResult = Result<Order, ExchangeError>;

impl BitgetExchange {
    /// Places `orders` (one symbol), one result per order.
    pub(crate) async fn place_all(&self, orders: &[OrderRequest]) -> Result<Vec<OrderResult>, ExchangeError> {
        let Some(first) = orders.first() else {
            return Ok(Vec::new());
        };
        let symbol = first.symbol.clone();
        if let Some(other) = orders.iter().find(|o| o.symbol != symbol) {
            return Err(ExchangeError::InvalidOrder(format!(
                "one batch must be one symbol: {} and {}",
                symbol, other.symbol
            )));
        }
        let inst = gridbot_core::ports::Exchange::instrument(self, &symbol).await?;
        self.track(&symbol);
        let mut results: Vec<Option<OrderResult>> = vec![None; orders.len()];
        let mut to_send: Vec<(usize, OrderItem)> = Vec::with_capacity(orders.len());
        for (i, req) in orders.iter().enumerate() {
            match encode_order(&inst, req) {
                Ok(item) => to_send.push((i, item)),
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        let mut placed_any = false;
        let mut whole_call_error = None;
        for chunk in to_send.chunks(MAX_BATCH) {
            match self.place_chunk(&symbol, orders, chunk).await {
                Ok(chunk_results) => {
                    for (i, r) in chunk_results {
                        placed_any |= r.is_ok();
                        results[i] = Some(r);
                    }
                }
                Err(e) => {
                    for (i, _) in chunk {
                        results[*i] = Some(Err(e.clone()));
                    }
                    whole_call_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = whole_call_error {
            if !placed_any && !e.is_transient() && results.iter().all(|r| matches!(r, Some(Err(_)))) {
                return Err(e);
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(ExchangeError::Protocol("order was not sent".into()))))
            .collect())
    }

    /// Sends one chunk until every order is placed, refused, or of unknown outcome.
    async fn place_chunk(
        &self,
        symbol: &Symbol,
        orders: &[OrderRequest],
        chunk: &[(usize, OrderItem)],
    ) -> Result<Vec<(usize, OrderResult)>, ExchangeError> {
        let max_attempts = self.client().config().max_retries + 1;
        let mut pending: Vec<(usize, OrderItem)> = chunk.to_vec();
        let mut done: Vec<(usize, OrderResult)> = Vec::with_capacity(chunk.len());
        let mut attempt = 0;
        while !pending.is_empty() {
            attempt += 1;
            let failure = match self.send_place(symbol, &pending).await {
                Ok((acks, failures)) => {
                    self.settle_answer(symbol, orders, &pending, acks, failures, &mut done)
                        .await;
                    return Ok(done);
                }
                Err(f) => f,
            };
            let ambiguous = matches!(
                failure.error,
                ExchangeError::Timeout(_) | ExchangeError::Connectivity(_)
            );
            if !ambiguous {
                if done.is_empty() {
                    return Err(failure.error);
                }
                done.extend(pending.iter().map(|(i, _)| (*i, Err(failure.error.clone()))));
                return Ok(done);
            }
            tracing::warn!(error = %failure.error, orders = pending.len(), "placement outcome unknown; asking Bitget for the clientOids");
            let mut resend = Vec::new();
            for (i, item) in pending {
                let cid = ClientOrderId::new(item.client_oid.clone());
                match self.order_by_client_id(symbol, &cid).await {
                    Ok(Some(order)) => done.push((i, Ok(order))),
                    Ok(None) if attempt < max_attempts => resend.push((i, item)),
                    Ok(None) => done.push((i, Err(failure.error.clone()))),
                    Err(e) => done.push((
                        i,
                        Err(ExchangeError::Timeout(format!(
                            "order {cid} may or may not exist ({}; lookup failed: {e}); ask for it before sending again",
                            failure.error
                        ))),
                    )),
                }
            }
            pending = resend;
        }
        Ok(done)
    }

    async fn send_place(
        &self,
        symbol: &Symbol,
        pending: &[(usize, OrderItem)],
    ) -> Result<(Vec<OrderAck>, Vec<crate::http::models::BatchFailure>), ApiFailure> {
        if let [(_, item)] = pending {
            let body = PlaceOrderBody {
                symbol: symbol.to_string(),
                product_type: self.pt(),
                margin_mode: MARGIN_MODE,
                margin_coin: self.coin(),
                order: item.clone(),
            };
            return match self
                .client()
                .post::<OrderAck, _>("/api/v2/mix/order/place-order", &body, Retry::RefusedOnly)
                .await
            {
                Ok(ack) => Ok((vec![ack], Vec::new())),
                // A refusal of a single order is that order's result, not the call's.
                Err(f) if f.code.is_some() => Ok((
                    Vec::new(),
                    vec![crate::http::models::BatchFailure {
                        order_id: String::new(),
                        client_oid: item.client_oid.clone(),
                        error_msg: failure_message(&f),
                        error_code: f.code.clone().unwrap_or_default(),
                    }],
                )),
                Err(f) => Err(f),
            };
        }
        let items: Vec<OrderItem> = pending.iter().map(|(_, it)| it.clone()).collect();
        let body = BatchPlaceBody {
            symbol: symbol.as_str(),
            product_type: self.pt(),
            margin_coin: self.coin(),
            margin_mode: MARGIN_MODE,
            order_list: &items,
        };
        let r: BatchResult = self
            .client()
            .post("/api/v2/mix/order/batch-place-order", &body, Retry::RefusedOnly)
            .await?;
        Ok((r.success_list.unwrap_or_default(), r.failure_list.unwrap_or_default()))
    }

    async fn settle_answer(
        &self,
        symbol: &Symbol,
        orders: &[OrderRequest],
        pending: &[(usize, OrderItem)],
        acks: Vec<OrderAck>,
        failures: Vec<crate::http::models::BatchFailure>,
        done: &mut Vec<(usize, OrderResult)>,
    ) {
        let now = now_ms();
        for (i, item) in pending {
            let Some(req) = orders.get(*i) else { continue };
            if let Some(ack) = acks.iter().find(|a| a.client_oid == item.client_oid) {
                self.remember_order_id(&ack.order_id, &req.client_id);
                done.push((*i, Ok(Order::accepted(ack.order_id.clone(), req, now))));
                continue;
            }
            let result = match failures.iter().find(|f| f.client_oid == item.client_oid) {
                Some(f) if is_duplicate_client_oid(&f.error_code, &f.error_msg) => {
                    match self.order_by_client_id(symbol, &req.client_id).await {
                        Ok(Some(order)) => Ok(order),
                        Ok(None) => Err(from_api_code(&f.error_code, &f.error_msg)),
                        Err(e) => Err(e),
                    }
                }
                Some(f) => Err(from_api_code(&f.error_code, &f.error_msg)),
                None => Err(ExchangeError::Protocol(format!(
                    "Bitget's answer did not mention order {}",
                    item.client_oid
                ))),
            };
            done.push((*i, result));
        }
    }

    /// One order by client id; `None` when Bitget does not know it.
    pub(crate) async fn order_by_client_id(
        &self,
        symbol: &Symbol,
        client_id: &ClientOrderId,
    ) -> Result<Option<Order>, ExchangeError> {
        self.order_detail(symbol, ("clientOid", client_id.as_str())).await
    }

    /// One order by exchange id or client id.
    pub(crate) async fn order_detail(
        &self,
        symbol: &Symbol,
        key: (&str, &str),
    ) -> Result<Option<Order>, ExchangeError> {
        let r: Result<OrderRecord, ExchangeError> = self
            .client()
            .get(
                "/api/v2/mix/order/detail",
                &[
                    ("symbol", symbol.to_string()),
                    ("productType", self.pt().to_owned()),
                    (key.0, key.1.to_owned()),
                ],
                true,
            )
            .await;
        match r {
            Ok(rec) => {
                let order = rec.to_order()?;
                self.remember_order_id(&order.id, &order.client_id);
                Ok(Some(order))
            }
            Err(ExchangeError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Resting orders of `symbol`, paging with `idLessThan`.
    pub(crate) async fn pending_orders(&self, symbol: &Symbol) -> Result<Vec<Order>, ExchangeError> {
        let mut out = Vec::new();
        let mut id_less_than: Option<String> = None;
        for _ in 0..MAX_PENDING_PAGES {
            let mut params = vec![
                ("symbol", symbol.to_string()),
                ("productType", self.pt().to_owned()),
                ("limit", PENDING_PAGE.to_string()),
            ];
            if let Some(id) = &id_less_than {
                params.push(("idLessThan", id.clone()));
            }
            let page: PendingOrders = self
                .client()
                .get("/api/v2/mix/order/orders-pending", &params, true)
                .await?;
            let list = page.entrusted_list.unwrap_or_default();
            let n = list.len();
            for rec in &list {
                let o = rec.to_order()?;
                self.remember_order_id(&o.id, &o.client_id);
                out.push(o);
            }
            if n < PENDING_PAGE || page.end_id.is_empty() || id_less_than.as_deref() == Some(page.end_id.as_str()) {
                break;
            }
            id_less_than = Some(page.end_id);
        }
        Ok(out)
    }

    /// Cancels by client id, chunks of [`MAX_BATCH`].
    pub(crate) async fn cancel_many(
        &self,
        symbol: &Symbol,
        ids: &[ClientOrderId],
    ) -> Result<Vec<Result<(), ExchangeError>>, ExchangeError> {
        let mut out = Vec::with_capacity(ids.len());
        if let [id] = ids {
            let body = CancelBody {
                symbol: symbol.as_str(),
                product_type: self.pt(),
                margin_coin: self.coin(),
                order: OrderRef {
                    order_id: None,
                    client_oid: Some(id.as_str().to_owned()),
                },
            };
            return match self
                .client()
                .post::<OrderAck, _>("/api/v2/mix/order/cancel-order", &body, Retry::Safe)
                .await
            {
                Ok(_) => Ok(vec![Ok(())]),
                Err(f) if f.code.is_some() => Ok(vec![Err(f.error)]),
                Err(f) => Err(f.error),
            };
        }
        for chunk in ids.chunks(MAX_BATCH) {
            let list = chunk
                .iter()
                .map(|id| OrderRef {
                    order_id: None,
                    client_oid: Some(id.as_str().to_owned()),
                })
                .collect();
            let body = BatchCancelBody {
                symbol: symbol.as_str(),
                product_type: self.pt(),
                margin_coin: self.coin(),
                order_id_list: Some(list),
            };
            let r: Result<BatchResult, ApiFailure> = self
                .client()
                .post("/api/v2/mix/order/batch-cancel-orders", &body, Retry::Safe)
                .await;
            let r = match r {
                Ok(r) => r,
                Err(f) if out.is_empty() => return Err(f.error),
                Err(f) => {
                    out.extend(chunk.iter().map(|_| Err(f.error.clone())));
                    continue;
                }
            };
            let acks = r.success_list.unwrap_or_default();
            let fails = r.failure_list.unwrap_or_default();
            for id in chunk {
                if acks.iter().any(|a| a.client_oid == id.as_str()) {
                    out.push(Ok(()));
                } else if let Some(f) = fails.iter().find(|f| f.client_oid == id.as_str()) {
                    out.push(Err(from_api_code(&f.error_code, &f.error_msg)));
                } else {
                    out.push(Err(ExchangeError::NotFound(format!(
                        "order {id} was not cancelled: Bitget did not mention it"
                    ))));
                }
            }
        }
        Ok(out)
    }

    /// Cancels every order of `symbol`.
    pub(crate) async fn cancel_everything(&self, symbol: &Symbol) -> Result<usize, ExchangeError> {
        let body = BatchCancelBody {
            symbol: symbol.as_str(),
            product_type: self.pt(),
            margin_coin: self.coin(),
            order_id_list: None,
        };
        match self
            .client()
            .post::<BatchResult, _>("/api/v2/mix/order/batch-cancel-orders", &body, Retry::Safe)
            .await
        {
            Ok(r) => Ok(r.success_list.map(|l| l.len()).unwrap_or(0)),
            Err(f) if matches!(f.error, ExchangeError::NotFound(_)) => Ok(0),
            Err(f) => Err(f.error),
        }
    }
}

fn failure_message(f: &ApiFailure) -> String {
    match &f.error {
        ExchangeError::Rejected { message, .. } => message.clone(),
        e => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridbot_core::model::Side;
    use rust_decimal_macros::dec;

    #[test]
    fn prices_and_sizes_are_written_at_the_instruments_precision() {
        assert_eq!(format_at(dec!(30000), dec!(0.1)), "30000.0");
        assert_eq!(format_at(dec!(0.0100), dec!(0.0001)), "0.0100");
        assert_eq!(format_at(dec!(2), dec!(1)), "2");
        let inst = Instrument::btcusdt();
        let req = OrderRequest::limit(
            ClientOrderId::new("g1-2-3"),
            inst.symbol.clone(),
            Side::Buy,
            dec!(30000),
            dec!(0.001),
        );
        let item = encode_order(&inst, &req).unwrap();
        assert_eq!(item.price.as_deref(), Some("30000.0"));
        assert_eq!(item.size, "0.0010");
        assert_eq!(item.force, Some("gtc"));
        assert_eq!(item.reduce_only, "NO");
    }

    #[test]
    fn off_tick_or_too_small_orders_are_refused_before_sending() {
        let inst = Instrument::btcusdt();
        let s = inst.symbol.clone();
        let off = OrderRequest::limit(
            ClientOrderId::new("a"),
            s.clone(),
            Side::Buy,
            dec!(30000.05),
            dec!(0.001),
        );
        assert!(matches!(encode_order(&inst, &off), Err(ExchangeError::Precision(_))));
        let small = OrderRequest::limit(ClientOrderId::new("a"), s.clone(), Side::Buy, dec!(30000), dec!(0.0001));
        assert!(matches!(
            encode_order(&inst, &small),
            Err(ExchangeError::BelowMinimum(_))
        ));
        let mkt = OrderRequest::market(ClientOrderId::new("a"), s, Side::Sell, dec!(0.00015));
        assert!(matches!(encode_order(&inst, &mkt), Err(ExchangeError::Precision(_))));
    }
}
