//! The original service's two cache-tuning recommenders, rule for rule (spec §5.1, golden
//! values §10.5).
//!
//! * [`recommend_from_stats`] — recommendation **A** (`GET /features/cache/tuning`,
//!   `compute_cache_tuning`): from live size, capacity, TTL, hits, misses and evictions.
//! * [`recommend_from_hit_rate`] — recommendation **B** (`POST /features/cache/tuning`): from
//!   an observed hit rate, the current capacity and TTL, and the observation window.
//!
//! Both keep the original's quirks on purpose, because callers compare their output with the
//! old service's: A can turn a TTL of 0 into 60 and "reduce" a capacity below 143 upward (to
//! 100 at least) (§11.11). Python's `int()` truncates (`as u64` here, the inputs are never
//! negative) and Python's `round` is round-half-to-even (`round_ties_even`, and for
//! `round(x, n)` the correctly rounded decimal formatting that both languages use).

use std::fmt;

/// Recommendation A.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheTuning {
    /// Recommended capacity.
    pub recommended_capacity: u64,
    /// Recommended TTL in seconds.
    pub recommended_ttl_seconds: u64,
    /// The capacity the recommendation starts from.
    pub current_capacity: u64,
    /// The TTL the recommendation starts from.
    pub current_ttl_seconds: u64,
    /// Change in percent, 1 decimal; 0 when the current capacity is 0.
    pub capacity_change_pct: f64,
    /// Change in percent, 1 decimal; 0 when the current TTL is 0.
    pub ttl_change_pct: f64,
    /// Why, one line per rule that fired (or the "optimal" line).
    pub reasons: Vec<String>,
    /// The ratios the rules looked at.
    pub metrics_summary: MetricsSummary,
}

/// `metrics_summary` of recommendation A.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricsSummary {
    /// hits / (hits + misses), 3 decimals (0 without traffic).
    pub hit_ratio: f64,
    /// size / capacity, 3 decimals (0 with capacity 0).
    pub usage_ratio: f64,
    /// evictions / (hits + misses), 3 decimals (0 without traffic).
    pub eviction_ratio: f64,
    /// hits + misses.
    pub total_requests: u64,
    /// Entries in the cache.
    pub current_size: u64,
}

/// The "nothing to change" reason of recommendation A.
pub const OPTIMAL_REASON: &str = "Current cache settings are optimal based on observed metrics";

/// Python's `round(x, digits)`: the correctly rounded decimal with ties to even, which is what
/// Rust's `{:.N}` formatting produces too.
pub(crate) fn round_dp(x: f64, digits: usize) -> f64 {
    format!("{x:.digits$}").parse().unwrap_or(x)
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Python `int(x)` for the non-negative products here (saturating `as`).
fn trunc(x: f64) -> u64 {
    x as u64
}

fn change_pct(recommended: u64, current: u64) -> f64 {
    if current == 0 {
        0.0
    } else {
        round_dp(
            (recommended as f64 - current as f64) / current as f64 * 100.0,
            1,
        )
    }
}

/// Recommendation A (`compute_cache_tuning`): the first matching capacity rule and the first
/// matching TTL rule apply.
///
/// | capacity rule | result |
/// |---|---|
/// | usage > 0.9 and evict > 0.05 | `int(cap·1.5)` |
/// | usage < 0.3 and evict < 0.01 | `max(int(cap·0.7), 100)` |
/// | evict > 0.15 | `int(cap·2.0)` |
///
/// | TTL rule | result |
/// |---|---|
/// | hit < 0.5 and evict < 0.05 | `max(int(ttl·0.7), 60)` |
/// | hit > 0.8 and evict < 0.02 | `int(ttl·1.3)` |
/// | evict > 0.1 and usage > 0.8 | `max(int(ttl·0.8), 60)` |
///
/// with `hit = hits/(hits+misses)`, `usage = size/capacity`, `evict = evictions/(hits+misses)`
/// (each 0 when its denominator is 0).
pub fn recommend_from_stats(
    size: u64,
    capacity: u64,
    ttl_seconds: u64,
    hits: u64,
    misses: u64,
    evictions: u64,
) -> CacheTuning {
    let total = hits.saturating_add(misses);
    let hit = ratio(hits, total);
    let usage = ratio(size, capacity);
    let evict = ratio(evictions, total);
    let cap = capacity as f64;
    let ttl = ttl_seconds as f64;
    let mut reasons = Vec::new();

    let mut rec_cap = capacity;
    if usage > 0.9 && evict > 0.05 {
        rec_cap = trunc(cap * 1.5);
        reasons.push(format!(
            "High cache usage ({:.1}%) with evictions ({:.1}%) - increase capacity",
            usage * 100.0,
            evict * 100.0
        ));
    } else if usage < 0.3 && evict < 0.01 {
        rec_cap = trunc(cap * 0.7).max(100);
        reasons.push(format!(
            "Low cache usage ({:.1}%) - reduce capacity to save memory",
            usage * 100.0
        ));
    } else if evict > 0.15 {
        rec_cap = trunc(cap * 2.0);
        reasons.push(format!(
            "Very high eviction rate ({:.1}%) - double capacity",
            evict * 100.0
        ));
    }

    let mut rec_ttl = ttl_seconds;
    if hit < 0.5 && evict < 0.05 {
        rec_ttl = trunc(ttl * 0.7).max(60);
        reasons.push(format!(
            "Low hit ratio ({:.1}%) - reduce TTL to refresh entries faster",
            hit * 100.0
        ));
    } else if hit > 0.8 && evict < 0.02 {
        rec_ttl = trunc(ttl * 1.3);
        reasons.push(format!(
            "High hit ratio ({:.1}%) - extend TTL for efficiency",
            hit * 100.0
        ));
    } else if evict > 0.1 && usage > 0.8 {
        rec_ttl = trunc(ttl * 0.8).max(60);
        reasons.push(format!(
            "High evictions ({:.1}%) - reduce TTL to free entries",
            evict * 100.0
        ));
    }

    if reasons.is_empty() {
        reasons.push(OPTIMAL_REASON.to_owned());
    }

    CacheTuning {
        recommended_capacity: rec_cap,
        recommended_ttl_seconds: rec_ttl,
        current_capacity: capacity,
        current_ttl_seconds: ttl_seconds,
        capacity_change_pct: change_pct(rec_cap, capacity),
        ttl_change_pct: change_pct(rec_ttl, ttl_seconds),
        reasons,
        metrics_summary: MetricsSummary {
            hit_ratio: round_dp(hit, 3),
            usage_ratio: round_dp(usage, 3),
            eviction_ratio: round_dp(evict, 3),
            total_requests: total,
            current_size: size,
        },
    }
}

/// Recommendation B.
#[derive(Debug, Clone, PartialEq)]
pub struct TuningAdvice {
    /// Recommended capacity.
    pub recommended_capacity: u64,
    /// Recommended TTL in seconds.
    pub recommended_ttl: u64,
    /// 0.75, 0.6, 0.7 or 0.55 (2 decimals).
    pub confidence: f64,
    /// One reason line.
    pub reasoning: Vec<String>,
    /// Always true (the original marks this endpoint experimental).
    pub experimental: bool,
}

/// An input of recommendation B out of range (the original's 422
/// `INPUT_VALIDATION_FAILED`, `status="invalid"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TuningError {
    /// The offending field: `hit_rate`, `capacity`, `ttl_seconds` or `window_hours`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl TuningError {
    /// `"INPUT_VALIDATION_FAILED"`.
    pub const CODE: &'static str = "INPUT_VALIDATION_FAILED";
    /// `"invalid"`.
    pub const STATUS: &'static str = "invalid";
}

impl fmt::Display for TuningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", Self::CODE, self.field, self.message)
    }
}

impl std::error::Error for TuningError {}

/// The original's `adjust_ttl(ttl, window_hours)`.
fn adjust_ttl(ttl: u64, window_hours: f64) -> u64 {
    let t = ttl as f64;
    if window_hours <= 1.0 {
        trunc(t * 0.5).max(60)
    } else if window_hours <= 6.0 {
        trunc(t * 0.8).max(60)
    } else if window_hours >= 24.0 {
        trunc(t * 1.2)
    } else {
        ttl
    }
}

/// Recommendation B (`POST /features/cache/tuning`).
///
/// | condition | capacity | TTL | confidence |
/// |---|---|---|---|
/// | hit_rate < 0.4 | `max(round(cap·1.5), cap+1)` | unchanged | 0.75 |
/// | else hit_rate < 0.7 | unchanged | `adjust_ttl(ttl, window)` | 0.6 |
/// | else hit_rate > 0.85 | `max(round(cap·0.8), 1)` | unchanged | 0.7 |
/// | else (0.7 … 0.85) | unchanged | unchanged | 0.55 |
///
/// `round` is half-to-even. Inputs must satisfy `0 ≤ hit_rate ≤ 1`, `capacity > 0`,
/// `ttl_seconds > 0` and `window_hours > 0` (the original's default window is 24).
pub fn recommend_from_hit_rate(
    hit_rate: f64,
    capacity: u64,
    ttl_seconds: u64,
    window_hours: f64,
) -> Result<TuningAdvice, TuningError> {
    if !(0.0..=1.0).contains(&hit_rate) {
        return Err(TuningError {
            field: "hit_rate",
            message: format!("must be between 0 and 1, got {hit_rate}"),
        });
    }
    if capacity == 0 {
        return Err(TuningError {
            field: "capacity",
            message: "must be greater than 0".into(),
        });
    }
    if ttl_seconds == 0 {
        return Err(TuningError {
            field: "ttl_seconds",
            message: "must be greater than 0".into(),
        });
    }
    if !(window_hours > 0.0 && window_hours.is_finite()) {
        return Err(TuningError {
            field: "window_hours",
            message: format!("must be a positive number, got {window_hours}"),
        });
    }
    let cap = capacity as f64;
    let (rec_cap, rec_ttl, confidence, reason) = if hit_rate < 0.4 {
        (
            trunc((cap * 1.5).round_ties_even()).max(capacity.saturating_add(1)),
            ttl_seconds,
            0.75,
            "Low hit rate suggests insufficient capacity",
        )
    } else if hit_rate < 0.7 {
        (
            capacity,
            adjust_ttl(ttl_seconds, window_hours),
            0.6,
            "Moderate hit rate, optimize TTL",
        )
    } else if hit_rate > 0.85 {
        (
            trunc((cap * 0.8).round_ties_even()).max(1),
            ttl_seconds,
            0.7,
            "High hit rate, capacity can be reduced",
        )
    } else {
        (
            capacity,
            ttl_seconds,
            0.55,
            "Hit rate within target band; keep current settings",
        )
    };
    Ok(TuningAdvice {
        recommended_capacity: rec_cap,
        recommended_ttl: rec_ttl,
        confidence: round_dp(confidence, 2),
        reasoning: vec![reason.to_owned()],
        experimental: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (size, cap, ttl, hits, misses, evictions).
    type Inputs = (u64, u64, u64, u64, u64, u64);

    /// Inputs → (capacity, ttl): every row of spec §10.5.
    #[test]
    fn golden_recommendation_a() {
        let rows: [(Inputs, (u64, u64)); 13] = [
            ((95, 100, 300, 60, 40, 10), (150, 300)),
            ((50, 100, 300, 80, 20, 1), (100, 300)),
            ((950, 1000, 3600, 1000, 100, 100), (1500, 3600)),
            ((200, 1000, 3600, 1000, 100, 5), (700, 4680)),
            ((400, 500, 3600, 1000, 100, 200), (1000, 3600)),
            ((500, 1000, 3600, 400, 600, 20), (1000, 2520)),
            ((500, 1000, 3600, 900, 100, 10), (1000, 4680)),
            ((600, 1000, 3600, 700, 300, 30), (1000, 3600)),
            ((0, 1000, 3600, 0, 0, 0), (700, 2520)),
            ((10, 150, 3600, 100, 10, 0), (105, 4680)),
            ((500, 1000, 100, 300, 700, 10), (1000, 70)),
            ((950, 1000, 1000, 100, 100, 100), (1500, 800)),
            ((0, 256, 0, 0, 0, 0), (179, 60)),
        ];
        for ((size, cap, ttl, h, m, e), (rc, rt)) in rows {
            let t = recommend_from_stats(size, cap, ttl, h, m, e);
            assert_eq!(
                (t.recommended_capacity, t.recommended_ttl_seconds),
                (rc, rt),
                "row {:?}",
                (size, cap, ttl, h, m, e)
            );
            assert_eq!(t.current_capacity, cap);
            assert_eq!(t.current_ttl_seconds, ttl);
        }
    }

    #[test]
    fn golden_recommendation_a_details() {
        let t = recommend_from_stats(95, 100, 300, 60, 40, 10);
        assert_eq!(t.capacity_change_pct, 50.0);
        assert_eq!(t.metrics_summary.total_requests, 100);
        assert!(
            t.reasons[0].contains("increase capacity"),
            "{:?}",
            t.reasons
        );
        assert!(t.reasons[0].contains("(95.0%)"));

        let t = recommend_from_stats(50, 100, 300, 80, 20, 1);
        assert_eq!(t.reasons, [OPTIMAL_REASON]);
        assert_eq!((t.capacity_change_pct, t.ttl_change_pct), (0.0, 0.0));

        let t = recommend_from_stats(400, 500, 3600, 1000, 100, 200);
        assert!(
            t.reasons.iter().any(|r| r.contains("double")),
            "{:?}",
            t.reasons
        );

        let t = recommend_from_stats(600, 1000, 3600, 700, 300, 30);
        assert_eq!(t.reasons, [OPTIMAL_REASON]);

        let t = recommend_from_stats(0, 1000, 3600, 0, 0, 0);
        assert_eq!(t.metrics_summary.hit_ratio, 0.0);
        assert_eq!(t.metrics_summary.eviction_ratio, 0.0);

        let t = recommend_from_stats(950, 1000, 1000, 100, 100, 100);
        assert_eq!((t.capacity_change_pct, t.ttl_change_pct), (50.0, -20.0));

        // The quirk: defaults with no traffic turn TTL on (0 → 60) with a 0.0 % change.
        let t = recommend_from_stats(0, 256, 0, 0, 0, 0);
        assert_eq!((t.capacity_change_pct, t.ttl_change_pct), (-30.1, 0.0));
    }

    /// capacity 1000, ttl 1000, window 2 h: every row of spec §10.5 (POST).
    #[test]
    fn golden_recommendation_b() {
        let rows = [
            (
                0.35,
                1500,
                1000,
                0.75,
                "Low hit rate suggests insufficient capacity",
            ),
            (
                0.39,
                1500,
                1000,
                0.75,
                "Low hit rate suggests insufficient capacity",
            ),
            (0.40, 1000, 800, 0.6, "Moderate hit rate, optimize TTL"),
            (
                0.70,
                1000,
                1000,
                0.55,
                "Hit rate within target band; keep current settings",
            ),
            (
                0.85,
                1000,
                1000,
                0.55,
                "Hit rate within target band; keep current settings",
            ),
            (
                0.90,
                800,
                1000,
                0.7,
                "High hit rate, capacity can be reduced",
            ),
        ];
        for (rate, cap, ttl, conf, reason) in rows {
            let a = recommend_from_hit_rate(rate, 1000, 1000, 2.0).unwrap();
            assert_eq!(
                (a.recommended_capacity, a.recommended_ttl, a.confidence),
                (cap, ttl, conf),
                "hit_rate {rate}"
            );
            assert_eq!(a.reasoning, [reason]);
            assert!(a.experimental);
        }
    }

    #[test]
    fn recommendation_b_rounding_and_windows() {
        // round(3 * 1.5) = round(4.5) = 4 (half to even), then max(4, 3 + 1) = 4;
        // round(5 * 1.5) = round(7.5) = 8.
        assert_eq!(
            recommend_from_hit_rate(0.1, 3, 100, 24.0)
                .unwrap()
                .recommended_capacity,
            4
        );
        assert_eq!(
            recommend_from_hit_rate(0.1, 5, 100, 24.0)
                .unwrap()
                .recommended_capacity,
            8
        );
        // cap 1 → round(1.5) = 2; cap 1 high hit → max(round(0.8), 1) = 1.
        assert_eq!(
            recommend_from_hit_rate(0.1, 1, 100, 24.0)
                .unwrap()
                .recommended_capacity,
            2
        );
        assert_eq!(
            recommend_from_hit_rate(0.9, 1, 100, 24.0)
                .unwrap()
                .recommended_capacity,
            1
        );
        // round(15 * 0.8) = round(12.0) = 12.
        assert_eq!(
            recommend_from_hit_rate(0.9, 15, 100, 24.0)
                .unwrap()
                .recommended_capacity,
            12
        );
        // adjust_ttl windows: ≤1 → ×0.5 (min 60), ≤6 → ×0.8 (min 60), ≥24 → ×1.2, else same.
        let ttl = |w| {
            recommend_from_hit_rate(0.5, 10, 1000, w)
                .unwrap()
                .recommended_ttl
        };
        assert_eq!(ttl(1.0), 500);
        assert_eq!(ttl(6.0), 800);
        assert_eq!(ttl(12.0), 1000);
        assert_eq!(ttl(24.0), 1200);
        assert_eq!(
            recommend_from_hit_rate(0.5, 10, 100, 0.5)
                .unwrap()
                .recommended_ttl,
            60
        );
    }

    #[test]
    fn recommendation_b_validation() {
        for (r, c, t, w, field) in [
            (-0.1, 10, 10, 24.0, "hit_rate"),
            (1.1, 10, 10, 24.0, "hit_rate"),
            (f64::NAN, 10, 10, 24.0, "hit_rate"),
            (0.5, 0, 10, 24.0, "capacity"),
            (0.5, 10, 0, 24.0, "ttl_seconds"),
            (0.5, 10, 10, 0.0, "window_hours"),
            (0.5, 10, 10, f64::INFINITY, "window_hours"),
        ] {
            let e = recommend_from_hit_rate(r, c, t, w).unwrap_err();
            assert_eq!(e.field, field);
        }
        assert!(recommend_from_hit_rate(0.0, 1, 1, 1.0).is_ok());
        assert!(recommend_from_hit_rate(1.0, 1, 1, 1.0).is_ok());
    }

    #[test]
    fn python_style_decimal_rounding() {
        // Python: round(2.675, 2) == 2.67 (2.675 is 2.67499999… in binary); round(0.125, 2) ==
        // 0.12 (an exact tie, to even); round(-30.078125, 1) == -30.1.
        assert_eq!(round_dp(2.675, 2), 2.67);
        assert_eq!(round_dp(0.125, 2), 0.12);
        assert_eq!(round_dp(0.375, 2), 0.38);
        assert_eq!(round_dp(-30.078125, 1), -30.1);
    }
}
