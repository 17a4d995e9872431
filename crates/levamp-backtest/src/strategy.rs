//! A strategy file (TOML): `name`, `[data]`, `[venue]`, `[strategy]` and
//! an optional `[sizing]` ([`crate::sizing`]), every key checked (unknown
//! keys refused); `[[variant]]` lists are expanded by [`crate::compare`]. Errors name the key (`strategy.size`);
//! the CLI adds the file and line.

use crate::data::{self, Source, Sources};
use crate::hedger::{self, Hedger};
use crate::sizing::{self, Model, Sizing};
use crate::time::{self, HOUR};
use levamp_core::{Base, Quote, Ratio};
use levamp_engine::MarginMode;
use levamp_io::json::InputError;
use std::path::{Path, PathBuf};

/// What the strategy holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Long spot, short perp of equal size.
    Carry,
    /// Perp only: size > 0 long, < 0 short.
    Directional,
    /// A spot inventory hedged with a short perp by an agent
    /// ([`crate::hedger`]).
    Hedger,
}

impl Kind {
    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Carry => "carry",
            Kind::Directional => "directional",
            Kind::Hedger => "hedger",
        }
    }
}

/// A checked strategy file.
#[derive(Clone, Debug)]
pub struct Strategy {
    pub name: String,
    /// Perp market (a market of the venue preset).
    pub market: String,
    /// First hour (inclusive) and end (exclusive), Unix seconds on the hour.
    pub start: i64,
    pub end: i64,
    pub sources: Sources,
    /// Longest gap accepted in a series, hours.
    pub max_gap_hours: i64,
    pub preset: String,
    pub kind: Kind,
    /// Perp leg in base units, signed (carry: the spot leg is `−size`).
    /// With `leverage` it is set at the first open ([`crate::leverage`]);
    /// until then it is one lot of the side.
    pub perp_size: Base,
    /// `strategy.leverage` (carry and static directional; instead of
    /// `size`): the perp notional ÷ the capital left for its margin at the
    /// first open, signed as `size`.
    pub leverage: Option<Ratio>,
    /// Quote deposited at the start (perp margin + spot purchase).
    pub capital: Quote,
    pub margin_mode: MarginMode,
    /// Taker fee on every fill, both legs.
    pub fee_rate: Ratio,
    /// `[sizing]` (directional only; default static).
    pub sizing: Sizing,
    /// The hedging agent's settings (`kind = "hedger"` only).
    pub hedger: Option<Hedger>,
    /// Carry only: close the carry after funding has been negative this many
    /// hours, reopen after it has been positive as long ([`crate::flip`]).
    pub flip_after_hours: Option<i64>,
    /// Carry in cross margin only (`spot_collateral = true`): the spot leg
    /// is deposited into the venue account as base-asset collateral that
    /// counts at value × (1 − this haircut), valued at the market's mark
    /// (`collateral_haircut`, default [`DEFAULT_COLLATERAL_HAIRCUT`]).
    /// `None`: the spot leg is held outside the venue.
    pub spot_collateral: Option<Ratio>,
}

/// Default `collateral_haircut`: Binance's multi-assets mode counts BTC and
/// ETH margin at 95 % of their value, a 5 % haircut ("What Is Multi-Assets
/// Mode and Which Assets Are Supported?", Binance FAQ, 2021-04-19,
/// <https://www.binance.com/en/support/faq/29b45c485d664028b9ca1cdf90b24f6f>).
pub const DEFAULT_COLLATERAL_HAIRCUT: Ratio = Ratio::from_raw(levamp_core::SCALE / 20);

/// Default `[data] max_gap_hours`: the shipped spot series' longest outage is 5 h.
pub const DEFAULT_MAX_GAP_HOURS: i64 = 6;

pub(crate) fn fail<T>(at: &str, message: impl Into<String>) -> Result<T, InputError> {
    levamp_io::json::err(at, message)
}

/// A TOML table with its path, refusing keys outside `allowed`.
pub(crate) struct Table<'a> {
    pub(crate) map: &'a toml::Table,
    pub(crate) at: &'a str,
}

impl<'a> Table<'a> {
    pub(crate) fn of(
        root: &'a toml::Table,
        key: &'a str,
        allowed: &[&str],
    ) -> Result<Table<'a>, InputError> {
        let Some(v) = root.get(key) else {
            return fail(key, "required table is missing");
        };
        let Some(map) = v.as_table() else {
            return fail(key, "must be a table");
        };
        check_keys(map, key, allowed)?;
        Ok(Table { map, at: key })
    }

    pub(crate) fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.at)
    }

    pub(crate) fn text(&self, key: &str) -> Result<Option<String>, InputError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(toml::Value::Datetime(d)) => Ok(Some(d.to_string())),
            Some(_) => fail(&self.path(key), "must be a string"),
        }
    }

    fn required_text(&self, key: &str) -> Result<String, InputError> {
        self.text(key)?.ok_or_else(|| InputError {
            at: self.path(key),
            message: "required".into(),
        })
    }

    /// An exact decimal (a TOML number, read from its shortest text).
    pub(crate) fn decimal(&self, key: &str) -> Result<Option<i128>, InputError> {
        let text = match self.map.get(key) {
            None => return Ok(None),
            Some(toml::Value::Integer(i)) => i.to_string(),
            Some(toml::Value::Float(f)) if f.is_finite() => format!("{f:?}"),
            Some(_) => return fail(&self.path(key), "must be a number"),
        };
        levamp_io::json::decimal_text(&text, &self.path(key)).map(Some)
    }

    fn time(&self, key: &str) -> Result<i64, InputError> {
        let text = self.required_text(key)?;
        let t = time::parse(&text).map_err(|m| InputError {
            at: self.path(key),
            message: m,
        })?;
        match t % HOUR {
            0 => Ok(t),
            _ => fail(&self.path(key), format!("{text} is not on the hour")),
        }
    }
}

pub(crate) fn check_keys(map: &toml::Table, at: &str, allowed: &[&str]) -> Result<(), InputError> {
    for k in map.keys() {
        if !allowed.contains(&k.as_str()) {
            let place = match at.is_empty() {
                true => k.clone(),
                false => format!("{at}.{k}"),
            };
            let hint = levamp_io::did_you_mean(k, allowed.iter().copied())
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            return fail(
                &place,
                format!("unknown key; expected one of {}{hint}", allowed.join(", ")),
            );
        }
    }
    Ok(())
}

/// Parses a strategy file's text; `default_name` is the file stem, `dir`
/// resolves relative CSV paths.
pub fn parse(text: &str, default_name: &str, dir: &Path) -> Result<Strategy, InputError> {
    parse_table(&toml_table(text)?, default_name, dir)
}

/// The file's `name` (default `default_name`).
pub fn parse_name(text: &str, default_name: &str) -> Result<String, InputError> {
    match toml_table(text)?.get("name") {
        None => Ok(default_name.to_string()),
        Some(toml::Value::String(s)) => Ok(s.clone()),
        Some(_) => fail("name", "must be a string"),
    }
}

/// The text as a TOML table (a syntax error names no key).
pub(crate) fn toml_table(text: &str) -> Result<toml::Table, InputError> {
    text.parse().map_err(|e: toml::de::Error| InputError {
        at: String::new(),
        message: format!(
            "malformed TOML: {}",
            levamp_io::json::clip(e.message(), 200)
        ),
    })
}

/// Parses a strategy file's table (see [`parse`]).
pub(crate) fn parse_table(
    root: &toml::Table,
    default_name: &str,
    dir: &Path,
) -> Result<Strategy, InputError> {
    check_keys(root, "", &["name", "data", "venue", "strategy", "sizing"])?;
    let name = match root.get("name") {
        None => default_name.to_string(),
        Some(toml::Value::String(s)) => s.clone(),
        Some(_) => return fail("name", "must be a string"),
    };
    let d = Table::of(
        root,
        "data",
        &[
            "market",
            "start",
            "end",
            "perp",
            "spot",
            "mark",
            "funding",
            "max_gap_hours",
        ],
    )?;
    let market = d.required_text("market")?;
    let (start, end) = (d.time("start")?, d.time("end")?);
    if end <= start {
        return fail(
            "data.end",
            format!("must be after data.start ({})", time::format(start)),
        );
    }
    let max_gap_hours = match d.map.get("max_gap_hours") {
        None => DEFAULT_MAX_GAP_HOURS,
        Some(toml::Value::Integer(h)) if *h >= 0 => *h,
        Some(_) => return fail("data.max_gap_hours", "must be a whole number of hours ≥ 0"),
    };
    let sources = sources(&d, &market, dir)?;
    let v = Table::of(root, "venue", &["preset"])?;
    let preset = v.required_text("preset")?;
    let kind = strategy_kind(root)?;
    let common = [
        "kind",
        "capital",
        "margin_mode",
        "fee_rate",
        "spot_collateral",
        "collateral_haircut",
    ];
    let extra: &[&str] = match kind {
        Kind::Carry => &["size", "leverage", "flip_after_hours"],
        Kind::Directional => &["size", "leverage"],
        Kind::Hedger => hedger::KEYS,
    };
    let allowed: Vec<&str> = common.iter().chain(extra).copied().collect();
    let s = Table::of(root, "strategy", &allowed)?;
    let margin_mode = match s.text("margin_mode")?.as_deref() {
        None | Some("isolated") => MarginMode::Isolated,
        Some("cross") => MarginMode::Cross,
        Some(other) => {
            return fail(
                "strategy.margin_mode",
                format!("{other:?}: expected \"isolated\" or \"cross\""),
            )
        }
    };
    let flip_after_hours = match s.map.contains_key("flip_after_hours") {
        true => Some(sizing::whole(&s, "flip_after_hours", 0, 1)?),
        false => None,
    };
    let spot_collateral = spot_collateral(&s, kind, margin_mode, flip_after_hours)?;
    let leverage = leverage(&s, kind)?;
    let (perp_size, hedger) = match kind {
        Kind::Hedger => {
            let h = hedger::parse(&s)?;
            (
                h.inventory.checked_neg().map_err(|e| InputError {
                    at: "strategy.inventory".into(),
                    message: e.to_string(),
                })?,
                Some(h),
            )
        }
        _ => (perp_size(&s, kind, leverage)?, None),
    };
    let capital = Quote::from_raw(s.decimal("capital")?.ok_or_else(|| InputError {
        at: "strategy.capital".into(),
        message: "required".into(),
    })?);
    if !capital.is_positive() {
        return fail("strategy.capital", "must be > 0");
    }
    let fee_rate = Ratio::from_raw(s.decimal("fee_rate")?.unwrap_or(0));
    if fee_rate.is_negative() || fee_rate >= Ratio::ONE {
        return fail("strategy.fee_rate", "must be ≥ 0 and < 1");
    }
    let sizing = sizing::parse(root)?;
    if kind != Kind::Directional && sizing.model != Model::Static {
        return fail(
            "sizing.model",
            "dynamic sizing is for kind = \"directional\" only",
        );
    }
    if leverage.is_some() && sizing.model != Model::Static {
        return fail(
            "strategy.leverage",
            "is for static sizing only (a [sizing] model sets the size itself; give strategy.size, its sign the side)",
        );
    }
    Ok(Strategy {
        name,
        market,
        start,
        end,
        sources,
        max_gap_hours,
        preset,
        kind,
        perp_size,
        leverage,
        capital,
        margin_mode,
        fee_rate,
        sizing,
        hedger,
        flip_after_hours,
        spot_collateral,
    })
}

/// `spot_collateral` and `collateral_haircut`: the haircut when the carry's
/// spot leg is the cross account's collateral. Supported for a carry in
/// cross margin without the flip (Binance's multi-assets mode is cross
/// only; the flip and the hedger trade spot through the quote wallet).
fn spot_collateral(
    s: &Table,
    kind: Kind,
    margin_mode: MarginMode,
    flip_after_hours: Option<i64>,
) -> Result<Option<Ratio>, InputError> {
    let on = match s.map.get("spot_collateral") {
        None => false,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => return fail("strategy.spot_collateral", "must be true or false"),
    };
    let haircut = s.decimal("collateral_haircut")?.map(Ratio::from_raw);
    if !on {
        return match haircut {
            Some(_) => fail(
                "strategy.collateral_haircut",
                "only with spot_collateral = true",
            ),
            None => Ok(None),
        };
    }
    if kind != Kind::Carry {
        return fail(
            "strategy.spot_collateral",
            format!("is for kind = \"carry\" only (not {:?})", kind.name()),
        );
    }
    if margin_mode != MarginMode::Cross {
        return fail(
            "strategy.spot_collateral",
            "needs margin_mode = \"cross\" (collateral backs the cross account, as Binance's multi-assets mode)",
        );
    }
    if flip_after_hours.is_some() {
        return fail(
            "strategy.flip_after_hours",
            "cannot be combined with spot_collateral = true (the flip sells spot through the quote wallet)",
        );
    }
    let haircut = haircut.unwrap_or(DEFAULT_COLLATERAL_HAIRCUT);
    if haircut.is_negative() || haircut >= Ratio::ONE {
        return fail("strategy.collateral_haircut", "must be ≥ 0 and < 1");
    }
    Ok(Some(haircut))
}

/// `strategy.kind` (read before the table's keys, which depend on it).
fn strategy_kind(root: &toml::Table) -> Result<Kind, InputError> {
    let kind = match root.get("strategy").and_then(|v| v.as_table()) {
        None => return fail("strategy", "required table is missing"),
        Some(map) => map.get("kind"),
    };
    match kind {
        None => fail("strategy.kind", "required"),
        Some(toml::Value::String(k)) => match k.as_str() {
            "carry" => Ok(Kind::Carry),
            "directional" => Ok(Kind::Directional),
            "hedger" => Ok(Kind::Hedger),
            other => fail(
                "strategy.kind",
                format!("unknown kind {other:?}; expected carry, directional or hedger"),
            ),
        },
        Some(_) => fail("strategy.kind", "must be a string"),
    }
}

/// `strategy.leverage`, checked (≠ 0; a carry's > 0); exclusive with `size`.
fn leverage(s: &Table, kind: Kind) -> Result<Option<Ratio>, InputError> {
    let Some(raw) = s.decimal("leverage")? else {
        return Ok(None);
    };
    if s.map.contains_key("size") {
        return fail(
            "strategy.leverage",
            "give strategy.size or strategy.leverage, not both",
        );
    }
    if raw == 0 {
        return fail("strategy.leverage", "must not be 0");
    }
    if kind == Kind::Carry && raw < 0 {
        return fail(
            "strategy.leverage",
            "a carry's leverage must be > 0 (its perp leg is the short)",
        );
    }
    Ok(Some(Ratio::from_raw(raw)))
}

/// The signed perp leg of a carry or directional position (`strategy.size`;
/// with `leverage`, one lot of its side until the first open sizes it).
fn perp_size(s: &Table, kind: Kind, leverage: Option<Ratio>) -> Result<Base, InputError> {
    let size = match leverage {
        Some(l) if l.is_negative() => -crate::leverage::PERP_LOT,
        Some(_) => crate::leverage::PERP_LOT,
        None => s.decimal("size")?.ok_or_else(|| InputError {
            at: "strategy.size".into(),
            message: "required (or strategy.leverage with capital)".into(),
        })?,
    };
    if size == 0 {
        return fail("strategy.size", "must not be 0");
    }
    if kind == Kind::Carry && size < 0 {
        return fail(
            "strategy.size",
            "a carry's size is the (positive) spot leg; the perp leg is short that size",
        );
    }
    Ok(match kind {
        Kind::Carry => Base::from_raw(-size),
        _ => Base::from_raw(size),
    })
}

/// The market's sources: the shipped history, each series replaced by a
/// CSV path when `[data]` gives one; all four paths for an unshipped market.
fn sources(d: &Table, market: &str, dir: &Path) -> Result<Sources, InputError> {
    let path = |key: &str| -> Result<Option<Source>, InputError> {
        Ok(d.text(key)?
            .map(|p| Source::File(dir.join(PathBuf::from(p)))))
    };
    let given = [
        path("perp")?,
        path("spot")?,
        path("mark")?,
        path("funding")?,
    ];
    let base = data::shipped(market);
    if base.is_none() && given.iter().any(Option::is_none) {
        return fail(
            "data.market",
            format!(
                "no shipped history for {market:?} (shipped: {}); give perp, spot, mark and funding CSV paths",
                data::SHIPPED_MARKETS.join(", ")
            ),
        );
    }
    let [perp, spot, mark, funding] = given;
    let pick =
        |g: Option<Source>, s: Option<&Source>| g.or_else(|| s.cloned()).expect("checked above");
    Ok(Sources {
        perp: pick(perp, base.as_ref().map(|b| &b.perp)),
        spot: pick(spot, base.as_ref().map(|b| &b.spot)),
        mark: pick(mark, base.as_ref().map(|b| &b.mark)),
        funding: pick(funding, base.as_ref().map(|b| &b.funding)),
    })
}
