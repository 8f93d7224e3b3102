//! Pieces every part of the adapter shares: where Bitget lives, the API
//! credentials, the wire enums, number parsing and request signing.

pub mod credentials;
pub mod enums;
pub mod parse;
pub mod signing;
pub mod urls;
