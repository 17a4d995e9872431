//! The flat book's unit tests: update by update against the engine around
//! every trigger, and a tier table whose requirement jumps.

mod near_triggers {
    //! Update by update against the engine at the prices where the fast
    //! path's bookkeeping matters most: one tick above each trigger, at it,
    //! and a few ticks past it — between the trigger and the exact boundary
    //! a met position is not yet liquidatable and waits on the pending list.

    use super::super::*;
    use crate::backstop::BackstopStats;
    use crate::sources::Sources;

    fn world(accounts: &'static str) -> (Scenario, World) {
        let body = "[run]\nsteps = 1\n[venue]\npreset = \"generic\"\ninsurance_fund = 2\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nmodel = \"gbm\"\nstart = 100\nsigma = 1\n";
        let s = crate::scenario::parse(body, "t", std::path::Path::new("mem")).unwrap();
        let sources = Sources::disk().with("mem/accounts.json", accounts);
        let w = crate::setup::build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
        (s, w)
    }

    #[test]
    fn every_update_near_the_triggers_matches_the_engine() {
        // Sizes from a millionth of a unit (where rounding is coarsest) up.
        let accounts = r#"{"quote": "USDT", "prices": {"ETH": 100},
          "markets": {"ETHUSDT": {"base": "ETH", "liquidation_fee_rate": 0.01,
            "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.0123, "max_leverage": 100}]}},
          "accounts": [
            {"id": "a", "positions": [{"market": "ETHUSDT", "size": 0.000001, "entry_price": 100, "margin_mode": "isolated", "isolated_margin": 0.00001}]},
            {"id": "b", "positions": [{"market": "ETHUSDT", "size": 3.3333, "entry_price": 99.5, "margin_mode": "isolated", "isolated_margin": 21.7}]},
            {"id": "c", "positions": [{"market": "ETHUSDT", "size": 0.0071, "entry_price": 100.2, "margin_mode": "isolated", "isolated_margin": 0.05}]},
            {"id": "d", "positions": [{"market": "ETHUSDT", "size": -2.5, "entry_price": 100.1, "margin_mode": "isolated", "isolated_margin": 19.3}]},
            {"id": "e", "positions": [{"market": "ETHUSDT", "size": -0.000003, "entry_price": 99.9, "margin_mode": "isolated", "isolated_margin": 0.00002}]},
            {"id": "f", "positions": [{"market": "ETHUSDT", "size": 41.0, "entry_price": 100.0, "margin_mode": "isolated", "isolated_margin": 200}]}
          ]}"#;
        let (s, world) = world(accounts);
        let book = world.flat.as_ref().expect("fits the fast path");
        let tick = Price::TICK.raw();
        let mut prices = Vec::new();
        let sides = book
            .below
            .iter()
            .map(|x| (x.0, -1))
            .chain(book.above.iter().map(|x| (x.0, 1)));
        for (t, toward) in sides {
            for k in [-1, 0, 1, 2, 3, 5, 8, 13, 40, 200, 5_000] {
                prices.push(Price::from_raw(t.raw() + toward * k * tick));
            }
        }
        let mut venue = world.venue.clone();
        let mut scratch = FlatScratch::default();
        let mut flat = FlatPath::new(book, &mut scratch);
        let mut m = crate::run::start_metrics(0, 100.0, 1);
        m.backstop = BackstopStats::start(&world.venue, &world.segments);
        let (mut events, quote) = (Vec::new(), venue.quote() as usize);
        let mut pended = 0;
        for (i, &p) in prices.iter().enumerate() {
            venue
                .update_price_into(world.key, p, world.t0 + i as i64, None, &mut events)
                .unwrap();
            flat.update(p, &mut m, 2.0).unwrap();
            pended = pended.max(flat.scratch.heap_below.len() + flat.scratch.heap_above.len());
            let closed = (1..venue.accounts().len() as u32)
                .filter(|&a| {
                    venue
                        .position(a, book.market_id)
                        .is_none_or(|p| p.size.is_zero())
                })
                .count();
            assert_eq!(flat.liquidated, closed, "update {i} at {p}");
            assert_eq!(flat.fund, venue.funds()[quote].insurance_fund, "update {i}");
            assert_eq!(flat.bad_debt, venue.funds()[quote].bad_debt, "update {i}");
        }
        assert!(
            pended > 0,
            "no position waited between trigger and boundary"
        );
        assert!(flat.liquidated >= 5, "{}", flat.liquidated);
        drop(s);
    }
}

mod discontinuous_tiers {
    //! A tier table whose requirement jumps at a cap (no maintenance
    //! amount to bridge it) breaks the triggers' premise: near the cap a
    //! position can be liquidatable at a price and safe at a worse one.
    //! Found by the flat book's tests (the engine left such a position
    //! open); the engine now checks such positions on every update, and
    //! the flat book does not take such a market.

    use super::super::*;
    use crate::sources::Sources;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn an_account_liquidatable_at_a_tier_cap_is_never_missed() {
        let accounts = r#"{"quote": "USDT", "prices": {"ETH": 100}, "markets": {"ETHUSDT": {"base": "ETH", "liquidation_fee_rate": 0, "tiers": [{"max_notional": 300, "maintenance_margin_rate": 0.0227, "max_leverage": 100}, {"max_notional": null, "maintenance_margin_rate": 0.0455, "maintenance_amount": 0, "max_leverage": 50}]}}, "accounts": [{"id": "a0", "positions": [{"market": "ETHUSDT", "size": 53.10732468, "entry_price": 104.7020, "margin_mode": "isolated", "isolated_margin": 240.41}]}]}"#;
        let body = "[run]\nseed = 77\npaths = 3\nsteps = 120\nmax_rounds = 1\nseries_paths = 0\n[venue]\npreset = \"generic\"\nrules = { liquidation = { auto = true, partial_buffer = 0 } }\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nmodel = \"gbm\"\nstart = 100\nmu = 0\nsigma = 4.380\n[impact]\nmodel = \"linear\"\nlambda = 0\n";
        let s = crate::scenario::parse(body, "t", std::path::Path::new("mem")).unwrap();
        let sources = Sources::disk().with("mem/accounts.json", accounts);
        let w = crate::setup::build(&s, &sources).unwrap();
        assert!(!w.venue.markets()[0].tiers_continuous());
        assert!(
            w.flat.is_none(),
            "the flat book does not take a jumping table"
        );
        // Path 1's prices: at step 14 the partially liquidated position's
        // notional is just above the cap, where it is liquidatable.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(crate::run::path_seed(77, 1));
        let mut process = crate::models::process(&s, &w).unwrap();
        let mut impact = crate::models::impact(&s, w.start);
        let (mut prices, mut venue, mut events) = ((w.start, w.start), w.venue.clone(), Vec::new());
        for step in 1..=120usize {
            crate::step::exogenous(
                process.as_mut(),
                step,
                &mut rng,
                w.start,
                &mut prices,
                impact.as_mut(),
            )
            .unwrap();
            let price = prices.0;
            let acc = &venue.accounts()[1];
            let mut at = venue.prices().to_vec();
            at[w.key as usize] = price;
            let ctx = MarginContext {
                prices: &at,
                ..venue.context()
            };
            let liquidatable = !acc.positions.is_empty()
                && !acc.positions[0].size.is_zero()
                && scope_health(acc, Scope::Isolated(0), &ctx)
                    .unwrap()
                    .liquidatable();
            let crossed = venue.liquidation_index().clone().crossed(w.key, price);
            assert!(
                !liquidatable || crossed.contains(&1),
                "missed at step {step}, {price}"
            );
            venue
                .update_price_into(w.key, price, w.t0 + step as i64, None, &mut events)
                .unwrap();
        }
    }
}

mod liquidatable {
    //! The liquidation test without the requirement's division against the
    //! one with it, at and around its boundaries.

    use super::super::*;
    use crate::sources::Sources;

    #[test]
    fn the_test_without_a_division_is_the_one_with_it() {
        // Two tiers, continuous at 300 (amount 300 × (0.02 − 0.01) = 3).
        let accounts = r#"{"quote": "USDT", "prices": {"ETH": 100},
          "markets": {"ETHUSDT": {"base": "ETH", "liquidation_fee_rate": 0,
            "tiers": [{"max_notional": 300, "maintenance_margin_rate": 0.01, "max_leverage": 100},
                      {"max_notional": null, "maintenance_margin_rate": 0.02, "maintenance_amount": 3, "max_leverage": 50}]}},
          "accounts": [
            {"id": "a", "positions": [{"market": "ETHUSDT", "size": 1, "entry_price": 100, "margin_mode": "isolated", "isolated_margin": 10}]}
          ]}"#;
        let body = "[run]\nsteps = 1\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nmodel = \"gbm\"\nstart = 100\nsigma = 1\n";
        let s = crate::scenario::parse(body, "t", std::path::Path::new("mem")).unwrap();
        let sources = Sources::disk().with("mem/accounts.json", accounts);
        let w = crate::setup::build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
        let book = w.flat.as_ref().expect("fits the fast path");
        let scale = SCALE;
        let mut notionals = vec![0, 1, 99, 100, 101, 150 * scale, 300 * scale - 1];
        // Where the requirement is exactly 0, 1 tick, and a whole number.
        notionals.extend([
            300 * scale,
            300 * scale + 1,
            300 * scale + 49,
            300 * scale + 50,
        ]);
        notionals.extend([
            1_000 * scale,
            12_345 * scale + 678,
            i64::MAX as i128,
            i128::MAX,
        ]);
        let mut checked = [0; 2];
        for n in notionals {
            let notional = Quote::from_raw(n);
            let Ok(m) = book.maintenance(notional) else {
                continue;
            };
            for e in [
                m.raw().saturating_sub(1),
                m.raw(),
                m.raw().saturating_add(1),
                0,
                -1,
                1,
                i128::MIN,
                i128::MAX,
            ] {
                let equity = Quote::from_raw(e);
                let expected = m.is_positive() && equity <= m;
                let here = book.liquidatable(notional, equity).unwrap();
                assert_eq!(
                    here, expected,
                    "notional {n}, equity {e}, maintenance {m:?}"
                );
                checked[expected as usize] += 1;
            }
        }
        assert!(checked[0] > 10 && checked[1] > 10, "{checked:?}");
    }
}
