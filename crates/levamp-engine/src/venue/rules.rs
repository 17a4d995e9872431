//! Which mechanism a venue uses, as data. Presets (Binance, Hyperliquid,
//! dYdX v4, Drift v2, Aave v3, Compound III) fill these in; see
//! docs/mechanisms.md for the table and sources.

pub use super::dynamic_margin::DynamicMargin;
use levamp_core::{Quote, Ratio};

/// How a venue treats a liquidatable perp account.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LiquidationRules {
    /// Liquidate automatically on every oracle update (the venue's own
    /// engine/backstop); when false only `liquidate` commands do.
    pub auto: bool,
    /// `None`: close the whole scope. `Some(buffer)`: close the smallest
    /// fraction that brings equity back to `maintenance × (1 + buffer)`.
    pub partial_buffer: Option<Ratio>,
    /// Share of the liquidation penalty paid to the liquidator; the rest goes
    /// to the insurance fund. With no external liquidator all of it does.
    pub liquidator_share: Ratio,
    /// Hyperliquid's backstop: a scope whose equity is below this share of
    /// its maintenance margin (⅔) is taken over whole — its positions close
    /// at the mark and all the equity left (≥ 0) goes to the backstop (the
    /// liquidator, or the insurance fund for the venue's own backstop), so
    /// the trader keeps nothing. `None`: no such rule.
    #[serde(default)]
    pub backstop_below: Option<Ratio>,
    /// Hyperliquid's stepwise liquidation of large positions; `None`: none.
    #[serde(default)]
    pub step: Option<LiquidationStep>,
}

/// A position whose notional at the mark exceeds `min_notional` is closed
/// `share` at a time (Hyperliquid: 20 % above 100k USDC); smaller ones close
/// whole. Applies when neither the backstop nor ADL takes the scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LiquidationStep {
    pub share: Ratio,
    pub min_notional: Quote,
}

/// The bad-debt chain after the insurance fund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterInsurance {
    /// Auto-deleverage the most profitable, most leveraged opposite positions
    /// at the bankruptcy price (BitMEX / Binance / Hyperliquid / Bybit).
    AutoDeleverage,
    /// Spread the loss over accounts with positive quote balances, pro rata
    /// (dYdX v3 style socialised loss).
    Socialize,
    /// Record it as the venue's bad debt.
    Record,
}

/// How auto-deleveraging shares a bankrupt position among opposite ones
/// (used when `after_insurance = AutoDeleverage`). See docs/mechanisms.md.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdlPolicy {
    /// Greedy queue (BitMEX, Binance, Hyperliquid): best [`super::adl_ranking`]
    /// first, each counterparty closed in full until the size is covered.
    #[default]
    Queue,
    /// Pro-rata by size: every opposite position in profit at the mark closes
    /// the same share `size ÷ Σ sizes` of itself at the bankruptcy price
    /// (all opposite positions if those in profit are too small). Chitra,
    /// "The ADL trilemma" (arXiv 2512.01112), pro-rata haircuts.
    ProRata,
}

/// Which insurance fund backs a perp market's liquidations (see
/// docs/mechanisms.md, "Segmented vs pooled backstops").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backstop {
    /// One fund per settlement asset backs every market (Binance's insurance
    /// fund, Hyperliquid's HLP, Aave's core pool).
    #[default]
    Pooled,
    /// Each perp market has its own fund: its liquidation penalties go into
    /// it, its deficits draw only on it, and past it the market's own
    /// after-insurance chain runs (isolated perp markets).
    Segmented,
}

impl Backstop {
    fn is_pooled(&self) -> bool {
        *self == Backstop::Pooled
    }
}

impl AdlPolicy {
    fn is_queue(&self) -> bool {
        *self == AdlPolicy::Queue
    }
}

/// Funding formula parameters. `rate` is a fraction of the position's
/// notional per funding interval; the premium is `(mark − index) ÷ index`.
///
/// * `formula = Premium` (Binance USDⓈ-M, Hyperliquid, BitMEX): the 8-hour
///   rate is `premium + clamp(interest − premium, −clamp, +clamp)`, capped at
///   `±cap`, then scaled to the interval (Hyperliquid pays ⅛ every hour).
/// * `formula = Drift`: `clamp(premium, ±cap) × interval ÷ 24 h` (Drift v2
///   `calculate_funding_rate`: `(mark TWAP − oracle TWAP) ÷ 24` per hour,
///   clamped to 3 / 5 / 10 % of the oracle TWAP by contract tier).
/// * `formula = Dydx`: the 8-hour rate is `premium + interest` clamped to
///   `±cap` (dYdX v4: `clamp_factor × (IMF − MMF)`), scaled to the interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FundingRules {
    pub formula: FundingFormula,
    /// Interest component per 8 hours (Binance 0.01 %; dYdX "default funding").
    pub interest_rate: Ratio,
    /// Clamp on `interest − premium` (Binance 0.05 %); unused by Drift and dYdX.
    pub clamp: Ratio,
    /// Absolute cap (per 8 h for Premium and Dydx; on the premium for Drift).
    pub cap: Ratio,
}

/// Which funding formula a venue uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundingFormula {
    Premium,
    Drift,
    Dydx,
}

/// Aave v3.3 `liquidationCall` constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LendingLiquidationRules {
    /// 0.5: share of the total debt one call may repay when the position is healthy enough.
    pub close_factor: Ratio,
    /// 0.95: at or below this health factor, 100 % may be repaid.
    pub full_close_hf: Ratio,
    /// 2,000 (quote): a reserve's collateral or debt below this ⇒ 100 % may be repaid.
    pub min_base_max_close_factor: Quote,
    /// 1,000 (quote): a partial liquidation may not leave less debt or collateral than this.
    pub min_leftover: Quote,
}

/// Every mechanism choice of a venue.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VenueRules {
    pub name: String,
    pub liquidation: LiquidationRules,
    pub after_insurance: AfterInsurance,
    /// Who auto-deleveraging closes against; the queue unless set.
    #[serde(default, skip_serializing_if = "AdlPolicy::is_queue")]
    pub adl: AdlPolicy,
    /// `false` (the default, BitMEX/Binance order): a deficit larger than the
    /// insurance fund is auto-deleveraged whole and the fund is untouched.
    /// `true`: the fund pays all it has first and only the rest is
    /// auto-deleveraged (the bankruptcy price moves toward the mark).
    #[serde(default, skip_serializing_if = "is_false")]
    pub adl_insurance_first: bool,
    pub funding: FundingRules,
    pub lending: LendingLiquidationRules,
    /// Oracle prices older than this (seconds) pause liquidations; `None`: never stale.
    pub oracle_max_age_s: Option<i64>,
    /// Volatility-sensitive margin; `None`: the tiers as listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_margin: Option<DynamicMargin>,
    /// Drift's IMF size premium on every market's maintenance and initial
    /// rate, `max(rate, 0.8·rate + imf·√|size|)` ([`crate::size_premium`]);
    /// zero: none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub imf_factor: Ratio,
    /// Pooled (the default) or per-market insurance funds.
    #[serde(default, skip_serializing_if = "Backstop::is_pooled")]
    pub backstop: Backstop,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(r: &Ratio) -> bool {
    r.is_zero()
}

fn ratio(s: &str) -> Ratio {
    s.parse().unwrap_or(Ratio::ZERO)
}

impl VenueRules {
    /// `generic`: full liquidation at market by the venue itself, no
    /// penalty unless a market sets one, losses recorded as bad debt.
    pub fn generic() -> VenueRules {
        VenueRules {
            name: "generic".into(),
            liquidation: LiquidationRules {
                auto: true,
                partial_buffer: None,
                liquidator_share: Ratio::ZERO,
                backstop_below: None,
                step: None,
            },
            after_insurance: AfterInsurance::Record,
            adl: AdlPolicy::Queue,
            adl_insurance_first: false,
            funding: FundingRules {
                formula: FundingFormula::Premium,
                interest_rate: Ratio::ZERO,
                clamp: Ratio::ZERO,
                cap: Ratio::ONE,
            },
            lending: LendingLiquidationRules {
                close_factor: ratio("0.5"),
                full_close_hf: ratio("0.95"),
                min_base_max_close_factor: Quote::from_int(2000),
                min_leftover: Quote::from_int(1000),
            },
            oracle_max_age_s: None,
            dynamic_margin: None,
            imf_factor: Ratio::ZERO,
            backstop: Backstop::Pooled,
        }
    }
}
