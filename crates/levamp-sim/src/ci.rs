//! Named statistics over paths and their Monte-Carlo confidence intervals:
//! the one place `levamp study` (and later `levamp recommend` and sweeps)
//! turn per-path metrics into an estimate with a 95 % interval.
//!
//! A [`Statistic`] is named as in `metrics.json`: a risk metric
//! (`bad_debt_var_99`, `probability_of_bad_debt`, …) or a per-path metric
//! (`bad_debt`: its mean over paths; `bad_debt.p95`, `.p99`, `.p50`,
//! `.max`: its percentiles). Its estimate on all paths equals the value
//! `metrics.json` reports.
//!
//! The interval is a percentile bootstrap over paths (Efron & Tibshirani,
//! *An Introduction to the Bootstrap*, 1993, ch. 13): [`RESAMPLES`]
//! resamples of the paths with replacement, the statistic on each, the
//! 2.5th and 97.5th percentiles of those. The resampling is seeded, so the
//! interval is deterministic; with the same seed every variant of a study
//! draws the same resampled path indices, which keeps the common random
//! numbers paired ([`difference_interval`]). With few paths a tail
//! statistic (a 99th percentile of 100 paths) has a poor interval, and an
//! event never seen gives `[0, 0]`: more paths are the only cure.

use crate::run::PathMetrics;
use crate::summary::{expected_shortfall, metric, percentile, METRICS};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Bootstrap resamples per interval.
pub const RESAMPLES: usize = 1000;

/// How a statistic aggregates its per-path values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Aggregate {
    Mean,
    /// Nearest-rank percentile (`q` in 0..=1), as [`percentile`].
    Percentile(f64),
    /// Mean of the worst `1 − q` share, as [`expected_shortfall`].
    ExpectedShortfall(f64),
}

impl Aggregate {
    /// The aggregate of `values` (sorted in place when it needs order).
    pub fn of(self, values: &mut [f64]) -> f64 {
        match self {
            Aggregate::Mean if values.is_empty() => 0.0,
            Aggregate::Mean => {
                // Summed in ascending order, as `metrics.json`'s means are.
                values.sort_by(f64::total_cmp);
                values.iter().sum::<f64>() / values.len() as f64
            }
            Aggregate::Percentile(q) => {
                values.sort_by(f64::total_cmp);
                percentile(values, q)
            }
            Aggregate::ExpectedShortfall(q) => expected_shortfall(values, q),
        }
    }
}

/// What a statistic reads from each path.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PerPath {
    Metric(&'static str),
    /// 1 when the metric is above 0 on the path, else 0.
    Positive(&'static str),
    /// 1 when the insurance fund was depleted on the path.
    Depleted,
}

/// The risk metrics of `metrics.json` (`summary.risk`), by name.
const RISK: &[(&str, PerPath, Aggregate)] = &[
    (
        "bad_debt_var_95",
        PerPath::Metric("bad_debt"),
        Aggregate::Percentile(0.95),
    ),
    (
        "bad_debt_var_99",
        PerPath::Metric("bad_debt"),
        Aggregate::Percentile(0.99),
    ),
    (
        "bad_debt_expected_shortfall_95",
        PerPath::Metric("bad_debt"),
        Aggregate::ExpectedShortfall(0.95),
    ),
    (
        "liquidations_at_risk_95",
        PerPath::Metric("liquidated_notional"),
        Aggregate::Percentile(0.95),
    ),
    (
        "liquidations_expected_shortfall_95",
        PerPath::Metric("liquidated_notional"),
        Aggregate::ExpectedShortfall(0.95),
    ),
    (
        "insurance_fund_depletion_probability",
        PerPath::Depleted,
        Aggregate::Mean,
    ),
    (
        "probability_of_bad_debt",
        PerPath::Positive("bad_debt"),
        Aggregate::Mean,
    ),
    (
        "probability_of_any_liquidation",
        PerPath::Positive("liquidated_notional"),
        Aggregate::Mean,
    ),
];

/// Percentile suffixes of a per-path metric.
const SUFFIXES: &[(&str, f64)] = &[("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0)];

/// A named statistic of a set of paths.
#[derive(Clone, Debug, PartialEq)]
pub struct Statistic {
    pub name: String,
    per_path: PerPath,
    pub aggregate: Aggregate,
}

impl Statistic {
    /// The statistic called `name`; an unknown name is an error message
    /// with a suggestion.
    pub fn parse(name: &str) -> Result<Statistic, String> {
        let found = |per_path, aggregate| Statistic {
            name: name.to_string(),
            per_path,
            aggregate,
        };
        if let Some(&(_, p, a)) = RISK.iter().find(|r| r.0 == name) {
            return Ok(found(p, a));
        }
        let (base, suffix) = name.split_once('.').unwrap_or((name, ""));
        if let Some(&m) = METRICS.iter().find(|m| **m == base) {
            let aggregate = match suffix {
                "" | "mean" => Some(Aggregate::Mean),
                s => SUFFIXES
                    .iter()
                    .find(|x| x.0 == s)
                    .map(|x| Aggregate::Percentile(x.1)),
            };
            if let Some(a) = aggregate {
                return Ok(found(PerPath::Metric(m), a));
            }
        }
        let names = names();
        let hint = levamp_io::json::did_you_mean(name, names.iter().map(String::as_str))
            .map(|s| format!(" (did you mean {}?)", levamp_io::json::quote(s)))
            .unwrap_or_else(|| {
                " (a risk metric such as bad_debt_var_99, or a path metric such as bad_debt, \
                 bad_debt.p95)"
                    .into()
            });
        Err(format!(
            "unknown metric {}{hint}",
            levamp_io::json::quote(name)
        ))
    }

    /// Each path's value, in path order.
    pub fn values(&self, paths: &[PathMetrics]) -> Vec<f64> {
        paths
            .iter()
            .map(|m| match self.per_path {
                PerPath::Metric(name) => metric(m, name),
                PerPath::Positive(name) => f64::from(u8::from(metric(m, name) > 0.0)),
                PerPath::Depleted => f64::from(u8::from(m.insurance_fund_depleted)),
            })
            .collect()
    }

    /// The statistic of per-path `values` (from [`Statistic::values`]).
    pub fn estimate(&self, values: &[f64]) -> f64 {
        self.aggregate.of(&mut values.to_vec())
    }
}

/// The names a study's table shows: the risk metrics, then each per-path
/// metric's mean.
pub fn names() -> Vec<String> {
    RISK.iter()
        .map(|r| r.0.to_string())
        .chain(METRICS.iter().map(|m| m.to_string()))
        .collect()
}

/// A 95 % percentile-bootstrap interval `[lo, hi]` of `aggregate` over
/// `values`, from [`RESAMPLES`] resamples drawn from `seed`.
pub fn interval(values: &[f64], aggregate: Aggregate, seed: u64) -> [f64; 2] {
    resampled(values.len(), seed, |idx, buf| {
        buf.clear();
        buf.extend(idx.iter().map(|&i| values[i]));
        aggregate.of(buf)
    })
}

/// A 95 % paired-bootstrap interval of `aggregate(a) − aggregate(b)`, where
/// `a[i]` and `b[i]` come from the same path (common random numbers): each
/// resample takes the same paths from both, so the noise the two share
/// cancels. `a` and `b` have the same length.
pub fn difference_interval(a: &[f64], b: &[f64], aggregate: Aggregate, seed: u64) -> [f64; 2] {
    assert_eq!(a.len(), b.len(), "paired values from the same paths");
    resampled(a.len(), seed, |idx, buf| {
        buf.clear();
        buf.extend(idx.iter().map(|&i| a[i]));
        let x = aggregate.of(buf);
        buf.clear();
        buf.extend(idx.iter().map(|&i| b[i]));
        x - aggregate.of(buf)
    })
}

/// The 2.5th and 97.5th percentiles of `stat` over [`RESAMPLES`]
/// resamples of `n` indices drawn with replacement from `seed`.
fn resampled(
    n: usize,
    seed: u64,
    mut stat: impl FnMut(&[usize], &mut Vec<f64>) -> f64,
) -> [f64; 2] {
    if n == 0 {
        return [0.0, 0.0];
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut idx, mut buf) = (vec![0; n], Vec::with_capacity(n));
    let mut estimates: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            for i in idx.iter_mut() {
                // Lemire's multiply-shift: uniform enough for n ≪ 2^64.
                *i = ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize;
            }
            stat(&idx, &mut buf)
        })
        .collect();
    estimates.sort_by(f64::total_cmp);
    [percentile(&estimates, 0.025), percentile(&estimates, 0.975)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random values with mean 10.
    fn sample(n: usize) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        (0..n)
            .map(|_| 10.0 + (rng.next_u64() % 2001) as f64 / 100.0 - 10.0)
            .collect()
    }

    #[test]
    fn interval_contains_the_estimate_and_shrinks_with_more_paths() {
        let (small, large) = (sample(50), sample(5000));
        let est = |v: &[f64]| Aggregate::Mean.of(&mut v.to_vec());
        let [lo, hi] = interval(&small, Aggregate::Mean, 1);
        assert!(lo < est(&small) && est(&small) < hi, "{lo} {hi}");
        let [lo2, hi2] = interval(&large, Aggregate::Mean, 1);
        assert!(lo2 < est(&large) && est(&large) < hi2, "{lo2} {hi2}");
        assert!(hi2 - lo2 < (hi - lo) / 5.0, "{} vs {}", hi2 - lo2, hi - lo);
        // The true mean, 10, is inside.
        assert!(lo2 < 10.0 && 10.0 < hi2);
    }

    #[test]
    fn bootstrap_is_deterministic_by_seed() {
        let v = sample(200);
        let a = interval(&v, Aggregate::Percentile(0.95), 7);
        assert_eq!(a, interval(&v, Aggregate::Percentile(0.95), 7));
        let m = interval(&v, Aggregate::Mean, 7);
        assert_eq!(m, interval(&v, Aggregate::Mean, 7));
        assert_ne!(m, interval(&v, Aggregate::Mean, 8));
    }

    #[test]
    fn paired_difference_cancels_shared_noise() {
        let a = sample(100);
        let b: Vec<f64> = a.iter().map(|x| x + 1.0).collect();
        // Each path of b is a's plus 1: the paired difference is exactly −1.
        let [dlo, dhi] = difference_interval(&a, &b, Aggregate::Mean, 3);
        assert!(
            (dlo + 1.0).abs() < 1e-9 && (dhi + 1.0).abs() < 1e-9,
            "{dlo} {dhi}"
        );
        let [lo, hi] = interval(&a, Aggregate::Mean, 3);
        assert!(hi - lo > 1.0);
    }

    #[test]
    fn names_parse_and_unknown_names_suggest() {
        for n in names() {
            assert_eq!(Statistic::parse(&n).unwrap().name, n);
        }
        assert_eq!(
            Statistic::parse("bad_debt.p99").unwrap().aggregate,
            Aggregate::Percentile(0.99)
        );
        assert_eq!(
            Statistic::parse("bad_debt_var99").unwrap_err(),
            "unknown metric \"bad_debt_var99\" (did you mean \"bad_debt_var_99\"?)"
        );
        assert!(Statistic::parse("bad_debt.p42").is_err());
    }
}
