//! Identifiers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// A perpetual contract symbol such as `BTCUSDT` (upper case, A–Z and 0–9).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Symbol(String);

impl Symbol {
    /// Parses a symbol, upper-casing it. Refuses empty, over-long or
    /// non-alphanumeric input.
    pub fn new(s: impl AsRef<str>) -> Result<Self, ValidationError> {
        let s = s.as_ref().trim().to_ascii_uppercase();
        if s.is_empty() || s.len() > 32 || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ValidationError::new(
                "symbol",
                format!("must be 1 to 32 letters or digits such as BTCUSDT, got {s:?}"),
            ));
        }
        Ok(Symbol(s))
    }

    /// A symbol from a literal known to be valid (upper-case alphanumeric).
    pub(crate) fn unchecked(s: &str) -> Self {
        Symbol(s.to_owned())
    }

    /// The symbol as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The base asset, e.g. `BTC` for `BTCUSDT` (the symbol without a
    /// trailing `USDT`).
    pub fn base(&self) -> &str {
        self.0.strip_suffix("USDT").unwrap_or(&self.0)
    }
}

impl TryFrom<String> for Symbol {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Symbol::new(s)
    }
}

impl From<Symbol> for String {
    fn from(s: Symbol) -> String {
        s.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! int_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

int_id!(
    /// A user, assigned by the store.
    UserId
);
int_id!(
    /// A bot, assigned by the store.
    BotId
);
int_id!(
    /// A strategy template, assigned by the store.
    TemplateId
);

/// A client order id. gridbot's ids are deterministic, built from the bot, the
/// grid cell (or trend action) and a generation counter, so a retried or
/// replayed placement carries the same id and is recognised by the exchange
/// instead of doubled. At most 40 characters of `[A-Za-z0-9_-]`, which every
/// supported exchange accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientOrderId(String);

impl ClientOrderId {
    /// Wraps an id received from an exchange or the store, unchecked.
    pub fn new(s: impl Into<String>) -> Self {
        ClientOrderId(s.into())
    }

    /// The id of grid cell `cell`'s order number `generation` of bot `bot`:
    /// `g{bot}-{cell}-{generation}`.
    pub fn grid(bot: BotId, cell: u32, generation: u64) -> Self {
        ClientOrderId(format!("g{}-{}-{}", bot.0, cell, generation))
    }

    /// The id of a bot's `tag` action (e.g. `open`, `close`, `init`) number
    /// `generation`: `b{bot}-{tag}-{generation}`.
    pub fn action(bot: BotId, tag: &str, generation: u64) -> Self {
        ClientOrderId(format!("b{}-{}-{}", bot.0, tag, generation))
    }

    /// The bot that owns this id, when it was made by [`ClientOrderId::grid`]
    /// or [`ClientOrderId::action`].
    pub fn bot(&self) -> Option<BotId> {
        let rest = self.0.strip_prefix('g').or_else(|| self.0.strip_prefix('b'))?;
        let (num, _) = rest.split_once('-')?;
        num.parse().ok().map(BotId)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An opaque position in an exchange's fill history: pass the cursor from
/// the last [`crate::ports::FillPage`] to get only newer fills.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FillCursor(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_is_upper_cased_and_validated() {
        assert_eq!(Symbol::new(" btcusdt ").unwrap().as_str(), "BTCUSDT");
        assert_eq!(Symbol::new("BTCUSDT").unwrap().base(), "BTC");
        let err = Symbol::new("BTC/USDT").unwrap_err();
        assert_eq!(err.field, "symbol");
        assert!(Symbol::new("").is_err());
    }

    #[test]
    fn client_order_ids_are_deterministic_and_name_their_bot() {
        let a = ClientOrderId::grid(BotId(7), 12, 3);
        assert_eq!(a, ClientOrderId::grid(BotId(7), 12, 3));
        assert_eq!(a.as_str(), "g7-12-3");
        assert_eq!(a.bot(), Some(BotId(7)));
        assert_eq!(ClientOrderId::action(BotId(9), "close", 1).bot(), Some(BotId(9)));
        assert_eq!(ClientOrderId::new("foreign").bot(), None);
    }
}
