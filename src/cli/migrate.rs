//! `gridbot migrate up|down|status`: apply or revert the database schema.
//!
//! `up` applies every pending migration (opening a store does this too);
//! `down` reverts only the newest applied migration, or with `--to VERSION`
//! every migration newer than VERSION (`--to 0` drops every table and its
//! data); `status` lists the migrations. Each prints the resulting status.
//! The database comes from `--db` / `GRIDBOT_DB`, by default the embedded
//! SQLite file `gridbot-data/gridbot.db` (created with its folder).

use clap::Subcommand;
use gridbot_store::{DbUrl, MigrationStatus, StoreError};

use super::CliError;

/// The embedded default database.
pub const DEFAULT_DB: &str = "sqlite://gridbot-data/gridbot.db";

/// Arguments of `gridbot migrate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    /// Database: `sqlite://file.db`, a file path, or `postgres://user@host:5432/db`.
    #[arg(long, env = "GRIDBOT_DB", default_value = DEFAULT_DB, global = true)]
    db: String,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Apply every pending migration.
    Up,
    /// Revert the newest applied migration (or down to `--to VERSION`).
    Down {
        /// Revert every migration newer than this version; 0 reverts all and drops every table.
        #[arg(long)]
        to: Option<i64>,
    },
    /// List the migrations and whether each is applied.
    Status,
}

/// Runs `gridbot migrate`.
pub async fn run(args: Args) -> Result<(), CliError> {
    let url = args.db.trim();
    match DbUrl::parse(url).map_err(|e| CliError::new(format!("--db: {e}")))? {
        DbUrl::Memory => {
            println!("the in-memory store has no schema: nothing to migrate");
            return Ok(());
        }
        DbUrl::Sqlite(_) | DbUrl::Postgres(_) => {}
    }
    match args.action {
        Action::Up => gridbot_store::migrate_up(url).await.map_err(runtime)?,
        Action::Down { to: None } => gridbot_store::migrate_down(url).await.map_err(runtime)?,
        Action::Down { to: Some(v) } if v < 0 => {
            return Err(CliError::new(format!("--to: must be a version ≥ 0, got {v}")));
        }
        Action::Down { to: Some(v) } => gridbot_store::migrate_down_to(url, v).await.map_err(runtime)?,
        Action::Status => {}
    }
    let status = gridbot_store::migrate_status(url).await.map_err(runtime)?;
    print!("{}", render(&status));
    Ok(())
}

fn runtime(e: StoreError) -> CliError {
    CliError::runtime(e.to_string())
}

/// One line per migration: `<version>  applied|pending  <description>`.
fn render(status: &[MigrationStatus]) -> String {
    status
        .iter()
        .map(|m| line(m.version, m.applied, &m.description))
        .collect()
}

fn line(version: i64, applied: bool, description: &str) -> String {
    let state = if applied { "applied" } else { "pending" };
    format!("{version:<16}{state:<9}{description}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_show_version_state_and_description() {
        let s = line(1, true, "core") + &line(2, false, "operations");
        assert_eq!(
            s,
            "1               applied  core\n2               pending  operations\n"
        );
    }
}
