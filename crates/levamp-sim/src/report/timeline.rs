//! The stacked time charts, on one shared time axis (UTC when the scenario
//! has a start time): the price (one path, or the Monte-Carlo p5/p50/p95
//! fan over every path, [`crate::fan`]), liquidated notional per step, the insurance fund (y fitted to its
//! path, not from zero) and bad debt when there is any.

use super::axis::percent;
use super::chart::{Plot, Scale};
use crate::run::{PathMetrics, StepRecord};
use crate::scenario::Scenario;
use crate::setup::World;

/// `(min, max)` of values.
fn range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    v.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    })
}

/// The charts' HTML.
pub fn charts(s: &Scenario, world: &World, paths: &[PathMetrics], quote: &str) -> String {
    let Some(first) = paths.iter().find_map(|p| p.series.as_deref()) else {
        return String::new();
    };
    let dt = s.run.dt_s as f64;
    let t = |r: &StepRecord| r.step as f64 * dt;
    let x = Scale::time(world.start_time, s.run.steps as f64 * dt);
    let mut out = String::new();
    out.push_str(&price_chart(paths, first, s.run.steps, &x, dt, quote));
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
/// circles) and, with several paths, the p5/p50/p95 fan across all of them
/// (not only those that keep a series) with the run's probabilities of bad
/// debt, ADL and fund exhaustion.
fn price_chart(
    paths: &[PathMetrics],
    first: &[StepRecord],
    steps: usize,
    x: &Scale,
    dt: f64,
    quote: &str,
) -> String {
    let t = |step: usize| step as f64 * dt;
    let fan = (paths.len() > 1).then(|| crate::fan::price_fan(paths, steps));
    let (mut lo, mut hi) = range(first.iter().flat_map(|r| [r.price, r.exogenous]));
    if let Some(fan) = &fan {
        let (a, b) = range(fan.iter().flat_map(|f| [f.quantiles[0], f.quantiles[2]]));
        (lo, hi) = (lo.min(a), hi.max(b));
    }
    let title = match &fan {
        Some(_) => format!(
            "Market price: p5–p95 across all {} paths, median, and path 0",
            paths.len()
        ),
        None => "Market price and outside price (liquidations as circles, area ∝ notional)".into(),
    };
    let mut p = Plot::new(
        &title,
        x.clone(),
        Scale::fitted(lo, hi, &format!("price ({quote})"), false),
    );
    if let Some(fan) = &fan {
        let band = |i: usize| {
            fan.iter()
                .map(|f| (t(f.step), f.quantiles[i]))
                .collect::<Vec<_>>()
        };
        p.band(&band(0), &band(2), "rgba(31,78,153,0.18)");
        p.line(&band(1), "#1f4e99", 1.8, false);
        p.legend(
            &format!("p5–p95 of {} paths", paths.len()),
            "rgba(31,78,153,0.35)",
            false,
            true,
        );
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
