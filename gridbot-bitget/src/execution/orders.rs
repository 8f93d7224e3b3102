//! Order placement and cancellation on either API, with the never-twice rule.
//!
//! Placement: orders are checked against the instrument and the client id
//! rule, formatted at its precision ([`crate::http::records::encode_order`]),
//! then sent in groups: classic batches of up to 50; unified batches of up
//! to 20, except reduce-only orders and orders with preset TP/SL, which v3
//! batches do not support and which go one by one through `place-order`.
//! A 429 is retried (nothing happened). After a timeout or a server error
//! the outcome is unknown: the client asks for each `clientOid` of the
//! group; orders found are returned as placed, orders certainly absent are
//! sent again, and an order whose existence cannot be established is
//! reported as [`ExchangeError::Timeout`] and **not** resent. A duplicate
//! `clientOid` refusal is answered with the existing order (idempotency
//! contract of [`gridbot_core::ports::Exchange`]).
//!
//! Unified batches carry `marginMode: isolated` on each item (ccxt and
//! bitget-api do; Bitget's table omits it). If Bitget refuses it, the
//! refused items (never placed) are sent again one by one, and the client
//! places that account's orders one by one from then on.

use std::sync::atomic::Ordering;

use gridbot_core::model::{ClientOrderId, Order, OrderRequest, Symbol};
use gridbot_core::ExchangeError;

use super::{BitgetExchange, Rest};
use crate::common::client_oid::check_client_oid;
use crate::http::client::{now_ms, ApiFailure};
use crate::http::error::{from_api_code, is_duplicate_client_oid};
use crate::http::records::{encode_order, BatchAnswer, EncodedOrder, ItemFailure};
use crate::http::{v2, v3};

type OrderResult = Result<Order, ExchangeError>;
type Group = Vec<(usize, EncodedOrder)>;

/// True when a refusal names `marginMode` as a bad parameter.
fn margin_mode_refused(code: &str, msg: &str) -> bool {
    matches!(code, "40017" | "40019" | "40020" | "40034" | "400172" | "25200")
        && msg.to_ascii_lowercase().contains("marginmode")
}

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
        let inst = self.instrument_of(&symbol).await?;
        let rest = self.rest().await?;
        self.track(&symbol);
        let mut results: Vec<Option<OrderResult>> = vec![None; orders.len()];
        let mut to_send: Group = Vec::with_capacity(orders.len());
        for (i, req) in orders.iter().enumerate() {
            match encode_order(&inst, req) {
                Ok(item) => to_send.push((i, item)),
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        let mut placed_any = false;
        let mut whole_call_error = None;
        for group in self.groups(&rest, to_send) {
            match self.place_group(&rest, &symbol, orders, &group).await {
                Ok(group_results) => {
                    for (i, r) in group_results {
                        placed_any |= r.is_ok();
                        results[i] = Some(r);
                    }
                }
                Err(e) => {
                    for (i, _) in &group {
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

    /// Splits orders into the requests that will carry them.
    fn groups(&self, rest: &Rest, orders: Group) -> Vec<Group> {
        match rest {
            Rest::Classic(_) => orders.chunks(v2::MAX_BATCH).map(<[_]>::to_vec).collect(),
            Rest::Unified(_) => {
                let singles_only = self.inner.singles_only.load(Ordering::Relaxed);
                let (single, batch): (Group, Group) = orders
                    .into_iter()
                    .partition(|(_, o)| singles_only || o.reduce_only || o.has_presets());
                let mut out: Vec<Group> = batch.chunks(v3::MAX_BATCH).map(<[_]>::to_vec).collect();
                out.extend(single.into_iter().map(|x| vec![x]));
                out
            }
        }
    }

    /// Sends one group until every order is placed, refused, or of unknown outcome.
    async fn place_group(
        &self,
        rest: &Rest,
        symbol: &Symbol,
        orders: &[OrderRequest],
        group: &[(usize, EncodedOrder)],
    ) -> Result<Vec<(usize, OrderResult)>, ExchangeError> {
        let max_attempts = self.client().config().max_retries + 1;
        let mut pending: Group = group.to_vec();
        let mut done: Vec<(usize, OrderResult)> = Vec::with_capacity(group.len());
        let mut attempt = 0;
        while !pending.is_empty() {
            attempt += 1;
            let failure = match self.send_place(rest, symbol, &pending).await {
                Ok(answer) => {
                    self.settle(symbol, orders, &pending, answer, &mut done).await;
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

    /// One placement request; on unified accounts a refused `marginMode` in
    /// a batch sends the refused items again one by one.
    async fn send_place(&self, rest: &Rest, symbol: &Symbol, pending: &Group) -> Result<BatchAnswer, ApiFailure> {
        let items: Vec<EncodedOrder> = pending.iter().map(|(_, o)| o.clone()).collect();
        let r = match (rest, items.as_slice()) {
            (Rest::Classic(r), _) => return r.place(symbol, &items).await,
            (Rest::Unified(r), [one]) => return r.place_one(symbol, one).await,
            (Rest::Unified(r), _) => r,
        };
        let answer = match r.place_batch(symbol, &items).await {
            Ok(a) => a,
            Err(f)
                if f.code
                    .as_deref()
                    .is_some_and(|c| margin_mode_refused(c, &failure_text(&f))) =>
            {
                BatchAnswer {
                    acks: Vec::new(),
                    failures: items
                        .iter()
                        .map(|o| ItemFailure {
                            client_oid: o.client_oid.clone(),
                            code: f.code.clone().unwrap_or_default(),
                            msg: failure_text(&f),
                        })
                        .collect(),
                }
            }
            Err(f) => return Err(f),
        };
        let (redo, keep): (Vec<ItemFailure>, Vec<ItemFailure>) = answer
            .failures
            .into_iter()
            .partition(|f| margin_mode_refused(&f.code, &f.msg));
        let mut out = BatchAnswer {
            acks: answer.acks,
            failures: keep,
        };
        if !redo.is_empty() {
            tracing::warn!("Bitget refused marginMode in batch orders; placing this account's orders one by one");
            self.inner.singles_only.store(true, Ordering::Relaxed);
            for f in redo {
                let Some(o) = items.iter().find(|o| o.client_oid == f.client_oid) else {
                    continue;
                };
                let one = r.place_one(symbol, o).await?;
                out.acks.extend(one.acks);
                out.failures.extend(one.failures);
            }
        }
        Ok(out)
    }

    async fn settle(
        &self,
        symbol: &Symbol,
        orders: &[OrderRequest],
        pending: &Group,
        answer: BatchAnswer,
        done: &mut Vec<(usize, OrderResult)>,
    ) {
        let now = now_ms();
        for (i, item) in pending {
            let Some(req) = orders.get(*i) else { continue };
            if let Some(ack) = answer.acks.iter().find(|a| a.client_oid == item.client_oid) {
                if ack.order_id.is_empty() {
                    // A one-way reduce-only order that replaced an older one
                    // comes back without an id: ask by client id.
                    let found = self.order_by_client_id(symbol, &req.client_id).await;
                    done.push((*i, found.and_then(|o| o.ok_or_else(|| missing(req)))));
                    continue;
                }
                self.remember_order_id(&ack.order_id, &req.client_id);
                done.push((*i, Ok(Order::accepted(ack.order_id.clone(), req, now))));
                continue;
            }
            let result = match answer.failures.iter().find(|f| f.client_oid == item.client_oid) {
                Some(f) if is_duplicate_client_oid(&f.code, &f.msg) => {
                    match self.order_by_client_id(symbol, &req.client_id).await {
                        Ok(Some(order)) => Ok(order),
                        Ok(None) => Err(from_api_code(&f.code, &f.msg)),
                        Err(e) => Err(e),
                    }
                }
                Some(f) => Err(from_api_code(&f.code, &f.msg)),
                None => Err(ExchangeError::Protocol(format!(
                    "Bitget's answer did not mention order {}",
                    item.client_oid
                ))),
            };
            done.push((*i, result));
        }
    }

    /// Cancels by client id, in chunks of the API's batch size.
    pub(crate) async fn cancel_many(
        &self,
        symbol: &Symbol,
        ids: &[ClientOrderId],
    ) -> Result<Vec<Result<(), ExchangeError>>, ExchangeError> {
        let rest = self.rest().await?;
        let max = match rest {
            Rest::Classic(_) => v2::MAX_BATCH,
            Rest::Unified(_) => v3::MAX_BATCH,
        };
        let mut out: Vec<Result<(), ExchangeError>> = Vec::with_capacity(ids.len());
        let valid: Vec<ClientOrderId> = ids.iter().filter(|id| check_client_oid(id).is_ok()).cloned().collect();
        let mut answers: Vec<BatchAnswer> = Vec::new();
        for chunk in valid.chunks(max) {
            let r = crate::both!(&rest, r => r.cancel(symbol, chunk).await);
            match r {
                Ok(a) => answers.push(a),
                Err(f) if answers.is_empty() => return Err(f.error),
                Err(f) => answers.push(BatchAnswer {
                    acks: Vec::new(),
                    failures: chunk
                        .iter()
                        .map(|id| ItemFailure {
                            client_oid: id.as_str().to_owned(),
                            code: String::new(),
                            msg: f.error.to_string(),
                        })
                        .collect(),
                }),
            }
        }
        for id in ids {
            if let Err(e) = check_client_oid(id) {
                out.push(Err(e));
                continue;
            }
            let s = id.as_str();
            let ack = answers.iter().any(|a| a.acks.iter().any(|x| x.client_oid == s));
            let fail = answers
                .iter()
                .find_map(|a| a.failures.iter().find(|f| f.client_oid == s));
            out.push(match (ack, fail) {
                (true, _) => Ok(()),
                (false, Some(f)) if f.code.is_empty() => Err(ExchangeError::Connectivity(f.msg.clone())),
                (false, Some(f)) => Err(from_api_code(&f.code, &f.msg)),
                (false, None) => Err(ExchangeError::NotFound(format!(
                    "order {id} was not cancelled: Bitget did not mention it"
                ))),
            });
        }
        Ok(out)
    }
}

fn missing(req: &OrderRequest) -> ExchangeError {
    ExchangeError::Protocol(format!(
        "Bitget accepted order {} without an id and does not find it by client id",
        req.client_id
    ))
}

fn failure_text(f: &ApiFailure) -> String {
    crate::http::records::failure_message(f)
}
