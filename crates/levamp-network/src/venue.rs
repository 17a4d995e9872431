//! Venue nodes: nodes whose loss is the outcome of a levamp scenario run at
//! the network's prices. This crate does not run scenarios (the simulator
//! sits above it); the caller supplies a [`VenueRunner`] — the CLI's runs
//! `levamp-sim` — and [`crate::cascade_with`] asks it for a node's loss
//! each time the price the node follows moves.
//!
//! **Where the loss goes.** A venue node's loss is deducted from its
//! external assets (cash, then holdings and tokens: their sum), never below
//! 0; the part deducted is the `venue` channel of its [`crate::Losses`].
//!
//! **Monotone, whatever the scenario does.** A venue's bad debt need not
//! fall as its price rises (a lower price can liquidate an account earlier,
//! at a better price, than a higher one that liquidates it later). The
//! cascade therefore uses the running maximum of the losses it has seen for
//! the node: the deduction only rises, so external assets only fall and the
//! descent of docs/contagion.md stays monotone. The prices visited are
//! finitely many (integers, falling), so the running maximum changes
//! finitely often and the cascade still ends.

use crate::model::Network;
use levamp_core::{Price, Quote, Ratio, Round};

/// Runs the scenario behind a venue node.
pub trait VenueRunner {
    /// The loss (bad debt and pool deficits, ≥ 0, in the scenario's quote
    /// units) of venue node `node`'s scenario when its exogenous price moves
    /// by the relative change `change` (≥ −1) from its start. An `Err` is a
    /// one-line message; the cascade stops with it.
    fn loss(&mut self, node: usize, change: Ratio) -> Result<Quote, String>;
}

/// A runner for networks without venue nodes: asked for a loss, it fails.
pub struct NoVenues;

impl VenueRunner for NoVenues {
    fn loss(&mut self, node: usize, _change: Ratio) -> Result<Quote, String> {
        Err(format!(
            "node {node} is a venue node: its scenario needs a runner (levamp contagion supplies one)"
        ))
    }
}

/// The relative change `⌊p ÷ p₀⌋ − 1` of a price from its initial value,
/// rounded down (a deeper shock for the venue: against the node).
pub fn price_change(initial: Price, now: Price) -> Result<Ratio, levamp_core::MathError> {
    now.ratio_to(initial, Round::Floor)?.checked_sub(Ratio::ONE)
}

/// Raises every venue node's running-maximum loss to its loss at `prices`
/// (in network units: the scenario's loss × `venue_scale`, rounded up).
/// Returns whether any rose.
pub(crate) fn update_losses(
    net: &Network,
    prices: &[Price],
    runner: &mut dyn VenueRunner,
    losses: &mut [Quote],
) -> Result<bool, crate::ClearingError> {
    let mut rose = false;
    for (i, node) in net.nodes.iter().enumerate() {
        let Some(link) = &node.venue else { continue };
        let fail = |message: String| crate::ClearingError::Venue {
            id: node.id.clone(),
            message,
        };
        let change = price_change(net.assets[link.follows].price, prices[link.follows])
            .map_err(|e| fail(e.to_string()))?;
        let raw = runner.loss(i, change).map_err(fail)?;
        if raw.is_negative() {
            return Err(fail(format!("the scenario reported a negative loss {raw}")));
        }
        let loss = raw
            .mul_ratio(link.scale, Round::Ceil)
            .map_err(|e| fail(e.to_string()))?;
        if loss > losses[i] {
            losses[i] = loss;
            rose = true;
        }
    }
    Ok(rose)
}
