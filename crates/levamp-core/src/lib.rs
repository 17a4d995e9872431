//! levamp-core: the exact value types every other levamp crate computes with.
//!
//! Money never touches `f64`: every amount is an `i128` at 12 decimals
//! ([`SCALE`]), every product or quotient goes through [`mul_div`] with an
//! explicit [`Round`], and overflow is a [`MathError`], never a wrap or panic.
//! Decimal text parses exactly (`"0.1"` is exactly one tenth) and prints
//! canonically.

mod decimal;
mod fixed;
mod ray;
mod units;

pub use decimal::{parse_raw, Canonical, ParseError};
pub use fixed::{div_round, from_f64, mul_div, Round, DECIMALS, SCALE};
pub use ray::{Ray, RAY, SECONDS_PER_YEAR};
pub use units::{Base, Price, Quote, Ratio};

/// An arithmetic failure. Callers attach context (which account, which field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MathError {
    #[error("arithmetic overflow")]
    Overflow,
    #[error("division by zero")]
    DivisionByZero,
    /// A float that is NaN or infinite where a number was expected.
    #[error("not a finite number (NaN or infinite)")]
    NotFinite,
}
