//! Volatility-sensitive margin (issue #13 §1): k = 0 is the static venue bit
//! for bit, a constant price never moves a rate, a volatility spike raises
//! it (phased in over the notice period, or at once), a decrease applies at
//! once, a rise liquidates the holders it makes liquidatable, and a log
//! replays exactly.

use levamp_core::{Base, Price, Quote, Ratio, Round};
use levamp_engine::venue::*;
use levamp_engine::*;

fn r(s: &str) -> Ratio {
    s.parse().unwrap()
}

fn dynamic(k: i64, notice_s: i64) -> VenueRules {
    VenueRules {
        dynamic_margin: Some(DynamicMargin {
            notice_s,
            ..DynamicMargin::with_k(Ratio::from_int(k))
        }),
        ..VenueRules::generic()
    }
}

/// ETHUSDT (one tier: MMR 0.5 %, 100×), ETH at 2000, and `a` long 10 ETH
/// at 20× (equity 2,000 on a notional of 20,000: 10 %) against the market.
fn venue(rules: VenueRules) -> (Venue, Vec<Event>) {
    let mut v = Venue::new(rules, "USDT");
    let mut log = vec![v.opening_event()];
    let spec = Market {
        name: "ETHUSDT".into(),
        price: 0,
        tiers: vec![Tier {
            max_notional: None,
            maintenance_margin_rate: r("0.005"),
            maintenance_amount: Quote::ZERO,
            max_leverage: r("100"),
        }],
        liquidation_fee_rate: r("0.01"),
        funding_interval_s: 28800,
    };
    let commands = [
        Command::ListMarket {
            spec,
            base: "ETH".into(),
        },
        Command::OpenAccount { name: "a".into() },
        Command::Deposit {
            account: 1,
            asset: 0,
            amount: Base::from_int(2_000),
        },
        price_at("2000", 1),
        Command::Trade(TradeOrder {
            account: 1,
            market: 0,
            size: Base::from_int(10),
            price: Price::from_int(2000),
            fee_rate: Ratio::ZERO,
            counterparty: None,
            counterparty_fee_rate: Ratio::ZERO,
            margin_mode: Some(MarginMode::Cross),
            isolated_margin: None,
            leverage: Some(Ratio::from_int(20)),
        }),
    ];
    for c in &commands {
        log.extend(v.execute(c).unwrap());
    }
    (v, log)
}

fn price_at(px: &str, ts: i64) -> Command {
    Command::Price {
        key: 1,
        price: px.parse().unwrap(),
        ts,
        confidence: None,
    }
}

/// A calm hour (±0.01 % a minute) then a spike: ±1.5 % a minute for ten
/// minutes, mostly up (the long gains: no price trigger is crossed), then
/// calm again for `calm_after` minutes.
fn path(calm_after: i64) -> Vec<Command> {
    let mut out = Vec::new();
    let mut ts = 60;
    let mut px = 2000.0f64;
    for i in 0..60 {
        ts += 60;
        px *= if i % 2 == 0 { 1.0001 } else { 0.9999 };
        out.push(price_at(&format!("{px:.6}"), ts));
    }
    for i in 0..10 {
        ts += 60;
        px *= if i % 3 == 2 { 0.985 } else { 1.015 };
        out.push(price_at(&format!("{px:.6}"), ts));
    }
    for i in 0..calm_after {
        ts += 60;
        px *= if i % 2 == 0 { 1.0001 } else { 0.9999 };
        out.push(price_at(&format!("{px:.6}"), ts));
    }
    out
}

fn run(v: &mut Venue, log: &mut Vec<Event>, commands: &[Command]) -> Vec<Event> {
    let mut out = Vec::new();
    for c in commands {
        let e = v.execute(c).unwrap();
        out.extend(e.iter().cloned());
        log.extend(e);
    }
    out
}

fn rate_changes(events: &[Event]) -> Vec<(Ratio, Ratio)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::MarginRateChanged {
                maintenance_rate,
                target,
                ..
            } => Some((*maintenance_rate, *target)),
            _ => None,
        })
        .collect()
}

#[test]
fn k_zero_reproduces_the_static_venue_bit_for_bit() {
    let (mut fixed, mut log_fixed) = venue(VenueRules::generic());
    let (mut k0, mut log_k0) = venue(dynamic(0, 1800));
    let e_fixed = run(&mut fixed, &mut log_fixed, &path(600));
    let e_k0 = run(&mut k0, &mut log_k0, &path(600));
    assert_eq!(e_fixed, e_k0);
    assert_eq!(log_fixed[1..], log_k0[1..]);
    assert_eq!(fixed.accounts(), k0.accounts());
    assert_eq!(fixed.markets(), k0.markets());
    assert_eq!(fixed.funds(), k0.funds());
    assert_eq!(fixed.prices(), k0.prices());
    assert!(k0.margin_rates().is_empty());
    // The estimate still ran: the rule is on, it only drives nothing.
    assert!(k0.volatility()[&1].variance > 0);
}

#[test]
fn a_constant_price_never_changes_a_rate() {
    let (mut v, mut log) = venue(dynamic(10, 0));
    let calm: Vec<Command> = (2..2000).map(|i| price_at("2000", i * 7)).collect();
    let events = run(&mut v, &mut log, &calm);
    assert!(rate_changes(&events).is_empty());
    assert!(v.margin_rates().is_empty());
    assert_eq!(v.volatility()[&1].variance, 0);
    assert_eq!(v.markets()[0].tiers[0].maintenance_margin_rate, r("0.005"));
}

#[test]
fn a_spike_raises_the_rate_phased_in_over_the_notice() {
    let (mut v, mut log) = venue(dynamic(3, 1800));
    let events = run(&mut v, &mut log, &path(0));
    let changes = rate_changes(&events);
    assert!(!changes.is_empty(), "the spike moved no rate");
    // Announced above what is in force, phased in: rate < target at first.
    let (first_rate, first_target) = changes[0];
    assert!(first_rate < first_target, "{changes:?}");
    // Every tier's maintenance rate is the floor now in force.
    let now = v.margin_rates()[&0].maintenance_rate;
    assert!(now > r("0.005"));
    assert_eq!(v.markets()[0].tiers[0].maintenance_margin_rate, now);
    // Initial margin keeps its ratio (100× at 0.5 % ⇒ IMR = 2 × MMR).
    let lev = v.markets()[0].tiers[0].max_leverage;
    assert_eq!(
        lev,
        Ratio::from_raw(
            levamp_core::mul_div(
                100 * levamp_core::SCALE,
                r("0.005").raw(),
                now.raw(),
                Round::Floor
            )
            .unwrap()
        )
        .max(Ratio::ONE)
    );
    // The phase-in lands on its target (after the notice, no decrease yet):
    // calm updates for 40 minutes move the target only down.
    let later = run(&mut v, &mut log, &path(40)[70..]);
    let last = rate_changes(&later);
    assert!(!last.is_empty());
    assert_eq!(Venue::replay(&log).unwrap(), v);
}

#[test]
fn without_notice_a_rise_applies_at_once_and_liquidates() {
    let (mut with_notice, mut log_n) = venue(dynamic(3, 1800));
    let (mut at_once, mut log_a) = venue(dynamic(3, 0));
    let e_notice = run(&mut with_notice, &mut log_n, &path(0));
    let e_at_once = run(&mut at_once, &mut log_a, &path(0));
    // At once: rate = target in every change.
    for (rate, target) in rate_changes(&e_at_once) {
        assert_eq!(rate, target);
    }
    let liquidated = |e: &[Event]| {
        e.iter()
            .filter(|e| matches!(e, Event::Liquidated { .. }))
            .count()
    };
    // The long only gains in the spike: the rate rise alone liquidates it,
    // at once without notice, not within the spike with 30 min notice.
    assert_eq!(liquidated(&e_at_once), 1);
    assert_eq!(liquidated(&e_notice), 0);
    // Liquidated in the update that raised the rate, not at a later one:
    // on a path of rises only (no price trigger of the long is ever
    // crossed), nothing is left liquidatable after any update.
    let (mut v, mut log) = venue(dynamic(3, 0));
    let mut liquidations = 0;
    for i in 0..20 {
        let c = price_at(
            &format!("{:.6}", 2000.0 * 1.015f64.powi(i + 1)),
            120 + 60 * i as i64,
        );
        let events = v.execute(&c).unwrap();
        liquidations += liquidated(&events);
        log.extend(events);
        let acc = &v.accounts()[1];
        let health = scope_health(acc, Scope::Cross, &v.context()).unwrap();
        assert!(!health.liquidatable(), "left liquidatable after {c:?}");
    }
    assert_eq!(liquidations, 1);
    assert_eq!(Venue::replay(&log).unwrap(), v);
    assert_eq!(Venue::replay(&log_a).unwrap(), at_once);
    assert_eq!(Venue::replay(&log_n).unwrap(), with_notice);
}

#[test]
fn a_decrease_applies_at_once() {
    let (mut v, mut log) = venue(dynamic(3, 0));
    run(&mut v, &mut log, &path(0));
    let high = v.margin_rates()[&0].maintenance_rate;
    // Hours of calm: σ̂ decays, and the rate follows it down without notice.
    let calm: Vec<Command> = (0..600)
        .map(|i| price_at("2100", 70 * 60 + 60 + i * 60))
        .collect();
    let events = run(&mut v, &mut log, &calm);
    let changes = rate_changes(&events);
    assert!(changes.windows(2).all(|w| w[1].0 < w[0].0), "{changes:?}");
    assert!(changes.iter().all(|(rate, target)| rate == target));
    assert!(v.margin_rates()[&0].maintenance_rate < high);
    assert_eq!(Venue::replay(&log).unwrap(), v);
}

#[test]
fn raised_tiers_stay_continuous_and_never_below_the_listed_ones() {
    // Binance-style: 0.5 % below 50k, 1 % above with amount 250 (continuous).
    let base = vec![
        Tier {
            max_notional: Some(Quote::from_int(50_000)),
            maintenance_margin_rate: r("0.005"),
            maintenance_amount: Quote::ZERO,
            max_leverage: r("100"),
        },
        Tier {
            max_notional: None,
            maintenance_margin_rate: r("0.01"),
            maintenance_amount: Quote::from_int(250),
            max_leverage: r("50"),
        },
    ];
    assert_eq!(raised_tiers(&base, Ratio::ZERO).unwrap(), base);
    let req = |t: &Tier, n: i64| {
        Quote::from_int(n)
            .mul_ratio(t.maintenance_margin_rate, Round::Ceil)
            .unwrap()
            .checked_sub(t.maintenance_amount)
            .unwrap()
    };
    // Floor between the tiers: tier 0 raised to 0.8 %, tier 1 kept; the
    // requirement gains ∫ raise = 50k × 0.3 % = 150 above 50k.
    let raised = raised_tiers(&base, r("0.008")).unwrap();
    assert_eq!(raised[0].maintenance_margin_rate, r("0.008"));
    assert_eq!(raised[0].max_leverage, r("62.5"));
    assert_eq!(raised[1].maintenance_margin_rate, r("0.01"));
    assert_eq!(raised[1].maintenance_amount, Quote::from_int(100));
    assert_eq!(req(&raised[0], 50_000), req(&raised[1], 50_000));
    for n in [1_000, 49_999, 50_000, 200_000] {
        let t = |tiers: &[Tier]| {
            tiers
                .iter()
                .find(|t| t.max_notional.is_none_or(|c| Quote::from_int(n) < c))
                .unwrap()
                .clone()
        };
        assert!(req(&t(&raised), n) >= req(&t(&base), n));
    }
    // Floor above every tier: N × 2 % everywhere.
    let all = raised_tiers(&base, r("0.02")).unwrap();
    assert_eq!(all[1].maintenance_amount, Quote::ZERO);
    assert_eq!(all[1].max_leverage, r("25"));
}

#[test]
fn bad_parameters_are_refused_naming_the_key() {
    let mut v = Venue::new(VenueRules::generic(), "USDT");
    let mut rules = dynamic(3, 0);
    rules.dynamic_margin.as_mut().unwrap().lambda = Ratio::ONE;
    let err = v.execute(&Command::SetRules(Box::new(rules))).unwrap_err();
    assert!(err.to_string().contains("dynamic_margin.lambda"), "{err}");
}

#[test]
fn the_size_premium_raises_large_positions_and_their_liquidation_price() {
    // 1,000 ETH long at 2000 with 300,000 of margin (15 %): safe at the
    // listed 0.5 %; with imf = 0.005, 0.8 × 0.5 % + 0.005 × √1000 ≈ 16.2 %.
    let setup = |imf: &str| {
        let mut rules = VenueRules::generic();
        rules.imf_factor = r(imf);
        let (mut v, _) = venue(rules);
        v.execute(&Command::OpenAccount { name: "big".into() })
            .unwrap();
        v.execute(&Command::Deposit {
            account: 2,
            asset: 0,
            amount: Base::from_int(300_000),
        })
        .unwrap();
        let order = TradeOrder {
            account: 2,
            market: 0,
            size: Base::from_int(1000),
            price: Price::from_int(2000),
            fee_rate: Ratio::ZERO,
            counterparty: None,
            counterparty_fee_rate: Ratio::ZERO,
            margin_mode: Some(MarginMode::Cross),
            isolated_margin: None,
            leverage: Some(Ratio::from_int(10)),
        };
        // Initial margin: 200,000 at 10×; with the premium on 1 ÷ 10 too,
        // (0.08 + 0.158) × 2M ≈ 476,000: the trade is refused.
        let traded = v.clone().execute(&Command::Trade(order.clone())).is_ok();
        v.execute(&Command::ImportPosition(order)).unwrap();
        (v, traded)
    };
    let (plain, plain_traded) = setup("0");
    let (premium, premium_traded) = setup("0.005");
    assert!(plain_traded && !premium_traded);
    let ctx_plain = plain.context();
    let ctx = premium.context();
    let acc = &premium.accounts()[2];
    let mm = |v: &Venue, c| {
        scope_health(&v.accounts()[2], Scope::Cross, c)
            .unwrap()
            .maintenance_margin
    };
    assert_eq!(mm(&plain, &ctx_plain), Quote::from_int(10_000)); // 2M × 0.5 %
    let expected = Quote::from_int(2_000_000)
        .mul_ratio(
            levamp_engine::size_premium::size_premium_rate(
                Base::from_int(1000),
                r("0.005"),
                r("0.005"),
            )
            .unwrap(),
            Round::Ceil,
        )
        .unwrap();
    assert_eq!(mm(&premium, &ctx), expected);
    assert!(expected > Quote::from_int(320_000));
    // The solver's root is the exact boundary of the predicate with the premium.
    let lp = liquidation_price(acc, 0, &ctx).unwrap().unwrap();
    let at = |p: Price| {
        let mut prices = premium.prices().to_vec();
        prices[1] = p;
        let c = MarginContext {
            prices: &prices,
            ..ctx
        };
        scope_health(acc, Scope::Cross, &c).unwrap().liquidatable()
    };
    assert!(at(lp));
    assert!(!at(Price::from_raw(lp.raw() + 1)));
    assert!(
        lp > liquidation_price(&plain.accounts()[2], 0, &ctx_plain)
            .unwrap()
            .unwrap()
    );
}

#[test]
fn a_rate_rise_re_indexes_the_holders() {
    // External liquidation only: the rise must show in the index, not in
    // a venue-run liquidation.
    let mut rules = dynamic(3, 0);
    rules.liquidation.auto = false;
    let (mut v, mut log) = venue(rules);
    let events = run(&mut v, &mut log, &path(0));
    assert!(!rate_changes(&events).is_empty());
    let acc = &v.accounts()[1];
    assert!(scope_health(acc, Scope::Cross, &v.context())
        .unwrap()
        .liquidatable());
    let mut index = v.liquidation_index().clone();
    let found = index.crossed(1, v.prices()[1]);
    assert_eq!(
        found,
        vec![1],
        "the index misses the account the rise made liquidatable"
    );
    assert_eq!(Venue::replay(&log).unwrap(), v);
}
