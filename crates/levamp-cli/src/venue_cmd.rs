//! `levamp run` (a script of commands) and `levamp replay` (an event log).

use crate::Format;
use anyhow::{Context, Result};
use levamp_engine::venue::Venue;
use levamp_io::{conservation_json, event_json, state_json, OnError, Preset, Run};
use serde_json::{json, Value};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Runs `levamp run`.
pub fn run(
    script: &str,
    venue: &str,
    format: Option<Format>,
    on_error: OnError,
    events_out: Option<&Path>,
    state_out: Option<&Path>,
) -> Result<()> {
    let text = crate::margin_cmd::read_input(Some(script))?.0;
    let preset = Preset::load(venue)?;
    let run = Run::script(&text, preset, on_error).with_context(|| script.to_string())?;
    if let Some(path) = events_out {
        let mut log = String::new();
        for e in &run.events {
            log.push_str(&serde_json::to_string(&event_json(e))?);
            log.push('\n');
        }
        write_atomically(path, &log)?;
    }
    if let Some(path) = state_out {
        write_atomically(path, &levamp_io::save_state(&run.venue))?;
    }
    let state = state_json(&run.venue)?;
    let conservation = conservation_json(&run.venue)?;
    let skipped: Vec<Value> = run
        .skipped
        .iter()
        .map(|e| json!({"at": e.at, "error": e.message}))
        .collect();
    match resolve(format) {
        Format::Json => {
            let events: Vec<Value> = run.events.iter().skip(1).map(event_json).collect();
            print_json(
                &json!({"events": events, "state": state, "conservation": conservation, "skipped": skipped}),
            )
        }
        Format::Table => {
            for e in &run.skipped {
                eprintln!("skipped {e}");
            }
            print_summary(&run.venue, run.events.len() - 1, &state, &conservation)
        }
    }
}

/// Runs `levamp replay`.
pub fn replay(log: &str, format: Option<Format>) -> Result<()> {
    let text = crate::margin_cmd::read_input(Some(log))?.0;
    let (venue, events) = levamp_io::load_venue(&text).with_context(|| log.to_string())?;
    let state = state_json(&venue)?;
    let conservation = conservation_json(&venue)?;
    match resolve(format) {
        Format::Json => {
            print_json(&json!({"events": events, "state": state, "conservation": conservation}))
        }
        Format::Table => print_summary(&venue, events.saturating_sub(1), &state, &conservation),
    }
}

fn resolve(format: Option<Format>) -> Format {
    format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    })
}

fn print_json(v: &Value) -> Result<()> {
    let mut s = serde_json::to_string(v)?;
    s.push('\n');
    emit(&s)
}

fn emit(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing standard output"),
    }
}

/// A short human summary: accounts, funds, conservation.
fn print_summary(venue: &Venue, events: usize, state: &Value, conservation: &Value) -> Result<()> {
    let mut s = format!("{events} events, venue time {}\n\n", venue.now);
    s.push_str(&format!(
        "{:<14} {:>16} {:>8}  {:<40} positions\n",
        "account", "equity", "HF", "balances"
    ));
    for a in state["accounts"].as_array().into_iter().flatten() {
        let balances: Vec<String> = a["balances"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let positions: Vec<String> = a["positions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                format!(
                    "{} {} @ {}",
                    p["market"].as_str().unwrap_or(""),
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
        s.push_str(&format!(
            "{:<14} {:>16} {:>8}  {:<40} {}\n",
            a["id"].as_str().unwrap_or(""),
            a["equity"].to_string(),
            hf.chars().take(8).collect::<String>(),
            balances.join(", "),
            positions.join(", ")
        ));
    }
    for key in ["insurance_fund", "fees", "bad_debt", "funding_residual"] {
        if let Some(m) = state[key].as_object().filter(|m| !m.is_empty()) {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
            s.push_str(&format!("{key}: {}\n", parts.join(", ")));
        }
    }
    let ok = conservation["ok"].as_bool().unwrap_or(false);
    s.push_str(&format!(
        "\nconservation: {}\n",
        if ok {
            "ok (exact)"
        } else {
            "BROKEN — see --format json"
        }
    ));
    emit(&s)
}

/// Writes `text` to `path` via a temporary file in the same directory, so a
/// failed run never leaves a partial file behind.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("levamp")
    ));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
