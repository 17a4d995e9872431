//! The flat isolated book (`levamp_sim::flat`) against the engine: the
//! same scenario run with the fast path and with it switched off
//! (`world.flat = None`) must give the same metrics, digit for digit —
//! random books (longs and shorts, tiny and large sizes, tiers with a
//! maintenance amount, penalties, insurance funds small enough to run out)
//! under random prices, impact and round caps.

use levamp_sim::run::{run_path, PathMetrics};
use levamp_sim::scenario::{parse, Scenario};
use levamp_sim::setup::{build, World};
use levamp_sim::sources::Sources;
use proptest::prelude::*;
use std::path::Path;

/// One account: (long?, size, entry, leverage, cross?).
type Acct = (bool, f64, f64, f64, bool);

/// A book over `accounts` in a two-tier market (cap 300); `jump`: the
/// requirement jumps at the cap by `amount` − 300 × rate (else continuous).
fn snapshot(accounts: &[Acct], mmr: f64, fee: f64, (amount, jump): (f64, bool)) -> &'static str {
    let mmr = (mmr * 1e4).round() / 1e4;
    let mmr2 = mmr * 2.0;
    let list: Vec<String> = accounts
        .iter()
        .enumerate()
        .map(|(i, &(long, size, entry, lev, cross))| {
            let margin = (size * entry / lev * 100.0).ceil() / 100.0;
            let size = if long { size } else { -size };
            match cross {
                // A cross account's wallet is its margin.
                true => format!(
                    r#"{{"id": "a{i}", "collateral": {{"USDT": {margin:.2}}}, "positions": [{{"market": "ETHUSDT", "size": {size:.8}, "entry_price": {entry:.4}, "margin_mode": "cross"}}]}}"#
                ),
                false => format!(
                    r#"{{"id": "a{i}", "positions": [{{"market": "ETHUSDT", "size": {size:.8}, "entry_price": {entry:.4}, "margin_mode": "isolated", "isolated_margin": {margin:.2}}}]}}"#
                ),
            }
        })
        .collect();
    let text = format!(
        r#"{{"quote": "USDT", "prices": {{"ETH": 100}}, "markets": {{"ETHUSDT": {{"base": "ETH", "liquidation_fee_rate": {fee:.4}, "tiers": [{{"max_notional": 300, "maintenance_margin_rate": {mmr:.4}, "max_leverage": 100}}, {{"max_notional": null, "maintenance_margin_rate": {mmr2:.4}, "maintenance_amount": {amount:.6}, "max_leverage": 50}}]}}}}, "accounts": [{}]}}"#,
        list.join(","),
        mmr = mmr,
        mmr2 = mmr2,
        // Continuous at the cap (Binance's `cum`), or with a jump there.
        amount = if jump { amount } else { 300.0 * (mmr2 - mmr) },
    );
    Box::leak(text.into_boxed_str())
}

/// The venue's liquidation rules: whole or partial (a buffer), and what
/// follows a deficit past the fund.
#[derive(Clone, Copy, Debug)]
enum Rules {
    Whole,
    Partial(f64),
    PartialAdl(f64),
}

impl Rules {
    fn toml(self) -> String {
        match self {
            Rules::Whole => String::new(),
            Rules::Partial(b) => format!(
                "rules = {{ liquidation = {{ auto = true, partial_buffer = {b:.3} }} }}\n"
            ),
            Rules::PartialAdl(b) => format!(
                "rules = {{ liquidation = {{ auto = true, partial_buffer = {b:.3} }}, after_insurance = \"auto_deleverage\" }}\n"
            ),
        }
    }
}

/// A scenario over `accounts` (GBM at `sigma`, linear impact `lambda`).
fn scenario(
    accounts: &'static str,
    (sigma, lambda, fund, rounds, steps): (f64, f64, f64, usize, usize),
    (seed, rules): (u64, Rules),
) -> (Scenario, Sources) {
    let rules = rules.toml();
    let body = format!(
        "[run]\nseed = {seed}\npaths = 3\nsteps = {steps}\nmax_rounds = {rounds}\nseries_paths = 0\n[venue]\npreset = \"generic\"\n{rules}insurance_fund = {fund:.2}\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nmodel = \"gbm\"\nstart = 100\nmu = 0\nsigma = {sigma:.3}\n[impact]\nmodel = \"linear\"\nlambda = {lambda:.4}\n[oracle]\nlatency_steps = 0\n"
    );
    let s = parse(&body, "flat", Path::new("mem")).unwrap_or_else(|e| panic!("{e}"));
    (s, Sources::disk().with("mem/accounts.json", accounts))
}

/// Every path both ways: (fast path, engine), without and with a series
/// (the per-step records and the liquidation log).
fn both(s: &Scenario, world: &World) -> Vec<(PathMetrics, PathMetrics)> {
    assert!(
        world.flat.is_some(),
        "the scenario should fit the fast path"
    );
    let mut engine = world.clone();
    engine.flat = None;
    let run = |w: &World, p: usize, series: bool| {
        run_path(s, w, p, series, false).unwrap_or_else(|e| panic!("{e}"))
    };
    (0..s.run.paths)
        .flat_map(|p| [false, true].map(|series| (run(world, p, series), run(&engine, p, series))))
        .collect()
}

/// Bit for bit: `Debug` prints every `f64` exactly (−0.0 included).
fn assert_same(pairs: &[(PathMetrics, PathMetrics)]) {
    for (fast, slow) in pairs {
        assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
    }
}

fn account() -> impl Strategy<Value = Acct> {
    (
        any::<bool>(),
        prop_oneof![0.000001f64..0.001, 0.01f64..5.0, 5.0f64..60.0],
        95.0f64..105.0,
        1.5f64..60.0,
        any::<bool>(),
    )
}

fn rules() -> impl Strategy<Value = Rules> {
    prop_oneof![
        Just(Rules::Whole),
        (0.0f64..0.05).prop_map(Rules::Partial),
        Just(Rules::Partial(0.0)),
        (0.0f64..0.05).prop_map(Rules::PartialAdl),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_fast_path_equals_the_engine(
        accounts in prop::collection::vec(account(), 1..30),
        mmr in 0.003f64..0.03,
        fee in prop_oneof![Just(0.0), 0.0f64..0.03],
        sigma in 1.0f64..8.0,
        lambda in prop_oneof![Just(0.0), 0.0f64..0.5],
        fund in prop_oneof![Just(0.0), 0.0f64..50.0],
        rounds in 1usize..8,
        seed in 0u64..1000,
        rules in rules(),
    ) {
        let (s, sources) = scenario(
            snapshot(&accounts, mmr, fee, (0.0, false)),
            (sigma, lambda, fund, rounds, 120),
            (seed, rules),
        );
        let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
        assert_same(&both(&s, &world));
    }
}

/// Deep losses on both sides with a small fund: penalties paid in, the
/// fund drawn down to zero, bad debt past it, longs and shorts liquidated,
/// cascades capped by the round limit — the branches the random cases may
/// miss, each checked to have happened.
#[test]
fn penalties_fund_draws_and_bad_debt_match_the_engine() {
    let accounts: Vec<Acct> = (0..40)
        .map(|i| {
            let long = i % 3 != 0;
            let size = 0.5 + (i as f64 * 0.37) % 4.0;
            let entry = 98.0 + (i as f64 * 0.13) % 4.0;
            let lev = 20.0 + (i as f64 * 1.7) % 60.0;
            (long, size, entry, lev, i % 2 == 0)
        })
        .collect();
    let (s, sources) = scenario(
        snapshot(&accounts, 0.01, 0.01, (0.0, false)),
        (12.0, 1.5, 3.0, 2, 200),
        (5, Rules::Whole),
    );
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let pairs = both(&s, &world);
    assert_same(&pairs);
    let any = |f: &dyn Fn(&PathMetrics) -> bool| pairs.iter().any(|(m, _)| f(m));
    assert!(any(&|m| m.bad_debt > 0.0), "no bad debt: {pairs:?}");
    assert!(any(&|m| m.insurance_fund_drawdown > 0.0), "no fund draw");
    assert!(any(&|m| m.liquidated_long > 0.0 && m.liquidated_short > 0.0));
    assert!(any(&|m| m.max_rounds_in_a_step == 2), "round cap never met");
}

/// What does not fit the fast path runs on the engine: a partial
/// liquidation rule, a deficit auto-deleveraged, funding, oracle latency.
#[test]
fn other_venues_and_scenarios_do_not_take_the_fast_path() {
    let accounts = snapshot(&[(true, 1.0, 100.0, 10.0, false)], 0.005, 0.0, (0.0, false));
    let (s, sources) = scenario(accounts, (1.0, 0.0, 0.0, 5, 10), (1, Rules::Whole));
    assert!(build(&s, &sources).unwrap().flat.is_some());
    let body = |extra: &str| {
        format!(
            "[run]\nsteps = 10\n[venue]\npreset = \"generic\"\n{extra}\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nmodel = \"gbm\"\nstart = 100\nsigma = 1\n"
        )
    };
    for extra in [
        "rules = { after_insurance = \"socialize\" }",
        "rules = { liquidation = { auto = true, backstop_below = 0.66 } }",
        "[oracle]\nlatency_steps = 2",
        "[funding]\nrate = 0.0001",
    ] {
        let text = body(extra);
        let s = parse(&text, "t", Path::new("mem")).unwrap_or_else(|e| panic!("{extra}: {e}"));
        let world = build(&s, &sources).unwrap_or_else(|e| panic!("{extra}: {e}"));
        assert!(world.flat.is_none(), "{extra}");
    }
    // A requirement that jumps at a tier cap (the triggers' premise fails).
    let jumping = snapshot(&[(true, 1.0, 100.0, 10.0, false)], 0.005, 0.0, (0.2, true));
    let (s2, sources2) = scenario(jumping, (1.0, 0.0, 0.0, 5, 10), (1, Rules::Whole));
    assert!(build(&s2, &sources2).unwrap().flat.is_none());
    // Switched off by the scenario (a cross-check of the engine).
    let text = body("").replace("[run]\n", "[run]\nfast_path = false\n");
    let s = parse(&text, "t", Path::new("mem")).unwrap();
    assert!(build(&s, &sources).unwrap().flat.is_none());
    let text = body("").replace("[run]\n", "[run]\nfast_path = 1\n");
    let e = parse(&text, "t", Path::new("mem")).unwrap_err();
    assert_eq!(e.to_string(), ":2: run.fast_path: must be true or false");
}

/// Binance-like: partial liquidation to maintenance (no buffer) on cross
/// and isolated accounts, auto-deleveraging past a small fund. In a calm
/// market every path stays on the fast path (partial liquidations, no
/// ADL); in a collapse the paths that need auto-deleveraging leave it for
/// the engine (their ADL is counted). All equal the engine's.
#[test]
fn partial_liquidations_and_declined_paths_match_the_engine() {
    let accounts: Vec<Acct> = (0..60)
        .map(|i| {
            let long = i % 4 != 0;
            let size = 0.2 + (i as f64 * 0.61) % 6.0;
            let entry = 98.0 + (i as f64 * 0.17) % 4.0;
            let lev = 5.0 + (i as f64 * 3.1) % 70.0;
            (long, size, entry, lev, i % 3 != 0)
        })
        .collect();
    let book = snapshot(&accounts, 0.008, 0.005, (0.0, false));
    for (lambda, adl) in [(0.05, false), (0.3, true)] {
        let (mut s, sources) = scenario(
            book,
            (3.0, lambda, 20.0, 20, 240),
            (11, Rules::PartialAdl(0.0)),
        );
        s.run.paths = 6;
        let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
        let pairs = both(&s, &world);
        assert_same(&pairs);
        for (m, _) in &pairs {
            assert!(m.accounts_liquidated > 0);
            assert_eq!(m.adl_count > 0, adl, "λ {lambda}: {m:?}");
        }
    }
}

/// A one-path run on the world's own venue (taken out of the world while
/// the path runs) equals a run on a copy: the fast path reads the
/// backstop's start and the accounts' names from the path's venue, not
/// from `world.venue`.
#[test]
fn a_one_path_run_in_place_equals_a_run_on_a_copy() {
    use levamp_sim::summary::{simulate, simulate_in_place};
    use std::sync::atomic::AtomicUsize;
    let accounts: Vec<Acct> = (0..30)
        .map(|i| {
            (
                i % 2 == 0,
                1.0 + i as f64 * 0.1,
                100.0,
                10.0 + i as f64,
                i % 3 == 0,
            )
        })
        .collect();
    let (mut s, sources) = scenario(
        snapshot(&accounts, 0.01, 0.01, (0.0, false)),
        (6.0, 0.3, 7.0, 5, 100),
        (3, Rules::Partial(0.0)),
    );
    s.run.paths = 1;
    s.run.series_paths = 1;
    let mut world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    assert!(world.flat.is_some());
    let copy = simulate(&s, &world, &AtomicUsize::new(0)).unwrap();
    let in_place = simulate_in_place(&s, &mut world, &AtomicUsize::new(0)).unwrap();
    assert_eq!(format!("{copy:?}"), format!("{in_place:?}"));
    let m = &copy[0];
    assert!(m.accounts_liquidated > 0 && m.backstop.segments[0].fund_start == 7.0);
    let names = &m.liquidations.as_ref().unwrap().records;
    assert!(
        names.iter().all(|r| r.account.starts_with('a')),
        "{names:?}"
    );
}

/// A round that liquidates only positions worth nothing at the price (a
/// millionth of a unit at one tick) has no notional, so the engine does not
/// count it and its liquidations keep the previous round's number in the
/// log: the fast path numbers them the same (found by the random test).
#[test]
fn a_round_without_notional_keeps_the_previous_round_number() {
    let accounts: Vec<Acct> = vec![
        (true, 34.36908639392469, 95.0, 18.395479161273663, false),
        (true, 56.60109269713687, 95.0, 19.724574079361016, false),
        (true, 43.084712306008356, 95.0, 20.295003924360163, false),
        (true, 0.00042774015539183446, 95.0, 1.5, false),
        (false, 1e-06, 95.0, 1.5, false),
        (false, 1e-06, 95.0, 1.5, false),
        (true, 23.12246765053824, 95.0, 46.89441476866939, false),
        (
            true,
            54.184605975190955,
            103.07444287632052,
            37.7747084729481,
            false,
        ),
    ];
    let (s, sources) = scenario(
        snapshot(&accounts, 0.003, 0.0, (0.0, false)),
        (1.0, 0.491365735539896, 0.0, 1, 120),
        (0, Rules::Whole),
    );
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    assert_same(&both(&s, &world));
}
