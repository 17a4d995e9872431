//! Benchmark: the venue state machine.
//!
//! `cargo bench -p levamp-engine --bench venue [-- ACCOUNTS]`
//!
//! 1. Oracle updates that liquidate nobody, on venues of 10 k, 100 k and
//!    ACCOUNTS (default 1 M) accounts: the cost must be flat in n (the
//!    liquidation index finds the k crossed accounts in O(k log n)).
//! 2. Throughput of a mixed stream (fills between accounts and oracle
//!    updates), commands per second on one core: command by command
//!    (`execute_into`) and as one `execute_stream` (accounts prefetched).
//!
//! 3. Restore after a path that liquidated k of n accounts
//!    ([`Venue::checkpoint`] / [`Venue::restore`]): the cost must be O(k).
//!
//! Each figure is the best of 5 runs.
//!
//! `venue stream ACCOUNTS FILL_PCT COMMANDS [prefetched]` runs one fixed
//! stream once (no timing), command by command (or through
//! `execute_stream`): the workload `benches/callgrind.sh` counts
//! instructions of.
//! `venue mixed ACCOUNTS…` times only the command streams (part 2).

use levamp_core::{Base, Price, Ratio};
use levamp_engine::venue::*;
use levamp_engine::*;
use std::time::Instant;

fn r(s: &str) -> Ratio {
    s.parse().unwrap()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }
}

/// A venue with `n` accounts, each 2–20× long or short 0.01–1 BTC.
fn venue(n: usize) -> Venue {
    let mut v = Venue::new(VenueRules::generic(), "USDT");
    let t = |cap: Option<&str>, mmr: &str, amount: &str, lev: &str| Tier {
        max_notional: cap.map(|c| c.parse().unwrap()),
        maintenance_margin_rate: r(mmr),
        maintenance_amount: amount.parse().unwrap(),
        max_leverage: r(lev),
    };
    let tiers = vec![
        t(Some("50000"), "0.004", "0", "125"),
        t(Some("600000"), "0.005", "50", "100"),
        t(None, "0.0065", "950", "75"),
    ];
    let spec = Market {
        name: "BTCUSDT".into(),
        price: 0,
        tiers,
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
    let mut rng = Rng(42);
    for i in 0..n {
        v.execute(&Command::OpenAccount {
            name: format!("a{i}"),
        })
        .unwrap();
        let id = i as AccountId + 1;
        let size = Base::from_raw(rng.range(10, 1000) as i128 * 10_000_000_000); // 0.01 … 1 BTC
        let notional = size
            .value_at(Price::from_int(60_000), levamp_core::Round::Ceil)
            .unwrap();
        let leverage = rng.range(2, 20);
        let margin = Base::from_raw(notional.raw() / leverage as i128 + 1_000_000_000_000);
        v.execute(&Command::Deposit {
            account: id,
            asset: v.quote(),
            amount: margin,
        })
        .unwrap();
        let long = rng.range(0, 2) == 0;
        let order = TradeOrder {
            account: id,
            market: 0,
            size: if long {
                size
            } else {
                size.checked_neg().unwrap()
            },
            price: Price::from_int(60_000),
            fee_rate: Ratio::ZERO,
            counterparty: None,
            counterparty_fee_rate: Ratio::ZERO,
            margin_mode: None,
            isolated_margin: None,
            leverage: Some(Ratio::from_int(leverage)),
        };
        v.execute(&Command::Trade(order)).unwrap();
    }
    // A calm update files the set-up's index items (one bulk build), so that
    // the streams below do not count it.
    v.execute(&Command::Price {
        key: 1,
        price: Price::from_int(60_000),
        ts: 2,
        confidence: None,
    })
    .unwrap();
    v
}

fn best(mut f: impl FnMut() -> f64) -> f64 {
    (0..5).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("stream") {
        let num =
            |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
        let (n, fill_pct, count) = (num(1, 1_000), num(2, 50) as u64, num(3, 10_000));
        let mut v = venue(n);
        let commands = stream(n, fill_pct, count);
        let ok = if args.get(4).map(String::as_str) == Some("prefetched") {
            run_prefetched(&mut v, &commands)
        } else {
            run_stream(&mut v, &commands)
        };
        println!("{n} accounts, {fill_pct} % fills: {count} commands, {ok} accepted");
        return;
    }
    if args.first().map(String::as_str) == Some("mixed") {
        for n in args[1..].iter().filter_map(|a| a.parse().ok()) {
            mixed(n);
        }
        return;
    }
    let big: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    println!("oracle updates that liquidate nobody (±0.05 % around 60,000):");
    for n in [10_000, 100_000, big] {
        let t = Instant::now();
        let mut v = venue(n);
        let setup = t.elapsed().as_secs_f64();
        let updates = 200_000;
        let mut ts = 2;
        let per = best(|| {
            let mut events = Vec::new();
            let t = Instant::now();
            for i in 0..updates {
                let price = Price::from_int(60_000 + if i % 2 == 0 { 30 } else { -30 });
                ts += 1;
                events.clear();
                v.execute_into(
                    &Command::Price {
                        key: 1,
                        price,
                        ts,
                        confidence: None,
                    },
                    &mut events,
                )
                .unwrap();
            }
            t.elapsed().as_secs_f64() / updates as f64
        });
        println!("  n = {n:>9}: {:>7.0} ns per update ({:.2} M updates/s); setup {setup:.1} s, {} index entries", per * 1e9, 1e-6 / per, v.liquidation_index().len());
    }

    // Command streams on a hot set that fits in cache and on one that does not.
    println!("command streams (fills between random accounts + oracle updates):");
    for n in [1_000, 100_000] {
        mixed(n);
    }
    restores();
}

/// Runs a stream once, command by command; the number of accepted
/// commands. Not inlined, so callgrind can count just this
/// (`--toggle-collect=*run_stream*`).
#[inline(never)]
fn run_stream(v: &mut Venue, commands: &[Command]) -> usize {
    let mut events = Vec::with_capacity(16);
    let mut ok = 0;
    for c in commands {
        events.clear();
        ok += v.execute_into(c, &mut events).is_ok() as usize;
    }
    ok
}

/// As [`run_stream`], through [`Venue::execute_stream`] (the accounts of
/// the commands ahead prefetched).
#[inline(never)]
fn run_prefetched(v: &mut Venue, commands: &[Command]) -> usize {
    let mut events = Vec::with_capacity(16);
    let mut ok = 0;
    v.execute_stream(commands, &mut events, |_, outcome, _| {
        ok += outcome.is_ok() as usize;
        Ok::<(), ()>(())
    })
    .unwrap();
    ok
}

/// `count` commands: `fill_pct` % fills between random accounts of `n`, the
/// rest oracle updates within ±30 of 60,000.
fn stream(n: usize, fill_pct: u64, count: usize) -> Vec<Command> {
    let mut rng = Rng(7 + fill_pct);
    (0..count)
        .map(|_| {
            if rng.next() % 100 >= fill_pct {
                Command::Price {
                    key: 1,
                    price: Price::from_int(60_000 + rng.range(-30, 30)),
                    ts: 2,
                    confidence: None,
                }
            } else {
                let a = rng.range(1, n as i64) as AccountId;
                let b = rng.range(1, n as i64) as AccountId;
                Command::Trade(TradeOrder {
                    account: a,
                    market: 0,
                    size: Base::from_raw(if rng.range(0, 2) == 0 { 1 } else { -1 } * 1_000_000_000),
                    price: Price::from_int(60_000),
                    fee_rate: r("0.0004"),
                    counterparty: (a != b).then_some(b),
                    counterparty_fee_rate: r("0.0002"),
                    margin_mode: None,
                    isolated_margin: None,
                    leverage: None,
                })
            }
        })
        .collect()
}

/// Checkpoint, an oracle crash that liquidates about k of n accounts,
/// restore: the restore's cost per liquidated account must not grow with n.
fn restores() {
    println!("restore after a path that liquidated k of n accounts:");
    for n in [10_000, 100_000] {
        let mut v = venue(n);
        v.checkpoint();
        for drop in [3_000, 4_000, 5_000] {
            let mut k = 0;
            let per = best(|| {
                let mut events = Vec::new();
                v.execute_into(
                    &Command::Price {
                        key: 1,
                        price: Price::from_int(60_000 - drop),
                        ts: 3,
                        confidence: None,
                    },
                    &mut events,
                )
                .unwrap();
                k = events
                    .iter()
                    .filter(|e| matches!(e, Event::Liquidated { .. }))
                    .count();
                let t = Instant::now();
                v.restore().unwrap();
                t.elapsed().as_secs_f64()
            });
            println!(
                "  n = {n:>7}, k = {k:>6}: restore {:>8.0} µs ({:.0} ns per liquidated account)",
                per * 1e6,
                per * 1e9 / k.max(1) as f64
            );
        }
    }
}

/// Streams with `fill_pct` % fills between random accounts (the rest oracle
/// updates): ns per command, best of 5, command by command
/// (`execute_into`) and as one stream (`execute_stream`, prefetching). Both
/// are checked to leave the same state.
fn mixed(n: usize) {
    let mut v = venue(n);
    for fill_pct in [0u64, 10, 50, 100] {
        let commands = stream(n, fill_pct, 400_000);
        let time = |v: &mut Venue, run: fn(&mut Venue, &[Command]) -> usize| {
            let mut accepted = 0;
            let per = best(|| {
                let t = Instant::now();
                accepted = run(v, &commands);
                t.elapsed().as_secs_f64() / commands.len() as f64
            });
            (per, accepted)
        };
        let (mut a, mut b) = (v.clone(), v.clone());
        assert_eq!(
            run_stream(&mut a, &commands),
            run_prefetched(&mut b, &commands)
        );
        assert!(a == b, "execute_stream leaves the state execute_into does");
        let (one, _) = time(&mut v, run_stream);
        let (streamed, _) = time(&mut v, run_prefetched);
        println!(
            "  {n:>7} accounts, {fill_pct:>3} % fills: {:>5.0} ns per command = {:.2} M commands/s; execute_stream {:>5.0} ns = {:.2} M/s",
            one * 1e9,
            1e-6 / one,
            streamed * 1e9,
            1e-6 / streamed
        );
    }
    assert!(
        v.conservation().unwrap().ok,
        "conservation after the streams"
    );
}
