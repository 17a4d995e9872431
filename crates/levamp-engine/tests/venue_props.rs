//! Property tests over random command streams: after every command value is
//! conserved to the last unit and open interest balances; a refused command
//! changes nothing; the liquidation index finds every liquidatable account;
//! replaying the event log rebuilds a bit-identical venue (index included).

use levamp_core::{mul_div, Base, Price, Quote, Ratio, Round, SCALE};
use levamp_engine::venue::*;
use levamp_engine::*;
use proptest::prelude::*;

fn r(s: &str) -> Ratio {
    s.parse().unwrap()
}

#[derive(Clone, Debug)]
enum Op {
    Deposit(u8, u8, u32),
    Withdraw(u8, u8, u32),
    Trade {
        account: u8,
        counterparty: u8,
        size_milli: i32,
        price_pct: u8,
        isolated: bool,
        leverage: u8,
    },
    Price(u8, i16),
    /// An oracle update `secs` after now (it advances the clock too).
    PriceLater(u8, i16, u16),
    Funding(i16),
    Supply(u8, u8, u32),
    Borrow(u8, u8, u32),
    Repay(u8, u8),
    Liquidate(u8, u8),
    LiquidationCall(u8, u8, bool),
    Advance(u16),
    IsolatedMargin(u8, i32),
    /// Re-lists ETHUSDT with one of [`tiers`]'s sets.
    Relist(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..5, 0u8..3, 1u32..50_000).prop_map(|(a, s, x)| Op::Deposit(a, s, x)),
        (0u8..5, 0u8..3, 1u32..50_000).prop_map(|(a, s, x)| Op::Withdraw(a, s, x)),
        (
            0u8..5,
            0u8..6,
            -5_000i32..5_000,
            95u8..105,
            any::<bool>(),
            1u8..60
        )
            .prop_map(
                |(account, counterparty, size_milli, price_pct, isolated, leverage)| Op::Trade {
                    account,
                    counterparty,
                    size_milli,
                    price_pct,
                    isolated,
                    leverage
                }
            ),
        (0u8..2, -300i16..300).prop_map(|(k, bp)| Op::Price(k, bp)),
        (0u8..2, -2000i16..1500).prop_map(|(k, bp)| Op::Price(k, bp)),
        Just(Op::Price(0, -5000)),
        (0u8..2, -2000i16..1500, 1u16..600).prop_map(|(k, bp, secs)| Op::PriceLater(k, bp, secs)),
        (-100i16..100).prop_map(Op::Funding),
        (0u8..5, 1u8..3, 1u32..20_000).prop_map(|(a, s, x)| Op::Supply(a, s, x)),
        (0u8..5, 1u8..3, 1u32..1_500_000).prop_map(|(a, s, x)| Op::Borrow(a, s, x)),
        (0u8..5, 1u8..3).prop_map(|(a, s)| Op::Repay(a, s)),
        (0u8..5, 0u8..5).prop_map(|(l, a)| Op::Liquidate(l, a)),
        (0u8..5, 0u8..5, any::<bool>()).prop_map(|(l, a, weth)| Op::LiquidationCall(l, a, weth)),
        (1u16..5000).prop_map(Op::Advance),
        (0u8..5, -5000i32..5000).prop_map(|(a, x)| Op::IsolatedMargin(a, x)),
        (0u8..4).prop_map(Op::Relist),
    ]
}

/// ETHUSDT's tier sets: 0 the listing's, 1 looser, 2 and 3 stricter (3 makes
/// most leveraged accounts liquidatable at once).
fn tiers(set: u8) -> Vec<Tier> {
    let t = |cap: Option<&str>, mmr: &str, amount: &str, lev: &str| Tier {
        max_notional: cap.map(|c| c.parse().unwrap()),
        maintenance_margin_rate: r(mmr),
        maintenance_amount: amount.parse().unwrap(),
        max_leverage: r(lev),
    };
    match set {
        0 => vec![
            t(Some("50000"), "0.01", "0", "50"),
            t(None, "0.025", "750", "20"),
        ],
        1 => vec![t(None, "0.004", "0", "100")],
        2 => vec![
            t(Some("10000"), "0.03", "0", "20"),
            t(None, "0.06", "300", "10"),
        ],
        _ => vec![t(None, "0.3", "0", "3")],
    }
}

fn eth_market(set: u8) -> Market {
    Market {
        name: "ETHUSDT".into(),
        price: 0,
        tiers: tiers(set),
        liquidation_fee_rate: r("0.01"),
        funding_interval_s: 3600,
    }
}

fn rules(variant: u8) -> VenueRules {
    let mut rules = VenueRules::generic();
    // Variants 6..12 repeat 0..6 with pro-rata ADL after the insurance fund.
    if variant >= 6 {
        rules.adl = AdlPolicy::ProRata;
        rules.adl_insurance_first = true;
    }
    let variant = variant % 6;
    rules.after_insurance = [
        AfterInsurance::Record,
        AfterInsurance::Socialize,
        AfterInsurance::AutoDeleverage,
    ][variant as usize % 3];
    // Half the runs leave liquidation to `liquidate` commands.
    rules.liquidation.auto = variant < 3;
    if variant % 2 == 1 {
        rules.liquidation.partial_buffer = Some(r("0.2"));
        rules.liquidation.liquidator_share = r("0.5");
    } else if variant.is_multiple_of(4) {
        // Hyperliquid: backstop below ⅔ of maintenance, fifths above a
        // (small, so the random books reach it) notional.
        rules.liquidation.backstop_below = Some(r("0.666666666667"));
        rules.liquidation.step = Some(LiquidationStep {
            share: r("0.2"),
            min_notional: "5000".parse().unwrap(),
        });
    }
    rules
}

fn setup(variant: u8) -> (Venue, Vec<Event>) {
    let mut v = Venue::new(rules(variant), "USDT");
    let mut log = vec![v.opening_event()];
    let market = eth_market(0);
    let pool = Some(PoolParams {
        rate_model: RateModel {
            optimal_utilization: r("0.8"),
            base: r("0.01"),
            slope1: r("0.04"),
            slope2: r("0.6"),
        },
        reserve_factor: r("0.1"),
    });
    let asset = |name: &str| Asset {
        name: name.into(),
        price: 0,
        haircut: r("0.1"),
        ltv: r("0.75"),
        liquidation_threshold: r("0.8"),
        liquidation_bonus: r("0.05"),
        liquidation_protocol_fee: r("0.1"),
        emode: None,
        pool,
    };
    let mut commands = vec![
        Command::ListMarket {
            spec: market,
            base: "ETH".into(),
        },
        Command::ListAsset {
            spec: Box::new(asset("WETH")),
            price_key: "ETH".into(),
        },
        Command::ListAsset {
            spec: Box::new(asset("USDC")),
            price_key: "USDC".into(),
        },
    ];
    for name in ["a", "b", "c", "d", "e"] {
        commands.push(Command::OpenAccount { name: name.into() });
    }
    commands.push(Command::Price {
        key: 1,
        price: Price::from_int(2000),
        ts: 3600,
        confidence: None,
    });
    commands.push(Command::Price {
        key: 2,
        price: Price::ONE,
        ts: 3600,
        confidence: None,
    });
    for c in &commands {
        log.extend(v.execute(c).unwrap());
    }
    // Everyone starts funded: 20k USDT, 5 WETH supplied, 10k USDC supplied.
    for account in 1..=5 {
        let funding = [
            Command::Deposit {
                account,
                asset: 0,
                amount: Base::from_int(20_000),
            },
            Command::Deposit {
                account,
                asset: 1,
                amount: Base::from_int(5),
            },
            Command::Supply {
                account,
                asset: 1,
                amount: Base::from_int(5),
            },
            Command::Deposit {
                account,
                asset: 2,
                amount: Base::from_int(10_000),
            },
            Command::Supply {
                account,
                asset: 2,
                amount: Base::from_int(10_000),
            },
            Command::Deposit {
                account,
                asset: 2,
                amount: Base::from_int(5_000),
            },
            Command::Deposit {
                account,
                asset: 1,
                amount: Base::from_int(2),
            },
        ];
        for c in &funding {
            log.extend(v.execute(c).unwrap());
        }
    }
    (v, log)
}

fn command(v: &Venue, op: &Op) -> Command {
    let acc = |i: u8| i as AccountId + 1; // accounts a..e are 1..5
    let amt = |x: u32| Base::from_raw(x as i128 * 10_000_000_000); // x / 100
    match *op {
        Op::Deposit(a, s, x) => Command::Deposit {
            account: acc(a),
            asset: s as AssetId,
            amount: amt(x),
        },
        Op::Withdraw(a, s, x) => Command::Withdraw {
            account: acc(a),
            asset: s as AssetId,
            amount: amt(x),
        },
        Op::Trade {
            account,
            counterparty,
            size_milli,
            price_pct,
            isolated,
            leverage,
        } => {
            // Two markets (the segmented streams): odd prices trade ALTUSDT.
            let market = (v.markets().len() > 1 && price_pct % 2 == 1) as MarketId;
            let mark = v.prices()[v.markets()[market as usize].price as usize].raw();
            Command::Trade(TradeOrder {
                account: acc(account),
                market,
                size: Base::from_raw(size_milli as i128 * 1_000_000_000),
                price: Price::from_raw(mark / 100 * price_pct as i128),
                fee_rate: r("0.0005"),
                counterparty: (counterparty < 5).then(|| acc(counterparty)),
                counterparty_fee_rate: r("0.0002"),
                margin_mode: Some(if isolated {
                    MarginMode::Isolated
                } else {
                    MarginMode::Cross
                }),
                isolated_margin: None,
                leverage: Some(Ratio::from_int(leverage as i64)),
            })
        }
        Op::Price(k, bp) | Op::PriceLater(k, bp, _) => {
            // Two markets: the second key moved is ALT's (not USDC's).
            let key = match (k, v.markets().len() > 1) {
                (1, true) => v.markets()[1].price,
                _ => 1 + k as PriceId,
            };
            let old = v.prices()[key as usize].raw();
            let price = Price::from_raw((old + old / 10_000 * bp as i128).max(1));
            let later = match *op {
                Op::PriceLater(_, _, secs) => secs as i64,
                _ => 0,
            };
            Command::Price {
                key,
                price,
                ts: v.now() + later,
                confidence: None,
            }
        }
        Op::Funding(bp) => Command::Funding {
            market: 0,
            ts: (v.last_funding()[0].max(v.now()) / 3600 + 1) * 3600,
            rate: Some(Ratio::from_raw(bp as i128 * 10_000_000)),
            premium: None,
        },
        Op::Supply(a, s, x) => Command::Supply {
            account: acc(a),
            asset: s as AssetId,
            amount: amt(x),
        },
        Op::Borrow(a, s, x) => Command::Borrow {
            account: acc(a),
            asset: s as AssetId,
            amount: amt(x),
        },
        Op::Repay(a, s) => Command::Repay {
            account: acc(a),
            asset: s as AssetId,
            amount: None,
        },
        Op::Liquidate(l, a) => Command::Liquidate {
            liquidator: acc(l),
            account: acc(a),
            market: Some(0),
        },
        Op::LiquidationCall(l, a, weth) => {
            let (collateral_asset, debt_asset) = if weth { (1, 2) } else { (2, 1) };
            Command::LiquidationCall {
                liquidator: acc(l),
                account: acc(a),
                collateral_asset,
                debt_asset,
                debt_to_cover: None,
            }
        }
        Op::Advance(dt) => Command::Advance {
            ts: v.now() + dt as i64,
        },
        Op::IsolatedMargin(a, x) => Command::IsolatedMargin {
            account: acc(a),
            market: 0,
            amount: Quote::from_raw(x as i128 * 10_000_000_000),
        },
        Op::Relist(set) => Command::ListMarket {
            spec: eth_market(set),
            base: "ETH".into(),
        },
    }
}

/// The index's contract: every account with a liquidatable perp scope is
/// found by an update of some key to its current price. Returns the first
/// account it would miss.
fn missed_by_index(v: &Venue) -> Option<AccountId> {
    let mut index = v.liquidation_index().clone();
    let found: std::collections::BTreeSet<AccountId> = (0..v.prices().len() as PriceId)
        .flat_map(|k| index.crossed(k, v.prices()[k as usize]))
        .collect();
    (1..v.accounts().len() as AccountId).find(|&a| {
        let acc = &v.accounts()[a as usize];
        !found.contains(&a)
            && (0..acc.positions.len()).any(|j| {
                !acc.positions[j].size.is_zero()
                    && scope_health(acc, Scope::of(acc, j), &v.context())
                        .unwrap()
                        .liquidatable()
            })
    })
}

/// Whether the scope of position `j` moves with price key `key`: one of its
/// positions is on a market priced by it, or (cross) the account holds
/// collateral priced by it.
fn scope_exposed(v: &Venue, acc: &Account, j: usize, key: PriceId) -> bool {
    let scope = Scope::of(acc, j);
    let positions = acc
        .positions
        .iter()
        .enumerate()
        .filter(|(i, _)| Scope::of(acc, *i) == scope);
    let on_key = |m: MarketId| v.markets()[m as usize].price == key;
    let collateral = |list: &[Holding]| {
        list.iter()
            .any(|h| v.assets()[h.asset as usize].price == key)
    };
    positions.into_iter().any(|(_, p)| on_key(p.market))
        || (scope == Scope::Cross
            && (collateral(&acc.collateral)
                || collateral(&acc.supplied)
                || collateral(&acc.borrows)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn conservation_atomicity_and_replay(variant in 0u8..12, ops in prop::collection::vec(op(), 1..120)) {
        let (v, log) = setup(variant);
        check_stream(v, log, &ops)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// The same streams on two markets (ETHUSDT and ALTUSDT) with a
    /// segmented backstop (issue #13): each market's penalties and deficits
    /// move its own fund, the market funds always sum to the quote asset's
    /// insurance fund, value is conserved and the log replays.
    #[test]
    fn segmented_backstop_conserves(variant in 0u8..12, ops in prop::collection::vec(op(), 1..120)) {
        let (mut v, mut log) = setup(variant);
        let mut rules = v.rules().clone();
        rules.backstop = Backstop::Segmented;
        let mut alt = eth_market(0);
        alt.name = "ALTUSDT".into();
        let setup = [
            Command::SetRules(Box::new(rules)),
            Command::ListMarket { spec: alt, base: "ALT".into() },
            Command::Price { key: 3, price: Price::from_int(2000), ts: v.now(), confidence: None },
            Command::SeedMarketInsurance { market: 0, amount: Base::from_int(300) },
            Command::SeedMarketInsurance { market: 1, amount: Base::from_int(200) },
        ];
        for c in &setup {
            log.extend(v.execute(c).unwrap());
        }
        check_stream(v, log, &ops)?;
    }
}

proptest! {
    // Fewer cases: every rate change re-indexes and re-checks the holders.
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// The same streams with volatility-sensitive margin (and, on half the
    /// runs, Drift's size premium) on (issue #13):
    /// rates that move with the oracle re-index their markets' holders, so
    /// the index still misses no liquidatable account after any command,
    /// and an automatic venue leaves none liquidatable after an update.
    #[test]
    fn dynamic_margin_misses_no_account(
        variant in 0u8..12,
        k in prop::sample::select(vec![1i64, 3, 30, 300]),
        notice_s in prop::sample::select(vec![0i64, 600, 7200]),
        imf in prop::sample::select(vec!["0", "0.01"]),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let (mut v, mut log) = setup(variant);
        let mut rules = v.rules().clone();
        rules.dynamic_margin = Some(DynamicMargin {
            notice_s,
            // Large k and cap: rises that make the funded accounts liquidatable.
            max_rate: r("0.9"),
            ..DynamicMargin::with_k(Ratio::from_int(k))
        });
        // Drift's size premium on top (its own re-indexing path).
        rules.imf_factor = r(imf);
        log.extend(v.execute(&Command::SetRules(Box::new(rules))).unwrap());
        check_stream(v, log, &ops)?;
    }
}

/// The lowest equity among `account`'s cross scope and isolated positions.
fn lowest_equity(v: &Venue, account: AccountId) -> Quote {
    let acc = &v.accounts()[account as usize];
    let ctx = v.context();
    let mut low = scope_health(acc, Scope::Cross, &ctx).unwrap().equity;
    for j in 0..acc.positions.len() {
        low = low.min(scope_health(acc, Scope::of(acc, j), &ctx).unwrap().equity);
    }
    low
}

/// Runs `ops` on `v` (whose log so far is `log`), checking after every
/// command: conservation, atomicity of refused commands, the index's
/// contract, and (after an automatic update) that nothing liquidatable is
/// left; at the end, that the log replays to the same venue.
fn check_stream(mut v: Venue, mut log: Vec<Event>, ops: &[Op]) -> Result<(), TestCaseError> {
    for op in ops {
        let cmd = command(&v, op);
        let before = v.clone();
        // Accounts this command liquidated (a Hyperliquid-style step may
        // leave one liquidatable until the next update of its key).
        let mut stepped = Vec::new();
        // The simulator's quiet oracle update on a copy: it must leave the
        // same state as the general path, with the same events, or none
        // when the update was all that happened.
        let quiet = match cmd {
            Command::Price {
                key,
                price,
                ts,
                confidence,
            } => {
                let mut q = v.clone();
                let mut events = Vec::new();
                let result = q.update_price_into(key, price, ts, confidence, &mut events);
                Some((q, result.map(|()| events)))
            }
            _ => None,
        };
        let result = v.execute(&cmd);
        if let Some((q, quiet)) = quiet {
            prop_assert_eq!(&q, &v, "the quiet update left another state: {:?}", cmd);
            match (&result, &quiet) {
                (Ok(general), Ok(quiet)) if quiet.is_empty() => prop_assert!(
                    general.iter().all(|e| matches!(
                        e,
                        Event::TimeAdvanced { .. } | Event::OracleUpdated { .. }
                    )),
                    "the quiet update dropped events that matter: {:?}",
                    general
                ),
                (Ok(general), Ok(quiet)) => prop_assert_eq!(general, quiet),
                (Err(general), Err(quiet)) => {
                    prop_assert_eq!(general.to_string(), quiet.to_string())
                }
                _ => prop_assert!(false, "{:?} vs quiet {:?}", result, quiet),
            }
        }
        match result {
            Ok(events) => {
                for e in &events {
                    if let Event::Liquidated { account, .. } = e {
                        stepped.push(*account);
                    }
                    // ADL leaves neither side below zero (nor lower than it was).
                    if let Event::Deleveraged {
                        bankrupt,
                        counterparty,
                        ..
                    } = e
                    {
                        for a in [*bankrupt, *counterparty] {
                            let (now, then) = (lowest_equity(&v, a), lowest_equity(&before, a));
                            prop_assert!(
                                !now.is_negative() || now >= then,
                                "ADL left account {} at {} (was {}) after {:?}",
                                a,
                                now,
                                then,
                                cmd
                            );
                        }
                    }
                }
                log.extend(events)
            }
            Err(_) => prop_assert_eq!(
                &v,
                &before,
                "a refused command changed the state: {:?}",
                cmd
            ),
        }
        let c = v.conservation().unwrap();
        prop_assert!(c.ok, "after {:?}: {:#?}", cmd, c);
        prop_assert_eq!(
            missed_by_index(&v),
            None,
            "the index misses a liquidatable account after {:?}",
            cmd
        );
        // The liquidation index misses no one: after an oracle update with
        // automatic liquidation (and no loss moved onto other accounts),
        // no scope is left liquidatable.
        // A scope exposed only to other keys waits for its own key's update
        // (e.g. one a re-listing made liquidatable).
        if let Command::Price { key, .. } = cmd {
            if v.rules().liquidation.auto && v.rules().after_insurance == AfterInsurance::Record {
                for (i, acc) in v.accounts().iter().enumerate().skip(1) {
                    for j in 0..acc.positions.len() {
                        if acc.positions[j].size.is_zero() || !scope_exposed(&v, acc, j, key) {
                            continue;
                        }
                        // A step closes a share of a large position per update:
                        // liquidated this update, it may still be liquidatable.
                        if v.rules().liquidation.step.is_some()
                            && stepped.contains(&(i as AccountId))
                        {
                            continue;
                        }
                        let m = scope_health(acc, Scope::of(acc, j), &v.context()).unwrap();
                        prop_assert!(
                            !m.liquidatable(),
                            "account {} left liquidatable after {:?}: {:?}",
                            i,
                            cmd,
                            m
                        );
                    }
                }
            }
        }
    }
    let replayed = Venue::replay(&log).unwrap();
    prop_assert_eq!(replayed, v);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    /// Lending-heavy streams: borrowers near their LTV limit, falling
    /// collateral, interest over time, liquidation calls of random size.
    #[test]
    fn lending_liquidations_conserve(
        borrow_pct in prop::collection::vec(50u32..100, 5),
        steps in prop::collection::vec((-1500i16..600, 1u32..200_000, 0u8..5, 0u8..5, 1u16..40_000), 1..60),
    ) {
        let (mut v, mut log) = setup(0);
        // Each account borrows a share of its LTV capacity in USDC against WETH
        // (5 WETH supplied at 2000 → 7,500 capacity, plus its USDC supply).
        for (i, pct) in borrow_pct.iter().enumerate() {
            let account = i as AccountId + 1;
            let amount = Base::from_int(17_500 * *pct as i64 / 100);
            if let Ok(e) = v.execute(&Command::Borrow { account, asset: 2, amount }) { log.extend(e); }
        }
        let mut calls = 0;
        for (bp, cover, l, a, dt) in steps {
            let ts = v.now() + dt as i64;
            let old = v.prices()[1].raw();
            let price = Price::from_raw((old + old / 10_000 * bp as i128).max(1_000_000_000_000));
            for cmd in [
                Command::Advance { ts },
                Command::Price { key: 1, price, ts, confidence: None },
                Command::LiquidationCall { liquidator: l as AccountId + 1, account: a as AccountId + 1, collateral_asset: 1, debt_asset: 2, debt_to_cover: Some(Base::from_raw(cover as i128 * 10_000_000_000)) },
                Command::LiquidationCall { liquidator: l as AccountId + 1, account: a as AccountId + 1, collateral_asset: 2, debt_asset: 2, debt_to_cover: None },
            ] {
                let before = v.clone();
                match v.execute(&cmd) {
                    Ok(e) => {
                        calls += e.iter().filter(|e| matches!(e, Event::LendingLiquidated { .. })).count();
                        log.extend(e);
                    }
                    Err(_) => prop_assert_eq!(&v, &before),
                }
                let c = v.conservation().unwrap();
                prop_assert!(c.ok, "after {:?}: {:#?}", cmd, c);
            }
        }
        prop_assert_eq!(Venue::replay(&log).unwrap(), v);
        let _ = calls;
    }
}

#[test]
#[ignore]
fn stats() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut ok = std::collections::BTreeMap::<String, (u32, u32)>::new();
    let mut kinds = std::collections::BTreeMap::<String, u32>::new();
    for _ in 0..200 {
        let variant = (runner.rng().next_u32() % 12) as u8;
        let ops = prop::collection::vec(op(), 1..120)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let (mut v, _) = setup(variant);
        for op in &ops {
            let name = format!("{op:?}")
                .split(['(', ' '])
                .next()
                .unwrap()
                .to_string();
            let cmd = command(&v, op);
            let e = ok.entry(name).or_default();
            match v.execute(&cmd) {
                Ok(events) => {
                    e.0 += 1;
                    for ev in events {
                        let k = format!("{ev:?}")
                            .split([' ', '{'])
                            .next()
                            .unwrap()
                            .to_string();
                        *kinds.entry(k).or_default() += 1;
                    }
                }
                Err(err) => {
                    e.1 += 1;
                    if matches!(op, Op::LiquidationCall(..)) {
                        *kinds
                            .entry(format!("LC error: {err}").chars().take(60).collect())
                            .or_default() += 1;
                    }
                }
            }
        }
    }
    eprintln!("{ok:#?}\n{kinds:#?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Funding rounds magnitudes (issue #9 item 6): whatever the side and the
    /// sign of the rate, a payer pays at least `|size| × mark × |rate|`, a
    /// receiver gets at most it, and the residual the venue keeps is ≥ 0.
    #[test]
    fn funding_receivers_never_get_more_than_exact(
        tier_set in 0u8..4,
        interval_h in 1i64..9,
        mark in 1i128..100_000_000_000_000_000,
        rate in -999_999_999_999i128..1_000_000_000_000,
        sizes in prop::collection::vec(
            (-1_000_000_000_000_000_000i128..1_000_000_000_000_000_000).prop_filter("non-zero", |s| *s != 0),
            1..6,
        ),
    ) {
        let mut v = Venue::new(VenueRules::generic(), "USDT");
        let mut market = eth_market(tier_set);
        market.funding_interval_s = interval_h * 3600;
        v.execute(&Command::ListMarket { spec: market, base: "ETH".into() }).unwrap();
        v.execute(&Command::Price { key: 1, price: Price::from_raw(mark), ts: 1, confidence: None }).unwrap();
        for (i, &size) in sizes.iter().enumerate() {
            v.execute(&Command::OpenAccount { name: format!("t{i}") }).unwrap();
            v.execute(&Command::ImportPosition(TradeOrder {
                account: i as AccountId + 1,
                market: 0,
                size: Base::from_raw(size),
                price: Price::from_raw(mark),
                fee_rate: Ratio::ZERO,
                counterparty: None,
                counterparty_fee_rate: Ratio::ZERO,
                margin_mode: Some(MarginMode::Cross),
                isolated_margin: None,
                leverage: None,
            }))
            .unwrap();
        }
        let events = v
            .execute(&Command::Funding {
                market: 0,
                ts: interval_h * 3600,
                rate: Some(Ratio::from_raw(rate)),
                premium: None,
            })
            .unwrap();
        for e in &events {
            let Event::FundingPaid { account, amount, .. } = e else { continue };
            let size = v.position(*account, 0).unwrap().size.raw();
            // Exact amount × 10^24 = |size| · mark · |rate| (raw units):
            // compare amount · 10^12 with ⌊ or ⌈ |size|·mark·|rate| / 10^12 ⌉.
            let notional = size.abs() * mark;
            let (down, up) = (
                mul_div(notional, rate.abs(), SCALE, Round::Floor).unwrap(),
                mul_div(notional, rate.abs(), SCALE, Round::Ceil).unwrap(),
            );
            let pays = (size > 0) == (rate > 0);
            let magnitude = amount.raw().abs() * SCALE;
            if pays {
                prop_assert!(amount.is_negative(), "payer {} credited {}", account, amount);
                prop_assert!(magnitude >= up, "payer {} (size {}) paid {} < exact", account, size, amount);
            } else {
                prop_assert!(amount.is_positive(), "receiver {} debited {}", account, amount);
                prop_assert!(magnitude <= down, "receiver {} (size {}) got {} > exact", account, size, amount);
            }
        }
        let residual = v.funds()[v.quote() as usize].funding_residual;
        prop_assert!(!residual.is_negative(), "negative funding residual {}", residual);
        prop_assert!(v.conservation().unwrap().ok);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    /// `checkpoint` then any stream then `restore` gives back exactly the
    /// venue at the checkpoint (liquidation index included); the checkpoint
    /// stays active, so path after path can be run and restored; a restored
    /// venue behaves as a clone taken at the checkpoint.
    #[test]
    fn restore_returns_to_the_checkpoint(
        variant in 0u8..12,
        prefix in prop::collection::vec(op(), 0..40),
        paths in prop::collection::vec(prop::collection::vec(op(), 0..60), 1..4),
        after in prop::collection::vec(op(), 0..30),
    ) {
        let (mut v, _) = setup(variant);
        for op in &prefix {
            let _ = v.execute(&command(&v, op));
        }
        v.checkpoint();
        let at_checkpoint = v.clone();
        for path in &paths {
            for op in path {
                let _ = v.execute(&command(&v, op));
            }
            v.restore().unwrap();
            prop_assert_eq!(&v, &at_checkpoint);
            prop_assert_eq!(v.liquidation_index(), at_checkpoint.liquidation_index());
        }
        v.restore().unwrap();
        prop_assert_eq!(&v, &at_checkpoint);
        let mut clone = at_checkpoint.clone();
        for op in &after {
            let cmd = command(&v, op);
            let mine = v.execute(&cmd);
            let theirs = clone.execute(&cmd);
            prop_assert_eq!(mine, theirs);
            prop_assert_eq!(&v, &clone);
            prop_assert_eq!(missed_by_index(&v), None);
        }
    }
}

/// The quiet oracle update is taken: a move that crosses no trigger records
/// nothing; a crash that liquidates records what the general path does and
/// leaves the same venue.
#[test]
fn quiet_update_records_only_what_happens_besides_it() {
    let (mut v, _) = setup(2); // automatic liquidation, auto-deleveraging
    let trade = Op::Trade {
        account: 0,
        counterparty: 1,
        size_milli: 40_000,
        price_pct: 100,
        isolated: false,
        leverage: 20,
    };
    v.execute(&command(&v, &trade)).unwrap();
    let (now, eth) = (v.now(), v.prices()[1]);
    let mut events = Vec::new();
    let calm = Price::from_raw(eth.raw() + 1);
    v.update_price_into(1, calm, now + 60, None, &mut events)
        .unwrap();
    assert!(events.is_empty(), "{events:?}");
    assert_eq!((v.now(), v.prices()[1]), (now + 60, calm));
    let crash = Price::from_raw(eth.raw() / 2);
    let mut general = v.clone();
    let expected = general
        .execute(&Command::Price {
            key: 1,
            price: crash,
            ts: now + 120,
            confidence: None,
        })
        .unwrap();
    v.update_price_into(1, crash, now + 120, None, &mut events)
        .unwrap();
    assert!(expected
        .iter()
        .any(|e| matches!(e, Event::Liquidated { .. })));
    assert_eq!(events, expected);
    assert_eq!(v, general);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// `execute_stream` (which prefetches the accounts of the commands
    /// ahead) hands each command the outcome and events `execute_into`
    /// gives it, and leaves the same venue.
    #[test]
    fn a_stream_is_its_commands_one_by_one(
        variant in 0u8..12,
        ops in prop::collection::vec(op(), 1..120),
        stop_after in 0usize..130,
    ) {
        let (start, _) = setup(variant);
        let commands: Vec<Command> = ops.iter().map(|op| command(&start, op)).collect();
        let mut one_by_one = start.clone();
        let mut expected = Vec::new();
        for c in commands.iter().take(stop_after + 1) {
            let mut events = Vec::new();
            let outcome = one_by_one.execute_into(c, &mut events);
            expected.push((outcome, events));
        }
        let mut streamed = start;
        let mut got = Vec::new();
        let mut buffer = Vec::new();
        let end = streamed.execute_stream(&commands, &mut buffer, |i, outcome, events| {
            got.push((outcome, events.to_vec()));
            if i == stop_after { Err(i) } else { Ok(()) }
        });
        prop_assert_eq!(end, if stop_after < commands.len() { Err(stop_after) } else { Ok(()) });
        prop_assert_eq!(got, expected);
        prop_assert_eq!(&streamed, &one_by_one);
    }
}
