//! The liquidation log on a hand-built venue run: records and breakdowns
//! with numbers worked by hand.

use super::*;
use levamp_core::{Base, Price, Quote, Ratio};
use levamp_engine::venue::{Command, TradeOrder, VenueRules};
use levamp_engine::{Market, Tier};

fn n<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

/// ETHUSDT (MMR 0.5 %, 100×, 1 % liquidation fee) with four traders:
/// a: long 1 @ 2,000 cross 20× on 100; b: long 1 isolated 15× on 150;
/// c: short 2 cross 40× on 100; d: long 1 cross 20× on 155.
fn venue() -> Venue {
    let mut v = Venue::new(VenueRules::generic(), "USDT");
    let spec = Market {
        name: "ETHUSDT".into(),
        price: 1,
        tiers: vec![Tier {
            max_notional: None,
            maintenance_margin_rate: n("0.005"),
            maintenance_amount: Quote::ZERO,
            max_leverage: n("100"),
        }],
        liquidation_fee_rate: n("0.01"),
        funding_interval_s: 28800,
    };
    v.execute(&Command::ListMarket {
        spec,
        base: "ETH".into(),
    })
    .unwrap();
    price(&mut v, "2000", 1);
    for (name, usdt, size, lev, isolated) in [
        ("a", "100", "1", "20", None),
        ("b", "150", "1", "15", Some("150")),
        ("c", "100", "-2", "40", None),
        ("d", "155", "1", "20", None),
    ] {
        v.execute(&Command::OpenAccount { name: name.into() })
            .unwrap();
        let id = v.account_id(name).unwrap();
        v.execute(&Command::Deposit {
            account: id,
            asset: v.quote(),
            amount: n::<Base>(usdt),
        })
        .unwrap();
        v.execute(&Command::Trade(TradeOrder {
            account: id,
            market: 0,
            size: n(size),
            price: n("2000"),
            fee_rate: Ratio::ZERO,
            counterparty: None,
            counterparty_fee_rate: Ratio::ZERO,
            margin_mode: Some(match isolated {
                Some(_) => MarginMode::Isolated,
                None => MarginMode::Cross,
            }),
            isolated_margin: isolated.map(n::<Quote>),
            leverage: Some(n(lev)),
        }))
        .unwrap();
    }
    v
}

fn price(v: &mut Venue, px: &str, ts: i64) -> Vec<Event> {
    v.execute(&Command::Price {
        key: v.price_id("ETH").unwrap(),
        price: n::<Price>(px),
        ts,
        confidence: None,
    })
    .unwrap()
}

/// 2,000 → 1,850 liquidates the three longs (d keeps 5 of equity and pays
/// it as penalty), 1,850 → 2,100 the short.
#[test]
fn records_and_breakdown_of_a_hand_built_run() {
    let mut v = venue();
    let mut log = Log::default();
    for (step, px, ts) in [(1, "1850", 2), (2, "2100", 3)] {
        for e in price(&mut v, px, ts) {
            log.event(&e, &v, step, 1);
        }
    }
    let l = log.finish(&v);
    let got: Vec<_> = l
        .records
        .iter()
        .map(|r| {
            (
                r.account.as_str(),
                r.long,
                r.mode,
                r.leverage,
                r.notional,
                r.price,
                r.step,
                r.loss,
            )
        })
        .collect();
    use MarginMode::*;
    assert_eq!(
        got,
        vec![
            (
                "c",
                false,
                Some(Cross),
                Some(40.0),
                4200.0,
                2100.0,
                2,
                200.0
            ),
            ("a", true, Some(Cross), Some(20.0), 1850.0, 1850.0, 1, 150.0),
            (
                "b",
                true,
                Some(Isolated),
                Some(15.0),
                1850.0,
                1850.0,
                1,
                150.0
            ),
            ("d", true, Some(Cross), Some(20.0), 1850.0, 1850.0, 1, 155.0),
        ]
    );
    let b = &l.breakdown;
    let bucket = |count, notional| Bucket { count, notional };
    assert_eq!(b.leverage[2], bucket(3, 5550.0), "10–25×");
    assert_eq!(b.leverage[3], bucket(1, 4200.0), "25–50×");
    assert_eq!(b.side, [bucket(3, 5550.0), bucket(1, 4200.0)]);
    assert_eq!(
        b.mode,
        [bucket(3, 7900.0), bucket(1, 1850.0), Bucket::default()]
    );
    assert_eq!(b.size[0], bucket(4, 9750.0));
    assert_eq!(b.family, [bucket(4, 9750.0), Bucket::default()]);
    assert!(l.records.iter().all(|r| r.events == 1));
    // A later liquidation of the same account merges into its record.
    let mut log = Log::default();
    let events = price(&mut venue(), "2100", 2);
    for (step, round) in [(1, 1), (2, 3)] {
        for e in &events {
            log.event(e, &v, step, round);
        }
    }
    let l2 = log.finish(&v);
    assert_eq!(l2.records.len(), 1);
    let c = &l2.records[0];
    assert_eq!((c.notional, c.loss, c.events), (8400.0, 400.0, 2));
    assert_eq!((c.step, c.round), (1, 1), "the first liquidation's");
    assert_eq!(l2.breakdown.side[1], bucket(1, 8400.0), "one account");
    let mut twice = b.clone();
    twice.merge(b);
    assert_eq!(twice.count(), 8);
    assert_eq!(
        b.json()["leverage"][2],
        json!({"band": "10–25×", "count": 3, "notional": 5550.0})
    );
}
