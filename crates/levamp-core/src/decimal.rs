//! Exact decimal text ⇄ raw fixed-point conversion. No float ever: `"0.1"`
//! is exactly `100_000_000_000` raw.

use crate::fixed::{DECIMALS, SCALE};
use std::fmt;

/// Why a decimal string could not become a fixed-point value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not a decimal number: {0:?}")]
    Invalid(String),
    #[error("{value} has more than {max} decimal places (the fixed-point scale); round it first")]
    TooManyDecimals { value: String, max: u32 },
    #[error("{0} is out of range (at most about 1.7e26)")]
    OutOfRange(String),
}

/// Parses `[-+]digits[.digits][e[-+]digits]` exactly into a raw value at
/// [`SCALE`]. Digits beyond the scale are an error unless they are zeros.
pub fn parse_raw(text: &str) -> Result<i128, ParseError> {
    let invalid = || ParseError::Invalid(text.to_string());
    let s = text.trim();
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => {
            let e: i32 = s[i + 1..].parse().map_err(|_| invalid())?;
            (&s[..i], e)
        }
        None => (s, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(invalid());
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    // value = digits · 10^(exponent − frac_len); we want digits · 10^(DECIMALS + exponent − frac_len)
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    let shift = DECIMALS as i64 + exponent as i64 - frac_part.len() as i64;
    let (digits, shift) = if shift < 0 {
        // Dropping digits: allowed only if they are zeros.
        let drop = (-shift) as usize;
        if digits.len() > drop {
            let (keep, dropped) = digits.split_at(digits.len() - drop);
            if dropped.bytes().any(|b| b != b'0') {
                return Err(ParseError::TooManyDecimals {
                    value: text.trim().to_string(),
                    max: DECIMALS,
                });
            }
            (keep, 0)
        } else {
            if digits.bytes().any(|b| b != b'0') {
                return Err(ParseError::TooManyDecimals {
                    value: text.trim().to_string(),
                    max: DECIMALS,
                });
            }
            ("", 0)
        }
    } else {
        (digits, shift as u32)
    };
    let out_of_range = || ParseError::OutOfRange(text.trim().to_string());
    if digits.len() as u64 + shift as u64 > 39 {
        return Err(out_of_range());
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((b - b'0') as i128))
            .ok_or_else(out_of_range)?;
    }
    v = v
        .checked_mul(10i128.checked_pow(shift).ok_or_else(out_of_range)?)
        .ok_or_else(out_of_range)?;
    Ok(if negative { -v } else { v })
}

/// Canonical decimal text of a raw value: no exponent, no trailing zeros,
/// no trailing point (`1.5`, `100`, `-0.000000000001`).
pub struct Canonical(pub i128);

impl fmt::Display for Canonical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        let sign = if v < 0 { "-" } else { "" };
        let abs = v.unsigned_abs();
        let int = abs / SCALE as u128;
        let frac = abs % SCALE as u128;
        if frac == 0 {
            write!(f, "{sign}{int}")
        } else {
            let digits = format!("{:0width$}", frac, width = DECIMALS as usize);
            write!(f, "{sign}{int}.{}", digits.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_raw("0.1"), Ok(100_000_000_000));
        assert_eq!(parse_raw("1"), Ok(SCALE));
        assert_eq!(parse_raw("-2.5"), Ok(-2_500_000_000_000));
        assert_eq!(parse_raw("1e3"), Ok(1000 * SCALE));
        assert_eq!(parse_raw("1.5E-3"), Ok(1_500_000_000));
        assert_eq!(parse_raw("0.000000000001"), Ok(1));
        assert_eq!(parse_raw("0.0000000000010"), Ok(1));
        assert_eq!(parse_raw("30000.0"), Ok(30_000 * SCALE));
        assert!(matches!(
            parse_raw("0.0000000000001"),
            Err(ParseError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            parse_raw("1e-13"),
            Err(ParseError::TooManyDecimals { .. })
        ));
        assert!(matches!(parse_raw("1e40"), Err(ParseError::OutOfRange(_))));
        assert!(matches!(parse_raw("NaN"), Err(ParseError::Invalid(_))));
        assert!(matches!(parse_raw(""), Err(ParseError::Invalid(_))));
        assert!(matches!(parse_raw("1.2.3"), Err(ParseError::Invalid(_))));
        assert!(matches!(parse_raw("."), Err(ParseError::Invalid(_))));
    }

    #[test]
    fn prints_canonically() {
        assert_eq!(Canonical(100_000_000_000).to_string(), "0.1");
        assert_eq!(Canonical(-1).to_string(), "-0.000000000001");
        assert_eq!(Canonical(1500 * SCALE).to_string(), "1500");
        assert_eq!(Canonical(0).to_string(), "0");
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(v in any::<i128>().prop_filter("no MIN", |v| *v != i128::MIN)) {
            prop_assert_eq!(parse_raw(&Canonical(v).to_string()), Ok(v));
        }
    }
}
