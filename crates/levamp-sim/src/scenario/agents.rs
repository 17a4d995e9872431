//! `[agents]` of a scenario: who acts inside a step besides the venue
//! (docs/scenarios.md, "Agents"), with every value parsed and range-checked
//! when the scenario is read. What they do is in [`crate::agents`],
//! [`crate::makers`] and [`crate::actors`].

use super::toml_read::{keys, Table};
use levamp_core::Base;
use levamp_io::json::{child, err, object, InputError};
use serde_json::{Map, Value};

/// `[agents.traders]`: each step, an account whose margin ratio
/// (maintenance ÷ equity) is at least `warn_margin_ratio` adds `top_up` ×
/// its equity to its margin with probability `probability`.
#[derive(Clone, Debug, PartialEq)]
pub struct Traders {
    pub probability: f64,
    pub warn_margin_ratio: f64,
    pub top_up: f64,
}

/// `[agents.liquidators]`: `count` liquidators with `capital` (quote) each.
/// With them the venue does not liquidate by itself; a scope found
/// liquidatable is acted on `latency_steps` steps later by a liquidator
/// whose expected reward (the venue's penalty share) is at least
/// `min_profit` and who can carry the position (initial margin); the
/// liquidator sells what it took into the market at once.
#[derive(Clone, Debug, PartialEq)]
pub struct Liquidators {
    pub count: usize,
    /// Each liquidator's capital (quote).
    pub capital: Base,
    pub latency_steps: usize,
    pub min_profit: f64,
}

/// `[agents.basis_traders]`: `accounts` delta-neutral traders, each short
/// `notional` (quote) of the perp at the start against spot held elsewhere,
/// margined at `leverage`, harvesting funding; when a settlement's rate is at
/// or below `unwind_below` (the basis flipped: shorts pay), they all buy back.
#[derive(Clone, Debug, PartialEq)]
pub struct BasisTraders {
    pub accounts: usize,
    pub notional: f64,
    pub leverage: f64,
    pub unwind_below: f64,
}

/// `[agents.liquidation_hunters]`: a trader with `capital` who, when the
/// long positions liquidatable within `reach` below the market add up to at
/// least `trigger` × the notional of its push, sells `push` base units to
/// set the cascade off, and buys them back at the next step. Its map of
/// liquidation prices is recomputed from the venue every `refresh_steps`
/// steps (0: the start's map, never refreshed). What that map shows is
/// its `visibility` ([`Visibility`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Hunters {
    /// The hunter's capital (quote).
    pub capital: Base,
    pub reach: f64,
    pub push: f64,
    pub trigger: f64,
    pub refresh_steps: usize,
    pub visibility: Visibility,
}

/// What a liquidation hunter sees of the long liquidation prices
/// (`visibility` in `[agents.liquidation_hunters]`; issue #13 §4).
#[derive(Clone, Debug, PartialEq)]
pub enum Visibility {
    /// `"exact"` (the default): every position's liquidation price and
    /// notional, as on a venue whose positions are public (on-chain).
    Exact,
    /// `"aggregated"`: a heatmap of long liquidation notional in price bins
    /// `bin` wide (relative to the price), each bin's notional off by a
    /// log-normal factor of spread `noise` (mean 1), as third-party
    /// dashboards publish.
    Aggregated { bin: f64, noise: f64 },
    /// `"none"`: private accounts; only the price and the long open
    /// interest are public. The hunter assumes the longs entered at the
    /// start price with a log-normal leverage of median `leverage_median`
    /// and spread `leverage_sigma`.
    None {
        leverage_median: f64,
        leverage_sigma: f64,
    },
}

/// The agents of a scenario.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Agents {
    pub hunters: Option<Hunters>,
    pub traders: Option<Traders>,
    pub liquidators: Option<Liquidators>,
    pub basis_traders: Option<BasisTraders>,
    pub arbitrageurs: Option<Arbitrageurs>,
    pub market_makers: Option<MarketMakers>,
}

/// `[agents.arbitrageurs]`: each step, when the market price is more than
/// `threshold` (their all-in cost, a fraction) away from the outside price,
/// they trade up to `capital` (quote) to bring it back to that band.
#[derive(Clone, Debug, PartialEq)]
pub struct Arbitrageurs {
    pub capital: f64,
    pub threshold: f64,
}

/// `[agents.market_makers]`: they take the other side of forced flow up to
/// an inventory of `depth` base units, conceding `spread` (a fraction of the
/// price) across their full depth, linearly; what they cannot take goes to
/// the liquidity model. A step whose outside move exceeds `withdraw_above`
/// makes them pull their quotes; they come back linearly over
/// `recover_steps`. Each step they sell (or buy back) `unload` of their
/// inventory into the liquidity model.
#[derive(Clone, Debug, PartialEq)]
pub struct MarketMakers {
    pub depth: f64,
    pub spread: f64,
    pub withdraw_above: f64,
    pub recover_steps: usize,
    pub unload: f64,
}

/// Agent types a scenario may name.
const AGENTS: &[&str] = &[
    "traders",
    "liquidators",
    "arbitrageurs",
    "basis_traders",
    "market_makers",
    "liquidation_hunters",
];

pub(super) fn agents(root: &Map<String, Value>) -> Result<Agents, InputError> {
    let mut out = Agents::default();
    let Some(t) = Table::of(root, "agents", AGENTS)? else {
        return Ok(out);
    };
    let sub = |key: &str, allowed: &[&str]| sub_table(&t, key, allowed);
    if let Some(tr) = sub("traders", &["probability", "warn_margin_ratio", "top_up"])? {
        out.traders = Some(Traders {
            probability: tr.f64("probability", 0.5, 0.0, 1.0)?,
            warn_margin_ratio: tr.f64("warn_margin_ratio", 0.8, 0.0, 1.0)?,
            top_up: tr.f64("top_up", 0.5, 0.0, 100.0)?,
        });
    }
    if let Some(l) = sub(
        "liquidators",
        &["count", "capital", "latency_steps", "min_profit"],
    )? {
        let capital: levamp_core::Base = l.fixed("capital", "1000000")?;
        if capital.is_negative() {
            return err("agents.liquidators.capital", "must be ≥ 0");
        }
        out.liquidators = Some(Liquidators {
            count: l.int("count", 3, 1, 10_000)? as usize,
            capital,
            latency_steps: l.int("latency_steps", 0, 0, 1_000_000)? as usize,
            min_profit: l.f64("min_profit", 0.0, 0.0, 1e15)?,
        });
    }
    if let Some(h) = sub(
        "liquidation_hunters",
        &[
            "capital",
            "reach",
            "push",
            "trigger",
            "refresh_steps",
            "visibility",
            "bin",
            "noise",
            "leverage_median",
            "leverage_sigma",
        ],
    )? {
        let capital: levamp_core::Base = h.fixed("capital", "1000000")?;
        if capital.is_negative() {
            return err("agents.liquidation_hunters.capital", "must be ≥ 0");
        }
        out.hunters = Some(Hunters {
            capital,
            reach: h.f64("reach", 0.02, 0.0001, 0.5)?,
            push: h.f64("push", 10.0, 1e-8, 1e12)?,
            trigger: h.f64("trigger", 3.0, 0.0, 1e6)?,
            refresh_steps: h.int("refresh_steps", 1, 0, 1_000_000)? as usize,
            visibility: visibility(&h)?,
        });
    }
    if let Some(b) = sub(
        "basis_traders",
        &["accounts", "notional", "leverage", "unwind_below"],
    )? {
        out.basis_traders = Some(BasisTraders {
            accounts: b.int("accounts", 10, 1, 1_000_000)? as usize,
            notional: b.f64("notional", 100_000.0, 1.0, 1e12)?,
            leverage: b.f64("leverage", 3.0, 1.0, 100.0)?,
            unwind_below: b.f64("unwind_below", 0.0, -1.0, 1.0)?,
        });
    }
    liquidity_agents(&t, &mut out)?;
    Ok(out)
}

/// A hunter's `visibility` and the keys of its level. Every key is
/// validated whatever the level (a study may switch the level and keep the
/// others); a level ignores the keys of the others.
fn visibility(h: &Table<'_>) -> Result<Visibility, InputError> {
    const LEVELS: &[&str] = &["exact", "aggregated", "none"];
    let bin = h.f64("bin", 0.005, 0.0001, 0.5)?;
    let noise = h.f64("noise", 0.3, 0.0, 3.0)?;
    let leverage_median = h.f64("leverage_median", 10.0, 1.0, 1000.0)?;
    let leverage_sigma = h.f64("leverage_sigma", 0.5, 0.0, 5.0)?;
    match h.text("visibility")?.unwrap_or("exact") {
        "exact" => Ok(Visibility::Exact),
        "aggregated" => Ok(Visibility::Aggregated { bin, noise }),
        "none" => Ok(Visibility::None {
            leverage_median,
            leverage_sigma,
        }),
        other => {
            let hint = levamp_io::json::did_you_mean(other, LEVELS.iter().copied())
                .map(|s| format!(" (did you mean {}?)", levamp_io::json::quote(s)))
                .unwrap_or_else(|| format!(" (one of: {})", LEVELS.join(", ")));
            err(
                &child(&h.at, "visibility"),
                format!("unknown level {}{hint}", levamp_io::json::quote(other)),
            )
        }
    }
}

/// `[agents.arbitrageurs]` and `[agents.market_makers]`.
fn liquidity_agents(t: &Table<'_>, out: &mut Agents) -> Result<(), InputError> {
    let sub = |key: &str, allowed: &[&str]| sub_table(t, key, allowed);
    if let Some(a) = sub("arbitrageurs", &["capital", "threshold"])? {
        out.arbitrageurs = Some(Arbitrageurs {
            capital: a.f64("capital", 1_000_000.0, 0.0, 1e15)?,
            threshold: a.f64("threshold", 0.001, 0.0, 0.5)?,
        });
    }
    if let Some(m) = sub(
        "market_makers",
        &[
            "depth",
            "spread",
            "withdraw_above",
            "recover_steps",
            "unload",
        ],
    )? {
        out.market_makers = Some(MarketMakers {
            depth: m.f64("depth", 1000.0, 0.0, 1e15)?,
            spread: m.f64("spread", 0.01, 0.0, 0.5)?,
            withdraw_above: m.f64("withdraw_above", 0.02, 0.0, 10.0)?,
            recover_steps: m.int("recover_steps", 10, 0, 1_000_000)? as usize,
            unload: m.f64("unload", 0.1, 0.0, 1.0)?,
        });
    }
    Ok(())
}

/// `[agents.KEY]` as a table with only `allowed` keys, if present.
fn sub_table<'a>(
    t: &Table<'a>,
    key: &str,
    allowed: &[&str],
) -> Result<Option<Table<'a>>, InputError> {
    let Some(v) = t.map.get(key) else {
        return Ok(None);
    };
    let at = child("agents", key);
    let map = object(v, &at)?;
    keys(map, &at, allowed)?;
    Ok(Some(Table { map, at }))
}
