//! Liquidation hunters (`[agents.liquidation_hunters]`) as an actor: before
//! the oracle reports they push the market into a cluster of long
//! liquidations, or buy back last step's push ([`crate::agents::hunt`]).

use super::{Actor, Phase};
use crate::scenario::Scenario;
use crate::step::PathState;
use levamp_engine::venue::VenueError;

pub(super) struct Hunters {
    config: crate::agents::Hunters,
    /// The refreshed map of long liquidation prices (`None`: the world's).
    clusters: Option<Vec<(f64, u32, f64)>>,
}

impl Hunters {
    pub(super) fn register(s: &Scenario) -> Option<Box<dyn Actor>> {
        Some(Box::new(Hunters {
            config: s.agents.hunters.clone()?,
            clusters: None,
        }))
    }
}

impl Actor for Hunters {
    fn act(&mut self, phase: Phase, st: &mut PathState<'_>) -> Result<(), VenueError> {
        let (Phase::Venue, Some(market)) = (phase, st.world.market) else {
            return Ok(());
        };
        let h = &self.config;
        if h.refresh_steps > 0 && st.step.is_multiple_of(h.refresh_steps) {
            let price = st.price.to_f64_lossy();
            self.clusters = Some(crate::agents::long_clusters(st.venue, market, price)?);
        }
        let clusters = self.clusters.as_deref().unwrap_or(&st.world.long_clusters);
        let stats = &mut st.m.agents;
        let pushed = crate::agents::hunt(
            st.venue,
            h,
            clusters,
            st.liquidated,
            market,
            st.price,
            stats,
        )?;
        if !pushed.is_zero() {
            st.price = st.impact.apply(st.price, pushed)?;
        }
        Ok(())
    }

    /// The hunter's profit: its equity at the end less its capital.
    fn end_path(&mut self, st: &mut PathState<'_>) -> Result<(), VenueError> {
        let Some(id) = st.venue.account_id(crate::agents::HUNTER) else {
            return Ok(());
        };
        let venue = &*st.venue;
        let equity =
            levamp_engine::account_health(&venue.accounts()[id as usize], &venue.context())?.equity;
        st.m.agents.hunter_pnl = equity.to_f64_lossy() - self.config.capital.to_f64_lossy();
        Ok(())
    }
}
