//! The carry's spot leg as cross collateral under a haircut
//! (`spot_collateral`), and `capital + leverage` instead of `size`.

use levamp_backtest::strategy::{parse, Strategy};
use levamp_backtest::{backtest, time};
use levamp_core::Base;
use std::path::Path;

fn text(start: &str, end: &str, body: &str) -> String {
    format!(
        "name = \"t\"\n[data]\nmarket = \"BTCUSDT\"\nstart = \"{start}\"\nend = \"{end}\"\n\
         [venue]\npreset = \"binance-usdm\"\n[strategy]\n{body}"
    )
}

fn strategy(start: &str, end: &str, body: &str) -> Strategy {
    parse(&text(start, end, body), "t", Path::new(".")).unwrap()
}

fn refused(body: &str) -> (String, String) {
    let t = text("2021-01-01T00:00:00Z", "2021-01-02T00:00:00Z", body);
    let e = parse(&t, "t", Path::new(".")).unwrap_err();
    (e.at, e.message)
}

const RALLY: (&str, &str) = ("2020-10-01T00:00:00Z", "2021-04-15T00:00:00Z");

/// BTC went from about 10,800 to over 60,000. A 1 BTC carry whose perp
/// margin is about its notional (capital 22,000: ~10,800 buys the spot,
/// the rest is USDT margin) is liquidated in cross margin when only USDT
/// counts; with the spot leg deposited as collateral at 95 % it survives.
#[test]
fn spot_collateral_saves_a_1x_carry_in_the_2020_21_rally() {
    let body = |extra: &str| {
        format!("kind = \"carry\"\nsize = 1\ncapital = 22000\nmargin_mode = \"cross\"\nfee_rate = 0.0004\n{extra}")
    };
    let usdt_only = backtest(&strategy(RALLY.0, RALLY.1, &body(""))).unwrap();
    let first = usdt_only.liquidations.first().expect("liquidated");
    let day = time::format(first.time);
    assert!(day.starts_with("2020-12"), "liquidated at {day}");

    let s = strategy(RALLY.0, RALLY.1, &body("spot_collateral = true\n"));
    assert_eq!(s.spot_collateral.unwrap().to_string(), "0.05");
    let out = backtest(&s).unwrap();
    assert!(out.liquidations.is_empty(), "{:?}", out.liquidations);
    let last = out.hours.last().unwrap();
    assert_eq!(last.position, Base::from_int(-1));
    assert_eq!(last.spot_position, Base::from_int(1));
    // Not counted twice: the spot leg at the spot close, the account
    // without it (its equity at the mark is about the USDT and the perp's
    // loss, far below zero without the collateral).
    assert_eq!(
        last.spot_value,
        Base::from_int(1)
            .value_at(last.spot, levamp_core::Round::Floor)
            .unwrap()
    );
    assert!(last.perp_value.is_negative(), "{}", last.perp_value);
    // Hedged: the equity is the capital plus the funding earned less the
    // fees, up to the perp–spot basis of 1 BTC (counting the spot twice
    // would add its ~60,000).
    let carry = 22_000.0 + out.funding_pnl.to_f64_lossy() - out.fees.to_f64_lossy();
    let equity = last.equity.to_f64_lossy();
    assert!((equity - carry).abs() < 1_000.0, "{equity} vs {carry}");
    assert!(
        out.funding_pnl.to_f64_lossy() > 5_000.0,
        "{}",
        out.funding_pnl
    );
}

#[test]
fn a_haircut_is_taken_as_given() {
    let s = strategy(
        RALLY.0,
        RALLY.1,
        "kind = \"carry\"\nsize = 1\ncapital = 22000\nmargin_mode = \"cross\"\nspot_collateral = true\ncollateral_haircut = 0.5\n",
    );
    assert_eq!(s.spot_collateral.unwrap().to_string(), "0.5");
    // At half its value the collateral does not hold a 5× rally.
    assert!(!backtest(&s).unwrap().liquidations.is_empty());
}

#[test]
fn unsupported_spot_collateral_combinations_name_the_key() {
    let carry = "kind = \"carry\"\nsize = 1\ncapital = 22000\n";
    let cases = [
        (format!("{carry}spot_collateral = true\n"), "strategy.spot_collateral", "cross"),
        (format!("{carry}margin_mode = \"isolated\"\nspot_collateral = true\n"), "strategy.spot_collateral", "cross"),
        ("kind = \"directional\"\nsize = 1\ncapital = 22000\nmargin_mode = \"cross\"\nspot_collateral = true\n".into(), "strategy.spot_collateral", "carry"),
        ("kind = \"hedger\"\ninventory = 1\ncapital = 22000\nmargin_mode = \"cross\"\nspot_collateral = true\n".into(), "strategy.spot_collateral", "carry"),
        (format!("{carry}margin_mode = \"cross\"\nspot_collateral = true\nflip_after_hours = 24\n"), "strategy.flip_after_hours", "spot_collateral"),
        (format!("{carry}margin_mode = \"cross\"\ncollateral_haircut = 0.1\n"), "strategy.collateral_haircut", "spot_collateral"),
        (format!("{carry}margin_mode = \"cross\"\nspot_collateral = true\ncollateral_haircut = 1\n"), "strategy.collateral_haircut", "< 1"),
        (format!("{carry}margin_mode = \"cross\"\nspot_collateral = 1\n"), "strategy.spot_collateral", "true or false"),
    ];
    for (body, at, words) in cases {
        let (got_at, message) = refused(&body);
        assert_eq!(got_at, at, "{body}: {message}");
        assert!(message.contains(words), "{body}: {message}");
    }
}

/// The opening perp fill of a run.
fn opening_perp(out: &levamp_backtest::run::Outcome) -> (f64, f64, f64) {
    let t = out.trades.iter().find(|t| t.leg == "perp").unwrap();
    (
        t.size.to_f64_lossy(),
        t.price.to_f64_lossy(),
        t.fee.to_f64_lossy(),
    )
}

/// `capital + leverage`: the perp notional is `leverage ×` the capital left
/// for margin after the spot leg and both fees, the size rounded down to
/// the 0.001 lot: the largest lot count whose leverage is ≤ the asked one.
#[test]
fn leverage_sizes_a_directional_position_from_capital() {
    for (leverage, sign) in [(3.0f64, 1.0), (-2.0, -1.0)] {
        let s = strategy(
            "2021-01-01T00:00:00Z",
            "2021-01-03T00:00:00Z",
            &format!("kind = \"directional\"\nleverage = {leverage:?}\ncapital = 10000\nfee_rate = 0.0004\n"),
        );
        let out = backtest(&s).unwrap();
        let (size, price, fee) = opening_perp(&out);
        assert_eq!(size.signum(), sign);
        let lots = (size.abs() * 1000.0).round();
        assert!(
            (size.abs() * 1000.0 - lots).abs() < 1e-9,
            "{size} is not whole lots"
        );
        let lev = |size: f64| size * price / (10_000.0 - size * price * 0.0004);
        assert!(
            lev(size.abs()) <= leverage.abs() + 1e-9,
            "{}",
            lev(size.abs())
        );
        assert!(
            lev(size.abs() + 0.001) > leverage.abs(),
            "{size} is not the largest"
        );
        assert!((fee - size.abs() * price * 0.0004).abs() < 1e-6);
    }
}

#[test]
fn leverage_sizes_a_carry_after_its_spot_leg() {
    let s = strategy(
        RALLY.0,
        "2020-10-03T00:00:00Z",
        "kind = \"carry\"\nleverage = 1\ncapital = 22000\nmargin_mode = \"cross\"\nfee_rate = 0.0004\n",
    );
    let out = backtest(&s).unwrap();
    let (size, price, _) = opening_perp(&out);
    let spot = out.trades.iter().find(|t| t.leg == "spot").unwrap();
    assert_eq!(spot.size.to_f64_lossy(), -size);
    let spot_price = spot.price.to_f64_lossy();
    let lev = |n: f64| {
        let margin = 22_000.0 - n * spot_price * 1.0004 - n * price * 0.0004;
        n * price / margin
    };
    assert!(size < 0.0);
    assert!(lev(-size) <= 1.0 + 1e-12, "{}", lev(-size));
    assert!(lev(-size + 0.001) > 1.0);
    assert!(out.liquidations.is_empty());
}

#[test]
fn size_and_leverage_are_exclusive_and_checked() {
    let cases = [
        ("kind = \"carry\"\nsize = 1\nleverage = 1\ncapital = 22000\n", "strategy.leverage", "not both"),
        ("kind = \"directional\"\ncapital = 22000\n", "strategy.size", "strategy.leverage"),
        ("kind = \"directional\"\nleverage = 0\ncapital = 22000\n", "strategy.leverage", "not be 0"),
        ("kind = \"carry\"\nleverage = -1\ncapital = 22000\n", "strategy.leverage", "> 0"),
        ("kind = \"directional\"\nleverage = 2\ncapital = 22000\n[sizing]\nmodel = \"vol_target\"\ntarget_vol = 0.5\n", "strategy.leverage", "static"),
    ];
    for (body, at, words) in cases {
        let (got_at, message) = refused(body);
        assert_eq!(got_at, at, "{body}: {message}");
        assert!(message.contains(words), "{body}: {message}");
    }
    // Above the tier maximum, and too little for one lot: at the open.
    for (body, words) in [
        (
            "kind = \"directional\"\nleverage = 200\ncapital = 1000\n",
            "maximum",
        ),
        ("kind = \"directional\"\nleverage = 1\ncapital = 1\n", "lot"),
    ] {
        let s = strategy("2021-01-01T00:00:00Z", "2021-01-02T00:00:00Z", body);
        let e = backtest(&s).unwrap_err();
        assert_eq!(e.at, "strategy.leverage", "{}", e.message);
        assert!(e.message.contains(words), "{}", e.message);
    }
}
