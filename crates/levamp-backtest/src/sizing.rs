//! `[sizing]`: how a directional position is sized — static, EWMA
//! volatility targeting, a capped Kelly fraction, or a liquidation buffer of
//! k σ over a horizon — and the estimator the dynamic models read.
//!
//! Estimates are statistics, so they are `f64`: hourly simple returns of
//! the perp close. The estimator only ever sees closes of hours that have
//! ended (the warm-up before `data.start`, then each window hour after its
//! close), so a decision at the open of hour `t` depends on closes before
//! `t` only. A model gives a target leverage (notional ÷ equity); the
//! rebalance (`crate::rebalance`) turns it into an exact size.

use crate::strategy::{check_keys, fail, Table};
use levamp_core::Base;
use levamp_io::json::InputError;
use std::collections::VecDeque;

/// Hours in a year, for annualising (365 days).
const HOURS_PER_YEAR: f64 = 8760.0;

/// The sizing model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Model {
    /// `strategy.size` held from the open, never resized.
    Static,
    /// Leverage = `target_vol` ÷ σ̂ (annualised EWMA of hourly returns,
    /// RiskMetrics: σ̂²ₜ = λ σ̂²ₜ₋₁ + (1 − λ) rₜ²).
    VolTarget { target_vol: f64, lambda: f64 },
    /// Leverage = `fraction` × max(0, ±μ̂ ÷ σ̂²) over the last
    /// `lookback_hours` hourly returns (Kelly for a small-step random walk;
    /// `+` for a long, `−` for a short; 0 = flat).
    Kelly {
        fraction: f64,
        lookback_hours: usize,
    },
    /// Leverage ≤ 1 ÷ (d + mmr × (1 + d)), d = k × σ̂ₕ × √h, after the
    /// fill's costs: the liquidation price at least `k` σ-of-`horizon_hours`
    /// from the mark (σ̂ₕ the hourly EWMA σ with `lambda`, mmr the tier's
    /// maintenance rate). Derivation: a position of q at mark P with
    /// margin E (all of the equity) is liquidated at p when
    /// E ± q·(p − P) = mmr·q·p; |p − P| ÷ P ≥ d holds on both sides when
    /// E ÷ qP ≥ d + mmr (1 + d) (the short's side is the binding one). The
    /// tier's maintenance amount only moves the price further away.
    LiquidationBuffer {
        k: f64,
        horizon_hours: f64,
        lambda: f64,
    },
}

impl Model {
    /// The name used in files.
    pub fn name(&self) -> &'static str {
        match self {
            Model::Static => "static",
            Model::VolTarget { .. } => "vol_target",
            Model::Kelly { .. } => "kelly",
            Model::LiquidationBuffer { .. } => "liquidation_buffer",
        }
    }
}

/// A checked `[sizing]` table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sizing {
    pub model: Model,
    /// Cap on the target leverage (the venue's tier maximum always applies).
    pub max_leverage: Option<f64>,
    /// Hours between rebalance checks (the first at the window's first hour).
    pub rebalance_hours: i64,
    /// No-trade band: no resize when |target − held| ≤ band × |held| and the
    /// held position is within the hard limits (liquidation buffer, tier).
    pub band: f64,
    /// Hours of perp closes before `data.start` that warm the estimator up.
    pub warmup_hours: i64,
    /// Sizes are multiples of `step`, rounded toward the smaller size.
    pub step: Base,
}

impl Sizing {
    /// `model = "static"`: the position of `strategy.size`.
    pub const STATIC: Sizing = Sizing {
        model: Model::Static,
        max_leverage: None,
        rebalance_hours: 24,
        band: 0.1,
        warmup_hours: 0,
        step: Base::from_raw(levamp_core::SCALE / 1000),
    };

    /// Whether the model resizes the position.
    pub fn is_dynamic(&self) -> bool {
        self.model != Model::Static
    }
}

const COMMON: &[&str] = &[
    "model",
    "max_leverage",
    "rebalance_hours",
    "band",
    "warmup_hours",
    "step",
];

/// Parses `[sizing]` (absent: static). Every key is checked by model.
pub fn parse(root: &toml::Table) -> Result<Sizing, InputError> {
    let Some(v) = root.get("sizing") else {
        return Ok(Sizing::STATIC);
    };
    let Some(map) = v.as_table() else {
        return fail("sizing", "must be a table");
    };
    let t = Table { map, at: "sizing" };
    let model_name = t.text("model")?.ok_or_else(|| InputError {
        at: "sizing.model".into(),
        message: "required (static, vol_target, kelly or liquidation_buffer)".into(),
    })?;
    let extra: &[&str] = match model_name.as_str() {
        "static" => &[],
        "vol_target" => &["target_vol", "lambda"],
        "kelly" => &["fraction", "lookback_hours"],
        "liquidation_buffer" => &["k", "horizon_hours", "lambda"],
        other => {
            return fail(
                "sizing.model",
                format!(
                "unknown model {other:?}; expected static, vol_target, kelly or liquidation_buffer"
            ),
            )
        }
    };
    if model_name == "static" {
        check_keys(map, "sizing", &["model"])?;
        return Ok(Sizing::STATIC);
    }
    let allowed: Vec<&str> = COMMON.iter().chain(extra).copied().collect();
    check_keys(map, "sizing", &allowed)?;
    let lambda = || number(&t, "lambda", 0.94, |x| x > 0.0 && x < 1.0, "in (0, 1)");
    let model = match model_name.as_str() {
        "vol_target" => Model::VolTarget {
            target_vol: required(&t, "target_vol", |x| x > 0.0, "> 0 (annualised)")?,
            lambda: lambda()?,
        },
        "kelly" => Model::Kelly {
            fraction: required(&t, "fraction", |x| x > 0.0 && x <= 1.0, "in (0, 1]")?,
            lookback_hours: whole(&t, "lookback_hours", 720, 2)? as usize,
        },
        _ => Model::LiquidationBuffer {
            k: required(&t, "k", |x| x > 0.0, "> 0")?,
            horizon_hours: number(&t, "horizon_hours", 24.0, |x| x >= 1.0, "≥ 1")?,
            lambda: lambda()?,
        },
    };
    let max_leverage = match t.map.contains_key("max_leverage") {
        true => Some(required(&t, "max_leverage", |x| x >= 1.0, "≥ 1")?),
        false => None,
    };
    let lookback = match model {
        Model::Kelly { lookback_hours, .. } => lookback_hours as i64 + 1,
        _ => 1,
    };
    let warmup_hours = whole(&t, "warmup_hours", 720.max(lookback), lookback)?;
    let step = match t.decimal("step")? {
        None => Sizing::STATIC.step,
        Some(raw) if raw > 0 => Base::from_raw(raw),
        Some(_) => return fail("sizing.step", "must be > 0 (base units)"),
    };
    Ok(Sizing {
        model,
        max_leverage,
        rebalance_hours: whole(&t, "rebalance_hours", 24, 1)?,
        band: number(&t, "band", 0.1, |x| (0.0..1.0).contains(&x), "in [0, 1)")?,
        warmup_hours,
        step,
    })
}

/// A finite number (integer or float) satisfying `ok`, or `default`.
pub(crate) fn number(
    t: &Table,
    key: &str,
    default: f64,
    ok: impl Fn(f64) -> bool,
    expected: &str,
) -> Result<f64, InputError> {
    let x = match t.map.get(key) {
        None => return Ok(default),
        Some(toml::Value::Integer(i)) => *i as f64,
        Some(toml::Value::Float(f)) => *f,
        Some(_) => return fail(&t.path(key), "must be a number"),
    };
    match x.is_finite() && ok(x) {
        true => Ok(x),
        false => fail(&t.path(key), format!("{x} is not {expected}")),
    }
}

pub(crate) fn required(
    t: &Table,
    key: &str,
    ok: impl Fn(f64) -> bool,
    expected: &str,
) -> Result<f64, InputError> {
    match t.map.contains_key(key) {
        true => number(t, key, 0.0, ok, expected),
        false => fail(&t.path(key), format!("required ({expected})")),
    }
}

/// A whole number ≥ `min`, or `default`.
pub(crate) fn whole(t: &Table, key: &str, default: i64, min: i64) -> Result<i64, InputError> {
    match t.map.get(key) {
        None => Ok(default),
        Some(toml::Value::Integer(i)) if *i >= min && *i <= 1_000_000 => Ok(*i),
        Some(_) => fail(
            &t.path(key),
            format!("must be a whole number in [{min}, 1000000]"),
        ),
    }
}

/// Running estimates from past closes only.
#[derive(Clone, Debug)]
pub struct Estimator {
    lambda: f64,
    /// EWMA of squared hourly returns (`None` before the first return).
    ewma_var: Option<f64>,
    last_close: Option<f64>,
    lookback: usize,
    returns: VecDeque<f64>,
}

impl Estimator {
    /// An estimator for `model` (λ and the Kelly lookback).
    pub fn new(model: &Model) -> Estimator {
        let (lambda, lookback) = match *model {
            Model::VolTarget { lambda, .. } | Model::LiquidationBuffer { lambda, .. } => {
                (lambda, 0)
            }
            Model::Kelly { lookback_hours, .. } => (0.94, lookback_hours),
            Model::Static => (0.94, 0),
        };
        Estimator {
            lambda,
            ewma_var: None,
            last_close: None,
            lookback,
            returns: VecDeque::with_capacity(lookback + 1),
        }
    }

    /// Takes in the close of an hour that has ended.
    pub fn observe(&mut self, close: f64) {
        if let Some(prev) = self.last_close {
            let r = close / prev - 1.0;
            self.ewma_var = Some(match self.ewma_var {
                None => r * r,
                Some(v) => self.lambda * v + (1.0 - self.lambda) * r * r,
            });
            if self.lookback > 0 {
                if self.returns.len() == self.lookback {
                    self.returns.pop_front();
                }
                self.returns.push_back(r);
            }
        }
        self.last_close = Some(close);
    }

    /// The hourly EWMA volatility σ̂ (not annualised).
    pub fn hourly_vol(&self) -> Option<f64> {
        self.ewma_var.map(f64::sqrt)
    }

    /// Kelly leverage μ̂ ÷ σ̂² of a long over the full lookback.
    pub fn kelly_long(&self) -> Option<f64> {
        let n = self.returns.len();
        if n < self.lookback || n < 2 {
            return None;
        }
        let mean = self.returns.iter().sum::<f64>() / n as f64;
        let var = self
            .returns
            .iter()
            .map(|r| (r - mean) * (r - mean))
            .sum::<f64>()
            / (n - 1) as f64;
        (var > 0.0).then(|| mean / var)
    }
}

/// The model's target leverage (notional ÷ equity, ≥ 0) for a position on
/// `side` (+1 long, −1 short), before the caps; `None` while the estimator
/// has too little history. `mmr` is the maintenance rate of the tier (the
/// fill's costs are the rebalance's to count).
pub fn target_leverage(model: &Model, est: &Estimator, side: f64, mmr: f64) -> Option<f64> {
    match *model {
        Model::Static => None,
        Model::VolTarget { target_vol, .. } => {
            let sigma = est.hourly_vol()? * HOURS_PER_YEAR.sqrt();
            (sigma > 0.0).then(|| target_vol / sigma)
        }
        Model::Kelly { fraction, .. } => Some(fraction * (side * est.kelly_long()?).max(0.0)),
        Model::LiquidationBuffer {
            k, horizon_hours, ..
        } => {
            let d = buffer(k, horizon_hours, est)?;
            Some(1.0 / (d + mmr * (1.0 + d)))
        }
    }
}

/// The liquidation buffer `k × σ̂ₕ × √horizon` as a fraction of the mark.
pub fn buffer(k: f64, horizon_hours: f64, est: &Estimator) -> Option<f64> {
    Some(k * est.hourly_vol()? * horizon_hours.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ewma_of_a_constant_squared_return_is_that_return() {
        let mut e = Estimator::new(&Model::VolTarget {
            target_vol: 1.0,
            lambda: 0.94,
        });
        assert_eq!(e.hourly_vol(), None);
        for i in 0..100 {
            e.observe(if i % 2 == 0 { 100.0 } else { 101.0 });
        }
        let v = e.hourly_vol().unwrap();
        assert!(v > 0.0099 && v < 0.0101, "{v}");
    }

    #[test]
    fn kelly_waits_for_its_lookback_and_is_zero_against_the_drift() {
        let model = Model::Kelly {
            fraction: 0.5,
            lookback_hours: 10,
        };
        let mut e = Estimator::new(&model);
        let mut p = 100.0;
        for i in 0..10 {
            e.observe(p);
            p *= if i % 2 == 0 { 1.02 } else { 0.99 };
        }
        assert_eq!(target_leverage(&model, &e, 1.0, 0.004), None);
        e.observe(p);
        assert!(target_leverage(&model, &e, 1.0, 0.004).unwrap() > 0.0);
        assert_eq!(target_leverage(&model, &e, -1.0, 0.004), Some(0.0));
    }
}
