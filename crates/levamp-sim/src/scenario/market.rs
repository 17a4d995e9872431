//! The market half of a scenario: `[price]` (the outside price process) and
//! `[impact]` (the liquidity the cascade's market orders hit), with every
//! value range-checked; see docs/scenarios.md.

use super::toml_read::Table;
use levamp_core::{Price, Ratio};
use levamp_io::json::{child, decimal, err, InputError};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// `[price]`
#[derive(Clone, Debug, PartialEq)]
pub enum PriceModel {
    Shock {
        /// The total move, a fraction (−0.15 = −15 %).
        shock: Ratio,
        steps: usize,
        start_step: usize,
    },
    Gbm {
        mu: f64,
        sigma: f64,
    },
    Jump {
        mu: f64,
        sigma: f64,
        intensity: f64,
        jump_mean: f64,
        jump_sigma: f64,
    },
    Garch {
        mu: f64,
        omega: f64,
        alpha: f64,
        beta: f64,
    },
    Replay {
        csv: PathBuf,
        column: String,
    },
}

/// `[impact]`
#[derive(Clone, Debug, PartialEq)]
pub enum ImpactConfig {
    None,
    Linear {
        /// Price change per base unit sold.
        lambda: Price,
    },
    Sqrt {
        y: f64,
        daily_sigma: f64,
        daily_volume: f64,
    },
    Depth {
        points: Vec<(f64, f64)>,
        resilience: f64,
        thinning: f64,
    },
    Amm {
        base_reserve: f64,
        arbitrage: bool,
    },
}

impl PriceModel {
    /// The model as metrics.json names it (Rust's debug form, fixed-point
    /// values as quoted decimal text, as before they were typed).
    pub fn describe(&self) -> String {
        match self {
            PriceModel::Shock {
                shock,
                steps,
                start_step,
            } => format!(
                "Shock {{ shock: {:?}, steps: {steps:?}, start_step: {start_step:?} }}",
                shock.to_string()
            ),
            other => format!("{other:?}"),
        }
    }
}

impl ImpactConfig {
    /// The model as metrics.json names it (see [`PriceModel::describe`]).
    pub fn describe(&self) -> String {
        match self {
            ImpactConfig::Linear { lambda } => {
                format!("Linear {{ lambda: {:?} }}", lambda.to_string())
            }
            other => format!("{other:?}"),
        }
    }
}

const PRICE_KEYS: &[&str] = &[
    "model",
    "key",
    "follow",
    "start",
    "shock",
    "shock_steps",
    "shock_start",
    "mu",
    "sigma",
    "intensity",
    "jump_mean",
    "jump_sigma",
    "omega",
    "alpha",
    "beta",
    "csv",
    "column",
];
const IMPACT_KEYS: &[&str] = &[
    "model",
    "lambda",
    "y",
    "daily_sigma",
    "daily_volume",
    "points",
    "resilience",
    "thinning",
    "base_reserve",
    "arbitrage",
];

/// `[price]`: the start price, the price key it drives
/// when named, and the model.
pub(crate) fn price(
    root: &Map<String, Value>,
    dir: &Path,
) -> Result<(Price, Option<String>, PriceModel), InputError> {
    let price_t = Table::of(root, "price", PRICE_KEYS)?.ok_or_else(|| InputError {
        at: "price".into(),
        message: "required: a [price] table with a model".into(),
    })?;
    let start: Price = price_t.fixed("start", "100")?;
    if !start.is_positive() {
        return err("price.start", "must be > 0");
    }
    let price = match price_t
        .model(&["shock", "gbm", "jump", "garch", "replay"], "shock")?
        .as_str()
    {
        "shock" => {
            let shock: Ratio = price_t.fixed("shock", "-0.15")?;
            if shock <= Ratio::from_int(-1) || shock > Ratio::from_int(10) {
                return err("price.shock", "must be > -1 (a fraction: -0.15 = −15 %)");
            }
            PriceModel::Shock {
                shock,
                steps: price_t.int("shock_steps", 1, 1, 100_000_000)? as usize,
                start_step: price_t.int("shock_start", 1, 1, 100_000_000)? as usize,
            }
        }
        "gbm" => PriceModel::Gbm {
            mu: price_t.f64("mu", 0.0, -10.0, 10.0)?,
            sigma: price_t.f64("sigma", 0.8, 0.0, 20.0)?,
        },
        "jump" => PriceModel::Jump {
            mu: price_t.f64("mu", 0.0, -10.0, 10.0)?,
            sigma: price_t.f64("sigma", 0.8, 0.0, 20.0)?,
            intensity: price_t.f64("intensity", 10.0, 0.0, 1e6)?,
            jump_mean: price_t.f64("jump_mean", -0.05, -5.0, 5.0)?,
            jump_sigma: price_t.f64("jump_sigma", 0.05, 0.0, 5.0)?,
        },
        "garch" => {
            let (alpha, beta) = (
                price_t.f64("alpha", 0.05, 0.0, 1.0)?,
                price_t.f64("beta", 0.9, 0.0, 1.0)?,
            );
            if alpha + beta >= 1.0 {
                return err(
                    "price.beta",
                    "alpha + beta must be < 1 (stationary variance)",
                );
            }
            PriceModel::Garch {
                mu: price_t.f64("mu", 0.0, -1.0, 1.0)?,
                omega: price_t.f64("omega", 1e-6, 0.0, 1.0)?,
                alpha,
                beta,
            }
        }
        _ => match price_t.text("csv")? {
            Some(csv) => PriceModel::Replay {
                csv: dir.join(csv),
                column: price_t.text("column")?.unwrap_or("close").to_string(),
            },
            None => {
                return err(
                    "price.csv",
                    "required for model = \"replay\" (a CSV file relative to the scenario)",
                )
            }
        },
    };
    let key = price_t.text("key")?.map(str::to_string);
    Ok((start, key, price))
}

/// `[impact]` (none when absent).
pub(crate) fn impact(root: &Map<String, Value>) -> Result<ImpactConfig, InputError> {
    Ok(match Table::of(root, "impact", IMPACT_KEYS)? {
        None => ImpactConfig::None,
        Some(t) => match t
            .model(&["none", "linear", "sqrt", "depth", "amm"], "linear")?
            .as_str()
        {
            "none" => ImpactConfig::None,
            "linear" => {
                let lambda: Price = t.fixed("lambda", "0")?;
                if lambda.is_negative() {
                    return err("impact.lambda", "must be ≥ 0");
                }
                ImpactConfig::Linear { lambda }
            }
            "sqrt" => ImpactConfig::Sqrt {
                y: t.f64("y", 1.0, 0.0, 100.0)?,
                daily_sigma: t.f64("daily_sigma", 0.04, 0.0, 10.0)?,
                daily_volume: t.f64("daily_volume", 100_000.0, 1e-12, 1e18)?,
            },
            "depth" => ImpactConfig::Depth {
                points: depth_points(&t)?,
                resilience: t.f64("resilience", 0.5, 0.0, 1.0)?,
                thinning: t.f64("thinning", 0.0, 0.0, 1000.0)?,
            },
            _ => ImpactConfig::Amm {
                base_reserve: t.f64("base_reserve", 10_000.0, 1e-12, 1e18)?,
                arbitrage: !matches!(t.map.get("arbitrage"), Some(Value::Bool(false))),
            },
        },
    })
}

fn depth_points(t: &Table<'_>) -> Result<Vec<(f64, f64)>, InputError> {
    let at = child(&t.at, "points");
    let Some(Value::Array(list)) = t.map.get("points") else {
        return err(
            &at,
            "required: [[move, cumulative notional], …], e.g. [[0.01, 4.6e8], [0.02, 9.1e8]]",
        );
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let p_at = levamp_io::json::index(&at, i);
        let pair = levamp_io::json::array(p, &p_at)?;
        if pair.len() != 2 {
            return err(&p_at, "expected [move, cumulative notional]");
        }
        let m = decimal(&pair[0], &p_at)? as f64 / 1e12;
        let n = decimal(&pair[1], &p_at)? as f64 / 1e12;
        if let Some(&(pm, pn)) = out.last() {
            if m <= pm || n <= pn {
                return err(&p_at, "points must ascend in both move and notional");
            }
        } else if m <= 0.0 || n <= 0.0 {
            return err(&p_at, "move and notional must be > 0");
        }
        out.push((m, n));
    }
    if out.is_empty() {
        return err(&at, "needs at least one point");
    }
    Ok(out)
}

/// `[[price.follow]]`: another price key moving with the driven one (a
/// one-factor model): each step its log-return is `beta` × the outside
/// log-return plus an independent normal term of annualised volatility
/// `sigma`; forced flow in the markets it prices moves it by `lambda` per
/// base unit (linear, exact).
#[derive(Clone, Debug, PartialEq)]
pub struct Follower {
    pub key: String,
    pub beta: f64,
    pub sigma: f64,
    pub lambda: Price,
}

pub(crate) fn followers(root: &Map<String, Value>) -> Result<Vec<Follower>, InputError> {
    let Some(list) = root
        .get("price")
        .and_then(|p| p.as_object())
        .and_then(|p| p.get("follow"))
    else {
        return Ok(Vec::new());
    };
    let Some(items) = list.as_array() else {
        return err(
            "price.follow",
            "must be an array of tables ([[price.follow]] key = \"BTC\", beta = 1.0)",
        );
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("price.follow[{i}]");
        let map = levamp_io::json::object(item, &at)?;
        super::toml_read::keys(map, &at, &["key", "beta", "sigma", "lambda"])?;
        let t = Table {
            map,
            at: at.clone(),
        };
        let Some(key) = t.text("key")? else {
            return err(&format!("{at}.key"), "required: the price key that follows");
        };
        let lambda: Price = t.fixed("lambda", "0")?;
        if lambda.is_negative() {
            return err(&format!("{at}.lambda"), "must be ≥ 0");
        }
        out.push(Follower {
            key: key.to_string(),
            beta: t.f64("beta", 1.0, -10.0, 10.0)?,
            sigma: t.f64("sigma", 0.0, 0.0, 20.0)?,
            lambda,
        });
    }
    Ok(out)
}
