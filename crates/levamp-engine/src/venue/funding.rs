//! Funding: the periodic payment between longs and shorts that ties the perp
//! to the index.
//!
//! Rate (Binance USDⓈ-M "Funding Rate (F) = Average Premium Index (P) +
//! clamp (interest rate − Premium Index (P), 0.05 %, −0.05 %)", capped per
//! symbol): [`funding_rate`]. Payment of each position: `size × mark × rate`
//! (longs pay shorts when positive), [`funding_payment`]. Magnitudes are
//! rounded, then signed: payers round up, receivers down, whichever side
//! they are on; the difference (≥ 0) is kept in the named `funding_residual`
//! fund, so the payments plus the residual sum to exactly zero.

use super::error::VenueError;
use super::event::Event;
use super::rules::{FundingFormula, FundingRules};
use super::state::{AccountId, Venue, MARKET_ACCOUNT};
use crate::model::MarketId;
use levamp_core::{mul_div, Base, MathError, Price, Quote, Ratio, Round};

const EIGHT_HOURS: i128 = 8 * 3600;
const DAY: i128 = 24 * 3600;

/// The funding rate for one interval of `interval_s` seconds from the
/// average premium `(mark − index) ÷ index`, by the venue's formula
/// (see [`FundingRules`]). Scaling to the interval truncates toward zero.
pub fn funding_rate(
    premium: Ratio,
    rules: &FundingRules,
    interval_s: i64,
) -> Result<Ratio, MathError> {
    let cap = |r: Ratio| -> Result<Ratio, MathError> {
        Ok(r.max(rules.cap.checked_neg()?).min(rules.cap))
    };
    let (rate, period) = match rules.formula {
        FundingFormula::Premium => {
            // Binance: F = P + clamp(I − P, −0.05 %, +0.05 %), capped.
            let gap = rules.interest_rate.checked_sub(premium)?;
            let clamped = gap.max(rules.clamp.checked_neg()?).min(rules.clamp);
            (cap(premium.checked_add(clamped)?)?, EIGHT_HOURS)
        }
        FundingFormula::Dydx => (cap(premium.checked_add(rules.interest_rate)?)?, EIGHT_HOURS),
        FundingFormula::Drift => (cap(premium)?, DAY),
    };
    Ok(Ratio::from_raw(mul_div(
        rate.raw(),
        interval_s as i128,
        period,
        toward_zero(rate),
    )?))
}

fn toward_zero(r: Ratio) -> Round {
    if r.is_negative() {
        Round::Ceil
    } else {
        Round::Floor
    }
}

/// Drift v2 `calculate_funding_rate` in quote per base unit per period:
/// `clamp(mark TWAP − oracle TWAP, ±max divergence × oracle TWAP) ÷ (24 h ÷
/// period)`, truncated toward zero (the production code adds a 10.95 %/yr
/// offset inside a ±0.05 % band; the test-suite version, used for the
/// golden vectors, does not).
pub fn drift_funding_per_base(
    mark_twap: Price,
    oracle_twap: Price,
    period_s: i64,
    max_divergence_divisor: i128,
) -> Result<Price, MathError> {
    let max_spread = oracle_twap
        .raw()
        .checked_div(max_divergence_divisor)
        .ok_or(MathError::DivisionByZero)?;
    let spread = mark_twap
        .raw()
        .checked_sub(oracle_twap.raw())
        .ok_or(MathError::Overflow)?
        .clamp(-max_spread, max_spread);
    let adjustment = DAY / (period_s as i128).max(3600);
    Ok(Price::from_raw(spread / adjustment))
}

/// dYdX v4 `GetMaxAbsFundingClampPpm`: `|rate| ≤ clamp factor × (initial
/// margin − maintenance margin)`, with maintenance = initial × maintenance
/// fraction (both products truncated, as in `BigIntMulPpm`).
pub fn dydx_funding_clamp(
    clamp_factor: Ratio,
    initial_margin: Ratio,
    maintenance_fraction: Ratio,
) -> Result<Ratio, MathError> {
    let maintenance = initial_margin.mul_ratio(maintenance_fraction, Round::Floor)?;
    clamp_factor.mul_ratio(initial_margin.checked_sub(maintenance)?, Round::Floor)
}

/// One position's funding payment, signed as the account sees it (< 0: it
/// pays). The magnitude `|size| × mark × |rate|` is rounded first — up for a
/// payer (a long when the rate is positive, a short when negative), down for
/// a receiver — and the sign applied after, so the venue never pays out more
/// than it collected (the difference is the settlement's residual, ≥ 0).
pub fn funding_payment(size: Base, mark: Price, rate: Ratio) -> Result<Quote, MathError> {
    let pays = size.is_positive() == rate.is_positive();
    let round = if pays { Round::Ceil } else { Round::Floor };
    let magnitude = size
        .checked_abs()?
        .value_at(mark, round)?
        .mul_ratio(rate.checked_abs()?, round)?;
    if pays {
        magnitude.checked_neg()
    } else {
        Ok(magnitude)
    }
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
            None => {
                // The average premium over the interval comes with the command
                // (the caller owns the mark/index path); none means 0.
                funding_rate(
                    premium.unwrap_or(Ratio::ZERO),
                    &self.rules.funding,
                    interval,
                )?
            }
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
        let holders: Vec<(AccountId, Base)> = self
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
            let amount = funding_payment(size, mark, rate)?;
            if amount.is_negative() {
                paid = paid.checked_sub(amount)?;
            } else {
                received = received.checked_add(amount)?;
            }
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

    /// Magnitudes round, then the sign applies: at mark 1.5 and rate ±0.5 a
    /// one-tick position owes 0.75 ticks. A payer pays 1 tick (⌈1.5⌉ = 2,
    /// × 0.5 = 1), a receiver gets 0 — long or short alike (rounding the
    /// signed −0.75 down gave a short 1 tick it was never owed).
    #[test]
    fn funding_rounds_magnitudes() {
        let (tick, mark) = (Base::from_raw(1), r("1.5"));
        let mark = Price::from_raw(mark.raw());
        let pay = |size: Base, rate: &str| funding_payment(size, mark, r(rate)).unwrap().raw();
        assert_eq!(pay(tick, "0.5"), -1);
        assert_eq!(pay(tick.checked_neg().unwrap(), "-0.5"), -1);
        assert_eq!(pay(tick.checked_neg().unwrap(), "0.5"), 0);
        assert_eq!(pay(tick, "-0.5"), 0);
        // 2 ETH at 2,000 and 0.01 %: exactly 0.4 either way.
        let two = Base::from_int(2);
        let px = Price::from_int(2000);
        assert_eq!(
            funding_payment(two, px, r("0.0001")).unwrap(),
            "-0.4".parse().unwrap()
        );
        assert_eq!(
            funding_payment(two.checked_neg().unwrap(), px, r("0.0001")).unwrap(),
            "0.4".parse().unwrap()
        );
    }

    /// Binance USDⓈ-M funding FAQ: "as long as the premium index is between
    /// -0.04% to 0.06%, the funding rate will equal 0.01% (the Interest Rate)";
    /// outside, premium ∓ 0.05 %; capped (BTCUSDT ±0.3 %).
    #[test]
    fn binance_clamp() {
        let rules = FundingRules {
            formula: FundingFormula::Premium,
            interest_rate: r("0.0001"),
            clamp: r("0.0005"),
            cap: r("0.003"),
        };
        let rate = |p: &str| funding_rate(r(p), &rules, 8 * 3600).unwrap();
        assert_eq!(rate("0.0006"), r("0.0001"));
        assert_eq!(rate("-0.0004"), r("0.0001"));
        assert_eq!(rate("0.001"), r("0.0005"));
        assert_eq!(rate("-0.001"), r("-0.0005"));
        assert_eq!(rate("0.02"), r("0.003"));
    }

    /// Hyperliquid docs "Funding": impact bid 10,100 vs oracle 10,000 ⇒
    /// premium 1 %, clamped difference −0.05 %, "Funding Rate = 1% + (-0.05%)
    /// = 0.95%" (8-hour rate), paid every hour at one eighth: 0.11875 %.
    #[test]
    fn hyperliquid_docs_example() {
        let rules = FundingRules {
            formula: FundingFormula::Premium,
            interest_rate: r("0.0001"),
            clamp: r("0.0005"),
            cap: r("0.32"),
        };
        assert_eq!(
            funding_rate(r("0.01"), &rules, 8 * 3600).unwrap(),
            r("0.0095")
        );
        assert_eq!(
            funding_rate(r("0.01"), &rules, 3600).unwrap(),
            r("0.0011875")
        );
    }

    /// drift-labs/protocol-v2 programs/drift/src/math/funding/tests.rs @ 09a0acf2
    /// (PRICE_PRECISION 1e6, FUNDING_RATE_BUFFER 1e3 ⇒ results at 1e-9):
    /// balanced_funding_test: px = 32_513_929, mark = px·999/1000, oracle =
    /// px·1001/1000 ⇒ −2709458; px = 19_902_513_929, oracle = px·888/1000 ⇒
    /// 22_314_939_833 (3 % clamp binds); capped_sym_funding_test: mark 50,
    /// oracle 49 ⇒ 41666666; max_funding_rates: 49 ⇒ 4900000 (10 %) and
    /// 1484848 (tier B, ÷33).
    #[test]
    fn drift_v2_vectors() {
        let p6 = |raw: i128| Price::from_raw(raw * 1_000_000); // 1e-6 → 1e-12
        let at_1e9 = |p: Price| p.raw() / 1_000; // 1e-12 → 1e-9, toward zero
        let px = 32_513_929i128;
        assert_eq!(
            at_1e9(
                drift_funding_per_base(p6(px * 999 / 1000), p6(px * 1001 / 1000), 3600, 33)
                    .unwrap()
            ),
            -2_709_458
        );
        // Here the clamp binds; Drift truncates oracle ÷ 33 to its 1e-6 price
        // precision first, levamp keeps 1e-12: equal within 1e-6 ÷ 24 per base.
        let px = 19_902_513_929i128;
        let clamped = at_1e9(
            drift_funding_per_base(p6(px * 999 / 1000), p6(px * 888 / 1000), 3600, 33).unwrap(),
        );
        assert!((clamped - 22_314_939_833).abs() <= 1_000 / 24, "{clamped}");
        assert_eq!(
            at_1e9(drift_funding_per_base(p6(50_000_000), p6(49_000_000), 3600, 33).unwrap()),
            41_666_666
        );
        assert_eq!(p6(49_000_000).raw() / 10 / 1_000_000, 4_900_000);
        assert_eq!(p6(49_000_000).raw() / 33 / 1_000_000, 1_484_848);
    }

    /// dydxprotocol/v4-chain protocol/x/perpetuals/types/liquidity_tier_test.go @ 01a48f23,
    /// TestLiquidityTierGetMaxAbsFundingClampPpm: "6_000_000 * (15% - 15% * 80%) = 18%";
    /// (6, 45 %, 100 %) ⇒ 0; (3, 100 %, 0) ⇒ 300 %; (423.978721, 74.5345 %, 56.4947 %) ⇒ 137_481_459 ppm.
    #[test]
    fn dydx_v4_clamp_vectors() {
        let ppm = |x: Ratio| x.raw() / 1_000_000;
        assert_eq!(
            ppm(dydx_funding_clamp(r("6"), r("0.15"), r("0.8")).unwrap()),
            180_000
        );
        assert_eq!(
            ppm(dydx_funding_clamp(r("6"), r("0.45"), r("1")).unwrap()),
            0
        );
        assert_eq!(
            ppm(dydx_funding_clamp(r("3"), r("1"), r("0")).unwrap()),
            3_000_000
        );
        // dYdX truncates the maintenance margin to ppm before subtracting.
        let mm = Ratio::from_raw(
            r("0.745345")
                .mul_ratio(r("0.564947"), Round::Floor)
                .unwrap()
                .raw()
                / 1_000_000
                * 1_000_000,
        );
        let clamp = r("423.978721")
            .mul_ratio(r("0.745345").checked_sub(mm).unwrap(), Round::Floor)
            .unwrap();
        assert_eq!(ppm(clamp), 137_481_459);
    }
}
