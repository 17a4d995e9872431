//! levamp-engine: the margin model of perpetual-swap and lending accounts.
//!
//! Pure functions over a resolved [`Account`] and a [`MarginContext`]
//! (markets, assets, prices): [`account_health`] (equity, maintenance and
//! initial margin, margin ratio, Aave health factor, free collateral,
//! leverage, liquidatable), [`position_margin`] and [`liquidation_price`]
//! (exact across tier boundaries, cross and isolated, long and short).
//! No I/O, no floats, no allocation in the health scan.

mod liquidation_price;
mod margin;
mod model;
pub mod size_premium;
pub mod venue;
pub mod volatility;

pub use liquidation_price::{
    liquidation_price, liquidation_prices, scope_boundary, scope_trigger, scope_trigger_from_rest,
    Side,
};
pub use margin::{
    account_health, health_factor, maintenance_check, position_maintenance, position_margin,
    scope_health, AccountHealth, MaintenanceCheck, PositionMargin, Requirements, Scope,
    ScopeMargin,
};
pub use model::{
    lending_weights, Account, Asset, AssetId, EmodeCategory, EmodeId, Holding, LendingCollateral,
    LendingWeights, MarginContext, MarginMode, Market, MarketId, PoolIndex, PoolParams, Position,
    PriceId, RateModel, Tier, DEFAULT_FUNDING_INTERVAL_S,
};
