//! Checkpoint and restore: run many paths from one venue without cloning it.
//!
//! [`Venue::checkpoint`] starts a journal: every committed command's undo
//! records (the values its primitives replaced) and every liquidation-index
//! change (an account's previous entries) are kept instead of dropped.
//! [`Venue::restore`] plays the journal back, newest first, which leaves the
//! state and the index exactly as they were at the checkpoint — at a cost
//! proportional to what the path changed, not to the number of accounts.
//! The checkpoint stays active, so a simulator worker checkpoints once and
//! restores after each path.
//!
//! The index is journalled rather than recomputed: an account's triggers
//! depend on the prices at the time it was last indexed, so re-indexing the
//! touched accounts after a restore would give different (still correct)
//! triggers, and the venue would not equal the one at the checkpoint.

use super::error::VenueError;
use super::index::{Entry, LiquidationIndex};
use super::state::{AccountId, Undo, Venue};

/// What changed since the checkpoint. Bookkeeping, not state: it compares
/// equal to every other journal, so a venue with a checkpoint equals its
/// clone without one.
#[derive(Clone, Debug, Default)]
pub(crate) struct Journal {
    active: bool,
    /// Undo records of the committed commands, oldest first.
    state: Vec<Undo>,
    /// Index changes, oldest first.
    index: Vec<IndexUndo>,
}

#[derive(Clone, Debug)]
enum IndexUndo {
    /// An account's entries before it was re-indexed.
    Entries(AccountId, Vec<Entry>),
    /// The whole index before a rebuild.
    Whole(Box<LiquidationIndex>),
}

impl PartialEq for Journal {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Journal {}

impl Journal {
    /// Takes a committed command's undo records (keeps them when active).
    pub(crate) fn keep(&mut self, undo: &mut Vec<Undo>) {
        if self.active {
            self.state.append(undo);
        } else {
            undo.clear();
        }
    }

    /// Records an account's entries before a re-index.
    pub(crate) fn index_set(&mut self, account: AccountId, old: Vec<Entry>) {
        if self.active {
            self.index.push(IndexUndo::Entries(account, old));
        }
    }

    /// Records the whole index before a rebuild.
    pub(crate) fn index_replaced(&mut self, old: LiquidationIndex) {
        if self.active {
            self.index.push(IndexUndo::Whole(Box::new(old)));
        }
    }
}

impl Venue {
    /// Starts (or moves) the checkpoint to the current state: from now on
    /// every change is journalled so [`Venue::restore`] can undo it.
    pub fn checkpoint(&mut self) {
        self.rollback();
        self.journal = Journal {
            active: true,
            ..Journal::default()
        };
    }

    /// Whether a checkpoint is active.
    pub fn has_checkpoint(&self) -> bool {
        self.journal.active
    }

    /// How many records a [`Venue::restore`] would play back now (state undo
    /// records and index changes since the checkpoint): its cost, to weigh
    /// against a fresh copy of the venue.
    pub fn journal_len(&self) -> usize {
        self.journal.state.len() + self.journal.index.len()
    }

    /// Drops the checkpoint and its journal; changes are no longer kept.
    pub fn clear_checkpoint(&mut self) {
        self.journal = Journal::default();
    }

    /// Rolls the venue back to exactly the state (and liquidation index) it
    /// had at [`Venue::checkpoint`], in time proportional to what changed
    /// since. The checkpoint stays active. Error: no checkpoint is active.
    pub fn restore(&mut self) -> Result<(), VenueError> {
        if !self.journal.active {
            return Err(VenueError::Invalid {
                field: "checkpoint",
                reason: "restore needs an active checkpoint (call checkpoint first)".into(),
            });
        }
        self.rollback();
        while let Some(u) = self.journal.state.pop() {
            self.revert(u);
        }
        while let Some(u) = self.journal.index.pop() {
            match u {
                IndexUndo::Entries(account, old) => {
                    self.index.set(account, old);
                }
                IndexUndo::Whole(old) => self.index = *old,
            }
        }
        // The restored items go into the ordered sets now, at restore's cost.
        self.index.settle();
        Ok(())
    }
}
