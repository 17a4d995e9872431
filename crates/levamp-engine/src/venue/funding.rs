//! Funding: the periodic payment between longs and shorts that ties the perp
//! to the index.
//!
//! Rate (Binance USDⓈ-M "Funding Rate (F) = Average Premium Index (P) +
//! clamp (interest rate − Premium Index (P), 0.05 %, −0.05 %)", capped per
//! symbol): [`funding_rate`]. Payment of each position: `size × mark × rate`
//! (longs pay shorts when positive). Payers round up, receivers round down;
//! the difference is kept in the named `funding_residual` fund, so the
//! payments plus the residual sum to exactly zero.

use super::error::VenueError;
use super::event::Event;
use super::rules::FundingRules;
use super::state::{AccountId, Venue, MARKET_ACCOUNT};
use crate::model::MarketId;
use levamp_core::{MathError, Quote, Ratio, Round};

/// `premium + clamp(interest − premium, −clamp, +clamp)`, then capped at ±cap.
pub fn funding_rate(premium: Ratio, rules: &FundingRules) -> Result<Ratio, MathError> {
    let gap = rules.interest_rate.checked_sub(premium)?;
    let clamped = gap.max(rules.clamp.checked_neg()?).min(rules.clamp);
    let rate = premium.checked_add(clamped)?;
    Ok(rate.max(rules.cap.checked_neg()?).min(rules.cap))
}

impl Venue {
    pub(crate) fn funding(
        &mut self,
        market: MarketId,
        ts: i64,
        rate: Option<Ratio>,
        premium: Option<Ratio>,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.check_market(market)?;
        let m = &self.markets[market as usize];
        let (interval, last) = (m.funding_interval_s, self.last_funding[market as usize]);
        if ts % interval != 0 || ts <= last {
            return Err(VenueError::FundingInterval {
                market: m.name.clone(),
                ts,
                last,
                interval,
            });
        }
        let rate = match rate {
            Some(r) => r,
            None => funding_rate(premium.unwrap_or(Ratio::ZERO), &self.rules.funding)?,
        };
        if rate.checked_abs()? >= Ratio::ONE {
            return Err(VenueError::Invalid {
                field: "rate",
                reason: format!("must be between −1 and 1, got {rate}"),
            });
        }
        self.advance_to(ts, ev)?;
        let mark = self.prices[self.markets[market as usize].price as usize];
        if !mark.is_positive() {
            return Err(VenueError::Invalid {
                field: "market",
                reason: "no oracle price yet".into(),
            });
        }
        // Every account holding the market, in id order (deterministic).
        let holders: Vec<(AccountId, levamp_core::Base)> = self
            .accounts
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                a.positions
                    .iter()
                    .find(|p| p.market == market && !p.size.is_zero())
                    .map(|p| (i as AccountId, p.size))
            })
            .collect();
        let (mut paid, mut received) = (Quote::ZERO, Quote::ZERO);
        for (account, size) in holders {
            // Signed amount owed: size × mark × rate (> 0: pays).
            let owed_up = size
                .value_at(mark, Round::Ceil)?
                .mul_ratio(rate, Round::Ceil)?;
            let amount = if owed_up.is_positive() {
                paid = paid.checked_add(owed_up)?;
                owed_up.checked_neg()?
            } else {
                let owed_down = size
                    .value_at(mark, Round::Floor)?
                    .mul_ratio(rate, Round::Floor)?;
                let gets = owed_down.checked_neg()?;
                received = received.checked_add(gets)?;
                gets
            };
            if !amount.is_zero() {
                self.emit(
                    ev,
                    Event::FundingPaid {
                        account,
                        market,
                        amount,
                    },
                )?;
            }
        }
        let residual = paid.checked_sub(received)?;
        self.emit(
            ev,
            Event::FundingSettled {
                market,
                rate,
                ts,
                residual,
            },
        )?;
        let _ = MARKET_ACCOUNT;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Ratio {
        s.parse().unwrap()
    }

    /// Binance USDⓈ-M: interest 0.01 %, clamp ±0.05 %. Premium inside the
    /// band ⇒ rate = interest; outside ⇒ premium ∓ 0.05 %.
    #[test]
    fn binance_clamp() {
        let rules = FundingRules {
            interest_rate: r("0.0001"),
            clamp: r("0.0005"),
            cap: r("0.0075"),
        };
        assert_eq!(funding_rate(r("0.0003"), &rules).unwrap(), r("0.0001"));
        assert_eq!(funding_rate(r("-0.0003"), &rules).unwrap(), r("0.0001"));
        assert_eq!(funding_rate(r("0.001"), &rules).unwrap(), r("0.0005"));
        assert_eq!(funding_rate(r("-0.001"), &rules).unwrap(), r("-0.0005"));
        assert_eq!(funding_rate(r("0.02"), &rules).unwrap(), r("0.0075"));
    }
}
