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
//! every update whose price makes it liquidatable, because its trigger (the
//! engine index's own, [`Venue::single_trigger`], and for a re-filed one
//! the engine's re-index, [`levamp_engine::scope_trigger_from_rest`]) is
//! never on the unsafe side of the exact boundary — the premise the
//! engine's own index rests on (a tier table that jumps at a cap breaks
//! it, and is not taken). The tests
//! (`tests/flat_book.rs`, and this module's) run random books and
//! scenarios both ways and compare every metric. Anything the fast path
//! does not model makes it decline the path, which then runs on the engine
//! from its start: auto-deleveraging (a deficit past the fund touches other
//! accounts), an arithmetic error (the engine reports its own), a fresh
//! trigger that cannot be computed. See [`FlatBook::build`] for what fits
//! at all.

use crate::scenario::Scenario;
use crate::setup::World;
use levamp_core::{Base, MathError, Price, Quote, Ratio, Round, SCALE};
use levamp_engine::venue::{AfterInsurance, Backstop, Venue};
use levamp_engine::{
    position_maintenance, scope_health, scope_trigger_from_rest, Account, Asset, AssetId, Holding,
    LendingCollateral, MarginContext, MarginMode, Market, MarketId, Position, Scope, ScopeMargin,
    Side, Tier,
};

mod path;
mod settle;
mod walk;
pub(crate) use path::{run, Flat};
pub use walk::FlatScratch;
pub(crate) use walk::{FlatPath, FlatRound};

/// Why a path left the fast path for the engine.
#[derive(Debug)]
pub(crate) struct Declined;

impl From<MathError> for Declined {
    fn from(_: MathError) -> Declined {
        Declined
    }
}

/// One account's position as the world holds it (what a path does not
/// change): what a fresh trigger and the liquidation log read.
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

/// What a path reads of every met account, together in one cache line: its
/// state at the start, its account (the order of settlement) and its scope.
#[derive(Clone, Copy, Debug)]
struct Entry {
    start: Live,
    account: u32,
    cross: bool,
}

/// Equity of a scope at a price, whether it is liquidatable there (the
/// engine's test: a maintenance requirement, and equity not above it), and
/// the position's value `|size| × price` rounded up (its notional, which
/// the requirement is of: see [`FlatBook::maintenance`]) and down (what a
/// whole close fills at).
#[derive(Clone, Copy, Debug)]
struct Health {
    equity: Quote,
    liquidatable: bool,
    notional: Quote,
    value: Quote,
}

/// Slots a book holds at most: a met slot is keyed by its account, its id
/// and how it was met in one `u64` (the id takes 30 bits).
const MAX_SLOTS: usize = 1 << 30;

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
    /// Each slot's hot data (by slot id, in the order the marks meet them).
    entries: Vec<Entry>,
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
            entries: Vec::new(),
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
        if n >= MAX_SLOTS {
            return None;
        }
        self.slots.reserve_exact(n);
        self.entries.reserve_exact(n);
        for (id, x) in self
            .below
            .iter_mut()
            .chain(self.above.iter_mut())
            .enumerate()
        {
            let (slot, live) = slot_of(x.1 as usize, &venue.accounts()[x.1 as usize]);
            self.entries.push(Entry {
                start: live,
                account: slot.account,
                cross: slot.cross,
            });
            self.slots.push(slot);
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
        let h = self.health_at(slot.cross, live, price)?;
        let maintenance = self.maintenance(h.notional)?;
        // The test without the requirement's division must be the one with it.
        let liquidatable = maintenance.is_positive() && h.equity <= maintenance;
        if h.liquidatable != liquidatable {
            return Err(MathError::Overflow);
        }
        Ok((h.equity, maintenance))
    }

    /// The market's tier at `notional` (`Market::tier`; a one-tier market's
    /// without the search).
    #[inline]
    fn tier(&self, notional: Quote) -> &Tier {
        match &self.market.tiers[..] {
            [one] => one,
            _ => self.market.tier(notional),
        }
    }

    /// The maintenance margin of the book's position at `notional` (the
    /// engine's `position_maintenance`: the tier's rate, rounded up, less
    /// its amount).
    fn maintenance(&self, notional: Quote) -> Result<Quote, MathError> {
        let tier = self.tier(notional);
        notional
            .mul_ratio(tier.maintenance_margin_rate, Round::Ceil)?
            .checked_sub(tier.maintenance_amount)
    }

    /// Whether a scope with `equity` and a position of `notional` is
    /// liquidatable: `m > 0 ∧ equity ≤ m` for the maintenance margin
    /// `m = ⌈notional × rate ÷ S⌉ − amount` ([`FlatBook::maintenance`]),
    /// decided without its division. For integers, `⌈x ÷ S⌉ > k ⟺ x > k·S`;
    /// the test is `⌈x ÷ S⌉ > amount ∧ ⌈x ÷ S⌉ > equity + amount − 1`, that is
    /// `x > max(amount, equity + amount − 1) · S`. Products past 128 bits
    /// take the division.
    #[inline]
    fn liquidatable(&self, notional: Quote, equity: Quote) -> Result<bool, MathError> {
        let tier = self.tier(notional);
        let amount = tier.maintenance_amount.raw();
        let x = product(notional.raw(), tier.maintenance_margin_rate.raw());
        let bound = equity
            .raw()
            .checked_add(amount)
            .and_then(|b| b.checked_sub(1))
            .and_then(|b| product(b.max(amount), SCALE));
        match (x, bound) {
            (Some(x), Some(bound)) => Ok(x > bound),
            _ => {
                let m = self.maintenance(notional)?;
                Ok(m.is_positive() && equity <= m)
            }
        }
    }

    /// [`FlatBook::health`] of a cross (or isolated) scope in state `live`,
    /// with the position's value rounded down. The engine's
    /// `position_maintenance` values `|size| × price` twice (up for the
    /// notional, down for the PnL); here it is divided once, and the
    /// other rounding is the floor plus one where the division was
    /// inexact (the same digits; checked against the engine when a book is
    /// built, and by the tests).
    #[inline]
    fn health_at(&self, cross: bool, live: Live, price: Price) -> Result<Health, MathError> {
        let abs = live.size.checked_abs()?;
        let Some(product) = product(abs.raw(), price.raw()) else {
            return self.health_slow(cross, live, price);
        };
        let floor = abs.value_at(price, Round::Floor)?;
        // `floor × SCALE ≤ product`: neither can wrap.
        let notional = match floor.raw().wrapping_mul(SCALE) == product {
            true => floor,
            false => Quote::from_raw(floor.raw().wrapping_add(1)),
        };
        let value_signed = match live.size.is_negative() {
            true => notional.checked_neg()?,
            false => floor,
        };
        let pnl = value_signed.checked_sub(live.cost)?;
        let base = match cross {
            true => self.wallet_value(live.margin)?,
            false => live.margin,
        };
        let equity = base.checked_add(pnl)?;
        Ok(Health {
            equity,
            liquidatable: self.liquidatable(notional, equity)?,
            notional,
            value: floor,
        })
    }

    /// [`FlatBook::health_at`] through the engine's own function (a
    /// product past 128 bits).
    #[cold]
    fn health_slow(&self, cross: bool, live: Live, price: Price) -> Result<Health, MathError> {
        let position = Position {
            market: self.market_id,
            size: live.size,
            cost: live.cost,
            mode: MarginMode::Isolated,
            isolated_margin: live.margin,
            leverage: None,
        };
        let pm = position_maintenance(&position, &self.market, price)?;
        let base = match cross {
            true => self.wallet_value(live.margin)?,
            false => live.margin,
        };
        let equity = base.checked_add(pm.unrealized_pnl)?;
        let m = pm.maintenance_margin;
        Ok(Health {
            equity,
            liquidatable: m.is_positive() && equity <= m,
            notional: pm.notional,
            value: live.size.checked_abs()?.value_at(price, Round::Floor)?,
        })
    }

    /// The trigger slot `id` was filed under in the sorted lists.
    fn trigger_of(&self, id: u32) -> Price {
        let i = id as usize;
        match self.below.get(i) {
            Some(x) => x.0,
            None => self.above[i - self.below.len()].0,
        }
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
    #[inline]
    fn equity_after(&self, cross: bool, live: Live, mark: Price) -> Result<Quote, MathError> {
        match (cross, live.size.is_zero()) {
            (false, _) => Ok(live.margin),
            (true, true) => self.wallet_value(live.margin),
            (true, false) => Ok(self.health_at(true, live, mark)?.equity),
        }
    }

    /// The cross wallet's `margin` quote after the quote's price and haircut.
    fn wallet_value(&self, margin: Quote) -> Result<Quote, MathError> {
        Base::from_raw(margin.raw())
            .value_at(self.quote_price, Round::Floor)?
            .mul_ratio(self.quote_weight, Round::Floor)
    }
}

/// `a × b`, `None` past 128 bits; two factors that fit in 64 bits (every
/// size, price, notional and rate of a simulation) take one 64 × 64-bit
/// multiplication, without the 128-bit overflow check.
#[inline]
fn product(a: i128, b: i128) -> Option<i128> {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(a), Ok(b)) => Some(a as i128 * b as i128),
        _ => a.checked_mul(b),
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
mod tests;
