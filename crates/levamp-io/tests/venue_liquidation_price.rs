//! A position's `venue_liquidation_price` (the exchange's own figure, kept
//! by `levamp import`) is read from the snapshot and reported beside
//! levamp's liquidation price, with the difference.

use levamp_core::Price;
use levamp_io::{evaluate, Preset, Snapshot};

const SNAPSHOT: &str = r#"{"quote": "USDT", "prices": {"BTC": 50000},
 "markets": {"BTCUSDT": {"base": "BTC", "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.004, "max_leverage": 125}]}},
 "accounts": [{"id": "a", "collateral": {"USDT": 500},
   "positions": [{"market": "BTCUSDT", "size": 0.02, "entry_price": 50000, "leverage": 20,
                  "venue_liquidation_price": "25000.5"},
                 {"market": "BTCUSDT", "size": -0.01, "entry_price": 50000, "leverage": 20}]}]}"#;

#[test]
fn venue_liquidation_price_is_kept_per_position() {
    let snapshot = Snapshot::parse(SNAPSHOT, &Preset::load("generic").unwrap())
        .unwrap_or_else(|e| panic!("{e}"));
    let report = evaluate(&snapshot, 0).unwrap();
    assert_eq!(
        report.positions[0].venue_liquidation_price,
        Some("25000.5".parse::<Price>().unwrap())
    );
    assert_eq!(report.positions[1].venue_liquidation_price, None);
    let mut json = Vec::new();
    report.write_json(&mut json);
    let json = String::from_utf8(json).unwrap();
    assert!(
        json.contains("\"venue_liquidation_price\":25000.5"),
        "{json}"
    );
    assert!(json.contains("\"liquidation_price_difference\":"), "{json}");
    // Only the position that carries a venue price gets the two keys.
    assert_eq!(json.matches("venue_liquidation_price").count(), 1, "{json}");
}

#[test]
fn venue_liquidation_price_must_be_positive_or_null() {
    let bad = SNAPSHOT.replace("\"25000.5\"", "-1");
    let e = Snapshot::parse(&bad, &Preset::load("generic").unwrap()).unwrap_err();
    assert_eq!(e.at, "accounts[0].positions[0].venue_liquidation_price");
    let null = SNAPSHOT.replace("\"25000.5\"", "null");
    let snapshot = Snapshot::parse(&null, &Preset::load("generic").unwrap()).unwrap();
    assert_eq!(
        evaluate(&snapshot, 0).unwrap().positions[0].venue_liquidation_price,
        None
    );
}
