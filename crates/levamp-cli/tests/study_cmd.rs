//! `levamp study` end to end: study.json's contract, the report, and bad
//! studies (one line naming file, line and key; exit 2; nothing written).

use serde_json::Value;
use std::path::PathBuf;
mod common;

fn levamp(args: &[&str]) -> (i32, String, String) {
    common::levamp(args, "")
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("levamp-study-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A small random scenario: a GBM market with a leveraged population.
const BASE: &str = "[run]\nseed = 1\npaths = 3\nsteps = 30\n[venue]\npreset = \"generic\"\ninsurance_fund = 1000\n\
[markets.ETHUSDT]\nbase = \"ETH\"\ntiers = [{ max_notional = 1e15, maintenance_margin_rate = 0.005, max_leverage = 100 }]\n\
[population]\naccounts = 60\nmarket = \"ETHUSDT\"\nleverage = { median = 20, sigma = 0.5, min = 2, max = 60 }\n\
[price]\nmodel = \"gbm\"\nstart = 2000\nsigma = 1.5\n[impact]\nmodel = \"linear\"\nlambda = 0.00001\n";

const STUDY: &str = "base = \"base.toml\"\npaths = 6\nseed = 4\n[variants]\npopulation.leverage.max = [10, 60]\n\
[frontier]\nx = \"max_leverage\"\ny = \"liquidated_notional\"\ntarget = \"liquidated_notional <= 1e12\"\n";

fn write(name: &str, study: &str) -> (PathBuf, PathBuf) {
    let d = dir(name);
    std::fs::write(d.join("base.toml"), BASE).unwrap();
    let p = d.join("lev.toml");
    std::fs::write(&p, study).unwrap();
    (p, d.join("out"))
}

#[test]
fn study_writes_json_and_report() {
    let (study, out) = write("ok", STUDY);
    let (code, stdout, stderr) = levamp(&[
        "study",
        study.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("max=10") && stdout.contains("report: "),
        "{stdout}"
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("lev/study.json")).unwrap())
            .unwrap();
    assert_eq!(
        (
            doc["study"].as_str(),
            doc["paths"].as_u64(),
            doc["seed"].as_u64()
        ),
        (Some("lev"), Some(6), Some(4))
    );
    let v = doc["variants"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[1]["overrides"]["population.leverage.max"], 60);
    assert_eq!(v[0]["frontier"]["x"]["estimate"], 10.0);
    assert_eq!(v[1]["frontier"]["x"]["estimate"], 60.0);
    for variant in v {
        let m = variant["metrics"]["liquidated_notional"].as_f64().unwrap();
        let ci = &variant["ci"]["liquidated_notional"];
        assert!(
            ci[0].as_f64().unwrap() <= m && m <= ci[1].as_f64().unwrap(),
            "{variant}"
        );
    }
    // More leverage, more liquidated: the study sees the design's effect.
    assert!(
        v[1]["metrics"]["liquidated_notional"].as_f64()
            > v[0]["metrics"]["liquidated_notional"].as_f64()
    );
    assert_eq!(doc["frontier"]["best"], "max=60");
    let html = std::fs::read_to_string(out.join("lev/report.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("Best under the target"),
        "report"
    );
    assert!(out.join("lev/.levamp-result").exists());
    // Same seed, same study: identical, whatever the thread count.
    let (code, _, stderr) = levamp(&[
        "study",
        study.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--threads",
        "1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("lev/study.json")).unwrap())
            .unwrap();
    assert_eq!(doc, again);
}

#[test]
fn bad_studies_fail_in_one_line_and_write_nothing() {
    let cases = [
        (
            STUDY.replace("population.leverage.max = [10, 60]", "population.leverage.maxx = [10]"),
            "lev.toml: variant 1 (maxx=10): population.leverage.maxx: unknown field (did you mean \"max\"?)",
        ),
        (
            STUDY.replace("[10, 60]", "[10, 2000]"),
            "variant 2 (max=2000): population.leverage.max: must be between 1 and 1000, got 2000",
        ),
        (
            STUDY.replace("y = \"liquidated_notional\"", "y = \"bad_debt_var99\""),
            "lev.toml:8: frontier.y: unknown metric \"bad_debt_var99\" (did you mean \"bad_debt_var_99\"?)",
        ),
        (
            STUDY.replace("[10, 60]", "10"),
            "lev.toml:5: variants.population.leverage.max: must be a non-empty list of the values to try",
        ),
        (STUDY.replace("base.toml", "nope.toml"), "nope.toml"),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let (study, out) = write(&format!("bad{i}"), text);
        let (code, stdout, stderr) = levamp(&[
            "study",
            study.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        assert_eq!(code, 2, "{text}\n{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(want), "want {want:?}, got {stderr}");
        assert!(stdout.is_empty());
        assert!(!out.join("lev").exists(), "nothing written");
    }
}
