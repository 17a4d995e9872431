//! The funding regime and the rolling basis (issue #12): when funding
//! flipped negative and how long it stayed there, the rolling 7- and
//! 30-day annualised funding, and the perp–spot basis — the order-flow
//! context a carry trader times entries with.
//!
//! * A **negative episode** is a maximal run of consecutive settlements of
//!   the series with a rate < 0 (a zero rate ends it; a hole in the data
//!   does not — the rows around it are consecutive in the file). `start` is
//!   its first settlement, `end` = its last settlement + the interval
//!   (exclusive: when the next, non-negative, settlement was due); its
//!   length is `settlements` and `(end − start)` in days.
//! * **Rolling annualised funding** at a settlement `t`: the mean rate of
//!   the settlements in `(t − N days, t]` × settlements per year (3 × 365
//!   at 8 h). Early points average the settlements there are.
//! * **Basis** at an hour: perp close ÷ spot close − 1 (rounded down to
//!   10⁻¹²), and its mean over the trailing 7 days of hours.

use crate::data::{Bar, Window};
use crate::time::{self, HOUR};
use levamp_core::{MathError, Ratio, Round};
use std::io::{self, Write};

/// Seconds in a day.
const DAY: i64 = 24 * HOUR;

/// A run of negative funding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Episode {
    /// First negative settlement.
    pub start: i64,
    /// Last negative settlement + the interval (exclusive).
    pub end: i64,
    pub settlements: usize,
    /// Σ rate over the episode (exact, < 0).
    pub sum_rate: Ratio,
    /// The most negative rate.
    pub min_rate: Ratio,
}

impl Episode {
    /// `(end − start)` in days.
    pub fn days(&self) -> f64 {
        (self.end - self.start) as f64 / DAY as f64
    }

    /// Mean rate per settlement.
    pub fn mean_rate(&self) -> f64 {
        self.sum_rate.to_f64_lossy() / self.settlements as f64
    }
}

/// The negative episodes of `rows` (sorted settlements, `interval_s` apart).
pub fn negative_episodes(
    rows: &[(i64, Ratio)],
    interval_s: i64,
) -> Result<Vec<Episode>, MathError> {
    let mut out: Vec<Episode> = Vec::new();
    let mut open = false;
    for &(t, rate) in rows {
        if !rate.is_negative() {
            open = false;
            continue;
        }
        match out.last_mut() {
            Some(e) if open => {
                e.end = t + interval_s;
                e.settlements += 1;
                e.sum_rate = e.sum_rate.checked_add(rate)?;
                e.min_rate = e.min_rate.min(rate);
            }
            _ => out.push(Episode {
                start: t,
                end: t + interval_s,
                settlements: 1,
                sum_rate: rate,
                min_rate: rate,
            }),
        }
        open = true;
    }
    Ok(out)
}

/// Rolling funding at one settlement.
#[derive(Clone, Debug, PartialEq)]
pub struct FundingPoint {
    pub time: i64,
    pub rate: Ratio,
    /// Mean rate over `(t − 7 d, t]` × settlements per year.
    pub annualized_7d: f64,
    /// Mean rate over `(t − 30 d, t]` × settlements per year.
    pub annualized_30d: f64,
}

/// The trailing mean of `values` over `(t − span, t]` at each point (`times` sorted).
fn trailing_mean(times: &[i64], values: &[i128], span: i64) -> Result<Vec<f64>, MathError> {
    let (mut first, mut sum) = (0usize, 0i128);
    let mut out = Vec::with_capacity(times.len());
    for (i, &t) in times.iter().enumerate() {
        sum = sum.checked_add(values[i]).ok_or(MathError::Overflow)?;
        while times[first] <= t - span {
            sum -= values[first];
            first += 1;
        }
        out.push(sum as f64 / (i + 1 - first) as f64);
    }
    Ok(out)
}

/// Rolling 7- and 30-day annualised funding at each settlement of `rows`.
pub fn rolling_funding(
    rows: &[(i64, Ratio)],
    interval_s: i64,
) -> Result<Vec<FundingPoint>, MathError> {
    let per_year = (365 * DAY / interval_s) as f64;
    let times: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let raw: Vec<i128> = rows.iter().map(|r| r.1.raw()).collect();
    let scale = Ratio::ONE.raw() as f64;
    let week = trailing_mean(&times, &raw, 7 * DAY)?;
    let month = trailing_mean(&times, &raw, 30 * DAY)?;
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, &(time, rate))| FundingPoint {
            time,
            rate,
            annualized_7d: week[i] / scale * per_year,
            annualized_30d: month[i] / scale * per_year,
        })
        .collect())
}

/// The basis at one hour.
#[derive(Clone, Debug, PartialEq)]
pub struct BasisPoint {
    pub time: i64,
    /// Perp close ÷ spot close − 1.
    pub basis: Ratio,
    /// Mean basis over the trailing 7 days of hours.
    pub mean_7d: f64,
}

/// The hourly basis of aligned `perp` and `spot` candles.
pub fn rolling_basis(perp: &[Bar], spot: &[Bar]) -> Result<Vec<BasisPoint>, MathError> {
    let mut basis = Vec::with_capacity(perp.len());
    for (p, s) in perp.iter().zip(spot) {
        basis.push(
            p.close
                .ratio_to(s.close, Round::Floor)?
                .checked_sub(Ratio::ONE)?,
        );
    }
    let times: Vec<i64> = perp.iter().map(|b| b.time).collect();
    let raw: Vec<i128> = basis.iter().map(|b| b.raw()).collect();
    let mean = trailing_mean(&times, &raw, 7 * DAY)?;
    let scale = Ratio::ONE.raw() as f64;
    Ok(times
        .iter()
        .zip(basis)
        .zip(mean)
        .map(|((&time, basis), m)| BasisPoint {
            time,
            basis,
            mean_7d: m / scale,
        })
        .collect())
}

/// The regime report of one window.
#[derive(Clone, Debug)]
pub struct Regime {
    pub episodes: Vec<Episode>,
    pub funding: Vec<FundingPoint>,
    pub basis: Vec<BasisPoint>,
}

impl Regime {
    /// The report of `w`'s settlements (8 h apart) and hours.
    pub fn of(w: &Window) -> Result<Regime, MathError> {
        let interval = 8 * HOUR;
        Ok(Regime {
            episodes: negative_episodes(&w.funding, interval)?,
            funding: rolling_funding(&w.funding, interval)?,
            basis: rolling_basis(&w.perp, &w.spot)?,
        })
    }
}

/// `regime.csv`: one row per negative episode.
pub fn episodes_csv(r: &Regime, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "start,end,settlements,days,mean_rate,min_rate,sum_rate")?;
    for e in &r.episodes {
        writeln!(
            w,
            "{},{},{},{:.3},{:.8},{},{}",
            time::format(e.start),
            time::format(e.end),
            e.settlements,
            e.days(),
            e.mean_rate(),
            e.min_rate,
            e.sum_rate
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
