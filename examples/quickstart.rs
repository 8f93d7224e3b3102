//! Quickstart: a paper trading system in a few lines — plan a grid on the
//! simulated market, print the plan, run it as a bot, print its status.
//!
//! `cargo run --example quickstart` (no keys, no database, a few seconds).
//! The README's "Use it as a library" section shows this file's code; a
//! test keeps the two the same.

use gridbot::core::feed::SimConfig;
use gridbot::core::grid::{plan, GridConfig, GridMode, Spacing};
use gridbot::core::model::{BotSource, Rounding, Symbol};
use gridbot::{Decimal, Gridbot};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Paper exchange (10,000 USDT per user), simulated BTC market, in-memory store.
    let sim = SimConfig::default().with_symbols(&["BTCUSDT"]).with_history_days(1);
    let gridbot = Gridbot::builder()
        .paper(Decimal::from(10_000))
        .sim_market(sim)
        .build()
        .await?;

    // A neutral grid of 20 cells from 5 % below to 5 % above the price, 500 USDT at 2x.
    let btc = Symbol::new("BTCUSDT")?;
    let price = gridbot.market().last_price(&btc).await?;
    let rules = &gridbot.instruments()[0];
    let lower = rules.round_price(price * Decimal::new(95, 2), Rounding::Down);
    let upper = rules.round_price(price * Decimal::new(105, 2), Rounding::Up);
    let (spacing, mode) = (Spacing::Arithmetic, GridMode::Neutral);
    let config = GridConfig::new(btc, lower, upper, 20, spacing, mode, Decimal::from(500), 2);

    let grid = plan(&config, rules, price)?;
    let (lines, qty) = (grid.levels.len(), grid.qty_per_grid);
    println!("BTCUSDT at {price}: {lines} lines, {qty} BTC per grid");
    for line in grid.levels.iter().rev() {
        println!("  {line}");
    }
    let (min, max) = (grid.profit_per_grid_pct.min, grid.profit_per_grid_pct.max);
    println!("profit per grid {min:.3} % – {max:.3} % after fees");
    let (margin, liquidation) = (grid.required_margin, grid.liquidation_price);
    println!("margin {margin:.2} USDT, liquidation {liquidation:?}");

    // Run it: the manager checks balance and rules, a runner places the orders.
    let alice = gridbot.ensure_user("alice").await?;
    let bot = gridbot.manager().start_grid(alice, config, BotSource::Manual).await?;
    let used = gridbot.manager().summary(alice).await?.used_amount;
    println!("bot #{} is {:?}, {used} USDT allocated", bot.id, bot.status);

    gridbot.shutdown().await;
    Ok(())
}
