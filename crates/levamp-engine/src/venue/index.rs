//! The liquidation index: which accounts an oracle update can make
//! liquidatable, found in `O(k log n)` for the `k` it can, without scanning.
//!
//! Every margin scope of an account (the cross pool, each isolated
//! position) has an excess `E = equity − maintenance`. It is split into
//! slacks `s_k ≥ 0` over the price keys the scope is exposed to
//! (`Σ s_k = E`, pro rata to exposure), and each key gets a *trigger*: the
//! price of that key at which the scope's value would have fallen by `s_k`
//! (the liquidation-price solver run with equity lowered by `E − s_k`).
//! Contributions of different keys add up exactly (each item is rounded on
//! its own), so while every key is on the safe side of its trigger the total
//! loss is below `Σ s_k = E` and the scope is safe. Applying an oracle
//! update that crosses a trigger puts the account on the check list;
//! checked or changed accounts (and the holders of a re-listed market) are
//! re-indexed with fresh slacks at the end of the command.
//!
//! The index is derived data: it is not serialised and is rebuilt on load.
//! It is part of the venue's equality (its live entries per account): since
//! only applied events and commits move it, a replayed log rebuilds the same
//! index, and a refused command leaves it as it was.

use super::state::{AccountId, Venue, MARKET_ACCOUNT};
use crate::liquidation_price::{scope_trigger, Side};
use crate::margin::{Scope, ScopeMargin};
use crate::model::{MarginMode, PriceId};
use levamp_core::{mul_div, MathError, Price, Quote, Round};
use std::collections::BTreeSet;

/// Tag of the scope an entry belongs to: an isolated position's market, or CROSS.
const CROSS: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    Trigger(PriceId, Side, Price, u32),
    /// Exposed, but no trigger could be computed: checked on every update.
    Always(PriceId),
}

/// A set item: (trigger, account, generation). Re-indexing an account bumps
/// its generation instead of deleting its old items (deleting from a large
/// ordered set costs as much as inserting); stale items are skipped by
/// lookups and swept out when they outnumber the live ones.
type Item = (Price, AccountId, u32);

/// See the module docs.
#[derive(Clone, Debug, Default)]
pub struct LiquidationIndex {
    /// By price key: items liquidatable at or below the trigger.
    below: Vec<BTreeSet<Item>>,
    /// By price key: liquidatable at or above the trigger.
    above: Vec<BTreeSet<Item>>,
    /// By price key: accounts checked on every update.
    always: Vec<BTreeSet<AccountId>>,
    /// By account: live entries and generation.
    entries: Vec<(u32, Vec<Entry>)>,
    live: usize,
    stale: usize,
    /// Accounts checked during the current command: re-indexed at commit.
    pub(crate) pending: BTreeSet<AccountId>,
    /// The current command's ADL queue (market, side, ranked accounts).
    pub(crate) adl: Option<(u32, bool, Vec<AccountId>)>,
}

impl PartialEq for LiquidationIndex {
    /// Equal when both hold the same live entries for every account (an
    /// account with no slot has none). The ordered sets, generations and
    /// stale items are bookkeeping: two indexes built by different
    /// histories compare equal when they would find the same accounts.
    fn eq(&self, other: &Self) -> bool {
        let n = self.entries.len().max(other.entries.len());
        (0..n).all(|a| self.live(a) == other.live(a))
    }
}
impl Eq for LiquidationIndex {}

impl LiquidationIndex {
    /// An account's live entries (none if it has no slot yet).
    fn live(&self, account: usize) -> &[Entry] {
        self.entries.get(account).map_or(&[][..], |e| &e.1[..])
    }

    fn grow(&mut self, keys: usize, accounts: usize) {
        if self.below.len() < keys {
            self.below.resize_with(keys, BTreeSet::new);
            self.above.resize_with(keys, BTreeSet::new);
            self.always.resize_with(keys, BTreeSet::new);
        }
        if self.entries.len() < accounts {
            self.entries.resize_with(accounts, Default::default);
        }
    }

    /// Replaces an account's entries; returns the ones it had.
    pub(crate) fn set(&mut self, account: AccountId, entries: Vec<Entry>) -> Vec<Entry> {
        let slot = &mut self.entries[account as usize];
        for e in &slot.1 {
            match *e {
                Entry::Always(k) => {
                    self.always[k as usize].remove(&account);
                }
                Entry::Trigger(..) => self.stale += 1,
            }
        }
        self.live -= slot
            .1
            .iter()
            .filter(|e| matches!(e, Entry::Trigger(..)))
            .count();
        slot.0 = slot.0.wrapping_add(1);
        let generation = slot.0;
        for e in &entries {
            match *e {
                Entry::Trigger(k, Side::Below, p, _) => {
                    self.below[k as usize].insert((p, account, generation))
                }
                Entry::Trigger(k, Side::Above, p, _) => {
                    self.above[k as usize].insert((p, account, generation))
                }
                Entry::Always(k) => self.always[k as usize].insert(account),
            };
        }
        self.live += entries
            .iter()
            .filter(|e| matches!(e, Entry::Trigger(..)))
            .count();
        let old = std::mem::replace(&mut self.entries[account as usize].1, entries);
        if self.stale > self.live.max(1024) {
            self.sweep();
        }
        old
    }

    /// Drops stale items.
    fn sweep(&mut self) {
        let entries = &self.entries;
        let live = |&(_, a, g): &Item| entries.get(a as usize).is_some_and(|(gen, _)| *gen == g);
        for set in self.below.iter_mut().chain(self.above.iter_mut()) {
            set.retain(live);
        }
        self.stale = 0;
    }

    fn current(&self, &(_, a, g): &Item) -> bool {
        self.entries
            .get(a as usize)
            .is_some_and(|(gen, _)| *gen == g)
    }

    /// Accounts an update of `key` to `price` may have made liquidatable, in id order.
    /// (Stale items met on the way are dropped, so each is scanned at most once.)
    pub fn crossed(&mut self, key: PriceId, price: Price) -> Vec<AccountId> {
        let k = key as usize;
        if k >= self.below.len() {
            return Vec::new();
        }
        let mut out: BTreeSet<AccountId> = self.always[k].iter().copied().collect();
        let mut stale: Vec<Item> = Vec::new();
        for item in self.below[k].range((price, 0, 0)..) {
            if self.current(item) {
                out.insert(item.1);
            } else {
                stale.push(*item);
            }
        }
        for item in &stale {
            self.below[k].remove(item);
        }
        let dropped = stale.len();
        stale.clear();
        for item in self.above[k].range(..=(price, AccountId::MAX, u32::MAX)) {
            if self.current(item) {
                out.insert(item.1);
            } else {
                stale.push(*item);
            }
        }
        for item in &stale {
            self.above[k].remove(item);
        }
        self.stale = self.stale.saturating_sub(dropped + stale.len());
        out.into_iter().collect()
    }

    /// Number of live entries (for tests and benchmarks).
    pub fn len(&self) -> usize {
        self.live + self.always.iter().map(BTreeSet::len).sum::<usize>()
    }

    /// Whether the index holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Venue {
    /// The liquidation index (derived; see the module docs).
    pub fn liquidation_index(&self) -> &LiquidationIndex {
        &self.index
    }

    /// Rebuilds the whole index (after loading a state).
    pub fn rebuild_index(&mut self) {
        let old = std::mem::take(&mut self.index);
        self.journal.index_replaced(old);
        for a in 1..self.accounts.len() as AccountId {
            self.reindex(a);
        }
    }

    /// Recomputes one account's triggers from the current state.
    pub(crate) fn reindex(&mut self, account: AccountId) {
        let entries = if account == MARKET_ACCOUNT {
            Vec::new()
        } else {
            self.triggers(account)
        };
        self.index.grow(self.prices.len(), self.accounts.len());
        let old = self.index.set(account, entries);
        self.journal.index_set(account, old);
    }

    fn triggers(&self, account: AccountId) -> Vec<Entry> {
        let acc = &self.accounts[account as usize];
        let ctx = self.context();
        let mut out = Vec::new();
        if acc
            .positions
            .iter()
            .any(|p| p.mode == MarginMode::Cross && !p.size.is_zero())
        {
            self.scope_triggers(account, Scope::Cross, CROSS, &mut out);
        }
        for (i, p) in acc.positions.iter().enumerate() {
            if p.mode == MarginMode::Isolated && !p.size.is_zero() {
                self.scope_triggers(account, Scope::Isolated(i), p.market, &mut out);
            }
        }
        let _ = ctx;
        out
    }

    /// The keys a scope is exposed to, with an exposure weight each.
    fn exposures(
        &self,
        account: AccountId,
        scope: Scope,
    ) -> Result<Vec<(PriceId, Quote)>, MathError> {
        let acc = &self.accounts[account as usize];
        let ctx = self.context();
        let mut w: Vec<(PriceId, Quote)> = Vec::new();
        // The quote's price never moves (it is 1 by definition): no exposure.
        let fixed = self.assets[self.quote as usize].price;
        let mut add = |k: PriceId, v: Quote| -> Result<(), MathError> {
            if k == fixed {
                return Ok(());
            }
            match w.iter_mut().find(|(key, _)| *key == k) {
                Some((_, total)) => *total = total.checked_add(v.checked_abs()?)?,
                None => w.push((k, v.checked_abs()?)),
            }
            Ok(())
        };
        let price = |k: PriceId| self.prices[k as usize];
        match scope {
            Scope::Isolated(i) => {
                let p = &acc.positions[i];
                let k = self.markets[p.market as usize].price;
                add(k, p.size.value_at(price(k), Round::Ceil)?)?;
            }
            Scope::Cross => {
                for p in acc
                    .positions
                    .iter()
                    .filter(|p| p.mode == MarginMode::Cross && !p.size.is_zero())
                {
                    let k = self.markets[p.market as usize].price;
                    add(k, p.size.value_at(price(k), Round::Ceil)?)?;
                }
                for item in ctx.collateral(acc).chain(ctx.debts(acc)) {
                    let (asset, amount) = item?;
                    add(
                        asset.price,
                        amount.value_at(price(asset.price), Round::Ceil)?,
                    )?;
                }
            }
        }
        Ok(w)
    }

    fn scope_triggers(&self, account: AccountId, scope: Scope, tag: u32, out: &mut Vec<Entry>) {
        let acc = &self.accounts[account as usize];
        let ctx = self.context();
        let computed = (|| -> Result<Vec<Entry>, MathError> {
            let now = crate::model::PriceView {
                prices: ctx.prices,
                replaced: None,
            };
            let total: ScopeMargin = crate::margin::scope_margin(
                acc,
                &ctx,
                scope,
                now,
                None,
                crate::margin::Requirements::Maintenance,
            )?;
            let excess = total.equity.checked_sub(total.maintenance_margin)?;
            let exposures = self.exposures(account, scope)?;
            let weight = exposures
                .iter()
                .try_fold(Quote::ZERO, |s, (_, w)| s.checked_add(*w))?;
            let mut entries = Vec::with_capacity(exposures.len());
            let mut given = Quote::ZERO;
            for (n, &(key, w)) in exposures.iter().enumerate() {
                // Slack of this key: its share of the excess (the last takes the remainder).
                let slack = if excess <= Quote::ZERO {
                    Quote::ZERO
                } else if n + 1 == exposures.len() {
                    excess.checked_sub(given)?
                } else if weight.is_zero() {
                    Quote::ZERO
                } else {
                    Quote::from_raw(mul_div(excess.raw(), w.raw(), weight.raw(), Round::Floor)?)
                };
                given = given.checked_add(slack)?;
                let lowered = ScopeMargin {
                    equity: total
                        .equity
                        .checked_sub(excess.max(Quote::ZERO).checked_sub(slack)?)?,
                    ..total
                };
                let side = acc
                    .positions
                    .iter()
                    .find(|p| self.markets[p.market as usize].price == key)
                    .map_or(1, |p| p.size.raw().signum());
                if let Some((price, side)) = scope_trigger(acc, scope, key, &ctx, lowered, side)? {
                    entries.push(Entry::Trigger(key, side, price, tag));
                }
            }
            Ok(entries)
        })();
        match computed {
            Ok(entries) => out.extend(entries),
            Err(_) => {
                // Could not index (overflow): check on every update of any exposed key.
                if let Ok(ex) = self.exposures(account, scope) {
                    out.extend(ex.into_iter().map(|(k, _)| Entry::Always(k)));
                }
            }
        }
    }
}
