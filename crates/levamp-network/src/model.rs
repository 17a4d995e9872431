//! The network: nodes with external assets and liabilities, obligations
//! between nodes, a shock to external assets, default costs and the
//! seniority of external creditors.
//!
//! Part 2 of issue #15 adds to a [`Node`] its holdings of marketable assets
//! and of other nodes' tokens, and venue nodes backed by a scenario: they
//! all change a node's external assets before clearing, so [`crate::clear`]
//! takes the external assets as an argument rather than reading them here.

use levamp_core::{MathError, Quote, Ratio, Round};

/// Who is paid first when a node cannot pay everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Seniority {
    /// External and interbank creditors share pro rata to their claims
    /// (Eisenberg & Noe 2001).
    #[default]
    PariPassu,
    /// External liabilities are paid first, then interbank creditors pro
    /// rata to their claims.
    ExternalSenior,
}

/// Rogers–Veraart default costs: the fractions of a defaulted node's
/// external assets (`alpha`) and of its interbank receipts (`beta`) that
/// its creditors recover. `alpha = beta = 1` is Eisenberg–Noe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultCosts {
    /// Fraction of external assets recovered on default, in [0, 1].
    pub alpha: Ratio,
    /// Fraction of interbank receipts recovered on default, in [0, 1].
    pub beta: Ratio,
}

impl DefaultCosts {
    /// No default costs (Eisenberg–Noe).
    pub const NONE: DefaultCosts = DefaultCosts {
        alpha: Ratio::ONE,
        beta: Ratio::ONE,
    };
}

impl Default for DefaultCosts {
    fn default() -> Self {
        Self::NONE
    }
}

/// A participant of the network: a bank, venue, lending pool, vault, fund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Unique id (what obligations and the shock name).
    pub id: String,
    /// Assets held outside the network, before the shock (≥ 0).
    pub external_assets: Quote,
    /// Liabilities to creditors outside the network (≥ 0).
    pub external_liabilities: Quote,
    /// Relative change of the external assets (≥ −1; 0 = not shocked).
    pub shock: Ratio,
    /// Recovery fractions on default.
    pub default_costs: DefaultCosts,
}

impl Node {
    /// External assets after the shock: `external_assets × (1 + shock)`,
    /// rounded down (an asset's value rounds against its holder).
    pub fn shocked_external_assets(&self) -> Result<Quote, MathError> {
        let factor = Ratio::ONE.checked_add(self.shock)?;
        self.external_assets.mul_ratio(factor, Round::Floor)
    }
}

/// `debtor` owes `creditor` `amount` (indices into [`Network::nodes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Obligation {
    /// The node that pays.
    pub debtor: usize,
    /// The node that is paid.
    pub creditor: usize,
    /// Face value (> 0 after parsing; zero obligations are dropped).
    pub amount: Quote,
}

/// A validated network: ids unique, obligations between distinct known
/// nodes, at most one obligation per ordered pair, amounts ≥ 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    /// Name of the run (the results folder).
    pub name: String,
    /// Who is paid first by a node in default.
    pub seniority: Seniority,
    /// The nodes, in file order.
    pub nodes: Vec<Node>,
    /// The obligations, in file order.
    pub obligations: Vec<Obligation>,
}

impl Network {
    /// Every node's external assets after the shock.
    pub fn shocked_external_assets(&self) -> Result<Vec<Quote>, MathError> {
        self.nodes
            .iter()
            .map(Node::shocked_external_assets)
            .collect()
    }
}
