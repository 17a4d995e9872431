//! One Monte-Carlo path: the loop over steps ([`crate::step`] runs one
//! step through the pipeline, [`crate::actors`] act in it), and the
//! [`Worker`] that runs path after path on one venue, restoring it in
//! between (reset, don't clone).
//!
//! Engine errors never disappear: an arithmetic or state error (overflow, a
//! model price that is NaN, a refused oracle update or funding settlement)
//! fails the path with its step ([`PathError`]); an agent's command the
//! venue refuses by its rules (margin, balance, not liquidatable) is counted
//! in `refused_commands`.

use crate::scenario::Scenario;
use crate::setup::World;
use crate::step::{PathState, Scratch};
use levamp_engine::venue::{Venue, VenueError};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Whether conservation of value held: checked at the path's end, and
    /// after every step when asked (and in debug builds); a path where it
    /// did not fails with an error, so a returned path has it `true`.
    pub conserved: bool,
    /// What the agents did.
    pub agents: crate::agents::AgentStats,
    /// What the lending keeper did.
    pub lending: crate::lending::LendingStats,
    /// What the arbitrageurs and market makers did.
    pub liquidity: crate::makers::LiquidityStats,
    /// The market price at the close of each fan bucket
    /// ([`crate::series::fan_close_steps`]), on every path: at most
    /// [`crate::series::FAN_POINTS`] values, for the price fan ([`crate::fan`]).
    pub price_closes: Vec<f64>,
    /// The recorded series, at most [`crate::series::MAX_POINTS`] records.
    pub series: Option<Vec<StepRecord>>,
    /// Who was liquidated, on the paths that keep a series.
    pub liquidations: Option<crate::liquidations::Liquidations>,
    /// Per-segment funds and losses, and the contagion share
    /// ([`crate::backstop`]).
    pub backstop: crate::backstop::BackstopStats,
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

/// The stream of a path's seed the agents draw from (traders' top-ups,
/// liquidators' choices); the exogenous price draws from stream 0 and the
/// hunters' heatmap noise from [`crate::hunter_view::HEATMAP_NOISE_STREAM`].
/// Separate streams keep the outside price of path `p` the same in every
/// variant of a scenario, whatever its agents draw.
pub const AGENT_STREAM: u64 = 2;

/// Runs one path from the world (on a copy of its venue). `keep_series`
/// keeps the per-step records (downsampled, [`crate::series`]); `check`
/// verifies conservation after every step (slow: tests; always in debug
/// builds). An engine or model error fails the path with its step.
pub fn run_path(
    s: &Scenario,
    world: &World,
    path: usize,
    keep_series: bool,
    check: bool,
) -> Result<PathMetrics, PathError> {
    let never = AtomicBool::new(false);
    run_path_on(
        s,
        world,
        world.venue.clone(),
        (path, keep_series, check),
        &never,
    )
    .0
}

/// As [`run_path`], on `venue` (a copy of the world's, or the world's own
/// taken out of it), stopped between steps by `cancel` (the path fails
/// with [`crate::summary::CANCELLED`]): returns the venue as the path
/// leaves it.
pub(crate) fn run_path_on(
    s: &Scenario,
    world: &World,
    venue: Venue,
    (path, keep_series, check): (usize, bool, bool),
    cancel: &AtomicBool,
) -> (Result<PathMetrics, PathError>, Venue) {
    // One path: no journal to keep and nothing to restore afterwards.
    let mut worker = Worker {
        venue,
        scratch: Scratch::default(),
        flat: Default::default(),
    };
    let m = worker.run_steps(s, world, (path, keep_series, check), cancel);
    (m, worker.venue)
}

/// Runs paths one after another on one copy of the world's venue: the venue
/// is checkpointed once and restored after each path, at a cost
/// proportional to the accounts the path touched, and the buffers are
/// reused. The next path starts from a venue equal to the world's.
pub struct Worker {
    venue: Venue,
    scratch: Scratch,
    flat: crate::flat::FlatScratch,
}

impl Worker {
    /// A worker for `world` (one copy of its venue, checkpointed).
    pub fn new(world: &World) -> Worker {
        let mut venue = world.venue.clone();
        venue.checkpoint();
        Worker {
            venue,
            scratch: Scratch::default(),
            flat: Default::default(),
        }
    }

    /// Runs path `path` (as [`run_path`]) and restores the venue.
    pub fn run(
        &mut self,
        s: &Scenario,
        world: &World,
        path: usize,
        keep_series: bool,
        check: bool,
    ) -> Result<PathMetrics, PathError> {
        self.run_until(
            s,
            world,
            (path, keep_series, check),
            &AtomicBool::new(false),
        )
    }

    /// As [`Worker::run`] (`(path, keep_series, check)`), stopped between
    /// steps once `cancel` is set: the path fails with
    /// [`crate::summary::CANCELLED`] and the venue is restored.
    pub fn run_until(
        &mut self,
        s: &Scenario,
        world: &World,
        (path, keep_series, check): (usize, bool, bool),
        cancel: &AtomicBool,
    ) -> Result<PathMetrics, PathError> {
        let m = self.run_steps(s, world, (path, keep_series, check), cancel);
        let restored = self.venue.restore().map_err(|e| PathError {
            path,
            step: s.run.steps,
            message: format!("restoring the venue after the path: {e}"),
        });
        debug_assert!(
            self.venue == world.venue,
            "path {path}: restore left a change"
        );
        restored.and(m)
    }
}

impl Worker {
    /// Runs path `path` on the worker's venue, leaving it as the path left it.
    fn run_steps(
        &mut self,
        s: &Scenario,
        world: &World,
        (path, keep_series, check): (usize, bool, bool),
        cancel: &AtomicBool,
    ) -> Result<PathMetrics, PathError> {
        let mut at = 0;
        let m = steps(self, s, world, (path, keep_series, check), cancel, &mut at);
        let message = match m {
            Ok(Some(m)) => return Ok(m),
            Ok(None) => crate::summary::CANCELLED.to_string(),
            Err(e) => e.to_string(),
        };
        Err(PathError {
            path,
            step: at,
            message,
        })
    }
}

/// The metrics of path `path` of `steps` steps before its first step, at
/// price `start` (room for every fan bucket's close reserved now, so the
/// steps do not allocate).
pub(crate) fn start_metrics(path: usize, start: f64, steps: usize) -> PathMetrics {
    PathMetrics {
        path,
        final_price: 0.0,
        min_price: start,
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
        price_closes: Vec::with_capacity(crate::series::fan_close_steps(steps).count()),
        series: None,
        liquidations: None,
        backstop: Default::default(),
    }
}

/// The loop of one path (`None`: cancelled); `at` follows the step for the
/// error. `cancel` is read once a step (a relaxed load of a line no one writes until Ctrl-C:
/// no measurable cost beside a step's microsecond).
fn steps(
    worker: &mut Worker,
    s: &Scenario,
    world: &World,
    (path, keep_series, check): (usize, bool, bool),
    cancel: &AtomicBool,
    at: &mut usize,
) -> Result<Option<PathMetrics>, VenueError> {
    let exo_rng = ChaCha8Rng::seed_from_u64(path_seed(s.run.seed, path));
    let mut rng = exo_rng.clone();
    rng.set_stream(AGENT_STREAM);
    let mut process = crate::models::process(s, world)?;
    let impact = crate::models::impact(s, world.start);
    let (venue, scratch, flat) = (&mut worker.venue, &mut worker.scratch, &mut worker.flat);
    let m = start_metrics(path, world.start.to_f64_lossy(), s.run.steps);
    let mut st = PathState::new(s, world, venue, scratch, (exo_rng, rng), impact, m)?;
    st.log = keep_series.then(crate::liquidations::Log::default);
    let mut actors = crate::actors::register(&st)?;
    // Nothing acts on the path but the price: the exact fast path, unless
    // every step's conservation is checked on the engine.
    if let Some(book) = world.flat.as_ref().filter(|_| actors.is_empty()) {
        if !check {
            let venue = &*st.venue;
            match crate::flat::run(
                (s, world, venue),
                book,
                flat,
                (path, keep_series, cancel),
                at,
            ) {
                crate::flat::Flat::Done(m) => return Ok(Some(*m)),
                crate::flat::Flat::Cancelled => return Ok(None),
                // From the start on the engine (nothing was changed yet).
                crate::flat::Flat::Declined => {}
            }
        }
    }
    let mut series = keep_series.then(|| crate::series::Recorder::new(s.run.steps));
    let every_step = check || cfg!(debug_assertions);
    for step in 1..=s.run.steps {
        *at = step;
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        st.step(step, process.as_mut(), &mut actors)?;
        if every_step {
            st.m.conserved &= st.venue.conservation()?.ok;
        }
        if let Some(series) = series.as_mut() {
            series.push(st.record());
        }
    }
    for a in actors.iter_mut() {
        a.end_path(&mut st)?;
    }
    // Conservation of value, at least at every path's end: a break is a bug,
    // and fails the run rather than hide in a flag.
    st.m.conserved &= st.venue.conservation()?.ok;
    if !st.m.conserved {
        return Err(VenueError::Invalid {
            field: "conservation",
            reason: "value was created or destroyed on this path (a bug: please report it with the scenario)".into(),
        });
    }
    let mut m = st.finish();
    m.series = series.map(crate::series::Recorder::finish);
    Ok(Some(m))
}
