//! Hostile input to `levamp replay`, `run` and `margin`: corrupt event logs
//! and states, duplicate JSON keys, huge literals. Each must exit 2 with one
//! line naming the place, print nothing on stdout, and never panic.

mod common;
use common::levamp;
use serde_json::Value;

fn example(name: &str) -> String {
    format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn temp(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("levamp-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// The perp example's event log and saved state (text). Tests run in
/// parallel: each call writes its own files.
fn cascade() -> (String, String) {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log = temp(&format!("cascade{n}.events.jsonl"), "");
    let state = temp(&format!("cascade{n}.state.json"), "");
    let (code, _, err) = levamp(
        &[
            "run",
            &example("perp-cascade.jsonl"),
            "--format",
            "json",
            "--events",
            &log,
            "--state-out",
            &state,
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    (
        std::fs::read_to_string(log).unwrap(),
        std::fs::read_to_string(state).unwrap(),
    )
}

/// `args` must exit 2 with one line on stderr containing `expected`.
fn refused(args: &[&str], stdin: &str, expected: &str) {
    let (code, out, err) = levamp(args, stdin);
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert_eq!(code, 2, "exit code; stderr: {err}");
    assert!(out.is_empty(), "nothing on stdout, got {out}");
    assert!(
        err.contains(expected),
        "stderr {err:?} should contain {expected:?}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
}

/// Replaying `text` must fail with `expected`.
fn replay_refused(name: &str, text: &str, expected: &str) {
    let path = temp(name, text);
    refused(&["replay", &path, "--format", "json"], "", expected);
}

/// `text` with `from` replaced (once) by `to`; `from` must be there.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "test setup: {from:?} not found");
    text.replacen(from, to, 1)
}

#[test]
fn log_with_ids_out_of_range_names_line_and_field() {
    let (log, _) = cascade();
    let cases = [
        (
            r#""type":"deposited","account":2"#,
            r#""type":"deposited","account":9"#,
            "line 9: account: account 9 does not exist (3 listed)",
        ),
        (
            r#""type":"deposited","account":2,"asset":0"#,
            r#""type":"deposited","account":2,"asset":4"#,
            "line 9: asset: asset 4 does not exist (1 listed)",
        ),
        (
            r#""type":"oracle_updated","key":1"#,
            r#""type":"oracle_updated","key":7"#,
            "line 5: key: price key 7 does not exist (2 listed)",
        ),
        (
            r#""type":"isolated_margin_changed","account":2,"market":0"#,
            r#""type":"isolated_margin_changed","account":2,"market":3"#,
            "line 14: market: market 3 does not exist (1 listed)",
        ),
        (
            r#""seller":{"account":"#,
            r#""seller":{"account":4000000000,"x":"#,
            "line 12: seller.account: account 4000000000 does not exist",
        ),
        (
            r#""type":"account_opened","account":2"#,
            r#""type":"account_opened","account":5"#,
            "line 8: account: account 5 out of order: the next account is 2",
        ),
        (
            r#""type":"oracle_updated","key":1,"price":"2000""#,
            r#""type":"oracle_updated","key":1,"price":"0""#,
            "line 5: price: must be > 0",
        ),
    ];
    for (from, to, expected) in cases {
        replay_refused("ids.jsonl", &edit(&log, from, to), expected);
    }
}

#[test]
fn log_whose_time_goes_backwards_is_refused() {
    let (log, _) = cascade();
    let lines: Vec<&str> = log.lines().collect();
    // Swap the two crash prices' time steps: 1700013600 comes before 1700010000.
    let mut swapped = lines.clone();
    swapped.swap(19, 21);
    swapped.swap(20, 22);
    replay_refused(
        "swapped.jsonl",
        &(swapped.join("\n") + "\n"),
        "line 22: ts: time goes backwards: 1700010000 is not after the venue's time 1700013600",
    );
    let back = edit(
        &log,
        r#""type":"time_advanced","ts":1700013600"#,
        r#""type":"time_advanced","ts":1700000000"#,
    );
    replay_refused("back.jsonl", &back, "line 22: ts: time goes backwards");
}

#[test]
fn pretty_printed_state_is_read_as_a_state() {
    let (log, state) = cascade();
    let value: Value = serde_json::from_str(&state).unwrap();
    let pretty = temp(
        "pretty.json",
        &serde_json::to_string_pretty(&value).unwrap(),
    );
    let (code, out, err) = levamp(&["replay", &pretty, "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    let from_state: Value = serde_json::from_str(&out).unwrap();
    let (code, out, err) = levamp(
        &["replay", &temp("log.jsonl", &log), "--format", "json"],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let from_log: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(from_state["state"], from_log["state"]);
    assert_eq!(from_state["events"], 0);
}

#[test]
fn corrupt_states_are_refused_naming_the_field() {
    let (_, state) = cascade();
    let base: Value = serde_json::from_str(&state).unwrap();
    type Corruption = fn(&mut Value);
    let cases: [(Corruption, &str); 5] = [
        (
            |s| {
                s["prices"].as_array_mut().unwrap().pop();
            },
            "prices: has 1 entries, expected 2 (one per price key)",
        ),
        (
            |s| s["markets"][0]["tiers"] = Value::Array(vec![]),
            "markets[0].tiers: needs at least one tier",
        ),
        (
            |s| s["accounts"][1]["positions"][0]["market"] = 5.into(),
            "accounts[1].positions[0].market: market 5 does not exist (1 listed)",
        ),
        (
            |s| s["markets"][0]["price"] = 9.into(),
            "markets[0].price: price key 9 does not exist (2 listed)",
        ),
        (
            |s| s["accounts"][2]["collateral"][0]["asset"] = 3.into(),
            "accounts[2].collateral[0].asset: asset 3 does not exist (1 listed)",
        ),
    ];
    for (corrupt, expected) in cases {
        let mut s = base.clone();
        corrupt(&mut s);
        replay_refused("corrupt.json", &s.to_string(), expected);
    }
}

#[test]
fn duplicate_keys_are_refused_in_every_input() {
    // Snapshot: a second "size" would turn the long into a short.
    let snapshot = r#"{"quote":"USDT","prices":{"ETH":2000},"markets":{"ETHUSDT":{"base":"ETH","tiers":[{"max_notional":null,"maintenance_margin_rate":0.005,"max_leverage":100}]}},
"accounts":[{"id":"a1","collateral":{"USDT":1000},"positions":[{"market":"ETHUSDT","size":1,"size":-1,"entry_price":2000}]}]}"#;
    refused(
        &["margin", "--format", "json"],
        snapshot,
        "accounts[0].positions[0].size: duplicate key",
    );
    // Script: a second "type" would turn a deposit into a withdrawal.
    let script = temp(
        "dup-script.jsonl",
        "{\"type\":\"deposit\",\"account\":\"a1\",\"asset\":\"USDT\",\"amount\":10}\n{\"type\":\"deposit\",\"type\":\"withdraw\",\"account\":\"a1\",\"asset\":\"USDT\",\"amount\":10}\n",
    );
    refused(
        &["run", &script, "--format", "json"],
        "",
        "line 2: type: duplicate key",
    );
    let (log, state) = cascade();
    replay_refused(
        "dup-log.jsonl",
        &edit(
            &log,
            r#""amount":"300""#,
            r#""amount":"300","amount":"3000000""#,
        ),
        "line 9: amount: duplicate key",
    );
    replay_refused(
        "dup-state.json",
        &edit(&state, r#","accounts":["#, r#","accounts":[],"accounts":["#),
        "accounts: duplicate key",
    );
}

#[test]
fn huge_literals_are_quoted_short() {
    let huge = "9".repeat(1_000_000);
    let snapshot = format!(
        r#"{{"quote":"USDT","prices":{{"ETH":2000}},"accounts":[{{"id":"a1","collateral":{{"USDT":{huge}}}}}]}}"#
    );
    let (code, _, err) = levamp(&["margin", "--format", "json"], &snapshot);
    assert_eq!(code, 2, "{err}");
    assert!(err.len() < 300, "{} bytes: {}", err.len(), &err[..300]);
    assert!(err.contains("accounts[0].collateral.USDT: 9999"), "{err}");
    let key = "k".repeat(100_000);
    let (code, _, err) = levamp(
        &["margin", "--format", "json"],
        &format!(r#"{{"{key}":1,"accounts":[]}}"#),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.len() < 400, "{} bytes", err.len());
    let script = temp(
        "huge.jsonl",
        &format!("{{\"type\":\"deposit\",\"account\":\"a1\",\"asset\":\"USDT\",\"amount\":\"{huge}x\"}}\n"),
    );
    let (code, _, err) = levamp(&["run", &script, "--format", "json"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.len() < 300, "{} bytes", err.len());
}

/// A tier table that ends with a finite cap has no bracket beyond it: a
/// position whose notional reaches the cap is an error, not silently
/// margined at the last bracket's rates.
#[test]
fn notional_beyond_the_last_finite_tier_is_an_error() {
    let snapshot = |size: &str| {
        format!(
            r#"{{"quote":"USDT","prices":{{"ETH":2000}},"markets":{{"ETHUSDT":{{"base":"ETH","tiers":[
{{"max_notional":10000,"maintenance_margin_rate":0.005,"max_leverage":100}},
{{"max_notional":50000,"maintenance_margin_rate":0.01,"maintenance_amount":50,"max_leverage":50}}]}}}},
"accounts":[{{"id":"a1","collateral":{{"USDT":100000}},"positions":[{{"market":"ETHUSDT","size":{size},"entry_price":2000}}]}}]}}"#
        )
    };
    let (code, _, err) = levamp(&["margin", "--format", "json"], &snapshot("24.9"));
    assert_eq!(code, 0, "{err}");
    for size in ["25", "-30"] {
        refused(
            &["margin", "--format", "json"],
            &snapshot(size),
            "accounts[0].positions[0]: notional",
        );
    }
    refused(
        &["margin", "--format", "json"],
        &snapshot("30"),
        "notional 60000 is beyond the last tier of market \"ETHUSDT\" (max_notional 50000)",
    );
}
