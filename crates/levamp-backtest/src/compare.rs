//! Variants side by side: several strategies over the same history — the
//! files of `levamp backtest --compare A.toml B.toml …`, or the
//! `[[variant]]` list of one file — in one table (`compare.csv`) and one
//! chart (`report.html`).
//!
//! A `[[variant]]` is a `name` plus overrides of `[strategy]` and
//! `[sizing]` keys; everything else comes from the file. A variant's
//! `sizing.model` that differs from the file's replaces the whole
//! `[sizing]` table (the other model's keys do not carry over); otherwise
//! its keys override the file's one by one. All strategies of a comparison
//! must share `[data]` (market, window and sources) and the venue preset:
//! the history is read and checked once, one window (with the longest
//! warm-up any variant asks for) is cut once, and the variants run in
//! parallel (rayon), their results kept in the input order.

use crate::data::Window;
use crate::metrics::{self, Summary};
use crate::report::{chart, escape, thin, Line};
use crate::strategy::{self, check_keys, Strategy};
use crate::{run, time, History};
use levamp_io::json::InputError;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

/// Points kept per equity curve of a comparison.
const CURVE_POINTS: usize = 600;
/// Curves drawn on the comparison chart (the table has every variant).
const MAX_CURVES: usize = 15;

/// One strategy's result in a comparison.
#[derive(Clone, Debug)]
pub struct Row {
    pub name: String,
    pub model: &'static str,
    pub summary: Summary,
    pub rebalances: usize,
    pub clamps: usize,
    /// (hour close, equity ÷ capital), thinned to at most `CURVE_POINTS`.
    pub curve: Vec<(f64, f64)>,
}

/// The strategies of one file: its `[[variant]]`s, or the file itself when
/// it has none (`Ok((variants?, list))`).
pub fn expand(
    text: &str,
    default_name: &str,
    dir: &Path,
) -> Result<(bool, Vec<Strategy>), InputError> {
    let mut root = strategy::toml_table(text)?;
    let Some(list) = root.remove("variant") else {
        return Ok((
            false,
            vec![strategy::parse_table(&root, default_name, dir)?],
        ));
    };
    let Some(list) = list.as_array().filter(|a| !a.is_empty()) else {
        return strategy::fail(
            "variant",
            "must be a non-empty list of tables ([[variant]])",
        );
    };
    let mut out: Vec<Strategy> = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let at = format!("variant[{}]", i + 1);
        let in_variant = |e: InputError| InputError {
            at: format!("{at}.{}", e.at),
            message: e.message,
        };
        let Some(v) = v.as_table() else {
            return strategy::fail(&at, "must be a table");
        };
        check_keys(v, &at, &["name", "strategy", "sizing"])?;
        let name = match v.get("name") {
            Some(toml::Value::String(s)) => s.clone(),
            _ => return strategy::fail(&format!("{at}.name"), "required (a string)"),
        };
        if out.iter().any(|s| s.name == name) {
            return strategy::fail(&format!("{at}.name"), format!("{name:?} is used twice"));
        }
        let mut merged = root.clone();
        merged.insert("name".into(), toml::Value::String(name));
        for table in ["strategy", "sizing"] {
            let Some(over) = v.get(table) else { continue };
            let Some(over) = over.as_table() else {
                return strategy::fail(&format!("{at}.{table}"), "must be a table");
            };
            let base = merged
                .entry(table)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let replace = table == "sizing"
                && over
                    .get("model")
                    .is_some_and(|m| base.get("model") != Some(m));
            match (base.as_table_mut(), replace) {
                (Some(b), false) => b.extend(over.clone()),
                _ => *base = toml::Value::Table(over.clone()),
            }
        }
        out.push(strategy::parse_table(&merged, default_name, dir).map_err(in_variant)?);
    }
    Ok((true, out))
}

/// Refuses a comparison whose strategies do not share the history; `names`
/// are the files (or variants) for messages.
pub fn check_same_history(list: &[Strategy], names: &[String]) -> Result<(), InputError> {
    let first = &list[0];
    for (s, name) in list.iter().zip(names).skip(1) {
        let differs = [
            ("data.market", s.market != first.market),
            ("data.start", s.start != first.start),
            ("data.end", s.end != first.end),
            ("data.max_gap_hours", s.max_gap_hours != first.max_gap_hours),
            (
                "data",
                format!("{:?}", s.sources) != format!("{:?}", first.sources),
            ),
            ("venue.preset", s.preset != first.preset),
        ];
        if let Some((key, _)) = differs.iter().find(|d| d.1) {
            return Err(InputError {
                at: format!("{name}: {key}"),
                message: format!(
                    "differs from {}'s: a comparison runs every strategy over the same history",
                    names[0]
                ),
            });
        }
    }
    Ok(())
}

/// Reads the shared history once and cuts the one window (with the longest
/// warm-up any strategy asks for).
pub fn load(list: &[Strategy]) -> Result<Window, InputError> {
    let warmup = list
        .iter()
        .map(|s| s.sizing.warmup_hours)
        .max()
        .unwrap_or(0);
    History::load(&list[0])?.window(&list[0], warmup)
}

/// Runs every strategy over `w` in parallel; results in the input order
/// (the first failing strategy's error, in that order, if any fails).
pub fn run_all(list: &[Strategy], w: &Window) -> Result<Vec<Row>, InputError> {
    let results: Vec<Result<Row, InputError>> = list.par_iter().map(|s| run_one(s, w)).collect();
    results.into_iter().collect()
}

fn run_one(s: &Strategy, w: &Window) -> Result<Row, InputError> {
    let name_it = |e: InputError| InputError {
        at: format!("{}: {}", s.name, e.at),
        message: e.message,
    };
    let o = run::run(s, w).map_err(name_it)?;
    let summary = metrics::summary(&o).map_err(|e| InputError {
        at: s.name.clone(),
        message: e.to_string(),
    })?;
    let capital = o.capital.to_f64_lossy();
    let curve = o
        .hours
        .iter()
        .map(|h| (h.time as f64 + 3599.0, h.equity.to_f64_lossy() / capital))
        .collect();
    Ok(Row {
        name: s.name.clone(),
        model: s.sizing.model.name(),
        summary,
        rebalances: o.resizes.len(),
        clamps: o.clamps,
        curve: thin_to(curve, CURVE_POINTS),
    })
}

fn thin_to(points: Vec<(f64, f64)>, n: usize) -> Vec<(f64, f64)> {
    let step = points.len().div_ceil(n).max(1);
    let last = points.last().copied();
    let mut out: Vec<(f64, f64)> = points.into_iter().step_by(step).collect();
    if let (Some(l), Some(o)) = (last, out.last()) {
        if l.0 != o.0 {
            out.push(l);
        }
    }
    out
}

const HEADER: &str = "name,model,total_return,annualized_return,annualized_volatility,sharpe,max_drawdown,final_equity,funding_pnl,basis_pnl,fees,liquidations,rebalances,tier_clamps,min_liquidation_distance";

/// The fields of one row, in `HEADER`'s order (ratios as fractions, money
/// exact; an empty cell is "none").
fn fields(r: &Row) -> [String; 15] {
    let m = &r.summary;
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    [
        r.name.clone(),
        r.model.to_string(),
        m.total_return.to_string(),
        m.annualized_return.to_string(),
        m.annualized_volatility.to_string(),
        opt(m.sharpe),
        m.max_drawdown.to_string(),
        m.final_equity.to_string(),
        m.funding_pnl.to_string(),
        m.basis_pnl.to_string(),
        m.fees.to_string(),
        m.liquidations.to_string(),
        r.rebalances.to_string(),
        r.clamps.to_string(),
        opt(m.min_liquidation_distance),
    ]
}

/// A CSV cell: quoted when it holds a comma, quote or line break.
fn cell(s: &str) -> String {
    match s.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", s.replace('"', "\"\"")),
        false => s.to_string(),
    }
}

/// `compare.csv`: one row per strategy, in the input order.
pub fn compare_csv(rows: &[Row], w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "{HEADER}")?;
    for r in rows {
        let cells: Vec<String> = fields(r).iter().map(|c| cell(c)).collect();
        writeln!(w, "{}", cells.join(","))?;
    }
    Ok(())
}

/// The terminal table (percentages to 2 decimals; money to the unit).
pub fn table(rows: &[Row], limit: usize) -> String {
    let mut t = format!(
        "{:<24} {:<18} {:>9} {:>9} {:>8} {:>7} {:>8} {:>12} {:>10} {:>4} {:>5}\n",
        "name",
        "model",
        "return%",
        "ann.ret%",
        "ann.vol%",
        "sharpe",
        "maxDD%",
        "funding",
        "fees",
        "liq",
        "rebal"
    );
    for r in rows.iter().take(limit) {
        let m = &r.summary;
        let _ = writeln!(
            t,
            "{:<24} {:<18} {:>9.2} {:>9.2} {:>8.2} {:>7} {:>8.2} {:>12.0} {:>10.0} {:>4} {:>5}",
            r.name,
            r.model,
            m.total_return * 100.0,
            m.annualized_return * 100.0,
            m.annualized_volatility * 100.0,
            m.sharpe.map_or("-".into(), |s| format!("{s:.2}")),
            m.max_drawdown * 100.0,
            m.funding_pnl.to_f64_lossy(),
            m.fees.to_f64_lossy(),
            m.liquidations,
            r.rebalances,
        );
    }
    if rows.len() > limit {
        let _ = writeln!(t, "… {} more in compare.csv", rows.len() - limit);
    }
    t
}

const COLOURS: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// `report.html` of a comparison: the table and the equity curves
/// (equity ÷ capital) on one chart.
pub fn html(name: &str, first: &Strategy, rows: &[Row]) -> String {
    let mut page = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{n} — levamp backtest compare</title>\
         <style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}td,th{{padding:2px 8px;text-align:right}}</style></head><body>\
         <h1>{n}</h1><p>{count} strategies on {market}, {start} → {end} (exclusive), venue {preset}; the same history for all.</p><table><tr>",
        n = escape(name),
        count = rows.len(),
        market = escape(&first.market),
        start = time::format(first.start),
        end = time::format(first.end),
        preset = escape(&first.preset),
    );
    for h in HEADER.split(',') {
        let _ = write!(page, "<th>{}</th>", escape(h));
    }
    page.push_str("</tr>");
    for r in rows {
        page.push_str("<tr>");
        for f in fields(r) {
            let _ = write!(page, "<td>{}</td>", escape(&f));
        }
        page.push_str("</tr>");
    }
    page.push_str("</table>\n");
    let lines: Vec<Line> = rows
        .iter()
        .take(MAX_CURVES)
        .enumerate()
        .map(|(i, r)| Line {
            label: &r.name,
            colour: COLOURS[i % COLOURS.len()],
            points: thin(r.curve.clone()),
        })
        .collect();
    page.push_str(&chart("Equity ÷ capital", &lines, &[]));
    if rows.len() > MAX_CURVES {
        let _ = write!(
            page,
            "<p>The chart draws the first {MAX_CURVES} of {} strategies; compare.csv has them all.</p>",
            rows.len()
        );
    }
    page.push_str(
        "<p>Written by levamp backtest --compare (docs/backtest.md).</p></body></html>\n",
    );
    page
}
