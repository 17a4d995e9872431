//! Clearing a random 10,000-node network with 100,000 obligations (issue
//! #15: ≤ 1 s), and a fire-sale fixed point on 1,000 nodes and 20 assets
//! (≤ 1 s). `cargo bench -p levamp-network --bench clearing [-- clearing |
//! -- fire-sale]` (no argument: both).
//!
//! Each node owes 10 random others amounts of 1 to 100, has external
//! liabilities of 10 to 200 and external assets of 0.8 to 1.3 times what
//! it owes net of what it is owed; every node loses 30 % of its external
//! assets. Seeded: the same network every run.

use levamp_core::{Base, Price, Quote, Ratio, SCALE};
use levamp_network::{
    cascade, clear_network, Asset, DefaultCosts, Held, Holding, Impact, Network, Node, Obligation,
    Seniority,
};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

fn uniform(rng: &mut ChaCha8Rng, lo: i128, hi: i128) -> i128 {
    lo + (rng.next_u64() as i128).rem_euclid(hi - lo + 1)
}

fn network(
    n: usize,
    per_node: usize,
    costs: DefaultCosts,
    seniority: Seniority,
    seed: u64,
) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut obligations = Vec::with_capacity(n * per_node);
    let mut owed = vec![0i128; n];
    let mut owing = vec![0i128; n];
    for (debtor, owed_by_debtor) in owed.iter_mut().enumerate() {
        let mut chosen = std::collections::BTreeSet::new();
        while chosen.len() < per_node {
            let c = uniform(&mut rng, 0, n as i128 - 1) as usize;
            if c != debtor {
                chosen.insert(c);
            }
        }
        for creditor in chosen {
            let amount = uniform(&mut rng, SCALE, 100 * SCALE);
            *owed_by_debtor += amount;
            owing[creditor] += amount;
            obligations.push(Obligation {
                debtor,
                creditor,
                amount: Quote::from_raw(amount),
            });
        }
    }
    let nodes = (0..n)
        .map(|i| {
            let external = uniform(&mut rng, 10 * SCALE, 200 * SCALE);
            let need = (owed[i] + external - owing[i]).max(SCALE);
            let assets = need * uniform(&mut rng, 800, 1300) / 1000;
            Node {
                id: format!("N{i}"),
                external_assets: Quote::from_raw(assets),
                external_liabilities: Quote::from_raw(external),
                shock: Ratio::from_raw(-3 * SCALE / 10),
                default_costs: costs,
                holdings: Vec::new(),
                capital_ratio: None,
                sell_order: Vec::new(),
                venue: None,
            }
        })
        .collect();
    Network {
        name: "bench".into(),
        seniority,
        nodes,
        obligations,
        assets: Vec::new(),
        tokens: Vec::new(),
    }
}

/// CPU time of this thread (Linux `/proc/thread-self/schedstat`, ns on
/// CPU): the machine is shared, so wall time overstates the cost.
fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn main() {
    let which = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if which.as_deref() != Some("fire-sale") {
        clearing();
    }
    if which.as_deref() != Some("clearing") {
        fire_sale();
    }
}

/// The 1,000-node network of [`network`] (10 obligations each, no cash
/// shock) where 80 % of each node's external assets are 5 of 20 assets
/// (price 1, shocked −2 %; linear impact: selling 10 % of all units held
/// takes a price down 2 %), each node keeping a capital ratio of 4–8 %.
fn fire_sale_network() -> Network {
    let mut net = network(1_000, 10, DefaultCosts::NONE, Seniority::PariPassu, 16);
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let m = 20;
    let mut held = vec![0i128; m];
    for node in &mut net.nodes {
        node.shock = Ratio::ZERO;
        let invested = node.external_assets.raw() * 8 / 10;
        node.external_assets = Quote::from_raw(node.external_assets.raw() - invested);
        let mut chosen = std::collections::BTreeSet::new();
        while chosen.len() < 5 {
            chosen.insert(uniform(&mut rng, 0, m as i128 - 1) as usize);
        }
        for a in chosen {
            let units = invested / 5;
            held[a] += units;
            node.holdings.push(Holding {
                of: Held::Asset(a),
                units: Base::from_raw(units),
            });
        }
        node.capital_ratio = Some(Ratio::from_raw(uniform(&mut rng, 40, 80) * SCALE / 1000));
    }
    net.assets = (0..m)
        .map(|a| Asset {
            id: format!("X{a}"),
            price: Price::ONE,
            shock: Ratio::from_raw(-SCALE / 50),
            // 10 % of the units held move the price 2 %: λ = 0.2 / units.
            impact: Impact::Linear {
                lambda: Price::from_raw(SCALE * SCALE / 5 / held[a].max(1)),
            },
        })
        .collect();
    net
}

fn fire_sale() {
    let net = fire_sale_network();
    let (mut best, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
    let mut last = None;
    for _ in 0..5 {
        let t = Instant::now();
        let cpu = cpu_seconds();
        let c = cascade(&net).expect("settles");
        best = best.min(t.elapsed().as_secs_f64());
        if let (Some(after), Some(before)) = (cpu_seconds(), cpu) {
            best_cpu = best_cpu.min(after - before);
        }
        last = Some(c);
    }
    let c = last.unwrap();
    let sellers = c
        .sold
        .iter()
        .filter(|s| s.iter().any(|u| u.is_positive()))
        .count();
    let defaults = c.clearing.defaulted.iter().filter(|&&d| d).count();
    let lowest = c.prices.iter().min().unwrap();
    println!(
        "fire sale: 1,000 nodes, {} obligations, 20 assets: {:.1} ms wall, {:.1} ms CPU (best of 5), {} cascade rounds, {sellers} sellers, {defaults} defaults, lowest price {lowest}",
        net.obligations.len(),
        best * 1e3,
        best_cpu * 1e3,
        c.rounds(),
    );
}

fn clearing() {
    let rv = DefaultCosts {
        alpha: Ratio::from_raw(SCALE * 9 / 10),
        beta: Ratio::from_raw(SCALE * 95 / 100),
    };
    for (label, costs, seniority) in [
        ("Eisenberg–Noe", DefaultCosts::NONE, Seniority::PariPassu),
        ("Rogers–Veraart 0.9/0.95", rv, Seniority::PariPassu),
        (
            "Eisenberg–Noe, external senior",
            DefaultCosts::NONE,
            Seniority::ExternalSenior,
        ),
    ] {
        let net = network(10_000, 10, costs, seniority, 15);
        let (mut best, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
        let mut last = None;
        for _ in 0..5 {
            let t = Instant::now();
            let cpu = cpu_seconds();
            let c = clear_network(&net).expect("clears");
            best = best.min(t.elapsed().as_secs_f64());
            if let (Some(after), Some(before)) = (cpu_seconds(), cpu) {
                best_cpu = best_cpu.min(after - before);
            }
            last = Some(c);
        }
        let c = last.unwrap();
        let defaults = c.defaulted.iter().filter(|&&d| d).count();
        println!(
            "{label}: 10,000 nodes, {} obligations: {:.1} ms wall, {:.1} ms CPU (best of 5), {defaults} defaults, {} rounds, shortfall {}",
            net.obligations.len(),
            best * 1e3,
            best_cpu * 1e3,
            c.rounds,
            c.total_shortfall().unwrap()
        );
    }
}
