//! `levamp contagion NETWORK.toml`: clears a network of obligations
//! exactly, with its fire sales and token values (crate levamp-network's
//! cascade, venue nodes run through levamp-sim: [`crate::contagion_venue`]), and prints the result as JSON or a table; `--out DIR` also
//! writes DIR/<name>/ (result.json, report.html, network.toml) with the
//! placement rules of `levamp sim` (levamp_sim::output).

use crate::contagion_venue::SimVenues;
use crate::venue_cmd::emit_with;
use crate::{table, Format};
use anyhow::{anyhow, Result};
use levamp_network::{cascade_json, cascade_with, parse_file, report_html, Cascade, Network};
use levamp_sim::output;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Runs `levamp contagion FILE`.
pub fn run(file: &Path, format: Option<Format>, out: Option<&Path>, force: bool) -> Result<()> {
    let text = levamp_io::input_limit::read_file(file)?;
    let net = parse_file(file, &text)?;
    if let Some(out) = out {
        // `FILE:LINE: name: …` for an unsafe name.
        output::check_destination(out, &net.name, force).map_err(|e| match e.at.as_str() {
            "name" => levamp_sim::scenario::at_line(&file.display().to_string(), &text, e),
            _ => e,
        })?;
    }
    // Venue nodes' scenarios are read and checked before anything runs.
    let mut venues = SimVenues::load(file, &net)?;
    let c = cascade_with(&net, &mut venues).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    let json = cascade_json(&net, &c).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    if let Some(out) = out {
        let html = report_html(&net, &c).map_err(|e| anyhow!("{}: {e}", file.display()))?;
        output::write_files(
            out,
            &net.name,
            &[
                ("result.json", &|w| {
                    serde_json::to_writer_pretty(&mut *w, &json).map_err(std::io::Error::from)?;
                    writeln!(w)
                }),
                ("report.html", &|w| w.write_all(html.as_bytes())),
                ("network.toml", &|w| w.write_all(text.as_bytes())),
            ],
            "levamp contagion",
            force,
        )?;
    }
    let format = format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    });
    match format {
        Format::Json => emit_with(|w| {
            serde_json::to_writer(&mut *w, &json).map_err(std::io::Error::from)?;
            writeln!(w)
        }),
        Format::Table => emit_with(|w| write_table(w, &net, &c)),
    }
}

/// One line per node, then the totals, then the fire sales (if any), then
/// the cascade's rounds (if any changed sales, prices or token values).
fn write_table(w: &mut dyn Write, net: &Network, cascade: &Cascade) -> std::io::Result<()> {
    let c = &cascade.clearing;
    writeln!(
        w,
        "{:<16} {:>20} {:>20} {:>20} {:>16}  status",
        "node", "obligations", "payment", "equity", "recovery"
    )?;
    let invalid = |e: levamp_core::MathError| std::io::Error::other(e.to_string());
    for (i, node) in net.nodes.iter().enumerate() {
        writeln!(
            w,
            "{:<16} {:>20} {:>20} {:>20} {:>16}  {}",
            table::escape(&node.id),
            c.total_obligations[i].to_string(),
            c.payments[i].to_string(),
            c.equity(i).map_err(invalid)?.to_string(),
            c.recovery_rate(i).map_err(invalid)?.to_string(),
            if c.defaulted[i] { "default" } else { "solvent" }
        )?;
    }
    let defaults = c.defaulted.iter().filter(|&&d| d).count();
    writeln!(
        w,
        "\n{defaults} of {} nodes default in {} round(s); total shortfall {}",
        net.nodes.len(),
        c.rounds,
        c.total_shortfall().map_err(invalid)?
    )?;
    for (a, asset) in net.assets.iter().enumerate() {
        writeln!(
            w,
            "asset {}: price {} → {} after the shock → {} after fire sales of {} units",
            table::escape(&asset.id),
            asset.price,
            cascade.shocked_prices[a],
            cascade.prices[a],
            cascade.units_sold[a]
        )?;
    }
    for (t, token) in net.tokens.iter().enumerate() {
        writeln!(
            w,
            "token {}: {} per unit",
            table::escape(&token.id),
            cascade.token_values[t]
        )?;
    }
    if !net.assets.is_empty() || !net.tokens.is_empty() {
        writeln!(w, "{} cascade round(s)", cascade.rounds())?;
    }
    if cascade.rounds() > 0 {
        write_rounds(w, net, cascade)?;
    }
    Ok(())
}

/// The cascade's rounds, one line each as the round cleared (the first at
/// the shocked prices): defaults and sellers with how many are new since
/// the round before, the total shortfall and every asset's price.
fn write_rounds(w: &mut dyn Write, net: &Network, cascade: &Cascade) -> std::io::Result<()> {
    writeln!(
        w,
        "\n{:>5} {:>8} {:>12} {:>8} {:>11} {:>22}  prices",
        "round", "defaults", "new defaults", "sellers", "new sellers", "total shortfall"
    )?;
    let (mut defaults, mut sellers) = (0, 0);
    for (k, round) in cascade.history.iter().enumerate() {
        let prices: Vec<String> = net
            .assets
            .iter()
            .zip(&round.prices)
            .map(|(asset, price)| format!("{}={price}", table::escape(&asset.id)))
            .collect();
        writeln!(
            w,
            "{k:>5} {:>8} {:>12} {:>8} {:>11} {:>22}  {}",
            round.defaults,
            round.defaults.saturating_sub(defaults),
            round.sellers,
            round.sellers.saturating_sub(sellers),
            round.shortfall.to_string(),
            prices.join(" ")
        )?;
        (defaults, sellers) = (round.defaults, round.sellers);
    }
    Ok(())
}
