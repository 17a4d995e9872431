//! `levamp run` (a script of commands) and `levamp replay` (an event log).

use crate::out_file::{OutFile, Spool};
use crate::{table, Format};
use anyhow::{Context, Result};
use levamp_engine::venue::{Venue, MARKET_ACCOUNT_NAME};
use levamp_io::{
    account_json, conservation_json, state_totals, EventNames, OnError, Preset, Run,
    StateWriteError,
};
use serde_json::{json, Value};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

/// Runs `levamp run`: the script is read line by line and its events are
/// streamed to `--events` and (spooled until the run succeeds) to the JSON
/// document, so memory does not grow with the number of commands.
pub fn run(
    script: &str,
    venue: &str,
    format: Option<Format>,
    on_error: OnError,
    events_out: Option<&Path>,
    state_out: Option<&Path>,
) -> Result<()> {
    let preset = Preset::load(venue)?;
    let format = resolve(format);
    let lines = crate::input::lines(script)?.map(|l| l.map_err(anyhow::Error::from));
    // Outputs open before the run, so a bad path fails before any work.
    let mut events_file = events_out.map(OutFile::create).transpose()?;
    let mut state_file = state_out.map(OutFile::create).transpose()?;
    let mut spool = match format {
        Format::Json => Some(Spool::new()?),
        Format::Table => None,
    };
    let mut count = 0usize;
    let mut names = EventNames::new();
    let mut line = Vec::new();
    // Without an events file, a table run only counts its events.
    let writes_events = events_file.is_some() || spool.is_some();
    let run = Run::stream(lines, preset, on_error, |event| -> Result<()> {
        if !writes_events {
            count += 1;
            return Ok(());
        }
        line.clear();
        names.write(&event, &mut line)?;
        if let Some(f) = events_file.as_mut() {
            line.push(b'\n');
            f.write_all(&line)?;
            line.pop();
        }
        // The document's events leave out the opening `venue_opened`.
        if let (Some(s), true) = (spool.as_mut(), count > 0) {
            let w = s.writer();
            let comma: &[u8] = if count > 1 { b"," } else { b"" };
            w.write_all(comma)
                .and_then(|()| w.write_all(&line))
                .context("cannot write a temporary file")?;
        }
        count += 1;
        Ok(())
    })
    .map_err(|e| match e.is::<levamp_io::InputError>() {
        true => e.context(script.to_string()),
        false => e,
    })?;
    if let Some(f) = state_file.as_mut() {
        // `save_state`'s bytes, streamed.
        serde_json::to_writer(f.writer(), &run.venue).map_err(|e| f.error(e))?;
    }
    // What standard output gets is written to a spool first, an account at
    // a time, so a failure prints nothing and memory stays flat.
    let conservation = conservation_json(&run.venue)?;
    let json = matches!(format, Format::Json);
    // The JSON document's spool holds its events already.
    let mut out = match spool {
        Some(spool) => spool,
        None => Spool::new()?,
    };
    match format {
        Format::Json => write_document_tail(out.writer(), &run, &conservation)?,
        Format::Table => {
            let events = count.saturating_sub(1);
            write_summary(out.writer(), &run.venue, events, &conservation)?
        }
    }
    for f in [events_file, state_file].into_iter().flatten() {
        f.commit()?;
    }
    if !json {
        for e in &run.skipped {
            eprintln!("skipped {}", table::escape(&e.to_string()));
        }
    }
    emit_with(|w| {
        if json {
            w.write_all(b"{\"events\":[")?;
        }
        out.copy_to(w)
    })
}

/// The JSON document after its events: `state`, `conservation`, `skipped`.
fn write_document_tail(w: &mut dyn Write, run: &Run, conservation: &Value) -> Result<()> {
    let skipped: Vec<Value> = run
        .skipped
        .iter()
        .map(|e| json!({"at": e.at, "error": e.message}))
        .collect();
    let spooled =
        |e: std::io::Error| anyhow::Error::from(e).context("cannot write a temporary file");
    w.write_all(b"],\"state\":").map_err(spooled)?;
    levamp_io::write_state(&run.venue, w).map_err(|e| match e {
        StateWriteError::Io(e) => spooled(e),
        state => anyhow::Error::from(state),
    })?;
    for (key, value) in [
        ("conservation", conservation),
        ("skipped", &Value::from(skipped)),
    ] {
        write!(w, ",\"{key}\":").map_err(spooled)?;
        serde_json::to_writer(&mut *w, value).map_err(|e| spooled(e.into()))?;
    }
    w.write_all(b"}\n").map_err(spooled)
}

/// Runs `levamp replay`.
pub fn replay(log: &str, format: Option<Format>) -> Result<()> {
    let text = crate::margin_cmd::read_input(Some(log))?.0;
    let (venue, events) = levamp_io::load_venue(&text).with_context(|| log.to_string())?;
    let conservation = conservation_json(&venue)?;
    // Written to memory first (the log is there already), so a failure
    // prints nothing; the state an account at a time, not as a tree.
    let mut out = Vec::new();
    match resolve(format) {
        Format::Json => {
            write!(out, "{{\"events\":{events},\"state\":")?;
            levamp_io::write_state(&venue, &mut out)?;
            out.extend_from_slice(b",\"conservation\":");
            serde_json::to_writer(&mut out, &conservation)?;
            out.extend_from_slice(b"}\n");
        }
        Format::Table => write_summary(&mut out, &venue, events.saturating_sub(1), &conservation)?,
    }
    emit_with(|w| w.write_all(&out))
}

fn resolve(format: Option<Format>) -> Format {
    format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    })
}

/// Writes to standard output through a buffer; a closed pipe is not an error.
/// Inside [`crate::invoke`] the output goes to its buffer instead.
pub fn emit_with(f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut f = Some(f);
    if let Some(r) = crate::capture::write_captured(|w| (f.take().expect("once"))(w)) {
        return r.context("writing standard output");
    }
    let f = f.take().expect("not yet called");
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match f(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing standard output"),
    }
}

/// A short human summary: accounts (a row each, written as it is
/// computed), funds, conservation.
fn write_summary(
    w: &mut dyn Write,
    venue: &Venue,
    events: usize,
    conservation: &Value,
) -> Result<()> {
    let written = |e: std::io::Error| anyhow::Error::from(e).context("cannot write the summary");
    writeln!(w, "{events} events, venue time {}\n", venue.now()).map_err(written)?;
    writeln!(
        w,
        "{:<22} {:>16} {:>8}  {:<40} positions",
        "account", "equity", "HF", "balances"
    )
    .map_err(written)?;
    let ctx = venue.context();
    for i in 0..venue.accounts().len() {
        let a = account_json(venue, &ctx, i)?;
        writeln!(w, "{}", summary_row(i, &a)).map_err(written)?;
    }
    let totals = state_totals(venue)?;
    for key in ["insurance_fund", "fees", "bad_debt", "funding_residual"] {
        if let Some(m) = totals
            .get(key)
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty())
        {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{} {v}", table::escape(k)))
                .collect();
            writeln!(w, "{key}: {}", parts.join(", ")).map_err(written)?;
        }
    }
    let ok = conservation["ok"].as_bool().unwrap_or(false);
    let verdict = match ok {
        true => "ok (exact)",
        false => "BROKEN — see --format json",
    };
    writeln!(w, "\nconservation: {verdict}").map_err(written)
}

/// Account `i`'s row of the summary, from its `state` entry `a`.
fn summary_row(i: usize, a: &Value) -> String {
    let balances: Vec<String> = a["balances"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{} {v}", table::escape(k)))
        .collect();
    let positions: Vec<String> = a["positions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            format!(
                "{} {} @ {}",
                table::escape(p["market"].as_str().unwrap_or("")),
                p["size"],
                p["entry_price"]
            )
        })
        .collect();
    let hf = if a["health_factor"].is_null() {
        "-".to_string()
    } else {
        a["health_factor"].to_string()
    };
    let id = a["id"].as_str().unwrap_or("");
    // Account 0 is the venue's own side of every trade and liquidation.
    let id = if i == 0 && id == MARKET_ACCOUNT_NAME {
        "market (counterparty)".into()
    } else {
        table::escape(id)
    };
    format!(
        "{:<22} {:>16} {:>8}  {:<40} {}",
        id,
        a["equity"].to_string(),
        hf.chars().take(8).collect::<String>(),
        balances.join(", "),
        positions.join(", ")
    )
}
