//! The `gridbot` command line: `serve`, `plan`, `backtest`, `recommend`,
//! `exchange`, `migrate`. Each subcommand lives in its own module under
//! `src/cli/`.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(cli::run(args)) {
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
