//! The price of a marketable asset after `Q` units have been sold in
//! total: `levamp_market`'s linear model (reused as is, exact) and its
//! square-root law computed exactly in integers, both non-increasing in
//! `Q` and rounded down (a lower price is the solvency-conservative side).

use crate::model::Impact;
use levamp_core::{Base, MathError, Price, Ratio, Round, SCALE};
use levamp_market::{ImpactModel, Linear};

/// The price after `sold` (≥ 0) units were sold from `start`: at least one
/// tick.
///
/// - Linear: `start − ⌈λ·Q⌉` ([`levamp_market::Linear`]).
/// - Square root (Almgren et al.; Tóth et al.): `⌊start · (1 − m)⌋` with
///   `m = ⌈y·σ·⌈√⌈Q ÷ V⌉⌉⌉`, each step rounded up, so the price is rounded
///   down; `m ≥ 1` gives one tick.
pub fn price_after(start: Price, impact: &Impact, sold: Base) -> Result<Price, MathError> {
    if !sold.is_positive() {
        return Ok(start);
    }
    match *impact {
        Impact::Linear { lambda } => Linear { lambda }.apply(start, sold),
        Impact::Sqrt {
            y,
            daily_sigma,
            daily_volume,
        } => {
            let q_over_v = sold.ratio_to(daily_volume, Round::Ceil)?.raw();
            let root = sqrt_ceil(q_over_v.checked_mul(SCALE).ok_or(MathError::Overflow)?);
            let m = Ratio::from_raw(root)
                .mul_ratio(y, Round::Ceil)?
                .mul_ratio(daily_sigma, Round::Ceil)?;
            let factor = Ratio::ONE.checked_sub(m)?.max(Ratio::ZERO);
            Ok(start.mul_ratio(factor, Round::Floor)?.max(Price::TICK))
        }
    }
}

/// `⌈√x⌉` for `x ≥ 0`.
fn sqrt_ceil(x: i128) -> i128 {
    let r = x.isqrt();
    if r * r == x {
        r
    } else {
        r + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: &str) -> Price {
        Price::from_raw(levamp_core::parse_raw(x).unwrap())
    }
    fn b(x: &str) -> Base {
        Base::from_raw(levamp_core::parse_raw(x).unwrap())
    }

    #[test]
    fn linear_drops_lambda_per_unit_and_stops_at_a_tick() {
        let lin = Impact::Linear { lambda: p("0.01") };
        assert_eq!(price_after(p("1"), &lin, b("30")).unwrap(), p("0.7"));
        assert_eq!(price_after(p("1"), &lin, b("500")).unwrap(), Price::TICK);
        assert_eq!(price_after(p("1"), &lin, Base::ZERO).unwrap(), p("1"));
    }

    #[test]
    fn sqrt_law_by_hand() {
        // y = 1, σ = 0.04, V = 10_000: selling 2_500 units (a quarter of
        // the daily volume) moves the price by 0.04 · √0.25 = 2 %.
        let sq = Impact::Sqrt {
            y: Ratio::ONE,
            daily_sigma: Ratio::from_raw(levamp_core::parse_raw("0.04").unwrap()),
            daily_volume: b("10000"),
        };
        assert_eq!(price_after(p("50"), &sq, b("2500")).unwrap(), p("49"));
        // Never above the exact value: √(1/3) is irrational.
        let third = price_after(p("1"), &sq, b("3333.333333333333")).unwrap();
        let exact = 1.0 - 0.04 * (1.0f64 / 3.0).sqrt();
        assert!(third.to_f64_lossy() <= exact && third.to_f64_lossy() > exact - 1e-11);
    }
}
