//! `levamp recommend` end to end: a known answer by hand, self-consistency
//! with `levamp sim`, determinism across thread counts, the JSON contract,
//! the report, SmartLTV, and bad input (one line, exit 2).

use serde_json::Value;
use std::path::{Path, PathBuf};
mod common;

fn levamp(args: &[&str]) -> (i32, String, String) {
    common::levamp(args, "")
}

fn dir(name: &str) -> PathBuf {
    common::fresh_dir("rec", name)
}

use common::shipped;

/// The shipped six-account cascade, λ searched to 1e-7.
fn lambda_args(scenario: &str) -> Vec<String> {
    [
        "recommend",
        scenario,
        "--param",
        "impact.lambda",
        "--range",
        "0.00005..0.00015",
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

fn run_json(args: &[String]) -> Value {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = levamp(&args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// A known answer (scenarios/shock-linear.toml): the −15 % shock takes the
/// price to 85 and liquidates the 20×, 10× and 7× longs (42,000 ETH); their
/// sale moves the price to 85 − 42,000·λ. The 5× trader (3,000 ETH, 57,000
/// USDT, maintenance 0.5 %) is liquidated below
/// (300,000 − 57,000) / (3,000 · 0.995) = 81.40703…, i.e. when
/// λ ≥ 3.59296… / 42,000 = 8.5547e-5. On a 1e-7 grid the largest λ that
/// keeps 3 accounts liquidated is 0.0000855; 0.0000856 liquidates a fourth.
#[test]
fn lambda_matches_the_hand_computed_cascade_threshold() {
    let lp5: f64 = (300_000.0 - 57_000.0) / (3_000.0 * 0.995);
    let threshold = (85.0 - lp5) / 42_000.0;
    let expected = (threshold * 1e7).floor() / 1e7;
    let doc = run_json(&lambda_args(&shipped("shock-linear.toml")));
    let value = doc["value"].as_f64().unwrap();
    assert!((value - expected).abs() < 1e-12, "{value} vs {expected}");
    assert_eq!(doc["value"].to_string(), "0.0000855");
    assert_eq!(doc["estimate"], 3.0);
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "param",
        "value",
        "target",
        "metric",
        "estimate",
        "ci",
        "evaluations",
    ] {
        assert!(keys.contains(&k), "{k} in {keys:?}");
    }
    assert_eq!(doc["target"], "accounts_liquidated<=3");
    let e = &doc["evaluations"][0];
    assert_eq!(e.as_object().unwrap().len(), 3, "{e}");
}

/// `levamp sim` at `lambda` on shock-linear: accounts liquidated.
fn sim_accounts_liquidated(d: &Path, lambda: &str) -> f64 {
    let text = std::fs::read_to_string(shipped("shock-linear.toml"))
        .unwrap()
        .replace("lambda = 0.0001 ", &format!("lambda = {lambda} "));
    assert!(text.contains(lambda));
    std::fs::write(
        d.join("accounts.json"),
        std::fs::read(shipped("accounts.json")).unwrap(),
    )
    .unwrap();
    let f = d.join("shock-linear.toml");
    std::fs::write(&f, text).unwrap();
    let out = d.join("out");
    let (code, _, err) = levamp(&[
        "sim",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--force",
    ]);
    assert_eq!(code, 0, "{err}");
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("shock-linear/metrics.json")).unwrap(),
    )
    .unwrap();
    m["summary"]["accounts_liquidated"]["mean"]
        .as_f64()
        .unwrap()
}

/// Self-consistency: `levamp sim` at the recommendation meets the target,
/// one search step past it does not.
#[test]
fn sim_at_the_recommendation_meets_and_one_step_past_does_not() {
    let d = dir("consistency");
    let doc = run_json(&lambda_args(&shipped("shock-linear.toml")));
    let value = doc["value"].to_string();
    assert_eq!(sim_accounts_liquidated(&d, &value), 3.0);
    assert_eq!(sim_accounts_liquidated(&d, "0.0000856"), 4.0);
}

/// A small random scenario (60 accounts, 30 steps).
const BASE: &str = "[run]\nseed = 1\npaths = 3\nsteps = 30\n[venue]\npreset = \"generic\"\ninsurance_fund = 1000\n\
[markets.ETHUSDT]\nbase = \"ETH\"\ntiers = [{ max_notional = 1e15, maintenance_margin_rate = 0.005, max_leverage = 100 }]\n\
[population]\naccounts = 60\nmarket = \"ETHUSDT\"\nleverage = { median = 20, sigma = 0.5, min = 2, max = 60 }\n\
[price]\nmodel = \"gbm\"\nstart = 2000\nsigma = 1.5\n[impact]\nmodel = \"linear\"\nlambda = 0.00001\n";

fn mc_args(base: &str, threads: &str) -> Vec<String> {
    [
        "recommend",
        base,
        "--param",
        "population.leverage.max",
        "--range",
        "5..30",
        "--target",
        "liquidated_notional<=20000",
        "--paths",
        "12",
        "--seed",
        "4",
        "--threads",
        threads,
        "--format",
        "json",
        "--quiet",
    ]
    .map(String::from)
    .to_vec()
}

/// Each evaluation's estimate is the metric `levamp sim --seed S --paths N`
/// reports with the value set; the answer is the same whatever --threads.
#[test]
fn evaluations_are_sim_runs_and_threads_do_not_matter() {
    let d = dir("mc");
    let base = d.join("base.toml");
    std::fs::write(&base, BASE).unwrap();
    let run = |threads: &str| {
        let args = mc_args(base.to_str().unwrap(), threads);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = levamp(&args);
        assert!(code == 0 || code == 1, "{code} {err}");
        out
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    let doc: Value = serde_json::from_str(&one).unwrap();
    let e = &doc["evaluations"][1];
    assert_eq!(e["value"].to_string(), "30");
    let varied = d.join("varied.toml");
    std::fs::write(&varied, BASE.replace("max = 60", "max = 30")).unwrap();
    let out = d.join("out");
    let (code, _, err) = levamp(&[
        "sim",
        varied.to_str().unwrap(),
        "--seed",
        "4",
        "--paths",
        "12",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("varied/metrics.json")).unwrap())
            .unwrap();
    assert_eq!(
        e["estimate"].as_f64().unwrap(),
        m["summary"]["liquidated_notional"]["mean"]
            .as_f64()
            .unwrap()
    );
}

#[test]
fn out_writes_a_self_contained_report() {
    let d = dir("out");
    let mut args = lambda_args(&shipped("shock-linear.toml"));
    args.extend(["--out".into(), d.join("o").to_str().unwrap().into()]);
    run_json(&args);
    let html = std::fs::read_to_string(d.join("o/shock-linear-recommend/report.html")).unwrap();
    assert!(
        html.contains("Recommended impact.lambda = 0.0000855"),
        "{html}"
    );
    assert!(html.contains("<svg") && !html.contains("<script src"));
    assert!(d.join("o/shock-linear-recommend/recommend.json").exists());
}

#[test]
fn no_answer_on_the_range_exits_1_and_says_why() {
    let mut args = lambda_args(&shipped("shock-linear.toml"));
    args[9] = "accounts_liquidated<=10".into();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = levamp(&args);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the whole range meets accounts_liquidated<=10"),
        "{err}"
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(doc["value"].is_null());
}

/// SmartLTV, golden: backstop-protocol/smart-ltv test/unit/core/SmartLTV.t.sol
/// `testLTVCalculationExact` (L 1M, σ 0.10, D 200k, β 0.05, C 3 → 0.82444657).
#[test]
fn smart_ltv_matches_the_contracts_test() {
    let (code, out, err) = levamp(&[
        "recommend",
        "--method",
        "smart-ltv",
        "--sigma",
        "0.1",
        "--liquidity",
        "1000000",
        "--debt",
        "200000",
        "--slippage",
        "0.05",
        "--confidence",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["method"], "smart-ltv");
    assert!((doc["value"].as_f64().unwrap() - 0.824_446_57).abs() < 1e-8);
    assert_eq!(doc["inputs"]["debt"], 200000.0);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let s = shipped("shock-linear.toml");
    let cases: &[(&[&str], &str)] = &[
        (&["--param", "impact.lambdaa"], "did you mean \"lambda\""),
        (&["--param", "price.model"], "not a numeric key"),
        (
            &["--range", "0.0002..0.0001"],
            "--range: LO must be below HI",
        ),
        (
            &["--range", "0.0001..0.0001"],
            "--range: LO must be below HI",
        ),
        (
            &["--range", "1..x"],
            "--range: LO and HI must be decimal numbers",
        ),
        (
            &["--target", "accounts_liquidated=3"],
            "--target: expected METRIC<=VALUE",
        ),
        (&["--target", "liquidated<=3"], "unknown metric"),
        (&["--tolerance", "-1"], "--tolerance"),
    ];
    for (over, want) in cases {
        let mut args = lambda_args(&s);
        for pair in over.chunks(2) {
            let i = args.iter().position(|a| a == pair[0]).unwrap();
            args[i + 1] = pair[1].to_string();
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = levamp(&args);
        assert_eq!(code, 2, "{over:?}: {err}");
        assert!(out.is_empty(), "{out}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(want), "{over:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// SmartLTV beside the simulator (scenarios/smart-ltv.toml, docs/recommend.md):
/// the WETH liquidation threshold searched against P(bad debt) ≤ 5 % (150
/// paths, coarse) and the closed form on the scenario's σ (one step), L
/// (liquidity at β under λ), D and β with C = 1.645 (5 % one-sided). The
/// simulator's conservative answer is below the closed form's 0.9087 and
/// within 0.05 of it.
#[test]
fn smart_ltv_and_the_simulator_agree_on_the_comparison_scenario() {
    let doc = run_json(
        &[
            "recommend",
            &shipped("smart-ltv.toml"),
            "--param",
            "assets.WETH.liquidation_threshold",
            "--range",
            "0.50..0.95",
            "--tolerance",
            "0.02",
            "--target",
            "probability_of_bad_debt<=0.05",
            "--paths",
            "150",
            "--format",
            "json",
            "--quiet",
        ]
        .map(String::from),
    );
    let sim = doc["value"].as_f64().unwrap();
    let (code, out, err) = levamp(&[
        "recommend",
        "--method",
        "smart-ltv",
        "--sigma",
        "0.05",
        "--liquidity",
        "4000000",
        "--debt",
        "1050000",
        "--slippage",
        "0.05",
        "--confidence",
        "1.645",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let closed: Value = serde_json::from_str(&out).unwrap();
    let closed = closed["value"].as_f64().unwrap();
    assert!((closed - 0.908_735).abs() < 1e-6, "{closed}");
    assert!(
        sim <= closed && closed - sim < 0.05,
        "sim {sim} vs smart-ltv {closed}"
    );
}
