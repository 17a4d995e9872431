//! Volatility estimate for volatility-sensitive margin, in fixed point.
//!
//! σ̂ is an exponentially weighted moving average of the oracle's squared
//! log returns (RiskMetrics, J.P. Morgan/Reuters 1996, technical document
//! §5.2: `σ²_t = λ σ²_{t−1} + (1 − λ) r²_t`, λ = 0.94 for daily data).
//! Oracle updates arrive at irregular times, so each squared return is
//! divided by its interval: the estimate is a variance *per second*, and
//! `σ̂ · √horizon` is the standard deviation of the log price over the time
//! the venue needs to close a position.
//!
//! Everything is integer arithmetic (no floats in the engine): the state is
//! exact, and a replay rebuilds it bit for bit. The log return uses
//! `ln x = 2 atanh((x − 1)/(x + 1))`, summed until the terms vanish at
//! [`VAR_SCALE`]; the variance rounds up (the venue's favour, since margin
//! rises with it).

use levamp_core::{mul_div, MathError, Price, Ratio, Round, SCALE};

/// Scale of log returns and variances (24 decimals): a one-second variance
/// of a volatile asset is about 1e-8, which the 12-decimal [`SCALE`] would
/// keep to four digits only.
pub const VAR_SCALE: i128 = 1_000_000_000_000_000_000_000_000;

/// Largest |y| = |p₁ − p₀| ÷ (p₁ + p₀) the series evaluates: a move of 19×
/// in one update (|ln| ≈ 2.94). Larger moves count as this one, which keeps
/// the series short and the variance bounded.
const MAX_Y: i128 = 9 * VAR_SCALE / 10;

/// `ln(p1 ÷ p0)` at [`VAR_SCALE`], both prices > 0 (moves beyond 19× are
/// clamped, see `MAX_Y`). Each term is truncated toward zero; the error is
/// below one unit of [`VAR_SCALE`] per term.
pub fn log_return(p1: Price, p0: Price) -> Result<i128, MathError> {
    let (a, b) = (p1.raw(), p0.raw());
    if a <= 0 || b <= 0 {
        return Err(MathError::DivisionByZero);
    }
    let num = a.checked_sub(b).ok_or(MathError::Overflow)?;
    let den = a.checked_add(b).ok_or(MathError::Overflow)?;
    // atanh is odd: the series runs on |y| (its terms floor toward 0 and
    // end), and the sign comes last, so a fall is the opposite of the rise.
    let magnitude = mul_div(num.abs(), VAR_SCALE, den, Round::Floor)?.min(MAX_Y);
    let y2 = mul_div(magnitude, magnitude, VAR_SCALE, Round::Floor)?;
    let (mut term, mut sum, mut n) = (magnitude, magnitude, 1i128);
    loop {
        term = mul_div(term, y2, VAR_SCALE, Round::Floor)?;
        if term == 0 {
            break;
        }
        sum = sum
            .checked_add(term / (2 * n + 1))
            .ok_or(MathError::Overflow)?;
        n += 1;
    }
    sum.checked_mul(2 * num.signum()).ok_or(MathError::Overflow)
}

/// One EWMA step of the per-second variance (at [`VAR_SCALE`]):
/// `λ · variance + (1 − λ) · r² ÷ dt`, each product rounded up. `dt > 0`.
pub fn ewma_variance(
    variance: i128,
    log_return: i128,
    dt: i64,
    lambda: Ratio,
) -> Result<i128, MathError> {
    if dt <= 0 {
        return Err(MathError::DivisionByZero);
    }
    let kept = mul_div(variance, lambda.raw(), SCALE, Round::Ceil)?;
    let squared = mul_div(log_return, log_return, VAR_SCALE, Round::Ceil)?;
    let weight = SCALE.checked_sub(lambda.raw()).ok_or(MathError::Overflow)?;
    let scaled_dt = SCALE.checked_mul(dt as i128).ok_or(MathError::Overflow)?;
    let added = mul_div(squared, weight, scaled_dt, Round::Ceil)?;
    kept.checked_add(added).ok_or(MathError::Overflow)
}

/// `⌈√n⌉` for `n ≥ 0`.
pub fn isqrt_ceil(n: i128) -> Result<i128, MathError> {
    if n < 0 {
        return Err(MathError::Overflow);
    }
    let s = (n as u128).isqrt() as i128;
    Ok(if s * s < n { s + 1 } else { s })
}

/// σ̂ per √second as a [`Ratio`]: `⌈√variance⌉` (√(v·10²⁴) = √v·10¹²).
pub fn sigma(variance: i128) -> Result<Ratio, MathError> {
    isqrt_ceil(variance).map(Ratio::from_raw)
}

/// The volatility margin rate `k · σ̂ · √horizon`, rounded up:
/// `σ̂ · √h = ⌈√(variance · h)⌉` at [`SCALE`], then `× k` up.
pub fn volatility_rate(variance: i128, horizon_s: i64, k: Ratio) -> Result<Ratio, MathError> {
    let spread = isqrt_ceil(
        variance
            .checked_mul(horizon_s as i128)
            .ok_or(MathError::Overflow)?,
    )?;
    mul_div(spread, k.raw(), SCALE, Round::Ceil).map(Ratio::from_raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    #[test]
    fn log_return_matches_ln() {
        // ln(1.01) = 0.00995033085316808284821535754426…
        let r = log_return(p("101"), p("100")).unwrap();
        assert!((r - 9_950_330_853_168_082_848_215).abs() < 10, "{r}");
        // ln(0.5) = −0.693147180559945309417232121458…
        let r = log_return(p("50"), p("100")).unwrap();
        assert!((r + 693_147_180_559_945_309_417_232).abs() < 100, "{r}");
        assert_eq!(log_return(p("7"), p("7")).unwrap(), 0);
        // A fall ends too (a floored negative term once stuck at −2 forever),
        // and is the exact opposite of the rise back.
        let down = log_return(p("1800"), p("2000")).unwrap();
        assert_eq!(down, -log_return(p("2000"), p("1800")).unwrap());
        assert_eq!(
            log_return(p("1"), p("1000")).unwrap(),
            -log_return(p("1000"), p("1")).unwrap()
        );
    }

    #[test]
    fn ewma_and_rate() {
        let lambda: Ratio = "0.94".parse().unwrap();
        // A 1 % return over 1 s from zero: 0.06 · ln(1.01)² ≈ 5.94e-6 per s.
        let r = log_return(p("101"), p("100")).unwrap();
        let v = ewma_variance(0, r, 1, lambda).unwrap();
        assert_eq!(v / 1_000_000_000_000, 5_940_545); // 5.940545e-6 at 1e24
                                                      // σ̂ = √v ≈ 0.0024373; over 3600 s: × 60 = 0.14624; k = 2 ⇒ 0.29248.
        let rate = volatility_rate(v, 3600, Ratio::from_int(2)).unwrap();
        assert_eq!(rate.raw() / 100_000_000, 2924); // 0.2924…
        assert_eq!(
            volatility_rate(0, 3600, Ratio::from_int(3)).unwrap(),
            Ratio::ZERO
        );
        assert_eq!(isqrt_ceil(10).unwrap(), 4);
        assert_eq!(isqrt_ceil(9).unwrap(), 3);
    }
}
