//! Correlated markets (`[[price.follow]]`, docs/scenarios.md): price keys
//! that move with the driven one in a one-factor model, each with its own
//! linear impact for the forced flow in the markets it prices.
//!
//! Each step, follower `k` moves by
//! `(outside return)^β_k · exp(σ_k·√dt·Z_k − σ_k²·dt/2)` with `Z_k` standard
//! normal from the path's stream: its log-return is `β_k` times the driven
//! key's plus independent noise, so its correlation with the driven key is
//! `β_k·σ / √(β_k²·σ² + σ_k²)` for a driven volatility `σ`. Followers are
//! reported to the venue at once (no oracle latency); liquidations in their
//! markets move them by `λ_k` per base unit, and the moved price is reported
//! in the next cascade round.

use crate::setup::World;
use levamp_core::{Base, MathError, Price, Round};
use levamp_engine::venue::{Event, Venue, VenueError};
use levamp_engine::{MarketId, PriceId};
use levamp_market::{normal, to_ratio, ImpactModel, Linear};
use rand_core::RngCore;

/// The followers' state on one path.
pub struct Followers {
    keys: Vec<PriceId>,
    beta: Vec<f64>,
    sigma: Vec<f64>,
    impact: Vec<Linear>,
    prices: Vec<Price>,
    pending: Vec<bool>,
    sold: Vec<Base>,
    /// By `MarketId`: the follower that prices the market, if any.
    by_market: Vec<Option<usize>>,
}

impl Followers {
    pub fn new(world: &World, venue: &Venue) -> Followers {
        let f = &world.followers;
        let keys: Vec<PriceId> = f.iter().map(|f| f.key).collect();
        Followers {
            beta: f.iter().map(|f| f.beta).collect(),
            sigma: f.iter().map(|f| f.sigma).collect(),
            impact: f.iter().map(|f| Linear { lambda: f.lambda }).collect(),
            prices: keys.iter().map(|k| venue.prices()[*k as usize]).collect(),
            pending: vec![false; keys.len()],
            sold: vec![Base::ZERO; keys.len()],
            by_market: venue
                .markets()
                .iter()
                .map(|m| keys.iter().position(|k| *k == m.price))
                .collect(),
            keys,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The step's moves, from the driven key's outside gross return `ret`
    /// over `dt_years`; an error when a move is not a finite number or the
    /// price leaves the fixed-point range.
    pub fn step(
        &mut self,
        ret: f64,
        dt_years: f64,
        rng: &mut impl RngCore,
    ) -> Result<(), MathError> {
        for k in 0..self.keys.len() {
            let z = normal(rng);
            let s = self.sigma[k];
            let g = ret.max(1e-12).powf(self.beta[k])
                * (s * dt_years.sqrt() * z - 0.5 * s * s * dt_years).exp();
            self.prices[k] = self.prices[k]
                .mul_ratio(to_ratio(g)?, Round::Floor)?
                .max(Price::TICK);
            self.pending[k] = true;
        }
        Ok(())
    }

    /// Reports every moved follower to the venue (events appended); a
    /// refused report is an error.
    pub fn report(
        &mut self,
        venue: &mut Venue,
        ts: i64,
        events: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        for k in 0..self.keys.len() {
            if std::mem::take(&mut self.pending[k]) {
                // Quiet, as the driven key's update (`PathState::publish`).
                venue.update_price_into(self.keys[k], self.prices[k], ts, None, events)?;
            }
        }
        Ok(())
    }

    /// Forced flow (`sold` > 0: sold to the market) in `market`; false if no
    /// follower prices it.
    pub fn add_flow(&mut self, market: MarketId, sold: Base) -> Result<bool, MathError> {
        match self.by_market.get(market as usize).copied().flatten() {
            Some(k) => {
                self.sold[k] = self.sold[k].checked_add(sold)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Flow into the asset priced by `key` (a lending keeper's sale); false
    /// if `key` is not a follower.
    pub fn add_key_flow(&mut self, key: PriceId, sold: Base) -> Result<bool, MathError> {
        match self.keys.iter().position(|k| *k == key) {
            Some(k) => {
                self.sold[k] = self.sold[k].checked_add(sold)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Moves each follower by its round's flow; moved ones are reported in
    /// the next round.
    pub fn apply_flows(&mut self) -> Result<(), MathError> {
        for k in 0..self.keys.len() {
            let sold = std::mem::replace(&mut self.sold[k], Base::ZERO);
            if !sold.is_zero() {
                self.prices[k] = self.impact[k].apply(self.prices[k], sold)?;
                self.pending[k] = true;
            }
        }
        Ok(())
    }

    /// Whether a moved price waits to be reported.
    pub fn pending(&self) -> bool {
        self.pending.iter().any(|p| *p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    /// The one-factor model's correlation: β·σ / √(β²σ² + σ_k²) — with
    /// β = 0.5, driven σ = 0.8 and σ_k = 0.4: 0.4 / √0.32 = 0.7071; and the
    /// follower's log-returns have volatility √0.32 = 0.5657 a year.
    #[test]
    fn correlation_and_volatility_follow_the_factor_model() {
        let mut f = Followers {
            keys: vec![0],
            beta: vec![0.5],
            sigma: vec![0.4],
            impact: vec![Linear {
                lambda: Price::ZERO,
            }],
            prices: vec![Price::from_raw(1_000_000 * 1_000_000_000_000)],
            pending: vec![false],
            sold: vec![Base::ZERO],
            by_market: Vec::new(),
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let dt: f64 = 1.0 / 365.0;
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            let x = 0.8 * dt.sqrt() * normal(&mut rng);
            let before = f.prices[0].to_f64_lossy();
            f.step(x.exp(), dt, &mut rng).unwrap();
            xs.push(x);
            ys.push((f.prices[0].to_f64_lossy() / before).ln());
        }
        let n = xs.len() as f64;
        let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
        let (mx, my) = (mean(&xs), mean(&ys));
        let cov = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| (x - mx) * (y - my))
            .sum::<f64>()
            / n;
        let var = |v: &[f64], m: f64| v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
        let rho = cov / (var(&xs, mx) * var(&ys, my)).sqrt();
        assert!((rho - 0.5f64.sqrt()).abs() < 0.02, "ρ = {rho}");
        let vol = (var(&ys, my) / dt).sqrt();
        assert!((vol - 0.32f64.sqrt()).abs() < 0.02, "σ = {vol}");
    }
}
