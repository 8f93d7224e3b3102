//! Faults on the REST side: what is retried, what is reported, and that an
//! order is never placed twice (timeouts are resolved by asking for the
//! clientOid before sending again).

mod support;

use std::time::Duration;

use gridbot_bitget::fake::faults::Fault;
use gridbot_bitget::fake::FakeBitget;
use gridbot_core::model::{ClientOrderId, Side};
use gridbot_core::ports::Exchange;
use gridbot_core::ExchangeError;
use rust_decimal_macros::dec;
use support::*;

/// A client with a 300 ms timeout against a classic fake that holds timed-out answers 600 ms.
async fn setup() -> (FakeBitget, gridbot_bitget::BitgetExchange) {
    setup_on(fake().await).await
}

/// The same client against a unified (v3) fake.
async fn setup_unified() -> (FakeBitget, gridbot_bitget::BitgetExchange) {
    setup_on(FakeBitget::unified().await.unwrap()).await
}

async fn setup_on(fake: FakeBitget) -> (FakeBitget, gridbot_bitget::BitgetExchange) {
    fake.faults().set_timeout_delay(Duration::from_millis(600));
    let mut cfg = fake.config();
    cfg.request_timeout = Duration::from_millis(300);
    let ex = exchange_with(cfg);
    ex.instrument(&btc()).await.unwrap();
    (fake, ex)
}

#[tokio::test]
async fn after_a_timeout_on_placement_the_order_exists_exactly_once() {
    let (fake, ex) = setup().await;
    fake.faults().inject("place-order", Fault::TimeoutAfter);
    let r = ex
        .place_orders(&[limit("t-1", Side::Buy, dec!(29000), dec!(0.001))])
        .await
        .unwrap();
    let o = r[0].clone().unwrap();
    assert_eq!(o.client_id.as_str(), "t-1");
    assert_eq!(fake.orders_with_client_oid("t-1"), 1);
    // Found by clientOid: not sent again.
    assert_eq!(fake.requests_to("/api/v2/mix/order/place-order").len(), 1);
    assert!(fake
        .requests_to("/api/v2/mix/order/detail")
        .iter()
        .any(|r| r.query.contains("clientOid=t-1")));
}

#[tokio::test]
async fn an_order_that_timed_out_before_reaching_bitget_is_sent_again_once() {
    let (fake, ex) = setup().await;
    fake.faults().inject("place-order", Fault::TimeoutBefore);
    let r = ex
        .place_orders(&[limit("t-2", Side::Buy, dec!(29000), dec!(0.001))])
        .await
        .unwrap();
    assert!(r[0].is_ok());
    assert_eq!(fake.requests_to("/api/v2/mix/order/place-order").len(), 2);
    assert_eq!(fake.orders_with_client_oid("t-2"), 1);
}

#[tokio::test]
async fn a_batch_that_timed_out_after_taking_effect_is_recovered_without_resending() {
    let (fake, ex) = setup().await;
    fake.faults().inject("batch-place-order", Fault::TimeoutAfter);
    let orders: Vec<_> = (0..20)
        .map(|i| limit(&format!("tb-{i}"), Side::Buy, dec!(29000), dec!(0.001)))
        .collect();
    let r = ex.place_orders(&orders).await.unwrap();
    assert!(r.iter().all(|x| x.is_ok()));
    assert_eq!(fake.requests_to("batch-place-order").len(), 1);
    for i in 0..20 {
        assert_eq!(fake.orders_with_client_oid(&format!("tb-{i}")), 1);
    }
}

#[tokio::test]
async fn a_server_error_on_placement_is_reconciled_then_resent() {
    let (fake, ex) = setup().await;
    fake.faults().inject("place-order", Fault::ServerError);
    let r = ex
        .place_orders(&[limit("s-1", Side::Buy, dec!(29000), dec!(0.001))])
        .await
        .unwrap();
    assert!(r[0].is_ok());
    assert_eq!(fake.requests_to("place-order").len(), 2);
    assert_eq!(fake.orders_with_client_oid("s-1"), 1);
}

#[tokio::test]
async fn when_the_outcome_cannot_be_established_the_order_is_reported_unknown_and_not_resent() {
    let (fake, ex) = setup().await;
    fake.faults().inject("place-order", Fault::TimeoutBefore);
    for _ in 0..4 {
        fake.faults().inject("order/detail", Fault::ServerError);
    }
    let r = ex
        .place_orders(&[limit("u-1", Side::Buy, dec!(29000), dec!(0.001))])
        .await
        .unwrap();
    match &r[0] {
        Err(ExchangeError::Timeout(m)) => assert!(m.contains("u-1"), "{m}"),
        other => panic!("expected an unknown outcome, got {other:?}"),
    }
    assert_eq!(fake.requests_to("place-order").len(), 1);
    // The caller reconciles later by clientOid: nothing exists, placing is safe.
    assert_eq!(ex.order(&btc(), &ClientOrderId::new("u-1")).await.unwrap(), None);
}

#[tokio::test]
async fn placing_a_known_client_id_again_returns_the_existing_order() {
    let (fake, ex) = setup().await;
    let first = ex
        .place_orders(&[limit("dup-1", Side::Buy, dec!(29000), dec!(0.001))])
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    let again = ex
        .place_orders(&[limit("dup-1", Side::Buy, dec!(29000), dec!(0.001))])
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    assert_eq!(first.id, again.id);
    let batch = vec![
        limit("dup-1", Side::Buy, dec!(29000), dec!(0.001)),
        limit("dup-2", Side::Buy, dec!(29000), dec!(0.001)),
    ];
    let r = ex.place_orders(&batch).await.unwrap();
    assert_eq!(r[0].as_ref().unwrap().id, first.id);
    assert!(r[1].is_ok());
    assert_eq!(fake.orders_with_client_oid("dup-1"), 1);
}

#[tokio::test]
async fn rate_limited_and_server_error_reads_are_retried_with_backoff() {
    let (fake, ex) = setup().await;
    fake.faults().inject("accounts", Fault::RateLimited);
    fake.faults().inject("accounts", Fault::ServerError);
    fake.faults().inject("accounts", Fault::TimeoutBefore);
    ex.balance().await.unwrap();
    assert_eq!(fake.requests_to("accounts").len(), 4);
    fake.faults().inject("place-order", Fault::RateLimited);
    ex.place_orders(&[limit("r-1", Side::Buy, dec!(29000), dec!(0.001))])
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    // A 429 did nothing: resent directly, no lookup needed.
    assert_eq!(fake.requests_to("place-order").len(), 2);
    assert!(fake.requests_to("order/detail").is_empty());
}

#[tokio::test]
async fn persistent_server_errors_surface_as_a_transient_error_after_the_retries() {
    let (fake, ex) = setup().await;
    for _ in 0..10 {
        fake.faults().inject("accounts", Fault::ServerError);
    }
    let e = ex.balance().await.unwrap_err();
    assert!(
        matches!(e, ExchangeError::Connectivity(ref m) if m.contains("503")),
        "{e}"
    );
    assert!(e.is_transient());
    assert_eq!(fake.requests_to("accounts").len(), 4);
}

#[tokio::test]
async fn malformed_json_is_a_protocol_error_naming_the_endpoint() {
    let (fake, ex) = setup().await;
    fake.faults().inject("accounts", Fault::MalformedJson);
    let e = ex.balance().await.unwrap_err();
    assert!(
        matches!(e, ExchangeError::Protocol(ref m) if m.contains("/api/v2/mix/account/accounts")),
        "{e}"
    );
}

#[tokio::test]
async fn an_unreachable_exchange_is_a_connectivity_error() {
    let fake = fake().await;
    let mut cfg = fake.config();
    drop(fake);
    cfg.max_retries = 1;
    cfg.endpoints = gridbot_bitget::Endpoints::from_base_url("http://127.0.0.1:9");
    let ex = exchange_with(cfg);
    let e = ex.balance().await.unwrap_err();
    assert!(matches!(e, ExchangeError::Connectivity(_)), "{e}");
}

#[tokio::test]
async fn a_v3_batch_that_timed_out_after_taking_effect_is_recovered_by_order_info_without_resending() {
    let (fake, ex) = setup_unified().await;
    fake.faults().inject("place-batch", Fault::TimeoutAfter);
    let orders: Vec<_> = (0..20)
        .map(|i| limit(&format!("ub-{i}"), Side::Buy, dec!(29000), dec!(0.001)))
        .collect();
    let r = ex.place_orders(&orders).await.unwrap();
    assert!(r.iter().all(|x| x.is_ok()));
    assert_eq!(fake.requests_to("/api/v3/trade/place-batch").len(), 1);
    assert_eq!(fake.requests_to("/api/v3/trade/order-info").len(), 20);
    for i in 0..20 {
        assert_eq!(fake.orders_with_client_oid(&format!("ub-{i}")), 1);
    }
}

#[tokio::test]
async fn a_v3_order_that_timed_out_before_reaching_bitget_is_sent_again_once() {
    let (fake, ex) = setup_unified().await;
    fake.faults().inject("/api/v3/trade/place-order", Fault::TimeoutBefore);
    let r = ex
        .place_orders(&[limit("ut-1", Side::Buy, dec!(29000), dec!(0.001)).reduce_only()])
        .await
        .unwrap();
    // Reduce-only without a position: refused by Bitget after the resend (25227).
    assert!(matches!(r[0], Err(ExchangeError::InvalidOrder(_))), "{:?}", r[0]);
    assert_eq!(fake.requests_to("/api/v3/trade/place-order").len(), 2);
    assert_eq!(fake.orders_with_client_oid("ut-1"), 0);
}
