//! levamp-io: account snapshots in, margin reports out.
//!
//! [`Snapshot::parse`] reads the JSON snapshot documented in
//! `docs/snapshot.md` exactly (numbers never pass through `f64`), lays it
//! over a venue [`Preset`], validates every field and reports the first
//! problem as an [`InputError`] naming its JSON path. [`report`] evaluates
//! every account with `levamp-engine` and builds the `levamp margin` output.

mod accounts;
mod catalog;
pub mod definitions;
pub mod input_limit;
pub mod json;
mod preset;
mod report;
mod script;
mod state_json;
mod strict;

pub use json::{did_you_mean, InputError};
pub use preset::{Preset, PRESETS};
pub use report::{evaluate, report_json, AccountReport, PositionReport};
pub use script::{OnError, Run};
pub use state_json::{
    conservation_json, event_json, load_state, load_venue, parse_events, replay_log, save_state,
    state_json,
};

use levamp_core::Price;
use levamp_engine::{Account, Asset, MarginContext, Market};

/// A validated snapshot, resolved to engine values.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub quote: String,
    /// Price key names, indexed by `PriceId`.
    pub price_keys: Vec<String>,
    pub prices: Vec<Price>,
    pub markets: Vec<Market>,
    pub assets: Vec<Asset>,
    pub accounts: Vec<Account>,
}

impl Snapshot {
    /// Parses snapshot JSON text over a preset.
    pub fn parse(text: &str, preset: &Preset) -> Result<Snapshot, InputError> {
        let root = json::parse_json(text)?;
        let map = json::object(&root, "")?;
        json::known_keys(
            map,
            "",
            &["quote", "prices", "markets", "assets", "accounts"],
        )?;
        let mut venue = catalog::Catalog::new(map, preset)?;
        let accounts = match map.get("accounts") {
            Some(a) => accounts::parse_accounts(a, &mut venue)?,
            None => return json::err("accounts", "required (an array of accounts)"),
        };
        Ok(Snapshot {
            quote: venue.quote.clone(),
            price_keys: venue.price_keys(),
            prices: venue.prices(),
            markets: venue.markets,
            assets: venue.assets,
            accounts,
        })
    }

    /// The engine's view of markets, assets and prices.
    pub fn context(&self) -> MarginContext<'_> {
        MarginContext {
            markets: &self.markets,
            assets: &self.assets,
            prices: &self.prices,
            indices: &[],
            lending_collateral: levamp_engine::LendingCollateral::WalletAndSupplied,
        }
    }
}
