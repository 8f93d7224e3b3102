//! Route handlers, one module per resource.

pub mod account;
pub mod auth;
pub mod health;
