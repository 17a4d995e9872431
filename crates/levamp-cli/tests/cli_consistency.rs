//! Issue #11 parts 2 and 5: a terminal summary with units, progress, and
//! consistent flags, help and error messages across the subcommands.

use serde_json::Value;
use std::path::{Path, PathBuf};
mod common;

fn levamp(args: &[&str]) -> (i32, String, String) {
    common::levamp(args, "")
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("levamp-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn example(name: &str) -> String {
    format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

const SNAPSHOT: &str = r#"{"quote": "USDT", "prices": {"ETH": 100},
  "markets": {"ETHUSDT": {"base": "ETH", "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.005, "max_leverage": 100}]}},
  "accounts": [
    {"id": "a", "positions": [{"market": "ETHUSDT", "size": 2000, "entry_price": 100, "margin_mode": "isolated", "isolated_margin": 10000}]},
    {"id": "b", "collateral": {"USDT": 16500}, "positions": [{"market": "ETHUSDT", "size": 1000, "entry_price": 100}]}]}"#;

/// Two accounts, both liquidated: the price ends at 82 (see tests/sim_cmd.rs).
const SCENARIO: &str = "[run]\nseed = 7\npaths = 1\nsteps = 10\ndt_s = 60\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nmodel = \"shock\"\nstart = 100.0\nshock = -0.15\nshock_steps = 1\n[impact]\nmodel = \"linear\"\nlambda = 0.001\n[oracle]\nlatency_steps = 0\n";

fn scenario(d: &Path, text: &str) -> String {
    std::fs::write(d.join("accounts.json"), SNAPSHOT).unwrap();
    let p = d.join("crash.toml");
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn sim(d: &Path, text: &str, extra: &[&str]) -> (i32, String, String) {
    let s = scenario(d, text);
    let out = d.join("out");
    let mut args = vec!["sim", &s, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    levamp(&args)
}

fn line<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no line {label:?} in\n{text}"))
}

#[test]
fn one_path_summary_has_units_integers_percent_and_one_column() {
    let d = dir("one");
    let (code, stdout, stderr) = sim(&d, SCENARIO, &["--quiet"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains("p95"),
        "one column for one path:\n{stdout}"
    );
    assert!(
        line(&stdout, "lowest price").ends_with("82.00 USDT"),
        "{stdout}"
    );
    assert!(
        line(&stdout, "accounts liquidated").ends_with(" 2"),
        "{stdout}"
    );
    assert!(
        line(&stdout, "max drawdown").ends_with("18.0 %"),
        "{stdout}"
    );
    assert!(
        line(&stdout, "liquidated notional").ends_with(" USDT"),
        "{stdout}"
    );
    assert!(
        line(&stdout, "liquidation rounds").ends_with(" 2"),
        "{stdout}"
    );
}

#[test]
fn many_paths_summary_names_its_tail_columns() {
    let d = dir("many");
    let (code, stdout, stderr) = sim(
        &d,
        &SCENARIO.replace("paths = 1", "paths = 3"),
        &["--quiet"],
    );
    assert_eq!(code, 0, "{stderr}");
    let header = line(&stdout, "metric");
    for col in ["mean", "median", "worst 5 %", "worst 1 %", "worst"] {
        assert!(header.contains(col), "{header}");
    }
    assert!(
        line(&stdout, "accounts liquidated").ends_with(" 2"),
        "{stdout}"
    );
    assert!(stdout.contains("bad-debt VaR95"), "{stdout}");
}

#[test]
fn progress_is_plain_lines_off_a_terminal_and_quiet_silences_it() {
    let d = dir("progress");
    let (code, _, stderr) = sim(&d, &SCENARIO.replace("paths = 1", "paths = 2"), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("crash: 0/2 paths"), "{stderr:?}");
    assert!(
        !stderr.contains('\r'),
        "no carriage returns in a log: {stderr:?}"
    );
    let (code, _, stderr) = sim(
        &d,
        &SCENARIO.replace("paths = 1", "paths = 2"),
        &["--quiet"],
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
}

#[test]
fn threads_do_not_change_results() {
    let d = dir("threads");
    let text = SCENARIO.replace("paths = 1", "paths = 5");
    let mut csv = Vec::new();
    for n in ["1", "3"] {
        let (code, _, stderr) = sim(&d, &text, &["--quiet", "--threads", n]);
        assert_eq!(code, 0, "{stderr}");
        csv.push(std::fs::read_to_string(d.join("out/crash/paths.csv")).unwrap());
    }
    assert_eq!(csv[0], csv[1]);
    let (code, _, stderr) = sim(&d, &text, &["--quiet", "--threads", "0"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--threads"), "{stderr}");
}

#[test]
fn negative_paths_is_a_plain_error() {
    let d = dir("neg");
    let (code, _, stderr) = sim(&d, SCENARIO, &["--paths", "-5"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--paths") && stderr.contains("at least 1"),
        "{stderr}"
    );
    assert!(!stderr.contains("-- -5"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
}

#[test]
fn the_demo_takes_the_sim_flags_and_help_says_it_exists() {
    // A bad value stops before anything runs: the flags are parsed, not refused.
    for (flag, value) in [("--paths", "0"), ("--threads", "0")] {
        let (code, _, stderr) = levamp(&[flag, value, "--quiet", "--out", "/nonexistent"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains("at least 1"),
            "{stderr}"
        );
    }
    let (code, stdout, _) = levamp(&["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Without a subcommand"), "{stdout}");
    assert!(stdout.contains("--threads"), "{stdout}");
}

#[test]
fn venue_help_lists_the_presets() {
    for cmd in ["run", "margin"] {
        let (_, stdout, _) = levamp(&[cmd, "--help"]);
        for preset in levamp_io::PRESETS {
            assert!(
                stdout.contains(preset),
                "{cmd} --help lacks {preset}:\n{stdout}"
            );
        }
    }
}

#[test]
fn every_unreadable_input_says_cannot_read_with_the_resolved_path() {
    let d = dir("read");
    let cwd = std::env::current_dir().unwrap();
    let missing = "no-such-file.json";
    let abs = cwd.join(missing);
    for args in [
        vec!["margin", missing],
        vec!["run", missing],
        vec!["replay", missing],
        vec!["sim", missing, "--out", d.to_str().unwrap()],
    ] {
        let (code, _, stderr) = levamp(&args);
        assert_eq!(code, 2);
        let expected = format!("error: cannot read {}: ", abs.display());
        assert!(stderr.starts_with(&expected), "{args:?}: {stderr}");
    }
    // A file the scenario names.
    let s = scenario(&d, &SCENARIO.replace("accounts.json", "gone.json"));
    let (code, _, stderr) = levamp(&["sim", &s, "--out", d.join("out").to_str().unwrap()]);
    assert_eq!(code, 2);
    let expected = format!("cannot read {}: ", d.join("gone.json").display());
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(
        stderr.contains("crash.toml:9: accounts.snapshot"),
        "{stderr}"
    );
}

#[test]
fn scenario_errors_carry_file_and_line() {
    let d = dir("line");
    let (code, _, stderr) = sim(&d, &SCENARIO.replace("[oracle]", "[oracel]"), &["--quiet"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("crash.toml:18: oracel: unknown field"),
        "{stderr}"
    );
    let (code, _, stderr) = sim(
        &d,
        &SCENARIO.replace("\"generic\"", "\"binance\""),
        &["--quiet"],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("crash.toml:7: venue.preset: unknown preset"),
        "{stderr}"
    );
}

#[test]
fn an_output_directory_that_cannot_be_created_says_so() {
    let d = dir("out");
    let s = scenario(&d, SCENARIO);
    let file = d.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let (code, _, stderr) = levamp(&["sim", &s, "--out", file.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 2);
    let expected = format!("cannot create output directory {}", file.display());
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(!stderr.contains("os error 17"), "{stderr}");
}

#[test]
fn run_json_events_carry_names_and_replay_reads_old_logs() {
    let d = dir("names");
    let log = d.join("events.jsonl");
    let (code, stdout, stderr) = levamp(&[
        "run",
        &example("perp-cascade.jsonl"),
        "--format",
        "json",
        "--events",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let events = doc["events"].as_array().unwrap();
    let of = |t: &str| events.iter().find(|e| e["type"] == t).unwrap().clone();
    let dep = of("deposited");
    assert_eq!(
        (dep["account_name"].as_str(), dep["asset_name"].as_str()),
        (Some("a1"), Some("USDT"))
    );
    let trade = of("trade_filled");
    assert_eq!(trade["market_name"], "ETHUSDT");
    assert_eq!(trade["seller"]["account_name"], "mm");
    assert_eq!(of("oracle_updated")["key_name"], "ETH");
    assert_eq!(of("liquidated")["liquidator_name"], "market");
    // The ids stay: the log replays, with names and without them (a log
    // written before names were added).
    let (code, with_names, stderr) = levamp(&["replay", log.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"market_name\""));
    let old: String = text
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            strip_names(&mut v);
            format!("{v}\n")
        })
        .collect();
    assert!(!old.contains("_name\""));
    let old_log = d.join("old.jsonl");
    std::fs::write(&old_log, old).unwrap();
    let (code, without, stderr) =
        levamp(&["replay", old_log.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(with_names, without);
}

fn strip_names(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.ends_with("_name"));
            m.values_mut().for_each(strip_names);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_names),
        _ => {}
    }
}

#[test]
fn the_market_pseudo_account_is_labelled_in_the_run_table() {
    let (code, stdout, stderr) =
        levamp(&["run", &example("perp-cascade.jsonl"), "--format", "table"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("market (counterparty)"), "{stdout}");
}
