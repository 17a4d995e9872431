//! Value types: one newtype per unit, all at [`SCALE`] (12 decimals).
//!
//! | type    | meaning                                         | example            |
//! |---------|-------------------------------------------------|--------------------|
//! | `Quote` | an amount of the quote currency (USD, USDT)     | equity, PnL, fees  |
//! | `Base`  | a quantity of some asset (BTC, ETH, USDC units) | size, collateral   |
//! | `Price` | quote per one unit of an asset                  | mark, entry        |
//! | `Ratio` | a pure number                                   | rates, leverage, HF|
//!
//! 12 decimals hold a 1e-8 BTC size with room to spare, and `i128` holds
//! values up to ≈1.7e26, so a 1e12 USD notional is far from the edge; the
//! product of two values (24 decimals) stays in `i128` up to ≈1.7e14 and
//! goes through a 256-bit intermediate beyond that. Cross-unit arithmetic
//! exists only as named functions that take a [`Round`].

use crate::decimal::{parse_raw, Canonical, ParseError};
use crate::fixed::{mul_div, Round, SCALE};
use crate::MathError;
use std::fmt;
use std::str::FromStr;

macro_rules! unit {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i128);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0);
            /// One whole unit.
            pub const ONE: Self = Self(SCALE);
            /// The smallest positive step (1e-12).
            pub const TICK: Self = Self(1);
            /// The largest value.
            pub const MAX: Self = Self(i128::MAX);

            /// From a raw integer at [`SCALE`].
            #[inline]
            pub const fn from_raw(raw: i128) -> Self { Self(raw) }
            /// The raw integer at [`SCALE`].
            #[inline]
            pub const fn raw(self) -> i128 { self.0 }
            /// From a whole number of units.
            pub fn from_int(n: i64) -> Self { Self(n as i128 * SCALE) }
            /// Checked sum.
            #[inline]
            pub fn checked_add(self, o: Self) -> Result<Self, MathError> {
                self.0.checked_add(o.0).map(Self).ok_or(MathError::Overflow)
            }
            /// Checked difference.
            #[inline]
            pub fn checked_sub(self, o: Self) -> Result<Self, MathError> {
                self.0.checked_sub(o.0).map(Self).ok_or(MathError::Overflow)
            }
            /// Checked negation.
            #[inline]
            pub fn checked_neg(self) -> Result<Self, MathError> {
                self.0.checked_neg().map(Self).ok_or(MathError::Overflow)
            }
            /// Absolute value (checked).
            #[inline]
            pub fn checked_abs(self) -> Result<Self, MathError> {
                self.0.checked_abs().map(Self).ok_or(MathError::Overflow)
            }
            /// `self × r`, rounded as asked.
            #[inline]
            pub fn mul_ratio(self, r: Ratio, round: Round) -> Result<Self, MathError> {
                mul_div(self.0, r.0, SCALE, round).map(Self)
            }
            /// `self ÷ r`, rounded as asked.
            #[inline]
            pub fn div_ratio(self, r: Ratio, round: Round) -> Result<Self, MathError> {
                mul_div(self.0, SCALE, r.0, round).map(Self)
            }
            /// `self ÷ other` as a pure number, rounded as asked.
            #[inline]
            pub fn ratio_to(self, other: Self, round: Round) -> Result<Ratio, MathError> {
                mul_div(self.0, SCALE, other.0, round).map(Ratio)
            }
            /// Whether the value is > 0.
            #[inline]
            pub fn is_positive(self) -> bool { self.0 > 0 }
            /// Whether the value is < 0.
            #[inline]
            pub fn is_negative(self) -> bool { self.0 < 0 }
            /// Whether the value is 0.
            #[inline]
            pub fn is_zero(self) -> bool { self.0 == 0 }
            /// From an `f64`, rounded as asked at 12 decimals; exact for values
            /// the float holds exactly. NaN/±∞ and out-of-range values are errors
            /// (see [`crate::from_f64`]). For model outputs (prices, returns,
            /// agents' sizes), never for balances read from input.
            pub fn from_f64(x: f64, round: Round) -> Result<Self, MathError> {
                crate::fixed::from_f64(x, round).map(Self)
            }
            /// Lossy conversion for statistics and plots only, never for accounting.
            #[inline]
            pub fn to_f64_lossy(self) -> f64 { crate::fixed::raw_to_f64(self.0) / SCALE as f64 }
        }

        impl fmt::Display for $name {
            /// Canonical decimal: no exponent, no trailing zeros.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&Canonical(self.0), f)
            }
        }

        impl serde::Serialize for $name {
            /// As an exact decimal string (`"1.5"`).
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut buf = [0; 48];
                let text = Canonical(self.0).text(&mut buf).map_err(serde::ser::Error::custom)?;
                s.serialize_str(text)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            /// From an exact decimal string.
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            /// Exact decimal parsing; more than 12 decimals is an error.
            fn from_str(s: &str) -> Result<Self, ParseError> { parse_raw(s).map(Self) }
        }
    };
}

unit!(
    /// An amount of the quote currency (USD / USDT / USDC), 12 decimals.
    Quote
);
unit!(
    /// A quantity of an asset in its own units (signed size of a position, or
    /// a collateral / debt amount), 12 decimals.
    Base
);
unit!(
    /// Quote currency per one unit of an asset, 12 decimals.
    Price
);
unit!(
    /// A pure number: rates, weights, leverage, health factor; 12 decimals.
    Ratio
);

impl Base {
    /// Value of this quantity at `price`: `size × price` (signed).
    #[inline]
    pub fn value_at(self, price: Price, round: Round) -> Result<Quote, MathError> {
        mul_div(self.0, price.0, SCALE, round).map(Quote)
    }
}

impl Quote {
    /// Quantity worth `self` at `price`: `self ÷ price`.
    #[inline]
    pub fn base_at(self, price: Price, round: Round) -> Result<Base, MathError> {
        mul_div(self.0, SCALE, price.0, round).map(Base)
    }

    /// Price at which `size` is worth `self`: `self ÷ size`.
    #[inline]
    pub fn per_unit(self, size: Base, round: Round) -> Result<Price, MathError> {
        mul_div(self.0, SCALE, size.0, round).map(Price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d<T: FromStr>(s: &str) -> T
    where
        T::Err: std::fmt::Debug,
    {
        s.parse().expect("test literal")
    }

    #[test]
    fn cross_unit_math_is_exact() -> Result<(), MathError> {
        let q = d::<Quote>;
        let tiny: Base = d("0.00000001");
        assert_eq!(
            tiny.value_at(d("123456.78"), Round::Floor)?,
            q("0.0012345678")
        );
        let big: Base = d("10000000");
        assert_eq!(big.value_at(d("100000"), Round::Ceil)?, q("1000000000000"));
        assert_eq!(
            q("1000000000000").mul_ratio(d("0.004"), Round::Ceil)?,
            q("4000000000")
        );
        assert_eq!(q("1").div_ratio(d("3"), Round::Floor)?, q("0.333333333333"));
        assert_eq!(q("1").div_ratio(d("3"), Round::Ceil)?, q("0.333333333334"));
        assert_eq!(
            Quote::MAX.checked_add(Quote::TICK),
            Err(MathError::Overflow)
        );
        assert_eq!(
            Quote::MAX.mul_ratio(d("2"), Round::Floor),
            Err(MathError::Overflow)
        );
        Ok(())
    }

    proptest! {
        #[test]
        fn addition_is_associative_when_defined(a in any::<i128>(), b in any::<i128>(), c in any::<i128>()) {
            let (a, b, c) = (Quote::from_raw(a), Quote::from_raw(b), Quote::from_raw(c));
            if let (Ok(l), Ok(r)) = (a.checked_add(b).and_then(|x| x.checked_add(c)), b.checked_add(c).and_then(|x| a.checked_add(x))) {
                prop_assert_eq!(l, r);
            }
        }

        #[test]
        fn value_floor_le_ceil_and_sign(size in -1_000_000_000_000_000_000i128..1_000_000_000_000_000_000, price in 1i128..1_000_000_000_000_000_000) {
            let (s, p) = (Base::from_raw(size), Price::from_raw(price));
            let lo = s.value_at(p, Round::Floor).unwrap();
            let hi = s.value_at(p, Round::Ceil).unwrap();
            prop_assert!(lo <= hi && hi.raw() - lo.raw() <= 1);
            prop_assert_eq!(lo.is_negative() || lo.is_zero(), size <= 0);
        }
    }
}
