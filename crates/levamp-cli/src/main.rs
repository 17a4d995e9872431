//! The `levamp` binary: parses the command line and runs it through the
//! library ([`levamp_cli::execute`]). Errors surface as one line on stderr
//! and exit 2, never a panic.

use clap::Parser;
use levamp_cli::{execute, table, usage_error, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match execute(cli) {
        Ok(code) => code,
        Err(e) => {
            // One line, whatever names the message quotes.
            eprintln!("error: {}", table::escape(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}
