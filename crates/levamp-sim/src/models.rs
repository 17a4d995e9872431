//! The path's market models built from the scenario: the price process that
//! moves the outside price and the liquidity (impact) model the forced flow
//! hits. Every value was parsed and checked when the scenario was read.

use crate::scenario::{ImpactConfig, PriceModel, Scenario};
use crate::setup::World;
use levamp_core::Price;
use levamp_engine::venue::VenueError;
use levamp_market::{
    Amm, Depth, Garch, Gbm, ImpactModel, Jump, Linear, PriceProcess, Replay, Shock, Sqrt, YEAR_S,
};

/// The scenario's price process.
pub fn process(s: &Scenario, world: &World) -> Result<Box<dyn PriceProcess>, VenueError> {
    let dt_years = s.run.dt_s as f64 / YEAR_S;
    Ok(match &s.price {
        PriceModel::Shock {
            shock,
            steps,
            start_step,
        } => Box::new(Shock {
            shock: *shock,
            shock_steps: *steps,
            start_step: *start_step,
        }),
        PriceModel::Gbm { mu, sigma } => Box::new(Gbm {
            mu: *mu,
            sigma: *sigma,
            dt_years,
        }),
        PriceModel::Jump {
            mu,
            sigma,
            intensity,
            jump_mean,
            jump_sigma,
        } => Box::new(Jump {
            gbm: Gbm {
                mu: *mu,
                sigma: *sigma,
                dt_years,
            },
            intensity: *intensity,
            jump_mean: *jump_mean,
            jump_sigma: *jump_sigma,
        }),
        PriceModel::Garch {
            mu,
            omega,
            alpha,
            beta,
        } => Box::new(Garch::new(*mu, *omega, *alpha, *beta)),
        PriceModel::Replay { .. } => {
            Box::new(Replay::from_prices(world.replay.as_deref().unwrap_or(&[]))?)
        }
    })
}

/// The scenario's liquidity model, its market starting at `start`.
pub fn impact(s: &Scenario, start: Price) -> Box<dyn ImpactModel> {
    match &s.impact {
        ImpactConfig::None => Box::new(Linear {
            lambda: Price::ZERO,
        }),
        ImpactConfig::Linear { lambda } => Box::new(Linear { lambda: *lambda }),
        ImpactConfig::Sqrt {
            y,
            daily_sigma,
            daily_volume,
        } => Box::new(Sqrt {
            y: *y,
            daily_sigma: *daily_sigma,
            daily_volume: *daily_volume,
        }),
        ImpactConfig::Depth {
            points,
            resilience,
            thinning,
        } => Box::new(Depth::new(points.clone(), *resilience).with_thinning(*thinning)),
        ImpactConfig::Amm {
            base_reserve,
            arbitrage,
        } => Box::new(Amm::new(*base_reserve, start.to_f64_lossy(), *arbitrage)),
    }
}
