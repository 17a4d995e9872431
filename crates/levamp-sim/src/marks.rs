//! Which accounts were liquidated on a path, and by whom — a leaf module.

use levamp_engine::venue::AccountId;

/// Accounts liquidated on a path: a flag per account, reset through the
/// list of those set (no per-path O(accounts) work after the first path).
#[derive(Clone, Debug, Default)]
pub struct Marks {
    flags: Vec<u8>,
    touched: Vec<AccountId>,
}

/// Liquidated by the venue or the lending keeper.
const BY_VENUE: u8 = 1;
/// Liquidated by an external liquidator.
const BY_AGENT: u8 = 2;

impl Marks {
    fn set(&mut self, id: AccountId, bit: u8) {
        let i = id as usize;
        if i >= self.flags.len() {
            self.flags.resize(i + 1, 0);
        }
        if self.flags[i] == 0 {
            self.touched.push(id);
        }
        self.flags[i] |= bit;
    }
    /// Marks an account the venue or the keeper liquidated.
    pub fn venue(&mut self, id: AccountId) {
        self.set(id, BY_VENUE);
    }
    /// Marks an account an external liquidator liquidated.
    pub fn agent(&mut self, id: AccountId) {
        self.set(id, BY_AGENT);
    }
    /// Whether the venue or the keeper liquidated `id` (what hunters see).
    pub fn by_venue(&self, id: AccountId) -> bool {
        self.flags
            .get(id as usize)
            .is_some_and(|f| f & BY_VENUE != 0)
    }
    /// Accounts liquidated by anyone.
    pub fn count(&self) -> usize {
        self.touched.len()
    }
    /// Clears the marks set since the last reset.
    pub fn reset(&mut self) {
        for id in self.touched.drain(..) {
            self.flags[id as usize] = 0;
        }
    }
}
