//! Time sources for the caches, injectable so that tests can move time forward.
//!
//! A [`Clock`] gives a monotonic reading (for TTLs) and a wall-clock reading (for the UTC
//! timestamps of the apply / rollback snapshot). [`SystemClock`] is the real one;
//! [`ManualClock`] only moves when told to, which makes TTL expiry and the 5-minute rollback
//! window testable without sleeping.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of monotonic and wall-clock time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Monotonic time since an arbitrary, fixed origin.
    fn monotonic(&self) -> Duration;
    /// The current wall-clock time.
    fn wall(&self) -> SystemTime;
}

/// The system clocks (`Instant`, `SystemTime`).
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose monotonic origin is now.
    pub fn new() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until [`ManualClock::advance`] is called. Both readings move
/// together.
#[derive(Debug)]
pub struct ManualClock {
    start_wall: SystemTime,
    offset_nanos: AtomicU64,
}

impl ManualClock {
    /// A clock reading `start_wall` (monotonic reading 0).
    pub fn new(start_wall: SystemTime) -> Self {
        ManualClock {
            start_wall,
            offset_nanos: AtomicU64::new(0),
        }
    }

    /// A clock starting at 2026-01-01T00:00:00Z.
    pub fn at_2026() -> Self {
        ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    }

    /// Moves both readings forward by `by`.
    pub fn advance(&self, by: Duration) {
        let n = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .offset_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
                Some(v.saturating_add(n))
            });
    }
}

impl Clock for ManualClock {
    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst))
    }
    fn wall(&self) -> SystemTime {
        self.start_wall + self.monotonic()
    }
}

/// Formats `t` as an ISO 8601 UTC timestamp with microseconds, e.g.
/// `2026-01-01T00:05:00.000000+00:00` (Python's `datetime.isoformat()` for an aware UTC time).
pub fn iso_utc(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let mut y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    if month <= 2 {
        y += 1;
    }
    format!(
        "{y:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_formatting_matches_known_dates() {
        // 2026-01-01T00:00:00Z is 1_767_225_600 (20454 days after the epoch).
        assert_eq!(
            iso_utc(UNIX_EPOCH + Duration::from_secs(1_767_225_600)),
            "2026-01-01T00:00:00.000000+00:00"
        );
        // 2024-02-29T12:34:56.5Z, a leap day: 1_709_210_096.
        assert_eq!(
            iso_utc(UNIX_EPOCH + Duration::from_millis(1_709_210_096_500)),
            "2024-02-29T12:34:56.500000+00:00"
        );
        assert_eq!(iso_utc(UNIX_EPOCH), "1970-01-01T00:00:00.000000+00:00");
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::at_2026();
        assert_eq!(c.monotonic(), Duration::ZERO);
        c.advance(Duration::from_secs(300));
        assert_eq!(c.monotonic(), Duration::from_secs(300));
        assert_eq!(iso_utc(c.wall()), "2026-01-01T00:05:00.000000+00:00");
    }
}
