//! The process clock: what "now" means for every timestamp antar stores, every timer and every
//! signature check.
//!
//! Normally it is the system clock. `antar demo` plays a whole day in minutes by installing a
//! scaled clock once at start ([`install_scaled`]): simulated time starts at a chosen instant and
//! runs `factor` times faster than real time. The partner simulator in the same process reads the
//! same clock, so both sides agree on `webhook-timestamp` windows and offer deadlines.
//! Tests never install a clock: functions whose behaviour depends on time take `now` as a
//! parameter, so tests choose it.
//!
//! Owns: [`now`], [`install_scaled`], [`real_duration`]. Depends on nothing else in the crate.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy)]
struct Scaled {
    origin_real: Instant,
    origin_sim: DateTime<Utc>,
    factor: f64,
}

static SCALED: OnceLock<Scaled> = OnceLock::new();

/// Make simulated time start at `start` now and run `factor` times faster than real time.
/// Only the first call has an effect (one process, one clock); returns whether it took effect.
pub fn install_scaled(start: DateTime<Utc>, factor: f64) -> bool {
    let factor = if factor.is_finite() && factor > 0.0 {
        factor
    } else {
        1.0
    };
    SCALED
        .set(Scaled {
            origin_real: Instant::now(),
            origin_sim: start,
            factor,
        })
        .is_ok()
}

/// The current instant: the system clock, or the simulated clock once one is installed.
pub fn now() -> DateTime<Utc> {
    match SCALED.get() {
        None => Utc::now(),
        Some(s) => {
            let real = s.origin_real.elapsed().as_secs_f64();
            s.origin_sim + chrono::Duration::microseconds((real * s.factor * 1e6) as i64)
        }
    }
}

/// How fast simulated time runs against real time (1 without a scaled clock).
pub fn factor() -> f64 {
    SCALED.get().map_or(1.0, |s| s.factor)
}

/// The real time to wait for `simulated` to pass (for sleeps in workers).
pub fn real_duration(simulated: Duration) -> Duration {
    simulated.div_f64(factor())
}
