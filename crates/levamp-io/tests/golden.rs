//! Golden vectors: published venue numbers and open-source test vectors.
//! Each test names its source; expected values are the source's, never
//! levamp's own output.

use levamp_core::{Price, Ratio};
use levamp_io::{evaluate, AccountReport, Preset, Snapshot};

fn run(json: &str, venue: &str) -> Vec<AccountReport> {
    let snapshot =
        Snapshot::parse(json, &Preset::load(venue).unwrap()).unwrap_or_else(|e| panic!("{e}"));
    (0..snapshot.accounts.len())
        .map(|i| evaluate(&snapshot, i).unwrap())
        .collect()
}

/// Parses an expected value, cutting digits beyond levamp's 12 decimals.
fn value(text: &str) -> i128 {
    let cut = match text.find('.') {
        Some(i) if text.len() > i + 13 => &text[..i + 13],
        _ => text,
    };
    cut.parse::<Price>().unwrap().raw()
}

/// |actual − expected| ≤ tolerance (absolute, decimal text).
fn assert_near(actual: Option<Price>, expected: &str, tolerance: &str, what: &str) {
    let actual =
        actual.unwrap_or_else(|| panic!("{what}: no liquidation price, expected {expected}"));
    let diff = (actual.raw() - value(expected)).abs();
    assert!(
        diff <= value(tolerance),
        "{what}: got {actual}, expected {expected} ± {tolerance}"
    );
}

/// Binance "calc example" used by freqtrade: tests/exchange/test_exchange.py
/// `test_liquidation_price_binance` @ 0008a872 (and the later
/// tests/exchange/test_binance.py version with `open_trades`, marks
/// BTC 31967.27 / ETH 1335.18). Expected values are Binance's to the cent.
/// The mocked brackets (BTC MMR 0.025 cum 16300, ETH MMR 0.10 cum 135365)
/// are given here as one-tier markets, as freqtrade's mock does.
const BINANCE_CALC_MARKETS: &str = r#"
  "quote": "USDT", "prices": {"BTC": 31967.27, "ETH": 1335.18},
  "markets": {
    "BTCUSDT": {"base": "BTC", "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.025, "maintenance_amount": 16300, "max_leverage": 20}]},
    "ETHUSDT": {"base": "ETH", "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.10, "maintenance_amount": 135365, "max_leverage": 5}]}}"#;

#[test]
fn binance_calc_example_cross_two_positions() {
    let json = format!(
        r#"{{{BINANCE_CALC_MARKETS}, "accounts": [{{"id": "x", "collateral": {{"USDT": 1535443.01}}, "positions": [
            {{"market": "BTCUSDT", "size": 109.488, "entry_price": 32481.98}},
            {{"market": "ETHUSDT", "size": 3683.979, "entry_price": 1456.84}}]}}]}}"#
    );
    let r = &run(&json, "generic")[0];
    assert_near(
        r.positions[0].liquidation_price,
        "26316.89",
        "0.005",
        "BTCUSDT cross",
    );
    assert_near(
        r.positions[1].liquidation_price,
        "1153.26",
        "0.005",
        "ETHUSDT cross",
    );
    // freqtrade's row passes the other position's figures: UPNL −56354.57 (BTC) / −448192.89 (ETH).
    assert_near(
        Some(Price::from_raw(-r.positions[0].margin.unrealized_pnl.raw())),
        "56354.57",
        "0.01",
        "BTC uPnL",
    );
    assert_near(
        Some(Price::from_raw(-r.positions[1].margin.unrealized_pnl.raw())),
        "448192.89",
        "0.01",
        "ETH uPnL",
    );
    // …and TMM 356512.508 for ETH (= 3683.979 × 1335.18 × 0.10 − 135365).
    assert_near(
        Some(Price::from_raw(
            r.positions[1].margin.maintenance_margin.raw(),
        )),
        "356512.508",
        "0.001",
        "ETH MM",
    );
}

#[test]
fn binance_calc_example_isolated() {
    let json = format!(
        r#"{{{BINANCE_CALC_MARKETS}, "accounts": [{{"id": "x", "margin_mode": "isolated", "positions": [
            {{"market": "BTCUSDT", "size": 109.488, "entry_price": 32481.98, "isolated_margin": 1535443.01}},
            {{"market": "ETHUSDT", "size": 3683.979, "entry_price": 1456.84, "isolated_margin": 1535443.01}}]}}]}}"#
    );
    let r = &run(&json, "generic")[0];
    assert_near(
        r.positions[0].liquidation_price,
        "18778.73",
        "0.005",
        "BTCUSDT isolated",
    );
    assert_near(
        r.positions[1].liquidation_price,
        "1114.78",
        "0.005",
        "ETHUSDT isolated",
    );
}

/// Binance FAQ 25edcd7fe0e544839d0847b8cbb2e400: "wallet balance of 500 USDT
/// … long BTCUSDT position worth 1,000 USDT with 20x leverage at $50,000 …
/// your liquidation price will be $25,100.40." Uses the shipped
/// `binance-usdm` brackets (first tier MMR 0.4 %, cum 0), cross and isolated.
#[test]
fn binance_faq_example_both_modes() {
    let json = r#"{"prices": {"BTC": 50000}, "accounts": [
        {"id": "cross", "collateral": {"USDT": 500}, "positions": [{"market": "BTCUSDT", "size": 0.02, "entry_price": 50000, "leverage": 20}]},
        {"id": "iso", "positions": [{"market": "BTCUSDT", "size": 0.02, "entry_price": 50000, "margin_mode": "isolated", "isolated_margin": 500}]}]}"#;
    for r in run(json, "binance-usdm") {
        assert_near(r.positions[0].liquidation_price, "25100.40", "0.005", &r.id);
    }
}

/// freqtrade tests/freqtradebot/test_freqtradebot.py @ 0008a872,
/// `test_execute_entry` docstring: wb 2, cum 0.01, MMR 0.01, 1 contract at 10:
/// short ((2 + 0.01) − (−1·1·10)) / ((1·0.01) − (−1·1)) = 11.89108910891089,
/// long ((2 + 0.01) − (1·1·10)) / ((1·0.01) − (1·1)) = 8.070707070707071.
#[test]
fn freqtrade_binance_docstring_vectors() {
    let json = r#"{"prices": {"X": 10}, "markets": {"XUSDT": {"base": "X", "tiers": [{"max_notional": null, "maintenance_margin_rate": 0.01, "maintenance_amount": 0.01, "max_leverage": 5}]}},
      "accounts": [
        {"id": "short", "margin_mode": "isolated", "positions": [{"market": "XUSDT", "size": -1, "entry_price": 10, "isolated_margin": 2}]},
        {"id": "long", "margin_mode": "isolated", "positions": [{"market": "XUSDT", "size": 1, "entry_price": 10, "isolated_margin": 2}]}]}"#;
    let r = run(json, "generic");
    assert_near(
        r[0].positions[0].liquidation_price,
        "11.89108910891089",
        "0.000000000002",
        "short",
    );
    assert_near(
        r[1].positions[0].liquidation_price,
        "8.070707070707071",
        "0.000000000002",
        "long",
    );
}

/// Multi-tier, worked by hand from Binance's FAQ b3c689c1f50a44cabb3a84e663b81d93
/// rule: "If your position (calculated at the liquidation price) and the
/// current position (calculated at the opening price) are of different
/// levels, … substitute the maintenance margin rate and the maintenance
/// amount of the position level [at the liquidation price]", with the
/// mid-2024 BTCUSDT brackets (preset `binance-usdm@2024-06`).
/// Long 100 BTC @ 60000, isolated 3,500,000: tier of 6M (MMR 1 %, cum 11450)
/// gives 25136.87 → notional 2.51M is tier [600k, 3M) (MMR 0.65 %, cum 950):
/// (3,500,000 + 950 − 6,000,000) / (100·0.0065 − 100) = 25154.0010065…
/// Short 40 BTC @ 70000, isolated 400,000: tier of 2.8M (0.65 %, 950) gives
/// 79506.95 → notional 3.18M is tier [3M, 12M) (1 %, 11450):
/// (400,000 + 11450 + 2,800,000) / (40·0.01 + 40) = 79491.3366336…
#[test]
fn binance_tier_crossing_long_and_short() {
    let json = r#"{"prices": {"BTC": 60000}, "accounts": [
        {"id": "long", "positions": [{"market": "BTCUSDT", "size": 100, "entry_price": 60000, "margin_mode": "isolated", "isolated_margin": 3500000}]},
        {"id": "short", "positions": [{"market": "BTCUSDT", "size": -40, "entry_price": 70000, "margin_mode": "isolated", "isolated_margin": 400000}]}]}"#;
    let r = run(json, "binance-usdm@2024-06");
    assert_near(
        r[0].positions[0].liquidation_price,
        "25154.001006542527",
        "0.00000001",
        "long across tiers",
    );
    // The short's mark is 60000 here (entry 70000): the liquidation price does not depend on the mark.
    assert_near(
        r[1].positions[0].liquidation_price,
        "79491.33663366336",
        "0.00000001",
        "short across tiers",
    );
}

/// freqtrade tests/exchange/test_hyperliquid.py @ 3b1fb5af,
/// `test_hyperliquid_dry_run_liquidation_price`: liquidation prices returned
/// by Hyperliquid (via ccxt fetch_positions) for real positions at pnl 0
/// (mark = entry). freqtrade's mock markets: max leverage BTC/ETH 50,
/// SOL/DOGE 20, XYZ-* 10; maintenance = half the initial margin at max
/// leverage. Tolerance: the test's rel 1e-4.
/// (symbol, entry, short, contracts, collateral, expected)
const HYPERLIQUID: &[(&str, &str, bool, &str, &str, &str)] = &[
    ("ETH", "2458.5", false, "0.015", "36.864593", "0.86915825"),
    (
        "BTC",
        "63287.0",
        false,
        "0.00039",
        "24.673292",
        "22.37166537",
    ),
    ("SOL", "146.82", false, "0.16", "23.482979", "0.05269872"),
    ("SOL", "145.83", false, "0.33", "24.045107", "74.83696193"),
    (
        "ETH",
        "2459.5",
        false,
        "0.0199",
        "24.454895",
        "1243.0411908",
    ),
    (
        "BTC",
        "62739.0",
        false,
        "0.00077",
        "24.137992",
        "31708.03843631",
    ),
    ("DOGE", "0.11586", false, "437.0", "25.29769", "0.05945697"),
    ("ETH", "2642.8", true, "0.019", "25.091876", "3924.18322043"),
    ("SOL", "155.89", true, "0.32", "24.924941", "228.07847866"),
    ("DOGE", "0.14333", true, "351.0", "25.136807", "0.20970228"),
    (
        "BTC",
        "68595.0",
        true,
        "0.00069",
        "23.64871",
        "101849.99354283",
    ),
    (
        "BTC",
        "65536.0",
        true,
        "0.00099",
        "21.604172",
        "86493.46174617",
    ),
    ("SOL", "173.06", false, "0.6", "20.735658", "142.05186667"),
    (
        "ETH",
        "2545.5",
        false,
        "0.0329",
        "20.909894",
        "1929.23322895",
    ),
    (
        "BTC",
        "67400.0",
        true,
        "0.00031",
        "20.887308",
        "133443.97317151",
    ),
    (
        "ETH",
        "2552.0",
        true,
        "0.0327",
        "20.833393",
        "3157.53150453",
    ),
    (
        "BTC",
        "66930.0",
        false,
        "0.0015",
        "20.043862",
        "54108.51043771",
    ),
    (
        "BTC",
        "67033.0",
        false,
        "0.00121",
        "20.251817",
        "50804.00091827",
    ),
    (
        "ETH",
        "2521.9",
        false,
        "0.0237",
        "19.902091",
        "1699.14071943",
    ),
    (
        "BTC",
        "68139.0",
        true,
        "0.00145",
        "19.72573",
        "80933.61590987",
    ),
    ("SOL", "178.29", true, "0.11", "19.605036", "347.82205322"),
    ("SOL", "176.23", false, "0.33", "19.364946", "120.56240404"),
    ("SOL", "173.08", true, "0.33", "19.01881", "225.08561715"),
    (
        "BTC",
        "68240.0",
        true,
        "0.00105",
        "17.887922",
        "84431.79820839",
    ),
    ("ETH", "2518.4", true, "0.007", "17.62263", "4986.05799151"),
    (
        "ETH",
        "2533.2",
        false,
        "0.0347",
        "17.555195",
        "2047.7642302",
    ),
    ("DOGE", "0.13284", false, "360.0", "15.943218", "0.09082388"),
    ("SOL", "163.11", true, "0.48", "15.650731", "190.94213618"),
    (
        "BTC",
        "67141.0",
        false,
        "0.00067",
        "14.979079",
        "45236.52992613",
    ),
    (
        "XYZ-AAPL",
        "250.0",
        false,
        "0.5",
        "25.0",
        "210.5263157894737",
    ),
    (
        "XYZ-GOOGL",
        "190.0",
        true,
        "0.5",
        "9.5",
        "199.04761904761904",
    ),
    (
        "XYZ-TSLA",
        "350.0",
        false,
        "1.0",
        "50.0",
        "315.7894736842105",
    ),
];

#[test]
fn hyperliquid_positions_isolated_and_cross() {
    let max_leverage = |sym: &str| match sym {
        "BTC" | "ETH" => 50,
        "SOL" | "DOGE" => 20,
        _ => 10,
    };
    for (i, (sym, entry, short, contracts, collateral, expected)) in HYPERLIQUID.iter().enumerate()
    {
        let lev = max_leverage(sym);
        let size = if *short {
            format!("-{contracts}")
        } else {
            contracts.to_string()
        };
        // maintenance rate = 1 / (2 × max leverage), exact for 50, 20 and 10.
        let mmr = match lev {
            50 => "0.01",
            20 => "0.025",
            _ => "0.05",
        };
        let json = format!(
            r#"{{"quote": "USDC", "prices": {{"{sym}": {entry}}},
              "markets": {{"{sym}": {{"base": "{sym}", "tiers": [{{"max_notional": null, "maintenance_margin_rate": {mmr}, "max_leverage": {lev}}}]}}}},
              "accounts": [
                {{"id": "iso", "positions": [{{"market": "{sym}", "size": {size}, "entry_price": {entry}, "margin_mode": "isolated", "isolated_margin": {collateral}}}]}},
                {{"id": "cross", "collateral": {{"USDC": {collateral}}}, "positions": [{{"market": "{sym}", "size": {size}, "entry_price": {entry}}}]}}]}}"#
        );
        for r in run(&json, "generic") {
            let lp = r.positions[0].liquidation_price.expect("liquidation price");
            let rel = (lp.raw() - value(expected)).abs() as f64 / value(expected) as f64;
            assert!(
                rel <= 1e-4,
                "row {i} {sym} {}: got {lp}, expected {expected} (rel {rel:e})",
                r.id
            );
        }
    }
}

/// Aave docs (aave.com/docs/developers/liquidations): "$10,000 in ETH with an
/// 80% liquidation threshold and borrows $6,000 in GHO, the health factor
/// would be 1.333". aave/aave-utilities pool-math.test.ts @ 2116b39e
/// `calculateHealthFactorFromBalances`: collateral 0.1, borrow 0.05, LT 50 %
/// → '1'; borrow 0.03 → '1.66666666666666666667' (levamp: 12 decimals, floor).
/// Issue #4's Aave v3 example: 10 WETH at 2000, LT 0.825, debt 16,800 → ≈ 0.982.
#[test]
fn aave_health_factor_vectors() {
    let json = r#"{"prices": {"ETH": 2000, "GHO": 1, "USDC": 1, "C": 1},
      "assets": {"WETH": {"price_key": "ETH", "ltv": 0.8, "liquidation_threshold": 0.825, "liquidation_bonus": 0.05},
                 "ETH80": {"price_key": "ETH", "ltv": 0.75, "liquidation_threshold": 0.8},
                 "C": {"ltv": 0.5, "liquidation_threshold": 0.5}},
      "accounts": [
        {"id": "docs", "collateral": {"ETH80": 5}, "borrows": {"GHO": 6000}},
        {"id": "utilities-1", "collateral": {"C": 0.1}, "borrows": {"USDC": 0.05}},
        {"id": "utilities-2", "collateral": {"C": 0.1}, "borrows": {"USDC": 0.03}},
        {"id": "issue-4", "collateral": {"WETH": 10}, "borrows": {"USDC": 16800}}]}"#;
    let r = run(json, "generic");
    let hf = |i: usize| r[i].health.health_factor.expect("health factor");
    assert_eq!(hf(0).to_string()[..5], *"1.333");
    assert_eq!(hf(1), "1".parse::<Ratio>().unwrap());
    assert_eq!(hf(2), "1.666666666666".parse::<Ratio>().unwrap());
    assert_eq!(hf(3).to_string()[..5], *"0.982");
    assert!(!r[0].health.liquidatable && !r[1].health.liquidatable && r[3].health.liquidatable);
}

/// Binance FAQ b3c689c1f50a44cabb3a84e663b81d93, "Maintenance Amount formula":
/// cum(n) = floor(n) × (MMR(n) − MMR(n−1)) + cum(n−1). Checked on every
/// shipped Binance and Hyperliquid bracket, through the engine's own
/// maintenance margin: continuous at each boundary.
#[test]
fn shipped_brackets_follow_the_cum_formula() {
    for venue in ["binance-usdm", "binance-usdm@2024-06", "hyperliquid"] {
        let preset = Preset::load(venue).unwrap();
        for (name, (fields, _)) in &preset.markets {
            let tiers = fields["tiers"].as_array().unwrap();
            for w in tiers.windows(2) {
                let floor = value(&w[0]["max_notional"].to_string());
                let (r0, r1) = (
                    value(&w[0]["maintenance_margin_rate"].to_string()),
                    value(&w[1]["maintenance_margin_rate"].to_string()),
                );
                let (c0, c1) = (
                    value(&w[0]["maintenance_amount"].to_string()),
                    value(&w[1]["maintenance_amount"].to_string()),
                );
                // floor × Δrate at 24 decimals, back to 12: exact for these tables.
                let expected = c0 + floor * (r1 - r0) / 1_000_000_000_000;
                assert_eq!(c1, expected, "{venue} {name}: cum at floor {floor}");
            }
        }
    }
}

/// bgd-labs/aave-proposals-v3 reports/AaveV3Ethereum_UpgradeAaveV3ETHPooolWETHParameters_20231031_after.json
/// @ 4d6a3d98, `strategies`: WETH 0xA901… (optimalUsageRatio 0.8e27,
/// variableRateSlope1 0.028e27, slope2 0.8e27, reserveFactor 1500) and USDC
/// 0x8F18… (0.9e27, 0.035e27, 0.6e27, reserveFactor 1000). Aave's variable
/// rate is slope1 at the kink and slope1 + slope2 at 100 % usage.
#[test]
fn aave_preset_pools_follow_the_reported_strategies() {
    use levamp_core::{Base, Ray};
    let preset = Preset::load("aave-v3").unwrap();
    let pool = |name: &str| {
        let (fields, at) = &preset.assets[name];
        levamp_io::definitions::parse_asset(name, fields, at, 0)
            .unwrap()
            .pool
            .unwrap()
    };
    let b = |s: &str| s.parse::<Base>().unwrap();
    let pct = |s: &str| Ray::from_ratio(s.parse::<Ratio>().unwrap()).unwrap();
    let rate = |name: &str, cash: &str, debt: &str| {
        let p = pool(name);
        levamp_engine::venue::rates(&p.rate_model, p.reserve_factor, b(cash), b(debt))
            .unwrap()
            .borrow_rate
    };
    assert_eq!(pool("WETH").reserve_factor, "0.15".parse().unwrap());
    assert_eq!(pool("USDC").reserve_factor, "0.1".parse().unwrap());
    assert_eq!(
        rate("WETH", "20", "80"),
        pct("0.028"),
        "WETH at its 80 % kink"
    );
    assert_eq!(
        rate("USDC", "10", "90"),
        pct("0.035"),
        "USDC at its 90 % kink"
    );
    assert_eq!(
        rate("WETH", "0", "1"),
        pct("0.828"),
        "WETH at 100 %: 2.8 % + 80 %"
    );
}

/// Hyperliquid docs *Funding* (dzmbs/hyperliquid-docs docs/trading/funding.md
/// @ b1d95841): "interest rate component is predetermined at 0.01% every 8
/// hours, which is 0.00125% every hour"; "The funding rate formula applies to
/// 8 hour funding rate. However, funding is paid every hour at one eighth of
/// the computed rate"; the worked example (premium 1 % → 0.95 %, paid ⅛ an
/// hour); "Funding on Hyperliquid is capped at 4%/hour".
#[test]
fn hyperliquid_funding_is_hourly_with_the_4_percent_cap() {
    use levamp_engine::venue::funding_rate;
    let rules = Preset::load("hyperliquid").unwrap().rules.funding;
    let r = |premium: &str| funding_rate(premium.parse().unwrap(), &rules, 3600).unwrap();
    let pct = |s: &str| s.parse::<Ratio>().unwrap();
    assert_eq!(
        r("0"),
        pct("0.0000125"),
        "interest alone: 0.00125 % an hour"
    );
    assert_eq!(r("0.01"), pct("0.0011875"), "docs example: 0.95 % ÷ 8");
    assert_eq!(r("0.5"), pct("0.04"), "capped at 4 % an hour");
    assert_eq!(r("-0.5"), pct("-0.04"), "and at −4 %");
}

/// Hyperliquid docs *Margin tiers* (dzmbs/hyperliquid-docs
/// docs/trading/margin-tiers.md @ de569a88): XRP 0-40M 20×, >40M 10×; DOGE
/// (and others) 0-20M 10×, >20M 5×; BNB (and others) 0-3M 10×, >3M 5×.
/// Maintenance rate = half the initial rate at max leverage.
#[test]
fn hyperliquid_margin_tiers_from_the_docs() {
    let p = Preset::load("hyperliquid").unwrap();
    let tiers = |m: &str| p.markets[m].0["tiers"].to_string();
    for (market, cap, lev1, lev2) in [
        ("BTC", "150000000", "40", "20"),
        ("ETH", "100000000", "25", "15"),
        ("SOL", "70000000", "20", "10"),
        ("XRP", "40000000", "20", "10"),
        ("DOGE", "20000000", "10", "5"),
        ("BNB", "3000000", "10", "5"),
    ] {
        let t = tiers(market);
        assert!(
            t.contains(&format!("\"max_notional\":{cap},"))
                && t.contains(&format!("\"max_leverage\":{lev1}}}"))
                && t.contains(&format!("\"max_leverage\":{lev2}}}")),
            "{market}: {t}"
        );
    }
}

/// Hyperliquid docs *Liquidations* (dzmbs/hyperliquid-docs
/// docs/trading/liquidations.md @ f0e8df55): backstop "below 2/3 of the
/// maintenance margin"; "positions larger than 100k USDC … only 20%".
#[test]
fn hyperliquid_liquidation_rules_from_the_docs() {
    let rules = Preset::load("hyperliquid").unwrap().rules.liquidation;
    assert_eq!(
        rules.backstop_below,
        Some("0.666666666667".parse().unwrap())
    );
    let step = rules.step.unwrap();
    assert_eq!(step.share, "0.2".parse().unwrap());
    assert_eq!(step.min_notional, "100000".parse().unwrap());
    assert_eq!(rules.partial_buffer, None);
}

/// The rule keys the hyperliquid preset uses, refused with their path when
/// out of range.
#[test]
fn liquidation_step_and_funding_cap_keys_are_checked() {
    use levamp_io::definitions::parse_rules;
    let bad = |json: &str| {
        parse_rules("x", &serde_json::from_str(json).unwrap(), "rules")
            .unwrap_err()
            .to_string()
    };
    assert!(
        bad(r#"{"liquidation": {"step": {"share": 0, "min_notional": 1}}}"#)
            .contains("rules.liquidation.step.share")
    );
    assert!(bad(r#"{"liquidation": {"step": {"share": 0.2}}}"#)
        .contains("rules.liquidation.step.min_notional"));
    assert!(bad(r#"{"liquidation": {"backstop_below": 1.5}}"#)
        .contains("rules.liquidation.backstop_below"));
    assert!(bad(r#"{"funding": {"cap": 0.1, "cap_per_hour": 0.01}}"#).contains("rules.funding"));
}
