//! What a liquidation hunter sees of the long liquidations below the market
//! (`visibility` in `[agents.liquidation_hunters]`, issue #13 §4), as one
//! question: how much long notional is liquidatable between two prices?
//!
//! - exact: the positions' own liquidation prices ([`crate::agents::long_clusters`]);
//! - aggregated: a [`Heatmap`] of that notional in relative price bins,
//!   each bin off by a log-normal factor, as dashboards publish;
//! - none: an [`Estimate`] from the long open interest and an assumed
//!   leverage distribution.
//!
//! Statistics for an agent's decision (f64), never accounting.

use crate::marks::Marks;
use levamp_market::normal;
use rand_core::RngCore;

/// The ChaCha stream of a path's seed that the heatmap's noise draws from;
/// the path's other draws use stream 0, so switching visibility does not
/// shift them (same seed ⇒ same exogenous path at every level).
pub const HEATMAP_NOISE_STREAM: u64 = 1;

/// A heatmap of long liquidation notional: bin `k` covers
/// `[anchor·(1+bin)^k, anchor·(1+bin)^(k+1))`; ascending, non-empty bins only.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Heatmap {
    /// (low price, high price, notional) per bin.
    bins: Vec<(f64, f64, f64)>,
}

impl Heatmap {
    /// Bins `clusters` ((liquidation price, account, notional), as
    /// [`crate::agents::long_clusters`] gives them; accounts in `gone` left
    /// out, as a dashboard drops liquidated positions) around `anchor` with
    /// relative width `bin`; each bin's notional is multiplied by
    /// `exp(noise·z − noise²/2)` (z standard normal, mean factor 1), drawn
    /// in ascending bin order from `rng`.
    pub fn build(
        clusters: &[(f64, u32, f64)],
        gone: &Marks,
        anchor: f64,
        bin: f64,
        noise: f64,
        rng: &mut dyn RngCore,
    ) -> Heatmap {
        let step = (1.0 + bin).ln();
        let mut bins: Vec<(i64, f64)> = Vec::new();
        for &(price, account, notional) in clusters {
            if gone.by_venue(account) || price <= 0.0 {
                continue;
            }
            let k = ((price / anchor).ln() / step).floor() as i64;
            // Clusters are ascending by price, so bins come in order.
            match bins.last_mut() {
                Some((last, sum)) if *last == k => *sum += notional,
                _ => bins.push((k, notional)),
            }
        }
        let bins = bins
            .into_iter()
            .map(|(k, sum)| {
                let factor = match noise {
                    0.0 => 1.0,
                    _ => (noise * normal(rng) - noise * noise / 2.0).exp(),
                };
                let low = anchor * (k as f64 * step).exp();
                let high = anchor * ((k + 1) as f64 * step).exp();
                (low, high, sum * factor)
            })
            .collect();
        Heatmap { bins }
    }

    /// Notional liquidatable in `[low, high)`: each bin's share by the
    /// overlap of its range (notional taken as spread evenly in a bin).
    pub fn within(&self, low: f64, high: f64) -> f64 {
        let from = self.bins.partition_point(|b| b.1 <= low);
        self.bins[from..]
            .iter()
            .take_while(|b| b.0 < high)
            .map(|&(lo, hi, n)| n * (hi.min(high) - lo.max(low)).max(0.0) / (hi - lo))
            .sum()
    }
}

/// The hunter's guess without positions: `open_interest` (base, long) all
/// entered at `entry`, with leverage log-normal (`median`, `sigma`); a long
/// at leverage L then liquidates at `entry·(1 − 1/L)/(1 − mmr)` (isolated
/// margin, the market's first-tier maintenance rate `mmr`).
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub open_interest: f64,
    pub entry: f64,
    pub mmr: f64,
    pub median: f64,
    pub sigma: f64,
}

impl Estimate {
    /// Expected notional at `price` liquidatable in `[low, high)`:
    /// `open_interest · price · P(low ≤ liquidation price < high)`.
    pub fn within(&self, low: f64, high: f64, price: f64) -> f64 {
        let share = self.leverage_below(high) - self.leverage_below(low);
        self.open_interest * price * share.max(0.0)
    }

    /// P(liquidation price < `p`) = P(L < L(p)), L(p) = 1 / (1 − p·(1 − mmr)/entry).
    fn leverage_below(&self, p: f64) -> f64 {
        let x = p * (1.0 - self.mmr) / self.entry;
        if x >= 1.0 {
            return 1.0;
        }
        let leverage = 1.0 / (1.0 - x);
        if self.sigma == 0.0 {
            return if self.median < leverage { 1.0 } else { 0.0 };
        }
        normal_cdf((leverage.ln() - self.median.ln()) / self.sigma)
    }
}

/// The standard normal CDF through erf (Abramowitz & Stegun 7.1.26,
/// absolute error < 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    fn rng() -> rand_chacha::ChaCha8Rng {
        rand_chacha::ChaCha8Rng::seed_from_u64(5)
    }

    /// Without noise a heatmap keeps the notional: the whole range holds
    /// all of it, a bin's half holds half of that bin.
    #[test]
    fn heatmap_without_noise_keeps_the_notional() {
        let clusters: [(f64, u32, f64); 3] = [(99.5, 1, 10.0), (99.7, 2, 30.0), (95.0, 3, 5.0)];
        let mut clusters = clusters.to_vec();
        clusters.sort_by(|a, b| a.0.total_cmp(&b.0));
        let map = Heatmap::build(&clusters, &Marks::default(), 100.0, 0.01, 0.0, &mut rng());
        assert!((map.within(0.0, 1e9) - 45.0).abs() < 1e-9);
        // 99.5 and 99.7 share the bin [100/1.01, 100): 40 in it, half in its lower half.
        let (lo, hi) = (100.0 / 1.01, 100.0);
        let half = (lo + hi) / 2.0;
        assert!(
            (map.within(lo, half) - 20.0).abs() < 1e-9,
            "{}",
            map.within(lo, half)
        );
        assert_eq!(map.within(100.0, 200.0), 0.0);
    }

    /// With noise the bins are off, on average by nothing, deterministically.
    #[test]
    fn heatmap_noise_is_seeded_and_unbiased() {
        let clusters: Vec<(f64, u32, f64)> = (0..4000)
            .map(|i| (50.0 + i as f64 * 0.01, i, 1.0))
            .collect();
        let a = Heatmap::build(&clusters, &Marks::default(), 100.0, 0.001, 0.3, &mut rng());
        let b = Heatmap::build(&clusters, &Marks::default(), 100.0, 0.001, 0.3, &mut rng());
        assert_eq!(a, b);
        let total = a.within(0.0, 1e9);
        assert!((total / 4000.0 - 1.0).abs() < 0.05, "{total}");
        assert!((a.within(60.0, 61.0) - 100.0).abs() > 1e-6, "noisy");
    }

    /// 10× longs entered at 100 with a 0.5 % maintenance rate liquidate at
    /// 100·0.9/0.995 = 90.45: with every leverage at 10×, all the open
    /// interest is in [90, 91), none elsewhere.
    #[test]
    fn estimate_puts_the_open_interest_at_the_assumed_leverage() {
        let e = Estimate {
            open_interest: 3.0,
            entry: 100.0,
            mmr: 0.005,
            median: 10.0,
            sigma: 0.0,
        };
        assert_eq!(e.within(90.0, 91.0, 95.0), 3.0 * 95.0);
        assert_eq!(e.within(91.0, 95.0, 95.0), 0.0);
        let spread = Estimate { sigma: 0.5, ..e };
        let all = spread.within(0.0, 1e9, 95.0);
        // All but the (assumed) leverage below 1×: Φ(−ln 10 / 0.5) ≈ 2e-6.
        assert!((all / (3.0 * 95.0) - 1.0).abs() < 1e-5, "{all}");
        let near = spread.within(90.0, 91.0, 95.0);
        assert!(near > 0.0 && near < 3.0 * 95.0 * 0.2, "{near}");
    }

    #[test]
    fn normal_cdf_matches_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-4);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-6);
    }
}
