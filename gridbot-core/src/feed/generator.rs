//! Seeded synthetic 1-minute candles: geometric Brownian motion with
//! switching volatility and trend regimes.
//!
//! Each minute: the volatility regime (calm ×0.5, normal ×1, wild ×2.2)
//! switches with probability 1/240 and the trend regime (down, flat, up;
//! drift ±0.04 σ per minute) with probability 1/480; a weak pull
//! (1/10080 per minute) towards the starting price keeps prices realistic
//! over long runs. The minute is simulated as 6 Brownian sub-steps from the
//! previous close; open = previous close, high/low = the sub-step extremes
//! (rounded outwards to the tick), close = the last sub-step (rounded to the
//! nearest tick). Volume is the symbol's typical value per minute, scaled by
//! the regime and log-normal noise, in base units floored to the lot.
//!
//! Determinism: a generator is a ChaCha8 stream seeded from `(seed, symbol
//! index)`; the same seed gives the same candles for the same symbol
//! whatever else is generated.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

use super::symbols::SimSpec;
use crate::model::{Candle, Instrument, Rounding, TimestampMs};

const MINUTES_PER_YEAR: f64 = 525_600.0;
const SUB_STEPS: usize = 6;
const VOL_REGIMES: [f64; 3] = [0.5, 1.0, 2.2];
const VOL_SWITCH: f64 = 1.0 / 240.0;
const TREND_SWITCH: f64 = 1.0 / 480.0;
const TREND_DRIFT: f64 = 0.04;
const REVERSION: f64 = 1.0 / 10_080.0;

/// Generates one symbol's candles, minute after minute.
#[derive(Debug, Clone)]
pub struct CandleGenerator {
    instrument: Instrument,
    anchor_ln: f64,
    sigma: f64,
    minute_volume: f64,
    close: Decimal,
    vol_regime: usize,
    trend: f64,
    rng: ChaCha8Rng,
}

impl CandleGenerator {
    /// A generator for `spec`, seeded by `seed` and the symbol's `index`.
    pub fn new(spec: &SimSpec, seed: u64, index: u64) -> Self {
        let stream = seed ^ (index.wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let start = spec
            .instrument
            .round_price(spec.start_price, Rounding::Nearest)
            .max(spec.instrument.tick_size);
        CandleGenerator {
            instrument: spec.instrument.clone(),
            anchor_ln: start.to_f64().unwrap_or(1.0).ln(),
            sigma: spec.annual_vol.max(0.0) / MINUTES_PER_YEAR.sqrt(),
            minute_volume: spec.minute_volume_usdt.max(0.0),
            close: start,
            vol_regime: 1,
            trend: 0.0,
            rng: ChaCha8Rng::seed_from_u64(stream),
        }
    }

    /// The last close (the next candle's open).
    pub fn last_close(&self) -> Decimal {
        self.close
    }

    /// The candle opening at `ts`.
    pub fn next_candle(&mut self, ts: TimestampMs) -> Candle {
        if self.rng.gen::<f64>() < VOL_SWITCH {
            self.vol_regime = self.rng.gen_range(0..VOL_REGIMES.len());
        }
        if self.rng.gen::<f64>() < TREND_SWITCH {
            self.trend = f64::from(self.rng.gen_range(-1i8..=1));
        }
        let open = self.close;
        let open_f = open.to_f64().unwrap_or(1.0).max(f64::MIN_POSITIVE);
        let sigma = self.sigma * VOL_REGIMES[self.vol_regime];
        let mut ln = open_f.ln();
        let drift = self.trend * TREND_DRIFT * sigma - REVERSION * (ln - self.anchor_ln);
        let n = SUB_STEPS as f64;
        let (sub_sigma, sub_drift) = (sigma / n.sqrt(), (drift - 0.5 * sigma * sigma) / n);
        let (mut hi, mut lo) = (ln, ln);
        for _ in 0..SUB_STEPS {
            let z: f64 = self.rng.sample(StandardNormal);
            ln += sub_drift + sub_sigma * z;
            hi = hi.max(ln);
            lo = lo.min(ln);
        }
        let tick = self.instrument.tick_size;
        let to_price = |x: f64, r: Rounding| {
            let p = Decimal::from_f64(x.exp()).unwrap_or(open);
            self.instrument.round_price(p, r).max(tick)
        };
        let close = to_price(ln, Rounding::Nearest);
        let high = to_price(hi, Rounding::Up).max(open).max(close);
        let low = to_price(lo, Rounding::Down).min(open).min(close).max(tick);
        let noise: f64 = self.rng.sample(StandardNormal);
        let value = self.minute_volume * VOL_REGIMES[self.vol_regime] * (0.5 * noise).exp();
        let volume = Decimal::from_f64(value / open_f)
            .map(|v| self.instrument.floor_qty(v))
            .unwrap_or(Decimal::ZERO);
        self.close = close;
        Candle {
            ts,
            open,
            high,
            low,
            close,
            volume,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::symbols::default_specs;

    #[test]
    fn candles_are_valid_on_tick_and_chained_open_to_close() {
        let spec = &default_specs()[0];
        let mut g = CandleGenerator::new(spec, 7, 0);
        let mut prev: Option<Candle> = None;
        for i in 0..5_000 {
            let c = g.next_candle(i * 60_000);
            c.validate().unwrap();
            for p in [c.open, c.high, c.low, c.close] {
                assert!(spec.instrument.is_on_tick(p));
            }
            if let Some(p) = prev {
                assert_eq!(c.open, p.close);
            }
            prev = Some(c);
        }
        // Over ~3.5 days the price stays within a plausible band.
        let last = prev.unwrap().close;
        assert!(last > spec.start_price / Decimal::from(2) && last < spec.start_price * Decimal::from(2));
    }
}
