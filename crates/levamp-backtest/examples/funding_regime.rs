//! Prints the negative-funding summary of the shipped history
//! (docs/backtest.md) as markdown:
//! `cargo run --release -p levamp-backtest --example funding_regime`.

use levamp_backtest::crashes::History;
use levamp_backtest::regime::{negative_episodes, rolling_funding};
use levamp_backtest::time::{self, HOUR};

fn main() {
    println!("| market | settlements | negative | episodes | ≥ 3 days | longest episodes (start → end UTC, settlements, mean rate / 8 h) | lowest 30-day annualised | highest 30-day annualised |");
    println!("|---|---|---|---|---|---|---|---|");
    for market in ["BTCUSDT", "ETHUSDT"] {
        let h = History::load(market).unwrap_or_else(|e| {
            eprintln!("{}: {}", e.at, e.message);
            std::process::exit(2)
        });
        let rows = &h.funding().rows;
        let fail = |e: levamp_core::MathError| -> ! {
            eprintln!("{market}: {e}");
            std::process::exit(2)
        };
        let episodes = negative_episodes(rows, 8 * HOUR).unwrap_or_else(|e| fail(e));
        let negative: usize = episodes.iter().map(|e| e.settlements).sum();
        let mut longest: Vec<_> = episodes.iter().collect();
        longest.sort_by_key(|e| (std::cmp::Reverse(e.settlements), e.start));
        let top: Vec<String> = longest
            .iter()
            .take(3)
            .map(|e| {
                format!(
                    "{} → {}, {} ({:.1} d), {:.4}%",
                    &time::format(e.start)[..13].replace('T', " "),
                    &time::format(e.end)[..13].replace('T', " "),
                    e.settlements,
                    e.days(),
                    e.mean_rate() * 100.0
                )
            })
            .collect();
        let rolling = rolling_funding(rows, 8 * HOUR).unwrap_or_else(|e| fail(e));
        let low = rolling
            .iter()
            .skip(90) // a full 30 days of settlements
            .min_by(|a, b| a.annualized_30d.total_cmp(&b.annualized_30d))
            .expect("more than 30 days of funding");
        let high = rolling
            .iter()
            .skip(90)
            .max_by(|a, b| a.annualized_30d.total_cmp(&b.annualized_30d))
            .expect("more than 30 days of funding");
        println!(
            "| {market} | {} | {:.1}% | {} | {} | {} | {:.2}% (to {}) | {:.2}% (to {}) |",
            rows.len(),
            negative as f64 / rows.len() as f64 * 100.0,
            episodes.len(),
            episodes.iter().filter(|e| e.days() >= 3.0).count(),
            top.join("; "),
            low.annualized_30d * 100.0,
            &time::format(low.time)[..10],
            high.annualized_30d * 100.0,
            &time::format(high.time)[..10]
        );
    }
}
