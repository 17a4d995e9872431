//! `levamp backtest`: bad input exits 2 with one line naming FILE:LINE and
//! the key or field, and leaves no result folder behind; a good run writes
//! the contract files.

use std::path::{Path, PathBuf};
use std::process::Command;

fn levamp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_levamp"))
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("levamp-bt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const GOOD: &str = "name = \"t\"\n[data]\nmarket = \"BTCUSDT\"\nstart = \"2021-01-01T00:00:00Z\"\nend = \"2021-01-03T00:00:00Z\"\n\
[venue]\npreset = \"binance-usdm\"\n[strategy]\nkind = \"carry\"\nsize = 1.0\ncapital = 100000.0\nmargin_mode = \"isolated\"\nfee_rate = 0.0004\n";

/// Runs the strategy `text` (and CSV `files`) in a scratch folder; returns
/// (exit code, stderr, the folder).
fn run(name: &str, text: &str, files: &[(&str, &str)]) -> (i32, String, PathBuf) {
    let dir = scratch(name);
    std::fs::write(dir.join("s.toml"), text).unwrap();
    for (f, body) in files {
        std::fs::write(dir.join(f), body).unwrap();
    }
    let out = levamp()
        .args(["backtest", "s.toml", "--out", "out", "--quiet"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&out.stderr).into_owned(), dir)
}

fn fails(name: &str, text: &str, files: &[(&str, &str)], expected: &str) {
    let (code, err, dir) = run(name, text, files);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(expected), "{err:?} lacks {expected:?}");
    assert!(!dir.join("out/t").exists(), "a result was left behind");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_good_run_writes_the_contract_files() {
    let (code, err, dir) = run("good", GOOD, &[]);
    assert_eq!(code, 0, "{err}");
    for f in [
        "metrics.json",
        "equity.csv",
        "trades.csv",
        "funding.csv",
        "regime.csv",
        "report.html",
        ".levamp-result",
    ] {
        assert!(dir.join("out/t").join(f).is_file(), "{f}");
    }
    let regime = std::fs::read_to_string(dir.join("out/t/regime.csv")).unwrap();
    assert!(regime.starts_with("start,end,settlements,days,mean_rate,min_rate,sum_rate\n"));
    let html = std::fs::read_to_string(dir.join("out/t/report.html")).unwrap();
    assert!(html.contains("Funding regime"), "no regime section");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/t/metrics.json")).unwrap())
            .unwrap();
    for k in [
        "total_return",
        "annualized_return",
        "annualized_volatility",
        "sharpe",
        "max_drawdown",
        "funding_pnl",
        "basis_pnl",
        "fees",
        "liquidations",
        "min_liquidation_distance",
    ] {
        assert!(m["summary"].get(k).is_some(), "summary.{k}");
    }
    let equity = std::fs::read_to_string(dir.join("out/t/equity.csv")).unwrap();
    assert_eq!(equity.lines().count(), 1 + 48);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn strategy_keys_are_checked_with_file_and_line() {
    fails(
        "unknown-key",
        &GOOD.replace("fee_rate", "fee_rat"),
        &[],
        "s.toml:13: strategy.fee_rat: unknown key",
    );
    fails(
        "market",
        &GOOD.replace("\"BTCUSDT\"", "\"DOGEUSDT\""),
        &[],
        "s.toml:3: data.market: no shipped history",
    );
    fails(
        "before",
        &GOOD.replace("2021-01-01", "2019-12-01"),
        &[],
        "s.toml:4: data.start: 2019-12-01T00:00:00Z is before the mark series starts",
    );
    fails(
        "after",
        &GOOD.replace("2021-01-03", "2027-01-03"),
        &[],
        "s.toml:5: data.end:",
    );
    fails(
        "leverage",
        &GOOD
            .replace("kind = \"carry\"", "kind = \"directional\"")
            .replace("size = 1.0", "size = 40.0")
            .replace("100000.0", "1000.0"),
        &[],
        "s.toml:10: strategy.size: leverage",
    );
}

/// The user's own CSVs: each bad row is named by file and line.
#[test]
fn csv_rows_are_checked_with_file_and_line() {
    let head = "open_time_utc,open,high,low,close\n";
    let rows = |n: usize| -> String {
        (0..n)
            .map(|h| format!("2021-01-01T{h:02}:00:00Z,100,101,99,100\n"))
            .collect()
    };
    let good = format!("{head}{}", rows(4));
    let funding = "funding_time_utc,funding_rate\n2021-01-01T00:00:00Z,0.0001\n";
    let text = GOOD
        .replace("2021-01-03T00", "2021-01-01T04")
        .replace("market = \"BTCUSDT\"", "market = \"BTCUSDT\"\nperp = \"perp.csv\"\nspot = \"spot.csv\"\nmark = \"mark.csv\"\nfunding = \"funding.csv\"\nmax_gap_hours = 1");
    let with_perp = |perp: &str| -> Vec<(&'static str, String)> {
        vec![
            ("perp.csv", perp.to_string()),
            ("spot.csv", good.clone()),
            ("mark.csv", good.clone()),
            ("funding.csv", funding.to_string()),
        ]
    };
    let check = |name: &str, perp: String, expected: &str| {
        let files = with_perp(&perp);
        let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
        fails(name, &text, &refs, expected);
    };
    let r = |h: u32, p: &str| format!("2021-01-01T{h:02}:00:00Z,{p},{p},{p},{p}\n");
    check(
        "unsorted",
        format!("{head}{}{}", r(1, "100"), r(0, "100")),
        "perp.csv:3: open_time_utc: unsorted",
    );
    check(
        "duplicate",
        format!("{head}{}{}", r(0, "100"), r(0, "100")),
        "perp.csv:3: open_time_utc: duplicate time",
    );
    check(
        "gap",
        format!("{head}{}{}", r(0, "100"), r(3, "100")),
        "perp.csv:3: open_time_utc: gap of 2 h",
    );
    check(
        "negative",
        format!("{head}{}{}", r(0, "100"), r(1, "-5")),
        "perp.csv:3: open: price must be > 0",
    );
    // And the same files, clean, run.
    let files = with_perp(&good);
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let (code, err, dir) = run("own-csv", &text, &refs);
    assert_eq!(code, 0, "{err}");
    let _ = std::fs::remove_dir_all(dir);
    let _ = Path::new(".");
}

const SIZED: &str = "name = \"t\"\n[data]\nmarket = \"BTCUSDT\"\nstart = \"2021-01-01T00:00:00Z\"\nend = \"2021-01-03T00:00:00Z\"\n\
[venue]\npreset = \"binance-usdm\"\n[strategy]\nkind = \"directional\"\nsize = 1.0\ncapital = 10000.0\nfee_rate = 0.0004\n\
[sizing]\nmodel = \"vol_target\"\ntarget_vol = 0.5\n";

#[test]
fn sizing_keys_are_checked_with_file_and_line() {
    fails(
        "sizing-key",
        &SIZED.replace("target_vol = 0.5", "target_vol = 0.5\nlamda = 0.9"),
        &[],
        "s.toml:16: sizing.lamda: unknown key",
    );
    fails(
        "sizing-value",
        &SIZED.replace("target_vol = 0.5", "target_vol = -0.5"),
        &[],
        "s.toml:15: sizing.target_vol: -0.5 is not > 0",
    );
    fails(
        "variant-key",
        &format!("{SIZED}[[variant]]\nname = \"a\"\nsizing = {{ k = 2 }}\n"),
        &[],
        "variant[1].sizing.k: unknown key",
    );
}

/// A file with `[[variant]]`s and `--compare FILES` write one table.
#[test]
fn variants_and_compare_write_compare_csv_and_report() {
    let text = format!(
        "{SIZED}[[variant]]\nname = \"vt50\"\n[[variant]]\nname = \"vt25\"\nsizing = {{ target_vol = 0.25 }}\n"
    );
    let (code, err, dir) = run("variants", &text, &[]);
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(dir.join("out/t/compare.csv")).unwrap();
    let names: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(names, ["vt50", "vt25"]);
    assert!(dir.join("out/t/report.html").is_file());
    std::fs::write(
        dir.join("b.toml"),
        GOOD.replace("name = \"t\"", "name = \"carry\""),
    )
    .unwrap();
    let out = levamp()
        .args([
            "backtest",
            "--compare",
            "s.toml",
            "b.toml",
            "--out",
            "out",
            "--quiet",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(dir.join("out/compare/compare.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    std::fs::write(
        dir.join("c.toml"),
        GOOD.replace("2021-01-03", "2021-01-04")
            .replace("\"t\"", "\"c\""),
    )
    .unwrap();
    let out = levamp()
        .args([
            "backtest",
            "--compare",
            "b.toml",
            "c.toml",
            "--out",
            "out2",
            "--quiet",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("c.toml: data.end: differs from b.toml's"),
        "{err}"
    );
    assert!(!dir.join("out2/compare").exists());
    let _ = std::fs::remove_dir_all(dir);
}
