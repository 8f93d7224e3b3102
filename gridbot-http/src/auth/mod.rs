//! Authentication: Argon2id password hashes, JWT access / refresh tokens,
//! login rate limits and the [`extract::AuthUser`] extractor.

pub mod extract;
pub mod limiter;
pub mod password;
pub mod tokens;
