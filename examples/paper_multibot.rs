//! Five bots at once — three grids (neutral, long, short) and two EMA trend
//! bots — on the simulated market for one simulated day, then a per-bot PnL
//! table and the account summary.
//!
//! `cargo run --example paper_multibot` (no keys; well under a minute).
//!
//! The day runs as fast as the bots keep up: a [`ManualClock`] stands in for
//! time, the market is stepped one minute at a time
//! ([`GridbotBuilder::step_market_manually`](gridbot::GridbotBuilder::step_market_manually)),
//! and each minute waits until every bot has handled its candle. The
//! simulated market is seeded, so every run trades the same day.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gridbot::core::balance::Investment;
use gridbot::core::clock::ManualClock;
use gridbot::core::feed::SimConfig;
use gridbot::core::grid::{GridConfig, GridMode, Spacing};
use gridbot::core::model::{Bot, BotKind, BotSource, Rounding, Symbol, TrendDirection, UserId};
use gridbot::{Decimal, Gridbot};

/// Minutes in the simulated day.
const DAY_MINUTES: u32 = 1_440;
/// 2025-01-01 00:00 UTC: where the simulated day starts.
const START_MS: i64 = 1_735_689_600_000;

type Error = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let clock = Arc::new(ManualClock::new(START_MS));
    let symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT"];
    let gridbot = Gridbot::builder()
        .clock(clock.clone())
        .paper(Decimal::from(10_000))
        // Two days of history: the trend bots warm their EMAs up on it.
        .sim_market(SimConfig::default().with_symbols(&symbols).with_history_days(2))
        .step_market_manually()
        .build()
        .await?;
    let trader = gridbot.ensure_user("trader").await?;

    start_grid(&gridbot, trader, "BTCUSDT", GridMode::Neutral, 3).await?;
    start_grid(&gridbot, trader, "ETHUSDT", GridMode::Long, 4).await?;
    start_grid(&gridbot, trader, "SOLUSDT", GridMode::Short, 5).await?;
    start_trend(&gridbot, trader, "XRPUSDT", TrendDirection::Long).await?;
    start_trend(&gridbot, trader, "DOGEUSDT", TrendDirection::Short).await?;

    let sim = gridbot.sim_market().ok_or("the simulated market is not running")?;
    let began = Instant::now();
    for minute in 1..=DAY_MINUTES {
        // The candle of the minute that just ended, then time moves past it.
        let ts = sim.next_candle_ts();
        clock.set(ts + 60_000);
        let closes: Vec<_> = sim.step()?.into_iter().map(|(s, c)| (s, c.close)).collect();
        gridbot.wait_for_bots(trader, &closes, Duration::from_secs(5)).await?;
        if minute % 240 == 0 {
            let s = gridbot.manager().summary(trader).await?;
            println!(
                "{:02}:00  equity {:>10.2} USDT  bots' PnL {:>8.2} USDT",
                minute / 60,
                s.total_balance,
                s.total_pnl
            );
        }
    }
    println!("simulated a day in {:.1} s\n", began.elapsed().as_secs_f64());

    print_table(&gridbot.manager().list_bots(trader, None).await?);
    let s = gridbot.manager().summary(trader).await?;
    println!("\naccount summary");
    println!("  equity        {:>10.2} USDT", s.total_balance);
    println!("  allocated     {:>10.2} USDT", s.used_amount);
    println!("  available     {:>10.2} USDT", s.available_amount);
    println!("  active bots   {:>10} of {}", s.active_bot_count, s.max_bot_count);
    println!(
        "  bots' PnL     {:>10.2} USDT ({:.2} % of the allocation)",
        s.total_pnl, s.total_pnl_percent
    );

    // Stopping closes every position: the PnL is booked into the wallet.
    for bot in gridbot.manager().list_bots(trader, None).await? {
        gridbot.manager().stop_bot(trader, bot.id).await?;
    }
    let balance = gridbot.exchange_for(trader).await?.balance().await?;
    println!("  after stopping every bot: {:.2} USDT", balance.equity);
    gridbot.shutdown().await;
    Ok(())
}

/// A grid `width_pct` % either side of the price: 30 cells, 1500 USDT at 3x.
async fn start_grid(g: &Gridbot, user: UserId, symbol: &str, mode: GridMode, width_pct: i64) -> Result<(), Error> {
    let symbol = Symbol::new(symbol)?;
    let price = g.market().last_price(&symbol).await?;
    let rules = g
        .instruments()
        .iter()
        .find(|i| i.symbol == symbol)
        .ok_or("unknown symbol")?;
    let lower = rules.round_price(price * (Decimal::ONE - Decimal::new(width_pct, 2)), Rounding::Down);
    let upper = rules.round_price(price * (Decimal::ONE + Decimal::new(width_pct, 2)), Rounding::Up);
    let config = GridConfig::new(
        symbol,
        lower,
        upper,
        30,
        Spacing::Geometric,
        mode,
        Decimal::from(1_500),
        3,
    );
    g.manager().start_grid(user, config, BotSource::Manual).await?;
    Ok(())
}

/// A trend bot from the default EMA 9/21 template of `symbol`, 1000 USDT.
async fn start_trend(g: &Gridbot, user: UserId, symbol: &str, direction: TrendDirection) -> Result<(), Error> {
    let template = g
        .manager()
        .templates()
        .await?
        .into_iter()
        .find(|t| t.symbol.as_str() == symbol && t.direction == direction && t.is_active)
        .ok_or("no such template")?;
    let amount = Investment::Amount(Decimal::from(1_000));
    g.manager().start_from_template(user, template.id, amount).await?;
    Ok(())
}

fn print_table(bots: &[Bot]) {
    println!(
        "{:<22} {:<8} {:<9} {:>6} {:>6} {:>11} {:>11} {:>9} {:>11}",
        "bot", "kind", "status", "fills", "trips", "realised", "unrealised", "fees", "total PnL"
    );
    let mut total = Decimal::ZERO;
    for b in bots {
        let s = &b.stats;
        let kind = match &b.kind {
            BotKind::Grid(_) => "grid",
            BotKind::Trend(_) => "trend",
            _ => "other",
        };
        println!(
            "{:<22} {:<8} {:<9} {:>6} {:>6} {:>11.4} {:>11.4} {:>9.4} {:>11.4}",
            b.name,
            kind,
            format!("{:?}", b.status).to_lowercase(),
            s.fills,
            s.round_trips,
            s.realized_pnl,
            s.unrealized_pnl,
            s.fees,
            s.total_pnl()
        );
        total += s.total_pnl();
    }
    println!("{:<22} {:>88.4}", "total", total);
}
