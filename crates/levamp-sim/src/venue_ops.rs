//! Small venue helpers shared by the set-up, the agents and the lending
//! side — a leaf module: it imports nothing else of this crate.

use levamp_core::{Base, Round};
use levamp_engine::venue::{AccountId, Command, Event, Venue, VenueError};
use levamp_engine::{AssetId, MarketId};
use levamp_io::json::InputError;
use levamp_io::Preset;

/// Base units from a float amount (set-up sizes and agents' orders, never
/// balances): the magnitude rounded down at 12 decimals, then the sign.
pub(crate) fn base_units(q: f64) -> Result<Base, levamp_core::MathError> {
    let size = Base::from_f64(q.abs(), Round::Floor)?;
    match q < 0.0 {
        true => size.checked_neg(),
        false => Ok(size),
    }
}

/// Opens account `name` and deposits `deposits` (non-positive ones skipped).
pub(crate) fn open_funded(
    venue: &mut Venue,
    name: &str,
    deposits: &[(AssetId, Base)],
    at: &str,
) -> Result<AccountId, InputError> {
    let events = venue
        .execute(&Command::OpenAccount { name: name.into() })
        .map_err(engine(at))?;
    // The new account's id, from its `AccountOpened` event.
    let account = events
        .iter()
        .find_map(|e| match e {
            Event::AccountOpened { account, .. } => Some(*account),
            _ => None,
        })
        .ok_or_else(|| InputError {
            at: at.to_string(),
            message: format!("the venue opened no account for {name}"),
        })?;
    for &(asset, amount) in deposits.iter().filter(|d| d.1.is_positive()) {
        venue
            .execute(&Command::Deposit {
                account,
                asset,
                amount,
            })
            .map_err(engine(at))?;
    }
    Ok(account)
}

/// Maps an engine error to an input error at `at`.
pub(crate) fn engine(at: &str) -> impl Fn(VenueError) -> InputError + '_ {
    move |e| InputError {
        at: at.to_string(),
        message: e.to_string(),
    }
}

/// Lists a market the preset (or the scenario's `[markets]`) defines.
pub(crate) fn list_market(
    venue: &mut Venue,
    preset: &Preset,
    name: &str,
    at: &str,
) -> Result<MarketId, InputError> {
    if let Some(id) = venue.market_id(name) {
        return Ok(id);
    }
    let Some((fields, def_at)) = preset.markets.get(name) else {
        let hint = levamp_io::did_you_mean(name, preset.markets.keys().map(String::as_str))
            .map(|s| format!("; did you mean {}?", levamp_io::json::quote(s)))
            .unwrap_or_default();
        return Err(InputError { at: at.into(), message: format!("unknown market {} (define it under [markets.{}] or choose a venue preset that has it){hint}", levamp_io::json::quote(name), levamp_io::json::clip(name, levamp_io::json::QUOTE_CHARS)) });
    };
    let spec = levamp_io::definitions::parse_market(name, fields, def_at, 0)?;
    let base = levamp_io::json::string(
        fields.get("base").unwrap_or(&serde_json::Value::Null),
        &format!("{def_at}.base"),
    )?
    .to_string();
    venue
        .execute(&Command::ListMarket { spec, base })
        .map_err(engine(at))?;
    Ok(venue.markets().len() as MarketId - 1)
}
