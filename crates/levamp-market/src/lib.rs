//! levamp-market: the market around a venue — exogenous price processes
//! ([`PriceProcess`]: GBM, Merton jumps, GARCH(1,1), scripted shock, replay
//! of a real series) and liquidity ([`ImpactModel`]: linear, square-root,
//! order-book depth curve, constant-product AMM with arbitrage). Small traits
//! so the simulator swaps models without touching the engine.

mod impact;
mod price;

pub use impact::{Amm, Depth, ImpactModel, Linear, Sqrt};
pub use price::{
    normal, poisson, to_ratio, uniform, Garch, Gbm, Jump, PriceProcess, Replay, Shock, YEAR_S,
};
