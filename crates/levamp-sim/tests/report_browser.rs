//! Issue #11: the report answers who got liquidated and why — rendered in a
//! real headless browser (Debian's Chromium, installed by .ci/run): the
//! headline, UTC time axes for a replay with a start time, the liquidation
//! map, the breakdowns and the table of the largest liquidations with rows,
//! and for several paths the p5/p50/p95 fan and the distributions.

use levamp_sim::output::metrics_json;
use levamp_sim::scenario::parse;
use levamp_sim::setup::build;
use levamp_sim::sources::Sources;
use levamp_sim::summary::simulate;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicUsize;

/// A replay of 31 one-minute prices from 2025-10-10 00:00 UTC (Binance's
/// millisecond open times), falling 20 % then recovering.
fn replay_csv() -> &'static str {
    let mut text = String::from("open_time,close\n");
    for i in 0..31i64 {
        let fall = if i <= 20 { i as f64 } else { 40.0 - i as f64 };
        let close = 121_689.0 * (1.0 - 0.01 * fall);
        text.push_str(&format!("{},{close:.2}\n", 1_760_054_400_000 + i * 60_000));
    }
    Box::leak(text.into_boxed_str())
}

const POPULATION: &str = "[venue]\npreset = \"binance-usdm\"\ninsurance_fund = 1000000\n[population]\naccounts = 400\nmarket = \"BTCUSDT\"\nlong_share = 0.65\nisolated_share = 0.3\nleverage = { median = 12, sigma = 0.7, min = 1, max = 100 }\nnotional = { min = 10000, alpha = 1.25, max = 5000000 }\nentry_dispersion = 0.04\n[impact]\nmodel = \"depth\"\npoints = [[0.01, 2.0e7], [0.05, 1.0e8]]\nresilience = 0.3\n[oracle]\nlatency_steps = 0\n";

/// The report of `scenario` (run in full), written into `dir`.
fn report(dir: &Path, name: &str, scenario: &str) -> PathBuf {
    let s = parse(scenario, name, Path::new("mem")).unwrap_or_else(|e| panic!("{e}"));
    let sources = Sources::disk().with("mem/p.csv", replay_csv());
    let world = build(&s, &sources).unwrap_or_else(|e| panic!("{e}"));
    let paths = simulate(&s, &world, &AtomicUsize::new(0)).unwrap();
    let metrics = metrics_json(&s, &world, &paths);
    let largest = &metrics["liquidations"]["largest"];
    assert!(
        largest.as_array().is_some_and(|a| !a.is_empty()),
        "{largest}"
    );
    let html = levamp_sim::report::html(&s, &world, &paths, &metrics["summary"], 1.0);
    let file = dir.join(format!("{name}.html"));
    std::fs::write(&file, html).unwrap();
    file
}

/// The DOM Chromium renders for `file`, checked for console errors.
fn render(chromium: &str, dir: &Path, file: &Path) -> String {
    let run = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{log}");
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    String::from_utf8_lossy(&run.stdout).into_owned()
}

/// Rows of the table with id `id` (header excluded).
fn rows(dom: &str, id: &str) -> usize {
    let Some(at) = dom.find(&format!("<table id=\"{id}\"")) else {
        return 0;
    };
    let table = &dom[at..at + dom[at..].find("</table>").unwrap_or(0)];
    table.matches("<tr>").count().saturating_sub(1)
}

#[test]
fn report_says_who_got_liquidated_in_headless_chromium() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install chromium (see .ci/run)"
        );
        eprintln!("skipped: no chromium on this machine");
        return;
    };
    let dir = std::env::temp_dir().join(format!("levamp-report-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // One replayed path with a start time.
    let replay = format!(
        "[run]\nseed = 3\npaths = 1\nsteps = 30\ndt_s = 60\nseries_paths = 1\n{POPULATION}[price]\nmodel = \"replay\"\ncsv = \"p.csv\"\ncolumn = \"close\"\nstart = 121689\n"
    );
    let dom = render(chromium, &dir, &report(&dir, "replay", &replay));
    assert!(dom.contains("id=\"headline\""), "headline");
    let headline = &dom[dom.find("id=\"headline\"").unwrap()..];
    let headline = &headline[..headline.find("</p>").unwrap()];
    for words in ["USDT", "Liquidated:", "accounts", "Insurance fund", "UTC"] {
        assert!(headline.contains(words), "{words}: {headline}");
    }
    assert!(dom.contains("time (UTC, 2025-10-10)"), "UTC time axis");
    assert!(dom.contains(">00:10<"), "clock ticks");
    assert!(dom.contains("Liquidation map"), "map");
    assert!(dom.contains("Who got liquidated"), "who");
    assert!(dom.contains("Leverage (chosen)"), "breakdown by leverage");
    assert!(rows(&dom, "largest") >= 3, "largest liquidations have rows");
    assert!(rows(&dom, "metrics") >= 10, "metrics table");
    assert!(
        !dom.contains("Distributions across"),
        "no histograms for one path"
    );
    assert!(!dom.contains("hunter"), "unused features left out");

    // Several paths: the fan and the distributions.
    let mc = format!(
        "[run]\nseed = 5\npaths = 6\nsteps = 40\ndt_s = 60\nseries_paths = 4\n{POPULATION}[price]\nmodel = \"jump\"\nstart = 121689\nsigma = 1.0\nintensity = 20000\njump_mean = -0.02\njump_sigma = 0.02\n"
    );
    let dom = render(chromium, &dir, &report(&dir, "mc", &mc));
    assert!(dom.contains("p5–p95"), "price fan");
    assert!(dom.contains("P(bad debt)"), "probabilities annotated");
    assert!(dom.contains("Distributions across 6 paths"), "histograms");
    assert!(dom.contains("hours since the start"), "elapsed time axis");
    assert!(rows(&dom, "largest") >= 3, "largest liquidations have rows");
    assert!(dom.matches("<svg").count() >= 8, "charts");
    let _ = std::fs::remove_dir_all(&dir);
}
