//! `levamp run` and `levamp replay` end to end: the output contract, the
//! shipped examples, replay equality, and bad scripts.

use serde_json::Value;
mod common;
use common::levamp;

fn example(name: &str) -> String {
    format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run_json(script: &str, extra: &[&str]) -> Value {
    let mut args = vec!["run", script, "--format", "json"];
    args.extend(extra);
    let (code, out, err) = levamp(&args, "");
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn temp(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("levamp-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Issue #4's Aave example through the script interface: repay 8,400,
/// seize 4.41 WETH, 0.021 WETH protocol fee.
#[test]
fn aave_example_script_and_output_contract() {
    let v = run_json(&example("aave-liquidation.jsonl"), &[]);
    let liq = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "lending_liquidated")
        .expect("a lending liquidation");
    assert_eq!(liq["debt_repaid"], "8400");
    assert_eq!(liq["collateral_seized"], "4.41");
    assert_eq!(liq["protocol_fee"], "0.021");
    assert_eq!(v["conservation"]["ok"], true);
    let state = &v["state"];
    for key in ["accounts", "insurance_fund", "fees", "bad_debt", "pools"] {
        assert!(state.get(key).is_some(), "state.{key}");
    }
    let a1 = state["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "a1")
        .unwrap();
    for key in [
        "id",
        "balances",
        "debts",
        "positions",
        "health_factor",
        "equity",
    ] {
        assert!(a1.get(key).is_some(), "account.{key}");
    }
    assert_eq!(a1["debts"]["USDC"].to_string(), "8400");
    let pool = &state["pools"]["USDC"];
    for key in [
        "total_supplied",
        "total_borrowed",
        "utilization",
        "borrow_rate",
        "supply_rate",
        "liquidity_index",
        "borrow_index",
    ] {
        assert!(pool.get(key).is_some(), "pool.{key}");
    }
    assert_eq!(state["fees"]["WETH"].to_string(), "0.021");
}

#[test]
fn perp_example_replays_to_the_same_state() {
    let log = temp("cascade-events.jsonl", "");
    let snapshot = temp("cascade-state.json", "");
    let v = run_json(
        &example("perp-cascade.jsonl"),
        &["--events", &log, "--state-out", &snapshot],
    );
    assert_eq!(v["conservation"]["ok"], true);
    let (code, out, err) = levamp(&["replay", &log, "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    let replayed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(replayed["state"], v["state"]);
    assert_eq!(replayed["conservation"], v["conservation"]);
    // The state snapshot reads back to the same state.
    let (code, out, err) = levamp(&["replay", &snapshot, "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    let loaded: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(loaded["state"], v["state"]);
    // The isolated long was liquidated past its margin: bad debt recorded.
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "bad_debt"));
}

/// Each bad line: exit 2, one line naming the script line and the field,
/// nothing on stdout, and no events file.
fn fails(script: &str, expected: &str) {
    let path = temp("bad.jsonl", script);
    let log = format!("{path}.events");
    let (code, out, err) = levamp(&["run", &path, "--format", "json", "--events", &log], "");
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "stdout: {out}");
    assert!(
        err.contains(expected),
        "stderr {err:?} should contain {expected:?}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        !std::path::Path::new(&log).exists(),
        "no partial events file"
    );
}

const MARKET: &str = r#"{"type":"market","market":"ETHUSDT","base":"ETH","tiers":[{"max_notional":null,"maintenance_margin_rate":0.005,"max_leverage":100}]}"#;

#[test]
fn bad_scripts_name_line_and_field() {
    let pre = format!("{MARKET}\n{{\"type\":\"price\",\"asset\":\"ETH\",\"price\":2000,\"ts\":100}}\n{{\"type\":\"deposit\",\"account\":\"a1\",\"asset\":\"USDT\",\"amount\":1000}}\n");
    let with = |line: &str| format!("{pre}{line}\n");
    fails(
        &with(r#"{"type":"trade","account":"nobody","market":"ETHUSDT","size":1,"price":2000}"#),
        "line 4: account: unknown account \"nobody\"",
    );
    fails(
        &with(r#"{"type":"trade","account":"a1","market":"ETHUSD","size":1,"price":2000}"#),
        "line 4: market: unknown market \"ETHUSD\"",
    );
    fails(
        &with(r#"{"type":"trade","account":"a1","market":"ETHUSDT","size":0,"price":2000}"#),
        "line 4: size: must not be 0",
    );
    fails(
        &with(r#"{"type":"trade","account":"a1","market":"ETHUSDT","size":1,"price":-1}"#),
        "line 4: price: must be > 0",
    );
    fails(
        &with(r#"{"type":"price","asset":"ETH","price":1900,"ts":50}"#),
        "line 4: timestamp 50 is before",
    );
    fails(
        &with(r#"{"type":"funding","market":"ETHUSDT","rate":0.0001,"ts":1000}"#),
        "line 4: market ETHUSDT: funding at 1000 is not a whole number of 28800-second intervals",
    );
    fails(
        &with(r#"{"type":"trde","account":"a1"}"#),
        "line 4: type: unknown command \"trde\" (did you mean \"trade\"?)",
    );
    fails(
        &with(r#"{"type":"trade","account":"a1","market":"ETHUSDT","size":1,"prise":2000}"#),
        "line 4: prise: unknown field (did you mean \"price\"?)",
    );
    fails(
        &with(r#"{"type":"withdraw","account":"a1","asset":"USDT","amount":5000}"#),
        "line 4: account a1: USDT balance 1000 is less than 5000",
    );
    fails(
        &with(r#"{"type":"trade","account":"a1","market":"ETHUSDT","size":100,"price":2000}"#),
        "line 4: account a1: needs 2000 of margin, has 1000",
    );
    fails(
        &with("{\"type\":\"deposit\",\"account\":\"a1\","),
        "line 4 column 33: malformed JSON",
    );
    fails(
        &with(r#"{"type":"deposit","account":"a1","asset":"USDT","amount":1e-13}"#),
        "line 4: amount: 1e-13 has more than 12 decimal places",
    );
}

#[test]
fn skip_mode_keeps_going_and_reports_skipped_lines() {
    let script = format!("{MARKET}\n{{\"type\":\"deposit\",\"account\":\"a1\",\"asset\":\"USDT\",\"amount\":0}}\n{{\"type\":\"deposit\",\"account\":\"a1\",\"asset\":\"USDT\",\"amount\":7}}\n");
    let path = temp("skip.jsonl", &script);
    let v = run_json(&path, &["--on-error", "skip"]);
    assert_eq!(v["skipped"][0]["at"], "line 2: amount");
    let a1 = v["state"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "a1")
        .unwrap();
    assert_eq!(a1["balances"]["USDT"].to_string(), "7");
}
