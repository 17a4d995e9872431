//! Checks on what comes from outside before it touches the state: each
//! event of a replayed log ([`Venue::check_event`]) and a loaded state
//! ([`Venue::validate`]). [`Venue::apply`] indexes vectors with the ids an
//! event carries and trusts the state's vectors to line up; these checks
//! make a corrupt or hand-edited input an error naming the field, never a
//! panic.

use super::error::VenueError;
use super::event::{Event, Fill};
use super::state::{AccountId, Venue};
use crate::model::{Holding, Market};
use levamp_core::{Ratio, Ray};

fn corrupt<T>(at: impl Into<String>, reason: impl Into<String>) -> Result<T, VenueError> {
    Err(VenueError::Corrupt {
        at: at.into(),
        reason: reason.into(),
    })
}

/// `id < len`, or an error naming the field and how many there are.
fn in_range(at: &str, kind: &str, id: u32, len: usize) -> Result<(), VenueError> {
    match (id as usize) < len {
        true => Ok(()),
        false => corrupt(at, format!("{kind} {id} does not exist ({len} listed)")),
    }
}

/// A new item's id must be the next one: ids are positions.
fn next_id(at: &str, kind: &str, id: u32, len: usize) -> Result<(), VenueError> {
    match id as usize == len {
        true => Ok(()),
        false => corrupt(
            at,
            format!("{kind} {id} out of order: the next {kind} is {len}"),
        ),
    }
}

/// A new item's name must not be taken.
fn new_name(at: &str, kind: &str, taken: bool) -> Result<(), VenueError> {
    match taken {
        true => corrupt(at, format!("{kind} name already taken")),
        false => Ok(()),
    }
}

/// A market's parameters as the math needs them: at least one tier, each
/// with `0 < rate < 1` and leverage ≥ 1, caps ascending with only the last
/// open-ended, and a positive funding interval.
fn check_market(spec: &Market, prices: usize, at: &str) -> Result<(), VenueError> {
    in_range(&format!("{at}.price"), "price key", spec.price, prices)?;
    if spec.tiers.is_empty() {
        return corrupt(format!("{at}.tiers"), "needs at least one tier");
    }
    let mut prev = None;
    for (i, t) in spec.tiers.iter().enumerate() {
        let t_at = format!("{at}.tiers[{i}]");
        if t.maintenance_margin_rate <= Ratio::ZERO || t.maintenance_margin_rate >= Ratio::ONE {
            return corrupt(
                format!("{t_at}.maintenance_margin_rate"),
                "must be > 0 and < 1",
            );
        }
        if t.max_leverage < Ratio::ONE {
            return corrupt(format!("{t_at}.max_leverage"), "must be ≥ 1");
        }
        match (prev, t.max_notional) {
            (Some(None), _) => {
                return corrupt(
                    format!("{at}.tiers[{}].max_notional", i - 1),
                    "only the last tier may be open-ended (null)",
                )
            }
            (Some(Some(p)), Some(cap)) if cap <= p => {
                return corrupt(format!("{t_at}.max_notional"), "tiers must be ascending")
            }
            _ => {}
        }
        prev = Some(t.max_notional);
    }
    if spec.funding_interval_s <= 0 {
        return corrupt(format!("{at}.funding_interval_s"), "must be > 0");
    }
    Ok(())
}

impl Venue {
    fn check_account_id(&self, at: &str, id: AccountId) -> Result<(), VenueError> {
        in_range(at, "account", id, self.accounts.len())
    }
    fn check_asset_id(&self, at: &str, id: u32) -> Result<(), VenueError> {
        in_range(at, "asset", id, self.assets.len())
    }
    fn check_market_id(&self, at: &str, id: u32) -> Result<(), VenueError> {
        in_range(at, "market", id, self.markets.len())
    }
    fn check_market_opt(&self, at: &str, id: Option<u32>) -> Result<(), VenueError> {
        id.map_or(Ok(()), |m| self.check_market_id(at, m))
    }
    fn check_pool(&self, at: &str, asset: u32) -> Result<(), VenueError> {
        self.check_asset_id(at, asset)?;
        match self.pools[asset as usize] {
            Some(_) => Ok(()),
            None => corrupt(at, format!("asset {asset} has no lending pool")),
        }
    }
    /// A timestamp at or before the venue's time and at or after `since`.
    fn check_ts(&self, at: &str, ts: i64, since: i64) -> Result<(), VenueError> {
        if ts < since {
            return corrupt(at, format!("time goes backwards: {ts} is before {since}"));
        }
        if ts > self.now {
            return corrupt(
                at,
                format!(
                    "{ts} is after the venue's time {} (no time_advanced before it)",
                    self.now
                ),
            );
        }
        Ok(())
    }
    fn check_fill(&self, at: &str, fill: &Fill) -> Result<(), VenueError> {
        self.check_account_id(&format!("{at}.account"), fill.account)?;
        match fill.leverage {
            Some(l) if l < Ratio::ONE => corrupt(format!("{at}.leverage"), "must be ≥ 1"),
            _ => Ok(()),
        }
    }

    /// Refuses an event that does not fit the current state: every id it
    /// carries must exist (a new item's id must be the next one), prices and
    /// amounts that must be positive are, tier tables are well formed, and
    /// time never goes backwards. An event that passes can be applied
    /// without a panic (it may still fail on arithmetic overflow).
    pub fn check_event(&self, event: &Event) -> Result<(), VenueError> {
        use Event::*;
        let positive = |at: &str, ok: bool| match ok {
            true => Ok(()),
            false => corrupt(at, "must be > 0"),
        };
        match event {
            VenueOpened { .. } => corrupt("type", "venue_opened must be the first event only"),
            RulesChanged { rules } => match &rules.dynamic_margin {
                Some(d) => d.validate(),
                None => Ok(()),
            },
            Deleveraged {
                market,
                bankrupt,
                counterparty,
                ..
            } => {
                self.check_market_id("market", *market)?;
                self.check_account_id("bankrupt", *bankrupt)?;
                self.check_account_id("counterparty", *counterparty)
            }
            AccountOpened { account, name } => {
                next_id("account", "account", *account, self.accounts.len())?;
                new_name("name", "account", self.account_id(name).is_some())
            }
            AccountsOpened { first, names } => {
                next_id("first", "account", *first, self.accounts.len())?;
                self.sorted_new_names(names)
                    .map(|_| ())
                    .map_err(super::bulk::Refused::corrupt)
            }
            PriceKeyAdded { key, name } => {
                next_id("key", "price key", *key, self.prices.len())?;
                new_name("name", "price key", self.price_id(name).is_some())
            }
            MarketListed { market, spec } => {
                let len = self.markets.len();
                if (*market as usize) < len {
                    if self.markets[*market as usize].name != spec.name {
                        return corrupt(
                            "spec.name",
                            format!("market {market} is listed under another name"),
                        );
                    }
                } else {
                    next_id("market", "market", *market, len)?;
                    let taken = self.market_id(&spec.name).is_some();
                    new_name("spec.name", "market", taken)?;
                }
                check_market(spec, self.prices.len(), "spec")
            }
            AssetListed { asset, spec } => {
                next_id("asset", "asset", *asset, self.assets.len())?;
                in_range("spec.price", "price key", spec.price, self.prices.len())?;
                let taken = self.asset_id(&spec.name).is_some();
                new_name("spec.name", "asset", taken)
            }
            Deposited {
                account,
                asset,
                amount,
            }
            | Withdrawn {
                account,
                asset,
                amount,
            } => {
                self.check_account_id("account", *account)?;
                self.check_asset_id("asset", *asset)?;
                positive("amount", amount.is_positive())
            }
            OracleUpdated { key, price, ts, .. } => {
                in_range("key", "price key", *key, self.prices.len())?;
                positive("price", price.is_positive())?;
                if *key == self.assets[self.quote as usize].price
                    && *price != levamp_core::Price::ONE
                {
                    return corrupt("price", "the quote asset's price is 1");
                }
                self.check_ts("ts", *ts, self.price_ts[*key as usize])
            }
            TimeAdvanced { ts } => match *ts > self.now {
                true => Ok(()),
                false => corrupt(
                    "ts",
                    format!(
                        "time goes backwards: {ts} is not after the venue's time {}",
                        self.now
                    ),
                ),
            },
            TradeFilled {
                market,
                price,
                buyer,
                seller,
                ..
            } => {
                self.check_market_id("market", *market)?;
                positive("price", price.is_positive())?;
                self.check_fill("buyer", buyer)?;
                self.check_fill("seller", seller)
            }
            IsolatedMarginChanged {
                account, market, ..
            }
            | FundingPaid {
                account, market, ..
            } => {
                self.check_account_id("account", *account)?;
                self.check_market_id("market", *market)
            }
            LeverageChanged {
                account,
                market,
                leverage,
            } => {
                self.check_account_id("account", *account)?;
                self.check_market_id("market", *market)?;
                match *leverage >= Ratio::ONE {
                    true => Ok(()),
                    false => corrupt("leverage", "must be ≥ 1"),
                }
            }
            MarginRateChanged {
                market,
                maintenance_rate,
                initial_rate,
                sigma,
                target,
                from,
                ..
            } => {
                self.check_market_id("market", *market)?;
                if self.rules.dynamic_margin.is_none() {
                    return corrupt("type", "margin_rate_changed needs the dynamic_margin rule");
                }
                for (at, r) in [
                    ("maintenance_rate", maintenance_rate),
                    ("target", target),
                    ("from", from),
                ] {
                    if r.is_negative() || *r >= Ratio::ONE {
                        return corrupt(at, "must be ≥ 0 and < 1");
                    }
                }
                match initial_rate.is_negative() || sigma.is_negative() {
                    true => corrupt("initial_rate", "rates must be ≥ 0"),
                    false => Ok(()),
                }
            }
            FundingSettled { market, ts, .. } => {
                self.check_market_id("market", *market)?;
                self.check_ts("ts", *ts, self.last_funding[*market as usize])
            }
            Liquidated {
                account,
                market,
                liquidator,
                ..
            } => {
                self.check_account_id("account", *account)?;
                self.check_market_id("market", *market)?;
                self.check_account_id("liquidator", *liquidator)
            }
            InsuranceFundChanged {
                asset,
                account,
                market,
                fund,
                ..
            } => {
                self.check_asset_id("asset", *asset)?;
                self.check_account_id("account", *account)?;
                self.check_market_opt("market", *market)?;
                self.check_market_opt("fund", *fund)
            }
            BadDebt {
                asset,
                account,
                market,
                ..
            } => {
                self.check_asset_id("asset", *asset)?;
                self.check_account_id("account", *account)?;
                self.check_market_opt("market", *market)
            }
            InsuranceSeeded {
                asset,
                amount,
                fund,
            } => {
                self.check_asset_id("asset", *asset)?;
                self.check_market_opt("fund", *fund)?;
                positive("amount", amount.is_positive())
            }
            SocializedLoss {
                asset,
                account,
                market,
                charges,
                ..
            } => {
                self.check_asset_id("asset", *asset)?;
                self.check_account_id("account", *account)?;
                self.check_market_opt("market", *market)?;
                for (i, (who, _)) in charges.iter().enumerate() {
                    self.check_account_id(&format!("charges[{i}]"), *who)?;
                }
                Ok(())
            }
            RatesUpdated { asset, .. } => self.check_pool("asset", *asset),
            InterestAccrued {
                asset,
                ts,
                liquidity_index,
                borrow_index,
                ..
            } => {
                self.check_pool("asset", *asset)?;
                let since = self.pools[*asset as usize]
                    .as_ref()
                    .map_or(0, |p| p.last_update);
                self.check_ts("ts", *ts, since)?;
                positive("liquidity_index", *liquidity_index > Ray::ZERO)?;
                positive("borrow_index", *borrow_index > Ray::ZERO)
            }
            Supplied { account, asset, .. }
            | SupplyWithdrawn { account, asset, .. }
            | Borrowed { account, asset, .. }
            | Repaid { account, asset, .. }
            | DeficitRecorded { account, asset, .. } => {
                self.check_account_id("account", *account)?;
                self.check_pool("asset", *asset)
            }
            LendingLiquidated {
                liquidator,
                account,
                debt_asset,
                collateral_asset,
                ..
            } => {
                self.check_account_id("liquidator", *liquidator)?;
                self.check_account_id("account", *account)?;
                self.check_pool("debt_asset", *debt_asset)?;
                self.check_pool("collateral_asset", *collateral_asset)
            }
        }
    }

    /// Checks a venue read from outside (a saved state): vectors by id have
    /// one entry per id, every id inside points at something that exists,
    /// names map to their positions, tier tables are well formed, prices
    /// are ≥ 0 and timestamps are not after the venue's time.
    pub fn validate(&self) -> Result<(), VenueError> {
        let (assets, markets, prices) = (self.assets.len(), self.markets.len(), self.prices.len());
        let same_len = |at: &str, len: usize, want: usize, of: &str| match len == want {
            true => Ok(()),
            false => corrupt(
                at,
                format!("has {len} entries, expected {want} (one per {of})"),
            ),
        };
        let keys = self.price_keys.len();
        same_len("prices", prices, keys, "price key")?;
        same_len("price_ts", self.price_ts.len(), keys, "price key")?;
        same_len("pools", self.pools.len(), assets, "asset")?;
        same_len("indices", self.indices.len(), assets, "asset")?;
        same_len("funds", self.funds.len(), assets, "asset")?;
        same_len("last_funding", self.last_funding.len(), markets, "market")?;
        in_range("quote", "asset", self.quote, assets)?;
        if self.accounts.is_empty() {
            return corrupt("accounts", "needs the market account first");
        }
        for (i, p) in self.prices.iter().enumerate() {
            if p.is_negative() {
                return corrupt(format!("prices[{i}]"), "must be ≥ 0");
            }
            if self.price_ts[i] > self.now {
                return corrupt(format!("price_ts[{i}]"), "is after the venue's time");
            }
        }
        for (i, m) in self.markets.iter().enumerate() {
            check_market(m, prices, &format!("markets[{i}]"))?;
            if self.last_funding[i] > self.now {
                return corrupt(format!("last_funding[{i}]"), "is after the venue's time");
            }
        }
        for (i, a) in self.assets.iter().enumerate() {
            let at = format!("assets[{i}]");
            in_range(&format!("{at}.price"), "price key", a.price, prices)?;
            if a.pool.is_some() != self.pools[i].is_some() {
                return corrupt(
                    format!("pools[{i}]"),
                    "a pool exactly where the asset has pool parameters",
                );
            }
            let index = self.indices[i];
            if index.liquidity_index <= Ray::ZERO || index.borrow_index <= Ray::ZERO {
                return corrupt(format!("indices[{i}]"), "indices must be > 0");
            }
        }
        for (i, acc) in self.accounts.iter().enumerate() {
            let at = format!("accounts[{i}]");
            for (list, key) in [
                (&acc.collateral, "collateral"),
                (&acc.supplied, "supplied"),
                (&acc.borrows, "borrows"),
            ] {
                self.check_holdings(list, &format!("{at}.{key}"), key != "collateral")?;
            }
            for (j, p) in acc.positions.iter().enumerate() {
                let p_at = format!("{at}.positions[{j}]");
                in_range(&format!("{p_at}.market"), "market", p.market, markets)?;
                if acc.positions[..j].iter().any(|q| q.market == p.market) {
                    return corrupt(format!("{p_at}.market"), "a second position in this market");
                }
                if p.leverage.is_some_and(|l| l < Ratio::ONE) {
                    return corrupt(format!("{p_at}.leverage"), "must be ≥ 1");
                }
            }
        }
        self.check_names()
    }

    /// Holdings sorted by asset, each asset once, pools where needed.
    fn check_holdings(&self, list: &[Holding], at: &str, pooled: bool) -> Result<(), VenueError> {
        for (k, h) in list.iter().enumerate() {
            let h_at = format!("{at}[{k}].asset");
            match pooled {
                true => self.check_pool(&h_at, h.asset)?,
                false => self.check_asset_id(&h_at, h.asset)?,
            }
            if k > 0 && list[k - 1].asset >= h.asset {
                return corrupt(h_at, "holdings must be sorted by asset, each asset once");
            }
        }
        Ok(())
    }

    /// Each name table maps exactly the listed names to their positions.
    fn check_names(&self) -> Result<(), VenueError> {
        fn check<'a>(
            at: &str,
            map: &std::collections::BTreeMap<String, u32>,
            names: impl ExactSizeIterator<Item = &'a str>,
        ) -> Result<(), VenueError> {
            let len = names.len();
            for (i, name) in names.enumerate() {
                if map.get(name) != Some(&(i as u32)) {
                    return corrupt(at, format!("does not map entry {i}'s name to {i}"));
                }
            }
            match map.len() == len {
                true => Ok(()),
                false => corrupt(at, format!("has {} names for {len} entries", map.len())),
            }
        }
        let n = &self.names;
        check(
            "names.accounts",
            &n.accounts,
            self.accounts.iter().map(|a| a.id.as_str()),
        )?;
        check(
            "names.markets",
            &n.markets,
            self.markets.iter().map(|m| m.name.as_str()),
        )?;
        check(
            "names.assets",
            &n.assets,
            self.assets.iter().map(|a| a.name.as_str()),
        )?;
        check(
            "names.prices",
            &n.prices,
            self.price_keys.iter().map(String::as_str),
        )
    }
}
