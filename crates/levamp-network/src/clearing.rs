//! The greatest clearing vector of the rounded clearing map, exactly
//! (docs/contagion.md has the proofs).
//!
//! With payments `p` (raw integers at 12 decimals), node `i` receives
//! `r_i(p) = Σ_j share_ji(p_j)` ([`Liabilities::share`], rounded down) and
//! the clearing map is
//!
//! ```text
//! Φ_i(p) = p̄_i                          if e_i + r_i(p) ≥ p̄_i  (solvent)
//!        = ⌊α_i e_i⌋ + ⌊β_i r_i(p)⌋      otherwise              (in default)
//! ```
//!
//! (`α = β = 1`: Eisenberg–Noe, `Φ_i = min(p̄_i, e_i + r_i)`; otherwise
//! Rogers–Veraart). `Φ` is monotone on the finite lattice `[0, p̄]`, so it
//! has a greatest fixed point `p*` (Tarski). [`clear`] finds it by rounds of
//! fictitious default: each round adds the nodes that default with the
//! current payments, then lowers the payments of the defaulted set — first
//! to a certified upper bound from a floating-point solve of its linear
//! system ([`crate::accelerate`]), then by Gauss–Seidel steps
//! `z_i ← min(z_i, Φ_i(z))` — until none moves. Every step keeps `z ≥ p*`
//! and `z` only decreases, over integers, so it ends; at the end
//! `z ≤ Φ(z)`, which with `z ≥ p*` means `z = p*`. A final pass recomputes
//! every receipt from scratch and checks `Φ(z) = z`.

use crate::accelerate;
use crate::liabilities::Liabilities;
use crate::model::Network;
use levamp_core::{mul_div, MathError, Quote, Ratio, Round, SCALE};
use std::collections::VecDeque;

/// Why a network could not be cleared.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClearingError {
    /// A sum or product does not fit the fixed-point range.
    #[error("{what}: arithmetic overflow (amounts too large to clear exactly)")]
    Overflow {
        /// What was being computed.
        what: String,
    },
    /// The external assets do not match the nodes.
    #[error("{given} external asset values for {nodes} nodes")]
    Length {
        /// Values given.
        given: usize,
        /// Nodes in the network.
        nodes: usize,
    },
    /// A negative external asset value (after shocks or revaluation).
    #[error("node {id}: external assets are negative ({value})")]
    NegativeAssets {
        /// The node.
        id: String,
        /// Its external assets.
        value: Quote,
    },
    /// An iteration did not settle within its round limit.
    #[error("{what} did not settle within {rounds} rounds")]
    NotSettled {
        /// What was iterated.
        what: String,
        /// The limit.
        rounds: usize,
    },
    /// The final check found a payment that is not a fixed point: a bug.
    #[error("internal check failed: node {id} pays {payment} but the clearing map gives {mapped}")]
    NotFixed {
        /// The node.
        id: String,
        /// Its payment.
        payment: Quote,
        /// The clearing map's value there.
        mapped: Quote,
    },
    /// A venue node's scenario could not be run.
    #[error("node {id}: venue: {message}")]
    Venue {
        /// The venue node.
        id: String,
        /// What went wrong.
        message: String,
    },
}

fn overflow(what: &str) -> impl Fn(MathError) -> ClearingError + '_ {
    move |_| ClearingError::Overflow {
        what: what.to_string(),
    }
}

/// The clearing of a network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clearing {
    /// `p̄_i`: obligations to other nodes plus external liabilities.
    pub total_obligations: Vec<Quote>,
    /// `p_i`: what node `i` pays all its creditors together.
    pub payments: Vec<Quote>,
    /// What node `i` pays other nodes (the rest of `p_i` goes to its
    /// external creditors).
    pub interbank_paid: Vec<Quote>,
    /// `r_i`: what node `i` receives from other nodes.
    pub receipts: Vec<Quote>,
    /// External assets the clearing used (after the shock).
    pub external_assets: Vec<Quote>,
    /// Whether node `i` defaults (`e_i + r_i < p̄_i`).
    pub defaulted: Vec<bool>,
    /// Fictitious-default rounds that found new defaulters (0: no default).
    pub rounds: usize,
}

impl Clearing {
    /// `e_i + r_i − p̄_i`: negative for a node in default.
    pub fn equity(&self, i: usize) -> Result<Quote, MathError> {
        self.external_assets[i]
            .checked_add(self.receipts[i])?
            .checked_sub(self.total_obligations[i])
    }

    /// `p_i ÷ p̄_i` rounded down; 1 for a node that owes nothing.
    pub fn recovery_rate(&self, i: usize) -> Result<Ratio, MathError> {
        match self.total_obligations[i].is_zero() {
            true => Ok(Ratio::ONE),
            false => self.payments[i].ratio_to(self.total_obligations[i], Round::Floor),
        }
    }

    /// `Σ (p̄_i − p_i)`.
    pub fn total_shortfall(&self) -> Result<Quote, MathError> {
        self.total_obligations
            .iter()
            .zip(&self.payments)
            .try_fold(Quote::ZERO, |acc, (t, p)| {
                acc.checked_add(t.checked_sub(*p)?)
            })
    }
}

/// Clears `net` with its shocked external assets
/// ([`Network::shocked_external_assets`]).
pub fn clear_network(net: &Network) -> Result<Clearing, ClearingError> {
    let assets = net
        .shocked_external_assets()
        .map_err(overflow("shocked external assets"))?;
    clear(net, &assets)
}

/// The greatest clearing vector of `net` when node `i` holds
/// `external_assets[i]` (≥ 0) outside the network; see the module
/// documentation.
pub fn clear(net: &Network, external_assets: &[Quote]) -> Result<Clearing, ClearingError> {
    let n = net.nodes.len();
    if external_assets.len() != n {
        return Err(ClearingError::Length {
            given: external_assets.len(),
            nodes: n,
        });
    }
    if let Some(i) = external_assets.iter().position(|e| e.is_negative()) {
        return Err(ClearingError::NegativeAssets {
            id: net.nodes[i].id.clone(),
            value: external_assets[i],
        });
    }
    let liab = Liabilities::of(net).map_err(overflow("total obligations"))?;
    let mut s = State::new(net, &liab, external_assets)?;
    let mut rounds = 0;
    let mut margin = Vec::new();
    loop {
        let mut found = false;
        for i in 0..n {
            if !s.in_default[i] && s.available(i)? < liab.total[i] {
                s.in_default[i] = true;
                s.defaulted.push(i);
                found = true;
            }
        }
        if !found {
            break;
        }
        rounds += 1;
        if let Some(bound) = accelerate::upper_bound(
            &liab,
            &s.floor_alpha_e,
            &s.beta,
            &s.defaulted,
            &s.in_default,
            &s.z,
            &mut margin,
        ) {
            for (k, &i) in s.defaulted.clone().iter().enumerate() {
                if bound[k] < s.z[i] {
                    s.set(i, bound[k])?;
                }
            }
        }
        for k in 0..s.defaulted.len() {
            s.enqueue(s.defaulted[k]);
        }
        s.descend()?;
    }
    s.finish(net, rounds, external_assets)
}

/// The payments being lowered and what they imply.
struct State<'a> {
    liab: &'a Liabilities,
    /// External assets `e_i` (raw).
    e: Vec<i128>,
    /// `⌊α_i e_i⌋`.
    floor_alpha_e: Vec<i128>,
    /// `β_i`.
    beta: Vec<Ratio>,
    /// Current payments, always ≥ the greatest clearing vector.
    z: Vec<i128>,
    /// Receipts at `z`, kept up to date by [`State::set`].
    r: Vec<i128>,
    in_default: Vec<bool>,
    /// The defaulted nodes in the order they defaulted.
    defaulted: Vec<usize>,
    queue: VecDeque<usize>,
    queued: Vec<bool>,
    /// What each obligation's creditor receives at `z` (by obligation).
    share: Vec<i128>,
}

impl<'a> State<'a> {
    fn new(net: &Network, liab: &'a Liabilities, assets: &[Quote]) -> Result<Self, ClearingError> {
        let n = liab.len();
        let e: Vec<i128> = assets.iter().map(|q| q.raw()).collect();
        let floor_alpha_e = net
            .nodes
            .iter()
            .zip(&e)
            .map(|(node, &e)| mul_div(e, node.default_costs.alpha.raw(), SCALE, Round::Floor))
            .collect::<Result<_, _>>()
            .map_err(overflow("alpha × external assets"))?;
        let mut r = vec![0i128; n];
        for (e, &i) in liab.creditor.iter().enumerate() {
            r[i] = r[i]
                .checked_add(liab.amount[e])
                .ok_or_else(|| overflow("receipts")(MathError::Overflow))?;
        }
        Ok(State {
            liab,
            e,
            floor_alpha_e,
            beta: net.nodes.iter().map(|n| n.default_costs.beta).collect(),
            z: liab.total.clone(),
            r,
            in_default: vec![false; n],
            defaulted: Vec::new(),
            queue: VecDeque::new(),
            queued: vec![false; n],
            share: liab.amount.clone(),
        })
    }

    /// `e_i + r_i`.
    fn available(&self, i: usize) -> Result<i128, ClearingError> {
        self.e[i]
            .checked_add(self.r[i])
            .ok_or_else(|| overflow("external assets + receipts")(MathError::Overflow))
    }

    /// `Φ_i` for a node in default: `⌊α_i e_i⌋ + ⌊β_i r_i⌋`.
    fn default_payment(&self, i: usize) -> Result<i128, ClearingError> {
        let recovered = mul_div(self.r[i], self.beta[i].raw(), SCALE, Round::Floor)
            .map_err(overflow("beta × receipts"))?;
        self.floor_alpha_e[i]
            .checked_add(recovered)
            .ok_or_else(|| overflow("default payment")(MathError::Overflow))
    }

    fn enqueue(&mut self, i: usize) {
        if !self.queued[i] {
            self.queued[i] = true;
            self.queue.push_back(i);
        }
    }

    /// Lowers node `i`'s payment to `v`, updating its creditors' receipts
    /// and queueing those in default.
    fn set(&mut self, i: usize, v: i128) -> Result<(), ClearingError> {
        for e in self.liab.row(i) {
            let k = self.liab.creditor[e];
            let before = self.share[e];
            let after = self.liab.share(i, e, v).map_err(overflow("share"))?;
            if after != before {
                self.share[e] = after;
                self.r[k] -= before - after;
                if self.in_default[k] {
                    self.enqueue(k);
                }
            }
        }
        self.z[i] = v;
        Ok(())
    }

    /// Gauss–Seidel steps `z_i ← min(z_i, Φ_i(z))` over the queued nodes
    /// (all in default) until none moves.
    fn descend(&mut self) -> Result<(), ClearingError> {
        while let Some(i) = self.queue.pop_front() {
            self.queued[i] = false;
            let v = self.default_payment(i)?;
            if v < self.z[i] {
                self.set(i, v)?;
            }
        }
        Ok(())
    }

    /// Recomputes the receipts from scratch, checks `Φ(z) = z` and builds
    /// the result.
    fn finish(
        self,
        net: &Network,
        rounds: usize,
        assets: &[Quote],
    ) -> Result<Clearing, ClearingError> {
        let liab = self.liab;
        let n = liab.len();
        let mut receipts = vec![0i128; n];
        let mut paid = vec![0i128; n];
        for (j, paid_j) in paid.iter_mut().enumerate() {
            for e in liab.row(j) {
                let s = liab.share(j, e, self.z[j]).map_err(overflow("share"))?;
                receipts[liab.creditor[e]] += s;
                *paid_j += s;
            }
        }
        let mut defaulted = vec![false; n];
        for i in 0..n {
            let available = self.e[i]
                .checked_add(receipts[i])
                .ok_or_else(|| overflow("external assets + receipts")(MathError::Overflow))?;
            defaulted[i] = available < liab.total[i];
            let mapped = match defaulted[i] {
                false => liab.total[i],
                true => {
                    let recovered = mul_div(receipts[i], self.beta[i].raw(), SCALE, Round::Floor)
                        .map_err(overflow("beta × receipts"))?;
                    self.floor_alpha_e[i] + recovered
                }
            };
            if mapped != self.z[i] || defaulted[i] != self.in_default[i] {
                return Err(ClearingError::NotFixed {
                    id: net.nodes[i].id.clone(),
                    payment: Quote::from_raw(self.z[i]),
                    mapped: Quote::from_raw(mapped),
                });
            }
        }
        let quotes = |v: &[i128]| v.iter().map(|&x| Quote::from_raw(x)).collect();
        Ok(Clearing {
            total_obligations: quotes(&liab.total),
            payments: quotes(&self.z),
            interbank_paid: quotes(&paid),
            receipts: quotes(&receipts),
            external_assets: assets.to_vec(),
            defaulted,
            rounds,
        })
    }
}
