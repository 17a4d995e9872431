//! End-to-end runs on the shipped Binance history.

use levamp_backtest::strategy::{parse, Strategy};
use levamp_backtest::{backtest, load_window, time};
use std::path::Path;

fn strategy(start: &str, end: &str, body: &str) -> Strategy {
    let text = format!(
        "name = \"t\"\n[data]\nmarket = \"BTCUSDT\"\nstart = \"{start}\"\nend = \"{end}\"\n\
         [venue]\npreset = \"binance-usdm\"\n[strategy]\n{body}"
    );
    parse(&text, "t", Path::new(".")).unwrap()
}

/// The pinned funding rule: with no fees, a fixed 1.0 BTC carry receives
/// Σ rate × 1.0 × mark over the settlements it holds through (the mark is
/// the open of the mark hour starting at the settlement), each rounded down
/// to the fixed-point unit (the venue's favour: what an account receives
/// rounds down, what it pays rounds up, i.e. floor of the signed amount).
#[test]
fn carry_funding_equals_rate_times_mark_exactly() {
    let s = strategy(
        "2021-01-01T00:00:00Z",
        "2021-04-01T00:00:00Z",
        "kind = \"carry\"\nsize = 1.0\ncapital = 100000\nmargin_mode = \"isolated\"\nfee_rate = 0\n",
    );
    let w = load_window(&s).unwrap();
    let mut expected: i128 = 0;
    let mut count = 0;
    for &(t, rate) in &w.funding {
        if t == s.start {
            continue; // settled before the position opens
        }
        let i = ((t - s.start) / time::HOUR) as usize;
        assert_eq!(w.mark[i].time, t);
        let exact = w.mark[i].open.raw() * rate.raw(); // at scale 10^24
        expected += exact.div_euclid(levamp_core::SCALE); // floor
        count += 1;
    }
    let out = backtest(&s).unwrap();
    assert_eq!(out.settlements.len(), count);
    assert!(count > 250, "{count} settlements");
    assert!(out.liquidations.is_empty());
    assert_eq!(out.funding_pnl.raw(), expected);
    assert!(
        out.funding_pnl.is_positive(),
        "2021 Q1 funding was positive"
    );
}

/// 2020-03-12: BTC fell from about 7,900 to under 4,800. A static 20×
/// isolated long opened at 00:00 UTC is liquidated that day.
#[test]
fn a_20x_isolated_long_is_liquidated_on_2020_03_12() {
    let probe = strategy(
        "2020-03-12T00:00:00Z",
        "2020-03-13T00:00:00Z",
        "kind = \"directional\"\nsize = 1\ncapital = 100000\n",
    );
    let open = load_window(&probe).unwrap().perp[0].open.to_f64_lossy();
    let size = (20.0 * 10_000.0 / open * 1000.0).floor() / 1000.0;
    let s = strategy(
        "2020-03-12T00:00:00Z",
        "2020-03-13T00:00:00Z",
        &format!("kind = \"directional\"\nsize = {size}\ncapital = 10000\nmargin_mode = \"isolated\"\nfee_rate = 0.0004\n"),
    );
    let out = backtest(&s).unwrap();
    let first = out.liquidations.first().expect("liquidated");
    assert!(
        first.time < s.end,
        "liquidated at {}",
        time::format(first.time)
    );
    assert!(out.hours.last().unwrap().position.is_zero());
    assert!(out.trades.iter().any(|t| t.liquidation));
}

/// A 1× carry (perp margin = its notional) survives the same day.
#[test]
fn a_1x_carry_survives_2020_03_12() {
    let s = strategy(
        "2020-03-12T00:00:00Z",
        "2020-03-14T00:00:00Z",
        "kind = \"carry\"\nsize = 1\ncapital = 16000\nmargin_mode = \"isolated\"\nfee_rate = 0.0004\n",
    );
    let out = backtest(&s).unwrap();
    assert!(out.liquidations.is_empty());
    let last = out.hours.last().unwrap();
    assert_eq!(last.position, levamp_core::Base::from_int(-1));
    assert!(last.equity.to_f64_lossy() > 14_000.0, "{}", last.equity);
}

#[test]
fn leverage_above_the_tier_maximum_is_refused() {
    let s = strategy(
        "2021-01-01T00:00:00Z",
        "2021-01-02T00:00:00Z",
        "kind = \"directional\"\nsize = 10\ncapital = 1000\n",
    );
    let e = backtest(&s).unwrap_err();
    assert_eq!(e.at, "strategy.size");
    assert!(
        e.message.contains("above BTCUSDT's maximum"),
        "{}",
        e.message
    );
}

#[test]
fn windows_outside_the_data_and_unknown_markets_name_the_key() {
    let s = strategy(
        "2019-12-01T00:00:00Z",
        "2020-01-01T00:00:00Z",
        "kind = \"carry\"\nsize = 1\ncapital = 20000\n",
    );
    let e = backtest(&s).unwrap_err();
    assert_eq!(e.at, "data.start");
    assert!(
        e.message
            .contains("mark series starts (2019-12-23T11:00:00Z"),
        "{}",
        e.message
    );
    let s = strategy(
        "2026-05-01T00:00:00Z",
        "2026-06-01T00:00:00Z",
        "kind = \"carry\"\nsize = 1\ncapital = 200000\n",
    );
    assert_eq!(backtest(&s).unwrap_err().at, "data.end");
    let text = "[data]\nmarket = \"SOLUSDT\"\nstart = \"2021-01-01T00:00:00Z\"\nend = \"2021-01-02T00:00:00Z\"\n\
                [venue]\npreset = \"binance-usdm\"\n[strategy]\nkind = \"carry\"\nsize = 1\ncapital = 100\n";
    assert_eq!(
        parse(text, "t", Path::new(".")).unwrap_err().at,
        "data.market"
    );
    let bad = text
        .replace("SOLUSDT", "BTCUSDT")
        .replace("capital", "capitol");
    assert_eq!(
        parse(&bad, "t", Path::new(".")).unwrap_err().at,
        "strategy.capitol"
    );
}

/// Cross margin: the same carry pays the same funding (the rule does not
/// depend on the margin mode) and survives 2020-03-12 too.
#[test]
fn cross_margin_carry_matches_isolated_funding() {
    let body = |mode: &str| {
        format!("kind = \"carry\"\nsize = 1\ncapital = 16000\nmargin_mode = \"{mode}\"\nfee_rate = 0.0004\n")
    };
    let run = |mode: &str| {
        backtest(&strategy(
            "2020-03-12T00:00:00Z",
            "2020-03-20T00:00:00Z",
            &body(mode),
        ))
        .unwrap()
    };
    let (cross, isolated) = (run("cross"), run("isolated"));
    assert!(cross.liquidations.is_empty());
    assert_eq!(cross.funding_pnl, isolated.funding_pnl);
    assert_eq!(cross.fees, isolated.fees);
    assert_eq!(cross.settlements.len(), 8 * 3 - 1);
}
