//! `levamp margin`: read a snapshot, evaluate every account (in parallel,
//! order kept), print a table or the JSON report.

use crate::{table, Format};
use anyhow::{Context, Result};
use levamp_io::{evaluate, AccountReport, Preset, Snapshot};
use rayon::prelude::*;
use std::io::{IsTerminal, Read, Write};

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

pub fn read_input(file: Option<&str>) -> Result<(String, String)> {
    match file {
        None | Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading standard input")?;
            Ok((text, "<stdin>".to_string()))
        }
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
            Ok((text, path.to_string()))
        }
    }
}

fn print(reports: &[AccountReport], format: Format) -> Result<()> {
    let out = match format {
        Format::Json => {
            let mut s = serde_json::to_string(&levamp_io::report_json(reports))?;
            s.push('\n');
            s
        }
        Format::Table => table::render(reports),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing standard output"),
    }
}
