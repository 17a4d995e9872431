use super::*;
use levamp_core::Price;

const H8: i64 = 8 * HOUR;

fn series(rates: &[&str]) -> Vec<(i64, Ratio)> {
    rates
        .iter()
        .enumerate()
        .map(|(i, r)| (i as i64 * H8, r.parse().unwrap()))
        .collect()
}

#[test]
fn episodes_are_maximal_negative_runs_with_exclusive_ends() {
    // + − − + 0 − − − (series ends negative)
    let rows = series(&[
        "0.0001", "-0.0002", "-0.0004", "0.0001", "0", "-0.0001", "-0.0003", "-0.0002",
    ]);
    let e = negative_episodes(&rows, H8).unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!((e[0].start, e[0].end, e[0].settlements), (H8, 3 * H8, 2));
    assert_eq!(e[0].sum_rate, "-0.0006".parse().unwrap());
    assert_eq!(e[0].min_rate, "-0.0004".parse().unwrap());
    assert!((e[0].days() - 2.0 / 3.0).abs() < 1e-12);
    assert!((e[0].mean_rate() + 0.0003).abs() < 1e-15);
    // A zero rate is not negative: the second episode starts after it and
    // runs to the last settlement + 8 h.
    assert_eq!(
        (e[1].start, e[1].end, e[1].settlements),
        (5 * H8, 8 * H8, 3)
    );
    assert!((e[1].days() - 1.0).abs() < 1e-12);
}

#[test]
fn no_negative_rate_no_episode_and_a_single_one_is_an_episode() {
    assert!(negative_episodes(&series(&["0.0001", "0", "0.0002"]), H8)
        .unwrap()
        .is_empty());
    let e = negative_episodes(&series(&["0.0001", "-0.00001", "0.0001"]), H8).unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].start, e[0].end, e[0].settlements), (H8, 2 * H8, 1));
}

#[test]
fn a_hole_in_the_data_does_not_split_an_episode() {
    let mut rows = series(&["-0.0001", "-0.0001"]);
    rows[1].0 = 5 * H8; // four settlements missing
    let e = negative_episodes(&rows, H8).unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].settlements, e[0].end), (2, 6 * H8));
}

#[test]
fn rolling_funding_averages_the_trailing_window() {
    // 21 settlements (7 days) at 0.0001, then 21 at -0.0001.
    let mut rates = vec!["0.0001"; 21];
    rates.extend(vec!["-0.0001"; 21]);
    let p = rolling_funding(&series(&rates), H8).unwrap();
    // Day 7 (index 20): the 7-day window holds the 21 positives.
    assert!((p[20].annualized_7d - 0.1095).abs() < 1e-12);
    // Index 41: the 7-day window (t − 7 d, t] holds only the 21 negatives.
    assert!((p[41].annualized_7d + 0.1095).abs() < 1e-12);
    // The 30-day window holds all 42: mean 0.
    assert!(p[41].annualized_30d.abs() < 1e-12);
    // Index 30: the 7-day window is indices 10..=30: 11 positives, 10 negatives.
    let expect = (11.0 - 10.0) / 21.0 * 0.0001 * 1095.0;
    assert!((p[30].annualized_7d - expect).abs() < 1e-12);
}

fn bar(t: i64, close: &str) -> Bar {
    let p: Price = close.parse().unwrap();
    Bar {
        time: t,
        open: p,
        high: p,
        low: p,
        close: p,
    }
}

#[test]
fn basis_is_perp_over_spot_minus_one() {
    let perp = [bar(0, "101"), bar(HOUR, "99")];
    let spot = [bar(0, "100"), bar(HOUR, "100")];
    let b = rolling_basis(&perp, &spot).unwrap();
    assert_eq!(b[0].basis, "0.01".parse().unwrap());
    assert_eq!(b[1].basis, "-0.01".parse().unwrap());
    assert!(b[1].mean_7d.abs() < 1e-15);
    // 1 ÷ 3 − 1 rounds down (toward −∞) at 10⁻¹².
    let b = rolling_basis(&[bar(0, "1")], &[bar(0, "3")]).unwrap();
    assert_eq!(b[0].basis, "-0.666666666667".parse().unwrap());
}
