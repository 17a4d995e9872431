//! `levamp sim` and the default run of `cargo run --release`.

use crate::table;
use crate::venue_cmd::emit_with;
use anyhow::{Context, Result};
use levamp_sim::run::PathMetrics;
use levamp_sim::scenario::{self, Scenario};
use levamp_sim::setup::World;
use levamp_sim::sources::Sources;
use levamp_sim::summary::simulate_in_place_until;
use levamp_sim::{output, setup};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Options of `levamp sim`.
pub struct SimOptions {
    /// Number of paths (overrides `[run] paths`).
    pub paths: Option<usize>,
    /// Seed (overrides `[run] seed`).
    pub seed: Option<u64>,
    /// Output directory: results go to OUT/<name>/.
    pub out: PathBuf,
    /// No progress on standard error.
    pub quiet: bool,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Rename aside whatever levamp did not write at OUT/<name>.
    pub force: bool,
}

/// `levamp sim SCENARIO.toml`.
pub fn sim(file: &Path, opts: &SimOptions) -> Result<()> {
    threads(opts.threads)?;
    let text = levamp_io::input_limit::read_file(file)?;
    let s = parse_scenario(Some(file), &text)?;
    run(
        s,
        &Sources::disk(),
        opts,
        (&file.display().to_string(), &text),
        true,
    )
}

/// Sets the size of the thread pool the paths run on.
pub(crate) fn threads(n: Option<usize>) -> Result<()> {
    if let Some(n) = n {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .with_context(|| format!("--threads {n}"))?;
    }
    Ok(())
}

/// `levamp` with no arguments: the embedded default scenarios.
pub fn default_run(opts: &SimOptions) -> Result<()> {
    threads(opts.threads)?;
    let dir = Path::new("scenarios");
    let mut sources = Sources::disk();
    for (name, text) in levamp_sim::DEFAULT_DATA {
        sources = sources.with(dir.join(name), text);
    }
    say("levamp: replaying the 2025-10-10 crash on a synthetic Binance population, then a Monte-Carlo variant.\n\
         (`levamp sim SCENARIO.toml` runs your own; `levamp margin` / `levamp run` are the other tools, see README.md.)\n\n")?;
    for (i, (name, text)) in levamp_sim::DEFAULT_SCENARIOS.iter().enumerate() {
        let stem = name.trim_end_matches(".toml");
        let s = scenario::parse(text, stem, dir)
            .map_err(|e| anyhow::anyhow!("built-in scenario {name}{e}"))?;
        let last = i + 1 == levamp_sim::DEFAULT_SCENARIOS.len();
        run(
            s,
            &sources,
            opts,
            (&format!("built-in scenario {name}"), text),
            last,
        )?;
    }
    Ok(())
}

/// Progress and cancellation of a run, shared with whoever watches it
/// (the Python package polls `done` and sets `cancel` on Ctrl-C).
#[derive(Default)]
pub struct Control {
    /// Paths finished so far.
    pub done: AtomicUsize,
    /// Set to stop the run: no path starts after it is seen, a running
    /// path stops before its next step, and the run fails.
    pub cancel: AtomicBool,
}

/// What [`simulate_run`] produced, as it wrote it to `OUT/<name>/`.
pub struct Outcome {
    /// The scenario as run (with the `--paths` and `--seed` overrides).
    pub scenario: Scenario,
    /// The world the paths started from.
    pub world: World,
    /// Every path's metrics, in path order.
    pub paths: Vec<PathMetrics>,
    /// Where the results were written.
    pub written: output::Written,
    /// Seconds the whole run and its setup took.
    pub elapsed_s: f64,
    pub setup_s: f64,
}

/// A scenario given as text rather than a file (the Python package):
/// named `scenario` unless it names itself, relative paths resolved from
/// the working directory, errors placed as `<scenario>:LINE: key`.
pub const TEXT_SOURCE: &str = "<scenario>";

/// Parses scenario `text`, read from `file` or (`None`) given as text
/// ([`TEXT_SOURCE`]), and checks its name as `levamp sim` does.
pub fn parse_scenario(file: Option<&Path>, text: &str) -> Result<Scenario> {
    let (s, shown) = match file {
        Some(file) => (
            scenario::parse_file(file, text)?,
            file.display().to_string(),
        ),
        None => (
            scenario::parse(text, "scenario", Path::new("")).map_err(|e| {
                levamp_io::InputError {
                    at: format!("{TEXT_SOURCE}{}", e.at),
                    message: e.message,
                }
            })?,
            TEXT_SOURCE.to_string(),
        ),
    };
    // The name becomes a folder: checked before anything runs.
    output::check_run_name(&s.name).with_context(|| shown)?;
    Ok(s)
}

/// Runs a parsed scenario; `source` (the file's name for messages, its
/// text) places setup errors at their line; `last`: the process ends after it.
fn run(
    s: Scenario,
    sources: &Sources,
    opts: &SimOptions,
    source: (&str, &str),
    last: bool,
) -> Result<()> {
    let o = simulate_run(s, sources, opts, source, &Control::default())?;
    if let Some(aside) = &o.written.set_aside {
        eprintln!(
            "note: --force: moved what was at {} to {}",
            o.written.dir.display(),
            aside.display()
        );
    }
    let report = o.written.dir.join("report.html");
    let printed = emit_with(|out| {
        crate::sim_summary::print(out, &o.scenario, &o.world, &o.paths, o.elapsed_s, o.setup_s)?;
        writeln!(out, "report: {}\n", report.display())
    });
    if last {
        // The process ends: the system takes the memory back at once, where
        // freeing a million accounts one by one takes over a second.
        std::mem::forget(o.world);
    }
    printed
}

/// The run of `levamp sim` without its printing: applies the overrides of
/// `opts`, builds the world, runs the paths (progress on standard error
/// unless `opts.quiet`; `control` counts them and can cancel) and writes
/// `OUT/<name>/`.
pub fn simulate_run(
    mut s: Scenario,
    sources: &Sources,
    opts: &SimOptions,
    source: (&str, &str),
    control: &Control,
) -> Result<Outcome> {
    if let Some(p) = opts.paths {
        anyhow::ensure!(p >= 1, "--paths must be at least 1");
        s.run.paths = p;
        s.run.check()?;
    }
    if let Some(seed) = opts.seed {
        s.run.seed = seed;
    }
    output::check_destination(&opts.out, &s.name, opts.force)?;
    let t = Instant::now();
    let mut world =
        setup::build(&s, sources).map_err(|e| scenario::at_line(source.0, source.1, e))?;
    let setup_s = t.elapsed().as_secs_f64();
    let done = &control.done;
    let finished = AtomicBool::new(false);
    let terminal = std::io::stderr().is_terminal();
    if !opts.quiet && !terminal {
        // The first line of a log, before any path can finish.
        eprintln!("{}: 0/{} paths", table::escape(&s.name), s.run.paths);
    }
    let paths = std::thread::scope(|scope| {
        if !opts.quiet {
            scope.spawn(|| progress(&s.name, done, &finished, s.run.paths, terminal));
        }
        // The world starts no other run: a single path may use its venue.
        let r = simulate_in_place_until(&s, &mut world, done, &control.cancel);
        finished.store(true, Ordering::Relaxed);
        r
    })?;
    let elapsed = t.elapsed().as_secs_f64();
    let written = output::write(&opts.out, &s, &world, &paths, elapsed, opts.force)?;
    Ok(Outcome {
        scenario: s,
        world,
        paths,
        written,
        elapsed_s: elapsed,
        setup_s,
    })
}

/// Prints a line to standard output; a closed pipe is not an error.
fn say(text: &str) -> Result<()> {
    emit_with(|out| out.write_all(text.as_bytes()))
}

/// Progress on standard error while the paths run: on a terminal, one
/// line redrawn in place with elapsed time and ETA; otherwise (a log) one
/// plain line every [`LOG_EVERY`] (the caller writes the first).
fn progress(name: &str, done: &AtomicUsize, finished: &AtomicBool, total: usize, terminal: bool) {
    let start = Instant::now();
    // A log's first line is written before the paths start.
    let mut logged = start;
    while !finished.load(Ordering::Relaxed) {
        let n = done.load(Ordering::Relaxed);
        let elapsed = start.elapsed();
        if terminal {
            let filled = n * 30 / total.max(1);
            eprint!(
                "\r  {}: paths {n:>6}/{total} [{}{}] {}   ",
                table::escape(name),
                "#".repeat(filled),
                ".".repeat(30 - filled),
                timing(n, total, elapsed)
            );
        } else if logged.elapsed() >= LOG_EVERY {
            eprintln!(
                "{}: {n}/{total} paths, {}",
                table::escape(name),
                timing(n, total, elapsed)
            );
            logged = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    if terminal {
        eprint!("\r{}\r", " ".repeat(100));
    }
}

/// How often progress is logged when standard error is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// "12 s elapsed, about 30 s left" (no estimate before the first path ends).
fn timing(done: usize, total: usize, elapsed: Duration) -> String {
    let e = elapsed.as_secs_f64();
    if done == 0 || done >= total {
        return format!("{e:.0} s elapsed");
    }
    let left = e * (total - done) as f64 / done as f64;
    format!("{e:.0} s elapsed, about {left:.0} s left")
}
