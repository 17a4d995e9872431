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
//! Each key's items sit in a sorted base array and an ordered overlay
//! ([`Triggers`]): an update only moves the base's scan mark past the items
//! it met (their accounts are re-indexed from scratch at commit, so those
//! items are stale from then on), and new items go to the overlay. A
//! checkpoint freezes the bases; a restore puts the marks and the touched
//! accounts' generations back and empties the overlays, so a Monte-Carlo
//! path neither deletes nor re-inserts an item per liquidated account. New
//! items are buffered until the next lookup; when they outnumber the items
//! held (a set-up that imports a million accounts) the bases are rebuilt
//! from sorted items instead.
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

/// The trigger items of one price key and losing side: a sorted `base`
/// array with a scan mark, and an ordered `overlay` of the items filed
/// since the base was built.
///
/// The base is crossed from one end (`below`: the items at or above the
/// price, a suffix; `above`: at or below it, a prefix). Its `scanned` items
/// at that end were met by an earlier oracle update, and every account an
/// update meets is re-indexed at commit under a new generation, so those
/// items are all stale: later lookups skip them without touching them. A
/// checkpoint builds the base once; a path's lookups only move the mark,
/// and a restore puts the mark and the generations back, which makes the
/// base's items current again — no item is deleted or re-inserted per
/// liquidated account. Items filed during a path go to the overlay (stale
/// ones removed when met), which a restore empties.
#[derive(Clone, Debug, Default)]
struct Triggers {
    base: Vec<Item>,
    /// How many base items at the crossed end were scanned.
    scanned: usize,
    overlay: BTreeSet<Item>,
}

impl Triggers {
    /// The base items an update to `price` crosses that no earlier update
    /// met, as a range of `base`; and the new scan mark.
    fn unscanned(&self, price: Price, below: bool) -> (std::ops::Range<usize>, usize) {
        let n = self.base.len();
        if below {
            // Liquidatable at or below the trigger: crossed when trigger ≥ price.
            let end = n - self.scanned;
            // The common calm step: the highest unscanned trigger is below
            // the price, so nothing is crossed (no binary search).
            if end == 0 || self.base[end - 1].0 < price {
                return (end..end, self.scanned);
            }
            let start = self.base.partition_point(|it| it.0 < price);
            (start.min(end)..end, self.scanned.max(n - start))
        } else {
            if self.scanned >= n || self.base[self.scanned].0 > price {
                return (self.scanned..self.scanned, self.scanned);
            }
            let end = self.base.partition_point(|it| it.0 <= price);
            (self.scanned.min(end)..end, self.scanned.max(end))
        }
    }

    fn len(&self) -> usize {
        self.base.len() + self.overlay.len()
    }

    /// Whether an update to `price` crosses no item on this side: the
    /// nearest unscanned base item and the nearest overlay item lie beyond
    /// it (the early exits of [`Triggers::unscanned`] and of the overlay
    /// walk in [`LiquidationIndex::crossed_into`]).
    fn calm(&self, price: Price, below: bool) -> bool {
        if below {
            let end = self.base.len() - self.scanned;
            (end == 0 || self.base[end - 1].0 < price)
                && self.overlay.last().is_none_or(|it| it.0 < price)
        } else {
            (self.scanned >= self.base.len() || self.base[self.scanned].0 > price)
                && self.overlay.first().is_none_or(|it| it.0 > price)
        }
    }
}

/// See the module docs.
#[derive(Clone, Debug, Default)]
pub struct LiquidationIndex {
    /// By price key: items liquidatable at or below the trigger.
    below: Vec<Triggers>,
    /// By price key: liquidatable at or above the trigger.
    above: Vec<Triggers>,
    /// By price key: accounts checked on every update.
    always: Vec<BTreeSet<AccountId>>,
    /// By account: live entries and generation.
    entries: Vec<(u32, Vec<Entry>)>,
    live: usize,
    stale: usize,
    /// A checkpoint is active: the bases stay as they are (only their scan
    /// marks move) until the checkpoint is dropped, so a restore can reuse
    /// them.
    frozen: bool,
    /// Scan marks moved by the current command: (key, below, mark before),
    /// put back if the command is rolled back.
    marks_moved: Vec<(PriceId, bool, usize)>,
    /// Accounts checked during the current command (unordered, may repeat):
    /// re-indexed at commit.
    pub(crate) pending: Vec<AccountId>,
    /// The accounts the last applied oracle update crossed, in id order (a
    /// buffer reused from update to update: no allocation per update).
    pub(crate) last_crossed: Vec<AccountId>,
    /// By account: on the commit's re-index list already (cleared after it).
    pub(crate) listed: Vec<bool>,
    /// Items set but not yet filed: filed at the next lookup, into the
    /// overlays one by one, or (when they outnumber the items held and no
    /// checkpoint is active) by rebuilding the bases from sorted items — a
    /// million-account set-up builds each base once. (key, losing side is
    /// `Below`, item).
    unsorted: Vec<(PriceId, bool, Item)>,
    /// Scratch for stale items met by a lookup (reused).
    stale_items: Vec<Item>,
    /// The current command's ADL queue (market, side, ranked accounts).
    pub(crate) adl: Option<(u32, bool, Vec<AccountId>)>,
    /// Scratch for an account's entries while it is re-indexed (reused).
    pub(crate) scratch: Vec<Entry>,
}

impl PartialEq for LiquidationIndex {
    /// Equal when both hold the same live entries for every account (an
    /// account with no slot has none). The sets, generations, scan marks
    /// and stale items are bookkeeping: two indexes built by different
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

    /// Reads an account's slot and first entry (see `Venue::warm`); the value means nothing.
    pub(crate) fn warm(&self, account: AccountId) -> u64 {
        let Some((generation, entries)) = self.entries.get(account as usize) else {
            return 0;
        };
        let first = match entries.first() {
            Some(Entry::Trigger(_, _, p, _)) => p.raw() as u64,
            _ => 0,
        };
        let listed = self.listed.get(account as usize).copied().unwrap_or(false);
        u64::from(*generation) ^ first ^ u64::from(listed)
    }

    /// An account's slot: its generation and its entries.
    pub(crate) fn slot(&self, account: AccountId) -> Option<&(u32, Vec<Entry>)> {
        self.entries.get(account as usize)
    }

    /// Makes room for `keys` price keys and `accounts` accounts.
    pub(crate) fn grow(&mut self, keys: usize, accounts: usize) {
        if self.below.len() < keys {
            self.below.resize_with(keys, Default::default);
            self.above.resize_with(keys, Default::default);
            self.always.resize_with(keys, BTreeSet::new);
        }
        if self.entries.len() < accounts {
            self.entries.resize_with(accounts, Default::default);
        }
    }

    /// Replaces an account's entries: copied into its slot's buffer when it
    /// has room (a checkpoint restore then refills it without allocating),
    /// else into a new buffer sized to its entries (an index of a million
    /// accounts holds one each).
    pub(crate) fn set(&mut self, account: AccountId, entries: &[Entry]) {
        self.unlink(account);
        let slot = &mut self.entries[account as usize].1;
        if slot.capacity() >= entries.len() {
            slot.clear();
            slot.extend_from_slice(entries);
        } else {
            *slot = entries.to_vec();
        }
        self.link(account);
    }

    /// Retires an account's entries (their items go stale): it is re-indexed
    /// from scratch next.
    pub(crate) fn retire(&mut self, account: AccountId) {
        if (account as usize) < self.entries.len() {
            self.unlink(account);
            self.entries[account as usize].1.clear();
        }
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
        self.live -= triggers(&slot.1);
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
        self.live += triggers(entries);
        if self.stale > self.live.max(1024) {
            self.sweep();
        }
    }

    /// Files the items set since the last lookup (stale ones dropped): into
    /// the overlays one by one, unless they outnumber the items held and the
    /// bases may be rebuilt (a bulk set-up): then every base is rebuilt from
    /// sorted items (linear, and cache-friendly at a million items).
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
            .map(Triggers::len)
            .sum();
        if self.frozen || unsorted.len() < 1024 || unsorted.len() < held {
            for &(k, below, item) in &unsorted {
                match below {
                    true => self.below[k as usize].overlay.insert(item),
                    false => self.above[k as usize].overlay.insert(item),
                };
            }
            unsorted.clear();
            self.unsorted = unsorted;
        } else {
            self.unsorted = unsorted;
            self.compact();
        }
    }

    /// Rebuilds every base from the current items (base, overlay and not yet
    /// filed), drops the stale ones, and resets the scan marks. Not while a
    /// checkpoint is active (its restore reuses the bases).
    fn compact(&mut self) {
        debug_assert!(!self.frozen);
        let mut unsorted = std::mem::take(&mut self.unsorted);
        let entries = &self.entries;
        let current = |&(_, a, g): &Item| entries.get(a as usize).is_some_and(|(gen, _)| *gen == g);
        // The new items by set: below of key k at 2k, above at 2k + 1.
        let mut new: Vec<Vec<Item>> = Vec::new();
        new.resize_with(2 * self.below.len(), Vec::new);
        for (k, below, item) in unsorted.drain(..) {
            if current(&item) {
                new[2 * k as usize + usize::from(!below)].push(item);
            }
        }
        let sets = self.below.iter_mut().zip(self.above.iter_mut());
        for (set, added) in sets.flat_map(|(b, a)| [b, a]).zip(new.iter_mut()) {
            let mut base = std::mem::take(&mut set.base);
            base.retain(current);
            let overlay = std::mem::take(&mut set.overlay).into_iter().filter(current);
            // Base and overlay are sorted already: merged in linear time;
            // only the items not filed yet are sorted.
            let mut items = merge(base, overlay.collect());
            added.sort_unstable();
            items = merge(items, std::mem::take(added));
            set.base = items;
            set.scanned = 0;
        }
        self.unsorted = unsorted;
        self.stale = 0;
        self.marks_moved.clear();
    }

    /// Drops stale items: every base is rebuilt, or (while a checkpoint
    /// holds the bases) the overlays are swept.
    fn sweep(&mut self) {
        if !self.frozen {
            return self.compact();
        }
        self.settle();
        let entries = &self.entries;
        let live = |&(_, a, g): &Item| entries.get(a as usize).is_some_and(|(gen, _)| *gen == g);
        for set in self.below.iter_mut().chain(self.above.iter_mut()) {
            set.overlay.retain(live);
        }
        // The bases' stale items are bounded by their size, and skipped by
        // the scan marks: not counted.
        self.stale = 0;
    }

    fn current(&self, &(_, a, g): &Item) -> bool {
        self.entries
            .get(a as usize)
            .is_some_and(|(gen, _)| *gen == g)
    }

    /// Accounts an update of `key` to `price` may have made liquidatable, in id order.
    /// (Stale overlay items met on the way are dropped.)
    pub fn crossed(&mut self, key: PriceId, price: Price) -> Vec<AccountId> {
        let mut out = Vec::new();
        self.crossed_into(key, price, &mut out, false);
        out
    }

    /// As [`LiquidationIndex::crossed`], into `out` (cleared first): no
    /// allocation once the buffers have grown. `mark`: the base items met are
    /// marked scanned — only for an applied update, whose crossed accounts
    /// are all re-indexed at commit (the marks move back on rollback).
    fn crossed_into(&mut self, key: PriceId, price: Price, out: &mut Vec<AccountId>, mark: bool) {
        out.clear();
        let k = key as usize;
        if k >= self.below.len() {
            return;
        }
        self.settle();
        out.extend(self.always[k].iter().copied());
        for below in [true, false] {
            let set = match below {
                true => &mut self.below[k],
                false => &mut self.above[k],
            };
            let (range, scanned) = set.unscanned(price, below);
            for item in &set.base[range] {
                if self
                    .entries
                    .get(item.1 as usize)
                    .is_some_and(|e| e.0 == item.2)
                {
                    out.push(item.1);
                }
            }
            if mark && scanned != set.scanned {
                self.marks_moved.push((key, below, set.scanned));
                set.scanned = scanned;
            }
            // Nothing in the overlay on the crossed side: skip the range walk.
            let none = match below {
                true => set.overlay.last().is_none_or(|it| it.0 < price),
                false => set.overlay.first().is_none_or(|it| it.0 > price),
            };
            if none {
                continue;
            }
            let mut stale = std::mem::take(&mut self.stale_items);
            stale.clear();
            let range = match below {
                true => set.overlay.range((price, 0, 0)..),
                false => set.overlay.range(..=(price, AccountId::MAX, u32::MAX)),
            };
            for item in range {
                if self
                    .entries
                    .get(item.1 as usize)
                    .is_some_and(|e| e.0 == item.2)
                {
                    out.push(item.1);
                } else {
                    stale.push(*item);
                }
            }
            for item in &stale {
                set.overlay.remove(item);
            }
            self.stale = self.stale.saturating_sub(stale.len());
            self.stale_items = stale;
        }
        out.sort_unstable();
        out.dedup();
    }

    /// Looks up the accounts an applied oracle update of `key` to `price`
    /// crossed: kept in `last_crossed` for the liquidation pass and put on
    /// the list re-indexed (from scratch) at commit.
    pub(crate) fn note_update(&mut self, key: PriceId, price: Price) {
        // The common calm update: no item crossed, no scan mark moved,
        // nothing to look up (what `crossed_into` finds then, directly).
        let k = key as usize;
        if k < self.below.len() {
            self.settle();
            if self.always[k].is_empty()
                && self.below[k].calm(price, true)
                && self.above[k].calm(price, false)
            {
                #[cfg(debug_assertions)]
                {
                    let mut out = Vec::new();
                    self.crossed_into(key, price, &mut out, false);
                    debug_assert!(out.is_empty(), "a calm update crossed {out:?}");
                }
                self.last_crossed.clear();
                return;
            }
        }
        let mut crossed = std::mem::take(&mut self.last_crossed);
        self.crossed_into(key, price, &mut crossed, true);
        self.pending.extend_from_slice(&crossed);
        self.last_crossed = crossed;
    }

    /// The command succeeded: its scan marks stay.
    pub(crate) fn commit_marks(&mut self) {
        self.marks_moved.clear();
    }

    /// The command was rolled back: its scan marks move back.
    pub(crate) fn rollback_marks(&mut self) {
        while let Some((k, below, scanned)) = self.marks_moved.pop() {
            match below {
                true => self.below[k as usize].scanned = scanned,
                false => self.above[k as usize].scanned = scanned,
            }
        }
    }

    /// A checkpoint starts: the bases are rebuilt from the live items and
    /// kept as they are until [`LiquidationIndex::thaw`].
    pub(crate) fn freeze(&mut self) {
        self.frozen = false;
        self.compact();
        self.frozen = true;
    }

    /// The checkpoint is dropped: the bases may be rebuilt again.
    pub(crate) fn thaw(&mut self) {
        self.frozen = false;
    }

    /// Puts the index back as `base` (the index at the checkpoint, frozen
    /// then) had it, given the accounts whose entries changed since: their
    /// entries and generations are copied back (which makes their base items
    /// current again), the scan marks reset and the overlays emptied. Slots
    /// of accounts opened since are dropped.
    pub(crate) fn restore_from(&mut self, base: &LiquidationIndex, dirty: &[AccountId]) {
        let n = base.entries.len();
        for a in n..self.entries.len() {
            self.unlink(a as AccountId);
        }
        self.entries.truncate(n);
        for &a in dirty {
            let i = a as usize;
            if i >= n {
                continue;
            }
            if self.live(i) != base.live(i) {
                for e in &self.entries[i].1 {
                    if let Entry::Always(k) = *e {
                        self.always[k as usize].remove(&a);
                    }
                }
                for e in &base.entries[i].1 {
                    if let Entry::Always(k) = *e {
                        // A key of the checkpoint: held by the slot below `keys`.
                        self.always[k as usize].insert(a);
                    }
                }
            }
            self.entries[i].1.clone_from(&base.entries[i].1);
            self.entries[i].0 = base.entries[i].0;
        }
        // Keys added since have no base items (the bases were frozen): their
        // sets go, and the others' marks and overlays are reset.
        let keys = base.below.len();
        self.below.truncate(keys);
        self.above.truncate(keys);
        self.always.truncate(keys);
        for (now, then) in self.below.iter_mut().zip(&base.below) {
            now.scanned = then.scanned;
            now.overlay.clear();
        }
        for (now, then) in self.above.iter_mut().zip(&base.above) {
            now.scanned = then.scanned;
            now.overlay.clear();
        }
        self.unsorted.clear();
        self.marks_moved.clear();
        self.live = base.live;
        self.stale = base.stale;
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

/// Two sorted lists as one sorted list (the order a sort of both gives).
fn merge(a: Vec<Item>, b: Vec<Item>) -> Vec<Item> {
    if b.is_empty() {
        return a;
    }
    if a.is_empty() {
        return b;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        let next = if x <= y { a.next() } else { b.next() };
        out.extend(next);
    }
    out.extend(a);
    out.extend(b);
    out
}

/// Number of trigger entries in a list.
fn triggers(entries: &[Entry]) -> usize {
    entries
        .iter()
        .filter(|e| matches!(e, Entry::Trigger(..)))
        .count()
}
