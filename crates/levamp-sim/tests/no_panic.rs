//! Bad scenarios never panic: random mutations of a valid scenario either
//! parse (and then build and run a short path) or return an error.

use levamp_sim::run::run_path;
use levamp_sim::scenario::parse;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use proptest::prelude::*;
use std::path::Path;

const SCENARIO: &str = "[run]\nseed = 7\npaths = 1\nsteps = 20\ndt_s = 60\n[venue]\npreset = \"binance-usdm\"\ninsurance_fund = 1000\n[population]\naccounts = 30\nmarket = \"BTCUSDT\"\nlong_share = 0.5\nleverage = { median = 20, sigma = 0.5, min = 1, max = 100 }\n[price]\nmodel = \"jump\"\nstart = 60000\nsigma = 1.5\nintensity = 3000\njump_mean = -0.05\n[impact]\nmodel = \"depth\"\npoints = [[0.01, 1e5], [0.02, 3e5]]\nresilience = 0.5\n[oracle]\nlatency_steps = 1\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn scenarios_run_or_fail_cleanly(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..5)) {
        let alphabet = b"0123456789-.=\"[]{} ex";
        let mut bytes = SCENARIO.as_bytes().to_vec();
        for &(pos, c) in &edits {
            let i = pos % bytes.len();
            bytes[i] = alphabet[c as usize % alphabet.len()];
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Ok(mut s) = parse(&text, "t", Path::new(".")) {
            // Keep the sizes a mutation may blow up small enough for a test.
            if let levamp_sim::scenario::Accounts::Population(p) = &mut s.accounts {
                p.accounts = p.accounts.min(300);
            }
            s.run.steps = s.run.steps.min(50);
            s.run.paths = 1;
            if let Ok(world) = build(&s, &Sources::disk()) {
                if world.accounts <= 1000 {
                    if let Ok(m) = run_path(&s, &world, 0, false, true) {
                        prop_assert!(m.conserved);
                    }
                }
            }
        }
    }
}
