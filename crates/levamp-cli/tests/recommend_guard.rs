//! `levamp recommend` on a sawtooth (issue #14): bisection only sees the
//! points it lands on, so the neighbour past the answer and `--scan` guard
//! it against a lucky point.

mod common;

/// The pooled-fund key of the correlated crash: bad debt (VaR99) against the
/// fund is a sawtooth (docs/mechanisms.md, "Bad debt is not monotone in the
/// fund size"): 0 at 60 k, from 79 k to 80 k and from 98 k; 16.2 k at 81 k.
fn fund_args(range: &str, extra: &[&str]) -> Vec<String> {
    let scenario = common::shipped("backstop/correlated-crash.toml");
    let mut args: Vec<String> = [
        "recommend",
        &scenario,
        "--param",
        "venue.insurance_fund",
        "--range",
        range,
        "--target",
        "bad_debt_var_99<=0",
        "--format",
        "json",
        "--quiet",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn run(args: &[String]) -> (i32, serde_json::Value, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = common::levamp(&args, "");
    (code, serde_json::from_str(&out).unwrap(), err)
}

/// On 61,000..99,000 at a 2,000 step the bisection lands on 80,000 (no bad
/// debt), then narrows down to 78,813 through a tooth that falls to it
/// monotonically: every point it compares looks monotone. The neighbour one
/// step past the answer, 80,813, has 16 k of bad debt on every path: the
/// answer is a lucky point, and the search refuses, naming both values and
/// the paired interval.
#[test]
fn a_lucky_point_of_the_fund_sawtooth_is_refused() {
    let (code, doc, err) = run(&fund_args("61000..99000", &["--tolerance", "2000"]));
    assert_eq!(code, 1, "{doc}");
    assert!(doc["value"].is_null(), "{doc}");
    let why = doc["refusal"].as_str().unwrap();
    assert!(
        why.starts_with("bad_debt_var_99 is not monotone in venue.insurance_fund")
            && why.contains("at venue.insurance_fund = 80813")
            && why.contains("at venue.insurance_fund = 78813")
            && why.contains("paired difference 95 % CI"),
        "{why}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(why), "{err}");
}

/// A coarse scan sees the teeth before bisecting: on 0..100,000 the nine
/// scanned points (every 10 k) already reverse (none at 80 k, 7.2 k at 90 k,
/// 100 k none), so nothing is bisected.
#[test]
fn a_scan_refuses_the_sawtooth_before_bisecting() {
    let (code, doc, _) = run(&fund_args("0..100000", &["--scan", "9"]));
    assert_eq!(code, 1, "{doc}");
    let evaluations = doc["evaluations"].as_array().unwrap();
    assert_eq!(evaluations.len(), 2 + 9, "ends and the scan only: {doc}");
    assert!(doc["refusal"]
        .as_str()
        .unwrap()
        .contains("is not monotone in venue.insurance_fund"));
}
