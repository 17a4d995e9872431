//! A certified upper bound on the payments of the defaulted set: the speed
//! of the fictitious-default rounds without trusting a float.
//!
//! With the defaulted set `D` and every other node paying in full, a node
//! `i ∈ D` at the greatest clearing vector `p*` pays at most
//!
//! ```text
//! ψ_i(y) = ⌊α_i e_i⌋ + β_i (c_i + Σ_{j∈D} (y_j − o_j)⁺ L_ji / d_j),   c_i = Σ_{j∉D} L_ji,
//! ```
//!
//! (pari passu: `o_j = 0`, `d_j = p̄_j`; external senior: `o_j = x_j`,
//! `d_j = L_j`), so `p*_D ≤ ψ(p*_D)`. We solve `y = ψ(y)` in `f64`
//! (Gauss–Seidel, in units of 10⁻¹²), refine the integer solution `v`
//! twice with the residual computed in integers, add a margin `2w + 2`
//! that covers the rounding of every term (`w = (I − βA)⁻¹ (k + 2)`, `k`
//! the in-degree), and check in exact integer arithmetic (every term
//! rounded up) that `u_i > ψ_i(u)` for every `i ∈ D`.
//!
//! Why that proves `u ≥ p*_D`: `ψ` is monotone and `ψ(λy) ≤ λψ(y)` for
//! `λ ≥ 1` (its constant is ≥ 0 and `(λy − o)⁺ ≤ λ(y − o)⁺` for `o ≥ 0`).
//! Let `λ = max_i p*_i / u_i` (`u > 0`). If `λ > 1`, then `p* ≤ ψ(p*) ≤
//! ψ(λu) ≤ λψ(u) < λu` in every coordinate, contradicting the coordinate
//! where `p*_i = λu_i`. So `λ ≤ 1`: `p*_D ≤ u`. A bound that fails the
//! check is not used; the exact descent then does all the work.

use crate::liabilities::{floor_mul_div, Liabilities};
use levamp_core::{mul_div, Ratio, Round, SCALE};

/// Gauss–Seidel sweeps at most, per solve.
const MAX_SWEEPS: usize = 5_000;

/// The linear system of the defaulted set: in-edges from `D` to `D`
/// grouped by creditor (compressed rows), in local indices.
struct System<'a> {
    liab: &'a Liabilities,
    defaulted: &'a [usize],
    /// Row `k` is `count[k]..count[k + 1]`.
    count: Vec<usize>,
    from: Vec<usize>,
    amount: Vec<i128>,
    weight: Vec<f64>,
    /// `c_k`: receipts from nodes outside `D` (paying in full).
    c: Vec<i128>,
    /// `⌊α e⌋` and `β` of the defaulted nodes.
    floor_alpha_e: Vec<i128>,
    beta: Vec<Ratio>,
    beta_f: Vec<f64>,
    /// External senior: what each defaulted node owes outside (paid before
    /// its interbank creditors), in ticks; zeros for pari passu.
    offset: Vec<f64>,
}

/// Upper bounds on the payments of `defaulted` (in that order), or `None`
/// when the float solve or the exact check fails. `margin` carries the
/// float margin `w` from one round to the next (a warm start only: any
/// start gives a bound that is checked exactly).
pub(crate) fn upper_bound(
    liab: &Liabilities,
    floor_alpha_e: &[i128],
    beta: &[Ratio],
    defaulted: &[usize],
    in_default: &[bool],
    z: &[i128],
    margin: &mut Vec<f64>,
) -> Option<Vec<i128>> {
    if defaulted.is_empty() {
        return None;
    }
    let sys = System::new(liab, floor_alpha_e, beta, defaulted, in_default)?;
    let d = defaulted.len();
    let b: Vec<f64> = (0..d)
        .map(|k| sys.floor_alpha_e[k] as f64 + sys.beta_f[k] * sys.c[k] as f64)
        .collect();
    let start: Vec<f64> = defaulted.iter().map(|&i| z[i] as f64).collect();
    let y = sys.solve(&b, start, 1e-15, Some(&sys.offset), None)?;
    let mut v: Vec<i128> = y.iter().map(|&x| x.round().max(0.0) as i128).collect();
    for _ in 0..2 {
        let mapped = sys.psi(&v, Round::Floor)?;
        let residual: Vec<f64> = (0..d).map(|k| (mapped[k] - v[k]) as f64).collect();
        let active = sys.active(&v);
        let delta = sys.solve(&residual, vec![0.0; d], 1e-9, None, Some(&active))?;
        for k in 0..d {
            v[k] = (v[k] + delta[k].round() as i128).max(0);
        }
    }
    let slack: Vec<f64> = (0..d)
        .map(|k| (sys.count[k + 1] - sys.count[k]) as f64 + 2.0)
        .collect();
    let active = sys.active(&v);
    // The defaulted set only grows, in order: the last round's margin is a
    // warm start for the nodes it had.
    let mut start = margin.clone();
    start.resize(d, 0.0);
    let w = sys.solve(&slack, start, 1e-6, None, Some(&active))?;
    margin.clone_from(&w);
    for factor in [2.0, 16.0, 1024.0] {
        let u: Vec<i128> = (0..d)
            .map(|k| v[k] + (factor * w[k]).ceil() as i128 + 2)
            .collect();
        let mapped = sys.psi(&u, Round::Ceil)?;
        if (0..d).all(|k| mapped[k] < u[k]) {
            return Some(u);
        }
    }
    None
}

impl<'a> System<'a> {
    fn new(
        liab: &'a Liabilities,
        floor_alpha_e: &[i128],
        beta: &[Ratio],
        defaulted: &'a [usize],
        in_default: &[bool],
    ) -> Option<Self> {
        let n = liab.len();
        let d = defaulted.len();
        let mut pos = vec![usize::MAX; n];
        for (k, &i) in defaulted.iter().enumerate() {
            pos[i] = k;
        }
        let mut c = vec![0i128; d];
        let mut count = vec![0usize; d + 1];
        for (j, &debtor_defaulted) in in_default.iter().enumerate().take(n) {
            for e in liab.row(j) {
                let k = pos[liab.creditor[e]];
                if k == usize::MAX {
                    continue;
                }
                if debtor_defaulted {
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
                weight[slot] = liab.amount[e] as f64 / liab.denominator(j) as f64;
            }
        }
        let beta: Vec<Ratio> = defaulted.iter().map(|&i| beta[i]).collect();
        Some(System {
            liab,
            defaulted,
            count,
            from,
            amount,
            weight,
            c,
            floor_alpha_e: defaulted.iter().map(|&i| floor_alpha_e[i]).collect(),
            beta_f: beta.iter().map(|b| b.to_f64_lossy()).collect(),
            beta,
            offset: defaulted.iter().map(|&j| liab.offset(j) as f64).collect(),
        })
    }

    /// `y_k = b_k + β_k Σ weight · (y_j − offset_j)⁺` (with `offset`; else
    /// `y_j`, only over `active` debtors when given) by Gauss–Seidel from
    /// `y`, until no value moves by more than `tolerance` relative (at
    /// least one unit); `None` if it does not settle.
    fn solve(
        &self,
        b: &[f64],
        mut y: Vec<f64>,
        tolerance: f64,
        offset: Option<&[f64]>,
        active: Option<&[bool]>,
    ) -> Option<Vec<f64>> {
        for _ in 0..MAX_SWEEPS {
            let mut change = 0f64;
            for k in 0..y.len() {
                let mut sum = 0f64;
                for slot in self.count[k]..self.count[k + 1] {
                    let j = self.from[slot];
                    if active.is_some_and(|a| !a[j]) {
                        continue;
                    }
                    let paid = match offset {
                        Some(off) => (y[j] - off[j]).max(0.0),
                        None => y[j],
                    };
                    sum += self.weight[slot] * paid;
                }
                let v = b[k] + self.beta_f[k] * sum;
                change = change.max((v - y[k]).abs() / v.abs().max(1.0));
                y[k] = v;
            }
            if !change.is_finite() {
                return None;
            }
            if change <= tolerance {
                return Some(y);
            }
        }
        None
    }

    /// Debtors whose payment `v` reaches their interbank creditors (all of
    /// them under pari passu; above their external liabilities under
    /// external seniority): where `ψ` has slope.
    fn active(&self, v: &[i128]) -> Vec<bool> {
        (0..v.len()).map(|k| v[k] as f64 > self.offset[k]).collect()
    }

    /// `ψ(u)` in integers with every division rounded as asked: `Ceil`
    /// gives an upper bound of the real `ψ(u)`, `Floor` a lower one.
    fn psi(&self, u: &[i128], round: Round) -> Option<Vec<i128>> {
        (0..u.len())
            .map(|k| {
                let mut acc = self.c[k];
                for slot in self.count[k]..self.count[k + 1] {
                    let l = self.from[slot];
                    let j = self.defaulted[l];
                    let (free, denominator) = (
                        u[l].saturating_sub(self.liab.offset(j)).max(0),
                        self.liab.denominator(j),
                    );
                    let term = match round {
                        Round::Floor => floor_mul_div(free, self.amount[slot], denominator).ok()?,
                        Round::Ceil => mul_div(free, self.amount[slot], denominator, round).ok()?,
                    };
                    acc = acc.checked_add(term)?;
                }
                let recovered = mul_div(acc, self.beta[k].raw(), SCALE, round).ok()?;
                self.floor_alpha_e[k].checked_add(recovered)
            })
            .collect()
    }
}
