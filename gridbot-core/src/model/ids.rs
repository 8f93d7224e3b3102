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

/// An installation's tag in its client order ids: five upper-case letters
/// (`KQXZA`), or none (ids made before tags existed, tests).
///
/// Client order ids must be unique per exchange account, and an account
/// may outlive a database: a second install on the same account, or a
/// fresh database after a wipe, numbers its bots from 1 again. The tag
/// tells those apart. It belongs to the *database* (the store keeps it,
/// [`crate::ports::Store::installation_tag`]), not to a process or a data
/// folder: several processes sharing one PostgreSQL hand bots to each
/// other, and a bot's orders must keep their ids wherever it runs.
/// 26⁵ ≈ 11.9 million tags: two installs on one account collide with a
/// chance of about 1 in 12 million.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdTag([u8; IdTag::LEN]);

impl IdTag {
    /// Letters in a tag.
    pub const LEN: usize = 5;

    /// No tag: ids of the form `g{bot}-…` (bots made before tags, tests).
    pub const NONE: IdTag = IdTag([0; IdTag::LEN]);

    /// Parses a tag: exactly five letters `A`–`Z` (case-insensitive), or
    /// the empty string for [`IdTag::NONE`].
    pub fn new(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(IdTag::NONE);
        }
        let bytes = s.as_bytes();
        if bytes.len() != Self::LEN || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(ValidationError::new(
                "installation_tag",
                format!("must be {} letters A-Z, got {s:?}", Self::LEN),
            ));
        }
        let mut tag = [0; Self::LEN];
        for (t, b) in tag.iter_mut().zip(bytes) {
            *t = b.to_ascii_uppercase();
        }
        Ok(IdTag(tag))
    }

    /// A random tag (a new installation).
    pub fn random() -> Self {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        let mut tag = [0; Self::LEN];
        for t in &mut tag {
            *t = b'A' + rng.gen_range(0..26u8);
        }
        IdTag(tag)
    }

    /// True for [`IdTag::NONE`].
    pub fn is_none(&self) -> bool {
        self.0[0] == 0
    }

    /// The tag as text (empty for none).
    pub fn as_str(&self) -> &str {
        if self.is_none() {
            return "";
        }
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl TryFrom<String> for IdTag {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        IdTag::new(&s)
    }
}

impl From<IdTag> for String {
    fn from(t: IdTag) -> String {
        t.as_str().to_owned()
    }
}

impl fmt::Display for IdTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who owns an order: an installation's tag and one of its bots. Every id
/// gridbot makes names its owner; a bot books only fills whose id names it
/// (or names nobody: exchange-made fills such as a liquidation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrderOwner {
    /// The installation's tag.
    pub tag: IdTag,
    /// The bot.
    pub bot: BotId,
}

impl OrderOwner {
    /// Bot `bot` of the installation tagged `tag`.
    pub fn new(tag: IdTag, bot: BotId) -> Self {
        OrderOwner { tag, bot }
    }
}

impl From<BotId> for OrderOwner {
    /// A bot with no installation tag.
    fn from(bot: BotId) -> Self {
        OrderOwner { tag: IdTag::NONE, bot }
    }
}

/// What an order is to the bot that made it (see [`ClientOrderId::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRole<'a> {
    /// Grid cell `cell`'s order number `generation`.
    Cell {
        /// Cell index.
        cell: u32,
        /// Generation (replacements of the cell's order).
        generation: u64,
    },
    /// The bot's `tag` action (`open`, `close`, `init`, …) number `generation`.
    Action {
        /// The action.
        tag: &'a str,
        /// Generation.
        generation: u64,
    },
}

/// A client order id taken apart (see [`ClientOrderId::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedOrderId<'a> {
    /// The installation and bot that made it.
    pub owner: OrderOwner,
    /// What the order is to that bot.
    pub role: OrderRole<'a>,
}

impl ParsedOrderId<'_> {
    /// The grid cell of a cell order.
    pub fn cell(&self) -> Option<u32> {
        match self.role {
            OrderRole::Cell { cell, .. } => Some(cell),
            OrderRole::Action { .. } => None,
        }
    }
}

/// A client order id. gridbot's ids are deterministic, built from the
/// installation's tag, the bot, the grid cell (or trend action) and a
/// generation counter, so a retried or replayed placement carries the same
/// id and is recognised by the exchange instead of doubled.
///
/// This type owns the format; nothing else builds or parses it:
/// - grid cell orders: `g{TAG}{bot}-{cell}-{generation}`;
/// - actions (trend entries and exits, a grid's initial and closing
///   orders): `b{TAG}{bot}-{action}-{generation}`;
///
/// where `{TAG}` is the installation's [`IdTag`] (absent in ids made before
/// tags existed). At most 32 characters of `[A-Za-z0-9_-]`, which every
/// supported exchange accepts (Bitget's unified accounts allow 32): a tag
/// (5), a bot id up to 10 digits, a cell up to 3 digits and a generation up
/// to 11 digits fit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientOrderId(String);

impl ClientOrderId {
    /// The longest id an exchange accepts.
    pub const MAX_LEN: usize = 32;

    /// Wraps an id received from an exchange or the store, unchecked.
    pub fn new(s: impl Into<String>) -> Self {
        ClientOrderId(s.into())
    }

    /// The id of grid cell `cell`'s order number `generation` of `owner`
    /// (a [`BotId`] alone means no installation tag).
    pub fn grid(owner: impl Into<OrderOwner>, cell: u32, generation: u64) -> Self {
        // `format!("g{}{}-{}-{}", tag, bot, cell, generation)`, written
        // directly: engines make one per fill.
        let o = owner.into();
        let mut s = String::with_capacity(Self::MAX_LEN);
        s.push('g');
        s.push_str(o.tag.as_str());
        push_i64(&mut s, o.bot.0);
        s.push('-');
        push_u64(&mut s, u64::from(cell));
        s.push('-');
        push_u64(&mut s, generation);
        ClientOrderId(s)
    }

    /// The id of `owner`'s `action` (e.g. `open`, `close`, `init`; lower-case
    /// letters) number `generation`.
    pub fn action(owner: impl Into<OrderOwner>, action: &str, generation: u64) -> Self {
        // `format!("b{}{}-{}-{}", tag, bot, action, generation)`.
        let o = owner.into();
        let mut s = String::with_capacity(Self::MAX_LEN + action.len());
        s.push('b');
        s.push_str(o.tag.as_str());
        push_i64(&mut s, o.bot.0);
        s.push('-');
        s.push_str(action);
        s.push('-');
        push_u64(&mut s, generation);
        ClientOrderId(s)
    }

    /// Takes one of gridbot's ids apart; `None` for any other id (an
    /// exchange's own, another program's). Allocates nothing.
    pub fn parse(&self) -> Option<ParsedOrderId<'_>> {
        let s = self.0.as_str();
        let cell_order = match s.as_bytes().first()? {
            b'g' => true,
            b'b' => false,
            _ => return None,
        };
        let rest = &s[1..];
        let tag_len = rest.bytes().take_while(u8::is_ascii_uppercase).count();
        let tag = match tag_len {
            0 => IdTag::NONE,
            IdTag::LEN => IdTag::new(&rest[..tag_len]).ok()?,
            _ => return None,
        };
        let (bot, rest) = rest[tag_len..].split_once('-')?;
        let bot = BotId(i64::try_from(digits(bot)?).ok()?);
        let (middle, generation) = rest.rsplit_once('-')?;
        let generation = digits(generation)?;
        let role = if cell_order {
            OrderRole::Cell {
                cell: u32::try_from(digits(middle)?).ok()?,
                generation,
            }
        } else {
            if middle.is_empty() || !middle.bytes().all(|b| b.is_ascii_lowercase()) {
                return None;
            }
            OrderRole::Action {
                tag: middle,
                generation,
            }
        };
        Some(ParsedOrderId {
            owner: OrderOwner { tag, bot },
            role,
        })
    }

    /// The installation and bot that own this id, when it is one of
    /// gridbot's ([`ClientOrderId::grid`] or [`ClientOrderId::action`]).
    pub fn owner(&self) -> Option<OrderOwner> {
        self.parse().map(|p| p.owner)
    }

    /// The bot that owns this id, whatever its installation (see
    /// [`ClientOrderId::owner`] to tell installations apart).
    pub fn bot(&self) -> Option<BotId> {
        self.owner().map(|o| o.bot)
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

/// The value of `s` when it is one or more ASCII digits and fits a `u64`
/// (what checking every byte and `str::parse` say, in one pass).
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |v, b| {
        if b.is_ascii_digit() {
            v.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// Appends `n` in decimal (as `Display` writes it), without the formatting
/// machinery (ids are written once per fill; the backtester's fill ids use
/// it too).
pub(crate) fn push_u64(s: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        s.push(char::from(d));
    }
}

/// Appends `n` in decimal, with a leading `-` when negative.
fn push_i64(s: &mut String, n: i64) {
    if n < 0 {
        s.push('-');
    }
    push_u64(s, n.unsigned_abs());
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

    #[test]
    fn tagged_ids_name_their_installation_and_parse_back() {
        let tag = IdTag::new("kqxza").unwrap();
        let owner = OrderOwner::new(tag, BotId(4021));
        let id = ClientOrderId::grid(owner, 199, 123_456);
        assert_eq!(id.as_str(), "gKQXZA4021-199-123456");
        let p = id.parse().unwrap();
        assert_eq!(p.owner, owner);
        assert_eq!(
            p.role,
            OrderRole::Cell {
                cell: 199,
                generation: 123_456
            }
        );
        assert_eq!(p.cell(), Some(199));
        let close = ClientOrderId::action(owner, "close", 2);
        assert_eq!(close.as_str(), "bKQXZA4021-close-2");
        assert_eq!(
            close.parse().unwrap().role,
            OrderRole::Action {
                tag: "close",
                generation: 2
            }
        );
        // Another installation's bot 4021 is another owner.
        let other = ClientOrderId::grid(OrderOwner::new(IdTag::new("ABCDE").unwrap(), BotId(4021)), 1, 0);
        assert_ne!(other.owner(), Some(owner));
        assert_eq!(other.bot(), Some(BotId(4021)));
    }

    proptest::proptest! {
        /// The ids are written exactly as `format!` writes them (the
        /// format before it was written out by hand).
        #[test]
        fn ids_are_written_as_format_writes_them(
            tagged in proptest::bool::ANY,
            bot in proptest::prelude::any::<i64>(),
            cell in proptest::prelude::any::<u32>(),
            generation in proptest::prelude::any::<u64>(),
            small in 0u64..1000,
        ) {
            let tag = if tagged { IdTag::new("KQXZA").unwrap() } else { IdTag::NONE };
            for (b, g) in [(bot, generation), (bot % 1000, small), (0, 0), (i64::MIN, u64::MAX)] {
                let owner = OrderOwner::new(tag, BotId(b));
                let id = ClientOrderId::grid(owner, cell, g);
                proptest::prop_assert_eq!(id.as_str(), format!("g{}{}-{}-{}", tag, b, cell, g));
                for action in ["init", "close", "open", ""] {
                    let id = ClientOrderId::action(owner, action, g);
                    proptest::prop_assert_eq!(id.as_str(), format!("b{}{}-{}-{}", tag, b, action, g));
                }
            }
        }
    }

    /// `ClientOrderId::parse` as it was written first (checked digits,
    /// then `str::parse`): the reference of the one-pass digit reading.
    fn parse_reference(id: &ClientOrderId) -> Option<ParsedOrderId<'_>> {
        let s = id.as_str();
        let cell_order = match s.as_bytes().first()? {
            b'g' => true,
            b'b' => false,
            _ => return None,
        };
        let rest = &s[1..];
        let tag_len = rest.bytes().take_while(u8::is_ascii_uppercase).count();
        let tag = match tag_len {
            0 => IdTag::NONE,
            IdTag::LEN => IdTag::new(&rest[..tag_len]).ok()?,
            _ => return None,
        };
        let (bot, rest) = rest[tag_len..].split_once('-')?;
        if bot.is_empty() || !bot.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let bot = BotId(bot.parse().ok()?);
        let (middle, generation) = rest.rsplit_once('-')?;
        if generation.is_empty() || !generation.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let generation = generation.parse().ok()?;
        let role = if cell_order {
            if middle.is_empty() || !middle.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            OrderRole::Cell {
                cell: middle.parse().ok()?,
                generation,
            }
        } else {
            if middle.is_empty() || !middle.bytes().all(|b| b.is_ascii_lowercase()) {
                return None;
            }
            OrderRole::Action {
                tag: middle,
                generation,
            }
        };
        Some(ParsedOrderId {
            owner: OrderOwner { tag, bot },
            role,
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(8192))]
        /// Parsing reads any string (ids, near-ids, overflowing numbers,
        /// junk) exactly as the reference does.
        #[test]
        fn parsing_equals_the_reference(
            s in "[gbx]?[A-Z]{0,6}[0-9]{0,21}-?[0-9a-z]{0,12}-?[0-9]{0,22}-?[0-9+]{0,3}",
            any in ".{0,24}",
            bot in proptest::prelude::any::<i64>(),
            cell in proptest::prelude::any::<u32>(),
            generation in proptest::prelude::any::<u64>(),
        ) {
            let owner = OrderOwner::new(IdTag::new("KQXZA").unwrap(), BotId(bot));
            let ids = [
                ClientOrderId::new(s),
                ClientOrderId::new(any),
                ClientOrderId::grid(owner, cell, generation),
                ClientOrderId::grid(BotId(bot), cell, generation),
                ClientOrderId::action(owner, "close", generation),
                ClientOrderId::new(format!("g{}-{}-{}9", u64::MAX, cell, generation)),
                ClientOrderId::new(format!("g1-{}0-{generation}", u64::from(u32::MAX) + u64::from(cell))),
            ];
            for id in &ids {
                proptest::prop_assert_eq!(id.parse(), parse_reference(id), "{}", id);
            }
        }
    }

    #[test]
    fn anything_not_made_by_gridbot_parses_to_none() {
        for s in [
            "",
            "g",
            "b",
            "foreign",
            "g7-x-1",
            "g7-1-",
            "g7--1",
            "gAB7-1-1",
            "gABCDEF7-1-1",
            "g-1-1",
            "b7-CLOSE-1",
            "b7-close-x",
            "liq-user-1-9",
            "g7-1-1-",
            "x7-1-1",
        ] {
            assert_eq!(ClientOrderId::new(s).parse(), None, "{s:?}");
        }
    }

    #[test]
    fn the_longest_realistic_id_fits_the_exchange_limit() {
        let owner = OrderOwner::new(IdTag::new("ZZZZZ").unwrap(), BotId(9_999_999_999));
        let id = ClientOrderId::grid(owner, 200, 99_999_999_999);
        assert!(
            id.as_str().len() <= ClientOrderId::MAX_LEN,
            "{} is {} long",
            id,
            id.as_str().len()
        );
    }

    #[test]
    fn tags_are_five_letters_or_none() {
        assert!(IdTag::new("").unwrap().is_none());
        assert_eq!(IdTag::new("abcde").unwrap().as_str(), "ABCDE");
        assert!(IdTag::new("ABCD").is_err());
        assert!(IdTag::new("ABCD1").is_err());
        let r = IdTag::random();
        assert_eq!(IdTag::new(r.as_str()).unwrap(), r);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<IdTag>(&json).unwrap(), r);
    }
}
