//! The liquidation path allocates nothing per liquidation: an oracle update
//! that liquidates 200 isolated longs makes no more heap allocations than
//! one that liquidates 20 (the index lookup, the scopes, the health checks,
//! the closes and the re-indexing reuse their buffers).
//!
//! A test binary of its own: it counts allocations with a global allocator.

use levamp_core::{Base, Price, Quote, Ratio};
use levamp_engine::venue::*;
use levamp_engine::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn r(s: &str) -> Ratio {
    s.parse().unwrap()
}

/// `n` isolated longs of 0.1 BTC at 60,000; account `i` at 5 + 10·i/n ×.
fn venue(n: usize) -> Venue {
    let mut v = Venue::new(VenueRules::generic(), "USDT");
    v.execute(&Command::ListMarket {
        spec: Market {
            name: "BTCUSDT".into(),
            price: 0,
            tiers: vec![Tier {
                max_notional: None,
                maintenance_margin_rate: r("0.005"),
                maintenance_amount: Quote::ZERO,
                max_leverage: r("50"),
            }],
            liquidation_fee_rate: r("0.005"),
            funding_interval_s: 28800,
        },
        base: "BTC".into(),
    })
    .unwrap();
    v.execute(&Command::Price {
        key: 1,
        price: Price::from_int(60_000),
        ts: 1,
        confidence: None,
    })
    .unwrap();
    for i in 0..n {
        v.execute(&Command::OpenAccount {
            name: format!("a{i}"),
        })
        .unwrap();
        let id = i as AccountId + 1;
        let lev_milli = 5_000 + (10_000 * i / n) as i128;
        let margin = Quote::from_raw(6_000 * 1_000_000_000_000 * 1_000 / lev_milli + 1);
        v.execute(&Command::Deposit {
            account: id,
            asset: v.quote(),
            amount: Base::from_raw(margin.raw()),
        })
        .unwrap();
        v.execute(&Command::Trade(TradeOrder {
            account: id,
            market: 0,
            size: Base::from_raw(100_000_000_000),
            price: Price::from_int(60_000),
            fee_rate: Ratio::ZERO,
            counterparty: None,
            counterparty_fee_rate: Ratio::ZERO,
            margin_mode: Some(MarginMode::Isolated),
            isolated_margin: Some(margin),
            leverage: Some(Ratio::from_int(25)),
        }))
        .unwrap();
    }
    v
}

/// Liquidations and heap allocations of one crash to `price` (after a
/// warm-up crash and restore, so reused buffers have grown).
fn crash(v: &mut Venue, price: i64) -> (usize, usize) {
    let mut events = Vec::with_capacity(100_000);
    let command = Command::Price {
        key: 1,
        price: Price::from_int(price),
        ts: 2,
        confidence: None,
    };
    v.execute_into(&command, &mut events).unwrap();
    v.restore().unwrap();
    events.clear();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    v.execute_into(&command, &mut events).unwrap();
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    v.restore().unwrap();
    let liquidated = events
        .iter()
        .filter(|e| matches!(e, Event::Liquidated { .. }))
        .count();
    (liquidated, allocations)
}

#[test]
fn liquidations_do_not_allocate() {
    let mut v = venue(1_000);
    v.checkpoint();
    // 56,050 liquidates the most leveraged hundred or so, 55,000 a few hundred.
    let (few, few_allocs) = crash(&mut v, 56_050);
    let (many, many_allocs) = crash(&mut v, 55_000);
    assert!(
        few >= 10 && many >= few + 150,
        "{few} then {many} liquidated"
    );
    // The checkpoint journal grows (amortised, a handful of reallocations).
    assert!(
        many_allocs <= few_allocs + 16,
        "{few} liquidations: {few_allocs} allocations; {many}: {many_allocs}"
    );
}
