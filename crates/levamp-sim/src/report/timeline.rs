//! The stacked time charts, on one shared time axis (UTC when the scenario
//! has a start time): the price (one path, or the Monte-Carlo p5/p50/p95
//! fan), liquidated notional per step, the insurance fund (y fitted to its
//! path, not from zero) and bad debt when there is any.

use super::axis::percent;
use super::chart::{Plot, Scale};
use crate::run::{PathMetrics, StepRecord};
use crate::scenario::Scenario;
use crate::setup::World;
use std::collections::BTreeMap;

/// Nearest-rank quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Per-step p5, p50 and p95 of the market price across `series`, by step.
pub fn price_fan(series: &[&[StepRecord]]) -> Vec<(usize, [f64; 3])> {
    let mut by_step: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for s in series {
        for r in s.iter() {
            by_step.entry(r.step).or_default().push(r.price);
        }
    }
    by_step
        .into_iter()
        .map(|(step, mut v)| {
            v.sort_by(f64::total_cmp);
            (step, [0.05, 0.5, 0.95].map(|q| quantile(&v, q)))
        })
        .collect()
}

/// `(min, max)` of values.
fn range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    v.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    })
}

/// The charts' HTML.
pub fn charts(s: &Scenario, world: &World, paths: &[PathMetrics], quote: &str) -> String {
    let series: Vec<&[StepRecord]> = paths.iter().filter_map(|p| p.series.as_deref()).collect();
    let Some(first) = series.first().copied() else {
        return String::new();
    };
    let dt = s.run.dt_s as f64;
    let t = |r: &StepRecord| r.step as f64 * dt;
    let x = Scale::time(world.start_time, s.run.steps as f64 * dt);
    let mut out = String::new();
    out.push_str(&price_chart(paths, &series, &x, dt, quote));
    // Liquidated notional per step (bars one step wide).
    let liq: Vec<(f64, f64)> = first
        .iter()
        .filter(|r| r.liquidated_notional > 0.0)
        .map(|r| (t(r) - dt, r.liquidated_notional))
        .collect();
    let max = liq.iter().map(|b| b.1).fold(0.0, f64::max);
    let mut p = Plot::new(
        &format!("Liquidated notional per {} s, path 0", s.run.dt_s),
        x.clone(),
        Scale::from_zero(max, &format!("liquidated ({quote})"), false),
    );
    p.bars(&liq, dt, "#c0392b");
    out.push_str(&p.finish());
    // The insurance fund, fitted to its path.
    let (lo, hi) = range(first.iter().map(|r| r.insurance_fund));
    let mut p = Plot::new(
        "Insurance fund, path 0",
        x.clone(),
        Scale::fitted(lo, hi, &format!("insurance fund ({quote})"), false),
    );
    let fund: Vec<(f64, f64)> = first.iter().map(|r| (t(r), r.insurance_fund)).collect();
    p.line(&fund, "#2a8a4a", 1.6, false);
    out.push_str(&p.finish());
    let (_, debt_max) = range(first.iter().map(|r| r.bad_debt));
    if debt_max > 0.0 {
        let mut p = Plot::new(
            "Bad debt since the start, path 0",
            x,
            Scale::from_zero(debt_max, &format!("bad debt ({quote})"), false),
        );
        let debt: Vec<(f64, f64)> = first.iter().map(|r| (t(r), r.bad_debt)).collect();
        p.line(&debt, "#7f1d1d", 1.6, false);
        out.push_str(&p.finish());
    }
    out
}

/// The price chart: path 0 (market and outside price, liquidations as
/// circles) and, with several series, the p5/p50/p95 fan across them with
/// the run's probabilities of bad debt, ADL and fund exhaustion.
fn price_chart(
    paths: &[PathMetrics],
    series: &[&[StepRecord]],
    x: &Scale,
    dt: f64,
    quote: &str,
) -> String {
    let first = series[0];
    let t = |step: usize| step as f64 * dt;
    let fan = (series.len() > 1).then(|| price_fan(series));
    let (mut lo, mut hi) = range(first.iter().flat_map(|r| [r.price, r.exogenous]));
    if let Some(fan) = &fan {
        let (a, b) = range(fan.iter().flat_map(|f| [f.1[0], f.1[2]]));
        (lo, hi) = (lo.min(a), hi.max(b));
    }
    let title = match &fan {
        Some(_) => format!(
            "Market price: p5–p95 across {} paths, median, and path 0",
            series.len()
        ),
        None => "Market price and outside price (liquidations as circles, area ∝ notional)".into(),
    };
    let mut p = Plot::new(
        &title,
        x.clone(),
        Scale::fitted(lo, hi, &format!("price ({quote})"), false),
    );
    if let Some(fan) = &fan {
        let band = |i: usize| fan.iter().map(|f| (t(f.0), f.1[i])).collect::<Vec<_>>();
        p.band(&band(0), &band(2), "rgba(31,78,153,0.18)");
        p.line(&band(1), "#1f4e99", 1.8, false);
        p.legend("p5–p95", "rgba(31,78,153,0.35)", false, true);
        p.legend("median", "#1f4e99", false, false);
        let n = paths.len() as f64;
        let prob = |f: &dyn Fn(&PathMetrics) -> bool| {
            percent(paths.iter().filter(|m| f(m)).count() as f64 / n)
        };
        p.note(&format!(
            "over {} paths: P(bad debt) {}, P(ADL) {}, P(fund exhausted) {}",
            paths.len(),
            prob(&|m| m.bad_debt > 0.0),
            prob(&|m| m.adl_count > 0),
            prob(&|m| m.insurance_fund_depleted)
        ));
    }
    let exo: Vec<(f64, f64)> = first.iter().map(|r| (t(r.step), r.exogenous)).collect();
    let price: Vec<(f64, f64)> = first.iter().map(|r| (t(r.step), r.price)).collect();
    p.line(&exo, "#888888", 1.2, true);
    p.line(
        &price,
        if fan.is_some() { "#c0392b" } else { "#1f4e99" },
        1.4,
        false,
    );
    p.legend("outside price (path 0)", "#888888", true, false);
    p.legend(
        "market (path 0)",
        if fan.is_some() { "#c0392b" } else { "#1f4e99" },
        false,
        false,
    );
    let max_liq = first
        .iter()
        .map(|r| r.liquidated_notional)
        .fold(0.0, f64::max);
    if fan.is_none() && max_liq > 0.0 {
        for r in first.iter().filter(|r| r.liquidated_notional > 0.0) {
            p.circle(
                t(r.step),
                r.price,
                2.0 + 8.0 * (r.liquidated_notional / max_liq).sqrt(),
            );
        }
    }
    p.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(step: usize, price: f64) -> StepRecord {
        StepRecord {
            step,
            exogenous: price,
            price,
            oracle: price,
            liquidated_notional: 0.0,
            rounds: 0,
            insurance_fund: 0.0,
            bad_debt: 0.0,
        }
    }

    #[test]
    fn fan_is_per_step_quantiles_across_paths() {
        let paths: Vec<Vec<StepRecord>> = (1..=20)
            .map(|k| vec![rec(1, k as f64), rec(2, 100.0 - k as f64)])
            .collect();
        let refs: Vec<&[StepRecord]> = paths.iter().map(Vec::as_slice).collect();
        let fan = price_fan(&refs);
        assert_eq!(fan[0], (1, [1.0, 10.0, 19.0]));
        assert_eq!(fan[1], (2, [80.0, 89.0, 98.0]));
    }
}
