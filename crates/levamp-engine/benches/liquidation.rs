//! Benchmark: the engine's cost per liquidation.
//!
//! `cargo bench -p levamp-engine --bench liquidation [-- N K] [scattered]`
//!
//! A venue of `N` isolated longs (default 10,000; 0.1 BTC each at 60,000,
//! leverage spread evenly over 2–20.5×) takes one oracle update that
//! liquidates about `K` of them (default 1,000) — the oracle update, the
//! index lookup, the health checks, the closes and the re-indexing — then
//! is restored to its checkpoint ([`Venue::restore`]) and the update is
//! repeated. Reports ns per liquidation (best of 20 updates, restore not
//! counted). The leverages rise with the account id unless `scattered`
//! (then the liquidated accounts are spread over the venue's memory).
//!
//! `liquidation once N K` runs the update once after a warm-up update and
//! restore (no timing): the workload
//! `benches/callgrind.sh liquidation` counts instructions of
//! (`--toggle-collect=*crash*`).

use levamp_core::{Base, Price, Quote, Ratio};
use levamp_engine::venue::*;
use levamp_engine::*;
use std::time::Instant;

fn r(s: &str) -> Ratio {
    s.parse().unwrap()
}

/// `n` isolated longs of 0.1 BTC at 60,000; account `i` at leverage
/// `2 + 18.5·j/n` with `j = i`, or (`scattered`) `j` a fixed permutation
/// of the accounts, so that the accounts a crash liquidates are spread over
/// the venue's memory instead of being neighbours.
fn venue(n: usize, scattered: bool) -> Venue {
    let mut v = Venue::new(VenueRules::generic(), "USDT");
    let spec = Market {
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
    };
    v.execute(&Command::ListMarket {
        spec,
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
    let size = Base::from_raw(100_000_000_000); // 0.1 BTC: 6,000 notional
    for i in 0..n {
        v.execute(&Command::OpenAccount {
            name: format!("a{i}"),
        })
        .unwrap();
        let id = i as AccountId + 1;
        // 1,000,003 is a prime above every n used: i ↦ j is one-to-one.
        let j = if scattered { i * 1_000_003 % n } else { i };
        // Leverage in thousandths: 2.000 … 20.5.
        let lev_milli = 2_000 + (18_500 * j / n) as i128;
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
            size,
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

/// The price that liquidates about `k` of `n`: the top `k/n` of leverages
/// (2 + 18.5·(1 − k/n) and up) lose their margin less maintenance.
fn crash_price(n: usize, k: usize) -> Price {
    let lev = 2.0 + 18.5 * (1.0 - k as f64 / n as f64);
    let p = 60_000.0 * (1.0 - 1.0 / lev) / (1.0 - 0.005);
    Price::from_f64(p, levamp_core::Round::Floor).unwrap()
}

/// One crash update; the number of liquidations. Not inlined, so callgrind
/// can count just this.
#[inline(never)]
fn crash(v: &mut Venue, price: Price, events: &mut Vec<Event>) -> usize {
    events.clear();
    v.execute_into(
        &Command::Price {
            key: 1,
            price,
            ts: 2,
            confidence: None,
        },
        events,
    )
    .unwrap();
    events
        .iter()
        .filter(|e| matches!(e, Event::Liquidated { .. }))
        .count()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let once = args.first().map(String::as_str) == Some("once");
    let nums: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let n = nums.first().copied().unwrap_or(10_000);
    let k = nums.get(1).copied().unwrap_or(1_000);
    let scattered = args.iter().any(|a| a == "scattered");
    let mut v = venue(n, scattered);
    let price = crash_price(n, k);
    let mut events = Vec::with_capacity(16 * k);
    if once {
        // Warm (the reused buffers grow), then count the second crash.
        v.checkpoint();
        events.clear();
        let warm = Command::Price {
            key: 1,
            price,
            ts: 2,
            confidence: None,
        };
        v.execute_into(&warm, &mut events).unwrap();
        v.restore().unwrap();
        let liquidated = crash(&mut v, price, &mut events);
        println!("{n} accounts: {liquidated} liquidated");
        return;
    }
    v.checkpoint();
    let mut best = f64::INFINITY;
    let mut liquidated = 0;
    for _ in 0..20 {
        let t = Instant::now();
        liquidated = crash(&mut v, price, &mut events);
        best = best.min(t.elapsed().as_secs_f64());
        v.restore().unwrap();
    }
    println!(
        "n = {n}{}, k = {liquidated}: {:.0} µs per update, {:.0} ns per liquidation",
        if scattered { " (scattered)" } else { "" },
        best * 1e6,
        best * 1e9 / liquidated.max(1) as f64
    );
}
