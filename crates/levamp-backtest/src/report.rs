//! `report.html`: one self-contained page of inline SVG line charts —
//! equity and drawdown, funding vs basis vs fees, margin ratio with the
//! liquidations marked, the liquidation price against the mark.

use crate::metrics::Summary;
use crate::regime::Regime;
use crate::run::Outcome;
use crate::strategy::Strategy;
use crate::time;
use std::fmt::Write;

/// Points kept per line (longer series are thinned evenly).
const MAX_POINTS: usize = 1500;

/// A line: label, colour, (x, y) points (x = Unix seconds).
pub(crate) struct Line<'a> {
    pub(crate) label: &'a str,
    pub(crate) colour: &'a str,
    pub(crate) points: Vec<(f64, f64)>,
}

pub(crate) fn thin(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let step = points.len().div_ceil(MAX_POINTS).max(1);
    let last = points.last().copied();
    let mut out: Vec<(f64, f64)> = points.into_iter().step_by(step).collect();
    if let (Some(l), Some(o)) = (last, out.last()) {
        if l.0 != o.0 {
            out.push(l);
        }
    }
    out
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SVG chart of `lines` with vertical `markers` (x values) in red.
pub(crate) fn chart(title: &str, lines: &[Line], markers: &[f64]) -> String {
    let (w, h, pad) = (900.0, 260.0, 50.0);
    let pts = lines
        .iter()
        .flat_map(|l| l.points.iter())
        .filter(|p| p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    let mut svg = format!("<h2>{}</h2>\n", escape(title));
    if x0 > x1 {
        svg.push_str("<p>(no data)</p>\n");
        return svg;
    }
    if x1 == x0 {
        x1 = x0 + 1.0;
    }
    if y1 == y0 {
        (y0, y1) = (y0 - 1.0, y1 + 1.0);
    }
    let sx = |x: f64| pad + (x - x0) / (x1 - x0) * (w - 2.0 * pad);
    let sy = |y: f64| h - pad + (y - y0) / (y1 - y0) * -(h - 2.0 * pad);
    let _ = write!(
        svg,
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">\
         <rect x=\"{pad}\" y=\"{pad}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#ccc\"/>",
        w - 2.0 * pad,
        h - 2.0 * pad
    );
    for (v, y) in [(y1, pad), (y0, h - pad)] {
        let _ = write!(svg, "<text x=\"2\" y=\"{}\">{}</text>", y + 4.0, fmt_num(v));
    }
    for (v, x) in [(x0, pad), (x1, w - pad)] {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x,
            h - pad + 16.0,
            &time::format(v as i64)[..16]
        );
    }
    for &m in markers {
        let _ = write!(
            svg,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{pad}\" y2=\"{1}\" stroke=\"red\" stroke-dasharray=\"4 3\"/>",
            sx(m),
            h - pad
        );
    }
    for (i, l) in lines.iter().enumerate() {
        let mut d = String::new();
        for (j, &(x, y)) in l.points.iter().filter(|p| p.1.is_finite()).enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if j == 0 { "M" } else { " L" },
                sx(x),
                sy(y)
            );
        }
        let _ = write!(
            svg,
            "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>",
            l.colour,
            pad + 10.0 + 160.0 * (i % 5) as f64,
            pad - 8.0 - 13.0 * (i / 5) as f64,
            l.colour,
            escape(l.label)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

/// The funding-regime section: rolling annualised funding, the basis, and
/// the window's longest negative-funding episodes (all in `regime.csv`).
fn regime_section(r: &Regime) -> String {
    let x = |t: i64| t as f64;
    let week = r
        .funding
        .iter()
        .map(|p| (x(p.time), p.annualized_7d))
        .collect();
    let month = r
        .funding
        .iter()
        .map(|p| (x(p.time), p.annualized_30d))
        .collect();
    let basis = r
        .basis
        .iter()
        .map(|b| (x(b.time), b.basis.to_f64_lossy()))
        .collect();
    let basis_7d = r.basis.iter().map(|b| (x(b.time), b.mean_7d)).collect();
    let line = |label, colour, points| Line {
        label,
        colour,
        points: thin(points),
    };
    let mut out = chart(
        "Funding regime: rolling annualised funding (mean rate × settlements a year)",
        &[
            line("7-day", "#2ca02c", week),
            line("30-day", "#1f77b4", month),
        ],
        &[],
    );
    out.push_str(&chart(
        "Basis: perp close ÷ spot close − 1",
        &[
            line("hourly", "#c7c7c7", basis),
            line("7-day mean", "#9467bd", basis_7d),
        ],
        &[],
    ));
    let mut longest: Vec<_> = r.episodes.iter().collect();
    longest.sort_by_key(|e| (std::cmp::Reverse(e.settlements), e.start));
    let _ = write!(
        out,
        "<p>{} negative-funding episode(s) in the window (regime.csv); the longest:</p>\
         <table><tr><th>start</th><th>end</th><th>settlements</th><th>days</th><th>mean rate</th></tr>",
        r.episodes.len()
    );
    for e in longest.iter().take(5) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.4}%</td></tr>",
            &time::format(e.start)[..16],
            &time::format(e.end)[..16],
            e.settlements,
            e.days(),
            e.mean_rate() * 100.0
        );
    }
    out.push_str("</table>\n");
    out
}

/// The page.
pub fn html(
    s: &Strategy,
    o: &Outcome,
    m: &Summary,
    metrics: &serde_json::Value,
    regime: &Regime,
) -> String {
    let t = |h: &crate::run::Hour| h.time as f64 + 3599.0;
    let equity: Vec<(f64, f64)> = o
        .hours
        .iter()
        .map(|h| (t(h), h.equity.to_f64_lossy()))
        .collect();
    let mut peak = f64::MIN;
    let drawdown: Vec<(f64, f64)> = equity
        .iter()
        .map(|&(x, e)| {
            peak = peak.max(e);
            (x, if peak > 0.0 { e / peak - 1.0 } else { 0.0 })
        })
        .collect();
    // Cumulative funding, fees (paid at the open) and basis = the rest.
    let capital = o.capital.to_f64_lossy();
    let fees = o.fees.to_f64_lossy();
    let (mut funding, mut k) = (0.0, 0);
    let mut split = (Vec::new(), Vec::new(), Vec::new());
    for h in &o.hours {
        while k < o.settlements.len() && o.settlements[k].time <= h.time {
            funding += o.settlements[k].payment.to_f64_lossy();
            k += 1;
        }
        let x = t(h);
        split.0.push((x, funding));
        split.1.push((x, -fees));
        split
            .2
            .push((x, h.equity.to_f64_lossy() - capital - funding + fees));
    }
    let margin: Vec<(f64, f64)> = o
        .hours
        .iter()
        .filter_map(|h| h.margin_ratio.map(|r| (t(h), r.to_f64_lossy())))
        .collect();
    let mark: Vec<(f64, f64)> = o
        .hours
        .iter()
        .map(|h| (t(h), h.mark.to_f64_lossy()))
        .collect();
    let liq: Vec<(f64, f64)> = o
        .hours
        .iter()
        .filter_map(|h| h.liquidation_price.map(|p| (t(h), p.to_f64_lossy())))
        .collect();
    let markers: Vec<f64> = o.liquidations.iter().map(|l| l.time as f64).collect();
    let line = |label, colour, points| Line {
        label,
        colour,
        points: thin(points),
    };
    let mut page = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{name} — levamp backtest</title>\
         <style>body{{font-family:sans-serif;max-width:960px;margin:auto}}td{{padding:2px 10px}}</style></head><body>\
         <h1>{name}</h1><p>{market}, {start} → {end} (exclusive), {hours} hours, {n} liquidation(s).</p>\
         <table>",
        name = escape(&s.name),
        market = escape(&s.market),
        start = time::format(s.start),
        end = time::format(s.end),
        hours = o.hours.len(),
        n = m.liquidations,
    );
    if let Some(summary) = metrics["summary"].as_object() {
        for (k, v) in summary {
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(k),
                escape(&v.to_string())
            );
        }
    }
    page.push_str("</table>\n");
    page.push_str(&chart(
        "Equity (quote)",
        &[line("equity", "#1f77b4", equity)],
        &markers,
    ));
    page.push_str(&chart(
        "Drawdown (fraction of the running peak)",
        &[line("drawdown", "#d62728", drawdown)],
        &markers,
    ));
    page.push_str(&chart(
        "Funding earned vs basis PnL vs fees (cumulative, quote)",
        &[
            line("funding", "#2ca02c", split.0),
            line("basis", "#9467bd", split.2),
            line("fees", "#ff7f0e", split.1),
        ],
        &markers,
    ));
    page.push_str(&chart(
        "Margin ratio (maintenance ÷ equity; 1 = liquidation), liquidations dashed",
        &[line("margin ratio", "#8c564b", margin)],
        &markers,
    ));
    page.push_str(&chart(
        "Liquidation price vs mark",
        &[
            line("mark", "#1f77b4", mark),
            line("liquidation price", "#d62728", liq),
        ],
        &markers,
    ));
    page.push_str(&regime_section(regime));
    page.push_str("<p>Written by levamp backtest (docs/backtest.md). Data: Binance via freqtrade (GPL-3.0), see data/binance/SOURCE.md.</p></body></html>\n");
    page
}
