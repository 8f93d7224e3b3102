use rust_decimal_macros::dec;

use super::*;
use crate::model::{Interval, Liquidity, OrderKind, Symbol};

fn config(direction: TrendDirection, interval: Interval) -> TrendConfig {
    TrendConfig::new(
        Symbol::new("BTCUSDT").unwrap(),
        interval,
        2,
        4,
        direction,
        5,
        dec!(2),
        dec!(4),
        dec!(1000),
    )
}

fn engine(direction: TrendDirection) -> TrendEngine {
    let mut e = TrendEngine::new(BotId(1), config(direction, Interval::M1), Instrument::btcusdt()).unwrap();
    let mut out = Vec::new();
    e.on_event(
        &EngineEvent::Start {
            price: dec!(100),
            ts: 0,
        },
        &mut out,
    );
    assert!(out.is_empty());
    e
}

fn candle(min: i64, close: Decimal) -> Candle {
    Candle {
        ts: min * 60_000,
        open: close,
        high: close,
        low: close,
        close,
        volume: dec!(1),
    }
}

fn feed(e: &mut TrendEngine, start_min: i64, closes: &[Decimal]) -> Vec<Command> {
    let mut out = Vec::new();
    for (i, c) in closes.iter().enumerate() {
        e.on_event(&EngineEvent::Candle(candle(start_min + i as i64, *c)), &mut out);
    }
    out
}

fn fill(id: &str, cid: ClientOrderId, side: Side, price: Decimal, qty: Decimal, fee: Decimal) -> Fill {
    Fill::new(
        id,
        "o",
        cid,
        Symbol::new("BTCUSDT").unwrap(),
        side,
        price,
        qty,
        fee,
        Liquidity::Taker,
        0,
    )
}

const DOWN: [Decimal; 5] = [dec!(30000), dec!(29900), dec!(29800), dec!(29700), dec!(29600)];

fn place(cmds: &[Command]) -> &OrderRequest {
    match cmds {
        [Command::Place(r)] => r,
        other => panic!("expected one Place, got {other:?}"),
    }
}

#[test]
fn long_bot_buys_at_market_on_a_cross_up_of_closed_candles() {
    let mut e = engine(TrendDirection::Long);
    assert!(feed(&mut e, 0, &DOWN).is_empty());
    let cmds = feed(&mut e, 5, &[dec!(30500)]);
    let r = place(&cmds);
    assert_eq!((r.side, r.kind), (Side::Buy, OrderKind::Market));
    assert_eq!(r.client_id.as_str(), "b1-open-1");
    // investment 1000 / (1/5 + 2 * 0.0006) / 30500 = 0.16298.. -> 0.1629
    assert_eq!(r.qty, dec!(0.1629));
    // SL 2 % below, TP 4 % above, snapped towards the entry.
    assert_eq!(r.preset_stop_loss, Some(dec!(29890)));
    assert_eq!(r.preset_take_profit, Some(dec!(31720)));
}

#[test]
fn no_signal_before_start_or_before_the_slow_ema_is_ready() {
    let mut e = TrendEngine::new(
        BotId(1),
        config(TrendDirection::Long, Interval::M1),
        Instrument::btcusdt(),
    )
    .unwrap();
    let mut closes = DOWN.to_vec();
    closes.push(dec!(31000));
    assert!(feed(&mut e, 0, &closes).is_empty(), "not started");
    let mut e = engine(TrendDirection::Long);
    assert!(
        feed(&mut e, 0, &[dec!(100), dec!(90), dec!(200)]).is_empty(),
        "slow EMA not ready"
    );
}

#[test]
fn signals_use_the_configured_interval_not_every_minute() {
    let mut e = TrendEngine::new(
        BotId(1),
        config(TrendDirection::Long, Interval::M5),
        Instrument::btcusdt(),
    )
    .unwrap();
    e.on_event(&EngineEvent::Start { price: dec!(1), ts: 0 }, &mut Vec::new());
    for (k, c) in DOWN.iter().enumerate() {
        // Five minutes per interval; only the fifth close counts.
        let mut closes = vec![dec!(99999); 4];
        closes.push(*c);
        assert!(feed(&mut e, k as i64 * 5, &closes).is_empty());
    }
    let mut closes = vec![dec!(1); 4];
    assert!(feed(&mut e, 25, &closes).is_empty(), "interval still open");
    closes = vec![dec!(30500)];
    assert_eq!(place(&feed(&mut e, 29, &closes)).side, Side::Buy);
}

#[test]
fn short_bot_sells_on_a_cross_down_and_exits_on_the_cross_up() {
    let mut e = engine(TrendDirection::Short);
    let up = [dec!(29600), dec!(29700), dec!(29800), dec!(29900), dec!(30000)];
    assert!(feed(&mut e, 0, &up).is_empty());
    let cmds = feed(&mut e, 5, &[dec!(29500)]);
    let r = place(&cmds).clone();
    assert_eq!(r.side, Side::Sell);
    assert_eq!(r.preset_stop_loss, Some(dec!(30090)));
    e.on_event(
        &EngineEvent::Fill(fill("f1", r.client_id, Side::Sell, dec!(29500), r.qty, dec!(1))),
        &mut Vec::new(),
    );
    assert_eq!(e.stats().position_qty, -r.qty);
    let cmds = feed(&mut e, 6, &[dec!(30500)]);
    assert_eq!(cmds, vec![Command::ClosePosition(ClientOrderId::new("b1-close-1"))]);
}

#[test]
fn stop_loss_closes_the_trade_locally_and_the_bot_waits_for_the_next_signal() {
    let mut e = engine(TrendDirection::Long);
    feed(&mut e, 0, &DOWN);
    let r = place(&feed(&mut e, 5, &[dec!(30000)])).clone();
    let mut out = Vec::new();
    e.on_event(
        &EngineEvent::Fill(fill("f1", r.client_id, Side::Buy, dec!(30000), r.qty, dec!(2))),
        &mut out,
    );
    e.on_event(
        &EngineEvent::Price {
            price: dec!(29401),
            ts: 1,
        },
        &mut out,
    );
    assert!(out.is_empty(), "above the stop");
    e.on_event(
        &EngineEvent::Price {
            price: dec!(29400),
            ts: 2,
        },
        &mut out,
    );
    assert_eq!(out, vec![Command::ClosePosition(ClientOrderId::new("b1-close-1"))]);
    e.on_event(
        &EngineEvent::Fill(fill(
            "f2",
            ClientOrderId::new("b1-close-1"),
            Side::Sell,
            dec!(29400),
            r.qty,
            dec!(2),
        )),
        &mut Vec::new(),
    );
    let s = e.stats();
    assert_eq!(s.position_qty, dec!(0));
    assert_eq!((s.round_trips, s.wins, s.fills), (1, 0, 2));
    assert_eq!(s.realized_pnl, r.qty * dec!(-600));
    assert_eq!(s.total_pnl(), r.qty * dec!(-600) - dec!(4));
    assert_eq!(e.phase(), EnginePhase::Active);
}

#[test]
fn take_profit_is_enforced_on_the_candle_high() {
    let mut e = engine(TrendDirection::Long);
    feed(&mut e, 0, &DOWN);
    let r = place(&feed(&mut e, 5, &[dec!(30000)])).clone();
    e.on_event(
        &EngineEvent::Fill(fill("f1", r.client_id, Side::Buy, dec!(30000), r.qty, dec!(0))),
        &mut Vec::new(),
    );
    let mut c = candle(6, dec!(30100));
    c.high = dec!(31200);
    let mut out = Vec::new();
    e.on_event(&EngineEvent::Candle(c), &mut out);
    assert_eq!(out, vec![Command::ClosePosition(ClientOrderId::new("b1-close-1"))]);
}

#[test]
fn a_winning_trade_counts_as_a_win_after_fees_and_ids_move_to_the_next_trade() {
    let mut e = engine(TrendDirection::Long);
    feed(&mut e, 0, &DOWN);
    let r = place(&feed(&mut e, 5, &[dec!(30000)])).clone();
    let q = r.qty;
    e.on_event(
        &EngineEvent::Fill(fill("f1", r.client_id, Side::Buy, dec!(30000), q, dec!(1))),
        &mut Vec::new(),
    );
    e.on_event(
        &EngineEvent::Fill(fill(
            "f2",
            ClientOrderId::new("b1-close-1"),
            Side::Sell,
            dec!(30100),
            q,
            dec!(1),
        )),
        &mut Vec::new(),
    );
    let s = e.stats();
    assert_eq!((s.round_trips, s.wins), (1, 1));
    assert_eq!(s.win_rate_pct(), dec!(100));
    // Next entry uses trade number 2.
    let cmds = feed(&mut e, 6, &DOWN);
    assert!(cmds.is_empty());
    assert_eq!(place(&feed(&mut e, 11, &[dec!(30500)])).client_id.as_str(), "b1-open-2");
}

#[test]
fn stop_closes_an_open_position_and_finishes() {
    let mut e = engine(TrendDirection::Long);
    feed(&mut e, 0, &DOWN);
    let r = place(&feed(&mut e, 5, &[dec!(30000)])).clone();
    e.on_event(
        &EngineEvent::Fill(fill("f1", r.client_id, Side::Buy, dec!(30000), r.qty, dec!(0))),
        &mut Vec::new(),
    );
    let mut out = Vec::new();
    e.on_event(&EngineEvent::Stop { ts: 9 }, &mut out);
    assert_eq!(
        out,
        vec![
            Command::ClosePosition(ClientOrderId::new("b1-close-1")),
            Command::Finish(StopReason::User)
        ]
    );
    assert_eq!(e.phase(), EnginePhase::Finished);
    out.clear();
    feed(&mut e, 6, &[dec!(1), dec!(50000), dec!(1)]);
    // Stopped again before the close filled (a restart after a crash): the
    // same close goes out again under the same id, never a new one.
    e.on_event(&EngineEvent::Stop { ts: 10 }, &mut out);
    assert_eq!(out, vec![Command::ClosePosition(ClientOrderId::new("b1-close-1"))]);
    e.on_event(
        &EngineEvent::Fill(fill(
            "f2",
            ClientOrderId::new("b1-close-1"),
            Side::Sell,
            dec!(30100),
            r.qty,
            dec!(0),
        )),
        &mut Vec::new(),
    );
    out.clear();
    e.on_event(&EngineEvent::Stop { ts: 11 }, &mut out);
    assert!(out.is_empty(), "a finished, flat bot issues nothing");
}

#[test]
fn a_flat_stopped_bot_only_finishes() {
    let mut e = engine(TrendDirection::Short);
    let mut out = Vec::new();
    e.on_event(&EngineEvent::Stop { ts: 9 }, &mut out);
    assert_eq!(out, vec![Command::Finish(StopReason::User)]);
}

#[test]
fn a_refused_entry_returns_to_flat_and_never_reuses_the_id() {
    let mut e = engine(TrendDirection::Long);
    feed(&mut e, 0, &DOWN);
    let r = place(&feed(&mut e, 5, &[dec!(30000)])).clone();
    let ev = EngineEvent::Rejected {
        client_id: r.client_id,
        reason: "insufficient balance".into(),
        ts: 1,
    };
    e.on_event(&ev, &mut Vec::new());
    feed(&mut e, 6, &DOWN);
    assert_eq!(place(&feed(&mut e, 11, &[dec!(30500)])).client_id.as_str(), "b1-open-2");
}

#[test]
fn resume_reissues_the_unfilled_entry_under_the_same_id() {
    let mut e = engine(TrendDirection::Long);
    feed(&mut e, 0, &DOWN);
    let r = place(&feed(&mut e, 5, &[dec!(30000)])).clone();
    let mut restored = TrendEngine::restore(&e.snapshot()).unwrap();
    assert_eq!(restored, e);
    let mut out = Vec::new();
    restored.on_event(
        &EngineEvent::Start {
            price: dec!(30000),
            ts: 2,
        },
        &mut out,
    );
    assert_eq!(place(&out).client_id, r.client_id);
}

#[test]
fn a_signal_too_small_for_the_minimums_is_skipped_and_counted() {
    let mut c = config(TrendDirection::Long, Interval::M1);
    c.investment = dec!(0.5);
    c.leverage = 1;
    let mut e = TrendEngine::new(BotId(1), c, Instrument::btcusdt()).unwrap();
    e.on_event(&EngineEvent::Start { price: dec!(1), ts: 0 }, &mut Vec::new());
    feed(&mut e, 0, &DOWN);
    assert!(feed(&mut e, 5, &[dec!(30500)]).is_empty());
    assert_eq!(e.skipped_signals(), 1);
}

#[test]
fn invalid_settings_are_refused_with_the_field_named() {
    let mut c = config(TrendDirection::Long, Interval::M1);
    c.fast_period = 4;
    assert_eq!(
        TrendEngine::new(BotId(1), c, Instrument::btcusdt()).unwrap_err().field,
        "fast_period"
    );
    let mut c = config(TrendDirection::Long, Interval::M1);
    c.leverage = 126;
    assert_eq!(
        TrendEngine::new(BotId(1), c, Instrument::btcusdt()).unwrap_err().field,
        "leverage"
    );
    let mut c = config(TrendDirection::Long, Interval::M1);
    c.stop_loss_pct = dec!(-1);
    assert_eq!(
        TrendEngine::new(BotId(1), c, Instrument::btcusdt()).unwrap_err().field,
        "stop_loss_pct"
    );
}

#[test]
fn warm_up_makes_the_emas_ready_without_trading() {
    let mut e = engine(TrendDirection::Long);
    let hist: Vec<Candle> = DOWN.iter().enumerate().map(|(i, c)| candle(i as i64, *c)).collect();
    e.warm_up(&hist);
    assert!(e.emas().1.is_some());
    assert_eq!(place(&feed(&mut e, 5, &[dec!(30500)])).side, Side::Buy);
}

#[test]
fn booking_an_entry_fill_before_or_after_its_candle_leads_to_the_same_state() {
    let mut a = engine(TrendDirection::Long);
    feed(&mut a, 0, &DOWN);
    let mut b = TrendEngine::restore(&a.snapshot()).unwrap();
    let mut c5 = candle(5, dec!(30000));
    c5.low = dec!(20000); // far below any stop, but before the entry
    let mut out = Vec::new();
    a.on_event(&EngineEvent::Candle(c5), &mut out);
    let r = place(&out).clone();
    let mut f = fill("f1", r.client_id.clone(), Side::Buy, dec!(30000), r.qty, dec!(1));
    f.ts = 5 * 60_000 + 59_999;
    a.on_event(&EngineEvent::Fill(f.clone()), &mut Vec::new());
    // The restarted runner books the fill first, then sees the candle again.
    b.on_event(&EngineEvent::Fill(f), &mut Vec::new());
    let mut out_b = Vec::new();
    b.on_event(&EngineEvent::Candle(c5), &mut out_b);
    assert!(
        out_b.is_empty(),
        "no stop from extremes before the entry, no second entry"
    );
    assert_eq!(a.stats(), b.stats());
    assert_eq!(a.snapshot(), b.snapshot());
}

#[test]
fn no_entry_on_the_candle_that_closed_the_previous_trade() {
    let mut e = engine(TrendDirection::Long);
    feed(&mut e, 0, &DOWN);
    let r = place(&feed(&mut e, 5, &[dec!(30000)])).clone();
    let mut f = fill("f1", r.client_id, Side::Buy, dec!(30000), r.qty, dec!(0));
    f.ts = 5 * 60_000 + 59_999;
    e.on_event(&EngineEvent::Fill(f), &mut Vec::new());
    feed(&mut e, 6, &DOWN);
    // Closed (say by an exchange stop) during minute 11...
    let mut f = fill(
        "f2",
        ClientOrderId::new("x-stop"),
        Side::Sell,
        dec!(29000),
        r.qty,
        dec!(0),
    );
    f.ts = 11 * 60_000 + 20_000;
    e.on_event(&EngineEvent::Fill(f), &mut Vec::new());
    // ... so minute 11's cross up does not re-enter; the next one may.
    assert!(feed(&mut e, 11, &[dec!(31000)]).is_empty());
    assert_eq!(e.stats().round_trips, 1);
}

fn send(e: &mut TrendEngine, event: EngineEvent) -> Vec<Command> {
    let mut out = Vec::new();
    e.on_event(&event, &mut out);
    out
}

/// A long bot holding the position of its first trade (bought at 30000).
fn long_in_position() -> (TrendEngine, OrderRequest) {
    let mut e = engine(TrendDirection::Long);
    feed(&mut e, 0, &DOWN);
    let r = place(&feed(&mut e, 5, &[dec!(30000)])).clone();
    let f = fill("f1", r.client_id.clone(), Side::Buy, dec!(30000), r.qty, dec!(2));
    send(&mut e, EngineEvent::Fill(f));
    (e, r)
}

#[test]
fn a_closing_pause_closes_with_the_trades_own_id_and_books_the_exit() {
    let (mut e, r) = long_in_position();
    let cmds = send(
        &mut e,
        EngineEvent::Pause {
            close_position: true,
            ts: 9,
        },
    );
    assert_eq!(cmds, vec![Command::ClosePosition(ClientOrderId::new("b1-close-1"))]);
    assert!(e.is_paused());
    let close = fill(
        "f2",
        ClientOrderId::new("b1-close-1"),
        Side::Sell,
        dec!(29500),
        r.qty,
        dec!(2),
    );
    send(&mut e, EngineEvent::Fill(close));
    let s = e.stats();
    assert_eq!((s.position_qty, s.round_trips), (dec!(0), 1));
    assert_eq!(s.total_pnl(), r.qty * dec!(-500) - dec!(4));
    // No entry while paused, even on a cross up.
    assert!(feed(&mut e, 6, &DOWN).is_empty());
    assert!(feed(&mut e, 11, &[dec!(30500)]).is_empty());
    // After the resume the next cross enters under trade number 2.
    assert!(send(
        &mut e,
        EngineEvent::Start {
            price: dec!(30500),
            ts: 12
        }
    )
    .is_empty());
    feed(&mut e, 12, &DOWN);
    assert_eq!(place(&feed(&mut e, 17, &[dec!(30500)])).client_id.as_str(), "b1-open-2");
}

#[test]
fn a_keeping_pause_sends_nothing_and_enforces_no_stop_until_the_resume() {
    let (mut e, _) = long_in_position();
    let pause = EngineEvent::Pause {
        close_position: false,
        ts: 9,
    };
    assert!(send(&mut e, pause).is_empty());
    assert!(send(
        &mut e,
        EngineEvent::Price {
            price: dec!(29000),
            ts: 10
        }
    )
    .is_empty());
    assert!(!e.stats().position_qty.is_zero());
    assert!(send(
        &mut e,
        EngineEvent::Start {
            price: dec!(29000),
            ts: 11
        }
    )
    .is_empty());
    assert_eq!(
        send(
            &mut e,
            EngineEvent::Price {
                price: dec!(29000),
                ts: 12
            }
        ),
        vec![Command::ClosePosition(ClientOrderId::new("b1-close-1"))]
    );
}

#[test]
fn a_pause_close_that_found_no_position_ends_the_trade_on_resume() {
    let mut e = engine(TrendDirection::Long);
    feed(&mut e, 0, &DOWN);
    place(&feed(&mut e, 5, &[dec!(30000)]));
    // The entry's fill is not seen yet: the pause closes anyway.
    let cmds = send(
        &mut e,
        EngineEvent::Pause {
            close_position: true,
            ts: 9,
        },
    );
    assert_eq!(cmds, vec![Command::ClosePosition(ClientOrderId::new("b1-close-1"))]);
    // Nothing was there to close: the resume spends the trade's ids.
    assert!(send(
        &mut e,
        EngineEvent::Start {
            price: dec!(30000),
            ts: 10
        }
    )
    .is_empty());
    feed(&mut e, 6, &DOWN);
    assert_eq!(place(&feed(&mut e, 11, &[dec!(30500)])).client_id.as_str(), "b1-open-2");
}
