//! The resolved account model the margin math runs on: markets with tiered
//! maintenance margin, assets with collateral and lending parameters,
//! accounts with collateral, borrows and perp positions. Names are resolved
//! to dense indices (`PriceId`, `AssetId`, `MarketId`) before any math runs,
//! so the hot loop never hashes a string.

use levamp_core::{Base, MathError, Price, Quote, Ratio, Ray, Round};

/// Index into the price table (one price per price key, e.g. `"ETH"`).
pub type PriceId = u32;
/// Index into [`MarginContext::assets`].
pub type AssetId = u32;
/// Index into [`MarginContext::markets`].
pub type MarketId = u32;
/// Index into [`MarginContext::emode_categories`].
pub type EmodeId = u32;

/// One notional bracket of a market's margin table (Binance "leverage
/// bracket", Hyperliquid "margin tier").
///
/// A position whose notional `N` satisfies `previous cap ≤ N < max_notional`
/// (Binance `notionalFloor ≤ N < notionalCap`; a notional exactly on a
/// boundary is in the higher tier, as in freqtrade's lookup) has maintenance margin
/// `N × maintenance_margin_rate − maintenance_amount` (Binance:
/// "Maintenance Margin = Notional × MMR − Maintenance Amount").
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tier {
    /// Upper notional bound (exclusive); `None` for the open-ended last tier.
    pub max_notional: Option<Quote>,
    /// Maintenance margin rate (MMR), `0 < rate < 1`.
    pub maintenance_margin_rate: Ratio,
    /// Amount subtracted so the requirement is continuous across tiers
    /// (Binance `cum`, Hyperliquid "maintenance deduction").
    pub maintenance_amount: Quote,
    /// Largest leverage allowed in this tier; initial margin ≥ notional ÷ this.
    pub max_leverage: Ratio,
}

/// A perpetual market: its mark is the price of `price` (the base asset).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Market {
    pub name: String,
    /// Price key of the base asset; the mark price of this market.
    pub price: PriceId,
    /// Ascending by `max_notional`, at least one.
    pub tiers: Vec<Tier>,
    /// Fee charged on liquidation (goes to the insurance fund / liquidator);
    /// not part of the liquidation trigger.
    pub liquidation_fee_rate: Ratio,
    /// Seconds between funding payments (Binance 8 h, Hyperliquid 1 h).
    pub funding_interval_s: i64,
}

/// Default funding interval: 8 hours.
pub const DEFAULT_FUNDING_INTERVAL_S: i64 = 8 * 3600;

impl Market {
    /// The tier a position of notional `notional` falls in: the first whose
    /// cap is > `notional`; the last tier if the notional reaches every cap.
    #[inline]
    pub fn tier(&self, notional: Quote) -> &Tier {
        let i = self
            .tiers
            .iter()
            .position(|t| t.max_notional.is_none_or(|cap| notional < cap))
            .unwrap_or(self.tiers.len() - 1);
        &self.tiers[i]
    }

    /// Whether the maintenance requirement is continuous across the tier
    /// caps: `cap × rate − amount` the same on both sides of each cap,
    /// exactly (Binance's `cum` and Hyperliquid's deduction are chosen so).
    /// Where it jumps, a scope's excess is not monotone in the price near
    /// the cap — a position can be liquidatable at a price and safe at a
    /// worse one — so the liquidation index checks such a market's
    /// positions on every update instead of by trigger.
    pub fn tiers_continuous(&self) -> bool {
        self.tiers.windows(2).all(|w| {
            let Some(cap) = w[0].max_notional else {
                return true;
            };
            // cap × r₀ − a₀ = cap × r₁ − a₁  ⇔  cap × (r₁ − r₀) = (a₁ − a₀) × 10¹²
            // (at 24 decimals; one product a side).
            let rates = w[1]
                .maintenance_margin_rate
                .raw()
                .checked_sub(w[0].maintenance_margin_rate.raw());
            let amounts = w[1]
                .maintenance_amount
                .raw()
                .checked_sub(w[0].maintenance_amount.raw());
            // A difference that overflows is no continuity worth a trigger.
            let (Some(rates), Some(amounts)) = (rates, amounts) else {
                return false;
            };
            if rates == 0 || amounts == 0 {
                return rates == 0 && amounts == 0;
            }
            let lhs = product(cap.raw(), rates);
            lhs.is_some() && lhs == product(amounts, levamp_core::SCALE)
        })
    }
}

/// `a × b`, `None` on overflow; without the overflow-checking routine when
/// the operands' bit lengths leave room (the common case: the tier check
/// runs on every re-index).
fn product(a: i128, b: i128) -> Option<i128> {
    let bits = a.unsigned_abs().leading_zeros() + b.unsigned_abs().leading_zeros();
    match bits >= 130 {
        // |a × b| < 2^126: no overflow (`wrapping_mul` skips the check).
        true => Some(a.wrapping_mul(b)),
        false => a.checked_mul(b),
    }
}

/// An asset that can be held as collateral or borrowed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Asset {
    pub name: String,
    pub price: PriceId,
    /// Perp-margin haircut: collateral counts at `value × (1 − haircut)`.
    pub haircut: Ratio,
    /// Aave loan-to-value: borrowing power per unit of collateral value.
    pub ltv: Ratio,
    /// Aave liquidation threshold: weight in the health factor.
    pub liquidation_threshold: Ratio,
    /// Aave liquidation bonus above 100 % (0.05 = the liquidator gets 105 %).
    pub liquidation_bonus: Ratio,
    /// Share of the bonus that goes to the protocol.
    pub liquidation_protocol_fee: Ratio,
    /// Lending-pool parameters; `None`: the asset cannot be supplied or borrowed.
    pub pool: Option<PoolParams>,
    /// The e-mode category the asset belongs to, if any (Aave v3.0/3.1: one
    /// category per reserve, `ReserveConfiguration.getEModeCategory`).
    #[serde(default)]
    pub emode: Option<EmodeId>,
}

/// An Aave v3 efficiency-mode category (v3.0/3.1 semantics): an account
/// that entered it values the collateral and debt of the category's assets
/// with the category's LTV, liquidation threshold and liquidation bonus
/// instead of each reserve's own (aave-v3-core `GenericLogic.
/// calculateUserAccountData`, `LiquidationLogic.executeLiquidationCall`),
/// and may borrow only the category's assets (`ValidationLogic.validateBorrow`,
/// `INCONSISTENT_EMODE_CATEGORY`). Membership is [`Asset::emode`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EmodeCategory {
    pub name: String,
    pub ltv: Ratio,
    pub liquidation_threshold: Ratio,
    /// Above 100 % (0.01 = the liquidator gets 101 %).
    pub liquidation_bonus: Ratio,
}

/// Parameters of an asset's lending pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PoolParams {
    pub rate_model: RateModel,
    /// Share of borrow interest kept by the protocol (Aave reserve factor).
    pub reserve_factor: Ratio,
}

/// Kinked (two-slope) interest-rate model, annual rates (Aave v3
/// `DefaultReserveInterestRateStrategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RateModel {
    pub optimal_utilization: Ratio,
    pub base: Ratio,
    pub slope1: Ratio,
    pub slope2: Ratio,
}

/// How a position is margined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginMode {
    /// Backed by the account's shared (cross) equity.
    Cross,
    /// Backed only by its own `isolated_margin`.
    Isolated,
}

/// A perpetual position. `size > 0` is long, `< 0` short, in base units.
///
/// The entry is held as an exact cost basis, `cost = Σ size × fill price`
/// over the fills that opened it (signed like `size`), not as a rounded
/// average price: unrealized PnL is `size × mark − cost`, and because every
/// fill moves the same rounded value between its two sides, the sum of all
/// accounts' cash stays exact (docs/mechanisms.md).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub market: MarketId,
    pub size: Base,
    /// Signed cost basis in quote.
    pub cost: Quote,
    pub mode: MarginMode,
    /// Quote margin assigned to an isolated position (zero for cross).
    pub isolated_margin: Quote,
    /// Chosen leverage; `None` means the tier's maximum.
    pub leverage: Option<Ratio>,
}

impl Position {
    /// Average entry price `cost ÷ size`, rounded down (for display and
    /// output; the math uses `cost`).
    pub fn entry_price(&self) -> Result<Price, MathError> {
        self.cost.per_unit(self.size, Round::Floor)
    }
}

/// An amount of an asset held or owed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holding {
    pub asset: AssetId,
    pub amount: Base,
}

/// One account: cross collateral wallet, lending supply and borrows, perp
/// positions.
///
/// `supplied` and `borrows` are Aave-style *scaled* balances when the
/// context carries pool indices (actual = scaled × index), and actual
/// amounts when it does not (snapshots).
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub id: String,
    /// Wallet balances (perp collateral; lending collateral too).
    pub collateral: Vec<Holding>,
    /// Supplied to a lending pool: collateral that earns interest.
    pub supplied: Vec<Holding>,
    pub borrows: Vec<Holding>,
    pub positions: Vec<Position>,
    /// The e-mode category the account entered, if any.
    #[serde(default)]
    pub emode: Option<EmodeId>,
}

impl Clone for Account {
    fn clone(&self) -> Account {
        Account {
            id: self.id.clone(),
            collateral: self.collateral.clone(),
            supplied: self.supplied.clone(),
            borrows: self.borrows.clone(),
            positions: self.positions.clone(),
            emode: self.emode,
        }
    }

    /// Field by field, reusing this account's buffers (a checkpoint restore
    /// copies accounts back without allocating).
    fn clone_from(&mut self, source: &Account) {
        self.id.clone_from(&source.id);
        self.collateral.clone_from(&source.collateral);
        self.supplied.clone_from(&source.supplied);
        self.borrows.clone_from(&source.borrows);
        self.positions.clone_from(&source.positions);
        self.emode = source.emode;
    }
}

/// A lending pool's indices: actual = scaled × index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PoolIndex {
    pub liquidity_index: Ray,
    pub borrow_index: Ray,
}

/// Everything the margin math reads besides the account.
#[derive(Clone, Copy, Debug)]
pub struct MarginContext<'a> {
    pub markets: &'a [Market],
    pub assets: &'a [Asset],
    pub prices: &'a [Price],
    /// Pool indices by `AssetId`; empty when balances are actual amounts.
    pub indices: &'a [PoolIndex],
    /// What counts as lending collateral in the health factor.
    pub lending_collateral: LendingCollateral,
    /// E-mode categories by [`EmodeId`]; empty when the venue has none.
    pub emode_categories: &'a [EmodeCategory],
    /// Drift's size premium factor (IMF) on every market's rates
    /// ([`crate::size_premium`]); zero: none.
    pub size_premium: Ratio,
}

/// The lending weights of one asset for one account: the reserve's own, or
/// its e-mode category's when the account is in that category.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LendingWeights {
    pub ltv: Ratio,
    pub liquidation_threshold: Ratio,
    pub liquidation_bonus: Ratio,
}

/// The weights `asset` has for an account in e-mode `account_emode` (Aave
/// v3.0 `GenericLogic.calculateUserAccountData`: `isInEModeCategory ?
/// eModeLtv : ltv`, the same for the threshold; `LiquidationLogic`: the
/// category's bonus when the collateral is in the user's category).
#[inline]
pub fn lending_weights(
    asset: &Asset,
    account_emode: Option<EmodeId>,
    categories: &[EmodeCategory],
) -> LendingWeights {
    match account_emode
        .filter(|c| asset.emode == Some(*c))
        .and_then(|c| categories.get(c as usize))
    {
        Some(c) => LendingWeights {
            ltv: c.ltv,
            liquidation_threshold: c.liquidation_threshold,
            liquidation_bonus: c.liquidation_bonus,
        },
        None => LendingWeights {
            ltv: asset.ltv,
            liquidation_threshold: asset.liquidation_threshold,
            liquidation_bonus: asset.liquidation_bonus,
        },
    }
}

/// What the health factor counts as collateral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LendingCollateral {
    /// Snapshots: the account's `collateral` is what it deposited with the protocol.
    WalletAndSupplied,
    /// A venue: only balances supplied to a pool (Aave aTokens); wallet
    /// balances (e.g. borrowed tokens) are not collateral.
    SuppliedOnly,
}

impl MarginContext<'_> {
    /// The lending weights of `asset` for `account` (see [`lending_weights`]).
    #[inline]
    pub fn weights(&self, asset: &Asset, account: &Account) -> LendingWeights {
        lending_weights(asset, account.emode, self.emode_categories)
    }
    /// Every collateral holding of `account` (wallet, then supplied) with its
    /// asset and actual amount.
    pub fn collateral<'b>(
        &'b self,
        account: &'b Account,
    ) -> impl Iterator<Item = Result<(&'b Asset, Base), MathError>> + 'b {
        let wallet = account
            .collateral
            .iter()
            .map(move |h| Ok((&self.assets[h.asset as usize], h.amount)));
        let supplied = account
            .supplied
            .iter()
            .map(move |h| Ok((&self.assets[h.asset as usize], self.supplied_amount(h)?)));
        wallet.chain(supplied)
    }
    /// The holdings the health factor counts as collateral.
    pub fn lending_collateral<'b>(
        &'b self,
        account: &'b Account,
    ) -> impl Iterator<Item = Result<(&'b Asset, Base), MathError>> + 'b {
        let wallet = match self.lending_collateral {
            LendingCollateral::WalletAndSupplied => &account.collateral[..],
            LendingCollateral::SuppliedOnly => &[],
        };
        let supplied = account
            .supplied
            .iter()
            .map(move |h| Ok((&self.assets[h.asset as usize], self.supplied_amount(h)?)));
        wallet
            .iter()
            .map(move |h| Ok((&self.assets[h.asset as usize], h.amount)))
            .chain(supplied)
    }
    /// Every debt of `account` with its asset and actual amount.
    pub fn debts<'b>(
        &'b self,
        account: &'b Account,
    ) -> impl Iterator<Item = Result<(&'b Asset, Base), MathError>> + 'b {
        account
            .borrows
            .iter()
            .map(move |h| Ok((&self.assets[h.asset as usize], self.debt_amount(h)?)))
    }
    /// Actual supplied amount of a holding (scaled × liquidity index, down).
    #[inline]
    pub fn supplied_amount(&self, h: &Holding) -> Result<Base, MathError> {
        match self.indices.get(h.asset as usize) {
            Some(i) => i.liquidity_index.scale_up(h.amount, Round::Floor),
            None => Ok(h.amount),
        }
    }
    /// Actual debt of a holding (scaled × borrow index, up).
    #[inline]
    pub fn debt_amount(&self, h: &Holding) -> Result<Base, MathError> {
        match self.indices.get(h.asset as usize) {
            Some(i) => i.borrow_index.scale_up(h.amount, Round::Ceil),
            None => Ok(h.amount),
        }
    }
}

/// Prices with at most one key replaced: used to ask "what if this market's
/// mark were `p`, everything else fixed?".
#[derive(Clone, Copy, Debug)]
pub(crate) struct PriceView<'a> {
    pub prices: &'a [Price],
    pub replaced: Option<(PriceId, Price)>,
}

impl PriceView<'_> {
    #[inline]
    pub fn get(&self, id: PriceId) -> Price {
        match self.replaced {
            Some((r, p)) if r == id => p,
            _ => self.prices[id as usize],
        }
    }
}
