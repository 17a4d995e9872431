//! levamp-sim: liquidation cascades on the levamp engine — TOML scenarios
//! ([`scenario`]), the world every path starts from ([`setup`]), one seeded
//! path ([`run`]: the loop and the worker that restores its venue between
//! paths), the step pipeline ([`step`]) and the actors acting in it
//! ([`actors`]), Monte-Carlo aggregation and risk metrics ([`summary`]), and
//! the outputs ([`output`], [`report`]).
//! Model documentation: docs/scenarios.md.

pub mod actors;
pub mod agents;
pub mod backstop;
pub mod ci;
pub mod fan;
pub mod flat;
pub mod follow;
pub mod headline;
pub mod hunter_view;
pub mod lending;
pub mod limits;
pub mod liquidations;
pub mod makers;
pub mod marks;
mod models;
pub mod output;
mod population;
pub mod recommend;
pub mod recommend_frontier;
pub mod recommend_report;
pub mod report;
pub mod run;
pub mod scenario;
pub mod series;
pub mod setup;
pub mod smart_ltv;
mod snapshot_import;
pub mod sources;
pub mod spiral;
pub mod step;
pub mod study;
pub mod study_result;
pub mod summary;
pub mod variants;
mod venue_ops;

/// The default scenario, embedded: a replay of BTC on 2025-10-10 (Binance
/// mark price, 1-minute) with an impact curve from that day's order-book
/// depth, on a synthetic population (scenarios/crash-2025-10-10.toml).
pub const DEFAULT_SCENARIOS: &[(&str, &str)] = &[
    (
        "crash-2025-10-10.toml",
        include_str!("../../../scenarios/crash-2025-10-10.toml"),
    ),
    (
        "crash-2025-10-10-mc.toml",
        include_str!("../../../scenarios/crash-2025-10-10-mc.toml"),
    ),
];

/// Embedded data files the default scenarios read, by path relative to `scenarios/`.
pub const DEFAULT_DATA: &[(&str, &str)] = &[(
    "data/btcusd_perp_mark_1m_2025-10-10.csv",
    include_str!("../../../scenarios/data/btcusd_perp_mark_1m_2025-10-10.csv"),
)];
