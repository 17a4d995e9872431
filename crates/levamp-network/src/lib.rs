//! levamp-network: financial networks and their exact clearing.
//!
//! A [`Network`] is nodes (banks, venues, pools, funds) with external
//! assets and liabilities, obligations between them, an optional shock to
//! external assets, default costs and a seniority rule, read strictly from
//! NETWORK.toml by [`parse`] / [`parse_file`]. [`clear`] computes the
//! greatest clearing vector of Eisenberg & Noe (2001), with the default
//! costs of Rogers & Veraart (2013), exactly in 12-decimal fixed point:
//! the greatest fixed point of the clearing map whose every payment to a
//! creditor is rounded down (docs/contagion.md: the algorithm, what
//! "exact" means, and the bound on the distance to the real-valued vector).
//! [`cascade`] adds marketable holdings sold in fire sales when a node
//! breaches its capital ratio (Cifuentes, Shin & Ferrucci 2005) and equity
//! tokens valued on their issuer's equity, solved jointly with clearing by
//! a monotone descent from the top. [`cascade_with`] adds venue nodes, whose
//! loss is a levamp scenario's bad debt at the network's prices, through a
//! [`VenueRunner`] the caller supplies (this crate does not depend on the
//! simulator).

mod accelerate;
mod cascade;
mod clearing;
mod html;
mod impact;
mod liabilities;
mod model;
mod parse;
mod parse_holdings;
mod parse_venue;
mod report;
mod tokens;
mod venue;

pub use cascade::{cascade, cascade_with, Cascade, Losses, RoundRecord, MAX_ROUNDS};
pub use clearing::{clear, clear_network, Clearing, ClearingError};
pub use html::report_html;
pub use impact::price_after;
pub use model::{
    Asset, DefaultCosts, Held, Holding, Impact, Network, Node, Obligation, Seniority, Token,
    TokenKind, VenueLink,
};
pub use parse::{parse, parse_file};
pub use report::{cascade_json, result_json};
pub use venue::{price_change, NoVenues, VenueRunner};
