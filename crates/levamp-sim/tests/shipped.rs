//! Every scenario shipped in `scenarios/` loads, builds and runs (shortened
//! so the test stays fast), and the hand-checked example does what its
//! comment says.

use levamp_sim::run::run_path;
use levamp_sim::scenario::{load, Accounts};
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use std::path::{Path, PathBuf};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

#[test]
fn every_shipped_scenario_runs_and_conserves_value() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "scenarios found: {files:?}");
    for file in &files {
        let mut s = load(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // Shorten: one path, at most 60 steps, at most 300 synthetic accounts.
        s.run.paths = 1;
        s.run.steps = s.run.steps.min(60);
        if let Accounts::Population(p) = &mut s.accounts {
            p.accounts = p.accounts.min(300);
        }
        let world =
            build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let m = run_path(&s, &world, 0, true, true).unwrap();
        assert!(m.conserved, "{}: conservation", file.display());
        assert!(m.final_price > 0.0, "{}", file.display());
    }
}

/// `scenarios/shock-linear.toml`: the -15 % shock liquidates three accounts
/// (liquidation prices 95.5, 90.5 and 86.1 are above 85); their 42,000 ETH at
/// λ = 0.0001 push the price to 80.8, below the 5x trader's 81.4: a second
/// round, four accounts liquidated, the 2x and 3x accounts survive.
#[test]
fn shock_linear_example_cascades_twice() {
    let s = load(&scenarios_dir().join("shock-linear.toml")).unwrap_or_else(|e| panic!("{e}"));
    let world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(&s, &world, 0, false, true).unwrap();
    assert!(m.conserved);
    assert_eq!(m.accounts_liquidated, 4);
    assert_eq!(m.max_rounds_in_a_step, 2);
    assert!(
        m.min_price < 81.4 && m.min_price > 80.0,
        "min {}",
        m.min_price
    );
}

/// `scenarios/perps-and-aave.toml`: perp liquidations push ETH under an Aave
/// borrower's liquidation level and the keeper's WETH sale joins the third
/// round: four accounts (three perp, one Aave) in three rounds, 1,652.
#[test]
fn perps_and_aave_example_crosses_venues() {
    let s = load(&scenarios_dir().join("perps-and-aave.toml")).unwrap_or_else(|e| panic!("{e}"));
    let world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(&s, &world, 0, false, true).unwrap();
    assert!(m.conserved);
    assert_eq!(
        (m.accounts_liquidated, m.lending.liquidations, m.rounds),
        (4, 1, 3)
    );
    // 720,000 USDC (+ interest) repaid at 1,695 for 720,000 / 1,695 × 1.05 WETH.
    assert!((m.lending.debt_repaid - 720_000.0).abs() < 1.0);
    assert!(
        (1650.0..1655.0).contains(&m.final_price),
        "{}",
        m.final_price
    );
}
