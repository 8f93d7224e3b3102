//! Pieces every part of the adapter shares: where Bitget lives, the API
//! credentials, the account kinds, the wire enums, the client order id rule,
//! number parsing and request signing.

pub mod account;
pub mod client_oid;
pub mod credentials;
pub mod enums;
pub mod parse;
pub mod signing;
pub mod urls;
