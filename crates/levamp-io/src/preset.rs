//! Venue presets: published market and asset parameters shipped as JSON
//! files in `presets/`, each naming its source. A snapshot's own `markets`
//! and `assets` entries are laid over the preset's, field by field.

use crate::json::{child, err, known_keys, object, parse_json, string, InputError};
use levamp_engine::venue::VenueRules;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Names accepted by `--venue` and `[venue] preset`. A name without a date
/// is the venue's current parameters; `name@date` keeps an older table so
/// results computed with it stay reproducible.
pub const PRESETS: &[&str] = &[
    "generic",
    "binance-usdm",
    "binance-usdm@2024-06",
    "hyperliquid",
    "dydx-v4",
    "drift-v2",
    "aave-v3",
    "aave-v3@2023-10-31",
    "compound-v3",
];

/// Named entries of a preset section: name → (JSON fields, path used in errors).
pub type Entries = BTreeMap<String, (Map<String, Value>, String)>;

/// A venue's default markets and assets (still unvalidated JSON fields; they
/// are checked with the snapshot's overrides laid over them).
#[derive(Clone, Debug)]
pub struct Preset {
    pub name: String,
    pub quote: String,
    /// Which mechanisms the venue uses.
    pub rules: VenueRules,
    pub markets: Entries,
    pub assets: Entries,
    /// Aave v3 e-mode categories (`ltv`, `liquidation_threshold`,
    /// `liquidation_bonus`, `assets`).
    pub emode_categories: Entries,
}

fn text(name: &str) -> Option<&'static str> {
    match name {
        "generic" => Some(
            r#"{"source": "no published parameters: everything comes from the snapshot or script; full liquidation at market by the venue, no fees unless given, losses recorded as bad debt", "quote": "USDT"}"#,
        ),
        "binance-usdm" => Some(include_str!("../presets/binance-usdm.json")),
        "binance-usdm@2024-06" => Some(include_str!("../presets/binance-usdm@2024-06.json")),
        "hyperliquid" => Some(include_str!("../presets/hyperliquid.json")),
        "dydx-v4" => Some(include_str!("../presets/dydx-v4.json")),
        "drift-v2" => Some(include_str!("../presets/drift-v2.json")),
        "aave-v3" => Some(include_str!("../presets/aave-v3.json")),
        "aave-v3@2023-10-31" => Some(include_str!("../presets/aave-v3@2023-10-31.json")),
        "compound-v3" => Some(include_str!("../presets/compound-v3.json")),
        _ => None,
    }
}

impl Preset {
    /// Loads a preset by name.
    pub fn load(name: &str) -> Result<Preset, InputError> {
        let Some(text) = text(name) else {
            let hint = crate::json::did_you_mean(name, PRESETS.iter().copied())
                .map(|s| format!("did you mean {}? ", crate::json::quote(s)))
                .unwrap_or_default();
            return err(
                "--venue",
                format!(
                    "unknown preset {}; {hint}available: {}",
                    crate::json::quote(name),
                    PRESETS.join(", ")
                ),
            );
        };
        let at = format!(
            "preset {}",
            crate::json::clip(name, crate::json::QUOTE_CHARS)
        );
        let root = parse_json(text)?;
        let root = object(&root, &at)?;
        known_keys(
            root,
            &at,
            &[
                "source",
                "quote",
                "rules",
                "markets",
                "assets",
                "emode_categories",
            ],
        )?;
        let quote = match root.get("quote") {
            Some(v) => string(v, &child(&at, "quote"))?.to_string(),
            None => "USD".to_string(),
        };
        let section = |key: &str| -> Result<Entries, InputError> {
            let mut out = BTreeMap::new();
            if let Some(v) = root.get(key) {
                let sec_at = child(&at, key);
                for (name, entry) in object(v, &sec_at)? {
                    let entry_at = child(&sec_at, name);
                    out.insert(name.clone(), (object(entry, &entry_at)?.clone(), entry_at));
                }
            }
            Ok(out)
        };
        let rules = match root.get("rules") {
            Some(r) => crate::definitions::parse_rules(name, r, &child(&at, "rules"))?,
            None => VenueRules {
                name: name.to_string(),
                ..VenueRules::generic()
            },
        };
        Ok(Preset {
            rules,
            name: name.to_string(),
            quote,
            markets: section("markets")?,
            assets: section("assets")?,
            emode_categories: section("emode_categories")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_loads() {
        for name in PRESETS {
            Preset::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(Preset::load("binanse-usdm")
            .unwrap_err()
            .message
            .contains("did you mean \"binance-usdm\""));
    }

    /// A market's tier field as text (`"max_leverage"` of tier `i`).
    fn tier(preset: &str, market: &str, i: usize, key: &str) -> String {
        let p = Preset::load(preset).unwrap();
        p.markets[market].0["tiers"][i][key].to_string()
    }

    fn asset(preset: &str, asset: &str, key: &str) -> String {
        let p = Preset::load(preset).unwrap();
        p.assets[asset].0[key].to_string()
    }

    /// The current tables and the dated ones they replaced: old results stay
    /// reproducible under the dated name.
    #[test]
    fn dated_presets_keep_the_old_tables() {
        // binance-usdm now: freqtrade binance_leverage_tiers.json @ HydraQuant
        // b94b0926 "BTC/USDT:USDT": 0–300k 150× / 0.40 %, 300k–800k 100× / 0.50 % cum 300.
        assert_eq!(tier("binance-usdm", "BTCUSDT", 0, "max_leverage"), "150");
        assert_eq!(
            tier("binance-usdm", "BTCUSDT", 1, "maintenance_amount"),
            "300"
        );
        assert_eq!(
            tier("binance-usdm", "ETHUSDT", 3, "maintenance_amount"),
            "12000"
        );
        // binance-usdm@2024-06: freqtrade @ 01d10aeb: 0–50k 125×.
        assert_eq!(
            tier("binance-usdm@2024-06", "BTCUSDT", 0, "max_leverage"),
            "125"
        );
        assert_eq!(
            tier("binance-usdm@2024-06", "BTCUSDT", 1, "maintenance_amount"),
            "50"
        );
        // aave-v3 now: USDC 75 / 78 % after GeneralizedLTLTVReductionsOnAaveV3Step2_20240425.
        assert_eq!(asset("aave-v3", "USDC", "ltv"), "0.75");
        assert_eq!(asset("aave-v3", "USDT", "liquidation_threshold"), "0.78");
        assert_eq!(asset("aave-v3@2023-10-31", "USDC", "ltv"), "0.77");
        assert_eq!(
            asset("aave-v3@2023-10-31", "USDT", "liquidation_threshold"),
            "0.76"
        );
        for name in ["binance-usdm@2024-06", "aave-v3@2023-10-31"] {
            assert!(PRESETS.contains(&name), "{name} not listed");
        }
    }

    /// Both Aave presets carry the "ETH-correlated" e-mode category, and it
    /// parses: 93 / 95 / 1 % now, 90 / 93 / 1 % in the 2023-10-31 report.
    #[test]
    fn aave_presets_have_the_eth_correlated_emode() {
        for (name, ltv, lt) in [
            ("aave-v3", "0.93", "0.95"),
            ("aave-v3@2023-10-31", "0.9", "0.93"),
        ] {
            let p = Preset::load(name).unwrap();
            let (fields, at) = &p.emode_categories["ETH-correlated"];
            let (c, assets) =
                crate::definitions::parse_emode_category("ETH-correlated", fields, at).unwrap();
            assert_eq!(c.ltv.to_string(), ltv, "{name}");
            assert_eq!(c.liquidation_threshold.to_string(), lt, "{name}");
            assert_eq!(c.liquidation_bonus.to_string(), "0.01", "{name}");
            assert_eq!(assets, ["WETH", "wstETH"], "{name}");
        }
    }
}
