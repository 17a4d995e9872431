//! The `dynamic_margin` rule as input: `{ k, lambda, horizon_s, notice_s,
//! step, max_rate }` (docs/mechanisms.md), every key validated and every
//! error naming its path.

use crate::json::{child, decimal, err, known_keys, object, InputError};
use levamp_core::{Ratio, SCALE};
use levamp_engine::venue::DynamicMargin;
use serde_json::Value;

/// The keys of a `dynamic_margin` table.
pub const DYNAMIC_MARGIN_KEYS: &[&str] =
    &["k", "lambda", "horizon_s", "notice_s", "step", "max_rate"];

/// Parses a `dynamic_margin` table at path `at`. `k` is required; the rest
/// default to λ = 0.94 (RiskMetrics), a 1 h horizon, 30 min notice, a 1 bp
/// step and a 50 % cap.
pub fn parse_dynamic_margin(v: &Value, at: &str) -> Result<DynamicMargin, InputError> {
    let map = object(v, at)?;
    known_keys(map, at, DYNAMIC_MARGIN_KEYS)?;
    let Some(k) = map.get("k") else {
        return err(
            &child(at, "k"),
            "missing (the multiplier on σ̂·√horizon, e.g. 3)",
        );
    };
    let k_at = child(at, "k");
    let k = decimal(k, &k_at)?;
    if k < 0 {
        return err(&k_at, "must be ≥ 0");
    }
    let mut out = DynamicMargin::with_k(Ratio::from_raw(k));
    // A fraction strictly between 0 and 1.
    let fraction = |key: &str, default: Ratio| -> Result<Ratio, InputError> {
        let Some(v) = map.get(key) else {
            return Ok(default);
        };
        let at = child(at, key);
        let raw = decimal(v, &at)?;
        if !(1..SCALE).contains(&raw) {
            return err(&at, "must be > 0 and < 1");
        }
        Ok(Ratio::from_raw(raw))
    };
    out.lambda = fraction("lambda", out.lambda)?;
    out.step = fraction("step", out.step)?;
    out.max_rate = fraction("max_rate", out.max_rate)?;
    // Whole seconds in `range`.
    let seconds = |key: &str, default: i64, min: i64| -> Result<i64, InputError> {
        let Some(v) = map.get(key) else {
            return Ok(default);
        };
        let at = child(at, key);
        let raw = decimal(v, &at)?;
        if raw % SCALE != 0 {
            return err(&at, "must be a whole number of seconds");
        }
        let s = raw / SCALE;
        if !(min as i128..=1_000_000_000).contains(&s) {
            return err(&at, format!("must be {min}..=1000000000 seconds"));
        }
        Ok(s as i64)
    };
    out.horizon_s = seconds("horizon_s", out.horizon_s, 1)?;
    out.notice_s = seconds("notice_s", out.notice_s, 0)?;
    // The engine's own check (the same bounds): a backstop.
    out.validate().map_err(|e| InputError {
        at: at.to_string(),
        message: e.to_string(),
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<DynamicMargin, InputError> {
        parse_dynamic_margin(&serde_json::from_str(json).unwrap(), "venue.dynamic_margin")
    }

    #[test]
    fn defaults_and_keys() {
        let d = parse(r#"{"k": 3, "notice_s": 600}"#).unwrap();
        assert_eq!(d.k, Ratio::from_int(3));
        assert_eq!(d.lambda, "0.94".parse().unwrap());
        assert_eq!((d.horizon_s, d.notice_s), (3600, 600));
        for (json, at) in [
            (r#"{"notice_s": 1}"#, "venue.dynamic_margin.k"),
            (r#"{"k": -1}"#, "venue.dynamic_margin.k"),
            (r#"{"k": 3, "lambda": 1}"#, "venue.dynamic_margin.lambda"),
            (
                r#"{"k": 3, "horizon_s": 0}"#,
                "venue.dynamic_margin.horizon_s",
            ),
            (
                r#"{"k": 3, "notice_s": 1.5}"#,
                "venue.dynamic_margin.notice_s",
            ),
            (r#"{"k": 3, "step": 0}"#, "venue.dynamic_margin.step"),
            (
                r#"{"k": 3, "max_rate": 1}"#,
                "venue.dynamic_margin.max_rate",
            ),
            (r#"{"k": 3, "lamda": 0.9}"#, "venue.dynamic_margin"),
        ] {
            let e = parse(json).unwrap_err();
            assert!(e.at.starts_with(at), "{json}: {e:?}");
        }
    }
}
