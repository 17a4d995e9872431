//! `levamp margin`: read a snapshot, evaluate every account, print a table
//! or the JSON report.
//!
//! The snapshot is read in place ([`levamp_io::Document`]): accounts are
//! parsed and evaluated a range at a time on every core, never all held at
//! once. A first pass checks every account (so a bad one anywhere fails
//! before anything is printed); a second reads them again and streams the
//! output, range by range, in input order.

use crate::{table, Format};
use anyhow::{Context, Result};
use levamp_io::{Document, InputError, Preset};
use rayon::prelude::*;
use std::io::IsTerminal;
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
    let ranges: Vec<Range<usize>> = (0..doc.len())
        .step_by(RANGE)
        .map(|start| start..(start + RANGE).min(doc.len()))
        .collect();
    check(&doc, &ranges).with_context(|| name.clone())?;
    print(&doc, &ranges, format).with_context(|| name.clone())
}

fn open<'a>(text: &'a str, venue: &str) -> Result<Document<'a>, InputError> {
    Document::open(text, &Preset::load(venue)?)
}

/// Reads and evaluates every account; the first error as the whole-file
/// parse reports it.
fn check(doc: &Document<'_>, ranges: &[Range<usize>]) -> Result<(), InputError> {
    let outcomes = ranges
        .par_iter()
        .map(|range| {
            let mut reader = doc.reader();
            doc.read(&mut reader, range.clone(), |i, account, reader| {
                reader.evaluate(&account, i).map(drop)
            })
        })
        .collect();
    doc.first_error(outcomes)
}

/// The output of the accounts in `range`.
fn render(doc: &Document<'_>, range: Range<usize>, format: Format) -> Result<Vec<u8>> {
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
    // Checked already: an error here would be a bug, still reported.
    doc.first_error(vec![outcome])?;
    Ok(out)
}

/// Streams the output, a batch of ranges at a time, in account order.
fn print(doc: &Document<'_>, ranges: &[Range<usize>], format: Format) -> Result<()> {
    let mut failure = None;
    crate::venue_cmd::emit_with(|out| {
        match format {
            Format::Json => out.write_all(b"{\"accounts\":[")?,
            Format::Table => table::header(out)?,
        }
        for batch in ranges.chunks(BATCH) {
            let parts: Result<Vec<Vec<u8>>> = batch
                .par_iter()
                .map(|range| render(doc, range.clone(), format))
                .collect();
            match parts {
                Ok(parts) => parts.iter().try_for_each(|p| out.write_all(p))?,
                Err(e) => {
                    failure = Some(e);
                    return Ok(());
                }
            }
        }
        match format {
            Format::Json => out.write_all(b"]}\n"),
            Format::Table => Ok(()),
        }
    })?;
    failure.map_or(Ok(()), Err)
}
