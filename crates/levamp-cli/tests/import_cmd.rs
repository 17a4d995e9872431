//! `levamp import` end to end: exchange responses in, a snapshot out that
//! `levamp margin` reads, with the venue's liquidation price beside levamp's.

mod common;
use common::levamp;

fn fixture(name: &str) -> String {
    format!(
        "{}/../levamp-io/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn binance_import_then_margin_shows_both_liquidation_prices() {
    let pr = fixture("binance-position-risk-v2-hedge.json");
    // The docs' example predates the 2025 brackets: its liquidation price
    // was computed on the 2024 table (0.5 % MMR above 50k notional).
    let (code, snapshot, err) = levamp(
        &[
            "import",
            "binance",
            "--position-risk",
            &pr,
            "--venue",
            "binance-usdm@2024-06",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = levamp(&["margin", "--format", "json"], &snapshot);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("\"venue_liquidation_price\":5930.78,\"liquidation_price_difference\":0.00"),
        "{out}"
    );
    let (code, table, err) = levamp(&["margin", "--format", "table"], &snapshot);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("liq. price 5930.78"), "{table}");
    assert!(table.contains("venue 5930.78 (diff 0.0035, 0%)"), "{table}");
}

#[test]
fn hyperliquid_import_to_a_file() {
    let dir = std::env::temp_dir().join(format!("levamp-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("hl.json");
    let out_s = out.to_str().unwrap();
    let (code, stdout, err) = levamp(
        &[
            "import",
            "hyperliquid",
            "--state",
            &fixture("hyperliquid-clearinghouse-isolated.json"),
            "--meta",
            &fixture("hyperliquid-meta.json"),
            "-o",
            out_s,
        ],
        "",
    );
    assert_eq!((code, stdout.as_str()), (0, ""), "{err}");
    let (code, json, err) = levamp(&["margin", out_s, "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    assert!(
        json.contains("\"venue_liquidation_price\":2866.26936529"),
        "{json}"
    );

    // A wrong response: one line naming the file and what it looks like,
    // exit 2, and no output file.
    let bad = dir.join("bad.json");
    let (code, _, err) = levamp(
        &[
            "import",
            "hyperliquid",
            "--state",
            &fixture("hyperliquid-meta.json"),
            "-o",
            bad.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("hyperliquid-meta.json: this looks like a Hyperliquid meta response"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!bad.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn csv_import() {
    let dir = std::env::temp_dir().join(format!("levamp-import-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("book.csv");
    std::fs::write(
        &csv,
        "# my book\naccount,market,side,size,entry_price,mark_price,margin_mode,leverage,collateral,venue_liquidation_price\n\
         alice,BTCUSDT,long,0.02,50000,50000,,20,500,\n\
         alice,ETHUSDT,short,2,1300,1335.18,isolated,10,,1420\n\
         bob,BTCUSDT,short,1,30000,50000,,,20000,\n",
    )
    .unwrap();
    let (code, snapshot, err) = levamp(&["import", "csv", csv.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    let (code, json, err) = levamp(&["margin", "--format", "json"], &snapshot);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json.matches("\"id\":").count(), 2, "{json}");
    assert!(json.contains("\"venue_liquidation_price\":1420"), "{json}");

    std::fs::write(
        &csv,
        "account,market,size,entry_price,mark_price\nalice,BTCUSDT,0.1,abc,50000\n",
    )
    .unwrap();
    let (code, _, err) = levamp(&["import", "csv", csv.to_str().unwrap()], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("book.csv: line 2, column entry_price: expected a decimal number"),
        "{err}"
    );
    std::fs::write(&csv, "account,market,size,entry_prise,mark_price\n").unwrap();
    let (_, _, err) = levamp(&["import", "csv", csv.to_str().unwrap()], "");
    assert!(
        err.contains("line 1: unknown column \"entry_prise\" (did you mean \"entry_price\"?)"),
        "{err}"
    );
    std::fs::write(
        &csv,
        "account,market,size,entry_price,mark_price\nalice,FOOUSDT,1,1,1\n",
    )
    .unwrap();
    let (_, _, err) = levamp(&["import", "csv", csv.to_str().unwrap()], "");
    assert!(
        err.contains("line 2, column market: unknown market \"FOOUSDT\""),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
