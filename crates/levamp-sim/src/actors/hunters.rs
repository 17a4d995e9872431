//! Liquidation hunters (`[agents.liquidation_hunters]`) as an actor: before
//! the oracle reports they push the market into a cluster of long
//! liquidations, or buy back last step's push ([`crate::agents::hunt`]).
//! What they see of the clusters is their `visibility`
//! ([`crate::hunter_view`]); they count the liquidations of the steps they
//! pushed in (`hunt_liquidations`, `hunt_liquidated_notional`).

use super::{Actor, Phase};
use crate::hunter_view::{Estimate, Heatmap, HEATMAP_NOISE_STREAM};
use crate::scenario::Visibility;
use crate::step::PathState;
use levamp_engine::venue::{Venue, VenueError};
use levamp_engine::MarketId;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What the hunter last looked at.
enum Seen {
    /// Nothing yet (at the first step).
    Nothing,
    /// The exact map (`None`: the world's start map).
    Exact(Option<Vec<(f64, u32, f64)>>),
    Heatmap(Heatmap),
    Estimate(Estimate),
}

pub(super) struct Hunters {
    config: crate::agents::Hunters,
    seen: Seen,
    /// The heatmap's noise: the path seed's own stream.
    noise: ChaCha8Rng,
    /// Accounts liquidated when the hunter pushed this step (`None`: it did not push).
    pushed_at: Option<usize>,
}

impl Hunters {
    pub(super) fn register(st: &PathState<'_>) -> Option<Box<dyn Actor>> {
        let config = st.s.agents.hunters.clone()?;
        let seed = crate::run::path_seed(st.s.run.seed, st.m.path);
        let mut noise = ChaCha8Rng::seed_from_u64(seed);
        noise.set_stream(HEATMAP_NOISE_STREAM);
        let seen = match config.visibility {
            Visibility::Exact => Seen::Exact(None),
            _ => Seen::Nothing,
        };
        Some(Box::new(Hunters {
            config,
            seen,
            noise,
            pushed_at: None,
        }))
    }

    /// Looks again: from the venue now, or (`live` false) from the start.
    fn look(&mut self, st: &PathState<'_>, market: MarketId, live: bool) -> Result<(), VenueError> {
        let price = st.price.to_f64_lossy();
        let start = st.world.start.to_f64_lossy();
        let clusters = |venue: &Venue| -> Result<_, VenueError> {
            Ok(match live {
                true => {
                    std::borrow::Cow::Owned(crate::agents::long_clusters(venue, market, price)?)
                }
                false => std::borrow::Cow::Borrowed(&st.world.long_clusters[..]),
            })
        };
        self.seen = match self.config.visibility {
            Visibility::Exact => Seen::Exact(Some(clusters(st.venue)?.into_owned())),
            Visibility::Aggregated { bin, noise } => Seen::Heatmap(Heatmap::build(
                &clusters(st.venue)?,
                st.liquidated,
                start,
                bin,
                noise,
                &mut self.noise,
            )),
            Visibility::None {
                leverage_median,
                leverage_sigma,
            } => {
                let open_interest = match live {
                    true => long_open_interest(st.venue, market),
                    false => st.world.open_interest.to_f64_lossy(),
                };
                let tiers = &st.venue.markets()[market as usize].tiers;
                Seen::Estimate(Estimate {
                    open_interest,
                    entry: start,
                    mmr: tiers[0].maintenance_margin_rate.to_f64_lossy(),
                    median: leverage_median,
                    sigma: leverage_sigma,
                })
            }
        };
        Ok(())
    }
}

/// The long open interest of `market` now (base units, every account).
fn long_open_interest(venue: &Venue, market: MarketId) -> f64 {
    venue
        .accounts()
        .iter()
        .skip(1)
        .flat_map(|a| a.positions.iter())
        .filter(|p| p.market == market && p.size.is_positive())
        .map(|p| p.size.to_f64_lossy())
        .sum()
}

impl Actor for Hunters {
    fn act(&mut self, phase: Phase, st: &mut PathState<'_>) -> Result<(), VenueError> {
        let Some(market) = st.world.market else {
            return Ok(());
        };
        match phase {
            Phase::Venue => {}
            Phase::EndRound => {
                // The rounds of a step the hunter pushed in: its cascade.
                if let Some(before) = self.pushed_at.as_mut() {
                    let stats = &mut st.m.agents;
                    stats.hunt_liquidated_notional += st.round.notional;
                    let now = st.liquidated.count();
                    stats.hunt_liquidations += now - *before;
                    *before = now;
                }
                return Ok(());
            }
            _ => return Ok(()),
        }
        self.pushed_at = None;
        let refresh = self.config.refresh_steps;
        if refresh > 0 && st.step.is_multiple_of(refresh) {
            self.look(st, market, true)?;
        } else if matches!(self.seen, Seen::Nothing) {
            self.look(st, market, false)?;
        }
        let gone = &*st.liquidated;
        let world = st.world;
        let seen = &self.seen;
        let within = |low: f64, high: f64| match seen {
            Seen::Exact(clusters) => {
                let clusters = clusters.as_deref().unwrap_or(&world.long_clusters);
                crate::agents::exact_within(clusters, gone, low, high)
            }
            Seen::Heatmap(map) => map.within(low, high),
            Seen::Estimate(e) => e.within(low, high, high),
            Seen::Nothing => 0.0,
        };
        let pushed = crate::agents::hunt(
            st.venue,
            &self.config,
            within,
            market,
            st.price,
            &mut st.m.agents,
        )?;
        if pushed.is_positive() {
            self.pushed_at = Some(st.liquidated.count());
        }
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
