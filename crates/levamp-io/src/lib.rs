//! levamp-io: account snapshots in, margin reports out.
//!
//! [`Snapshot::parse`] reads the JSON snapshot documented in
//! `docs/snapshot.md` exactly (numbers never pass through `f64`), lays it
//! over a venue [`Preset`], validates every field and reports the first
//! problem as an [`InputError`] naming its JSON path. [`Document`] reads the
//! same format in place, an account at a time (in parallel ranges), for
//! snapshots too large to hold as engine values. [`evaluate`] evaluates an
//! account with `levamp-engine` for the `levamp margin` output.

mod accounts;
mod catalog;
pub mod definitions;
mod document;
pub mod dynamic_margin;
mod event_names;
pub mod import;
pub mod input_limit;
pub mod json;
mod preset;
mod report;
mod scan;
mod script;
mod state_json;
mod strict;
mod walk;

pub use document::{Document, Outcome, Reader};
pub use event_names::EventNames;
pub use json::{did_you_mean, InputError};
pub use preset::{Preset, PRESETS};
pub use report::{evaluate, AccountReport, PositionReport};
pub use script::{OnError, Run};
pub use state_json::{
    account_json, conservation_json, load_state, load_venue, parse_events, replay_log, save_state,
    state_json, state_totals, write_state, StateWriteError,
};

use levamp_core::Price;
use levamp_engine::{Account, Asset, EmodeCategory, MarginContext, Market};

/// A validated snapshot, resolved to engine values.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub quote: String,
    /// Price key names, indexed by `PriceId`.
    pub price_keys: Vec<String>,
    pub prices: Vec<Price>,
    pub markets: Vec<Market>,
    pub assets: Vec<Asset>,
    /// E-mode categories by `EmodeId`.
    pub emode_categories: Vec<EmodeCategory>,
    pub accounts: Vec<Account>,
    /// Each account's positions' `venue_liquidation_price`, when given.
    pub venue_liquidation_prices: Vec<Vec<Option<Price>>>,
}

impl Snapshot {
    /// Parses snapshot JSON text over a preset. Market and asset ids
    /// follow first use in the accounts.
    pub fn parse(text: &str, preset: &Preset) -> Result<Snapshot, InputError> {
        let doc = Document::open(text, preset)?;
        let mut reader = doc.reader();
        let mut accounts = Vec::with_capacity(doc.len());
        let mut venue_liquidation_prices = Vec::with_capacity(doc.len());
        let outcome = doc.read(&mut reader, 0..doc.len(), |_, account, reader| {
            accounts.push(account);
            venue_liquidation_prices.push(reader.venue_prices.clone());
            Ok(())
        });
        doc.first_error(vec![outcome])?;
        let venue = reader.catalog;
        Ok(Snapshot {
            quote: venue.quote.clone(),
            price_keys: venue.price_keys(),
            prices: venue.prices().to_vec(),
            markets: venue.markets,
            assets: venue.assets,
            emode_categories: venue.emode_categories,
            accounts,
            venue_liquidation_prices,
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
            emode_categories: &self.emode_categories,
            size_premium: levamp_core::Ratio::ZERO,
        }
    }
}
