//! The venue nodes of `levamp contagion`: each runs its levamp scenario
//! (levamp-sim) at the network's price, through the network crate's
//! [`VenueRunner`].
//!
//! **What is run.** The scenario as written, with two changes: one path
//! (`paths = 1`, the scenario's own `seed`), and its `[price]` shock — which
//! must be `model = "shock"` — replaced by the relative change of the
//! network asset the node follows (`⌊p ÷ p₀⌋ − 1`), over the scenario's own
//! `shock_steps` from its `shock_start`: a deterministic path from the
//! scenario's start price to `start × p ÷ p₀`. Its impact, agents, lending
//! keeper and everything else run as `levamp sim` runs them.
//!
//! **The loss.** The venue's bad debt (the quote asset's `bad_debt` fund,
//! less what it held at the start) plus every lending pool's deficit (Aave
//! v3.3 write-offs, less the start's), each pool's valued at its asset's
//! oracle price at the end of the path, rounded up — exact fixed point,
//! read from the venue's state, not from the simulator's `f64` metrics.
//!
//! **Cache.** One run per (node, price change): the cascade asks again for
//! a price it has seen when other prices move.

use anyhow::{anyhow, Result};
use levamp_core::{Quote, Ratio, Round};
use levamp_engine::venue::Venue;
use levamp_network::{Network, VenueRunner};
use levamp_sim::scenario::{self, PriceModel, Scenario};
use levamp_sim::setup;
use levamp_sim::sources::Sources;
use levamp_sim::summary::simulate_in_place;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicUsize;

/// The scenarios of a network's venue nodes, read and checked up front.
pub struct SimVenues {
    /// By node: its scenario (`None` for other nodes).
    scenarios: Vec<Option<Scenario>>,
    /// Loss by (node, raw price change).
    cache: BTreeMap<(usize, i128), Quote>,
}

impl SimVenues {
    /// Reads every venue node's scenario, relative to the network file's
    /// folder, and builds its world once to check it. Errors are
    /// `NETWORK:LINE: node[i].venue: …` (with the scenario's own place).
    pub fn load(file: &Path, net: &Network) -> Result<SimVenues> {
        let dir = file.parent().unwrap_or(Path::new(""));
        let mut scenarios = Vec::with_capacity(net.nodes.len());
        for (i, node) in net.nodes.iter().enumerate() {
            let Some(link) = &node.venue else {
                scenarios.push(None);
                continue;
            };
            let at = format!("{}:{}: node[{i}].venue", file.display(), link.line);
            let path = dir.join(&link.scenario);
            let text = levamp_io::input_limit::read_file(&path)
                .map_err(|e| anyhow!("{at}: scenario {:?}: {e}", link.scenario))?;
            let s = scenario::parse_file(&path, &text).map_err(|e| anyhow!("{at}: {e}"))?;
            if !matches!(s.price, PriceModel::Shock { .. }) {
                return Err(anyhow!(
                    "{at}: {}: a venue scenario needs [price] model = \"shock\" (the network sets its shock), found {}",
                    path.display(),
                    s.price.describe()
                ));
            }
            setup::build(&s, &Sources::disk()).map_err(|e| {
                anyhow!(
                    "{at}: {}",
                    scenario::at_line(&path.display().to_string(), &text, e)
                )
            })?;
            scenarios.push(Some(s));
        }
        Ok(SimVenues {
            scenarios,
            cache: BTreeMap::new(),
        })
    }

    fn run(&self, node: usize, change: Ratio) -> Result<Quote, String> {
        let Some(base) = &self.scenarios[node] else {
            return Err("not a venue node".into());
        };
        let mut s = base.clone();
        s.run.paths = 1;
        s.run.series_paths = 0;
        if let PriceModel::Shock { shock, .. } = &mut s.price {
            *shock = change;
        }
        let mut world = setup::build(&s, &Sources::disk()).map_err(|e| e.to_string())?;
        let before = losses(&world.venue).map_err(|e| e.to_string())?;
        simulate_in_place(&s, &mut world, &AtomicUsize::new(0)).map_err(|e| e.to_string())?;
        let after = losses(&world.venue).map_err(|e| e.to_string())?;
        after
            .checked_sub(before)
            .map(|l| l.max(Quote::ZERO))
            .map_err(|e| e.to_string())
    }
}

impl VenueRunner for SimVenues {
    fn loss(&mut self, node: usize, change: Ratio) -> Result<Quote, String> {
        if let Some(&l) = self.cache.get(&(node, change.raw())) {
            return Ok(l);
        }
        let l = self.run(node, change)?;
        self.cache.insert((node, change.raw()), l);
        Ok(l)
    }
}

/// The venue's bad debt in its quote asset plus every pool's deficit at
/// its asset's oracle price (rounded up).
fn losses(venue: &Venue) -> Result<Quote, levamp_core::MathError> {
    let quote = venue.quote() as usize;
    let mut total = Quote::from_raw(venue.funds()[quote].bad_debt.raw());
    for (a, pool) in venue.pools().iter().enumerate() {
        let Some(pool) = pool else { continue };
        let price = venue.prices()[venue.assets()[a].price as usize];
        total = total.checked_add(pool.deficit.value_at(price, Round::Ceil)?)?;
    }
    Ok(total)
}
