//! Fire sales and token holdings: worked examples by hand (each derivation
//! in the comment), bad input, and the channel identity.

use levamp_core::{Base, Price, Quote};
use levamp_network::{cascade, clear, parse, Cascade, Network};

fn q(s: &str) -> Quote {
    s.parse().unwrap()
}

fn network(text: &str) -> Network {
    parse(text, "test").unwrap_or_else(|e| panic!("{e}"))
}

/// One bank, one asset, in the model of Cifuentes, Shin & Ferrucci,
/// "Liquidity risk and contagion", JEEA 3(2–3), 2005: a bank with cash
/// `c`, `e` units of the illiquid asset and debt `d` must keep `equity ≥
/// r* × p × (e − s)`, so it sells `s = e − (c + p·e − d) ÷ (r*·p)` when
/// that is positive, and all of it once insolvent; the price is the
/// inverse demand at the units sold. Here `c = 0`, `e = 100`, `d = 80`,
/// `r* = 0.1`, the price shocked from 1 to 0.85 and linear demand
/// `p = 0.85 − λ·s`.
const ONE_BANK: &str = r#"
[[asset]]
id = "X"
price = 1
lambda = LAMBDA
[[node]]
id = "B"
external_liabilities = 80
capital_ratio = 0.1
holdings = { X = 100 }
[shock]
prices = { X = -0.15 }
"#;

fn one_bank(lambda: &str) -> Cascade {
    cascade(&network(&ONE_BANK.replace("LAMBDA", lambda))).unwrap()
}

/// λ = 0.0001: `s = 800/p − 900` and `p = 0.85 − 0.0001·s` give
/// `p² − 0.94p + 0.08 = 0`, whose greater root is the greatest fixed point
/// `p* = (0.94 + √0.5636) / 2 = 0.845366…` with `s = 46.33…` units sold.
/// Rounding only sells more, so levamp's price is at most `p*` and within
/// a few ticks of it.
#[test]
fn csf_one_bank_interior_fixed_point() {
    let c = one_bank("0.0001");
    let exact = (0.94 + 0.5636f64.sqrt()) / 2.0;
    let p = c.prices[0].to_f64_lossy();
    assert!(p <= exact + 1e-12 && p > exact - 1e-9, "{p} vs {exact}");
    let sold = c.units_sold[0].to_f64_lossy();
    assert!((sold - (800.0 / exact - 900.0)).abs() < 1e-6, "{sold}");
    assert!(!c.clearing.defaulted[0]);
    // The constraint holds at the final price: E ≥ r* × value kept.
    let equity = c.clearing.equity(0).unwrap().to_f64_lossy();
    assert!(equity >= 0.1 * p * (100.0 - sold) - 1e-9);
    assert!(c.rounds() >= 2, "{}", c.rounds());
    // Channels: the 15 % shock on 100 units, then the fire sale.
    assert_eq!(c.losses[0].shock, q("15"));
    assert_eq!(
        c.losses[0].prices,
        q("85").checked_sub(c.clearing.external_assets[0]).unwrap()
    );
}

/// λ = 0.001: `p = 1.75 − 0.8/p` has no real root (`1.75² < 3.2`): no
/// partial sale settles, the bank sells everything, the price ends at
/// `0.85 − 0.001 × 100 = 0.75` and the bank is insolvent (`75 − 80 = −5`).
#[test]
fn csf_one_bank_spiral_to_the_bottom() {
    let c = one_bank("0.001");
    assert_eq!(c.prices[0], Price::from_raw(750_000_000_000));
    assert_eq!(c.units_sold[0], Base::from_int(100));
    assert!(c.clearing.defaulted[0]);
    assert_eq!(c.clearing.equity(0).unwrap(), q("-5"));
    assert_eq!(c.clearing.payments[0], q("75"));
}

/// Contagion through prices: bank A is hit and sells; B, which only holds
/// the same asset and is not shocked, is pushed below its ratio by A's
/// sales and sells too. Prices fall round after round, never rise.
#[test]
fn a_common_asset_carries_the_fire_sale_to_a_bank_with_no_shock() {
    let text = r#"
[[asset]]
id = "X"
price = 1
depth = 10000
[[node]]
id = "A"
external_assets = 5
external_liabilities = 97
capital_ratio = 0.05
holdings = { X = 100 }
[[node]]
id = "B"
external_liabilities = 95
capital_ratio = 0.05
holdings = { X = 100 }
[shock]
external_assets = { A = -1 }
"#;
    let c = cascade(&network(text)).unwrap();
    assert!(c.sold[0][0].is_positive() && c.sold[1][0].is_positive());
    assert_eq!(c.losses[1].shock, Quote::ZERO);
    assert!(c.losses[1].prices.is_positive());
    for w in c.history.windows(2) {
        assert!(w[1].prices[0] <= w[0].prices[0]);
    }
    assert!(c.prices[0] < Price::ONE);
}

/// Equity tokens are valued on their issuer's equity and debt tokens at
/// the issuer's recovery: a fund F holds 40 % of bank E's shares (100 of
/// 250) and 30 units of stablecoin S (issuer I, 100 units outstanding,
/// face 1). E: cash 10, owes 5 → equity 5, worth 0.02 a share, F's stake
/// 2. I: cash 60 for 100 owed → pays 60 %: F's 30 units are worth 18, the
/// token 0.6. F: cash 1 + 2 + 18 = 21 against 20 owed: equity 1.
#[test]
fn tokens_by_hand() {
    let text = r#"
[[token]]
id = "E-shares"
issuer = "E"
kind = "equity"
supply = 250
[[token]]
id = "S"
issuer = "I"
kind = "debt"
supply = 100
[[node]]
id = "E"
external_assets = 10
external_liabilities = 5
[[node]]
id = "I"
external_assets = 60
[[node]]
id = "F"
external_assets = 1
external_liabilities = 20
holdings = { "E-shares" = 100, S = 30 }
"#;
    let net = network(text);
    // S held by F is an obligation of I to F; the other 70 are owed outside.
    assert_eq!(net.nodes[1].external_liabilities, q("70"));
    let c = cascade(&net).unwrap();
    assert_eq!(c.token_values[0].to_string(), "0.02");
    assert_eq!(c.token_values[1].to_string(), "0.6");
    assert_eq!(c.clearing.receipts[2], q("18"));
    assert_eq!(c.clearing.equity(2).unwrap(), q("1"));
    // The obligation channel: F was owed 30 and received 18.
    assert_eq!(c.losses[2].obligations, q("12"));
}

/// Cross-held equity (Brioschi, Buzzacchi & Colombo 1989; Elliott, Golub
/// & Jackson 2014): A and B each own half of the other and have cash 10
/// and 20; with `V = c + ½V'` the values are `V_A = (10 + ½·20)/(1 − ¼) =
/// 26.666…` and `V_B = 33.333…`, per share (100 shares each) 0.2666… and
/// 0.3333…, found by the iteration up from 0 to within a few ticks.
#[test]
fn cross_holdings_converge_to_the_linear_solution() {
    let text = r#"
[[token]]
id = "a"
issuer = "A"
kind = "equity"
supply = 100
[[token]]
id = "b"
issuer = "B"
kind = "equity"
supply = 100
[[node]]
id = "A"
external_assets = 10
holdings = { b = 50 }
[[node]]
id = "B"
external_assets = 20
holdings = { a = 50 }
"#;
    let c = cascade(&network(text)).unwrap();
    let a = c.token_values[0].to_f64_lossy();
    let b = c.token_values[1].to_f64_lossy();
    assert!((a - 0.8 / 3.0).abs() < 1e-10 && a <= 0.8 / 3.0, "{a}");
    assert!((b - 1.0 / 3.0).abs() < 1e-10 && b <= 1.0 / 3.0, "{b}");
}

/// Every node's equity is its baseline minus its losses by channel.
#[test]
fn losses_by_channel_add_up_to_the_equity() {
    let text = r#"
[[asset]]
id = "X"
price = 2
lambda = 0.001
[[asset]]
id = "Y"
price = 1
impact = "sqrt"
y = 1
daily_sigma = 0.05
daily_volume = 1000
[[token]]
id = "a"
issuer = "A"
kind = "equity"
supply = 10
[[node]]
id = "A"
external_assets = 10
external_liabilities = 200
capital_ratio = 0.08
holdings = { X = 50, Y = 100 }
[[node]]
id = "B"
external_assets = 5
external_liabilities = 100
capital_ratio = 0.1
holdings = { X = 40, a = 5 }
[[obligation]]
from = "A"
to = "B"
amount = 20
[shock]
prices = { X = -0.1 }
"#;
    let c = cascade(&network(text)).unwrap();
    for i in 0..2 {
        let l = c.losses[i];
        let sum = [l.shock, l.prices, l.tokens, l.obligations]
            .iter()
            .fold(Quote::ZERO, |a, x| a.checked_add(*x).unwrap());
        assert_eq!(
            c.baseline_equity[i].checked_sub(sum).unwrap(),
            c.clearing.equity(i).unwrap(),
            "node {i}"
        );
    }
}

/// With no capital ratio and no tokens nothing is sold: the cascade is the
/// plain clearing at the shocked prices, in one round.
#[test]
fn without_sellers_the_cascade_is_plain_clearing() {
    let text = r#"
[[asset]]
id = "X"
price = 1
lambda = 0.01
[[node]]
id = "A"
external_assets = 1
external_liabilities = 10
holdings = { X = 5 }
[[node]]
id = "B"
external_assets = 3
[[obligation]]
from = "A"
to = "B"
amount = 4
[shock]
prices = { X = -0.5 }
"#;
    let net = network(text);
    let c = cascade(&net).unwrap();
    let plain = clear(&net, &[q("3.5"), q("3")]).unwrap();
    assert_eq!(c.clearing, plain);
    assert_eq!(c.rounds(), 0);
}

#[test]
fn bad_holdings_are_named_with_their_line() {
    let cases: &[(&str, &str)] = &[
        (
            "[[node]]\nid = \"A\"\nholdings = { Z = 1 }\n",
            ":3: node[0].holdings.Z: unknown asset or token id \"Z\"",
        ),
        (
            "[[token]]\nid = \"t\"\nissuer = \"A\"\nkind = \"equity\"\nsupply = 1\n[[node]]\nid = \"A\"\nexternal_assets = 1\nholdings = { t = 1 }\n",
            ":9: node[0].holdings.t: a node cannot hold its own token",
        ),
        (
            "[[token]]\nid = \"a\"\nissuer = \"A\"\nkind = \"equity\"\nsupply = 10\n[[token]]\nid = \"b\"\nissuer = \"B\"\nkind = \"equity\"\nsupply = 10\n[[node]]\nid = \"A\"\nholdings = { b = 10 }\n[[node]]\nid = \"B\"\nholdings = { a = 10 }\n",
            ":13: node[0].holdings.b: the equity tokens of \"A\", \"B\" are held entirely by each other",
        ),
        (
            "[[token]]\nid = \"s\"\nissuer = \"A\"\nkind = \"debt\"\nsupply = 5\n[[node]]\nid = \"A\"\n[[node]]\nid = \"B\"\nholdings = { s = 6 }\n",
            ":10: node[1].holdings.s: the network holds 6 of token \"s\" but its supply is 5",
        ),
        (
            "[[asset]]\nid = \"X\"\nprice = 1\n[[node]]\nid = \"A\"\n",
            ":1: asset[0].lambda: missing: give lambda",
        ),
        (
            "[[asset]]\nid = \"X\"\nprice = 1\nimpact = \"sqrt\"\ny = 1\ndaily_sigma = 0.1\n[[node]]\nid = \"A\"\n",
            ":1: asset[0].daily_volume: missing (impact = \"sqrt\")",
        ),
        (
            "[[asset]]\nid = \"X\"\nprice = 0\nlambda = 1\n[[node]]\nid = \"A\"\n",
            ":3: asset[0].price: must be > 0",
        ),
        (
            "[[asset]]\nid = \"X\"\nprice = 1\nlambda = 1\n[[node]]\nid = \"A\"\ncapital_ratio = 1.5\n",
            ":7: node[0].capital_ratio: must be between 0 and 1",
        ),
        (
            "[[asset]]\nid = \"X\"\nprice = 1\nlambda = 1\n[[node]]\nid = \"A\"\n[shock]\nprices = { Y = -0.1 }\n",
            ":8: shock.prices.Y: unknown asset id \"Y\"",
        ),
    ];
    for (text, want) in cases {
        let err = match parse(text, "t") {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e.to_string(),
        };
        assert!(err.starts_with(want), "{text}\n got {err}\nwant {want}");
    }
}

/// networks/usdc-dai-2023.toml, by hand: with nothing recovered at SVB,
/// Circle holds 36.7 for 40 of USDC: 0.9175 a token; Maker holds 1.98 +
/// 3.1 × 0.9175 = 4.82425 for 5 of DAI: 0.96485 (docs/contagion.md compares
/// them with the observed 0.87 and 0.89).
#[test]
fn usdc_dai_2023_by_hand() {
    let net = network(include_str!("../../../networks/usdc-dai-2023.toml"));
    let c = cascade(&net).unwrap();
    assert_eq!(c.token_values[0].to_string(), "0.9175");
    assert_eq!(c.token_values[1].to_string(), "0.96485");
    assert_eq!(c.clearing.receipts[2], q("2.84425"));
}
