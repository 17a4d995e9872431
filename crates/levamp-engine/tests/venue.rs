//! The venue state machine: golden vectors from protocol sources, and the
//! behaviour of trades, funding, liquidation and the bad-debt chain.

use levamp_core::{Base, Price, Quote, Ratio, Ray};
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
fn q(s: &str) -> Quote {
    s.parse().unwrap()
}

/// A generic venue in USDT with an ETHUSDT market (one tier, MMR 0.5 %, 100×).
pub fn venue_with_market(fee: &str) -> Venue {
    let mut v = Venue::new(VenueRules::generic(), "USDT");
    list_eth_market(&mut v, fee);
    v
}

/// Lists ETHUSDT (one tier, MMR 0.5 %, 100×) on `v`.
fn list_eth_market(v: &mut Venue, fee: &str) {
    v.execute(&eth_listing("0.005", fee)).unwrap();
}

/// The command listing (or re-listing) ETHUSDT on the ETH price with one
/// tier of maintenance rate `mmr` and 100× leverage.
fn eth_listing(mmr: &str, fee: &str) -> Command {
    let tiers = vec![Tier {
        max_notional: None,
        maintenance_margin_rate: r(mmr),
        maintenance_amount: Quote::ZERO,
        max_leverage: r("100"),
    }];
    let spec = Market {
        name: "ETHUSDT".into(),
        price: 0,
        tiers,
        liquidation_fee_rate: r(fee),
        funding_interval_s: 28800,
    };
    Command::ListMarket {
        spec,
        base: "ETH".into(),
    }
}

pub fn open(v: &mut Venue, name: &str, usdt: &str) -> AccountId {
    v.execute(&Command::OpenAccount { name: name.into() })
        .unwrap();
    let id = v.account_id(name).unwrap();
    v.execute(&Command::Deposit {
        account: id,
        asset: v.quote(),
        amount: b(usdt),
    })
    .unwrap();
    id
}

pub fn price(v: &mut Venue, key: &str, px: &str, ts: i64) -> Vec<Event> {
    let key = v.price_id(key).unwrap();
    v.execute(&Command::Price {
        key,
        price: p(px),
        ts,
        confidence: None,
    })
    .unwrap()
}

pub fn order(account: AccountId, size: &str, px: &str) -> TradeOrder {
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
        leverage: None,
    }
}

fn conserved(v: &Venue) {
    let c = v.conservation().unwrap();
    assert!(c.ok, "conservation broken: {c:#?}");
}

#[test]
fn trade_realises_pnl_exactly_and_conserves() {
    let mut v = venue_with_market("0");
    price(&mut v, "ETH", "2000", 1);
    let a = open(&mut v, "a", "1000");
    let mut o = order(a, "1.5", "2000");
    o.fee_rate = r("0.0004");
    v.execute(&Command::Trade(o)).unwrap();
    // fee = 1.5 × 2000 × 0.0004 = 1.2
    assert_eq!(v.wallet(a, v.quote()), b("998.8"));
    conserved(&v);
    price(&mut v, "ETH", "2100", 2);
    v.execute(&Command::Trade(order(a, "-0.5", "2100")))
        .unwrap();
    // realised 0.5 × (2100 − 2000) = 50
    assert_eq!(v.wallet(a, v.quote()), b("1048.8"));
    assert_eq!(v.position(a, 0).unwrap().cost, q("2000"));
    // flip: sell 2 at 2200 → close 1 (realise 200), open short 1 at 2200
    v.execute(&Command::Trade(order(a, "-2", "2200"))).unwrap();
    assert_eq!(v.wallet(a, v.quote()), b("1248.8"));
    let pos = v.position(a, 0).unwrap();
    assert_eq!((pos.size, pos.cost), (b("-1"), q("-2200")));
    conserved(&v);
}

/// The initial-margin check of a growing fill at its boundary, between two
/// traders (each side checked before the fill is applied): equity equal to
/// the requirement passes, one raw unit short fails, naming the side that
/// fails and the figures.
#[test]
fn growing_fill_checked_at_the_initial_margin_boundary() {
    let mut v = venue_with_market("0");
    price(&mut v, "ETH", "2000", 1);
    // 1 ETH at 2000 needs 20 at 100×; a fee of 0.0004 is 0.8.
    let a = open(&mut v, "a", "20.8");
    let c = open(&mut v, "c", "20.399999999999");
    let mut o = order(a, "1", "2000");
    o.fee_rate = r("0.0004");
    o.counterparty = Some(c);
    o.counterparty_fee_rate = r("0.0002");
    let before = v.clone();
    // The maker is one raw unit short of 20 after its fee of 0.4.
    assert_eq!(
        v.execute(&Command::Trade(o.clone())),
        Err(VenueError::InsufficientMargin {
            account: "c".into(),
            required: q("20"),
            available: q("19.999999999999"),
        })
    );
    assert_eq!(v, before);
    v.execute(&Command::Deposit {
        account: c,
        asset: v.quote(),
        amount: Base::from_raw(1),
    })
    .unwrap();
    // Both exactly at the requirement: accepted.
    v.execute(&Command::Trade(o.clone())).unwrap();
    assert_eq!(v.wallet(a, v.quote()), b("20"));
    assert_eq!(v.wallet(c, v.quote()), b("20"));
    conserved(&v);
    conserved(&v);
}

#[test]
fn refused_commands_change_nothing() {
    let mut v = venue_with_market("0");
    price(&mut v, "ETH", "2000", 10);
    let a = open(&mut v, "a", "100");
    let before = v.clone();
    // 1 ETH at 2000 needs 20 of initial margin at 100×; 10× leverage needs 200 > 100.
    let mut o = order(a, "1", "2000");
    o.leverage = Some(r("10"));
    assert!(matches!(
        v.execute(&Command::Trade(o)),
        Err(VenueError::InsufficientMargin { .. })
    ));
    assert!(matches!(
        v.execute(&Command::Withdraw {
            account: a,
            asset: v.quote(),
            amount: b("101")
        }),
        Err(VenueError::InsufficientBalance { .. })
    ));
    assert!(matches!(
        v.execute(&Command::Trade(order(a, "0", "2000"))),
        Err(VenueError::Invalid { field: "size", .. })
    ));
    assert!(matches!(
        v.execute(&Command::Trade(order(a, "1", "-5"))),
        Err(VenueError::Invalid { field: "price", .. })
    ));
    let key = v.price_id("ETH").unwrap();
    assert!(matches!(
        v.execute(&Command::Price {
            key,
            price: p("1"),
            ts: 5,
            confidence: None
        }),
        Err(VenueError::TimeWentBackwards { .. })
    ));
    assert!(matches!(
        v.execute(&Command::Funding {
            market: 0,
            ts: 28801,
            rate: Some(r("0.0001")),
            premium: None
        }),
        Err(VenueError::FundingInterval { .. })
    ));
    assert!(matches!(
        v.execute(&Command::Deposit {
            account: 99,
            asset: 0,
            amount: b("1")
        }),
        Err(VenueError::Unknown { .. })
    ));
    assert_eq!(v, before);
}

/// A fill between two accounts is refused for the side that cannot afford
/// it, taker checked first, with the figures of the state the fill would
/// leave; refused, it changes nothing. (A refused fill is checked before it
/// is applied: this pins the outcome that path must reproduce.)
#[test]
fn refused_fill_names_the_side_that_cannot_afford_it() {
    let mut v = venue_with_market("0");
    price(&mut v, "ETH", "2000", 1);
    let rich = open(&mut v, "rich", "100000");
    let poor = open(&mut v, "poor", "100");
    let poorer = open(&mut v, "poorer", "10");
    let before = v.clone();
    let fill = |taker: AccountId, maker: AccountId, size: &str, fee: &str| {
        let mut o = order(taker, size, "2000");
        o.counterparty = Some(maker);
        o.leverage = Some(r("10"));
        o.counterparty_fee_rate = r(fee);
        Command::Trade(o)
    };
    let refused = |v: &mut Venue, c: &Command| match v.execute(c) {
        Err(VenueError::InsufficientMargin {
            account,
            required,
            available,
        }) => (account, required, available),
        other => panic!("{c:?}: {other:?}"),
    };
    // The maker (the tier's 100×: 5 ETH at 2,000 need 100) pays a 1 % fee
    // of 100: its equity 100 − 100 = 0 is short of the 100 …
    let c = fill(rich, poor, "5", "0.01");
    assert_eq!(refused(&mut v, &c), ("poor".to_string(), q("100"), q("0")));
    assert_eq!(v, before);
    // … the taker at 10× needs 1,000 for 5 ETH: named first, though the
    // maker cannot afford it either.
    let c = fill(poor, poorer, "5", "0");
    assert_eq!(
        refused(&mut v, &c),
        ("poor".to_string(), q("1000"), q("100"))
    );
    assert_eq!(v, before);
    // A fee larger than the wallet: margin fails before the wallet check.
    let c = fill(rich, poorer, "-1", "0.01");
    assert_eq!(
        refused(&mut v, &c),
        ("poorer".to_string(), q("20"), q("-10"))
    );
    assert_eq!(v, before);
    // Both can: accepted.
    v.execute(&fill(rich, poor, "-0.5", "0")).unwrap();
    conserved(&v);
}

#[test]
fn funding_is_zero_sum_with_a_named_residual() {
    let mut v = venue_with_market("0");
    price(&mut v, "ETH", "1999.99", 1);
    let a = open(&mut v, "a", "10000");
    let bb = open(&mut v, "b", "10000");
    let c = open(&mut v, "c", "10000");
    let mut o = order(a, "1.333333333333", "2000");
    o.counterparty = Some(bb);
    v.execute(&Command::Trade(o)).unwrap();
    let mut o = order(c, "-0.777777777777", "2000");
    o.counterparty = Some(bb);
    v.execute(&Command::Trade(o)).unwrap();
    let events = v
        .execute(&Command::Funding {
            market: 0,
            ts: 28800,
            rate: Some(r("0.0001")),
            premium: None,
        })
        .unwrap();
    let paid: i128 = events
        .iter()
        .filter_map(|e| {
            if let Event::FundingPaid { amount, .. } = e {
                Some(amount.raw())
            } else {
                None
            }
        })
        .sum();
    let residual = events
        .iter()
        .find_map(|e| {
            if let Event::FundingSettled { residual, .. } = e {
                Some(residual.raw())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(paid + residual, 0, "payments + residual sum to zero");
    assert!(
        (0..=3).contains(&residual),
        "residual is rounding only: {residual}"
    );
    // The long pays 1.333333333333 × 1999.99 × 0.0001 (rounded up).
    assert_eq!(
        v.wallet(a, v.quote()),
        b("10000").checked_sub(b("0.266665333334")).unwrap()
    );
    conserved(&v);
}

/// The Aave example's venue: USDC and WETH pools, a lender who supplied
/// 100,000 USDC, a borrower who supplied 10 WETH, ETH at 2,100.
fn aave_example_venue() -> (Venue, AssetId, AssetId, AccountId, AccountId) {
    let mut v = Venue::new(VenueRules::generic(), "USDT");
    let pool = Some(PoolParams {
        rate_model: RateModel {
            optimal_utilization: r("0.8"),
            base: Ratio::ZERO,
            slope1: r("0.04"),
            slope2: r("0.6"),
        },
        reserve_factor: r("0.1"),
    });
    let asset = |name: &str, ltv, lt, bonus, fee, pool| Asset {
        name: name.into(),
        price: 0,
        haircut: Ratio::ZERO,
        ltv: r(ltv),
        liquidation_threshold: r(lt),
        liquidation_bonus: r(bonus),
        liquidation_protocol_fee: r(fee),
        emode: None,
        pool,
    };
    v.execute(&Command::ListAsset {
        spec: Box::new(asset("WETH", "0.8", "0.825", "0.05", "0.1", pool)),
        price_key: "ETH".into(),
    })
    .unwrap();
    v.execute(&Command::ListAsset {
        spec: Box::new(asset("USDC", "0.77", "0.8", "0.045", "0.1", pool)),
        price_key: "USDC".into(),
    })
    .unwrap();
    price(&mut v, "USDC", "1", 100);
    price(&mut v, "ETH", "2100", 100);
    let (weth, usdc) = (v.asset_id("WETH").unwrap(), v.asset_id("USDC").unwrap());
    for name in ["lender", "borrower", "liquidator"] {
        v.execute(&Command::OpenAccount { name: name.into() })
            .unwrap();
    }
    let (lender, borrower, liquidator) = (
        v.account_id("lender").unwrap(),
        v.account_id("borrower").unwrap(),
        v.account_id("liquidator").unwrap(),
    );
    v.execute(&Command::Deposit {
        account: lender,
        asset: usdc,
        amount: b("100000"),
    })
    .unwrap();
    v.execute(&Command::Supply {
        account: lender,
        asset: usdc,
        amount: b("100000"),
    })
    .unwrap();
    v.execute(&Command::Deposit {
        account: borrower,
        asset: weth,
        amount: b("10"),
    })
    .unwrap();
    v.execute(&Command::Supply {
        account: borrower,
        asset: weth,
        amount: b("10"),
    })
    .unwrap();
    (v, weth, usdc, borrower, liquidator)
}

/// Issue #4 / Aave v3.3 LiquidationLogic: 10 WETH at 2000, LT 0.825, bonus
/// 5 %, protocol fee 10 % of the bonus, debt 16,800 USDC ⇒ HF 0.982 > 0.95
/// and both reserves ≥ $2,000 ⇒ close factor 50 %: repay 8,400, seize
/// 8,400 / 2,000 × 1.05 = 4.41 WETH, of which 0.021 WETH protocol fee
/// (10 % of the 0.21 bonus), liquidator receives 4.389.
#[test]
fn aave_v3_liquidation_call_example() {
    let (mut v, weth, usdc, borrower, liquidator) = aave_example_venue();
    // 10 × 2100 × LTV 0.8 = 16,800 of borrowing power.
    v.execute(&Command::Borrow {
        account: borrower,
        asset: usdc,
        amount: b("16800"),
    })
    .unwrap();
    price(&mut v, "ETH", "2000", 100);
    let hf = health_factor(&v.accounts()[borrower as usize], &v.context())
        .unwrap()
        .unwrap();
    assert_eq!(hf.to_string()[..6], *"0.9821");
    v.execute(&Command::Deposit {
        account: liquidator,
        asset: usdc,
        amount: b("20000"),
    })
    .unwrap();
    let events = v
        .execute(&Command::LiquidationCall {
            liquidator,
            account: borrower,
            collateral_asset: weth,
            debt_asset: usdc,
            debt_to_cover: None,
        })
        .unwrap();
    let liq = events
        .iter()
        .find(|e| matches!(e, Event::LendingLiquidated { .. }))
        .unwrap();
    let Event::LendingLiquidated {
        debt_repaid,
        collateral_seized,
        protocol_fee,
        ..
    } = liq
    else {
        unreachable!()
    };
    assert_eq!(*debt_repaid, b("8400"));
    assert_eq!(*collateral_seized, b("4.41"));
    assert_eq!(*protocol_fee, b("0.021"));
    assert_eq!(v.wallet(liquidator, weth), b("4.389"));
    assert_eq!(v.debt(borrower, usdc).unwrap(), b("8400"));
    conserved(&v);
}

/// aave-dao/aave-v3-origin tests/core/RateStrategy.calculateRates.t.sol:
/// optimal 80 %, base 1 %, slope1 4 %, slope2 60 %: 80 % usage → 5 %,
/// 100 % → 65 %, 0.8 % usage → 1 % + 4 % × 0.008 / 0.8 = 1.04 %, no debt →
/// base, supply 0. aave-v3-core rate-strategy.spec.ts with
/// rateStrategyStableOne (0.8, 0, 4 %, 100 %) and reserve factor 10 %: 80 % →
/// variable 4 %, liquidity 4 % × 0.8 × 0.9 = 2.88 %; 100 % → 104 %, 93.6 %.
#[test]
fn aave_rate_curve_points() {
    let m = RateModel {
        optimal_utilization: r("0.8"),
        base: r("0.01"),
        slope1: r("0.04"),
        slope2: r("0.6"),
    };
    let at = |cash: &str, debt: &str| rates(&m, Ratio::ZERO, b(cash), b(debt)).unwrap();
    let pct = |s: &str| Ray::from_ratio(r(s)).unwrap();
    assert_eq!(at("0.2", "0.8").borrow_rate, pct("0.05"));
    assert_eq!(at("0", "1").borrow_rate, pct("0.65"));
    assert_eq!(at("9920", "80").borrow_rate, pct("0.0104"));
    let empty = at("0", "0");
    assert_eq!(
        (empty.borrow_rate, empty.supply_rate),
        (pct("0.01"), Ray::ZERO)
    );
    let core = RateModel {
        optimal_utilization: r("0.8"),
        base: Ratio::ZERO,
        slope1: r("0.04"),
        slope2: r("1"),
    };
    let at80 = rates(&core, r("0.1"), b("0.2"), b("0.8")).unwrap();
    assert_eq!(
        (at80.borrow_rate, at80.supply_rate),
        (pct("0.04"), pct("0.0288"))
    );
    let at100 = rates(&core, r("0.1"), b("0"), b("0.8")).unwrap();
    assert_eq!(
        (at100.borrow_rate, at100.supply_rate),
        (pct("1.04"), pct("0.936"))
    );
}

/// aave-dao/aave-v3-origin tests/core/MathUtils.t.sol: rate 1.0005e27 over
/// 365 days / 2: linear 1.50025e27; compounded
/// 1.646239361880034706419516000e27 (Aave rounds rayMul half-up, levamp
/// down: equal to within a few 1e-27).
#[test]
fn aave_interest_math_vectors() {
    let rate = Ray::from_raw(1_000_500_000_000_000_000_000_000_000);
    let dt = 365 * 24 * 3600 / 2;
    assert_eq!(
        linear_interest(rate, dt).unwrap().raw(),
        1_500_250_000_000_000_000_000_000_000
    );
    let c = compounded_interest(rate, dt).unwrap().raw();
    assert!(
        (c - 1_646_239_361_880_034_706_419_516_000).abs() <= 10,
        "{c}"
    );
    assert_eq!(compounded_interest(rate, 0).unwrap(), Ray::ONE);
}

/// BitMEX "Auto-Deleveraging" (bitmex.com/app/autoDeleveraging, example on
/// testnet.bitmex.com/app/autoDeleveragingExamples): six longs ranked
/// 2 > 5 > 4 > 1 > 6 > 3; a short of 20 is liquidated at a bankruptcy price
/// of 650: account 2 (10 contracts) is closed entirely and the remaining 10
/// are assigned to account 5, which keeps 10 of its 20.
#[test]
fn bitmex_adl_example() {
    let mut rules = VenueRules::generic();
    rules.after_insurance = AfterInsurance::AutoDeleverage;
    let mut v = venue_with_market("0");
    v.execute(&Command::SetRules(Box::new(rules))).unwrap();
    price(&mut v, "ETH", "500", 1);
    // Ranking = PnL% × leverage: entries below 600 give profit at the 600 mark;
    // (quantity, entry, margin) chosen so ranks follow the example's order.
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
        let mut o = order(id, qty, entry);
        o.leverage = Some(r("50"));
        v.execute(&Command::Trade(o)).unwrap();
        ids.push(id);
    }
    let shorty = open(&mut v, "short", "1000");
    let mut o = order(shorty, "-20", "600");
    o.leverage = Some(r("100"));
    o.margin_mode = Some(MarginMode::Isolated);
    o.isolated_margin = Some(q("1000"));
    v.execute(&Command::Trade(o)).unwrap();
    // Bankruptcy of the short: 600 + 1000 / 20 = 650. The mark jumps past it.
    let events = price(&mut v, "ETH", "660", 2);
    let adl: Vec<(String, Base, Price)> = events
        .iter()
        .filter_map(|e| {
            if let Event::Deleveraged {
                counterparty,
                size,
                price,
                ..
            } = e
            {
                Some((v.account_name(*counterparty), *size, *price))
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        adl,
        vec![
            ("acct2".to_string(), b("10"), p("650")),
            ("acct5".to_string(), b("10"), p("650"))
        ]
    );
    assert_eq!(v.position(ids[4], 0).unwrap().size, b("10"));
    assert!(v.position(ids[1], 0).is_none());
    assert!(v.position(shorty, 0).is_none());
    assert_eq!(v.funds()[v.quote() as usize].bad_debt, Base::ZERO);
    conserved(&v);
}

#[test]
fn insurance_fund_then_bad_debt() {
    let mut v = venue_with_market("0.01");
    price(&mut v, "ETH", "2000", 1);
    let a = open(&mut v, "a", "100");
    let c = open(&mut v, "c", "100");
    for id in [a, c] {
        v.execute(&Command::Trade(order(id, "1", "2000"))).unwrap();
    }
    // a: equity 100 − 1×(2000−1915) = 15; MM = 1915 × 0.005 = 9.575 → safe.
    price(&mut v, "ETH", "1915", 2);
    assert!(v.position(a, 0).is_some());
    // 1890: equity −10 → liquidated; penalty 0 (no equity left), deficit 10 → bad debt (fund empty).
    let events = price(&mut v, "ETH", "1890", 3);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::BadDebt { amount, .. } if *amount == b("10"))),
        "{events:#?}"
    );
    assert_eq!(v.funds()[v.quote() as usize].bad_debt, b("20"));
    conserved(&v);
    // A later liquidation with equity left pays the 1 % penalty into the fund.
    let d = open(&mut v, "d", "100");
    v.execute(&Command::Trade(order(d, "1", "1890"))).unwrap();
    // At 1800: equity 100 − 90 = 10 > MM 9, safe. At 1795: equity 5 ≤ MM 8.975;
    // penalty min(1795 × 1 %, 5) = 5 → insurance fund.
    assert!(!price(&mut v, "ETH", "1800", 4)
        .iter()
        .any(|e| matches!(e, Event::Liquidated { .. })));
    let events = price(&mut v, "ETH", "1795", 5);
    assert!(events.iter().any(|e| matches!(e, Event::Liquidated { penalty, to_insurance, .. } if *penalty == q("5") && *to_insurance == q("5"))), "{events:#?}");
    assert_eq!(v.funds()[v.quote() as usize].insurance_fund, b("5"));
    conserved(&v);
}

/// A position imported above its LTV (but below its liquidation threshold):
/// `borrow` refuses 16,900 against 10 WETH × 2,100 × LTV 0.8 = 16,800, the
/// set-up's `ImportBorrow` records it, and the tokens leave the venue.
#[test]
fn import_borrow_skips_the_ltv_check_and_spends_the_tokens() {
    let (mut v, _weth, usdc, borrower, _) = aave_example_venue();
    let borrow = |amount: &str| Command::Borrow {
        account: borrower,
        asset: usdc,
        amount: b(amount),
    };
    assert!(v.execute(&borrow("16900")).is_err());
    v.execute(&Command::ImportBorrow {
        account: borrower,
        asset: usdc,
        amount: b("16900"),
    })
    .unwrap();
    assert_eq!(v.debt(borrower, usdc).unwrap(), b("16900"));
    assert_eq!(v.wallet(borrower, usdc), Base::ZERO);
    assert_eq!(v.pools()[usdc as usize].as_ref().unwrap().cash, b("83100"));
    let hf = health_factor(&v.accounts()[borrower as usize], &v.context())
        .unwrap()
        .unwrap();
    assert!(hf > Ratio::ONE, "10 × 2100 × 0.825 / 16900 = 1.025");
    // Still limited by the pool's cash.
    let too_much = Command::ImportBorrow {
        account: borrower,
        asset: usdc,
        amount: b("83101"),
    };
    assert!(v.execute(&too_much).is_err());
    conserved(&v);
}

/// Interest moves perp triggers: a cross account whose perp margin carries a
/// USDC debt (60 WETH supplied, 90,000 USDC borrowed and held, long 100 ETH
/// from 2,000) has equity 160·P − 110,000 − debt and maintenance 0.5·P, so
/// it is liquidatable below (110,000 + debt) / 159.5: 1,253.9 with the
/// start's debt. A year at 90 % utilization (rate 4 % + 60 % × 0.1 / 0.2 =
/// 34 %) grows the debt to about 126,400 and the level to about 1,482: an
/// update to 1,400 must liquidate it — the index re-derives triggers when a
/// pool's borrow index moves.
#[test]
fn interest_accrual_moves_perp_triggers() {
    let (mut v, weth, usdc, _, _) = aave_example_venue();
    list_eth_market(&mut v, "0");
    price(&mut v, "ETH", "2000", 100);
    v.execute(&Command::OpenAccount {
        name: "trader".into(),
    })
    .unwrap();
    let trader = v.account_id("trader").unwrap();
    let maker = open(&mut v, "maker", "10000000");
    for c in [
        Command::Deposit {
            account: trader,
            asset: weth,
            amount: b("60"),
        },
        Command::Supply {
            account: trader,
            asset: weth,
            amount: b("60"),
        },
        Command::Borrow {
            account: trader,
            asset: usdc,
            amount: b("90000"),
        },
    ] {
        v.execute(&c).unwrap();
    }
    let mut o = order(trader, "100", "2000");
    o.counterparty = Some(maker);
    v.execute(&Command::Trade(o)).unwrap();
    let liquidated = |events: &[Event]| {
        events
            .iter()
            .any(|e| matches!(e, Event::Liquidated { account, .. } if *account == trader))
    };
    let mut before = v.clone();
    assert!(!liquidated(&price(&mut before, "ETH", "1400", 200)));
    let year = 100 + 365 * 86_400;
    v.execute(&Command::Advance { ts: year }).unwrap();
    let debt = v.debt(trader, usdc).unwrap().to_f64_lossy();
    assert!((126_000.0..127_000.0).contains(&debt), "{debt}");
    // The index kept incrementally equals one rebuilt from the state (no
    // price moved since the trade, so the trader's triggers are canonical).
    let mut fresh = v.clone();
    fresh.rebuild_index();
    assert_eq!(v.liquidation_index(), fresh.liquidation_index());
    assert!(liquidated(&price(&mut v, "ETH", "1400", year)));
    conserved(&v);
}

/// Re-listing re-indexes: a long of 1 ETH from 2,000 on 1,000 USDT has
/// maintenance 10 at 0.5 % and equity 1,000 (liquidatable below ≈1,005).
/// Re-listed at 60 % its maintenance is 1,200 > 1,000: liquidatable at the
/// current price, so the next oracle update — at the same price — must
/// liquidate it (issue #9 item 5).
#[test]
fn relisting_reindexes_and_next_update_liquidates() {
    let mut v = venue_with_market("0.01");
    price(&mut v, "ETH", "2000", 1);
    let a = open(&mut v, "a", "1000");
    v.execute(&Command::Trade(order(a, "1", "2000"))).unwrap();
    assert!(!v.is_liquidatable(a, None).unwrap());
    v.execute(&eth_listing("0.6", "0.01")).unwrap();
    assert!(v.is_liquidatable(a, None).unwrap());
    let events = price(&mut v, "ETH", "2000", 2);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Liquidated { account, .. } if *account == a)),
        "{events:#?}"
    );
    conserved(&v);
}

/// A re-listing is undone with the rest of a refused batch: the market's old
/// parameters come back.
#[test]
fn refused_batch_restores_relisted_market() {
    refused_batch_restores(|_| eth_listing("0.2", "0"));
}

/// A venue with a trader holding 1 ETH long and a batch of `first` then a
/// withdrawal the trader cannot afford: the batch is refused and the venue
/// is as before it.
fn refused_batch_restores(first: impl FnOnce(&Venue) -> Command) {
    let mut v = venue_with_market("0");
    price(&mut v, "ETH", "2000", 1);
    let a = open(&mut v, "a", "1000");
    v.execute(&Command::Trade(order(a, "1", "2000"))).unwrap();
    let before = v.clone();
    let batch = [
        first(&v),
        Command::Withdraw {
            account: a,
            asset: v.quote(),
            amount: b("5000"),
        },
    ];
    assert!(v.execute_all(&batch, &mut Vec::new()).is_err());
    assert_eq!(v, before);
}

/// A calm oracle update inside a refused batch is undone with the rest:
/// the price and the clock come back (a command of its own keeps no undo
/// records for such an update; a batch must).
#[test]
fn refused_batch_restores_a_calm_price_update() {
    refused_batch_restores(|v| Command::Price {
        key: v.price_id("ETH").unwrap(),
        price: p("2010"),
        ts: 5,
        confidence: None,
    });
}

/// A calm oracle update as a command of its own records exactly the events
/// replaying it needs (`TimeAdvanced` when the clock moves, then
/// `OracleUpdated`), and a refused one changes nothing.
#[test]
fn calm_price_update_records_its_events_and_a_refused_one_nothing() {
    let mut v = venue_with_market("0");
    price(&mut v, "ETH", "2000", 1);
    let a = open(&mut v, "a", "1000");
    v.execute(&Command::Trade(order(a, "1", "2000"))).unwrap();
    let key = v.price_id("ETH").unwrap();
    let at = |px: &str, ts, confidence| Command::Price {
        key,
        price: p(px),
        ts,
        confidence,
    };
    let mut replayed = v.clone();
    let events = v.execute(&at("2010", 5, Some(r("0.01")))).unwrap();
    assert_eq!(
        events,
        vec![
            Event::TimeAdvanced { ts: 5 },
            Event::OracleUpdated {
                key,
                price: p("2010"),
                ts: 5,
                confidence: Some(r("0.01")),
            },
        ]
    );
    let same_time = v.execute(&at("2020", 5, None)).unwrap();
    assert_eq!(same_time.len(), 1, "{same_time:?}");
    for e in events.iter().chain(&same_time) {
        replayed.replay_event(e).unwrap();
    }
    assert_eq!(replayed, v);
    let after = v.clone();
    assert!(v.execute(&at("2030", 4, None)).is_err());
    assert!(v.execute(&at("-1", 6, None)).is_err());
    assert_eq!(v, after);
}

/// One run of the scaled script: ETH listed at `base_price × scale`, five
/// accounts opening positions of `size ÷ scale` (same notionals), then the
/// oracle walks +3 %, +6 %, +12 %, +25 %, −15 % of the start. Returns the
/// liquidated accounts step by step and the final wallets.
fn scaled_script(scale: i128) -> (Vec<Vec<String>>, Vec<Base>) {
    let start = 2_000_000_000_000i128 * scale; // 2e12 quote per ETH, × scale
    let px = |pct: i128| Price::from_raw(start * levamp_core::SCALE / 100 * pct);
    let mut v = venue_with_market("0.01");
    let eth = v.price_id("ETH").unwrap();
    let update = |v: &mut Venue, pct: i128, ts: i64| {
        v.execute(&Command::Price {
            key: eth,
            price: px(pct),
            ts,
            confidence: None,
        })
        .unwrap()
    };
    update(&mut v, 100, 1);
    // (name, deposit, size in 1e-3 ETH at scale 1): notional 2e10 per 0.01 ETH.
    let book = [
        ("short5x", "4000000000", -10),
        ("short10x", "2000000000", -10),
        ("short20x", "1000000000", -10),
        ("long10x", "2000000000", 10),
        ("long2x", "10000000000", 10),
    ];
    let mut ids = Vec::new();
    for (name, deposit, milli) in book {
        let id = open(&mut v, name, deposit);
        let size = Base::from_raw(milli * 1_000_000_000 / scale);
        let mut o = order(id, "1", "1");
        o.size = size;
        o.price = px(100);
        v.execute(&Command::Trade(o)).unwrap();
        ids.push(id);
    }
    let mut steps = Vec::new();
    for (ts, pct) in [(2, 103), (3, 106), (4, 112), (5, 125), (6, 85)] {
        let events = update(&mut v, pct, ts);
        steps.push(
            events
                .iter()
                .filter_map(|e| match e {
                    Event::Liquidated { account, .. } => Some(v.account_name(*account)),
                    _ => None,
                })
                .collect(),
        );
    }
    conserved(&v);
    let wallets = ids.iter().map(|&a| v.wallet(a, v.quote())).collect();
    (steps, wallets)
}

/// No hidden price cap (issue #9 item 7): the same script with every price
/// ×1000 and every size ÷1000 (the same notionals, so the same economics)
/// liquidates the same accounts at the same steps and ends with the same
/// wallets — although ×1000 starts at 2e15, above the solver's old 1e15 cap.
#[test]
fn scaled_script_liquidates_identically() {
    let (steps, wallets) = scaled_script(1);
    // A short on 1/k of its notional liquidates after a rise of about
    // (1/k − 0.5 %) ÷ 1.005: 20× at +4.5 %, 10× at +9.5 %, 5× at +19.4 %;
    // the 10× long below −9.5 %.
    assert_eq!(
        steps,
        vec![
            vec![],
            vec!["short20x".to_string()],
            vec!["short10x".to_string()],
            vec!["short5x".to_string()],
            vec!["long10x".to_string()],
        ]
    );
    assert_eq!(scaled_script(1000), (steps, wallets));
}

/// A short whose liquidation price lies above 1e15 (short 0.01 ETH from
/// 9e14 on 4e12 USDT: liquidatable at 13e12 ÷ 0.01005 ≈ 1.2935e15) gets a finite liquidation
/// price, and the engine liquidates it when the oracle gets there — not one
/// tick before.
#[test]
fn short_liquidates_above_1e15() {
    let mut v = venue_with_market("0.01");
    price(&mut v, "ETH", "900000000000000", 1);
    let a = open(&mut v, "a", "4000000000000");
    v.execute(&Command::Trade(order(a, "-0.01", "900000000000000")))
        .unwrap();
    let account = &v.accounts()[a as usize];
    let lp = liquidation_price(account, 0, &v.context())
        .unwrap()
        .expect("a short always has a liquidation price");
    assert!(
        lp > p("1293000000000000") && lp < p("1294000000000000"),
        "{lp}"
    );
    let eth = v.price_id("ETH").unwrap();
    let update = |v: &mut Venue, price: Price, ts: i64| {
        v.execute(&Command::Price {
            key: eth,
            price,
            ts,
            confidence: None,
        })
        .unwrap()
        .iter()
        .any(|e| matches!(e, Event::Liquidated { .. }))
    };
    let below = Price::from_raw(lp.raw() - 1);
    assert!(!update(&mut v, below, 2));
    assert!(update(&mut v, lp, 3));
    conserved(&v);
}

/// A fill that makes an account riskier moves its trigger: a long of 1 ETH
/// from 2,000 on 1,000 USDT is liquidatable below ≈1,005; after buying 3
/// more at 2,000 it is liquidatable below ≈1,759, so an update to 1,700
/// must find and liquidate it (a kept stale trigger at ≈1,005 would not).
/// A fill that makes an account safer may keep its (conservative) trigger:
/// 1 ETH from 2,000 on 200 (liquidatable below ≈1,809) selling 0.2 at 2,000
/// is liquidatable below ≈1,759; it is checked, not liquidated, at 1,790.
#[test]
fn fills_move_triggers_so_the_index_misses_no_one() {
    let mut v = venue_with_market("0.01");
    price(&mut v, "ETH", "2000", 1);
    let a = open(&mut v, "a", "1000");
    let c = open(&mut v, "c", "200");
    v.execute(&Command::Trade(order(a, "1", "2000"))).unwrap();
    v.execute(&Command::Trade(order(c, "1", "2000"))).unwrap();
    v.execute(&Command::Trade(order(a, "3", "2000"))).unwrap();
    v.execute(&Command::Trade(order(c, "-0.2", "2000")))
        .unwrap();
    let liquidated = |events: &[Event], who| {
        events
            .iter()
            .any(|e| matches!(e, Event::Liquidated { account, .. } if *account == who))
    };
    let events = price(&mut v, "ETH", "1790", 2);
    assert!(
        !liquidated(&events, a) && !liquidated(&events, c),
        "{events:#?}"
    );
    let events = price(&mut v, "ETH", "1700", 3);
    assert!(
        liquidated(&events, a) && liquidated(&events, c),
        "{events:#?}"
    );
    conserved(&v);
}

/// Hyperliquid's liquidation rules (docs *Liquidations*, dzmbs/hyperliquid-docs
/// docs/trading/liquidations.md @ f0e8df55): no clearance fee; below ⅔ of
/// the maintenance margin the liquidator vault takes the scope over;
/// positions above 100k USDC are liquidated 20 % at a time. ETHUSDT here has
/// one tier, 25× (maintenance 2 % = half the initial margin at max leverage).
fn hyperliquid_venue() -> Venue {
    let mut rules = VenueRules::generic();
    rules.liquidation.backstop_below = Some(r("0.666666666667"));
    rules.liquidation.step = Some(LiquidationStep {
        share: r("0.2"),
        min_notional: q("100000"),
    });
    let mut v = Venue::new(rules, "USDC");
    v.execute(&eth_listing("0.02", "0")).unwrap();
    v
}

/// "The positions are first attempted to be entirely closed by sending
/// market orders to the book … any remaining collateral remains with the
/// trader." 1 ETH long at 2,000 with 100 USDC: at 1,938 equity 38 < MM
/// 38.76 but ≥ ⅔ MM 25.84: closed whole, the trader keeps 38.
#[test]
fn hyperliquid_market_liquidation_closes_whole_and_keeps_the_rest() {
    let mut v = hyperliquid_venue();
    price(&mut v, "ETH", "2000", 1);
    let a = open(&mut v, "a", "100");
    let c = open(&mut v, "c", "1000000");
    v.execute(&Command::Trade(TradeOrder {
        counterparty: Some(c),
        ..order(a, "1", "2000")
    }))
    .unwrap();
    price(&mut v, "ETH", "1938", 2);
    assert!(v.position(a, 0).is_none());
    assert_eq!(v.accounts()[a as usize].collateral[0].amount, b("38"));
    assert_eq!(v.funds()[v.quote() as usize].insurance_fund, b("0"));
    conserved(&v);
}

/// "If the account equity drops below 2/3 of the maintenance margin without
/// successful liquidation through the book, a backstop liquidation happens
/// through the liquidator vault … the trader ends up with zero account
/// equity." Same account gapping to 1,920: equity 20 < ⅔ × 38.4 = 25.6 → the
/// 20 left go to the backstop (the insurance fund here).
#[test]
fn hyperliquid_backstop_below_two_thirds_of_maintenance_takes_the_equity() {
    let mut v = hyperliquid_venue();
    price(&mut v, "ETH", "2000", 1);
    let a = open(&mut v, "a", "100");
    let c = open(&mut v, "c", "1000000");
    v.execute(&Command::Trade(TradeOrder {
        counterparty: Some(c),
        ..order(a, "1", "2000")
    }))
    .unwrap();
    let events = price(&mut v, "ETH", "1920", 2);
    assert!(
        events.iter().any(|e| matches!(e, Event::Liquidated { penalty, to_insurance, .. } if *penalty == q("20") && *to_insurance == q("20"))),
        "{events:#?}"
    );
    assert!(v.position(a, 0).is_none());
    assert!(v.accounts()[a as usize].collateral.is_empty());
    assert_eq!(v.funds()[v.quote() as usize].insurance_fund, b("20"));
    conserved(&v);
}

/// "For liquidatable positions larger than 100k USDC … only 20% of the
/// position will be sent as a market liquidation order." 60 ETH long at
/// 2,000 with 6,000 USDC: at 1,938 notional 116,280 > 100k, equity 2,280 <
/// MM 2,325.6 (≥ ⅔ MM): 12 ETH close, 48 stay; MM 1,860.48 < 2,280 then, so
/// the next update leaves the rest open.
#[test]
fn hyperliquid_large_positions_are_liquidated_a_fifth_at_a_time() {
    let mut v = hyperliquid_venue();
    price(&mut v, "ETH", "2000", 1);
    let a = open(&mut v, "a", "6000");
    let c = open(&mut v, "c", "10000000");
    v.execute(&Command::Trade(TradeOrder {
        counterparty: Some(c),
        ..order(a, "60", "2000")
    }))
    .unwrap();
    price(&mut v, "ETH", "1938", 61);
    assert_eq!(v.position(a, 0).unwrap().size, b("48"));
    price(&mut v, "ETH", "1938", 121);
    assert_eq!(v.position(a, 0).unwrap().size, b("48"));
    // 12 × (1,938 − 2,000) = −744 realised; equity 5,256 − 48 × 62 = 2,280.
    assert_eq!(v.accounts()[a as usize].collateral[0].amount, b("5256"));
    conserved(&v);
}

/// The index marks the items an oracle update crossed as scanned and skips
/// them afterwards, which is sound only because every crossed account is
/// re-indexed at commit. A batch that crosses an account's trigger, makes
/// the account a little safer and moves the price back before its commit
/// leaves the old trigger looking valid (a fill or deposit may keep a
/// trigger that still guards the new state): it must be re-indexed anyway,
/// or the next fall past it finds no one. (Venue liquidation off, so the
/// crossed account stays open.)
#[test]
fn a_batch_that_crosses_and_returns_does_not_hide_the_account() {
    let mut rules = VenueRules::generic();
    rules.liquidation.auto = false;
    let mut v = Venue::new(rules, "USDT");
    list_eth_market(&mut v, "0.01");
    price(&mut v, "ETH", "2000", 1);
    let a = open(&mut v, "a", "300");
    v.execute(&Command::Trade(order(a, "1", "2000"))).unwrap();
    // The bases are built at a checkpoint: the trigger is a base item now.
    v.checkpoint();
    let key = v.price_id("ETH").unwrap();
    let at = |px: &str, ts| Command::Price {
        key,
        price: p(px),
        ts,
        confidence: None,
    };
    let deposit = Command::Deposit {
        account: a,
        asset: v.quote(),
        amount: b("10"),
    };
    v.execute_all(&[at("1500", 2), deposit, at("2000", 3)], &mut Vec::new())
        .unwrap();
    assert!(v.at_risk(key).unwrap().is_empty());
    v.execute(&at("1500", 4)).unwrap();
    assert_eq!(v.at_risk(key).unwrap(), vec![(a, None)]);
}
