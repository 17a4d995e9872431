//! Agents (`[agents]` in a scenario): traders who top up their margin when
//! warned, and external liquidators with limited capital, a latency and a
//! minimum profit, competing for liquidations. Deterministic: every random
//! choice draws from the path's seeded stream, accounts are visited in id
//! order.

use levamp_core::{Base, Price, Quote, Ratio};
use levamp_engine::venue::{AccountId, Command, TradeOrder, Venue, MARKET_ACCOUNT};
use levamp_engine::{scope_health, MarginMode, MarketId, PriceId, Scope};
use levamp_market::uniform;
use rand_core::RngCore;
use std::collections::BTreeMap;

/// `[agents.traders]`: each step, an account whose margin ratio
/// (maintenance ÷ equity) is at least `warn_margin_ratio` adds `top_up` ×
/// its equity to its margin with probability `probability`.
#[derive(Clone, Debug, PartialEq)]
pub struct Traders {
    pub probability: f64,
    pub warn_margin_ratio: f64,
    pub top_up: f64,
}

/// `[agents.liquidators]`: `count` liquidators with `capital` (quote) each.
/// With them the venue does not liquidate by itself; a scope found
/// liquidatable is acted on `latency_steps` steps later by a liquidator
/// whose expected reward (the venue's penalty share) is at least
/// `min_profit` and who can carry the position (initial margin); the
/// liquidator sells what it took into the market at once.
#[derive(Clone, Debug, PartialEq)]
pub struct Liquidators {
    pub count: usize,
    pub capital: String,
    pub latency_steps: usize,
    pub min_profit: f64,
}

/// `[agents.basis_traders]`: `accounts` delta-neutral traders, each short
/// `notional` (quote) of the perp at the start against spot held elsewhere,
/// margined at `leverage`, harvesting funding; when a settlement's rate is at
/// or below `unwind_below` (the basis flipped: shorts pay), they all buy back.
#[derive(Clone, Debug, PartialEq)]
pub struct BasisTraders {
    pub accounts: usize,
    pub notional: f64,
    pub leverage: f64,
    pub unwind_below: f64,
}

/// `[agents.liquidation_hunters]`: a trader with `capital` who, when the
/// long positions liquidatable within `reach` below the market add up to at
/// least `trigger` × the notional of its push, sells `push` base units to
/// set the cascade off, and buys them back at the next step. Its map of
/// liquidation prices is recomputed from the venue every `refresh_steps`
/// steps (0: the start's map, never refreshed).
#[derive(Clone, Debug, PartialEq)]
pub struct Hunters {
    pub capital: String,
    pub reach: f64,
    pub push: f64,
    pub trigger: f64,
    pub refresh_steps: usize,
}

/// The long positions of `market` with a liquidation price: (liquidation
/// price, account, notional at `price`), ascending by price — the map
/// liquidation hunters read. O(accounts).
pub fn long_clusters(venue: &Venue, market: MarketId, price: f64) -> Vec<(f64, u32, f64)> {
    let ctx = venue.context();
    let mut out = Vec::new();
    for (id, acc) in venue.accounts.iter().enumerate().skip(1) {
        for (i, p) in acc.positions.iter().enumerate() {
            if p.market == market && p.size.is_positive() {
                if let Ok(Some(lp)) = levamp_engine::liquidation_price(acc, i, &ctx) {
                    out.push((lp.to_f64_lossy(), id as u32, p.size.to_f64_lossy() * price));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// The hunters' account.
pub const HUNTER: &str = "hunter";

/// The agents of a scenario.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Agents {
    pub hunters: Option<Hunters>,
    pub traders: Option<Traders>,
    pub liquidators: Option<Liquidators>,
    pub basis_traders: Option<BasisTraders>,
    pub arbitrageurs: Option<crate::makers::Arbitrageurs>,
    pub market_makers: Option<crate::makers::MarketMakers>,
}

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
}

/// An agent's fee-free market order against the market account at `price`
/// (`size` > 0 buys); false if the venue refuses it (e.g. margin).
fn market_trade(
    venue: &mut Venue,
    account: AccountId,
    market: MarketId,
    size: Base,
    price: Price,
) -> bool {
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
    venue.execute(&Command::Trade(order)).is_ok()
}

/// One step of the hunter: buy back last step's push, or push into a
/// cluster. `clusters` are the start's long liquidation prices (ascending)
/// with accounts and notionals; `gone` the accounts already liquidated.
/// Returns the base units sold (< 0 bought).
#[allow(clippy::too_many_arguments)]
pub fn hunt(
    venue: &mut Venue,
    h: &Hunters,
    clusters: &[(f64, u32, f64)],
    gone: &std::collections::BTreeSet<u32>,
    market: MarketId,
    price: Price,
    stats: &mut AgentStats,
) -> Base {
    let Some(id) = venue.account_id(HUNTER) else {
        return Base::ZERO;
    };
    let trade = |venue: &mut Venue, size: Base| market_trade(venue, id, market, size, price);
    if let Some(open) = venue
        .position(id, market)
        .map(|p| p.size)
        .filter(|s| !s.is_zero())
    {
        let back = open.checked_neg().unwrap_or(Base::ZERO);
        return if trade(venue, back) { open } else { Base::ZERO };
    }
    let p = price.to_f64_lossy();
    let low = p * (1.0 - h.reach);
    let from = clusters.partition_point(|c| c.0 < low);
    let within: f64 = clusters[from..]
        .iter()
        .take_while(|c| c.0 < p)
        .filter(|c| !gone.contains(&c.1))
        .map(|c| c.2)
        .sum();
    if within < h.trigger * h.push * p {
        return Base::ZERO;
    }
    let push = crate::setup::base_units(h.push);
    if trade(venue, push.checked_neg().unwrap_or(Base::ZERO)) {
        stats.hunts += 1;
        push
    } else {
        Base::ZERO
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
) -> Base {
    if rate.to_f64_lossy() > b.unwind_below {
        return Base::ZERO;
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
        let back = size.checked_neg().unwrap_or(Base::ZERO);
        if market_trade(venue, id, market, back, market_price) {
            bought = bought
                .checked_add(size.checked_neg().unwrap_or(Base::ZERO))
                .unwrap_or(bought);
            stats.basis_unwound += size.to_f64_lossy().abs() * market_price.to_f64_lossy();
        }
    }
    bought
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
) {
    let quote = venue.quote;
    for a in 1..=traders.min(venue.accounts.len() - 1) {
        let id = a as AccountId;
        let acc = &venue.accounts[a];
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
            let Ok(m) = scope_health(acc, scope, &ctx) else {
                continue;
            };
            if !m.equity.is_positive() {
                continue;
            }
            let ratio = m.maintenance_margin.to_f64_lossy() / m.equity.to_f64_lossy();
            if ratio >= t.warn_margin_ratio && uniform(rng) < t.probability {
                let amount = Quote::from_raw(
                    (m.equity.to_f64_lossy() * t.top_up * 100.0).ceil() as i128 * 10_000_000_000,
                );
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
            if venue.execute_all(&commands, &mut ev).is_ok() {
                stats.top_ups += 1;
                stats.topped_up += amount.to_f64_lossy();
            }
        }
    }
}

/// The liquidators' state on a path: scopes waiting for their latency.
#[derive(Clone, Debug, Default)]
pub struct Watch {
    waiting: BTreeMap<(AccountId, Option<MarketId>), usize>,
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
/// liquidators sold into the market (> 0 sold) and the liquidated notional.
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
    liquidated: &mut Vec<AccountId>,
) -> (Base, f64) {
    if let Ok(found) = venue.at_risk(key) {
        for scope in found {
            watch.waiting.entry(scope).or_insert(step);
        }
    }
    let (mut sold, mut notional) = (Base::ZERO, 0.0);
    let due: Vec<(AccountId, Option<MarketId>)> = watch
        .waiting
        .iter()
        .filter(|(_, s)| step >= **s + l.latency_steps)
        .map(|(k, _)| *k)
        .collect();
    let share = venue.rules.liquidation.liquidator_share;
    for (account, isolated) in due {
        if !venue.is_liquidatable(account, isolated).unwrap_or(false) {
            watch.waiting.remove(&(account, isolated));
            continue;
        }
        // Expected reward: the penalty share on the scope's notional.
        let acc = &venue.accounts[account as usize];
        let reward: f64 = acc
            .positions
            .iter()
            .filter(|p| isolated.map_or(p.mode == MarginMode::Cross, |m| p.market == m))
            .map(|p| {
                let mk = &venue.markets[p.market as usize];
                p.size.to_f64_lossy().abs()
                    * venue.prices[mk.price as usize].to_f64_lossy()
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
            let mut ev = Vec::new();
            if venue
                .execute_into(
                    &Command::Liquidate {
                        liquidator: liq,
                        account,
                        market: isolated,
                    },
                    &mut ev,
                )
                .is_err()
            {
                continue;
            }
            stats.agent_liquidations += 1;
            liquidated.push(account);
            watch.waiting.remove(&(account, isolated));
            for e in &ev {
                if let levamp_engine::venue::Event::TradeFilled {
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
                .checked_sub(before)
                .unwrap_or(Base::ZERO);
            if !taken.is_zero() {
                let dump = taken.checked_neg().unwrap_or(Base::ZERO);
                if market_trade(venue, liq, market, dump, market_price) {
                    sold = sold.checked_add(taken).unwrap_or(sold);
                }
            }
            break;
        }
    }
    stats.waiting = watch.waiting.len();
    (sold, notional)
}
