//! The shipped networks without venue nodes, checked against properties
//! derived by hand from their comments (networks/lst-loop.toml, which has
//! a venue node, is checked in crates/levamp-cli/tests/contagion_venue.rs).

use levamp_core::Quote;
use levamp_network::{cascade, parse, Cascade};

const STETH: &str = include_str!("../../../networks/steth-2022.toml");

fn run(text: &str) -> Cascade {
    cascade(&parse(text, "steth-2022").unwrap_or_else(|e| panic!("{e}"))).unwrap()
}

fn q(s: &str) -> Quote {
    s.parse().unwrap()
}

/// At the 0.97 of 9–10 June only Three Arrows (insolvent: 2,500 + 97 <
/// 2,700) sells, all its 100 k stETH, which moves the price by λ × 100 =
/// 0.02 to 0.95. Celsius (no capital ratio) holds and defaults on its own:
/// 3,510 + 409 × 0.95 = 3,898.55 of 5,000. The Aave loops keep
/// `1 − 0.81 × 0.85 / 0.95 = 0.275 > 0.19` of equity: no liquidation.
#[test]
fn steth_2022_at_the_june_discount() {
    let c = run(STETH);
    assert_eq!(c.prices[0], "0.95".parse().unwrap());
    assert_eq!(c.units_sold[0], "100".parse().unwrap());
    assert_eq!(c.clearing.payments[0], q("2595"));
    assert_eq!(c.clearing.payments[1], q("3898.55"));
    assert!(c.clearing.defaulted[0] && c.clearing.defaulted[1]);
    for i in 2..5 {
        assert!(!c.clearing.defaulted[i]);
        assert!(c.sold[i].iter().all(|u| u.is_zero()));
    }
}

/// A deeper discount, to 0.86: alone it liquidates nobody (the 0.85
/// group's HF is 0.86 / 0.85 > 1), but Three Arrows' forced sale takes the
/// price 0.02 lower, to 0.84, below the group's 0.85: its equity share
/// `1 − 0.81 × 0.85 / 0.84 = 0.180 < 0.19`, and it is liquidated. Without
/// Three Arrows' stETH the group is untouched.
#[test]
fn a_forced_seller_pushes_the_loops_over_the_edge() {
    let deeper = STETH.replace("stETH = -0.03", "stETH = -0.14");
    let c = run(&deeper);
    assert!(c.sold[2][0].is_positive(), "{:?}", c.sold[2]);
    assert!(c.prices[0] < "0.84".parse().unwrap());
    let without = deeper.replace("holdings = { stETH = 100 }", "");
    let c = run(&without);
    assert_eq!(c.prices[0], "0.86".parse().unwrap());
    assert!(c.sold[2][0].is_zero());
}
