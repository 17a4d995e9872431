//! A simulated path allocates nothing per liquidation once a worker has run
//! a path: the same path of a crash that liquidates 1,000 accounts makes
//! (up to a few) no more heap allocations than one that liquidates none (the
//! step pipeline, the event tally and the backstop metrics reuse their
//! buffers; the engine's side is `levamp-engine/tests/no_alloc.rs`).
//!
//! A test binary of its own: it counts allocations with a global allocator.

use levamp_sim::run::Worker;
use levamp_sim::scenario::parse;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
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

/// 1,000 isolated ALT longs of 1 ALT at 100, account `i` at 2 + 38·i/1000 ×
/// (liquidated, on the generic venue's MMR 0.5 %, between 97.9 and 50.4).
fn snapshot() -> &'static str {
    let accounts: Vec<String> = (0..1_000)
        .map(|i| {
            let leverage = 2.0 + 38.0 * i as f64 / 1_000.0;
            format!(
                r#"{{"id": "a{i}", "positions": [{{"market": "ALTUSDT", "size": 1, "entry_price": 100, "margin_mode": "isolated", "isolated_margin": {:.6}}}]}}"#,
                100.0 / leverage
            )
        })
        .collect();
    let text = format!(
        r#"{{"quote": "USDT", "prices": {{"ALT": 100}},
 "markets": {{"ALTUSDT": {{"base": "ALT", "tiers": [{{"max_notional": null, "maintenance_margin_rate": 0.005, "max_leverage": 100}}]}}}},
 "accounts": [{}]}}"#,
        accounts.join(",\n")
    );
    Box::leak(text.into_boxed_str())
}

/// Allocations of path 0 of a `shock` crash, run a second time on a worker
/// (the first run grows the buffers), and the accounts it liquidated.
fn second_run(shock: f64) -> (usize, usize) {
    let body = format!(
        "[run]\nsteps = 20\nmax_rounds = 100\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"a.json\"\n[price]\nmodel = \"shock\"\nstart = 100\nshock = {shock}\nshock_steps = 1\n[impact]\nmodel = \"linear\"\nlambda = 0.001\n"
    );
    let s = parse(&body, "t", Path::new("mem")).unwrap_or_else(|e| panic!("{e}"));
    let world = build(&s, &Sources::disk().with("mem/a.json", snapshot()))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut worker = Worker::new(&world);
    worker.run(&s, &world, 0, false, false).unwrap();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let m = worker.run(&s, &world, 0, false, false).unwrap();
    (
        ALLOCATIONS.load(Ordering::Relaxed) - before,
        m.accounts_liquidated,
    )
}

#[test]
fn a_path_allocates_nothing_per_liquidation() {
    let (few_allocs, few) = second_run(-0.019);
    let (many_allocs, many) = second_run(-0.6);
    assert!(few < 100 && many == 1_000, "liquidated {few} and {many}");
    assert!(
        // A few for metrics that grow with the cascade's depth (by round).
        many_allocs <= few_allocs + 8,
        "{many_allocs} allocations for {many} liquidations, {few_allocs} for {few}"
    );
}
