//! Checkpoint and restore: run many paths from one venue without cloning it.
//!
//! [`Venue::checkpoint`] keeps a copy of the venue and starts marking what
//! changes: every account a committed command changed or re-indexed is
//! marked once (a dense flag per account and a list), and rarer changes
//! (appended accounts, markets, assets or price keys; a re-listing; a whole
//! index rebuild) set a flag each. [`Venue::restore`] copies back the marked
//! accounts and their liquidation-index entries, and the small per-venue
//! state (prices, funds, pools, clock…) wholesale — at a cost proportional
//! to the number of accounts the path touched, not to how often it touched
//! them nor to the number of accounts. The checkpoint stays active, so a
//! simulator worker checkpoints once and restores after each path.
//!
//! The index is restored rather than recomputed: an account's triggers
//! depend on the prices at the time it was last indexed, so re-indexing the
//! touched accounts after a restore would give different (still correct)
//! triggers, and the venue would not equal the one at the checkpoint.

use super::error::VenueError;
use super::state::{AccountId, Undo, Venue};

/// What changed since the checkpoint. Bookkeeping, not state: it compares
/// equal to every other journal, so a venue with a checkpoint equals its
/// clone without one.
#[derive(Clone, Debug, Default)]
pub(crate) struct Journal {
    /// The venue at the checkpoint (its own journal inactive); `None`: no
    /// checkpoint.
    base: Option<Box<Venue>>,
    /// Accounts changed or re-indexed since the checkpoint, each once.
    dirty: Vec<AccountId>,
    /// By account: in `dirty` already.
    marked: Vec<bool>,
    /// Something was appended (account, market, asset, price key) or a
    /// market re-listed: names, markets, assets and keys are copied back.
    catalogue: bool,
    /// The whole index was rebuilt: it is copied back whole.
    index_whole: bool,
}

impl PartialEq for Journal {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Journal {}

impl Journal {
    fn mark(&mut self, account: AccountId) {
        let a = account as usize;
        if self.marked.len() <= a {
            self.marked.resize(a + 1, false);
        }
        if !std::mem::replace(&mut self.marked[a], true) {
            self.dirty.push(account);
        }
    }

    /// Takes a committed command's undo records: notes what they changed
    /// when a checkpoint is active, and empties the list.
    pub(crate) fn keep(&mut self, undo: &mut Vec<Undo>) {
        if self.base.is_some() {
            for u in undo.iter() {
                match u {
                    Undo::Wallet(a, ..)
                    | Undo::Supplied(a, ..)
                    | Undo::Debt(a, ..)
                    | Undo::Position(a, ..) => self.mark(*a),
                    Undo::Market(..) | Undo::Appended(_) => self.catalogue = true,
                    // Prices, funds, pools, funding times, the clock and the
                    // rules are copied back whole on restore.
                    _ => {}
                }
            }
        }
        undo.clear();
    }

    /// Notes that an account's index entries changed.
    pub(crate) fn index_set(&mut self, account: AccountId) {
        if self.base.is_some() {
            self.mark(account);
        }
    }

    /// Notes that the whole index was rebuilt.
    pub(crate) fn index_replaced(&mut self) {
        if self.base.is_some() {
            self.index_whole = true;
        }
    }
}

impl Venue {
    /// Starts (or moves) the checkpoint to the current state: from now on
    /// what changes is noted so [`Venue::restore`] can put it back.
    pub fn checkpoint(&mut self) {
        self.rollback();
        self.journal = Journal::default();
        self.index.freeze();
        let base = self.clone();
        self.journal.base = Some(Box::new(base));
    }

    /// Whether a checkpoint is active.
    pub fn has_checkpoint(&self) -> bool {
        self.journal.base.is_some()
    }

    /// How many accounts a [`Venue::restore`] would copy back now: its cost.
    pub fn journal_len(&self) -> usize {
        self.journal.dirty.len()
    }

    /// Drops the checkpoint and its journal; changes are no longer kept.
    pub fn clear_checkpoint(&mut self) {
        self.journal = Journal::default();
        self.index.thaw();
    }

    /// Rolls the venue back to exactly the state (and liquidation index) it
    /// had at [`Venue::checkpoint`], in time proportional to the accounts
    /// touched since. The checkpoint stays active. Error: no checkpoint is
    /// active.
    pub fn restore(&mut self) -> Result<(), VenueError> {
        if self.journal.base.is_none() {
            return Err(VenueError::Invalid {
                field: "checkpoint",
                reason: "restore needs an active checkpoint (call checkpoint first)".into(),
            });
        }
        self.rollback();
        let mut journal = std::mem::take(&mut self.journal);
        let base = journal.base.as_deref().expect("checked above");
        let n = base.accounts.len();
        self.accounts.truncate(n);
        if journal.index_whole {
            self.index.clone_from(&base.index);
        } else {
            self.index.restore_from(&base.index, &journal.dirty);
        }
        for &a in &journal.dirty {
            let i = a as usize;
            journal.marked[i] = false;
            if i >= n {
                continue;
            }
            // Commands never rename an account: its balances are copied back.
            let (now, then) = (&mut self.accounts[i], &base.accounts[i]);
            now.collateral.clone_from(&then.collateral);
            now.supplied.clone_from(&then.supplied);
            now.borrows.clone_from(&then.borrows);
            now.positions.clone_from(&then.positions);
        }
        journal.dirty.clear();
        if journal.catalogue {
            self.markets.clone_from(&base.markets);
            self.continuity.clone_from(&base.continuity);
            self.assets.clone_from(&base.assets);
            self.price_keys.clone_from(&base.price_keys);
            self.names.clone_from(&base.names);
        }
        self.rules.clone_from(&base.rules);
        self.quote = base.quote;
        self.prices.clone_from(&base.prices);
        self.price_ts.clone_from(&base.price_ts);
        self.pools.clone_from(&base.pools);
        self.indices.clone_from(&base.indices);
        self.funds.clone_from(&base.funds);
        self.last_funding.clone_from(&base.last_funding);
        self.now = base.now;
        self.volatility.clone_from(&base.volatility);
        self.margin_rates.clone_from(&base.margin_rates);
        journal.catalogue = false;
        journal.index_whole = false;
        self.journal = journal;
        Ok(())
    }
}
