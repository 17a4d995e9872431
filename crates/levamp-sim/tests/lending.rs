//! Lending inside a simulation: Aave v3 borrowers imported from a snapshot,
//! liquidated by the keeper with `liquidationCall`, the seized collateral
//! sold through the impact model. Expected values are worked by hand from
//! the aave-v3 preset (WETH: liquidation threshold 0.83, bonus 5 %, protocol
//! fee 10 % of the bonus; v3.3 close factor 50 % while HF > 0.95).

use levamp_sim::run::run_path;
use levamp_sim::scenario::parse;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use std::path::Path;

/// Borrower i supplied `weth` WETH and owes `debt` USDC; ETH at 2,000.
fn snapshot(borrowers: &[(&str, &str)]) -> &'static str {
    let list: Vec<String> = borrowers
        .iter()
        .enumerate()
        .map(|(i, (weth, debt))| {
            format!(r#"{{"id": "b{i}", "collateral": {{"WETH": {weth}}}, "borrows": {{"USDC": {debt}}}}}"#)
        })
        .collect();
    let text = format!(
        r#"{{"quote": "USD", "prices": {{"ETH": 2000, "USDC": 1}}, "accounts": [{}]}}"#,
        list.join(",")
    );
    Box::leak(text.into_boxed_str())
}

/// A debt after the first step's 60 s of interest: the lenders supply
/// borrows ÷ 0.8, so USDC's utilization is 80 % and its variable rate
/// 3.5 % × 0.8 / 0.9 (preset strategy: kink 90 %, slope1 3.5 %); compounding
/// within a minute is below 1e-12.
fn grown(debt: f64) -> f64 {
    debt * (1.0 + 0.035 * 0.8 / 0.9 * 60.0 / (365.0 * 86_400.0))
}

fn scenario(lambda: &str, accounts: &'static str) -> (levamp_sim::scenario::Scenario, Sources) {
    let body = format!(
        "[run]\nseed = 1\nsteps = 2\n[venue]\npreset = \"aave-v3\"\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nkey = \"ETH\"\nmodel = \"shock\"\nstart = 2000\nshock = -0.1\nshock_steps = 1\n[impact]\nmodel = \"linear\"\nlambda = {lambda}\n"
    );
    let s = parse(&body, "t", Path::new("mem")).unwrap_or_else(|e| panic!("{e}"));
    (s, Sources::disk().with("mem/accounts.json", accounts))
}

/// 10 WETH against 15,000 USDC: HF 1 at 15,000 / (10 × 0.83) = 1,807.23, so
/// the −10 % shock to 1,800 makes it liquidatable with HF 0.996 > 0.95: the
/// keeper repays half, 7,500 (plus a minute's interest), and seizes 7,500 / 1,800 × 1.05 = 4.375 WETH,
/// of which 4.375 × (0.05 / 1.05) × 10 % = 0.0208333… goes to the protocol.
/// The keeper sells the other 4.3541666… WETH at λ = 10: the price ends at
/// 1,800 − 43.541666… = 1,756.458333…, where the borrower (5.625 WETH,
/// 7,500 USDC, HF 1.093) and the other (14,000 USDC, HF 1 at 1,686.75) are safe.
#[test]
fn keeper_liquidates_half_and_sells_the_collateral() {
    let (s, sources) = scenario("10", snapshot(&[("10", "15000"), ("10", "14000")]));
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(&s, &world, 0, true, true).unwrap();
    assert!(m.conserved);
    assert_eq!(m.lending.liquidations, 1);
    assert_eq!(m.accounts_liquidated, 1);
    let repaid = grown(15000.0) / 2.0;
    let seized = repaid / 1800.0 * 1.05;
    assert!((m.lending.debt_repaid - repaid).abs() < 1e-6, "{m:?}");
    assert!((m.lending.collateral_seized - seized * 1800.0).abs() < 1e-6);
    let expected = 1800.0 - 10.0 * (seized - seized * 0.05 / 1.05 * 0.1);
    assert!(
        (m.final_price - expected).abs() < 1e-6,
        "{} vs {expected}",
        m.final_price
    );
    assert_eq!(m.lending.deficit, 0.0);
    assert_eq!(m.bad_debt, 0.0);
    // The report's liquidation prices: 15,000 / 8.3 and 14,000 / 8.3.
    let mut lp: Vec<f64> = world.liquidation_prices.iter().map(|p| p.0).collect();
    lp.sort_by(f64::total_cmp);
    assert!((lp[0] - 14000.0 / 8.3).abs() < 1e-6 && (lp[1] - 15000.0 / 8.3).abs() < 1e-6);
}

/// At λ = 30 the first sale (4.354 WETH) moves the price 130.6 to 1,669.4,
/// below the second borrower's 1,686.75: a lending cascade. Its HF is
/// 10 × 1,669.4 × 0.83 / 14,000 = 0.9897, so it loses half its debt too,
/// and the two sales push the first borrower under HF 1 again.
#[test]
fn collateral_sales_cascade_into_the_next_borrower() {
    let (s, sources) = scenario("30", snapshot(&[("10", "15000"), ("10", "14000")]));
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(&s, &world, 0, true, true).unwrap();
    assert!(m.conserved);
    assert_eq!(m.accounts_liquidated, 2);
    assert!(m.lending.liquidations >= 3, "{:?}", m.lending);
    assert!(m.rounds >= 3);
    assert!(m.min_price < 1669.375);
    assert!(m.cascade_amplification > 1.0);
}

/// Small positions (collateral under the 2,000 close-factor floor) are
/// liquidated whole. 1 WETH owing 1,600 at 1,800 (HF 0.934): the whole debt
/// is repaid for 1,600 × 1.05 / 1,800 = 0.9333 WETH, no deficit. 1 WETH owing
/// 1,790: the seize is capped at the 1 WETH there is, which repays
/// 1,800 / 1.05 = 1,714.285714…; with no collateral left Aave v3.3 writes
/// the other 75.714285… off as the pool's deficit — the simulator's bad debt.
#[test]
fn exhausted_collateral_becomes_pool_deficit() {
    let (s, sources) = scenario("0", snapshot(&[("1", "1600"), ("10", "1000")]));
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(&s, &world, 0, true, true).unwrap();
    assert!(m.conserved);
    assert_eq!(m.lending.liquidations, 1);
    assert!((m.lending.debt_repaid - grown(1600.0)).abs() < 1e-6);
    assert_eq!(m.lending.deficit, 0.0);
    let (s, sources) = scenario("0", snapshot(&[("1", "1790"), ("10", "1000")]));
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(&s, &world, 0, true, true).unwrap();
    assert!(m.conserved);
    assert!(
        (m.lending.debt_repaid - 1800.0 / 1.05).abs() < 1e-6,
        "{:?}",
        m.lending
    );
    assert!((m.lending.deficit - (grown(1790.0) - 1800.0 / 1.05)).abs() < 1e-6);
    assert!((m.bad_debt - m.lending.deficit).abs() < 1e-12);
    // A pool's deficit is not the insurance fund's: no fund drawn, none
    // depleted (it read depleted, 100 % across paths, with zero drawdown).
    assert_eq!(m.insurance_fund_drawdown, 0.0);
    assert!(!m.insurance_fund_depleted);
}

#[test]
fn lending_input_errors_name_the_field() {
    // The generic preset has no USDC pool.
    let body = "[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nkey = \"ETH\"\nstart = 2000\n";
    let s = parse(body, "t", Path::new("mem")).unwrap();
    let sources = Sources::disk().with(
        "mem/accounts.json",
        r#"{"prices": {"ETH": 2000, "USDC": 1}, "assets": {"WETH": {"price_key": "ETH", "liquidation_threshold": 0.8}}, "accounts": [{"id": "a", "collateral": {"WETH": 1}, "borrows": {"USDC": 100}}]}"#,
    );
    let e = build(&s, &sources).unwrap_err().to_string();
    assert!(
        e.contains("accounts[0].borrows.USDC: borrowed asset USDC has no lending pool"),
        "{e}"
    );
    // No perp position and no [price] key.
    let (mut s, sources) = scenario("0", snapshot(&[("10", "15000")]));
    s.price_key = None;
    let e = build(&s, &sources).unwrap_err().to_string();
    assert!(e.starts_with("price.key: required"), "{e}");
    s.price_key = Some("ETHH".into());
    let e = build(&s, &sources).unwrap_err().to_string();
    assert!(e.contains("did you mean \"ETH\""), "{e}");
}

/// The keeper's screen (exact checks only near each borrower's trigger)
/// liquidates exactly what a check of every borrower does: the same slide on
/// 400 borrowers (health factors 1.02–2.5, six hours of interest at 100 %
/// utilization), once screened and once with a motionless follower key,
/// which makes the keeper check everyone.
#[test]
fn the_keeper_screen_misses_no_one() {
    let accounts: Vec<String> = (0..400)
        .map(|i| {
            let weth = 1 + (i * 7919) % 100;
            let hf = 1.02 + 1.48 * ((i * 104_729) % 1000) as f64 / 1000.0;
            let debt = (weth as f64 * 2000.0 * 0.83 / hf).floor();
            format!(r#"{{"id": "b{i}", "collateral": {{"WETH": {weth}}}, "borrows": {{"USDC": {debt}}}}}"#)
        })
        .collect();
    // One borrower also holds WBTC, so the venue knows the BTC price key.
    let snapshot = format!(
        r#"{{"quote": "USD", "prices": {{"ETH": 2000, "USDC": 1, "BTC": 30000}}, "accounts": [{}]}}"#,
        accounts
            .join(",")
            .replacen(r#"{"WETH": 1}"#, r#"{"WETH": 1, "WBTC": 0.1}"#, 1)
    );
    let snapshot: &'static str = Box::leak(snapshot.into_boxed_str());
    let run = |follow: &str| {
        let body = format!("[run]\nsteps = 360\n[venue]\npreset = \"aave-v3\"\n[lending]\nutilization = 1.0\n[accounts]\nsnapshot = \"a.json\"\n[price]\nkey = \"ETH\"\nmodel = \"shock\"\nstart = 2000\nshock = -0.35\nshock_steps = 360\n{follow}\n[impact]\nmodel = \"linear\"\nlambda = 0.002\n");
        let s = parse(&body, "t", Path::new("mem")).unwrap_or_else(|e| panic!("{e}"));
        let world = build(&s, &Sources::disk().with("mem/a.json", snapshot)).unwrap();
        run_path(&s, &world, 0, true, false).unwrap()
    };
    let screened = run("");
    let everyone = run("[[price.follow]]\nkey = \"BTC\"\nbeta = 0");
    assert!(
        screened.lending.liquidations > 100,
        "{:?}",
        screened.lending
    );
    assert_eq!(screened.lending, everyone.lending);
    assert_eq!(screened.series, everyone.series);
    assert_eq!(screened.accounts_liquidated, everyone.accounts_liquidated);
}
