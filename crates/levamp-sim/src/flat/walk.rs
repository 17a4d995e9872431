//! One path's state on the flat book: what a path changes (each slot's
//! state over the world's, by generation), the marks and heaps of met
//! triggers, and the update that meets, checks and settles them.

use super::{Declined, FlatBook, Live};
use crate::run::PathMetrics;
use levamp_core::{Base, Price};
use levamp_engine::Account;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What a worker reuses from path to path.
#[derive(Debug, Default)]
pub struct FlatScratch {
    /// Each slot's state on the current path, valid where `gen` is the path's.
    pub(super) live: Vec<Live>,
    pub(super) gen: Vec<u32>,
    /// Slots liquidated on the current path (the same generation rule).
    pub(super) hit: Vec<u32>,
    pub(super) path_gen: u32,
    /// The slots an update meets (account, slot, trigger — `None`: hot).
    pub(super) met: Vec<(u32, u32, Option<Price>)>,
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
        let n = book.slots.len();
        if scratch.gen.len() != n || scratch.path_gen == u32::MAX {
            scratch.live = book.start.clone();
            scratch.gen = vec![0; n];
            scratch.hit = vec![0; n];
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

    pub(super) fn live(&self, slot: u32) -> Live {
        let i = slot as usize;
        match self.scratch.gen[i] == self.scratch.path_gen {
            true => self.scratch.live[i],
            false => self.book.start[i],
        }
    }

    pub(super) fn set_live(&mut self, slot: u32, live: Live) {
        let i = slot as usize;
        self.scratch.live[i] = live;
        self.scratch.gen[i] = self.scratch.path_gen;
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
        while let Some(&(t, id)) = book.below.get(self.met_below).filter(|x| x.0 >= price) {
            met.push((book.slots[id as usize].account, id, Some(t)));
            self.met_below += 1;
        }
        while let Some(&(t, id)) = book.above.get(self.met_above).filter(|x| x.0 <= price) {
            met.push((book.slots[id as usize].account, id, Some(t)));
            self.met_above += 1;
        }
        let heaps = &mut *self.scratch;
        while let Some(&(t, id)) = heaps.heap_below.peek().filter(|x| x.0 >= price) {
            heaps.heap_below.pop();
            met.push((book.slots[id as usize].account, id, Some(t)));
        }
        while let Some(&Reverse((t, id))) = heaps.heap_above.peek().filter(|x| x.0 .0 <= price) {
            heaps.heap_above.pop();
            met.push((book.slots[id as usize].account, id, Some(t)));
        }
        met.extend(
            heaps
                .hot
                .drain(..)
                .map(|id| (book.slots[id as usize].account, id, None)),
        );
        let mut round = FlatRound::default();
        // In account order, as the engine liquidates what an update crossed.
        met.sort_unstable_by_key(|x| x.0);
        let result = met
            .iter()
            .try_for_each(|&(_, id, t)| self.check(id, t, price, m, fund0, &mut round));
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

    /// Checks a met account at `price` exactly; liquidates it (one left
    /// open is hot: the next update meets it), or files it again under its
    /// trigger `t` (solved now for a hot one).
    pub(super) fn check(
        &mut self,
        id: u32,
        t: Option<Price>,
        price: Price,
        m: &mut PathMetrics,
        fund0: f64,
        round: &mut FlatRound,
    ) -> Result<(), Declined> {
        let slot = &self.book.slots[id as usize];
        let live = self.live(id);
        let (equity, mm) = self.book.health(slot, live, price)?;
        if !(mm.is_positive() && equity <= mm) {
            let t = match t {
                Some(t) => Some(t),
                None => {
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
        let after = self.liquidate(id, live, (equity, mm), price, m, fund0, round)?;
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
