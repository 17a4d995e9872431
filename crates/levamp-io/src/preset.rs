//! Venue presets: published market and asset parameters shipped as JSON
//! files in `presets/`, each naming its source. A snapshot's own `markets`
//! and `assets` entries are laid over the preset's, field by field.

use crate::json::{child, err, known_keys, object, parse_json, string, InputError};
use levamp_engine::venue::VenueRules;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Names accepted by `--venue`.
pub const PRESETS: &[&str] = &[
    "generic",
    "binance-usdm",
    "hyperliquid",
    "dydx-v4",
    "drift-v2",
    "aave-v3",
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
}

fn text(name: &str) -> Option<&'static str> {
    match name {
        "generic" => Some(
            r#"{"source": "no published parameters: everything comes from the snapshot or script; full liquidation at market by the venue, no fees unless given, losses recorded as bad debt", "quote": "USDT"}"#,
        ),
        "binance-usdm" => Some(include_str!("../presets/binance-usdm.json")),
        "hyperliquid" => Some(include_str!("../presets/hyperliquid.json")),
        "dydx-v4" => Some(include_str!("../presets/dydx-v4.json")),
        "drift-v2" => Some(include_str!("../presets/drift-v2.json")),
        "aave-v3" => Some(include_str!("../presets/aave-v3.json")),
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
            &["source", "quote", "rules", "markets", "assets"],
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
}
