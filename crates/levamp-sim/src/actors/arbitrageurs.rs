//! Arbitrageurs (`[agents.arbitrageurs]`) as an actor: each step they trade
//! the market back towards the outside price ([`crate::makers::arbitrage`]).

use super::{Actor, Phase};
use crate::scenario::Scenario;
use crate::step::PathState;
use levamp_engine::venue::VenueError;

pub(super) struct Arbitrageurs(crate::makers::Arbitrageurs);

impl Arbitrageurs {
    pub(super) fn register(s: &Scenario) -> Option<Box<dyn Actor>> {
        let a = s.agents.arbitrageurs.clone()?;
        Some(Box::new(Arbitrageurs(a)))
    }
}

impl Actor for Arbitrageurs {
    fn act(&mut self, phase: Phase, st: &mut PathState<'_>) -> Result<(), VenueError> {
        if phase == Phase::Liquidity {
            let stats = &mut st.m.liquidity;
            st.price =
                crate::makers::arbitrage(&self.0, st.impact.as_mut(), st.price, st.exo, stats)?;
        }
        Ok(())
    }
}
