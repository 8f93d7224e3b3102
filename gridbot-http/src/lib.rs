//! # gridbot-http
//!
//! The axum router: REST API under `/api/v1`, auth, the server-sent-event
//! stream and the embedded web dashboard.
#![warn(missing_docs)]
