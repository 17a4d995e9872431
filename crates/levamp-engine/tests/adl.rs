//! Auto-deleveraging policies on BitMEX's six-account example (see
//! `bitmex_adl_example` in `venue.rs`): the queue, pro-rata by size, and the
//! insurance fund paying first.

use levamp_core::{Base, Price, Ratio};
use levamp_engine::venue::*;
use levamp_engine::*;

fn r(s: &str) -> Ratio {
    s.parse().unwrap()
}
fn b(s: &str) -> Base {
    s.parse().unwrap()
}
fn p(s: &str) -> Price {
    s.parse().unwrap()
}

fn order(account: AccountId, size: &str, px: &str) -> TradeOrder {
    TradeOrder {
        account,
        market: 0,
        size: b(size),
        price: p(px),
        fee_rate: Ratio::ZERO,
        counterparty: None,
        counterparty_fee_rate: Ratio::ZERO,
        margin_mode: None,
        isolated_margin: None,
        leverage: Some(r("50")),
    }
}

fn price(v: &mut Venue, px: &str, ts: i64) -> Vec<Event> {
    let key = v.price_id("ETH").unwrap();
    v.execute(&Command::Price {
        key,
        price: p(px),
        ts,
        confidence: None,
    })
    .unwrap()
}

/// A venue with ETHUSDT (MMR 0.5 %, 100×, no fee) auto-deleveraging by
/// `adl`, `fund` in the insurance fund, the oracle at 500.
fn venue(adl: AdlPolicy, insurance_first: bool, fund: &str, auto: bool) -> Venue {
    let mut rules = VenueRules::generic();
    rules.after_insurance = AfterInsurance::AutoDeleverage;
    rules.adl = adl;
    rules.adl_insurance_first = insurance_first;
    rules.liquidation.auto = auto;
    let mut v = Venue::new(rules, "USDT");
    let tiers = vec![Tier {
        max_notional: None,
        maintenance_margin_rate: r("0.005"),
        maintenance_amount: levamp_core::Quote::ZERO,
        max_leverage: r("100"),
    }];
    v.execute(&Command::ListMarket {
        spec: Market {
            name: "ETHUSDT".into(),
            price: 0,
            tiers,
            liquidation_fee_rate: Ratio::ZERO,
            funding_interval_s: 28800,
        },
        base: "ETH".into(),
    })
    .unwrap();
    if b(fund).is_positive() {
        v.execute(&Command::SeedInsurance { amount: b(fund) })
            .unwrap();
    }
    price(&mut v, "500", 1);
    v
}

fn open(v: &mut Venue, name: &str, usdt: &str) -> AccountId {
    v.execute(&Command::OpenAccount { name: name.into() })
        .unwrap();
    let id = v.account_id(name).unwrap();
    let asset = v.quote();
    v.execute(&Command::Deposit {
        account: id,
        asset,
        amount: b(usdt),
    })
    .unwrap();
    id
}

/// An isolated position of `size` at `px` with `margin`.
fn isolated(v: &mut Venue, id: AccountId, size: &str, px: &str, margin: &str) {
    let mut o = order(id, size, px);
    o.leverage = Some(r("100"));
    o.margin_mode = Some(MarginMode::Isolated);
    o.isolated_margin = Some(margin.parse().unwrap());
    v.execute(&Command::Trade(o)).unwrap();
}

/// BitMEX's six longs (10, 10, 20, 30, 20, 10 ETH, all in profit at 660) and
/// an isolated short of 20 at 600 with 1,000 margin, bankrupt at 650. With
/// `fund` in the insurance fund, the mark then jumps to 660: the short's
/// equity is 1000 − 20 × 60 = −200. Returns the venue, the longs' ids and
/// the events of that price update.
fn bitmex_crash(
    adl: AdlPolicy,
    insurance_first: bool,
    fund: &str,
) -> (Venue, Vec<AccountId>, Vec<Event>) {
    let mut v = venue(adl, insurance_first, fund, true);
    let longs = [
        ("acct1", "10", "560", "2000"),
        ("acct2", "10", "400", "500"),
        ("acct3", "20", "590", "5000"),
        ("acct4", "30", "500", "3000"),
        ("acct5", "20", "450", "1500"),
        ("acct6", "10", "570", "2500"),
    ];
    let mut ids = Vec::new();
    for (name, qty, entry, margin) in longs {
        let id = open(&mut v, name, margin);
        v.execute(&Command::Trade(order(id, qty, entry))).unwrap();
        ids.push(id);
    }
    let shorty = open(&mut v, "short", "1000");
    isolated(&mut v, shorty, "-20", "600", "1000");
    let events = price(&mut v, "660", 2);
    let c = v.conservation().unwrap();
    assert!(c.ok, "conservation broken: {c:#?}");
    (v, ids, events)
}

/// `(counterparty name, size, price)` of each `Deleveraged` event.
fn deleveraged(v: &Venue, events: &[Event]) -> Vec<(String, Base, Price)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Deleveraged {
                counterparty,
                size,
                price,
                ..
            } => Some((v.account_name(*counterparty), *size, *price)),
            _ => None,
        })
        .collect()
}

fn fills(list: &[(&str, &str, &str)]) -> Vec<(String, Base, Price)> {
    list.iter()
        .map(|(n, s, px)| (n.to_string(), b(s), p(px)))
        .collect()
}

/// Pro rata by size: the longs hold 10 + 10 + 20 + 30 + 20 + 10 = 100, all
/// in profit at 660; each closes 20 ÷ 100 = a fifth of itself at the
/// bankruptcy price 650: 2, 2, 4, 6, 4, 2.
#[test]
fn pro_rata_closes_the_same_share_of_every_profitable_position() {
    let (v, ids, events) = bitmex_crash(AdlPolicy::ProRata, false, "0");
    assert_eq!(
        deleveraged(&v, &events),
        fills(&[
            ("acct1", "2", "650"),
            ("acct2", "2", "650"),
            ("acct3", "4", "650"),
            ("acct4", "6", "650"),
            ("acct5", "4", "650"),
            ("acct6", "2", "650"),
        ])
    );
    assert_eq!(v.position(ids[3], 0).unwrap().size, b("24"));
    assert_eq!(v.funds()[v.quote() as usize].bad_debt, Base::ZERO);
}

/// Today's order (the default): the deficit of 200 exceeds the fund of 100,
/// so the whole of it is auto-deleveraged at 650 and the fund keeps 100.
/// Insurance first: the fund pays its 100, and the counterparties close at
/// the value leaving the short at −100: (1000 + 20 × 600 + 100) ÷ 20 = 655.
#[test]
fn insurance_first_drains_the_fund_then_deleverages_the_rest() {
    let (v, _, events) = bitmex_crash(AdlPolicy::Queue, false, "100");
    assert_eq!(
        deleveraged(&v, &events),
        fills(&[("acct2", "10", "650"), ("acct5", "10", "650")])
    );
    assert_eq!(v.funds()[v.quote() as usize].insurance_fund, b("100"));

    let (v, _, events) = bitmex_crash(AdlPolicy::Queue, true, "100");
    assert_eq!(
        deleveraged(&v, &events),
        fills(&[("acct2", "10", "655"), ("acct5", "10", "655")])
    );
    let funds = &v.funds()[v.quote() as usize];
    assert_eq!(funds.insurance_fund, Base::ZERO);
    assert_eq!(funds.bad_debt, Base::ZERO);
}

fn q(s: &str) -> levamp_core::Quote {
    s.parse().unwrap()
}

/// The same deficit under each policy, worked by hand. The short's deficit
/// is 200 (equity 1000 − 20 × (660 − 600)); 7 accounts, so the "top 1 %" is
/// ⌈7 ÷ 100⌉ = 1 account.
/// * Queue: acct2 and acct5 close 10 each at 650, 10 below the mark:
///   haircuts 100 + 100 = 200, 2 accounts, top share 100 ÷ 200 = 0.5.
/// * Pro rata: 2, 2, 4, 6, 4, 2 at 650: haircuts 20, 20, 40, 60, 40, 20 =
///   200, 6 accounts, top share 60 ÷ 200 = 0.3.
/// * Queue after a fund of 100: 10 + 10 at 655, haircuts 50 + 50 = 100,
///   the fund pays 100, top share 0.5.
///
/// Same total (ADL covers exactly the deficit either way); pro rata spreads
/// it over three times the accounts and cuts the largest share from 50 % to
/// 30 %. No bad debt in any case.
#[test]
fn queue_and_pro_rata_compared_on_one_deficit() {
    let impact = |adl, first, fund| {
        let (v, _, events) = bitmex_crash(adl, first, fund);
        adl_impact(&events, |_| p("660"), v.accounts().len() - 1).unwrap()
    };
    let queue = impact(AdlPolicy::Queue, false, "0");
    assert_eq!(
        queue,
        AdlImpact {
            total_haircut: q("200"),
            top_share: r("0.5"),
            accounts_touched: 2,
            max_haircut: q("100"),
            insurance_used: Base::ZERO,
            bad_debt: Base::ZERO,
        }
    );
    let pro_rata = impact(AdlPolicy::ProRata, false, "0");
    assert_eq!(
        pro_rata,
        AdlImpact {
            total_haircut: q("200"),
            top_share: r("0.3"),
            accounts_touched: 6,
            max_haircut: q("60"),
            insurance_used: Base::ZERO,
            bad_debt: Base::ZERO,
        }
    );
    let fund_first = impact(AdlPolicy::Queue, true, "100");
    assert_eq!(
        fund_first,
        AdlImpact {
            total_haircut: q("100"),
            top_share: r("0.5"),
            accounts_touched: 2,
            max_haircut: q("50"),
            insurance_used: b("100"),
            bad_debt: Base::ZERO,
        }
    );
}

/// A counterparty ADL would push below zero is passed over. With liquidation
/// left to commands, a long of 1 at 100 (isolated margin 50, bankrupt at 50)
/// is left open as the oracle falls to 45; "thin" shorts 1 at 45 on 0.45 of
/// margin, "safe" shorts 1 at 100 on 100. At 20 the long's equity is −30;
/// both shorts are in profit. Closing thin's short at the bankruptcy price 50
/// would realise −5 on 0.45 of margin, so only safe takes the long (at 50:
/// its equity 100 + 50 = 150), under either policy.
#[test]
fn adl_never_pushes_a_counterparty_below_zero() {
    for adl in [AdlPolicy::Queue, AdlPolicy::ProRata] {
        let mut v = venue(adl, false, "0", false);
        price(&mut v, "100", 2);
        let long = open(&mut v, "long", "50");
        isolated(&mut v, long, "1", "100", "50");
        let safe = open(&mut v, "safe", "100");
        isolated(&mut v, safe, "-1", "100", "100");
        price(&mut v, "45", 3);
        let thin = open(&mut v, "thin", "0.45");
        isolated(&mut v, thin, "-1", "45", "0.45");
        price(&mut v, "20", 4);
        let events = v
            .execute(&Command::Liquidate {
                liquidator: MARKET_ACCOUNT,
                account: long,
                market: Some(0),
            })
            .unwrap();
        assert_eq!(
            deleveraged(&v, &events),
            fills(&[("safe", "1", "50")]),
            "{adl:?}"
        );
        let c = v.conservation().unwrap();
        assert!(c.ok, "conservation broken: {c:#?}");
    }
}
