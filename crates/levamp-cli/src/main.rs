//! The `levamp` command-line tool: a thin surface over the levamp crates.
//! Errors surface as one line on stderr and a non-zero exit, never a panic.

mod margin_cmd;
mod table;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// levamp — leverage amplification: exact margin, health and liquidation
/// prices for perp and lending accounts.
#[derive(Parser, Debug)]
#[command(name = "levamp", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
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
        None => margin_cmd::worked_example(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
