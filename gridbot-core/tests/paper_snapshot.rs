//! Paper exchange: a snapshot restored into a fresh venue continues exactly
//! as the original (same final state, same events in the same order).

use futures::FutureExt;
use futures::StreamExt;
use gridbot_core::feed::read_candles;
use gridbot_core::model::{Candle, ClientOrderId, ExecutionEvent, Instrument, OrderRequest, Side, Symbol};
use gridbot_core::paper::{PaperAccount, PaperConfig, PaperExchange, PaperSnapshot};
use gridbot_core::ports::{Exchange, ExecutionStream};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/binance_ETHUSDT_1m.csv");

fn eth() -> Instrument {
    Instrument::new(
        Symbol::new("ETHUSDT").unwrap(),
        dec!(0.01),
        dec!(0.01),
        dec!(0.01),
        dec!(5),
        100,
        dec!(0.0002),
        dec!(0.0006),
        dec!(0.005),
    )
    .unwrap()
}

/// A tiny grid driver: on every new fill, place the opposite order one step
/// away; ids are deterministic from the fill's sequence number.
struct Driver {
    cursor: Option<gridbot_core::model::FillCursor>,
    step: Decimal,
}

impl Driver {
    async fn react(&mut self, a: &PaperAccount) {
        let sym = eth().symbol;
        let page = a.fills_since(&sym, self.cursor.clone()).await.unwrap();
        let mut reqs = Vec::new();
        for f in &page.fills {
            if f.is_liquidation {
                continue;
            }
            let (side, price) = match f.side {
                Side::Buy => (Side::Sell, f.price + self.step),
                Side::Sell => (Side::Buy, f.price - self.step),
            };
            reqs.push(OrderRequest::limit(
                ClientOrderId::new(format!("r-{}", f.id)),
                sym.clone(),
                side,
                price,
                f.qty,
            ));
        }
        if !reqs.is_empty() {
            a.place_orders(&reqs).await.unwrap();
        }
        self.cursor = page.next_cursor;
    }
}

fn drain(s: &mut ExecutionStream, out: &mut Vec<ExecutionEvent>) {
    // Unconstrained: tokio's cooperative budget would otherwise report
    // "pending" after 128 receives in a task that never yields.
    while let Some(Some(e)) = tokio::task::unconstrained(s.next()).now_or_never() {
        out.push(e);
    }
}

async fn run(
    venue: &PaperExchange,
    drivers: &mut [Driver],
    candles: &[Candle],
    streams: &mut [ExecutionStream],
) -> Vec<ExecutionEvent> {
    let sym = eth().symbol;
    let ids = ["grid", "shorty"];
    let mut events = Vec::new();
    for c in candles {
        venue.on_candle(&sym, c).unwrap();
        for (i, d) in drivers.iter_mut().enumerate() {
            d.react(&venue.account(ids[i]).unwrap()).await;
        }
        for s in streams.iter_mut() {
            drain(s, &mut events);
        }
    }
    events
}

/// Twenty buys below and twenty sells above `start`, `step` apart.
fn ladder(start: Decimal, step: Decimal) -> Vec<OrderRequest> {
    let sym = eth().symbol;
    let base = (start / step).floor() * step;
    let mut reqs = Vec::new();
    for i in 1..=20 {
        let off = step * Decimal::from(i);
        reqs.push(OrderRequest::limit(
            ClientOrderId::new(format!("b{i}")),
            sym.clone(),
            Side::Buy,
            base - off,
            dec!(0.1),
        ));
        reqs.push(OrderRequest::limit(
            ClientOrderId::new(format!("s{i}")),
            sym.clone(),
            Side::Sell,
            base + off,
            dec!(0.1),
        ));
    }
    reqs
}

#[tokio::test]
async fn a_restored_snapshot_continues_identically() {
    if !std::path::Path::new(DATA).exists() {
        eprintln!("skipping: {DATA} is absent");
        return;
    }
    let candles = read_candles(std::path::Path::new(DATA)).unwrap();
    let candles = &candles[..6000];
    let sym = eth().symbol;
    let venue = PaperExchange::with_instruments(PaperConfig::default(), [eth()]);
    venue.on_candle(&sym, &candles[0]).unwrap();
    let start = candles[0].close;

    let grid = venue.open_account("grid", dec!(5000)).unwrap();
    grid.set_leverage(&sym, 5).await.unwrap();
    let step = dec!(5);
    assert!(grid
        .place_orders(&ladder(start, step))
        .await
        .unwrap()
        .iter()
        .all(Result::is_ok));
    let shorty = venue.open_account("shorty", dec!(300)).unwrap();
    shorty.set_leverage(&sym, 20).await.unwrap();
    shorty
        .place_orders(&[OrderRequest::market(
            ClientOrderId::new("short"),
            sym.clone(),
            Side::Sell,
            dec!(2),
        )])
        .await
        .unwrap();

    let mut drivers = vec![Driver { cursor: None, step }, Driver { cursor: None, step }];
    let split = 3000;
    run(&venue, &mut drivers, &candles[1..split], &mut []).await;

    let snap = venue.snapshot();
    let json = serde_json::to_string(&snap).unwrap();
    let restored = PaperExchange::restore(serde_json::from_str::<PaperSnapshot>(&json).unwrap()).unwrap();
    assert_eq!(restored.snapshot(), snap);
    let mut drivers2: Vec<Driver> = drivers
        .iter()
        .map(|d| Driver {
            cursor: d.cursor.clone(),
            step: d.step,
        })
        .collect();

    let mut s1: Vec<ExecutionStream> = ["grid", "shorty"]
        .iter()
        .map(|id| venue.account(id).unwrap().execution_events())
        .collect();
    let mut s2: Vec<ExecutionStream> = ["grid", "shorty"]
        .iter()
        .map(|id| restored.account(id).unwrap().execution_events())
        .collect();
    let e1 = run(&venue, &mut drivers, &candles[split..], &mut s1).await;
    let e2 = run(&restored, &mut drivers2, &candles[split..], &mut s2).await;

    assert!(e1.len() > 1000, "the continuation trades: {} events", e1.len());
    assert_eq!(e1.len(), e2.len());
    assert!(e1 == e2, "the event streams differ");
    assert_eq!(venue.snapshot(), restored.snapshot());
    let fills = venue.account("grid").unwrap().fills().unwrap();
    assert!(fills.len() > 50, "{} grid fills", fills.len());
}

/// A crash between two saves: the venue restarts from an older snapshot
/// while the bot has booked fills (and moved its cursor) past it. After
/// `restore_for_restart` no fill made since the restart hides behind the
/// bot's cursor, and no new fill id repeats one the bot already holds.
#[tokio::test]
async fn a_restart_from_a_lagging_snapshot_loses_no_fill_and_reuses_no_id() {
    if !std::path::Path::new(DATA).exists() {
        eprintln!("skipping: {DATA} is absent");
        return;
    }
    let candles = read_candles(std::path::Path::new(DATA)).unwrap();
    let candles = &candles[..6000];
    let sym = eth().symbol;
    let venue = PaperExchange::with_instruments(PaperConfig::default(), [eth()]);
    venue.on_candle(&sym, &candles[0]).unwrap();
    let grid = venue.open_account("grid", dec!(5000)).unwrap();
    grid.set_leverage(&sym, 5).await.unwrap();
    let step = dec!(5);
    assert!(grid
        .place_orders(&ladder(candles[0].close, step))
        .await
        .unwrap()
        .iter()
        .all(Result::is_ok));

    // The saved snapshot, then trading the venue "forgets".
    let mut driver = Driver { cursor: None, step };
    let one = |d: Driver| vec![d, Driver { cursor: None, step }];
    let mut drivers = one(driver);
    let _ = venue.open_account("shorty", dec!(300)).unwrap();
    run(&venue, &mut drivers, &candles[1..2000], &mut []).await;
    let saved = venue.snapshot();
    let saved_fills = saved.accounts.iter().find(|a| a.id == "grid").unwrap().fills.len();
    run(&venue, &mut drivers, &candles[2000..3500], &mut []).await;
    driver = drivers.remove(0);
    let booked = venue.account("grid").unwrap().fills().unwrap();
    assert!(
        booked.len() > saved_fills + 10,
        "the lost stretch trades: {} vs {saved_fills}",
        booked.len()
    );
    let lost_cursor = driver.cursor.clone();

    // Restart from the old snapshot; the bot keeps its cursor.
    let restarted = PaperExchange::restore_for_restart(saved.clone(), "r1").unwrap();
    let mut drivers = one(driver);
    run(&restarted, &mut drivers, &candles[3500..], &mut []).await;
    let after: Vec<_> = restarted.account("grid").unwrap().fills().unwrap()[saved_fills..].to_vec();
    assert!(after.len() > 10, "the restarted venue trades: {}", after.len());

    // Everything since the restart is returned to the old cursor.
    let page = restarted
        .account("grid")
        .unwrap()
        .fills_since(&sym, lost_cursor.clone())
        .await
        .unwrap();
    let first_new = page.fills.first().map(|f| f.id.clone());
    assert_eq!(
        first_new,
        Some(after[0].id.clone()),
        "the first fill after the restart is not skipped"
    );
    // No new id repeats an id the bot booked before the crash.
    let old_ids: std::collections::HashSet<_> = booked.iter().map(|f| f.id.clone()).collect();
    assert!(after.iter().all(|f| !old_ids.contains(&f.id)), "a fill id was reused");
    assert!(
        after.iter().all(|f| f.id.contains("-r1-f")),
        "ids carry the restart label"
    );

    // A cursor from a stretch never saved (a second crash) still sees every
    // fill since the latest restart; a label cannot be used twice.
    assert!(PaperExchange::restore_for_restart(restarted.snapshot(), "r1").is_err());
    let again = PaperExchange::restore_for_restart(saved, "r2").unwrap();
    again.on_candle(&sym, &candles[3500]).unwrap();
    let unknown = Some(gridbot_core::model::FillCursor(format!("r1:{}", saved_fills + 5)));
    let page = again.account("grid").unwrap().fills_since(&sym, unknown).await.unwrap();
    let all = again.account("grid").unwrap().fills().unwrap();
    assert_eq!(
        page.fills.len(),
        all.len() - saved_fills,
        "every fill since the r2 restart"
    );
    // Malformed cursors are refused, not misread.
    assert!(again
        .account("grid")
        .unwrap()
        .fills_since(&sym, Some(gridbot_core::model::FillCursor("r2:x".into())))
        .await
        .is_err());
}
