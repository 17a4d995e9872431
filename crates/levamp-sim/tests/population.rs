//! Generated populations: common random numbers across scenario keys.
//! Account i's draws depend only on the run's seed, i and the population's
//! parameters, so two scenarios that differ in one key differ only in the
//! accounts that key touches (issue #14: `recommend` compares candidates on
//! the same population).

use levamp_core::Ratio;
use levamp_sim::scenario::parse;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use std::path::Path;

/// A long/short population on a venue that allows up to 200× (MMR 0.5 %),
/// its lognormal leverage capped at `max`: high draws are liquidatable at the
/// start price (entries spread ±2 %) and redrawn, more often under a higher cap.
fn population(max: u32) -> Vec<(levamp_engine::Position, String)> {
    let body = format!(
        "[run]\nseed = 3\npaths = 1\nsteps = 1\ndt_s = 60\n[venue]\npreset = \"generic\"\n\
         [markets.ETHUSDT]\nbase = \"ETH\"\ntiers = [{{ max_notional = 1e15, maintenance_margin_rate = 0.005, max_leverage = 200 }}]\n\
         [population]\naccounts = 400\nmarket = \"ETHUSDT\"\nlong_share = 0.5\nisolated_share = 0.5\n\
         leverage = {{ median = 40, sigma = 0.8, min = 1, max = {max} }}\n\
         notional = {{ min = 1000, alpha = 1.5, max = 100000 }}\nentry_dispersion = 0.02\n\
         [price]\nmodel = \"shock\"\nstart = 100\nshock = 0\n[impact]\nmodel = \"none\"\n"
    );
    let s = parse(&body, "t", Path::new("mem")).unwrap_or_else(|e| panic!("{e}"));
    let world = build(&s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    world
        .venue
        .accounts()
        .iter()
        .filter(|a| !a.positions.is_empty() && a.id.starts_with("acct"))
        .map(|a| {
            let collateral = a.collateral.first().map(|h| h.amount.to_string());
            (a.positions[0].clone(), collateral.unwrap_or_default())
        })
        .collect()
}

/// Raising `population.leverage.max` changes only the accounts whose draw
/// the lower cap clamped: every account below the lower cap is the same
/// account (size, entry, mode, margin, collateral) under the higher cap,
/// whatever the accounts before it redrew.
#[test]
fn a_higher_leverage_cap_changes_only_the_capped_accounts() {
    let (low, high) = (population(60), population(150));
    assert_eq!(low.len(), 400);
    assert_eq!(high.len(), 400);
    let cap = Ratio::from_raw(Ratio::ONE.raw() * 60);
    let mut same = 0;
    let mut capped = 0;
    for (i, (a, b)) in low.iter().zip(&high).enumerate() {
        if a.0.leverage.is_some_and(|l| l >= cap) {
            capped += 1;
            continue;
        }
        assert_eq!(a, b, "account {i} is below the lower cap in both draws");
        same += 1;
    }
    assert!(
        capped >= 20 && same >= 300,
        "the test must touch both kinds: {capped} capped, {same} below the cap"
    );
    assert_ne!(low, high, "the cap changes the capped accounts");
}
