//! Writing a run's results: `metrics.json`, `paths.csv`, `series.csv`,
//! `report.html`, `scenario.toml` and the [`MARKER`] into `OUT/<name>/`.
//!
//! The name is one safe path component ([`check_run_name`]). Everything is
//! written into a fresh temporary folder inside `OUT` and renamed into
//! place at the end, so a failed run never leaves a half-written result
//! behind. An existing `OUT/<name>` is replaced (and deleted) only when it
//! is a real folder carrying levamp's marker; anything else there stops the
//! run unless `force` is set, and then it is only renamed aside, never
//! deleted and never followed if it is a symlink.

use crate::run::PathMetrics;
use crate::scenario::Scenario;
use crate::setup::World;
use crate::summary::{metric, path_json, summary_json, METRICS};
use levamp_io::json::InputError;
use serde_json::{json, Value};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The file that marks a folder as a levamp result, which a later run may
/// replace.
pub const MARKER: &str = ".levamp-result";

/// The longest run name, in bytes.
pub const MAX_RUN_NAME: usize = 100;

/// Checks that `name` is a safe run name: one path component of
/// `[A-Za-z0-9._-]`, not `.` or `..`, 1 to [`MAX_RUN_NAME`] bytes.
pub fn check_run_name(name: &str) -> Result<(), InputError> {
    let safe = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if safe && !name.is_empty() && name != "." && name != ".." && name.len() <= MAX_RUN_NAME {
        return Ok(());
    }
    Err(InputError {
        at: "name".into(),
        message: format!(
            "{name:?} is not a safe run name: the results folder is OUT/<name>, so a name is \
             1 to {MAX_RUN_NAME} of the characters A-Z a-z 0-9 . _ - and not \".\" or \"..\" \
             (without a `name` key it is the file name without .toml)"
        ),
    })
}

/// Distinguishes the temporary folders of one process.
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh path in `out` for `name` with `suffix`, unique to this process
/// and not existing yet.
fn fresh(out: &Path, name: &str, suffix: &str) -> PathBuf {
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let p = out.join(format!(".{name}.{}-{n}.{suffix}", std::process::id()));
        if std::fs::symlink_metadata(&p).is_err() {
            return p;
        }
    }
}

/// The largest liquidations `metrics.json` lists.
pub const LARGEST_IN_METRICS: usize = 100;

/// The `metrics.json` document (`liquidations`: who was liquidated on the
/// paths that keep a series, [`crate::liquidations::liquidations_json`];
/// `price_quantiles`: the price fan over every path, [`crate::fan`]).
pub fn metrics_json(s: &Scenario, world: &World, paths: &[PathMetrics]) -> Value {
    json!({
        "scenario": {
            "name": s.name,
            "seed": s.run.seed,
            "paths": s.run.paths,
            "steps": s.run.steps,
            "dt_s": s.run.dt_s,
            "venue": s.preset,
            "start_price": world.start.to_f64_lossy(),
            "accounts": world.accounts,
            "open_interest_long": world.open_interest.to_f64_lossy(),
            "oracle_latency_steps": s.latency_steps,
            "price_model": s.price.describe(),
            "impact_model": s.impact.describe(),
        },
        "summary": summary_json(paths),
        "paths": paths.iter().map(path_json).collect::<Vec<_>>(),
        "liquidations": crate::liquidations::liquidations_json(paths, LARGEST_IN_METRICS),
        "price_quantiles": crate::fan::price_quantiles_json(&crate::fan::price_fan(paths, s.run.steps)),
    })
}

fn paths_csv(paths: &[PathMetrics], out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(b"path")?;
    for m in METRICS {
        write!(out, ",{m}")?;
    }
    out.write_all(b",time_to_first_liquidation\n")?;
    for p in paths {
        write!(out, "{}", p.path)?;
        for m in METRICS {
            write!(out, ",{}", metric(p, m))?;
        }
        match p.time_to_first_liquidation {
            Some(t) => writeln!(out, ",{t}")?,
            None => writeln!(out, ",")?,
        }
    }
    Ok(())
}

fn series_csv(paths: &[PathMetrics], out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(b"path,step,exogenous_price,price,oracle_price,liquidated_notional,rounds,insurance_fund,bad_debt\n")?;
    for p in paths {
        for r in p.series.iter().flatten() {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{}",
                p.path,
                r.step,
                r.exogenous,
                r.price,
                r.oracle,
                r.liquidated_notional,
                r.rounds,
                r.insurance_fund,
                r.bad_debt
            )?;
        }
    }
    Ok(())
}

/// Where [`write`] put a result.
pub struct Written {
    /// The result folder, `OUT/<name>`.
    pub dir: PathBuf,
    /// With `force`: where what stood at `OUT/<name>` was moved.
    pub set_aside: Option<PathBuf>,
}

/// Removes the temporary folder this run created unless disarmed.
struct Temporary(Option<PathBuf>);

impl Drop for Temporary {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

fn io_error(p: &Path) -> impl Fn(std::io::Error) -> InputError + '_ {
    move |e| InputError {
        at: p.display().to_string(),
        message: e.to_string(),
    }
}

/// The error of an output directory (`--out`) that cannot be made or used.
fn out_dir_error(out: &Path) -> impl Fn(std::io::Error) -> InputError + '_ {
    move |e| InputError {
        at: String::new(),
        message: format!("cannot create output directory {}: {e}", out.display()),
    }
}

/// Whether `dir` is a real folder (not a symlink) holding levamp's marker.
fn is_levamp_result(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
        && std::fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file())
}

/// Writes the results of a run into `out/<name>/` (see the module
/// documentation for what may be replaced); returns where.
pub fn write(
    out: &Path,
    s: &Scenario,
    world: &World,
    paths: &[PathMetrics],
    elapsed_s: f64,
    force: bool,
) -> Result<Written, InputError> {
    check_run_name(&s.name)?;
    let metrics = metrics_json(s, world, paths);
    write_files(
        out,
        &s.name,
        &[
            ("metrics.json", &|w| {
                serde_json::to_writer_pretty(&mut *w, &metrics).map_err(std::io::Error::from)
            }),
            ("paths.csv", &|w| paths_csv(paths, w)),
            ("series.csv", &|w| series_csv(paths, w)),
            ("report.html", &|w| {
                let html = crate::report::html(s, world, paths, &metrics["summary"], elapsed_s);
                w.write_all(html.as_bytes())
            }),
            ("scenario.toml", &|w| w.write_all(s.text.as_bytes())),
        ],
        "levamp sim",
        force,
    )
}

/// One file of a result: its name in the folder and what writes it.
pub type ResultFile<'a> = (&'a str, &'a dyn Fn(&mut dyn Write) -> std::io::Result<()>);

/// Writes `files` and the [`MARKER`] (naming `tool`, e.g. `levamp sim`)
/// into a fresh temporary folder in `out`, then puts it at `out/<name>`
/// under the rules of the module documentation; returns where. Any
/// failure leaves nothing behind but what was there before.
pub fn write_files(
    out: &Path,
    name: &str,
    files: &[ResultFile],
    tool: &str,
    force: bool,
) -> Result<Written, InputError> {
    check_run_name(name)?;
    std::fs::create_dir_all(out).map_err(out_dir_error(out))?;
    let dir = out.join(name);
    let tmp = fresh(out, name, "partial");
    std::fs::create_dir(&tmp).map_err(out_dir_error(&tmp))?;
    let mut guard = Temporary(Some(tmp.clone()));
    let marker = format!(
        "Written by {tool}; levamp replaces this folder when the same run is made again.\n"
    );
    let marker_body = |w: &mut dyn Write| w.write_all(marker.as_bytes());
    for (file, body) in files.iter().chain(
        [(
            MARKER,
            &marker_body as &dyn Fn(&mut dyn Write) -> std::io::Result<()>,
        )]
        .iter(),
    ) {
        let p = tmp.join(file);
        let f = std::fs::File::create_new(&p).map_err(io_error(&p))?;
        let mut w = BufWriter::with_capacity(1 << 16, f);
        body(&mut w)
            .and_then(|()| w.flush())
            .map_err(io_error(&p))?;
    }
    let set_aside = place(out, &tmp, &dir, name, force)?;
    guard.0 = None;
    Ok(Written { dir, set_aside })
}

/// Checks that a result may go to `out/<name>`: the name is safe and
/// nothing is there, or levamp's own result, or `force` is set. Run before
/// the simulation so that a run that could not be written fails at once.
pub fn check_destination(out: &Path, name: &str, force: bool) -> Result<(), InputError> {
    check_run_name(name)?;
    match std::fs::metadata(out) {
        Ok(m) if !m.is_dir() => {
            return Err(out_dir_error(out)(std::io::Error::other(
                "a file is in the way; choose another --out",
            )))
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(out_dir_error(out)(e)),
        _ => {}
    }
    let dir = out.join(name);
    match std::fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(&dir)(e)),
        Ok(_) if force || is_levamp_result(&dir) => Ok(()),
        Ok(m) => {
            let what = if m.is_symlink() {
                "a symlink"
            } else if m.is_dir() {
                "a folder"
            } else {
                "a file"
            };
            Err(InputError {
                at: dir.display().to_string(),
                message: format!(
                    "{what} that levamp did not write is in the way (no {MARKER} marker); \
                     move it, choose another --out or scenario name, or pass --force to rename it aside"
                ),
            })
        }
    }
}

/// Renames the finished `tmp` to `dir`, replacing a previous levamp result
/// or (with `force`) setting anything else aside.
fn place(
    out: &Path,
    tmp: &Path,
    dir: &Path,
    name: &str,
    force: bool,
) -> Result<Option<PathBuf>, InputError> {
    check_destination(out, name, force)?;
    let existing = match std::fs::symlink_metadata(dir) {
        Err(_) => None,
        Ok(_) if is_levamp_result(dir) => Some((fresh(out, name, "old"), true)),
        Ok(_) => Some((aside(out, name), false)),
    };
    if let Some((old, _)) = &existing {
        std::fs::rename(dir, old).map_err(io_error(dir))?;
    }
    if let Err(e) = std::fs::rename(tmp, dir) {
        let mut error = io_error(dir)(e);
        if let Some((old, _)) = &existing {
            // Put back what was there; if even that fails, say where it is.
            if let Err(back) = std::fs::rename(old, dir) {
                error.message = format!(
                    "{}; what stood there is at {} ({back})",
                    error.message,
                    old.display()
                );
            }
        }
        return Err(error);
    }
    match existing {
        // The previous result, renamed aside above: levamp's own folder. If
        // it cannot be removed it stays aside, and the caller says where.
        Some((old, true)) => match std::fs::remove_dir_all(&old) {
            Ok(()) => Ok(None),
            Err(_) => Ok(Some(old)),
        },
        Some((old, false)) => Ok(Some(old)),
        None => Ok(None),
    }
}

/// `OUT/<name>.orig`, or `.orig-2`, `.orig-3`, …: the first that is free.
fn aside(out: &Path, name: &str) -> PathBuf {
    (1..)
        .map(|n| match n {
            1 => out.join(format!("{name}.orig")),
            n => out.join(format!("{name}.orig-{n}")),
        })
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .unwrap_or_else(|| out.join(format!("{name}.orig")))
}
