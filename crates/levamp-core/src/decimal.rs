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
    match plain(text.trim()) {
        Some(v) => Ok(v),
        None => parse_general(text),
    }
}

/// The common case without an allocation: `[-]int[.frac]` with at most 18
/// integer and [`DECIMALS`] fractional digits, in 64-bit arithmetic (exact:
/// both parts fit, and `int · SCALE + frac` fits an i128). `None` for
/// anything else, which [`parse_general`] then reads (or refuses).
fn plain(s: &str) -> Option<i128> {
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = match s.find('.') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    if int.len() > 18 || frac.len() > DECIMALS as usize || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    let digits = |part: &str| -> Option<u64> {
        part.bytes().try_fold(0u64, |v, b| {
            b.is_ascii_digit().then(|| v * 10 + u64::from(b - b'0'))
        })
    };
    let (i, f) = (digits(int)?, digits(frac)?);
    let f = f * 10u64.pow(DECIMALS - frac.len() as u32);
    let v = i128::from(i) * SCALE + i128::from(f);
    Some(if negative { -v } else { v })
}

/// [`parse_raw`]'s general reader (exponents, long digit strings, the errors).
fn parse_general(text: &str) -> Result<i128, ParseError> {
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

impl Canonical {
    /// The text, written into `buf` (no allocation: outputs print
    /// millions).
    pub fn text(self, buf: &mut [u8; 48]) -> Result<&str, fmt::Error> {
        // Sign, at most 27 integer digits (|i128| < 1.8e38), point, 12 decimals.
        let mut at = buf.len();
        let abs = self.0.unsigned_abs();
        let (int, frac) = match u64::try_from(abs) {
            Ok(a) => (u128::from(a / SCALE as u64), a % SCALE as u64),
            Err(_) => (abs / SCALE as u128, (abs % SCALE as u128) as u64),
        };
        if frac != 0 {
            // The twelve decimals, trailing zeros dropped.
            let mut digits = frac;
            let mut n = DECIMALS;
            while digits % 10 == 0 {
                digits /= 10;
                n -= 1;
            }
            for _ in 0..n {
                at -= 1;
                buf[at] = b'0' + (digits % 10) as u8;
                digits /= 10;
            }
            at -= 1;
            buf[at] = b'.';
        }
        let mut int = int;
        loop {
            at -= 1;
            buf[at] = b'0' + (int % 10) as u8;
            int /= 10;
            if int == 0 {
                break;
            }
        }
        if self.0 < 0 {
            at -= 1;
            buf[at] = b'-';
        }
        // Only ASCII digits, '.' and '-' were written: always UTF-8.
        std::str::from_utf8(&buf[at..]).map_err(|_| fmt::Error)
    }
}

impl fmt::Display for Canonical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Canonical(self.0).text(&mut [0; 48])?)
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
        /// The allocation-free reader agrees with the general one on every
        /// plain decimal it takes (and leaves the rest to it).
        #[test]
        fn plain_agrees_with_general(
            sign in prop::sample::select(vec!["", "-", "+"]),
            int in "[0-9]{0,19}",
            frac in prop::option::of("[0-9]{0,13}"),
        ) {
            let text = match &frac {
                Some(f) => format!("{sign}{int}.{f}"),
                None => format!("{sign}{int}"),
            };
            prop_assert_eq!(parse_raw(&text), parse_general(&text));
        }

        #[test]
        fn display_then_parse_round_trips(v in any::<i128>().prop_filter("no MIN", |v| *v != i128::MIN)) {
            prop_assert_eq!(parse_raw(&Canonical(v).to_string()), Ok(v));
        }
    }
}
