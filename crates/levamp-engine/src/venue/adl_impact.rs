//! What the bad-debt chain cost, read from its events, so ADL policies can be
//! compared on the same deficits (issue #13 §3): the haircut ADL took from
//! its counterparties, how concentrated it was, how many accounts it
//! touched, and what the insurance fund and bad debt absorbed instead.

use super::event::Event;
use super::state::AccountId;
use crate::model::MarketId;
use levamp_core::{Base, MathError, Price, Quote, Ratio, Round};

/// The cost of auto-deleveraging and what was left uncovered, over a list of
/// events (one command's, one path's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdlImpact {
    /// Σ over `Deleveraged` events of `size × |price − mark|`: what the
    /// counterparties lost against closing at the mark. Each term rounds up
    /// (a cost); `price` is the event's per-unit price (floored), so a term
    /// may differ from the exact value transfer by less than `size` raw units.
    pub total_haircut: Quote,
    /// Share of `total_haircut` borne by the top 1 % of the population
    /// (`⌈population ÷ 100⌉` accounts, at least one, largest haircuts first),
    /// rounded down; zero without haircuts.
    pub top_share: Ratio,
    /// Distinct counterparties deleveraged.
    pub accounts_touched: usize,
    /// The largest haircut borne by one account.
    pub max_haircut: Quote,
    /// Drawn from insurance funds (`InsuranceFundChanged`).
    pub insurance_used: Base,
    /// Written off (`BadDebt`): the venue's insolvency after the chain.
    pub bad_debt: Base,
}

/// [`AdlImpact`] of `events`, with `mark(market)` the mark price the ADL
/// happened at and `population` the number of accounts the top 1 % is taken
/// of (a venue's accounts without the market account).
pub fn adl_impact(
    events: &[Event],
    mark: impl Fn(MarketId) -> Price,
    population: usize,
) -> Result<AdlImpact, MathError> {
    let mut out = AdlImpact::default();
    // (account, haircut), one entry per account, in first-seen order.
    let mut per_account: Vec<(AccountId, Quote)> = Vec::new();
    for e in events {
        match e {
            Event::Deleveraged {
                market,
                counterparty,
                size,
                price,
                ..
            } => {
                let gap = Price::from_raw(
                    price
                        .raw()
                        .checked_sub(mark(*market).raw())
                        .ok_or(MathError::Overflow)?,
                )
                .checked_abs()?;
                let haircut = size.checked_abs()?.value_at(gap, Round::Ceil)?;
                out.total_haircut = out.total_haircut.checked_add(haircut)?;
                match per_account.iter_mut().find(|(a, _)| a == counterparty) {
                    Some((_, h)) => *h = h.checked_add(haircut)?,
                    None => per_account.push((*counterparty, haircut)),
                }
            }
            Event::InsuranceFundChanged { amount, .. } => {
                out.insurance_used = out.insurance_used.checked_add(*amount)?;
            }
            Event::BadDebt { amount, .. } => {
                out.bad_debt = out.bad_debt.checked_add(*amount)?;
            }
            _ => {}
        }
    }
    out.accounts_touched = per_account.len();
    per_account.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out.max_haircut = per_account.first().map_or(Quote::ZERO, |p| p.1);
    if out.total_haircut.is_positive() {
        let top = population.div_ceil(100).max(1);
        let top_sum = per_account
            .iter()
            .take(top)
            .try_fold(Quote::ZERO, |s, (_, h)| s.checked_add(*h))?;
        out.top_share = top_sum.ratio_to(out.total_haircut, Round::Floor)?;
    }
    Ok(out)
}
