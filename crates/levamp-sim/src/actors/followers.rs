//! The correlated markets (`[[price.follow]]`) as an actor: they move with
//! the outside price, are reported to the venue in every round, and move by
//! the round's forced flow in their markets ([`crate::follow`]).

use super::{Actor, Phase};
use crate::setup::World;
use crate::step::PathState;
use levamp_engine::venue::{Venue, VenueError};
use levamp_market::YEAR_S;

pub(super) struct Followers(crate::follow::Followers);

impl Followers {
    pub(super) fn register(world: &World, venue: &Venue) -> Option<Box<dyn Actor>> {
        let f = crate::follow::Followers::new(world, venue);
        (!f.is_empty()).then(|| Box::new(Followers(f)) as Box<dyn Actor>)
    }
}

impl Actor for Followers {
    fn act(&mut self, phase: Phase, st: &mut PathState<'_>) -> Result<(), VenueError> {
        match phase {
            Phase::Exogenous => {
                let dt_years = st.s.run.dt_s as f64 / YEAR_S;
                self.0.step(st.exo_return, dt_years, &mut st.exo_rng)?;
            }
            Phase::Report => self.0.report(st.venue, st.ts, st.events)?,
            Phase::EndRound => {
                for &(key, units) in &st.round.key_flows {
                    self.0.add_key_flow(key, units)?;
                }
                self.0.apply_flows()?;
            }
            _ => {}
        }
        Ok(())
    }
}
