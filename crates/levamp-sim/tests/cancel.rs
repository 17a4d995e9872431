//! A run's cancellation flag (the Python package's Ctrl-C): once set, no
//! path starts and the run fails with `CANCELLED`; unset, the run is the
//! uncancellable run.

use levamp_sim::scenario::load;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use levamp_sim::summary::{simulate, simulate_in_place_until, simulate_until, CANCELLED};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn scenario(paths: usize) -> levamp_sim::scenario::Scenario {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/shock-linear.toml");
    let mut s = load(&file).unwrap_or_else(|e| panic!("{e}"));
    s.run.paths = paths;
    s
}

#[test]
fn a_cancelled_run_starts_no_path_and_fails() {
    let s = scenario(50);
    let world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    let done = AtomicUsize::new(0);
    let e = simulate_until(&s, &world, &done, &AtomicBool::new(true)).unwrap_err();
    assert_eq!(e.message, CANCELLED);
    assert_eq!(e.path, 0, "the lowest path's error");
    assert_eq!(done.load(Ordering::Relaxed), 0, "no path ran");
}

#[test]
fn a_single_path_run_in_place_is_cancelled_before_it_starts() {
    let s = scenario(1);
    let mut world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    let e = simulate_in_place_until(&s, &mut world, &AtomicUsize::new(0), &AtomicBool::new(true))
        .unwrap_err();
    assert_eq!(e.message, CANCELLED);
}

#[test]
fn an_uncancelled_run_is_the_plain_run() {
    let s = scenario(12);
    let world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    let plain = simulate(&s, &world, &AtomicUsize::new(0)).unwrap();
    let until = simulate_until(&s, &world, &AtomicUsize::new(0), &AtomicBool::new(false)).unwrap();
    assert_eq!(plain, until);
}
