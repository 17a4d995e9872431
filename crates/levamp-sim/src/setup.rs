//! The world every path starts from: a venue with the scenario's markets,
//! accounts (from a snapshot or a generated population) and insurance fund,
//! its main market priced at the start price. Built once; each thread copies
//! its venue once and restores it between paths. Generated populations are
//! in `population.rs`.

use crate::scenario::{Accounts, PriceModel, Scenario};
use crate::snapshot_import::{import_position, import_snapshot};
use crate::sources::Sources;
use levamp_core::{Base, Price, Quote, Round};
use levamp_engine::venue::{AccountId, Command, Venue};
use levamp_engine::{liquidation_price, MarginMode, MarketId, Position, PriceId};
use levamp_io::json::InputError;
use levamp_io::Preset;

/// The start of every path.
#[derive(Clone, Debug)]
pub struct World {
    pub venue: Venue,
    /// The main perp market (`None`: the accounts only lend and borrow).
    pub market: Option<MarketId>,
    /// The price key the price model drives.
    pub key: PriceId,
    pub start: Price,
    /// Accounts holding a position in the main market.
    pub accounts: usize,
    /// Open interest (long) in the main market at the start.
    pub open_interest: Base,
    /// Liquidation prices of the main market's positions at the start (for
    /// the report's liquidation map); empty when the run does not use them
    /// ([`uses_liquidation_prices`]).
    pub liquidation_prices: Vec<(f64, bool)>,
    /// Longs of the main market at the start: (liquidation price, account, notional),
    /// ascending by price (the map liquidation hunters read); empty when
    /// the run does not use them.
    pub long_clusters: Vec<(f64, u32, f64)>,
    /// Positions of the main market with a liquidation price, at the start
    /// (for the report's liquidation map).
    pub at_risk: Vec<AtRisk>,
    /// Open notional of the main market at the start price (quote): long, short.
    pub open_notional: (f64, f64),
    /// Replay prices, when the price model replays a CSV.
    pub replay: Option<Vec<Price>>,
    /// Unix time (s) of step 0, when the scenario has one (a replay CSV
    /// with a time column): the report's axes are then in UTC.
    pub start_time: Option<i64>,
    /// Venue time of step 0.
    pub t0: i64,
    /// Trader accounts are ids 1 ..= traders (agents' accounts come after).
    pub traders: usize,
    /// The lending side, when the accounts borrow.
    pub lending: Option<crate::lending::Book>,
    /// Price keys that follow the driven one (`[[price.follow]]`).
    pub followers: Vec<Follow>,
    /// The perp markets as backstop segments, with their share of the
    /// insurance capital ([`crate::backstop::split`]).
    pub segments: Vec<crate::backstop::Segment>,
    /// The exact fast path's book, when the venue and the scenario fit it
    /// ([`crate::flat::FlatBook::build`]); `None` runs every path on the
    /// engine.
    pub flat: Option<crate::flat::FlatBook>,
}

/// A position that a price move can liquidate (report statistics, f64).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AtRisk {
    /// Its liquidation price at the start.
    pub price: f64,
    pub long: bool,
    /// Notional at the start price (quote).
    pub notional: f64,
    /// The position's chosen leverage (×), if it has one.
    pub leverage: Option<f64>,
}

/// A resolved `[[price.follow]]` entry.
#[derive(Clone, Debug)]
pub struct Follow {
    pub key: PriceId,
    pub beta: f64,
    pub sigma: f64,
    pub lambda: Price,
}

/// Resolves `[[price.follow]]` against the venue's price keys.
fn follow(venue: &Venue, s: &Scenario, driven: PriceId) -> Result<Vec<Follow>, InputError> {
    let mut out: Vec<Follow> = Vec::new();
    for (i, f) in s.followers.iter().enumerate() {
        let at = format!("price.follow[{i}]");
        let fail = |field: &str, message: String| InputError {
            at: format!("{at}.{field}"),
            message,
        };
        let Some(key) = venue.price_id(&f.key) else {
            let hint =
                levamp_io::did_you_mean(&f.key, venue.price_keys().iter().map(String::as_str))
                    .map(|s| format!("; did you mean {}?", levamp_io::json::quote(s)))
                    .unwrap_or_default();
            return Err(fail(
                "key",
                format!("unknown price key {}{hint}", levamp_io::json::quote(&f.key)),
            ));
        };
        if key == driven || out.iter().any(|o| o.key == key) {
            return Err(fail(
                "key",
                format!("{} is already driven", levamp_io::json::quote(&f.key)),
            ));
        }
        if !venue.prices()[key as usize].is_positive() {
            return Err(fail(
                "key",
                format!(
                    "{} has no price at the start",
                    levamp_io::json::quote(&f.key)
                ),
            ));
        }
        out.push(Follow {
            key,
            beta: f.beta,
            sigma: f.sigma,
            lambda: f.lambda,
        });
    }
    Ok(out)
}

pub(crate) use crate::venue_ops::{base_units, engine, open_funded};

/// Builds the world of a scenario.
pub fn build(s: &Scenario, sources: &Sources) -> Result<World, InputError> {
    let mut preset = Preset::load(&s.preset).map_err(|e| InputError {
        at: "venue.preset".into(),
        message: e.message,
    })?;
    for (table, overrides, entries) in [
        ("markets", &s.markets, &mut preset.markets),
        ("assets", &s.assets, &mut preset.assets),
    ] {
        for (name, v) in overrides {
            let at = format!("{table}.{name}");
            let fields = levamp_io::json::object(v, &at)?.clone();
            let entry = entries
                .entry(name.clone())
                .or_insert_with(|| (Default::default(), at.clone()));
            entry.0.extend(fields);
            entry.1 = at;
        }
    }
    let mut rules = match &s.rules {
        Some(r) => levamp_io::definitions::parse_rules(&preset.name, r, "venue.rules")?,
        None => preset.rules.clone(),
    };
    if let Some(d) = s.dynamic_margin {
        if rules.dynamic_margin.is_some() {
            return Err(InputError {
                at: "venue.dynamic_margin".into(),
                message: "given twice: here and in venue.rules.dynamic_margin; keep one".into(),
            });
        }
        rules.dynamic_margin = Some(d);
    }
    if let Some(b) = s.backstop {
        rules.backstop = b;
    }
    let auto = rules.liquidation.auto;
    rules.liquidation.auto = false; // no liquidations while the state is imported
    let mut venue = Venue::new(rules.clone(), &preset.quote);
    // Midnight UTC (a multiple of every funding interval), 2023-11-14.
    let t0 = 1_699_920_000;
    let start = s.start;
    let run =
        |venue: &mut Venue, c: Command, at: &str| venue.execute(&c).map(|_| ()).map_err(engine(at));
    let (main, lending) = match &s.accounts {
        Accounts::Snapshot(path) => import_snapshot(&mut venue, s, &preset, sources, path, t0)?,
        Accounts::Population(p) => (
            Some(crate::population::generate(
                &mut venue, s, &preset, p, start, t0,
            )?),
            None,
        ),
    };
    let key = driven_key(&venue, s, main)?;
    if main.is_none() {
        let needs_market = [
            ("liquidators", s.agents.liquidators.is_some()),
            ("liquidation_hunters", s.agents.hunters.is_some()),
            ("basis_traders", s.agents.basis_traders.is_some()),
        ];
        if let Some((name, _)) = needs_market.iter().find(|(_, on)| *on) {
            return Err(InputError {
                at: format!("agents.{name}"),
                message: "trades a perp market, and the accounts hold no perp position".into(),
            });
        }
    }
    let segments = crate::backstop::split(&venue, s)?;
    for c in crate::backstop::seeds(&venue, s, &segments) {
        run(&mut venue, c, "venue.insurance_fund")?;
    }
    let traders = venue.accounts().len() - 1;
    crate::limits::check(
        "accounts",
        traders,
        crate::limits::MAX_ACCOUNTS,
        "each thread holds a copy of the venue",
    )?;
    if let (Some(b), Some(main)) = (&s.agents.basis_traders, main) {
        let fail = |e: levamp_core::MathError| InputError {
            at: "agents.basis_traders".into(),
            message: e.to_string(),
        };
        let size = base_units(b.notional / start.to_f64_lossy()).map_err(fail)?;
        // Margin is a requirement: rounded up.
        let margin = Base::from_f64(b.notional / b.leverage, Round::Ceil).map_err(fail)?;
        for i in 0..b.accounts {
            let name = crate::agents::basis_name(i);
            let quote = venue.quote();
            let id = open_funded(
                &mut venue,
                &name,
                &[(quote, margin)],
                "agents.basis_traders",
            )?;
            let cost = size
                .checked_neg()
                .and_then(|s| s.value_at(start, Round::Ceil))
                .map_err(fail)?;
            let pos = Position {
                market: main,
                size: size.checked_neg().map_err(fail)?,
                cost,
                mode: MarginMode::Cross,
                isolated_margin: Quote::ZERO,
                leverage: None,
            };
            import_position(&mut venue, id, main, &pos, "agents.basis_traders")?;
        }
    }
    if let Some(h) = &s.agents.hunters {
        let capital = h.capital;
        let quote = venue.quote();
        open_funded(
            &mut venue,
            crate::agents::HUNTER,
            &[(quote, capital)],
            "agents.liquidation_hunters.capital",
        )?;
    }
    if let Some(l) = &s.agents.liquidators {
        let capital = l.capital;
        for i in 0..l.count {
            let name = crate::agents::liquidator_name(i);
            let quote = venue.quote();
            open_funded(
                &mut venue,
                &name,
                &[(quote, capital)],
                "agents.liquidators.capital",
            )?;
        }
    }
    run(
        &mut venue,
        Command::Price {
            key,
            price: start,
            ts: t0,
            confidence: None,
        },
        "price.start",
    )?;
    // External liquidators replace the venue's own automatic liquidation.
    rules.liquidation.auto = auto && s.agents.liquidators.is_none();
    run(
        &mut venue,
        Command::SetRules(Box::new(rules)),
        "venue.rules",
    )?;
    let mut start_time = None;
    let replay = match &s.price {
        PriceModel::Replay { csv, column } => {
            let (prices, first) = sources
                .csv_series(csv, column)
                .map_err(named("price.csv"))?;
            start_time = first;
            if s.run.steps > prices.len() - 1 {
                return Err(InputError {
                    at: "run.steps".into(),
                    message: format!(
                        "{} steps, but {} has {} prices ({} returns)",
                        s.run.steps,
                        csv.display(),
                        prices.len(),
                        prices.len() - 1
                    ),
                });
            }
            Some(prices)
        }
        _ => None,
    };
    let solve = uses_liquidation_prices(s);
    let Book {
        mut accounts,
        open_interest,
        mut liquidation_prices,
        long_clusters,
        at_risk,
        open_notional,
    } = main_market_book(&venue, main, start, solve)?;
    if let Some(book) = &lending {
        accounts += book.borrowers.len();
    }
    if let Some(book) = lending.as_ref().filter(|_| solve) {
        let prices = book
            .liquidation_prices(&venue, key)
            .map_err(|e| InputError {
                at: "accounts".into(),
                message: e.to_string(),
            })?;
        liquidation_prices.extend(prices.into_iter().map(|p| (p, true)));
    }
    let mut world = World {
        followers: follow(&venue, s, key)?,
        segments,
        lending,
        venue,
        market: main,
        key,
        start,
        accounts,
        open_interest,
        liquidation_prices,
        long_clusters,
        at_risk,
        open_notional,
        replay,
        start_time,
        t0,
        traders,
        flat: None,
    };
    world.flat = crate::flat::FlatBook::build(s, &world);
    Ok(world)
}

/// Whether a run uses the liquidation prices at the start: the report draws
/// them beside path 0's series (so only with a series), and liquidation
/// hunters aim at them. A run that does neither skips the exact solve, one
/// per position (at a million accounts, the set-up's largest cost).
pub fn uses_liquidation_prices(s: &Scenario) -> bool {
    s.run.series_paths > 0 || s.agents.hunters.is_some()
}

/// The main market's book at the start, for the report and the hunters.
#[derive(Default)]
struct Book {
    /// Positions in the market.
    accounts: usize,
    /// Long open interest (base).
    open_interest: Base,
    /// (liquidation price, is long) in account order.
    liquidation_prices: Vec<(f64, bool)>,
    /// The hunters' long clusters as [`crate::agents::long_clusters`] gives them.
    long_clusters: Vec<(f64, u32, f64)>,
    /// Positions with a liquidation price, for the liquidation map.
    at_risk: Vec<AtRisk>,
    /// Open notional long and short at the start price (quote).
    open_notional: (f64, f64),
}

/// The main market's book at the start: positions, open interest and
/// notional and, when `solve` is set, the liquidation prices, computed once
/// for the report and the hunters' map (in parallel: the exact solver is
/// the set-up's largest cost at a million accounts).
fn main_market_book(
    venue: &Venue,
    main: Option<MarketId>,
    start: Price,
    solve: bool,
) -> Result<Book, InputError> {
    use rayon::prelude::*;
    let Some(main) = main else {
        return Ok(Book::default());
    };
    let oi_error = |e: levamp_core::MathError| InputError {
        at: "accounts".into(),
        message: e.to_string(),
    };
    let ctx = venue.context();
    let price = start.to_f64_lossy();
    // (account, position, liquidation price) per chunk of accounts, in order.
    type Found = Vec<(AccountId, usize, Option<Price>)>;
    let chunks: Vec<Result<Found, InputError>> = venue
        .accounts()
        .par_chunks(4096)
        .enumerate()
        .map(|(c, chunk)| {
            let mut found = Found::new();
            for (j, acc) in chunk.iter().enumerate() {
                let id = (c * 4096 + j) as AccountId;
                if id == 0 {
                    continue;
                }
                for (i, p) in acc.positions.iter().enumerate() {
                    if p.market == main && !p.size.is_zero() {
                        let lp = match solve {
                            true => liquidation_price(acc, i, &ctx).map_err(|e| InputError {
                                at: format!("accounts: {}", acc.id),
                                message: e.to_string(),
                            })?,
                            false => None,
                        };
                        found.push((id, i, lp));
                    }
                }
            }
            Ok(found)
        })
        .collect();
    let (mut accounts, mut open_interest) = (0, Base::ZERO);
    let mut liquidation_prices = Vec::new();
    let mut clusters = Vec::new();
    let (mut at_risk, mut open_notional) = (Vec::new(), (0.0, 0.0));
    for chunk in chunks {
        for (id, i, lp) in chunk? {
            let p = &venue.accounts()[id as usize].positions[i];
            accounts += 1;
            if p.size.is_positive() {
                open_interest = open_interest.checked_add(p.size).map_err(oi_error)?;
            }
            let notional = p.size.to_f64_lossy().abs() * price;
            if p.size.is_positive() {
                open_notional.0 += notional;
            } else {
                open_notional.1 += notional;
            }
            if let Some(lp) = lp {
                liquidation_prices.push((lp.to_f64_lossy(), p.size.is_positive()));
                at_risk.push(AtRisk {
                    price: lp.to_f64_lossy(),
                    long: p.size.is_positive(),
                    notional,
                    leverage: p.leverage.map(|l| l.to_f64_lossy()),
                });
                if p.size.is_positive() {
                    clusters.push((lp.to_f64_lossy(), id, p.size.to_f64_lossy() * price));
                }
            }
        }
    }
    clusters.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(Book {
        accounts,
        open_interest,
        liquidation_prices,
        long_clusters: clusters,
        at_risk,
        open_notional,
    })
}

/// The price key the price model drives: `[price] key`, else the main market's.
fn driven_key(venue: &Venue, s: &Scenario, main: Option<MarketId>) -> Result<PriceId, InputError> {
    let market_key = main.map(|m| venue.markets()[m as usize].price);
    match (&s.price_key, market_key) {
        (None, Some(k)) => Ok(k),
        (None, None) => Err(InputError {
            at: "price.key".into(),
            message: "required: the accounts hold no perp position; name the price the model drives (e.g. key = \"ETH\")".into(),
        }),
        (Some(name), _) => {
            let Some(k) = venue.price_id(name) else {
                let hint = levamp_io::did_you_mean(name, venue.price_keys().iter().map(String::as_str))
                    .map(|s| format!("; did you mean {}?", levamp_io::json::quote(s)))
                    .unwrap_or_default();
                return Err(InputError {
                    at: "price.key".into(),
                    message: format!("unknown price key {}{hint}", levamp_io::json::quote(name)),
                });
            };
            match market_key {
                Some(m) if m != k => Err(InputError {
                    at: "price.key".into(),
                    message: format!(
                        "the main market is priced by \"{}\", not \"{name}\"",
                        venue.price_keys()[m as usize]
                    ),
                }),
                _ => Ok(k),
            }
        }
    }
}

/// An error that names no place (a file that cannot be read) placed at the
/// scenario `key` that named the file.
pub(crate) fn named(key: &'static str) -> impl Fn(InputError) -> InputError {
    move |e| match e.at.is_empty() {
        true => InputError {
            at: key.into(),
            message: e.message,
        },
        false => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;
    use std::path::Path;

    /// The set-up computes the hunters' map from the liquidation prices it
    /// already has; it must equal the one `agents::long_clusters` computes
    /// during the run (same prices, ids, sizes, order).
    #[test]
    fn long_clusters_match_the_agents_map() {
        let text = "[run]\nseed = 3\npaths = 1\nsteps = 10\ndt_s = 60\n[venue]\npreset = \"binance-usdm\"\n\
            [population]\naccounts = 3000\nmarket = \"BTCUSDT\"\nlong_share = 0.6\nisolated_share = 0.3\n\
            leverage = { median = 12, sigma = 0.7, min = 1, max = 100 }\nnotional = { min = 10000, alpha = 1.25, max = 50000000 }\n\
            entry_dispersion = 0.04\n[price]\nstart = 60000\nmodel = \"gbm\"\nsigma = 0.5\n\
            [agents.liquidation_hunters]\ncapital = 5000000\nreach = 0.02\npush = 500\ntrigger = 4\n";
        let s = parse(text, "clusters", Path::new(".")).unwrap();
        let world = build(&s, &Sources::disk()).unwrap();
        let market = world.market.unwrap();
        let expected =
            crate::agents::long_clusters(&world.venue, market, world.start.to_f64_lossy()).unwrap();
        assert!(expected.len() > 1000, "{} clusters", expected.len());
        assert_eq!(world.long_clusters, expected);
        assert_eq!(world.liquidation_prices.len(), 3000);
    }
}
