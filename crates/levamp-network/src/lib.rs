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

mod accelerate;
mod clearing;
mod liabilities;
mod model;
mod parse;
mod report;

pub use clearing::{clear, clear_network, Clearing, ClearingError};
pub use model::{DefaultCosts, Network, Node, Obligation, Seniority};
pub use parse::{parse, parse_file};
pub use report::result_json;
