//! The HTML report: one self-contained file, charts as inline SVG (no
//! scripts, no network), readable offline and in any browser.

use crate::run::PathMetrics;
use crate::scenario::Scenario;
use crate::setup::World;
use crate::summary::{metric, Stat};
use std::fmt::Write;

const W: f64 = 760.0;
const H: f64 = 300.0;
const PAD_L: f64 = 70.0;
const PAD_R: f64 = 20.0;
const PAD_T: f64 = 30.0;
const PAD_B: f64 = 35.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Human number: 1.23M, 45.6k, 0.0123.
pub fn human(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{:.2}B", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a == 0.0 {
        "0".into()
    } else {
        format!("{x:.4}")
    }
}

struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn new(xs: impl Iterator<Item = f64> + Clone, ys: impl Iterator<Item = f64> + Clone) -> Frame {
        let (mut x0, mut x1) = xs
            .clone()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
        let (mut y0, mut y1) = ys
            .clone()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
                (a.min(y), b.max(y))
            });
        if !x0.is_finite() {
            (x0, x1) = (0.0, 1.0);
        }
        if !y0.is_finite() {
            (y0, y1) = (0.0, 1.0);
        }
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        if y1 <= y0 {
            let pad = y0.abs().max(1.0) * 0.01;
            (y0, y1) = (y0 - pad, y1 + pad);
        }
        let pad = (y1 - y0) * 0.05;
        // Non-negative data keeps its floor at zero (bars, counts, funds).
        let floor = if y0 >= 0.0 && y0 - pad < 0.0 {
            0.0
        } else {
            y0 - pad
        };
        Frame {
            x0,
            x1,
            y0: floor,
            y1: y1 + pad,
        }
    }
    fn x(&self, x: f64) -> f64 {
        PAD_L + (x - self.x0) / (self.x1 - self.x0) * (W - PAD_L - PAD_R)
    }
    fn y(&self, y: f64) -> f64 {
        H - PAD_B - (y - self.y0) / (self.y1 - self.y0) * (H - PAD_T - PAD_B)
    }
    fn axes(&self, out: &mut String, title: &str, x_label: &str) {
        let _ = write!(
            out,
            r##"<text x="{PAD_L}" y="18" class="t">{}</text>"##,
            esc(title)
        );
        let _ = write!(
            out,
            r##"<line x1="{PAD_L}" y1="{}" x2="{}" y2="{}" class="ax"/>"##,
            H - PAD_B,
            W - PAD_R,
            H - PAD_B
        );
        let _ = write!(
            out,
            r##"<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{}" class="ax"/>"##,
            H - PAD_B
        );
        for i in 0..=4 {
            let v = self.y0 + (self.y1 - self.y0) * i as f64 / 4.0;
            let y = self.y(v);
            let _ = write!(
                out,
                r##"<line x1="{PAD_L}" y1="{y:.1}" x2="{}" y2="{y:.1}" class="grid"/><text x="{}" y="{:.1}" class="l" text-anchor="end">{}</text>"##,
                W - PAD_R,
                PAD_L - 6.0,
                y + 4.0,
                human(v)
            );
            let xv = self.x0 + (self.x1 - self.x0) * i as f64 / 4.0;
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{}" class="l" text-anchor="middle">{}</text>"##,
                self.x(xv),
                H - PAD_B + 15.0,
                human(xv)
            );
        }
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" class="l" text-anchor="end">{}</text>"##,
            W - PAD_R,
            H - 4.0,
            esc(x_label)
        );
    }
}

fn svg(body: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img">{body}</svg>"##
    )
}

fn polyline(f: &Frame, pts: &[(f64, f64)], color: &str, width: f64, dash: bool) -> String {
    let mut d = String::new();
    for (i, (x, y)) in pts.iter().enumerate() {
        let _ = write!(
            d,
            "{}{:.1},{:.1}",
            if i == 0 { "M" } else { " L" },
            f.x(*x),
            f.y(*y)
        );
    }
    format!(
        r##"<path d="{d}" fill="none" stroke="{color}" stroke-width="{width}"{}/>"##,
        if dash {
            r##" stroke-dasharray="5,4""##
        } else {
            ""
        }
    )
}

/// A chart series: label (empty: not in the legend), colour, points, dashed.
type Series<'a> = (&'a str, &'a str, Vec<(f64, f64)>, bool);

/// A line chart of several series.
fn lines(title: &str, x_label: &str, series: &[Series<'_>], markers: &[(f64, f64, f64)]) -> String {
    let f = Frame::new(
        series.iter().flat_map(|s| s.2.iter().map(|p| p.0)),
        series.iter().flat_map(|s| s.2.iter().map(|p| p.1)),
    );
    let mut out = String::new();
    f.axes(&mut out, title, x_label);
    for (_, color, pts, dash) in series {
        out.push_str(&polyline(&f, pts, color, 1.4, *dash));
    }
    for (x, y, r) in markers {
        let _ = write!(
            out,
            r##"<circle cx="{:.1}" cy="{:.1}" r="{r:.1}" class="liq"/>"##,
            f.x(*x),
            f.y(*y)
        );
    }
    let mut lx = PAD_L + 10.0;
    for (label, color, _, dash) in series.iter().filter(|s| !s.0.is_empty()) {
        let _ = write!(
            out,
            r##"<line x1="{lx}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="2"{}/><text x="{}" y="{}" class="l">{}</text>"##,
            PAD_T + 8.0,
            lx + 18.0,
            PAD_T + 8.0,
            if *dash {
                r##" stroke-dasharray="4,3""##
            } else {
                ""
            },
            lx + 22.0,
            PAD_T + 12.0,
            esc(label)
        );
        lx += 30.0 + 7.0 * label.len() as f64;
    }
    svg(&out)
}

/// A bar chart (or histogram) of values at x positions.
fn bars(title: &str, x_label: &str, bars: &[(f64, f64)], width: f64, color: &str) -> String {
    let f = Frame::new(
        bars.iter()
            .map(|b| b.0)
            .chain(bars.iter().map(|b| b.0 + width)),
        bars.iter().map(|b| b.1).chain(std::iter::once(0.0)),
    );
    let mut out = String::new();
    f.axes(&mut out, title, x_label);
    for (x, v) in bars {
        let (x0, x1) = (f.x(*x), f.x(x + width));
        let (y0, y1) = (f.y(0.0_f64.max(f.y0)), f.y(*v));
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"/>"##,
            x0 + 0.5,
            y1.min(y0),
            (x1 - x0 - 1.0).max(1.0),
            (y0 - y1).abs()
        );
    }
    svg(&out)
}

fn histogram(title: &str, x_label: &str, values: &[f64], color: &str) -> String {
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    if !lo.is_finite() {
        return bars(title, x_label, &[], 1.0, color);
    }
    let n = 30usize;
    let width = if hi > lo { (hi - lo) / n as f64 } else { 1.0 };
    let mut counts = vec![0.0; n];
    for v in values {
        let i = (((v - lo) / width) as usize).min(n - 1);
        counts[i] += 1.0;
    }
    let b: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .map(|(i, c)| (lo + i as f64 * width, *c))
        .collect();
    bars(title, x_label, &b, width, color)
}

/// The liquidation map: path 0's price against the distribution of the
/// population's liquidation prices (longs below, shorts above).
fn liquidation_map(world: &World, path: &[(f64, f64)]) -> String {
    let ys = path.iter().map(|p| p.1).chain(
        world
            .liquidation_prices
            .iter()
            .map(|l| l.0)
            .filter(|l| *l > 0.0),
    );
    let lo_hi = path
        .iter()
        .map(|p| p.1)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
    let (lo, hi) = ((lo_hi.0 * 0.7).max(0.0), lo_hi.1 * 1.3);
    let f = Frame::new(
        path.iter().map(|p| p.0),
        ys.filter(|y| *y >= lo && *y <= hi)
            .chain([lo_hi.0, lo_hi.1]),
    );
    let mut out = String::new();
    f.axes(
        &mut out,
        "Liquidation map: price path 0 against the population's liquidation prices",
        "step",
    );
    let bins = 40usize;
    let width = (f.y1 - f.y0) / bins as f64;
    let mut long = vec![0usize; bins];
    let mut short = vec![0usize; bins];
    for (lp, is_long) in &world.liquidation_prices {
        if *lp >= f.y0 && *lp < f.y1 {
            let i = (((lp - f.y0) / width) as usize).min(bins - 1);
            if *is_long {
                long[i] += 1
            } else {
                short[i] += 1
            }
        }
    }
    let max = long.iter().chain(&short).copied().max().unwrap_or(1).max(1) as f64;
    let span = (W - PAD_L - PAD_R) * 0.35;
    for i in 0..bins {
        let (y_top, y_bot) = (
            f.y(f.y0 + (i + 1) as f64 * width),
            f.y(f.y0 + i as f64 * width),
        );
        for (count, class) in [(long[i], "lb"), (short[i], "sb")] {
            if count > 0 {
                let w = span * count as f64 / max;
                let _ = write!(
                    out,
                    r##"<rect x="{:.1}" y="{y_top:.1}" width="{w:.1}" height="{:.1}" class="{class}"/>"##,
                    W - PAD_R - w,
                    (y_bot - y_top - 0.5).max(0.5)
                );
            }
        }
    }
    out.push_str(&polyline(&f, path, "#1f4e99", 1.6, false));
    let _ = write!(
        out,
        r##"<text x="{}" y="{}" class="l" text-anchor="end">bars: accounts by liquidation price (red longs, green shorts)</text>"##,
        W - PAD_R,
        PAD_T + 12.0
    );
    svg(&out)
}

/// The whole report.
pub fn html(
    s: &Scenario,
    world: &World,
    paths: &[PathMetrics],
    summary: &serde_json::Value,
    elapsed_s: f64,
) -> String {
    let mut body = String::new();
    let series: Vec<&PathMetrics> = paths.iter().filter(|p| p.series.is_some()).collect();
    let colors = ["#1f4e99", "#7a9cc6", "#9bb1cf", "#b6c5dc", "#c9d4e6"];
    if let Some(first) = series.first().and_then(|p| p.series.as_ref()) {
        let mut lines_: Vec<Series<'_>> = Vec::new();
        for (i, p) in series.iter().enumerate().skip(1).take(19) {
            let pts = p
                .series
                .as_ref()
                .map(|s| s.iter().map(|r| (r.step as f64, r.price)).collect())
                .unwrap_or_default();
            lines_.push(("", colors[1 + i % 4], pts, false));
        }
        lines_.push((
            "exogenous (path 0)",
            "#999999",
            first.iter().map(|r| (r.step as f64, r.exogenous)).collect(),
            true,
        ));
        lines_.push((
            "market price (path 0)",
            colors[0],
            first.iter().map(|r| (r.step as f64, r.price)).collect(),
            false,
        ));
        let max_liq = first
            .iter()
            .map(|r| r.liquidated_notional)
            .fold(0.0, f64::max)
            .max(1.0);
        let markers: Vec<(f64, f64, f64)> = first
            .iter()
            .filter(|r| r.liquidated_notional > 0.0)
            .map(|r| {
                (
                    r.step as f64,
                    r.price,
                    2.0 + 8.0 * (r.liquidated_notional / max_liq).sqrt(),
                )
            })
            .collect();
        body.push_str(&lines(
            "Price paths (liquidations on path 0 as circles, area ∝ notional)",
            "step",
            &lines_,
            &markers,
        ));
        body.push_str(&liquidation_map(
            world,
            &first
                .iter()
                .map(|r| (r.step as f64, r.price))
                .collect::<Vec<_>>(),
        ));
        body.push_str(&lines(
            "Insurance fund and bad debt, path 0",
            "step",
            &[
                (
                    "insurance fund",
                    "#2a8a4a",
                    first
                        .iter()
                        .map(|r| (r.step as f64, r.insurance_fund))
                        .collect(),
                    false,
                ),
                (
                    "bad debt",
                    "#c0392b",
                    first.iter().map(|r| (r.step as f64, r.bad_debt)).collect(),
                    false,
                ),
            ],
            &[],
        ));
        let liq: Vec<(f64, f64)> = first
            .iter()
            .filter(|r| r.liquidated_notional > 0.0)
            .map(|r| (r.step as f64, r.liquidated_notional))
            .collect();
        body.push_str(&bars(
            "Liquidated notional per step, path 0",
            "step",
            &liq,
            1.0,
            "#c0392b",
        ));
    }
    let mut by_round: Vec<f64> = Vec::new();
    for p in paths {
        if by_round.len() < p.by_round.len() {
            by_round.resize(p.by_round.len(), 0.0);
        }
        for (i, v) in p.by_round.iter().enumerate() {
            by_round[i] += v / paths.len() as f64;
        }
    }
    let rounds: Vec<(f64, f64)> = by_round
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f64 + 1.0, *v))
        .collect();
    body.push_str(&bars(
        "Cascade rounds: mean liquidated notional by round within a step (1 = exogenous move)",
        "round",
        &rounds,
        1.0,
        "#8e44ad",
    ));
    for (name, color) in [
        ("liquidated_notional", "#c0392b"),
        ("bad_debt", "#7f1d1d"),
        ("cascade_amplification", "#8e44ad"),
        ("min_price", "#1f4e99"),
    ] {
        let v: Vec<f64> = paths.iter().map(|m| metric(m, name)).collect();
        body.push_str(&histogram(
            &format!("Distribution across {} paths: {name}", paths.len()),
            name,
            &v,
            color,
        ));
    }
    let mut table = String::from("<table><tr><th>metric</th><th>mean</th><th>p5</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>");
    for name in crate::summary::METRICS {
        let st = Stat::of(paths.iter().map(|m| metric(m, name)));
        let _ = write!(table, "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", human(st.mean), human(st.p5), human(st.p50), human(st.p95), human(st.p99), human(st.max));
    }
    table.push_str("</table>");
    let risk = &summary["risk"];
    let risk_rows: String = risk
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            format!(
                "<tr><td>{k}</td><td>{}</td></tr>",
                human(v.as_f64().unwrap_or(0.0))
            )
        })
        .collect();
    format!(
        r##"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>levamp — {name}</title><style>
body{{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:820px}}h1{{font-size:22px}}h2{{font-size:17px;margin-top:28px}}
svg{{display:block;margin:14px 0;background:#fcfcfd;border:1px solid #e3e6ea}}.t{{font-size:13px;font-weight:600;fill:#222}}.l{{font-size:10px;fill:#555}}
.ax{{stroke:#888}}.grid{{stroke:#eee}}.liq{{fill:rgba(192,57,43,.35);stroke:#c0392b}}.lb{{fill:rgba(192,57,43,.45)}}.sb{{fill:rgba(42,138,74,.45)}}
table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}pre{{background:#f5f6f8;padding:10px;font-size:12px;overflow:auto}}
</style></head><body>
<h1>levamp — {name}</h1>
<p>{paths} path(s) × {steps} steps of {dt} s; {accounts} accounts with positions in the main market (long open interest {oi}); start price {start}; seed {seed}; ran in {elapsed:.1} s.</p>
<h2>Risk</h2><table>{risk_rows}</table>
<h2>Charts</h2>{body}
<h2>Metrics across paths</h2>{table}
<h2>Scenario</h2><pre>{text}</pre>
<p>Generated by levamp. Percentiles are nearest-rank; VaR is the percentile of bad debt across paths, expected shortfall the mean of the worst 5 %.</p>
</body></html>
"##,
        name = esc(&s.name),
        paths = paths.len(),
        steps = s.run.steps,
        dt = s.run.dt_s,
        accounts = world.accounts,
        oi = human(world.open_interest.to_f64_lossy()),
        start = world.start,
        seed = s.run.seed,
        elapsed = elapsed_s,
        text = esc(&s.text),
    )
}
