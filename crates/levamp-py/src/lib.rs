//! `levamp._levamp`: the native module of the `levamp` Python package
//! (python/levamp). A thin surface with no logic of its own: every command
//! runs through levamp-cli's code ([`levamp_cli::invoke`] with standard
//! output captured, or [`levamp_cli::sim_cmd::simulate_run`] for `sim`), so
//! results are the CLI's bytes and errors the CLI's line. The GIL is
//! released while Rust runs; a simulation polls for Ctrl-C and cancels.

use levamp_cli::capture::error_line;
use levamp_cli::sim_cmd::{self, Control, SimOptions};
use levamp_sim::sources::Sources;
use levamp_sim::summary::{metric, METRICS};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

create_exception!(
    levamp,
    LevampError,
    PyException,
    "An error of levamp, with the message the CLI prints after `error: `."
);
create_exception!(
    levamp,
    InputError,
    LevampError,
    "Bad input: the message names the file or field (e.g. a JSON path) and what is wrong."
);

/// The Python exception of a levamp error line.
fn raise((line, input): (String, bool)) -> PyErr {
    match input {
        true => InputError::new_err(line),
        false => LevampError::new_err(line),
    }
}

/// A thread pool of `threads` threads (`None`: rayon's global pool, one
/// thread per core). Results are identical whatever the number.
fn pool(threads: Option<usize>) -> PyResult<Option<rayon::ThreadPool>> {
    threads
        .map(|n| {
            if n == 0 {
                return Err(InputError::new_err("threads must be at least 1, found 0"));
            }
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| LevampError::new_err(format!("threads {n}: {e}")))
        })
        .transpose()
}

/// Runs `f` on `pool` if there is one, else on this thread.
fn on<T: Send>(pool: Option<&rayon::ThreadPool>, f: impl FnOnce() -> T + Send) -> T {
    match pool {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// Runs the command line `levamp ARGS…` and returns (exit code, standard
/// output). `stdin` is what `-` reads. Raises `InputError`/`LevampError`
/// with the CLI's error line.
#[pyfunction]
#[pyo3(signature = (args, stdin=None, threads=None))]
fn invoke(
    py: Python<'_>,
    args: Vec<String>,
    stdin: Option<String>,
    threads: Option<usize>,
) -> PyResult<(u8, Py<PyBytes>)> {
    let pool = pool(threads)?;
    let inv = py.allow_threads(|| on(pool.as_ref(), || levamp_cli::invoke(args, stdin)));
    if let Some(line) = inv.error {
        return Err(raise((line, inv.input_error)));
    }
    Ok((inv.code, PyBytes::new(py, &inv.stdout).unbind()))
}

/// What a simulation hands back to Python.
struct SimData {
    dir: PathBuf,
    metrics: String,
    series: String,
    report: String,
    /// `paths.csv`'s columns as little-endian buffers: (name, bytes, NumPy dtype).
    columns: Vec<(String, Vec<u8>, &'static str)>,
}

/// The columns of `paths.csv` (same names, same values) as buffers:
/// `path` as int64, the metrics as float64, `time_to_first_liquidation`
/// as float64 with NaN for none (as pandas reads the CSV's empty cell).
fn columns(paths: &[levamp_sim::run::PathMetrics]) -> Vec<(String, Vec<u8>, &'static str)> {
    let ints: Vec<u8> = paths
        .iter()
        .flat_map(|p| (p.path as i64).to_le_bytes())
        .collect();
    let mut out = vec![("path".to_string(), ints, "<i8")];
    for m in METRICS {
        let bytes = paths
            .iter()
            .flat_map(|p| metric(p, m).to_le_bytes())
            .collect();
        out.push((m.to_string(), bytes, "<f8"));
    }
    let first = paths
        .iter()
        .flat_map(|p| {
            p.time_to_first_liquidation
                .map_or(f64::NAN, |t| t as f64)
                .to_le_bytes()
        })
        .collect();
    out.push(("time_to_first_liquidation".to_string(), first, "<f8"));
    out
}

/// Reads the scenario (from `file`, or `text`), runs it as `levamp sim`
/// into `out`, and reads back what it wrote.
fn run_sim(
    file: Option<&Path>,
    text: Option<String>,
    opts: &SimOptions,
    control: &Control,
    total: &AtomicUsize,
) -> anyhow::Result<SimData> {
    let text = match (file, text) {
        (_, Some(text)) => text,
        (Some(file), None) => levamp_io::input_limit::read_file(file)?,
        (None, None) => anyhow::bail!("a scenario file or text"),
    };
    let s = sim_cmd::parse_scenario(file, &text)?;
    total.store(opts.paths.unwrap_or(s.run.paths), Ordering::Relaxed);
    let shown = file.map_or(sim_cmd::TEXT_SOURCE.to_string(), |f| {
        f.display().to_string()
    });
    let o = sim_cmd::simulate_run(s, &Sources::disk(), opts, (&shown, &text), control)?;
    let dir = o.written.dir.clone();
    let read = |name: &str| -> anyhow::Result<String> {
        let p = dir.join(name);
        std::fs::read_to_string(&p).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))
    };
    Ok(SimData {
        metrics: read("metrics.json")?,
        series: read("series.csv")?,
        report: read("report.html")?,
        columns: columns(&o.paths),
        dir,
    })
}

/// Runs a scenario as `levamp sim` does, writing `OUT/<name>/`, and returns
/// a dict: `dir`, `metrics` (metrics.json text), `series` (series.csv),
/// `report` (report.html) and `columns` [(name, bytes, dtype)] of paths.csv.
/// The scenario is `file` or, given as text, `text`. `progress(done, total)`
/// is called while the paths run; Ctrl-C stops the run (no path starts
/// after it) and raises KeyboardInterrupt.
#[pyfunction]
#[pyo3(signature = (out, file=None, text=None, paths=None, seed=None, threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn sim(
    py: Python<'_>,
    out: PathBuf,
    file: Option<PathBuf>,
    text: Option<String>,
    paths: Option<usize>,
    seed: Option<u64>,
    threads: Option<usize>,
    progress: Option<PyObject>,
) -> PyResult<Py<PyDict>> {
    if paths == Some(0) {
        return Err(InputError::new_err("paths must be at least 1, found 0"));
    }
    let pool = pool(threads)?;
    let opts = SimOptions {
        paths,
        seed,
        out,
        quiet: true,
        threads: None,
        force: false,
    };
    let control = Arc::new(Control::default());
    let total = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let worker = {
        let (control, total) = (control.clone(), total.clone());
        std::thread::spawn(move || {
            let r = on(pool.as_ref(), || {
                run_sim(file.as_deref(), text, &opts, &control, &total)
            })
            .map_err(|e| error_line(&e));
            let _ = tx.send(r);
        })
    };
    // Behind a lock only so that the GIL-free closures may borrow it.
    let rx = std::sync::Mutex::new(rx);
    let wait = |timeout: Duration| {
        let rx = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        rx.recv_timeout(timeout)
    };
    let result = loop {
        match py.allow_threads(|| wait(Duration::from_millis(100))) {
            Ok(r) => break r,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = worker.join();
                return Err(LevampError::new_err("the simulation thread stopped"));
            }
        }
        let polled = py.check_signals().and_then(|()| match &progress {
            Some(f) => f
                .call1(
                    py,
                    (
                        control.done.load(Ordering::Relaxed),
                        total.load(Ordering::Relaxed),
                    ),
                )
                .map(drop),
            None => Ok(()),
        });
        if let Err(e) = polled {
            control.cancel.store(true, Ordering::Relaxed);
            py.allow_threads(|| {
                let _ = wait(Duration::MAX);
            });
            let _ = worker.join();
            return Err(e);
        }
    };
    let _ = worker.join();
    let data = result.map_err(raise)?;
    if let Some(f) = &progress {
        let n = total.load(Ordering::Relaxed);
        f.call1(py, (n, n))?;
    }
    let d = PyDict::new(py);
    d.set_item("dir", data.dir)?;
    d.set_item("metrics", data.metrics)?;
    d.set_item("series", data.series)?;
    d.set_item("report", data.report)?;
    let cols: Vec<(String, Py<PyBytes>, &str)> = data
        .columns
        .into_iter()
        .map(|(n, b, t)| (n, PyBytes::new(py, &b).unbind(), t))
        .collect();
    d.set_item("columns", cols)?;
    Ok(d.unbind())
}

/// Grid points of a sweep: for each, the scenario (`file`, or `text`;
/// both: the text of `file`) with the dotted-key overrides (key, value as
/// JSON text) applied, run on `paths` paths from `seed` (default: the
/// scenario's `[run]`) as `levamp recommend` evaluates a point — every
/// point on the same random paths — and the `summary` of its metrics.json
/// flattened to dotted keys (`bad_debt.p99`) as JSON text, in the order of
/// `points`. The points run in parallel on
/// `threads` threads (default one per core), each point's paths too
/// (rayon: whichever work is free); results do not depend on it. An error
/// is the first failing point's. `files` [(path, text)] answer for the
/// files the scenario reads at those paths (shipped from another machine).
#[pyfunction]
#[pyo3(signature = (file, text, points, seed=None, paths=None, threads=None, files=None))]
#[allow(clippy::too_many_arguments)]
fn sweep_points(
    py: Python<'_>,
    file: Option<PathBuf>,
    text: Option<String>,
    points: Vec<Vec<(String, String)>>,
    seed: Option<u64>,
    paths: Option<usize>,
    threads: Option<usize>,
    files: Option<Vec<(PathBuf, String)>>,
) -> PyResult<Vec<String>> {
    use rayon::prelude::*;
    if paths == Some(0) {
        return Err(InputError::new_err("paths must be at least 1, found 0"));
    }
    let pool = pool(threads)?;
    let sources = files
        .into_iter()
        .flatten()
        .fold(Sources::disk(), |s, (p, text)| s.with_text(p, text));
    let run = || -> anyhow::Result<Vec<String>> {
        let scenario = Scenario::read(file, text)?;
        let results: Vec<anyhow::Result<String>> = points
            .par_iter()
            .map(|overrides| scenario.point(overrides, seed, paths, &sources))
            .collect();
        results.into_iter().collect()
    };
    py.allow_threads(|| on(pool.as_ref(), run))
        .map_err(|e| raise(error_line(&e)))
}

/// A sweep's base scenario: its name for messages, its text, and its tree.
struct Scenario {
    shown: String,
    text: String,
    base: levamp_sim::variants::Base,
    /// The scenario's `[run] seed` and `paths`.
    defaults: (u64, usize),
}

impl Scenario {
    /// Reads `file` (or takes `text`, named `file` if given) and checks it.
    fn read(file: Option<PathBuf>, text: Option<String>) -> anyhow::Result<Scenario> {
        let (file, text) = match (file, text) {
            (Some(file), Some(text)) => (file, text),
            (None, Some(text)) => (PathBuf::from(sim_cmd::TEXT_SOURCE), text),
            (Some(file), None) => {
                let text = levamp_io::input_limit::read_file(&file)?;
                (file, text)
            }
            (None, None) => anyhow::bail!("a scenario file or text"),
        };
        let base = levamp_sim::variants::Base::parse(&file, &text)?;
        let defaults = base.scenario(&[])?;
        Ok(Scenario {
            shown: file.display().to_string(),
            text,
            base,
            defaults: (defaults.run.seed, defaults.run.paths),
        })
    }

    /// The summary of one point (see [`sweep_points`]).
    fn point(
        &self,
        overrides: &[(String, String)],
        seed: Option<u64>,
        paths: Option<usize>,
        sources: &Sources,
    ) -> anyhow::Result<String> {
        use levamp_sim::variants::{evaluate, VariantError};
        let values = overrides
            .iter()
            .map(|(k, v)| {
                let value = serde_json::from_str(v)
                    .map_err(|e| anyhow::anyhow!("grid {k} = {v}: not a JSON value: {e}"))?;
                Ok((k.clone(), value))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let e = evaluate(
            &self.base,
            &values,
            seed.unwrap_or(self.defaults.0),
            paths.unwrap_or(self.defaults.1),
            sources,
            &AtomicUsize::new(0),
        )
        .map_err(|e| match e {
            VariantError::Input(e) => {
                match overrides.iter().find(|(k, _)| e.at.starts_with(k.as_str())) {
                    Some((k, v)) => anyhow::Error::from(levamp_io::InputError {
                        at: format!("grid {k} = {v}"),
                        message: e.message,
                    }),
                    None => levamp_sim::scenario::at_line(&self.shown, &self.text, e).into(),
                }
            }
            VariantError::Path(e) => anyhow::anyhow!("{}: {e}", describe(overrides)),
        })?;
        let mut flat = serde_json::Map::new();
        flatten("", levamp_sim::summary::summary_json(&e.paths), &mut flat);
        Ok(serde_json::to_string(&flat)?)
    }
}

/// `value`'s leaves into `out` under dotted keys (`bad_debt.p99`), in order:
/// a sweep's row, flattened here rather than in Python (a third of a small
/// point's time there).
fn flatten(
    prefix: &str,
    value: serde_json::Value,
    out: &mut serde_json::Map<String, serde_json::Value>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = match prefix {
                    "" => k,
                    _ => format!("{prefix}.{k}"),
                };
                flatten(&key, v, out);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), leaf);
        }
    }
}

/// The scenario keys whose values name files the scenario reads (relative
/// to the scenario's folder, or to the working directory for text): what a
/// sweep ships to a worker on another machine.
const FILE_KEYS: [(&str, &str); 2] = [("accounts", "snapshot"), ("price", "csv")];

/// The files a scenario (`file`, or `text`) reads, as its run resolves
/// them (relative to the file's folder, or to the working directory for
/// text): the values of `accounts.snapshot` and `price.csv`, in the
/// scenario and in the grid's `values` [(key, JSON text)]. What a sweep
/// ships to a worker that may not have them. Empty for a scenario that
/// cannot be read: running it reports why, as the CLI does.
#[pyfunction]
#[pyo3(signature = (file, text, values))]
fn scenario_files(
    file: Option<PathBuf>,
    text: Option<String>,
    values: Vec<(String, String)>,
) -> Vec<PathBuf> {
    let text = match (&file, text) {
        (_, Some(text)) => text,
        (Some(file), None) => match levamp_io::input_limit::read_file(file) {
            Ok(text) => text,
            Err(_) => return Vec::new(),
        },
        (None, None) => return Vec::new(),
    };
    let Ok(tree) = levamp_sim::scenario::tree(&text) else {
        return Vec::new();
    };
    let dir = file
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let in_scenario = FILE_KEYS
        .iter()
        .filter_map(|(table, key)| Some(tree.get(table)?.get(key)?.as_str()?.to_string()));
    let in_grid = values.iter().filter_map(|(k, v)| {
        let is_file = FILE_KEYS.iter().any(|(t, key)| *k == format!("{t}.{key}"));
        is_file
            .then(|| serde_json::from_str::<String>(v).ok())
            .flatten()
    });
    let mut out: Vec<PathBuf> = in_scenario.chain(in_grid).map(|p| dir.join(p)).collect();
    out.sort();
    out.dedup();
    out
}

/// `text` (TOML) with the relative paths at the dotted `keys` (e.g.
/// `accounts.snapshot`, `data.perp`) made absolute from the working
/// directory, everything else byte for byte: a file given as text resolves
/// its paths from the working directory even when the command reads it
/// from a temporary file. Text that does not parse is returned as it is
/// (the command reports why).
#[pyfunction]
fn absolute_paths(text: String, keys: Vec<String>) -> PyResult<String> {
    use toml::de::{DeTable, DeValue};
    let Ok(root) = DeTable::parse(&text) else {
        return Ok(text);
    };
    let cwd = std::env::current_dir()
        .map_err(|e| LevampError::new_err(format!("the working directory: {e}")))?;
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for key in &keys {
        let mut table = root.get_ref();
        let mut parts = key.split('.').peekable();
        while let Some(part) = parts.next() {
            let Some(value) = table.get(part) else { break };
            match (value.get_ref(), parts.peek()) {
                (DeValue::Table(t), Some(_)) => table = t,
                (DeValue::String(p), None) if Path::new(p.as_ref()).is_relative() => {
                    let absolute = cwd.join(p.as_ref()).display().to_string();
                    // A JSON string is a TOML basic string.
                    let quoted = serde_json::to_string(&absolute)
                        .map_err(|e| LevampError::new_err(e.to_string()))?;
                    edits.push((value.span(), quoted));
                    break;
                }
                _ => break,
            }
        }
    }
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    let mut out = text;
    for (span, quoted) in edits {
        out.replace_range(span, &quoted);
    }
    Ok(out)
}

/// `key = value, …` of a grid point.
fn describe(overrides: &[(String, String)]) -> String {
    let set: Vec<String> = overrides
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    set.join(", ")
}

/// The native module.
#[pymodule]
fn _levamp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("LevampError", py.get_type::<LevampError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add_function(wrap_pyfunction!(invoke, m)?)?;
    m.add_function(wrap_pyfunction!(sim, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_points, m)?)?;
    m.add_function(wrap_pyfunction!(scenario_files, m)?)?;
    m.add_function(wrap_pyfunction!(absolute_paths, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
