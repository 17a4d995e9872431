//! A study's results: every variant's statistics with 95 % bootstrap
//! intervals ([`crate::ci`]), `study.json`, and the self-contained
//! `report.html` (the table and the frontier chart).

use crate::ci::{interval, names, Statistic};
use crate::report::chart::{Plot, Scale};
use crate::report::esc;
use crate::scenario::Accounts;
use crate::study::{Study, Variant, XAxis};
use crate::variants::Evaluation;
use serde_json::{json, Map, Value};
use std::fmt::Write;

/// An estimate and its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub ci: [f64; 2],
}

/// One variant's results.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantResult {
    pub variant: Variant,
    /// Every statistic of [`names`], in that order.
    pub metrics: Vec<(String, Estimate)>,
    /// The frontier's x (a constant of the design has a zero-width interval).
    pub x: Estimate,
    pub y: Estimate,
    /// The y statistic's per-path values (for paired differences).
    pub y_values: Vec<f64>,
    /// Whether the target's metric's upper bound meets it (`None`: no target).
    pub meets_target: Option<bool>,
}

/// The estimate and interval of `stat` on the evaluation's paths; the
/// bootstrap seed is the study's, so all variants resample the same paths.
fn estimate(stat: &Statistic, e: &Evaluation, seed: u64) -> Estimate {
    let values = stat.values(&e.paths);
    Estimate {
        value: stat.estimate(&values),
        ci: interval(&values, stat.aggregate, seed),
    }
}

/// The largest leverage an account of the variant opens: the main market's
/// first-tier `max_leverage`, capped by a population's `leverage.max`.
fn max_leverage(e: &Evaluation) -> f64 {
    let venue = e.world.market.map_or(f64::NAN, |m| {
        e.world.venue.markets()[m as usize].tiers[0]
            .max_leverage
            .to_f64_lossy()
    });
    match &e.scenario.accounts {
        Accounts::Population(p) => venue.min(p.leverage_max),
        Accounts::Snapshot(_) => venue,
    }
}

/// Summarises one variant's evaluation under `study` (bootstrap seed `seed`).
pub fn summarize(study: &Study, variant: &Variant, e: &Evaluation, seed: u64) -> VariantResult {
    let metrics: Vec<(String, Estimate)> = names()
        .into_iter()
        .map(|n| {
            let stat = Statistic::parse(&n).expect("a listed name");
            let est = estimate(&stat, e, seed);
            (n, est)
        })
        .collect();
    let constant = |v: f64| Estimate {
        value: v,
        ci: [v, v],
    };
    let x = match &study.x {
        XAxis::MaxLeverage => constant(max_leverage(e)),
        XAxis::OpenInterest => constant(e.world.open_notional.0 + e.world.open_notional.1),
        XAxis::Statistic(s) => estimate(s, e, seed),
    };
    let y = estimate(&study.y, e, seed);
    let y_values = study.y.values(&e.paths);
    let meets_target = study
        .target
        .as_ref()
        .map(|t| estimate(&t.metric, e, seed).ci[1] <= t.max);
    VariantResult {
        variant: variant.clone(),
        metrics,
        x,
        y,
        y_values,
        meets_target,
    }
}

/// The paired 95 % interval of each variant's y minus the first variant's,
/// on the same paths ([`crate::ci::difference_interval`]): narrower than
/// the two intervals side by side, since the paths' shared noise cancels.
pub fn versus_first(study: &Study, results: &[VariantResult], seed: u64) -> Vec<Estimate> {
    let Some(first) = results.first() else {
        return Vec::new();
    };
    results
        .iter()
        .map(|r| Estimate {
            value: r.y.value - first.y.value,
            ci: crate::ci::difference_interval(
                &r.y_values,
                &first.y_values,
                study.y.aggregate,
                seed,
            ),
        })
        .collect()
}

/// The best variant under the target: among those meeting it, the one with
/// the best x (`prefer`), then the lowest y; `None` without a target or
/// when none meets it.
pub fn best(study: &Study, results: &[VariantResult]) -> Option<usize> {
    let sign = if study.prefer_higher { -1.0 } else { 1.0 };
    results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.meets_target == Some(true))
        .min_by(|(_, a), (_, b)| {
            (sign * a.x.value)
                .total_cmp(&(sign * b.x.value))
                .then(a.y.value.total_cmp(&b.y.value))
        })
        .map(|(i, _)| i)
}

fn estimate_json(e: &Estimate) -> Value {
    json!({"estimate": e.value, "ci": e.ci})
}

/// The `study.json` document (docs/studies.md describes it).
pub fn study_json(
    study: &Study,
    base: &str,
    paths: usize,
    seed: u64,
    results: &[VariantResult],
) -> Value {
    let diffs = versus_first(study, results, seed);
    let variants: Vec<Value> = results
        .iter()
        .zip(&diffs)
        .map(|(r, d)| {
            let overrides: Map<String, Value> = r.variant.overrides.iter().cloned().collect();
            let metrics: Map<String, Value> = r
                .metrics
                .iter()
                .map(|(n, e)| (n.clone(), json!(e.value)))
                .collect();
            let ci: Map<String, Value> = r
                .metrics
                .iter()
                .map(|(n, e)| (n.clone(), json!(e.ci)))
                .collect();
            json!({
                "name": r.variant.name,
                "overrides": overrides,
                "metrics": metrics,
                "ci": ci,
                "frontier": {"x": estimate_json(&r.x), "y": estimate_json(&r.y),
                             "y_minus_first": estimate_json(d)},
                "meets_target": r.meets_target,
            })
        })
        .collect();
    json!({
        "study": study.name,
        "base": base,
        "paths": paths,
        "seed": seed,
        "confidence": 0.95,
        "frontier": {
            "x": study.x.name(),
            "y": study.y.name,
            "prefer": if study.prefer_higher { "higher" } else { "lower" },
            "target": study.target.as_ref().map(|t| format!("{} <= {}", t.metric.name, t.max)),
            "best": best(study, results).map(|i| results[i].variant.name.clone()),
        },
        "variants": variants,
    })
}

/// `1.23 M [1.1 M, 1.4 M]`.
pub fn with_interval(e: &Estimate) -> String {
    use crate::report::axis::human;
    if e.ci[0] == e.ci[1] && e.ci[0] == e.value {
        return human(e.value);
    }
    format!(
        "{} [{}, {}]",
        human(e.value),
        human(e.ci[0]),
        human(e.ci[1])
    )
}

/// The statistics worth a row: those not zero in every variant, plus x and y.
pub fn shown_metrics(study: &Study, results: &[VariantResult]) -> Vec<usize> {
    let Some(first) = results.first() else {
        return Vec::new();
    };
    (0..first.metrics.len())
        .filter(|&i| {
            let name = &first.metrics[i].0;
            name == &study.y.name
                || name == study.x.name()
                || results.iter().any(|r| {
                    let e = r.metrics[i].1;
                    e.value != 0.0 || e.ci != [0.0, 0.0]
                })
        })
        .collect()
}

/// The frontier: y against x per variant, with the intervals as whiskers.
fn frontier_chart(study: &Study, results: &[VariantResult], best: Option<usize>) -> String {
    let xs = results
        .iter()
        .flat_map(|r| [r.x.ci[0], r.x.ci[1], r.x.value]);
    let ys = results
        .iter()
        .flat_map(|r| [r.y.ci[0], r.y.ci[1], r.y.value]);
    let (xlo, xhi) = xs.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let yhi = ys.fold(0.0f64, f64::max);
    let (xlo, xhi) = if xlo == xhi {
        (xlo - 1.0, xhi + 1.0)
    } else {
        (xlo, xhi)
    };
    let mut p = Plot::new(
        &format!("{} against {}", study.y.name, study.x.name()),
        Scale::fitted(xlo, xhi, study.x.name(), false),
        Scale::from_zero(yhi.max(1e-9), &study.y.name, false),
    );
    for (i, r) in results.iter().enumerate() {
        let color = if Some(i) == best {
            "#c0392b"
        } else {
            "#2c6fbb"
        };
        p.line(
            &[(r.x.value, r.y.ci[0]), (r.x.value, r.y.ci[1])],
            color,
            1.5,
            false,
        );
        if r.x.ci[0] != r.x.ci[1] {
            p.line(
                &[(r.x.ci[0], r.y.value), (r.x.ci[1], r.y.value)],
                color,
                1.5,
                false,
            );
        }
        p.circle(r.x.value, r.y.value, 4.0);
        p.label(r.x.value, r.y.value, &(i + 1).to_string());
    }
    if let Some(t) = study.target.as_ref().filter(|t| t.metric == study.y) {
        p.hrule(t.max, "#c0392b", "target");
    }
    p.note("dots: estimates, numbered as the variants below; whiskers: 95 % bootstrap intervals over paths");
    p.finish()
}

/// The self-contained `report.html`.
pub fn html(
    study: &Study,
    base: &str,
    paths: usize,
    seed: u64,
    results: &[VariantResult],
) -> String {
    let best = best(study, results);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>levamp study {name}</title>\
         <style>body{{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}}\
         table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}}\
         th:first-child,td:first-child{{text-align:left}}tr.best td{{background:#fdecea}}\
         svg{{display:block;margin:14px 0;background:#fcfcfd;border:1px solid #e3e6ea}}.t{{font-size:13px;font-weight:600;fill:#222}}\
         .l{{font-size:10px;fill:#555}}.n{{font-size:11px;fill:#7f1d1d;font-weight:600}}.ax{{stroke:#888}}.grid{{stroke:#eee}}\
         .liq{{fill:rgba(31,78,153,.5);stroke:#1f4e99}}</style></head><body>\
         <h1>Study {name}</h1><p>Base scenario <code>{base}</code>, {paths} paths from seed {seed}; \
         every variant runs on the same random paths (common random numbers). Intervals are 95 % \
         percentile-bootstrap intervals over paths.</p>",
        name = esc(&study.name),
        base = esc(base),
    );
    match (&study.target, best) {
        (Some(t), Some(i)) => {
            let _ = write!(
                h,
                "<p><b>Best under the target</b> {} ≤ {} (upper bound of its interval): \
                 <b>{}</b>, the {} {} of the variants that meet it.</p>",
                esc(&t.metric.name),
                t.max,
                esc(&results[i].variant.name),
                if study.prefer_higher {
                    "highest"
                } else {
                    "lowest"
                },
                esc(study.x.name())
            );
        }
        (Some(t), None) => {
            let _ = write!(
                h,
                "<p><b>No variant meets the target</b> {} ≤ {} at the upper bound of its interval.</p>",
                esc(&t.metric.name),
                t.max
            );
        }
        _ => {}
    }
    h += &frontier_chart(study, results, best);
    h += "<h2>All metrics by variant</h2><table><tr><th>metric</th>";
    for r in results {
        let _ = write!(h, "<th>{}</th>", esc(&r.variant.name));
    }
    h += "</tr>";
    let _ = write!(
        h,
        "<tr><td>{} − first variant's (paired, same paths)</td>",
        esc(&study.y.name)
    );
    for d in versus_first(study, results, seed) {
        let _ = write!(h, "<td>{}</td>", with_interval(&d));
    }
    h += "</tr>";
    let _ = write!(h, "<tr><td>{} (frontier x)</td>", esc(study.x.name()));
    for r in results {
        let _ = write!(h, "<td>{}</td>", with_interval(&r.x));
    }
    h += "</tr>";
    for i in shown_metrics(study, results) {
        let _ = write!(h, "<tr><td>{}</td>", esc(&results[0].metrics[i].0));
        for r in results {
            let _ = write!(h, "<td>{}</td>", with_interval(&r.metrics[i].1));
        }
        h += "</tr>";
    }
    h += "</table><p>Metrics zero in every variant are left out; study.json has them all.</p>\
          <h2>Variants</h2><table><tr><th>#</th><th>variant</th><th>overrides</th></tr>";
    for (i, r) in results.iter().enumerate() {
        let o: Vec<String> = r
            .variant
            .overrides
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        let class = if Some(i) == best {
            " class=\"best\""
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            esc(&r.variant.name),
            esc(&o.join("; "))
        );
    }
    h += "</table></body></html>\n";
    h
}
