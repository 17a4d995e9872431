//! Benchmark: the simulator.
//!
//! `cargo bench -p levamp-sim --bench paths [-- PATHS]`
//!
//! 1. 10,000 accounts × PATHS (default 1,000) paths × 1,440 one-minute steps
//!    of a jump-diffusion with an order-book impact curve, on all threads.
//! 2. One path of 1,440 calm steps (GBM, σ = 30 %/yr, no impact) on 10 k,
//!    100 k and 1 M accounts of at most 3× leverage: the step cost does not
//!    grow with accounts far from liquidation (the engine's liquidation index).
//! 3. One path of 1,440 steps of a −30 % slide on 10 k and 100 k Aave v3
//!    borrowers (WETH against USDC, health factors 1.05–2.5 at the start):
//!    the keeper checks every borrower's health factor each cascade round.

use levamp_sim::run::run_path;
use levamp_sim::scenario::parse;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use levamp_sim::summary::simulate;
use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

fn scenario(accounts: usize, paths: usize, price: &str) -> String {
    format!(
        "[run]\nseed = 7\npaths = {paths}\nsteps = 1440\ndt_s = 60\nseries_paths = 0\n[venue]\npreset = \"binance-usdm\"\ninsurance_fund = 5000000\n[population]\naccounts = {accounts}\nmarket = \"BTCUSDT\"\nlong_share = 0.65\nisolated_share = 0.3\nleverage = {{ median = 12, sigma = 0.7, min = 1, max = 100 }}\nnotional = {{ min = 10000, alpha = 1.25, max = 50000000 }}\nentry_dispersion = 0.04\n[price]\nstart = 121689\n{price}\n[impact]\nmodel = \"depth\"\npoints = [[0.01, 2.07e8], [0.02, 5.318e8], [0.03, 8.277e8], [0.04, 9.379e8], [0.05, 1.017e9]]\nresilience = 0.3\n"
    )
}

fn main() {
    let paths: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000);
    let threads = rayon::current_num_threads();
    let jump =
        "model = \"jump\"\nsigma = 1.0\nintensity = 365\njump_mean = -0.03\njump_sigma = 0.03";
    let s = parse(&scenario(10_000, paths, jump), "bench", Path::new(".")).unwrap();
    let t = Instant::now();
    let world = build(&s, &Sources::disk()).unwrap();
    let setup = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let results = simulate(&s, &world, &AtomicUsize::new(0)).unwrap();
    let run = t.elapsed().as_secs_f64();
    let liquidations: usize = results.iter().map(|m| m.accounts_liquidated).sum();
    println!(
        "10,000 accounts × {paths} paths × 1,440 steps on {threads} threads: {run:.1} s (+ {setup:.2} s setup) = {:.2} M path-steps/s; {liquidations} liquidations",
        (paths * 1440) as f64 / run / 1e6
    );

    // Calm, and without impact: a population this size would otherwise move a
    // real order book by itself.
    let calm = "model = \"gbm\"\nsigma = 0.3";
    for accounts in [10_000, 100_000, 1_000_000] {
        // Accounts far from liquidation (≤ 3× on a 30 %/yr day): the step cost must stay flat.
        let text = scenario(accounts, 1, calm)
            .replace("model = \"depth\"", "model = \"none\"")
            .replace(
                "median = 12, sigma = 0.7, min = 1, max = 100",
                "median = 2, sigma = 0.3, min = 1, max = 3",
            );
        let text = text.split("points =").next().unwrap().to_string();
        let s = parse(&text, "bench", Path::new(".")).unwrap();
        let t = Instant::now();
        let world = build(&s, &Sources::disk()).unwrap();
        let setup = t.elapsed().as_secs_f64();
        // A path = one copy of the venue (O(n)) + 1,440 steps (flat in n).
        let copy = (0..3)
            .map(|_| {
                let t = Instant::now();
                drop(std::hint::black_box(world.venue.clone()));
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        let t = Instant::now();
        let m = run_path(&s, &world, 0, false, false).unwrap();
        let path = t.elapsed().as_secs_f64();
        println!(
            "calm day, {accounts:>9} accounts (≤ 3×): path {path:.3} s = copy of the venue {copy:.3} s + 1,440 steps ({:.1} µs per step); {} liquidations; setup {setup:.1} s",
            ((path - copy).max(0.0) / 1440.0) * 1e6,
            m.accounts_liquidated
        );
    }

    for borrowers in [10_000, 100_000] {
        let s = parse(
            "[run]\nsteps = 1440\n[venue]\npreset = \"aave-v3\"\n[accounts]\nsnapshot = \"b.json\"\n[price]\nkey = \"ETH\"\nmodel = \"shock\"\nstart = 2000\nshock = -0.3\nshock_steps = 1440\n[impact]\nmodel = \"linear\"\nlambda = 0.001\n",
            "bench",
            Path::new("mem"),
        )
        .unwrap();
        let sources = Sources::disk().with("mem/b.json", lending_snapshot(borrowers).leak());
        let t = Instant::now();
        let world = build(&s, &sources).unwrap();
        let setup = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let m = run_path(&s, &world, 0, false, false).unwrap();
        let path = t.elapsed().as_secs_f64();
        println!(
            "aave slide, {borrowers:>7} borrowers: path {path:.2} s ({:.0} µs per step, {} rounds); {} liquidation calls, {} borrowers liquidated; setup {setup:.1} s",
            path / 1440.0 * 1e6,
            m.rounds,
            m.lending.liquidations,
            m.accounts_liquidated
        );
    }
}

/// `n` borrowers of 1–100 WETH with health factors spread over 1.05–2.5 at 2,000.
fn lending_snapshot(n: usize) -> String {
    let accounts: Vec<String> = (0..n)
        .map(|i| {
            let weth = 1 + (i * 7919) % 100;
            let hf = 1.05 + 1.45 * ((i * 104_729) % 1000) as f64 / 1000.0;
            let debt = (weth as f64 * 2000.0 * 0.83 / hf).floor();
            format!(r#"{{"id": "b{i}", "collateral": {{"WETH": {weth}}}, "borrows": {{"USDC": {debt}}}}}"#)
        })
        .collect();
    format!(
        r#"{{"quote": "USD", "prices": {{"ETH": 2000, "USDC": 1}}, "accounts": [{}]}}"#,
        accounts.join(",")
    )
}
