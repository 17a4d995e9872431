//! `levamp recommend` with several `--param`s: the frontier (a known
//! monotone one by hand), determinism across thread counts, the table and
//! the report, and bad input (one line, exit 2).

use serde_json::{json, Value};
use std::path::PathBuf;
mod common;

fn levamp(args: &[&str]) -> (i32, String, String) {
    common::levamp(args, "")
}

fn dir(name: &str) -> PathBuf {
    common::fresh_dir("recf", name)
}

use common::shipped;

/// shock-linear: the shock on a 3-point grid, λ searched to 1e-7 at each.
fn frontier_args() -> Vec<String> {
    [
        "recommend",
        &shipped("shock-linear.toml"),
        "--param",
        "price.shock",
        "--range",
        "-0.16..-0.14",
        "--param",
        "impact.lambda",
        "--range",
        "0.00005..0.00015",
        "--grid",
        "3",
        "--tolerance",
        "0.0000001",
        "--target",
        "accounts_liquidated<=3",
        "--format",
        "json",
        "--quiet",
    ]
    .map(String::from)
    .to_vec()
}

fn run(args: &[String]) -> (i32, String, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    levamp(&args)
}

/// A known monotone frontier (scenarios/shock-linear.toml): a shock `s`
/// takes the price to 100·(1 + s), liquidating the 20×, 10× and 7× longs
/// (42,000 ETH; the 7× falls at 86.14, so for every s ≤ −0.14); their sale
/// moves the price to 100·(1 + s) − 42,000·λ, and the 5× trader falls below
/// (300,000 − 57,000)/(3,000·0.995) = 81.40703…. So the largest λ keeping
/// 3 accounts liquidated is (100·(1 + s) − 81.40703…)/42,000, rounded down
/// to the 1e-7 grid: larger as the shock is milder.
#[test]
fn two_parameters_give_the_hand_computed_monotone_frontier() {
    let (code, out, err) = run(&frontier_args());
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["params"], json!(["price.shock", "impact.lambda"]));
    assert_eq!(doc["target"], "accounts_liquidated<=3");
    assert_eq!(doc["metric"], "accounts_liquidated");
    let lp5: f64 = (300_000.0 - 57_000.0) / (3_000.0 * 0.995);
    let frontier = doc["frontier"].as_array().unwrap();
    assert_eq!(frontier.len(), 3);
    let mut last = 0.0;
    for (point, shock) in frontier.iter().zip([-0.16, -0.15, -0.14]) {
        let expected = ((100.0 * (1.0 + shock) - lp5) / 42_000.0 * 1e7).floor() / 1e7;
        let v = &point["values"];
        assert_eq!(v["price.shock"].as_f64().unwrap(), shock);
        let lambda = v["impact.lambda"].as_f64().unwrap();
        assert!((lambda - expected).abs() < 1e-12, "{lambda} vs {expected}");
        assert!(lambda > last, "monotone");
        last = lambda;
        assert_eq!(point["estimate"], 3.0);
        assert_eq!(point["ci"], json!([3.0, 3.0]));
    }
    assert_eq!(
        frontier[1]["values"]["impact.lambda"].to_string(),
        "0.0000855"
    );
    let evals = doc["evaluations"].as_array().unwrap();
    assert!(evals.len() >= 3 * 12, "{}", evals.len());
    // Exact decimal text on each key's grid, as in the single-key JSON.
    assert_eq!(
        evals[0]["values"].to_string(),
        r#"{"price.shock":-0.16,"impact.lambda":0.0000500}"#
    );
}

/// A small random scenario (60 accounts, 30 steps).
const BASE: &str = "[run]\nseed = 1\npaths = 3\nsteps = 30\n[venue]\npreset = \"generic\"\ninsurance_fund = 1000\n\
[markets.ETHUSDT]\nbase = \"ETH\"\ntiers = [{ max_notional = 1e15, maintenance_margin_rate = 0.005, max_leverage = 100 }]\n\
[population]\naccounts = 60\nmarket = \"ETHUSDT\"\nleverage = { median = 20, sigma = 0.5, min = 2, max = 60 }\n\
[price]\nmodel = \"gbm\"\nstart = 2000\nsigma = 1.5\n[impact]\nmodel = \"linear\"\nlambda = 0.00001\n";

#[test]
fn the_frontier_is_the_same_on_one_and_two_threads() {
    let d = dir("threads");
    let base = d.join("base.toml");
    std::fs::write(&base, BASE).unwrap();
    let go = |threads: &str| {
        let args = [
            "recommend",
            base.to_str().unwrap(),
            "--param",
            "impact.lambda",
            "--range",
            "0.00001..0.00005",
            "--param",
            "population.leverage.max",
            "--range",
            "5..30",
            "--grid",
            "2",
            "--target",
            "liquidated_notional<=20000",
            "--paths",
            "8",
            "--seed",
            "4",
            "--threads",
            threads,
            "--format",
            "json",
            "--quiet",
        ];
        let (code, out, err) = levamp(&args);
        assert!(code == 0 || code == 1, "{code} {err}");
        out
    };
    let one = go("1");
    assert_eq!(one, go("2"));
    let doc: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(doc["frontier"].as_array().unwrap().len(), 2);
}

#[test]
fn table_and_report_show_the_frontier() {
    let d = dir("out");
    let mut args = frontier_args();
    let f = args.iter().position(|a| a == "json").unwrap();
    args[f] = "table".into();
    args.extend(["--out".into(), d.join("o").to_str().unwrap().into()]);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("frontier"), "{out}");
    assert!(out.contains("0.0000855"), "{out}");
    let html = std::fs::read_to_string(d.join("o/shock-linear-recommend/report.html")).unwrap();
    assert!(html.contains("Frontier"), "{html}");
    assert!(html.contains("<svg") && !html.contains("<script src"));
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("o/shock-linear-recommend/recommend.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(doc["frontier"].as_array().unwrap().len(), 3);
}

#[test]
fn bad_frontier_input_is_one_line_and_exit_2() {
    let s = shipped("shock-linear.toml");
    let base = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "recommend",
            &s,
            "--target",
            "accounts_liquidated<=3",
            "--format",
            "json",
            "--quiet",
        ]
        .map(String::from)
        .to_vec();
        a.extend(extra.iter().map(|x| x.to_string()));
        a
    };
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--param",
                "price.shock",
                "--param",
                "impact.lambda",
                "--range",
                "0.00005..0.00015",
            ],
            "--range: 1 given for 2 --param",
        ),
        (
            &[
                "--param",
                "impact.lambda",
                "--range",
                "0.00005..0.00015",
                "--range",
                "1..2",
            ],
            "--range: 2 given for 1 --param",
        ),
        (
            &[
                "--param",
                "impact.lambda",
                "--range",
                "0.00005..0.00015",
                "--param",
                "impact.lambda",
                "--range",
                "0.00005..0.00015",
            ],
            "--param impact.lambda: given twice",
        ),
        (
            &[
                "--param",
                "price.shock",
                "--range",
                "-0.16..-0.14",
                "--param",
                "impact.lambda",
                "--range",
                "0.00005..0.00015",
                "--grid",
                "1",
            ],
            "--grid: at least 2",
        ),
        (
            &[
                "--param",
                "impact.lambda",
                "--range",
                "0.00005..0.00015",
                "--grid",
                "3",
            ],
            "--grid: only with several --param",
        ),
        (
            &[
                "--param",
                "price.shock",
                "--range",
                "-0.16..x",
                "--param",
                "impact.lambda",
                "--range",
                "0.00005..0.00015",
            ],
            "--range (price.shock): LO and HI must be decimal numbers",
        ),
    ];
    for (extra, want) in cases {
        let (code, out, err) = run(&base(extra));
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(out.is_empty(), "{out}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(want), "{extra:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
