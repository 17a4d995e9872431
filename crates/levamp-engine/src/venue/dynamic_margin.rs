//! Volatility-sensitive margin (issue #13 §1), a venue rule.
//!
//! Per market, `mmr_t = max(tier_mmr, k · σ̂_t · √horizon)`, σ̂ the EWMA of
//! the oracle's log returns of the market's price key
//! ([`crate::volatility`]). The rule raises each tier's rate to the floor
//! `d = k · σ̂ · √horizon` and keeps the requirement continuous and never
//! below the static one: tier `j`'s maintenance amount is lowered by
//! `Δ_j = Δ_{j−1} + cap_{j−1} · (e_j − e_{j−1})` (`e` = the raise of each
//! tier, `Δ_0 = 0`), i.e. the requirement gains `∫₀ᴺ raise(x) dx`. Initial
//! margin keeps its ratio to maintenance: a raised tier's maximum leverage
//! becomes `max_leverage × tier_mmr ÷ d` (down, at least 1).
//!
//! Changes are rate-limited and announced: an increase phases in linearly
//! over `notice_s` from the rate in force when it was announced; a decrease
//! applies at once. A new target is announced only when it moved by at
//! least `step` from the last one, so the holders of a market (who are
//! re-indexed on every change) are not re-indexed on every update. The
//! schedule advances on the oracle updates of the market's price key.
//!
//! Replay is exact: `MarginRateChanged` carries the rate and schedule, and
//! applying it sets them (the raised tiers are a pure integer function of
//! the listed tiers and the rate). The variance itself is integer state
//! updated by each `OracleUpdated`.

use super::error::VenueError;
use super::event::Event;
use super::state::Venue;
use crate::model::{MarketId, PriceId, Tier};
use crate::volatility;
use levamp_core::{mul_div, MathError, Price, Quote, Ratio, Round, SCALE};

/// The rule's parameters (`venue.dynamic_margin`). See docs/mechanisms.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DynamicMargin {
    /// Multiplier on `σ̂ · √horizon` (0: the rule changes nothing).
    pub k: Ratio,
    /// EWMA decay per oracle update, `0 < λ < 1` (RiskMetrics: 0.94).
    pub lambda: Ratio,
    /// Time the venue needs to close a position, seconds (> 0).
    pub horizon_s: i64,
    /// An increase phases in linearly over this many seconds (0: at once).
    pub notice_s: i64,
    /// Smallest change of the target that is announced (1 bp = 0.0001).
    pub step: Ratio,
    /// Cap on the dynamic maintenance rate, `0 < max_rate < 1`.
    pub max_rate: Ratio,
}

impl DynamicMargin {
    /// λ = 0.94, 1 h horizon, 30 min notice, 1 bp step, 50 % cap, `k` given.
    pub fn with_k(k: Ratio) -> DynamicMargin {
        DynamicMargin {
            k,
            lambda: Ratio::from_raw(940_000_000_000),
            horizon_s: 3600,
            notice_s: 1800,
            step: Ratio::from_raw(100_000_000),
            max_rate: Ratio::from_raw(500_000_000_000),
        }
    }

    /// Checks every parameter; the error names the key.
    pub fn validate(&self) -> Result<(), VenueError> {
        let bad = |field: &'static str, reason: &str| {
            Err(VenueError::Invalid {
                field,
                reason: reason.into(),
            })
        };
        if self.k.is_negative() {
            return bad("dynamic_margin.k", "must be ≥ 0");
        }
        if !(self.lambda.is_positive() && self.lambda < Ratio::ONE) {
            return bad("dynamic_margin.lambda", "must be > 0 and < 1");
        }
        if !(1..=1_000_000_000).contains(&self.horizon_s) {
            return bad("dynamic_margin.horizon_s", "must be 1..=1e9 seconds");
        }
        if !(0..=1_000_000_000).contains(&self.notice_s) {
            return bad("dynamic_margin.notice_s", "must be 0..=1e9 seconds");
        }
        if !(self.step.is_positive() && self.step < Ratio::ONE) {
            return bad("dynamic_margin.step", "must be > 0 and < 1");
        }
        if !(self.max_rate.is_positive() && self.max_rate < Ratio::ONE) {
            return bad("dynamic_margin.max_rate", "must be > 0 and < 1");
        }
        Ok(())
    }
}

/// The estimator of one price key: per-second variance of log returns at
/// [`volatility::VAR_SCALE`], and the last price and time it measured from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Volatility {
    pub variance: i128,
    pub price: Price,
    pub ts: i64,
}

/// The dynamic rate of one market and its phase-in schedule.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MarginRate {
    /// The floor on every tier's maintenance rate now in force.
    pub maintenance_rate: Ratio,
    /// The matching initial rate of the first tier (its IMR/MMR ratio kept).
    pub initial_rate: Ratio,
    /// σ̂ per √second that drove the last announcement.
    pub sigma: Ratio,
    /// Where the phase-in goes, and where and when it started.
    pub target: Ratio,
    pub from: Ratio,
    pub since: i64,
    /// The market's listed tiers (its `tiers` are these, raised).
    pub base_tiers: Vec<Tier>,
}

/// The rate a phase-in from `from` (at `since`) to `target` gives at `now`:
/// `from + (target − from) · elapsed ÷ notice`, rounded up, reaching `target`
/// after `notice_s` (at once when `target ≤ from`).
fn scheduled(
    from: Ratio,
    target: Ratio,
    since: i64,
    now: i64,
    notice_s: i64,
) -> Result<Ratio, MathError> {
    let elapsed = now.saturating_sub(since);
    if target <= from || elapsed >= notice_s {
        return Ok(target);
    }
    let rise = target.checked_sub(from)?;
    let part = mul_div(rise.raw(), elapsed as i128, notice_s as i128, Round::Ceil)?;
    from.checked_add(Ratio::from_raw(part))
}

/// `base` with every maintenance rate raised to at least `floor`; see the
/// module docs for the amounts and leverages. `floor = 0` returns `base`.
pub fn raised_tiers(base: &[Tier], floor: Ratio) -> Result<Vec<Tier>, MathError> {
    let mut out = Vec::with_capacity(base.len());
    let (mut delta, mut prev_raise, mut prev_cap) = (Quote::ZERO, Ratio::ZERO, None);
    for t in base {
        let rate = t.maintenance_margin_rate.max(floor);
        let raise = rate.checked_sub(t.maintenance_margin_rate)?;
        if let Some(cap) = prev_cap {
            // Δ rounds down (amount lower, requirement higher).
            let gained = Quote::mul_ratio(cap, raise, Round::Floor)?;
            let lost = Quote::mul_ratio(cap, prev_raise, Round::Ceil)?;
            delta = delta.checked_add(gained)?.checked_sub(lost)?;
        }
        let max_leverage = match raise.is_zero() {
            true => t.max_leverage,
            false => Ratio::from_raw(mul_div(
                t.max_leverage.raw(),
                t.maintenance_margin_rate.raw(),
                rate.raw(),
                Round::Floor,
            )?)
            .max(Ratio::ONE),
        };
        out.push(Tier {
            max_notional: t.max_notional,
            maintenance_margin_rate: rate,
            maintenance_amount: t.maintenance_amount.checked_add(delta)?,
            max_leverage,
        });
        prev_raise = raise;
        prev_cap = t.max_notional;
    }
    Ok(out)
}

impl Venue {
    /// The dynamic rates of markets the rule has touched, by market.
    pub fn margin_rates(&self) -> &std::collections::BTreeMap<MarketId, MarginRate> {
        &self.margin_rates
    }
    /// The volatility estimate of each price key the rule has measured.
    pub fn volatility(&self) -> &std::collections::BTreeMap<PriceId, Volatility> {
        &self.volatility
    }

    /// Applies an oracle price to the key's estimator (from `apply`, when the
    /// rule is on): a new return once time moved on since the last one.
    pub(crate) fn measure(
        &mut self,
        key: PriceId,
        price: Price,
        ts: i64,
    ) -> Result<(), VenueError> {
        let Some(cfg) = self.rules.dynamic_margin else {
            return Ok(());
        };
        let old = self.volatility.get(&key).copied();
        let new = match old {
            None => Volatility {
                variance: 0,
                price,
                ts,
            },
            // Same second: the move counts in the next interval's return.
            Some(v) if ts <= v.ts => return Ok(()),
            Some(v) => Volatility {
                variance: volatility::ewma_variance(
                    v.variance,
                    volatility::log_return(price, v.price)?,
                    ts - v.ts,
                    cfg.lambda,
                )?,
                price,
                ts,
            },
        };
        self.set_volatility(key, Some(new));
        Ok(())
    }

    /// After an oracle update of `key`: moves the dynamic rate of every
    /// market it prices, emitting `MarginRateChanged` where it changes.
    /// Returns whether any did.
    pub(crate) fn update_margin_rates(
        &mut self,
        key: PriceId,
        ev: &mut Vec<Event>,
    ) -> Result<bool, VenueError> {
        let Some(cfg) = self.rules.dynamic_margin else {
            return Ok(false);
        };
        let variance = self.volatility.get(&key).map_or(0, |v| v.variance);
        let wanted = volatility::volatility_rate(variance, cfg.horizon_s, cfg.k)?.min(cfg.max_rate);
        let mut changed = false;
        for market in 0..self.markets.len() as MarketId {
            if self.markets[market as usize].price != key {
                continue;
            }
            let (rate, target, from, since) = match self.margin_rates.get(&market) {
                // Untouched so far: the floor starts at the first tier's rate.
                None => {
                    let start = self.markets[market as usize].tiers[0].maintenance_margin_rate;
                    if wanted < start.checked_add(cfg.step)? {
                        continue;
                    }
                    (start, start, start, self.now)
                }
                Some(r) => (r.maintenance_rate, r.target, r.from, r.since),
            };
            let scheduled = scheduled(from, target, since, self.now, cfg.notice_s)?;
            let moved = wanted.checked_sub(target)?.checked_abs()? >= cfg.step;
            let (from, target, since, applied) = match (moved, wanted <= scheduled) {
                // A decrease: at once.
                (true, true) => (wanted, wanted, self.now, wanted),
                // An increase: announced now, phased in from the rate in force.
                (true, false) => match cfg.notice_s {
                    0 => (wanted, wanted, self.now, wanted),
                    _ => (scheduled, wanted, self.now, scheduled),
                },
                (false, _) => (from, target, since, scheduled),
            };
            // The phase-in moves in steps too, and always lands on its target.
            let applied_moves = applied != rate
                && (applied.checked_sub(rate)?.checked_abs()? >= cfg.step || applied == target);
            if !moved && !applied_moves {
                continue;
            }
            let sigma = volatility::sigma(variance)?;
            let initial_rate = self.initial_rate(market, applied)?;
            self.emit(
                ev,
                Event::MarginRateChanged {
                    market,
                    maintenance_rate: applied,
                    initial_rate,
                    sigma,
                    target,
                    from,
                    since,
                },
            )?;
            changed = true;
        }
        Ok(changed)
    }

    /// `floor × IMR ÷ MMR` of the market's first listed tier, rounded up.
    fn initial_rate(&self, market: MarketId, floor: Ratio) -> Result<Ratio, MathError> {
        let base = match self.margin_rates.get(&market) {
            Some(r) => &r.base_tiers[0],
            None => &self.markets[market as usize].tiers[0],
        };
        // IMR = 1 ÷ max_leverage: floor ÷ (max_leverage × MMR).
        let denominator = mul_div(
            base.max_leverage.raw(),
            base.maintenance_margin_rate.raw(),
            SCALE,
            Round::Floor,
        )?;
        mul_div(floor.raw(), SCALE, denominator.max(1), Round::Ceil).map(Ratio::from_raw)
    }

    /// Applies `MarginRateChanged`: the schedule, and the market's tiers
    /// raised to the new rate (a re-listing: its holders are re-indexed).
    pub(crate) fn apply_margin_rate(
        &mut self,
        market: MarketId,
        rate: MarginRate,
    ) -> Result<(), VenueError> {
        let base = match self.margin_rates.get(&market) {
            Some(r) => r.base_tiers.clone(),
            None => self.markets[market as usize].tiers.clone(),
        };
        let tiers = raised_tiers(&base, rate.maintenance_rate)?;
        self.set_margin_rate(
            market,
            Some(MarginRate {
                base_tiers: base,
                ..rate
            }),
        );
        if tiers != self.markets[market as usize].tiers {
            let mut spec = self.markets[market as usize].clone();
            spec.tiers = tiers;
            self.set_market(market, spec);
        }
        Ok(())
    }

    /// A re-listing of a market with a dynamic rate: the new tiers are the
    /// base, raised to the rate in force.
    pub(crate) fn relist_raised(
        &mut self,
        market: MarketId,
        mut spec: crate::Market,
    ) -> Result<crate::Market, VenueError> {
        if let Some(r) = self.margin_rates.get(&market) {
            let rate = MarginRate {
                base_tiers: spec.tiers.clone(),
                ..r.clone()
            };
            spec.tiers = raised_tiers(&spec.tiers, rate.maintenance_rate)?;
            self.set_margin_rate(market, Some(rate));
        }
        Ok(spec)
    }
}
