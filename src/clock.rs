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
//! Owns: [`now`], [`install_scaled`], [`install_shared`], [`install_from_env`], [`real_duration`]. Depends on nothing else in the crate.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

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

/// Install a scaled clock shared by several processes: simulated time was `start` at the wall
/// clock instant `wall_origin` and runs `factor` times faster. Every process given the same three
/// values reads the same simulated time, across restarts too (the fault-injection runs rely on
/// it). Only the first install has an effect.
pub fn install_shared(start: DateTime<Utc>, wall_origin: SystemTime, factor: f64) -> bool {
    let elapsed = SystemTime::now()
        .duration_since(wall_origin)
        .unwrap_or_default()
        .as_secs_f64();
    let factor = if factor.is_finite() && factor > 0.0 {
        factor
    } else {
        1.0
    };
    let sim_now = start + chrono::Duration::microseconds((elapsed * factor * 1e6) as i64);
    install_scaled(sim_now, factor)
}

/// Parse `ANTAR_CLOCK` = `START,WALL_ORIGIN_UNIX_MS,FACTOR` (e.g.
/// `2031-03-04T06:00:00+07:00,1800000000000,480`) and install it; `Ok(false)` when unset.
pub fn install_from_env() -> Result<bool, String> {
    let Ok(spec) = std::env::var("ANTAR_CLOCK") else {
        return Ok(false);
    };
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    let [start, origin, factor] = parts.as_slice() else {
        return Err(format!(
            "ANTAR_CLOCK={spec:?}: expected START,WALL_ORIGIN_UNIX_MS,FACTOR"
        ));
    };
    let start = DateTime::parse_from_rfc3339(start)
        .map_err(|e| format!("ANTAR_CLOCK start {start:?}: {e}"))?
        .with_timezone(&Utc);
    let origin: u64 = origin
        .parse()
        .map_err(|e| format!("ANTAR_CLOCK wall origin {origin:?}: {e}"))?;
    let factor: f64 = factor
        .parse()
        .map_err(|e| format!("ANTAR_CLOCK factor {factor:?}: {e}"))?;
    let wall = SystemTime::UNIX_EPOCH + Duration::from_millis(origin);
    Ok(install_shared(start, wall, factor))
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
