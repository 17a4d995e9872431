//! `Ray`: a pure number at 27 decimals, for interest rates and lending
//! indices (Aave's RAY). Rates per second are tiny (5 % a year is 1.6e-9
//! per second), so they need more digits than the 12 of the value types.

use crate::decimal::{parse_raw, ParseError};
use crate::fixed::{mul_div, Round, SCALE};
use crate::units::{Base, Ratio};
use crate::MathError;
use std::fmt;
use std::str::FromStr;

/// Raw value of 1 at 27 decimals.
pub const RAY: i128 = 1_000_000_000_000_000_000_000_000_000;
/// Seconds in the year used by Aave's rate math (365 days).
pub const SECONDS_PER_YEAR: i128 = 31_536_000;

/// A pure number at 27 decimals (rates, indices).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ray(i128);

impl Ray {
    pub const ZERO: Ray = Ray(0);
    pub const ONE: Ray = Ray(RAY);

    /// From a raw integer at 27 decimals.
    pub const fn from_raw(raw: i128) -> Ray {
        Ray(raw)
    }
    /// The raw integer at 27 decimals.
    pub const fn raw(self) -> i128 {
        self.0
    }
    /// A 12-decimal ratio widened exactly; a ratio beyond ≈1.7e11 does not
    /// fit at 27 decimals ([`MathError::Overflow`]).
    pub fn from_ratio(r: Ratio) -> Result<Ray, MathError> {
        r.raw()
            .checked_mul(RAY / SCALE)
            .map(Ray)
            .ok_or(MathError::Overflow)
    }
    /// Narrowed to a 12-decimal ratio, rounded as asked.
    pub fn to_ratio(self, round: Round) -> Result<Ratio, MathError> {
        mul_div(self.0, 1, RAY / SCALE, round).map(Ratio::from_raw)
    }
    pub fn checked_add(self, o: Ray) -> Result<Ray, MathError> {
        self.0.checked_add(o.0).map(Ray).ok_or(MathError::Overflow)
    }
    pub fn checked_sub(self, o: Ray) -> Result<Ray, MathError> {
        self.0.checked_sub(o.0).map(Ray).ok_or(MathError::Overflow)
    }
    /// `self × o` (Aave `rayMul`, with an explicit direction).
    pub fn mul(self, o: Ray, round: Round) -> Result<Ray, MathError> {
        mul_div(self.0, o.0, RAY, round).map(Ray)
    }
    /// `self ÷ o` (Aave `rayDiv`, with an explicit direction).
    pub fn div(self, o: Ray, round: Round) -> Result<Ray, MathError> {
        mul_div(self.0, RAY, o.0, round).map(Ray)
    }
    /// `self × n` for an integer `n` (e.g. seconds).
    pub fn mul_int(self, n: i128) -> Result<Ray, MathError> {
        self.0.checked_mul(n).map(Ray).ok_or(MathError::Overflow)
    }
    /// `self ÷ n` for an integer `n`, rounded as asked.
    pub fn div_int(self, n: i128, round: Round) -> Result<Ray, MathError> {
        crate::fixed::div_round(self.0, n, round).map(Ray)
    }
    /// `amount × self`: a scaled balance to an actual one.
    pub fn scale_up(self, amount: Base, round: Round) -> Result<Base, MathError> {
        mul_div(amount.raw(), self.0, RAY, round).map(Base::from_raw)
    }
    /// `amount ÷ self`: an actual balance to a scaled one.
    pub fn scale_down(self, amount: Base, round: Round) -> Result<Base, MathError> {
        mul_div(amount.raw(), RAY, self.0, round).map(Base::from_raw)
    }
    /// Parses `[-]int[.frac]` with up to 27 decimals exactly.
    pub fn parse_exact(s: &str) -> Option<Ray> {
        let (neg, body) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty()
            || frac.len() > 27
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let int: i128 = int.parse().ok()?;
        let frac_val: i128 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<27}").parse().ok()?
        };
        let raw = int.checked_mul(RAY)?.checked_add(frac_val)?;
        Some(Ray(if neg { -raw } else { raw }))
    }
    /// Lossy, for statistics and plots only.
    pub fn to_f64_lossy(self) -> f64 {
        crate::fixed::raw_to_f64(self.0) / RAY as f64
    }
}

impl fmt::Display for Ray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (int, frac) = (abs / RAY as u128, abs % RAY as u128);
        if frac == 0 {
            return write!(f, "{sign}{int}");
        }
        let digits = format!("{frac:027}");
        write!(f, "{sign}{int}.{}", digits.trim_end_matches('0'))
    }
}

impl serde::Serialize for Ray {
    /// As an exact decimal string with up to 27 decimals.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Ray {
    /// From the exact decimal string `Display` writes (up to 27 decimals).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ray::parse_exact(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not a 27-decimal number: {s:?}")))
    }
}

impl FromStr for Ray {
    type Err = ParseError;
    /// Exact parsing; digits beyond 12 decimals are an error (input rates
    /// are given at most to 12 decimals; the extra precision is for results).
    fn from_str(s: &str) -> Result<Ray, ParseError> {
        parse_raw(s)?
            .checked_mul(RAY / SCALE)
            .map(Ray)
            .ok_or_else(|| ParseError::OutOfRange(s.trim().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_is_checked() {
        assert_eq!(
            Ray::from_ratio("0.05".parse().unwrap()),
            Ok(Ray::from_raw(RAY / 20))
        );
        assert_eq!(Ray::from_ratio(Ratio::MAX), Err(MathError::Overflow));
        assert_eq!(
            Ray::from_ratio(Ratio::from_raw(i128::MIN)),
            Err(MathError::Overflow)
        );
        assert!(matches!(
            "1e20".parse::<Ray>(),
            Err(ParseError::OutOfRange(_))
        ));
        assert_eq!("-2.5".parse::<Ray>(), Ok(Ray::from_raw(-5 * RAY / 2)));
    }

    #[test]
    fn ray_math_rounds_as_asked() {
        let third = Ray::ONE.div_int(3, Round::Floor).unwrap();
        assert_eq!(third.to_string(), "0.333333333333333333333333333");
        assert_eq!(
            Ray::ONE.div_int(3, Round::Ceil).unwrap().to_string(),
            "0.333333333333333333333333334"
        );
        assert_eq!(
            third
                .mul(Ray::from_raw(3 * RAY), Round::Floor)
                .unwrap()
                .to_string(),
            "0.999999999999999999999999999"
        );
        let amount: Base = "100".parse().unwrap();
        let index: Ray = "1.05".parse().unwrap();
        assert_eq!(
            index.scale_up(amount, Round::Floor).unwrap(),
            "105".parse().unwrap()
        );
        assert_eq!(
            index
                .scale_down("105".parse().unwrap(), Round::Floor)
                .unwrap(),
            amount
        );
        assert_eq!(
            "0.05"
                .parse::<Ray>()
                .unwrap()
                .to_ratio(Round::Floor)
                .unwrap(),
            "0.05".parse().unwrap()
        );
    }
}
