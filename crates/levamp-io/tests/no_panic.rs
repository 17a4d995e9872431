//! Bad input never panics: random mutations of valid snapshots and script
//! lines either parse or return an error.

use levamp_io::{evaluate, OnError, Preset, Run, Snapshot};
use proptest::prelude::*;

const SNAPSHOT: &str = r#"{"quote":"USDT","prices":{"BTC":30000.0,"ETH":2000.0,"USDT":1.0,"USDC":1},"markets":{"ETHUSDT":{"base":"ETH","tiers":[{"max_notional":50000,"maintenance_margin_rate":0.005,"maintenance_amount":0,"max_leverage":100},{"max_notional":null,"maintenance_margin_rate":0.01,"maintenance_amount":250,"max_leverage":50}],"liquidation_fee_rate":0.0}},"assets":{"WETH":{"price_key":"ETH","ltv":0.8,"liquidation_threshold":0.825,"liquidation_bonus":0.05}},"accounts":[{"id":"a1","margin_mode":"cross","collateral":{"USDT":1000.0,"WETH":2},"borrows":{"USDC":500.0},"positions":[{"market":"ETHUSDT","size":1.5,"entry_price":1500.0,"margin_mode":"isolated","isolated_margin":100.0,"leverage":10},{"market":"ETHUSDT","size":-3,"entry_price":2100}]}]}"#;

const SCRIPT: &str = r#"{"type":"market","market":"ETHUSDT","base":"ETH","tiers":[{"max_notional":null,"maintenance_margin_rate":0.005,"max_leverage":100}],"liquidation_fee_rate":0.01,"funding_interval_s":3600}
{"type":"asset","asset":"USDC","rate_model":{"optimal_utilization":0.8,"base":0,"slope1":0.04,"slope2":0.6},"ltv":0.7,"liquidation_threshold":0.8}
{"type":"price","asset":"ETH","price":2000,"ts":3600}
{"type":"deposit","account":"a1","asset":"USDT","amount":1000}
{"type":"trade","account":"a1","market":"ETHUSDT","size":1.5,"price":2000,"fee_rate":0.0004}
{"type":"funding","market":"ETHUSDT","rate":0.0001,"ts":7200}
{"type":"price","asset":"ETH","price":1400,"ts":7300}"#;

/// Replaces the characters at some positions by others from a small alphabet.
fn mutate(text: &str, edits: &[(usize, u8)]) -> String {
    let alphabet = b"0123456789-.,:{}[]\"e ntfaxE";
    let mut bytes = text.as_bytes().to_vec();
    for &(pos, c) in edits {
        let i = pos % bytes.len();
        bytes[i] = alphabet[c as usize % alphabet.len()];
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn snapshots_parse_or_fail_cleanly(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let text = mutate(SNAPSHOT, &edits);
        for venue in ["generic", "binance-usdm", "aave-v3"] {
            if let Ok(s) = Snapshot::parse(&text, &Preset::load(venue).unwrap()) {
                for i in 0..s.accounts.len() {
                    let _ = evaluate(&s, i);
                }
            }
        }
    }

    #[test]
    fn scripts_run_or_fail_cleanly(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let text = mutate(SCRIPT, &edits);
        for on_error in [OnError::Skip, OnError::Stop] {
            if let Ok(run) = Run::script(&text, Preset::load("generic").unwrap(), on_error) {
                prop_assert!(run.venue.conservation().unwrap().ok, "conservation after {text}");
            }
        }
    }
}
