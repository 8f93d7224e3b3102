//! The paper exchange: a real matching engine for many accounts on a shared
//! price feed. (Filled in by the paper-exchange work.)
