//! The flat isolated book: an exact fast path for the simulator's plainest
//! workload (issue #10, target 1) — a venue whose accounts each hold
//! isolated positions in the one driven market, liquidated whole by the
//! venue at the oracle price, with no agent, funding or lending in the way.
//!
//! On such a venue nothing but the price touches an account before its
//! liquidation (isolated margin, no funding, no trading), and each account
//! is liquidated at most once. So a path needs no venue state at all: the
//! positions stay as the world left them, sorted once by a trigger price;
//! an oracle update meets the triggers it crosses (a moving mark per side,
//! as the engine's liquidation index does), checks each met position
//! exactly at the new price (the engine's margin function), and settles the
//! liquidatable ones in account order with the engine's arithmetic (close
//! at the mark, realised PnL into the margin, penalty to the insurance
//! fund, the fund covers a deficit, the rest is bad debt, the margin left
//! goes back to the wallet). A met position that is not liquidatable stays
//! on a short pending list and is checked again at every update that still
//! crosses its trigger. Per liquidation that is a few hundred instructions
//! against the general engine's thousands (events, undo records, re-index),
//! and a path's reset is a handful of counters.
//!
//! Same results as the engine, digit for digit: a position is liquidated at
//! the first update whose price makes it liquidatable, because its trigger
//! ([`levamp_engine::scope_trigger`]) is never on the unsafe side of the
//! exact boundary — the premise the engine's own index rests on. The tests
//! (`tests/flat_book.rs`) run random books and scenarios both ways and
//! compare every metric. The engine's path is still taken for anything
//! else (see [`FlatBook::build`]), for paths that keep a series (the
//! liquidation log reads the venue), and when every step's conservation is
//! checked.

use crate::run::PathMetrics;
use crate::scenario::Scenario;
use crate::setup::World;
use levamp_core::{Base, Price, Quote, Round};
use levamp_engine::venue::{fill_side, AfterInsurance, Backstop, Venue, VenueError};
use levamp_engine::{
    position_maintenance, scope_health, scope_trigger, MarginMode, Market, MarketId, Position,
    Scope, Side,
};

mod path;
pub(crate) use path::run;

/// One position the fast path may liquidate (as the world holds it).
#[derive(Clone, Debug)]
struct Slot {
    account: u32,
    position: Position,
    /// Never on the unsafe side of the exact boundary.
    trigger: Price,
}

/// The positions of a flat venue, sorted by trigger (see the module docs).
#[derive(Clone, Debug)]
pub struct FlatBook {
    market_id: MarketId,
    market: Market,
    /// Longs (liquidatable at and below the trigger), highest trigger first.
    below: Vec<Slot>,
    /// Shorts (at and above), lowest trigger first.
    above: Vec<Slot>,
    /// The pooled insurance fund and the bad debt at the start.
    fund0: Base,
    debt0: Base,
    /// The market's backstop segment and its weight (0 without one).
    segment: Option<usize>,
    weight: f64,
}

/// A met position: its side's list and index.
#[derive(Clone, Copy, Debug)]
struct Met {
    account: u32,
    below: bool,
    slot: u32,
}

/// What a worker reuses from path to path.
#[derive(Debug, Default)]
pub struct FlatScratch {
    met: Vec<Met>,
    pending: Vec<Met>,
}

/// One path's state on the flat book.
pub(crate) struct FlatPath<'a> {
    book: &'a FlatBook,
    /// Slots of each side met so far.
    met_below: usize,
    met_above: usize,
    scratch: &'a mut FlatScratch,
    /// The pooled fund and the bad debt now.
    pub fund: Base,
    pub bad_debt: Base,
    pub liquidated: usize,
    /// Σ penalties − Σ fund draws (the fund's movement, for the end check).
    fund_moved: Base,
}

/// One cascade round's liquidations on the flat book.
#[derive(Debug, Default)]
pub(crate) struct FlatRound {
    /// Base units sold into the market (< 0 bought).
    pub sold: Base,
    /// Liquidated notional of the round.
    pub notional: f64,
}

impl FlatBook {
    /// The flat book of `world`, when its venue and scenario fit the fast
    /// path: every position isolated in the driven market (priced by the
    /// driven key); the venue liquidates automatically and whole (no
    /// partial, stepped or backstop-line liquidation), records a deficit
    /// past the fund as bad debt, has one pooled fund, no dynamic margin,
    /// size premium or oracle staleness; the scenario settles no funding
    /// and reads the oracle without latency; every position has a trigger.
    /// Whether agents act is decided per path (they are registered then).
    /// `[run] fast_path = false` turns it off.
    pub fn build(s: &Scenario, world: &World) -> Option<FlatBook> {
        let venue = &world.venue;
        if !s.run.fast_path {
            return None;
        }
        let market_id = world.market?;
        let rules = venue.rules();
        let fits = rules.liquidation.auto
            && rules.liquidation.partial_buffer.is_none()
            && rules.liquidation.step.is_none()
            && rules.liquidation.backstop_below.is_none()
            && rules.after_insurance == AfterInsurance::Record
            && rules.backstop == Backstop::Pooled
            && rules.dynamic_margin.is_none()
            && rules.imf_factor.is_zero()
            && rules.oracle_max_age_s.is_none()
            && s.funding.is_none()
            && s.latency_steps == 0
            && world.lending.is_none()
            && world.followers.is_empty()
            && venue.markets()[market_id as usize].price == world.key;
        if !fits {
            return None;
        }
        let (below, above) = slots(venue, market_id, world.key)?;
        let funds = &venue.funds()[venue.quote() as usize];
        let segment = world.segments.iter().position(|g| g.market == market_id);
        Some(FlatBook {
            market_id,
            market: venue.markets()[market_id as usize].clone(),
            below,
            above,
            fund0: funds.insurance_fund,
            debt0: funds.bad_debt,
            segment,
            weight: segment.map_or(0.0, |i| world.segments[i].weight),
        })
    }

    /// The market the book's positions are in.
    pub fn market(&self) -> MarketId {
        self.market_id
    }
}

/// Every account's positions as slots by side, sorted; `None` when one
/// does not fit (see [`FlatBook::build`]) or has no computable trigger.
fn slots(venue: &Venue, market: MarketId, key: u32) -> Option<(Vec<Slot>, Vec<Slot>)> {
    let ctx = venue.context();
    let (mut below, mut above) = (Vec::new(), Vec::new());
    for (a, acc) in venue.accounts().iter().enumerate().skip(1) {
        for (i, p) in acc.positions.iter().enumerate() {
            if p.size.is_zero() && p.mode == MarginMode::Isolated && p.market == market {
                continue;
            }
            if p.mode != MarginMode::Isolated || p.market != market || p.size.is_zero() {
                return None;
            }
            let scope = Scope::Isolated(i);
            let total = scope_health(acc, scope, &ctx).ok()?;
            let found = scope_trigger(acc, scope, key, &ctx, total, p.size.raw().signum()).ok()?;
            // No trigger: liquidatable at no price (the engine files none either).
            let Some((trigger, side)) = found else {
                continue;
            };
            let slot = Slot {
                account: a as u32,
                position: p.clone(),
                trigger,
            };
            match side {
                Side::Below => below.push(slot),
                Side::Above => above.push(slot),
            }
        }
    }
    below.sort_by(|x, y| y.trigger.cmp(&x.trigger).then(x.account.cmp(&y.account)));
    above.sort_by(|x, y| x.trigger.cmp(&y.trigger).then(x.account.cmp(&y.account)));
    Some((below, above))
}

impl<'a> FlatPath<'a> {
    /// A path's start: nothing met, the fund as the world has it.
    pub fn new(book: &'a FlatBook, scratch: &'a mut FlatScratch) -> FlatPath<'a> {
        scratch.met.clear();
        scratch.pending.clear();
        FlatPath {
            book,
            met_below: 0,
            met_above: 0,
            scratch,
            fund: book.fund0,
            bad_debt: book.debt0,
            liquidated: 0,
            fund_moved: Base::ZERO,
        }
    }

    /// An oracle update to `price`: liquidates every position it makes
    /// liquidatable, in account order, and tallies what the engine's events
    /// would have told the simulator into `m` (`fund0`: the fund at the
    /// path's start, as `f64`).
    pub fn update(
        &mut self,
        price: Price,
        m: &mut PathMetrics,
        fund0: f64,
    ) -> Result<FlatRound, VenueError> {
        let book = self.book;
        let mut met = std::mem::take(&mut self.scratch.met);
        met.clear();
        while let Some(s) = book
            .below
            .get(self.met_below)
            .filter(|s| s.trigger >= price)
        {
            met.push(Met {
                account: s.account,
                below: true,
                slot: self.met_below as u32,
            });
            self.met_below += 1;
        }
        while let Some(s) = book
            .above
            .get(self.met_above)
            .filter(|s| s.trigger <= price)
        {
            met.push(Met {
                account: s.account,
                below: false,
                slot: self.met_above as u32,
            });
            self.met_above += 1;
        }
        // Met earlier and not liquidatable then: checked while still crossed.
        let mut k = 0;
        while k < self.scratch.pending.len() {
            let p = self.scratch.pending[k];
            let slot = slot(book, p);
            let crossed = match p.below {
                true => slot.trigger >= price,
                false => slot.trigger <= price,
            };
            if crossed {
                met.push(p);
                self.scratch.pending.swap_remove(k);
            } else {
                k += 1;
            }
        }
        let mut round = FlatRound::default();
        met.sort_unstable_by_key(|x| x.account);
        let result = met
            .iter()
            .try_for_each(|&x| self.check(x, price, m, fund0, &mut round));
        self.scratch.met = met;
        result.map(|()| round)
    }

    /// Checks one met position at `price` exactly; liquidates it, or puts
    /// it on the pending list.
    fn check(
        &mut self,
        x: Met,
        price: Price,
        m: &mut PathMetrics,
        fund0: f64,
        round: &mut FlatRound,
    ) -> Result<(), VenueError> {
        let pos = &slot(self.book, x).position;
        let pm = position_maintenance(pos, &self.book.market, price)?;
        let equity = pos.isolated_margin.checked_add(pm.unrealized_pnl)?;
        let mm = pm.maintenance_margin;
        if !(mm.is_positive() && equity <= mm) {
            self.scratch.pending.push(x);
            return Ok(());
        }
        self.liquidate(pos, price, m, fund0, round)
    }

    /// The engine's whole liquidation of an isolated position by the venue
    /// (`Venue::liquidate_scope_at` with the market as liquidator), and the
    /// simulator's tallies of its events, in the events' order: the fill,
    /// the penalty, the fund's cover, the bad debt, the margin released.
    fn liquidate(
        &mut self,
        pos: &Position,
        mark: Price,
        m: &mut PathMetrics,
        fund0: f64,
        round: &mut FlatRound,
    ) -> Result<(), VenueError> {
        let book = self.book;
        let close = pos.size.checked_neg()?;
        let value = close.checked_abs()?.value_at(mark, Round::Floor)?;
        let v = match close.is_positive() {
            true => value,
            false => value.checked_neg()?,
        };
        let (_, realized) = fill_side(pos.size, pos.cost, close, v, mark)?;
        let mut margin = pos.isolated_margin.checked_add(realized)?;
        // The fill: a liquidated long sells to the market, a short buys.
        let value_f = value.to_f64_lossy();
        round.notional += value_f;
        match close.is_negative() {
            true => m.liquidated_long += value_f,
            false => m.liquidated_short += value_f,
        }
        round.sold = round.sold.checked_sub(close)?;
        if let Some(i) = book.segment {
            m.backstop.segments[i].liquidated_notional += value_f;
        }
        // The penalty, at most the equity left, to the insurance fund.
        let penalty = value
            .mul_ratio(book.market.liquidation_fee_rate, Round::Ceil)?
            .min(margin.max(Quote::ZERO));
        margin = margin.checked_sub(penalty)?;
        self.fund = self.fund.checked_add(Base::from_raw(penalty.raw()))?;
        self.fund_moved = self.fund_moved.checked_add(Base::from_raw(penalty.raw()))?;
        self.liquidated += 1;
        if margin.is_negative() {
            let deficit = Base::from_raw(margin.raw()).checked_neg()?;
            let available = self.fund.max(Base::ZERO);
            let from_fund = deficit.min(available);
            if from_fund.is_positive() {
                let after = available.checked_sub(from_fund)?;
                self.fund = self.fund.checked_sub(from_fund)?;
                self.fund_moved = self.fund_moved.checked_sub(from_fund)?;
                margin = margin.checked_add(Quote::from_raw(from_fund.raw()))?;
                let (a, after) = (from_fund.to_f64_lossy(), after.to_f64_lossy());
                m.insurance_fund_drawdown = m.insurance_fund_drawdown.max(fund0 - after);
                m.backstop.fund_draw(1.0 - book.weight, a, after);
            }
            let rest = deficit.checked_sub(from_fund)?;
            if rest.is_positive() {
                self.bad_debt = self.bad_debt.checked_add(rest)?;
                margin = margin.checked_add(Quote::from_raw(rest.raw()))?;
                m.insurance_fund_depleted = true;
                m.backstop
                    .bad_debt(book.segment, 1.0 - book.weight, rest.to_f64_lossy());
            }
        }
        // What is left is released to the wallet: the scope ends at zero.
        debug_assert!(!margin.is_negative());
        Ok(())
    }

    /// The path's end check: the fund moved by exactly the penalties it
    /// took less what it paid (value neither created nor destroyed between
    /// the accounts, the fund and the bad debt).
    pub fn conserved(&self) -> bool {
        self.book.fund0.checked_add(self.fund_moved).ok() == Some(self.fund)
    }
}

/// The slot a met position refers to.
fn slot(book: &FlatBook, x: Met) -> &Slot {
    match x.below {
        true => &book.below[x.slot as usize],
        false => &book.above[x.slot as usize],
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
        for slot in book.below.iter().chain(&book.above) {
            let t = slot.trigger.raw();
            let toward = if book.below.iter().any(|x| x.account == slot.account) {
                -1
            } else {
                1
            };
            for k in [-1, 0, 1, 2, 3, 5, 8, 13, 40, 200, 5_000] {
                prices.push(Price::from_raw(t + toward * k * tick));
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
            pended = pended.max(flat.scratch.pending.len());
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
