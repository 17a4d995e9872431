//! The tier-continuity cache: whether each market's maintenance requirement
//! is continuous across its tier caps (docs/mechanisms.md, "Liquidation
//! index": the triggers' premise fails where it jumps).

use super::state::Venue;
use crate::model::{Market, MarketId};

/// Whether each market's maintenance requirement is continuous across its
/// tier caps, by `MarketId`: a cache of `Market::tiers_continuous` (a loop
/// over the tiers) for the liquidation index, which reads it on every
/// re-index. It is a function of `markets` alone, refreshed wherever they
/// change and checked against them in debug builds, so it takes no part in
/// the venue's equality (two venues with equal markets have equal caches).
#[derive(Clone, Debug, Default)]
pub(crate) struct Continuity(Vec<bool>);

impl PartialEq for Continuity {
    fn eq(&self, _: &Continuity) -> bool {
        true
    }
}
impl Eq for Continuity {}

impl Venue {
    /// Recomputes the continuity cache from `markets`.
    pub(crate) fn refresh_continuity(&mut self) {
        self.continuity.0.clear();
        let markets = &self.markets;
        self.continuity
            .0
            .extend(markets.iter().map(Market::tiers_continuous));
    }

    /// Whether market `m`'s requirement is continuous across its tier caps
    /// (from the cache; computed when the cache does not cover it, as after
    /// deserialisation).
    pub(crate) fn market_continuous(&self, m: MarketId) -> bool {
        let market = &self.markets[m as usize];
        match self.continuity.0.get(m as usize) {
            Some(&c) => {
                debug_assert_eq!(
                    c,
                    market.tiers_continuous(),
                    "stale continuity of market {m}"
                );
                c
            }
            None => market.tiers_continuous(),
        }
    }
}
