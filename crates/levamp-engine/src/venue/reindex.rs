//! Re-index policy: which accounts the liquidation index must re-index
//! after a command, and how an account's entries (slacks and triggers) are
//! computed from the venue. The index itself (`venue/index.rs`) is plain
//! data. See the index's module docs for the method.
//!
//! A fill that leaves an account's single trigger valid keeps it: an
//! account exposed to one price key through one position, whose new state is
//! still safe (beyond the rounding bound) one tick past its old trigger on
//! the safe side, is safe at every price beyond it (its excess is monotone
//! in the key's price on the losing side, the same premise the trigger
//! solver rests on). A stale but conservative trigger only means the account
//! is checked earlier; when it is, it is re-indexed with a fresh one.

use super::index::{Entry, LiquidationIndex, CROSS};
use super::state::{AccountId, Venue, MARKET_ACCOUNT};
use crate::liquidation_price::{scope_trigger, scope_trigger_from_rest, Side};
use crate::margin::{
    holding_value, rest_and_position, scope_margin, Requirements, Scope, ScopeMargin,
};
use crate::model::{MarginMode, PriceId, PriceView};
use levamp_core::{mul_div, MathError, Price, Quote, Round};

/// Accounts re-indexed at once from which the work is spread over the cores.
const PARALLEL_REINDEX: usize = 256;

impl Venue {
    /// The liquidation index (derived; see the module docs).
    pub fn liquidation_index(&self) -> &LiquidationIndex {
        &self.index
    }

    /// The trigger the index holds for `account`, when it is indexed by
    /// one: `Some(None)` when it holds none (no position that can become
    /// liquidatable), `Some(Some((key, side, price)))` for one trigger,
    /// `None` otherwise (several scopes or keys, or checked on every update).
    /// Never on the unsafe side of the exact boundary (the index's premise).
    #[allow(clippy::option_option)]
    pub fn single_trigger(&self, account: AccountId) -> Option<Option<(PriceId, Side, Price)>> {
        match self.index.live(account as usize) {
            [] => Some(None),
            &[Entry::Trigger(key, side, price, _)] => Some(Some((key, side, price))),
            _ => None,
        }
    }

    /// Rebuilds the whole index (after loading a state).
    pub fn rebuild_index(&mut self) {
        self.refresh_continuity();
        self.index = Default::default();
        self.journal.index_replaced();
        let all: Vec<AccountId> = (1..self.accounts.len() as AccountId).collect();
        self.reindex_all(&all);
    }

    /// Recomputes one account's triggers from the current state (or keeps
    /// them when they are still valid, see the module docs).
    pub(crate) fn reindex(&mut self, account: AccountId) {
        // The entries are built in a buffer the index lends out and gets
        // back: no allocation per re-index.
        let mut entries = std::mem::take(&mut self.index.scratch);
        if self.fresh_entries_into(account, &mut entries) {
            self.file_entries(account, &entries);
        }
        self.index.scratch = entries;
    }

    /// Re-indexes `accounts` (in this order). Many at once (a bulk set-up, a
    /// rebuild) are computed on every core: each account's entries depend
    /// only on the state and on its own old entries, so the result is the
    /// same as one by one, whatever the thread count.
    pub(crate) fn reindex_all(&mut self, accounts: &[AccountId]) {
        if accounts.len() < PARALLEL_REINDEX {
            for &a in accounts {
                self.reindex(a);
            }
            return;
        }
        let fresh: Vec<Option<Vec<Entry>>> = {
            use rayon::prelude::*;
            let this = &*self;
            accounts
                .par_iter()
                .with_min_len(64)
                .map(|&a| {
                    let mut entries = Vec::new();
                    this.fresh_entries_into(a, &mut entries).then_some(entries)
                })
                .collect()
        };
        for (&a, entries) in accounts.iter().zip(fresh) {
            if let Some(entries) = entries {
                self.file_entries(a, &entries);
            }
        }
    }

    /// An account's new entries into `out` (cleared first); `false` when its
    /// trigger is still valid.
    fn fresh_entries_into(&self, account: AccountId, out: &mut Vec<Entry>) -> bool {
        out.clear();
        if self.trigger_still_valid(account) {
            return false;
        }
        if account != MARKET_ACCOUNT {
            self.triggers_into(account, out);
        }
        true
    }

    fn file_entries(&mut self, account: AccountId, entries: &[Entry]) {
        self.index.grow(self.prices.len(), self.accounts.len());
        self.index.set(account, entries);
        self.journal.index_set(account);
    }

    /// An account's entries into `out`: its cross scope's, then each
    /// isolated position's.
    fn triggers_into(&self, account: AccountId, out: &mut Vec<Entry>) {
        let acc = &self.accounts[account as usize];
        if acc
            .positions
            .iter()
            .any(|p| p.mode == MarginMode::Cross && !p.size.is_zero())
        {
            self.scope_triggers(account, Scope::Cross, CROSS, out);
        }
        for (i, p) in acc.positions.iter().enumerate() {
            if p.mode == MarginMode::Isolated && !p.size.is_zero() {
                self.scope_triggers(account, Scope::Isolated(i), p.market, out);
            }
        }
    }

    /// The keys a scope is exposed to (each once, the quote's excluded),
    /// without valuing anything: what an account that cannot be indexed is
    /// checked on.
    fn exposed_keys(&self, account: AccountId, scope: Scope) -> impl Iterator<Item = PriceId> {
        let acc = &self.accounts[account as usize];
        let market_key = |p: &crate::model::Position| self.markets[p.market as usize].price;
        let mut keys: Vec<PriceId> = match scope {
            Scope::Isolated(i) => vec![market_key(&acc.positions[i])],
            Scope::Cross => acc
                .positions
                .iter()
                .filter(|p| p.mode == MarginMode::Cross && !p.size.is_zero())
                .map(market_key)
                .chain(
                    [&acc.collateral, &acc.supplied, &acc.borrows]
                        .into_iter()
                        .flatten()
                        .map(|h| self.assets[h.asset as usize].price),
                )
                .collect(),
        };
        let fixed = self.assets[self.quote as usize].price;
        keys.retain(|&k| k != fixed);
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
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
        if !self.scope_tiers_continuous(account, scope) {
            // The triggers' premise (an excess monotone in each price)
            // fails near a cap where the requirement jumps: checked on
            // every update of its keys instead.
            out.extend(self.exposed_keys(account, scope).map(Entry::Always));
            return;
        }
        let filed = match self.single_key_triggers(account, scope, tag) {
            Some(fast) => {
                // The shortcut must find what the general split finds.
                debug_assert_eq!(
                    fast.as_ref()
                        .ok()
                        .map(|e| e.iter().copied().collect::<Vec<_>>()),
                    self.split_triggers(account, scope, tag).ok(),
                    "single-key trigger of account {account}"
                );
                fast.map(|entry| out.extend(entry))
            }
            None => self
                .split_triggers(account, scope, tag)
                .map(|entries| out.extend(entries)),
        };
        match filed {
            Ok(()) => {}
            Err(_) => {
                // Could not index (overflow): check on every update of any
                // exposed key (found without valuing anything, which may
                // overflow too).
                out.extend(self.exposed_keys(account, scope).map(Entry::Always));
            }
        }
    }

    /// Whether every market a scope holds a position in has a continuous
    /// maintenance requirement ([`crate::Market::tiers_continuous`]).
    fn scope_tiers_continuous(&self, account: AccountId, scope: Scope) -> bool {
        let acc = &self.accounts[account as usize];
        let continuous =
            |p: &crate::model::Position| p.size.is_zero() || self.market_continuous(p.market);
        match scope {
            Scope::Isolated(i) => continuous(&acc.positions[i]),
            Scope::Cross => acc
                .positions
                .iter()
                .filter(|p| p.mode == MarginMode::Cross)
                .all(continuous),
        }
    }

    /// The one price key a scope is exposed to, when it has one: an
    /// isolated position, or a cross scope holding one position and only
    /// collateral priced like the quote (no supply, no debt).
    /// Also the position (index into the account's).
    fn single_key(&self, account: AccountId, scope: Scope) -> Option<(PriceId, usize)> {
        let acc = &self.accounts[account as usize];
        let fixed = self.assets[self.quote as usize].price;
        let (at, position) = match scope {
            Scope::Isolated(i) => (i, &acc.positions[i]),
            Scope::Cross => {
                let mut cross = acc
                    .positions
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.mode == MarginMode::Cross);
                let (Some(p), None) = (cross.next(), cross.next()) else {
                    return None;
                };
                let only_quote = acc
                    .collateral
                    .iter()
                    .all(|h| self.assets[h.asset as usize].price == fixed);
                if !only_quote || !acc.supplied.is_empty() || !acc.borrows.is_empty() {
                    return None;
                }
                p
            }
        };
        let key = self.markets[position.market as usize].price;
        (key != fixed).then_some((key, at))
    }

    /// A single-key scope's entries without the slack split (its one key
    /// takes the whole excess, so the lowered totals are the totals) and
    /// without valuing the moving items twice: the part that does not move
    /// is the isolated margin, or the quote collateral. The same entries as
    /// [`Venue::split_triggers`] (at most one), and the same errors; `None`
    /// when the scope has more than one key.
    fn single_key_triggers(
        &self,
        account: AccountId,
        scope: Scope,
        tag: u32,
    ) -> Option<Result<Option<Entry>, MathError>> {
        let (key, at) = self.single_key(account, scope)?;
        let acc = &self.accounts[account as usize];
        let ctx = self.context();
        Some((|| {
            // The moving items (the one position), valued once: a position
            // valued without error also passes the general path's exposure
            // valuation (`|size| × price` rounded up is the notional). What
            // `scope_margin` sums for it and for the rest, without walking
            // the account.
            let position = &acc.positions[at];
            let market = &self.markets[position.market as usize];
            let moving = rest_and_position(
                Quote::ZERO,
                position,
                market,
                self.prices[key as usize],
                Requirements::Maintenance,
                ctx.size_premium,
            )?;
            let rest = match scope {
                Scope::Isolated(i) => acc.positions[i].isolated_margin,
                // Only quote-priced collateral, no supply (see `single_key`).
                Scope::Cross => acc.collateral.iter().try_fold(Quote::ZERO, |sum, h| {
                    let asset = &self.assets[h.asset as usize];
                    let price = self.prices[asset.price as usize];
                    // The exposure valuation of the general path (its error
                    // is that path's; at a price of 1 it is the amount and
                    // cannot fail).
                    if price != Price::ONE {
                        h.amount.value_at(price, Round::Ceil)?;
                    }
                    sum.checked_add(holding_value(h.amount, price, asset.haircut)?)
                })?,
            };
            let rest = ScopeMargin {
                equity: rest,
                ..ScopeMargin::default()
            };
            // The rest then the position, in the order `scope_margin` sums
            // them: the same totals, and the same overflow.
            let total = rest.checked_add(&moving)?;
            total.equity.checked_sub(total.maintenance_margin)?;
            let side = acc
                .positions
                .iter()
                .find(|p| self.markets[p.market as usize].price == key)
                .map_or(1, |p| p.size.raw().signum());
            let found = scope_trigger_from_rest(acc, scope, key, &ctx, total, rest, side)?;
            Ok(found.map(|(price, side)| Entry::Trigger(key, side, price, tag)))
        })())
    }

    /// A scope's entries in general: its excess split into slacks over the
    /// keys it is exposed to (see `venue/index.rs`), a trigger per key.
    fn split_triggers(
        &self,
        account: AccountId,
        scope: Scope,
        tag: u32,
    ) -> Result<Vec<Entry>, MathError> {
        let acc = &self.accounts[account as usize];
        let ctx = self.context();
        (|| -> Result<Vec<Entry>, MathError> {
            let now = PriceView {
                prices: ctx.prices,
                replaced: None,
            };
            let total: ScopeMargin =
                scope_margin(acc, &ctx, scope, now, None, Requirements::Maintenance)?;
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
        })()
    }
}

impl Venue {
    /// Whether the account's one trigger still guards its new state: one
    /// position (exposed to the trigger's key and to no other), on the same
    /// side, safe by more than the rounding bound one tick past the trigger.
    fn trigger_still_valid(&self, account: AccountId) -> bool {
        let Some(acc) = self.accounts.get(account as usize) else {
            return false;
        };
        let &[Entry::Trigger(key, side, trigger, tag)] = self.index.live(account as usize) else {
            return false;
        };
        let [p] = &acc.positions[..] else {
            return false;
        };
        let quote_key = self.assets[self.quote as usize].price;
        let scope = match p.mode {
            MarginMode::Cross => Scope::Cross,
            MarginMode::Isolated => Scope::Isolated(0),
        };
        let expected_tag = match p.mode {
            MarginMode::Cross => CROSS,
            MarginMode::Isolated => p.market,
        };
        let only_quote = acc
            .collateral
            .iter()
            .all(|h| self.assets[h.asset as usize].price == quote_key);
        let losing = if p.size.is_positive() {
            Side::Below
        } else {
            Side::Above
        };
        if tag != expected_tag
            || self.markets[p.market as usize].price != key
            || p.size.is_zero()
            || losing != side
            || !acc.supplied.is_empty()
            || !acc.borrows.is_empty()
            || (scope == Scope::Cross && !only_quote)
        {
            return false;
        }
        // An account the current price has crossed gets a fresh trigger (or
        // every later update would check it again).
        let mark = self.prices[key as usize];
        let crossed = match side {
            Side::Below => mark <= trigger,
            Side::Above => mark >= trigger,
        };
        if crossed {
            return false;
        }
        // One tick past the trigger on the safe side.
        let probe = match side {
            Side::Below => trigger.raw().checked_add(1),
            Side::Above => trigger.raw().checked_sub(1).filter(|p| *p > 0),
        };
        let Some(probe) = probe else {
            return false;
        };
        let view = PriceView {
            prices: &self.prices,
            replaced: Some((key, Price::from_raw(probe))),
        };
        // What `scope_margin` sums for this shape (the rest, then the one
        // position), without walking the account.
        let valued = (|| {
            let rest = match scope {
                Scope::Cross => acc.collateral.iter().try_fold(Quote::ZERO, |sum, h| {
                    let asset = &self.assets[h.asset as usize];
                    sum.checked_add(holding_value(
                        h.amount,
                        view.get(asset.price),
                        asset.haircut,
                    )?)
                })?,
                Scope::Isolated(_) => p.isolated_margin,
            };
            let market = &self.markets[p.market as usize];
            rest_and_position(
                rest,
                p,
                market,
                view.get(market.price),
                Requirements::Maintenance,
                self.rules.imf_factor,
            )
        })();
        let Ok(m) = valued else {
            return false;
        };
        // Each rounded item is within 2 units of its exact value: safe by
        // twice the total, the exact excess is positive here and beyond.
        let items = 1 + acc.collateral.len() as i128;
        let bound = 2 * (2 * items + 2);
        m.equity
            .checked_sub(m.maintenance_margin)
            .is_ok_and(|excess| excess.raw() > bound)
    }
}
