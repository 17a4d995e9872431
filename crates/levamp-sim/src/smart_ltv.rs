//! Risk DAO's SmartLTV closed form, the reference `levamp recommend
//! --method smart-ltv` prints beside the simulator's answer:
//!
//! `LTV = exp(−C · σ / sqrt(L / D)) − β`
//!
//! σ: the collateral's volatility against the debt asset over the
//! liquidation horizon; L: the DEX liquidity available at slippage β (the
//! liquidation bonus); D: the debt (or supply) cap; C: the confidence
//! (risk-level) factor. A result below 0 is 0, as the contract's
//! `trySub` makes it.
//!
//! Sources: backstop-protocol/smart-ltv, `src/core/SmartLTV.sol`
//! (`ltv()`: "LTV = e ^ (-c * sigma / sqrt(l/d)) - beta") and its test
//! `test/unit/core/SmartLTV.t.sol` (`testLTVCalculationExact`: L = 1,000,000,
//! σ = 0.10, D = 200,000, β = 0.05, C = 3 → 0.82444657); B.Protocol's
//! "SmartLTV formula" (docs.bprotocol.org/risk-oracle/smartltv-formula) and
//! "Setting Up Risk Levels in MetaMorpho Markets with SmartLTV" (B.Protocol
//! with Block Analitica, 2023).
//!
//! `f64` is right here: this is a statistical rule of thumb that produces a
//! parameter, not an amount of money; no balance is computed from it.

/// The inputs of the formula.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inputs {
    /// σ, as a fraction (0.1 = 10 %).
    pub sigma: f64,
    /// L, the DEX liquidity at slippage β (in the debt's unit).
    pub liquidity: f64,
    /// D, the debt or supply cap (same unit as L).
    pub debt: f64,
    /// β, the slippage (liquidation bonus), as a fraction.
    pub slippage: f64,
    /// C, the confidence factor.
    pub confidence: f64,
}

impl Inputs {
    /// Checks every input is a finite number in its range; errors name the flag.
    pub fn check(&self) -> Result<(), String> {
        let fields = [
            ("--sigma", self.sigma, false),
            ("--liquidity", self.liquidity, true),
            ("--debt", self.debt, true),
            ("--slippage", self.slippage, false),
            ("--confidence", self.confidence, false),
        ];
        for (flag, v, positive) in fields {
            if !v.is_finite() || v < 0.0 || (positive && v == 0.0) {
                let need = if positive { "above 0" } else { "at least 0" };
                return Err(format!("{flag} must be a finite number {need}, found {v}"));
            }
        }
        if self.slippage >= 1.0 {
            return Err(format!(
                "--slippage is a fraction below 1 (0.05 = 5 %), found {}",
                self.slippage
            ));
        }
        Ok(())
    }

    /// The SmartLTV: `max(0, exp(−C·σ/sqrt(L/D)) − β)`.
    pub fn ltv(&self) -> f64 {
        let exponent = self.confidence * self.sigma / (self.liquidity / self.debt).sqrt();
        ((-exponent).exp() - self.slippage).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// backstop-protocol/smart-ltv, test/unit/core/SmartLTV.t.sol,
    /// `testLTVCalculationExact`: 0.82444657 ± 1e-8.
    #[test]
    fn matches_the_contracts_exact_test() {
        let i = Inputs {
            sigma: 0.10,
            liquidity: 1_000_000.0,
            debt: 200_000.0,
            slippage: 0.05,
            confidence: 3.0,
        };
        assert!((i.ltv() - 0.824_446_57).abs() < 1e-8, "{}", i.ltv());
        // `testLTVCalculationMaxMantissa`: σ = 9.99, C = 4.9, L = D, β = 0.19 → 0.
        let i = Inputs {
            sigma: 9.99,
            liquidity: 1e7,
            debt: 1e7,
            slippage: 0.19,
            confidence: 4.9,
        };
        assert_eq!(i.ltv(), 0.0);
    }

    #[test]
    fn bad_inputs_name_the_flag() {
        let i = Inputs {
            sigma: 0.1,
            liquidity: 0.0,
            debt: 1.0,
            slippage: 0.05,
            confidence: 3.0,
        };
        assert!(i.check().unwrap_err().starts_with("--liquidity must be"));
        let i = Inputs {
            slippage: 1.5,
            liquidity: 1.0,
            ..i
        };
        assert!(i.check().unwrap_err().starts_with("--slippage"));
        let i = Inputs {
            sigma: f64::NAN,
            slippage: 0.05,
            ..i
        };
        assert!(i.check().unwrap_err().starts_with("--sigma"));
    }
}
