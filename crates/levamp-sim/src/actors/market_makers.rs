//! Market makers (`[agents.market_makers]`) as an actor: they pull and
//! restore their quotes and unload inventory at the start of a step, and
//! absorb forced flow in every round ([`crate::makers::Makers`]).

use super::{Actor, Phase};
use crate::makers::Makers;
use crate::scenario::Scenario;
use crate::setup::World;
use crate::step::PathState;
use levamp_engine::venue::VenueError;

pub(super) struct MarketMakers {
    config: crate::makers::MarketMakers,
    state: Makers,
}

impl MarketMakers {
    pub(super) fn register(s: &Scenario, world: &World) -> Option<Box<dyn Actor>> {
        let config = s.agents.market_makers.clone()?;
        Some(Box::new(MarketMakers {
            config,
            state: Makers::new(world.start),
        }))
    }
}

impl Actor for MarketMakers {
    fn act(&mut self, phase: Phase, st: &mut PathState<'_>) -> Result<(), VenueError> {
        let stats = &mut st.m.liquidity;
        match phase {
            Phase::Liquidity => {
                let impact = st.impact.as_mut();
                st.price = self.state.begin_step(
                    &self.config,
                    st.step,
                    st.exo,
                    impact,
                    st.price,
                    stats,
                )?;
            }
            Phase::Absorb => {
                (st.round.sold, st.price) =
                    self.state
                        .absorb(&self.config, st.round.sold, st.price, stats)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn end_path(&mut self, st: &mut PathState<'_>) -> Result<(), VenueError> {
        st.m.liquidity.mm_pnl = self.state.pnl(st.price.to_f64_lossy());
        Ok(())
    }
}
