//! Bad input: one test per class. Each must exit non-zero with one clear
//! line naming the place, print nothing on stdout, and never panic.

mod common;

const GOOD: &str = r#"{"quote": "USDT", "prices": {"ETH": 2000},
  "markets": {"ETHUSDT": {"base": "ETH", "tiers": [{"max_notional": 50000, "maintenance_margin_rate": 0.005, "maintenance_amount": 0, "max_leverage": 100}, {"max_notional": null, "maintenance_margin_rate": 0.01, "maintenance_amount": 250, "max_leverage": 50}]}},
  "accounts": [{"id": "a1", "collateral": {"USDT": 1000},
    "positions": [{"market": "ETHUSDT", "size": 1.5, "entry_price": 1500, "leverage": 10}]}]}"#;

/// Runs `levamp margin --format json` on `input` via stdin: (exit code, stdout, stderr).
fn margin(input: &str, extra: &[&str]) -> (i32, String, String) {
    let args: Vec<&str> = ["margin", "--format", "json"]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    common::levamp(&args, input)
}

/// `GOOD` with one substring replaced must fail with a message containing `expected`.
fn fails(from: &str, to: &str, expected: &str) {
    assert!(GOOD.contains(from), "test setup: {from:?} not in GOOD");
    fails_on(&GOOD.replacen(from, to, 1), expected);
}

fn fails_on(input: &str, expected: &str) {
    let (code, stdout, stderr) = margin(input, &[]);
    assert_eq!(code, 2, "exit code; stderr: {stderr}");
    assert!(stdout.is_empty(), "nothing on stdout, got {stdout}");
    assert!(
        stderr.contains(expected),
        "stderr {stderr:?} should contain {expected:?}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn good_input_passes() {
    let (code, stdout, stderr) = margin(GOOD, &[]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let a = &v["accounts"][0];
    for key in [
        "id",
        "equity",
        "maintenance_margin",
        "initial_margin",
        "margin_ratio",
        "health_factor",
        "free_collateral",
        "leverage",
        "liquidatable",
        "positions",
    ] {
        assert!(a.get(key).is_some(), "missing {key}");
    }
    for key in [
        "market",
        "notional",
        "unrealized_pnl",
        "maintenance_margin",
        "liquidation_price",
    ] {
        assert!(
            a["positions"][0].get(key).is_some(),
            "missing positions[0].{key}"
        );
    }
    assert!(
        a["health_factor"].is_null(),
        "no borrows → null health factor"
    );
    // equity = 1000 + 1.5 × (2000 − 1500) = 1750, exact JSON number.
    assert_eq!(a["equity"].to_string(), "1750");
}

/// The example in docs/snapshot.md must stay valid.
#[test]
fn documented_example_runs() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/snapshot.md"
    ))
    .unwrap();
    let start = doc.find("```json\n").expect("a json block") + 8;
    let end = start + doc[start..].find("```").unwrap();
    let (code, stdout, stderr) = margin(&doc[start..end], &[]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    // 1000 USDT − 500 USDC owed + isolated 100 + 1.5 × (2000 − 1500) = 1350.
    assert_eq!(v["accounts"][0]["equity"].to_string(), "1350");
    // USDT is unlisted (no lending weight) and 500 USDC is owed: health factor 0.
    assert_eq!(v["accounts"][0]["health_factor"].to_string(), "0");
}

#[test]
fn malformed_json_names_line_and_column() {
    fails_on(
        "{\"accounts\": [\n  {\"id\": \"a\",}\n]}",
        "line 2 column 14: malformed JSON",
    );
    fails_on("", "line 1 column 0: malformed JSON");
    fails_on(
        "{\"prices\": {\"ETH\": NaN}}",
        "line 1 column 20: malformed JSON",
    );
}

#[test]
fn unknown_market_and_asset() {
    fails(
        "\"market\": \"ETHUSDT\"",
        "\"market\": \"ETHUSD\"",
        "accounts[0].positions[0].market: unknown market \"ETHUSD\"; did you mean \"ETHUSDT\"?",
    );
    fails(
        "{\"USDT\": 1000}",
        "{\"DOGE\": 1000}",
        "accounts[0].collateral.DOGE: unknown asset \"DOGE\"",
    );
    fails_on(
        &GOOD.replace("\"base\": \"ETH\"", "\"base\": \"SOL\""),
        "accounts[0].positions[0].market: market \"ETHUSDT\" needs a price for \"SOL\"",
    );
}

#[test]
fn missing_price() {
    fails(
        "\"prices\": {\"ETH\": 2000}",
        "\"prices\": {}",
        "needs a price for \"ETH\", which is missing from \"prices\"",
    );
}

#[test]
fn non_positive_nan_and_huge_numbers() {
    fails(
        "\"entry_price\": 1500",
        "\"entry_price\": 0",
        "accounts[0].positions[0].entry_price: must be > 0",
    );
    fails(
        "\"entry_price\": 1500",
        "\"entry_price\": -3",
        "accounts[0].positions[0].entry_price: must be > 0",
    );
    fails(
        "\"size\": 1.5",
        "\"size\": 0",
        "accounts[0].positions[0].size: must not be 0",
    );
    fails(
        "\"size\": 1.5",
        "\"size\": \"NaN\"",
        "accounts[0].positions[0].size: expected a decimal number, found \"NaN\"",
    );
    fails(
        "{\"USDT\": 1000}",
        "{\"USDT\": -1}",
        "accounts[0].collateral.USDT: must be ≥ 0",
    );
    fails(
        "{\"USDT\": 1000}",
        "{\"USDT\": 1e400}",
        "accounts[0].collateral.USDT: 1e+400 is out of range",
    );
    fails(
        "\"ETH\": 2000",
        "\"ETH\": 2e30",
        "prices.ETH: 2e+30 is out of range",
    );
    fails(
        "\"size\": 1.5",
        "\"size\": true",
        "accounts[0].positions[0].size: expected a number, found a boolean",
    );
    // Values that parse but overflow the arithmetic are errors too, never wraps.
    fails(
        "{\"USDT\": 1000}",
        "{\"ETH\": 100000000000000000000000000}",
        "accounts[0]: arithmetic overflow",
    );
}

#[test]
fn too_many_decimals_is_an_error_not_a_truncation() {
    fails(
        "\"size\": 1.5",
        "\"size\": 1.0000000000001",
        "accounts[0].positions[0].size: 1.0000000000001 has more than 12 decimal places",
    );
}

#[test]
fn tiers_must_ascend_and_only_the_last_may_be_open() {
    fails(
        "\"max_notional\": null",
        "\"max_notional\": 40000",
        "markets.ETHUSDT.tiers[1].max_notional: tiers must be ascending",
    );
    fails(
        "\"max_notional\": 50000",
        "\"max_notional\": null",
        "markets.ETHUSDT.tiers[0].max_notional: only the last tier may be open-ended",
    );
    fails(
        "\"maintenance_margin_rate\": 0.005",
        "\"maintenance_margin_rate\": 1.5",
        "markets.ETHUSDT.tiers[0].maintenance_margin_rate: must be > 0 and < 1",
    );
    fails_on(
        r#"{"prices": {"X": 1}, "markets": {"XUSD": {"base": "X", "tiers": []}}, "accounts": []}"#,
        "markets.XUSD.tiers: needs at least one tier",
    );
}

#[test]
fn isolated_margin_on_a_cross_position() {
    fails(
        "\"leverage\": 10}",
        "\"leverage\": 10, \"isolated_margin\": 100}",
        "accounts[0].positions[0].isolated_margin: only an isolated position has isolated margin",
    );
    fails(
        "\"leverage\": 10}",
        "\"margin_mode\": \"isolated\"}",
        "accounts[0].positions[0].isolated_margin: required for an isolated position",
    );
    fails(
        "\"leverage\": 10}",
        "\"leverage\": 10, \"margin_mode\": \"isolate\"}",
        "accounts[0].positions[0].margin_mode: must be \"cross\" or \"isolated\"",
    );
}

#[test]
fn duplicate_account_ids() {
    let doubled = GOOD.replace("\"accounts\": [{", "\"accounts\": [{\"id\": \"a1\"}, {");
    fails_on(&doubled, "accounts[1].id: duplicate account id \"a1\"");
}

#[test]
fn unknown_fields_suggest_the_right_one() {
    fails(
        "\"entry_price\"",
        "\"entry_prise\"",
        "accounts[0].positions[0].entry_prise: unknown field (did you mean \"entry_price\"?)",
    );
    fails(
        "\"quote\"",
        "\"qoute\"",
        "qoute: unknown field (did you mean \"quote\"?)",
    );
}

#[test]
fn bad_venue_and_missing_file() {
    let (code, _, stderr) = margin(GOOD, &["--venue", "binanse-usdm"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--venue: unknown preset \"binanse-usdm\"; did you mean \"binance-usdm\"?"),
        "{stderr}"
    );
    let (code, stdout, stderr) = margin("", &["/nonexistent/snapshot.json"]);
    assert_eq!(code, 2);
    assert!(
        stdout.is_empty() && stderr.contains("cannot read /nonexistent/snapshot.json"),
        "{stderr}"
    );
}

/// `n` copies of GOOD's account with ids a0, a1, …, the one at `bad`
/// replaced by `replacement` (`{i}` stands for its index).
fn many(n: usize, bad: &[(usize, &str)]) -> String {
    let account = r#"{"id": "a{i}", "collateral": {"USDT": 1000}, "positions": [{"market": "ETHUSDT", "size": 1.5, "entry_price": 1500, "leverage": 10}]}"#;
    let accounts: Vec<String> = (0..n)
        .map(|i| {
            let text = bad
                .iter()
                .find(|(j, _)| *j == i)
                .map_or(account, |(_, r)| *r);
            text.replace("{i}", &i.to_string())
        })
        .collect();
    let head = &GOOD[..GOOD.find("\"accounts\"").unwrap()];
    format!("{head}\"accounts\": [\n{}\n]}}", accounts.join(",\n"))
}

/// Accounts are read in parallel ranges; errors still come out as one
/// parse of the whole file gives them: syntax anywhere first, then the
/// first bad account (or repeated id) in file order.
#[test]
fn errors_keep_file_order_across_ranges() {
    let (code, stdout, _) = margin(&many(10_000, &[]), &[]);
    assert_eq!(code, 0);
    assert_eq!(stdout.matches("\"id\":").count(), 10_000);
    let bad_price =
        r#"{"id": "a{i}", "positions": [{"market": "ETHUSDT", "size": 1, "entry_price": 0}]}"#;
    let syntax = r#"{"id": "a{i}",, "positions": []}"#;
    let beyond = r#"{"id": "a{i}", "collateral": {"USDT": 1e9}, "positions": [{"market": "ETHUSDT", "size": 1e6, "entry_price": 2000}]}"#;
    fails_on(
        &many(10_000, &[(7, bad_price), (9_000, syntax)]),
        "line 9004 column 16: malformed JSON",
    );
    fails_on(
        &many(10_000, &[(9_000, bad_price), (8_000, bad_price)]),
        "accounts[8000].positions[0].entry_price: must be > 0",
    );
    fails_on(
        &many(10_000, &[(5, beyond), (9_999, r#"{"id": "a17"}"#)]),
        "accounts[9999].id: duplicate account id \"a17\"",
    );
}
