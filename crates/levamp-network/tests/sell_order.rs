//! A node's `sell_order`: the assets it sells first, by hand (each
//! derivation in the comment), and its bad input.

use levamp_core::{Base, Price};
use levamp_network::{cascade, parse, Cascade};

/// One bank: no cash, 50 X at 1 and 50 Y at 2 (150 of holdings), debt
/// 140, `r* = 0.1`, both assets linear with `λ = 0.001`, no shock.
const BANK: &str = r#"
[[asset]]
id = "X"
price = 1
lambda = 0.001
[[asset]]
id = "Y"
price = 2
lambda = 0.001
[[node]]
id = "B"
external_liabilities = 140
capital_ratio = 0.1
holdings = { X = 50, Y = 50 }
ORDER
"#;

fn bank(order: &str) -> Cascade {
    let net = parse(&BANK.replace("ORDER", order), "t").unwrap_or_else(|e| panic!("{e}"));
    cascade(&net).unwrap()
}

/// `sell_order = ["Y", "X"]`. Round 1 at the starting prices: equity
/// `E = 150 − 140 = 10`, the bank may keep `A = E ÷ 0.1 = 100` of its 150,
/// so it sheds 50 of value, all from Y first: 25 Y (pro rata would sell
/// 16.67 of each). Y falls to `2 − 0.001 × 25 = 1.975` exactly, X stays 1.
///
/// The fixed point: X is never touched (50 of X fit in `A` throughout), so
/// with Y at `p`, `E = 50 + 50p − 140`, the Y kept is worth `10E − 50`, i.e.
/// `s = 50 − (500p − 950) ÷ p = 950/p − 450` units of Y sold and
/// `p = 2 − 0.001·s`: `p² − 2.45p + 0.95 = 0`, whose greater root is
/// `p* = (2.45 + √2.2025) ÷ 2 = 1.967041…`, `s = 32.96…`.
#[test]
fn a_bank_sells_the_first_asset_of_its_order_first() {
    let c = bank(r#"sell_order = ["Y", "X"]"#);
    assert_eq!(
        c.history[1].prices,
        vec![Price::ONE, "1.975".parse::<Price>().unwrap()]
    );
    assert_eq!(c.prices[0], Price::ONE);
    assert_eq!(c.sold[0][0], Base::ZERO);
    let exact = (2.45 + 2.2025f64.sqrt()) / 2.0;
    let p = c.prices[1].to_f64_lossy();
    assert!(p <= exact + 1e-12 && p > exact - 1e-9, "{p} vs {exact}");
    let sold = c.sold[0][1].to_f64_lossy();
    assert!((sold - (950.0 / exact - 450.0)).abs() < 1e-6, "{sold}");
    // The constraint holds at the final price: E ≥ r* × value kept.
    let equity = c.clearing.equity(0).unwrap().to_f64_lossy();
    assert!(equity >= 0.1 * (50.0 + p * (50.0 - sold)) - 1e-9);
}

/// Assets left out of `sell_order` are sold pro rata after the listed
/// ones: listing only Y is the same as listing Y then X here; listing
/// nothing is the pro-rata sale, which sells X too.
#[test]
fn unlisted_assets_are_sold_after_the_listed_ones() {
    let both = bank(r#"sell_order = ["Y", "X"]"#);
    assert_eq!(bank(r#"sell_order = ["Y"]"#), both);
    let pro_rata = bank("");
    assert!(pro_rata.sold[0][0].is_positive());
    assert_eq!(bank("sell_order = []"), pro_rata);
}

/// `sell_order = ["X", "Y"]`: X is worth 50, exactly what the bank sheds
/// in round 1, so it sells all 50 X (nothing of Y) and X falls to
/// `1 − 0.001 × 50 = 0.95`; from round 2 on it must shed more, from Y.
#[test]
fn a_bank_moves_on_when_the_first_asset_is_exhausted() {
    let c = bank(r#"sell_order = ["X", "Y"]"#);
    assert_eq!(
        c.history[1].prices,
        vec!["0.95".parse::<Price>().unwrap(), Price::from_int(2)]
    );
    assert_eq!(c.sold[0][0], Base::from_int(50));
    assert!(c.sold[0][1].is_positive());
}

#[test]
fn bad_sell_orders_are_named_with_their_line() {
    let head = "[[asset]]\nid = \"X\"\nprice = 1\nlambda = 1\n[[asset]]\nid = \"Y\"\nprice = 1\nlambda = 1\n[[node]]\nid = \"A\"\nholdings = { X = 1 }\n";
    let cases = [
        (
            "sell_order = [\"Z\"]\n",
            ":12: node[0].sell_order: unknown asset id \"Z\"",
        ),
        (
            "sell_order = [\"X\", \"X\"]\n",
            ":12: node[0].sell_order: asset \"X\" listed twice",
        ),
        (
            "sell_order = [\"Y\"]\n",
            ":12: node[0].sell_order: node \"A\" does not hold asset \"Y\"",
        ),
        (
            "sell_order = \"X\"\n",
            ":12: node[0].sell_order: must be an array of asset ids",
        ),
        (
            "sell_order = [1]\n",
            ":12: node[0].sell_order: must be an array of asset ids",
        ),
    ];
    for (tail, want) in cases {
        let text = format!("{head}{tail}");
        let err = match parse(&text, "t") {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e.to_string(),
        };
        assert!(err.starts_with(want), "{text}\n got {err}\nwant {want}");
    }
}
