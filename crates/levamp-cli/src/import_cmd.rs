//! `levamp import binance|hyperliquid|csv`: exchange exports (API
//! responses saved as files, or a CSV of positions) turned into a snapshot
//! for `levamp margin` (docs/import.md). The snapshot goes to standard
//! output, or with `-o FILE` to a file written whole or not at all.

use crate::input::read_input;
use crate::out_file::OutFile;
use anyhow::Result;
use clap::{Args, Subcommand};
use levamp_io::import::{binance, csv, hyperliquid};
use levamp_io::Preset;
use std::path::PathBuf;

/// `levamp import` and where the snapshot goes.
#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(subcommand)]
    source: Source,
    /// Write the snapshot to this file (written whole or not at all) instead of standard output.
    #[arg(short = 'o', long = "out", id = "import_out", global = true)]
    out: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Source {
    /// Binance USDⓈ-M: GET /fapi/v3/positionRisk (or v2), /fapi/v3/account, /fapi/v1/leverageBracket responses.
    Binance {
        /// The positionRisk response (v3 or v2; JSON array).
        #[arg(long)]
        position_risk: String,
        /// The account response (GET /fapi/v3/account): the cross wallet. Required for cross positions.
        #[arg(long)]
        account: Option<String>,
        /// The leverageBracket response; symbols it lacks come from the binance-usdm preset.
        #[arg(long)]
        brackets: Option<String>,
        /// Account id in the snapshot.
        #[arg(long, default_value = "binance")]
        id: String,
        /// Preset whose brackets stand in for symbols the brackets response lacks
        /// (e.g. a dated one, `binance-usdm@2024-06`, for older captures).
        #[arg(long, default_value = "binance-usdm")]
        venue: String,
    },
    /// Hyperliquid: the clearinghouseState info response (+ meta for margin tables).
    Hyperliquid {
        /// The clearinghouseState response ({"type": "clearinghouseState", "user": …}).
        #[arg(long)]
        state: String,
        /// The meta response ({"type": "meta"}): each coin's margin table.
        #[arg(long)]
        meta: Option<String>,
        /// Account id in the snapshot.
        #[arg(long, default_value = "hyperliquid")]
        id: String,
    },
    /// A CSV of positions, one row per position (columns in docs/import.md).
    Csv {
        /// The CSV file; `-` reads standard input.
        file: String,
        /// Venue preset whose markets the rows name (copied into the snapshot).
        #[arg(long, default_value = "binance-usdm")]
        venue: String,
    },
}

/// Reads `path` whole: (name, text).
fn read(path: &str) -> Result<(String, String)> {
    let (text, name) = read_input(Some(path))?;
    Ok((name, text))
}

fn source<'a>(file: &'a (String, String)) -> binance::Source<'a> {
    binance::Source {
        name: &file.0,
        text: &file.1,
    }
}

/// Runs `levamp import`.
pub fn run(args: &ImportArgs) -> Result<()> {
    let snapshot = match &args.source {
        Source::Binance {
            position_risk,
            account,
            brackets,
            id,
            venue,
        } => {
            let position_risk = read(position_risk)?;
            let account = account.as_deref().map(read).transpose()?;
            let brackets = brackets.as_deref().map(read).transpose()?;
            binance::import(&binance::Inputs {
                position_risk: source(&position_risk),
                account: account.as_ref().map(source),
                brackets: brackets.as_ref().map(source),
                id,
                venue,
            })?
        }
        Source::Hyperliquid { state, meta, id } => {
            let state = read(state)?;
            let meta = meta.as_deref().map(read).transpose()?;
            hyperliquid::import(&hyperliquid::Inputs {
                state: source(&state),
                meta: meta.as_ref().map(source),
                id,
            })?
        }
        Source::Csv { file, venue } => {
            let (name, text) = read(file)?;
            let preset = Preset::load(venue)?;
            csv::import(&text, &preset).map_err(|e| anyhow::anyhow!("{name}: {e}"))?
        }
    };
    match &args.out {
        Some(path) => {
            let mut out = OutFile::create(path)?;
            out.write_all(snapshot.as_bytes())?;
            out.commit()
        }
        None => crate::venue_cmd::emit_with(|out| out.write_all(snapshot.as_bytes())),
    }
}
