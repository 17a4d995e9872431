//! Scenario variants: overrides are validated as the file is, and every
//! variant runs on the same exogenous paths (common random numbers).

use levamp_sim::ci::Statistic;
use levamp_sim::sources::Sources;
use levamp_sim::variants::{evaluate, Base};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::AtomicUsize;

fn base() -> Base {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/dynamic-margin.toml"
    ));
    Base::parse(path, &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn o(key: &str, v: Value) -> (String, Value) {
    (key.to_string(), v)
}

#[test]
fn overrides_are_validated_like_the_file() {
    let b = base();
    let msg = |ov: &[(String, Value)]| b.scenario(ov).map(|_| ()).unwrap_err().to_string();
    assert!(
        msg(&[o("venue.dynamic_margin.k", json!(-1))]).starts_with("venue.dynamic_margin.k: "),
        "{}",
        msg(&[o("venue.dynamic_margin.k", json!(-1))])
    );
    assert_eq!(
        msg(&[o("population.leverage.maxx", json!(20))]),
        "population.leverage.maxx: unknown field (did you mean \"max\"?)"
    );
    assert_eq!(
        msg(&[o("venu.preset", json!("generic"))]),
        "venu: unknown field (did you mean \"venue\"?)"
    );
    assert!(msg(&[o("population.long_share", json!(2))])
        .starts_with("population.long_share: must be between 0 and 1"),);
    let s = b
        .scenario(&[
            o("population.leverage.max", json!(20)),
            o("venue.dynamic_margin.k", json!(0)),
        ])
        .unwrap();
    match s.accounts {
        levamp_sim::scenario::Accounts::Population(p) => assert_eq!(p.leverage_max, 20.0),
        _ => panic!("population"),
    }
}

/// The exogenous price of every step of the paths that keep a series, and
/// the accounts liquidated on all paths.
fn exogenous(b: &Base, overrides: &[(String, Value)]) -> (Vec<Vec<f64>>, usize) {
    let e = evaluate(b, overrides, 99, 4, &Sources::disk(), &AtomicUsize::new(0)).unwrap();
    let series = e
        .paths
        .iter()
        .map(|p| {
            p.series
                .as_ref()
                .unwrap()
                .iter()
                .map(|r| r.exogenous)
                .collect()
        })
        .collect();
    (series, e.paths.iter().map(|p| p.accounts_liquidated).sum())
}

/// Equal series, or the first step where they differ.
fn same_paths(a: &[Vec<f64>], b: &[Vec<f64>]) {
    for (p, (x, y)) in a.iter().zip(b).enumerate() {
        if let Some(i) = x.iter().zip(y).position(|(u, v)| u != v) {
            panic!("path {p} step {i}: {} vs {}", x[i], y[i]);
        }
        assert_eq!(x.len(), y.len());
    }
}

#[test]
fn variants_share_the_exogenous_path() {
    let b = base();
    // Agents that draw random numbers only when the venue gives them a
    // reason (an account near liquidation, something to liquidate): what
    // they draw differs between designs, the outside price must not.
    let agents = [
        o("agents.traders.probability", json!(0.5)),
        o("agents.traders.warn_margin_ratio", json!(0.5)),
        o("agents.traders.top_up", json!(0.5)),
        o("agents.liquidators.count", json!(3)),
        o("agents.liquidators.capital", json!(2000000)),
        o("run.series_paths", json!(4)),
        o("run.steps", json!(90)),
        o("population.accounts", json!(250)),
    ];
    let with = |extra: &[(String, Value)]| -> Vec<(String, Value)> {
        agents
            .iter()
            .cloned()
            .chain(extra.iter().cloned())
            .collect()
    };
    let (static_venue, liquidated_static) =
        exogenous(&b, &with(&[o("venue.dynamic_margin.k", json!(0))]));
    let (dynamic, liquidated_dynamic) = exogenous(
        &b,
        &with(&[
            o("venue.dynamic_margin.k", json!(6)),
            o("venue.dynamic_margin.notice_s", json!(0)),
        ]),
    );
    let (fewer, _) = exogenous(&b, &with(&[o("population.accounts", json!(100))]));
    assert_eq!(static_venue.len(), 4);
    assert!(
        static_venue[0].windows(2).any(|w| w[0] != w[1]),
        "a random path"
    );
    same_paths(&static_venue, &dynamic);
    same_paths(&static_venue, &fewer);
    // ... and the designs do differ.
    assert_ne!(liquidated_static, liquidated_dynamic);
}

#[test]
fn statistics_equal_the_metrics_json_summary() {
    let b = base();
    let e = evaluate(&b, &[], 5, 12, &Sources::disk(), &AtomicUsize::new(0)).unwrap();
    let summary = levamp_sim::summary::summary_json(&e.paths);
    for name in levamp_sim::ci::names() {
        let st = Statistic::parse(&name).unwrap();
        let want = summary["risk"]
            .get(&name)
            .or_else(|| summary[&name].get("mean"))
            .and_then(Value::as_f64)
            .unwrap();
        assert_eq!(st.estimate(&st.values(&e.paths)), want, "{name}");
    }
}
