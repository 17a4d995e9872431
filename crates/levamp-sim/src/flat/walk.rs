//! One path's state on the flat book: what a path changes (each slot's
//! state over the world's, by generation), the marks and heaps of met
//! triggers, and the update that meets, checks and settles them.

use super::{Declined, FlatBook, Health, Live};
use crate::run::PathMetrics;
use levamp_core::{Base, Price};
use levamp_engine::Account;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A slot's state on a path, in one cache line: what the path changed of
/// it (valid where `gen` is the path's) and whether the path liquidated it
/// (where `hit` is the path's).
#[derive(Clone, Copy, Debug)]
pub(super) struct State {
    pub(super) live: Live,
    pub(super) gen: u32,
    pub(super) hit: u32,
}

/// How an update met a slot (the low two bits of its key in `met`).
const BASE: u64 = 0;
const FILED: u64 = 1;
const HOT: u64 = 2;

/// A met slot's key: settled in account order (the high half), then its
/// id and how it was met.
fn key(account: u32, id: u32, how: u64) -> u64 {
    (account as u64) << 32 | (id as u64) << 2 | how
}

/// What a worker reuses from path to path.
#[derive(Debug, Default)]
pub struct FlatScratch {
    /// Each slot's state on the current path (by generation).
    pub(super) state: Vec<State>,
    pub(super) path_gen: u32,
    /// Each slot's trigger in a heap, while it is filed there.
    pub(super) filed: Vec<Price>,
    /// The slots an update meets, keyed (see [`key`]).
    pub(super) met: Vec<u64>,
    /// Slots left open by a liquidation: met by the next update whatever
    /// its price (a fresh trigger is solved only if they survive one).
    pub(super) hot: Vec<u32>,
    /// Re-filed triggers: longs (highest first) and shorts (lowest first).
    pub(super) heap_below: BinaryHeap<(Price, u32)>,
    pub(super) heap_above: BinaryHeap<Reverse<(Price, u32)>>,
    /// Buffers for fresh triggers: an account (only its positions and
    /// wallet are set), the prices.
    pub(super) account: Option<Account>,
    pub(super) prices: Vec<Price>,
}

/// One path's state on the flat book.
pub(crate) struct FlatPath<'a> {
    pub(super) book: &'a FlatBook,
    /// Base triggers of each side met so far.
    pub(super) met_below: usize,
    pub(super) met_above: usize,
    pub(super) scratch: &'a mut FlatScratch,
    /// The pooled fund and the bad debt now.
    pub fund: Base,
    pub bad_debt: Base,
    /// Accounts liquidated at least once.
    pub liquidated: usize,
    /// Σ penalties − Σ fund draws (the fund's movement, for the end check).
    pub(super) fund_moved: Base,
    /// On a path that keeps a series: the current round's events as the
    /// engine would have recorded them (its fills and `Liquidated`), for the
    /// liquidation log once the round's number is known.
    pub log: Option<Vec<levamp_engine::venue::Event>>,
}

/// One cascade round's liquidations on the flat book.
#[derive(Debug, Default)]
pub(crate) struct FlatRound {
    /// Base units sold into the market (< 0 bought).
    pub sold: Base,
    /// Liquidated notional of the round.
    pub notional: f64,
}

impl<'a> FlatPath<'a> {
    /// A path's start: every account as the world holds it, nothing met.
    pub fn new(book: &'a FlatBook, scratch: &'a mut FlatScratch) -> FlatPath<'a> {
        let n = book.entries.len();
        if scratch.state.len() != n || scratch.path_gen == u32::MAX {
            let state = |e: &super::Entry| State {
                live: e.start,
                gen: 0,
                hit: 0,
            };
            scratch.state = book.entries.iter().map(state).collect();
            scratch.filed = vec![Price::ZERO; n];
            scratch.path_gen = 0;
            scratch.prices = book.prices.clone();
        }
        scratch.path_gen += 1;
        scratch.met.clear();
        scratch.heap_below.clear();
        scratch.heap_above.clear();
        scratch.hot.clear();
        FlatPath {
            book,
            met_below: 0,
            met_above: 0,
            scratch,
            fund: book.fund0,
            bad_debt: book.debt0,
            liquidated: 0,
            fund_moved: Base::ZERO,
            log: None,
        }
    }

    /// Slot `id`'s state now.
    pub(super) fn live(&self, id: u32) -> Live {
        let i = id as usize;
        let state = &self.scratch.state[i];
        match state.gen == self.scratch.path_gen {
            true => state.live,
            false => self.book.entries[i].start,
        }
    }

    /// Sets slot `id`'s state.
    pub(super) fn set_live(&mut self, id: u32, live: Live) {
        let state = &mut self.scratch.state[id as usize];
        state.live = live;
        state.gen = self.scratch.path_gen;
    }

    /// An oracle update to `price`: liquidates every account it makes
    /// liquidatable, in account order, and tallies what the engine's events
    /// would have told the simulator into `m` (`fund0`: the fund at the
    /// path's start, as `f64`).
    pub fn update(
        &mut self,
        price: Price,
        m: &mut PathMetrics,
        fund0: f64,
    ) -> Result<FlatRound, Declined> {
        let book = self.book;
        let mut met = std::mem::take(&mut self.scratch.met);
        met.clear();
        let account = |id: u32| book.entries[id as usize].account;
        while let Some(&(_, id)) = book.below.get(self.met_below).filter(|x| x.0 >= price) {
            met.push(key(account(id), id, BASE));
            self.met_below += 1;
        }
        while let Some(&(_, id)) = book.above.get(self.met_above).filter(|x| x.0 <= price) {
            met.push(key(account(id), id, BASE));
            self.met_above += 1;
        }
        let heaps = &mut *self.scratch;
        while let Some(&(t, id)) = heaps.heap_below.peek().filter(|x| x.0 >= price) {
            heaps.heap_below.pop();
            heaps.filed[id as usize] = t;
            met.push(key(account(id), id, FILED));
        }
        while let Some(&Reverse((t, id))) = heaps.heap_above.peek().filter(|x| x.0 .0 <= price) {
            heaps.heap_above.pop();
            heaps.filed[id as usize] = t;
            met.push(key(account(id), id, FILED));
        }
        if !heaps.hot.is_empty() {
            met.extend(heaps.hot.drain(..).map(|id| key(account(id), id, HOT)));
        }
        let mut round = FlatRound::default();
        if met.is_empty() {
            // Most updates meet nothing.
            self.scratch.met = met;
            return Ok(round);
        }
        // In account order, as the engine liquidates what an update crossed.
        if met.len() > 1 {
            met.sort_unstable();
        }
        let result = met.iter().try_for_each(|&k| {
            let (id, how) = ((k as u32) >> 2, k & 3);
            self.check(id, how, price, m, fund0, &mut round)
        });
        self.scratch.met = met;
        result.map(|()| round)
    }

    /// Files a slot under trigger `t` again (met by a later crossing update).
    pub(super) fn file(&mut self, id: u32, t: Price) {
        match self.book.slots[id as usize].below {
            true => self.scratch.heap_below.push((t, id)),
            false => self.scratch.heap_above.push(Reverse((t, id))),
        }
    }

    /// Checks a met slot at `price` exactly; liquidates it (one left open
    /// is hot: the next update meets it), or files it again under its
    /// trigger (the one it was met by; solved now for a hot one).
    pub(super) fn check(
        &mut self,
        id: u32,
        how: u64,
        price: Price,
        m: &mut PathMetrics,
        fund0: f64,
        round: &mut FlatRound,
    ) -> Result<(), Declined> {
        let live = self.live(id);
        let cross = self.book.entries[id as usize].cross;
        let health: Health = self.book.health_at(cross, live, price)?;
        if !health.liquidatable {
            let t = match how {
                BASE => Some(self.book.trigger_of(id)),
                FILED => Some(self.scratch.filed[id as usize]),
                _ => {
                    let slot = &self.book.slots[id as usize];
                    let scratch = &mut *self.scratch;
                    let acc = scratch.account.get_or_insert_with(Account::default);
                    let fresh = self
                        .book
                        .trigger(slot, live, acc, &mut scratch.prices, price)?;
                    fresh.map(|(t, _)| t)
                }
            };
            // No trigger: liquidatable at no price (the engine files none).
            if let Some(t) = t {
                self.file(id, t);
            }
            return Ok(());
        }
        let after = self.liquidate(id, live, health, price, m, fund0, round)?;
        self.set_live(id, after);
        if !after.size.is_zero() {
            self.scratch.hot.push(id);
        }
        Ok(())
    }
}

impl FlatPath<'_> {
    /// The path's end check: the fund moved by exactly the penalties it
    /// took less what it paid (value neither created nor destroyed between
    /// the accounts, the fund and the bad debt).
    pub fn conserved(&self) -> bool {
        self.book.fund0.checked_add(self.fund_moved).ok() == Some(self.fund)
    }
}
