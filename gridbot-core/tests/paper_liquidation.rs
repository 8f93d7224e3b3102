//! Paper exchange: a 10x long opened near the May 2021 top is liquidated at
//! the first candle whose walk reaches the liquidation price.

use gridbot_core::feed::read_candles;
use gridbot_core::model::{Candle, ClientOrderId, Instrument, OrderRequest, Rounding, Side, Symbol};
use gridbot_core::paper::{PaperConfig, PaperExchange};
use gridbot_core::ports::Exchange;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/binance_BTCUSDT_1m.csv");
/// 2021-05-19 00:00 UTC.
const MAY_19: i64 = 1_621_382_400_000;

fn load() -> Option<Vec<Candle>> {
    if !std::path::Path::new(DATA).exists() {
        eprintln!("skipping: {DATA} is absent");
        return None;
    }
    Some(read_candles(std::path::Path::new(DATA)).unwrap())
}

#[tokio::test]
async fn a_10x_long_from_the_top_is_liquidated_at_the_candle_whose_low_first_reaches_the_formula_price() {
    let Some(candles) = load() else { return };
    let btc = Symbol::new("BTCUSDT").unwrap();
    let inst = Instrument::btcusdt();
    let venue =
        PaperExchange::with_instruments(PaperConfig::default().with_slippage_bps(Decimal::ZERO), [inst.clone()]);
    let acct = venue.open_account("top-buyer", dec!(10000)).unwrap();
    acct.set_leverage(&btc, 10).await.unwrap();

    // Open at the close of the highest-closing candle before 19 May.
    let before: Vec<&Candle> = candles.iter().filter(|c| c.ts < MAY_19).collect();
    let (top, _) = before.iter().enumerate().max_by_key(|(_, c)| c.close).unwrap();
    for c in &candles[..=top] {
        venue.on_candle(&btc, c).unwrap();
    }
    let qty = dec!(0.1);
    let placed = acct
        .place_orders(&[OrderRequest::market(
            ClientOrderId::new("top"),
            btc.clone(),
            Side::Buy,
            qty,
        )])
        .await
        .unwrap();
    let entry = placed[0].as_ref().unwrap().avg_fill_price.unwrap();
    assert_eq!(entry, inst.round_price(candles[top].close, Rounding::Up));

    // The formula: margin + q·(P − E) = mmr·q·P  ⇒  P = (E − M/q) / (1 − mmr).
    let margin = qty * entry / dec!(10);
    let liq = (entry - margin / qty) / (Decimal::ONE - inst.maint_margin_rate);
    assert_eq!(acct.position(&btc).await.unwrap().liquidation_price, Some(liq));
    let expected = (top + 1..candles.len())
        .find(|&i| candles[i].low <= liq)
        .expect("the crash reaches it");
    assert!(
        candles[expected].ts < MAY_19 + 86_400_000,
        "liquidated by the end of 19 May"
    );

    let mut liquidated_at = None;
    for (i, c) in candles.iter().enumerate().skip(top + 1) {
        venue.on_candle(&btc, c).unwrap();
        if acct.position(&btc).await.unwrap().is_flat() {
            liquidated_at = Some(i);
            break;
        }
    }
    assert_eq!(liquidated_at, Some(expected));
    let fills = acct.fills().unwrap();
    let liq_fill = fills.last().unwrap();
    assert!(liq_fill.is_liquidation);
    assert_eq!(liq_fill.side, Side::Sell);
    assert_eq!(liq_fill.qty, qty);
    assert_eq!(liq_fill.price, inst.round_price(liq, Rounding::Down));
    assert!(liq_fill.ts >= candles[expected].ts && liq_fill.ts < candles[expected].ts + 60_000);
    // The whole margin is lost, plus the opening taker fee; nothing else.
    let open_fee = entry * qty * inst.taker_fee;
    let bal = acct.balance().await.unwrap();
    assert_eq!(bal.equity, dec!(10000) - margin - open_fee);
    assert_eq!(bal.used_margin, Decimal::ZERO);
    println!(
        "entry {entry} at candle {top}, liquidation {liq} at candle {expected} (ts {})",
        candles[expected].ts
    );
}

#[tokio::test]
async fn liquidation_cancels_the_orders_on_the_symbol() {
    let btc = Symbol::new("BTCUSDT").unwrap();
    let venue = PaperExchange::with_instruments(PaperConfig::default(), [Instrument::btcusdt()]);
    venue.on_price(&btc, dec!(30000), 0).unwrap();
    let acct = venue.open_account("a", dec!(1000)).unwrap();
    acct.set_leverage(&btc, 50).await.unwrap();
    acct.place_orders(&[
        OrderRequest::market(ClientOrderId::new("m"), btc.clone(), Side::Sell, dec!(0.1)),
        OrderRequest::limit(ClientOrderId::new("tp"), btc.clone(), Side::Buy, dec!(25000), dec!(0.1)).reduce_only(),
    ])
    .await
    .unwrap();
    let liq = acct.position(&btc).await.unwrap().liquidation_price.unwrap();
    assert!(liq > dec!(30000) && liq < dec!(31000), "{liq}");
    venue.on_price(&btc, dec!(31000), 1).unwrap();
    assert!(acct.position(&btc).await.unwrap().is_flat());
    assert!(acct.open_orders(&btc).await.unwrap().is_empty());
    let f = acct.fills().unwrap();
    assert!(f.last().unwrap().is_liquidation);
    assert_eq!(f.last().unwrap().side, Side::Buy);
}
