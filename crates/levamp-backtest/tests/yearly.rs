//! Yearly carry figures checked against the shipped CSVs, read here with a
//! separate tiny parser (not the library's loader).

use levamp_backtest::crashes::History;
use levamp_backtest::data::shipped;
use levamp_backtest::time;
use levamp_backtest::yearly::{carry, funding_years};
use levamp_core::{Quote, Ratio};
use std::collections::BTreeMap;

/// A decimal (`123.45`, `-2.1e-06`) as an integer at 10^12, exactly.
fn fixed(text: &str) -> i128 {
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap()),
        None => (text, 0),
    };
    let negative = mantissa.starts_with('-');
    let digits = mantissa.trim_start_matches(['-', '+']);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut value: i128 = format!("{int}{frac}").parse().unwrap();
    let mut scale = 12 + exp - frac.len() as i32;
    while scale > 0 {
        value *= 10;
        scale -= 1;
    }
    while scale < 0 {
        assert_eq!(value % 10, 0, "{text} has more than 12 decimals");
        value /= 10;
        scale += 1;
    }
    if negative {
        -value
    } else {
        value
    }
}

/// Column `col` of every data row, keyed by the first column's time.
fn column(csv: &str, col: usize) -> BTreeMap<i64, i128> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (time::parse(cells[0]).unwrap(), fixed(cells[col]))
        })
        .collect()
}

fn btc_csv() -> (BTreeMap<i64, i128>, BTreeMap<i64, i128>) {
    let s = shipped("BTCUSDT").unwrap();
    (
        column(&s.funding.text().unwrap(), 1),
        column(&s.mark.text().unwrap(), 1),
    )
}

/// BTCUSDT 2021: the year's annualised funding is Σ rate ÷ n × 3 × 365 over
/// the CSV's 2021 settlements, Σ exact.
#[test]
fn btc_2021_annualised_funding_matches_the_csv() {
    let (funding, _) = btc_csv();
    let (a, b) = (time::year_start(2021), time::year_start(2022));
    let rows: Vec<(i64, Ratio)> = funding
        .iter()
        .map(|(&t, &r)| (t, Ratio::from_raw(r)))
        .collect();
    let in_2021: Vec<i128> = funding.range(a..b).map(|(_, &r)| r).collect();
    let sum: i128 = in_2021.iter().sum();
    let years = funding_years(&rows).unwrap();
    let y = years.iter().find(|y| y.year == 2021).unwrap();
    assert_eq!(y.settlements, in_2021.len());
    assert_eq!(y.sum_rate.raw(), sum);
    assert_eq!(
        y.negative,
        in_2021.iter().filter(|&&r| r < 0).count(),
        "negative settlements"
    );
    let expected = sum as f64 / 1e12 / in_2021.len() as f64 * 1095.0;
    assert!(
        (y.annualized() - expected).abs() < 1e-12,
        "{}",
        y.annualized()
    );
    // 2021 was the bull market's high-funding year: well above 10 % a year.
    assert!(y.annualized() > 0.10, "{}", y.annualized());
}

/// The yearly carry's funding PnL over 2021 is Σ rate × size × mark over
/// the settlements it held through (the pinned rule: mark = open of the
/// mark hour at the settlement; the one at the opening hour is not the
/// strategy's), each magnitude rounded in the venue's favour — the notional
/// `size × mark` and then `× |rate|` rounded down when the short receives
/// (rate > 0), up when it pays (rate < 0).
#[test]
fn btc_2021_carry_funding_pnl_is_rate_times_size_times_mark() {
    let (funding, mark) = btc_csv();
    let (a, b) = (time::year_start(2021), time::year_start(2022));
    let h = History::load("BTCUSDT").unwrap();
    // The year's held carry (its short survives 2021: funding received
    // grows its margin as BTC rises).
    let leg = carry(&h, a, b, Ratio::ZERO, Quote::from_int(100_000)).unwrap();
    let (size, run) = (leg.size, &leg.outcome);
    assert!(run.liquidations.is_empty());
    let end = b;
    let scale = 1_000_000_000_000i128;
    let div = |x: i128, up: bool| match up {
        true => (x + scale - 1).div_euclid(scale),
        false => x.div_euclid(scale),
    };
    let mut expected = 0i128;
    for (&t, &rate) in funding.range(a + 1..end) {
        let pays = rate < 0;
        let notional = div(size.raw() * mark[&t], pays);
        let magnitude = div(notional * rate.abs(), pays);
        expected += if pays { -magnitude } else { magnitude };
    }
    assert!(size.raw() > 0);
    assert_eq!(run.funding_pnl.raw(), expected);
    assert!(run.funding_pnl.is_positive());
}
