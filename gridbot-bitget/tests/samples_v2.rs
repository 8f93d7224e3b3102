//! Bitget's classic (v2) JSON samples (tests/data) parse into the core
//! model, numbers as strings or numbers, every error code onto the error the
//! caller acts on.

use gridbot_bitget::execution::fill_from_record;
use gridbot_bitget::http::candles::parse_candle_row;
use gridbot_bitget::http::client::parse_response;
use gridbot_bitget::http::v2::models::{
    V2AccountRecord as AccountRecord, V2ContractRecord as ContractRecord, V2FillsData as FillsData,
    V2OrderRecord as OrderRecord, V2PendingOrders as PendingOrders, V2PositionRecord as PositionRecord,
};
use gridbot_core::model::{ClientOrderId, Liquidity, OrderKind, OrderStatus, Side, Symbol, TimeInForce};
use gridbot_core::ExchangeError;
use rust_decimal_macros::dec;

fn data<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> T {
    parse_response(name, 200, text.as_bytes(), None).unwrap()
}

#[test]
fn contracts_map_to_instruments_with_tick_lot_minimums_leverage_and_fees() {
    let c: Vec<ContractRecord> = data("contracts", include_str!("data/contracts.json"));
    let btc = c[0].to_spec().unwrap();
    assert_eq!(btc.symbol.as_str(), "BTCUSDT");
    assert_eq!(
        (btc.tick_size, btc.lot_size, btc.min_qty),
        (dec!(0.1), dec!(0.0001), dec!(0.0001))
    );
    assert_eq!((btc.min_notional, btc.max_leverage), (dec!(5), 125));
    assert_eq!((btc.maker_fee, btc.taker_fee), (dec!(0.0002), dec!(0.0006)));
    let doge = c[1].to_spec().unwrap();
    assert_eq!(
        (doge.tick_size, doge.lot_size, doge.max_leverage),
        (dec!(0.00001), dec!(1), 75)
    );
    assert_eq!(doge.maker_fee, dec!(0.0002));
}

#[test]
fn fills_parse_with_fees_positive_and_liquidations_flagged() {
    let f: FillsData = data("fills", include_str!("data/fills.json"));
    let list = f.fill_list.unwrap();
    assert_eq!(f.end_id, "1111111111111111111");
    let s = Symbol::new("BTCUSDT").unwrap();
    let a0 = list[0].to_record().unwrap();
    assert_eq!(
        a0.fees[0].paid,
        dec!(0.060021),
        "v2 reports a fee paid as a negative number"
    );
    let a = fill_from_record(&s, &a0, ClientOrderId::new("g1-1-1"), a0.fees[0].paid);
    assert_eq!(
        (a.side, a.price, a.qty, a.fee),
        (Side::Sell, dec!(30010.5), dec!(0.01), dec!(0.060021))
    );
    assert_eq!(
        (a.liquidity, a.realized_pnl, a.is_liquidation, a.ts),
        (Liquidity::Maker, dec!(1.05), false, 1_700_000_000_500)
    );
    let b0 = list[1].to_record().unwrap();
    let b = fill_from_record(&s, &b0, ClientOrderId::new("g1-1-0"), b0.fees[0].paid);
    assert!(b.is_liquidation);
    assert_eq!((b.liquidity, b.ts), (Liquidity::Taker, 1_700_000_000_400));
}

#[test]
fn order_detail_and_pending_orders_parse_state_or_status() {
    let d: OrderRecord = data("detail", include_str!("data/order_detail.json"));
    let o = d.to_order().unwrap();
    assert_eq!(o.client_id.as_str(), "g7-3-2");
    assert_eq!(
        (o.status, o.filled_qty, o.qty),
        (OrderStatus::PartiallyFilled, dec!(0.004), dec!(0.01))
    );
    assert_eq!(
        (o.price, o.avg_fill_price, o.updated_at),
        (Some(dec!(30010.5)), Some(dec!(30010.5)), 1_700_000_000_300)
    );
    let p: PendingOrders = data("pending", include_str!("data/orders_pending.json"));
    let o = p.entrusted_list.unwrap()[0].to_order().unwrap();
    assert_eq!(
        (o.status, o.kind, o.side, o.reduce_only),
        (OrderStatus::Open, OrderKind::Limit, Side::Buy, true)
    );
    assert_eq!(o.price, Some(dec!(1999.50)));
    assert_eq!(
        gridbot_bitget::common::enums::parse_force("post_only"),
        Some(TimeInForce::PostOnly)
    );
}

#[test]
fn positions_are_signed_and_account_balance_parses() {
    let p: Vec<PositionRecord> = data("positions", include_str!("data/positions.json"));
    assert_eq!(p[0].signed_qty(), dec!(-0.1));
    assert_eq!(
        (p[0].leverage, p[0].unrealized_pl, p[0].liquidation_price),
        (10, dec!(-12.5), Some(dec!(32950.2)))
    );
    let a: Vec<AccountRecord> = data("accounts", include_str!("data/accounts.json"));
    assert_eq!((a[0].account_equity, a[0].available), (dec!(10012.5), dec!(9500.25)));
}

#[test]
fn candle_rows_accept_strings_numbers_and_extra_fields() {
    let rows: Vec<Vec<serde_json::Value>> = data("candles", include_str!("data/candles.json"));
    let a = parse_candle_row(&rows[0]).unwrap();
    assert_eq!(
        (a.ts, a.open, a.high, a.low, a.close, a.volume),
        (
            1_700_000_000_000,
            dec!(30000.1),
            dec!(30050),
            dec!(29990.5),
            dec!(30010),
            dec!(12.5)
        )
    );
    let b = parse_candle_row(&rows[1]).unwrap();
    assert_eq!((b.ts, b.close, b.volume), (1_700_000_060_000, dec!(30015), dec!(3.25)));
    assert!(parse_candle_row(&rows[0][..5]).is_err());
}

#[test]
fn every_sample_error_code_maps_to_what_the_caller_must_do() {
    let cases: Vec<serde_json::Value> = serde_json::from_str(include_str!("data/errors.json")).unwrap();
    for c in cases {
        let body = serde_json::json!({"code": c["code"], "msg": c["msg"], "data": null}).to_string();
        let e = parse_response::<serde_json::Value>("/x", 400, body.as_bytes(), None)
            .unwrap_err()
            .error;
        assert!(!e.is_transient(), "code {}", c["code"]);
        let kind = match e {
            ExchangeError::InsufficientBalance(_) => "insufficient_balance",
            ExchangeError::Precision(_) => "precision",
            ExchangeError::BelowMinimum(_) => "below_minimum",
            ExchangeError::InvalidOrder(_) => "invalid_order",
            ExchangeError::Auth(_) => "auth",
            ExchangeError::NotFound(_) => "not_found",
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(kind, c["expect"].as_str().unwrap(), "code {}", c["code"]);
    }
}

#[test]
fn websocket_pushes_parse_with_inst_id_spelling() {
    use gridbot_bitget::ws::messages::{parse_incoming, Incoming};
    let push = |text: &str| match parse_incoming(text) {
        Some(Incoming::Push { arg, data, .. }) => (arg.name().to_owned(), data),
        other => panic!("not a push: {other:?}"),
    };
    let (ch, data) = push(include_str!("data/ws_orders_push.json"));
    assert_eq!(ch, "orders");
    let o = serde_json::from_value::<OrderRecord>(data[0].clone())
        .unwrap()
        .to_order()
        .unwrap();
    assert_eq!(
        (o.symbol.as_str(), o.client_id.as_str(), o.status),
        ("BTCUSDT", "g3-4-5", OrderStatus::Filled)
    );
    assert_eq!(
        (o.filled_qty, o.updated_at, o.reduce_only),
        (dec!(0.01), 1_700_000_000_100, false)
    );
    let (ch, data) = push(include_str!("data/ws_fill_push.json"));
    assert_eq!(ch, "fill");
    let f: gridbot_bitget::http::v2::models::V2FillRecord = serde_json::from_value(data[0].clone()).unwrap();
    let f = f.to_record().unwrap();
    assert_eq!(
        (
            f.symbol.as_str(),
            f.id.as_str(),
            f.fees[0].paid,
            f.fees[0].coin.as_str()
        ),
        ("BTCUSDT", "1111111111111111301", dec!(0.06), "USDT")
    );
    let (ch, data) = push(include_str!("data/ws_positions_push.json"));
    assert_eq!(ch, "positions");
    let p: PositionRecord = serde_json::from_value(data[0].clone()).unwrap();
    assert_eq!((p.symbol(), p.signed_qty(), p.leverage), ("BTCUSDT", dec!(-0.01), 10));
}
