//! Shared fixtures of the two-market insurance-fund tests (backstop.rs,
//! fund_size.rs): BTCUSDT and ALTUSDT at MMR 0.5 %, 100×, no fees; prices,
//! accounts and trades with conservation checked after every oracle update.

#![allow(dead_code)]

use levamp_core::{Base, Price, Ratio};
use levamp_engine::venue::*;
use levamp_engine::*;

pub fn r(s: &str) -> Ratio {
    s.parse().unwrap()
}
pub fn b(s: &str) -> Base {
    s.parse().unwrap()
}
pub fn p(s: &str) -> Price {
    s.parse().unwrap()
}

pub fn market(name: &str) -> Market {
    Market {
        name: name.into(),
        price: 0,
        tiers: vec![Tier {
            max_notional: None,
            maintenance_margin_rate: r("0.005"),
            maintenance_amount: levamp_core::Quote::ZERO,
            max_leverage: r("100"),
        }],
        liquidation_fee_rate: Ratio::ZERO,
        funding_interval_s: 28800,
    }
}

pub fn price(v: &mut Venue, key: &str, px: &str, ts: i64) -> Vec<Event> {
    let key = v.price_id(key).unwrap();
    let ev = v
        .execute(&Command::Price {
            key,
            price: p(px),
            ts,
            confidence: None,
        })
        .unwrap();
    let c = v.conservation().unwrap();
    assert!(c.ok, "conservation broken: {c:#?}");
    ev
}

pub fn open(v: &mut Venue, name: &str, usdt: &str) -> AccountId {
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

pub fn trade(
    v: &mut Venue,
    account: AccountId,
    market: MarketId,
    size: &str,
    px: &str,
    counterparty: Option<AccountId>,
    isolated_margin: Option<&str>,
) {
    v.execute(&Command::Trade(TradeOrder {
        account,
        market,
        size: b(size),
        price: p(px),
        fee_rate: Ratio::ZERO,
        counterparty,
        counterparty_fee_rate: Ratio::ZERO,
        margin_mode: isolated_margin.map(|_| MarginMode::Isolated),
        isolated_margin: isolated_margin.map(|m| m.parse().unwrap()),
        leverage: Some(r("100")),
    }))
    .unwrap();
}
