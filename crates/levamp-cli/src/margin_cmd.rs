//! `levamp margin`: read a snapshot, evaluate every account, print a table
//! or the JSON report.
//!
//! The snapshot is read in place ([`levamp_io::Document`]): accounts are
//! parsed, evaluated and formatted a range at a time on every core, never
//! all held at once. The output is spooled to an unnamed temporary file
//! (standard output stays empty when an account anywhere is bad) and copied
//! out once every account has passed.

use crate::out_file::Spool;
use crate::{table, Format};
use anyhow::{Context, Result};
use levamp_io::{Document, InputError, Outcome, Preset};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::ops::Range;

pub use crate::input::read_input;

/// Accounts per range: enough to amortise a range's copy of the catalogue.
const RANGE: usize = 4096;
/// Ranges formatted before their output is written: bounds the buffered output.
const BATCH: usize = 16;

/// Runs `levamp margin`.
pub fn run(file: Option<&str>, venue: &str, format: Option<Format>) -> Result<()> {
    let (text, name) = read_input(file)?;
    let format = format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    });
    let doc = open(&text, venue).with_context(|| name.clone())?;
    let spool = render(&doc, format, &name)?;
    crate::venue_cmd::emit_with(|out| spool.copy_to(out))
}

fn open<'a>(text: &'a str, venue: &str) -> Result<Document<'a>, InputError> {
    Document::open(text, &Preset::load(venue)?)
}

/// Reads, evaluates and formats every account into a spool; the first
/// error as the whole-file parse reports it, after the input's `name`.
fn render(doc: &Document<'_>, format: Format, name: &str) -> Result<Spool> {
    let ranges: Vec<Range<usize>> = (0..doc.len())
        .step_by(RANGE)
        .map(|start| start..(start + RANGE).min(doc.len()))
        .collect();
    let mut spool = Spool::new()?;
    let spooling =
        |e: std::io::Error| anyhow::Error::from(e).context("cannot write a temporary file");
    match format {
        Format::Json => spool
            .writer()
            .write_all(b"{\"accounts\":[")
            .map_err(spooling)?,
        Format::Table => table::header(spool.writer()).map_err(spooling)?,
    }
    let mut outcomes = Vec::with_capacity(ranges.len());
    for batch in ranges.chunks(BATCH) {
        let parts: Vec<(Outcome<'_>, Vec<u8>)> = batch
            .par_iter()
            .map(|range| render_range(doc, range.clone(), format))
            .collect();
        for (outcome, bytes) in parts {
            spool.writer().write_all(&bytes).map_err(spooling)?;
            outcomes.push(outcome);
        }
    }
    doc.first_error(outcomes)
        .with_context(|| name.to_string())?;
    if format == Format::Json {
        spool.writer().write_all(b"]}\n").map_err(spooling)?;
    }
    Ok(spool)
}

/// The output of the accounts in `range`, and what reading them found.
fn render_range<'a>(
    doc: &Document<'a>,
    range: Range<usize>,
    format: Format,
) -> (Outcome<'a>, Vec<u8>) {
    let mut out = Vec::with_capacity(range.len() * 1024);
    let mut reader = doc.reader();
    let outcome = doc.read(&mut reader, range, |i, account, reader| {
        let report = reader.evaluate(&account, i)?;
        match format {
            Format::Json => {
                if i > 0 {
                    out.push(b',');
                }
                report.write_json(&mut out);
            }
            // Writing into a Vec cannot fail.
            Format::Table => drop(table::account(&report, &mut out)),
        }
        Ok(())
    });
    (outcome, out)
}
