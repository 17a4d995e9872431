//! Checked fixed-point arithmetic on raw `i128` values: the one `mul_div`
//! every unit type goes through, with an explicit rounding direction.

use crate::MathError;

/// Number of decimal places every value type carries.
pub const DECIMALS: u32 = 12;
/// `10^DECIMALS`: the raw integer that stands for `1`.
pub const SCALE: i128 = 1_000_000_000_000;

/// Rounding direction of a division.
///
/// Directions are on the number line, not toward/away from zero:
/// `Floor` rounds toward −∞, `Ceil` toward +∞. House rule: requirements and
/// debts round up (`Ceil`), collateral values and payouts round down (`Floor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Round {
    /// Toward −∞.
    Floor,
    /// Toward +∞.
    Ceil,
}

/// `a / c` rounded as asked. Errors on division by zero and on `i128::MIN / -1`.
#[inline]
pub fn div_round(a: i128, c: i128, round: Round) -> Result<i128, MathError> {
    if c == 0 {
        return Err(MathError::DivisionByZero);
    }
    let q = a.checked_div(c).ok_or(MathError::Overflow)?;
    // One division: the remainder by multiplication (cannot overflow: |q·c| ≤ |a|).
    let r = a - q * c;
    if r == 0 {
        return Ok(q);
    }
    // Truncation went toward zero; the exact quotient is negative iff signs differ.
    let negative = (r < 0) != (c < 0);
    match (round, negative) {
        (Round::Floor, true) => q.checked_sub(1).ok_or(MathError::Overflow),
        (Round::Ceil, false) => q.checked_add(1).ok_or(MathError::Overflow),
        _ => Ok(q),
    }
}

/// `a · b / c` with the product held exactly (256 bits when it does not fit
/// in `i128`), rounded as asked. The result must fit in `i128`, else
/// [`MathError::Overflow`].
///
/// Fast paths, all exact with the same rounding: operands that fit in `i64`
/// multiply with one widening instruction; a divisor of [`SCALE`] (the
/// commonest: every `value_at`, `mul_ratio`) divides by multiplication
/// (`div_round_scale`); a product and divisor that fit in `i64` use the
/// 64-bit division.
#[inline]
pub fn mul_div(a: i128, b: i128, c: i128, round: Round) -> Result<i128, MathError> {
    let p = match (i64::try_from(a), i64::try_from(b)) {
        (Ok(a64), Ok(b64)) => a64 as i128 * b64 as i128,
        _ => match a.checked_mul(b) {
            Some(p) => p,
            None => return mul_div_wide(a, b, c, round),
        },
    };
    if c == SCALE {
        return Ok(div_round_scale(p, round));
    }
    if let (Ok(p64), Ok(c64)) = (i64::try_from(p), i64::try_from(c)) {
        if c64 != 0 && !(p64 == i64::MIN && c64 == -1) {
            return Ok(div_round_i64(p64, c64, round) as i128);
        }
    }
    div_round(p, c, round)
}

/// `p / c` rounded as asked, in 64 bits (`c ≠ 0`, not `i64::MIN / −1`).
/// Cannot overflow: a nonzero remainder means `|c| ≥ 2`, so `|q| ≤ |p| / 2`
/// and `q ± 1` is in range.
#[inline]
fn div_round_i64(p: i64, c: i64, round: Round) -> i64 {
    let q = p / c;
    let r = p - q * c;
    if r == 0 {
        return q;
    }
    let negative = (r < 0) != (c < 0);
    match (round, negative) {
        (Round::Floor, true) => q - 1,
        (Round::Ceil, false) => q + 1,
        _ => q,
    }
}

/// `p / 10^12` rounded as asked, without a 128-bit division: `10^12 =
/// 2^12 · 5^12`, so `⌊|p| / 10^12⌋ = ⌊⌊|p| / 2^12⌋ / 5^12⌋` (a shift, then
/// schoolbook division by the 28-bit `5^12` in 32-bit digits, each step a
/// 64-bit division by a constant the compiler turns into a multiplication).
/// The remainder is recomputed exactly and decides the rounding. Cannot
/// overflow: `|q| < 2^88`.
#[inline]
fn div_round_scale(p: i128, round: Round) -> i128 {
    const FIVE_12: u64 = 244_140_625; // 5^12
    let n = p.unsigned_abs();
    let m = n >> DECIMALS;
    let high = (m >> 64) as u64;
    let (q, exact) = if (m >> 64) < u128::from(FIVE_12) {
        // A quotient below 2^64 (any product of two `i64`s up to 10^12 · 2^64,
        // the common case): the top digits are zero and the first step's
        // dividend, high · 2^32 + the next digit, is below 2^60 — two
        // steps instead of four. Exact when the shifted-out bits and the
        // last remainder are zero.
        let upper = (high << 32) | ((m >> 32) as u32 as u64);
        let (q1, r1) = (upper / FIVE_12, upper % FIVE_12);
        let lower = (r1 << 32) | (m as u32 as u64);
        let (q0, r0) = (lower / FIVE_12, lower % FIVE_12);
        let exact = r0 == 0 && n as u16 & 0xfff == 0;
        ((u128::from(q1) << 32) | u128::from(q0), exact)
    } else {
        let mut q: u128 = 0;
        let mut r: u64 = 0;
        for shift in [96u32, 64, 32, 0] {
            let digit = (r << 32) | ((m >> shift) as u32 as u64);
            q = (q << 32) | (digit / FIVE_12) as u128;
            r = digit % FIVE_12;
        }
        (q, n == q * SCALE as u128)
    };
    let negative = p < 0;
    let q = q as i128;
    match (exact, round, negative) {
        (false, Round::Floor, true) => -q - 1,
        (false, Round::Ceil, false) => q + 1,
        (_, _, true) => -q,
        (_, _, false) => q,
    }
}

/// `raw as f64` (round to nearest, ties to even), without the generic
/// 128-bit conversion when the value fits in `i64` (every price, size and
/// balance of a simulation does): the same integer converts to the same
/// `f64` either way, so the result is identical. For the lossy
/// statistics conversions (`to_f64_lossy`), never for accounting.
#[inline]
pub fn raw_to_f64(raw: i128) -> f64 {
    match i64::try_from(raw) {
        Ok(v) => v as f64,
        Err(_) => wide_to_f64(raw),
    }
}

/// `raw as f64` out of line: inlined, the optimiser turned the branch in
/// [`raw_to_f64`] into a select that made both conversions every time.
#[cold]
#[inline(never)]
fn wide_to_f64(raw: i128) -> f64 {
    raw as f64
}

/// `x` as a raw value at [`SCALE`] (`x · 10^12`), rounded as asked — the one
/// conversion from `f64` (simulation models, statistics) into fixed point.
///
/// Exact: a finite `f64` is `±m · 2^e` with an integer `m < 2^53`, so
/// `x · 10^12 = ±(m · 10^12) · 2^e`; `m · 10^12 < 2^93` fits in `i128`. For
/// `e ≥ 0` the result is that product shifted left (checked); for `e < 0` it
/// is one [`div_round`] by `2^−e` (and for `−e > 126` the quotient's magnitude
/// is below one, so it is 0 or ±1 by the rounding direction). A value with at
/// most 12 decimals that the `f64` holds exactly converts exactly.
///
/// Errors: NaN or ±∞ → [`MathError::NotFinite`]; `|x| ≥ ≈1.7e26` (beyond
/// `i128` at 12 decimals) → [`MathError::Overflow`].
pub fn from_f64(x: f64, round: Round) -> Result<i128, MathError> {
    if !x.is_finite() {
        return Err(MathError::NotFinite);
    }
    if x == 0.0 {
        return Ok(0);
    }
    let bits = x.to_bits();
    let negative = bits >> 63 == 1;
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    // x = ±mantissa · 2^shift (subnormals have no implicit leading bit).
    let (mantissa, shift) = match exponent {
        0 => (fraction, -1074),
        _ => (fraction | 1 << 52, exponent - 1075),
    };
    let scaled = mantissa as i128 * SCALE;
    let scaled = if negative { -scaled } else { scaled };
    if shift >= 0 {
        if shift > 126 {
            return Err(MathError::Overflow);
        }
        return scaled
            .checked_mul(1i128 << shift)
            .ok_or(MathError::Overflow);
    }
    let k = -shift;
    if k > 126 {
        // 0 < |scaled| < 2^93 < 2^k: the exact value lies strictly between −1 and 1.
        return Ok(match (round, negative) {
            (Round::Floor, true) => -1,
            (Round::Ceil, false) => 1,
            _ => 0,
        });
    }
    // Division by 2^k as a shift (no 128-bit division): the arithmetic
    // shift floors; Ceil adds one when bits were shifted out. Cannot
    // overflow: |scaled| < 2^93 and k ≤ 126.
    let floor = scaled >> k;
    Ok(match round {
        Round::Ceil if floor << k != scaled => floor + 1,
        _ => floor,
    })
}

#[cold]
fn mul_div_wide(a: i128, b: i128, c: i128, round: Round) -> Result<i128, MathError> {
    if c == 0 {
        return Err(MathError::DivisionByZero);
    }
    let negative = (a < 0) ^ (b < 0) ^ (c < 0);
    let (hi, lo) = mul_u128(a.unsigned_abs(), b.unsigned_abs());
    let d = c.unsigned_abs();
    if hi >= d {
        return Err(MathError::Overflow);
    }
    let (q, r) = div_256_by_128(hi, lo, d);
    // |exact| = q + r/d
    let q = if r == 0 {
        q
    } else {
        match (round, negative) {
            (Round::Floor, true) | (Round::Ceil, false) => {
                q.checked_add(1).ok_or(MathError::Overflow)?
            }
            _ => q,
        }
    };
    if negative {
        if q > i128::MAX as u128 + 1 {
            return Err(MathError::Overflow);
        }
        Ok((q as i128).wrapping_neg())
    } else {
        i128::try_from(q).map_err(|_| MathError::Overflow)
    }
}

/// Full 256-bit product of two u128 as (high, low).
fn mul_u128(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a_hi, a_lo) = (a >> 64, a & MASK);
    let (b_hi, b_lo) = (b >> 64, b & MASK);
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    let mid = (ll >> 64) + (lh & MASK) + (hl & MASK);
    let lo = (ll & MASK) | (mid << 64);
    let hi = hh + (lh >> 64) + (hl >> 64) + (mid >> 64);
    (hi, lo)
}

/// (hi·2^128 + lo) / d for hi < d: quotient fits in u128. Restoring binary
/// long division; only reached when the product overflows `i128`.
fn div_256_by_128(hi: u128, lo: u128, d: u128) -> (u128, u128) {
    let mut rem = hi;
    let mut q: u128 = 0;
    for i in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            q |= 1;
        }
    }
    (q, rem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_directions_on_both_signs() {
        assert_eq!(div_round(7, 2, Round::Floor), Ok(3));
        assert_eq!(div_round(7, 2, Round::Ceil), Ok(4));
        assert_eq!(div_round(-7, 2, Round::Floor), Ok(-4));
        assert_eq!(div_round(-7, 2, Round::Ceil), Ok(-3));
        assert_eq!(div_round(7, -2, Round::Floor), Ok(-4));
        assert_eq!(div_round(-7, -2, Round::Ceil), Ok(4));
        assert_eq!(
            div_round(1, 0, Round::Floor),
            Err(MathError::DivisionByZero)
        );
        assert_eq!(
            div_round(i128::MIN, -1, Round::Floor),
            Err(MathError::Overflow)
        );
    }

    #[test]
    fn wide_path_matches_known_values() {
        // (2^100 · 3^40) / 3^40 = 2^100, computed through a 256-bit product.
        let a = 1i128 << 100;
        let b = 3i128.pow(40);
        assert!(a.checked_mul(b).is_none());
        assert_eq!(mul_div(a, b, b, Round::Floor), Ok(a));
        assert_eq!(mul_div(-a, b, b, Round::Ceil), Ok(-a));
        // i128::MAX * i128::MAX / i128::MAX
        assert_eq!(
            mul_div(i128::MAX, i128::MAX, i128::MAX, Round::Ceil),
            Ok(i128::MAX)
        );
        assert_eq!(
            mul_div(i128::MAX, 2, 1, Round::Floor),
            Err(MathError::Overflow)
        );
        assert_eq!(
            mul_div(i128::MIN, 1, -1, Round::Floor),
            Err(MathError::Overflow)
        );
        assert_eq!(mul_div(i128::MIN, 2, 2, Round::Floor), Ok(i128::MIN));
    }

    #[test]
    fn from_f64_is_exact_with_explicit_rounding() {
        // 0.1 is 0.1000000000000000055511151231257827… as an f64.
        assert_eq!(from_f64(0.1, Round::Floor), Ok(100_000_000_000));
        assert_eq!(from_f64(0.1, Round::Ceil), Ok(100_000_000_001));
        assert_eq!(from_f64(-0.1, Round::Floor), Ok(-100_000_000_001));
        assert_eq!(from_f64(-0.1, Round::Ceil), Ok(-100_000_000_000));
        // Exactly representable values convert exactly in both directions.
        for (x, raw) in [
            (1.5, 1_500_000_000_000),
            (-2.25, -2_250_000_000_000),
            (0.0, 0),
        ] {
            assert_eq!(from_f64(x, Round::Floor), Ok(raw));
            assert_eq!(from_f64(x, Round::Ceil), Ok(raw));
        }
        assert_eq!(
            from_f64(2f64.powi(80), Round::Floor),
            Ok((1i128 << 80) * SCALE)
        );
        // Below one tick: 0 or ±1 tick by direction, never a silent 0 for Ceil.
        assert_eq!(from_f64(1e-300, Round::Ceil), Ok(1));
        assert_eq!(from_f64(1e-300, Round::Floor), Ok(0));
        assert_eq!(from_f64(-5e-324, Round::Floor), Ok(-1));
        assert_eq!(from_f64(-5e-324, Round::Ceil), Ok(0));
        assert_eq!(from_f64(f64::NAN, Round::Floor), Err(MathError::NotFinite));
        assert_eq!(
            from_f64(f64::INFINITY, Round::Ceil),
            Err(MathError::NotFinite)
        );
        assert_eq!(
            from_f64(f64::NEG_INFINITY, Round::Floor),
            Err(MathError::NotFinite)
        );
        assert_eq!(from_f64(2e26, Round::Floor), Err(MathError::Overflow));
        assert_eq!(from_f64(-2e26, Round::Ceil), Err(MathError::Overflow));
        assert_eq!(from_f64(f64::MAX, Round::Floor), Err(MathError::Overflow));
    }

    /// Reference with a 256-bit-free decomposition: a·b/c where b = b1·b2.
    fn reference(a: i128, b: i64, c: i64, round: Round) -> Option<i128> {
        // Exact rational arithmetic through i128 is possible when a fits in i64.
        let p = (a).checked_mul(b as i128)?;
        div_round(p, c as i128, round).ok()
    }

    proptest! {
        #[test]
        fn floor_le_exact_le_ceil(a in any::<i64>(), b in any::<i64>(), c in any::<i64>().prop_filter("nz", |c| *c != 0)) {
            let f = mul_div(a as i128, b as i128, c as i128, Round::Floor).unwrap();
            let e = mul_div(a as i128, b as i128, c as i128, Round::Ceil).unwrap();
            prop_assert!(f <= e && e - f <= 1);
            // f ≤ a·b/c ≤ e  ⇔  f·c ≤ a·b ≤ e·c for c > 0 (flip for c < 0)
            let p = a as i128 * b as i128;
            let (fc, ec) = (f * c as i128, e * c as i128);
            if c > 0 { prop_assert!(fc <= p && p <= ec); } else { prop_assert!(fc >= p && p >= ec); }
        }

        #[test]
        fn wide_equals_narrow_when_both_apply(a in any::<i64>(), b in any::<i64>(), c in any::<i64>().prop_filter("nz", |c| *c != 0), up in any::<bool>()) {
            let round = if up { Round::Ceil } else { Round::Floor };
            let narrow = reference(a as i128, b, c, round);
            let wide = mul_div_wide(a as i128, b as i128, c as i128, round).ok();
            prop_assert_eq!(narrow, wide);
        }

        /// floor ≤ x·10^12 ≤ ceil, within one tick, checked exactly on
        /// x = m·2^e: `floor·2^k ≤ m·10^12 ≤ ceil·2^k` for e = −k < 0.
        #[test]
        fn from_f64_brackets_the_exact_value(m in -(1i64 << 53)..(1i64 << 53), e in -100i32..30) {
            let x = m as f64 * 2f64.powi(e);
            let f = from_f64(x, Round::Floor).unwrap();
            let c = from_f64(x, Round::Ceil).unwrap();
            let n = m as i128 * SCALE;
            if e >= 0 {
                prop_assert_eq!(f, n << e);
                prop_assert_eq!(c, n << e);
            } else {
                let k = -e;
                prop_assert!(f <= c && c - f <= 1);
                prop_assert!(f * (1i128 << k) <= n && n <= c * (1i128 << k));
                prop_assert_eq!(f == c, n % (1i128 << k) == 0);
            }
        }

        /// The shortcut conversion equals the plain `as` conversion everywhere.
        #[test]
        fn raw_to_f64_equals_the_plain_conversion(hi in any::<i64>(), lo in any::<u64>(), shift in 0u32..128) {
            let raw = ((hi as i128) << 64 | lo as i128) >> shift;
            prop_assert_eq!(raw_to_f64(raw).to_bits(), (raw as f64).to_bits());
        }

        /// The shift in `from_f64` rounds as the division did.
        #[test]
        fn from_f64_equals_division_rounding(m in -(1i64 << 53)..(1i64 << 53), e in -126i32..0) {
            let x = m as f64 * 2f64.powi(e);
            let bits = x.to_bits();
            let exponent = ((bits >> 52) & 0x7ff) as i32;
            prop_assume!(exponent != 0 && exponent - 1075 >= -126 && exponent - 1075 < 0);
            let mantissa = (bits & ((1u64 << 52) - 1)) | 1 << 52;
            let scaled = mantissa as i128 * SCALE * if x < 0.0 { -1 } else { 1 };
            let k = 1075 - exponent;
            for round in [Round::Floor, Round::Ceil] {
                prop_assert_eq!(from_f64(x, round), div_round(scaled, 1i128 << k, round));
            }
        }

        #[test]
        fn from_f64_within_a_tick_or_error(x in any::<f64>()) {
            match (from_f64(x, Round::Floor), from_f64(x, Round::Ceil)) {
                (Ok(f), Ok(c)) => {
                    prop_assert!(x.is_finite() && x.abs() < 1.8e26);
                    prop_assert!(f <= c && c - f <= 1);
                }
                (Err(a), Err(b)) => {
                    prop_assert_eq!(a, b);
                    prop_assert!(!x.is_finite() || x.abs() >= 1.7e26);
                }
                _ => prop_assert!(false, "directions disagree on {}", x),
            }
        }

        /// The fast paths agree with the 256-bit path digit for digit,
        /// over operands of every magnitude (up to the edge of `i128`), for
        /// the SCALE divisor, small divisors and any divisor.
        #[test]
        fn fast_paths_equal_the_wide_path(
            a in prop_oneof![any::<i128>(), any::<i64>().prop_map(i128::from), (-1i128 << 100)..(1i128 << 100)],
            b in prop_oneof![any::<i128>(), any::<i64>().prop_map(i128::from), -SCALE * 1000..SCALE * 1000],
            c in prop_oneof![Just(SCALE), Just(-SCALE), any::<i64>().prop_map(i128::from), any::<i128>()]
                .prop_filter("nz", |c| *c != 0),
            up in any::<bool>(),
        ) {
            let round = if up { Round::Ceil } else { Round::Floor };
            prop_assert_eq!(mul_div(a, b, c, round), mul_div_wide(a, b, c, round));
        }

        /// Dividing by SCALE by multiplication equals the 128-bit division,
        /// on every magnitude and at the edges of `i128`.
        #[test]
        fn scale_division_is_exact(
            p in prop_oneof![any::<i128>(), Just(i128::MIN), Just(i128::MAX), Just(i128::MIN + 1),
                (-1000i128..1000).prop_map(|k| k * SCALE), (-1000i128..1000).prop_map(|k| k * SCALE + 1),
                (-1000i128..1000).prop_map(|k| k * SCALE - 1),
                // Products of two `i64`s (sizes × prices): the two-step
                // path below 10^12 · 2^64, the four-step one above it.
                (any::<i64>(), any::<i64>()).prop_map(|(a, b)| i128::from(a) * i128::from(b)),
                (any::<i64>(), -1i128..=1).prop_map(|(q, r)| i128::from(q) * SCALE + r),
                (any::<u64>(), -1i128..=1).prop_map(|(q, r)| i128::from(q) * SCALE + r),
                Just(i128::from(u64::MAX) * SCALE + SCALE - 1), Just(i128::from(u64::MAX) * SCALE + SCALE),
                Just((1i128 << 76) * 244_140_625 - 1), Just((1i128 << 76) * 244_140_625)],
            up in any::<bool>(),
        ) {
            let round = if up { Round::Ceil } else { Round::Floor };
            prop_assert_eq!(Ok(div_round_scale(p, round)), div_round(p, SCALE, round));
        }

        #[test]
        fn wide_is_inverse_of_multiplication(a in any::<i128>(), k in 1i128..1_000_000_000_000) {
            // (a·k)/k == a whenever the call succeeds: no silent wrap.
            if let Ok(x) = mul_div(a, k, k, Round::Floor) { prop_assert_eq!(x, a); }
            else { prop_assert!(false, "a·k/k must not overflow"); }
        }
    }
}
