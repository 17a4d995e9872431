//! Aave v3 e-mode in the health factor: a golden example worked by hand.
//!
//! Sources (v3.0/3.1 semantics, one category per reserve):
//! - aave-v3-core `GenericLogic.calculateUserAccountData`: for each
//!   collateral reserve, `isInEModeCategory = EModeLogic.isInEModeCategory(
//!   userEModeCategory, reserve.getEModeCategory())`, then
//!   `liquidationThreshold = isInEModeCategory ? eModeLiqThreshold :
//!   reserveLiqThreshold` (the same for LTV); HF = Σ value × LT ÷ Σ debt.
//! - aave-v3-core `LiquidationLogic.executeLiquidationCall`: the liquidation
//!   bonus is the category's when the collateral is in the user's category.
//! - Aave Ethereum Core "ETH correlated" category (LTV 93 %, LT 95 %, bonus
//!   1 %); reserves WETH 80.5/83/5 % and wstETH 78.5/81/6 % (preset aave-v3).
//!
//! Worked example. Prices: WETH $2,000, wstETH $2,400, USDC $1.
//! Account supplies 10 WETH ($20,000); borrows 5 WETH ($10,000) and 3 wstETH
//! ($7,200): debt $17,200.
//! - Out of e-mode: HF = 20,000 × 0.83 ÷ 17,200 = 16,600 ÷ 17,200
//!   = 0.965116279069767… → floor at 12 dp 0.965116279069: liquidatable.
//! - In "ETH-correlated": HF = 20,000 × 0.95 ÷ 17,200 = 19,000 ÷ 17,200
//!   = 1.104651162790697… → 1.104651162790: healthy.
//!
//! With 1,000 USDC added as collateral (not in the category, so its own
//! LT 0.78 applies in and out of e-mode: + $780):
//! - out: 17,380 ÷ 17,200 = 1.010465116279069… → 1.010465116279;
//! - in:  19,780 ÷ 17,200 = 1.15 exactly.

use levamp_core::{Base, Price, Ratio};
use levamp_engine::{
    health_factor, lending_weights, maintenance_check, Account, Asset, EmodeCategory, Holding,
    LendingCollateral, MarginContext,
};

fn r(s: &str) -> Ratio {
    s.parse().unwrap()
}

fn asset(name: &str, price: u32, ltv: &str, lt: &str, bonus: &str, emode: bool) -> Asset {
    Asset {
        name: name.into(),
        price,
        haircut: Ratio::ZERO,
        ltv: r(ltv),
        liquidation_threshold: r(lt),
        liquidation_bonus: r(bonus),
        liquidation_protocol_fee: r("0.1"),
        pool: None,
        emode: emode.then_some(0),
    }
}

struct World {
    assets: Vec<Asset>,
    prices: Vec<Price>,
    categories: Vec<EmodeCategory>,
}

impl World {
    fn new() -> World {
        World {
            // 0: WETH, 1: wstETH, 2: USDC (asset id = price id)
            assets: vec![
                asset("WETH", 0, "0.805", "0.83", "0.05", true),
                asset("wstETH", 1, "0.785", "0.81", "0.06", true),
                asset("USDC", 2, "0.75", "0.78", "0.045", false),
            ],
            prices: vec![
                Price::from_int(2_000),
                Price::from_int(2_400),
                Price::from_int(1),
            ],
            categories: vec![EmodeCategory {
                name: "ETH-correlated".into(),
                ltv: r("0.93"),
                liquidation_threshold: r("0.95"),
                liquidation_bonus: r("0.01"),
            }],
        }
    }
    fn ctx(&self) -> MarginContext<'_> {
        MarginContext {
            markets: &[],
            assets: &self.assets,
            prices: &self.prices,
            indices: &[],
            lending_collateral: LendingCollateral::WalletAndSupplied,
            emode_categories: &self.categories,
            size_premium: levamp_core::Ratio::ZERO,
        }
    }
}

fn account(usdc: i64, emode: Option<u32>) -> Account {
    let h = |asset, amount: i64| Holding {
        asset,
        amount: Base::from_int(amount),
    };
    let mut collateral = vec![h(0, 10)];
    if usdc > 0 {
        collateral.push(h(2, usdc));
    }
    Account {
        id: "a".into(),
        collateral,
        borrows: vec![h(0, 5), h(1, 3)],
        emode,
        ..Account::default()
    }
}

#[test]
fn health_factor_in_and_out_of_emode() {
    let w = World::new();
    let hf = |usdc, emode| health_factor(&account(usdc, emode), &w.ctx()).unwrap();
    assert_eq!(hf(0, None), Some(r("0.965116279069")));
    assert_eq!(hf(0, Some(0)), Some(r("1.104651162790")));
    assert_eq!(hf(1_000, None), Some(r("1.010465116279")));
    assert_eq!(hf(1_000, Some(0)), Some(r("1.15")));
    assert!(
        maintenance_check(&account(0, None), &w.ctx())
            .unwrap()
            .liquidatable
    );
    assert!(
        !maintenance_check(&account(0, Some(0)), &w.ctx())
            .unwrap()
            .liquidatable
    );
}

#[test]
fn weights_come_from_the_category_only_for_its_assets() {
    let w = World::new();
    let weth = lending_weights(&w.assets[0], Some(0), &w.categories);
    assert_eq!(
        (weth.ltv, weth.liquidation_threshold, weth.liquidation_bonus),
        (r("0.93"), r("0.95"), r("0.01"))
    );
    let usdc = lending_weights(&w.assets[2], Some(0), &w.categories);
    assert_eq!(usdc.liquidation_threshold, r("0.78"));
    let weth_out = lending_weights(&w.assets[0], None, &w.categories);
    assert_eq!(weth_out.liquidation_bonus, r("0.05"));
}
