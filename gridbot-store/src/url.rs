//! Which store a database URL names.
//!
//! `memory` → in-memory; `postgres://` / `postgresql://` → PostgreSQL;
//! `sqlite:` URLs and plain file paths → SQLite. A plain path becomes
//! `sqlite://<path>?mode=rwc`, and a `sqlite://` file URL without a `mode`
//! gets `mode=rwc`: the embedded database (and its folder) is created when
//! missing. Say `mode=rw` to refuse a missing file instead.

use std::path::PathBuf;

use gridbot_core::StoreError;

/// A parsed database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// The in-memory store.
    Memory,
    /// A SQLite database, as a `sqlite:` URL.
    Sqlite(String),
    /// A PostgreSQL database, as a `postgres://` URL.
    Postgres(String),
}

impl DbUrl {
    /// Parses `url`; refuses empty input and unknown schemes.
    pub fn parse(url: &str) -> Result<DbUrl, StoreError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(unsupported(url));
        }
        if url.eq_ignore_ascii_case("memory") {
            return Ok(DbUrl::Memory);
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_owned()));
        }
        if url.starts_with("sqlite:") {
            let has_mode = url
                .split_once('?')
                .is_some_and(|(_, q)| q.split('&').any(|kv| kv.starts_with("mode=")));
            if has_mode || sqlite_file(url).is_none() {
                return Ok(DbUrl::Sqlite(url.to_owned()));
            }
            let sep = if url.contains('?') { '&' } else { '?' };
            return Ok(DbUrl::Sqlite(format!("{url}{sep}mode=rwc")));
        }
        if url.contains("://") {
            return Err(unsupported(url));
        }
        Ok(DbUrl::Sqlite(format!("sqlite://{}?mode=rwc", encode_path(url))))
    }
}

impl DbUrl {
    /// The Cargo feature of this crate that builds the store for this URL
    /// (`None` for the in-memory store, which is always built).
    pub fn feature(&self) -> Option<&'static str> {
        match self {
            DbUrl::Memory => None,
            DbUrl::Sqlite(_) => Some("sqlite"),
            DbUrl::Postgres(_) => Some("postgres"),
        }
    }

    /// The error for a URL whose store this build leaves out.
    #[cfg_attr(all(feature = "sqlite", feature = "postgres"), allow(dead_code))]
    pub(crate) fn not_built(&self) -> StoreError {
        let feature = self.feature().unwrap_or("default");
        let database = match self {
            DbUrl::Memory => "in-memory",
            DbUrl::Sqlite(_) => "SQLite",
            DbUrl::Postgres(_) => "PostgreSQL",
        };
        StoreError::Database(format!(
            "this build has no {database} support: enable the `{feature}` feature of gridbot-store \
             (e.g. `cargo build --features gridbot-store/{feature}`), or use another database url"
        ))
    }
}

/// The file a `sqlite:` URL points at, or `None` for in-memory databases.
pub(crate) fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(decode_path(path)))
}

/// True when the URL asks for the file to be created if missing.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn sqlite_creates(url: &str) -> bool {
    url.split_once('?')
        .is_some_and(|(_, q)| q.split('&').any(|kv| kv == "mode=rwc"))
}

fn unsupported(url: &str) -> StoreError {
    StoreError::Database(format!(
        "unsupported database url {url:?}: use `memory`, `sqlite://file.db?mode=rwc`, a file path, or `postgres://user@host/db`"
    ))
}

/// Percent-encodes the characters a URL path cannot carry verbatim.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            _ => out.push(c),
        }
    }
    out
}

fn decode_path(path: &str) -> String {
    path.replace("%3F", "?").replace("%23", "#").replace("%25", "%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_store() {
        assert_eq!(DbUrl::parse("memory").unwrap(), DbUrl::Memory);
        assert_eq!(
            DbUrl::parse("postgres://u@h/db").unwrap(),
            DbUrl::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite://a.db?mode=rwc").unwrap(),
            DbUrl::Sqlite("sqlite://a.db?mode=rwc".into())
        );
        assert_eq!(
            DbUrl::parse("data/x?.db").unwrap(),
            DbUrl::Sqlite("sqlite://data/x%3F.db?mode=rwc".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite://gridbot-data/gridbot.db").unwrap(),
            DbUrl::Sqlite("sqlite://gridbot-data/gridbot.db?mode=rwc".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite://a.db?mode=rw").unwrap(),
            DbUrl::Sqlite("sqlite://a.db?mode=rw".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite::memory:").unwrap(),
            DbUrl::Sqlite("sqlite::memory:".into())
        );
        assert!(DbUrl::parse("mysql://x").is_err());
        assert!(DbUrl::parse("  ").is_err());
    }

    #[test]
    fn sqlite_file_is_recovered_from_the_url() {
        assert_eq!(
            sqlite_file("sqlite://data/x%3F.db?mode=rwc"),
            Some(PathBuf::from("data/x?.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert!(sqlite_creates("sqlite://a.db?mode=rwc"));
        assert!(!sqlite_creates("sqlite://a.db"));
    }
}
