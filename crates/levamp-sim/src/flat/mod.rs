//! The flat book: an exact fast path for the simulator's commonest
//! workload (issue #10) — a venue whose accounts each hold one position in
//! the one driven market (isolated, or cross on quote collateral alone),
//! liquidated by the venue at the oracle price, whole or partially, with no
//! agent, funding or lending in the way.
//!
//! On such a venue nothing but the price and the venue's own liquidations
//! touches an account. So a path needs no venue: each account is a few
//! integers (size, cost basis, margin or wallet) over the world's state,
//! copied on the path's first write; the positions sit sorted once by
//! trigger price, and an oracle update meets the triggers it crosses (a
//! moving mark per side, as the engine's liquidation index does), checks
//! each met account exactly at the new price (the engine's margin function)
//! and settles the liquidatable ones in account order with the engine's
//! arithmetic (the close — the whole scope, or the smallest share that
//! restores maintenance plus the buffer — at the mark, realised PnL, the
//! penalty to the insurance fund, the fund's cover, bad debt past it). An
//! account left open by a partial liquidation is met again by the next
//! update whatever its price (in a falling market it is liquidatable again
//! there); one met and found safe is filed under its trigger — solved
//! afresh if it had none — in a heap, and met by any later update that
//! crosses it.
//!
//! Same results as the engine, digit for digit: an account is liquidated at
//! every update whose price makes it liquidatable, because its trigger
//! ([`levamp_engine::scope_trigger`]) is never on the unsafe side of the
//! exact boundary — the premise the engine's own index rests on. The tests
//! (`tests/flat_book.rs`, and this module's) run random books and
//! scenarios both ways and compare every metric. Anything the fast path
//! does not model makes it decline the path, which then runs on the engine
//! from its start: auto-deleveraging (a deficit past the fund touches other
//! accounts), an arithmetic error (the engine reports its own), a trigger
//! that cannot be computed. See [`FlatBook::build`] for what fits at all.

use crate::run::PathMetrics;
use crate::scenario::Scenario;
use crate::setup::World;
use levamp_core::{Base, MathError, Price, Quote, Ratio, Round};
use levamp_engine::venue::{AfterInsurance, Backstop, Venue};
use levamp_engine::{
    position_maintenance, scope_health, scope_trigger_from_rest, Account, Asset, AssetId, Holding,
    LendingCollateral, MarginContext, MarginMode, Market, MarketId, Position, Scope, ScopeMargin,
    Side,
};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

mod path;
mod settle;
pub(crate) use path::{run, Flat};

/// Why a path left the fast path for the engine.
#[derive(Debug)]
pub(crate) struct Declined;

impl From<MathError> for Declined {
    fn from(_: MathError) -> Declined {
        Declined
    }
}

/// One account's position as the world holds it (what a path does not change).
#[derive(Clone, Debug)]
struct Slot {
    /// The account (a venue id).
    account: u32,
    /// Its scope is the cross pool (its wallet: one quote holding).
    cross: bool,
    /// Liquidatable at and below its trigger (a long) or above (a short).
    below: bool,
    /// The position's chosen leverage.
    leverage: Option<Ratio>,
    /// The asset of its one wallet holding, if it has one.
    wallet: Option<AssetId>,
}

/// Above this many accounts a one-path run stays on the engine (see
/// [`FlatBook::build`]; measured on `benches/million.toml`: the book added
/// ≈ 0.7 s to a 1,000,000-account path).
const ONE_PATH_MAX_ACCOUNTS: usize = 100_000;

/// Accounts of each mode whose valuation is checked against the engine's
/// when a book is built.
const CHECKED: usize = 1024;

/// What a path changes of an account: the position and the margin (the
/// isolated margin, or the cross wallet's quote).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Live {
    size: Base,
    cost: Quote,
    margin: Quote,
}

/// The accounts of a flat venue, and their triggers sorted (see the module docs).
#[derive(Clone, Debug)]
pub struct FlatBook {
    market_id: MarketId,
    market: Market,
    /// The world's markets, assets and prices (the triggers' context).
    markets: Vec<Market>,
    assets: Vec<Asset>,
    prices: Vec<Price>,
    slots: Vec<Slot>,
    start: Vec<Live>,
    /// (trigger, slot) of the longs, highest first; of the shorts, lowest first.
    below: Vec<(Price, u32)>,
    above: Vec<(Price, u32)>,
    /// The quote asset, its price and `1 − haircut` (cross equity).
    quote: AssetId,
    quote_price: Price,
    quote_weight: Ratio,
    partial_buffer: Option<Ratio>,
    adl: bool,
    /// The pooled insurance fund and the bad debt at the start.
    fund0: Base,
    debt0: Base,
    /// The market's backstop segment and its weight (0 without one).
    segment: Option<usize>,
    weight: f64,
}

impl FlatBook {
    /// The flat book of `world`, when its venue and scenario fit the fast
    /// path: every account holds at most one position, in the driven market
    /// (priced by the driven key), isolated or cross with no collateral
    /// but the quote asset and no lending; the venue liquidates by itself,
    /// whole or partially by a buffer (no stepped or backstop-line
    /// liquidation), records a deficit past the fund as bad debt or
    /// auto-deleverages it (a path that needs it declines), has one pooled
    /// fund, no dynamic margin, size premium or oracle staleness; the
    /// scenario settles no funding, has no followers and reads the oracle
    /// without latency; the market's maintenance requirement is continuous
    /// across its tier caps; every account's trigger can be computed; and
    /// the run is not a single path over more than 100,000 accounts. Whether
    /// agents act is decided per path (they are registered then).
    /// `[run] fast_path = false` turns it off.
    pub fn build(s: &Scenario, world: &World) -> Option<FlatBook> {
        let venue = &world.venue;
        let market_id = world.market?;
        let rules = venue.rules();
        let fits = s.run.fast_path
            && venue.markets()[market_id as usize].tiers_continuous()
            && rules.liquidation.auto
            && rules.liquidation.step.is_none()
            && rules.liquidation.backstop_below.is_none()
            && rules.after_insurance != AfterInsurance::Socialize
            && rules.backstop == Backstop::Pooled
            && rules.dynamic_margin.is_none()
            && rules.imf_factor.is_zero()
            && rules.oracle_max_age_s.is_none()
            && s.funding.is_none()
            && s.latency_steps == 0
            && world.lending.is_none()
            && world.followers.is_empty()
            && venue.markets()[market_id as usize].price == world.key;
        // A single path over a large book: the book's set-up (≈ 0.7 µs an
        // account) costs more than the engine spends on a path that is
        // mostly calm (its quiet updates are as cheap as the book's).
        let one_big_path = s.run.paths == 1 && venue.accounts().len() > ONE_PATH_MAX_ACCOUNTS;
        if !fits || one_big_path {
            return None;
        }
        let quote = &venue.assets()[venue.quote() as usize];
        let funds = &venue.funds()[venue.quote() as usize];
        let segment = world.segments.iter().position(|g| g.market == market_id);
        let mut book = FlatBook {
            market_id,
            market: venue.markets()[market_id as usize].clone(),
            markets: venue.markets().to_vec(),
            assets: venue.assets().to_vec(),
            prices: venue.prices().to_vec(),
            slots: Vec::new(),
            start: Vec::new(),
            below: Vec::new(),
            above: Vec::new(),
            quote: venue.quote(),
            quote_price: venue.prices()[quote.price as usize],
            quote_weight: Ratio::ONE.checked_sub(quote.haircut).ok()?,
            partial_buffer: rules.liquidation.partial_buffer,
            adl: rules.after_insurance == AfterInsurance::AutoDeleverage,
            fund0: funds.insurance_fund,
            debt0: funds.bad_debt,
            segment,
            weight: segment.map_or(0.0, |i| world.segments[i].weight),
        };
        book.fill(venue, world.key)?;
        Some(book)
    }

    /// Every account's slot, start state and trigger; `None` when one does
    /// not fit or the book's equity differs from the engine's.
    fn fill(&mut self, venue: &Venue, key: u32) -> Option<()> {
        let ctx = venue.context();
        let quote = venue.quote();
        let mark = venue.prices()[key as usize];
        let mut checked = [0; 2];
        // First the triggers, by account; the slots are then laid out in
        // the order the marks meet them (the longs', then the shorts'), so
        // a path reads them in sequence. No copy of a slot is made.
        for (a, acc) in venue.accounts().iter().enumerate().skip(1) {
            let Some(p) = acc.positions.first() else {
                continue;
            };
            let cross = p.mode == MarginMode::Cross;
            let fits = acc.positions.len() == 1
                && p.market == self.market_id
                && acc.supplied.is_empty()
                && acc.borrows.is_empty()
                && acc.emode.is_none()
                && (!cross || acc.collateral.iter().all(|h| h.asset == quote))
                && acc.collateral.len() <= 1;
            if !fits {
                return None;
            }
            if p.size.is_zero() {
                continue;
            }
            // The engine's own trigger, as its index holds it (none: the
            // account is liquidatable at no price).
            let (side, trigger) = match venue.single_trigger(a as u32)? {
                None => continue,
                Some((k, side, t)) if k == key => (side, t),
                Some(_) => return None,
            };
            // The book's valuation must be the engine's: checked on the
            // first accounts of each mode (the same arithmetic for all).
            if checked[cross as usize] < CHECKED {
                let (slot, live) = slot_of(a, acc);
                let scope = if cross {
                    Scope::Cross
                } else {
                    Scope::Isolated(0)
                };
                let engine = scope_health(acc, scope, &ctx).ok()?;
                let here = self.health(&slot, live, mark).ok()?;
                if (here.0, here.1) != (engine.equity, engine.maintenance_margin) {
                    return None;
                }
                checked[cross as usize] += 1;
            }
            match side {
                Side::Below => self.below.push((trigger, a as u32)),
                Side::Above => self.above.push((trigger, a as u32)),
            }
        }
        self.below
            .sort_unstable_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
        self.above
            .sort_unstable_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
        let n = self.below.len() + self.above.len();
        self.slots.reserve_exact(n);
        self.start.reserve_exact(n);
        for (id, x) in self
            .below
            .iter_mut()
            .chain(self.above.iter_mut())
            .enumerate()
        {
            let (slot, live) = slot_of(x.1 as usize, &venue.accounts()[x.1 as usize]);
            self.slots.push(slot);
            self.start.push(live);
            x.1 = id as u32;
        }
        Some(())
    }

    /// The market the book's positions are in.
    pub fn market(&self) -> MarketId {
        self.market_id
    }

    /// A slot's position in state `live`.
    fn position(&self, slot: &Slot, live: Live) -> Position {
        let (mode, isolated_margin) = match slot.cross {
            true => (MarginMode::Cross, Quote::ZERO),
            false => (MarginMode::Isolated, live.margin),
        };
        Position {
            market: self.market_id,
            size: live.size,
            cost: live.cost,
            mode,
            isolated_margin,
            leverage: slot.leverage,
        }
    }

    /// Equity and maintenance margin of a slot's scope at `price` (the
    /// engine's `scope_maintenance`: isolated margin, or the quote wallet
    /// after its haircut, plus the position's PnL).
    fn health(&self, slot: &Slot, live: Live, price: Price) -> Result<(Quote, Quote), MathError> {
        let pm = position_maintenance(&self.position(slot, live), &self.market, price)?;
        let base = match slot.cross {
            true => self.wallet_value(live.margin)?,
            false => live.margin,
        };
        Ok((base.checked_add(pm.unrealized_pnl)?, pm.maintenance_margin))
    }

    /// A fresh trigger for a slot in state `live` at `mark`: the engine's
    /// re-index of a one-position scope (`single_key_triggers`: the
    /// position valued once, the rest is the margin or the quote wallet),
    /// on `acc`, a buffer set to the slot's state, and `prices`, the
    /// world's with the driven key at `mark`.
    fn trigger(
        &self,
        slot: &Slot,
        live: Live,
        acc: &mut Account,
        prices: &mut [Price],
        mark: Price,
    ) -> Result<Option<(Price, Side)>, MathError> {
        acc.positions.clear();
        acc.positions.push(self.position(slot, live));
        acc.collateral.clear();
        acc.collateral.extend(slot.wallet.map(|asset| Holding {
            asset,
            amount: Base::from_raw(live.margin.raw()),
        }));
        if slot.cross && acc.collateral.is_empty() && !live.margin.is_zero() {
            // Credited by a fund's cover: the wallet now holds quote.
            acc.collateral.push(Holding {
                asset: self.quote,
                amount: Base::from_raw(live.margin.raw()),
            });
        }
        prices[self.market.price as usize] = mark;
        let ctx = self.ctx(prices);
        let pm = position_maintenance(&acc.positions[0], &self.market, mark)?;
        let moving = ScopeMargin {
            equity: pm.unrealized_pnl,
            maintenance_margin: pm.maintenance_margin,
            initial_margin: Quote::ZERO,
            notional: pm.notional,
        };
        let (scope, base) = match slot.cross {
            true => (Scope::Cross, self.wallet_value(live.margin)?),
            false => (Scope::Isolated(0), live.margin),
        };
        let rest = ScopeMargin {
            equity: base,
            ..ScopeMargin::default()
        };
        let total = rest.checked_add(&moving)?;
        total.equity.checked_sub(total.maintenance_margin)?;
        let side = live.size.raw().signum();
        scope_trigger_from_rest(acc, scope, self.market.price, &ctx, total, rest, side)
    }

    /// A scope's equity after a close (`Venue::scope_equity_after`): the
    /// isolated margin, or the cross wallet plus the PnL of what is left.
    fn equity_after(&self, slot: &Slot, live: Live, mark: Price) -> Result<Quote, MathError> {
        match (slot.cross, live.size.is_zero()) {
            (false, _) => Ok(live.margin),
            (true, true) => self.wallet_value(live.margin),
            (true, false) => Ok(self.health(slot, live, mark)?.0),
        }
    }

    /// The cross wallet's `margin` quote after the quote's price and haircut.
    fn wallet_value(&self, margin: Quote) -> Result<Quote, MathError> {
        Base::from_raw(margin.raw())
            .value_at(self.quote_price, Round::Floor)?
            .mul_ratio(self.quote_weight, Round::Floor)
    }
}

/// The slot and start state of account `a` (one position, checked to fit).
fn slot_of(a: usize, acc: &Account) -> (Slot, Live) {
    let p = &acc.positions[0];
    let cross = p.mode == MarginMode::Cross;
    let margin = match cross {
        true => acc
            .collateral
            .first()
            .map_or(Quote::ZERO, |h| Quote::from_raw(h.amount.raw())),
        false => p.isolated_margin,
    };
    let slot = Slot {
        account: a as u32,
        cross,
        below: p.size.is_positive(),
        leverage: p.leverage,
        wallet: acc.collateral.first().map(|h| h.asset),
    };
    let live = Live {
        size: p.size,
        cost: p.cost,
        margin,
    };
    (slot, live)
}

/// What a worker reuses from path to path.
#[derive(Debug, Default)]
pub struct FlatScratch {
    /// Each slot's state on the current path, valid where `gen` is the path's.
    live: Vec<Live>,
    gen: Vec<u32>,
    /// Slots liquidated on the current path (the same generation rule).
    hit: Vec<u32>,
    path_gen: u32,
    /// The slots an update meets (account, slot, trigger — `None`: hot).
    met: Vec<(u32, u32, Option<Price>)>,
    /// Slots left open by a liquidation: met by the next update whatever
    /// its price (a fresh trigger is solved only if they survive one).
    hot: Vec<u32>,
    /// Re-filed triggers: longs (highest first) and shorts (lowest first).
    heap_below: BinaryHeap<(Price, u32)>,
    heap_above: BinaryHeap<Reverse<(Price, u32)>>,
    /// Buffers for fresh triggers: an account (only its positions and
    /// wallet are set), the prices.
    account: Option<Account>,
    prices: Vec<Price>,
}

/// One path's state on the flat book.
pub(crate) struct FlatPath<'a> {
    book: &'a FlatBook,
    /// Base triggers of each side met so far.
    met_below: usize,
    met_above: usize,
    scratch: &'a mut FlatScratch,
    /// The pooled fund and the bad debt now.
    pub fund: Base,
    pub bad_debt: Base,
    /// Accounts liquidated at least once.
    pub liquidated: usize,
    /// Σ penalties − Σ fund draws (the fund's movement, for the end check).
    fund_moved: Base,
    /// Who was liquidated (a path that keeps a series), fed the events the
    /// engine would have recorded, at (step, cascade round).
    pub log: Option<(crate::liquidations::Log, &'a Venue)>,
    pub at: (usize, usize),
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
            at: (0, 0),
        }
    }

    fn live(&self, slot: u32) -> Live {
        let i = slot as usize;
        match self.scratch.gen[i] == self.scratch.path_gen {
            true => self.scratch.live[i],
            false => self.book.start[i],
        }
    }

    fn set_live(&mut self, slot: u32, live: Live) {
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
    fn file(&mut self, id: u32, t: Price) {
        match self.book.slots[id as usize].below {
            true => self.scratch.heap_below.push((t, id)),
            false => self.scratch.heap_above.push(Reverse((t, id))),
        }
    }

    /// Checks a met account at `price` exactly; liquidates it (one left
    /// open is hot: the next update meets it), or files it again under its
    /// trigger `t` (solved now for a hot one).
    fn check(
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

impl FlatBook {
    /// The margin context of the world's venue (its markets and assets) at
    /// `prices`.
    fn ctx<'b>(&'b self, prices: &'b [Price]) -> MarginContext<'b> {
        MarginContext {
            markets: &self.markets,
            assets: &self.assets,
            prices,
            indices: &[],
            lending_collateral: LendingCollateral::SuppliedOnly,
            emode_categories: &[],
            size_premium: Ratio::ZERO,
        }
    }
}
#[cfg(test)]
mod tests {
    //! Update by update against the engine at the prices where the fast
    //! path's bookkeeping matters most: one tick above each trigger, at it,
    //! and a few ticks past it — between the trigger and the exact boundary
    //! a met position is not yet liquidatable and waits on the pending list.

    use super::*;
    use crate::backstop::BackstopStats;
    use crate::sources::Sources;

    fn world(accounts: &'static str) -> (Scenario, World) {
        let body = "[run]\nsteps = 1\n[venue]\npreset = \"generic\"\ninsurance_fund = 2\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nmodel = \"gbm\"\nstart = 100\nsigma = 1\n";
        let s = crate::scenario::parse(body, "t", std::path::Path::new("mem")).unwrap();
        let sources = Sources::disk().with("mem/accounts.json", accounts);
        let w = crate::setup::build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
        (s, w)
    }

    #[test]
    fn every_update_near_the_triggers_matches_the_engine() {
        // Sizes from a millionth of a unit (where rounding is coarsest) up.
        let accounts = r#"{"quote": "USDT", "prices": {"ETH": 100},
          "markets": {"ETHUSDT": {"base": "ETH", "liquidation_fee_rate": 0.01,
            "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.0123, "max_leverage": 100}]}},
          "accounts": [
            {"id": "a", "positions": [{"market": "ETHUSDT", "size": 0.000001, "entry_price": 100, "margin_mode": "isolated", "isolated_margin": 0.00001}]},
            {"id": "b", "positions": [{"market": "ETHUSDT", "size": 3.3333, "entry_price": 99.5, "margin_mode": "isolated", "isolated_margin": 21.7}]},
            {"id": "c", "positions": [{"market": "ETHUSDT", "size": 0.0071, "entry_price": 100.2, "margin_mode": "isolated", "isolated_margin": 0.05}]},
            {"id": "d", "positions": [{"market": "ETHUSDT", "size": -2.5, "entry_price": 100.1, "margin_mode": "isolated", "isolated_margin": 19.3}]},
            {"id": "e", "positions": [{"market": "ETHUSDT", "size": -0.000003, "entry_price": 99.9, "margin_mode": "isolated", "isolated_margin": 0.00002}]},
            {"id": "f", "positions": [{"market": "ETHUSDT", "size": 41.0, "entry_price": 100.0, "margin_mode": "isolated", "isolated_margin": 200}]}
          ]}"#;
        let (s, world) = world(accounts);
        let book = world.flat.as_ref().expect("fits the fast path");
        let tick = Price::TICK.raw();
        let mut prices = Vec::new();
        let sides = book
            .below
            .iter()
            .map(|x| (x.0, -1))
            .chain(book.above.iter().map(|x| (x.0, 1)));
        for (t, toward) in sides {
            for k in [-1, 0, 1, 2, 3, 5, 8, 13, 40, 200, 5_000] {
                prices.push(Price::from_raw(t.raw() + toward * k * tick));
            }
        }
        let mut venue = world.venue.clone();
        let mut scratch = FlatScratch::default();
        let mut flat = FlatPath::new(book, &mut scratch);
        let mut m = crate::run::start_metrics(0, 100.0, 1);
        m.backstop = BackstopStats::start(&world.venue, &world.segments);
        let (mut events, quote) = (Vec::new(), venue.quote() as usize);
        let mut pended = 0;
        for (i, &p) in prices.iter().enumerate() {
            venue
                .update_price_into(world.key, p, world.t0 + i as i64, None, &mut events)
                .unwrap();
            flat.update(p, &mut m, 2.0).unwrap();
            pended = pended.max(flat.scratch.heap_below.len() + flat.scratch.heap_above.len());
            let closed = (1..venue.accounts().len() as u32)
                .filter(|&a| {
                    venue
                        .position(a, book.market_id)
                        .is_none_or(|p| p.size.is_zero())
                })
                .count();
            assert_eq!(flat.liquidated, closed, "update {i} at {p}");
            assert_eq!(flat.fund, venue.funds()[quote].insurance_fund, "update {i}");
            assert_eq!(flat.bad_debt, venue.funds()[quote].bad_debt, "update {i}");
        }
        assert!(
            pended > 0,
            "no position waited between trigger and boundary"
        );
        assert!(flat.liquidated >= 5, "{}", flat.liquidated);
        drop(s);
    }
}

#[cfg(test)]
mod discontinuous_tiers {
    //! A tier table whose requirement jumps at a cap (no maintenance
    //! amount to bridge it) breaks the triggers' premise: near the cap a
    //! position can be liquidatable at a price and safe at a worse one.
    //! Found by the flat book's tests (the engine left such a position
    //! open); the engine now checks such positions on every update, and
    //! the flat book does not take such a market.

    use super::*;
    use crate::sources::Sources;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn an_account_liquidatable_at_a_tier_cap_is_never_missed() {
        let accounts = r#"{"quote": "USDT", "prices": {"ETH": 100}, "markets": {"ETHUSDT": {"base": "ETH", "liquidation_fee_rate": 0, "tiers": [{"max_notional": 300, "maintenance_margin_rate": 0.0227, "max_leverage": 100}, {"max_notional": null, "maintenance_margin_rate": 0.0455, "maintenance_amount": 0, "max_leverage": 50}]}}, "accounts": [{"id": "a0", "positions": [{"market": "ETHUSDT", "size": 53.10732468, "entry_price": 104.7020, "margin_mode": "isolated", "isolated_margin": 240.41}]}]}"#;
        let body = "[run]\nseed = 77\npaths = 3\nsteps = 120\nmax_rounds = 1\nseries_paths = 0\n[venue]\npreset = \"generic\"\nrules = { liquidation = { auto = true, partial_buffer = 0 } }\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nmodel = \"gbm\"\nstart = 100\nmu = 0\nsigma = 4.380\n[impact]\nmodel = \"linear\"\nlambda = 0\n";
        let s = crate::scenario::parse(body, "t", std::path::Path::new("mem")).unwrap();
        let sources = Sources::disk().with("mem/accounts.json", accounts);
        let w = crate::setup::build(&s, &sources).unwrap();
        assert!(!w.venue.markets()[0].tiers_continuous());
        assert!(
            w.flat.is_none(),
            "the flat book does not take a jumping table"
        );
        // Path 1's prices: at step 14 the partially liquidated position's
        // notional is just above the cap, where it is liquidatable.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(crate::run::path_seed(77, 1));
        let mut process = crate::models::process(&s, &w).unwrap();
        let mut impact = crate::models::impact(&s, w.start);
        let (mut prices, mut venue, mut events) = ((w.start, w.start), w.venue.clone(), Vec::new());
        for step in 1..=120usize {
            crate::step::exogenous(
                process.as_mut(),
                step,
                &mut rng,
                w.start,
                &mut prices,
                impact.as_mut(),
            )
            .unwrap();
            let price = prices.0;
            let acc = &venue.accounts()[1];
            let mut at = venue.prices().to_vec();
            at[w.key as usize] = price;
            let ctx = MarginContext {
                prices: &at,
                ..venue.context()
            };
            let liquidatable = !acc.positions.is_empty()
                && !acc.positions[0].size.is_zero()
                && scope_health(acc, Scope::Isolated(0), &ctx)
                    .unwrap()
                    .liquidatable();
            let crossed = venue.liquidation_index().clone().crossed(w.key, price);
            assert!(
                !liquidatable || crossed.contains(&1),
                "missed at step {step}, {price}"
            );
            venue
                .update_price_into(w.key, price, w.t0 + step as i64, None, &mut events)
                .unwrap();
        }
    }
}
