//! The terminal summary of `levamp sim`: human metric names, every money
//! and price figure in the venue's quote asset, counts as integers, ratios
//! as percent. One path prints one value column; several print the mean,
//! the median and the bad tail — the low tail (p5, p1, min) for metrics
//! where lower is worse (the lowest price), the high tail (p95, p99, max)
//! for the others. Figures are for reading; metrics.json has them exactly.

use levamp_sim::report::human;
use levamp_sim::run::PathMetrics;
use levamp_sim::scenario::Scenario;
use levamp_sim::setup::World;
use levamp_sim::summary::{expected_shortfall, metric, percentile, Stat};
use std::io::Write;

/// How a metric's value reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    /// An amount of the quote asset.
    Quote,
    /// A price in the quote asset.
    Price,
    /// A whole number of things.
    Count,
    /// A ratio, printed as percent.
    Percent,
    /// A multiple (×).
    Times,
}

/// A row of the table: metrics.json key, human name, unit, and whether a
/// lower value is the worse one.
struct Row(&'static str, &'static str, Unit, bool);

const ROWS: &[Row] = &[
    Row("min_price", "lowest price", Unit::Price, true),
    Row("max_drawdown", "max drawdown", Unit::Percent, false),
    Row(
        "liquidated_notional",
        "liquidated notional",
        Unit::Quote,
        false,
    ),
    Row("liquidated_long", "  of which long", Unit::Quote, false),
    Row("liquidated_short", "  of which short", Unit::Quote, false),
    Row(
        "accounts_liquidated",
        "accounts liquidated",
        Unit::Count,
        false,
    ),
    Row("bad_debt", "bad debt", Unit::Quote, false),
    Row(
        "insurance_fund_drawdown",
        "insurance fund drawdown",
        Unit::Quote,
        false,
    ),
    Row(
        "adl_notional",
        "auto-deleveraged notional",
        Unit::Quote,
        false,
    ),
    Row(
        "cascade_amplification",
        "cascade amplification",
        Unit::Times,
        false,
    ),
    Row("rounds", "liquidation rounds", Unit::Count, false),
];

const LENDING_ROWS: &[Row] = &[
    Row(
        "lending_collateral_seized",
        "lending collateral seized",
        Unit::Quote,
        false,
    ),
    Row("lending_deficit", "lending deficit", Unit::Quote, false),
];

/// Prints the summary: a heading line, the table, the risk line (several
/// paths) and refused commands.
pub fn print(
    out: &mut dyn Write,
    s: &Scenario,
    world: &World,
    paths: &[PathMetrics],
    elapsed: f64,
    setup_s: f64,
) -> std::io::Result<()> {
    let quote = world.venue.asset_name(world.venue.quote());
    let base = world
        .venue
        .price_keys()
        .get(world.key as usize)
        .cloned()
        .unwrap_or_default();
    writeln!(
        out,
        "{} — {} path{} × {} steps, {} accounts (long open interest {} {base}), start price {}; {elapsed:.1} s ({setup_s:.1} s setup)",
        s.name,
        paths.len(),
        if paths.len() == 1 { "" } else { "s" },
        s.run.steps,
        world.accounts,
        human(world.open_interest.to_f64_lossy()),
        format_value(world.start.to_f64_lossy(), Unit::Price, &quote),
    )?;
    // What happened, in words (the report's headline), wrapped for a terminal.
    let headline = levamp_sim::headline::headline(s, world, paths);
    let headline = crate::table::escape(&headline);
    for line in wrap(&headline, 78) {
        writeln!(out, "  {line}")?;
    }
    let one = paths.len() == 1;
    let columns: &[&str] = if one {
        &["value"]
    } else {
        &["mean", "median", "worst 5 %", "worst 1 %", "worst"]
    };
    let mut line = format!("  {:<27}", "metric");
    for c in columns {
        line.push_str(&format!(" {c:>16}"));
    }
    writeln!(out, "{}", line.trim_end())?;
    let lending: &[Row] = if world.lending.is_some() {
        LENDING_ROWS
    } else {
        &[]
    };
    for Row(key, label, unit, lower_is_worse) in ROWS.iter().chain(lending) {
        let values: Vec<f64> = paths.iter().map(|m| metric(m, key)).collect();
        let shown: Vec<f64> = if one {
            values
        } else {
            tail(&values, *lower_is_worse).to_vec()
        };
        let mut line = format!("  {label:<27}");
        for v in shown {
            line.push_str(&format!(" {:>16}", format_value(v, *unit, &quote)));
        }
        writeln!(out, "{line}")?;
    }
    if !one {
        let bad: Vec<f64> = paths.iter().map(|m| m.bad_debt).collect();
        let bad_st = Stat::of(bad.iter().copied());
        let liq = Stat::of(paths.iter().map(|m| m.liquidated_notional));
        let share = |f: &dyn Fn(&PathMetrics) -> bool| {
            paths.iter().filter(|m| f(m)).count() as f64 / paths.len() as f64
        };
        let q = |x: f64| format_value(x, Unit::Quote, &quote);
        writeln!(
            out,
            "  risk: bad-debt VaR95 {} · VaR99 {} · ES95 {} · liquidations-at-risk (p95) {} · P(bad debt) {} · P(insurance fund depleted) {}",
            q(bad_st.p95),
            q(bad_st.p99),
            q(expected_shortfall(&bad, 0.95)),
            q(liq.p95),
            format_value(share(&|m| m.bad_debt > 0.0), Unit::Percent, &quote),
            format_value(share(&|m| m.insurance_fund_depleted), Unit::Percent, &quote),
        )?;
    } else if paths.iter().any(|m| m.insurance_fund_depleted) {
        writeln!(out, "  the insurance fund was depleted")?;
    }
    let refused: usize = paths.iter().map(|m| m.agents.refused_commands).sum();
    if refused > 0 {
        writeln!(
            out,
            "  agents: {refused} command(s) refused by the venue's rules over all paths (refused_commands in metrics.json)"
        )?;
    }
    Ok(())
}

/// Mean, median and the bad tail (5 %, 1 %, worst) of `values`: the low
/// tail when `lower_is_worse`, else the high tail.
fn tail(values: &[f64], lower_is_worse: bool) -> [f64; 5] {
    let st = Stat::of(values.iter().copied());
    if !lower_is_worse {
        return [st.mean, st.p50, st.p95, st.p99, st.max];
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let min = sorted.first().copied().unwrap_or(0.0);
    [st.mean, st.p50, st.p5, percentile(&sorted, 0.01), min]
}

/// `v` as its unit reads: "3.81M USDT", "80.50 USDT", "2", "17.1 %", "1.30×".
fn format_value(v: f64, unit: Unit, quote: &str) -> String {
    match unit {
        Unit::Quote => format!("{} {quote}", human(v)),
        Unit::Price if v.abs() >= 10_000.0 => format!("{} {quote}", thousands(v)),
        Unit::Price if v.abs() >= 1.0 || v == 0.0 => format!("{v:.2} {quote}"),
        Unit::Price => format!("{v:.6} {quote}"),
        Unit::Count if v.fract() == 0.0 => format!("{v:.0}"),
        Unit::Count => format!("{v:.1}"),
        Unit::Percent => format!("{:.1} %", v * 100.0),
        Unit::Times => format!("{v:.2}×"),
    }
}

/// `v` rounded to a whole number with thousands separators: "104,213".
fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bad_tail_is_low_for_prices_and_high_otherwise() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(tail(&v, true)[2..], [5.0, 1.0, 1.0]);
        assert_eq!(tail(&v, false)[2..], [95.0, 99.0, 100.0]);
    }

    #[test]
    fn values_read_with_their_units() {
        assert_eq!(
            format_value(426_370_000.0, Unit::Quote, "USDT"),
            "426.37M USDT"
        );
        assert_eq!(format_value(104_213.4, Unit::Price, "USDT"), "104,213 USDT");
        assert_eq!(format_value(80.5, Unit::Price, "USDT"), "80.50 USDT");
        assert_eq!(format_value(4.0, Unit::Count, ""), "4");
        assert_eq!(format_value(0.1712, Unit::Percent, ""), "17.1 %");
        assert_eq!(format_value(1.3, Unit::Times, ""), "1.30×");
    }
}

/// Splits `text` into lines of at most `width` characters at spaces (a
/// longer word stands on its own line).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod wrap_tests {
    #[test]
    fn wraps_at_spaces_within_the_width() {
        assert_eq!(
            super::wrap("aa bb cc dddddd e", 5),
            vec!["aa bb", "cc", "dddddd", "e"]
        );
        assert!(super::wrap("", 5).is_empty());
    }
}
