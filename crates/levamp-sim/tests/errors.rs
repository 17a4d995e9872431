//! Issue #9 (simulator): engine and model errors fail the path with its
//! step, refused agent commands are counted, insurance-fund depletion means
//! "the fund could not cover a deficit", and a long path's report stays
//! bounded.

use levamp_sim::run::run_path;
use levamp_sim::scenario::{parse, Scenario};
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use levamp_sim::summary::summary_json;
use std::path::Path;

/// ETHUSDT perps at `price`: isolated positions (size, margin) entered at `price`.
fn perps(price: &str, positions: &[(&str, &str)]) -> &'static str {
    let list: Vec<String> = positions
        .iter()
        .enumerate()
        .map(|(i, (size, margin))| format!(r#"{{"id": "a{i}", "positions": [{{"market": "ETHUSDT", "size": {size}, "entry_price": {price}, "margin_mode": "isolated", "isolated_margin": {margin}}}]}}"#))
        .collect();
    let text = format!(
        r#"{{"quote": "USDT", "prices": {{"ETH": {price}}},
            "markets": {{"ETHUSDT": {{"base": "ETH", "tiers": [{{"max_notional": null, "maintenance_margin_rate": 0.005, "max_leverage": 100}}]}}}},
            "accounts": [{}]}}"#,
        list.join(",")
    );
    Box::leak(text.into_boxed_str())
}

fn scenario(body: &str, accounts: &'static str) -> (Scenario, Sources) {
    let s = parse(body, "t", Path::new("mem")).unwrap_or_else(|e| panic!("{e}"));
    (s, Sources::disk().with("mem/a.json", accounts))
}

/// A −15 % shock on a 2,000 ETH long at 100 with 10,000 margin leaves a
/// 20,000 deficit; the 1,000 fund cannot cover it, so the venue
/// auto-deleverages the short — without touching the fund. The fund was
/// exhausted for that deficit: the path counts as depleted (it read 0 % when
/// depletion meant "the fund balance reached zero at a step's end").
#[test]
fn adl_past_the_fund_counts_as_depletion() {
    let body = "[run]\nsteps = 2\n[venue]\npreset = \"generic\"\ninsurance_fund = 1000\n[venue.rules]\nafter_insurance = \"auto_deleverage\"\n[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"shock\"\nstart = 100\nshock = -0.15\n";
    let (s, sources) = scenario(
        body,
        perps("100", &[("2000", "10000"), ("-2000", "100000")]),
    );
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(&s, &world, 0, false, true).unwrap();
    assert!(m.conserved);
    assert!(m.adl_count >= 1, "{m:?}");
    assert_eq!(m.insurance_fund_drawdown, 0.0);
    assert!(m.insurance_fund_depleted);
    let summary = summary_json(&[m]);
    assert_eq!(summary["risk"]["insurance_fund_depletion_probability"], 1.0);
}

/// A −1 % move liquidates no one: no deficit, no drawdown, no depletion.
#[test]
fn no_deficit_no_depletion() {
    let body = "[run]\nsteps = 2\n[venue]\npreset = \"generic\"\ninsurance_fund = 1000\n[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"shock\"\nstart = 100\nshock = -0.01\n";
    let (s, sources) = scenario(
        body,
        perps("100", &[("2000", "10000"), ("-2000", "100000")]),
    );
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(&s, &world, 0, false, true).unwrap();
    assert_eq!(
        (m.insurance_fund_drawdown, m.insurance_fund_depleted),
        (0.0, false)
    );
    assert_eq!(
        summary_json(&[m])["risk"]["insurance_fund_depletion_probability"],
        0.0
    );
}

/// One-year steps with a million jumps a year of mean log-size −5: the
/// drift that compensates them is ≈ +993,000 a year, so the first return is
/// e^988000 = ∞. It used to become one tick (a price of 1e-12,
/// silently); now the path fails naming its step and the model.
#[test]
fn an_infinite_model_return_fails_the_path_with_its_step() {
    let body = "[run]\nsteps = 3\ndt_s = 31536000\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"jump\"\nstart = 100\nintensity = 1000000\njump_mean = -5\njump_sigma = 0\n";
    let (s, sources) = scenario(body, perps("100", &[("1", "50")]));
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let e = run_path(&s, &world, 0, false, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "path 0 step 1: price model: not a finite number (NaN or infinite)"
    );
}

/// A short of 2e13 ETH at 1e12 (notional 2e25) watched by liquidators: a
/// +900 % move takes its notional past i128 at 12 decimals (≈1.7e26). The
/// liquidators' check used to read the overflow as "not liquidatable" and
/// drop the account; now the path fails at that step.
#[test]
fn an_overflow_in_the_liquidators_check_fails_the_path() {
    let body = "[run]\nsteps = 2\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"shock\"\nstart = 1000000000000\nshock = 9\n[agents.liquidators]\ncount = 1\ncapital = 1000\n";
    let accounts = perps(
        "1000000000000",
        &[("-20000000000000", "10000000000000000000000000")],
    );
    let (s, sources) = scenario(body, accounts);
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let e = run_path(&s, &world, 0, false, false).unwrap_err();
    assert!(e.to_string().starts_with("path 0 step 1: "), "{e}");
    assert!(e.to_string().contains("overflow"), "{e}");
}

/// Liquidators without capital cannot carry what they would take: the
/// venue refuses every attempt for margin. Those refusals are counted (they
/// used to vanish) and the account waits.
#[test]
fn refused_agent_commands_are_counted() {
    let body = "[run]\nsteps = 3\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"shock\"\nstart = 100\nshock = -0.15\n[agents.liquidators]\ncount = 2\ncapital = 0\n";
    let (s, sources) = scenario(body, perps("100", &[("2000", "10000")]));
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(&s, &world, 0, false, true).unwrap();
    assert_eq!(m.agents.agent_liquidations, 0);
    assert!(m.agents.refused_commands >= 2, "{:?}", m.agents);
    assert_eq!(m.agents.waiting, 1);
    assert_eq!(
        levamp_sim::summary::metric(&m, "refused_commands"),
        m.agents.refused_commands as f64
    );
}

/// 200,000 one-minute steps of one path keep at most 2,000 series records,
/// and the report stays under 1 MB (it was ~15 MB: every step drawn).
#[test]
fn a_long_path_has_a_bounded_series_and_report() {
    let body = "[run]\nsteps = 200000\nseries_paths = 1\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"gbm\"\nstart = 100\nsigma = 0.5\n";
    let (s, sources) = scenario(body, perps("100", &[("1", "50"), ("-1", "50")]));
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(&s, &world, 0, true, false).unwrap();
    let series = m.series.as_ref().unwrap();
    assert!(
        series.len() <= levamp_sim::series::MAX_POINTS,
        "{}",
        series.len()
    );
    let bucket = levamp_sim::series::bucket_steps(200_000);
    assert!(series.last().is_some_and(|r| r.step > 200_000 - bucket));
    let paths = [m];
    let metrics = levamp_sim::output::metrics_json(&s, &world, &paths);
    let html = levamp_sim::report::html(&s, &world, &paths, &metrics["summary"], 1.0);
    assert!(
        html.len() < 1_000_000,
        "report.html is {} bytes",
        html.len()
    );
}

/// Issue #10: `shock`, `lambda`, funding `rate` and agents' `capital` are
/// parsed once, at load, into fixed-point fields (no re-parsing in the
/// simulator): a value the fixed-point types cannot hold (13 decimals) is
/// refused when the scenario is read, naming the line and the key, never
/// mid-path.
#[test]
fn fixed_point_keys_are_parsed_once_at_load() {
    let base = "[run]\nsteps = 2\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"shock\"\nstart = 100\nshock = -0.15\n[impact]\nmodel = \"linear\"\nlambda = 0.001\n";
    let tiny = "0.0000000000001";
    let cases = [
        (
            base.replace("shock = -0.15", &format!("shock = -{tiny}")),
            ":10: price.shock",
        ),
        (
            base.replace("lambda = 0.001", &format!("lambda = {tiny}")),
            ":13: impact.lambda",
        ),
        (
            format!("{base}[funding]\nrate = {tiny}\n"),
            ":15: funding.rate",
        ),
        (
            format!("{base}[agents.liquidators]\ncapital = {tiny}\n"),
            ":15: agents.liquidators.capital",
        ),
        (
            format!("{base}[agents.liquidation_hunters]\ncapital = {tiny}\n"),
            ":15: agents.liquidation_hunters.capital",
        ),
    ];
    for (text, at) in cases {
        let e = parse(&text, "t", Path::new("mem")).expect_err(at);
        assert!(e.to_string().starts_with(at), "{at}: {e}");
    }
}
