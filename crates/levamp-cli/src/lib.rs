//! The `levamp` command-line tool as a library: the argument parser
//! ([`Cli`]), the commands ([`execute`]) and [`invoke`], which runs a
//! command line in-process with its standard output captured (the Python
//! package's way to get the CLI's exact bytes). `main.rs` is the thin
//! binary. Errors surface as one line on stderr and a non-zero exit, never
//! a panic.

pub mod backtest_cmd;
pub mod backtest_compare;
pub mod capture;
pub mod contagion_cmd;
pub mod contagion_venue;
pub mod import_cmd;
pub mod input;
pub mod margin_cmd;
pub mod out_file;
pub mod recommend_cmd;
pub mod sim_cmd;
pub mod sim_summary;
pub mod study_cmd;
pub mod table;
pub mod venue_cmd;

pub use capture::{invoke, Invocation};

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// levamp — leverage amplification: exact margin, health and liquidation
/// prices for perp and lending accounts.
#[derive(Parser, Debug)]
#[command(
    name = "levamp",
    version,
    about,
    args_conflicts_with_subcommands = true,
    after_help = "Without a subcommand, levamp runs the demo: the 2025-10-10 crash replayed on a \
                  synthetic Binance population, then a Monte-Carlo variant, with results in \
                  OUT/<scenario>/. The options above apply to the demo."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The demo's run options (as `levamp sim` takes them).
    #[command(flatten)]
    demo: RunArgs,
}

/// Options of a simulation run, shared by `levamp sim` and the demo.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Number of paths (overrides [run] paths).
    #[arg(long, value_parser = at_least_one("--paths"), allow_negative_numbers = true)]
    paths: Option<usize>,
    /// Seed (overrides [run] seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Output directory.
    #[arg(long, default_value = "out")]
    out: std::path::PathBuf,
    /// No progress on standard error.
    #[arg(long)]
    quiet: bool,
    /// Worker threads for the paths (default: one per core); results are
    /// identical whatever the number.
    #[arg(long, value_parser = at_least_one("--threads"), allow_negative_numbers = true)]
    threads: Option<usize>,
    /// When OUT/<name> exists and levamp did not write it, rename it
    /// aside to OUT/<name>.orig (never deleted) instead of stopping.
    #[arg(long)]
    force: bool,
}

impl RunArgs {
    fn options(self) -> sim_cmd::SimOptions {
        sim_cmd::SimOptions {
            paths: self.paths,
            seed: self.seed,
            out: self.out,
            quiet: self.quiet,
            threads: self.threads,
            force: self.force,
        }
    }
}

/// A parser of whole numbers ≥ 1 whose error names `flag` (and never
/// suggests `-- -5` for a negative number).
fn at_least_one(flag: &'static str) -> impl Fn(&str) -> Result<usize, String> + Clone {
    move |text: &str| match text.trim().parse::<i128>() {
        Ok(n) if n >= 1 => usize::try_from(n).map_err(|_| format!("{flag}: too large")),
        Ok(_) => Err(format!("{flag} must be at least 1, found {text}")),
        Err(_) => Err(format!(
            "{flag} must be a whole number at least 1, found {text:?}"
        )),
    }
}

/// Help for `--venue`: the presets, from [`levamp_io::PRESETS`].
fn venue_help(what: &str) -> String {
    format!(
        "Venue preset: {what}. One of: {}",
        levamp_io::PRESETS.join(", ")
    )
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Margin, health and liquidation prices of every account in a JSON snapshot.
    Margin {
        /// Snapshot file (docs/snapshot.md); `-` or nothing reads standard input.
        file: Option<String>,
        #[arg(long, default_value = "generic", help = venue_help("the markets and assets the snapshot may use or override"))]
        venue: String,
        /// Output format; defaults to `table` on a terminal and `json` otherwise.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Turns exchange exports (Binance, Hyperliquid API responses; a CSV of positions) into a snapshot for `levamp margin` (docs/import.md).
    Import(import_cmd::ImportArgs),
    /// Drives a venue with a script of JSON commands (docs/scripts.md) and prints events, state and the conservation check.
    Run {
        /// Script file: one JSON command per line.
        script: String,
        #[arg(long, default_value = "generic", help = venue_help("rules, markets and assets"))]
        venue: String,
        /// Output format; defaults to `table` on a terminal and `json` otherwise.
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// What a failing line does: stop the run (exit 2) or skip it.
        #[arg(long, value_enum, default_value = "stop")]
        on_error: OnErrorArg,
        /// Also write the event log (JSON Lines, replayable) to this file.
        #[arg(long)]
        events: Option<std::path::PathBuf>,
        /// Also write the final state snapshot (JSON) to this file.
        #[arg(long)]
        state_out: Option<std::path::PathBuf>,
    },
    /// Simulates liquidation cascades: a TOML scenario (docs/scenarios.md), Monte-Carlo paths, metrics and an HTML report in OUT/<name>/.
    Sim {
        /// Scenario file.
        scenario: std::path::PathBuf,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Compares design variants of a scenario on the same random paths
    /// (common random numbers): OUT/<study>/study.json and report.html
    /// (docs/studies.md).
    Study {
        /// Study file: a base scenario and its variants.
        study: std::path::PathBuf,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Recommends the extreme value of a scenario key (largest leverage,
    /// smallest margin, …) whose risk metric meets a target, searched on
    /// common random numbers; or a closed form (--method smart-ltv)
    /// (docs/recommend.md). Exit 1: no recommendation on the range.
    Recommend(Box<recommend_cmd::RecommendArgs>),
    /// Backtests a strategy on Binance history through the exact venue (docs/backtest.md): metrics, CSVs and an HTML report in OUT/<name>/.
    Backtest {
        /// Strategy file (TOML); a file with `[[variant]]`s runs them side by side.
        #[arg(required_unless_present = "compare", conflicts_with = "compare")]
        strategy: Option<std::path::PathBuf>,
        /// Runs these strategy files side by side over the same history
        /// (OUT/compare/: compare.csv, report.html).
        #[arg(long, num_args = 1..)]
        compare: Vec<std::path::PathBuf>,
        /// Output directory.
        #[arg(long, default_value = "out")]
        out: std::path::PathBuf,
        /// Print nothing on success.
        #[arg(long)]
        quiet: bool,
        /// When OUT/<name> exists and levamp did not write it, rename it
        /// aside to OUT/<name>.orig (never deleted) instead of stopping.
        #[arg(long)]
        force: bool,
    },
    /// Clears a network of obligations exactly (Eisenberg–Noe, Rogers–Veraart; docs/contagion.md): payments, defaults, equity, rounds.
    Contagion {
        /// Network file (TOML).
        network: std::path::PathBuf,
        /// Output format; defaults to `table` on a terminal and `json` otherwise.
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Also write OUT/<name>/ (result.json, network.toml).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// When OUT/<name> exists and levamp did not write it, rename it
        /// aside to OUT/<name>.orig (never deleted) instead of stopping.
        #[arg(long)]
        force: bool,
    },
    /// Rebuilds a venue from an event log and prints its state and the conservation check.
    Replay {
        /// Event log written by `levamp run --events`, or a state snapshot
        /// written by `levamp run --state-out` (read back as it is).
        events: String,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

/// A command-line error as one line (with clap's tip, without the usage);
/// `--help` and `--version` print as clap prints them.
pub fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    eprintln!("{}", usage_line(&e));
    ExitCode::from(2)
}

/// A command-line error as the one line [`usage_error`] prints.
pub fn usage_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("error: bad arguments");
    // Clap's "use '-- -5'" tip misleads: no argument here takes a value after `--`.
    let tips: Vec<&str> = lines
        .filter(|l| l.starts_with("tip:") && !l.contains("use '-- "))
        .collect();
    let hint = match tips.is_empty() {
        true => " (see --help)".to_string(),
        false => format!(" ({})", tips.join("; ")),
    };
    format!("{}{hint}", table::escape(first))
}

/// What a failing line of a `levamp run` script does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnErrorArg {
    Skip,
    Stop,
}

/// Output format of the commands that print a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Table,
}

/// Runs the command line `cli` (what `main` does after parsing): its
/// output on standard output, or [`capture`]'s buffer inside [`invoke`].
/// The exit code of a success (`levamp recommend` exits 1 when the range
/// holds no recommendation); an error is for the caller to print (exit 2).
pub fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    let result = match cli.command {
        Some(Command::Margin {
            file,
            venue,
            format,
        }) => margin_cmd::run(file.as_deref(), &venue, format),
        Some(Command::Run {
            script,
            venue,
            format,
            on_error,
            events,
            state_out,
        }) => {
            let on_error = match on_error {
                OnErrorArg::Skip => levamp_io::OnError::Skip,
                OnErrorArg::Stop => levamp_io::OnError::Stop,
            };
            venue_cmd::run(
                &script,
                &venue,
                format,
                on_error,
                events.as_deref(),
                state_out.as_deref(),
            )
        }
        Some(Command::Import(args)) => import_cmd::run(&args),
        Some(Command::Replay { events, format }) => venue_cmd::replay(&events, format),
        Some(Command::Backtest {
            strategy,
            compare,
            out,
            quiet,
            force,
        }) => match strategy {
            Some(file) => backtest_cmd::run(&file, &out, quiet, force),
            None => backtest_compare::run(&compare, &out, quiet, force),
        },
        Some(Command::Contagion {
            network,
            format,
            out,
            force,
        }) => contagion_cmd::run(&network, format, out.as_deref(), force),
        Some(Command::Sim { scenario, run }) => sim_cmd::sim(&scenario, &run.options()),
        Some(Command::Study { study, run }) => study_cmd::run(&study, &run.options()),
        Some(Command::Recommend(args)) => match recommend_cmd::run(&args) {
            Ok(code) => return Ok(code),
            Err(e) => Err(e),
        },
        None => sim_cmd::default_run(&cli.demo.options()),
    };
    result.map(|()| ExitCode::SUCCESS)
}
