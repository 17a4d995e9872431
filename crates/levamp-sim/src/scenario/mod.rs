//! Scenario files (TOML, docs/scenarios.md): parsed into a [`Scenario`]
//! with every value checked. Errors name the file, the line and the key:
//! `crash.toml:12: price.sigma: must be ≥ 0`; unknown keys get a "did you
//! mean". The TOML is converted to JSON values (numbers kept as their exact
//! decimal text) and read with the same path-aware helpers as snapshots.

mod agents;
mod market;
mod toml_read;

pub use agents::{
    Agents, Arbitrageurs, BasisTraders, Hunters, Liquidators, MarketMakers, Traders, Visibility,
};
use levamp_io::json::{child, err, object, string, InputError};
use market::{followers, impact, price};
pub use market::{Follower, ImpactConfig, PriceModel};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
pub(crate) use toml_read::locate;
use toml_read::{keys, to_json, Table};

/// `[run]`
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    pub seed: u64,
    pub paths: usize,
    pub steps: usize,
    pub dt_s: i64,
    /// Cap on cascade rounds within one step.
    pub max_rounds: usize,
    /// How many paths keep a full time series (CSV and charts).
    pub series_paths: usize,
    /// Whether paths that fit it run on the exact fast path
    /// ([`crate::flat`]); `false` runs every path on the engine (same
    /// results, slower: a cross-check).
    pub fast_path: bool,
}

impl RunConfig {
    /// Checks `paths`, `steps` and `series_paths` against [`crate::limits`]
    /// (also after `--paths` overrides the file).
    pub fn check(&self) -> Result<(), InputError> {
        use crate::limits::{check, MAX_PATHS, MAX_SERIES_PATHS, MAX_STEPS};
        check(
            "run.steps",
            self.steps,
            MAX_STEPS,
            "cover a longer horizon with a larger dt_s",
        )?;
        check(
            "run.paths",
            self.paths,
            MAX_PATHS,
            "run several seeds instead and combine their metrics",
        )?;
        check(
            "run.series_paths",
            self.series_paths,
            MAX_SERIES_PATHS,
            "the report draws the first 20",
        )
    }
}

/// Where the accounts come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Accounts {
    /// A `levamp margin` snapshot file.
    Snapshot(PathBuf),
    Population(Population),
}

/// `[population]`: a synthetic population, generated from the run's seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    pub accounts: usize,
    pub market: String,
    pub long_share: f64,
    pub isolated_share: f64,
    /// Lognormal leverage: median, log-σ, clamped to [min, max].
    pub leverage_median: f64,
    pub leverage_sigma: f64,
    pub leverage_min: f64,
    pub leverage_max: f64,
    /// Pareto notional (quote): minimum, tail exponent α, cap.
    pub notional_min: f64,
    pub notional_alpha: f64,
    pub notional_max: f64,
    /// Entry prices uniform within ±this fraction of the start price.
    pub entry_dispersion: f64,
}

/// `[funding]`: a fixed rate per interval, or (`None`) the venue's formula
/// applied to the interval's average premium of the market price over the
/// outside price (the perp's basis).
#[derive(Clone, Debug, PartialEq)]
pub struct Funding {
    /// The rate per interval (a fraction), or the venue's formula.
    pub rate: Option<levamp_core::Ratio>,
}

/// `[lending]`: how the lending side of a snapshot is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct Lending {
    /// Pool utilization at the start: lenders supply `borrows ÷ utilization`
    /// of every borrowed asset.
    pub utilization: f64,
}

/// A whole scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    /// Directory relative paths are resolved against.
    pub dir: PathBuf,
    pub run: RunConfig,
    pub preset: String,
    /// `[venue]` rules overriding the preset's (JSON shape of a preset's `rules`).
    pub rules: Option<Value>,
    /// `[venue] dynamic_margin`: volatility-sensitive margin (overrides the
    /// rules' own; docs/mechanisms.md).
    pub dynamic_margin: Option<levamp_engine::venue::DynamicMargin>,
    /// Extra or overriding market definitions (`[markets.NAME]`).
    pub markets: Map<String, Value>,
    /// Extra or overriding asset definitions (`[assets.NAME]`), e.g. a
    /// lending pool's `rate_model`.
    pub assets: Map<String, Value>,
    /// `[lending]`
    pub lending: Lending,
    /// `[venue] insurance_fund`: the quote asset's fund at the start (the
    /// total over markets under a segmented backstop).
    pub insurance_fund: levamp_core::Base,
    /// `[venue] backstop`: `"pooled"` or `"segmented"` (overrides the
    /// rules'; `None`: as the rules say).
    pub backstop: Option<levamp_engine::venue::Backstop>,
    /// `[venue] insurance_fund_by_market`: explicit per-market funds (name,
    /// amount), in name order; empty: split by starting open interest
    /// (`crate::backstop`).
    pub insurance_fund_by_market: Vec<(String, levamp_core::Base)>,
    pub market: Option<String>,
    pub accounts: Accounts,
    /// Start price of the main market.
    pub start: levamp_core::Price,
    /// `[price] key`: the price key the model drives (default: the main
    /// market's); required when the accounts hold no perp position.
    pub price_key: Option<String>,
    /// `[[price.follow]]`: other price keys correlated with the driven one.
    pub followers: Vec<Follower>,
    pub price: PriceModel,
    pub impact: ImpactConfig,
    pub latency_steps: usize,
    /// The oracle feed's publication rules (deviation, heartbeat, precision,
    /// TWAP); the default publishes every price at full precision.
    pub feed: levamp_engine::venue::OracleConfig,
    pub agents: Agents,
    /// `[funding]`: settle funding at the market's interval (`None`: no funding).
    pub funding: Option<Funding>,
    /// The scenario text, for the report.
    pub text: String,
}

const TOP: &[&str] = &[
    "name",
    "run",
    "venue",
    "markets",
    "assets",
    "lending",
    "accounts",
    "population",
    "price",
    "impact",
    "oracle",
    "agents",
    "funding",
];

/// Reads and checks a scenario file.
pub fn load(path: &Path) -> Result<Scenario, InputError> {
    let text = levamp_io::input_limit::read_file(path)?;
    parse_file(path, &text)
}

/// Parses `text`, read from the scenario file `path` (which names the
/// scenario and resolves its relative paths); errors are `PATH:LINE: key`.
pub fn parse_file(path: &Path, text: &str) -> Result<Scenario, InputError> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario")
        .to_string();
    parse(text, &name, &dir).map_err(|e| InputError {
        at: format!("{}{}", path.display(), e.at),
        message: e.message,
    })
}

/// A later error about a parsed scenario (its setup: presets, snapshots)
/// placed in its source `file` with `text`: `FILE:LINE: key: message` when
/// the error names a key of the file, else `FILE: key: message`.
pub fn at_line(file: &str, text: &str, e: InputError) -> InputError {
    let at = match locate(text, &e.at) {
        Some(line) => format!("{file}:{line}: {}", e.at),
        None if e.at.is_empty() => file.to_string(),
        None => format!("{file}: {}", e.at),
    };
    InputError {
        at,
        message: e.message,
    }
}

/// Parses scenario text; `name` defaults the scenario name, `dir` resolves relative paths.
/// Errors carry `:LINE: key` in `at` (prefixed by the caller with the file).
pub fn parse(text: &str, name: &str, dir: &Path) -> Result<Scenario, InputError> {
    let root = tree(text)?;
    from_tree(&root, text, name, dir).map_err(|e| {
        let line = locate(text, &e.at)
            .map(|l| format!(":{l}"))
            .unwrap_or_default();
        InputError {
            at: format!("{line}: {}", e.at),
            message: e.message,
        }
    })
}

/// Scenario text as its JSON tree (numbers as exact decimal text), before
/// any typed read: what [`crate::variants`] edits. A syntax error is
/// `:LINE: malformed TOML: …`.
pub fn tree(text: &str) -> Result<Value, InputError> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
            .unwrap_or(0);
        InputError {
            at: format!(":{line}"),
            message: format!(
                "malformed TOML: {}",
                levamp_io::json::clip(e.message(), 200)
            ),
        }
    })?;
    Ok(to_json(&toml::Value::Table(table)))
}

/// The typed, range-checked read of a scenario's JSON tree (from [`tree`],
/// possibly edited); `text` is kept for the report. Errors name the key
/// (`price.sigma`), without a line.
pub fn from_tree(root: &Value, text: &str, name: &str, dir: &Path) -> Result<Scenario, InputError> {
    parse_value(root, text, name, dir)
}

/// `[venue] backstop` and `insurance_fund_by_market = { NAME = amount, … }`
/// (amounts ≥ 0; market names are checked against the venue at set-up).
#[allow(clippy::type_complexity)]
fn backstop_keys(
    t: &Table<'_>,
) -> Result<
    (
        Option<levamp_engine::venue::Backstop>,
        Vec<(String, levamp_core::Base)>,
    ),
    InputError,
> {
    use levamp_engine::venue::Backstop;
    let backstop = match t.text("backstop")? {
        None => None,
        Some("pooled") => Some(Backstop::Pooled),
        Some("segmented") => Some(Backstop::Segmented),
        Some(other) => {
            return err(
                "venue.backstop",
                format!(
                    "must be \"pooled\" or \"segmented\", found {}",
                    levamp_io::json::quote(other)
                ),
            )
        }
    };
    let mut split = Vec::new();
    if let Some(v) = t.map.get("insurance_fund_by_market") {
        let at = "venue.insurance_fund_by_market";
        let table = Table {
            map: object(v, at)?,
            at: at.to_string(),
        };
        for name in table.map.keys() {
            let amount: levamp_core::Base = table.fixed(name, "0")?;
            if amount.is_negative() {
                return err(&child(at, name), format!("must be ≥ 0, got {amount}"));
            }
            split.push((name.clone(), amount));
        }
    }
    Ok((backstop, split))
}

fn parse_value(root: &Value, text: &str, name: &str, dir: &Path) -> Result<Scenario, InputError> {
    let root = object(root, "")?;
    keys(root, "", TOP)?;
    let run = run_config(root)?;
    run.check()?;
    let name = match root.get("name") {
        Some(v) => string(v, "name")?.to_string(),
        None => name.to_string(),
    };
    let venue = Table::of(
        root,
        "venue",
        &[
            "preset",
            "insurance_fund",
            "market",
            "rules",
            "dynamic_margin",
            "backstop",
            "insurance_fund_by_market",
        ],
    )?;
    let (backstop, insurance_fund_by_market) = match &venue {
        Some(t) => backstop_keys(t)?,
        None => (None, Vec::new()),
    };
    let dynamic_margin = match venue.as_ref().and_then(|t| t.map.get("dynamic_margin")) {
        Some(v) => Some(levamp_io::dynamic_margin::parse_dynamic_margin(
            v,
            "venue.dynamic_margin",
        )?),
        None => None,
    };
    let (preset, insurance_fund, market, rules) = match &venue {
        Some(t) => (
            t.text("preset")?.unwrap_or("generic").to_string(),
            t.fixed::<levamp_core::Base>("insurance_fund", "0")?,
            t.text("market")?.map(str::to_string),
            t.map.get("rules").cloned(),
        ),
        None => ("generic".to_string(), levamp_core::Base::ZERO, None, None),
    };
    if insurance_fund.is_negative() {
        return err("venue.insurance_fund", "must be ≥ 0");
    }
    // An explicit split is the total when no total is given, and must add
    // up to it when one is.
    let split_sum = insurance_fund_by_market
        .iter()
        .try_fold(levamp_core::Base::ZERO, |s, (_, a)| s.checked_add(*a))
        .map_err(|e| InputError {
            at: "venue.insurance_fund_by_market".into(),
            message: e.to_string(),
        })?;
    let given = venue
        .as_ref()
        .is_some_and(|t| t.map.contains_key("insurance_fund"));
    let insurance_fund = match (insurance_fund_by_market.is_empty(), given) {
        (true, _) => insurance_fund,
        (false, false) => split_sum,
        (false, true) if split_sum == insurance_fund => insurance_fund,
        (false, true) => {
            return err(
                "venue.insurance_fund_by_market",
                format!("sums to {split_sum}, but venue.insurance_fund is {insurance_fund}; make them equal (or drop insurance_fund)"),
            )
        }
    };
    let table = |k: &str| -> Result<Map<String, Value>, InputError> {
        match root.get(k) {
            Some(v) => Ok(object(v, k)?.clone()),
            None => Ok(Map::new()),
        }
    };
    let (markets, assets) = (table("markets")?, table("assets")?);
    let lending = Lending {
        utilization: match Table::of(root, "lending", &["utilization"])? {
            Some(t) => t.f64("utilization", 0.8, 0.01, 1.0)?,
            None => 0.8,
        },
    };
    let accounts = accounts(root, dir)?;
    let (start, price_key, price) = price(root, dir)?;
    let impact = impact(root)?;
    let (latency_steps, feed) = oracle(root)?;
    let agents = agents::agents(root)?;
    let funding = funding(root)?;
    Ok(Scenario {
        funding,
        feed,
        agents,
        name,
        dir: dir.to_path_buf(),
        run,
        preset,
        rules,
        dynamic_margin,
        markets,
        assets,
        lending,
        price_key,
        followers: followers(root)?,
        insurance_fund,
        backstop,
        insurance_fund_by_market,
        market,
        accounts,
        start,
        price,
        impact,
        latency_steps,
        text: text.to_string(),
    })
}

/// `[run]`, with its defaults.
fn run_config(root: &Map<String, Value>) -> Result<RunConfig, InputError> {
    let run = Table::of(
        root,
        "run",
        &[
            "seed",
            "paths",
            "steps",
            "dt_s",
            "max_rounds",
            "series_paths",
            "fast_path",
        ],
    )?;
    let run = match run {
        Some(t) => RunConfig {
            seed: t.int("seed", 0, 0, u64::MAX >> 1)?,
            paths: t.int("paths", 1, 1, u32::MAX as u64)? as usize,
            steps: t.int("steps", 1440, 1, u32::MAX as u64)? as usize,
            dt_s: t.int("dt_s", 60, 1, 86_400 * 365)? as i64,
            max_rounds: t.int("max_rounds", 100, 1, 1_000_000)? as usize,
            series_paths: t.int("series_paths", 20, 0, u32::MAX as u64)? as usize,
            fast_path: t.flag("fast_path", true)?,
        },
        None => RunConfig {
            seed: 0,
            paths: 1,
            steps: 1440,
            dt_s: 60,
            max_rounds: 100,
            series_paths: 20,
            fast_path: true,
        },
    };
    Ok(run)
}

/// `[oracle]`: the latency in steps and the feed's publication rules.
fn oracle(
    root: &Map<String, Value>,
) -> Result<(usize, levamp_engine::venue::OracleConfig), InputError> {
    Ok(
        match Table::of(
            root,
            "oracle",
            &[
                "latency_steps",
                "deviation",
                "heartbeat_s",
                "decimals",
                "twap_window_s",
            ],
        )? {
            Some(t) => {
                let deviation = match t.map.get("deviation") {
                    Some(_) => Some(t.fixed::<levamp_core::Ratio>("deviation", "0")?),
                    None => None,
                };
                let opt_int = |k: &str, hi: u64| -> Result<Option<u64>, InputError> {
                    t.map
                        .contains_key(k)
                        .then(|| t.int(k, 0, 1, hi))
                        .transpose()
                };
                let feed = levamp_engine::venue::OracleConfig {
                    heartbeat_s: opt_int("heartbeat_s", 1 << 40)?.map(|v| v as i64),
                    deviation,
                    latency_s: 0,
                    decimals: opt_int("decimals", 12)?.map(|v| v as u32),
                    twap_window_s: opt_int("twap_window_s", 1 << 40)?.map(|v| v as i64),
                    confidence: None,
                };
                if deviation.is_some_and(|d| d.is_negative() || d >= levamp_core::Ratio::ONE) {
                    return err(
                        "oracle.deviation",
                        "must be between 0 and 1 (a fraction: 0.005 = 0.5 %)",
                    );
                }
                (t.int("latency_steps", 0, 0, 1_000_000)? as usize, feed)
            }
            None => (0, Default::default()),
        },
    )
}

/// `[funding]` (absent or `enabled = false`: no funding).
fn funding(root: &Map<String, Value>) -> Result<Option<Funding>, InputError> {
    Ok(match Table::of(root, "funding", &["enabled", "rate"])? {
        Some(t) if !matches!(t.map.get("enabled"), Some(Value::Bool(false))) => Some(Funding {
            rate: match t.map.get("rate") {
                Some(_) => Some(t.fixed("rate", "0")?),
                None => None,
            },
        }),
        _ => None,
    })
}

/// `[accounts] snapshot` or `[population]`, exactly one of them.
fn accounts(root: &Map<String, Value>, dir: &Path) -> Result<Accounts, InputError> {
    Ok(
        match (
            Table::of(root, "accounts", &["snapshot"])?,
            Table::of(root, "population", POPULATION_KEYS)?,
        ) {
            (Some(_), Some(_)) => {
                return err(
                    "population",
                    "give either [accounts] snapshot or [population], not both",
                )
            }
            (Some(t), None) => match t.text("snapshot")? {
                Some(p) => Accounts::Snapshot(dir.join(p)),
                None => {
                    return err(
                        "accounts.snapshot",
                        "required (a `levamp margin` snapshot file, relative to the scenario)",
                    )
                }
            },
            (None, Some(t)) => Accounts::Population(population(&t)?),
            (None, None) => {
                return err(
                    "accounts",
                    "required: [accounts] snapshot = \"…\" or a [population] table",
                )
            }
        },
    )
}

const POPULATION_KEYS: &[&str] = &[
    "accounts",
    "market",
    "long_share",
    "isolated_share",
    "leverage",
    "notional",
    "entry_dispersion",
];
fn population(t: &Table<'_>) -> Result<Population, InputError> {
    let sub = |key: &str, allowed: &[&str]| -> Result<Option<Table<'_>>, InputError> {
        let Some(v) = t.map.get(key) else {
            return Ok(None);
        };
        let at = child(&t.at, key);
        let map = object(v, &at)?;
        keys(map, &at, allowed)?;
        Ok(Some(Table { map, at }))
    };
    let lev = sub("leverage", &["median", "sigma", "min", "max"])?;
    let notional = sub("notional", &["min", "alpha", "max"])?;
    let f = |t: &Option<Table<'_>>, k: &str, d: f64, lo: f64, hi: f64| {
        t.as_ref().map_or(Ok(d), |t| t.f64(k, d, lo, hi))
    };
    let p = Population {
        accounts: t.int("accounts", 1000, 1, u32::MAX as u64)? as usize,
        market: t.text("market")?.unwrap_or("").to_string(),
        long_share: t.f64("long_share", 0.5, 0.0, 1.0)?,
        isolated_share: t.f64("isolated_share", 0.0, 0.0, 1.0)?,
        leverage_median: f(&lev, "median", 10.0, 1.0, 1000.0)?,
        leverage_sigma: f(&lev, "sigma", 0.5, 0.0, 5.0)?,
        leverage_min: f(&lev, "min", 1.0, 1.0, 1000.0)?,
        leverage_max: f(&lev, "max", 50.0, 1.0, 1000.0)?,
        notional_min: f(&notional, "min", 1000.0, 1e-6, 1e15)?,
        notional_alpha: f(&notional, "alpha", 1.5, 0.1, 10.0)?,
        notional_max: f(&notional, "max", 1e7, 1e-6, 1e15)?,
        entry_dispersion: t.f64("entry_dispersion", 0.05, 0.0, 0.9)?,
    };
    crate::limits::check(
        "population.accounts",
        p.accounts,
        crate::limits::MAX_ACCOUNTS,
        "each thread holds a copy of the venue",
    )?;
    if p.leverage_min > p.leverage_max {
        return err("population.leverage.min", "must not exceed leverage.max");
    }
    if p.notional_min > p.notional_max {
        return err("population.notional.min", "must not exceed notional.max");
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUE: &str = "[run]\nseed = 7\npaths = 1\nsteps = 10\ndt_s = 60\n[venue]\npreset = \"generic\"\n[accounts]\nsnapshot = \"accounts.json\"\n[price]\nmodel = \"shock\"\nstart = 100.0\nshock = -0.15\nshock_steps = 1\n[impact]\nmodel = \"linear\"\nlambda = 0.001\n[oracle]\nlatency_steps = 0\n";

    #[test]
    fn issue_keys_parse_exactly() {
        let s = parse(ISSUE, "x", Path::new("/tmp")).unwrap();
        assert_eq!(
            (s.run.seed, s.run.paths, s.run.steps, s.run.dt_s),
            (7, 1, 10, 60)
        );
        assert_eq!(s.start, levamp_core::Price::from_int(100));
        assert_eq!(
            s.price,
            PriceModel::Shock {
                shock: "-0.15".parse().unwrap(),
                steps: 1,
                start_step: 1
            }
        );
        assert_eq!(
            s.impact,
            ImpactConfig::Linear {
                lambda: "0.001".parse().unwrap()
            }
        );
        assert_eq!(
            s.accounts,
            Accounts::Snapshot(PathBuf::from("/tmp/accounts.json"))
        );
    }

    #[test]
    fn errors_name_line_and_key() {
        let bad = ISSUE
            .replace("sigma", "x")
            .replace("model = \"shock\"", "model = \"gbm\"\nsigmma = 0.5");
        let e = parse(&bad, "x", Path::new(".")).unwrap_err();
        assert_eq!(
            e.to_string(),
            ":12: price.sigmma: unknown field (did you mean \"sigma\"?)"
        );
        let e = parse(
            &ISSUE.replace("paths = 1", "paths = 0"),
            "x",
            Path::new("."),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            ":3: run.paths: must be between 1 and 4294967295, got 0"
        );
        let e = parse(
            &ISSUE.replace("steps = 10", "steps = 100000000"),
            "x",
            Path::new("."),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            ":4: run.steps: 100000000 is above the limit of 10000000 (cover a longer horizon with a larger dt_s; the limit is a constant in crates/levamp-sim/src/limits.rs: raise it and rebuild if the machine has the room)"
        );
        let e = parse(
            &ISSUE.replace("paths = 1", "paths = 100001"),
            "x",
            Path::new("."),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with(":3: run.paths: 100001 is above the limit of 100000"),
            "{e}"
        );
        let e = parse(
            &ISSUE.replace("model = \"linear\"", "model = \"lineer\""),
            "x",
            Path::new("."),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("impact.model: unknown model \"lineer\" (did you mean \"linear\"?)"),
            "{e}"
        );
        let e = parse("[run\n", "x", Path::new(".")).unwrap_err();
        assert!(e.to_string().starts_with(":1: malformed TOML"), "{e}");
        let e = parse(&ISSUE.replace("[oracle]", "[oracel]"), "x", Path::new(".")).unwrap_err();
        assert!(
            e.to_string()
                .contains("oracel: unknown field (did you mean \"oracle\"?)"),
            "{e}"
        );
    }
}
