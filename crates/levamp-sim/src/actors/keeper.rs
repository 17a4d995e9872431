//! The lending keeper as an actor: interest accrues before the oracle
//! reports; in every round it liquidates borrowers below a health factor of
//! 1 and sells the seized collateral ([`crate::lending::keep`]).

use super::{Actor, Phase};
use crate::lending::Screen;
use crate::setup::World;
use crate::step::PathState;
use levamp_core::Base;
use levamp_engine::venue::{Command, Venue, VenueError};
use levamp_engine::PriceId;

pub(super) struct Keeper {
    screen: Screen,
    /// What a pass seized, by price key (a reused buffer).
    seized: Vec<(PriceId, Base)>,
}

impl Keeper {
    pub(super) fn register(
        world: &World,
        venue: &Venue,
    ) -> Result<Option<Box<dyn Actor>>, VenueError> {
        let Some(book) = &world.lending else {
            return Ok(None);
        };
        let screen = Screen::new(venue, book, world.key, world.followers.is_empty())?;
        Ok(Some(Box::new(Keeper {
            screen,
            seized: Vec::new(),
        })))
    }
}

impl Actor for Keeper {
    fn act(&mut self, phase: Phase, st: &mut PathState<'_>) -> Result<(), VenueError> {
        let world = st.world;
        let Some(book) = &world.lending else {
            return Ok(());
        };
        match phase {
            // Interest accrues in every pool up to this step.
            Phase::Venue => {
                st.events.clear();
                st.venue
                    .execute_into(&Command::Advance { ts: st.ts }, st.events)?;
                st.tally();
            }
            Phase::Round => {
                self.seized.clear();
                let value = crate::lending::keep(
                    st.venue,
                    book,
                    &mut self.screen,
                    &mut st.m.lending,
                    st.liquidated,
                    st.events,
                    &mut self.seized,
                )?;
                for &(key, units) in &self.seized {
                    if key == world.key {
                        st.round.sold = st.round.sold.checked_add(units)?;
                    } else {
                        st.round.key_flows.push((key, units));
                    }
                }
                st.round.notional += value;
                st.m.liquidated_long += value;
            }
            _ => {}
        }
        Ok(())
    }
}
