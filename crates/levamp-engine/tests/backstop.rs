//! Pooled vs segmented insurance funds on a hand-worked two-market venue:
//! a long-tail market's bad debt drains the pooled fund, and a BTC
//! liquidation then becomes bad debt (or ADL) under pooled but not under
//! segmented.
//!
//! The venue: BTCUSDT and ALTUSDT (MMR 0.5 %, 100×, no fees), 100 USDT of
//! insurance in total — pooled, or segmented 60 to BTC and 40 to ALT.
//! * `alt`: isolated long 10 ALT at 100 with 50 margin (the market account sells).
//! * `btc`: isolated long 1 BTC at 1,000 with 20 margin, against `short`
//!   (1,000 USDT, cross short 1 BTC at 1,000).
//!
//! ALT falls to 80: `alt`'s margin is 50 − 10 × 20 = −150, a deficit of 150.
//! Pooled: the fund pays 100 (→ 0), 50 is bad debt. Segmented: ALT's fund
//! pays 40 (→ 0), 110 is bad debt; BTC's 60 is untouched.
//! BTC falls to 970: `btc`'s margin is 20 − 30 = −10.
//! * `after_insurance = record`: pooled, the fund is empty: 10 more bad debt
//!   (60 in all). Segmented: BTC's fund pays 10 (→ 50); bad debt stays 110.
//! * `after_insurance = auto_deleverage`: pooled, the deficit 10 > fund 0, so
//!   `short` is deleveraged: 1 BTC at the bankruptcy price 1,000 − 20 = 980
//!   (a 10 haircut against the mark). Segmented: BTC's fund covers it, no ADL.

mod two_markets;

use levamp_core::{Base, Price};
use levamp_engine::venue::*;
use two_markets::*;

/// The venue above, after both crashes; returns it and the BTC crash's events.
fn two_markets(backstop: Backstop, after: AfterInsurance) -> (Venue, Vec<Event>) {
    let mut rules = VenueRules::generic();
    rules.after_insurance = after;
    rules.backstop = backstop;
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
    match backstop {
        Backstop::Pooled => {
            v.execute(&Command::SeedInsurance { amount: b("100") })
                .unwrap();
        }
        Backstop::Segmented => {
            for (m, amount) in [(btc, "60"), (alt, "40")] {
                v.execute(&Command::SeedMarketInsurance {
                    market: m,
                    amount: b(amount),
                })
                .unwrap();
            }
        }
    }
    price(&mut v, "BTC", "1000", 1);
    price(&mut v, "ALT", "100", 1);
    let alt_long = open(&mut v, "alt", "50");
    trade(&mut v, alt_long, alt, "10", "100", None, Some("50"));
    let short = open(&mut v, "short", "1000");
    let btc_long = open(&mut v, "btc", "20");
    trade(&mut v, btc_long, btc, "1", "1000", Some(short), Some("20"));
    price(&mut v, "ALT", "80", 2);
    let events = price(&mut v, "BTC", "970", 3);
    (v, events)
}

fn deleveraged(events: &[Event]) -> Vec<(Base, Price)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Deleveraged { size, price, .. } => Some((*size, *price)),
            _ => None,
        })
        .collect()
}

#[test]
fn pooled_fund_drained_by_alt_leaves_btc_loss_as_bad_debt() {
    let (v, _) = two_markets(Backstop::Pooled, AfterInsurance::Record);
    let f = &v.funds()[v.quote() as usize];
    assert_eq!((f.insurance_fund, f.bad_debt), (b("0"), b("60")));
    assert!(f.insurance_fund_by_market.is_empty());
}

#[test]
fn segmented_fund_keeps_btc_whole() {
    let (v, events) = two_markets(Backstop::Segmented, AfterInsurance::Record);
    let f = &v.funds()[v.quote() as usize];
    assert_eq!((f.insurance_fund, f.bad_debt), (b("50"), b("110")));
    let btc = v.market_id("BTCUSDT").unwrap();
    assert_eq!(
        f.insurance_fund_by_market.iter().collect::<Vec<_>>(),
        vec![(&btc, &b("50"))]
    );
    // The event names the market's fund and that fund's balance.
    assert!(events.iter().any(|e| matches!(
        e,
        Event::InsuranceFundChanged { fund: Some(m), amount, fund_after, .. }
            if *m == btc && *amount == b("10") && *fund_after == b("50")
    )));
}

#[test]
fn pooled_deleverages_btc_where_segmented_pays_from_btc_fund() {
    let (_, events) = two_markets(Backstop::Pooled, AfterInsurance::AutoDeleverage);
    assert_eq!(deleveraged(&events), vec![(b("1"), p("980"))]);
    let (v, events) = two_markets(Backstop::Segmented, AfterInsurance::AutoDeleverage);
    assert_eq!(deleveraged(&events), vec![]);
    let btc = v.market_id("BTCUSDT").unwrap();
    assert_eq!(
        v.funds()[v.quote() as usize].insurance_fund_by_market[&btc],
        b("50")
    );
}

/// With one market, segmented is pooled with the fund relabelled: the same
/// events but the `fund` field, and the same total fund and bad debt.
#[test]
fn one_market_segmented_equals_pooled() {
    let run = |backstop: Backstop| {
        let mut rules = VenueRules::generic();
        rules.backstop = backstop;
        let mut v = Venue::new(rules, "USDT");
        v.execute(&Command::ListMarket {
            spec: market("ALTUSDT"),
            base: "ALT".into(),
        })
        .unwrap();
        let amount = b("40");
        match backstop {
            Backstop::Pooled => v.execute(&Command::SeedInsurance { amount }),
            Backstop::Segmented => v.execute(&Command::SeedMarketInsurance { market: 0, amount }),
        }
        .unwrap();
        price(&mut v, "ALT", "100", 1);
        let a = open(&mut v, "alt", "50");
        trade(&mut v, a, 0, "10", "100", None, Some("50"));
        let mut events = price(&mut v, "ALT", "80", 2);
        for e in &mut events {
            if let Event::InsuranceFundChanged { fund, .. } = e {
                *fund = None;
            }
        }
        let f = v.funds()[v.quote() as usize].clone();
        (events, f.insurance_fund, f.bad_debt)
    };
    let pooled = run(Backstop::Pooled);
    assert_eq!(pooled.1, b("0"));
    assert_eq!(pooled, run(Backstop::Segmented));
}

#[test]
fn seeding_must_match_the_backstop() {
    let mut v = Venue::new(VenueRules::generic(), "USDT");
    v.execute(&Command::ListMarket {
        spec: market("BTCUSDT"),
        base: "BTC".into(),
    })
    .unwrap();
    let e = v
        .execute(&Command::SeedMarketInsurance {
            market: 0,
            amount: b("1"),
        })
        .unwrap_err();
    assert!(e.to_string().contains("segmented"), "{e}");
    v.execute(&Command::SeedInsurance { amount: b("1") })
        .unwrap();
    // The fund holds capital: switching the backstop would orphan it.
    let mut rules = VenueRules::generic();
    rules.backstop = Backstop::Segmented;
    let e = v.execute(&Command::SetRules(Box::new(rules))).unwrap_err();
    assert!(e.to_string().contains("backstop"), "{e}");
}
