//! `levamp contagion NETWORK.toml`: clears a network of obligations
//! exactly (crate levamp-network) and prints the result as JSON or a
//! table; `--out DIR` also writes DIR/<name>/ (result.json, network.toml)
//! with the placement rules of `levamp sim` (levamp_sim::output).

use crate::venue_cmd::emit_with;
use crate::{table, Format};
use anyhow::{anyhow, Result};
use levamp_network::{clear_network, parse_file, result_json, Clearing, Network};
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
    let c = clear_network(&net).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    let json = result_json(&net, &c).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    if let Some(out) = out {
        output::write_files(
            out,
            &net.name,
            &[
                ("result.json", &|w| {
                    serde_json::to_writer_pretty(&mut *w, &json).map_err(std::io::Error::from)?;
                    writeln!(w)
                }),
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

/// One line per node, then the totals.
fn write_table(w: &mut dyn Write, net: &Network, c: &Clearing) -> std::io::Result<()> {
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
    )
}
