//! Traders (`[agents.traders]`) as an actor: warned accounts top up their
//! margin before the oracle reports ([`crate::agents::top_up`]).

use super::{Actor, Phase};
use crate::scenario::Scenario;
use crate::step::PathState;
use levamp_engine::venue::VenueError;

pub(super) struct Traders(crate::agents::Traders);

impl Traders {
    pub(super) fn register(s: &Scenario) -> Option<Box<dyn Actor>> {
        Some(Box::new(Traders(s.agents.traders.clone()?)))
    }
}

impl Actor for Traders {
    fn act(&mut self, phase: Phase, st: &mut PathState<'_>) -> Result<(), VenueError> {
        if phase == Phase::Venue {
            let traders = st.world.traders;
            crate::agents::top_up(st.venue, &self.0, &mut st.rng, &mut st.m.agents, traders)?;
        }
        Ok(())
    }
}
