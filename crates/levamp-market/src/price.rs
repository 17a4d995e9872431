//! Exogenous price processes: the move of the "outside" price each step,
//! as a gross return `exo_t ÷ exo_{t−1}` (a `Ratio`, 12 decimals). Random
//! draws use `f64` (allowed for price generation); the ratio is rounded to
//! 12 decimals once ([`to_ratio`]), so the simulator's prices stay
//! fixed-point. A draw that is not a finite number is an error.

use levamp_core::{MathError, Price, Ratio, Round};
use rand_core::RngCore;

/// A process producing one gross return per step.
pub trait PriceProcess: Send {
    /// The gross return of step `step` (1-based); an error when the model
    /// produced NaN, ±∞ or a return beyond the fixed-point range.
    fn ratio(&mut self, step: usize, rng: &mut dyn RngCore) -> Result<Ratio, MathError>;
    /// For replays: the price at `step` relative to the start, so the path
    /// follows the data without accumulating rounding.
    fn level(&self, _step: usize) -> Option<Ratio> {
        None
    }
}

/// `f64` gross return → `Ratio`, rounded down at 12 decimals and at least
/// one tick (a price never reaches zero); NaN, ±∞ and out-of-range values
/// are errors ([`levamp_core::from_f64`]).
pub fn to_ratio(g: f64) -> Result<Ratio, MathError> {
    Ok(Ratio::from_f64(g, Round::Floor)?.max(Ratio::TICK))
}

/// A uniform draw in (0, 1).
pub fn uniform(rng: &mut dyn RngCore) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal draw (Box–Muller).
pub fn normal(rng: &mut dyn RngCore) -> f64 {
    let (u1, u2) = (uniform(rng), uniform(rng));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson draw (Knuth; fine for the small means of per-step jump counts).
pub fn poisson(rng: &mut dyn RngCore, mean: f64) -> u32 {
    let limit = (-mean).exp();
    let (mut k, mut p) = (0u32, 1.0);
    loop {
        p *= uniform(rng);
        if p <= limit || k > 1000 {
            return k;
        }
        k += 1;
    }
}

/// Seconds in the 365-day year used to annualise volatilities.
pub const YEAR_S: f64 = 365.0 * 24.0 * 3600.0;

/// Geometric Brownian motion: `exp((μ − σ²/2)·dt + σ·√dt·Z)`, `μ`, `σ` annual.
#[derive(Clone, Debug)]
pub struct Gbm {
    pub mu: f64,
    pub sigma: f64,
    pub dt_years: f64,
}

impl PriceProcess for Gbm {
    fn ratio(&mut self, _: usize, rng: &mut dyn RngCore) -> Result<Ratio, MathError> {
        let drift = (self.mu - 0.5 * self.sigma * self.sigma) * self.dt_years;
        to_ratio((drift + self.sigma * self.dt_years.sqrt() * normal(rng)).exp())
    }
}

/// Merton jump-diffusion: GBM plus `Poisson(λ·dt)` jumps with log-sizes
/// `N(jump_mean, jump_sigma²)`; the drift is compensated so `μ` stays the mean return.
#[derive(Clone, Debug)]
pub struct Jump {
    pub gbm: Gbm,
    /// Jumps per year.
    pub intensity: f64,
    pub jump_mean: f64,
    pub jump_sigma: f64,
}

impl PriceProcess for Jump {
    fn ratio(&mut self, _: usize, rng: &mut dyn RngCore) -> Result<Ratio, MathError> {
        let g = &self.gbm;
        let k = (self.jump_mean + 0.5 * self.jump_sigma * self.jump_sigma).exp() - 1.0;
        let drift = (g.mu - self.intensity * k - 0.5 * g.sigma * g.sigma) * g.dt_years;
        let mut log = drift + g.sigma * g.dt_years.sqrt() * normal(rng);
        for _ in 0..poisson(rng, self.intensity * g.dt_years) {
            log += self.jump_mean + self.jump_sigma * normal(rng);
        }
        to_ratio(log.exp())
    }
}

/// GARCH(1,1) log-returns per step: `σ²_t = ω + α·r²_{t−1} + β·σ²_{t−1}`,
/// `r_t = μ + σ_t·Z`. Parameters per step; the variance starts at its
/// long-run level `ω ÷ (1 − α − β)`.
#[derive(Clone, Debug)]
pub struct Garch {
    pub mu: f64,
    pub omega: f64,
    pub alpha: f64,
    pub beta: f64,
    variance: f64,
    last: f64,
}

impl Garch {
    pub fn new(mu: f64, omega: f64, alpha: f64, beta: f64) -> Garch {
        let persistence = (alpha + beta).min(0.999_999);
        Garch {
            mu,
            omega,
            alpha,
            beta,
            variance: omega / (1.0 - persistence),
            last: 0.0,
        }
    }
}

impl PriceProcess for Garch {
    fn ratio(&mut self, step: usize, rng: &mut dyn RngCore) -> Result<Ratio, MathError> {
        if step > 1 {
            self.variance =
                self.omega + self.alpha * self.last * self.last + self.beta * self.variance;
        }
        let r = self.mu + self.variance.sqrt() * normal(rng);
        self.last = r - self.mu;
        to_ratio(r.exp())
    }
}

/// A scripted shock: the price moves by `shock` (−0.15 = −15 %) spread
/// geometrically over `shock_steps` steps starting at `start_step`, flat otherwise.
#[derive(Clone, Debug)]
pub struct Shock {
    pub shock: Ratio,
    pub shock_steps: usize,
    pub start_step: usize,
}

impl PriceProcess for Shock {
    fn ratio(&mut self, step: usize, _: &mut dyn RngCore) -> Result<Ratio, MathError> {
        if step < self.start_step || step >= self.start_step + self.shock_steps {
            return Ok(Ratio::ONE);
        }
        let total = Ratio::ONE.checked_add(self.shock)?;
        match self.shock_steps {
            1 => Ok(total),
            n => to_ratio(total.to_f64_lossy().powf(1.0 / n as f64)),
        }
    }
}

/// Replay of a real series: the gross returns between consecutive closes,
/// and each close relative to the first.
#[derive(Clone, Debug)]
pub struct Replay {
    /// `ratios[i]` is the return from close `i` to close `i + 1`.
    pub ratios: Vec<Ratio>,
    /// `levels[i]` is close `i + 1` ÷ close 0.
    pub levels: Vec<Ratio>,
}

impl Replay {
    /// From a series of positive prices (already validated), exactly: each
    /// ratio rounded down at 12 decimals. An error on a zero price or a
    /// ratio beyond the fixed-point range.
    pub fn from_prices(prices: &[Price]) -> Result<Replay, MathError> {
        let first = prices.first().copied().unwrap_or(Price::ONE);
        Ok(Replay {
            ratios: prices
                .windows(2)
                .map(|w| w[1].ratio_to(w[0], Round::Floor))
                .collect::<Result<_, _>>()?,
            levels: prices
                .iter()
                .skip(1)
                .map(|p| p.ratio_to(first, Round::Floor))
                .collect::<Result<_, _>>()?,
        })
    }
}

impl PriceProcess for Replay {
    fn ratio(&mut self, step: usize, _: &mut dyn RngCore) -> Result<Ratio, MathError> {
        Ok(self.ratios.get(step - 1).copied().unwrap_or(Ratio::ONE))
    }
    fn level(&self, step: usize) -> Option<Ratio> {
        self.levels.get(step - 1).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn non_finite_returns_are_errors_not_one_tick() {
        assert_eq!(to_ratio(f64::NAN), Err(MathError::NotFinite));
        assert_eq!(to_ratio(f64::INFINITY), Err(MathError::NotFinite));
        assert_eq!(to_ratio(1e300), Err(MathError::Overflow));
        assert_eq!(to_ratio(0.0), Ok(Ratio::TICK));
        assert_eq!(to_ratio(1.5), Ok("1.5".parse().unwrap()));
        // σ = ∞ makes every GBM draw NaN or ∞.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut g = Gbm {
            mu: 0.0,
            sigma: f64::INFINITY,
            dt_years: 1.0,
        };
        assert!(g.ratio(1, &mut rng).is_err());
        assert!(Replay::from_prices(&[Price::ZERO, Price::ONE]).is_err());
    }

    #[test]
    fn gbm_matches_its_volatility() {
        // 100k one-minute steps at σ = 80 %/yr: sample std of log-returns ≈ σ·√dt.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut p = Gbm {
            mu: 0.0,
            sigma: 0.8,
            dt_years: 60.0 / YEAR_S,
        };
        let r: Vec<f64> = (1..=100_000)
            .map(|i| p.ratio(i, &mut rng).unwrap().to_f64_lossy().ln())
            .collect();
        let mean = r.iter().sum::<f64>() / r.len() as f64;
        let sd = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / r.len() as f64).sqrt();
        let expected = 0.8 * (60.0 / YEAR_S).sqrt();
        assert!((sd / expected - 1.0).abs() < 0.02, "{sd} vs {expected}");
    }

    #[test]
    fn shock_is_exact_in_one_step() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut s = Shock {
            shock: "-0.15".parse().unwrap(),
            shock_steps: 1,
            start_step: 1,
        };
        assert_eq!(s.ratio(1, &mut rng), Ok("0.85".parse().unwrap()));
        assert_eq!(s.ratio(2, &mut rng), Ok(Ratio::ONE));
        let mut s = Shock {
            shock: "-0.15".parse().unwrap(),
            shock_steps: 10,
            start_step: 1,
        };
        let total: f64 = (1..=10)
            .map(|i| s.ratio(i, &mut rng).unwrap().to_f64_lossy())
            .product();
        assert!((total - 0.85).abs() < 1e-9);
    }

    #[test]
    fn garch_variance_clusters_and_jumps_fatten_tails() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut g = Garch::new(0.0, 1e-6, 0.1, 0.85);
        let r: Vec<f64> = (1..=20_000)
            .map(|i| g.ratio(i, &mut rng).unwrap().to_f64_lossy().ln())
            .collect();
        let var = r.iter().map(|x| x * x).sum::<f64>() / r.len() as f64;
        assert!((var / 2e-5 - 1.0).abs() < 0.25, "long-run variance {var}");
        let mut j = Jump {
            gbm: Gbm {
                mu: 0.0,
                sigma: 0.5,
                dt_years: 1.0 / 365.0,
            },
            intensity: 50.0,
            jump_mean: -0.05,
            jump_sigma: 0.02,
        };
        let big = (1..=5_000)
            .filter(|&i| j.ratio(i, &mut rng).unwrap().to_f64_lossy() < 0.93)
            .count();
        assert!(big > 100, "jumps produce large drops: {big}");
    }
}
