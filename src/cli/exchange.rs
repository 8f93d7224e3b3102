//! `gridbot exchange`: talk to Bitget directly, for operators.
//!
//! Subcommands: `account`, `balance`, `contracts`, `positions`, `orders`,
//! `place`, `cancel`, `close`, `candles`. Classic (v2) and unified (UTA, v3)
//! accounts both work: the kind is detected from the keys, and `account`
//! prints it with the position mode and the margin mode gridbot needs
//! (one-way, isolated). `--demo` trades Bitget's demo environment with demo
//! keys (header `paptrading: 1`, normal `USDT-FUTURES` products);
//! `--base-url` points at another server (a fake Bitget in tests); `--json`
//! prints JSON instead of tables.
//!
//! API keys come from `GRIDBOT_BITGET_API_KEY`, `GRIDBOT_BITGET_API_SECRET`
//! and `GRIDBOT_BITGET_PASSPHRASE`; they are never printed. Public commands
//! (`contracts`, `candles`) need no keys.
//!
//! `candles --out FILE.csv` writes the backtester's format:
//! `ts_ms,open,high,low,close,volume`, oldest first, complete and UTC-aligned.
//! When Bitget cannot provide every closed candle of the range the command
//! names the gaps and writes nothing, unless `--allow-gaps` is given.
//!
//! Exit codes: 2 for bad input or a refused order, 1 for failures talking to
//! the exchange, candles with gaps, or writing the file.

use std::fmt::Write as _;
use std::io::Write as _;

use gridbot_bitget::common::client_oid::check_client_oid;
use gridbot_bitget::http::client::now_ms;
use gridbot_bitget::{AccountInfo, BitgetConfig, BitgetExchange, Credentials};
use gridbot_core::model::{ClientOrderId, Interval, Order, OrderRequest, Side, Symbol, TimeInForce};
use gridbot_core::ports::Exchange;
use gridbot_core::{Decimal, ExchangeError};

use super::CliError;

/// Arguments of `gridbot exchange`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Use Bitget demo trading with demo keys (paptrading header, normal products).
    #[arg(long, global = true)]
    demo: bool,
    /// REST base URL (default https://api.bitget.com); WebSockets are derived from it.
    #[arg(long, global = true)]
    base_url: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Account kind (classic or unified), position mode and margin mode.
    Account {
        /// Contract whose margin mode and leverage to show.
        #[arg(long, default_value = "BTCUSDT")]
        symbol: String,
    },
    /// The futures account's USDT balance.
    Balance,
    /// Contracts and their trading rules (with --symbol: its maintenance margin tiers too).
    Contracts {
        /// Only this contract.
        #[arg(long)]
        symbol: Option<String>,
    },
    /// Open positions.
    Positions,
    /// Resting orders of a contract.
    Orders {
        /// Contract, e.g. BTCUSDT.
        #[arg(long)]
        symbol: String,
    },
    /// Place one order (limit with --price, market without).
    Place {
        /// Contract, e.g. BTCUSDT.
        #[arg(long)]
        symbol: String,
        /// buy or sell.
        #[arg(long)]
        side: String,
        /// Quantity in base coin.
        #[arg(long)]
        qty: Decimal,
        /// Limit price; omit for a market order.
        #[arg(long)]
        price: Option<Decimal>,
        /// Client order id (re-using one never places a second order).
        #[arg(long)]
        client_id: Option<String>,
        /// Only reduce the position.
        #[arg(long)]
        reduce_only: bool,
        /// Post-only (maker) limit order.
        #[arg(long)]
        post_only: bool,
        /// Prepare the contract first: one-way mode, isolated margin, this leverage.
        #[arg(long)]
        leverage: Option<u32>,
    },
    /// Cancel an order by client id, or every order of the contract.
    Cancel {
        /// Contract, e.g. BTCUSDT.
        #[arg(long)]
        symbol: String,
        /// Client order id to cancel.
        #[arg(long, conflicts_with = "all")]
        client_id: Option<String>,
        /// Cancel every order of the contract.
        #[arg(long)]
        all: bool,
    },
    /// Close a contract's position with a reduce-only market order.
    Close {
        /// Contract, e.g. BTCUSDT.
        #[arg(long)]
        symbol: String,
        /// Client order id of the closing order (re-using one never closes twice).
        #[arg(long)]
        client_id: Option<String>,
    },
    /// Candle history (to a CSV file the backtester reads with --out).
    Candles {
        /// Contract, e.g. BTCUSDT.
        #[arg(long)]
        symbol: String,
        /// 1m 3m 5m 15m 30m 1h 4h 6h 12h 1d.
        #[arg(long, default_value = "1m")]
        interval: String,
        /// Days of history up to now.
        #[arg(long, default_value_t = 1)]
        days: u32,
        /// Write `ts_ms,open,high,low,close,volume` here instead of printing.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Write what Bitget has even when candles are missing (the gaps are still reported).
        #[arg(long)]
        allow_gaps: bool,
    },
}

fn symbol(s: &str) -> Result<Symbol, CliError> {
    Ok(Symbol::new(s)?)
}

fn failure(e: ExchangeError) -> CliError {
    match e {
        e if e.is_transient() => CliError::runtime(e.to_string()),
        ExchangeError::Connectivity(_) | ExchangeError::Protocol(_) => CliError::runtime(e.to_string()),
        e => CliError::new(e.to_string()),
    }
}

fn config(args: &Args, needs_keys: bool) -> Result<BitgetConfig, CliError> {
    let creds = Credentials::from_env();
    if needs_keys && creds.is_none() {
        return Err(CliError::new(
            "this command needs API keys: set GRIDBOT_BITGET_API_KEY, GRIDBOT_BITGET_API_SECRET and GRIDBOT_BITGET_PASSPHRASE",
        ));
    }
    let mut cfg = match (&args.base_url, args.demo) {
        (Some(url), _) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(CliError::new(format!(
                    "--base-url must start with http:// or https://, got {url:?}"
                )));
            }
            let c = BitgetConfig::with_base_url(url, creds);
            if args.demo {
                c.demo_mode()
            } else {
                c
            }
        }
        (None, true) => BitgetConfig::demo(creds),
        (None, false) => BitgetConfig::live(creds),
    };
    cfg.max_retries = 2;
    Ok(cfg)
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(v).map_err(|e| CliError::runtime(format!("cannot encode JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

fn orders_table(orders: &[Order]) -> String {
    let mut s = format!(
        "{:<24} {:<20} {:<8} {:<5} {:<7} {:>14} {:>12} {:>12} {:<16}\n",
        "client id", "order id", "symbol", "side", "kind", "price", "qty", "filled", "status"
    );
    for o in orders {
        let _ = writeln!(
            s,
            "{:<24} {:<20} {:<8} {:<5} {:<7} {:>14} {:>12} {:>12} {:<16}",
            o.client_id.as_str(),
            o.id,
            o.symbol.as_str(),
            o.side.as_str(),
            format!("{:?}", o.kind).to_lowercase(),
            o.price.map(|p| p.to_string()).unwrap_or_else(|| "market".into()),
            o.qty,
            o.filled_qty,
            format!("{:?}", o.status).to_lowercase()
        );
    }
    s
}

fn client_order_id(given: &Option<String>, prefix: &str) -> Result<ClientOrderId, CliError> {
    let id = ClientOrderId::new(given.clone().unwrap_or_else(|| format!("{prefix}-{}", now_ms())));
    check_client_oid(&id).map_err(|e| CliError::new(format!("--client-id: {e}")))?;
    Ok(id)
}

fn account_text(a: &AccountInfo) -> String {
    let m = &a.modes;
    let symbol = m.symbol.as_ref().map(|s| s.as_str()).unwrap_or("-");
    let or_unknown = |v: Option<&str>| v.unwrap_or("not reported").to_owned();
    let kind = match a.kind {
        gridbot_bitget::AccountKind::Unified => "unified (UTA)",
        gridbot_bitget::AccountKind::Classic => "classic",
    };
    let mut s = String::new();
    let _ = writeln!(s, "environment    {}", a.environment);
    let _ = writeln!(s, "account        {kind}, API {}", a.api);
    let _ = writeln!(s, "position mode  {}", or_unknown(m.hold_mode.map(|h| h.as_str())));
    let _ = writeln!(
        s,
        "margin mode    {} ({symbol})",
        or_unknown(m.margin_mode.map(|x| x.as_str()))
    );
    if let Some(l) = m.leverage {
        let _ = writeln!(s, "leverage       {l}x ({symbol})");
    }
    if let Some(level) = &m.level {
        let _ = writeln!(s, "account level  {level}");
    }
    let _ = writeln!(
        s,
        "ready          {}",
        if a.ready {
            format!("yes: one-way and isolated, as gridbot trades {symbol}")
        } else {
            "no: gridbot trades one-way position mode and isolated margin; starting a bot switches them when \
Bitget allows (no open positions or orders) and otherwise says what to change"
                .to_owned()
        }
    );
    s
}

/// Runs `gridbot exchange`.
pub async fn run(args: Args) -> Result<(), CliError> {
    let needs_keys = !matches!(args.command, Command::Contracts { .. } | Command::Candles { .. });
    // Keys for public commands only pick the account's API; without them the classic public API serves.
    let ex = BitgetExchange::new(config(&args, needs_keys)?).map_err(failure)?;
    match &args.command {
        Command::Account { symbol: s } => {
            let info = ex.account_info(&symbol(s)?).await.map_err(failure)?;
            if args.json {
                return print_json(&info);
            }
            print!("{}", account_text(&info));
        }
        Command::Balance => {
            let b = ex.balance().await.map_err(failure)?;
            if args.json {
                return print_json(&b);
            }
            println!(
                "equity     {} USDT\navailable  {} USDT\nused       {} USDT",
                b.equity, b.available, b.used_margin
            );
        }
        Command::Contracts { symbol: Some(s) } => {
            let d = ex.contract_details(&symbol(s)?).await.map_err(failure)?;
            if args.json {
                return print_json(&[&d]);
            }
            let i = &d.instrument;
            println!(
                "{}: tick {} lot {} min qty {} min {} USDT, up to {}x, maker {} taker {}, status {}",
                i.symbol.as_str(),
                i.tick_size,
                i.lot_size,
                i.min_qty,
                i.min_notional,
                i.max_leverage,
                i.maker_fee,
                i.taker_fee,
                d.spec.status
            );
            println!(
                "{:>4} {:>16} {:>16} {:>6} {:>10}",
                "tier", "from USDT", "to USDT", "lever", "maint rate"
            );
            for t in &d.tiers {
                println!(
                    "{:>4} {:>16} {:>16} {:>6} {:>10}",
                    t.tier, t.min_value, t.max_value, t.max_leverage, t.maint_margin_rate
                );
            }
        }
        Command::Contracts { symbol: None } => {
            let list = ex.contracts().await.map_err(failure)?;
            if args.json {
                return print_json(&list);
            }
            println!(
                "{:<14} {:>12} {:>10} {:>10} {:>10} {:>6} {:>8} {:>8}",
                "symbol", "tick", "lot", "min qty", "min USDT", "lever", "maker", "taker"
            );
            for i in list {
                println!(
                    "{:<14} {:>12} {:>10} {:>10} {:>10} {:>6} {:>8} {:>8}",
                    i.symbol.as_str(),
                    i.tick_size,
                    i.lot_size,
                    i.min_qty,
                    i.min_notional,
                    i.max_leverage,
                    i.maker_fee,
                    i.taker_fee
                );
            }
        }
        Command::Positions => {
            let list = ex.positions().await.map_err(failure)?;
            if args.json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("no open positions");
            }
            for p in list {
                println!(
                    "{:<12} qty {:>12} entry {:>12} lev {:>3}x margin {:>12} uPnL {:>12} liq {}",
                    p.symbol.as_str(),
                    p.qty,
                    p.entry_price,
                    p.leverage,
                    p.margin,
                    p.unrealized_pnl,
                    p.liquidation_price.map(|x| x.to_string()).unwrap_or_else(|| "-".into())
                );
            }
        }
        Command::Orders { symbol: s } => {
            let list = ex.open_orders(&symbol(s)?).await.map_err(failure)?;
            if args.json {
                return print_json(&list);
            }
            print!("{}", orders_table(&list));
        }
        Command::Place {
            symbol: s,
            side,
            qty,
            price,
            client_id,
            reduce_only,
            post_only,
            leverage,
        } => {
            let s = symbol(s)?;
            let side = match side.to_ascii_lowercase().as_str() {
                "buy" => Side::Buy,
                "sell" => Side::Sell,
                other => return Err(CliError::new(format!("--side must be buy or sell, got {other:?}"))),
            };
            let id = client_order_id(client_id, "cli")?;
            if let Some(l) = leverage {
                ex.set_leverage(&s, *l).await.map_err(failure)?;
            }
            let mut req = match price {
                Some(p) => OrderRequest::limit(id, s, side, *p, *qty),
                None => OrderRequest::market(id, s, side, *qty),
            };
            if *reduce_only {
                req = req.reduce_only();
            }
            if *post_only {
                req = req.with_tif(TimeInForce::PostOnly);
            }
            let mut results = ex.place_orders(std::slice::from_ref(&req)).await.map_err(failure)?;
            let order = results
                .pop()
                .ok_or_else(|| CliError::runtime("no result from the exchange"))?
                .map_err(failure)?;
            if args.json {
                return print_json(&order);
            }
            print!("{}", orders_table(std::slice::from_ref(&order)));
        }
        Command::Cancel {
            symbol: s,
            client_id,
            all,
        } => {
            let s = symbol(s)?;
            if *all {
                let n = ex.cancel_all(&s).await.map_err(failure)?;
                if args.json {
                    return print_json(&serde_json::json!({"cancelled": n}));
                }
                println!("cancelled {n} orders on {s}");
            } else {
                let id = client_id
                    .as_ref()
                    .ok_or_else(|| CliError::new("give --client-id ID or --all"))?;
                let r = ex
                    .cancel_orders(&s, &[ClientOrderId::new(id.clone())])
                    .await
                    .map_err(failure)?;
                match r.into_iter().next() {
                    Some(Ok(())) => {
                        if args.json {
                            return print_json(&serde_json::json!({"cancelled": 1, "client_id": id}));
                        }
                        println!("cancelled {id}");
                    }
                    Some(Err(e)) => return Err(failure(e)),
                    None => return Err(CliError::runtime("no result from the exchange")),
                }
            }
        }
        Command::Close {
            symbol: s,
            client_id: id,
        } => {
            let s = symbol(s)?;
            let id = client_order_id(id, "cli-close")?;
            match ex.close_position(&s, &id).await.map_err(failure)? {
                Some(order) if args.json => return print_json(&order),
                Some(order) => print!("{}", orders_table(std::slice::from_ref(&order))),
                None if args.json => return print_json(&serde_json::json!({"closed": null, "symbol": s})),
                None => println!("no position on {s}"),
            }
        }
        Command::Candles {
            symbol: s,
            interval,
            days,
            out,
            allow_gaps,
        } => {
            let s = symbol(s)?;
            let interval: Interval = interval.parse()?;
            if *days == 0 || *days > 365 {
                return Err(CliError::new(format!("--days must be between 1 and 365, got {days}")));
            }
            let end = interval.floor(now_ms());
            let start = end - i64::from(*days) * 86_400_000;
            let history = ex.candle_history(&s, interval, start, end).await.map_err(failure)?;
            if let Some(report) = history.gap_report(interval) {
                if !allow_gaps {
                    return Err(CliError::runtime(format!(
                        "{s}: {report}; nothing written (use --allow-gaps to write what Bitget has)"
                    )));
                }
                eprintln!("warning: {s}: {report}");
            }
            let candles = history.candles;
            if let Some(path) = out {
                let mut text = String::with_capacity(candles.len() * 64 + 40);
                text.push_str("ts_ms,open,high,low,close,volume\n");
                for c in &candles {
                    let _ = writeln!(
                        text,
                        "{},{},{},{},{},{}",
                        c.ts, c.open, c.high, c.low, c.close, c.volume
                    );
                }
                let mut f = std::fs::File::create(path)
                    .map_err(|e| CliError::runtime(format!("cannot create {}: {e}", path.display())))?;
                f.write_all(text.as_bytes())
                    .map_err(|e| CliError::runtime(format!("cannot write {}: {e}", path.display())))?;
                if args.json {
                    return print_json(&serde_json::json!({"file": path, "candles": candles.len()}));
                }
                println!("wrote {} candles to {}", candles.len(), path.display());
            } else if args.json {
                return print_json(&candles);
            } else {
                println!("ts_ms,open,high,low,close,volume");
                for c in &candles {
                    println!("{},{},{},{},{},{}", c.ts, c.open, c.high, c.low, c.close, c.volume);
                }
            }
        }
    }
    Ok(())
}
