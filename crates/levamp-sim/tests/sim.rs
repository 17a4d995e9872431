//! The simulator: the analytic cascade fixed point, determinism across
//! thread counts, conservation after every step, every model combination.

use levamp_core::{Base, Price, Round};
use levamp_engine::liquidation_price;
use levamp_sim::run::run_path;
use levamp_sim::scenario::parse;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use levamp_sim::summary::simulate;
use std::path::Path;
use std::sync::atomic::AtomicUsize;

/// Long-only snapshot: account i holds `size` ETH from 100 with margin `m`.
fn snapshot(accounts: &[(&str, &str)]) -> &'static str {
    let list: Vec<String> = accounts
        .iter()
        .enumerate()
        .map(|(i, (size, margin))| format!(r#"{{"id": "a{i}", "positions": [{{"market": "ETHUSDT", "size": {size}, "entry_price": 100, "margin_mode": "isolated", "isolated_margin": {margin}}}]}}"#))
        .collect();
    let text = format!(
        r#"{{"quote": "USDT", "prices": {{"ETH": 100}},
            "markets": {{"ETHUSDT": {{"base": "ETH", "tiers": [{{"max_notional": null, "maintenance_margin_rate": 0.005, "max_leverage": 100}}]}}}},
            "accounts": [{}]}}"#,
        list.join(",")
    );
    Box::leak(text.into_boxed_str())
}

fn scenario(body: &str, accounts: &'static str) -> (levamp_sim::scenario::Scenario, Sources) {
    let s = parse(body, "t", Path::new("mem")).unwrap_or_else(|e| panic!("{e}"));
    (s, Sources::disk().with("mem/accounts.json", accounts))
}

const SHOCK: &str = "[run]\nseed = 7\npaths = 1\nsteps = 3\ndt_s = 60\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nmodel = \"shock\"\nstart = 100.0\nshock = -0.15\nshock_steps = 1\n[impact]\nmodel = \"linear\"\nlambda = 0.001\n[oracle]\nlatency_steps = 0\n";

/// Issue #5's analytic check: with only liquidations, linear impact λ and an
/// instant oracle, the price settles on the fixed point
/// p* = p0·(1 + shock) − λ·Σ{qᵢ : liquidation price of i ≥ p*}.
#[test]
fn cascade_lands_on_the_analytic_fixed_point() {
    // Isolated longs of 1,000–4,000 ETH at 100 with leverage from 20× to 4×
    // (and a deep one that must survive): liquidation prices spread below 85.
    let accounts = snapshot(&[
        ("2000", "10000"),
        ("1500", "12500"),
        ("3000", "30000"),
        ("2500", "27500"),
        ("4000", "50000"),
        ("1000", "15000"),
        ("1000", "20000"),
        ("1000", "25000"),
        ("1000", "90000"),
    ]);
    let (s, sources) = scenario(SHOCK, accounts);
    let world = build(&s, &sources).unwrap();
    // Independent computation: liquidation prices from the margin model, then the fixed point.
    let ctx = world.venue.context();
    let mut lps: Vec<(Price, Base)> = world
        .venue
        .accounts()
        .iter()
        .skip(1)
        .filter(|a| !a.positions.is_empty())
        .map(|a| {
            (
                liquidation_price(a, 0, &ctx).unwrap().unwrap(),
                a.positions[0].size,
            )
        })
        .collect();
    lps.sort();
    let p1: Price = "85".parse().unwrap();
    let lambda: Price = "0.001".parse().unwrap();
    let mut p = p1;
    loop {
        let sold = lps
            .iter()
            .filter(|(lp, _)| *lp >= p)
            .fold(Base::ZERO, |s, (_, q)| s.checked_add(*q).unwrap());
        let next = Price::from_raw(
            p1.raw()
                - levamp_core::mul_div(lambda.raw(), sold.raw(), levamp_core::SCALE, Round::Ceil)
                    .unwrap(),
        );
        if next == p {
            break;
        }
        p = next;
    }
    let liquidated = lps.iter().filter(|(lp, _)| *lp >= p).count();
    assert!(
        liquidated >= 4 && liquidated < lps.len(),
        "the test population must cascade part-way: {liquidated} of {}",
        lps.len()
    );
    let m = run_path(&s, &world, 0, true, true).unwrap();
    assert_eq!(
        m.final_price,
        p.to_f64_lossy(),
        "simulator {} vs fixed point {p}",
        m.final_price
    );
    assert_eq!(m.accounts_liquidated, liquidated);
    assert!(m.rounds >= 2, "a cascade, not a single round: {}", m.rounds);
    assert!(m.conserved);
    assert!(m.cascade_amplification > 1.0);
}

const MC: &str = "[run]\nseed = 11\npaths = 12\nsteps = 240\ndt_s = 60\nseries_paths = 3\n[venue]\npreset = \"binance-usdm\"\ninsurance_fund = 100000\n[population]\naccounts = 400\nmarket = \"BTCUSDT\"\nlong_share = 0.6\nisolated_share = 0.4\nleverage = { median = 15, sigma = 0.8, min = 1, max = 100 }\nnotional = { min = 5000, alpha = 1.3, max = 5000000 }\n[price]\nmodel = \"jump\"\nstart = 60000\nsigma = 1.2\nintensity = 2000\njump_mean = -0.02\njump_sigma = 0.02\n[impact]\nmodel = \"depth\"\npoints = [[0.01, 2e6], [0.02, 5e6], [0.05, 2e7]]\nresilience = 0.2\n";

#[test]
fn monte_carlo_is_identical_whatever_the_thread_count() {
    let (s, sources) = scenario(MC, "");
    let world = build(&s, &sources).unwrap();
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let one = pool(1).install(|| simulate(&s, &world, &AtomicUsize::new(0)).unwrap());
    let many = pool(4).install(|| simulate(&s, &world, &AtomicUsize::new(0)).unwrap());
    assert_eq!(one, many);
    assert!(
        one.iter().any(|m| m.liquidated_notional > 0.0),
        "the scenario liquidates"
    );
    // Different seeds give different paths.
    let mut other = s.clone();
    other.run.seed = 12;
    assert_ne!(simulate(&other, &world, &AtomicUsize::new(0)).unwrap(), one);
}

#[test]
fn every_model_runs_and_conserves_value() {
    let prices = [
        "model = \"shock\"\nshock = -0.3\nshock_steps = 5",
        "model = \"gbm\"\nsigma = 2.0",
        "model = \"jump\"\nsigma = 1.0\nintensity = 5000\njump_mean = -0.03",
        "model = \"garch\"\nomega = 0.00001\nalpha = 0.1\nbeta = 0.85",
    ];
    let impacts = [
        "model = \"none\"",
        "model = \"linear\"\nlambda = 0.01",
        "model = \"sqrt\"\ny = 1\ndaily_sigma = 0.05\ndaily_volume = 1000",
        "model = \"depth\"\npoints = [[0.01, 1e6], [0.03, 5e6]]",
        "model = \"amm\"\nbase_reserve = 500",
    ];
    for (i, price) in prices.iter().enumerate() {
        for (j, impact) in impacts.iter().enumerate() {
            let body = MC
                .replace("paths = 12", "paths = 1")
                .replace("steps = 240", "steps = 60")
                .replace("accounts = 400", "accounts = 60");
            let body = body.split("[price]").next().unwrap().to_string() + &format!("[price]\nstart = 60000\n{price}\n[impact]\n{impact}\n[oracle]\nlatency_steps = {}\n", (i + j) % 3);
            let (s, sources) = scenario(&body, "");
            let world = build(&s, &sources).unwrap_or_else(|e| panic!("{price} / {impact}: {e}"));
            let m = run_path(&s, &world, 0, true, true).unwrap();
            assert!(m.conserved, "{price} / {impact}: conservation");
            assert!(m.final_price > 0.0 && m.series.as_ref().is_some_and(|s| s.len() == 60));
        }
    }
}

#[test]
fn replay_follows_the_csv() {
    let csv = "open_time,close\n0,100\n60,90\n120,80\n180,95\n";
    let body = SHOCK
        .replace(
            "model = \"shock\"\nstart = 100.0\nshock = -0.15\nshock_steps = 1",
            "model = \"replay\"\ncsv = \"p.csv\"\nstart = 100",
        )
        .replace("lambda = 0.001", "lambda = 0");
    let s = parse(&body, "t", Path::new("mem")).unwrap();
    let sources = Sources::disk()
        .with("mem/accounts.json", snapshot(&[("1", "50")]))
        .with("mem/p.csv", csv);
    let world = build(&s, &sources).unwrap();
    let m = run_path(&s, &world, 0, true, true).unwrap();
    let prices: Vec<f64> = m.series.unwrap().iter().map(|r| r.price).collect();
    assert_eq!(prices, vec![90.0, 80.0, 95.0]);
}

/// A 30 % crash over 10 steps on a generic venue (losses recorded as bad
/// debt) with a 1 % liquidation fee, half of it to external liquidators.
fn agents_scenario(agents: &str) -> (levamp_sim::scenario::Scenario, Sources) {
    let body = format!(
        "[run]\nseed = 5\npaths = 1\nsteps = 30\ndt_s = 60\n[venue]\npreset = \"generic\"\nrules = {{ liquidation = {{ liquidator_share = 0.5 }} }}\n[markets.ETHUSDT]\nbase = \"ETH\"\nliquidation_fee_rate = 0.01\ntiers = [{{ max_notional = 1e15, maintenance_margin_rate = 0.005, max_leverage = 100 }}]\n[population]\naccounts = 300\nmarket = \"ETHUSDT\"\nlong_share = 1.0\nleverage = {{ median = 15, sigma = 0.5, min = 2, max = 50 }}\nnotional = {{ min = 1000, alpha = 1.5, max = 100000 }}\nentry_dispersion = 0.01\n[price]\nmodel = \"shock\"\nstart = 100\nshock = -0.3\nshock_steps = 10\n[impact]\nmodel = \"none\"\n{agents}"
    );
    scenario(&body, "")
}

#[test]
fn slow_liquidators_leave_more_bad_debt() {
    let run = |agents: &str| {
        let (s, sources) = agents_scenario(agents);
        let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
        run_path(&s, &world, 0, false, true).unwrap()
    };
    let venue = run("");
    let fast = run("[agents.liquidators]\ncount = 3\ncapital = 10000000\nlatency_steps = 0");
    let slow = run("[agents.liquidators]\ncount = 3\ncapital = 10000000\nlatency_steps = 3");
    assert!(venue.conserved && fast.conserved && slow.conserved);
    assert_eq!(venue.agents.agent_liquidations, 0);
    assert!(fast.agents.agent_liquidations > 10, "{:?}", fast.agents);
    assert!(
        slow.bad_debt > fast.bad_debt,
        "latency costs: {} vs {}",
        slow.bad_debt,
        fast.bad_debt
    );
    // Liquidators without the capital to carry a position leave scopes waiting.
    let broke = run("[agents.liquidators]\ncount = 1\ncapital = 1\nlatency_steps = 0");
    assert_eq!(broke.agents.agent_liquidations, 0);
    assert!(broke.agents.waiting > 0);
}

#[test]
fn traders_who_top_up_are_liquidated_less() {
    let run = |agents: &str| {
        let (s, sources) = agents_scenario(agents);
        let world = build(&s, &sources).unwrap();
        run_path(&s, &world, 0, false, true).unwrap()
    };
    let passive = run("");
    let careful = run("[agents.traders]\nprobability = 1.0\nwarn_margin_ratio = 0.1\ntop_up = 2.0");
    assert!(careful.conserved);
    assert!(careful.agents.top_ups > 0);
    assert!(
        careful.accounts_liquidated < passive.accounts_liquidated,
        "{} vs {}",
        careful.accounts_liquidated,
        passive.accounts_liquidated
    );
}

#[test]
fn unknown_agents_and_keys_are_refused_clearly() {
    let e = parse("[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"gbm\"\n[agents.market_makers]\nwiden = 2\n", "t", Path::new(".")).unwrap_err();
    assert!(
        e.to_string()
            .contains("agents.market_makers.widen: unknown field"),
        "{e}"
    );
    let e = parse(
        "[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"gbm\"\n[agents.liquidatorz]\n",
        "t",
        Path::new("."),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("did you mean \"liquidators\""),
        "{e}"
    );
}

/// A Chainlink-style deviation threshold hides a 15 % move below it: no
/// oracle update, no liquidation; below the move, the cascade happens.
#[test]
fn oracle_deviation_threshold_gates_liquidations() {
    let accounts = snapshot(&[("2000", "10000"), ("1500", "12500")]);
    let run = |oracle: &str| {
        let (s, sources) = scenario(
            &SHOCK.replace("[oracle]\nlatency_steps = 0\n", oracle),
            accounts,
        );
        let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
        run_path(&s, &world, 0, true, true).unwrap()
    };
    assert_eq!(run("[oracle]\ndeviation = 0.2\n").accounts_liquidated, 0);
    assert_eq!(run("[oracle]\ndeviation = 0.1\n").accounts_liquidated, 2);
    // A heartbeat publishes even a small move eventually (here at once: 60 s ≥ 60 s).
    assert_eq!(
        run("[oracle]\ndeviation = 0.2\nheartbeat_s = 60\n").accounts_liquidated,
        2
    );
}

/// Funding on the market's interval: a fixed rate moves value from longs to
/// shorts; from the premium, a market pushed below the outside price by
/// liquidations makes shorts pay, and basis traders unwind (buy back).
#[test]
fn funding_and_basis_traders() {
    let body = |funding: &str, agents: &str| {
        format!(
            "[run]\nseed = 5\npaths = 1\nsteps = 180\ndt_s = 60\n[venue]\npreset = \"generic\"\n[markets.ETHUSDT]\nbase = \"ETH\"\nfunding_interval_s = 3600\ntiers = [{{ max_notional = 1e15, maintenance_margin_rate = 0.005, max_leverage = 100 }}]\n[population]\naccounts = 200\nmarket = \"ETHUSDT\"\nlong_share = 1.0\nleverage = {{ median = 10, sigma = 0.5, min = 2, max = 50 }}\nnotional = {{ min = 1000, alpha = 1.5, max = 100000 }}\n[price]\nmodel = \"shock\"\nstart = 100\nshock = -0.2\nshock_steps = 5\nshock_start = 30\n[impact]\nmodel = \"linear\"\nlambda = 0.0005\n{funding}\n{agents}"
        )
    };
    let run = |text: String| {
        let (s, sources) = scenario(&text, "");
        let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
        run_path(&s, &world, 0, false, true).unwrap()
    };
    let none = run(body("", ""));
    assert_eq!(none.funding_paid, 0.0);
    // A fixed 0.1 % per hour: the longs pay every hour (3 settlements).
    let fixed = run(body("[funding]\nrate = 0.001", ""));
    assert!(
        fixed.conserved && fixed.funding_paid > 0.0,
        "{}",
        fixed.funding_paid
    );
    // From the premium: liquidations push the market below the outside price,
    // the rate turns negative, shorts pay, and the basis traders buy back.
    let basis = run(body("[funding]", "[agents.basis_traders]\naccounts = 5\nnotional = 50000\nleverage = 3\nunwind_below = -0.00001"));
    assert!(basis.conserved);
    assert!(basis.funding_paid > 0.0);
    assert!(basis.agents.basis_unwound > 0.0, "{:?}", basis.agents);
    assert!(
        basis.final_price > none.final_price,
        "their buying lifts the price: {} vs {}",
        basis.final_price,
        none.final_price
    );
}

/// With the outside price flat, a liquidation hunter's push into a dense
/// cluster of long liquidation prices sets a cascade off; without it nothing
/// happens.
#[test]
fn liquidation_hunters_set_cascades_off() {
    let body = |agents: &str| {
        format!(
            "[run]\nseed = 9\npaths = 1\nsteps = 20\ndt_s = 60\n[venue]\npreset = \"generic\"\n[markets.ETHUSDT]\nbase = \"ETH\"\ntiers = [{{ max_notional = 1e15, maintenance_margin_rate = 0.005, max_leverage = 100 }}]\n[population]\naccounts = 300\nmarket = \"ETHUSDT\"\nlong_share = 1.0\nleverage = {{ median = 30, sigma = 0.2, min = 20, max = 50 }}\nnotional = {{ min = 10000, alpha = 2.0, max = 100000 }}\nentry_dispersion = 0.001\n[price]\nmodel = \"shock\"\nstart = 100\nshock = 0\n[impact]\nmodel = \"linear\"\nlambda = 0.0002\n{agents}"
        )
    };
    let run = |text: String| {
        let (s, sources) = scenario(&text, "");
        let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
        run_path(&s, &world, 0, false, true).unwrap()
    };
    let quiet = run(body(""));
    assert_eq!(quiet.accounts_liquidated, 0);
    let hunted = run(body(
        "[agents.liquidation_hunters]\ncapital = 10000000\nreach = 0.05\npush = 10000\ntrigger = 1",
    ));
    assert!(hunted.conserved);
    assert!(hunted.agents.hunts >= 1, "{:?}", hunted.agents);
    assert!(
        hunted.accounts_liquidated > 0,
        "the push triggers liquidations"
    );
    assert!(hunted.min_price < 100.0);
    // Traders who top up (5 × equity, at once) move their liquidation prices
    // out of reach before the hunter looks: a hunter refreshing its map
    // every step sees no cluster; one reading the start's map still pushes.
    let careful = "[agents.traders]\nprobability = 1.0\nwarn_margin_ratio = 0.01\ntop_up = 5.0\n";
    let hunter = "[agents.liquidation_hunters]\ncapital = 10000000\nreach = 0.05\npush = 10000\ntrigger = 1\n";
    let live = run(body(&format!("{careful}{hunter}")));
    assert_eq!(live.agents.hunts, 0, "{:?}", live.agents);
    let stale = run(body(&format!("{careful}{hunter}refresh_steps = 0\n")));
    assert!(stale.agents.hunts >= 1, "{:?}", stale.agents);
    assert!(live.conserved && stale.conserved);
}

/// Reset, don't clone (issue #10): a worker runs path after path on one
/// venue, restoring it in between; every path equals the same path run on a
/// fresh copy of the world's venue — with every agent type trading, so the
/// restore has positions, balances, accounts liquidated by the venue and by
/// liquidators, and the liquidation index to undo.
#[test]
fn a_worker_restores_the_venue_between_paths() {
    let agents = "[agents.traders]\nprobability = 0.5\n[agents.liquidators]\ncount = 2\ncapital = 10000000\nlatency_steps = 1\n[agents.liquidation_hunters]\ncapital = 1000000\npush = 50\n[agents.market_makers]\ndepth = 20\n[agents.arbitrageurs]\ncapital = 100000\n";
    let (mut s, sources) = agents_scenario(agents);
    s.price = levamp_sim::scenario::PriceModel::Jump {
        mu: 0.0,
        sigma: 2.0,
        intensity: 5000.0,
        jump_mean: -0.02,
        jump_sigma: 0.02,
    };
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let fresh: Vec<_> = (0..6)
        .map(|path| run_path(&s, &world, path, true, false).unwrap())
        .collect();
    assert!(
        fresh.iter().any(|m| m.accounts_liquidated > 0),
        "the paths liquidate"
    );
    // One worker restores its venue after every path.
    let mut worker = levamp_sim::run::Worker::new(&world);
    for (path, fresh) in fresh.iter().enumerate() {
        let reused = worker.run(&s, &world, path, true, false).unwrap();
        assert_eq!(&reused, fresh, "path {path}");
    }
}

/// Issue #11: the report's price fan and metrics.json's `price_quantiles`
/// cover every path, not only those that keep a series: with one series
/// path they are the same as with every path keeping one; the last bucket
/// (the close of the last step) is the nearest-rank p5/p50/p95 of the
/// paths' final prices.
#[test]
fn price_fan_covers_every_path() {
    let (mut s, sources) = scenario(MC, "");
    let world = build(&s, &sources).unwrap();
    let mut fan = |series_paths| {
        s.run.series_paths = series_paths;
        let paths = simulate(&s, &world, &AtomicUsize::new(0)).unwrap();
        let metrics = levamp_sim::output::metrics_json(&s, &world, &paths);
        let html = levamp_sim::report::html(&s, &world, &paths, &metrics["summary"], 1.0);
        let from = html.find("<h2>What happened</h2>").expect("time charts");
        let to = from + html[from..].find("</svg>").expect("price chart");
        (metrics, html[from..to].to_string())
    };
    let (one, chart_one) = fan(1);
    let (all, chart_all) = fan(12);
    assert_eq!(
        chart_one, chart_all,
        "the fan does not depend on series_paths"
    );
    assert!(chart_one.contains("12 paths"), "{chart_one}");
    assert_eq!(one["price_quantiles"], all["price_quantiles"]);
    let buckets = one["price_quantiles"].as_array().expect("price_quantiles");
    assert_eq!(buckets.len(), 240, "240 steps: one bucket per step");
    let last = &buckets[239];
    let finals = &one["summary"]["final_price"];
    assert_eq!(last["step"], 240);
    for q in ["p5", "p50", "p95"] {
        assert_eq!(last[q], finals[q], "{q}");
    }
    assert!(
        last["p5"].as_f64() < last["p95"].as_f64(),
        "the paths differ"
    );
}
