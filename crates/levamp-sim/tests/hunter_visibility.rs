//! Issue #13 §4: what visibility of liquidation prices is worth to a
//! liquidation hunter — `exact` (today's map), `aggregated` (a binned, noisy
//! heatmap) and `none` (price and open interest only).

use levamp_sim::run::{run_path, PathMetrics};
use levamp_sim::scenario::parse;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use levamp_sim::summary::simulate;
use std::path::Path;
use std::sync::atomic::AtomicUsize;

/// A noisy market of leveraged longs with a hunter; `hunter` is the rest of
/// its `[agents.liquidation_hunters]` table.
fn body(hunter: &str) -> String {
    format!(
        "[run]\nseed = 11\npaths = 3\nsteps = 60\ndt_s = 60\n[venue]\npreset = \"generic\"\n\
         [markets.ETHUSDT]\nbase = \"ETH\"\ntiers = [{{ max_notional = 1e15, maintenance_margin_rate = 0.005, max_leverage = 100 }}]\n\
         [population]\naccounts = 400\nmarket = \"ETHUSDT\"\nlong_share = 0.8\nleverage = {{ median = 20, sigma = 0.6, min = 3, max = 80 }}\n\
         notional = {{ min = 5000, alpha = 1.5, max = 1000000 }}\nentry_dispersion = 0.01\n\
         [price]\nmodel = \"gbm\"\nstart = 2000\nsigma = 0.4\n[impact]\nmodel = \"linear\"\nlambda = 0.0001\n\
         [agents.liquidation_hunters]\ncapital = 5000000\nreach = 0.02\npush = 200\ntrigger = 0.5\n{hunter}"
    )
}

fn run(text: &str, path: usize) -> PathMetrics {
    let s = parse(text, "t", Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    let world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    run_path(&s, &world, path, false, true).unwrap()
}

/// The default visibility is today's exact map, bit for bit (both bodies
/// give the same figures; the figures are a regression pin of our output).
#[test]
fn default_visibility_is_the_exact_map_bit_for_bit() {
    for text in [body(""), body("visibility = \"exact\"\n")] {
        let got: Vec<(usize, u64, u64, usize)> = (0..3)
            .map(|p| {
                let m = run(&text, p);
                (
                    m.agents.hunts,
                    m.agents.hunter_pnl.to_bits(),
                    m.liquidated_notional.to_bits(),
                    m.accounts_liquidated,
                )
            })
            .collect();
        // Re-pinned when generated accounts got a stream each (issue #14):
        // the population changed, not the hunter.
        let expected = vec![
            (30, 4631186662598901760, 4673437959848597117, 4),
            (30, 4641574123116494848, 4676096571294196156, 5),
            (22, 13872742277070159872, 4678141712597937304, 4),
        ];
        assert_eq!(got, expected, "{text}");
    }
}

/// Every visibility key is checked, and the error names it.
#[test]
fn visibility_keys_are_validated_by_name() {
    let cases = [
        (
            "visibility = \"blurry\"\n",
            "agents.liquidation_hunters.visibility",
        ),
        ("visibility = 3\n", "agents.liquidation_hunters.visibility"),
        ("bin = 0\n", "agents.liquidation_hunters.bin"),
        ("noise = -0.1\n", "agents.liquidation_hunters.noise"),
        (
            "leverage_median = 0.5\n",
            "agents.liquidation_hunters.leverage_median",
        ),
        (
            "leverage_sigma = 9\n",
            "agents.liquidation_hunters.leverage_sigma",
        ),
        ("visibilty = \"none\"\n", "visibilty"),
    ];
    for (key, named) in cases {
        let e = parse(&body(key), "t", Path::new(".")).unwrap_err();
        assert!(e.to_string().contains(named), "{key}: {e}");
    }
    let e = parse(&body("visibility = \"agregated\"\n"), "t", Path::new(".")).unwrap_err();
    assert!(e.to_string().contains("did you mean \"aggregated\""), "{e}");
}

/// A smaller relative of `scenarios/hunter-visibility.toml` at `level`
/// (a debug build runs it in seconds): 8 paths of 120 steps, 600 accounts,
/// permanent linear impact of 0.05 per ETH, pushes of 200 ETH.
fn small(level: &str) -> levamp_sim::scenario::Scenario {
    let text = format!(
        "[run]\nseed = 13\npaths = 8\nsteps = 120\ndt_s = 60\n[venue]\npreset = \"generic\"\ninsurance_fund = 500000\n\
         [markets.ETHUSDT]\nbase = \"ETH\"\nliquidation_fee_rate = 0.01\n\
         tiers = [{{ max_notional = 1e15, maintenance_margin_rate = 0.005, max_leverage = 100 }}]\n\
         [population]\naccounts = 600\nmarket = \"ETHUSDT\"\nlong_share = 0.8\nisolated_share = 0.5\n\
         leverage = {{ median = 20, sigma = 0.6, min = 3, max = 80 }}\nnotional = {{ min = 5000, alpha = 1.5, max = 1000000 }}\n\
         entry_dispersion = 0.01\n[price]\nmodel = \"gbm\"\nstart = 2000\nsigma = 0.4\n\
         [impact]\nmodel = \"linear\"\nlambda = 0.05\n\
         [agents.liquidation_hunters]\ncapital = 5000000\nreach = 0.005\npush = 200\ntrigger = 0.5\n\
         visibility = \"{level}\"\nbin = 0.0025\nnoise = 0.3\nleverage_median = 20\nleverage_sigma = 0.6\n"
    );
    parse(&text, "hunter-visibility", Path::new(".")).unwrap_or_else(|e| panic!("{e}"))
}

fn all_paths(s: &levamp_sim::scenario::Scenario) -> Vec<PathMetrics> {
    let world = build(s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    simulate(s, &world, &AtomicUsize::new(0)).unwrap()
}

/// Visibility changes only what the hunter does: the exogenous path is the
/// same at every level (the heatmap's noise has its own stream), and the
/// hunter acts at each level.
///
/// This test used to also claim an ordering (induced liquidations and profit
/// highest with the exact map, lowest with only the open interest). Since
/// generated accounts draw from a stream each (issue #14) that ordering does
/// not hold on the same parameters (seed 13: induced 108.8 / 165.5 / 108.8;
/// seeds 14 and 15 order them differently again): at 8 paths it was a
/// property of one population's draw, not of visibility (docs/studies.md §4).
#[test]
fn visibility_changes_only_the_hunter() {
    let runs: Vec<Vec<PathMetrics>> = ["exact", "aggregated", "none"]
        .iter()
        .map(|level| all_paths(&small(level)))
        .collect();
    for run in &runs[1..] {
        for (a, b) in runs[0].iter().zip(run) {
            assert_eq!(
                a.exogenous_drawdown.to_bits(),
                b.exogenous_drawdown.to_bits()
            );
        }
    }
    for run in &runs {
        assert!(run.iter().any(|m| m.agents.hunts > 0));
    }
}

/// A noisy heatmap gives the same results whatever the thread count.
#[test]
fn aggregated_visibility_is_identical_whatever_the_thread_count() {
    let s = small("aggregated");
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let one = pool(1).install(|| all_paths(&s));
    let many = pool(3).install(|| all_paths(&s));
    assert_eq!(one, many);
    assert!(one.iter().any(|m| m.agents.hunts > 0));
}
