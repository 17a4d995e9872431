//! A run's cancellation flag (the Python package's Ctrl-C): once set, no
//! path starts, a running path stops before its next step, and the run
//! fails with `CANCELLED`; unset, the run is the uncancellable run.

use levamp_sim::run::{run_path, Worker};
use levamp_sim::scenario::{load, parse};
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use levamp_sim::summary::{simulate, simulate_in_place_until, simulate_until, CANCELLED};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn shipped(paths: usize) -> levamp_sim::scenario::Scenario {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/shock-linear.toml");
    let mut s = load(&file).unwrap_or_else(|e| panic!("{e}"));
    s.run.paths = paths;
    s
}

#[test]
fn a_cancelled_run_starts_no_path_and_fails() {
    let s = shipped(50);
    let world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    let done = AtomicUsize::new(0);
    let e = simulate_until(&s, &world, &done, &AtomicBool::new(true)).unwrap_err();
    assert_eq!(e.message, CANCELLED);
    assert_eq!(e.path, 0, "the lowest path's error");
    assert_eq!(done.load(Ordering::Relaxed), 0, "no path ran");
}

#[test]
fn a_single_path_run_in_place_is_cancelled_before_it_starts() {
    let s = shipped(1);
    let mut world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    let e = simulate_in_place_until(&s, &mut world, &AtomicUsize::new(0), &AtomicBool::new(true))
        .unwrap_err();
    assert_eq!(e.message, CANCELLED);
}

#[test]
fn an_uncancelled_run_is_the_plain_run() {
    let s = shipped(12);
    let world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    let plain = simulate(&s, &world, &AtomicUsize::new(0)).unwrap();
    let until = simulate_until(&s, &world, &AtomicUsize::new(0), &AtomicBool::new(false)).unwrap();
    assert_eq!(plain, until);
}

/// 300 generated longs through a −30 % shock, `steps` one-minute steps.
fn scenario(steps: usize) -> levamp_sim::scenario::Scenario {
    let text = format!(
        "[run]\nseed = 5\npaths = 1\nsteps = {steps}\ndt_s = 60\nseries_paths = 0\n[venue]\npreset = \"generic\"\n[markets.ETHUSDT]\nbase = \"ETH\"\nliquidation_fee_rate = 0.01\ntiers = [{{ max_notional = 1e15, maintenance_margin_rate = 0.005, max_leverage = 100 }}]\n[population]\naccounts = 300\nmarket = \"ETHUSDT\"\nlong_share = 1.0\nleverage = {{ median = 15, sigma = 0.5, min = 2, max = 50 }}\nnotional = {{ min = 1000, alpha = 1.5, max = 100000 }}\nentry_dispersion = 0.01\n[price]\nmodel = \"gbm\"\nstart = 100\nsigma = 0.8\n[impact]\nmodel = \"linear\"\nlambda = 0.0001\n"
    );
    parse(&text, "cancel", Path::new(".")).unwrap_or_else(|e| panic!("{e}"))
}

/// A set flag stops a worker's path before its first step, and the worker's
/// venue is restored: its next path is the same as a fresh one.
#[test]
fn a_cancelled_path_stops_and_the_worker_restores_its_venue() {
    let s = scenario(50);
    let world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    let mut worker = Worker::new(&world);
    let e = worker
        .run_until(&s, &world, (0, false, false), &AtomicBool::new(true))
        .unwrap_err();
    assert_eq!((e.message.as_str(), e.step), (CANCELLED, 1));
    let fresh = run_path(&s, &world, 0, false, false).unwrap();
    assert_eq!(worker.run(&s, &world, 0, false, false).unwrap(), fresh);
}

/// A single long path (as one over a million accounts) set running, then
/// cancelled from another thread: it stops within moments, mid-path.
#[test]
fn a_single_long_path_stops_between_steps() {
    let steps = 5_000_000;
    let s = scenario(steps);
    let mut world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    let cancel = AtomicBool::new(false);
    let start = Instant::now();
    let e = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            cancel.store(true, Ordering::Relaxed);
        });
        simulate_in_place_until(&s, &mut world, &AtomicUsize::new(0), &cancel).unwrap_err()
    });
    assert_eq!(e.message, CANCELLED);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert!(e.step > 1 && e.step < steps, "stopped at step {}", e.step);
}
