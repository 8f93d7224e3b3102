//! `gridbot recommend`: three grid setups (conservative, moderate,
//! aggressive) for a symbol from a candle file, chosen by a walk-forward
//! validation over the file's last weeks (see
//! `gridbot_core::advisor::walk_forward`), each with a 7-day forecast and
//! its in-sample backtest of the last 7 days.
//!
//! `gridbot recommend --evaluate FILE.csv --weeks N` judges the advisor on
//! the file instead: for each of the last N weekly steps it recommends from
//! the candles before the step and runs every pick over the week after, then
//! prints the per-profile table (forecast shown, what the next week gave,
//! liquidations, drawdowns beyond twice the one shown; see
//! `gridbot_core::advisor::evaluate`). The symbol defaults to the one in
//! the file name.
//!
//! `--advisor backtest` (default) sweeps candidates with the embedded
//! [`BacktestAdvisor`]; `--advisor deepseek` asks DeepSeek (key from
//! `GRIDBOT_DEEPSEEK_API_KEY`) and re-backtests its proposals, falling back
//! to the backtest picks on any failure (the output says so). The sweep
//! shows a progress bar on a terminal (stderr). `--json` prints
//! `{"analysis":{..},"recommendations":[..],"source":..,"fallback_reason":..}`
//! with decimals as strings.

use std::path::PathBuf;
use std::sync::Arc;

use gridbot_core::advisor::evaluate::evaluate;
use gridbot_core::advisor::{BacktestAdvisor, BacktestAdvisorConfig, CoreBacktester, Rebacktest};
use gridbot_core::feed::symbol_from_path;
use gridbot_core::model::{Interval, Symbol};
use gridbot_core::ports::{Advisor, AdvisorRequest, RecommendationSet};
use gridbot_deepseek::{ChatClient, DeepSeekAdvisor, DeepSeekConfig};
use rust_decimal::Decimal;

use super::backtest::{load_candles, progress_bar};
use super::CliError;
use super::InstrumentArgs;

/// Which advisor answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AdvisorKind {
    /// The embedded sweep of backtested candidates.
    Backtest,
    /// DeepSeek proposals, re-backtested; falls back to `backtest`.
    Deepseek,
}

/// Arguments of `gridbot recommend`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Contract symbol, e.g. BTCUSDT (with --evaluate: taken from the file name when omitted).
    #[arg(long, required_unless_present = "evaluate")]
    pub symbol: Option<String>,
    /// Candle CSV (`ts_ms,open,high,low,close,volume`, oldest first); its last 35 days are used
    /// (4 validation weeks and a week of lookback; at least 2 days).
    #[arg(
        long,
        value_name = "FILE.csv",
        required_unless_present = "evaluate",
        conflicts_with = "evaluate"
    )]
    pub candles: Option<PathBuf>,
    /// Evaluate the advisor walk-forward on this candle file instead of recommending.
    #[arg(long, value_name = "FILE.csv")]
    pub evaluate: Option<PathBuf>,
    /// Weekly steps of --evaluate (the file's last N weeks).
    #[arg(long, default_value_t = 27, requires = "evaluate")]
    pub weeks: usize,
    /// Candle interval of the file (1m, 5m, 1h, ...); inferred from the timestamps when omitted.
    #[arg(long)]
    pub interval: Option<Interval>,
    /// Which advisor answers.
    #[arg(long, value_enum, default_value = "backtest")]
    pub advisor: AdvisorKind,
    /// Margin every candidate is backtested with, USDT.
    #[arg(long, default_value = "1000")]
    pub investment: Decimal,
    /// Sweep threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// The contract's trading rules.
    #[command(flatten)]
    pub instrument: InstrumentArgs,
}

/// Runs `gridbot recommend`.
pub async fn run(args: Args) -> Result<(), CliError> {
    let file = match (&args.evaluate, &args.candles) {
        (Some(f), _) | (None, Some(f)) => f.clone(),
        (None, None) => return Err(CliError::new("--candles FILE.csv or --evaluate FILE.csv is required")),
    };
    let symbol = match &args.symbol {
        Some(s) => Symbol::new(s)?,
        None => symbol_from_path(&file).ok_or_else(|| {
            CliError::new(format!(
                "--symbol is required: no symbol in the file name {}",
                file.display()
            ))
        })?,
    };
    let instrument = args.instrument.resolve(symbol).await?;
    if args.investment <= Decimal::ZERO {
        return Err(CliError::new(format!(
            "--investment must be greater than 0, got {}",
            args.investment
        )));
    }
    let (candles, interval) = load_candles(&file, args.interval)?;
    if args.evaluate.is_some() {
        return run_evaluation(&args, instrument, interval, candles).await;
    }
    let now = candles.last().map_or(0, |c| c.ts + interval.millis());
    let request = AdvisorRequest::new(instrument, interval, Arc::new(candles), now);

    let bar = progress_bar("sweeping candidates");
    let progress_bar = bar.clone();
    let backtest = BacktestAdvisor::new(
        Arc::new(CoreBacktester::default()),
        BacktestAdvisorConfig {
            investment: args.investment,
            threads: args.threads,
            ..BacktestAdvisorConfig::default()
        },
    )
    .with_progress(Arc::new(move |done, total| {
        progress_bar.set_length(total as u64);
        progress_bar.set_position(done as u64);
    }));
    let advisor: Arc<dyn Advisor> = match args.advisor {
        AdvisorKind::Backtest => Arc::new(backtest),
        AdvisorKind::Deepseek => {
            let config = DeepSeekConfig::from_env().map_err(|e| CliError::new(e.to_string()))?;
            let client = ChatClient::new(config).map_err(|e| CliError::new(e.to_string()))?;
            let backtest = Arc::new(backtest);
            let rebacktest: Arc<dyn Rebacktest> = backtest.clone();
            Arc::new(DeepSeekAdvisor::new(client, backtest, rebacktest))
        }
    };
    let result = advisor.recommend(&request).await;
    bar.finish_and_clear();
    let set = result.map_err(|e| CliError::new(e.to_string()))?;
    if args.json {
        print_json(&set)
    } else {
        print!("{}", render(&set));
        Ok(())
    }
}

async fn run_evaluation(
    args: &Args,
    instrument: gridbot_core::model::Instrument,
    interval: Interval,
    candles: Vec<gridbot_core::model::Candle>,
) -> Result<(), CliError> {
    if args.weeks == 0 {
        return Err(CliError::new("--weeks must be at least 1, got 0"));
    }
    let advisor = BacktestAdvisor::new(
        Arc::new(CoreBacktester::default()),
        BacktestAdvisorConfig {
            investment: args.investment,
            threads: args.threads,
            ..BacktestAdvisorConfig::default()
        },
    );
    let weeks = args.weeks;
    let json = args.json;
    let bar = progress_bar("evaluating weekly steps");
    let steps_bar = bar.clone();
    let started = std::time::Instant::now();
    let result = tokio::task::spawn_blocking(move || {
        let progress = move |done: usize, total: usize| {
            steps_bar.set_length(total as u64);
            steps_bar.set_position(done as u64);
        };
        evaluate(
            &advisor,
            advisor.backtester().as_ref(),
            &instrument,
            interval,
            &candles,
            weeks,
            Some(&progress),
        )
    })
    .await
    .map_err(|e| CliError::runtime(format!("the evaluation stopped unexpectedly: {e}")))?;
    bar.finish_and_clear();
    let eval = result.map_err(|e| CliError::new(e.to_string()))?;
    if json {
        let rows: Vec<serde_json::Value> = eval
            .rows()
            .iter()
            .map(|r| {
                serde_json::json!({
                    "profile": r.risk_level.as_str(),
                    "weeks": r.weeks,
                    "picks": r.picks,
                    "mean_expected_roi_7d_pct": r.mean_expected,
                    "mean_backtest_roi_pct": r.mean_backtest,
                    "mean_next_week_roi_pct": r.mean_outcome,
                    "median_next_week_roi_pct": r.median_outcome,
                    "positive": r.positive,
                    "liquidated": r.liquidated,
                    "drawdown_over_2x_shown": r.drawdown_over_2x,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&serde_json::json!({ "weeks": eval.weeks, "profiles": rows }))
            .map_err(|e| CliError::runtime(format!("cannot encode the evaluation as JSON: {e}")))?;
        println!("{text}");
    } else {
        println!(
            "Walk-forward evaluation: {} weekly steps, each pick run over the week after ({:.0} s)",
            eval.weeks,
            started.elapsed().as_secs_f64()
        );
        print!("{}", eval.table());
    }
    Ok(())
}

fn print_json(set: &RecommendationSet) -> Result<(), CliError> {
    let value = serde_json::json!({
        "analysis": set.analysis,
        "recommendations": set.recommendations,
        "source": set.source,
        "unavailable": set.unavailable,
        "fallback_reason": set.fallback_reason,
        "generated_at": set.generated_at,
    });
    let text = serde_json::to_string_pretty(&value)
        .map_err(|e| CliError::runtime(format!("cannot encode the answer as JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

/// The human report: the analysis, then one table of the picks.
pub fn render(set: &RecommendationSet) -> String {
    let a = &set.analysis;
    let levels = |v: &[Decimal]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.iter().map(Decimal::to_string).collect::<Vec<_>>().join(", ")
        }
    };
    let mut out = String::new();
    out.push_str(&format!("Market analysis for {} ({} candles)\n", a.symbol, a.candles));
    let rows = [
        ("price", a.current_price.to_string()),
        ("24h high / low", format!("{} / {}", a.high_24h, a.low_24h)),
        ("24h change", format!("{} %", a.change_24h_pct)),
        ("trend", format!("{:?}", a.trend).to_lowercase()),
        (
            "volatility",
            format!(
                "{:.2} % daily, {:.2} % annualised",
                a.volatility_24h_pct, a.volatility_annual_pct
            ),
        ),
        ("ATR(14)", format!("{:.4} % of price", a.atr_pct)),
        ("support", levels(&a.support)),
        ("resistance", levels(&a.resistance)),
    ];
    for (k, v) in rows {
        out.push_str(&format!("  {k:<16} {v}\n"));
    }
    out.push('\n');
    match &set.fallback_reason {
        Some(reason) => out.push_str(&format!("Recommendations ({}; fallback: {reason})\n", set.source)),
        None => out.push_str(&format!("Recommendations ({})\n", set.source)),
    }
    let header = [
        "profile",
        "mode",
        "spacing",
        "lower",
        "upper",
        "grids",
        "lev",
        "exp 7d %",
        "7d range %",
        "exp 30d %",
        "backtest %",
        "days",
        "APR %",
        "max DD %",
        "trips",
        "min inv",
        "liquidation",
        "duration",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
    for r in &set.recommendations {
        table.push(vec![
            r.risk_level.as_str().to_owned(),
            r.mode.as_str().to_owned(),
            r.spacing.as_str().to_owned(),
            r.lower.to_string(),
            r.upper.to_string(),
            r.grids.to_string(),
            format!("{}x", r.leverage),
            r.expected_roi_7d_pct.to_string(),
            format!("{} to {}", r.expected_roi_7d_low_pct, r.expected_roi_7d_high_pct),
            r.expected_roi_30d.to_string(),
            r.backtest_roi_pct.to_string(),
            r.backtest_days.to_string(),
            r.apr_pct.to_string(),
            r.max_drawdown_pct.to_string(),
            r.round_trips.to_string(),
            r.min_investment.to_string(),
            r.liquidation_price.map_or_else(|| "none".to_owned(), |p| p.to_string()),
            r.recommended_duration.clone(),
        ]);
    }
    out.push_str(&super::backtest::table(&table));
    out.push_str(
        "\nexp 7d / exp 30d: forecasts from walk-forward weeks the setup was not chosen on; \
         backtest: the setup's in-sample backtest over the last `days` days (not a forecast).\n",
    );
    for u in &set.unavailable {
        out.push_str(&format!("\n{}: no safe pick. {}\n", u.risk_level.as_str(), u.reason));
    }
    for r in &set.recommendations {
        out.push_str(&format!("\n{}: {}\n", r.name, r.description));
    }
    out
}
