//! External liquidators (`[agents.liquidators]`) as an actor: in every
//! round they note liquidatable scopes and act on those whose latency has
//! passed, selling what they took into the market
//! ([`crate::agents::liquidate`]).

use super::{Actor, Phase};
use crate::agents::Watch;
use crate::scenario::Scenario;
use crate::setup::World;
use crate::step::PathState;
use levamp_engine::venue::VenueError;
use levamp_engine::MarketId;

pub(super) struct Liquidators {
    config: crate::agents::Liquidators,
    market: MarketId,
    watch: Watch,
}

impl Liquidators {
    pub(super) fn register(s: &Scenario, world: &World) -> Option<Box<dyn Actor>> {
        Some(Box::new(Liquidators {
            config: s.agents.liquidators.clone()?,
            market: world.market?,
            watch: Watch::default(),
        }))
    }
}

impl Actor for Liquidators {
    fn act(&mut self, phase: Phase, st: &mut PathState<'_>) -> Result<(), VenueError> {
        if phase != Phase::Round {
            return Ok(());
        }
        let (sold, notional) = crate::agents::liquidate(
            st.venue,
            &self.config,
            &mut self.watch,
            st.world.key,
            self.market,
            st.step,
            st.price,
            &mut st.rng,
            &mut st.m.agents,
            st.liquidated,
            st.events,
        )?;
        st.round.sold = st.round.sold.checked_add(sold)?;
        st.round.notional += notional;
        if sold.is_positive() {
            st.m.liquidated_long += notional;
        } else {
            st.m.liquidated_short += notional;
        }
        Ok(())
    }
}
