//! The undo log: what each primitive mutation replaced, and the end of a
//! command — commit (drop the records, re-index what changed) or roll back
//! (put every record back, newest first).

use super::dynamic_margin::{MarginRate, Volatility};
use super::rules::VenueRules;
use super::state::{put, AccountId, Funds, Pool, Venue, MARKET_ACCOUNT};
use crate::model::{AssetId, Holding, Market, MarketId, PoolIndex, Position, PriceId};
use levamp_core::{Base, Price};

/// The previous value of one primitive, to roll a failed command back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Undo {
    Wallet(AccountId, AssetId, Option<Base>),
    Supplied(AccountId, AssetId, Option<Base>),
    Debt(AccountId, AssetId, Option<Base>),
    Position(AccountId, MarketId, Option<Position>),
    Funds(AssetId, Funds),
    /// Boxed: pools change rarely, and the largest variant sets every
    /// record's size (the perp path's records stay small to copy).
    Pool(AssetId, Box<(Option<Pool>, PoolIndex)>),
    Price(PriceId, Price, i64),
    Funding(MarketId, i64),
    /// A market's parameters before a re-listing.
    Market(MarketId, Box<Market>),
    Now(i64),
    Rules(Box<VenueRules>),
    /// A price key's volatility estimate (`None`: none yet).
    Volatility(PriceId, Option<Volatility>),
    /// A market's dynamic margin rate (`None`: none yet).
    MarginRate(MarketId, Option<Box<MarginRate>>),
    /// Something was appended (account, market, asset, price key): pop it.
    Appended(Appended),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Appended {
    Account,
    /// Accounts opened as one command (`OpenAccounts`): pop that many.
    Accounts(u32),
    Market,
    Asset,
    Price,
}

impl Venue {
    /// Ends a command that succeeded: drops its undo records (after the
    /// checkpoint journal noted the accounts they changed) and re-indexes every account it changed or
    /// checked.
    pub(crate) fn commit(&mut self) {
        self.index.adl = None;
        // Only the clock and prices moved and no trigger was crossed (a
        // calm oracle update): nothing to re-index, and a checkpoint copies
        // prices and clock back whole — the undo records just go.
        if self.index.pending.is_empty()
            && self
                .undo
                .iter()
                .all(|u| matches!(u, Undo::Price(..) | Undo::Now(..)))
        {
            self.index.commit_marks();
            self.undo.clear();
            return;
        }
        // The accounts to re-index, each once (marked in a dense by-account
        // list: no set, no sort of duplicates), then in id order.
        let mut touched = std::mem::take(&mut self.index.pending);
        let mut listed = std::mem::take(&mut self.index.listed);
        if listed.len() < self.accounts.len() {
            listed.resize(self.accounts.len(), false);
        }
        touched.retain(|&a| !std::mem::replace(&mut listed[a as usize], true));
        // Accounts an oracle update crossed are re-indexed from scratch: the
        // index marked their items scanned (see `venue/index.rs`).
        for &a in &touched {
            self.index.retire(a);
        }
        self.index.commit_marks();
        // The market account is exempt from margin: it has no entries.
        let mut list = |a: AccountId| {
            if a != MARKET_ACCOUNT && !std::mem::replace(&mut listed[a as usize], true) {
                touched.push(a);
            }
        };
        let mut moved: Vec<AssetId> = Vec::new();
        let mut relisted: Vec<MarketId> = Vec::new();
        for u in &self.undo {
            match u {
                Undo::Wallet(a, ..)
                | Undo::Supplied(a, ..)
                | Undo::Debt(a, ..)
                | Undo::Position(a, ..) => list(*a),
                // A pool's indices moved: the perp triggers of accounts holding
                // its supply or debt may have (its cash and rates move none).
                Undo::Pool(asset, old) if old.1 != self.indices[*asset as usize] => {
                    moved.push(*asset)
                }
                // A market's tiers (or price key) changed: its holders' triggers may have.
                Undo::Market(market, _) => relisted.push(*market),
                // The size premium changed: every market's requirements did.
                Undo::Rules(old) if old.imf_factor != self.rules.imf_factor => {
                    relisted.extend(0..self.markets.len() as MarketId)
                }
                // A new market has no holders yet: no trigger moved.
                _ => {}
            }
        }
        self.journal.keep(&mut self.undo);
        if !moved.is_empty() || !relisted.is_empty() {
            // Only accounts with perps have triggers: the others are passed
            // over before their holdings are read.
            for (a, acc) in self.accounts.iter().enumerate().skip(1) {
                if acc.positions.is_empty() {
                    continue;
                }
                let holds = |list: &[Holding]| list.iter().any(|h| moved.contains(&h.asset));
                let lends = !moved.is_empty() && (holds(&acc.supplied) || holds(&acc.borrows));
                if lends || acc.positions.iter().any(|p| relisted.contains(&p.market)) {
                    list(a as AccountId);
                }
            }
        }
        touched.sort_unstable();
        for &a in &touched {
            listed[a as usize] = false;
        }
        self.reindex_all(&touched);
        // The buffers are reused by the next command.
        touched.clear();
        self.index.pending = touched;
        self.index.listed = listed;
    }

    /// Restores every primitive changed since the last commit, newest first.
    pub(crate) fn rollback(&mut self) {
        self.index.pending.clear();
        self.index.rollback_marks();
        self.index.adl = None;
        while let Some(u) = self.undo.pop() {
            self.revert(u);
        }
    }

    /// Puts back the value one undo record holds.
    pub(crate) fn revert(&mut self, u: Undo) {
        match u {
            Undo::Wallet(a, s, v) => put(&mut self.accounts[a as usize].collateral, s, v),
            Undo::Supplied(a, s, v) => put(&mut self.accounts[a as usize].supplied, s, v),
            Undo::Debt(a, s, v) => put(&mut self.accounts[a as usize].borrows, s, v),
            Undo::Position(a, m, p) => {
                let list = &mut self.accounts[a as usize].positions;
                let at = list.iter().position(|x| x.market == m);
                match (at, p) {
                    (Some(i), Some(p)) => list[i] = p,
                    (Some(i), None) => {
                        list.remove(i);
                    }
                    (None, Some(p)) => list.push(p),
                    (None, None) => {}
                }
            }
            Undo::Funds(s, f) => self.funds[s as usize] = f,
            Undo::Pool(s, old) => {
                let (p, i) = *old;
                self.pools[s as usize] = p;
                self.indices[s as usize] = i;
            }
            Undo::Price(k, p, t) => {
                self.prices[k as usize] = p;
                self.price_ts[k as usize] = t;
            }
            Undo::Funding(m, t) => self.last_funding[m as usize] = t,
            Undo::Market(m, spec) => {
                let now = std::mem::replace(&mut self.markets[m as usize], *spec);
                self.names.markets.remove(&now.name);
                let name = self.markets[m as usize].name.clone();
                self.names.markets.insert(name, m);
                self.refresh_continuity();
            }
            Undo::Now(t) => self.now = t,
            Undo::Rules(r) => self.rules = *r,
            Undo::Volatility(k, v) => match v {
                Some(v) => {
                    self.volatility.insert(k, v);
                }
                None => {
                    self.volatility.remove(&k);
                }
            },
            Undo::MarginRate(m, r) => match r {
                Some(r) => {
                    self.margin_rates.insert(m, *r);
                }
                None => {
                    self.margin_rates.remove(&m);
                }
            },
            Undo::Appended(Appended::Account) => {
                if let Some(a) = self.accounts.pop() {
                    self.names.accounts.remove(&a.id);
                }
            }
            Undo::Appended(Appended::Accounts(n)) => {
                for _ in 0..n {
                    if let Some(a) = self.accounts.pop() {
                        self.names.accounts.remove(&a.id);
                    }
                }
            }
            Undo::Appended(Appended::Market) => {
                if let Some(m) = self.markets.pop() {
                    self.names.markets.remove(&m.name);
                    self.last_funding.pop();
                }
                self.refresh_continuity();
            }
            Undo::Appended(Appended::Asset) => {
                if let Some(a) = self.assets.pop() {
                    self.names.assets.remove(&a.name);
                    self.pools.pop();
                    self.indices.pop();
                    self.funds.pop();
                }
            }
            Undo::Appended(Appended::Price) => {
                if let Some(k) = self.price_keys.pop() {
                    self.names.prices.remove(&k);
                    self.prices.pop();
                    self.price_ts.pop();
                }
            }
        }
    }
}
