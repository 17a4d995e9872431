//! The performance figures of docs/backtest.md ("Performance"): one
//! strategy over the whole shipped BTCUSDT range (2019-12-24 → 2026-05-16,
//! ~56k hours, ~7k settlements), then a 1,000-variant parameter grid over
//! the same history (history read once, variants on rayon's pool).
//!
//! `cargo run --release -p levamp-backtest --example grid_bench [VARIANTS]`
//! (run it under `/usr/bin/time -v` for CPU seconds and peak memory).

use levamp_backtest::compare::{expand, load, run_all};
use levamp_backtest::{metrics, run};
use std::fmt::Write;
use std::path::Path;
use std::time::Instant;

const BASE: &str = "name = \"grid\"\n[data]\nmarket = \"BTCUSDT\"\n\
    start = \"2019-12-24T00:00:00Z\"\nend = \"2026-05-16T00:00:00Z\"\n\
    [venue]\npreset = \"binance-usdm\"\n[strategy]\nkind = \"directional\"\nsize = 1\n\
    capital = 100000\nmargin_mode = \"isolated\"\nfee_rate = 0.0004\n";

/// A grid of `n` variants: the four models, their parameters varied.
fn grid(n: usize) -> String {
    let mut text = String::from(BASE);
    for i in 0..n {
        let x = (i / 4) as f64;
        let sizing = match i % 4 {
            0 => "model = \"static\"".to_string(),
            1 => format!(
                "model = \"vol_target\", target_vol = {}, max_leverage = {}, rebalance_hours = {}",
                0.1 + 0.01 * (x % 50.0),
                1 + (i / 200) % 5,
                8 * (1 + (i / 8) % 6)
            ),
            2 => format!(
                "model = \"kelly\", fraction = {}, lookback_hours = {}, max_leverage = 3",
                0.1 + 0.1 * (x % 9.0),
                240 * (1 + (i / 36) % 6)
            ),
            _ => format!(
                "model = \"liquidation_buffer\", k = {}, horizon_hours = {}, max_leverage = 10",
                1.0 + 0.25 * (x % 16.0),
                24 * (1 + (i / 64) % 7)
            ),
        };
        let size = if i % 4 == 0 {
            format!("strategy = {{ size = {:.3} }}\n", 0.1 + 0.01 * (x % 90.0))
        } else {
            String::new()
        };
        let _ = write!(
            text,
            "[[variant]]\nname = \"v{i}\"\nsizing = {{ {sizing} }}\n{size}"
        );
    }
    text
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(1000, |a| a.parse().expect("VARIANTS is a number"));
    let t = Instant::now();
    let one = expand(BASE, "one", Path::new(".")).unwrap().1;
    let w = load(&one).unwrap();
    let loaded = t.elapsed();
    println!(
        "history: {} hours, {} settlements, loaded and checked in {:.0} ms",
        w.hours.len(),
        w.funding.len(),
        loaded.as_secs_f64() * 1e3
    );
    for (label, sizing) in [
        ("static 1 BTC long", ""),
        (
            "vol_target 50 %, daily",
            "[sizing]\nmodel = \"vol_target\"\ntarget_vol = 0.5\nmax_leverage = 3\n",
        ),
    ] {
        let s = &expand(&format!("{BASE}{sizing}"), "one", Path::new("."))
            .unwrap()
            .1[0];
        let t = Instant::now();
        let o = run::run(s, &w).unwrap();
        let m = metrics::summary(&o).unwrap();
        println!(
            "one run, {label}: {:.1} ms (return {:.1} %, {} rebalances)",
            t.elapsed().as_secs_f64() * 1e3,
            m.total_return * 100.0,
            o.resizes.len()
        );
    }
    let t = Instant::now();
    let list = expand(&grid(n), "grid", Path::new(".")).unwrap().1;
    let parsed = t.elapsed();
    let w = load(&list).unwrap();
    let loaded = t.elapsed() - parsed;
    let rows = run_all(&list, &w).unwrap();
    let ran = t.elapsed() - parsed - loaded;
    let liquidated = rows.iter().filter(|r| r.summary.liquidations > 0).count();
    println!(
        "grid of {} variants on {} threads: parse {:.0} ms, load {:.0} ms, runs {:.2} s ({:.1} ms per variant-thread); {liquidated} liquidated",
        rows.len(),
        rayon::current_num_threads(),
        parsed.as_secs_f64() * 1e3,
        loaded.as_secs_f64() * 1e3,
        ran.as_secs_f64(),
        ran.as_secs_f64() * 1e3 * rayon::current_num_threads() as f64 / rows.len() as f64
    );
}
