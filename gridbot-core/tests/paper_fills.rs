//! Paper exchange: when and at what price orders fill, fees, events,
//! fill pagination and idempotent client ids.

use futures::StreamExt;
use gridbot_core::model::{
    Candle, ClientOrderId, ExecutionEvent, Instrument, Liquidity, OrderRequest, OrderStatus, Side, Symbol, TimeInForce,
};
use gridbot_core::paper::{PaperAccount, PaperConfig, PaperExchange};
use gridbot_core::ports::Exchange;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn candle(ts: i64, o: Decimal, h: Decimal, l: Decimal, c: Decimal) -> Candle {
    Candle {
        ts,
        open: o,
        high: h,
        low: l,
        close: c,
        volume: dec!(1),
    }
}

fn venue(slippage_bps: Decimal) -> (PaperExchange, PaperAccount) {
    let v = PaperExchange::with_instruments(
        PaperConfig::default().with_slippage_bps(slippage_bps),
        [Instrument::btcusdt()],
    );
    v.on_price(&btc(), dec!(30000), 0).unwrap();
    let a = v.open_account("alice", dec!(10000)).unwrap();
    (v, a)
}

fn limit(id: &str, side: Side, price: Decimal, qty: Decimal) -> OrderRequest {
    OrderRequest::limit(ClientOrderId::new(id), btc(), side, price, qty)
}

#[tokio::test]
async fn a_resting_buy_fills_only_when_the_walk_touches_it_and_at_its_own_price() {
    let (v, a) = venue(dec!(0));
    let placed = a
        .place_orders(&[limit("b1", Side::Buy, dec!(29000), dec!(0.01))])
        .await
        .unwrap();
    assert_eq!(placed[0].as_ref().unwrap().status, OrderStatus::Open);

    // Low 29000.1: one tenth above the limit, not touched.
    v.on_candle(
        &btc(),
        &candle(60_000, dec!(30000), dec!(30100), dec!(29000.1), dec!(29500)),
    )
    .unwrap();
    assert!(a.fills().unwrap().is_empty());

    // Low 28000 goes through it: filled at 29000, not at the low.
    v.on_candle(
        &btc(),
        &candle(120_000, dec!(29500), dec!(29600), dec!(28000), dec!(28500)),
    )
    .unwrap();
    let fills = a.fills().unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(fills[0].price, dec!(29000));
    assert_eq!(fills[0].liquidity, Liquidity::Maker);
    // Falling candle walks O→H→L→C: the low is reached at +40 s.
    assert_eq!(fills[0].ts, 120_000 + 40_000);
    let order = a.order(&btc(), &ClientOrderId::new("b1")).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Filled);
    assert_eq!(order.avg_fill_price, Some(dec!(29000)));
}

#[tokio::test]
async fn maker_fees_are_booked_on_the_fill_and_taken_from_the_wallet() {
    let (v, a) = venue(dec!(0));
    a.place_orders(&[limit("b1", Side::Buy, dec!(29000), dec!(0.1))])
        .await
        .unwrap();
    v.on_price(&btc(), dec!(28900), 1).unwrap();
    let fill = &a.fills().unwrap()[0];
    // 29000 × 0.1 × 0.02 %.
    assert_eq!(fill.fee, dec!(0.58));
    v.on_price(&btc(), dec!(29000), 2).unwrap();
    let bal = a.balance().await.unwrap();
    assert_eq!(bal.equity, dec!(10000) - dec!(0.58));
    // 10x default: margin 290.
    assert_eq!(bal.used_margin, dec!(290));
    assert_eq!(bal.available, dec!(10000) - dec!(0.58) - dec!(290));

    // Close at 29500 with a resting sell: realises 50, pays 0.59.
    a.place_orders(&[limit("s1", Side::Sell, dec!(29500), dec!(0.1))])
        .await
        .unwrap();
    v.on_price(&btc(), dec!(29600), 3).unwrap();
    let fills = a.fills().unwrap();
    assert_eq!(fills[1].realized_pnl, dec!(50));
    assert_eq!(fills[1].fee, dec!(0.59));
    let bal = a.balance().await.unwrap();
    assert_eq!(bal.equity, dec!(10000) - dec!(0.58) + dec!(50) - dec!(0.59));
    assert_eq!(bal.used_margin, dec!(0));
    assert!(a.position(&btc()).await.unwrap().is_flat());
}

#[tokio::test]
async fn market_orders_pay_taker_fee_and_adverse_slippage() {
    let (_v, a) = venue(dec!(10));
    let r = a
        .place_orders(&[OrderRequest::market(
            ClientOrderId::new("m1"),
            btc(),
            Side::Buy,
            dec!(0.01),
        )])
        .await
        .unwrap();
    let o = r[0].as_ref().unwrap();
    assert_eq!(o.status, OrderStatus::Filled);
    // 30000 + 10 bp = 30030.
    assert_eq!(o.avg_fill_price, Some(dec!(30030)));
    let f = &a.fills().unwrap()[0];
    assert_eq!(f.liquidity, Liquidity::Taker);
    assert_eq!(f.fee, dec!(30030) * dec!(0.01) * dec!(0.0006));
}

#[tokio::test]
async fn a_crossing_limit_fills_at_once_as_taker_at_its_limit_and_post_only_is_refused() {
    let (_v, a) = venue(dec!(0));
    let r = a
        .place_orders(&[limit("x1", Side::Buy, dec!(30100), dec!(0.01))])
        .await
        .unwrap();
    let o = r[0].as_ref().unwrap();
    assert_eq!((o.status, o.avg_fill_price), (OrderStatus::Filled, Some(dec!(30100))));
    assert_eq!(a.fills().unwrap()[0].liquidity, Liquidity::Taker);
    let r = a
        .place_orders(&[limit("x2", Side::Sell, dec!(29900), dec!(0.01)).with_tif(TimeInForce::PostOnly)])
        .await
        .unwrap();
    assert!(matches!(r[0], Err(gridbot_core::ExchangeError::InvalidOrder(ref m)) if m.contains("post-only")));
    let r = a
        .place_orders(&[limit("x3", Side::Buy, dec!(29000), dec!(0.01)).with_tif(TimeInForce::Ioc)])
        .await
        .unwrap();
    assert_eq!(r[0].as_ref().unwrap().status, OrderStatus::Canceled);
    assert!(a.open_orders(&btc()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_gap_past_a_limit_fills_it_at_the_limit_price() {
    let (v, a) = venue(dec!(0));
    a.place_orders(&[limit("b1", Side::Buy, dec!(29000), dec!(0.01))])
        .await
        .unwrap();
    a.place_orders(&[limit("s1", Side::Sell, dec!(31000), dec!(0.01))])
        .await
        .unwrap();
    // Last price 30000, next candle opens at 27000 (a gap) and stays above 26900.
    v.on_candle(
        &btc(),
        &candle(3_600_000, dec!(27000), dec!(27100), dec!(26900), dec!(27050)),
    )
    .unwrap();
    let fills = a.fills().unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(fills[0].price, dec!(29000));
    assert_eq!(fills[0].ts, 3_600_000);
}

#[tokio::test]
async fn orders_fill_in_the_order_the_walk_meets_them() {
    let (v, a) = venue(dec!(0));
    let reqs = [
        limit("b1", Side::Buy, dec!(29800), dec!(0.01)),
        limit("b2", Side::Buy, dec!(29900), dec!(0.01)),
        limit("s1", Side::Sell, dec!(30200), dec!(0.01)),
    ];
    a.place_orders(&reqs).await.unwrap();
    // Rising candle: O→L→H→C, so both buys (higher first) then the sell.
    v.on_candle(
        &btc(),
        &candle(60_000, dec!(30000), dec!(30300), dec!(29700), dec!(30100)),
    )
    .unwrap();
    let ids: Vec<String> = a.fills().unwrap().iter().map(|f| f.client_id.to_string()).collect();
    assert_eq!(ids, ["b2", "b1", "s1"]);
}

#[tokio::test]
async fn a_used_client_id_returns_the_existing_order_instead_of_a_second() {
    let (v, a) = venue(dec!(0));
    let first = a
        .place_orders(&[limit("g1-0-0", Side::Buy, dec!(29000), dec!(0.01))])
        .await
        .unwrap();
    let again = a
        .place_orders(&[limit("g1-0-0", Side::Buy, dec!(28000), dec!(0.02))])
        .await
        .unwrap();
    assert_eq!(first[0].as_ref().unwrap(), again[0].as_ref().unwrap());
    assert_eq!(a.open_orders(&btc()).await.unwrap().len(), 1);
    // Same once filled: still the one order, now filled, and no new order.
    v.on_price(&btc(), dec!(28500), 1).unwrap();
    let after = a
        .place_orders(&[limit("g1-0-0", Side::Buy, dec!(29000), dec!(0.01))])
        .await
        .unwrap();
    assert_eq!(after[0].as_ref().unwrap().status, OrderStatus::Filled);
    assert!(a.open_orders(&btc()).await.unwrap().is_empty());
    assert_eq!(a.fills().unwrap().len(), 1);
}

#[tokio::test]
async fn events_reach_every_subscriber_in_order() {
    let (v, a) = venue(dec!(0));
    let mut s1 = a.execution_events();
    let mut s2 = a.clone().execution_events();
    a.place_orders(&[limit("b1", Side::Buy, dec!(29000), dec!(0.01))])
        .await
        .unwrap();
    v.on_price(&btc(), dec!(28000), 1).unwrap();
    for s in [&mut s1, &mut s2] {
        let mut kinds = Vec::new();
        for _ in 0..4 {
            kinds.push(match s.next().await.unwrap() {
                ExecutionEvent::Order(o) if o.status == OrderStatus::Open => "open",
                ExecutionEvent::Order(o) if o.status == OrderStatus::Filled => "filled",
                ExecutionEvent::Fill(_) => "fill",
                ExecutionEvent::Position(p) if p.qty == dec!(0.01) => "position",
                _ => "other",
            });
        }
        assert_eq!(kinds, ["open", "fill", "filled", "position"]);
    }
}

#[tokio::test]
async fn fills_since_pages_by_the_fill_sequence_number() {
    let v = PaperExchange::with_instruments(PaperConfig::default().with_fills_page_size(2), [Instrument::btcusdt()]);
    v.on_price(&btc(), dec!(30000), 0).unwrap();
    let a = v.open_account("pager", dec!(10000)).unwrap();
    let reqs: Vec<OrderRequest> = (0..5)
        .map(|i| {
            limit(
                &format!("b{i}"),
                Side::Buy,
                dec!(29000) - Decimal::from(i * 10),
                dec!(0.01),
            )
        })
        .collect();
    a.place_orders(&reqs).await.unwrap();
    v.on_price(&btc(), dec!(28000), 1).unwrap();

    let p1 = a.fills_since(&btc(), None).await.unwrap();
    assert_eq!(p1.fills.len(), 2);
    assert!(p1.has_more);
    let p2 = a.fills_since(&btc(), p1.next_cursor.clone()).await.unwrap();
    let p3 = a.fills_since(&btc(), p2.next_cursor.clone()).await.unwrap();
    assert_eq!(p3.fills.len(), 1);
    assert!(!p3.has_more);
    let all: Vec<_> = [p1.fills, p2.fills, p3.fills].concat();
    assert_eq!(all, a.fills().unwrap());
    let p4 = a.fills_since(&btc(), p3.next_cursor.clone()).await.unwrap();
    assert!(p4.fills.is_empty());
    assert_eq!(p4.next_cursor, p3.next_cursor);
}

#[tokio::test]
async fn accounts_on_one_venue_share_the_price_but_not_their_orders() {
    let (v, a) = venue(dec!(0));
    let b = v.open_account("bob", dec!(500)).unwrap();
    a.place_orders(&[limit("x", Side::Buy, dec!(29000), dec!(0.01))])
        .await
        .unwrap();
    b.place_orders(&[limit("x", Side::Buy, dec!(29500), dec!(0.01))])
        .await
        .unwrap();
    v.on_price(&btc(), dec!(29400), 1).unwrap();
    assert!(a.fills().unwrap().is_empty());
    assert_eq!(b.fills().unwrap()[0].price, dec!(29500));
    assert_ne!(b.fills().unwrap()[0].id, "");
    assert_eq!(v.account("bob").unwrap().id(), "bob");
}

#[tokio::test]
async fn cancel_removes_a_resting_order_and_releases_its_margin() {
    let (v, a) = venue(dec!(0));
    a.place_orders(&[limit("b1", Side::Buy, dec!(29000), dec!(0.1))])
        .await
        .unwrap();
    assert_eq!(a.balance().await.unwrap().used_margin, dec!(290));
    let r = a
        .cancel_orders(&btc(), &[ClientOrderId::new("b1"), ClientOrderId::new("nope")])
        .await
        .unwrap();
    assert!(r[0].is_ok());
    assert!(matches!(r[1], Err(gridbot_core::ExchangeError::NotFound(_))));
    assert_eq!(a.balance().await.unwrap().used_margin, dec!(0));
    v.on_price(&btc(), dec!(28000), 1).unwrap();
    assert!(a.fills().unwrap().is_empty());
}

#[tokio::test]
async fn close_position_closes_with_a_reduce_only_market_order_once() {
    let (_v, a) = venue(dec!(0));
    a.place_orders(&[OrderRequest::market(
        ClientOrderId::new("o"),
        btc(),
        Side::Sell,
        dec!(0.02),
    )])
    .await
    .unwrap();
    assert_eq!(a.position(&btc()).await.unwrap().qty, dec!(-0.02));
    let c = a
        .close_position(&btc(), &ClientOrderId::new("close-1"))
        .await
        .unwrap()
        .unwrap();
    assert!(c.reduce_only && c.side == Side::Buy && c.status == OrderStatus::Filled);
    assert!(a.position(&btc()).await.unwrap().is_flat());
    // Retried with the same id: the same order, nothing new.
    let again = a
        .close_position(&btc(), &ClientOrderId::new("close-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, c);
    assert_eq!(
        a.close_position(&btc(), &ClientOrderId::new("close-2")).await.unwrap(),
        None
    );
}
