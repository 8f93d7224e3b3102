//! Unit tests of the grid engine: each mode, trigger, stop-loss /
//! take-profit, out of range, stop, rejections, partial and duplicate fills.

use rust_decimal_macros::dec;

use super::*;
use crate::grid::{cell_profit, Spacing};
use crate::model::{Liquidity, OrderKind};

pub(super) const BOT: BotId = BotId(7);

/// BTCUSDT, 25000–35000, 10 arithmetic grids (step 1000), 1000 USDT at 3x:
/// Σ bottoms = 10·25000 + 1000·45 = 295000, q = 3000/295000 = 0.01016… → 0.0101.
pub(super) fn config(mode: GridMode) -> GridConfig {
    GridConfig::new(
        Instrument::btcusdt().symbol,
        dec!(25000),
        dec!(35000),
        10,
        Spacing::Arithmetic,
        mode,
        dec!(1000),
        3,
    )
}

pub(super) fn engine(config: GridConfig) -> GridEngine {
    GridEngine::new(BOT, config, Instrument::btcusdt()).unwrap()
}

pub(super) fn send(e: &mut GridEngine, event: EngineEvent) -> Vec<Command> {
    let mut out = Vec::new();
    e.on_event(&event, &mut out);
    out
}

pub(super) fn start(e: &mut GridEngine, price: Decimal) -> Vec<Command> {
    send(e, EngineEvent::Start { price, ts: 0 })
}

pub(super) fn price(e: &mut GridEngine, price: Decimal) -> Vec<Command> {
    send(e, EngineEvent::Price { price, ts: 1 })
}

/// A maker fill of `qty` of cell `cell`'s current order at its price.
pub(super) fn fill_qty(e: &GridEngine, cell: u32, qty: Decimal, id: &str) -> Fill {
    let v = e.cell(cell).unwrap();
    Fill::new(
        id,
        "x",
        v.client_id(BOT),
        e.config().symbol.clone(),
        v.side,
        v.price,
        qty,
        v.price * qty * dec!(0.0002),
        Liquidity::Maker,
        2,
    )
}

pub(super) fn fill_cell(e: &mut GridEngine, cell: u32, id: &str) -> Vec<Command> {
    let f = fill_qty(e, cell, e.cell(cell).unwrap().remaining, id);
    send(e, EngineEvent::Fill(f))
}

pub(super) fn places(cmds: &[Command]) -> Vec<&OrderRequest> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Place(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn long_start_buys_the_cells_above_the_price_at_market_and_rests_one_order_per_cell() {
    let mut e = engine(config(GridMode::Long));
    assert_eq!(e.phase(), EnginePhase::Waiting);
    let cmds = start(&mut e, dec!(30000));
    assert_eq!(e.phase(), EnginePhase::Active);
    let p = places(&cmds);
    assert_eq!(p.len(), 11);
    // Cells 5..9 are above 30000: one market buy of 5 × 0.0101.
    assert_eq!(p[0].kind, OrderKind::Market);
    assert_eq!((p[0].side, p[0].qty), (Side::Buy, dec!(0.0505)));
    assert_eq!(p[0].client_id.as_str(), "b7-init-0");
    assert_eq!(
        (p[1].side, p[1].price, p[1].qty),
        (Side::Buy, Some(dec!(25000)), dec!(0.0101))
    );
    assert_eq!(p[1].client_id.as_str(), "g7-0-0");
    assert_eq!((p[6].side, p[6].price), (Side::Sell, Some(dec!(31000))));
    assert_eq!(e.ideal_orders().len(), 10);
    assert!(e.cells().all(|c| c.placed && c.generation == 0));
}

#[test]
fn short_start_sells_the_cells_below_the_price_at_market() {
    let mut e = engine(config(GridMode::Short));
    let p = start(&mut e, dec!(30500));
    let p = places(&p);
    // 30500 lies in cell 5 [30000, 31000]: short counts it above, so cells 0..4 buy.
    assert_eq!(
        (p[0].kind, p[0].side, p[0].qty),
        (OrderKind::Market, Side::Sell, dec!(0.0505))
    );
    assert_eq!((p[5].side, p[5].price), (Side::Buy, Some(dec!(29000))));
    assert_eq!((p[6].side, p[6].price), (Side::Sell, Some(dec!(31000))));
}

#[test]
fn neutral_start_places_no_market_order() {
    let mut e = engine(config(GridMode::Neutral));
    let p = start(&mut e, dec!(30500));
    let p = places(&p);
    assert_eq!(p.len(), 10);
    assert!(p.iter().all(|o| o.kind == OrderKind::Limit));
    // The cell containing 30500 buys in neutral mode.
    assert_eq!((p[5].side, p[5].price), (Side::Buy, Some(dec!(30000))));
    assert!(e.initial_order().is_none());
}

#[test]
fn a_filled_buy_flips_to_a_sell_one_line_up_and_a_round_trip_earns_the_plan_profit() {
    let mut e = engine(config(GridMode::Neutral));
    start(&mut e, dec!(30000));
    let cmds = fill_cell(&mut e, 4, "f1");
    let p = places(&cmds);
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].side, p[0].price, p[0].client_id.as_str()),
        (Side::Sell, Some(dec!(30000)), "g7-4-1")
    );
    assert!(e.cell(4).unwrap().holding);
    assert_eq!(e.stats().position_qty, dec!(0.0101));

    let cmds = fill_cell(&mut e, 4, "f2");
    let p = places(&cmds);
    assert_eq!(
        (p[0].side, p[0].price, p[0].client_id.as_str()),
        (Side::Buy, Some(dec!(29000)), "g7-4-2")
    );
    let s = e.stats();
    // 0.0101 × 1000 − 0.0002 × 0.0101 × 59000 = 10.1 − 0.11918 = 9.98082
    assert_eq!(s.grid_profit, dec!(9.98082));
    assert_eq!(
        s.grid_profit,
        cell_profit(dec!(0.0101), dec!(29000), dec!(30000), dec!(0.0002))
    );
    assert_eq!((s.round_trips, s.wins, s.fills), (1, 1, 2));
    assert_eq!(s.realized_pnl, dec!(10.1));
    assert_eq!(s.fees, dec!(0.11918));
    assert_eq!(s.position_qty, dec!(0));
    assert_eq!(s.total_pnl(), s.grid_profit);
}

#[test]
fn closing_a_cell_bought_by_the_initial_market_order_is_not_a_round_trip() {
    let mut e = engine(config(GridMode::Long));
    start(&mut e, dec!(30000));
    let m = Fill::new(
        "m1",
        "x",
        ClientOrderId::action(BOT, "init", 0),
        e.config().symbol.clone(),
        Side::Buy,
        dec!(30000),
        dec!(0.0505),
        dec!(0.909),
        Liquidity::Taker,
        1,
    );
    send(&mut e, EngineEvent::Fill(m.clone()));
    assert_eq!(e.stats().position_qty, dec!(0.0505));
    // Replaying the market fill changes nothing.
    send(&mut e, EngineEvent::Fill(m));
    assert_eq!(e.stats().fills, 1);
    // Cell 5 (seeded) sells at 31000: position PnL, not grid profit.
    fill_cell(&mut e, 5, "f1");
    let s = e.stats();
    assert_eq!(s.round_trips, 0);
    assert_eq!(s.grid_profit, dec!(0));
    assert_eq!(s.realized_pnl, dec!(0.0101) * dec!(1000));
    // Its next buy at 30000 and sell at 31000 are a round trip.
    fill_cell(&mut e, 5, "f2");
    fill_cell(&mut e, 5, "f3");
    assert_eq!(e.stats().round_trips, 1);
    assert_eq!(e.cell(5).unwrap().round_trips, 1);
}

#[test]
fn partial_fills_accumulate_and_the_cell_flips_only_when_the_order_is_complete() {
    let mut e = engine(config(GridMode::Neutral));
    start(&mut e, dec!(30000));
    let f1 = fill_qty(&e, 2, dec!(0.006), "p1");
    assert!(places(&send(&mut e, EngineEvent::Fill(f1.clone()))).is_empty());
    // A repeated fill id is ignored.
    send(&mut e, EngineEvent::Fill(f1));
    let v = e.cell(2).unwrap();
    assert_eq!((v.filled, v.remaining, v.side), (dec!(0.006), dec!(0.0041), Side::Buy));
    assert_eq!(e.stats().fills, 1);
    // ideal_orders asks for the remainder under the same id.
    let ideal = e.ideal_orders();
    assert_eq!((ideal[2].qty, ideal[2].client_id.as_str()), (dec!(0.0041), "g7-2-0"));
    let f2 = fill_qty(&e, 2, dec!(0.0041), "p2");
    let p = send(&mut e, EngineEvent::Fill(f2));
    assert_eq!(places(&p)[0].client_id.as_str(), "g7-2-1");
    assert_eq!(e.cell(2).unwrap().side, Side::Sell);
    assert_eq!(e.stats().position_qty, dec!(0.0101));
}

#[test]
fn fills_of_unknown_or_stale_client_ids_are_ignored() {
    let mut e = engine(config(GridMode::Neutral));
    start(&mut e, dec!(30000));
    let mut f = fill_qty(&e, 1, dec!(0.0101), "a");
    send(&mut e, EngineEvent::Fill(f.clone()));
    // The same order again under another fill id: its generation is gone.
    f.id = "b".into();
    assert!(send(&mut e, EngineEvent::Fill(f.clone())).is_empty());
    f.client_id = ClientOrderId::grid(BotId(8), 1, 1);
    assert!(send(&mut e, EngineEvent::Fill(f.clone())).is_empty());
    f.client_id = ClientOrderId::new("manual-order");
    assert!(send(&mut e, EngineEvent::Fill(f)).is_empty());
    assert_eq!(e.stats().fills, 1);
}

#[test]
fn the_grid_waits_for_the_trigger_price() {
    let mut e = engine(config(GridMode::Neutral).with_trigger(Some(dec!(29000))));
    assert!(start(&mut e, dec!(31000)).is_empty());
    assert!(price(&mut e, dec!(29500)).is_empty());
    assert_eq!(e.phase(), EnginePhase::Waiting);
    let cmds = price(&mut e, dec!(28950));
    assert_eq!(e.phase(), EnginePhase::Active);
    assert_eq!(e.start_price(), dec!(28950));
    assert_eq!(places(&cmds).len(), 10);
}

#[test]
fn a_candle_passing_the_trigger_starts_the_grid_at_the_trigger_price() {
    let mut e = engine(config(GridMode::Long).with_trigger(Some(dec!(31000))));
    start(&mut e, dec!(30000));
    let candle = Candle {
        ts: 60_000,
        open: dec!(30000),
        high: dec!(31500),
        low: dec!(29900),
        close: dec!(31200),
        volume: dec!(1),
    };
    let cmds = send(&mut e, EngineEvent::Candle(candle));
    assert_eq!(e.phase(), EnginePhase::Active);
    assert_eq!(e.start_price(), dec!(31000));
    // Started at 31000: cells 6..9 above are bought at market.
    assert_eq!(places(&cmds)[0].qty, dec!(0.0404));
}

#[test]
fn the_stop_loss_cancels_every_order_closes_the_position_and_finishes() {
    let mut e = engine(config(GridMode::Long).with_stops(Some(dec!(24000)), Some(dec!(36000))));
    start(&mut e, dec!(30000));
    assert!(price(&mut e, dec!(24500)).is_empty());
    let cmds = price(&mut e, dec!(24000));
    let cancels = cmds.iter().filter(|c| matches!(c, Command::Cancel(_))).count();
    assert_eq!(cancels, 10);
    assert_eq!(cmds[10], Command::ClosePosition(ClientOrderId::action(BOT, "close", 0)));
    assert_eq!(cmds[11], Command::Finish(StopReason::StopLoss));
    assert_eq!(e.phase(), EnginePhase::Finished);
    assert!(e.ideal_orders().is_empty());
    assert!(price(&mut e, dec!(20000)).is_empty());
}

#[test]
fn the_take_profit_finishes_without_closing_when_close_on_stop_is_off() {
    let mut e = engine(
        config(GridMode::Short)
            .with_stops(Some(dec!(36000)), Some(dec!(24000)))
            .with_close_on_stop(false),
    );
    start(&mut e, dec!(30000));
    let cmds = price(&mut e, dec!(23999));
    assert!(!cmds.iter().any(|c| matches!(c, Command::ClosePosition(_))));
    assert_eq!(cmds.last(), Some(&Command::Finish(StopReason::TakeProfit)));
}

#[test]
fn leaving_the_range_stops_only_when_configured() {
    let mut keep = engine(config(GridMode::Neutral));
    start(&mut keep, dec!(30000));
    assert!(price(&mut keep, dec!(36000)).is_empty());
    assert_eq!(keep.phase(), EnginePhase::Active);

    let mut stop = engine(config(GridMode::Neutral).with_out_of_range(OutOfRange::Stop));
    start(&mut stop, dec!(30000));
    assert!(price(&mut stop, dec!(35000)).is_empty());
    let cmds = price(&mut stop, dec!(35000.1));
    // Neutral and untouched: nothing to close.
    assert!(!cmds.iter().any(|c| matches!(c, Command::ClosePosition(_))));
    assert_eq!(cmds.last(), Some(&Command::Finish(StopReason::OutOfRange)));
}

#[test]
fn stop_cancels_and_closes_while_trading_and_just_finishes_while_waiting() {
    let mut waiting = engine(config(GridMode::Long).with_trigger(Some(dec!(20000))));
    start(&mut waiting, dec!(30000));
    assert_eq!(
        send(&mut waiting, EngineEvent::Stop { ts: 5 }),
        vec![Command::Finish(StopReason::User)]
    );

    let mut e = engine(config(GridMode::Long));
    start(&mut e, dec!(30000));
    let cmds = send(&mut e, EngineEvent::Stop { ts: 5 });
    assert_eq!(cmds.len(), 12);
    assert!(matches!(cmds[10], Command::ClosePosition(_)));
    assert_eq!(e.stop_reason(), Some(StopReason::User));
    // A cell order filled in the cancel race is still booked.
    fill_cell(&mut e, 0, "late");
    assert_eq!(e.stats().fills, 1);
}

#[test]
fn a_fill_booked_after_a_flat_finish_is_closed_by_the_next_stop() {
    // Found by tests/serve_races.rs: a stop racing a start finished the grid
    // flat (no close due), a buy filled while its cancel was on the way, and
    // every later stop round sent nothing: the bot stayed `stopping` with
    // the position open.
    let mut e = engine(config(GridMode::Neutral));
    start(&mut e, dec!(30000));
    let cmds = send(&mut e, EngineEvent::Stop { ts: 2 });
    assert!(
        !cmds.iter().any(|c| matches!(c, Command::ClosePosition(_))),
        "flat: no close"
    );
    fill_cell(&mut e, 4, "late");
    assert_eq!(e.stats().position_qty, dec!(0.0101));
    assert_eq!(
        send(&mut e, EngineEvent::Stop { ts: 3 }),
        vec![Command::ClosePosition(ClientOrderId::action(BOT, "close", 0))]
    );
    // Unless the grid keeps its position on a stop.
    let mut keep = engine(config(GridMode::Neutral).with_close_on_stop(false));
    start(&mut keep, dec!(30000));
    send(&mut keep, EngineEvent::Stop { ts: 2 });
    fill_cell(&mut keep, 4, "late");
    assert!(send(&mut keep, EngineEvent::Stop { ts: 3 }).is_empty());
}

#[test]
fn a_rejected_order_is_placed_again_under_a_new_generation_on_the_next_price() {
    let mut e = engine(config(GridMode::Neutral));
    start(&mut e, dec!(30000));
    let refused = ClientOrderId::grid(BOT, 3, 0);
    let none = send(
        &mut e,
        EngineEvent::Rejected {
            client_id: refused.clone(),
            reason: "post only".into(),
            ts: 1,
        },
    );
    assert!(none.is_empty());
    assert!(!e.cell(3).unwrap().placed);
    assert_eq!(e.ideal_orders()[3].client_id.as_str(), "g7-3-1");
    let cmds = price(&mut e, dec!(30010));
    let p = places(&cmds);
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].client_id.as_str(), p[0].price), ("g7-3-1", Some(dec!(28000))));
    assert!(price(&mut e, dec!(30020)).is_empty());
    // A fill of the refused id is unknown.
    let mut f = fill_qty(&e, 3, dec!(0.0101), "z");
    f.client_id = refused;
    send(&mut e, EngineEvent::Fill(f));
    assert_eq!(e.stats().fills, 0);
}

#[test]
fn a_refused_close_is_retried_under_a_new_id_on_the_next_price() {
    let mut e = engine(config(GridMode::Neutral));
    start(&mut e, dec!(30000));
    fill_cell(&mut e, 4, "f1");
    send(&mut e, EngineEvent::Stop { ts: 2 });
    send(
        &mut e,
        EngineEvent::Rejected {
            client_id: ClientOrderId::action(BOT, "close", 0),
            reason: "busy".into(),
            ts: 3,
        },
    );
    assert_eq!(
        price(&mut e, dec!(30000)),
        vec![Command::ClosePosition(ClientOrderId::action(BOT, "close", 1))]
    );
}

#[test]
fn a_resume_re_sends_the_unfilled_initial_order_and_refused_orders() {
    let mut e = engine(config(GridMode::Long));
    start(&mut e, dec!(30000));
    let cmds = start(&mut e, dec!(30100));
    let p = places(&cmds);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].client_id.as_str(), "b7-init-0");
    // Refused: the market order and cell 2 go out once each under new ids.
    for id in [ClientOrderId::action(BOT, "init", 0), ClientOrderId::grid(BOT, 2, 0)] {
        send(
            &mut e,
            EngineEvent::Rejected {
                client_id: id,
                reason: "busy".into(),
                ts: 1,
            },
        );
    }
    let cmds = start(&mut e, dec!(30100));
    let ids: Vec<&str> = places(&cmds).iter().map(|r| r.client_id.as_str()).collect();
    assert_eq!(ids, ["b7-init-1", "g7-2-1"]);
}

#[test]
fn a_restored_snapshot_continues_exactly() {
    let mut a = engine(config(GridMode::Short).with_stops(Some(dec!(36000)), None));
    start(&mut a, dec!(30000));
    fill_cell(&mut a, 7, "f1");
    let f = fill_qty(&a, 2, dec!(0.005), "p1");
    send(&mut a, EngineEvent::Fill(f));
    let mut b = GridEngine::restore(&a.snapshot()).unwrap();
    assert_eq!(a, b);
    for e in [&mut a, &mut b] {
        fill_cell(e, 7, "f2");
    }
    let fa = fill_qty(&a, 2, dec!(0.0051), "p2");
    assert_eq!(
        send(&mut a, EngineEvent::Fill(fa.clone())),
        send(&mut b, EngineEvent::Fill(fa))
    );
    assert_eq!(a.stats(), b.stats());
    assert!(GridEngine::restore(&serde_json::json!({"x": 1})).is_err());
}

#[test]
fn cells_touched_finds_the_cells_with_a_line_in_the_interval() {
    let mut e = engine(config(GridMode::Neutral));
    start(&mut e, dec!(30000));
    assert_eq!(e.cells_touched(dec!(29500), dec!(30500)), 4..6);
    assert_eq!(e.cells_touched(dec!(29000), dec!(30000)), 3..6);
    assert_eq!(e.cells_touched(dec!(29100), dec!(29200)), 0..0);
    assert_eq!(e.cells_touched(dec!(1), dec!(99999)), 0..10);
    assert_eq!(e.cells_touched(dec!(35000), dec!(40000)), 9..10);
}

#[test]
fn invalid_settings_are_refused_naming_the_field() {
    let mut c = config(GridMode::Long);
    c.grids = 1;
    assert_eq!(
        GridEngine::new(BOT, c, Instrument::btcusdt()).unwrap_err().field,
        "grids"
    );
    let mut c = config(GridMode::Long);
    c.investment = dec!(1);
    assert_eq!(
        GridEngine::new(BOT, c, Instrument::btcusdt()).unwrap_err().field,
        "investment"
    );
}

#[test]
fn roi_and_apr_relate_total_pnl_to_the_investment() {
    assert_eq!(roi_pct(dec!(25), dec!(1000)), dec!(2.5));
    // 2.5 % in 73 days is 12.5 % a year.
    assert_eq!(apr_pct(dec!(2.5), 73 * 24 * 3_600_000), dec!(12.5));
    assert_eq!(apr_pct(dec!(2.5), 0), dec!(0));
}
