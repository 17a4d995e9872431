//! Venue nodes through a runner written in the test (the CLI's runs
//! levamp-sim; crates/levamp-cli/tests/contagion_venue.rs): where the loss
//! enters, the running maximum, the feedback through fire sales, and bad
//! venue keys.

use levamp_core::{Quote, Ratio};
use levamp_network::{cascade, cascade_with, parse, Network, VenueRunner};

fn q(s: &str) -> Quote {
    s.parse().unwrap()
}

fn network(text: &str) -> Network {
    parse(text, "test").unwrap_or_else(|e| panic!("{e}"))
}

/// A runner from a function of the price change, recording its calls.
struct Fn<F: FnMut(Ratio) -> Quote> {
    f: F,
    calls: Vec<(usize, Ratio)>,
}

impl<F: FnMut(Ratio) -> Quote> VenueRunner for Fn<F> {
    fn loss(&mut self, node: usize, change: Ratio) -> Result<Quote, String> {
        self.calls.push((node, change));
        Ok((self.f)(change))
    }
}

/// `1000 × max(0, −change − 0.05)`: the venue loses 10 for every 1 % the
/// price falls beyond 5 %.
fn linear_loss(change: Ratio) -> Quote {
    let below = Ratio::ZERO
        .checked_sub(change)
        .unwrap()
        .checked_sub("0.05".parse().unwrap())
        .unwrap();
    match below.is_positive() {
        true => Quote::from_raw(below.raw() * 1000),
        false => Quote::ZERO,
    }
}

/// A lending pool (the venue node) owes a fund 10 and outside depositors
/// 90; the fund holds 100 ETH and owes `FUND_DEBT`.
const POOL_AND_FUND: &str = r#"
[[asset]]
id = "ETH"
price = 1
lambda = 0.001
[[node]]
id = "Pool"
external_assets = 100
external_liabilities = 90
venue = "pool.toml"
venue_follows = "ETH"
[[node]]
id = "Fund"
external_liabilities = FUND_DEBT
capital_ratio = 0.1
holdings = { ETH = 100 }
[[obligation]]
from = "Pool"
to = "Fund"
amount = 10
[shock]
prices = { ETH = -0.1 }
"#;

/// ETH −10 %: the venue loses `1000 × (0.10 − 0.05) = 50`, deducted from
/// the pool's 100 of external assets: it owes 100, pays 50 (recovery 1/2),
/// the fund receives 5 and has `90 + 5 − 50 = 45` of equity, far above 10 %
/// of its 90 of ETH: nobody sells, no second run.
#[test]
fn the_loss_is_deducted_from_external_assets() {
    let net = network(&POOL_AND_FUND.replace("FUND_DEBT", "50"));
    let mut runner = Fn {
        f: linear_loss,
        calls: Vec::new(),
    };
    let c = cascade_with(&net, &mut runner).unwrap();
    assert_eq!(c.clearing.external_assets[0], q("50"));
    assert_eq!(c.clearing.payments[0], q("50"));
    assert!(c.clearing.defaulted[0]);
    assert_eq!(c.clearing.receipts[1], q("5"));
    assert_eq!(c.clearing.equity(1).unwrap(), q("45"));
    assert_eq!(c.losses[0].venue, q("50"));
    assert_eq!(c.losses[1].venue, q("0"));
    assert_eq!(c.losses[1].obligations, q("5"));
    assert_eq!(c.rounds(), 0);
    // Asked about node 0 only, at −10 %.
    assert!(runner
        .calls
        .iter()
        .all(|&(n, ch)| n == 0 && ch == Ratio::from_raw(-100_000_000_000)));
}

/// The fund owes 87: at the shocked price its equity is `90 + 5 − 87 = 8`,
/// below 10 % of 90, so it sells; ETH falls below 0.9, the venue loses
/// more, the pool pays less, the fund's equity falls, it sells more: the
/// loop closes only at the bottom. The fund sells all 100 ETH (λ = 0.001:
/// the price ends at `0.9 − 0.1 = 0.8`), the venue loses `1000 × (0.2 −
/// 0.05) = 150 > 100`, so the pool has nothing left and pays 0, and the fund
/// owes 87 with 80 of cash: equity −7, recovery `80 / 87`.
#[test]
fn fire_sales_deepen_the_venue_loss() {
    let net = network(&POOL_AND_FUND.replace("FUND_DEBT", "87"));
    let mut runner = Fn {
        f: linear_loss,
        calls: Vec::new(),
    };
    let c = cascade_with(&net, &mut runner).unwrap();
    assert!(c.rounds() >= 2, "{}", c.rounds());
    assert_eq!(c.prices[0], "0.8".parse().unwrap());
    assert_eq!(c.units_sold[0], "100".parse().unwrap());
    assert_eq!(c.losses[0].venue, q("100"));
    assert_eq!(c.clearing.payments[0], q("0"));
    assert_eq!(c.clearing.receipts[1], q("0"));
    assert_eq!(c.clearing.equity(1).unwrap(), q("-7"));
    assert_eq!(c.clearing.payments[1], q("80"));
    for i in 0..2 {
        let l = c.losses[i];
        let lost = [l.shock, l.prices, l.tokens, l.obligations, l.venue]
            .into_iter()
            .fold(Quote::ZERO, |a, b| a.checked_add(b).unwrap());
        assert_eq!(
            c.baseline_equity[i].checked_sub(lost).unwrap(),
            c.clearing.equity(i).unwrap()
        );
    }
    // The runner saw the prices the cascade visited, falling to −20 %.
    let changes: Vec<Ratio> = runner.calls.iter().map(|c| c.1).collect();
    assert!(changes.windows(2).all(|w| w[1] <= w[0]), "{changes:?}");
    assert_eq!(*changes.last().unwrap(), Ratio::from_raw(-200_000_000_000));
}

/// With a smaller fund debt (86: equity `90 + 5 − 86 = 9`, exactly 10 % of
/// 90) the fund does not sell and the venue is asked once per round.
#[test]
fn a_fund_at_its_ratio_does_not_start_the_loop() {
    let net = network(&POOL_AND_FUND.replace("FUND_DEBT", "86"));
    let mut runner = Fn {
        f: linear_loss,
        calls: Vec::new(),
    };
    let c = cascade_with(&net, &mut runner).unwrap();
    assert_eq!(c.rounds(), 0);
    assert_eq!(c.prices[0], "0.9".parse().unwrap());
    assert_eq!(c.losses[0].venue, q("50"));
}

/// A venue whose loss is not monotone in the price (here: 60 at −10 %,
/// 20 below): the cascade keeps the largest loss it has seen, so external
/// assets never rise again and the descent still ends.
#[test]
fn a_non_monotone_venue_keeps_its_running_maximum() {
    let net = network(&POOL_AND_FUND.replace("FUND_DEBT", "87"));
    let shocked = Ratio::from_raw(-100_000_000_000);
    let mut runner = Fn {
        f: |change: Ratio| match change == shocked {
            true => q("60"),
            false => q("20"),
        },
        calls: Vec::new(),
    };
    let c = cascade_with(&net, &mut runner).unwrap();
    assert!(runner.calls.iter().any(|&(_, ch)| ch < shocked));
    assert_eq!(c.losses[0].venue, q("60"));
    assert_eq!(c.clearing.external_assets[0], q("40"));
}

/// A loss larger than the node's assets takes them to 0, not below; the
/// channel is what was deducted.
#[test]
fn a_loss_beyond_the_assets_stops_at_zero() {
    let net = network(&POOL_AND_FUND.replace("FUND_DEBT", "50"));
    let mut runner = Fn {
        f: |_| q("250"),
        calls: Vec::new(),
    };
    let c = cascade_with(&net, &mut runner).unwrap();
    assert_eq!(c.clearing.external_assets[0], q("0"));
    assert_eq!(c.clearing.payments[0], q("0"));
    assert_eq!(c.losses[0].venue, q("100"));
}

/// `venue_scale` converts the scenario's units: 50,000,000 of scenario
/// loss at a scale of 1e-6 is 50 here.
#[test]
fn venue_scale_converts_units() {
    let text = POOL_AND_FUND
        .replace("FUND_DEBT", "50")
        .replace(
            "venue_follows = \"ETH\"",
            "venue_follows = \"ETH\"\nventure_scale = 1e-6",
        )
        .replace("venture_scale", "venue_scale");
    let net = network(&text);
    let mut runner = Fn {
        f: |change| Quote::from_raw(linear_loss(change).raw() * 1_000_000),
        calls: Vec::new(),
    };
    let c = cascade_with(&net, &mut runner).unwrap();
    assert_eq!(c.losses[0].venue, q("50"));
}

#[test]
fn a_venue_node_without_a_runner_is_an_error() {
    let net = network(&POOL_AND_FUND.replace("FUND_DEBT", "50"));
    let e = cascade(&net).unwrap_err().to_string();
    assert!(e.contains("node Pool: venue:"), "{e}");
}

fn bad(text: &str) -> String {
    let e = parse(text, "test").unwrap_err();
    format!("{}: {}", e.at, e.message)
}

#[test]
fn bad_venue_keys_name_their_line() {
    let base = POOL_AND_FUND.replace("FUND_DEBT", "50");
    let e = bad(&base.replace("venue_follows = \"ETH\"", "venue_follows = \"ETh\""));
    assert!(
        e.starts_with(":11: node[0].venue_follows: unknown asset id \"ETh\""),
        "{e}"
    );
    assert!(e.contains("did you mean \"ETH\""), "{e}");
    let e = bad(&base.replace("venue_follows = \"ETH\"\n", ""));
    assert!(e.starts_with(":10: node[0].venue_follows: missing"), "{e}");
    let e = bad(&base.replace("venue = \"pool.toml\"\n", ""));
    assert!(
        e.starts_with(":10: node[0].venue_follows: only a venue node"),
        "{e}"
    );
    let e = bad(&base.replace("venue = \"pool.toml\"", "venue = \"\""));
    assert!(e.starts_with(":10: node[0].venue: must name"), "{e}");
    let e = bad(&base.replace(
        "venue = \"pool.toml\"",
        "venue = \"p.toml\"\nvenue_scale = 0",
    ));
    assert!(
        e.starts_with(":11: node[0].venue_scale: must be > 0"),
        "{e}"
    );
    let e = bad(&base.replace("venue = \"pool.toml\"", "venue = 3"));
    assert!(e.starts_with(":10: node[0].venue: must be a string"), "{e}");
}
