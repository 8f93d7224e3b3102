//! Invariants of the grid engine over random price paths and random fill
//! orders (proptest; failing cases are kept in
//! `proptest-regressions/grid_engine_props.txt`).
//!
//! A small simulated exchange in this file rests the engine's limit orders,
//! fills the ones each new price crosses — in random order, sometimes in two
//! partial fills, sometimes twice (same fill id), sometimes with a stale id —
//! fills market orders at once, and refuses some placements. After every
//! event the test checks:
//!
//! - each cell has exactly one order: resting on the exchange under the
//!   cell's current id, or (after a refusal) waiting for re-placement;
//! - no client id is ever placed twice;
//! - the engine's position equals the exchange's (sum of the distinct fills)
//!   and the sum of the holding cells, plus partial fills, minus what the
//!   initial market order still has to deliver;
//! - grid profit equals Σ over cells of round trips × that cell's profit per
//!   grid, `q·(P_c+1 − P_c) − maker·q·(P_c + P_c+1)`.

use std::collections::{BTreeMap, HashSet, VecDeque};

use gridbot_core::engine::grid::GridEngine;
use gridbot_core::engine::{BotEngine, Command, EngineEvent, EnginePhase};
use gridbot_core::grid::{cell_profit, GridConfig, GridMode, OutOfRange, Spacing};
use gridbot_core::model::{
    BotId, Candle, ClientOrderId, Fill, Instrument, Liquidity, OrderKind, OrderRequest, Side, Symbol,
};
use gridbot_core::Decimal;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rust_decimal_macros::dec;

const BOT: BotId = BotId(3);
const MAKER: Decimal = dec!(0.0002);
const TAKER: Decimal = dec!(0.0006);

fn instrument() -> Instrument {
    Instrument::new(
        Symbol::new("TESTUSDT").unwrap(),
        dec!(0.01),
        dec!(0.001),
        dec!(0.001),
        dec!(0),
        20,
        MAKER,
        TAKER,
        dec!(0.005),
    )
    .unwrap()
}

/// A resting order on the simulated exchange.
#[derive(Debug, Clone)]
struct Resting {
    cell: u32,
    side: Side,
    price: Decimal,
    remaining: Decimal,
}

/// The simulated exchange and the checks.
struct Sim {
    engine: GridEngine,
    book: BTreeMap<ClientOrderId, Resting>,
    placed: HashSet<ClientOrderId>,
    /// Ids whose orders completely filled (for stale-fill injection).
    done: Vec<(ClientOrderId, Side, Decimal)>,
    /// Signed quantity of every distinct fill sent.
    position: Decimal,
    price: Decimal,
    seq: u64,
    dice: Vec<u8>,
    roll: usize,
    finished: bool,
    queue: VecDeque<(EngineEvent, bool)>,
    draining: bool,
}

impl Sim {
    fn die(&mut self) -> u8 {
        let d = self.dice[self.roll % self.dice.len()];
        self.roll += 1;
        d
    }

    fn fill(&mut self, id: &ClientOrderId, side: Side, price: Decimal, qty: Decimal, fee_rate: Decimal) -> Fill {
        self.seq += 1;
        Fill::new(
            format!("f{}", self.seq),
            "o",
            id.clone(),
            self.engine.config().symbol.clone(),
            side,
            price,
            qty,
            price * qty * fee_rate,
            Liquidity::Maker,
            self.seq as i64,
        )
    }

    /// Sends one event, carries out its commands (market and closing fills
    /// they cause are sent next), and checks the invariants after each event.
    fn send(&mut self, event: EngineEvent) -> Result<(), TestCaseError> {
        self.queue.push_back((event, false));
        self.drain()
    }

    /// Sends a fill the engine must book (the exchange's position counts it).
    fn deliver(&mut self, f: Fill) -> Result<(), TestCaseError> {
        self.queue.push_back((EngineEvent::Fill(f), true));
        self.drain()
    }

    fn drain(&mut self) -> Result<(), TestCaseError> {
        if self.draining {
            return Ok(());
        }
        self.draining = true;
        while let Some((event, counts)) = self.queue.pop_front() {
            if let (EngineEvent::Fill(f), true) = (&event, counts) {
                self.position += f.side.sign() * f.qty;
            }
            let mut out = Vec::new();
            self.engine.on_event(&event, &mut out);
            for cmd in out {
                self.apply(cmd)?;
            }
            self.check()?;
        }
        self.draining = false;
        Ok(())
    }

    fn apply(&mut self, cmd: Command) -> Result<(), TestCaseError> {
        match cmd {
            Command::Place(req) => self.place(req),
            Command::Cancel(id) => {
                // Cancelling an order that was refused or filled meanwhile is a
                // harmless race; cancelling one never placed is a bug.
                prop_assert!(self.placed.contains(&id), "cancel of {} which was never placed", id);
                self.book.remove(&id);
                Ok(())
            }
            Command::ClosePosition(id) => {
                // Like the venues: closing a flat position trades nothing and
                // does not use the id up; a close that trades does.
                prop_assert!(!self.placed.contains(&id), "close id {} used twice", id);
                if !self.position.is_zero() {
                    self.placed.insert(id.clone());
                    let side = if self.position > Decimal::ZERO {
                        Side::Sell
                    } else {
                        Side::Buy
                    };
                    let f = self.fill(&id, side, self.price, self.position.abs(), TAKER);
                    self.deliver(f)?;
                }
                Ok(())
            }
            Command::Finish(_) => {
                self.finished = true;
                Ok(())
            }
            other => {
                prop_assert!(false, "unexpected command {:?}", other);
                Ok(())
            }
        }
    }

    fn place(&mut self, req: OrderRequest) -> Result<(), TestCaseError> {
        prop_assert!(
            self.placed.insert(req.client_id.clone()),
            "client id {} placed twice",
            req.client_id
        );
        prop_assert!(!self.finished, "placed {} after finishing", req.client_id);
        if self.die() < 20 {
            // Refused by the exchange.
            let mut out = Vec::new();
            self.engine.on_event(
                &EngineEvent::Rejected {
                    client_id: req.client_id.clone(),
                    reason: "refused".into(),
                    ts: 0,
                },
                &mut out,
            );
            prop_assert!(out.is_empty(), "a refusal answers nothing at once: {:?}", out);
            return Ok(());
        }
        match req.kind {
            OrderKind::Market => {
                let (first, second) = self.split(req.qty);
                let f = self.fill(&req.client_id, req.side, self.price, first, TAKER);
                self.deliver(f)?;
                if let Some(q) = second {
                    let f = self.fill(&req.client_id, req.side, self.price, q, TAKER);
                    self.deliver(f)?;
                }
            }
            OrderKind::Limit => {
                let cell = req.client_id.as_str().split('-').nth(1).unwrap().parse().unwrap();
                let price = req.price.unwrap();
                self.book.insert(
                    req.client_id.clone(),
                    Resting {
                        cell,
                        side: req.side,
                        price,
                        remaining: req.qty,
                    },
                );
            }
        }
        Ok(())
    }

    /// The quantity in one piece, or in two lot-sized partial fills.
    fn split(&mut self, qty: Decimal) -> (Decimal, Option<Decimal>) {
        let lot = dec!(0.001);
        let lots = (qty / lot).floor();
        if lots >= Decimal::TWO && self.die() < 100 {
            let first = (lots * Decimal::from(self.die() % 100 + 1) / dec!(101))
                .floor()
                .max(Decimal::ONE)
                * lot;
            (first, Some(qty - first))
        } else {
            (qty, None)
        }
    }

    /// Moves the price and fills every resting order it crosses.
    /// Moves the price (a price event, or a candle from the last price, and
    /// sometimes a resume `Start` first), then fills every resting order the
    /// new price crosses.
    fn move_to(&mut self, price: Decimal) -> Result<(), TestCaseError> {
        let d = self.die();
        if d < 12 {
            self.send(EngineEvent::Start {
                price: self.price,
                ts: 0,
            })?;
        }
        let open = self.price;
        self.price = price;
        if d.is_multiple_of(3) {
            let candle = Candle {
                ts: 0,
                open,
                high: (open.max(price) * dec!(1.01)).round_dp(2),
                low: (open.min(price) * dec!(0.99)).round_dp(2),
                close: price,
                volume: Decimal::ONE,
            };
            self.send(EngineEvent::Candle(candle))?;
        } else {
            self.send(EngineEvent::Price { price, ts: 0 })?;
        }
        for _ in 0..200 {
            let mut crossed: Vec<ClientOrderId> = self
                .book
                .iter()
                .filter(|(_, r)| match r.side {
                    Side::Buy => price <= r.price,
                    Side::Sell => price >= r.price,
                })
                .map(|(id, _)| id.clone())
                .collect();
            if crossed.is_empty() {
                return Ok(());
            }
            // A random order of the crossed orders.
            for i in (1..crossed.len()).rev() {
                let j = self.die() as usize % (i + 1);
                crossed.swap(i, j);
            }
            for id in crossed {
                let Some(r) = self.book.get(&id).cloned() else { continue };
                let (first, second) = self.split(r.remaining);
                let f = self.fill(&id, r.side, r.price, first, MAKER);
                if let Some(rest) = self.book.get_mut(&id) {
                    rest.remaining -= first;
                }
                let duplicate = self.die() < 40;
                if second.is_none() {
                    self.book.remove(&id);
                    self.done.push((id.clone(), r.side, r.price));
                }
                self.deliver(f.clone())?;
                if duplicate {
                    self.send(EngineEvent::Fill(f))?;
                }
                if self.die() < 25 && !self.done.is_empty() {
                    // A fill of an order that is already complete: stale.
                    let k = self.die() as usize % self.done.len();
                    let (old, side, px) = self.done[k].clone();
                    let f = self.fill(&old, side, px, dec!(0.001), MAKER);
                    self.send(EngineEvent::Fill(f))?;
                }
                // The second half fills after the others' first halves.
                if let Some(q) = second {
                    self.book.remove(&id);
                    self.done.push((id.clone(), r.side, r.price));
                    let f = self.fill(&id, r.side, r.price, q, MAKER);
                    self.deliver(f)?;
                }
            }
        }
        Ok(())
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let e = &self.engine;
        let stats = e.stats();
        prop_assert_eq!(
            stats.position_qty,
            self.position,
            "engine position vs the exchange's fills"
        );
        if e.phase() != EnginePhase::Active {
            return Ok(());
        }
        let q = e.qty_per_grid();
        let levels = e.levels();
        let mut expected = Decimal::ZERO;
        let mut grid_profit = Decimal::ZERO;
        let mut round_trips = 0;
        for cell in e.cells() {
            let resting: Vec<_> = self.book.iter().filter(|(_, r)| r.cell == cell.cell).collect();
            let pending = usize::from(!cell.placed);
            prop_assert_eq!(
                resting.len() + pending,
                1,
                "cell {} has {} resting orders",
                cell.cell,
                resting.len()
            );
            if let Some((id, r)) = resting.first() {
                prop_assert_eq!(*id, &cell.client_id(BOT));
                prop_assert_eq!((r.side, r.price), (cell.side, cell.price));
            }
            if cell.holding {
                expected += cell.home.sign() * q;
            }
            expected += cell.side.sign() * cell.filled;
            let (lo, hi) = (levels[cell.cell as usize], levels[cell.cell as usize + 1]);
            grid_profit += Decimal::from(cell.round_trips) * cell_profit(q, lo, hi, MAKER);
            round_trips += cell.round_trips;
            prop_assert_eq!(
                cell.profit,
                Decimal::from(cell.round_trips) * cell_profit(q, lo, hi, MAKER)
            );
        }
        if let Some((side, qty, filled)) = e.initial_order() {
            expected -= side.sign() * (qty - filled);
        }
        prop_assert_eq!(stats.position_qty, expected, "position vs holding cells");
        prop_assert_eq!(stats.grid_profit, grid_profit);
        prop_assert_eq!(stats.round_trips, round_trips);
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct Case {
    config: GridConfig,
    start: Decimal,
    path: Vec<i32>,
    dice: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just(GridMode::Long), Just(GridMode::Short), Just(GridMode::Neutral)],
        prop_oneof![Just(Spacing::Arithmetic), Just(Spacing::Geometric)],
        100u32..300,                                 // lower
        10u32..100,                                  // width, percent of lower
        2u32..=20,                                   // grids
        1000u32..5000,                               // investment
        1u32..=3,                                    // leverage
        0u32..=100,                                  // start, percent across the range
        prop::collection::vec(-300i32..=300, 1..60), // steps, thousandths of the range
        prop::collection::vec(any::<u8>(), 16..64),
        // stop out of range, trigger, stop-loss, take-profit (percent across the range)
        (
            any::<bool>(),
            prop::option::of(0i32..=100),
            prop::option::of(-50i32..=150),
            prop::option::of(-50i32..=150),
        ),
    )
        .prop_map(
            |(mode, spacing, lower, width, grids, investment, leverage, start, path, dice, (oor, trigger, sl, tp))| {
                let lower = Decimal::from(lower);
                let upper = lower + lower * Decimal::from(width) / dec!(100);
                let at = |pct: i32| (lower + (upper - lower) * Decimal::from(pct) / dec!(100)).round_dp(2);
                let config = GridConfig::new(
                    Symbol::new("TESTUSDT").unwrap(),
                    lower,
                    upper,
                    grids,
                    spacing,
                    mode,
                    Decimal::from(investment),
                    leverage,
                )
                .with_out_of_range(if oor { OutOfRange::Stop } else { OutOfRange::Keep })
                .with_trigger(trigger.map(at))
                .with_stops(sl.map(at), tp.map(at));
                Case {
                    config,
                    start: at(start as i32),
                    path,
                    dice,
                }
            },
        )
}

fn run(case: &Case) -> Result<Sim, TestCaseError> {
    let engine = GridEngine::new(BOT, case.config.clone(), instrument()).unwrap();
    let mut sim = Sim {
        engine,
        book: BTreeMap::new(),
        placed: HashSet::new(),
        done: Vec::new(),
        position: Decimal::ZERO,
        price: case.start,
        seq: 0,
        dice: case.dice.clone(),
        roll: 0,
        finished: false,
        queue: VecDeque::new(),
        draining: false,
    };
    sim.send(EngineEvent::Start {
        price: case.start,
        ts: 0,
    })?;
    let width = case.config.upper - case.config.lower;
    let mut price = case.start;
    for step in &case.path {
        price = (price + width * Decimal::from(*step) / dec!(1000))
            .max(dec!(1))
            .round_dp(2);
        sim.move_to(price)?;
    }
    Ok(sim)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/grid_engine_props.txt"
        )))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn invariants_hold_after_every_event_on_random_paths_and_fill_orders(case in case()) {
        run(&case)?;
    }

    #[test]
    fn stopping_cancels_every_resting_order_and_flattens_the_position(case in case()) {
        let mut sim = run(&case)?;
        let active = sim.engine.phase() == EnginePhase::Active;
        sim.send(EngineEvent::Stop { ts: 1 })?;
        prop_assert_eq!(sim.engine.phase(), EnginePhase::Finished);
        if active {
            prop_assert!(sim.book.is_empty(), "still resting: {:?}", sim.book.keys().collect::<Vec<_>>());
        }
        // A refused close is retried on the next price until it goes through.
        for _ in 0..20 {
            if sim.position.is_zero() {
                break;
            }
            let p = sim.price;
            sim.send(EngineEvent::Price { price: p, ts: 2 })?;
        }
        prop_assert!(sim.position.is_zero() || !active, "position {} left after stop", sim.position);
    }

    #[test]
    fn a_restored_engine_continues_identically(case in case(), cut in 0usize..60) {
        // Run part of the path, snapshot, and compare the rest on both.
        let cut = cut.min(case.path.len());
        let head = Case { path: case.path[..cut].to_vec(), ..case.clone() };
        let mut a = run(&head)?;
        let restored = GridEngine::restore(&a.engine.snapshot()).unwrap();
        prop_assert_eq!(&restored, &a.engine);
        let mut b = Sim { engine: restored, book: a.book.clone(), placed: a.placed.clone(), done: a.done.clone(),
            position: a.position, price: a.price, seq: a.seq, dice: a.dice.clone(), roll: a.roll, finished: a.finished,
            queue: VecDeque::new(), draining: false };
        let width = case.config.upper - case.config.lower;
        let mut price = a.price;
        for step in &case.path[cut..] {
            price = (price + width * Decimal::from(*step) / dec!(1000)).max(dec!(1)).round_dp(2);
            a.move_to(price)?;
            b.move_to(price)?;
        }
        prop_assert_eq!(&a.engine, &b.engine);
        prop_assert_eq!(a.engine.stats(), b.engine.stats());
    }
}
