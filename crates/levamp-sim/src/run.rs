//! One Monte-Carlo path: the cascade loop of docs/scenarios.md.
//!
//! Each step: the exogenous return moves the outside price and the market
//! price; the oracle reports (the current market price, or the one
//! `latency_steps` steps old); the venue liquidates what became liquidatable
//! against the market; that net flow hits the liquidity model and moves the
//! price; with an instant oracle the new price is reported again in the same
//! step — round after round until no liquidation happens or the per-step cap
//! is reached. Every round is recorded.
//!
//! Engine errors never disappear: an arithmetic or state error (overflow, a
//! model price that is NaN, a refused oracle update or funding settlement)
//! fails the path with its step ([`PathError`]); an agent's command the
//! venue refuses by its rules (margin, balance, not liquidatable) is counted
//! in `refused_commands`.

use crate::scenario::{ImpactConfig, PriceModel, Scenario};
use crate::setup::World;
use levamp_core::{Base, Price, Ratio, Round};
use levamp_engine::venue::{Command, Event, Venue, VenueError, MARKET_ACCOUNT};
use levamp_engine::AssetId;
use levamp_market::{
    Amm, Depth, Garch, Gbm, ImpactModel, Jump, Linear, PriceProcess, Replay, Shock, Sqrt, YEAR_S,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeSet, VecDeque};
use std::fmt;

/// A path that failed: the engine or a model returned an error at `step`
/// (0: while the path was being set up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    pub path: usize,
    pub step: usize,
    pub message: String,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "path {} step {}: {}", self.path, self.step, self.message)
    }
}

impl std::error::Error for PathError {}

/// One step of one path.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    pub step: usize,
    pub exogenous: f64,
    pub price: f64,
    pub oracle: f64,
    pub liquidated_notional: f64,
    pub rounds: usize,
    pub insurance_fund: f64,
    pub bad_debt: f64,
}

/// The results of one path.
#[derive(Clone, Debug, PartialEq)]
pub struct PathMetrics {
    pub path: usize,
    pub final_price: f64,
    pub min_price: f64,
    pub max_drawdown: f64,
    pub exogenous_drawdown: f64,
    pub liquidated_notional: f64,
    pub liquidated_long: f64,
    pub liquidated_short: f64,
    pub accounts_liquidated: usize,
    pub bad_debt: f64,
    /// Largest fall of the insurance fund below its start, at any event.
    pub insurance_fund_drawdown: f64,
    /// The fund could not cover a deficit at some point: auto-deleveraging,
    /// a socialised loss or bad debt happened (the engine reaches them only
    /// past the fund). Lending pools' deficits are not the fund's.
    pub insurance_fund_depleted: bool,
    pub cascade_amplification: f64,
    /// Cascade rounds (rounds with at least one liquidation) over the path.
    pub rounds: usize,
    pub max_rounds_in_a_step: usize,
    pub time_to_first_liquidation: Option<usize>,
    pub adl_count: usize,
    pub adl_notional: f64,
    pub funding_paid: f64,
    /// Liquidated notional by cascade round index within a step (0 = first).
    pub by_round: Vec<f64>,
    /// Whether conservation held after every step (checked when asked).
    pub conserved: bool,
    /// What the agents did.
    pub agents: crate::agents::AgentStats,
    /// What the lending keeper did.
    pub lending: crate::lending::LendingStats,
    /// What the arbitrageurs and market makers did.
    pub liquidity: crate::makers::LiquidityStats,
    /// The recorded series, at most [`crate::series::MAX_POINTS`] records.
    pub series: Option<Vec<StepRecord>>,
}

/// A scenario value that was checked when the scenario was read, parsed again.
fn checked<T: std::str::FromStr>(text: &str, field: &'static str) -> Result<T, VenueError>
where
    T::Err: fmt::Display,
{
    text.parse().map_err(|e: T::Err| VenueError::Invalid {
        field,
        reason: e.to_string(),
    })
}

fn process(s: &Scenario, world: &World) -> Result<Box<dyn PriceProcess>, VenueError> {
    let dt_years = s.run.dt_s as f64 / YEAR_S;
    Ok(match &s.price {
        PriceModel::Shock {
            shock,
            steps,
            start_step,
        } => Box::new(Shock {
            shock: checked(shock, "price.shock")?,
            shock_steps: *steps,
            start_step: *start_step,
        }),
        PriceModel::Gbm { mu, sigma } => Box::new(Gbm {
            mu: *mu,
            sigma: *sigma,
            dt_years,
        }),
        PriceModel::Jump {
            mu,
            sigma,
            intensity,
            jump_mean,
            jump_sigma,
        } => Box::new(Jump {
            gbm: Gbm {
                mu: *mu,
                sigma: *sigma,
                dt_years,
            },
            intensity: *intensity,
            jump_mean: *jump_mean,
            jump_sigma: *jump_sigma,
        }),
        PriceModel::Garch {
            mu,
            omega,
            alpha,
            beta,
        } => Box::new(Garch::new(*mu, *omega, *alpha, *beta)),
        PriceModel::Replay { .. } => {
            Box::new(Replay::from_prices(world.replay.as_deref().unwrap_or(&[]))?)
        }
    })
}

fn impact(s: &Scenario, start: Price) -> Result<Box<dyn ImpactModel>, VenueError> {
    Ok(match &s.impact {
        ImpactConfig::None => Box::new(Linear {
            lambda: Price::ZERO,
        }),
        ImpactConfig::Linear { lambda } => Box::new(Linear {
            lambda: checked(lambda, "impact.lambda")?,
        }),
        ImpactConfig::Sqrt {
            y,
            daily_sigma,
            daily_volume,
        } => Box::new(Sqrt {
            y: *y,
            daily_sigma: *daily_sigma,
            daily_volume: *daily_volume,
        }),
        ImpactConfig::Depth {
            points,
            resilience,
            thinning,
        } => Box::new(Depth::new(points.clone(), *resilience).with_thinning(*thinning)),
        ImpactConfig::Amm {
            base_reserve,
            arbitrage,
        } => Box::new(Amm::new(*base_reserve, start.to_f64_lossy(), *arbitrage)),
    })
}

/// The seed of path `path`: the run's seed mixed with the path index
/// (SplitMix64), so each path's stream is independent of the others and of
/// the number of threads.
pub fn path_seed(seed: u64, path: usize) -> u64 {
    let mut z = seed ^ (path as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Counts what the venue's events say about the insurance fund of `quote`:
/// auto-deleveraging, whether the fund could not cover a deficit (ADL,
/// socialised loss or bad debt — the engine reaches them only past the
/// fund), and the fund's lowest point against `fund0`.
fn tally(events: &[Event], quote: AssetId, fund0: f64, m: &mut PathMetrics) {
    for e in events {
        match e {
            Event::Deleveraged { size, price, .. } => {
                m.adl_count += 1;
                m.adl_notional += size.to_f64_lossy() * price.to_f64_lossy();
                m.insurance_fund_depleted = true;
            }
            Event::SocializedLoss { .. } | Event::BadDebt { .. } => {
                m.insurance_fund_depleted = true;
            }
            Event::InsuranceFundChanged {
                asset, fund_after, ..
            } if *asset == quote => {
                m.insurance_fund_drawdown = m
                    .insurance_fund_drawdown
                    .max(fund0 - fund_after.to_f64_lossy());
            }
            _ => {}
        }
    }
}

/// Runs one path from the world. `keep_series` keeps the per-step records
/// (downsampled, [`crate::series`]); `check` verifies conservation after
/// every step (slow: tests). An engine or model error fails the path with
/// its step.
pub fn run_path(
    s: &Scenario,
    world: &World,
    path: usize,
    keep_series: bool,
    check: bool,
) -> Result<PathMetrics, PathError> {
    let mut venue = world.venue.clone();
    run_path_on(&mut venue, s, world, path, keep_series, check)
}

/// [`run_path`] on `venue`, a venue equal to `world.venue` (a worker's
/// restored copy, [`crate::summary::simulate`]); the path changes it.
pub fn run_path_on(
    venue: &mut Venue,
    s: &Scenario,
    world: &World,
    path: usize,
    keep_series: bool,
    check: bool,
) -> Result<PathMetrics, PathError> {
    let mut step = 0;
    steps(venue, s, world, path, keep_series, check, &mut step).map_err(|e| PathError {
        path,
        step,
        message: e.to_string(),
    })
}

/// The body of [`run_path`]; `at` follows the step for the error.
fn steps(
    venue: &mut Venue,
    s: &Scenario,
    world: &World,
    path: usize,
    keep_series: bool,
    check: bool,
    at: &mut usize,
) -> Result<PathMetrics, VenueError> {
    let mut rng = ChaCha8Rng::seed_from_u64(path_seed(s.run.seed, path));
    let mut process = process(s, world)?;
    let mut impact = impact(s, world.start)?;
    let quote = venue.quote as usize;
    let fund0 = venue.funds[quote].insurance_fund.to_f64_lossy();
    let debt0 = venue.funds[quote].bad_debt.to_f64_lossy();
    let (mut exo, mut price) = (world.start, world.start);
    let mut history: VecDeque<Price> = VecDeque::from(vec![world.start; s.latency_steps + 1]);
    let mut m = PathMetrics {
        path,
        final_price: 0.0,
        min_price: world.start.to_f64_lossy(),
        max_drawdown: 0.0,
        exogenous_drawdown: 0.0,
        liquidated_notional: 0.0,
        liquidated_long: 0.0,
        liquidated_short: 0.0,
        accounts_liquidated: 0,
        bad_debt: 0.0,
        insurance_fund_drawdown: 0.0,
        insurance_fund_depleted: false,
        cascade_amplification: 1.0,
        rounds: 0,
        max_rounds_in_a_step: 0,
        time_to_first_liquidation: None,
        adl_count: 0,
        adl_notional: 0.0,
        funding_paid: 0.0,
        by_round: Vec::new(),
        conserved: true,
        agents: Default::default(),
        lending: Default::default(),
        liquidity: Default::default(),
        series: None,
    };
    let mut series = keep_series.then(|| crate::series::Recorder::new(s.run.steps));
    let mut liquidated: BTreeSet<u32> = BTreeSet::new();
    let (mut peak, mut exo_peak, mut min_exo) = (
        world.start.to_f64_lossy(),
        world.start.to_f64_lossy(),
        world.start.to_f64_lossy(),
    );
    let mut events = Vec::new();
    let mut watch = crate::agents::Watch::default();
    // The feed between the market and the venue (publishes every price by default).
    let mut feed = levamp_engine::venue::OracleFeed::new(s.feed);
    feed.observe(world.t0, world.start)?; // the venue starts on this published price
    let mut reported = world.start;
    // Funding: settlements on the market's interval grid, from the average premium.
    let interval = world.market.map_or(i64::MAX / 4, |m| {
        venue.markets[m as usize].funding_interval_s
    });
    let mut next_funding = world.t0 + interval;
    let (mut premium_sum, mut premium_n) = (0.0, 0usize);
    let mut by_agents: Vec<u32> = Vec::new();
    let mut makers = crate::makers::Makers::new(world.start);
    let mut followers = crate::follow::Followers::new(world, venue);
    // The keeper's screen over the borrowers (exact only when one key moves).
    let mut screen = world
        .lending
        .as_ref()
        .map(|b| crate::lending::Screen::new(venue, b, world.key, followers.is_empty()))
        .transpose()?;
    // The hunters' map of long liquidation prices (refreshed as they say).
    let mut clusters = std::borrow::Cow::Borrowed(world.long_clusters.as_slice());
    for step in 1..=s.run.steps {
        *at = step;
        let ts = world.t0 + step as i64 * s.run.dt_s;
        let g = process
            .ratio(step, &mut rng)
            .map_err(model("price model"))?;
        let exo_before = exo;
        let moved = match process.level(step) {
            // A replay sets the outside price from the data; the market keeps its gap to it.
            Some(level) => {
                let gap = price.ratio_to(exo, Round::Floor)?;
                exo = mul(world.start, level)?;
                if gap == Ratio::ONE {
                    exo
                } else {
                    mul(exo, gap)?
                }
            }
            None => {
                exo = mul(exo, g)?;
                mul(price, g)?
            }
        };
        price = impact
            .begin_step(moved, exo)
            .map_err(model("impact model"))?;
        if !followers.is_empty() {
            let ret = exo.to_f64_lossy() / exo_before.to_f64_lossy();
            followers.step(ret, s.run.dt_s as f64 / YEAR_S, &mut rng)?;
        }
        if let Some(a) = &s.agents.arbitrageurs {
            price = crate::makers::arbitrage(a, impact.as_mut(), price, exo, &mut m.liquidity)?;
        }
        if let Some(mm) = &s.agents.market_makers {
            price = makers.begin_step(mm, step, exo, impact.as_mut(), price, &mut m.liquidity)?;
        }
        if let (Some(f), Some(market)) = (&s.funding, world.market) {
            while next_funding <= ts {
                let premium = if premium_n > 0 {
                    premium_sum / premium_n as f64
                } else {
                    0.0
                };
                let command = Command::Funding {
                    market,
                    ts: next_funding,
                    rate: f
                        .rate
                        .as_deref()
                        .map(|r| checked(r, "funding.rate"))
                        .transpose()?,
                    premium: Some(Ratio::from_f64(premium, Round::Floor)?),
                };
                let evs = venue.execute(&command)?;
                tally(&evs, venue.quote, fund0, &mut m);
                for e in &evs {
                    match e {
                        Event::FundingPaid { amount, .. } if amount.is_negative() => {
                            m.funding_paid -= amount.to_f64_lossy()
                        }
                        Event::FundingSettled { rate, .. } => {
                            if let Some(b) = &s.agents.basis_traders {
                                let bought = crate::agents::unwind_basis(
                                    venue,
                                    b,
                                    market,
                                    *rate,
                                    price,
                                    &mut m.agents,
                                )?;
                                if !bought.is_zero() {
                                    price = impact.apply(price, bought.checked_neg()?)?;
                                }
                            }
                        }
                        _ => {}
                    }
                }
                next_funding += interval;
                (premium_sum, premium_n) = (0.0, 0);
            }
        }
        if let Some(t) = &s.agents.traders {
            crate::agents::top_up(venue, t, &mut rng, &mut m.agents, world.traders)?;
        }
        if world.lending.is_some() {
            // Interest accrues in every pool up to this step.
            let evs = venue.execute(&Command::Advance { ts })?;
            tally(&evs, venue.quote, fund0, &mut m);
        }
        if let (Some(h), Some(market)) = (&s.agents.hunters, world.market) {
            if h.refresh_steps > 0 && step % h.refresh_steps == 0 {
                clusters =
                    crate::agents::long_clusters(venue, market, price.to_f64_lossy())?.into();
            }
            let pushed = crate::agents::hunt(
                venue,
                h,
                &clusters,
                &liquidated,
                market,
                price,
                &mut m.agents,
            )?;
            if !pushed.is_zero() {
                price = impact.apply(price, pushed)?;
            }
        }
        let (mut step_notional, mut rounds) = (0.0, 0);
        let mut observed = if s.latency_steps == 0 {
            price
        } else {
            history[0]
        };
        let mut oracle = reported;
        loop {
            events.clear();
            // The feed decides whether the observed price is published (deviation, heartbeat).
            if let Some(p) = feed.observe(ts, observed)?.last().map(|u| u.price) {
                oracle = p;
                reported = p;
                venue.execute_into(
                    &Command::Price {
                        key: world.key,
                        price: p,
                        ts,
                        confidence: None,
                    },
                    &mut events,
                )?;
            }
            followers.report(venue, ts, &mut events)?;
            let mut sold = Base::ZERO;
            let mut notional = 0.0;
            for e in &events {
                match e {
                    Event::TradeFilled {
                        market,
                        buyer,
                        seller,
                        value,
                        liquidation: true,
                        ..
                    } => {
                        notional += value.to_f64_lossy();
                        // A liquidated long sells to the market (the buyer), a short buys from it.
                        let flow = if buyer.account == MARKET_ACCOUNT {
                            m.liquidated_long += value.to_f64_lossy();
                            buyer.size
                        } else if seller.account == MARKET_ACCOUNT {
                            m.liquidated_short += value.to_f64_lossy();
                            seller.size
                        } else {
                            Base::ZERO
                        };
                        // The flow moves the market it happened in: the driven one, a
                        // follower, or (any other market) nothing.
                        if Some(*market) == world.market {
                            sold = sold.checked_add(flow)?;
                        } else {
                            followers.add_flow(*market, flow)?;
                        }
                    }
                    Event::Liquidated { account, .. } => {
                        liquidated.insert(*account);
                    }
                    Event::FundingPaid { amount, .. } if amount.is_negative() => {
                        m.funding_paid -= amount.to_f64_lossy()
                    }
                    _ => {}
                }
            }
            if let (Some(book), Some(screen)) = (&world.lending, screen.as_mut()) {
                let (seized, value) = crate::lending::keep(
                    venue,
                    book,
                    screen,
                    &mut m.lending,
                    &mut liquidated,
                    &mut events,
                )?;
                for (key, units) in seized {
                    if key == world.key {
                        sold = sold.checked_add(units)?;
                    } else {
                        followers.add_key_flow(key, units)?;
                    }
                }
                notional += value;
                m.liquidated_long += value;
            }
            if let (Some(l), Some(market)) = (&s.agents.liquidators, world.market) {
                let (agent_sold, agent_notional) = crate::agents::liquidate(
                    venue,
                    l,
                    &mut watch,
                    world.key,
                    market,
                    step,
                    price,
                    &mut rng,
                    &mut m.agents,
                    &mut by_agents,
                    &mut events,
                )?;
                sold = sold.checked_add(agent_sold)?;
                notional += agent_notional;
                if agent_sold.is_positive() {
                    m.liquidated_long += agent_notional;
                } else {
                    m.liquidated_short += agent_notional;
                }
            }
            if notional > 0.0 {
                if m.by_round.len() <= rounds {
                    m.by_round.resize(rounds + 1, 0.0);
                }
                m.by_round[rounds] += notional;
                rounds += 1;
                step_notional += notional;
                m.time_to_first_liquidation.get_or_insert(step);
            }
            // Every event of the round: the oracle's, the keeper's, the liquidators'.
            tally(&events, venue.quote, fund0, &mut m);
            if let (Some(mm), false) = (&s.agents.market_makers, sold.is_zero()) {
                (sold, price) = makers.absorb(mm, sold, price, &mut m.liquidity)?;
            }
            if !sold.is_zero() {
                price = impact.apply(price, sold)?;
            }
            followers.apply_flows()?;
            if s.latency_steps > 0 || notional == 0.0 || rounds >= s.run.max_rounds {
                break;
            }
            observed = price;
        }
        premium_sum += price.to_f64_lossy() / exo.to_f64_lossy() - 1.0;
        premium_n += 1;
        history.push_back(price);
        history.pop_front();
        m.rounds += rounds;
        m.max_rounds_in_a_step = m.max_rounds_in_a_step.max(rounds);
        m.liquidated_notional += step_notional;
        let p = price.to_f64_lossy();
        let e = exo.to_f64_lossy();
        m.min_price = m.min_price.min(p);
        min_exo = min_exo.min(e);
        peak = peak.max(p);
        exo_peak = exo_peak.max(e);
        m.max_drawdown = m.max_drawdown.max(1.0 - p / peak);
        m.exogenous_drawdown = m.exogenous_drawdown.max(1.0 - e / exo_peak);
        let fund = venue.funds[quote].insurance_fund.to_f64_lossy();
        m.insurance_fund_drawdown = m.insurance_fund_drawdown.max(fund0 - fund);
        let debt = venue.funds[quote].bad_debt.to_f64_lossy() - debt0 + m.lending.deficit;
        if check {
            m.conserved &= venue.conservation()?.ok;
        }
        if let Some(series) = series.as_mut() {
            series.push(StepRecord {
                step,
                exogenous: e,
                price: p,
                oracle: oracle.to_f64_lossy(),
                liquidated_notional: step_notional,
                rounds,
                insurance_fund: fund,
                bad_debt: debt,
            });
        }
    }
    m.series = series.map(crate::series::Recorder::finish);
    m.final_price = price.to_f64_lossy();
    m.liquidity.mm_pnl = makers.pnl(m.final_price);
    if let (Some(h), Some(id)) = (&s.agents.hunters, venue.account_id(crate::agents::HUNTER)) {
        let capital: Base = checked(&h.capital, "agents.liquidation_hunters.capital")?;
        let equity =
            levamp_engine::account_health(&venue.accounts[id as usize], &venue.context())?.equity;
        m.agents.hunter_pnl = equity.to_f64_lossy() - capital.to_f64_lossy();
    }
    liquidated.extend(by_agents);
    m.accounts_liquidated = liquidated.len();
    m.bad_debt = venue.funds[quote].bad_debt.to_f64_lossy() - debt0 + m.lending.deficit;
    let start = world.start.to_f64_lossy();
    m.cascade_amplification = if min_exo < start {
        (start - m.min_price) / (start - min_exo)
    } else {
        1.0
    };
    Ok(m)
}

/// A price or liquidity model's error (e.g. a NaN price), named as such.
fn model(field: &'static str) -> impl Fn(levamp_core::MathError) -> VenueError {
    move |e| VenueError::Invalid {
        field,
        reason: e.to_string(),
    }
}

/// `p × g` rounded down, at least one tick.
fn mul(p: Price, g: Ratio) -> Result<Price, VenueError> {
    Ok(p.mul_ratio(g, Round::Floor)?.max(Price::TICK))
}
