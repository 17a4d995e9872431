//! Liquidity agents (docs/scenarios.md, "Agents"): arbitrageurs who trade
//! the market back towards the outside price, and market makers who absorb
//! forced flow into their inventory until it is full or volatility scares
//! them off. Both trade the liquidity model (the market outside the venue),
//! so their trades move the price but not the venue's ledger; their volume
//! and profit are statistics (`f64`).

pub use crate::scenario::{Arbitrageurs, MarketMakers};
use crate::venue_ops::base_units;
use levamp_core::{Base, MathError, Price, Round};
use levamp_market::ImpactModel;

/// What the liquidity agents did on a path.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LiquidityStats {
    /// Notional the arbitrageurs traded, and their profit against the outside price.
    pub arbitrage_volume: f64,
    pub arbitrage_pnl: f64,
    /// Base units of forced flow the market makers absorbed.
    pub mm_absorbed: f64,
    /// Largest inventory (base units, absolute).
    pub mm_max_inventory: f64,
    /// Steps with the makers' quotes pulled or not fully back.
    pub mm_withdrawn_steps: usize,
    /// The makers' profit, inventory marked at the final price.
    pub mm_pnl: f64,
}

/// The price after trading `q` units (> 0 sold) on a copy of the model.
fn probe(impact: &dyn ImpactModel, price: Price, q: f64) -> Result<f64, MathError> {
    Ok(impact.boxed().apply(price, base_units(q)?)?.to_f64_lossy())
}

/// One arbitrage pass; returns the new market price.
pub fn arbitrage(
    a: &Arbitrageurs,
    impact: &mut dyn ImpactModel,
    price: Price,
    outside: Price,
    stats: &mut LiquidityStats,
) -> Result<Price, MathError> {
    let (p, o) = (price.to_f64_lossy(), outside.to_f64_lossy());
    let gap = p / o - 1.0;
    if gap.abs() <= a.threshold || p <= 0.0 {
        return Ok(price);
    }
    // Above the outside price they sell the market (q > 0), below they buy.
    let sign = gap.signum();
    let target = o * (1.0 + sign * a.threshold);
    let max_units = a.capital / p;
    let reached = |q: f64| -> Result<bool, MathError> {
        Ok((probe(impact, price, sign * q)? - target) * sign <= 0.0)
    };
    let q = if !reached(max_units)? {
        max_units
    } else {
        let (mut lo, mut hi) = (0.0, max_units);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if reached(mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    };
    let new = impact.apply(price, base_units(sign * q)?)?;
    let average = 0.5 * (p + new.to_f64_lossy());
    stats.arbitrage_volume += q * average;
    stats.arbitrage_pnl += q * (average - o) * sign;
    Ok(new)
}

/// Inventory moves below this many base units are not traded.
const DUST: f64 = 1e-8;

/// The market makers' state on a path.
#[derive(Clone, Debug, Default)]
pub struct Makers {
    inventory: f64,
    cash: f64,
    /// Depth available this step, as a share of `depth`.
    available: f64,
    pulled_at: Option<usize>,
    last_outside: f64,
}

impl Makers {
    /// Makers facing an outside price starting at `start`.
    pub fn new(start: Price) -> Makers {
        Makers {
            last_outside: start.to_f64_lossy(),
            available: 1.0,
            ..Makers::default()
        }
    }

    /// Step start: pull quotes on a large outside move, come back over
    /// `recover_steps`, unload part of the inventory. Returns the market price.
    pub fn begin_step(
        &mut self,
        mm: &MarketMakers,
        step: usize,
        outside: Price,
        impact: &mut dyn ImpactModel,
        price: Price,
        stats: &mut LiquidityStats,
    ) -> Result<Price, MathError> {
        let o = outside.to_f64_lossy();
        if self.last_outside > 0.0 && (o / self.last_outside - 1.0).abs() > mm.withdraw_above {
            self.pulled_at = Some(step);
        }
        self.last_outside = o;
        self.available = match self.pulled_at {
            Some(at) if mm.recover_steps > 0 => {
                ((step - at) as f64 / mm.recover_steps as f64).min(1.0)
            }
            Some(at) if at == step => 0.0,
            _ => 1.0,
        };
        if self.available < 1.0 {
            stats.mm_withdrawn_steps += 1;
        }
        let q = self.inventory * mm.unload;
        if q.abs() < DUST {
            return Ok(price);
        }
        let new = impact.apply(price, base_units(q)?)?;
        self.cash += q * 0.5 * (price.to_f64_lossy() + new.to_f64_lossy());
        self.inventory -= q;
        Ok(new)
    }

    /// Takes what it can of `sold` base units of forced flow (> 0 sold to
    /// the market) at its quotes; returns the rest and the price after its
    /// concession.
    pub fn absorb(
        &mut self,
        mm: &MarketMakers,
        sold: Base,
        price: Price,
        stats: &mut LiquidityStats,
    ) -> Result<(Base, Price), MathError> {
        let depth = mm.depth * self.available;
        let q = sold.to_f64_lossy();
        // Room left on this side: long up to +depth, short down to −depth.
        let room = if q > 0.0 {
            (depth - self.inventory).max(0.0)
        } else {
            (depth + self.inventory).max(0.0)
        };
        let take = q.signum() * q.abs().min(room);
        if take.abs() < DUST || mm.depth <= 0.0 {
            return Ok((sold, price));
        }
        let p = price.to_f64_lossy();
        let concession = mm.spread * take / mm.depth;
        let after = p * (1.0 - concession);
        self.cash -= take * p * (1.0 - concession / 2.0);
        self.inventory += take;
        stats.mm_absorbed += take.abs();
        stats.mm_max_inventory = stats.mm_max_inventory.max(self.inventory.abs());
        let taken = base_units(take)?;
        let rest = sold.checked_sub(taken)?;
        // The makers' concession, rounded down, at least one tick.
        let after = Price::from_f64(after, Round::Floor)?.max(Price::TICK);
        Ok((rest, after))
    }

    /// The makers' profit with the inventory marked at `price`.
    pub fn pnl(&self, price: f64) -> f64 {
        self.cash + self.inventory * price
    }
}
