//! The metrics table: human names with units; metrics of features the
//! scenario does not use (zero on every path) left out; one value column
//! for one path, the distribution for several.

use super::axis::{count, human, percent};
use crate::run::PathMetrics;
use crate::summary::{metric, Stat, METRICS};
use std::fmt::Write;

/// How a metric's values read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// An amount of the quote asset.
    Quote,
    /// A ratio shown as a percentage.
    Percent,
    /// A whole number.
    Count,
    /// A multiple (×).
    Times,
}

/// The core metrics, shown even when zero: the first twelve of
/// [`crate::summary::METRICS`] (prices, drawdown, liquidations, bad debt,
/// insurance fund, amplification, rounds).
const CORE: &[&str] = METRICS.split_at(12).0;

/// A metric's human name and unit.
pub fn describe(name: &str) -> (&'static str, Unit) {
    use Unit::*;
    match name {
        "final_price" => ("Final price", Quote),
        "min_price" => ("Lowest price", Quote),
        "max_drawdown" => ("Largest drawdown of the market", Percent),
        "liquidated_notional" => ("Liquidated notional", Quote),
        "liquidated_long" => ("Liquidated notional, longs", Quote),
        "liquidated_short" => ("Liquidated notional, shorts", Quote),
        "accounts_liquidated" => ("Accounts liquidated", Count),
        "bad_debt" => ("Bad debt", Quote),
        "insurance_fund_drawdown" => ("Insurance fund drawdown", Quote),
        "cascade_amplification" => ("Cascade amplification (market fall ÷ outside fall)", Times),
        "rounds" => ("Cascade rounds", Count),
        "max_rounds_in_a_step" => ("Most cascade rounds in one step", Count),
        "adl_count" => ("Auto-deleveraging fills", Count),
        "adl_notional" => ("Auto-deleveraged notional", Quote),
        "funding_paid" => ("Funding paid", Quote),
        "top_ups" => ("Margin top-ups", Count),
        "topped_up" => ("Margin topped up", Quote),
        "agent_liquidations" => ("Liquidations by external liquidators", Count),
        "waiting_liquidations" => ("Liquidations left waiting", Count),
        "basis_unwound" => ("Basis trades unwound", Quote),
        "hunts" => ("Liquidation hunts", Count),
        "hunter_pnl" => ("Hunters' profit and loss", Quote),
        "hunt_liquidations" => ("Accounts liquidated in hunted steps", Count),
        "hunt_liquidated_notional" => ("Notional liquidated in hunted steps", Quote),
        "refused_commands" => ("Commands the venue refused", Count),
        "lending_liquidations" => ("Lending liquidations", Count),
        "lending_debt_repaid" => ("Lending debt repaid", Quote),
        "lending_collateral_seized" => ("Lending collateral seized", Quote),
        "lending_deficit" => ("Lending deficit", Quote),
        "arbitrage_volume" => ("Arbitrage volume", Quote),
        "arbitrage_pnl" => ("Arbitrageurs' profit and loss", Quote),
        "mm_absorbed" => ("Absorbed by market makers", Quote),
        "mm_max_inventory" => ("Market makers' largest inventory", Quote),
        "mm_withdrawn_steps" => ("Steps market makers were withdrawn", Count),
        "mm_pnl" => ("Market makers' profit and loss", Quote),
        "backstop_losses" => (
            "Losses absorbed (fund draws, ADL, socialised, bad debt)",
            Quote,
        ),
        "contagion_losses" => ("Losses borne by other markets", Quote),
        "contagion_share" => ("Share of losses borne by other markets", Percent),
        _ => ("", Quote),
    }
}

/// `x` in `unit`.
pub fn format(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Quote => human(x),
        Unit::Percent => percent(x),
        Unit::Count => count(x),
        Unit::Times => format!("{x:.2}×"),
    }
}

/// The metrics shown: the core ones, and the others that are not zero on
/// every path.
pub fn shown(paths: &[PathMetrics]) -> Vec<&'static str> {
    METRICS
        .iter()
        .copied()
        .filter(|n| CORE.contains(n) || paths.iter().any(|p| metric(p, n) != 0.0))
        .collect()
}

/// The table's HTML.
pub fn metrics_table(paths: &[PathMetrics], quote: &str) -> String {
    let header = match paths.len() {
        1 => "<th>value</th>".to_string(),
        _ => "<th>mean</th><th>p5</th><th>p50</th><th>p95</th><th>p99</th><th>max</th>".into(),
    };
    let mut out = format!("<table id=\"metrics\"><tr><th>metric</th>{header}</tr>");
    for name in shown(paths) {
        let (label, unit) = describe(name);
        let label = match unit {
            Unit::Quote => format!("{label} ({quote})"),
            _ => label.to_string(),
        };
        let _ = write!(out, "<tr><td title=\"{name}\">{label}</td>");
        let st = Stat::of(paths.iter().map(|m| metric(m, name)));
        let values: &[f64] = match paths.len() {
            1 => &[st.p50],
            _ => &[st.mean, st.p5, st.p50, st.p95, st.p99, st.max],
        };
        for (i, v) in values.iter().enumerate() {
            // A mean of counts may be fractional.
            let unit = match (unit, i, paths.len()) {
                (Unit::Count, 0, n) if n > 1 => Unit::Times,
                (u, _, _) => u,
            };
            let text = match unit {
                Unit::Times if describe(name).1 == Unit::Count => format!("{v:.1}"),
                u => format(*v, u),
            };
            let _ = write!(out, "<td>{text}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    out
}
