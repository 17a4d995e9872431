//! The HTML report: one self-contained file, charts as inline SVG (no
//! scripts, no network), readable offline and in any browser. It opens
//! with the [`crate::headline`], then the time charts ([`timeline`]), the
//! liquidation map ([`map`]), who got liquidated ([`who`]), the cascade
//! rounds, distributions across paths (more than one path only) and the
//! metrics table ([`table`]). Axes and ticks: [`axis`], [`chart`].

pub mod axis;
pub mod chart;
pub mod map;
pub mod table;
pub mod timeline;
pub mod who;

use crate::run::PathMetrics;
use crate::scenario::Scenario;
use crate::setup::World;
use axis::percent;
use chart::{histogram, Plot, Scale};
use std::fmt::Write;

pub use axis::human;

/// Escapes text for HTML.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Human names of the risk measures, and whether each is a probability.
fn risk_name(key: &str) -> (&str, bool) {
    match key {
        "bad_debt_var_95" => ("Bad debt, 95 % value-at-risk", false),
        "bad_debt_var_99" => ("Bad debt, 99 % value-at-risk", false),
        "bad_debt_expected_shortfall_95" => ("Bad debt, 95 % expected shortfall", false),
        "liquidations_at_risk_95" => ("Liquidated notional, 95th percentile", false),
        "liquidations_expected_shortfall_95" => {
            ("Liquidated notional, 95 % expected shortfall", false)
        }
        "insurance_fund_depletion_probability" => {
            ("Probability the insurance fund is exhausted", true)
        }
        "probability_of_bad_debt" => ("Probability of bad debt", true),
        "probability_of_any_liquidation" => ("Probability of any liquidation", true),
        other => (other, false),
    }
}

/// The risk table (several paths only: for one path the headline says it).
fn risk_table(summary: &serde_json::Value, quote: &str) -> String {
    let rows: String = summary["risk"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let (name, probability) = risk_name(k);
            let v = v.as_f64().unwrap_or(0.0);
            match probability {
                true => format!("<tr><td>{name}</td><td>{}</td></tr>", percent(v)),
                false => format!("<tr><td>{name} ({quote})</td><td>{}</td></tr>", human(v)),
            }
        })
        .collect();
    format!("<h2>Risk across paths</h2><table id=\"risk\">{rows}</table>")
}

/// Mean liquidated notional by cascade round within a step.
fn rounds_chart(paths: &[PathMetrics], quote: &str) -> String {
    let mut by_round: Vec<f64> = Vec::new();
    for p in paths {
        if by_round.len() < p.by_round.len() {
            by_round.resize(p.by_round.len(), 0.0);
        }
        for (i, v) in p.by_round.iter().enumerate() {
            by_round[i] += v / paths.len() as f64;
        }
    }
    let bars: Vec<(f64, f64)> = by_round
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f64 + 0.5, *v))
        .collect();
    let max = by_round.iter().copied().fold(0.0, f64::max);
    let n = by_round.len().max(1) as f64;
    let mut x = Scale::ticked(0.5, n + 0.5, "cascade round within a step", true);
    x.ticks.retain(|t| t.0 >= 1.0);
    let mut p = Plot::new(
        "Cascade rounds: mean liquidated notional by round (1 = the exogenous move's round)",
        x,
        Scale::from_zero(max, &format!("liquidated ({quote})"), false),
    );
    p.bars(&bars, 1.0, "#8e44ad");
    p.finish()
}

/// Distributions across paths (more than one path only).
fn distributions(paths: &[PathMetrics], quote: &str) -> String {
    if paths.len() < 2 {
        return String::new();
    }
    let mut out = format!("<h2>Distributions across {} paths</h2>", paths.len());
    let value = |f: fn(&PathMetrics) -> f64| paths.iter().map(f).collect::<Vec<f64>>();
    let charts: [(&str, Vec<f64>, &str, bool); 4] = [
        (
            "Liquidated notional",
            value(|m| m.liquidated_notional),
            "#c0392b",
            true,
        ),
        ("Bad debt", value(|m| m.bad_debt), "#7f1d1d", true),
        ("Lowest price", value(|m| m.min_price), "#1f4e99", false),
        (
            "Cascade amplification (×)",
            value(|m| m.cascade_amplification),
            "#8e44ad",
            false,
        ),
    ];
    for (name, v, color, log) in charts {
        if v.iter().all(|x| *x == 0.0) {
            let _ = write!(out, "<p>{name}: zero on every path.</p>");
            continue;
        }
        let label = match name.ends_with(')') {
            true => name.to_string(),
            false => format!("{name} ({quote})"),
        };
        out.push_str(&histogram(name, &label, &v, color, log));
    }
    out
}

/// Path 0's market and outside lows.
fn lows(world: &World, paths: &[PathMetrics]) -> (f64, f64) {
    let start = world.start.to_f64_lossy();
    let first = paths
        .iter()
        .find_map(|p| p.series.as_deref())
        .unwrap_or(&[]);
    first.iter().fold((start, start), |(a, b), r| {
        (a.min(r.price), b.min(r.exogenous))
    })
}

/// The whole report.
pub fn html(
    s: &Scenario,
    world: &World,
    paths: &[PathMetrics],
    summary: &serde_json::Value,
    elapsed_s: f64,
) -> String {
    let quote = world.venue.asset_name(world.venue.quote());
    let mut body = String::new();
    if paths.len() > 1 {
        body.push_str(&risk_table(summary, &quote));
    }
    let time_charts = timeline::charts(s, world, paths, &quote);
    if !time_charts.is_empty() {
        let _ = write!(body, "<h2>What happened</h2>{time_charts}");
    }
    if !world.at_risk.is_empty() {
        let (low, outside_low) = lows(world, paths);
        let _ = write!(
            body,
            "<h2>Liquidation map</h2>{}<p class=\"note\">From the liquidation prices at the start \
             (main market; positions of generated or imported accounts with a liquidation price).</p>",
            map::liquidation_map(world, low, outside_low, &quote)
        );
    }
    body.push_str(&who::section(s, world, paths, &quote));
    body.push_str("<h2>Cascade</h2>");
    body.push_str(&rounds_chart(paths, &quote));
    body.push_str(&distributions(paths, &quote));
    let start = match world.start_time {
        Some(t) => format!("; starts {} UTC", axis::utc_time(t)),
        None => String::new(),
    };
    format!(
        r##"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>levamp — {name}</title><style>
body{{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:820px}}h1{{font-size:22px}}h2{{font-size:17px;margin-top:28px}}h3{{font-size:15px}}
.headline{{font-size:15px;background:#f3f6fb;border-left:4px solid #1f4e99;padding:10px 14px}}.note{{font-size:12px;color:#555}}
svg{{display:block;margin:14px 0;background:#fcfcfd;border:1px solid #e3e6ea}}.t{{font-size:13px;font-weight:600;fill:#222}}.l{{font-size:10px;fill:#555}}.n{{font-size:11px;fill:#7f1d1d;font-weight:600}}
.ax{{stroke:#888}}.grid{{stroke:#eee}}.liq{{fill:rgba(192,57,43,.35);stroke:#c0392b}}
table{{border-collapse:collapse;font-size:12px;margin:8px 0}}td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}pre{{background:#f5f6f8;padding:10px;font-size:12px;overflow:auto}}
.grid2{{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}}
</style></head><body>
<h1>levamp — {name}</h1>
<p class="headline" id="headline">{headline}</p>
<p class="note">{paths} path(s) × {steps} steps of {dt} s{start}; {accounts} accounts with positions in the main market; venue preset {preset}; seed {seed}; ran in {elapsed:.1} s. Amounts in {quote}.</p>
{body}
<h2>Metrics</h2>{table}
<h2>Scenario</h2><pre>{text}</pre>
<p class="note">Generated by levamp. Percentiles are nearest-rank; value-at-risk is the percentile of bad debt across paths, expected shortfall the mean of the worst 5 %.</p>
</body></html>
"##,
        name = esc(&s.name),
        headline = esc(&crate::headline::headline(s, world, paths)),
        paths = paths.len(),
        steps = s.run.steps,
        dt = s.run.dt_s,
        accounts = world.accounts,
        preset = esc(&s.preset),
        seed = s.run.seed,
        elapsed = elapsed_s,
        table = table::metrics_table(paths, &quote),
        text = esc(&s.text),
    )
}
