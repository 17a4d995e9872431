//! `levamp contagion` with a venue node: a lending pool whose loss is the
//! deficit of scenarios/venue-tiny-lending.toml (one Aave borrower, worked
//! by hand in the scenario's comment) at the network's ETH price; bad venue
//! input is exit 2 with the network's FILE:LINE and key.

mod common;
use common::levamp;
use serde_json::Value;
use std::path::PathBuf;

fn scenarios() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios"))
        .canonicalize()
        .unwrap()
}

/// A pool with 100 of external assets owing 50 outside, backed by the tiny
/// lending scenario; ETH shocked by `SHOCK`.
fn network(scenario: &str, shock: &str) -> String {
    format!(
        r#"[[asset]]
id = "ETH"
price = 2000
lambda = 1
[[node]]
id = "Pool"
external_assets = 100
external_liabilities = 50
venue = "{scenario}"
venue_follows = "ETH"
[shock]
prices = {{ ETH = {shock} }}
"#
    )
}

fn run(text: &str, tag: &str) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!("levamp-venue-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("net.toml");
    std::fs::write(&file, text).unwrap();
    let r = levamp(
        &["contagion", file.to_str().unwrap(), "--format", "json"],
        "",
    );
    std::fs::remove_dir_all(&dir).unwrap();
    r
}

fn tiny() -> String {
    scenarios()
        .join("venue-tiny-lending.toml")
        .display()
        .to_string()
}

/// The interest of one minute on 1,600 USDC at USDC's preset rate (3.5 % ×
/// 0.8 / 0.9 at 80 % utilization): the deficit is `1,600 × (1 + r·60 s) −
/// P / 1.05`.
fn deficit(p: f64) -> f64 {
    (1600.0 * (1.0 + 0.035 * 0.8 / 0.9 * 60.0 / (365.0 * 86_400.0)) - p / 1.05).max(0.0)
}

#[test]
fn the_pool_loses_the_scenarios_deficit() {
    // −20 %: ETH at 1,600, below 1,680: the borrower's 1 WETH repays
    // 1,600 / 1.05 and the rest, ≈ 76.19, is the pool's deficit.
    let (code, out, err) = run(&network(&tiny(), "-0.2"), "deep");
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let node = &v["nodes"][0];
    let venue = node["losses"]["venue"].as_f64().unwrap();
    assert!((venue - deficit(1600.0)).abs() < 1e-6, "{venue}");
    // 100 − 76.19… < 50: the pool defaults and pays what is left.
    assert_eq!(node["defaulted"], true);
    let paid = node["payment"].as_f64().unwrap();
    assert!((paid - (100.0 - deficit(1600.0))).abs() < 1e-6, "{paid}");
    let equity = node["equity"].as_f64().unwrap();
    assert!((equity - (50.0 - deficit(1600.0))).abs() < 1e-6, "{equity}");
}

#[test]
fn a_shallow_shock_costs_the_pool_nothing() {
    // −10 %: ETH at 1,800 ≥ 1,680: the borrower is closed in full.
    let (code, out, err) = run(&network(&tiny(), "-0.1"), "shallow");
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["nodes"][0]["losses"]["venue"].to_string(), "0");
    assert_eq!(v["nodes"][0]["equity"].to_string(), "50");
}

#[test]
fn bad_venue_scenarios_are_exit_2_with_the_network_line() {
    let (code, out, err) = run(&network("no-such-scenario.toml", "-0.2"), "missing");
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("net.toml:9: node[0].venue: scenario \"no-such-scenario.toml\""),
        "{err}"
    );
    // A scenario whose price is not a shock (the network sets the shock).
    let gbm = scenarios()
        .join("crash-2025-10-10-mc.toml")
        .display()
        .to_string();
    let (code, _, err) = run(&network(&gbm, "-0.2"), "gbm");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("net.toml:9: node[0].venue:"), "{err}");
    assert!(
        err.contains("model = \\\"shock\\\"") || err.contains("model = \"shock\""),
        "{err}"
    );
    // An unknown asset to follow.
    let text =
        network(&tiny(), "-0.2").replace("venue_follows = \"ETH\"", "venue_follows = \"WETH\"");
    let (code, _, err) = run(&text, "follows");
    assert_eq!(code, 2);
    assert!(
        err.contains("net.toml:10: node[0].venue_follows: unknown asset id \"WETH\""),
        "{err}"
    );
}

const LST_LOOP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../networks/lst-loop.toml");

/// networks/lst-loop.toml with the LST depeg `shock` (the venue path made
/// absolute for the copy).
fn lst_loop(shock: &str) -> Value {
    let text = std::fs::read_to_string(LST_LOOP)
        .unwrap()
        .replace(
            "venue = \"../scenarios/lst-loop-aave.toml\"",
            &format!(
                "venue = \"{}\"",
                scenarios().join("lst-loop-aave.toml").display()
            ),
        )
        .replace(
            "prices = { LST = -0.05 }",
            &format!("prices = {{ LST = {shock} }}"),
        );
    let (code, out, err) = run(&text, &format!("lst{shock}"));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The 4.5× loop (LTV 0.78) is liquidated below 78 / (0.81 × 100) =
/// 0.96296: a depeg of 3.7 % (0.963) costs the lenders nothing; 3.8 %
/// (0.962) liquidates it, the keeper's sales spiral in the thin market and
/// the pool, with no equity of its own, defaults on its depositors.
#[test]
fn lst_loop_turns_a_small_depeg_into_bad_debt() {
    let v = lst_loop("-0.037");
    assert_eq!(v["nodes"][0]["losses"]["venue"].to_string(), "0");
    assert_eq!(v["defaults"], 0);
    let v = lst_loop("-0.038");
    assert!(v["nodes"][0]["losses"]["venue"].as_f64().unwrap() > 0.0);
    assert_eq!(v["nodes"][0]["defaulted"], true);
}

/// The shipped 5 % depeg: the pool's deficit cuts what the staking fund
/// receives, the fund breaches its 10 % ratio and sells LST, the network
/// price falls below the shocked 0.95, and the venue's loss (the running
/// maximum, at a deeper shock) is at least its loss at 0.95 alone.
#[test]
fn lst_loop_shipped_network_closes_the_loop() {
    let v = lst_loop("-0.05");
    let price = v["assets"][0]["price"].as_f64().unwrap();
    assert!(price < 0.95, "{price}");
    assert!(v["nodes"][1]["units_sold"]["LST"].as_f64().unwrap() > 0.0);
    let alone = {
        let text = network(
            &scenarios().join("lst-loop-aave.toml").display().to_string(),
            "-0.05",
        )
        .replace("price = 2000", "price = 1");
        let (code, out, err) = run(&text, "lst-alone");
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["nodes"][0]["losses"]["venue"].as_f64().unwrap()
    };
    let venue = v["nodes"][0]["losses"]["venue"].as_f64().unwrap();
    assert!(venue > alone && alone > 0.0, "{venue} vs {alone}");
}
