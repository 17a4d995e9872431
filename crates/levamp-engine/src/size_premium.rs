//! Size-sensitive margin ratio (Drift v2's IMF premium), exact in fixed point.
//!
//! Drift v2 `programs/drift/src/math/margin.rs`,
//! `calculate_size_premium_liability_weight(size, imf_factor,
//! liability_weight, precision)`, which `PerpMarket::get_margin_ratio` calls
//! with the market's initial or maintenance ratio and `MARGIN_PRECISION`:
//!
//! ```text
//! size_sqrt = √(size·10 + 1)                 size at 1e9 → √ at 1e5
//! numerator = w − w/5                        (0.8·w)
//! premium   = numerator + size_sqrt · imf ÷ (100_000 · 1e6 ÷ precision)
//! ratio     = max(w, premium)
//! ```
//!
//! In units: `ratio = max(w, 0.8·w + imf · √|size|)`, `size` in base units,
//! `imf` a pure number (Drift stores it at `SPOT_IMF_PRECISION` = 1e6). The
//! premium grows with the square root of the position's *size* (not its
//! notional), so at a fixed size it does not move with the price. Here the
//! square root is `⌈√⌉` and every division rounds up (a requirement: the
//! venue's favour); Drift's own integer version floors, so it is never
//! above this one.

use levamp_core::{mul_div, Base, MathError, Ratio, Round, SCALE};

/// `max(rate, 0.8·rate + imf · √|size|)`, rounded up. `imf = 0` returns `rate`.
pub fn size_premium_rate(size: Base, imf: Ratio, rate: Ratio) -> Result<Ratio, MathError> {
    if imf.is_zero() {
        return Ok(rate);
    }
    // √(|size|) at SCALE: √(raw · SCALE), up.
    let magnitude = size.checked_abs()?.raw();
    let root =
        crate::volatility::isqrt_ceil(magnitude.checked_mul(SCALE).ok_or(MathError::Overflow)?)?;
    let premium = mul_div(root, imf.raw(), SCALE, Round::Ceil)?;
    // 0.8 · rate, up (Drift: w − ⌊w/5⌋).
    let kept = mul_div(rate.raw(), 4, 5, Round::Ceil)?;
    let total = kept.checked_add(premium).ok_or(MathError::Overflow)?;
    Ok(Ratio::from_raw(total.max(rate.raw())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drift's integer formula at Drift's precisions (size 1e9, imf 1e6,
    /// ratio 1e4), transcribed for comparison.
    fn drift(size_1e9: u128, imf_1e6: u128, ratio_1e4: u128) -> u128 {
        if imf_1e6 == 0 {
            return ratio_1e4;
        }
        let size_sqrt = (size_1e9 * 10 + 1).isqrt();
        let numerator = ratio_1e4 - ratio_1e4 / 5;
        let premium = numerator + size_sqrt * imf_1e6 / (100_000 * 1_000_000 / 10_000);
        premium.max(ratio_1e4)
    }

    #[test]
    fn matches_drift_to_its_precision() {
        // SOL-PERP-like: maintenance 5 % (500), imf 0.0005 (500 at 1e6).
        for (size, imf, ratio) in [
            (1u128, 500u128, 500u128),
            (10_000, 500, 500),
            (1_000_000, 500, 500),
            (250_000, 1_000, 625),
            (7, 2_500, 1_000),
        ] {
            let ours = size_premium_rate(
                Base::from_int(size as i64),
                Ratio::from_raw(imf as i128 * 1_000_000),
                Ratio::from_raw(ratio as i128 * 100_000_000),
            )
            .unwrap();
            let theirs = drift(size * 1_000_000_000, imf, ratio);
            // Drift floors at 1e4; ours is exact, rounded up: within one unit above.
            let ours_1e4 = ours.raw() / 100_000_000;
            assert!(
                ours_1e4 == theirs as i128 || ours_1e4 == theirs as i128 + 1,
                "size {size}: ours {ours} vs Drift {theirs}"
            );
            assert!(ours.raw() >= theirs as i128 * 100_000_000);
        }
        // Worked example: 1,000,000 SOL at imf 0.0005: 0.04 + 0.0005 × 1000 = 0.54.
        assert_eq!(
            size_premium_rate(Base::from_int(1_000_000), r("0.0005"), r("0.05")).unwrap(),
            r("0.54")
        );
        // Small sizes keep the base rate.
        assert_eq!(
            size_premium_rate(Base::from_int(100), r("0.0005"), r("0.05")).unwrap(),
            r("0.05")
        );
    }

    fn r(s: &str) -> Ratio {
        s.parse().unwrap()
    }
}
