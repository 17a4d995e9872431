//! Arbitrageurs and market makers on `scenarios/shock-linear.toml` (six
//! accounts; a −15 % shock to 85 liquidates three of them, whose 42,000 ETH
//! at λ = 0.0001 push the price to 80.8 and liquidate a fourth at 81.4).

use levamp_sim::makers::{Arbitrageurs, MarketMakers};
use levamp_sim::run::{run_path, PathMetrics};
use levamp_sim::scenario::{load, ImpactConfig, Scenario};
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use std::path::Path;

fn shock_linear() -> Scenario {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/shock-linear.toml");
    load(&file).unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario) -> PathMetrics {
    let world = build(s, &Sources::disk()).unwrap_or_else(|e| panic!("{e}"));
    let m = run_path(s, &world, 0, false, true).unwrap();
    assert!(m.conserved);
    m
}

fn makers(withdraw_above: f64) -> MarketMakers {
    MarketMakers {
        depth: 50_000.0,
        spread: 0.01,
        withdraw_above,
        recover_steps: 5,
        unload: 0.0,
    }
}

/// Makers with 50,000 ETH of depth and a 1 % spread across it take the whole
/// first round (42,000 ETH): the price concedes 85 × 1 % × 42,000 / 50,000 =
/// 0.714 to 84.286 instead of falling 4.2 to 80.8, and the 5x trader at
/// 81.4 survives: three accounts liquidated, not four.
#[test]
fn market_makers_absorb_the_first_round() {
    let mut s = shock_linear();
    s.agents.market_makers = Some(makers(0.5));
    let m = run(&s);
    assert_eq!(m.accounts_liquidated, 3);
    assert!((m.final_price - 85.0 * (1.0 - 0.01 * 42_000.0 / 50_000.0)).abs() < 1e-9);
    assert!((m.liquidity.mm_absorbed - 42_000.0).abs() < 1e-9);
    assert!((m.liquidity.mm_max_inventory - 42_000.0).abs() < 1e-9);
    assert_eq!(m.liquidity.mm_withdrawn_steps, 0);
}

/// Makers who pull their quotes on a move above 10 % are gone in the −15 %
/// minute: the cascade is the one without them (four accounts, 80.8), and
/// their quotes stay (partly) pulled for the 5 recovery steps.
#[test]
fn market_makers_who_withdraw_leave_the_cascade_as_it_was() {
    let passive = run(&shock_linear());
    let mut s = shock_linear();
    s.agents.market_makers = Some(makers(0.1));
    let m = run(&s);
    assert_eq!(m.accounts_liquidated, 4);
    assert_eq!(m.final_price, passive.final_price);
    assert_eq!(m.liquidity.mm_absorbed, 0.0);
    assert_eq!(m.liquidity.mm_withdrawn_steps, 5);
}

/// After the cascade the market sits at 80.8, below the outside 85:
/// arbitrageurs with a 0.1 % cost buy it back to 85 × 0.999 = 84.915 at the
/// next step, for a profit; with 10,000 of capital they get only part of the way.
#[test]
fn arbitrageurs_close_the_gap_to_their_cost() {
    let mut s = shock_linear();
    s.agents.arbitrageurs = Some(Arbitrageurs {
        capital: 1e9,
        threshold: 0.001,
    });
    let m = run(&s);
    assert_eq!(m.accounts_liquidated, 4);
    assert!(m.min_price < 81.0);
    assert!(
        (m.final_price - 85.0 * 0.999).abs() < 1e-6,
        "{}",
        m.final_price
    );
    assert!(m.liquidity.arbitrage_volume > 0.0 && m.liquidity.arbitrage_pnl > 0.0);
    s.agents.arbitrageurs = Some(Arbitrageurs {
        capital: 10_000.0,
        threshold: 0.001,
    });
    let poor = run(&s);
    assert!(poor.final_price > m.min_price && poor.final_price < 84.0);
}

/// A constant-product pool without `impact.arbitrage` ignores the outside
/// price; arbitrageurs bring it to within their threshold of it.
#[test]
fn arbitrageurs_drive_an_amm_to_the_outside_price() {
    let mut s = shock_linear();
    s.impact = ImpactConfig::Amm {
        base_reserve: 10_000_000.0,
        arbitrage: false,
    };
    let idle = run(&s);
    assert_eq!(idle.final_price, 100.0, "nobody moves the pool");
    s.agents.arbitrageurs = Some(Arbitrageurs {
        capital: 1e12,
        threshold: 0.002,
    });
    let m = run(&s);
    assert!(m.accounts_liquidated >= 3);
    let gap = m.final_price / 85.0 - 1.0;
    assert!(gap.abs() <= 0.002 + 1e-9, "gap {gap}");
}
