//! Correlated markets (`[[price.follow]]`): a BTC market following the
//! driven ETH market. Values worked by hand.

use levamp_sim::run::run_path;
use levamp_sim::scenario::parse;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use std::path::Path;

/// One isolated ETH long far from liquidation, and isolated BTC longs of
/// 1 BTC from 30,000 with margins 3,000 and 5,000: at a 0.5 % maintenance
/// rate their liquidation prices are 27,000 / 0.995 = 27,135.68 and
/// 25,000 / 0.995 = 25,125.63.
const ACCOUNTS: &str = r#"{"quote": "USDT", "prices": {"ETH": 100, "BTC": 30000},
 "markets": {"ETHUSDT": {"base": "ETH", "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.005, "max_leverage": 100}]},
             "BTCUSDT": {"base": "BTC", "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.005, "max_leverage": 100}]}},
 "accounts": [
   {"id": "eth", "positions": [{"market": "ETHUSDT", "size": 10, "entry_price": 100, "margin_mode": "isolated", "isolated_margin": 500}]},
   {"id": "btc-10x", "positions": [{"market": "BTCUSDT", "size": 1, "entry_price": 30000, "margin_mode": "isolated", "isolated_margin": 3000}]},
   {"id": "btc-6x", "positions": [{"market": "BTCUSDT", "size": 1, "entry_price": 30000, "margin_mode": "isolated", "isolated_margin": 5000}]}
 ]}"#;

fn run(follow: &str) -> levamp_sim::run::PathMetrics {
    let body = format!(
        "[run]\nsteps = 2\n[venue]\nmarket = \"ETHUSDT\"\n[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"shock\"\nstart = 100\nshock = -0.1\n{follow}\n[impact]\nmodel = \"linear\"\nlambda = 0.01\n"
    );
    let s = parse(&body, "t", Path::new("mem")).unwrap_or_else(|e| panic!("{e}"));
    let sources = Sources::disk().with("mem/a.json", ACCOUNTS);
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(&s, &world, 0, false, true).unwrap();
    assert!(m.conserved);
    m
}

/// β = 1: BTC falls with ETH to 27,000, below the 10x long's 27,135.68 (its
/// 1 BTC sold moves BTC by λ = 2,000 to 25,000: below the 6x long's
/// 25,125.63 too). The BTC flow moves BTC, not ETH: ETH ends at exactly 90.
#[test]
fn a_follower_falls_with_the_driven_market_and_cascades_on_its_own() {
    let m = run("[[price.follow]]\nkey = \"BTC\"\nbeta = 1.0\nlambda = 2000");
    assert_eq!(m.accounts_liquidated, 2);
    assert_eq!(m.final_price, 90.0, "BTC's flow must not move ETH");
    // 27,000 for the first BTC, then 25,000 for the second.
    assert!(
        (m.liquidated_notional - 52_000.0).abs() < 1e-6,
        "{}",
        m.liquidated_notional
    );
    assert_eq!(m.rounds, 2);
}

/// Without BTC's impact only the 10x long goes; without a follower BTC stays
/// at 30,000 and nobody does.
#[test]
fn beta_and_lambda_set_how_far_the_follower_goes() {
    let no_impact = run("[[price.follow]]\nkey = \"BTC\"\nbeta = 1.0");
    assert_eq!(no_impact.accounts_liquidated, 1);
    assert_eq!(run("").accounts_liquidated, 0);
    // β = 2: 0.9² = 0.81, BTC at 24,300 takes both at once.
    let levered = run("[[price.follow]]\nkey = \"BTC\"\nbeta = 2.0");
    assert_eq!((levered.accounts_liquidated, levered.rounds), (2, 1));
    // β = 0.5: √0.9 → 28,460.5, nobody.
    assert_eq!(
        run("[[price.follow]]\nkey = \"BTC\"\nbeta = 0.5").accounts_liquidated,
        0
    );
}

#[test]
fn follower_errors_name_the_field() {
    let body = "[accounts]\nsnapshot = \"a.json\"\n[venue]\nmarket = \"ETHUSDT\"\n[price]\nstart = 100\n[[price.follow]]\nkey = \"BTCC\"\n";
    let s = parse(body, "t", Path::new("mem")).unwrap();
    let e = build(&s, &Sources::disk().with("mem/a.json", ACCOUNTS))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("price.follow[0].key: unknown price key \"BTCC\"; did you mean \"BTC\""),
        "{e}"
    );
    let e = parse(
        &body.replace("key = \"BTCC\"", "key = \"BTC\"\nbeat = 1"),
        "t",
        Path::new("mem"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("price.follow[0].beat: unknown field (did you mean \"beta\"?)"),
        "{e}"
    );
}
