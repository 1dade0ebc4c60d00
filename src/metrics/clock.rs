//! A cheap monotonic stopwatch for timing sub-microsecond work.
//!
//! A v4 vector from a parsed document takes well under a microsecond, and on the KVM guests
//! cadfeat is benchmarked on a pair of [`std::time::Instant::now`] calls (the vDSO
//! `clock_gettime`) costs about 80 ns, i.e. 10 % or more of what it times. Reading the CPU's
//! time-stamp counter directly costs about 30 ns per pair there.
//!
//! The counter is used only where it is a clock:
//! * on x86-64 Linux,
//! * when the CPU says its TSC is invariant (constant rate in every P/C-state, CPUID
//!   `0x8000_0007` EDX bit 8), and
//! * when the kernel itself uses it as its clocksource
//!   (`/sys/devices/system/clocksource/clocksource0/current_clocksource` is `tsc`): Linux
//!   checks at boot that the counters of all CPUs are synchronised and switches away from
//!   `tsc` when they are not, so a thread that migrates between CPUs still reads one clock.
//!
//! Its rate is calibrated once per process against [`Instant`] over
//! [`CALIBRATION`] (the first [`Stopwatch::start`], or [`calibrate`] called up front by
//! [`super::Metrics::new`]); a relative rate error of about 10⁻⁴ is far below the width of
//! any histogram bucket. Everywhere else the stopwatch is [`Instant`].

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long the one-off calibration of the counter's rate spins.
pub const CALIBRATION: Duration = Duration::from_millis(2);

/// Seconds per counter tick, or `None` when the counter is not used (see the module docs).
static SECONDS_PER_TICK: OnceLock<Option<f64>> = OnceLock::new();

/// Calibrates the clock now (once per process; later calls return at once) and says whether
/// the time-stamp counter is in use.
pub fn calibrate() -> bool {
    SECONDS_PER_TICK.get_or_init(tsc_seconds_per_tick).is_some()
}

/// A running measurement: [`Stopwatch::start`], then [`Stopwatch::seconds`].
#[derive(Debug, Clone, Copy)]
pub enum Stopwatch {
    /// Started at this counter value; `f64` = seconds per tick.
    Tsc(u64, f64),
    /// Started at this instant.
    Std(Instant),
}

impl Stopwatch {
    /// Starts measuring.
    #[inline]
    pub fn start() -> Stopwatch {
        match *SECONDS_PER_TICK.get_or_init(tsc_seconds_per_tick) {
            Some(s) => Stopwatch::Tsc(read_tsc(), s),
            None => Stopwatch::Std(Instant::now()),
        }
    }

    /// Seconds since [`Stopwatch::start`] (never negative).
    #[inline]
    pub fn seconds(&self) -> f64 {
        match *self {
            Stopwatch::Tsc(t0, s) => read_tsc().saturating_sub(t0) as f64 * s,
            Stopwatch::Std(t0) => t0.elapsed().as_secs_f64(),
        }
    }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[inline]
fn read_tsc() -> u64 {
    // SAFETY: RDTSC exists on every x86-64 CPU and has no memory effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
#[inline]
fn read_tsc() -> u64 {
    0
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn tsc_seconds_per_tick() -> Option<f64> {
    if std::env::var_os("CADFEAT_NO_TSC").is_some() {
        return None;
    }
    // Leaf 0x8000_0000 reports the highest extended leaf, so 0x8000_0007 is only read when
    // it exists.
    use core::arch::x86_64::__cpuid;
    let invariant =
        __cpuid(0x8000_0000).eax >= 0x8000_0007 && __cpuid(0x8000_0007).edx & (1 << 8) != 0;
    if !invariant {
        return None;
    }
    let source =
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .ok()?;
    if source.trim() != "tsc" {
        return None;
    }
    let (i0, c0) = (Instant::now(), read_tsc());
    let mut i1 = Instant::now();
    while i1.duration_since(i0) < CALIBRATION {
        std::hint::spin_loop();
        i1 = Instant::now();
    }
    let c1 = read_tsc();
    let ticks = c1.checked_sub(c0).filter(|t| *t > 0)?;
    let s = i1.duration_since(i0).as_secs_f64() / ticks as f64;
    // A rate outside 10 MHz … 100 GHz is not a time-stamp counter one can trust.
    (1e-11..1e-7).contains(&s).then_some(s)
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn tsc_seconds_per_tick() -> Option<f64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stopwatch agrees with `Instant` over a sleep, whichever clock it uses.
    #[test]
    fn agrees_with_instant() {
        calibrate();
        let i = Instant::now();
        let s = Stopwatch::start();
        std::thread::sleep(Duration::from_millis(20));
        let ours = s.seconds();
        let std = i.elapsed().as_secs_f64();
        assert!(ours > 0.019, "{ours}");
        assert!((ours - std).abs() < 0.002 + 0.01 * std, "{ours} vs {std}");
    }
}
