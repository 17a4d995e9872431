//! `levamp margin`: read a snapshot, evaluate every account (in parallel,
//! order kept), print a table or the JSON report.

use crate::{table, Format};
use anyhow::{Context, Result};
use levamp_io::{evaluate, AccountReport, Preset, Snapshot};
use rayon::prelude::*;
use std::io::IsTerminal;

pub use crate::input::read_input;

/// Runs `levamp margin`.
pub fn run(file: Option<&str>, venue: &str, format: Option<Format>) -> Result<()> {
    let (text, name) = read_input(file)?;
    let format = format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    });
    let reports = margin(&text, venue).with_context(|| name.clone())?;
    print(&reports, format)
}

/// Parses and evaluates; errors name the JSON path.
fn margin(text: &str, venue: &str) -> Result<Vec<AccountReport>, levamp_io::InputError> {
    let preset = Preset::load(venue)?;
    let snapshot = Snapshot::parse(text, &preset)?;
    (0..snapshot.accounts.len())
        .into_par_iter()
        .map(|i| evaluate(&snapshot, i))
        .collect()
}

/// Prints the reports account by account, never the whole output at once.
fn print(reports: &[AccountReport], format: Format) -> Result<()> {
    crate::venue_cmd::emit_with(|out| match format {
        Format::Json => {
            out.write_all(b"{\"accounts\":[")?;
            for (i, r) in reports.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, &r.to_json())?;
            }
            out.write_all(b"]}\n")
        }
        Format::Table => table::render(reports, out),
    })
}
