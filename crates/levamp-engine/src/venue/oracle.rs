//! The oracle model: the feed between a "true" market price and the venue.
//!
//! A feed observes the true price over time and publishes an update when
//! the value moved by at least `deviation` since the last publication, or
//! `heartbeat_s` passed (Chainlink's deviation threshold + heartbeat); the
//! published value is the spot price or its time-weighted average over
//! `twap_window_s` (Drift/Uniswap TWAP oracles), truncated to `decimals`
//! (the feed's precision), and reaches the venue `latency_s` seconds later.
//! With neither deviation nor heartbeat set it publishes every observation.
//! Liquidations on stale prices are paused by the venue's
//! `oracle_max_age_s` rule. Deterministic: no clock, no randomness.

use levamp_core::{mul_div, MathError, Price, Ratio, Round, SCALE};
use std::collections::VecDeque;

/// How a feed publishes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OracleConfig {
    /// Publish at least this often (seconds).
    pub heartbeat_s: Option<i64>,
    /// Publish when the value moved by at least this fraction.
    pub deviation: Option<Ratio>,
    /// Delay between observation and delivery to the venue (seconds).
    pub latency_s: i64,
    /// Decimal places of the published price (truncated); `None`: full precision.
    pub decimals: Option<u32>,
    /// Publish the TWAP over this window instead of the spot price.
    pub twap_window_s: Option<i64>,
    /// Confidence interval reported with each update, as a fraction of the price.
    pub confidence: Option<Ratio>,
}

/// One update as the venue receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleUpdate {
    /// Delivery time (observation time + latency).
    pub ts: i64,
    pub price: Price,
    /// When the value was observed.
    pub observed_ts: i64,
    pub confidence: Option<Ratio>,
}

/// A feed's state; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct OracleFeed {
    pub config: OracleConfig,
    /// (time, true price) observations inside the TWAP window.
    window: VecDeque<(i64, Price)>,
    last_published: Option<(i64, Price)>,
    in_flight: VecDeque<OracleUpdate>,
}

impl OracleFeed {
    pub fn new(config: OracleConfig) -> OracleFeed {
        OracleFeed {
            config,
            ..OracleFeed::default()
        }
    }

    /// Observes the true price at `ts` (non-decreasing); returns the updates
    /// delivered at or before `ts`, oldest first.
    pub fn observe(&mut self, ts: i64, price: Price) -> Result<Vec<OracleUpdate>, MathError> {
        let mut out = Vec::new();
        self.observe_into(ts, price, &mut out)?;
        Ok(out)
    }

    /// As [`OracleFeed::observe`], into `out` (cleared first): a simulator
    /// reuses one buffer from step to step.
    pub fn observe_into(
        &mut self,
        ts: i64,
        price: Price,
        out: &mut Vec<OracleUpdate>,
    ) -> Result<(), MathError> {
        out.clear();
        // A feed that publishes every observation at once, at full spot
        // (the simulator's instant oracle): the general path below would
        // push the observation into the window and clear it, queue the
        // update and deliver it at once. Same state, same update.
        let c = &self.config;
        if c.heartbeat_s.is_none()
            && c.deviation.is_none()
            && c.latency_s == 0
            && c.twap_window_s.is_none()
            && c.decimals.is_none_or(|d| d >= levamp_core::DECIMALS)
            && self.in_flight.is_empty()
        {
            self.window.clear();
            self.last_published = Some((ts, price));
            out.push(OracleUpdate {
                ts,
                price,
                observed_ts: ts,
                confidence: c.confidence,
            });
            return Ok(());
        }
        self.window.push_back((ts, price));
        let value = self.value(ts)?;
        let due = match (
            self.last_published,
            self.config.heartbeat_s,
            self.config.deviation,
        ) {
            (None, ..) => true,
            (Some(_), None, None) => true,
            (Some((last_ts, last)), heartbeat, deviation) => {
                let beat = heartbeat.is_some_and(|h| ts - last_ts >= h);
                let moved = match deviation {
                    Some(d) => {
                        let change = value
                            .raw()
                            .checked_sub(last.raw())
                            .ok_or(MathError::Overflow)?
                            .checked_abs()
                            .ok_or(MathError::Overflow)?;
                        change >= mul_div(last.raw(), d.raw(), SCALE, Round::Ceil)?
                    }
                    None => false,
                };
                beat || moved
            }
        };
        if due {
            self.last_published = Some((ts, value));
            let confidence = self.config.confidence;
            self.in_flight.push_back(OracleUpdate {
                ts: ts + self.config.latency_s,
                price: value,
                observed_ts: ts,
                confidence,
            });
        }
        while self.in_flight.front().is_some_and(|u| u.ts <= ts) {
            out.extend(self.in_flight.pop_front());
        }
        Ok(())
    }

    /// Updates still in flight (delivered later).
    pub fn pending(&self) -> impl Iterator<Item = &OracleUpdate> {
        self.in_flight.iter()
    }

    /// Spot or TWAP at `ts`, truncated to the feed's precision.
    fn value(&mut self, ts: i64) -> Result<Price, MathError> {
        let spot = self.window.back().map_or(Price::ZERO, |(_, p)| *p);
        let raw = match self.config.twap_window_s {
            Some(w) if w > 0 => {
                let start = ts - w;
                // Keep one observation at or before the window start (it holds until the next).
                while self.window.len() > 1 && self.window[1].0 <= start {
                    self.window.pop_front();
                }
                let mut weighted: i128 = 0;
                let mut total: i128 = 0;
                for (i, &(t, p)) in self.window.iter().enumerate() {
                    let from = t.max(start);
                    let to = self.window.get(i + 1).map_or(ts, |n| n.0);
                    let dt = (to - from).max(0) as i128;
                    weighted = weighted
                        .checked_add(p.raw().checked_mul(dt).ok_or(MathError::Overflow)?)
                        .ok_or(MathError::Overflow)?;
                    total += dt;
                }
                if total == 0 {
                    spot.raw()
                } else {
                    weighted / total
                }
            }
            _ => {
                self.window.clear();
                spot.raw()
            }
        };
        Ok(Price::from_raw(match self.config.decimals {
            Some(d) if d < levamp_core::DECIMALS => {
                let unit = 10i128.pow(levamp_core::DECIMALS - d);
                raw / unit * unit
            }
            _ => raw,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    fn prices(updates: &[OracleUpdate]) -> Vec<(i64, String)> {
        updates
            .iter()
            .map(|u| (u.ts, u.price.to_string()))
            .collect()
    }

    #[test]
    fn deviation_and_heartbeat() {
        // Chainlink-style: 0.5 % deviation, 1-hour heartbeat.
        let mut f = OracleFeed::new(OracleConfig {
            heartbeat_s: Some(3600),
            deviation: Some("0.005".parse().unwrap()),
            ..OracleConfig::default()
        });
        assert_eq!(
            prices(&f.observe(0, p("2000")).unwrap()),
            vec![(0, "2000".into())]
        );
        assert!(
            f.observe(60, p("2009.99")).unwrap().is_empty(),
            "0.4995 % < 0.5 %"
        );
        assert_eq!(
            prices(&f.observe(120, p("2010")).unwrap()),
            vec![(120, "2010".into())]
        );
        assert!(f.observe(3600, p("2011")).unwrap().is_empty());
        assert_eq!(
            prices(&f.observe(3720, p("2011")).unwrap()),
            vec![(3720, "2011".into())],
            "heartbeat"
        );
    }

    #[test]
    fn latency_and_precision() {
        let mut f = OracleFeed::new(OracleConfig {
            latency_s: 30,
            decimals: Some(2),
            ..OracleConfig::default()
        });
        assert!(f.observe(0, p("2000.129")).unwrap().is_empty());
        assert!(f.observe(20, p("1990")).unwrap().is_empty());
        assert_eq!(
            prices(&f.observe(30, p("1980")).unwrap()),
            vec![(30, "2000.12".into())]
        );
        assert_eq!(
            prices(&f.observe(60, p("1970")).unwrap()),
            vec![(50, "1990".into()), (60, "1980".into())]
        );
        assert_eq!(f.pending().count(), 1);
    }

    #[test]
    fn twap_is_time_weighted() {
        // 100 for 30 s, then 130 for 30 s: TWAP over 60 s = 115.
        let mut f = OracleFeed::new(OracleConfig {
            twap_window_s: Some(60),
            ..OracleConfig::default()
        });
        f.observe(0, p("100")).unwrap();
        f.observe(30, p("130")).unwrap();
        assert_eq!(
            prices(&f.observe(60, p("130")).unwrap()),
            vec![(60, "115".into())]
        );
        // 30 s later the window holds 130 only.
        assert_eq!(
            prices(&f.observe(90, p("130")).unwrap()),
            vec![(90, "130".into())]
        );
    }
}
