//! Property tests on small random networks: the clearing vector is a fixed
//! point of the rounded clearing map, the greatest one (against a plain
//! iteration of the map from p̄, written here from the definitions), within
//! obligations and available assets, conserves value, is close to the
//! real-valued Eisenberg–Noe vector, and is p̄ when nobody is short.

use levamp_core::{mul_div, Quote, Ratio, Round, SCALE};
use levamp_network::{clear, Clearing, DefaultCosts, Network, Node, Obligation, Seniority};
use proptest::prelude::*;

/// The rounded clearing map, from docs/contagion.md, independent of the
/// crate's code: `(Φ(p), receipts(p))`.
fn phi(net: &Network, e: &[i128], p: &[i128]) -> (Vec<i128>, Vec<i128>) {
    let n = net.nodes.len();
    let (total, interbank, external) = totals(net);
    let mut r = vec![0i128; n];
    for o in &net.obligations {
        let j = o.debtor;
        let l = o.amount.raw();
        let share = if p[j] == total[j] {
            l
        } else if net.seniority == Seniority::ExternalSenior {
            mul_div((p[j] - external[j]).max(0), l, interbank[j], Round::Floor).unwrap()
        } else {
            mul_div(p[j], l, total[j], Round::Floor).unwrap()
        };
        r[o.creditor] += share;
    }
    let out = (0..n)
        .map(|i| {
            if e[i] + r[i] >= total[i] {
                total[i]
            } else {
                let c = net.nodes[i].default_costs;
                mul_div(e[i], c.alpha.raw(), SCALE, Round::Floor).unwrap()
                    + mul_div(r[i], c.beta.raw(), SCALE, Round::Floor).unwrap()
            }
        })
        .collect();
    (out, r)
}

/// (p̄, L, x) by node.
fn totals(net: &Network) -> (Vec<i128>, Vec<i128>, Vec<i128>) {
    let n = net.nodes.len();
    let mut interbank = vec![0i128; n];
    for o in &net.obligations {
        interbank[o.debtor] += o.amount.raw();
    }
    let external: Vec<i128> = net
        .nodes
        .iter()
        .map(|n| n.external_liabilities.raw())
        .collect();
    let total = (0..n).map(|i| interbank[i] + external[i]).collect();
    (total, interbank, external)
}

/// The greatest fixed point by Kleene iteration from p̄.
fn greatest(net: &Network, e: &[i128]) -> Vec<i128> {
    let mut p = totals(net).0;
    loop {
        let (next, _) = phi(net, e, &p);
        if next == p {
            return p;
        }
        p = next;
    }
}

fn raw(c: &Clearing) -> Vec<i128> {
    c.payments.iter().map(|q| q.raw()).collect()
}

/// Units with up to 3 decimals, as raw.
fn amount(max_units: i128) -> impl Strategy<Value = i128> {
    (0..=max_units * 1000).prop_map(|m| m * SCALE / 1000)
}

prop_compose! {
    /// Up to 5 nodes, each with external liabilities ≥ 1 (so the plain
    /// iteration of the reference converges in reasonable time), up to
    /// n·(n−1) obligations, shocks in [−1, 0.2], default costs or none.
    fn networks(rv: bool, senior: bool)(n in 1usize..=5)(
        assets in prop::collection::vec(amount(40), n),
        liabilities in prop::collection::vec(amount(30).prop_map(|x| x + SCALE), n),
        edges in prop::collection::vec((0..n, 0..n, amount(25)), 0..=n * (n - 1)),
        shocks in prop::collection::vec(-1000i128..=200, n),
        costs in prop::collection::vec((0i128..=1000, 0i128..=1000), n),
        n in Just(n),
    ) -> Network {
        let nodes = (0..n).map(|i| Node {
            id: format!("N{i}"),
            external_assets: Quote::from_raw(assets[i]),
            external_liabilities: Quote::from_raw(liabilities[i]),
            shock: Ratio::from_raw(shocks[i] * SCALE / 1000),
            default_costs: match rv {
                true => DefaultCosts {
                    alpha: Ratio::from_raw(costs[i].0 * SCALE / 1000),
                    beta: Ratio::from_raw(costs[i].1 * SCALE / 1000),
                },
                false => DefaultCosts::NONE,
            },
            holdings: Vec::new(),
            capital_ratio: None,
                sell_order: Vec::new(),
            venue: None,
        }).collect();
        let mut seen = std::collections::HashSet::new();
        let obligations = edges.into_iter()
            .filter(|&(a, b, l)| a != b && l > 0 && seen.insert((a, b)))
            .map(|(debtor, creditor, l)| Obligation { debtor, creditor, amount: Quote::from_raw(l) })
            .collect();
        Network {
            name: "random".into(),
            seniority: if senior { Seniority::ExternalSenior } else { Seniority::PariPassu },
            nodes,
            obligations,
            assets: Vec::new(),
            tokens: Vec::new(),
        }
    }
}

fn any_network() -> impl Strategy<Value = Network> {
    (any::<bool>(), any::<bool>()).prop_flat_map(|(rv, senior)| networks(rv, senior))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A fixed point of the rounded map, and the greatest one.
    #[test]
    fn greatest_fixed_point(net in any_network()) {
        let e: Vec<Quote> = net.shocked_external_assets().unwrap();
        let e_raw: Vec<i128> = e.iter().map(|q| q.raw()).collect();
        let c = clear(&net, &e).unwrap();
        let p = raw(&c);
        let (mapped, receipts) = phi(&net, &e_raw, &p);
        prop_assert_eq!(&mapped, &p, "not a fixed point");
        prop_assert_eq!(&p, &greatest(&net, &e_raw), "not the greatest fixed point");
        let r: Vec<Quote> = receipts.iter().map(|&x| Quote::from_raw(x)).collect();
        prop_assert_eq!(&c.receipts, &r);
    }

    /// Payments within obligations and available assets; what is paid
    /// between nodes is what is received; defaults as the equity says.
    #[test]
    fn bounded_and_conserved(net in any_network()) {
        let e = net.shocked_external_assets().unwrap();
        let c = clear(&net, &e).unwrap();
        let mut paid = Quote::ZERO;
        let mut received = Quote::ZERO;
        for (i, assets) in e.iter().enumerate() {
            let available = assets.checked_add(c.receipts[i]).unwrap();
            prop_assert!(c.payments[i] <= c.total_obligations[i]);
            prop_assert!(c.payments[i] <= available);
            prop_assert!(c.interbank_paid[i] <= c.payments[i]);
            prop_assert_eq!(c.defaulted[i], c.payments[i] < c.total_obligations[i]);
            prop_assert_eq!(c.defaulted[i], c.equity(i).unwrap().is_negative());
            paid = paid.checked_add(c.interbank_paid[i]).unwrap();
            received = received.checked_add(c.receipts[i]).unwrap();
        }
        prop_assert_eq!(paid, received);
        prop_assert_eq!(c.rounds == 0, !c.defaulted.iter().any(|&d| d));
    }

    /// Pari passu without default costs: within a bound of the real-valued
    /// Eisenberg–Noe vector (iterated in f64), never above it by more
    /// than float noise.
    #[test]
    fn close_to_real_eisenberg_noe(net in networks(false, false)) {
        let e = net.shocked_external_assets().unwrap();
        let c = clear(&net, &e).unwrap();
        let (total, _, _) = totals(&net);
        let f = |x: i128| x as f64 / SCALE as f64;
        let mut q: Vec<f64> = total.iter().map(|&t| f(t)).collect();
        for _ in 0..3_000 {
            let mut r = vec![0f64; q.len()];
            for o in &net.obligations {
                r[o.creditor] += q[o.debtor] * f(o.amount.raw()) / f(total[o.debtor]);
            }
            q = (0..q.len()).map(|i| f(total[i]).min(f(e[i].raw()) + r[i])).collect();
        }
        for (i, real) in q.iter().enumerate() {
            let p = c.payments[i].to_f64_lossy();
            prop_assert!(p <= real + 1e-9 && real - p <= 1e-8, "node {}: {} vs real {}", i, p, real);
        }
    }

    /// No shock and every node able to pay in full: everyone pays p̄.
    #[test]
    fn solvent_pays_in_full(mut net in any_network()) {
        let (total, _, _) = totals(&net);
        for (i, node) in net.nodes.iter_mut().enumerate() {
            node.shock = Ratio::ZERO;
            node.external_assets = Quote::from_raw(node.external_assets.raw().max(total[i]));
        }
        let e = net.shocked_external_assets().unwrap();
        let c = clear(&net, &e).unwrap();
        prop_assert_eq!(raw(&c), total);
        prop_assert_eq!(c.rounds, 0);
        prop_assert_eq!(c.total_shortfall().unwrap(), Quote::ZERO);
    }
}
