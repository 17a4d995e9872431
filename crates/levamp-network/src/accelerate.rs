//! A certified upper bound on the payments of the defaulted set: the speed
//! of the fictitious-default rounds without trusting a float.
//!
//! With the defaulted set `D` and every other node paying in full, a node
//! `i ∈ D` at the greatest clearing vector `p*` pays at most
//!
//! ```text
//! ψ_i(y) = ⌊α_i e_i⌋ + β_i (c_i + Σ_{j∈D} y_j L_ji / p̄_j),   c_i = Σ_{j∉D} L_ji,
//! ```
//!
//! so `p*_D ≤ ψ(p*_D)`. We solve `y = ψ(y)` in `f64` (Gauss–Seidel), round
//! up with a margin to integers `u`, and check in exact integer arithmetic
//! (every term rounded up) that `u_i > ψ_i(u)` for every `i ∈ D`. Then
//! `u > ψ(u) ≥ βA·u` with `u > 0` proves the spectral radius of `βA` is
//! below 1 (Collatz–Wielandt), so `ψ^k(x)` converges to the unique `y*`
//! from every start: `u ≥ y* ≥ p*_D`. A bound that fails the check is not
//! used; the exact descent then does all the work. Only pari passu: under
//! external seniority `ψ` is not affine.

use crate::liabilities::Liabilities;
use levamp_core::{from_f64, mul_div, Ratio, Round, SCALE};

/// Gauss–Seidel sweeps at most.
const MAX_SWEEPS: usize = 20_000;
/// Multiply-adds at most (bounds the time spent on a bound).
const MAX_WORK: usize = 200_000_000;

/// Upper bounds on the payments of `defaulted` (in that order), or `None`
/// when the float solve or the exact check fails.
pub(crate) fn upper_bound(
    liab: &Liabilities,
    floor_alpha_e: &[i128],
    beta: &[Ratio],
    defaulted: &[usize],
    in_default: &[bool],
    z: &[i128],
) -> Option<Vec<i128>> {
    if liab.senior || defaulted.is_empty() {
        return None;
    }
    let n = liab.len();
    let d = defaulted.len();
    let mut pos = vec![usize::MAX; n];
    for (k, &i) in defaulted.iter().enumerate() {
        pos[i] = k;
    }
    // c_i (exact) and the in-edges from D into D (CSR by creditor).
    let mut c = vec![0i128; d];
    let mut count = vec![0usize; d + 1];
    for j in 0..n {
        for e in liab.row(j) {
            let k = pos[liab.creditor[e]];
            if k == usize::MAX {
                continue;
            }
            if in_default[j] {
                count[k + 1] += 1;
            } else {
                c[k] = c[k].checked_add(liab.amount[e])?;
            }
        }
    }
    for k in 0..d {
        count[k + 1] += count[k];
    }
    let mut next = count.clone();
    let mut from = vec![0usize; count[d]];
    let mut amount = vec![0i128; count[d]];
    let mut weight = vec![0f64; count[d]];
    for &j in defaulted {
        for e in liab.row(j) {
            let k = pos[liab.creditor[e]];
            if k == usize::MAX {
                continue;
            }
            let slot = next[k];
            next[k] += 1;
            from[slot] = pos[j];
            amount[slot] = liab.amount[e];
            weight[slot] = liab.amount[e] as f64 / liab.total[j] as f64;
        }
    }
    let units = |raw: i128| raw as f64 / SCALE as f64;
    let beta_f: Vec<f64> = defaulted.iter().map(|&i| beta[i].to_f64_lossy()).collect();
    let b: Vec<f64> = (0..d)
        .map(|k| units(floor_alpha_e[defaulted[k]]) + beta_f[k] * units(c[k]))
        .collect();
    let mut y: Vec<f64> = defaulted.iter().map(|&i| units(z[i])).collect();
    let mut work = 0usize;
    for _ in 0..MAX_SWEEPS {
        let mut change = 0f64;
        for k in 0..d {
            let mut sum = 0f64;
            for slot in count[k]..count[k + 1] {
                sum += weight[slot] * y[from[slot]];
            }
            let v = b[k] + beta_f[k] * sum;
            change = change.max((v - y[k]).abs() / v.abs().max(1.0));
            y[k] = v;
        }
        work += count[d] + d;
        if !change.is_finite() || work > MAX_WORK {
            return None;
        }
        if change < 1e-15 {
            break;
        }
    }
    for margin in [1e-11, 1e-7] {
        let u: Option<Vec<i128>> = y
            .iter()
            .map(|&v| Some(from_f64(v * (1.0 + margin), Round::Ceil).ok()?.max(0) + 1))
            .collect();
        let u = u?;
        if certified(
            liab,
            floor_alpha_e,
            beta,
            defaulted,
            &c,
            &count,
            &from,
            &amount,
            &u,
        ) {
            return Some(u);
        }
    }
    None
}

/// Whether `u_k > ψ_k(u)` for every node of `defaulted`, every term of
/// `ψ` rounded up.
#[allow(clippy::too_many_arguments)]
fn certified(
    liab: &Liabilities,
    floor_alpha_e: &[i128],
    beta: &[Ratio],
    defaulted: &[usize],
    c: &[i128],
    count: &[usize],
    from: &[usize],
    amount: &[i128],
    u: &[i128],
) -> bool {
    let check = || -> Option<bool> {
        for (k, &i) in defaulted.iter().enumerate() {
            let mut acc = c[k];
            for slot in count[k]..count[k + 1] {
                let j = defaulted[from[slot]];
                let term = mul_div(u[from[slot]], amount[slot], liab.total[j], Round::Ceil).ok()?;
                acc = acc.checked_add(term)?;
            }
            let recovered = mul_div(acc, beta[i].raw(), SCALE, Round::Ceil).ok()?;
            if floor_alpha_e[i].checked_add(recovered)? >= u[k] {
                return Some(false);
            }
        }
        Some(true)
    };
    check().unwrap_or(false)
}
