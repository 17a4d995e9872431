//! One path's state and the fixed step pipeline (docs/scenarios.md, "How a
//! step runs"): exogenous price → liquidity → funding and the venue →
//! oracle ↔ venue cascade rounds → metrics. Actors ([`crate::actors`]) are
//! called at each [`Phase`]; the pipeline does not know which exist.
//!
//! Each step: the exogenous return moves the outside price and the market
//! price; the oracle reports (the current market price, or the one
//! `latency_steps` steps old); the venue liquidates what became liquidatable
//! against the market; that net flow hits the liquidity model and moves the
//! price; with an instant oracle the new price is reported again in the same
//! step — round after round until no liquidation happens or the per-step cap
//! is reached. Every round is recorded.

use crate::actors::{each, Actor, Phase};
use crate::marks::Marks;
use crate::run::{PathMetrics, StepRecord};
use crate::scenario::Scenario;
use crate::setup::World;
use levamp_core::{Base, Price, Ratio, Round};
use levamp_engine::venue::{Command, Event, OracleFeed, Venue, VenueError, MARKET_ACCOUNT};
use levamp_engine::PriceId;
use levamp_market::{ImpactModel, PriceProcess};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// Buffers a worker reuses from path to path.
#[derive(Debug, Default)]
pub struct Scratch {
    pub events: Vec<Event>,
    pub liquidated: Marks,
    last_market: crate::backstop::LastMarket,
    round: RoundFlow,
}

/// One cascade round's forced flow.
#[derive(Debug, Default)]
pub struct RoundFlow {
    /// Base units sold into the driven market (< 0 bought).
    pub sold: Base,
    /// Liquidated notional of the round (quote).
    pub notional: f64,
    /// Flow into other price keys (followers'), in the order it happened.
    pub key_flows: Vec<(PriceId, Base)>,
}

/// The oracle between the market and the venue.
struct Oracle {
    feed: OracleFeed,
    /// The last `latency_steps + 1` market prices, oldest first.
    history: VecDeque<Price>,
    /// The last published price.
    reported: Price,
    /// The updates delivered by the last observation (reused).
    delivered: Vec<levamp_engine::venue::OracleUpdate>,
}

/// Funding settlements on the market's interval grid, from the average premium.
struct FundingClock {
    interval: i64,
    next: i64,
    premium_sum: f64,
    premium_n: usize,
}

/// Running extremes for the drawdowns.
pub(crate) struct Extremes {
    peak: f64,
    exo_peak: f64,
    min_exo: f64,
}

impl Extremes {
    /// At a path's start, both prices at `start`.
    pub(crate) fn new(start: f64) -> Extremes {
        Extremes {
            peak: start,
            exo_peak: start,
            min_exo: start,
        }
    }

    /// A step's market price `p` and outside price `e`: the minimum and
    /// the drawdowns.
    pub(crate) fn observe(&mut self, m: &mut PathMetrics, p: f64, e: f64) {
        m.min_price = m.min_price.min(p);
        self.min_exo = self.min_exo.min(e);
        self.peak = self.peak.max(p);
        self.exo_peak = self.exo_peak.max(e);
        m.max_drawdown = m.max_drawdown.max(1.0 - p / self.peak);
        m.exogenous_drawdown = m.exogenous_drawdown.max(1.0 - e / self.exo_peak);
    }

    /// How far the market fell per unit the outside price fell (1 when the
    /// outside price never fell below `start`).
    pub(crate) fn amplification(&self, m: &PathMetrics, start: f64) -> f64 {
        if self.min_exo < start {
            (start - m.min_price) / (start - self.min_exo)
        } else {
            1.0
        }
    }
}

/// Everything a path carries from step to step; actors act on it.
pub struct PathState<'a> {
    pub s: &'a Scenario,
    pub world: &'a World,
    pub venue: &'a mut Venue,
    /// The exogenous stream: the price model and the correlated markets
    /// draw from it and nothing else does, so the outside price of a path
    /// is the same whatever the venue and the agents do (common random
    /// numbers across the variants of a study).
    pub exo_rng: ChaCha8Rng,
    /// The agents' stream ([`crate::run::AGENT_STREAM`] of the path seed).
    pub rng: ChaCha8Rng,
    pub impact: Box<dyn ImpactModel>,
    pub step: usize,
    /// Venue time of the step.
    pub ts: i64,
    /// The driven market's price, and the outside price.
    pub price: Price,
    pub exo: Price,
    /// The outside price's gross return over the step.
    pub exo_return: f64,
    pub m: PathMetrics,
    pub round: &'a mut RoundFlow,
    /// The current round's events (reused).
    pub events: &'a mut Vec<Event>,
    pub liquidated: &'a mut Marks,
    last_market: &'a mut crate::backstop::LastMarket,
    oracle: Oracle,
    funding: FundingClock,
    extremes: Extremes,
    fund0: f64,
    /// The quote asset's insurance fund at the last step, exact and as
    /// `f64` (converted only when it moved).
    fund: (Base, f64),
    debt0: f64,
    step_notional: f64,
    step_rounds: usize,
    /// The cascade round being tallied (1-based; for the liquidation log).
    round_no: usize,
    /// Steps per fan bucket ([`crate::series::fan_bucket_steps`]).
    fan_bucket: usize,
    /// Who was liquidated (only on paths that keep a series).
    pub log: Option<crate::liquidations::Log>,
}

impl<'a> PathState<'a> {
    /// The state at step 0: prices at the world's start, the feed primed
    /// with the start price.
    pub fn new(
        s: &'a Scenario,
        world: &'a World,
        venue: &'a mut Venue,
        scratch: &'a mut Scratch,
        (exo_rng, rng): (ChaCha8Rng, ChaCha8Rng),
        impact: Box<dyn ImpactModel>,
        m: PathMetrics,
    ) -> Result<PathState<'a>, VenueError> {
        let quote = venue.quote() as usize;
        let start = world.start.to_f64_lossy();
        let mut feed = OracleFeed::new(s.feed);
        feed.observe(world.t0, world.start)?; // the venue starts on this published price
        let interval = world.market.map_or(i64::MAX / 4, |m| {
            venue.markets()[m as usize].funding_interval_s
        });
        scratch.events.clear();
        scratch.liquidated.reset();
        scratch.last_market.reset();
        let mut m = m;
        m.backstop = crate::backstop::BackstopStats::start(venue, &world.segments);
        let fund = venue.funds()[quote].insurance_fund;
        Ok(PathState {
            fund0: fund.to_f64_lossy(),
            fund: (fund, fund.to_f64_lossy()),
            debt0: venue.funds()[quote].bad_debt.to_f64_lossy(),
            s,
            world,
            venue,
            exo_rng,
            rng,
            impact,
            step: 0,
            ts: world.t0,
            price: world.start,
            exo: world.start,
            exo_return: 1.0,
            m,
            round: &mut scratch.round,
            events: &mut scratch.events,
            liquidated: &mut scratch.liquidated,
            last_market: &mut scratch.last_market,
            oracle: Oracle {
                feed,
                history: VecDeque::from(vec![world.start; s.latency_steps + 1]),
                reported: world.start,
                delivered: Vec::new(),
            },
            funding: FundingClock {
                interval,
                next: world.t0 + interval,
                premium_sum: 0.0,
                premium_n: 0,
            },
            extremes: Extremes::new(start),
            step_notional: 0.0,
            step_rounds: 0,
            round_no: 0,
            fan_bucket: crate::series::fan_bucket_steps(s.run.steps),
            log: None,
        })
    }

    /// Runs step `step` through the pipeline.
    pub fn step(
        &mut self,
        step: usize,
        process: &mut dyn PriceProcess,
        actors: &mut [Box<dyn Actor>],
    ) -> Result<(), VenueError> {
        self.step = step;
        self.ts = self.world.t0 + step as i64 * self.s.run.dt_s;
        self.exogenous(process)?;
        each(actors, Phase::Exogenous, self)?;
        each(actors, Phase::Liquidity, self)?;
        self.settle_funding(actors)?;
        each(actors, Phase::Venue, self)?;
        self.cascade(actors)?;
        self.metrics();
        Ok(())
    }

    /// The exogenous move: the outside price by the model's return, the
    /// market price with it (a replay keeps the market's gap to the data).
    fn exogenous(&mut self, process: &mut dyn PriceProcess) -> Result<(), VenueError> {
        let (start, impact) = (self.world.start, self.impact.as_mut());
        let mut prices = (self.price, self.exo);
        self.exo_return = exogenous(
            process,
            self.step,
            &mut self.exo_rng,
            start,
            &mut prices,
            impact,
        )?;
        (self.price, self.exo) = prices;
        Ok(())
    }

    /// Funding settlements due by this step, each followed by
    /// [`Phase::Funding`].
    fn settle_funding(&mut self, actors: &mut [Box<dyn Actor>]) -> Result<(), VenueError> {
        let (Some(f), Some(market)) = (&self.s.funding, self.world.market) else {
            return Ok(());
        };
        while self.funding.next <= self.ts {
            let clock = &mut self.funding;
            let premium = match clock.premium_n {
                0 => 0.0,
                n => clock.premium_sum / n as f64,
            };
            let command = Command::Funding {
                market,
                ts: clock.next,
                rate: f.rate,
                premium: Some(Ratio::from_f64(premium, Round::Floor)?),
            };
            clock.next += clock.interval;
            (clock.premium_sum, clock.premium_n) = (0.0, 0);
            self.events.clear();
            self.venue.execute_into(&command, self.events)?;
            self.tally();
            let mut rates = Vec::new();
            for e in self.events.iter() {
                match e {
                    Event::FundingPaid { amount, .. } if amount.is_negative() => {
                        self.m.funding_paid -= amount.to_f64_lossy()
                    }
                    Event::FundingSettled { rate, .. } => rates.push(*rate),
                    _ => {}
                }
            }
            for rate in rates {
                each(actors, Phase::Funding(rate), self)?;
            }
        }
        Ok(())
    }

    /// The oracle ↔ venue rounds of the step.
    fn cascade(&mut self, actors: &mut [Box<dyn Actor>]) -> Result<(), VenueError> {
        let (mut notional, mut rounds) = (0.0, 0);
        let mut observed = match self.s.latency_steps {
            0 => self.price,
            _ => self.oracle.history[0],
        };
        loop {
            self.events.clear();
            self.round.sold = Base::ZERO;
            self.round.notional = 0.0;
            self.round.key_flows.clear();
            self.publish(observed)?;
            each(actors, Phase::Report, self)?;
            self.venue_liquidations()?;
            each(actors, Phase::Round, self)?;
            let round_notional = self.round.notional;
            if round_notional > 0.0 {
                if self.m.by_round.len() <= rounds {
                    self.m.by_round.resize(rounds + 1, 0.0);
                }
                self.m.by_round[rounds] += round_notional;
                rounds += 1;
                notional += round_notional;
                self.m.time_to_first_liquidation.get_or_insert(self.step);
            }
            // Every event of the round: the oracle's, the keeper's, the liquidators'.
            self.round_no = rounds;
            self.tally();
            if !self.round.sold.is_zero() {
                each(actors, Phase::Absorb, self)?;
            }
            if !self.round.sold.is_zero() {
                self.price = self.impact.apply(self.price, self.round.sold)?;
            }
            each(actors, Phase::EndRound, self)?;
            if self.s.latency_steps > 0 || round_notional == 0.0 || rounds >= self.s.run.max_rounds
            {
                break;
            }
            observed = self.price;
        }
        (self.step_notional, self.step_rounds) = (notional, rounds);
        Ok(())
    }

    /// The feed decides whether the observed price is published (deviation,
    /// heartbeat); a published price goes to the venue.
    fn publish(&mut self, observed: Price) -> Result<(), VenueError> {
        let o = &mut self.oracle;
        o.feed.observe_into(self.ts, observed, &mut o.delivered)?;
        let Some(p) = o.delivered.last().map(|u| u.price) else {
            return Ok(());
        };
        self.oracle.reported = p;
        // Quiet: an update that crosses no trigger records no events (the
        // tallies read none of an update's own).
        self.venue
            .update_price_into(self.world.key, p, self.ts, None, self.events)
    }

    /// The venue's own liquidations in the round's events so far: notional,
    /// long/short, the flow into each market, who was liquidated.
    fn venue_liquidations(&mut self) -> Result<(), VenueError> {
        for e in self.events.iter() {
            match e {
                Event::TradeFilled {
                    market,
                    buyer,
                    seller,
                    value,
                    liquidation: true,
                    ..
                } => {
                    let value = value.to_f64_lossy();
                    self.round.notional += value;
                    // A liquidated long sells to the market (the buyer), a short buys from it.
                    let flow = if buyer.account == MARKET_ACCOUNT {
                        self.m.liquidated_long += value;
                        buyer.size
                    } else if seller.account == MARKET_ACCOUNT {
                        self.m.liquidated_short += value;
                        seller.size
                    } else {
                        Base::ZERO
                    };
                    // The flow moves the market it happened in: the driven one, or
                    // the key that prices it (a follower's, or nothing).
                    if Some(*market) == self.world.market {
                        self.round.sold = self.round.sold.checked_add(flow)?;
                    } else {
                        let key = self.venue.markets()[*market as usize].price;
                        self.round.key_flows.push((key, flow));
                    }
                }
                Event::Liquidated { account, .. } => self.liquidated.venue(*account),
                Event::FundingPaid { amount, .. } if amount.is_negative() => {
                    self.m.funding_paid -= amount.to_f64_lossy()
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Counts what the round's events say about the insurance fund of the
    /// quote asset: auto-deleveraging, whether the fund could not cover a
    /// deficit (ADL, socialised loss or bad debt — the engine reaches them
    /// only past the fund), and the fund's lowest point. O(1) per event.
    pub fn tally(&mut self) {
        // A calm round (a quiet oracle update) has no events to count.
        if self.events.is_empty() {
            return;
        }
        let (quote, fund0, m) = (self.venue.quote(), self.fund0, &mut self.m);
        for e in self.events.iter() {
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
        self.m.backstop.tally(
            self.events,
            self.venue,
            &self.world.segments,
            self.last_market,
        );
        if let Some(log) = self.log.as_mut() {
            for e in self.events.iter() {
                log.event(e, self.venue, self.step, self.round_no);
            }
        }
    }

    /// The step's metrics.
    fn metrics(&mut self) {
        let p = self.price.to_f64_lossy();
        let e = self.exo.to_f64_lossy();
        self.funding.premium_sum += p / e - 1.0;
        self.funding.premium_n += 1;
        self.oracle.history.push_back(self.price);
        self.oracle.history.pop_front();
        let m = &mut self.m;
        m.rounds += self.step_rounds;
        m.max_rounds_in_a_step = m.max_rounds_in_a_step.max(self.step_rounds);
        m.liquidated_notional += self.step_notional;
        self.extremes.observe(m, p, e);
        let fund = self.venue.funds()[self.venue.quote() as usize].insurance_fund;
        if fund != self.fund.0 {
            self.fund = (fund, fund.to_f64_lossy());
        }
        m.insurance_fund_drawdown = m.insurance_fund_drawdown.max(self.fund0 - self.fund.1);
        m.backstop.step(self.venue, &self.world.segments);
        // The fan bucket's close (capacity reserved: no allocation).
        if self.step.is_multiple_of(self.fan_bucket) || self.step == self.s.run.steps {
            m.price_closes.push(p);
        }
    }

    /// The quote asset's insurance fund now.
    fn insurance_fund(&self) -> f64 {
        self.venue.funds()[self.venue.quote() as usize]
            .insurance_fund
            .to_f64_lossy()
    }

    /// Bad debt since the start (the venue's and the lending pools' deficit).
    fn bad_debt(&self) -> f64 {
        self.venue.funds()[self.venue.quote() as usize]
            .bad_debt
            .to_f64_lossy()
            - self.debt0
            + self.m.lending.deficit
    }

    /// The step's record for the series.
    pub fn record(&self) -> StepRecord {
        StepRecord {
            step: self.step,
            exogenous: self.exo.to_f64_lossy(),
            price: self.price.to_f64_lossy(),
            oracle: self.oracle.reported.to_f64_lossy(),
            liquidated_notional: self.step_notional,
            rounds: self.step_rounds,
            insurance_fund: self.insurance_fund(),
            bad_debt: self.bad_debt(),
        }
    }

    /// The path's final metrics.
    pub fn finish(mut self) -> PathMetrics {
        self.m.final_price = self.price.to_f64_lossy();
        self.m.accounts_liquidated = self.liquidated.count();
        self.m.bad_debt = self.bad_debt();
        self.m.liquidations = self.log.take().map(|l| l.finish(self.venue));
        let start = self.world.start.to_f64_lossy();
        self.m.cascade_amplification = self.extremes.amplification(&self.m, start);
        self.m
    }
}

/// A price or liquidity model's error (e.g. a NaN price), named as such.
pub(crate) fn model(field: &'static str) -> impl Fn(levamp_core::MathError) -> VenueError {
    move |e| VenueError::Invalid {
        field,
        reason: e.to_string(),
    }
}

/// Step `step`'s exogenous move of `(market price, outside price)` from
/// the path's start price `start`: the outside price by the model's return,
/// the market price with it (a replay keeps the market's gap to the data),
/// then the liquidity model's start of step. Returns the outside price's
/// gross return.
pub(crate) fn exogenous(
    process: &mut dyn PriceProcess,
    step: usize,
    rng: &mut ChaCha8Rng,
    start: Price,
    (price, exo): &mut (Price, Price),
    impact: &mut dyn ImpactModel,
) -> Result<f64, VenueError> {
    let g = process.ratio(step, rng).map_err(model("price model"))?;
    let exo_before = *exo;
    let moved = match process.level(step) {
        Some(level) => {
            let gap = price.ratio_to(*exo, Round::Floor)?;
            *exo = mul(start, level)?;
            if gap == Ratio::ONE {
                *exo
            } else {
                mul(*exo, gap)?
            }
        }
        None => {
            // No impact yet (or none left): the same product, once.
            let same = *price == *exo;
            *exo = mul(*exo, g)?;
            match same {
                true => *exo,
                false => mul(*price, g)?,
            }
        }
    };
    let exo_return = exo.to_f64_lossy() / exo_before.to_f64_lossy();
    *price = impact
        .begin_step(moved, *exo)
        .map_err(model("impact model"))?;
    Ok(exo_return)
}

/// `p × g` rounded down, at least one tick.
fn mul(p: Price, g: Ratio) -> Result<Price, VenueError> {
    Ok(p.mul_ratio(g, Round::Floor)?.max(Price::TICK))
}
