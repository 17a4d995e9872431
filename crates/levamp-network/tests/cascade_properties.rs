//! Property tests of the fire-sale cascade on small random networks:
//! prices never rise (from round to round, and below the shocked prices);
//! a deeper price shock never raises anyone's equity; with no node able to
//! sell the result is the plain clearing at the shocked prices; the end is
//! a fixed point (every seller that is solvent meets its capital ratio at
//! the final prices, and one more round would change nothing); losses by
//! channel add up to the equity. Nodes draw a `sell_order` (none, one
//! asset, or both in either order) among the assets they hold.

use levamp_core::{Base, Price, Quote, Ratio, Round, SCALE};
use levamp_network::{
    cascade, clear, Asset, DefaultCosts, Held, Holding, Impact, Network, Node, Obligation,
    Seniority,
};
use proptest::prelude::*;

type Spec = (
    Vec<(i64, i64, i64, u8, [i64; 2], u8)>, // cash, liabilities, capital ratio ‰ (0: none), sqrt?, holdings, sell order
    Vec<(usize, usize, i64)>,               // obligations
    [i64; 2],                               // impact: λ in 10⁻⁶ per unit
    [i64; 2],                               // price shock ‰ (≤ 0)
);

fn build(spec: &Spec, extra_shock: i64) -> Network {
    let (nodes, edges, lambdas, shocks) = spec;
    let assets = (0..2)
        .map(|a| Asset {
            id: format!("X{a}"),
            price: Price::ONE,
            shock: Ratio::from_raw((shocks[a] - extra_shock) as i128 * SCALE / 1000),
            impact: if a == 1 && nodes[0].3 == 1 {
                Impact::Sqrt {
                    y: Ratio::ONE,
                    daily_sigma: Ratio::from_raw(lambdas[a] as i128 * SCALE / 10_000),
                    daily_volume: Base::from_int(1000),
                }
            } else {
                Impact::Linear {
                    lambda: Price::from_raw(lambdas[a] as i128 * SCALE / 1_000_000),
                }
            },
        })
        .collect();
    let nodes = nodes
        .iter()
        .enumerate()
        .map(|(i, &(cash, liabilities, ratio, _, h, order))| Node {
            id: format!("N{i}"),
            external_assets: Quote::from_int(cash),
            external_liabilities: Quote::from_int(liabilities),
            shock: Ratio::ZERO,
            default_costs: DefaultCosts::NONE,
            holdings: (0..2)
                .filter(|&a| h[a] > 0)
                .map(|a| Holding {
                    of: Held::Asset(a),
                    units: Base::from_int(h[a]),
                })
                .collect(),
            capital_ratio: (ratio > 0).then(|| Ratio::from_raw(ratio as i128 * SCALE / 1000)),
            sell_order: sell_order(order, h),
            venue: None,
        })
        .collect::<Vec<_>>();
    let mut seen = std::collections::HashSet::new();
    let obligations = edges
        .iter()
        .filter(|&&(a, b, _)| a < nodes.len() && b < nodes.len() && a != b && seen.insert((a, b)))
        .map(|&(debtor, creditor, l)| Obligation {
            debtor,
            creditor,
            amount: Quote::from_int(l),
        })
        .collect();
    Network {
        name: "random".into(),
        seniority: Seniority::PariPassu,
        nodes,
        obligations,
        assets,
        tokens: Vec::new(),
    }
}

/// Sell order `order` (0: none, 1: X0, 2: X1, 3: X0 then X1, 4: X1 then
/// X0), keeping only the assets held.
fn sell_order(order: u8, h: [i64; 2]) -> Vec<usize> {
    let listed: &[usize] = match order {
        1 => &[0],
        2 => &[1],
        3 => &[0, 1],
        4 => &[1, 0],
        _ => &[],
    };
    listed.iter().copied().filter(|&a| h[a] > 0).collect()
}

fn specs() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(
            (
                0i64..50,
                0i64..200,
                0i64..300,
                0u8..2,
                [0i64..150, 0i64..150],
                0u8..5,
            ),
            1..5,
        ),
        prop::collection::vec((0usize..4, 0usize..4, 1i64..60), 0..8),
        [1i64..3000, 1i64..3000],
        [-300i64..=0, -300i64..=0],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn prices_never_rise_and_the_end_is_a_fixed_point(spec in specs()) {
        let net = build(&spec, 0);
        let c = cascade(&net).unwrap();
        for (a, p) in c.prices.iter().enumerate() {
            prop_assert!(*p <= c.shocked_prices[a]);
        }
        for w in c.history.windows(2) {
            for a in 0..2 {
                prop_assert!(w[1].prices[a] <= w[0].prices[a]);
            }
        }
        for (i, node) in net.nodes.iter().enumerate() {
            let equity = c.clearing.equity(i).unwrap();
            let Some(r) = node.capital_ratio else {
                prop_assert!(c.sold[i].iter().all(|u| u.is_zero()));
                continue;
            };
            let mut kept = Quote::ZERO;
            for (k, h) in node.holdings.iter().enumerate() {
                let Held::Asset(a) = h.of else { unreachable!() };
                let units = h.units.checked_sub(c.sold[i][k]).unwrap();
                kept = kept.checked_add(units.value_at(c.prices[a], Round::Floor).unwrap()).unwrap();
            }
            if equity.is_positive() {
                // E ≥ r* × kept, up to the rounding of the units kept.
                let need = kept.mul_ratio(r, Round::Floor).unwrap();
                prop_assert!(equity.checked_add(Quote::from_raw(4)).unwrap() >= need,
                    "node {} equity {} below r* × {}", i, equity, kept);
            } else {
                prop_assert!(kept.is_zero(), "node {} insolvent but keeps {}", i, kept);
            }
        }
        // Channels add up.
        for i in 0..net.nodes.len() {
            let l = c.losses[i];
            let sum = [l.shock, l.prices, l.tokens, l.obligations]
                .iter().fold(Quote::ZERO, |a, x| a.checked_add(*x).unwrap());
            prop_assert_eq!(c.baseline_equity[i].checked_sub(sum).unwrap(), c.clearing.equity(i).unwrap());
        }
    }

    #[test]
    fn a_deeper_shock_never_raises_equity(spec in specs(), extra in 1i64..200) {
        let mild = cascade(&build(&spec, 0)).unwrap();
        let deep = cascade(&build(&spec, extra)).unwrap();
        for i in 0..spec.0.len() {
            let (m, d) = (mild.clearing.equity(i).unwrap(), deep.clearing.equity(i).unwrap());
            prop_assert!(d <= m, "node {}: {} with the deeper shock, {} with the milder", i, d, m);
        }
        for a in 0..2 {
            prop_assert!(deep.prices[a] <= mild.prices[a]);
        }
    }

    #[test]
    fn with_no_sellers_it_is_plain_clearing(spec in specs()) {
        let mut net = build(&spec, 0);
        for node in &mut net.nodes {
            node.capital_ratio = None;
        }
        let c = cascade(&net).unwrap();
        let assets: Vec<Quote> = net.nodes.iter().map(|node| {
            node.holdings.iter().fold(node.external_assets, |acc, h| {
                let Held::Asset(a) = h.of else { unreachable!() };
                acc.checked_add(h.units.value_at(c.shocked_prices[a], Round::Floor).unwrap()).unwrap()
            })
        }).collect();
        prop_assert_eq!(&c.clearing, &clear(&net, &assets).unwrap());
        prop_assert_eq!(c.rounds(), 0);
        prop_assert!(c.units_sold.iter().all(|u| u.is_zero()));
    }
}
