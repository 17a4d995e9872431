//! Market, asset and rule definitions: shared by snapshots, presets and
//! scripts, validated with JSON paths.

use crate::json::{self, child, decimal, err, index, known_keys, object, string, InputError};
use levamp_core::{Quote, Ratio, SCALE};
use levamp_engine::venue::{
    AdlPolicy, AfterInsurance, Backstop, FundingFormula, FundingRules, LendingLiquidationRules,
    LiquidationRules, LiquidationStep, VenueRules,
};
use levamp_engine::{Asset, EmodeCategory, Market, PoolParams, PriceId, RateModel, Tier};
use serde_json::{Map, Value};

pub const MARKET_KEYS: &[&str] = &[
    "base",
    "tiers",
    "liquidation_fee_rate",
    "funding_interval_s",
    "source",
];
const TIER_KEYS: &[&str] = &[
    "max_notional",
    "maintenance_margin_rate",
    "maintenance_amount",
    "max_leverage",
];
pub const ASSET_KEYS: &[&str] = &[
    "price_key",
    "haircut",
    "ltv",
    "liquidation_threshold",
    "liquidation_bonus",
    "liquidation_protocol_fee",
    "rate_model",
    "reserve_factor",
    "source",
];

const EMODE_KEYS: &[&str] = &[
    "ltv",
    "liquidation_threshold",
    "liquidation_bonus",
    "assets",
    "source",
];

/// An e-mode category definition at path `at`: the category and the names
/// of its assets.
pub fn parse_emode_category(
    name: &str,
    fields: &Map<String, Value>,
    at: &str,
) -> Result<(EmodeCategory, Vec<String>), InputError> {
    known_keys(fields, at, EMODE_KEYS)?;
    let f = |k: &str| optional_fraction(fields, at, k);
    let category = EmodeCategory {
        name: name.to_string(),
        ltv: f("ltv")?,
        liquidation_threshold: f("liquidation_threshold")?,
        liquidation_bonus: f("liquidation_bonus")?,
    };
    if category.liquidation_threshold.is_zero() {
        return err(&child(at, "liquidation_threshold"), "required, > 0");
    }
    if category.ltv > category.liquidation_threshold {
        return err(
            &child(at, "ltv"),
            format!(
                "must not exceed liquidation_threshold ({})",
                category.liquidation_threshold
            ),
        );
    }
    let a_at = child(at, "assets");
    let Some(Value::Array(list)) = fields.get("assets") else {
        return err(&a_at, "required (an array of asset names)");
    };
    let mut assets = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        assets.push(string(v, &index(&a_at, i))?.to_string());
    }
    Ok((category, assets))
}

/// `rate_model` + `reserve_factor` → the asset's lending pool, if any.
fn parse_pool(fields: &Map<String, Value>, at: &str) -> Result<Option<PoolParams>, InputError> {
    let Some(model) = fields.get("rate_model") else {
        if fields.contains_key("reserve_factor") {
            return err(
                &child(at, "reserve_factor"),
                "needs a rate_model (the asset has no lending pool without one)",
            );
        }
        return Ok(None);
    };
    let m_at = child(at, "rate_model");
    let map = object(model, &m_at)?;
    known_keys(
        map,
        &m_at,
        &["optimal_utilization", "base", "slope1", "slope2"],
    )?;
    let rate = |k: &str| -> Result<Ratio, InputError> {
        let k_at = child(&m_at, k);
        let raw = decimal(map.get(k).unwrap_or(&Value::Null), &k_at)?;
        if !(0..=100 * SCALE).contains(&raw) {
            return err(&k_at, "must be between 0 and 100 (annual rate)");
        }
        Ok(Ratio::from_raw(raw))
    };
    let optimal_utilization = rate("optimal_utilization")?;
    if optimal_utilization.is_zero() || optimal_utilization >= Ratio::ONE {
        return err(&child(&m_at, "optimal_utilization"), "must be > 0 and < 1");
    }
    let rate_model = RateModel {
        optimal_utilization,
        base: rate("base")?,
        slope1: rate("slope1")?,
        slope2: rate("slope2")?,
    };
    Ok(Some(PoolParams {
        rate_model,
        reserve_factor: optional_fraction(fields, at, "reserve_factor")?,
    }))
}

/// Venue rules: `liquidation`, `after_insurance`, `adl` (`"queue"` or
/// `"pro_rata"`), `adl_insurance_first`, `funding`, `lending`,
/// `oracle_max_age_s`, `dynamic_margin`, `imf_factor`, `backstop`
/// (`"pooled"` or `"segmented"`), over the generic
/// defaults.
pub fn parse_rules(name: &str, v: &Value, at: &str) -> Result<VenueRules, InputError> {
    let map = object(v, at)?;
    known_keys(
        map,
        at,
        &[
            "liquidation",
            "after_insurance",
            "adl",
            "adl_insurance_first",
            "funding",
            "lending",
            "oracle_max_age_s",
            "dynamic_margin",
            "imf_factor",
            "backstop",
            "source",
        ],
    )?;
    let mut rules = VenueRules::generic();
    rules.name = name.to_string();
    if let Some(l) = map.get("liquidation") {
        let l_at = child(at, "liquidation");
        let lm = object(l, &l_at)?;
        known_keys(
            lm,
            &l_at,
            &[
                "auto",
                "partial_buffer",
                "liquidator_share",
                "backstop_below",
                "step",
            ],
        )?;
        let auto = match lm.get("auto") {
            Some(Value::Bool(b)) => *b,
            Some(_) => return err(&child(&l_at, "auto"), "expected true or false"),
            None => true,
        };
        let partial_buffer = match lm.get("partial_buffer") {
            None | Some(Value::Null) => None,
            Some(_) => Some(optional_fraction(lm, &l_at, "partial_buffer")?),
        };
        let backstop_below = match lm.get("backstop_below") {
            None | Some(Value::Null) => None,
            Some(_) => Some(optional_fraction(lm, &l_at, "backstop_below")?),
        };
        let step = match lm.get("step") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let s_at = child(&l_at, "step");
                let sm = object(v, &s_at)?;
                known_keys(sm, &s_at, &["share", "min_notional"])?;
                let Some(min) = sm.get("min_notional") else {
                    return err(&child(&s_at, "min_notional"), "missing");
                };
                Some(LiquidationStep {
                    share: optional_fraction(sm, &s_at, "share")?,
                    min_notional: Quote::from_raw(non_negative(
                        min,
                        &child(&s_at, "min_notional"),
                    )?),
                })
            }
        };
        if step.is_some_and(|s| s.share.is_zero()) {
            return err(&child(&child(&l_at, "step"), "share"), "must be > 0");
        }
        rules.liquidation = LiquidationRules {
            auto,
            partial_buffer,
            liquidator_share: optional_fraction(lm, &l_at, "liquidator_share")?,
            backstop_below,
            step,
        };
    }
    if let Some(a) = map.get("after_insurance") {
        let a_at = child(at, "after_insurance");
        rules.after_insurance = match string(a, &a_at)? {
            "auto_deleverage" => AfterInsurance::AutoDeleverage,
            "socialize" => AfterInsurance::Socialize,
            "record" => AfterInsurance::Record,
            other => {
                return err(
                    &a_at,
                    format!(
                        "must be \"auto_deleverage\", \"socialize\" or \"record\", found {}",
                        json::quote(other)
                    ),
                )
            }
        };
    }
    if let Some(a) = map.get("adl") {
        let a_at = child(at, "adl");
        rules.adl = match string(a, &a_at)? {
            "queue" => AdlPolicy::Queue,
            "pro_rata" => AdlPolicy::ProRata,
            other => {
                return err(
                    &a_at,
                    format!(
                        "must be \"queue\" or \"pro_rata\", found {}",
                        json::quote(other)
                    ),
                )
            }
        };
    }
    if let Some(b) = map.get("backstop") {
        let b_at = child(at, "backstop");
        rules.backstop = match string(b, &b_at)? {
            "pooled" => Backstop::Pooled,
            "segmented" => Backstop::Segmented,
            other => {
                return err(
                    &b_at,
                    format!(
                        "must be \"pooled\" or \"segmented\", found {}",
                        json::quote(other)
                    ),
                )
            }
        };
    }
    if let Some(f) = map.get("adl_insurance_first") {
        rules.adl_insurance_first = match f {
            Value::Bool(b) => *b,
            _ => return err(&child(at, "adl_insurance_first"), "expected true or false"),
        };
    }
    if let Some(f) = map.get("funding") {
        let f_at = child(at, "funding");
        let fm = object(f, &f_at)?;
        known_keys(
            fm,
            &f_at,
            &["formula", "interest_rate", "clamp", "cap", "cap_per_hour"],
        )?;
        let g = |k: &str| optional_fraction(fm, &f_at, k);
        let formula = match fm.get("formula") {
            None => FundingFormula::Premium,
            Some(v) => match string(v, &child(&f_at, "formula"))? {
                "premium" => FundingFormula::Premium,
                "drift" => FundingFormula::Drift,
                "dydx" => FundingFormula::Dydx,
                other => {
                    return err(
                        &child(&f_at, "formula"),
                        format!(
                            "must be \"premium\", \"drift\" or \"dydx\", found {}",
                            crate::json::quote(other)
                        ),
                    )
                }
            },
        };
        rules.funding = FundingRules {
            formula,
            interest_rate: g("interest_rate")?,
            clamp: g("clamp")?,
            cap: match (fm.contains_key("cap"), fm.contains_key("cap_per_hour")) {
                (true, true) => {
                    return err(
                        &f_at,
                        "give \"cap\" (per 8 h) or \"cap_per_hour\", not both",
                    )
                }
                (true, false) => g("cap")?,
                // Hyperliquid's "capped at 4%/hour": the formula's rate is per
                // 8 h and paid ⅛ an hour, so the 8-hour cap is 8 × the hourly one.
                // (A fraction ≤ 1, so × 8 cannot overflow.)
                (false, true) => Ratio::from_raw(g("cap_per_hour")?.raw() * 8),
                (false, false) => Ratio::ONE,
            },
        };
    }
    if let Some(l) = map.get("lending") {
        let l_at = child(at, "lending");
        let lm = object(l, &l_at)?;
        known_keys(
            lm,
            &l_at,
            &[
                "close_factor",
                "full_close_hf",
                "min_base_max_close_factor",
                "min_leftover",
            ],
        )?;
        let base = rules.lending;
        let quote = |k: &str, d: Quote| -> Result<Quote, InputError> {
            lm.get(k).map_or(Ok(d), |v| {
                non_negative(v, &child(&l_at, k)).map(Quote::from_raw)
            })
        };
        rules.lending = LendingLiquidationRules {
            close_factor: if lm.contains_key("close_factor") {
                optional_fraction(lm, &l_at, "close_factor")?
            } else {
                base.close_factor
            },
            full_close_hf: if lm.contains_key("full_close_hf") {
                optional_fraction(lm, &l_at, "full_close_hf")?
            } else {
                base.full_close_hf
            },
            min_base_max_close_factor: quote(
                "min_base_max_close_factor",
                base.min_base_max_close_factor,
            )?,
            min_leftover: quote("min_leftover", base.min_leftover)?,
        };
    }
    if let Some(o) = map.get("oracle_max_age_s") {
        let o_at = child(at, "oracle_max_age_s");
        rules.oracle_max_age_s = match o {
            Value::Null => None,
            v => {
                let raw = positive(v, &o_at)?;
                if raw % SCALE != 0 {
                    return err(&o_at, "must be a whole number of seconds");
                }
                Some((raw / SCALE) as i64)
            }
        };
    }
    if map.contains_key("imf_factor") {
        rules.imf_factor = optional_fraction(map, at, "imf_factor")?;
    }
    if let Some(d) = map.get("dynamic_margin") {
        rules.dynamic_margin = match d {
            Value::Null => None,
            d => Some(crate::dynamic_margin::parse_dynamic_margin(
                d,
                &child(at, "dynamic_margin"),
            )?),
        };
    }
    Ok(rules)
}

/// A market definition (`base`, `tiers`, `liquidation_fee_rate`,
/// `funding_interval_s`) at path `at`.
pub fn parse_market(
    name: &str,
    fields: &Map<String, Value>,
    at: &str,
    price: PriceId,
) -> Result<Market, InputError> {
    known_keys(fields, at, MARKET_KEYS)?;
    if !fields.contains_key("base") {
        return err(
            &child(at, "base"),
            "required (the price key of the base asset, e.g. \"ETH\")",
        );
    }
    string(&fields["base"], &child(at, "base"))?;
    let tiers_at = child(at, "tiers");
    let tiers = json::array(fields.get("tiers").unwrap_or(&Value::Null), &tiers_at)?;
    if tiers.is_empty() {
        return err(&tiers_at, "needs at least one tier");
    }
    let mut parsed: Vec<Tier> = Vec::with_capacity(tiers.len());
    for (i, t) in tiers.iter().enumerate() {
        let t_at = index(&tiers_at, i);
        let tier = parse_tier(t, &t_at, i + 1 == tiers.len())?;
        if let (Some(prev), Some(cap)) = (
            parsed.last().and_then(|p| p.max_notional),
            tier.max_notional,
        ) {
            if cap <= prev {
                return err(
                    &child(&t_at, "max_notional"),
                    format!(
                        "tiers must be ascending: {cap} is not above the previous tier's {prev}"
                    ),
                );
            }
        }
        parsed.push(tier);
    }
    let liquidation_fee_rate = optional_fraction(fields, at, "liquidation_fee_rate")?;
    let funding_interval_s = match fields.get("funding_interval_s") {
        Some(v) => {
            let f_at = child(at, "funding_interval_s");
            let raw = positive(v, &f_at)?;
            if raw % SCALE != 0 || raw / SCALE > 31_536_000 {
                return err(&f_at, "must be a whole number of seconds, at most a year");
            }
            (raw / SCALE) as i64
        }
        None => levamp_engine::DEFAULT_FUNDING_INTERVAL_S,
    };
    Ok(Market {
        name: name.to_string(),
        price,
        tiers: parsed,
        liquidation_fee_rate,
        funding_interval_s,
    })
}

fn parse_tier(v: &Value, at: &str, last: bool) -> Result<Tier, InputError> {
    let map = object(v, at)?;
    known_keys(map, at, TIER_KEYS)?;
    let max_notional = match map.get("max_notional") {
        None | Some(Value::Null) if last => None,
        None | Some(Value::Null) => {
            return err(
                &child(at, "max_notional"),
                "only the last tier may be open-ended (null)",
            )
        }
        Some(v) => Some(Quote::from_raw(positive(v, &child(at, "max_notional"))?)),
    };
    let rate_at = child(at, "maintenance_margin_rate");
    let rate = decimal(
        map.get("maintenance_margin_rate").unwrap_or(&Value::Null),
        &rate_at,
    )?;
    if rate <= 0 || rate >= SCALE {
        return err(&rate_at, "must be > 0 and < 1");
    }
    let amount = match map.get("maintenance_amount") {
        Some(v) => non_negative(v, &child(at, "maintenance_amount"))?,
        None => 0,
    };
    let lev_at = child(at, "max_leverage");
    let lev = decimal(map.get("max_leverage").unwrap_or(&Value::Null), &lev_at)?;
    if lev < SCALE {
        return err(&lev_at, "must be ≥ 1");
    }
    Ok(Tier {
        max_notional,
        maintenance_margin_rate: Ratio::from_raw(rate),
        maintenance_amount: Quote::from_raw(amount),
        max_leverage: Ratio::from_raw(lev),
    })
}

/// An asset definition at path `at`.
pub fn parse_asset(
    name: &str,
    fields: &Map<String, Value>,
    at: &str,
    price: PriceId,
) -> Result<Asset, InputError> {
    known_keys(fields, at, ASSET_KEYS)?;
    let f = |k: &str| optional_fraction(fields, at, k);
    let asset = Asset {
        name: name.to_string(),
        price,
        haircut: f("haircut")?,
        ltv: f("ltv")?,
        liquidation_threshold: f("liquidation_threshold")?,
        liquidation_bonus: f("liquidation_bonus")?,
        liquidation_protocol_fee: f("liquidation_protocol_fee")?,
        emode: None,
        pool: parse_pool(fields, at)?,
    };
    if asset.ltv > asset.liquidation_threshold {
        return err(
            &child(at, "ltv"),
            format!(
                "must not exceed liquidation_threshold ({})",
                asset.liquidation_threshold
            ),
        );
    }
    Ok(asset)
}

/// A value in [0, 1], zero when absent.
fn optional_fraction(map: &Map<String, Value>, at: &str, key: &str) -> Result<Ratio, InputError> {
    let Some(v) = map.get(key) else {
        return Ok(Ratio::ZERO);
    };
    let at = child(at, key);
    let raw = decimal(v, &at)?;
    if !(0..=SCALE).contains(&raw) {
        return err(&at, "must be between 0 and 1");
    }
    Ok(Ratio::from_raw(raw))
}

/// A decimal > 0.
pub fn positive(v: &Value, at: &str) -> Result<i128, InputError> {
    let raw = decimal(v, at)?;
    if raw <= 0 {
        return err(at, "must be > 0");
    }
    Ok(raw)
}

/// A decimal ≥ 0.
pub fn non_negative(v: &Value, at: &str) -> Result<i128, InputError> {
    let raw = decimal(v, at)?;
    if raw < 0 {
        return err(at, "must be ≥ 0");
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use levamp_engine::venue::AdlPolicy;

    fn parse(json: &str) -> Result<VenueRules, InputError> {
        parse_rules("t", &serde_json::from_str(json).unwrap(), "venue.rules")
    }

    #[test]
    fn adl_policy_keys() {
        let r = parse(r#"{"after_insurance": "auto_deleverage"}"#).unwrap();
        assert_eq!((r.adl, r.adl_insurance_first), (AdlPolicy::Queue, false));
        let r = parse(r#"{"adl": "pro_rata", "adl_insurance_first": true}"#).unwrap();
        assert_eq!((r.adl, r.adl_insurance_first), (AdlPolicy::ProRata, true));
        assert_eq!(parse(r#"{"adl": "queue"}"#).unwrap().adl, AdlPolicy::Queue);
        for (json, at) in [
            (r#"{"adl": "prorata"}"#, "venue.rules.adl"),
            (r#"{"adl": 1}"#, "venue.rules.adl"),
            (
                r#"{"adl_insurance_first": "yes"}"#,
                "venue.rules.adl_insurance_first",
            ),
        ] {
            let e = parse(json).unwrap_err();
            assert_eq!(e.at, at, "{json}: {e:?}");
        }
    }
}
