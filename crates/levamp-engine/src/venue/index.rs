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
//! New trigger items are buffered and go into the ordered sets at the next
//! lookup — in bulk, from sorted items, when they outnumber the items held
//! (a set-up that imports a million accounts builds each set once).
//!
//! The index is derived data: it is not serialised and is rebuilt on load.
//! It is part of the venue's equality (its live entries per account): since
//! only applied events and commits move it, a replayed log rebuilds the same
//! index, and a refused command leaves it as it was.

use super::AccountId;
use crate::liquidation_price::Side;
use crate::model::PriceId;
use levamp_core::Price;
use std::collections::BTreeSet;

/// Tag of the scope an entry belongs to: an isolated position's market, or CROSS.
pub(crate) const CROSS: u32 = u32::MAX;

/// One indexed fact about an account (this module is plain data; which
/// accounts to re-index and how their entries are computed is
/// `venue/reindex.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// (key, losing side, trigger price, scope tag).
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
    /// Accounts checked during the current command (unordered, may repeat):
    /// re-indexed at commit.
    pub(crate) pending: Vec<AccountId>,
    /// The accounts the last applied oracle update crossed, in id order (a
    /// buffer reused from update to update: no allocation per update).
    pub(crate) last_crossed: Vec<AccountId>,
    /// By account: on the commit's re-index list already (cleared after it).
    pub(crate) listed: Vec<bool>,
    /// Items set but not yet inserted into `below`/`above`: inserted at the
    /// next lookup, in bulk when many (a million-account set-up builds each
    /// ordered set once from sorted items instead of a million scattered
    /// inserts). (key, losing side is `Below`, item).
    unsorted: Vec<(PriceId, bool, Item)>,
    /// Scratch for stale items met by a lookup (reused).
    stale_items: Vec<Item>,
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
    pub(crate) fn live(&self, account: usize) -> &[Entry] {
        self.entries.get(account).map_or(&[][..], |e| &e.1[..])
    }

    /// Makes room for `keys` price keys and `accounts` accounts.
    pub(crate) fn grow(&mut self, keys: usize, accounts: usize) {
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
        self.unlink(account);
        let old = std::mem::replace(&mut self.entries[account as usize].1, entries);
        self.link(account);
        old
    }

    /// Replaces an account's entries with a copy of `entries`, reusing the
    /// account's buffer (a checkpoint restore, without allocating).
    pub(crate) fn set_copy(&mut self, account: AccountId, entries: &[Entry]) {
        self.unlink(account);
        let slot = &mut self.entries[account as usize].1;
        slot.clear();
        slot.extend_from_slice(entries);
        self.link(account);
    }

    /// Retires an account's entries (their set items go stale).
    fn unlink(&mut self, account: AccountId) {
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
    }

    /// Files an account's entries (under its new generation).
    fn link(&mut self, account: AccountId) {
        let (generation, entries) = &self.entries[account as usize];
        for e in entries {
            match *e {
                Entry::Trigger(k, side, p, _) => {
                    self.unsorted
                        .push((k, side == Side::Below, (p, account, *generation)))
                }
                Entry::Always(k) => {
                    self.always[k as usize].insert(account);
                }
            };
        }
        self.live += entries
            .iter()
            .filter(|e| matches!(e, Entry::Trigger(..)))
            .count();
        if self.stale > self.live.max(1024) {
            self.sweep();
        }
    }

    /// Inserts the items set since the last lookup (stale ones dropped): one
    /// by one, unless they outnumber the items held (a bulk set-up), then by
    /// rebuilding each set they go to from its sorted items (linear, and
    /// cache-friendly at a million items).
    pub(crate) fn settle(&mut self) {
        if self.unsorted.is_empty() {
            return;
        }
        let mut unsorted = std::mem::take(&mut self.unsorted);
        let before = unsorted.len();
        unsorted.retain(|(_, _, item)| self.current(item));
        self.stale = self.stale.saturating_sub(before - unsorted.len());
        let held: usize = self
            .below
            .iter()
            .chain(&self.above)
            .map(BTreeSet::len)
            .sum();
        if unsorted.len() < 1024 || unsorted.len() < held {
            for &(k, below, item) in &unsorted {
                match below {
                    true => self.below[k as usize].insert(item),
                    false => self.above[k as usize].insert(item),
                };
            }
        } else {
            unsorted.sort_unstable();
            let mut rest = &unsorted[..];
            while let Some(&(k, below, _)) = rest.first() {
                let n = rest.partition_point(|&(k2, b2, _)| (k2, b2) == (k, below));
                let set = match below {
                    true => &mut self.below[k as usize],
                    false => &mut self.above[k as usize],
                };
                let mut items: Vec<Item> = std::mem::take(set).into_iter().collect();
                items.extend(rest[..n].iter().map(|&(_, _, item)| item));
                // Sorted runs merge in linear time; the set is built in bulk.
                items.sort();
                *set = items.into_iter().collect();
                rest = &rest[n..];
            }
        }
        unsorted.clear();
        self.unsorted = unsorted;
    }

    /// Drops stale items.
    fn sweep(&mut self) {
        self.settle();
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
        let mut out = Vec::new();
        self.crossed_into(key, price, &mut out);
        out
    }

    /// As [`LiquidationIndex::crossed`], into `out` (cleared first): no
    /// allocation once the buffers have grown.
    pub(crate) fn crossed_into(&mut self, key: PriceId, price: Price, out: &mut Vec<AccountId>) {
        out.clear();
        let k = key as usize;
        if k >= self.below.len() {
            return;
        }
        self.settle();
        out.extend(self.always[k].iter().copied());
        let mut stale = std::mem::take(&mut self.stale_items);
        stale.clear();
        for item in self.below[k].range((price, 0, 0)..) {
            if self.current(item) {
                out.push(item.1);
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
                out.push(item.1);
            } else {
                stale.push(*item);
            }
        }
        for item in &stale {
            self.above[k].remove(item);
        }
        self.stale = self.stale.saturating_sub(dropped + stale.len());
        self.stale_items = stale;
        out.sort_unstable();
        out.dedup();
    }

    /// Looks up the accounts an applied oracle update of `key` to `price`
    /// crossed: kept in `last_crossed` for the liquidation pass and put on
    /// the list re-indexed at commit.
    pub(crate) fn note_update(&mut self, key: PriceId, price: Price) {
        let mut crossed = std::mem::take(&mut self.last_crossed);
        self.crossed_into(key, price, &mut crossed);
        self.pending.extend_from_slice(&crossed);
        self.last_crossed = crossed;
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
