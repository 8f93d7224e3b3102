//! `gridbot plan`: print a grid plan (levels, quantity per grid, initial
//! orders, required margin, profit per grid, liquidation estimate, errors and
//! warnings) as a table, or as JSON with `--json`.
//!
//! Instrument rules default to Bitget BTCUSDT
//! ([`gridbot_core::model::Instrument::btcusdt`]); override them with the
//! `--tick-size`, `--lot-size`, ... flags for another contract.
//!
//! Exit codes: 0 for a viable plan; 2 for invalid input (the message names
//! the flag) or a plan that breaks a viability rule (the plan and its errors
//! are still printed).
//!
//! JSON shape (every decimal is a string; percentages rounded to 4 places,
//! required margin rounded up to 8 places):
//! `{"symbol","spacing","mode","start_price","levels":[..],"qty_per_grid",
//! "initial_orders":[{"side","kind","price","qty"}],"required_margin",
//! "profit_per_grid_pct":{"min","max"},"profit_per_grid_quote":{"min","max"},
//! "liquidation_price"(string or null),"viable","errors":[..],"warnings":[..]}`
//! where each error and warning is `{"code", ...its fields, "message"}`.

use std::fmt::Write as _;

use gridbot_core::grid::{plan, GridConfig, GridMode, GridPlan, MinMax, Spacing};
use gridbot_core::model::{Instrument, OrderKind, Symbol};
use gridbot_core::{Decimal, ValidationError};
use rust_decimal::RoundingStrategy;
use serde::Serialize;

use super::{flag_error, CliError, InstrumentArgs};

/// Arguments of `gridbot plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Contract, e.g. BTCUSDT.
    #[arg(long, default_value = "BTCUSDT")]
    symbol: String,
    /// Lowest grid line (USDT).
    #[arg(long, allow_negative_numbers = true)]
    lower: Decimal,
    /// Highest grid line (USDT).
    #[arg(long, allow_negative_numbers = true)]
    upper: Decimal,
    /// Number of grids (intervals), 2..=200.
    #[arg(long)]
    grids: u32,
    /// Line spacing: arithmetic or geometric.
    #[arg(long, default_value = "arithmetic")]
    spacing: Spacing,
    /// Grid mode: long, short or neutral.
    #[arg(long, default_value = "long")]
    mode: GridMode,
    /// Margin committed (USDT).
    #[arg(long, allow_negative_numbers = true)]
    investment: Decimal,
    /// Leverage.
    #[arg(long, default_value_t = 1)]
    leverage: u32,
    /// Start (current) price.
    #[arg(long, allow_negative_numbers = true)]
    price: Decimal,
    /// Whole-grid stop-loss price (checked against the liquidation estimate).
    #[arg(long, allow_negative_numbers = true)]
    stop_loss: Option<Decimal>,
    /// Whole-grid take-profit price.
    #[arg(long, allow_negative_numbers = true)]
    take_profit: Option<Decimal>,
    /// The contract's trading rules (built in for the default symbols, or `--from-bitget`).
    #[command(flatten)]
    instrument: Box<InstrumentArgs>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `gridbot plan`.
pub async fn run(args: Args) -> Result<(), CliError> {
    let symbol = Symbol::new(&args.symbol)?;
    let instrument = args.instrument.resolve(symbol).await?;
    let plan = build(&args, &instrument).map_err(flag_error)?;
    if args.json {
        let text = serde_json::to_string_pretty(&PlanJson::from(&plan))
            .map_err(|e| CliError::runtime(format!("cannot encode the plan as JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", table(&plan));
    }
    if plan.is_viable() {
        Ok(())
    } else {
        let reasons: Vec<String> = plan.errors.iter().map(|e| e.to_string()).collect();
        Err(CliError::new(format!("the plan is not viable: {}", reasons.join("; "))))
    }
}

fn build(args: &Args, instrument: &Instrument) -> Result<GridPlan, ValidationError> {
    let config = GridConfig::new(
        instrument.symbol.clone(),
        args.lower,
        args.upper,
        args.grids,
        args.spacing,
        args.mode,
        args.investment,
        args.leverage,
    )
    .with_stops(args.stop_loss, args.take_profit);
    plan(&config, instrument, args.price)
}

/// Names the command-line flag behind a validation error's field.
fn dec(d: Decimal) -> String {
    d.normalize().to_string()
}

fn pct(d: Decimal) -> String {
    dec(d.round_dp(4))
}

fn money_up(d: Decimal) -> String {
    dec(d.round_dp_with_strategy(8, RoundingStrategy::AwayFromZero))
}

#[derive(Serialize)]
struct RangeJson {
    min: String,
    max: String,
}

impl RangeJson {
    fn new(r: MinMax, f: fn(Decimal) -> String) -> Self {
        RangeJson {
            min: f(r.min),
            max: f(r.max),
        }
    }
}

#[derive(Serialize)]
struct OrderJson {
    side: &'static str,
    kind: &'static str,
    price: String,
    qty: String,
}

#[derive(Serialize)]
struct PlanJson {
    symbol: String,
    spacing: &'static str,
    mode: &'static str,
    start_price: String,
    levels: Vec<String>,
    qty_per_grid: String,
    initial_orders: Vec<OrderJson>,
    required_margin: String,
    profit_per_grid_pct: RangeJson,
    profit_per_grid_quote: RangeJson,
    liquidation_price: Option<String>,
    viable: bool,
    errors: Vec<serde_json::Value>,
    warnings: Vec<serde_json::Value>,
}

/// `{"code", ...fields, "message"}` for an error or warning.
fn issue_json<T: Serialize + std::fmt::Display>(issue: &T) -> serde_json::Value {
    let mut v = serde_json::to_value(issue).unwrap_or_else(|_| serde_json::json!({}));
    if let Some(map) = v.as_object_mut() {
        map.insert("message".to_owned(), serde_json::Value::String(issue.to_string()));
    }
    v
}

impl From<&GridPlan> for PlanJson {
    fn from(p: &GridPlan) -> Self {
        PlanJson {
            symbol: p.symbol.to_string(),
            spacing: p.spacing.as_str(),
            mode: p.mode.as_str(),
            start_price: dec(p.start_price),
            levels: p.levels.iter().map(|&l| dec(l)).collect(),
            qty_per_grid: dec(p.qty_per_grid),
            initial_orders: p
                .initial_orders
                .iter()
                .map(|o| OrderJson {
                    side: o.side.as_str(),
                    kind: kind_str(o.kind),
                    price: dec(o.price),
                    qty: dec(o.qty),
                })
                .collect(),
            required_margin: money_up(p.required_margin),
            profit_per_grid_pct: RangeJson::new(p.profit_per_grid_pct, pct),
            profit_per_grid_quote: RangeJson::new(p.profit_per_grid_quote, dec),
            liquidation_price: p.liquidation_price.map(dec),
            viable: p.is_viable(),
            errors: p.errors.iter().map(issue_json).collect(),
            warnings: p.warnings.iter().map(issue_json).collect(),
        }
    }
}

fn kind_str(kind: OrderKind) -> &'static str {
    match kind {
        OrderKind::Market => "market",
        OrderKind::Limit => "limit",
    }
}

/// The human-readable plan.
fn table(p: &GridPlan) -> String {
    let mut s = String::new();
    let base = p.symbol.base().to_owned();
    let _ = writeln!(
        s,
        "Grid plan for {}: {} {} grid, start price {}",
        p.symbol,
        p.spacing.as_str(),
        p.mode.as_str(),
        dec(p.start_price)
    );
    let row = |s: &mut String, k: &str, v: String| {
        let _ = writeln!(s, "  {k:<18} {v}");
    };
    if let (Some(lo), Some(hi)) = (p.levels.first(), p.levels.last()) {
        row(
            &mut s,
            "range",
            format!(
                "{} – {} ({} grids, {} lines)",
                dec(*lo),
                dec(*hi),
                p.grids,
                p.levels.len()
            ),
        );
    }
    row(&mut s, "quantity per grid", format!("{} {base}", dec(p.qty_per_grid)));
    row(
        &mut s,
        "investment",
        format!("{} USDT at {}x", dec(p.investment), p.leverage),
    );
    row(
        &mut s,
        "required margin",
        format!(
            "{} USDT (initial margin {} + fee reserve {})",
            money_up(p.required_margin),
            money_up(p.initial_margin),
            money_up(p.fee_reserve)
        ),
    );
    row(
        &mut s,
        "profit per grid",
        format!(
            "{} % – {} % ({} – {} USDT after maker fees)",
            pct(p.profit_per_grid_pct.min),
            pct(p.profit_per_grid_pct.max),
            dec(p.profit_per_grid_quote.min),
            dec(p.profit_per_grid_quote.max)
        ),
    );
    row(
        &mut s,
        "liquidation (est.)",
        p.liquidation_price.map_or_else(|| "none".to_owned(), dec),
    );
    row(&mut s, "viable", if p.is_viable() { "yes" } else { "no" }.to_owned());

    if !p.levels.is_empty() {
        let _ = writeln!(s, "\n  {:>4}  {:>16}  order at start", "line", "price");
        for (i, price) in p.levels.iter().enumerate().rev() {
            let order = p
                .initial_orders
                .iter()
                .find(|o| o.kind == OrderKind::Limit && o.price == *price)
                .map(|o| format!("{} {} {base}", o.side.as_str(), dec(o.qty)))
                .unwrap_or_else(|| "-".to_owned());
            let _ = writeln!(s, "  {i:>4}  {:>16}  {order}", dec(*price));
        }
    }
    if let Some(m) = p.market_order() {
        let _ = writeln!(
            s,
            "\n  at start: market {} {} {base} at about {}",
            m.side.as_str(),
            dec(m.qty),
            dec(m.price)
        );
    }
    if !p.errors.is_empty() {
        let _ = writeln!(s, "\nerrors:");
        for e in &p.errors {
            let _ = writeln!(s, "  - {e}");
        }
    }
    if !p.warnings.is_empty() {
        let _ = writeln!(s, "\nwarnings:");
        for w in &p.warnings {
            let _ = writeln!(s, "  - {w}");
        }
    }
    s
}
