//! Worked examples from published sources and by hand, each cited.

use levamp_core::{Quote, Ratio};
use levamp_network::{clear_network, parse, Clearing, Network};

fn q(s: &str) -> Quote {
    s.parse().unwrap()
}

fn network(text: &str) -> Network {
    parse(text, "test").unwrap_or_else(|e| panic!("{e}"))
}

/// `|payment − expected| ≤ tolerance`.
fn close(c: &Clearing, i: usize, expected: &str, tolerance: &str) {
    let diff = c.payments[i]
        .checked_sub(q(expected))
        .unwrap()
        .checked_abs()
        .unwrap();
    assert!(
        diff <= q(tolerance),
        "node {i}: payment {} vs {expected}",
        c.payments[i]
    );
}

/// The issue's example (networks/three-banks.toml), worked by hand in
/// docs/contagion.md.
#[test]
fn three_banks_by_hand() {
    let text = include_str!("../../../networks/three-banks.toml");
    let net = network(text);
    assert_eq!(net.name, "three-banks");
    let c = clear_network(&net).unwrap();
    assert_eq!(c.total_obligations, vec![q("21"), q("18")]);
    assert_eq!(c.external_assets, vec![q("18"), q("18")]);
    // A: 18 + 0 < 21 → defaults, pays all it has.
    assert_eq!(c.payments[0], q("18"));
    assert!(c.defaulted[0]);
    // B receives ⌊18 × 4 / 21⌋ at 12 decimals = 3.428571428571.
    assert_eq!(c.receipts[1], q("3.428571428571"));
    assert_eq!(c.payments[1], q("18"));
    assert!(!c.defaulted[1]);
    assert_eq!(c.equity(0).unwrap(), q("-3"));
    assert_eq!(c.equity(1).unwrap(), q("3.428571428571"));
    assert_eq!(
        c.recovery_rate(0).unwrap(),
        "0.857142857142".parse::<Ratio>().unwrap()
    );
    assert_eq!(c.recovery_rate(1).unwrap(), Ratio::ONE);
    assert_eq!(c.total_shortfall().unwrap(), q("3"));
    assert_eq!(c.rounds, 1);
}

/// The systemicrisk R package (Gandy & Veraart), `default_clearing`
/// documentation example (https://rdrr.io/cran/systemicrisk/man/default_clearing.html):
/// `ea = (1/2, 5/8, 3/4)`, `el = (3/2, 1/2, 1/2)`, every bank owes each
/// other bank 0.5 (`x = 0.5`). Its output: defaults (1, 1, 0), clearing
/// vector (1.473214, 1.419643, 1.500000). By hand: p1 = 1 + p2/3,
/// p2 = 9/8 + p1/5, so p1 = 165/112 = 1.473214285714…, p2 = 159/112 =
/// 1.419642857142…
const SYSTEMICRISK: &str = r#"
[[node]]
id = "1"
external_assets = 0.5
external_liabilities = 1.5
[[node]]
id = "2"
external_assets = 0.625
external_liabilities = 0.5
[[node]]
id = "3"
external_assets = 0.75
external_liabilities = 0.5
[[obligation]]
from = "1"
to = "2"
amount = 0.5
[[obligation]]
from = "1"
to = "3"
amount = 0.5
[[obligation]]
from = "2"
to = "1"
amount = 0.5
[[obligation]]
from = "2"
to = "3"
amount = 0.5
[[obligation]]
from = "3"
to = "1"
amount = 0.5
[[obligation]]
from = "3"
to = "2"
amount = 0.5
"#;

#[test]
fn eisenberg_noe_systemicrisk_example() {
    let c = clear_network(&network(SYSTEMICRISK)).unwrap();
    assert_eq!(c.defaulted, vec![true, true, false]);
    // The rounded clearing vector is at most a few ticks below the exact
    // rationals 165/112 and 159/112 (never above).
    assert!(c.payments[0] <= q("1.473214285714") && c.payments[0] >= q("1.47321428571"));
    assert!(c.payments[1] <= q("1.419642857142") && c.payments[1] >= q("1.41964285714"));
    assert_eq!(c.payments[2], q("1.5"));
    close(&c, 0, "1.473214", "0.0000005");
    close(&c, 1, "1.419643", "0.0000005");
    // Round 1: bank 1 (0.5 + 1 < 2.5 even when paid in full); round 2:
    // bank 2 (0.625 + 0.5 + 0.5 × p1/2.5 < 1.5 once p1 < 1.875; p1 = 1.5 then).
    assert_eq!(c.rounds, 2);
}

/// The same example with Rogers–Veraart default costs `alpha = 0.5`,
/// `beta = 0.7` (systemicrisk's `default_clearing(L, ea, el, alpha=0.5,
/// beta=0.7)`, same page): every bank defaults, clearing vector
/// (0.5020200, 0.5147049, 0.5653806).
#[test]
fn rogers_veraart_systemicrisk_example() {
    let text = format!("[default_costs]\nalpha = 0.5\nbeta = 0.7\n{SYSTEMICRISK}");
    let c = clear_network(&network(&text)).unwrap();
    assert_eq!(c.defaulted, vec![true, true, true]);
    close(&c, 0, "0.5020200", "0.00000005");
    close(&c, 1, "0.5147049", "0.00000005");
    close(&c, 2, "0.5653806", "0.00000005");
    // Round 1: bank 1; round 2: banks 2 and 3 (bank 1 pays only
    // 0.5 × 0.5 + 0.7 × 1 = 0.95, so each gets 0.19 + 0.5 from 1 and 2/3).
    assert_eq!(c.rounds, 2);
}
