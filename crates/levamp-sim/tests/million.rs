//! The large-population fast paths (issue #10, target 4): a single path runs
//! on the world's own venue, and the set-up solves liquidation prices only
//! for a run that uses them. Each must give the results of the general path.

use levamp_sim::scenario::parse;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use levamp_sim::summary::{simulate, simulate_in_place};
use std::path::Path;
use std::sync::atomic::AtomicUsize;

/// A generated population that liquidates: a jump process at high leverage.
fn scenario(paths: usize, series_paths: usize, hunters: bool) -> levamp_sim::scenario::Scenario {
    let hunters = match hunters {
        true => "[agents.liquidation_hunters]\ncapital = 5000000\nreach = 0.02\npush = 500\ntrigger = 4\n",
        false => "",
    };
    let text = format!(
        "[run]\nseed = 5\npaths = {paths}\nsteps = 120\ndt_s = 60\nseries_paths = {series_paths}\n\
         [venue]\npreset = \"binance-usdm\"\ninsurance_fund = 100000\n\
         [population]\naccounts = 2000\nmarket = \"BTCUSDT\"\nlong_share = 0.6\nisolated_share = 0.4\n\
         leverage = {{ median = 15, sigma = 0.8, min = 1, max = 100 }}\n\
         notional = {{ min = 5000, alpha = 1.3, max = 5000000 }}\n\
         [price]\nmodel = \"jump\"\nstart = 60000\nsigma = 1.2\nintensity = 2000\njump_mean = -0.02\njump_sigma = 0.02\n\
         [impact]\nmodel = \"linear\"\nlambda = 0.0001\n{hunters}"
    );
    parse(&text, "million-test", Path::new(".")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_single_path_in_place_equals_the_copied_one() {
    for hunters in [false, true] {
        let s = scenario(1, 1, hunters);
        let world = build(&s, &Sources::disk()).unwrap();
        let expected = simulate(&s, &world, &AtomicUsize::new(0)).unwrap();
        assert!(
            expected[0].liquidated_notional > 0.0,
            "the scenario liquidates"
        );
        let mut in_place = world.clone();
        let got = simulate_in_place(&s, &mut in_place, &AtomicUsize::new(0)).unwrap();
        assert_eq!(got, expected);
        // What the outputs read of the world is untouched.
        assert_eq!(in_place.accounts, world.accounts);
        assert_eq!(in_place.open_interest, world.open_interest);
        assert_eq!(in_place.liquidation_prices, world.liquidation_prices);
        assert_eq!(in_place.long_clusters, world.long_clusters);
    }
}

#[test]
fn several_paths_in_place_equal_simulate() {
    let s = scenario(3, 1, false);
    let world = build(&s, &Sources::disk()).unwrap();
    let expected = simulate(&s, &world, &AtomicUsize::new(0)).unwrap();
    let mut in_place = world.clone();
    let got = simulate_in_place(&s, &mut in_place, &AtomicUsize::new(0)).unwrap();
    assert_eq!(got, expected);
    assert!(
        in_place.venue == world.venue,
        "several paths leave the world"
    );
}

#[test]
fn liquidation_prices_are_solved_only_for_a_run_that_draws_or_hunts_them() {
    let drawn = build(&scenario(1, 1, false), &Sources::disk()).unwrap();
    assert_eq!(drawn.liquidation_prices.len(), drawn.accounts);
    let hunted = build(&scenario(1, 0, true), &Sources::disk()).unwrap();
    assert_eq!(hunted.long_clusters, drawn.long_clusters);
    assert!(!hunted.long_clusters.is_empty());
    let unused = build(&scenario(1, 0, false), &Sources::disk()).unwrap();
    assert!(unused.liquidation_prices.is_empty());
    assert!(unused.long_clusters.is_empty());
    // The rest of the book is the same.
    assert_eq!(unused.accounts, drawn.accounts);
    assert_eq!(unused.open_interest, drawn.open_interest);
    assert!(unused.venue == drawn.venue);
}
