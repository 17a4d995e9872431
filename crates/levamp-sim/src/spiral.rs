//! A published deleveraging spiral, reproduced on levamp's engine:
//! Klages-Mundt & Minca, "(In)Stability for the Blockchain: Deleveraging
//! Spirals and Stablecoin Attacks", Cryptoeconomic Systems 1(2), 2021
//! (arXiv:1906.02152v3), Sections 2–4 and 6.2, Tables 1 and 2
//! (docs/scenarios.md, "A published result").
//!
//! A speculator holds `n` ETH as collateral against `L` stablecoins it issued
//! and must keep `n·p^E ≥ β·L`. Stablecoin holders want a constant dollar
//! amount `D`, so the stablecoin trades at `p^D = D / L`. Each period the
//! speculator picks a supply change `Δ`: its optimum `Δ* = −L + √(L·D·r̂)`
//! (Sec. 4), projected onto the feasible set of Prop. 1 — the `u = L + Δ`
//! with `−β·u² + (n·p^E + D)·u − L·D ≥ 0`. A buy-back (`Δ < 0`) pays
//! `|Δ|·p^D / p^E` ETH; an issue (`Δ > 0`) receives as much. When ETH falls
//! the constraint binds and every buy-back raises `p^D`: the spiral.
//!
//! The balance sheet lives in a [`Venue`]: the speculator's ETH is supplied
//! WETH with LTV `1/β`, its stablecoins are debt in a pool (valued at face
//! value 1, as in the paper's constraint), trades with the holders are
//! deposits and withdrawals, and the venue's own LTV check refuses any step
//! that would break the constraint. `Δ` and `p^D` are solved in `f64` (the
//! paper's model); the amounts are then rounded to 12 decimals in the
//! constraint's favour.

use levamp_core::{Base, Price, Ratio, Round};
use levamp_engine::venue::{AccountId, Command, Venue, VenueError, VenueRules};
use levamp_engine::{Asset, AssetId, PoolParams, PriceId, RateModel};

/// One period of the speculator: the paper's table columns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpiralRow {
    /// `p^E_t`
    pub eth_price: f64,
    /// `D_t`, the holders' dollar demand.
    pub demand: f64,
    /// `Δ_t`, the change in stablecoin supply (negative: bought back).
    pub delta: f64,
    /// `L_t`
    pub supply: f64,
    /// `p^D_t = D_t / L_t`
    pub stable_price: f64,
    /// `n_t`, the speculator's ETH.
    pub eth: f64,
    /// Whether the collateral constraint bound (the speculator was forced).
    pub forced: bool,
}

/// The speculator's balance sheet on a venue.
pub struct Speculator {
    venue: Venue,
    account: AccountId,
    weth: AssetId,
    stable: AssetId,
    eth_key: PriceId,
    beta: f64,
    r_hat: f64,
    ts: i64,
}

fn amount(x: f64, up: bool) -> Result<Base, VenueError> {
    let round = if up { Round::Ceil } else { Round::Floor };
    Ok(Base::from_f64(x, round)?)
}

fn price(x: f64) -> Result<Price, VenueError> {
    Ok(Price::from_f64(x, Round::Floor)?)
}

impl Speculator {
    /// A speculator with `eth` ETH and `supply` stablecoins issued at ETH price
    /// `eth_price`; collateral factor `beta`, expected ETH return `r_hat`.
    pub fn new(
        eth: &str,
        supply: &str,
        eth_price: f64,
        beta: f64,
        r_hat: f64,
    ) -> Result<Speculator, VenueError> {
        let mut venue = Venue::new(VenueRules::generic(), "USD");
        // Interest-free pools: the paper has no interest.
        let pool = Some(PoolParams {
            rate_model: RateModel {
                optimal_utilization: Ratio::from_raw(500_000_000_000),
                base: Ratio::ZERO,
                slope1: Ratio::ZERO,
                slope2: Ratio::ZERO,
            },
            reserve_factor: Ratio::ZERO,
        });
        // The venue's LTV is 1/β rounded up: its check then refuses only what
        // breaks n·p^E ≥ β·L by more than a unit of the last decimal.
        let ltv = Ratio::from_f64(1.0 / beta, Round::Ceil)?;
        let asset = |name: &str, ltv| Asset {
            name: name.into(),
            price: 0,
            haircut: Ratio::ZERO,
            ltv,
            liquidation_threshold: ltv,
            liquidation_bonus: Ratio::ZERO,
            liquidation_protocol_fee: Ratio::ZERO,
            emode: None,
            pool,
        };
        for (spec, key) in [
            (asset("WETH", ltv), "ETH"),
            (asset("STABLE", Ratio::ZERO), "STABLE"),
        ] {
            venue.execute(&Command::ListAsset {
                spec: Box::new(spec),
                price_key: key.into(),
            })?;
        }
        let (weth, stable) = (
            venue.asset_id("WETH").unwrap_or(0),
            venue.asset_id("STABLE").unwrap_or(0),
        );
        let eth_key = venue.assets()[weth as usize].price;
        let stable_key = venue.assets()[stable as usize].price;
        for (key, p) in [(stable_key, 1.0), (eth_key, eth_price)] {
            venue.execute(&Command::Price {
                key,
                price: price(p)?,
                ts: 0,
                confidence: None,
            })?;
        }
        for name in ["holders", "speculator"] {
            venue.execute(&Command::OpenAccount { name: name.into() })?;
        }
        let holders = venue.account_id("holders").unwrap_or(0);
        let account = venue.account_id("speculator").unwrap_or(0);
        let eth: Base = eth.parse().map_err(|_| VenueError::Invalid {
            field: "eth",
            reason: "not a decimal".into(),
        })?;
        let supply: Base = supply.parse().map_err(|_| VenueError::Invalid {
            field: "supply",
            reason: "not a decimal".into(),
        })?;
        // The pool the stablecoins are issued from (the holders' side of the ledger).
        let float = Base::from_raw(1_000_000 * 1_000_000_000_000);
        for c in [
            Command::Deposit {
                account: holders,
                asset: stable,
                amount: float,
            },
            Command::Supply {
                account: holders,
                asset: stable,
                amount: float,
            },
            Command::Deposit {
                account,
                asset: weth,
                amount: eth,
            },
            Command::Supply {
                account,
                asset: weth,
                amount: eth,
            },
            Command::ImportBorrow {
                account,
                asset: stable,
                amount: supply,
            },
        ] {
            venue.execute(&c)?;
        }
        Ok(Speculator {
            venue,
            account,
            weth,
            stable,
            eth_key,
            beta,
            r_hat,
            ts: 0,
        })
    }

    /// `n`: the speculator's ETH.
    pub fn eth(&self) -> f64 {
        self.venue
            .supplied(self.account, self.weth)
            .map_or(0.0, Base::to_f64_lossy)
    }

    /// `L`: stablecoins outstanding.
    pub fn supply(&self) -> f64 {
        self.venue
            .debt(self.account, self.stable)
            .map_or(0.0, Base::to_f64_lossy)
    }

    /// The venue holding the balance sheet.
    pub fn venue(&self) -> &Venue {
        &self.venue
    }

    /// One period: ETH moves to `eth_price`, demand is `demand`; the
    /// speculator trades its optimal feasible `Δ`. An error when no `Δ` is
    /// feasible (Prop. 3: the market cannot be maintained) or the venue
    /// refuses the trade.
    pub fn step(&mut self, eth_price: f64, demand: f64) -> Result<SpiralRow, VenueError> {
        self.ts += 86_400;
        self.venue.execute(&Command::Price {
            key: self.eth_key,
            price: price(eth_price)?,
            ts: self.ts,
            confidence: None,
        })?;
        let (n, l) = (self.eth(), self.supply());
        let z = n * eth_price;
        let (b, d) = (self.beta, demand);
        let disc = (z + d) * (z + d) - 4.0 * b * l * d;
        if disc < 0.0 {
            return Err(VenueError::Invalid {
                field: "eth_price",
                reason: format!("no feasible supply at ETH {eth_price}: the stablecoin market cannot be maintained (Prop. 3)"),
            });
        }
        let (lo, hi) = (
            (z + d - disc.sqrt()) / (2.0 * b) - l,
            (z + d + disc.sqrt()) / (2.0 * b) - l,
        );
        let optimum = -l + (l * d * self.r_hat).sqrt();
        let delta = optimum.clamp(lo, hi);
        let forced = optimum > hi;
        let stable_price = d / (l + delta);
        let (account, weth, stable) = (self.account, self.weth, self.stable);
        let commands = if delta < 0.0 {
            // Buy back |Δ| coins (rounded up: more headroom) for ETH.
            let coins = amount(-delta, true)?;
            let paid = amount(coins.to_f64_lossy() * stable_price / eth_price, false)?;
            vec![
                Command::Deposit {
                    account,
                    asset: stable,
                    amount: coins,
                },
                Command::Repay {
                    account,
                    asset: stable,
                    amount: Some(coins),
                },
                Command::WithdrawSupply {
                    account,
                    asset: weth,
                    amount: Some(paid),
                },
                Command::Withdraw {
                    account,
                    asset: weth,
                    amount: paid,
                },
            ]
        } else {
            // Issue Δ coins (rounded down) and buy ETH with them.
            let coins = amount(delta, false)?;
            let bought = amount(coins.to_f64_lossy() * stable_price / eth_price, false)?;
            vec![
                Command::Deposit {
                    account,
                    asset: weth,
                    amount: bought,
                },
                Command::Supply {
                    account,
                    asset: weth,
                    amount: bought,
                },
                Command::Borrow {
                    account,
                    asset: stable,
                    amount: coins,
                },
                Command::Withdraw {
                    account,
                    asset: stable,
                    amount: coins,
                },
            ]
        };
        for c in commands.iter().filter(|c| !is_zero(c)) {
            self.venue.execute(c)?;
        }
        let supply = self.supply();
        Ok(SpiralRow {
            eth_price,
            demand,
            delta,
            supply,
            stable_price: demand / supply,
            eth: self.eth(),
            forced,
        })
    }
}

fn is_zero(c: &Command) -> bool {
    match c {
        Command::Deposit { amount, .. }
        | Command::Withdraw { amount, .. }
        | Command::Borrow { amount, .. } => amount.is_zero(),
        Command::Repay { amount, .. } | Command::WithdrawSupply { amount, .. } => {
            amount.is_some_and(|a| a.is_zero())
        }
        _ => false,
    }
}
