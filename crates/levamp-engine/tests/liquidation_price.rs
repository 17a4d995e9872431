//! Properties of the liquidation price over random accounts: the scope's
//! liquidatable flag flips exactly one tick past it, it moves the right way
//! with margin, and it sits on the losing side of entry.

use levamp_core::{Base, Price, Quote, Ratio};
use levamp_engine::*;
use proptest::prelude::*;

fn r(s: &str) -> Ratio {
    s.parse().unwrap()
}

/// Binance BTCUSDT brackets (shipped preset, freqtrade binance_leverage_tiers.json), first six.
fn binance_tiers() -> Vec<Tier> {
    [
        ("50000", "0.004", "0", "125"),
        ("600000", "0.005", "50", "100"),
        ("3000000", "0.0065", "950", "75"),
        ("12000000", "0.01", "11450", "50"),
        ("70000000", "0.02", "131450", "25"),
    ]
    .iter()
    .map(|(cap, mmr, amount, lev)| Tier {
        max_notional: Some(cap.parse().unwrap()),
        maintenance_margin_rate: r(mmr),
        maintenance_amount: amount.parse().unwrap(),
        max_leverage: r(lev),
    })
    .chain(std::iter::once(Tier {
        max_notional: None,
        maintenance_margin_rate: r("0.025"),
        maintenance_amount: "481450".parse().unwrap(),
        max_leverage: r("20"),
    }))
    .collect()
}

struct World {
    markets: Vec<Market>,
    assets: Vec<Asset>,
    prices: Vec<Price>,
}

impl World {
    fn new(prices: [i64; 3]) -> World {
        let market = |name: &str, price| Market {
            name: name.into(),
            price,
            tiers: binance_tiers(),
            liquidation_fee_rate: Ratio::ZERO,
            funding_interval_s: levamp_engine::DEFAULT_FUNDING_INTERVAL_S,
        };
        let asset = |name: &str, price, haircut: &str| Asset {
            name: name.into(),
            price,
            haircut: r(haircut),
            ltv: Ratio::ZERO,
            liquidation_threshold: Ratio::ZERO,
            liquidation_bonus: Ratio::ZERO,
            liquidation_protocol_fee: Ratio::ZERO,
            emode: None,
            pool: None,
        };
        World {
            // price 0: BTC, 1: ETH, 2: USDT
            markets: vec![market("BTCUSDT", 0), market("ETHUSDT", 1)],
            assets: vec![asset("USDT", 2, "0"), asset("ETH", 1, "0.05")],
            prices: vec![
                Price::from_int(prices[0]),
                Price::from_int(prices[1]),
                Price::from_int(prices[2]),
            ],
        }
    }
    fn ctx(&self) -> MarginContext<'_> {
        MarginContext {
            markets: &self.markets,
            assets: &self.assets,
            prices: &self.prices,
            indices: &[],
            lending_collateral: levamp_engine::LendingCollateral::WalletAndSupplied,
            emode_categories: &[],
            size_premium: levamp_core::Ratio::ZERO,
        }
    }
}

fn liquidatable_at(world: &World, account: &Account, position: usize, price: i128) -> bool {
    let mut prices = world.prices.clone();
    let id = world.markets[account.positions[position].market as usize].price as usize;
    prices[id] = Price::from_raw(price);
    let ctx = MarginContext {
        markets: &world.markets,
        assets: &world.assets,
        prices: &prices,
        indices: &[],
        lending_collateral: levamp_engine::LendingCollateral::WalletAndSupplied,
        emode_categories: &[],
        size_premium: levamp_core::Ratio::ZERO,
    };
    scope_health(account, Scope::of(account, position), &ctx)
        .unwrap()
        .liquidatable()
}

prop_compose! {
    fn position()(market in 0u32..2, size_milli in -500_000i64..500_000, entry_pct in 50i64..150, isolated in any::<bool>(), margin in 1i64..3_000_000)
        -> (u32, i64, i64, bool, i64) {
        (market, if size_milli == 0 { 1 } else { size_milli }, entry_pct, isolated, margin)
    }
}

prop_compose! {
    fn account()(positions in prop::collection::vec(position(), 1..4), usdt in 0i64..5_000_000, eth in 0i64..300)
        -> (Vec<(u32, i64, i64, bool, i64)>, i64, i64) {
        (positions, usdt, eth)
    }
}

/// (market, size in thousandths, entry as % of mark, isolated, isolated margin)
type PositionSpec = (u32, i64, i64, bool, i64);

fn build(world: &World, spec: &(Vec<PositionSpec>, i64, i64)) -> Account {
    let (positions, usdt, eth) = spec;
    Account {
        supplied: vec![],
        emode: None,
        id: "p".into(),
        collateral: vec![
            Holding {
                asset: 0,
                amount: Base::from_int(*usdt),
            },
            Holding {
                asset: 1,
                amount: Base::from_int(*eth),
            },
        ],
        borrows: vec![],
        positions: positions
            .iter()
            .map(|&(market, size_milli, entry_pct, isolated, margin)| {
                let mark = world.prices[market as usize].raw();
                Position {
                    market,
                    size: Base::from_raw(size_milli as i128 * 1_000_000_000),
                    cost: Base::from_raw(size_milli as i128 * 1_000_000_000)
                        .value_at(
                            Price::from_raw(mark / 100 * entry_pct as i128),
                            levamp_core::Round::Ceil,
                        )
                        .unwrap(),
                    mode: if isolated {
                        MarginMode::Isolated
                    } else {
                        MarginMode::Cross
                    },
                    isolated_margin: if isolated {
                        Quote::from_int(margin)
                    } else {
                        Quote::ZERO
                    },
                    leverage: None,
                }
            })
            .collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// At the returned price the scope is liquidatable; one tick toward safety it is not.
    #[test]
    fn flag_flips_one_tick_past_the_liquidation_price(spec in account(), btc in 10_000i64..100_000, eth in 500i64..5_000) {
        let world = World::new([btc, eth, 1]);
        let account = build(&world, &spec);
        for i in 0..account.positions.len() {
            let Some(lp) = liquidation_price(&account, i, &world.ctx()).unwrap() else { continue };
            let p = lp.raw();
            prop_assert!(liquidatable_at(&world, &account, i, p), "position {i}: not liquidatable at {lp}");
            let up = liquidatable_at(&world, &account, i, p + 1);
            let down = p > 1 && liquidatable_at(&world, &account, i, p - 1);
            prop_assert!(!up || !down, "position {i}: liquidatable on both sides of {lp}");
            prop_assert!(up || down || p == 1, "position {i}: safe on both sides of {lp}");
        }
    }

    /// More isolated margin moves a long's liquidation price down and a short's up.
    #[test]
    fn liquidation_price_is_monotone_in_margin(spec in position(), extra in 1i64..1_000_000, btc in 10_000i64..100_000) {
        let world = World::new([btc, 2000, 1]);
        let mut spec = spec;
        spec.3 = true;
        let base = build(&world, &(vec![spec], 0, 0));
        let mut more = base.clone();
        more.positions[0].isolated_margin = more.positions[0].isolated_margin.checked_add(Quote::from_int(extra)).unwrap();
        let (a, b) = (liquidation_price(&base, 0, &world.ctx()).unwrap(), liquidation_price(&more, 0, &world.ctx()).unwrap());
        let long = base.positions[0].size.is_positive();
        match (a, b) {
            (Some(a), Some(b)) => prop_assert!(if long { b <= a } else { b >= a }, "{a} -> {b}"),
            (Some(_), None) => prop_assert!(long, "a short always has a liquidation price"),
            (None, Some(b)) => prop_assert!(false, "margin added created a liquidation price {b}"),
            (None, None) => {}
        }
    }

    /// With the mark at entry and the position safe there, a long liquidates
    /// below entry and a short above, in both margin modes.
    #[test]
    fn long_below_short_above_entry(size_milli in -500_000i64..500_000, margin in 1i64..3_000_000, isolated in any::<bool>(), btc in 10_000i64..100_000) {
        prop_assume!(size_milli != 0);
        let world = World::new([btc, 2000, 1]);
        let usdt = if isolated { 0 } else { margin };
        let account = build(&world, &(vec![(0, size_milli, 100, isolated, margin)], usdt, 0));
        prop_assume!(!liquidatable_at(&world, &account, 0, world.prices[0].raw()));
        let lp = liquidation_price(&account, 0, &world.ctx()).unwrap();
        let entry = account.positions[0].entry_price().unwrap();
        if size_milli > 0 {
            prop_assert!(lp.is_none_or(|p| p < entry));
        } else {
            prop_assert!(lp.is_some_and(|p| p > entry));
        }
    }
}

/// Hand-checkable cases of the "no liquidation price" rule.
#[test]
fn none_when_price_alone_cannot_liquidate() {
    let world = World::new([30_000, 2_000, 1]);
    // Long backed by more than its notional: even a price of one tick leaves equity > MM.
    let one_x = build(&world, &(vec![(0, 1_000, 100, true, 30_001)], 0, 0));
    assert_eq!(liquidation_price(&one_x, 0, &world.ctx()).unwrap(), None);
    // An ETH short fully hedged by ETH collateral whose haircut (5 %) is below
    // 1 − MMR: rising ETH adds more collateral value than the short loses → none above.
    let hedged = build(&world, &(vec![(1, -10_000, 100, false, 0)], 0, 20));
    assert_eq!(liquidation_price(&hedged, 0, &world.ctx()).unwrap(), None);
    // Remove the hedge and it liquidates above entry.
    let naked = build(&world, &(vec![(1, -10_000, 100, false, 0)], 2_000, 0));
    assert!(liquidation_price(&naked, 0, &world.ctx()).unwrap().unwrap() > Price::from_int(2_000));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The index's fast trigger is never on the unsafe side of the exact
    /// boundary, and stays close to it.
    #[test]
    fn fast_trigger_is_conservative(spec in account(), btc in 10_000i64..100_000, eth in 500i64..5_000) {
        let world = World::new([btc, eth, 1]);
        let account = build(&world, &spec);
        let ctx = world.ctx();
        for i in 0..account.positions.len() {
            let scope = Scope::of(&account, i);
            let id = world.markets[account.positions[i].market as usize].price;
            let total = scope_health(&account, scope, &ctx).unwrap();
            let side = account.positions[i].size.raw().signum();
            let exact = scope_boundary(&account, scope, id, &ctx, total, side).unwrap();
            let fast = scope_trigger(&account, scope, id, &ctx, total, side).unwrap();
            match (exact, fast) {
                (Some((e, Side::Below)), Some((f, Side::Below))) => prop_assert!(f >= e && f.raw() - e.raw() <= e.raw() / 1_000 + 1_000_000_000, "{e} vs {f}"),
                (Some((e, Side::Above)), Some((f, Side::Above))) => prop_assert!(f <= e && e.raw() - f.raw() <= e.raw() / 1_000 + 1_000_000_000, "{e} vs {f}"),
                (None, _) => {}
                (e, f) => prop_assert!(false, "exact {:?} vs fast {:?}", e, f),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// The same at prices far above the solver's old 1e15 cap (issue #9 item 7),
    /// up to the rounding flicker described at [`safe_within`].
    #[test]
    fn flag_flips_at_any_price_scale(spec in account(), btc in 1_000_000_000_000_000i64..9_000_000_000_000_000_000, eth in 100_000_000_000_000i64..1_000_000_000_000_000_000) {
        let world = World::new([btc, eth, 1]);
        let account = build(&world, &spec);
        for i in 0..account.positions.len() {
            let lp = liquidation_price(&account, i, &world.ctx()).unwrap();
            // An isolated short loses without bound as its price rises, so it
            // has a liquidation price unless it is liquidatable at every price.
            let position = &account.positions[i];
            if position.mode == MarginMode::Isolated && position.size.is_negative() && !liquidatable_at(&world, &account, i, 1) {
                prop_assert!(lp.is_some(), "position {i}: an isolated short has no liquidation price");
            }
            let Some(lp) = lp else { continue };
            let p = lp.raw();
            prop_assert!(liquidatable_at(&world, &account, i, p), "position {i}: not liquidatable at {lp}");
            prop_assert!(p == 1 || safe_within(&world, &account, i, p, 64), "position {i}: no safe price within 64 ticks of {lp}");
        }
    }
}

/// Whether a price within `window` ticks of `p`, on either side, leaves the
/// scope safe. Where one tick moves the scope's equity net of maintenance by
/// less than one unit of the 12th decimal — a cross short almost hedged by
/// collateral in the same asset, at prices near 1e21 — the separately
/// rounded terms (collateral value down, loss and margin up) make the exact
/// flag flicker for a few ticks around the boundary, so "one tick past"
/// cannot hold there; the liquidation price is then exact to a few ticks.
fn safe_within(world: &World, account: &Account, i: usize, p: i128, window: i128) -> bool {
    (1..=window).any(|k| {
        (p - k >= 1 && !liquidatable_at(world, account, i, p - k))
            || !liquidatable_at(world, account, i, p + k)
    })
}

/// The case proptest found for the flicker (seed `cc 610ef279…`): a BTC long
/// and an ETH short in cross margin with 27 ETH of collateral (5 % haircut)
/// at ETH ≈ 7.9e16. Near the short's liquidation price (≈ 5.3e21) one tick
/// changes equity − maintenance by ≈ −0.21 units of the last decimal
/// (+25.65 collateral, −25.233 loss, −0.63 margin), so the flag is set at
/// the solver's price and clear one tick either side.
#[test]
fn flag_flickers_where_a_tick_moves_less_than_the_last_decimal() {
    let world = World::new([6_594_190_376_155_064_140, 78_910_082_968_972_892, 1]);
    let account = build(
        &world,
        &(
            vec![(0, 461_350, 60, false, 1), (1, -25_233, 123, false, 1)],
            624_410,
            27,
        ),
    );
    let p = liquidation_price(&account, 1, &world.ctx())
        .unwrap()
        .unwrap()
        .raw();
    assert!(liquidatable_at(&world, &account, 1, p));
    assert!(
        !liquidatable_at(&world, &account, 1, p + 1)
            && !liquidatable_at(&world, &account, 1, p - 1)
    );
    assert!(safe_within(&world, &account, 1, p, 64));
}

/// A case proptest found for `fast_trigger_is_conservative` (seed
/// `cc 380b9b89…`): a long and a short in the same market (hedge mode) that
/// nearly cancel, so the net slope is small against the items' separate
/// roundings; the fast trigger was one tick on the unsafe side (…700 against
/// the exact …701).
#[test]
fn fast_trigger_holds_for_a_nearly_hedged_market() {
    let world = World::new([17_414, 500, 1]);
    let spec = (
        vec![(0, 492_562, 108, false, 1), (0, -467_678, 73, false, 1)],
        1_903_666,
        82,
    );
    let account = build(&world, &spec);
    let ctx = world.ctx();
    let scope = Scope::of(&account, 0);
    let total = scope_health(&account, scope, &ctx).unwrap();
    let exact = scope_boundary(&account, scope, 0, &ctx, total, 1)
        .unwrap()
        .unwrap();
    let fast = scope_trigger(&account, scope, 0, &ctx, total, 1)
        .unwrap()
        .unwrap();
    assert_eq!(exact.1, Side::Below);
    assert_eq!(fast.1, Side::Below);
    assert!(fast.0 >= exact.0, "fast {} below exact {}", fast.0, exact.0);
}
