//! Bad debt is not monotone in the size of a pooled insurance fund when the
//! venue auto-deleverages and the fund is not paid first
//! (`after_insurance = auto_deleverage`, `adl_insurance_first = false`):
//! a deficit the fund can cover whole is paid by the fund, one it cannot is
//! deleveraged whole at no cost to the fund. A larger fund therefore pays a
//! deficit that ADL would have borne, and is empty when a later deficit in a
//! market with no opposite position to deleverage arrives (docs/mechanisms.md,
//! "Bad debt is not monotone in the fund size").
//!
//! The venue: BTCUSDT and ALTUSDT (MMR 0.5 %, 100×, no fees), one pooled fund.
//! * `alt`: isolated long 10 ALT at 100 with 50 margin, against `short`
//!   (1,000 USDT, cross short 10 ALT at 100).
//! * `btc`: isolated long 1 BTC at 1,000 with 20 margin; the market account
//!   sells, so BTC has no position that ADL could close.
//!
//! ALT falls to 80: `alt`'s margin is 50 − 10 × 20 = −150. BTC then falls to
//! 900: `btc`'s margin is 20 − 100 = −80. Total deficits 230.
//! * fund 100: 150 > 100, so `alt` is deleveraged against `short` at the
//!   bankruptcy price (1,000 − 50) ÷ 10 = 95 and the fund is untouched; BTC's
//!   80 ≤ 100 is paid by the fund (→ 20). Bad debt 0.
//! * fund 200: 150 ≤ 200 is paid by the fund (→ 50); BTC's 80 > 50 goes to ADL,
//!   which finds no BTC short and closes at the mark; the fund pays its 50 and
//!   30 is bad debt.
//! * With `adl_insurance_first = true` the fund always pays first: fund 100
//!   pays 100 of ALT's 150 (50 deleveraged) and BTC's 80 is bad debt; fund
//!   200 is as above (30). Monotone here.

mod two_markets;

use levamp_core::Base;
use levamp_engine::venue::*;
use two_markets::*;

/// The venue above with `fund` in the pooled fund, after both crashes:
/// `(insurance fund, bad debt, number of Deleveraged events)`.
fn crash(fund: &str, insurance_first: bool) -> (Base, Base, usize) {
    let mut rules = VenueRules::generic();
    rules.after_insurance = AfterInsurance::AutoDeleverage;
    rules.adl_insurance_first = insurance_first;
    let mut v = Venue::new(rules, "USDT");
    for (name, key) in [("BTCUSDT", "BTC"), ("ALTUSDT", "ALT")] {
        v.execute(&Command::ListMarket {
            spec: market(name),
            base: key.into(),
        })
        .unwrap();
    }
    let (btc, alt) = (
        v.market_id("BTCUSDT").unwrap(),
        v.market_id("ALTUSDT").unwrap(),
    );
    v.execute(&Command::SeedInsurance { amount: b(fund) })
        .unwrap();
    price(&mut v, "BTC", "1000", 1);
    price(&mut v, "ALT", "100", 1);
    let short = open(&mut v, "short", "1000");
    let alt_long = open(&mut v, "alt", "50");
    trade(&mut v, alt_long, alt, "10", "100", Some(short), Some("50"));
    let btc_long = open(&mut v, "btc", "20");
    trade(&mut v, btc_long, btc, "1", "1000", None, Some("20"));
    let mut events = price(&mut v, "ALT", "80", 2);
    events.extend(price(&mut v, "BTC", "900", 3));
    let adl = events
        .iter()
        .filter(|e| matches!(e, Event::Deleveraged { .. }))
        .count();
    let f = &v.funds()[v.quote() as usize];
    (f.insurance_fund, f.bad_debt, adl)
}

#[test]
fn a_larger_fund_pays_what_adl_would_have_and_leaves_bad_debt() {
    // Fund 100: ALT deleveraged, the fund pays BTC's 80.
    assert_eq!(crash("100", false), (b("20"), b("0"), 1));
    // Fund 200: the fund pays ALT's 150, then only 50 of BTC's 80.
    assert_eq!(crash("200", false), (b("0"), b("30"), 0));
    // Fund 230 covers both deficits.
    assert_eq!(crash("230", false), (b("0"), b("0"), 0));
}

#[test]
fn insurance_first_spends_the_fund_on_every_deficit() {
    assert_eq!(crash("100", true), (b("0"), b("80"), 1));
    assert_eq!(crash("200", true), (b("0"), b("30"), 0));
}
