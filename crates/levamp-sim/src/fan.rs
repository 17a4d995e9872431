//! The Monte-Carlo price fan (issue #11): per report bucket
//! ([`crate::series::fan_bucket_steps`]), the nearest-rank p5, p50 and p95
//! of the market price across **every** path, from the close each path
//! keeps in [`PathMetrics::price_closes`] — not only the paths that keep a
//! series. Paths come in path order, so the fan is the same whatever the
//! thread count (and quantiles do not depend on order anyway).

use crate::run::PathMetrics;
use crate::series::fan_close_steps;
use serde_json::{json, Value};

/// The quantiles of the fan.
pub const FAN_QUANTILES: [f64; 3] = [0.05, 0.5, 0.95];

/// One bucket of the fan: the step that closes it and the p5, p50, p95 of
/// the paths' market prices at that step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FanPoint {
    pub step: usize,
    pub quantiles: [f64; 3],
}

/// 0-based index of the nearest-rank `q` quantile among `n` sorted values
/// (as [`crate::summary::percentile`]); `n` > 0.
fn nearest_rank(n: usize, q: f64) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n) - 1
}

/// The fan over `paths` of a `steps`-step run: one point per bucket with at
/// least one path's close (none without paths). Each bucket selects its
/// three quantiles in O(paths), with one buffer of `paths.len()` values.
pub fn price_fan(paths: &[PathMetrics], steps: usize) -> Vec<FanPoint> {
    let mut values: Vec<f64> = Vec::with_capacity(paths.len());
    let mut fan = Vec::new();
    for (b, step) in fan_close_steps(steps).enumerate() {
        values.clear();
        values.extend(paths.iter().filter_map(|p| p.price_closes.get(b)));
        if values.is_empty() {
            continue;
        }
        let n = values.len();
        // Ascending ranks, each selection within the part above the last.
        let mut quantiles = [0.0; 3];
        let mut from = 0;
        for (i, q) in FAN_QUANTILES.into_iter().enumerate() {
            let rank = nearest_rank(n, q);
            let (_, v, _) = values[from..].select_nth_unstable_by(rank - from, f64::total_cmp);
            quantiles[i] = *v;
            from = rank;
        }
        fan.push(FanPoint { step, quantiles });
    }
    fan
}

/// The fan as metrics.json's `price_quantiles`: `[{step, p5, p50, p95}, …]`.
pub fn price_quantiles_json(fan: &[FanPoint]) -> Value {
    fan.iter()
        .map(|f| {
            let [p5, p50, p95] = f.quantiles;
            json!({"step": f.step, "p5": p5, "p50": p50, "p95": p95})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(closes: Vec<f64>) -> PathMetrics {
        let mut m = crate::run::start_metrics(0, 0.0, 0);
        m.price_closes = closes;
        m
    }

    /// 20 paths of 2 steps: path k closes at k then at 100 − k. Nearest
    /// rank among 20: p5 is the 1st value, p50 the 10th, p95 the 19th.
    #[test]
    fn fan_is_nearest_rank_quantiles_across_paths_per_bucket() {
        // Shuffled order: the answer does not depend on it.
        let paths: Vec<PathMetrics> = [
            7, 1, 20, 13, 2, 19, 5, 11, 3, 17, 9, 15, 4, 12, 18, 6, 8, 16, 10, 14,
        ]
        .into_iter()
        .map(|k| path(vec![k as f64, 100.0 - k as f64]))
        .collect();
        let fan = price_fan(&paths, 2);
        assert_eq!(
            fan,
            [
                FanPoint {
                    step: 1,
                    quantiles: [1.0, 10.0, 19.0]
                },
                FanPoint {
                    step: 2,
                    quantiles: [80.0, 89.0, 98.0]
                },
            ]
        );
        assert_eq!(
            price_quantiles_json(&fan)[1],
            json!({"step": 2, "p5": 80.0, "p50": 89.0, "p95": 98.0})
        );
    }

    /// Three paths: p5 and p50 are the 1st and 2nd of 3, p95 the 3rd.
    /// 1,001 steps: buckets of 3, closing at 3, 6, …, 999, 1,001.
    #[test]
    fn fan_of_few_paths_and_long_runs() {
        let closes = |a: f64| (0..334).map(|b| a + b as f64).collect::<Vec<_>>();
        let paths = [path(closes(30.0)), path(closes(10.0)), path(closes(20.0))];
        let fan = price_fan(&paths, 1_001);
        assert_eq!(fan.len(), 334);
        assert_eq!(
            fan[0],
            FanPoint {
                step: 3,
                quantiles: [10.0, 20.0, 30.0]
            }
        );
        assert_eq!(
            fan[333],
            FanPoint {
                step: 1_001,
                quantiles: [343.0, 353.0, 363.0]
            }
        );
        assert!(price_fan(&[], 1_001).is_empty());
    }
}
