//! `levamp sim` and the default run of `cargo run --release`.

use crate::venue_cmd::emit_with;
use anyhow::{Context, Result};
use levamp_sim::report::human;
use levamp_sim::scenario::{self, Scenario};
use levamp_sim::sources::Sources;
use levamp_sim::summary::{metric, simulate_in_place, Stat};
use levamp_sim::{output, setup};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// Options of `levamp sim`.
pub struct SimOptions {
    pub paths: Option<usize>,
    pub seed: Option<u64>,
    pub out: PathBuf,
    pub quiet: bool,
    /// Rename aside whatever levamp did not write at OUT/<name>.
    pub force: bool,
}

/// `levamp sim SCENARIO.toml`.
pub fn sim(file: &Path, opts: &SimOptions) -> Result<()> {
    let s = scenario::load(file)?;
    // The name becomes a folder: checked before anything runs.
    output::check_run_name(&s.name).with_context(|| file.display().to_string())?;
    run(s, &Sources::disk(), opts, true)
}

/// `levamp` with no arguments: the embedded default scenarios.
pub fn default_run(opts: &SimOptions) -> Result<()> {
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
        run(s, &sources, opts, last)?;
    }
    Ok(())
}

/// Runs one scenario; `last`: the process ends after it.
fn run(mut s: Scenario, sources: &Sources, opts: &SimOptions, last: bool) -> Result<()> {
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
    let mut world = setup::build(&s, sources).with_context(|| format!("scenario {}", s.name))?;
    let setup_s = t.elapsed().as_secs_f64();
    let done = AtomicUsize::new(0);
    let finished = AtomicBool::new(false);
    let show = !opts.quiet && std::io::stderr().is_terminal() && s.run.paths > 1;
    let paths = std::thread::scope(|scope| {
        if show {
            scope.spawn(|| progress(&done, &finished, s.run.paths));
        }
        // The world starts no other run: a single path may use its venue.
        let r = simulate_in_place(&s, &mut world, &done);
        finished.store(true, Ordering::Relaxed);
        r
    })?;
    let elapsed = t.elapsed().as_secs_f64();
    let written = output::write(&opts.out, &s, &world, &paths, elapsed, opts.force)?;
    if let Some(aside) = &written.set_aside {
        eprintln!(
            "note: --force: moved what was at {} to {}",
            written.dir.display(),
            aside.display()
        );
    }
    let report = written.dir.join("report.html");
    let printed = emit_with(|out| {
        print_summary(out, &s, &world, &paths, elapsed, setup_s)?;
        writeln!(out, "report: {}\n", report.display())
    });
    if last {
        // The process ends: the system takes the memory back at once, where
        // freeing a million accounts one by one takes over a second.
        std::mem::forget(world);
    }
    printed
}

/// Prints a line to standard output; a closed pipe is not an error.
fn say(text: &str) -> Result<()> {
    emit_with(|out| out.write_all(text.as_bytes()))
}

fn progress(done: &AtomicUsize, finished: &AtomicBool, total: usize) {
    while !finished.load(Ordering::Relaxed) {
        let n = done.load(Ordering::Relaxed);
        let filled = n * 30 / total.max(1);
        eprint!(
            "\r  paths {n:>6}/{total} [{}{}]",
            "#".repeat(filled),
            ".".repeat(30 - filled)
        );
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    eprint!("\r{}\r", " ".repeat(60));
}

fn print_summary(
    out: &mut dyn Write,
    s: &Scenario,
    world: &setup::World,
    paths: &[levamp_sim::run::PathMetrics],
    elapsed: f64,
    setup_s: f64,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} — {} path(s) × {} steps, {} accounts (long open interest {} base), start {}; {:.1} s ({:.1} s setup)",
        s.name,
        paths.len(),
        s.run.steps,
        world.accounts,
        human(world.open_interest.to_f64_lossy()),
        human(world.start.to_f64_lossy()),
        elapsed,
        setup_s
    )?;
    writeln!(
        out,
        "  {:<26} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "metric", "mean", "p50", "p95", "p99", "max"
    )?;
    let lending = world.lending.is_some();
    let lending_rows: &[&str] = if lending {
        &["lending_collateral_seized", "lending_deficit"]
    } else {
        &[]
    };
    for name in [
        "min_price",
        "max_drawdown",
        "liquidated_notional",
        "accounts_liquidated",
        "bad_debt",
        "insurance_fund_drawdown",
        "adl_notional",
        "cascade_amplification",
        "rounds",
    ]
    .iter()
    .chain(lending_rows)
    {
        let st = Stat::of(paths.iter().map(|m| metric(m, name)));
        writeln!(
            out,
            "  {:<26} {:>10} {:>10} {:>10} {:>10} {:>10}",
            name,
            human(st.mean),
            human(st.p50),
            human(st.p95),
            human(st.p99),
            human(st.max)
        )?;
    }
    let bad: Vec<f64> = paths.iter().map(|m| m.bad_debt).collect();
    let bad_st = Stat::of(bad.iter().copied());
    let liq = Stat::of(paths.iter().map(|m| m.liquidated_notional));
    let depleted = paths.iter().filter(|m| m.insurance_fund_depleted).count() as f64
        / paths.len().max(1) as f64;
    writeln!(
        out,
        "  risk: bad-debt VaR95 {} · VaR99 {} · ES95 {} · liquidations-at-risk (p95) {} · insurance-fund depletion probability {:.1} %",
        human(bad_st.p95),
        human(bad_st.p99),
        human(levamp_sim::summary::expected_shortfall(&bad, 0.95)),
        human(liq.p95),
        depleted * 100.0
    )?;
    let refused: usize = paths.iter().map(|m| m.agents.refused_commands).sum();
    if refused > 0 {
        writeln!(
            out,
            "  agents: {refused} command(s) refused by the venue's rules over all paths (refused_commands in metrics.json)"
        )?;
    }
    Ok(())
}
