//! Paper exchange: every refusal a real exchange would give, as a typed error.

use gridbot_core::model::{ClientOrderId, Instrument, OrderRequest, Side, Symbol};
use gridbot_core::paper::{PaperAccount, PaperConfig, PaperExchange};
use gridbot_core::ports::Exchange;
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn account(balance: Decimal) -> (PaperExchange, PaperAccount) {
    let v = PaperExchange::with_instruments(PaperConfig::default(), [Instrument::btcusdt()]);
    v.on_price(&btc(), dec!(30000), 0).unwrap();
    let a = v.open_account("a", balance).unwrap();
    (v, a)
}

fn buy(id: &str, price: Decimal, qty: Decimal) -> OrderRequest {
    OrderRequest::limit(ClientOrderId::new(id), btc(), Side::Buy, price, qty)
}

async fn place_one(a: &PaperAccount, req: OrderRequest) -> Result<gridbot_core::model::Order, ExchangeError> {
    a.place_orders(&[req]).await.unwrap().pop().unwrap()
}

#[tokio::test]
async fn an_unknown_symbol_is_refused() {
    let (_v, a) = account(dec!(1000));
    let req = OrderRequest::limit(
        ClientOrderId::new("x"),
        Symbol::new("FOOUSDT").unwrap(),
        Side::Buy,
        dec!(1),
        dec!(1),
    );
    assert!(matches!(place_one(&a, req).await, Err(ExchangeError::UnknownSymbol(s)) if s == "FOOUSDT"));
    assert!(matches!(
        a.position(&Symbol::new("FOOUSDT").unwrap()).await,
        Err(ExchangeError::UnknownSymbol(_))
    ));
}

#[tokio::test]
async fn a_price_off_the_tick_or_a_quantity_off_the_lot_is_refused() {
    let (_v, a) = account(dec!(1000));
    let e = place_one(&a, buy("x", dec!(29000.05), dec!(0.01))).await.unwrap_err();
    assert!(
        matches!(&e, ExchangeError::Precision(m) if m.contains("tick size 0.1")),
        "{e}"
    );
    let e = place_one(&a, buy("y", dec!(29000), dec!(0.00015))).await.unwrap_err();
    assert!(
        matches!(&e, ExchangeError::Precision(m) if m.contains("lot size")),
        "{e}"
    );
}

#[tokio::test]
async fn below_the_minimum_quantity_or_notional_is_refused() {
    let v = PaperExchange::with_instruments(
        PaperConfig::default(),
        [Instrument::new(
            btc(),
            dec!(0.1),
            dec!(0.0001),
            dec!(0.001),
            dec!(5),
            125,
            dec!(0.0002),
            dec!(0.0006),
            dec!(0.004),
        )
        .unwrap()],
    );
    v.on_price(&btc(), dec!(30000), 0).unwrap();
    let a = v.open_account("a", dec!(1000)).unwrap();
    let e = place_one(&a, buy("q", dec!(29000), dec!(0.0005))).await.unwrap_err();
    assert!(
        matches!(&e, ExchangeError::BelowMinimum(m) if m.contains("minimum 0.001")),
        "{e}"
    );
    let e = place_one(&a, buy("n", dec!(1000), dec!(0.001))).await.unwrap_err();
    assert!(
        matches!(&e, ExchangeError::BelowMinimum(m) if m.contains("5 USDT")),
        "{e}"
    );
}

#[tokio::test]
async fn an_order_needing_more_margin_than_available_is_refused() {
    let (_v, a) = account(dec!(100));
    // 0.04 × 29000 / 10 = 116 USDT > 100.
    let e = place_one(&a, buy("big", dec!(29000), dec!(0.04))).await.unwrap_err();
    assert!(
        matches!(&e, ExchangeError::InsufficientBalance(m) if m.contains("116") && m.contains("100")),
        "{e}"
    );
    // Two orders that fit alone but not together: the second is refused.
    let r = a
        .place_orders(&[buy("a1", dec!(29000), dec!(0.03)), buy("a2", dec!(28000), dec!(0.01))])
        .await
        .unwrap();
    assert!(r[0].is_ok());
    assert!(matches!(r[1], Err(ExchangeError::InsufficientBalance(_))));
    let market = OrderRequest::market(ClientOrderId::new("m"), btc(), Side::Sell, dec!(0.01));
    assert!(matches!(
        place_one(&a, market).await,
        Err(ExchangeError::InsufficientBalance(_))
    ));
    // A refused id is not remembered: it may be used again once it fits.
    a.cancel_all(&btc()).await.unwrap();
    assert!(place_one(&a, buy("a2", dec!(28000), dec!(0.01))).await.is_ok());
}

#[tokio::test]
async fn a_reduce_only_order_that_would_increase_or_flip_is_refused() {
    let (_v, a) = account(dec!(1000));
    let sell =
        |id: &str, qty| OrderRequest::limit(ClientOrderId::new(id), btc(), Side::Sell, dec!(31000), qty).reduce_only();
    // Flat: nothing to reduce.
    assert!(
        matches!(place_one(&a, sell("r1", dec!(0.01))).await, Err(ExchangeError::InvalidOrder(m)) if m.contains("reduce-only"))
    );
    a.place_orders(&[OrderRequest::market(
        ClientOrderId::new("open"),
        btc(),
        Side::Buy,
        dec!(0.01),
    )])
    .await
    .unwrap();
    // Same side as the long.
    let add = buy("r2", dec!(29000), dec!(0.01)).reduce_only();
    assert!(matches!(place_one(&a, add).await, Err(ExchangeError::InvalidOrder(_))));
    // Larger than the position: would flip.
    assert!(matches!(
        place_one(&a, sell("r3", dec!(0.02))).await,
        Err(ExchangeError::InvalidOrder(_))
    ));
    assert!(place_one(&a, sell("r4", dec!(0.01))).await.is_ok());
}

#[tokio::test]
async fn malformed_orders_and_bad_leverage_are_refused() {
    let v = PaperExchange::with_instruments(PaperConfig::default(), [Instrument::btcusdt()]);
    let a = v.open_account("a", dec!(1000)).unwrap();
    let market = OrderRequest::market(ClientOrderId::new("m"), btc(), Side::Buy, dec!(0.01));
    assert!(matches!(place_one(&a, market).await, Err(ExchangeError::InvalidOrder(m)) if m.contains("no price")));
    let mut no_price = buy("p", dec!(1), dec!(0.01));
    no_price.price = None;
    assert!(matches!(
        place_one(&a, no_price).await,
        Err(ExchangeError::InvalidOrder(_))
    ));
    assert!(matches!(
        place_one(&a, buy("z", dec!(0), dec!(0.01))).await,
        Err(ExchangeError::InvalidOrder(_))
    ));
    let e = a.set_leverage(&btc(), 126).await.unwrap_err();
    assert!(
        matches!(&e, ExchangeError::InvalidOrder(m) if m.contains("between 1 and 125")),
        "{e}"
    );
    assert!(a.set_leverage(&btc(), 0).await.is_err());
    assert!(a.set_leverage(&btc(), 20).await.is_ok());
    place_one(&a, buy("rest", dec!(29000), dec!(0.01))).await.unwrap();
    assert!(a.set_leverage(&btc(), 20).await.is_ok(), "same leverage is a no-op");
    assert!(matches!(
        a.set_leverage(&btc(), 5).await,
        Err(ExchangeError::InvalidOrder(_))
    ));
    assert!(v.open_account("bad id!", dec!(1)).is_err());
    assert!(v.open_account("neg", dec!(-1)).is_err());
}
