//! Prints the crash survival table (docs/backtest.md) as markdown:
//! `cargo run --release -p levamp-backtest --example crash_table`.

use levamp_backtest::crashes::{markdown, rows, History};

fn main() {
    let mut all = Vec::new();
    for market in ["BTCUSDT", "ETHUSDT"] {
        let h = History::load(market).unwrap_or_else(|e| {
            eprintln!("{}: {}", e.at, e.message);
            std::process::exit(2)
        });
        all.extend(rows(&h).unwrap_or_else(|e| {
            eprintln!("{}: {}", e.at, e.message);
            std::process::exit(2)
        }));
    }
    print!("{}", markdown(&all));
}
