//! The crash survival table's pinned facts (issue #12) on the shipped
//! BTCUSDT history, loaded once for the test binary.

use levamp_backtest::crashes::{rows, Fate, History, Row, CRASH_DAYS, LEVERAGES};
use levamp_backtest::time;
use std::sync::OnceLock;

fn btc() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| rows(&History::load("BTCUSDT").unwrap()).unwrap())
}

fn long(r: &Row, lev: u32) -> &Fate {
    &r.cells[LEVERAGES.iter().position(|&l| l == lev).unwrap()].fate
}

/// A static 20× isolated long opened 2020-03-12T00:00Z is liquidated that day.
#[test]
fn a_20x_long_is_liquidated_on_2020_03_12() {
    let r = &btc()[0];
    assert_eq!(time::format(r.day), CRASH_DAYS[0]);
    match long(r, 20) {
        Fate::Liquidated(at) => assert!(*at >= r.day && *at < r.day + 24 * time::HOUR),
        f => panic!("20× on 2020-03-12: {f:?}"),
    }
}

/// A 1× carry survives all five crashes.
#[test]
fn a_1x_carry_survives_every_crash() {
    assert_eq!(btc().len(), CRASH_DAYS.len());
    for r in btc() {
        let carry = &r.cells[LEVERAGES.len()];
        assert_eq!(carry.leverage, None);
        assert_eq!(carry.fate, Fate::Survived, "{}", time::format(r.day));
        assert!(carry.max_drawdown < 0.05, "{}", carry.max_drawdown);
    }
}

/// The hedger (1× carry-sized inventory, margin band [0.01, 0.04]) is the
/// last cell: it survives every crash (its short gains as the price falls;
/// it draws the excess margin back into spot and re-hedges) and acts.
#[test]
fn the_hedger_survives_every_crash_and_acts() {
    for r in btc() {
        assert_eq!(r.cells.len(), LEVERAGES.len() + 2);
        let hedger = &r.cells[LEVERAGES.len() + 1];
        assert_eq!(hedger.leverage, None);
        assert_eq!(hedger.fate, Fate::Survived, "{}", time::format(r.day));
        assert!(hedger.actions > 0, "{}", time::format(r.day));
    }
}

/// If leverage L is liquidated on a day, every higher leverage is too, and
/// no later.
#[test]
fn liquidation_is_monotone_in_leverage() {
    for r in btc() {
        let day = time::format(r.day);
        let mut earliest: Option<i64> = None; // Latest liquidation allowed next.
        for c in &r.cells[..LEVERAGES.len()] {
            match (&c.fate, earliest) {
                (Fate::Liquidated(at), Some(p)) if *at > p => {
                    panic!(
                        "{day}: {:?}× liquidated at {at}, after a lower leverage at {p}",
                        c.leverage
                    )
                }
                (Fate::Liquidated(at), _) => earliest = Some(*at),
                (f, Some(_)) => {
                    panic!("{day}: {:?}× {f:?} above a liquidated leverage", c.leverage)
                }
                (_, None) => {}
            }
        }
    }
}

/// The table is not trivially all-or-nothing: on 2025-10-10 the 2× long
/// survives and the 50× long does not.
#[test]
fn the_table_separates_leverages() {
    let r = &btc()[4];
    assert_eq!(time::format(r.day), CRASH_DAYS[4]);
    assert_eq!(*long(r, 2), Fate::Survived);
    assert!(matches!(long(r, 50), Fate::Liquidated(_)));
}
