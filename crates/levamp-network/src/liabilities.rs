//! The liability structure of a network as the clearing reads it: each
//! node's obligations by creditor (sparse rows), its interbank and external
//! liabilities, and the one rounded payment rule ([`Liabilities::share`]).

use crate::model::{Network, Seniority};
use levamp_core::{mul_div, MathError, Round};

/// Obligations grouped by debtor (compressed rows), in raw units at 12
/// decimals.
pub(crate) struct Liabilities {
    /// Row `j` is `start[j]..start[j + 1]` of `creditor` / `amount`.
    pub start: Vec<usize>,
    /// Creditor of each obligation.
    pub creditor: Vec<usize>,
    /// Face value `L_ji` of each obligation.
    pub amount: Vec<i128>,
    /// `L_j = Σ_i L_ji`: what node `j` owes other nodes.
    pub interbank: Vec<i128>,
    /// `x_j`: what node `j` owes outside the network.
    pub external: Vec<i128>,
    /// `p̄_j = L_j + x_j`: the total obligations of node `j`.
    pub total: Vec<i128>,
    /// External creditors are paid first.
    pub senior: bool,
}

impl Liabilities {
    /// The rows of `net`; sums are checked.
    pub fn of(net: &Network) -> Result<Liabilities, MathError> {
        let n = net.nodes.len();
        let mut start = vec![0usize; n + 1];
        for o in &net.obligations {
            start[o.debtor + 1] += 1;
        }
        for j in 0..n {
            start[j + 1] += start[j];
        }
        let m = net.obligations.len();
        let mut creditor = vec![0usize; m];
        let mut amount = vec![0i128; m];
        let mut next = start.clone();
        let mut interbank = vec![0i128; n];
        for o in &net.obligations {
            let e = next[o.debtor];
            next[o.debtor] += 1;
            creditor[e] = o.creditor;
            amount[e] = o.amount.raw();
            interbank[o.debtor] = interbank[o.debtor]
                .checked_add(o.amount.raw())
                .ok_or(MathError::Overflow)?;
        }
        let external: Vec<i128> = net
            .nodes
            .iter()
            .map(|n| n.external_liabilities.raw())
            .collect();
        let total = interbank
            .iter()
            .zip(&external)
            .map(|(l, x)| l.checked_add(*x).ok_or(MathError::Overflow))
            .collect::<Result<_, _>>()?;
        Ok(Liabilities {
            start,
            creditor,
            amount,
            interbank,
            external,
            total,
            senior: net.seniority == Seniority::ExternalSenior,
        })
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.total.len()
    }

    /// The obligations of debtor `j`, as indices into `creditor` / `amount`.
    #[inline]
    pub fn row(&self, j: usize) -> std::ops::Range<usize> {
        self.start[j]..self.start[j + 1]
    }

    /// What `j` pays others before its interbank creditors: `x_j` under
    /// external seniority, 0 pari passu.
    #[inline]
    pub fn offset(&self, j: usize) -> i128 {
        if self.senior {
            self.external[j]
        } else {
            0
        }
    }

    /// What interbank shares are pro rata to: `L_j` under external
    /// seniority, `p̄_j` pari passu.
    #[inline]
    pub fn denominator(&self, j: usize) -> i128 {
        if self.senior {
            self.interbank[j]
        } else {
            self.total[j]
        }
    }

    /// What the creditor of obligation `e` (owed by `j`) receives when `j`
    /// pays `payment` in total, rounded down (a creditor's receipt rounds
    /// against it):
    /// - pari passu: `⌊payment · L_ji / p̄_j⌋`;
    /// - external senior: `⌊(payment − x_j)⁺ · L_ji / L_j⌋`.
    ///
    /// Both are `L_ji` exactly when `payment = p̄_j`, and non-decreasing in
    /// `payment` (what makes the clearing map monotone).
    #[inline]
    pub fn share(&self, j: usize, e: usize, payment: i128) -> Result<i128, MathError> {
        if payment == self.total[j] {
            return Ok(self.amount[e]);
        }
        if self.senior {
            let free = payment.saturating_sub(self.external[j]).max(0);
            floor_mul_div(free, self.amount[e], self.interbank[j])
        } else {
            floor_mul_div(payment, self.amount[e], self.total[j])
        }
    }
}

/// `⌊a · b / c⌋` for `a, b ≥ 0` and `c > 0`, exactly: a floating-point
/// estimate of the quotient corrected by exact `i128` products until
/// `0 ≤ a·b − q·c < c` (the definition of the floor), or [`mul_div`] when
/// the product or the quotient is too large for that. The estimate is
/// within a few units of the quotient (relative error ≈ 3·2⁻⁵³, quotient
/// below 2⁶²), so the correction takes a step or two; it avoids the
/// 128-bit division, the cost of the clearing's inner loop.
#[inline]
pub(crate) fn floor_mul_div(a: i128, b: i128, c: i128) -> Result<i128, MathError> {
    if let Some(product) = a.checked_mul(b) {
        let estimate = to_f64(a) * to_f64(b) / to_f64(c);
        if (0.0..4.0e18).contains(&estimate) {
            let mut q = estimate as i128;
            if let Some(qc) = q.checked_mul(c) {
                let mut rem = product - qc;
                for _ in 0..64 {
                    if rem < 0 {
                        q -= 1;
                        rem += c;
                    } else if rem >= c {
                        q += 1;
                        rem -= c;
                    } else {
                        return Ok(q);
                    }
                }
            }
        }
    }
    mul_div(a, b, c, Round::Floor)
}

/// `x as f64` through `i64` when it fits: the same value (both round to
/// nearest), without the slow software conversion of an `i128`.
#[inline]
pub(crate) fn to_f64(x: i128) -> f64 {
    match i64::try_from(x) {
        Ok(x) => x as f64,
        Err(_) => x as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The fast floor division equals the exact one on every magnitude.
        #[test]
        fn floor_mul_div_is_exact(
            a in prop_oneof![0i128..1_000_000, 0i128..(1i128 << 60), 0i128..(1i128 << 100)],
            b in prop_oneof![0i128..1_000_000, 0i128..(1i128 << 60), 0i128..(1i128 << 90)],
            c in prop_oneof![1i128..1_000, 1i128..(1i128 << 60), 1i128..(1i128 << 110)],
        ) {
            prop_assert_eq!(floor_mul_div(a, b, c).ok(), mul_div(a, b, c, Round::Floor).ok());
        }

        /// The conversion through `i64` is the `i128` one, bit for bit.
        #[test]
        fn to_f64_is_the_i128_conversion(
            x in prop_oneof![-(1i128 << 62)..(1i128 << 62), i128::MIN..i128::MAX],
        ) {
            prop_assert_eq!(to_f64(x).to_bits(), (x as f64).to_bits());
        }
    }
}
