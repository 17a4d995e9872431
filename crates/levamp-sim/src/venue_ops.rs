//! Small venue helpers shared by the set-up, the agents and the lending
//! side — a leaf module: it imports nothing else of this crate.

use levamp_core::{Base, Round};
use levamp_engine::venue::{AccountId, Command, Event, Venue, VenueError};
use levamp_engine::AssetId;
use levamp_io::json::InputError;

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
