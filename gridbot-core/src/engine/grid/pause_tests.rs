//! Unit tests of the grid engine's risk pause and resume: orders cancelled,
//! the position closed with the grid's own id (or kept), the closing fill
//! booked so that total PnL equals the cash the fills moved, and the resume
//! (cells where they were, or a rebuild from the current price) never
//! reusing a client id.

use std::collections::HashSet;

use rust_decimal_macros::dec;

use super::tests::{config, engine, fill_qty, places, price, send, start, BOT};
use super::*;
use crate::model::{Liquidity, OrderKind};

fn pause(e: &mut GridEngine, close_position: bool) -> Vec<Command> {
    send(e, EngineEvent::Pause { close_position, ts: 5 })
}

/// A taker fill (market or closing order) with a 0.06% fee.
fn taker(id: &str, client_id: ClientOrderId, side: Side, price: Decimal, qty: Decimal) -> Fill {
    Fill::new(
        id,
        "x",
        client_id,
        Instrument::btcusdt().symbol,
        side,
        price,
        qty,
        price * qty * dec!(0.0006),
        Liquidity::Taker,
        3,
    )
}

/// What the fills did to the account, marked at `last`: cash in from
/// sells, out for buys, the net position valued at `last`, minus fees.
fn cash_pnl(fills: &[Fill], last: Decimal) -> Decimal {
    let (mut cash, mut qty) = (Decimal::ZERO, Decimal::ZERO);
    for f in fills {
        match f.side {
            Side::Buy => {
                cash -= f.price * f.qty;
                qty += f.qty;
            }
            Side::Sell => {
                cash += f.price * f.qty;
                qty -= f.qty;
            }
        }
        cash -= f.fee;
    }
    cash + qty * last
}

/// `pnl` equals `cash` to 1e-12 USDT (the position's average entry is a
/// division Decimal rounds at 28 significant digits).
fn assert_exact(pnl: Decimal, cash: Decimal) {
    assert_eq!(
        pnl.round_dp(12),
        cash.round_dp(12),
        "equity change = realised + unrealised − fees"
    );
}

/// Every client id in `cmds`.
fn ids(cmds: &[Command]) -> Vec<String> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Place(r) => Some(r.client_id.as_str().to_owned()),
            Command::Cancel(id) | Command::ClosePosition(id) => Some(id.as_str().to_owned()),
            Command::Finish(_) => None,
        })
        .collect()
}

/// A long grid (25000–35000, 10 cells, stop-loss 26000) started at 30000
/// whose initial buy filled and whose cells 4 and 3 bought as the price
/// fell to 28500. Returns the engine, its fills and the ids it sent.
fn long_grid_holding() -> (GridEngine, Vec<Fill>, HashSet<String>) {
    let mut e = engine(config(GridMode::Long).with_stops(Some(dec!(26000)), None));
    let mut sent: HashSet<String> = ids(&start(&mut e, dec!(30000))).into_iter().collect();
    let init = taker(
        "m1",
        ClientOrderId::action(BOT, "init", 0),
        Side::Buy,
        dec!(30000),
        dec!(0.0505),
    );
    send(&mut e, EngineEvent::Fill(init.clone()));
    let mut fills = vec![init];
    for (cell, id) in [(4, "f1"), (3, "f2")] {
        let f = fill_qty(&e, cell, e.cell(cell).unwrap().remaining, id);
        sent.extend(ids(&send(&mut e, EngineEvent::Fill(f.clone()))));
        fills.push(f);
    }
    price(&mut e, dec!(28500));
    assert_eq!(e.stats().position_qty, dec!(0.0707));
    (e, fills, sent)
}

#[test]
fn a_closing_pause_cancels_every_cell_order_then_closes_with_the_grids_own_id() {
    let (mut e, _, _) = long_grid_holding();
    let placed: Vec<ClientOrderId> = e.cells().map(|c| c.client_id(BOT)).collect();
    let cmds = pause(&mut e, true);
    let mut expected: Vec<Command> = placed.into_iter().map(Command::Cancel).collect();
    expected.push(Command::ClosePosition(ClientOrderId::action(BOT, "close", 0)));
    assert_eq!(cmds, expected);
    assert!(e.is_paused());
    assert_eq!(
        e.phase(),
        EnginePhase::Active,
        "a paused grid still holds its allocation"
    );
    assert!(e.ideal_orders().is_empty(), "nothing should rest while paused");
    // A second pause asks for nothing more.
    assert!(pause(&mut e, true).is_empty());
}

#[test]
fn the_closing_fill_is_booked_and_leaves_every_cell_empty_with_exact_accounting() {
    let (mut e, mut fills, _) = long_grid_holding();
    let before = e.stats();
    pause(&mut e, true);
    let close = taker(
        "c1",
        ClientOrderId::action(BOT, "close", 0),
        Side::Sell,
        dec!(28400),
        dec!(0.0707),
    );
    assert!(send(&mut e, EngineEvent::Fill(close.clone())).is_empty());
    fills.push(close.clone());
    let s = e.stats();
    assert_eq!((s.position_qty, s.unrealized_pnl), (dec!(0), dec!(0)));
    assert_eq!(s.fills, fills.len() as u64);
    assert_exact(s.total_pnl(), cash_pnl(&fills, dec!(28400)));
    assert_eq!(s.fees, before.fees + close.fee);
    assert_eq!((s.round_trips, s.grid_profit), (before.round_trips, before.grid_profit));
    assert!(e
        .cells()
        .all(|c| !c.holding && !c.placed && c.filled.is_zero() && c.side == c.home));
    assert_eq!(e.initial_order(), None);
    // The same fill again is ignored.
    send(&mut e, EngineEvent::Fill(close));
    assert_eq!(e.stats(), s);
}

#[test]
fn prices_while_paused_trigger_nothing_not_even_the_stop_loss() {
    let (mut e, _, _) = long_grid_holding();
    pause(&mut e, false);
    assert!(price(&mut e, dec!(20000)).is_empty());
    let low = Candle {
        ts: 60_000,
        open: dec!(28000),
        high: dec!(28000),
        low: dec!(19000),
        close: dec!(19500),
        volume: dec!(1),
    };
    assert!(send(&mut e, EngineEvent::Candle(low)).is_empty());
    assert_eq!((e.phase(), e.stop_reason()), (EnginePhase::Active, None));
    assert_eq!(
        e.stats().last_price,
        dec!(19500),
        "unrealised PnL still follows the price"
    );
}

#[test]
fn a_resume_after_a_closing_pause_rebuilds_the_grid_from_the_current_price_under_new_ids() {
    let (mut e, mut fills, mut sent) = long_grid_holding();
    sent.extend(ids(&pause(&mut e, true)));
    let close = taker(
        "c1",
        ClientOrderId::action(BOT, "close", 0),
        Side::Sell,
        dec!(28400),
        dec!(0.0707),
    );
    send(&mut e, EngineEvent::Fill(close.clone()));
    fills.push(close);
    let booked = e.stats();

    let cmds = start(&mut e, dec!(28500));
    assert!(!e.is_paused());
    let p = places(&cmds);
    assert_eq!(p.len(), 11);
    // 28500 lies in cell 3: cells 4..9 are bought again at market, under a new id.
    assert_eq!(
        (p[0].kind, p[0].side, p[0].qty),
        (OrderKind::Market, Side::Buy, dec!(0.0606))
    );
    assert_eq!(p[0].client_id.as_str(), "b7-init-1");
    for (c, r) in p[1..].iter().enumerate() {
        let (side, line) = if c < 4 { (Side::Buy, c) } else { (Side::Sell, c + 1) };
        assert_eq!(
            (r.side, r.price, r.qty),
            (side, Some(e.levels()[line]), dec!(0.0101)),
            "cell {c}"
        );
    }
    for id in ids(&cmds) {
        assert!(!sent.contains(&id), "{id} was used before the pause");
    }
    assert_eq!(e.ideal_orders().len(), 10);
    assert_eq!(e.stats().total_pnl(), booked.total_pnl(), "a rebuild books nothing");
    assert_exact(e.stats().total_pnl(), cash_pnl(&fills, dec!(28500)));
    // The rebuilt grid trades on: the new market buy, then cell 5's sell.
    let init = taker(
        "m2",
        ClientOrderId::action(BOT, "init", 1),
        Side::Buy,
        dec!(28500),
        dec!(0.0606),
    );
    send(&mut e, EngineEvent::Fill(init.clone()));
    fills.push(init);
    let f = fill_qty(&e, 5, dec!(0.0101), "f3");
    send(&mut e, EngineEvent::Fill(f.clone()));
    fills.push(f);
    price(&mut e, dec!(31000));
    assert_eq!(e.stats().position_qty, dec!(0.0505));
    assert_exact(e.stats().total_pnl(), cash_pnl(&fills, dec!(31000)));
    // A later stop closes under the next closing id.
    let stop = send(&mut e, EngineEvent::Stop { ts: 9 });
    assert!(stop.contains(&Command::ClosePosition(ClientOrderId::action(BOT, "close", 1))));
}

#[test]
fn a_keeping_pause_keeps_the_position_and_the_resume_puts_every_cell_back_where_it_was() {
    let (mut e, mut fills, _) = long_grid_holding();
    let cmds = pause(&mut e, false);
    assert_eq!(cmds.len(), 10);
    assert!(cmds.iter().all(|c| matches!(c, Command::Cancel(_))));
    // Cell 2's buy filled before its cancel arrived: booked, not replaced.
    let racing = fill_qty(&e, 2, dec!(0.0101), "f3");
    assert!(send(&mut e, EngineEvent::Fill(racing.clone())).is_empty());
    fills.push(racing);
    assert_eq!(e.stats().position_qty, dec!(0.0808));
    let before: Vec<CellView> = e.cells().collect();

    let cmds = start(&mut e, dec!(27500));
    let p = places(&cmds);
    assert_eq!(p.len(), 10, "no market order, one order per cell");
    for (r, b) in p.iter().zip(&before) {
        assert_eq!((r.side, r.price, r.qty), (b.side, Some(b.price), b.remaining));
        assert_eq!(r.client_id, ClientOrderId::grid(BOT, b.cell, b.generation + 1));
    }
    assert_eq!(e.cell(2).unwrap().side, Side::Sell);
    assert_eq!(e.stats().position_qty, dec!(0.0808));
    assert_exact(e.stats().total_pnl(), cash_pnl(&fills, dec!(27500)));
}

#[test]
fn a_close_that_did_not_flatten_the_position_is_sent_again_under_a_new_id_before_the_rebuild() {
    let (mut e, _, _) = long_grid_holding();
    pause(&mut e, true);
    let refused = EngineEvent::Rejected {
        client_id: ClientOrderId::action(BOT, "close", 0),
        reason: "busy".into(),
        ts: 6,
    };
    assert!(send(&mut e, refused).is_empty(), "nothing is retried while paused");
    let cmds = start(&mut e, dec!(28500));
    assert_eq!(cmds[0], Command::ClosePosition(ClientOrderId::action(BOT, "close", 1)));
    assert_eq!(places(&cmds)[0].client_id.as_str(), "b7-init-1");
}

#[test]
fn a_resume_beyond_the_stop_loss_stops_the_grid() {
    let (mut e, _, _) = long_grid_holding();
    pause(&mut e, false);
    let cmds = start(&mut e, dec!(25900));
    assert_eq!(
        cmds,
        vec![
            Command::ClosePosition(ClientOrderId::action(BOT, "close", 0)),
            Command::Finish(StopReason::StopLoss)
        ]
    );
    assert!(!e.is_paused());
}

#[test]
fn a_stop_while_paused_closes_without_cancelling_again() {
    let (mut e, _, _) = long_grid_holding();
    pause(&mut e, false);
    let cmds = send(&mut e, EngineEvent::Stop { ts: 9 });
    assert_eq!(
        cmds,
        vec![
            Command::ClosePosition(ClientOrderId::action(BOT, "close", 0)),
            Command::Finish(StopReason::User)
        ]
    );
}

#[test]
fn a_grid_paused_while_waiting_for_its_trigger_keeps_waiting_after_the_resume() {
    let mut e = engine(config(GridMode::Neutral).with_trigger(Some(dec!(31000))));
    start(&mut e, dec!(30000));
    assert!(pause(&mut e, true).is_empty());
    assert!(price(&mut e, dec!(31500)).is_empty(), "no trigger while paused");
    assert!(start(&mut e, dec!(30500)).is_empty());
    assert_eq!(e.phase(), EnginePhase::Waiting);
    assert_eq!(places(&price(&mut e, dec!(31000))).len(), 10);
}

#[test]
fn a_paused_grid_restored_from_its_snapshot_resumes_identically() {
    let (mut a, _, _) = long_grid_holding();
    pause(&mut a, true);
    let mut b = GridEngine::restore(&a.snapshot()).unwrap();
    assert_eq!(a, b);
    assert!(b.is_paused());
    assert_eq!(start(&mut a, dec!(29000)), start(&mut b, dec!(29000)));
}
