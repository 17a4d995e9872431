//! The venue's state and the only primitive mutations on it. Every
//! primitive records the value it replaces, so a command that fails half-way
//! is rolled back and leaves the state exactly as it was (the records, and
//! the commit or roll-back that ends a command: `venue/undo.rs`).

use super::dynamic_margin::{MarginRate, Volatility};
use super::rules::VenueRules;
use crate::model::{
    Account, Asset, AssetId, Holding, MarginContext, Market, MarketId, PoolIndex, Position, PriceId,
};
use levamp_core::{Base, MathError, Price, Quote, Ray};
use std::collections::BTreeMap;

pub(crate) use super::undo::{Appended, Undo};
pub(crate) use super::AccountId;

/// The account that stands for every trader outside the run: the default
/// counterparty of trades, exempt from margin checks.
pub const MARKET_ACCOUNT: AccountId = 0;
/// Its name.
pub const MARKET_ACCOUNT_NAME: &str = "market";

/// A lending pool of one asset (Aave reserve). Balances are scaled by the
/// indices in [`Venue::indices`].
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pool {
    /// Tokens held by the pool (available liquidity).
    pub cash: Base,
    /// Σ scaled supply of accounts.
    pub scaled_supply: Base,
    /// Σ scaled debt of accounts.
    pub scaled_debt: Base,
    /// Scaled supply owed to the protocol treasury (reserve factor share).
    pub treasury_scaled: Base,
    /// Debt written off when a borrower's collateral ran out (Aave v3.3 deficit).
    pub deficit: Base,
    pub borrow_rate: Ray,
    pub supply_rate: Ray,
    pub last_update: i64,
}

/// Per-asset funds the venue holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Funds {
    pub insurance_fund: Base,
    pub fees: Base,
    /// Rounding residual of funding settlements (payers round up, receivers down).
    pub funding_residual: Base,
    /// Loss no one absorbed (insurance empty, no ADL, no socialisation).
    pub bad_debt: Base,
    /// Deposits − withdrawals.
    pub net_deposits: Base,
    /// `backstop = segmented`, quote asset only: each market's own share of
    /// `insurance_fund` (they sum to it; a market not listed holds zero).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub insurance_fund_by_market: BTreeMap<MarketId, Base>,
}

/// The venue: markets, assets, prices, accounts, pools and funds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Venue {
    pub(crate) rules: VenueRules,
    /// Quote asset perps settle in (index into `assets`).
    pub(crate) quote: AssetId,
    pub(crate) markets: Vec<Market>,
    /// Derived from `markets`: whether each one's requirement is continuous
    /// across its tier caps (`Market::tiers_continuous`), read by every
    /// re-index. Refreshed wherever `markets` changes; not serialised.
    #[serde(skip)]
    pub(crate) continuity: super::continuity::Continuity,
    pub(crate) assets: Vec<Asset>,
    pub(crate) price_keys: Vec<String>,
    pub(crate) prices: Vec<Price>,
    /// Timestamp of each price's last oracle update (0: never).
    pub(crate) price_ts: Vec<i64>,
    pub(crate) accounts: Vec<Account>,
    /// By `AssetId`: `None` where the asset has no lending pool.
    pub(crate) pools: Vec<Option<Pool>>,
    /// By `AssetId` (ONE where no pool).
    pub(crate) indices: Vec<PoolIndex>,
    /// By `AssetId`.
    pub(crate) funds: Vec<Funds>,
    /// By `MarketId`: time of the last funding settlement.
    pub(crate) last_funding: Vec<i64>,
    pub(crate) now: i64,
    pub(crate) names: Names,
    /// Volatility estimates by price key (the dynamic-margin rule only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) volatility: BTreeMap<PriceId, Volatility>,
    /// Dynamic margin rates by market (the markets the rule raised).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) margin_rates: BTreeMap<MarketId, MarginRate>,
    #[serde(skip)]
    pub(crate) undo: Vec<Undo>,
    #[serde(skip)]
    pub(crate) index: super::index::LiquidationIndex,
    /// What changed since [`Venue::checkpoint`] (bookkeeping, not state).
    #[serde(skip)]
    pub(crate) journal: super::checkpoint::Journal,
}

/// Read access to the state. The fields are crate-private: outside the
/// engine the state changes only through commands (or a checked replay),
/// so the undo log, the journal and the liquidation index stay in step.
impl Venue {
    pub fn rules(&self) -> &VenueRules {
        &self.rules
    }
    /// Quote asset perps settle in (index into [`Venue::assets`]).
    pub fn quote(&self) -> AssetId {
        self.quote
    }
    pub fn markets(&self) -> &[Market] {
        &self.markets
    }
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }
    /// Price key names, by `PriceId`.
    pub fn price_keys(&self) -> &[String] {
        &self.price_keys
    }
    /// Oracle prices, by `PriceId`.
    pub fn prices(&self) -> &[Price] {
        &self.prices
    }
    /// Timestamp of each price's last oracle update (0: never).
    pub fn price_ts(&self) -> &[i64] {
        &self.price_ts
    }
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }
    /// By `AssetId`: `None` where the asset has no lending pool.
    pub fn pools(&self) -> &[Option<Pool>] {
        &self.pools
    }
    /// Pool indices by `AssetId` (ONE where no pool).
    pub fn indices(&self) -> &[PoolIndex] {
        &self.indices
    }
    /// Funds (insurance fund, fees, funding residual, bad debt) by `AssetId`.
    pub fn funds(&self) -> &[Funds] {
        &self.funds
    }
    /// Time of the last funding settlement, by `MarketId`.
    pub fn last_funding(&self) -> &[i64] {
        &self.last_funding
    }
    /// The venue's clock.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Makes room for `additional` more accounts (a set-up that opens many;
    /// no state changes).
    pub fn reserve_accounts(&mut self, additional: usize) {
        self.accounts.reserve(additional);
    }
}

/// Name → id maps (deterministic order).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Names {
    pub accounts: BTreeMap<String, AccountId>,
    pub markets: BTreeMap<String, MarketId>,
    pub assets: BTreeMap<String, AssetId>,
    pub prices: BTreeMap<String, PriceId>,
}

fn get(list: &[Holding], asset: AssetId) -> Option<Base> {
    list.iter().find(|h| h.asset == asset).map(|h| h.amount)
}

/// Sets (or removes, when `None` or zero) a holding, keeping the list sorted.
pub(super) fn put(list: &mut Vec<Holding>, asset: AssetId, amount: Option<Base>) {
    let at = list.binary_search_by_key(&asset, |h| h.asset);
    match (at, amount.filter(|a| !a.is_zero())) {
        (Ok(i), Some(a)) => list[i].amount = a,
        (Ok(i), None) => {
            list.remove(i);
        }
        (Err(i), Some(a)) => list.insert(i, Holding { asset, amount: a }),
        (Err(_), None) => {}
    }
}

impl Venue {
    /// An empty venue whose perps settle in `quote` (priced 1).
    pub fn new(rules: VenueRules, quote: &str) -> Venue {
        let mut v = Venue {
            rules,
            quote: 0,
            markets: Vec::new(),
            continuity: Default::default(),
            assets: Vec::new(),
            price_keys: Vec::new(),
            prices: Vec::new(),
            price_ts: Vec::new(),
            accounts: Vec::new(),
            pools: Vec::new(),
            indices: Vec::new(),
            funds: Vec::new(),
            last_funding: Vec::new(),
            now: 0,
            names: Names::default(),
            volatility: BTreeMap::new(),
            margin_rates: BTreeMap::new(),
            undo: Vec::new(),
            index: Default::default(),
            journal: Default::default(),
        };
        let key = v.push_price_key(quote);
        v.prices[key as usize] = Price::ONE;
        v.quote = v.push_asset(Asset {
            name: quote.to_string(),
            price: key,
            haircut: levamp_core::Ratio::ZERO,
            ltv: levamp_core::Ratio::ZERO,
            liquidation_threshold: levamp_core::Ratio::ZERO,
            liquidation_bonus: levamp_core::Ratio::ZERO,
            liquidation_protocol_fee: levamp_core::Ratio::ZERO,
            emode: None,
            pool: None,
        });
        v.push_account(MARKET_ACCOUNT_NAME);
        v.undo.clear();
        v
    }

    /// The margin math's view of the venue.
    pub fn context(&self) -> MarginContext<'_> {
        MarginContext {
            markets: &self.markets,
            assets: &self.assets,
            prices: &self.prices,
            indices: &self.indices,
            lending_collateral: crate::model::LendingCollateral::SuppliedOnly,
            // No venue command lists e-mode categories yet: reserve weights.
            emode_categories: &[],
            size_premium: self.rules.imf_factor,
        }
    }

    pub fn account_id(&self, name: &str) -> Option<AccountId> {
        self.names.accounts.get(name).copied()
    }
    pub fn market_id(&self, name: &str) -> Option<MarketId> {
        self.names.markets.get(name).copied()
    }
    pub fn asset_id(&self, name: &str) -> Option<AssetId> {
        self.names.assets.get(name).copied()
    }
    pub fn price_id(&self, key: &str) -> Option<PriceId> {
        self.names.prices.get(key).copied()
    }
    /// Known names, for "did you mean" messages.
    pub fn account_names(&self) -> impl Iterator<Item = &str> {
        self.names.accounts.keys().map(String::as_str)
    }
    pub fn market_names(&self) -> impl Iterator<Item = &str> {
        self.names.markets.keys().map(String::as_str)
    }
    pub fn asset_names(&self) -> impl Iterator<Item = &str> {
        self.names.assets.keys().map(String::as_str)
    }

    /// Wallet balance of an asset.
    pub fn wallet(&self, account: AccountId, asset: AssetId) -> Base {
        get(&self.accounts[account as usize].collateral, asset).unwrap_or(Base::ZERO)
    }
    /// Scaled supplied balance.
    pub fn supplied_scaled(&self, account: AccountId, asset: AssetId) -> Base {
        get(&self.accounts[account as usize].supplied, asset).unwrap_or(Base::ZERO)
    }
    /// Scaled debt.
    pub fn debt_scaled(&self, account: AccountId, asset: AssetId) -> Base {
        get(&self.accounts[account as usize].borrows, asset).unwrap_or(Base::ZERO)
    }
    /// The account's position in a market, if any.
    pub fn position(&self, account: AccountId, market: MarketId) -> Option<&Position> {
        self.accounts[account as usize]
            .positions
            .iter()
            .find(|p| p.market == market)
    }

    // ---- primitives (each records its undo) ----

    pub(crate) fn set_wallet(&mut self, account: AccountId, asset: AssetId, amount: Base) {
        let list = &mut self.accounts[account as usize].collateral;
        self.undo
            .push(Undo::Wallet(account, asset, get(list, asset)));
        put(list, asset, Some(amount));
    }
    pub(crate) fn add_wallet(
        &mut self,
        account: AccountId,
        asset: AssetId,
        delta: Base,
    ) -> Result<(), MathError> {
        // Nothing moves: no undo record, and the account is not touched.
        if delta.is_zero() {
            return Ok(());
        }
        let v = self.wallet(account, asset).checked_add(delta)?;
        self.set_wallet(account, asset, v);
        Ok(())
    }
    pub(crate) fn add_quote(&mut self, account: AccountId, delta: Quote) -> Result<(), MathError> {
        self.add_wallet(account, self.quote, Base::from_raw(delta.raw()))
    }
    pub(crate) fn set_supplied(&mut self, account: AccountId, asset: AssetId, scaled: Base) {
        let list = &mut self.accounts[account as usize].supplied;
        self.undo
            .push(Undo::Supplied(account, asset, get(list, asset)));
        put(list, asset, Some(scaled));
    }
    pub(crate) fn set_debt(&mut self, account: AccountId, asset: AssetId, scaled: Base) {
        let list = &mut self.accounts[account as usize].borrows;
        self.undo.push(Undo::Debt(account, asset, get(list, asset)));
        put(list, asset, Some(scaled));
    }
    /// Sets (or removes, when size is zero) a position.
    pub(crate) fn set_position(
        &mut self,
        account: AccountId,
        market: MarketId,
        position: Option<Position>,
    ) {
        let list = &mut self.accounts[account as usize].positions;
        let at = list.iter().position(|p| p.market == market);
        self.undo
            .push(Undo::Position(account, market, at.map(|i| list[i].clone())));
        // A closed isolated position stays until its margin is returned.
        match (
            at,
            position.filter(|p| !p.size.is_zero() || !p.isolated_margin.is_zero()),
        ) {
            (Some(i), Some(p)) => list[i] = p,
            (Some(i), None) => {
                list.remove(i);
            }
            (None, Some(p)) => list.push(p),
            (None, None) => {}
        }
    }
    /// Runs `f` on the state with `account`'s position in `market` set to
    /// `position` and its quote wallet set to `wallet`, then puts both back
    /// exactly as they were, with no undo record: a check of what a fill
    /// would leave, before it is applied (see `Venue::precheck_fill`).
    pub(crate) fn with_tentative<R>(
        &mut self,
        account: AccountId,
        position: Position,
        wallet: Base,
        f: impl FnOnce(&Venue) -> R,
    ) -> R {
        let quote = self.quote;
        let acc = &mut self.accounts[account as usize];
        let old_wallet = get(&acc.collateral, quote);
        put(&mut acc.collateral, quote, Some(wallet));
        let at = acc
            .positions
            .iter()
            .position(|p| p.market == position.market);
        let old_position = match at {
            Some(i) => Some(std::mem::replace(&mut acc.positions[i], position)),
            None => {
                acc.positions.push(position);
                None
            }
        };
        let result = f(self);
        let acc = &mut self.accounts[account as usize];
        match (at, old_position) {
            (Some(i), Some(p)) => acc.positions[i] = p,
            _ => {
                acc.positions.pop();
            }
        }
        put(&mut acc.collateral, quote, old_wallet);
        result
    }

    /// Adds `delta` to one of an asset's funds (picked by `field`).
    pub(crate) fn add_fund(
        &mut self,
        asset: AssetId,
        field: fn(&mut Funds) -> &mut Base,
        delta: Base,
    ) -> Result<(), MathError> {
        if delta.is_zero() {
            return Ok(());
        }
        let mut funds = self.funds[asset as usize].clone();
        let slot = field(&mut funds);
        *slot = slot.checked_add(delta)?;
        self.undo.push(Undo::Funds(
            asset,
            std::mem::replace(&mut self.funds[asset as usize], funds),
        ));
        Ok(())
    }
    pub(crate) fn set_pool(&mut self, asset: AssetId, pool: Pool, index: PoolIndex) {
        let old = self.pools[asset as usize].replace(pool);
        let old_index = std::mem::replace(&mut self.indices[asset as usize], index);
        self.undo
            .push(Undo::Pool(asset, Box::new((old, old_index))));
    }
    pub(crate) fn set_price(&mut self, key: PriceId, price: Price, ts: i64) {
        self.undo.push(Undo::Price(
            key,
            self.prices[key as usize],
            self.price_ts[key as usize],
        ));
        self.prices[key as usize] = price;
        self.price_ts[key as usize] = ts;
    }
    /// Replaces a listed market's parameters (a re-listing).
    pub(crate) fn set_market(&mut self, market: MarketId, spec: Market) {
        self.names.markets.insert(spec.name.clone(), market);
        let old = std::mem::replace(&mut self.markets[market as usize], spec);
        if old.name != self.markets[market as usize].name {
            self.names.markets.remove(&old.name);
        }
        self.undo.push(Undo::Market(market, Box::new(old)));
        self.refresh_continuity();
    }
    pub(crate) fn set_last_funding(&mut self, market: MarketId, ts: i64) {
        self.undo
            .push(Undo::Funding(market, self.last_funding[market as usize]));
        self.last_funding[market as usize] = ts;
    }
    pub(crate) fn set_volatility(&mut self, key: PriceId, v: Option<Volatility>) {
        let old = match v {
            Some(v) => self.volatility.insert(key, v),
            None => self.volatility.remove(&key),
        };
        self.undo.push(Undo::Volatility(key, old));
    }
    pub(crate) fn set_margin_rate(&mut self, market: MarketId, r: Option<MarginRate>) {
        let old = match r {
            Some(r) => self.margin_rates.insert(market, r),
            None => self.margin_rates.remove(&market),
        };
        self.undo.push(Undo::MarginRate(market, old.map(Box::new)));
    }
    pub(crate) fn set_rules(&mut self, rules: VenueRules) {
        self.undo.push(Undo::Rules(Box::new(std::mem::replace(
            &mut self.rules,
            rules,
        ))));
    }
    /// An asset's name, for messages.
    pub fn asset_name(&self, asset: AssetId) -> String {
        self.assets
            .get(asset as usize)
            .map_or_else(|| format!("#{asset}"), |a| a.name.clone())
    }
    /// An account's name, for messages.
    pub fn account_name(&self, account: AccountId) -> String {
        self.accounts
            .get(account as usize)
            .map_or_else(|| format!("#{account}"), |a| a.id.clone())
    }
    pub(crate) fn set_now(&mut self, ts: i64) {
        self.undo.push(Undo::Now(self.now));
        self.now = ts;
    }
    pub(crate) fn push_account(&mut self, name: &str) -> AccountId {
        let id = self.accounts.len() as AccountId;
        self.accounts.push(Account {
            id: name.to_string(),
            ..Account::default()
        });
        self.names.accounts.insert(name.to_string(), id);
        self.undo.push(Undo::Appended(Appended::Account));
        id
    }
    pub(crate) fn push_price_key(&mut self, key: &str) -> PriceId {
        if let Some(id) = self.price_id(key) {
            return id;
        }
        let id = self.prices.len() as PriceId;
        self.price_keys.push(key.to_string());
        self.prices.push(Price::ZERO);
        self.price_ts.push(0);
        self.names.prices.insert(key.to_string(), id);
        self.undo.push(Undo::Appended(Appended::Price));
        id
    }
    pub(crate) fn push_market(&mut self, market: Market) -> MarketId {
        let id = self.markets.len() as MarketId;
        self.names.markets.insert(market.name.clone(), id);
        self.markets.push(market);
        self.last_funding.push(self.now);
        self.undo.push(Undo::Appended(Appended::Market));
        self.refresh_continuity();
        id
    }
    pub(crate) fn push_asset(&mut self, asset: Asset) -> AssetId {
        let id = self.assets.len() as AssetId;
        self.names.assets.insert(asset.name.clone(), id);
        self.pools.push(asset.pool.map(|_| Pool {
            last_update: self.now,
            ..Pool::default()
        }));
        self.assets.push(asset);
        self.indices.push(PoolIndex {
            liquidity_index: Ray::ONE,
            borrow_index: Ray::ONE,
        });
        self.funds.push(Funds::default());
        self.undo.push(Undo::Appended(Appended::Asset));
        id
    }
}
