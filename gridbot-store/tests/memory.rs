//! The conformance suite on [`gridbot_store::MemoryStore`].

mod common;
#[macro_use]
mod conformance;

conformance_suite!(common::memory);
