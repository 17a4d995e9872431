//! One Monte-Carlo path on the flat book: the step pipeline of
//! [`crate::step`] with nothing in it but the price, the oracle and the
//! venue's own liquidations (no actor is registered on such a path), so
//! the same exogenous move, feed, impact model and metrics, in the same
//! order, without a venue.

use super::{Declined, FlatBook, FlatPath, FlatScratch};
use crate::backstop::BackstopStats;
use crate::run::{path_seed, start_metrics, PathMetrics, StepRecord};
use crate::scenario::Scenario;
use crate::setup::World;
use crate::step::{exogenous, Extremes};
use levamp_core::Base;
use levamp_engine::venue::{OracleFeed, Venue, VenueError};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::{AtomicBool, Ordering};

/// How a path on the flat book ended.
pub(crate) enum Flat {
    Done(Box<PathMetrics>),
    Cancelled,
    /// The path needs what the fast path does not model (or met an error
    /// the engine should report): run it on the engine from its start.
    Declined,
}

/// Runs path `path` on `book`; `venue` is the path's venue as the world
/// left it (the world's own may have been taken out for a one-path run):
/// the backstop's start and the accounts' names are read from it. `at`
/// follows the step (for a cancelled
/// path's report), as the engine's loop does.
pub(crate) fn run(
    (s, world, venue): (&Scenario, &World, &Venue),
    book: &FlatBook,
    scratch: &mut FlatScratch,
    (path, keep_series, cancel): (usize, bool, &AtomicBool),
    at: &mut usize,
) -> Flat {
    match steps(
        (s, world, venue),
        book,
        scratch,
        (path, keep_series, cancel),
        at,
    ) {
        Ok(Some(m)) => Flat::Done(Box::new(m)),
        Ok(None) => Flat::Cancelled,
        Err(Declined) => Flat::Declined,
    }
}

impl From<VenueError> for Declined {
    fn from(_: VenueError) -> Declined {
        Declined
    }
}

fn steps(
    (s, world, venue): (&Scenario, &World, &Venue),
    book: &FlatBook,
    scratch: &mut FlatScratch,
    (path, keep_series, cancel): (usize, bool, &AtomicBool),
    at: &mut usize,
) -> Result<Option<PathMetrics>, Declined> {
    let mut exo_rng = ChaCha8Rng::seed_from_u64(path_seed(s.run.seed, path));
    let mut process = crate::models::process(s, world)?;
    let mut impact = crate::models::impact(s, world.start);
    let start = world.start.to_f64_lossy();
    let steps = s.run.steps;
    let mut m = start_metrics(path, start, steps);
    m.backstop = BackstopStats::start(venue, &world.segments);
    let mut feed = OracleFeed::new(s.feed);
    feed.observe(world.t0, world.start)?; // the venue starts on this published price
    let mut delivered = Vec::new();
    let fund0 = book.fund0.to_f64_lossy();
    let debt0 = book.debt0.to_f64_lossy();
    let mut fund: (Base, f64) = (book.fund0, fund0);
    let mut flat = FlatPath::new(book, scratch);
    let mut log = keep_series.then(crate::liquidations::Log::default);
    flat.log = keep_series.then(Vec::new);
    let mut series = keep_series.then(|| crate::series::Recorder::new(steps));
    let mut reported = world.start;
    let mut prices = (world.start, world.start);
    let mut extremes = Extremes::new(start);
    let fan_bucket = crate::series::fan_bucket_steps(steps);
    for step in 1..=steps {
        *at = step;
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let ts = world.t0 + step as i64 * s.run.dt_s;
        exogenous(
            process.as_mut(),
            step,
            &mut exo_rng,
            world.start,
            &mut prices,
            impact.as_mut(),
        )?;
        // The oracle ↔ venue rounds (`PathState::cascade`, instant oracle).
        let (mut notional, mut rounds) = (0.0, 0);
        let mut observed = prices.0;
        loop {
            feed.observe_into(ts, observed, &mut delivered)?;
            let round = match delivered.last() {
                Some(u) => {
                    reported = u.price;
                    flat.update(u.price, &mut m, fund0)?
                }
                None => Default::default(),
            };
            if round.notional > 0.0 {
                if m.by_round.len() <= rounds {
                    m.by_round.resize(rounds + 1, 0.0);
                }
                m.by_round[rounds] += round.notional;
                rounds += 1;
                notional += round.notional;
                m.time_to_first_liquidation.get_or_insert(step);
            }
            // The round's events, numbered as `PathState` numbers them: the
            // rounds with notional so far (a round that liquidated only
            // what was worth nothing keeps the previous number).
            if let (Some(log), Some(events)) = (log.as_mut(), flat.log.as_mut()) {
                for e in events.drain(..) {
                    log.event(&e, venue, step, rounds);
                }
            }
            if !round.sold.is_zero() {
                prices.0 = impact.apply(prices.0, round.sold)?;
            }
            if round.notional == 0.0 || rounds >= s.run.max_rounds {
                break;
            }
            observed = prices.0;
        }
        // The step's metrics (`PathState::metrics`).
        let (p, e) = (prices.0.to_f64_lossy(), prices.1.to_f64_lossy());
        m.rounds += rounds;
        m.max_rounds_in_a_step = m.max_rounds_in_a_step.max(rounds);
        m.liquidated_notional += notional;
        extremes.observe(&mut m, p, e);
        if flat.fund != fund.0 {
            fund = (flat.fund, flat.fund.to_f64_lossy());
        }
        m.insurance_fund_drawdown = m.insurance_fund_drawdown.max(fund0 - fund.1);
        m.backstop.step_pooled(flat.fund);
        if step.is_multiple_of(fan_bucket) || step == steps {
            m.price_closes.push(p);
        }
        if let Some(series) = series.as_mut() {
            series.push(StepRecord {
                step,
                exogenous: e,
                price: p,
                oracle: reported.to_f64_lossy(),
                liquidated_notional: notional,
                rounds,
                insurance_fund: flat.fund.to_f64_lossy(),
                bad_debt: flat.bad_debt.to_f64_lossy() - debt0 + m.lending.deficit,
            });
        }
    }
    // A break would be a bug: the engine's run of the path then reports
    // its own conservation (or agrees, and the test suite fails).
    if !flat.conserved() {
        return Err(Declined);
    }
    m.final_price = prices.0.to_f64_lossy();
    m.accounts_liquidated = flat.liquidated;
    m.bad_debt = flat.bad_debt.to_f64_lossy() - debt0 + m.lending.deficit;
    m.liquidations = log.map(|log| log.finish(venue));
    m.cascade_amplification = extremes.amplification(&m, start);
    m.series = series.map(crate::series::Recorder::finish);
    Ok(Some(m))
}
