//! Basis traders (`[agents.basis_traders]`) as an actor: after a funding
//! settlement whose rate flipped, they buy back their shorts
//! ([`crate::agents::unwind_basis`]), which lifts the market.

use super::{Actor, Phase};
use crate::scenario::Scenario;
use crate::setup::World;
use crate::step::PathState;
use levamp_engine::venue::VenueError;
use levamp_engine::MarketId;

pub(super) struct BasisTraders {
    config: crate::agents::BasisTraders,
    market: MarketId,
}

impl BasisTraders {
    pub(super) fn register(s: &Scenario, world: &World) -> Option<Box<dyn Actor>> {
        Some(Box::new(BasisTraders {
            config: s.agents.basis_traders.clone()?,
            market: world.market?,
        }))
    }
}

impl Actor for BasisTraders {
    fn act(&mut self, phase: Phase, st: &mut PathState<'_>) -> Result<(), VenueError> {
        let Phase::Funding(rate) = phase else {
            return Ok(());
        };
        let stats = &mut st.m.agents;
        let bought = crate::agents::unwind_basis(
            st.venue,
            &self.config,
            self.market,
            rate,
            st.price,
            stats,
        )?;
        if !bought.is_zero() {
            st.price = st.impact.apply(st.price, bought.checked_neg()?)?;
        }
        Ok(())
    }
}
