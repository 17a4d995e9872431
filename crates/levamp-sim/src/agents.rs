//! Agents (`[agents]` in a scenario): traders who top up their margin when
//! warned, and external liquidators with limited capital, a latency and a
//! minimum profit, competing for liquidations. Deterministic: every random
//! choice draws from the path's seeded stream, accounts are visited in id
//! order.

use levamp_core::{Base, Price, Quote, Ratio, Round};
use levamp_engine::venue::{
    AccountId, Command, Event, TradeOrder, Venue, VenueError, MARKET_ACCOUNT,
};
use levamp_engine::{scope_health, MarginMode, MarketId, PriceId, Scope};
use levamp_market::uniform;
use rand_core::RngCore;
use std::collections::BTreeMap;

pub use crate::scenario::{Agents, BasisTraders, Hunters, Liquidators, Traders, Visibility};

/// The long positions of `market` with a liquidation price: (liquidation
/// price, account, notional at `price`), ascending by price — the map
/// liquidation hunters read. O(accounts).
pub fn long_clusters(
    venue: &Venue,
    market: MarketId,
    price: f64,
) -> Result<Vec<(f64, u32, f64)>, VenueError> {
    let ctx = venue.context();
    let mut out = Vec::new();
    for (id, acc) in venue.accounts().iter().enumerate().skip(1) {
        for (i, p) in acc.positions.iter().enumerate() {
            if p.market == market && p.size.is_positive() {
                if let Some(lp) = levamp_engine::liquidation_price(acc, i, &ctx)? {
                    out.push((lp.to_f64_lossy(), id as u32, p.size.to_f64_lossy() * price));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(out)
}

/// An agent's command: `Ok(true)` done, `Ok(false)` refused by the venue's
/// rules (margin, balance, not liquidatable: counted in
/// `refused_commands`), `Err` for an arithmetic or state error.
pub(crate) fn attempt(
    result: Result<(), VenueError>,
    refused: &mut usize,
) -> Result<bool, VenueError> {
    match result {
        Ok(()) => Ok(true),
        Err(e @ (VenueError::Math(_) | VenueError::Replay(_))) => Err(e),
        Err(_) => {
            *refused += 1;
            Ok(false)
        }
    }
}

/// The hunters' account.
pub const HUNTER: &str = "hunter";

/// What agents did on a path.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentStats {
    pub top_ups: usize,
    pub topped_up: f64,
    pub agent_liquidations: usize,
    /// Liquidatable scopes left waiting at the end of the path.
    pub waiting: usize,
    /// Notional the basis traders bought back when the basis flipped.
    pub basis_unwound: f64,
    /// Pushes by liquidation hunters, and their profit (quote) at the end.
    pub hunts: usize,
    pub hunter_pnl: f64,
    /// The liquidations the hunter induced: accounts liquidated, and the
    /// notional liquidated, in the steps it pushed (the push's cascade; a
    /// liquidation the outside move alone would have caused in that step
    /// counts too).
    pub hunt_liquidations: usize,
    pub hunt_liquidated_notional: f64,
    /// Agents' commands the venue refused by its rules (margin, balance, not
    /// liquidatable); arithmetic errors fail the path instead.
    pub refused_commands: usize,
}

/// An agent's fee-free market order against the market account at `price`
/// (`size` > 0 buys); false if the venue refuses it (e.g. margin), counted
/// in `stats.refused_commands`.
fn market_trade(
    venue: &mut Venue,
    account: AccountId,
    market: MarketId,
    size: Base,
    price: Price,
    stats: &mut AgentStats,
) -> Result<bool, VenueError> {
    let order = TradeOrder {
        account,
        market,
        size,
        price,
        fee_rate: Ratio::ZERO,
        counterparty: Some(MARKET_ACCOUNT),
        counterparty_fee_rate: Ratio::ZERO,
        margin_mode: None,
        isolated_margin: None,
        leverage: None,
    };
    attempt(
        venue.execute(&Command::Trade(order)).map(|_| ()),
        &mut stats.refused_commands,
    )
}

/// The long notional the exact map puts in `[low, high)`: `clusters` are
/// long liquidation prices (ascending) with accounts and notionals, `gone`
/// the accounts the venue already liquidated.
pub fn exact_within(
    clusters: &[(f64, u32, f64)],
    gone: &crate::marks::Marks,
    low: f64,
    high: f64,
) -> f64 {
    let from = clusters.partition_point(|c| c.0 < low);
    clusters[from..]
        .iter()
        .take_while(|c| c.0 < high)
        .filter(|c| !gone.by_venue(c.1))
        .map(|c| c.2)
        .sum()
}

/// One step of the hunter: buy back last step's push, or push into a
/// cluster. `within(low, high)` is the long notional the hunter sees
/// liquidatable in `[low, high)` ([`exact_within`], or what its visibility
/// shows, [`crate::hunter_view`]). Returns the base units sold (< 0 bought).
pub fn hunt(
    venue: &mut Venue,
    h: &Hunters,
    within: impl FnOnce(f64, f64) -> f64,
    market: MarketId,
    price: Price,
    stats: &mut AgentStats,
) -> Result<Base, VenueError> {
    let Some(id) = venue.account_id(HUNTER) else {
        return Ok(Base::ZERO);
    };
    if let Some(open) = venue
        .position(id, market)
        .map(|p| p.size)
        .filter(|s| !s.is_zero())
    {
        let back = open.checked_neg()?;
        let done = market_trade(venue, id, market, back, price, stats)?;
        return Ok(if done { open } else { Base::ZERO });
    }
    let p = price.to_f64_lossy();
    let within = within(p * (1.0 - h.reach), p);
    if within < h.trigger * h.push * p {
        return Ok(Base::ZERO);
    }
    let push = crate::venue_ops::base_units(h.push)?;
    if market_trade(venue, id, market, push.checked_neg()?, price, stats)? {
        stats.hunts += 1;
        Ok(push)
    } else {
        Ok(Base::ZERO)
    }
}

/// Names of the basis traders' accounts.
pub fn basis_name(i: usize) -> String {
    format!("basis{i}")
}

/// After a funding settlement at `rate`: basis traders unwind (buy back
/// their shorts at `market_price`) if the rate is at or below their
/// threshold. Returns the base units bought (to be applied as negative sold).
pub fn unwind_basis(
    venue: &mut Venue,
    b: &BasisTraders,
    market: MarketId,
    rate: Ratio,
    market_price: Price,
    stats: &mut AgentStats,
) -> Result<Base, VenueError> {
    if rate.to_f64_lossy() > b.unwind_below {
        return Ok(Base::ZERO);
    }
    let mut bought = Base::ZERO;
    for i in 0..b.accounts {
        let Some(id) = venue.account_id(&basis_name(i)) else {
            continue;
        };
        let Some(size) = venue
            .position(id, market)
            .map(|p| p.size)
            .filter(|s| s.is_negative())
        else {
            continue;
        };
        let back = size.checked_neg()?;
        if market_trade(venue, id, market, back, market_price, stats)? {
            bought = bought.checked_add(back)?;
            stats.basis_unwound += size.to_f64_lossy().abs() * market_price.to_f64_lossy();
        }
    }
    Ok(bought)
}

/// Names of the liquidator accounts.
pub fn liquidator_name(i: usize) -> String {
    format!("liquidator{i}")
}

/// Traders react to warnings: top-ups in account order.
/// `traders` is the number of trader accounts (ids 1 ..= traders).
pub fn top_up(
    venue: &mut Venue,
    t: &Traders,
    rng: &mut dyn RngCore,
    stats: &mut AgentStats,
    traders: usize,
) -> Result<(), VenueError> {
    let quote = venue.quote();
    for a in 1..=traders.min(venue.accounts().len() - 1) {
        let id = a as AccountId;
        let acc = &venue.accounts()[a];
        if acc.positions.is_empty() {
            continue;
        }
        let ctx = venue.context();
        let mut actions: Vec<(Option<MarketId>, Quote)> = Vec::new();
        for (i, p) in acc.positions.iter().enumerate() {
            let scope = Scope::of(acc, i);
            if p.size.is_zero()
                || (scope == Scope::Cross && actions.iter().any(|(m, _)| m.is_none()))
            {
                continue;
            }
            let m = scope_health(acc, scope, &ctx)?;
            if !m.equity.is_positive() {
                continue;
            }
            let ratio = m.maintenance_margin.to_f64_lossy() / m.equity.to_f64_lossy();
            if ratio >= t.warn_margin_ratio && uniform(rng) < t.probability {
                // top_up × equity, rounded up (the trader adds at least that).
                let amount = Quote::from_f64(m.equity.to_f64_lossy() * t.top_up, Round::Ceil)?;
                let isolated = (p.mode == MarginMode::Isolated).then_some(p.market);
                actions.push((isolated, amount));
            }
        }
        for (isolated, amount) in actions {
            if !amount.is_positive() {
                continue;
            }
            let deposit = Command::Deposit {
                account: id,
                asset: quote,
                amount: Base::from_raw(amount.raw()),
            };
            let mut commands = vec![deposit];
            if let Some(market) = isolated {
                commands.push(Command::IsolatedMargin {
                    account: id,
                    market,
                    amount,
                });
            }
            let mut ev = Vec::new();
            let done = venue.execute_all(&commands, &mut ev);
            if attempt(done, &mut stats.refused_commands)? {
                stats.top_ups += 1;
                stats.topped_up += amount.to_f64_lossy();
            }
        }
    }
    Ok(())
}

/// The liquidators' state on a path: scopes waiting for their latency.
#[derive(Clone, Debug, Default)]
pub struct Watch {
    waiting: BTreeMap<(AccountId, Option<MarketId>), usize>,
    /// The round's scopes due (a reused buffer).
    due: Vec<(AccountId, Option<MarketId>)>,
}

impl Watch {
    pub fn len(&self) -> usize {
        self.waiting.len()
    }
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

/// After an oracle update of `key` at `step`: note newly liquidatable
/// scopes, act on those whose latency has passed. Returns the base units the
/// liquidators sold into the market (> 0 sold) and the liquidated notional;
/// the liquidations' events are appended to `events`.
#[allow(clippy::too_many_arguments)]
pub fn liquidate(
    venue: &mut Venue,
    l: &Liquidators,
    watch: &mut Watch,
    key: PriceId,
    market: MarketId,
    step: usize,
    market_price: Price,
    rng: &mut dyn RngCore,
    stats: &mut AgentStats,
    liquidated: &mut crate::marks::Marks,
    events: &mut Vec<Event>,
) -> Result<(Base, f64), VenueError> {
    for scope in venue.at_risk(key)? {
        watch.waiting.entry(scope).or_insert(step);
    }
    let (mut sold, mut notional) = (Base::ZERO, 0.0);
    let mut due = std::mem::take(&mut watch.due);
    due.clear();
    due.extend(
        watch
            .waiting
            .iter()
            .filter(|(_, s)| step >= **s + l.latency_steps)
            .map(|(k, _)| *k),
    );
    let share = venue.rules().liquidation.liquidator_share;
    for &(account, isolated) in &due {
        if !venue.is_liquidatable(account, isolated)? {
            watch.waiting.remove(&(account, isolated));
            continue;
        }
        // Expected reward: the penalty share on the scope's notional.
        let acc = &venue.accounts()[account as usize];
        let reward: f64 = acc
            .positions
            .iter()
            .filter(|p| isolated.map_or(p.mode == MarginMode::Cross, |m| p.market == m))
            .map(|p| {
                let mk = &venue.markets()[p.market as usize];
                p.size.to_f64_lossy().abs()
                    * venue.prices()[mk.price as usize].to_f64_lossy()
                    * mk.liquidation_fee_rate.to_f64_lossy()
                    * share.to_f64_lossy()
            })
            .sum();
        if reward < l.min_profit {
            continue;
        }
        // Liquidators compete: a random one goes first, the others in turn.
        let first = (rng.next_u64() % l.count as u64) as usize;
        for k in 0..l.count {
            let Some(liq) = venue.account_id(&liquidator_name((first + k) % l.count)) else {
                continue;
            };
            let before = venue.position(liq, market).map_or(Base::ZERO, |p| p.size);
            let from = events.len();
            let command = Command::Liquidate {
                liquidator: liq,
                account,
                market: isolated,
            };
            let done = venue.execute_into(&command, events);
            if !attempt(done, &mut stats.refused_commands)? {
                continue;
            }
            stats.agent_liquidations += 1;
            liquidated.agent(account);
            watch.waiting.remove(&(account, isolated));
            for e in &events[from..] {
                if let Event::TradeFilled {
                    value,
                    liquidation: true,
                    ..
                } = e
                {
                    notional += value.to_f64_lossy();
                }
            }
            // Sell what it took straight into the market.
            let taken = venue
                .position(liq, market)
                .map_or(Base::ZERO, |p| p.size)
                .checked_sub(before)?;
            if !taken.is_zero() {
                let dump = taken.checked_neg()?;
                if market_trade(venue, liq, market, dump, market_price, stats)? {
                    sold = sold.checked_add(taken)?;
                }
            }
            break;
        }
    }
    stats.waiting = watch.waiting.len();
    watch.due = due;
    Ok((sold, notional))
}
