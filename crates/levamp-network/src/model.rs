//! The network: nodes with external assets (cash) and liabilities,
//! obligations between nodes, marketable assets and tokens the nodes hold,
//! capital ratios, shocks to cash and to prices, default costs and the
//! seniority of external creditors.
//!
//! Holdings change a node's external assets before each clearing, so
//! [`crate::clear`] takes the external assets as an argument and
//! [`crate::cascade`] computes them each round; the losses of venue nodes
//! backed by a scenario enter there too.

use levamp_core::{Base, MathError, Price, Quote, Ratio, Round};

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
    /// Units of marketable assets ([`Network::assets`]) and of other
    /// nodes' equity tokens ([`Network::tokens`]) the node holds, in file
    /// order. Debt-token holdings are obligations of the issuer instead.
    pub holdings: Vec<Holding>,
    /// Minimum capital ratio `r*` in (0, 1]: the node must keep
    /// `equity ≥ r* × value of its marketable holdings`, and sells holdings
    /// when it does not (Cifuentes, Shin & Ferrucci 2005). `None`: never
    /// sells.
    pub capital_ratio: Option<Ratio>,
    /// The assets (indices into [`Network::assets`], each held by the node,
    /// no repeats) it sells first, in this order, when its capital ratio
    /// makes it sell: each until exhausted, then the next; the assets not
    /// listed are sold pro rata after them. Empty: all pro rata.
    pub sell_order: Vec<usize>,
    /// A venue node: backed by a levamp scenario whose loss at the current
    /// prices is deducted from its external assets ([`crate::cascade_with`]).
    pub venue: Option<VenueLink>,
}

/// How a venue node reaches its scenario: the scenario file, the network
/// asset whose price its exogenous price follows, and the scale of its
/// losses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VenueLink {
    /// The scenario file as written (`venue = "…"`), relative to the
    /// network file.
    pub scenario: String,
    /// The network asset (index into [`Network::assets`]) whose relative
    /// price change the scenario's exogenous price makes (`venue_follows`).
    pub follows: usize,
    /// Network units per unit of the scenario's quote (`venue_scale`,
    /// default 1): a loss of `L` in the scenario is `⌈L × scale⌉` here.
    pub scale: Ratio,
    /// The line of the `venue` key (for errors about the scenario).
    pub line: usize,
}

/// What a holding is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    /// A marketable asset (index into [`Network::assets`]).
    Asset(usize),
    /// An equity token (index into [`Network::tokens`]).
    Token(usize),
}

/// `units` of an asset or token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holding {
    /// What is held.
    pub of: Held,
    /// How many units (> 0).
    pub units: Base,
}

/// How an asset's price answers the aggregate units sold `Q` (the
/// parameters of `levamp_market`'s `Linear` and `Sqrt` models).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impact {
    /// `p(Q) = p₀ − λ·Q` (the drop rounded up), at least one tick.
    Linear {
        /// Price drop per unit sold.
        lambda: Price,
    },
    /// `p(Q) = p₀ · (1 − y·σ·√(Q / V))` (rounded down), at least one tick.
    Sqrt {
        /// The square-root law's constant `y`.
        y: Ratio,
        /// Daily volatility `σ`.
        daily_sigma: Ratio,
        /// Daily volume `V` in units.
        daily_volume: Base,
    },
}

/// A marketable asset held by nodes and sold in fire sales.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    /// Unique id among assets and tokens.
    pub id: String,
    /// Price per unit before the shock (> 0).
    pub price: Price,
    /// Relative change of the price (≥ −1; 0 = not shocked).
    pub shock: Ratio,
    /// How the price falls with the units sold.
    pub impact: Impact,
}

impl Asset {
    /// The price after the shock, `⌊p · (1 + s)⌋` (at least one tick).
    pub fn shocked_price(&self) -> Result<Price, MathError> {
        let factor = Ratio::ONE.checked_add(self.shock)?;
        Ok(self.price.mul_ratio(factor, Round::Floor)?.max(Price::TICK))
    }
}

/// What a token is a claim on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A share of the issuer's net assets: a unit is worth
    /// `max(equity, 0) ÷ supply`.
    Equity,
    /// A unit of the issuer's debt with face value `face` (a stablecoin):
    /// worth `recovery_rate × face`. Holdings become obligations of the
    /// issuer to the holder; the supply not held in the network is an
    /// external liability of the issuer.
    Debt {
        /// Face value of one unit.
        face: Price,
    },
}

/// A token issued by a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Unique id among assets and tokens.
    pub id: String,
    /// The issuing node.
    pub issuer: usize,
    /// Equity or debt.
    pub kind: TokenKind,
    /// Units outstanding (> 0), held in the network or outside it.
    pub supply: Base,
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
    /// The obligations, in file order (debt-token holdings included).
    pub obligations: Vec<Obligation>,
    /// Marketable assets, in file order.
    pub assets: Vec<Asset>,
    /// Tokens issued by nodes, in file order.
    pub tokens: Vec<Token>,
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
