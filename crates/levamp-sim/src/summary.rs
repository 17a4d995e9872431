//! Monte Carlo: paths in parallel (bit-identical whatever the thread
//! count: each path has its own seeded stream and results are collected in
//! path order), then distributions and the industry's risk metrics —
//! value-at-risk of bad debt (95th/99th percentile), expected shortfall,
//! liquidations-at-risk (95th percentile liquidated notional), insurance-fund
//! depletion probability.

use crate::run::{PathError, PathMetrics, Worker};
use crate::scenario::Scenario;
use crate::setup::World;
use levamp_engine::venue::Venue;
use rayon::prelude::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The message of a run stopped by its cancellation flag.
pub const CANCELLED: &str = "cancelled";
use std::sync::{Mutex, PoisonError};

/// Runs every path; `done` counts finished paths (for a progress bar). A
/// failed path fails the run: the error of the lowest failing path, so the
/// answer does not depend on the thread count.
///
/// Reset, don't clone: each rayon thread copies the world's venue once,
/// checkpoints it, and restores it after every path (at a cost proportional
/// to what the path changed), so a path starts from a venue equal to
/// `world.venue` whichever thread runs it.
pub fn simulate(
    s: &Scenario,
    world: &World,
    done: &AtomicUsize,
) -> Result<Vec<PathMetrics>, PathError> {
    simulate_until(s, world, done, &AtomicBool::new(false))
}

/// As [`simulate`], stopped by `cancel`: once it is set no further path
/// starts and those running stop before their next step; the run fails
/// with [`CANCELLED`].
pub fn simulate_until(
    s: &Scenario,
    world: &World,
    done: &AtomicUsize,
    cancel: &AtomicBool,
) -> Result<Vec<PathMetrics>, PathError> {
    let workers: Vec<Mutex<Option<Worker>>> = (0..rayon::current_num_threads().max(1))
        .map(|_| Mutex::new(None))
        .collect();
    // No more paths than threads: no thread runs a second path, so none
    // keeps a journal (a one-path run journals for nothing).
    let reuse = s.run.paths > workers.len();
    let results: Vec<Result<PathMetrics, PathError>> = (0..s.run.paths)
        .into_par_iter()
        .map(|p| {
            if cancel.load(Ordering::Relaxed) {
                return Err(PathError {
                    path: p,
                    step: 0,
                    message: CANCELLED.to_string(),
                });
            }
            let series = p < s.run.series_paths;
            let m = if reuse {
                let slot = rayon::current_thread_index().unwrap_or(0) % workers.len();
                // Uncontended: a thread runs one path at a time.
                let mut worker = workers[slot].lock().unwrap_or_else(PoisonError::into_inner);
                let worker = worker.get_or_insert_with(|| Worker::new(world));
                worker.run_until(s, world, (p, series, false), cancel)
            } else {
                let venue = world.venue.clone();
                crate::run::run_path_on(s, world, venue, (p, series, false), cancel).0
            };
            done.fetch_add(1, Ordering::Relaxed);
            m
        })
        .collect();
    results.into_iter().collect()
}

/// As [`simulate`], for a world no later run starts from: a single path
/// runs on the world's own venue instead of a copy (at a million accounts
/// copying the venue and freeing the copy cost more than the path), and
/// `world.venue` is left as that path ends it. The rest of the world (what
/// the outputs read) is untouched; several paths run as [`simulate`] runs
/// them, leaving the venue as it was.
pub fn simulate_in_place(
    s: &Scenario,
    world: &mut World,
    done: &AtomicUsize,
) -> Result<Vec<PathMetrics>, PathError> {
    simulate_in_place_until(s, world, done, &AtomicBool::new(false))
}

/// As [`simulate_in_place`], stopped by `cancel` as [`simulate_until`] is
/// (a single path too, between its steps).
pub fn simulate_in_place_until(
    s: &Scenario,
    world: &mut World,
    done: &AtomicUsize,
    cancel: &AtomicBool,
) -> Result<Vec<PathMetrics>, PathError> {
    if s.run.paths != 1 {
        return simulate_until(s, world, done, cancel);
    }
    if cancel.load(Ordering::Relaxed) {
        return Err(PathError {
            path: 0,
            step: 0,
            message: CANCELLED.to_string(),
        });
    }
    let series = s.run.series_paths > 0;
    // A placeholder while the path holds the venue: nothing in a path reads
    // `world.venue`.
    let placeholder = Venue::new(world.venue.rules().clone(), "");
    let venue = std::mem::replace(&mut world.venue, placeholder);
    let (m, venue) = crate::run::run_path_on(s, world, venue, (0, series, false), cancel);
    world.venue = venue;
    done.fetch_add(1, Ordering::Relaxed);
    Ok(vec![m?])
}

/// Distribution of one metric across paths.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub mean: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// Nearest-rank percentile of sorted values (`q` in 0..=1; 0 for none).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

impl Stat {
    pub fn of(values: impl Iterator<Item = f64>) -> Stat {
        let mut v: Vec<f64> = values.collect();
        v.sort_by(f64::total_cmp);
        let mean = if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        };
        Stat {
            mean,
            p5: percentile(&v, 0.05),
            p50: percentile(&v, 0.5),
            p95: percentile(&v, 0.95),
            p99: percentile(&v, 0.99),
            max: v.last().copied().unwrap_or(0.0),
        }
    }
    pub(crate) fn json(&self) -> Value {
        json!({"mean": self.mean, "p5": self.p5, "p50": self.p50, "p95": self.p95, "p99": self.p99, "max": self.max})
    }
}

/// Expected shortfall at `q`: the mean of the worst `1 − q` share of values.
pub fn expected_shortfall(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let from = ((q * v.len() as f64).floor() as usize).min(v.len().saturating_sub(1));
    let tail = &v[from..];
    if tail.is_empty() {
        0.0
    } else {
        tail.iter().sum::<f64>() / tail.len() as f64
    }
}

/// The metrics every path reports, by name.
pub const METRICS: &[&str] = &[
    "final_price",
    "min_price",
    "max_drawdown",
    "liquidated_notional",
    "liquidated_long",
    "liquidated_short",
    "accounts_liquidated",
    "bad_debt",
    "insurance_fund_drawdown",
    "cascade_amplification",
    "rounds",
    "max_rounds_in_a_step",
    "adl_count",
    "adl_notional",
    "funding_paid",
    "top_ups",
    "topped_up",
    "agent_liquidations",
    "waiting_liquidations",
    "basis_unwound",
    "hunts",
    "hunter_pnl",
    "hunt_liquidations",
    "hunt_liquidated_notional",
    "refused_commands",
    "lending_liquidations",
    "lending_debt_repaid",
    "lending_collateral_seized",
    "lending_deficit",
    "arbitrage_volume",
    "arbitrage_pnl",
    "mm_absorbed",
    "mm_max_inventory",
    "mm_withdrawn_steps",
    "mm_pnl",
    "backstop_losses",
    "contagion_losses",
    "contagion_share",
];

/// A metric's value on a path.
pub fn metric(m: &PathMetrics, name: &str) -> f64 {
    match name {
        "final_price" => m.final_price,
        "min_price" => m.min_price,
        "max_drawdown" => m.max_drawdown,
        "liquidated_notional" => m.liquidated_notional,
        "liquidated_long" => m.liquidated_long,
        "liquidated_short" => m.liquidated_short,
        "accounts_liquidated" => m.accounts_liquidated as f64,
        "bad_debt" => m.bad_debt,
        "insurance_fund_drawdown" => m.insurance_fund_drawdown,
        "cascade_amplification" => m.cascade_amplification,
        "rounds" => m.rounds as f64,
        "max_rounds_in_a_step" => m.max_rounds_in_a_step as f64,
        "adl_count" => m.adl_count as f64,
        "adl_notional" => m.adl_notional,
        "funding_paid" => m.funding_paid,
        "top_ups" => m.agents.top_ups as f64,
        "topped_up" => m.agents.topped_up,
        "agent_liquidations" => m.agents.agent_liquidations as f64,
        "waiting_liquidations" => m.agents.waiting as f64,
        "basis_unwound" => m.agents.basis_unwound,
        "hunts" => m.agents.hunts as f64,
        "hunter_pnl" => m.agents.hunter_pnl,
        "hunt_liquidations" => m.agents.hunt_liquidations as f64,
        "hunt_liquidated_notional" => m.agents.hunt_liquidated_notional,
        "refused_commands" => (m.agents.refused_commands + m.lending.refused) as f64,
        "lending_liquidations" => m.lending.liquidations as f64,
        "lending_debt_repaid" => m.lending.debt_repaid,
        "lending_collateral_seized" => m.lending.collateral_seized,
        "lending_deficit" => m.lending.deficit,
        "arbitrage_volume" => m.liquidity.arbitrage_volume,
        "arbitrage_pnl" => m.liquidity.arbitrage_pnl,
        "mm_absorbed" => m.liquidity.mm_absorbed,
        "mm_max_inventory" => m.liquidity.mm_max_inventory,
        "mm_withdrawn_steps" => m.liquidity.mm_withdrawn_steps as f64,
        "mm_pnl" => m.liquidity.mm_pnl,
        "backstop_losses" => m.backstop.losses,
        "contagion_losses" => m.backstop.contagion,
        "contagion_share" => m.backstop.contagion_share(),
        _ => 0.0,
    }
}

/// The `summary` object of metrics.json.
pub fn summary_json(paths: &[PathMetrics]) -> Value {
    let mut out = serde_json::Map::new();
    for name in METRICS {
        out.insert(
            name.to_string(),
            Stat::of(paths.iter().map(|m| metric(m, name))).json(),
        );
    }
    let bad: Vec<f64> = paths.iter().map(|m| m.bad_debt).collect();
    let liq: Vec<f64> = paths.iter().map(|m| m.liquidated_notional).collect();
    let n = paths.len().max(1) as f64;
    let bad_stat = Stat::of(bad.iter().copied());
    out.insert(
        "risk".into(),
        json!({
            "bad_debt_var_95": bad_stat.p95,
            "bad_debt_var_99": bad_stat.p99,
            "bad_debt_expected_shortfall_95": expected_shortfall(&bad, 0.95),
            "liquidations_at_risk_95": Stat::of(liq.iter().copied()).p95,
            "liquidations_expected_shortfall_95": expected_shortfall(&liq, 0.95),
            "insurance_fund_depletion_probability": paths.iter().filter(|m| m.insurance_fund_depleted).count() as f64 / n,
            "probability_of_bad_debt": paths.iter().filter(|m| m.bad_debt > 0.0).count() as f64 / n,
            "probability_of_any_liquidation": paths.iter().filter(|m| m.liquidated_notional > 0.0).count() as f64 / n,
        }),
    );
    let first: Vec<f64> = paths
        .iter()
        .filter_map(|m| m.time_to_first_liquidation.map(|t| t as f64))
        .collect();
    out.insert(
        "time_to_first_liquidation_steps".into(),
        Stat::of(first.into_iter()).json(),
    );
    out.insert("paths".into(), json!(paths.len()));
    if paths.iter().any(|m| !m.backstop.segments.is_empty()) {
        let b: Vec<_> = paths.iter().map(|m| &m.backstop).collect();
        out.insert("backstop".into(), crate::backstop::summary_json(&b));
    }
    Value::Object(out)
}

/// One path's row in metrics.json.
pub fn path_json(m: &PathMetrics) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("path".into(), json!(m.path));
    for name in METRICS {
        let v = metric(m, name);
        // Counts print as integers.
        let count = matches!(
            *name,
            "accounts_liquidated"
                | "rounds"
                | "max_rounds_in_a_step"
                | "adl_count"
                | "top_ups"
                | "agent_liquidations"
                | "waiting_liquidations"
                | "hunts"
                | "refused_commands"
        );
        o.insert(
            name.to_string(),
            if count { json!(v as u64) } else { json!(v) },
        );
    }
    o.insert(
        "insurance_fund_depleted".into(),
        json!(m.insurance_fund_depleted),
    );
    o.insert(
        "time_to_first_liquidation".into(),
        json!(m.time_to_first_liquidation),
    );
    o.insert("liquidated_by_round".into(), json!(m.by_round));
    if !m.backstop.segments.is_empty() {
        o.insert("backstop".into(), crate::backstop::path_json(&m.backstop));
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_shortfall() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = Stat::of(v.iter().copied());
        assert_eq!(
            (s.p5, s.p50, s.p95, s.p99, s.max),
            (5.0, 50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(
            expected_shortfall(&v, 0.95),
            (96.0 + 97.0 + 98.0 + 99.0 + 100.0) / 5.0
        );
    }
}
