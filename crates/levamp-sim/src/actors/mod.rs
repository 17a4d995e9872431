//! Everything that acts inside a step, behind one trait (docs/scenarios.md,
//! "How a step runs"): traders, liquidators, basis traders, hunters, market
//! makers, arbitrageurs, the lending keeper and the correlated markets
//! (followers). The step pipeline ([`crate::step`]) calls every actor at
//! each [`Phase`], in the order of [`register`]; it does not know which
//! actors exist.
//!
//! Adding an actor: a file here with its state and `impl Actor`, and one
//! line in [`register`].

mod arbitrageurs;
mod basis;
mod followers;
mod hunters;
mod keeper;
mod liquidators;
mod market_makers;
mod traders;

use crate::step::PathState;
use levamp_core::Ratio;
use levamp_engine::venue::{Venue, VenueError};

/// Where in a step an actor is called. Within a phase, actors act in
/// registration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The outside price has moved (`PathState::exo`, `exo_return`).
    Exogenous,
    /// Trading against the liquidity model before the venue acts.
    Liquidity,
    /// A funding settlement at this rate has just happened.
    Funding(Ratio),
    /// On the venue, before the oracle reports (top-ups, interest, pushes).
    Venue,
    /// In a cascade round, after the oracle's report: further reports.
    Report,
    /// In a cascade round, after the venue's own liquidations: actors that
    /// liquidate add their forced flow to `PathState::round`.
    Round,
    /// The round's forced flow (non-zero) is about to hit the market.
    Absorb,
    /// The round's flow has moved the market.
    EndRound,
}

/// Something that acts inside a step. Every method has a no-op default: an
/// actor implements the phases it takes part in.
pub trait Actor {
    /// Acts at `phase` on the path's state.
    fn act(&mut self, phase: Phase, st: &mut PathState<'_>) -> Result<(), VenueError>;

    /// At the end of the path: final statistics (profit at the last price…).
    fn end_path(&mut self, _st: &mut PathState<'_>) -> Result<(), VenueError> {
        Ok(())
    }
}

/// The actors of a scenario, in the order they act within a phase.
pub fn register(st: &PathState<'_>) -> Result<Vec<Box<dyn Actor>>, VenueError> {
    let (s, world, venue): (_, _, &Venue) = (st.s, st.world, st.venue);
    let mut out: Vec<Box<dyn Actor>> = Vec::new();
    out.extend(followers::Followers::register(world, venue));
    out.extend(arbitrageurs::Arbitrageurs::register(s));
    out.extend(market_makers::MarketMakers::register(s, world));
    out.extend(basis::BasisTraders::register(s, world));
    out.extend(traders::Traders::register(s));
    out.extend(keeper::Keeper::register(world, venue)?);
    out.extend(hunters::Hunters::register(st));
    out.extend(liquidators::Liquidators::register(s, world));
    Ok(out)
}

/// Calls every actor at `phase`.
pub fn each(
    actors: &mut [Box<dyn Actor>],
    phase: Phase,
    st: &mut PathState<'_>,
) -> Result<(), VenueError> {
    for a in actors.iter_mut() {
        a.act(phase, st)?;
    }
    Ok(())
}
