//! Market feeds for the paper exchange: CSV candle replay and a seeded
//! synthetic market. (Filled in by the feeds work.)
