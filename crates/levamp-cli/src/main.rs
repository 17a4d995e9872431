//! The `levamp` command-line tool: a thin surface over the levamp crates.
//! Errors surface as one line on stderr and a non-zero exit, never a panic.

mod import_cmd;
mod input;
mod margin_cmd;
mod out_file;
mod sim_cmd;
mod table;
mod venue_cmd;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// levamp — leverage amplification: exact margin, health and liquidation
/// prices for perp and lending accounts.
#[derive(Parser, Debug)]
#[command(name = "levamp", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no subcommand (the default run): replace what stands at
    /// out/<scenario> even if levamp did not write it (it is renamed aside).
    #[arg(long)]
    force: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Margin, health and liquidation prices of every account in a JSON snapshot.
    Margin {
        /// Snapshot file (docs/snapshot.md); `-` or nothing reads standard input.
        file: Option<String>,
        /// Venue preset whose markets and assets the snapshot may use or override.
        #[arg(long, default_value = "generic")]
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
        /// Venue preset: rules, markets and assets.
        #[arg(long, default_value = "generic")]
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
        /// Number of paths (overrides [run] paths).
        #[arg(long)]
        paths: Option<usize>,
        /// Seed (overrides [run] seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Output directory.
        #[arg(long, default_value = "out")]
        out: std::path::PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OnErrorArg {
    Skip,
    Stop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Table,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Some(Command::Sim {
            scenario,
            paths,
            seed,
            out,
            quiet,
            force,
        }) => sim_cmd::sim(
            &scenario,
            &sim_cmd::SimOptions {
                paths,
                seed,
                out,
                quiet,
                force,
            },
        ),
        None => sim_cmd::default_run(&sim_cmd::SimOptions {
            paths: None,
            seed: None,
            out: "out".into(),
            quiet: false,
            force: cli.force,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, whatever names the message quotes.
            eprintln!("error: {}", table::escape(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}
