//! Prints the yearly funding carry table (docs/backtest.md) as markdown:
//! `cargo run --release -p levamp-backtest --example carry_years`.

use levamp_backtest::crashes::History;
use levamp_backtest::yearly::{markdown, years};

fn main() {
    let mut all = Vec::new();
    for market in ["BTCUSDT", "ETHUSDT"] {
        let h = History::load(market).unwrap_or_else(|e| {
            eprintln!("{}: {}", e.at, e.message);
            std::process::exit(2)
        });
        all.extend(years(&h).unwrap_or_else(|e| {
            eprintln!("{}: {}", e.at, e.message);
            std::process::exit(2)
        }));
    }
    print!("{}", markdown(&all));
}
