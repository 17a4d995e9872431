//! `levamp margin --venue aave-v3` with Aave v3 e-mode: the same account in
//! and out of the "ETH-correlated" category, and the validation of `emode`.
//!
//! Worked by hand (crates/levamp-engine/tests/emode.rs has the sources):
//! 10 WETH at $2,000 supplied; 5 WETH + 3 wstETH at $2,400 borrowed, debt
//! $17,200. Out of e-mode WETH's LT 83 %: 16,600 ÷ 17,200 = 0.965116279069…
//! (liquidatable); in e-mode LT 95 %: 19,000 ÷ 17,200 = 1.104651162790….

mod common;

const SNAPSHOT: &str = r#"{"prices": {"ETH": 2000, "wstETH": 2400},
  "accounts": [
    {"id": "out", "collateral": {"WETH": 10}, "borrows": {"WETH": 5, "wstETH": 3}},
    {"id": "in", "emode": "ETH-correlated", "collateral": {"WETH": 10}, "borrows": {"WETH": 5, "wstETH": 3}}]}"#;

fn margin(input: &str) -> (i32, String, String) {
    common::levamp(&["margin", "--venue", "aave-v3", "--format", "json"], input)
}

#[test]
fn health_factor_differs_in_and_out_of_emode() {
    let (code, stdout, stderr) = margin(SNAPSHOT);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let a = &v["accounts"];
    assert_eq!(a[0]["health_factor"].to_string(), "0.965116279069");
    assert_eq!(a[0]["liquidatable"], true);
    assert_eq!(a[1]["health_factor"].to_string(), "1.10465116279");
    assert_eq!(a[1]["liquidatable"], false);
}

fn fails(input: &str, expected: &str) {
    let (code, stdout, stderr) = margin(input);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains(expected),
        "{stderr:?} should contain {expected:?}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}

#[test]
fn unknown_category_names_the_field() {
    fails(
        &SNAPSHOT.replace("\"ETH-correlated\"", "\"ETH-corelated\""),
        "accounts[1].emode: unknown e-mode category \"ETH-corelated\"; did you mean \"ETH-correlated\"?",
    );
}

#[test]
fn borrow_outside_the_category_is_an_error() {
    let text = SNAPSHOT
        .replace("\"ETH\": 2000", "\"ETH\": 2000, \"USDC\": 1")
        .replace(
            "\"emode\": \"ETH-correlated\", \"collateral\": {\"WETH\": 10}, \"borrows\": {\"WETH\": 5,",
            "\"emode\": \"ETH-correlated\", \"collateral\": {\"WETH\": 10}, \"borrows\": {\"USDC\": 5,",
        );
    assert!(text.contains("\"USDC\": 5"));
    fails(
        &text,
        "accounts[1].borrows.USDC: the account is in e-mode \"ETH-correlated\", which does not include \"USDC\"",
    );
}

/// The venue has no e-mode yet: a simulation must refuse an e-mode account
/// (naming the field) instead of silently simulating it out of e-mode.
#[test]
fn sim_rejects_an_emode_account() {
    let d = std::env::temp_dir().join(format!("levamp-emode-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("accounts.json"),
        r#"{"quote": "USDT", "prices": {"ETH": 100},
  "markets": {"ETHUSDT": {"base": "ETH", "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.005, "max_leverage": 100}]}},
  "assets": {"WETH": {"price_key": "ETH", "ltv": 0.8, "liquidation_threshold": 0.83}},
  "emode_categories": {"E": {"ltv": 0.9, "liquidation_threshold": 0.93, "assets": ["WETH"]}},
  "accounts": [
    {"id": "a", "collateral": {"USDT": 16500}, "positions": [{"market": "ETHUSDT", "size": 1000, "entry_price": 100}]},
    {"id": "b", "emode": "E", "collateral": {"USDT": 16500}, "positions": [{"market": "ETHUSDT", "size": 10, "entry_price": 100}]}]}"#,
    )
    .unwrap();
    let scenario = d.join("s.toml");
    std::fs::write(&scenario, "[run]\nseed = 7\npaths = 1\nsteps = 3\ndt_s = 60\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nmodel = \"shock\"\nstart = 100.0\nshock = -0.15\nshock_steps = 1\n").unwrap();
    let out = d.join("out");
    let (code, _, stderr) = common::levamp(
        &[
            "sim",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
        "",
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("accounts[1].emode: e-mode accounts"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// Aave v3.0/3.1: a reserve belongs to at most one category.
#[test]
fn an_asset_in_two_categories_is_an_error() {
    fails(
        &SNAPSHOT.replace(
            "\"accounts\"",
            "\"emode_categories\": {\"X\": {\"liquidation_threshold\": 0.9, \"assets\": [\"WETH\"]}}, \"accounts\"",
        ),
        "emode_categories.X.assets[0]: \"WETH\" is already in e-mode category \"ETH-correlated\"",
    );
}
