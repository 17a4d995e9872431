//! Study files (`levamp study STUDY.toml`, docs/studies.md): one base
//! scenario, design variants as dotted-key overrides, run on common random
//! numbers ([`crate::variants`]), and the frontier to draw.
//!
//! ```toml
//! name = "adl-policies"              # default: the file name
//! base = "../scenarios/x.toml"       # relative to the study file
//! paths = 200                        # default: the base's run.paths
//! seed = 1                           # default: the base's run.seed
//! [set]                              # overrides every variant starts from
//! venue.insurance_fund = 0
//! [variants]                         # every combination of the lists …
//! venue.dynamic_margin.k = [0, 2, 3, 4]
//! [[variant]]                        # … and/or named variants
//! name = "queue"
//! venue.rules.liquidation.adl = "queue"
//! [frontier]
//! x = "max_leverage"                 # capital efficiency (see [`XAxis`])
//! y = "bad_debt_var_99"
//! prefer = "higher"                  # which x is better
//! target = "bad_debt_var_99 <= 1000" # optional: the best variant meeting it
//! ```
//!
//! With both `[variants]` and `[[variant]]`, each named variant is run with
//! every combination of the lists. Errors name the file, line and key.

use crate::ci::Statistic;
use crate::scenario::{at_line, tree};
use levamp_io::json::{array, child, err, index, object, string, InputError};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The most variants one study runs.
pub const MAX_VARIANTS: usize = 64;

/// One design: a name and its overrides, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub name: String,
    pub overrides: Vec<(String, Value)>,
}

/// The frontier's x axis: a measure of capital efficiency.
#[derive(Clone, Debug, PartialEq)]
pub enum XAxis {
    /// The main market's largest leverage at the start: 1 ÷ the initial
    /// margin rate of its first tier (what the design lets a trader open).
    MaxLeverage,
    /// The open notional (long + short, quote) the accounts hold at the start.
    OpenInterest,
    /// A statistic of the paths (e.g. `liquidated_notional`: what the
    /// design closes; with `prefer = "lower"`).
    Statistic(Statistic),
}

impl XAxis {
    /// The axis's name as written in the study.
    pub fn name(&self) -> &str {
        match self {
            XAxis::MaxLeverage => "max_leverage",
            XAxis::OpenInterest => "open_interest",
            XAxis::Statistic(s) => &s.name,
        }
    }
}

/// `target = "METRIC <= VALUE"`: a variant meets it when the upper end of
/// the metric's 95 % interval is at most `max`.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub metric: Statistic,
    pub max: f64,
}

/// A parsed study.
#[derive(Clone, Debug, PartialEq)]
pub struct Study {
    pub name: String,
    /// The base scenario file (resolved against the study's directory).
    pub base: PathBuf,
    pub paths: Option<usize>,
    pub seed: Option<u64>,
    pub variants: Vec<Variant>,
    pub x: XAxis,
    pub y: Statistic,
    /// Whether a higher x is better (else lower).
    pub prefer_higher: bool,
    pub target: Option<Target>,
}

const TOP: &[&str] = &[
    "name", "base", "paths", "seed", "set", "variants", "variant", "frontier",
];

/// Parses the study `file` with `text`; errors are `FILE:LINE: key: message`.
pub fn parse(file: &Path, text: &str) -> Result<Study, InputError> {
    let shown = file.display().to_string();
    let root = tree(text).map_err(|e| InputError {
        at: format!("{shown}{}", e.at),
        message: e.message,
    })?;
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("study");
    let dir = file.parent().unwrap_or(Path::new(""));
    read(&root, stem, dir).map_err(|e| match dotted_line(text, &e.at) {
        Some(line) => InputError {
            at: format!("{shown}:{line}: {}", e.at),
            message: e.message,
        },
        None => at_line(&shown, text, e),
    })
}

/// The line of a dotted key written whole in `[variants]` or `[set]`
/// (`variants.venue.dynamic_margin.k` on `venue.dynamic_margin.k = […]`),
/// which [`at_line`]'s table/key lookup does not see.
fn dotted_line(text: &str, at: &str) -> Option<usize> {
    let (table, key) = at.split_once('.')?;
    if !matches!(table, "variants" | "set") {
        return None;
    }
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        let l = line.split('#').next().unwrap_or("").trim();
        if l.starts_with('[') {
            inside = l.trim_matches(['[', ']']).trim() == table;
        } else if inside && l.split('=').next().map(|k| k.trim().trim_matches('"')) == Some(key) {
            return Some(i + 1);
        }
    }
    None
}

fn read(root: &Value, stem: &str, dir: &Path) -> Result<Study, InputError> {
    let root = object(root, "")?;
    levamp_io::json::known_keys(root, "", TOP)?;
    let name = match root.get("name") {
        Some(v) => string(v, "name")?.to_string(),
        None => stem.to_string(),
    };
    crate::output::check_run_name(&name)?;
    let base = match root.get("base") {
        Some(v) => dir.join(string(v, "base")?),
        None => return err("base", "required: the scenario file the variants change"),
    };
    let whole = |key: &str, lo: u64, hi: u64| -> Result<Option<u64>, InputError> {
        let Some(v) = root.get(key) else {
            return Ok(None);
        };
        match v.as_u64() {
            Some(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
            _ => err(key, format!("must be a whole number from {lo} to {hi}")),
        }
    };
    let paths = whole("paths", 1, crate::limits::MAX_PATHS as u64)?.map(|n| n as usize);
    let seed = whole("seed", 0, u64::MAX >> 1)?;
    let variants = variants(root)?;
    let (x, y, prefer_higher, target) = frontier(root)?;
    Ok(Study {
        name,
        base,
        paths,
        seed,
        variants,
        x,
        y,
        prefer_higher,
        target,
    })
}

/// The leaves of a table as dotted keys, in file order; `leaf` says what
/// ends a key (a list in `[variants]`, any non-table in `[[variant]]`).
fn flatten(map: &Map<String, Value>, prefix: &str, out: &mut Vec<(String, Value)>) {
    for (k, v) in map {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(m) => flatten(m, &key, out),
            _ => out.push((key, v.clone())),
        }
    }
}

/// How a value reads in a variant's name: numbers and strings bare.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `[variants]` × `[[variant]]`, capped at [`MAX_VARIANTS`].
fn variants(root: &Map<String, Value>) -> Result<Vec<Variant>, InputError> {
    let mut common = Vec::new();
    if let Some(v) = root.get("set") {
        flatten(object(v, "set")?, "", &mut common);
    }
    let mut named = vec![Variant {
        name: String::new(),
        overrides: common.clone(),
    }];
    if let Some(v) = root.get("variant") {
        named.clear();
        for (i, item) in array(v, "variant")?.iter().enumerate() {
            let at = index("variant", i);
            let map = object(item, &at)?;
            let name = match map.get("name") {
                Some(n) => string(n, &child(&at, "name"))?.to_string(),
                None => return err(&at, "required: name = \"…\" (how the table calls it)"),
            };
            if named.iter().any(|v| v.name == name) {
                return err(&child(&at, "name"), format!("{name:?} is used twice"));
            }
            let mut rest = map.clone();
            rest.remove("name");
            let mut overrides = common.clone();
            flatten(&rest, "", &mut overrides);
            named.push(Variant { name, overrides });
        }
        if named.is_empty() {
            return err("variant", "empty: give at least one [[variant]]");
        }
    }
    let mut lists = Vec::new();
    if let Some(v) = root.get("variants") {
        flatten(object(v, "variants")?, "", &mut lists);
        if lists.is_empty() {
            return err("variants", "empty: give keys with lists of values");
        }
    }
    let mut count = named.len();
    for (key, values) in &lists {
        let at = child("variants", key);
        let n = match values {
            Value::Array(a) if !a.is_empty() => a.len(),
            _ => return err(&at, "must be a non-empty list of the values to try"),
        };
        count = count.saturating_mul(n);
        if count > MAX_VARIANTS {
            return err(
                &at,
                format!("the study has more than {MAX_VARIANTS} variants; split it or shorten the lists"),
            );
        }
    }
    // Short names (the key's last part) unless two keys share it.
    let last = |k: &str| k.rsplit('.').next().unwrap_or(k).to_string();
    let short = lists
        .iter()
        .all(|(k, _)| lists.iter().filter(|(j, _)| last(j) == last(k)).count() == 1);
    let mut out = named;
    for (key, values) in &lists {
        let label = if short { last(key) } else { key.clone() };
        let values = values.as_array().map(Vec::as_slice).unwrap_or_default();
        out = out
            .iter()
            .flat_map(|v| {
                values.iter().map(|value| {
                    let mut overrides = v.overrides.clone();
                    overrides.push((key.clone(), value.clone()));
                    let part = format!("{label}={}", shown(value));
                    Variant {
                        name: match v.name.is_empty() {
                            true => part,
                            false => format!("{}, {part}", v.name),
                        },
                        overrides,
                    }
                })
            })
            .collect();
    }
    if out.len() == 1 && out[0].name.is_empty() {
        return err(
            "variants",
            "required: [variants] lists or [[variant]] tables",
        );
    }
    Ok(out)
}

type Frontier = (XAxis, Statistic, bool, Option<Target>);

/// `[frontier]`: x, y, prefer, target (defaults: max_leverage, bad_debt_var_99, higher).
fn frontier(root: &Map<String, Value>) -> Result<Frontier, InputError> {
    let empty = Map::new();
    let map = match root.get("frontier") {
        Some(v) => object(v, "frontier")?,
        None => &empty,
    };
    levamp_io::json::known_keys(map, "frontier", &["x", "y", "prefer", "target"])?;
    let text = |k: &str| -> Result<Option<&str>, InputError> {
        map.get(k)
            .map(|v| string(v, &child("frontier", k)))
            .transpose()
    };
    let metric = |k: &str, name: &str| -> Result<Statistic, InputError> {
        Statistic::parse(name.trim()).map_err(|m| InputError {
            at: child("frontier", k),
            message: m,
        })
    };
    let x = match text("x")?.unwrap_or("max_leverage") {
        "max_leverage" => XAxis::MaxLeverage,
        "open_interest" => XAxis::OpenInterest,
        other => XAxis::Statistic(metric("x", other).map_err(|mut e| {
            e.message += "; or max_leverage, open_interest";
            e
        })?),
    };
    let y = metric("y", text("y")?.unwrap_or("bad_debt_var_99"))?;
    let prefer_higher = match text("prefer")?.unwrap_or("higher") {
        "higher" => true,
        "lower" => false,
        _ => {
            return err(
                "frontier.prefer",
                "must be \"higher\" or \"lower\" (which x is better)",
            )
        }
    };
    let target = match text("target")? {
        None => None,
        Some(t) => {
            let Some((m, v)) = t.split_once("<=") else {
                return err("frontier.target", "must read \"METRIC <= VALUE\"");
            };
            let max = v.trim().parse::<f64>().ok().filter(|x| x.is_finite());
            let Some(max) = max else {
                return err("frontier.target", format!("{:?} is not a number", v.trim()));
            };
            Some(Target {
                metric: metric("target", m)?,
                max,
            })
        }
    };
    Ok((x, y, prefer_higher, target))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn study(text: &str) -> Result<Study, String> {
        parse(Path::new("s/x.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn product_of_lists_named_by_key() {
        let s = study("base = \"b.toml\"\n[variants]\nvenue.dynamic_margin.k = [0, 3]\nvenue.dynamic_margin.notice_s = [0, 1800]\n").unwrap();
        assert_eq!(s.base, PathBuf::from("s/b.toml"));
        let names: Vec<_> = s.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "k=0, notice_s=0",
                "k=0, notice_s=1800",
                "k=3, notice_s=0",
                "k=3, notice_s=1800"
            ]
        );
        assert_eq!(
            s.variants[3].overrides,
            vec![
                ("venue.dynamic_margin.k".to_string(), serde_json::json!(3)),
                (
                    "venue.dynamic_margin.notice_s".to_string(),
                    serde_json::json!(1800)
                ),
            ]
        );
        assert_eq!(
            (s.x.name(), s.y.name.as_str()),
            ("max_leverage", "bad_debt_var_99")
        );
    }

    #[test]
    fn named_variants_times_lists() {
        let s = study("base = \"b.toml\"\n[[variant]]\nname = \"queue\"\nvenue.rules.liquidation.adl = \"queue\"\n[[variant]]\nname = \"pro\"\nvenue.rules.liquidation.adl = \"pro_rata\"\n[variants]\n\"venue.rules.liquidation.adl_insurance_first\" = [false, true]\n[frontier]\ntarget = \"probability_of_bad_debt <= 0.05\"\n").unwrap();
        let names: Vec<_> = s.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "queue, adl_insurance_first=false",
                "queue, adl_insurance_first=true",
                "pro, adl_insurance_first=false",
                "pro, adl_insurance_first=true"
            ]
        );
        assert_eq!(s.target.unwrap().max, 0.05);
        let s = study("base = \"b\"\n[set]\nvenue.insurance_fund = 0\n[variants]\nk = [1, 2]\n")
            .unwrap();
        assert_eq!(s.variants[1].overrides[0].0, "venue.insurance_fund");
        assert_eq!(s.variants[1].overrides[1].0, "k");
    }

    #[test]
    fn errors_name_line_and_key() {
        let e = study("base = \"b.toml\"\n[variants]\nk = 3\n").unwrap_err();
        assert_eq!(
            e,
            "s/x.toml:3: variants.k: must be a non-empty list of the values to try"
        );
        let e =
            study("base = \"b.toml\"\n[frontier]\ny = \"bad_debt_var99\"\n[variants]\nk = [1]\n")
                .unwrap_err();
        assert_eq!(e, "s/x.toml:3: frontier.y: unknown metric \"bad_debt_var99\" (did you mean \"bad_debt_var_99\"?)");
        let e = study("base = \"b.toml\"\n[variants]\na = [1,2,3,4,5,6,7,8]\nb = [1,2,3,4,5,6,7,8]\nc = [1, 2]\n").unwrap_err();
        assert!(
            e.starts_with("s/x.toml:5: variants.c: the study has more than 64 variants"),
            "{e}"
        );
        let e = study("[variants]\nk = [1]\n").unwrap_err();
        assert!(e.starts_with("s/x.toml: base: required"), "{e}");
        let e = study("base = \"b\"\nvariantz = 1\n").unwrap_err();
        assert!(
            e.contains("variantz: unknown field (did you mean \"variants\"?)"),
            "{e}"
        );
        let e = study("base = \"b\"\n").unwrap_err();
        assert!(e.contains("variants: required"), "{e}");
    }
}
