//! Pooled vs segmented backstops in the simulator (issue #13 §2): with one
//! market the two designs give the same metrics bit for bit; the split keys
//! are validated; with two markets a crash in one drains only its own fund.

use levamp_sim::run::{run_path, PathMetrics};
use levamp_sim::scenario::parse;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use levamp_sim::summary::{path_json, summary_json};
use std::path::Path;

/// One BTCUSDT population under a crash with a fund too small for it:
/// fund draws, then bad debt.
const ONE: &str = "[run]\nseed = 5\npaths = 3\nsteps = 60\ndt_s = 60\n[venue]\npreset = \"binance-usdm\"\ninsurance_fund = 5000\n{venue}\n[venue.rules]\nafter_insurance = \"record\"\n[population]\naccounts = 200\nmarket = \"BTCUSDT\"\nlong_share = 0.8\nisolated_share = 0.5\nleverage = { median = 30, sigma = 0.5, min = 5, max = 100 }\nnotional = { min = 5000, alpha = 1.3, max = 2000000 }\n[price]\nmodel = \"jump\"\nstart = 60000\nsigma = 1.0\nintensity = 4000\njump_mean = -0.04\njump_sigma = 0.02\n[impact]\nmodel = \"linear\"\nlambda = 0.002\n";

fn paths(body: &str, sources: Sources) -> Vec<PathMetrics> {
    let s = parse(body, "t", Path::new("mem")).unwrap_or_else(|e| panic!("{e}"));
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    (0..s.run.paths)
        .map(|p| run_path(&s, &world, p, true, true).unwrap())
        .collect()
}

#[test]
fn one_market_pooled_equals_segmented_bit_for_bit() {
    let pooled = paths(&ONE.replace("{venue}", ""), Sources::disk());
    let segmented = paths(
        &ONE.replace("{venue}", "backstop = \"segmented\""),
        Sources::disk(),
    );
    assert!(
        pooled.iter().any(|m| m.bad_debt > 0.0),
        "the scenario must reach bad debt"
    );
    assert_eq!(pooled, segmented);
    assert_eq!(summary_json(&pooled), summary_json(&segmented));
    let rows = |v: &[PathMetrics]| v.iter().map(path_json).collect::<Vec<_>>();
    assert_eq!(rows(&pooled), rows(&segmented));
    // One market bears all its losses: no contagion.
    assert_eq!(
        summary_json(&pooled)["backstop"]["contagion_share_overall"],
        0.0
    );
}

/// Two markets: BTC far from liquidation, ALT (following nothing: the
/// driven market) crashes 50 %. The longs of ALT lose 5 × 50 − margin each.
const ACCOUNTS: &str = r#"{"quote": "USDT", "prices": {"ALT": 10, "BTC": 30000},
 "markets": {"ALTUSDT": {"base": "ALT", "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.005, "max_leverage": 100}]},
             "BTCUSDT": {"base": "BTC", "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.005, "max_leverage": 100}]}},
 "accounts": [
   {"id": "alt", "positions": [{"market": "ALTUSDT", "size": 100, "entry_price": 10, "margin_mode": "isolated", "isolated_margin": 100}]},
   {"id": "btc", "positions": [{"market": "BTCUSDT", "size": 1, "entry_price": 30000, "margin_mode": "isolated", "isolated_margin": 3000}]}
 ]}"#;

fn two(venue: &str) -> Result<Vec<PathMetrics>, String> {
    let body = format!(
        "[run]\nsteps = 2\n[venue]\nmarket = \"ALTUSDT\"\n{venue}\n[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"shock\"\nstart = 10\nshock = -0.5\n"
    );
    let s = parse(&body, "t", Path::new("mem")).map_err(|e| e.to_string())?;
    let sources = Sources::disk().with("mem/a.json", ACCOUNTS);
    let world = build(&s, &sources).map_err(|e| e.to_string())?;
    Ok(vec![run_path(&s, &world, 0, false, true).unwrap()])
}

/// ALT's long: 100 ALT at 10 with 100 margin; at 5 its margin is
/// 100 − 500 = −400. The split by open interest (ALT 1,000, BTC 30,000 of
/// 31,000) of a 620 fund: ALT ⌊620 × 1,000 ÷ 31,000⌋ = 20, BTC 600.
/// Pooled: the fund pays 400 (→ 220), a loss in ALT that the pooled fund —
/// 30/31 of it BTC's capital — bears: contagion 400 × 30/31. Segmented: ALT's
/// 20 pays, 380 is bad debt, BTC's 600 untouched: contagion 380 × 30/31 (bad
/// debt is a shortfall of the common quote balance).
#[test]
fn long_tail_crash_draws_only_its_own_fund_when_segmented() {
    let pooled = &two("insurance_fund = 620").unwrap()[0];
    let seg = &two("insurance_fund = 620\nbackstop = \"segmented\"").unwrap()[0];
    let (p, s) = (&pooled.backstop, &seg.backstop);
    assert_eq!(
        p.segments
            .iter()
            .map(|g| g.market.as_str())
            .collect::<Vec<_>>(),
        ["ALTUSDT", "BTCUSDT"]
    );
    assert_eq!(
        (p.segments[1].fund_start, p.segments[1].fund_end),
        (620.0, 220.0)
    );
    assert_eq!(pooled.bad_debt, 0.0);
    assert!(
        (p.contagion - 400.0 * 30.0 / 31.0).abs() < 1e-6,
        "{}",
        p.contagion
    );
    assert_eq!(
        (s.segments[0].fund_start, s.segments[0].fund_end),
        (20.0, 0.0)
    );
    assert_eq!(
        (s.segments[1].fund_start, s.segments[1].fund_end),
        (600.0, 600.0)
    );
    assert_eq!(s.segments[0].bad_debt, 380.0);
    assert!(s.segments[0].fund_exhausted && !s.segments[1].fund_exhausted);
    assert!(
        (s.contagion - 380.0 * 30.0 / 31.0).abs() < 1e-6,
        "{}",
        s.contagion
    );
}

#[test]
fn split_keys_are_validated() {
    let e =
        two("backstop = \"segmented\"\ninsurance_fund_by_market = { ALTUSDT = 10, ETHUSDT = 5 }")
            .unwrap_err();
    assert!(e.contains("venue.insurance_fund_by_market.ETHUSDT"), "{e}");
    let e = two("insurance_fund_by_market = { ALTUSDT = -1 }").unwrap_err();
    assert!(e.contains("venue.insurance_fund_by_market.ALTUSDT"), "{e}");
    let e = two("insurance_fund = 100\ninsurance_fund_by_market = { ALTUSDT = 10, BTCUSDT = 80 }")
        .unwrap_err();
    assert!(
        e.contains("venue.insurance_fund_by_market") && e.contains("sums to 90"),
        "{e}"
    );
    let e = two("backstop = \"isolated\"").unwrap_err();
    assert!(e.contains("venue.backstop"), "{e}");
    // An explicit split is the total when no total is given.
    let m =
        &two("backstop = \"segmented\"\ninsurance_fund_by_market = { ALTUSDT = 10, BTCUSDT = 80 }")
            .unwrap()[0];
    let funds: Vec<f64> = m.backstop.segments.iter().map(|g| g.fund_start).collect();
    assert_eq!(funds, [10.0, 80.0]);
}
