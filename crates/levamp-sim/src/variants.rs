//! Scenario variants on common random numbers: a base scenario's JSON tree
//! ([`crate::scenario::tree`]) edited by dotted-key overrides
//! (`venue.dynamic_margin.k`, `population.leverage.max`,
//! `markets.ETHUSDT.tiers[0].maintenance_margin_rate`), then read by the
//! same typed, range-checked reader as the file, so an override is
//! validated exactly as the file is and its errors name its key. An unknown
//! key is not added silently: the reader rejects it with a "did you mean".
//!
//! Every variant runs with the study's seed and path count, so path `p` of
//! every variant draws the same exogenous price path (the price model has
//! its own random stream, apart from the agents', see [`crate::run`]):
//! differences between variants are the design's, not sampling noise.
//! Used by `levamp study`; meant for `levamp recommend` and sweeps too.

use crate::run::{PathError, PathMetrics};
use crate::scenario::{self, Scenario};
use crate::setup::{self, World};
use crate::sources::Sources;
use levamp_io::json::{err, InputError};
use serde_json::{Map, Value};
use std::fmt;
use std::path::{Path, PathBuf};

/// Keys a variant may not override: the study fixes them for all variants.
const FIXED: &[&str] = &["name", "run.seed", "run.paths"];

/// A base scenario, as a tree that variants edit.
#[derive(Clone, Debug)]
pub struct Base {
    pub tree: Value,
    /// The file's text (kept in each variant's scenario for its report).
    pub text: String,
    /// The scenario's default name (file stem) and the directory its
    /// relative paths resolve against.
    pub name: String,
    pub dir: PathBuf,
}

impl Base {
    /// Reads the scenario `path` has as `text`; errors are `PATH:LINE: key`.
    /// The unmodified scenario is checked here, so a later variant's error
    /// is the variant's.
    pub fn parse(path: &Path, text: &str) -> Result<Base, InputError> {
        scenario::parse_file(path, text)?;
        Ok(Base {
            tree: scenario::tree(text)?,
            text: text.to_string(),
            name: path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("scenario")
                .to_string(),
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        })
    }

    /// The scenario with `overrides` applied in order; errors name the key.
    pub fn scenario(&self, overrides: &[(String, Value)]) -> Result<Scenario, InputError> {
        let mut tree = self.tree.clone();
        for (key, value) in overrides {
            apply(&mut tree, key, value.clone())?;
        }
        scenario::from_tree(&tree, &self.text, &self.name, &self.dir)
    }
}

/// One segment of a dotted key: a table key or an array index.
#[derive(Debug, PartialEq)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// `a.b[0].c` → `a`, `b`, `[0]`, `c`.
fn segments(key: &str) -> Result<Vec<Segment<'_>>, InputError> {
    let bad = || {
        err(
            key,
            "not a dotted key (write table.key, or table.array[0].key)",
        )
    };
    let mut out = Vec::new();
    for part in key.split('.') {
        let (name, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if name.is_empty() {
            return bad();
        }
        out.push(Segment::Key(name));
        while !rest.is_empty() {
            let Some((i, tail)) = rest.strip_prefix('[').and_then(|r| r.split_once(']')) else {
                return bad();
            };
            match i.parse() {
                Ok(i) => out.push(Segment::Index(i)),
                Err(_) => return bad(),
            }
            rest = tail;
        }
    }
    Ok(out)
}

/// Sets `key` (dotted) to `value` in a scenario tree. Missing tables on the
/// way are created (the typed read then rejects a key that does not exist);
/// an index must fall in an existing array. `name`, `run.seed` and
/// `run.paths` are refused: the study sets them for every variant.
pub fn apply(root: &mut Value, key: &str, value: Value) -> Result<(), InputError> {
    if FIXED.contains(&key) {
        return err(
            key,
            "cannot vary: every variant runs with the study's name, seed and paths",
        );
    }
    let segs = segments(key)?;
    let mut at = String::new();
    let mut node = root;
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        node = match *seg {
            Segment::Key(k) => {
                let Value::Object(map) = node else {
                    return err(&at, "the base scenario has a value here, not a table");
                };
                at = levamp_io::json::child(&at, k);
                if last {
                    map.insert(k.to_string(), value);
                    return Ok(());
                }
                map.entry(k).or_insert_with(|| Value::Object(Map::new()))
            }
            Segment::Index(n) => {
                let Value::Array(items) = node else {
                    return err(&at, "the base scenario has no array here");
                };
                at = levamp_io::json::index(&at, n);
                let len = items.len();
                let Some(item) = items.get_mut(n) else {
                    return err(
                        &at,
                        format!("index out of range: the base scenario's array has {len} items"),
                    );
                };
                if last {
                    *item = value;
                    return Ok(());
                }
                item
            }
        };
    }
    Ok(())
}

/// The value at dotted `key` in a scenario tree, if the tree has one.
pub fn get<'a>(root: &'a Value, key: &str) -> Option<&'a Value> {
    segments(key)
        .ok()?
        .iter()
        .try_fold(root, |node, seg| match *seg {
            Segment::Key(k) => node.get(k),
            Segment::Index(i) => node.get(i),
        })
}

/// A variant that could not run: bad input, or a path the engine failed.
#[derive(Debug)]
pub enum VariantError {
    Input(InputError),
    Path(PathError),
}

impl fmt::Display for VariantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VariantError::Input(e) => e.fmt(f),
            VariantError::Path(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for VariantError {}

/// A variant's run: its scenario, world and per-path metrics.
pub struct Evaluation {
    pub scenario: Scenario,
    pub world: World,
    pub paths: Vec<PathMetrics>,
}

/// Runs `base` with `overrides` on `paths` paths from `seed` (the paths
/// `levamp sim` would run with `--seed seed --paths paths`), in parallel
/// on rayon's pool; `done` counts finished paths.
pub fn evaluate(
    base: &Base,
    overrides: &[(String, Value)],
    seed: u64,
    paths: usize,
    sources: &Sources,
    done: &std::sync::atomic::AtomicUsize,
) -> Result<Evaluation, VariantError> {
    let mut s = base.scenario(overrides).map_err(VariantError::Input)?;
    s.run.seed = seed;
    s.run.paths = paths;
    s.run.check().map_err(VariantError::Input)?;
    let world = setup::build(&s, sources).map_err(VariantError::Input)?;
    let paths = crate::summary::simulate(&s, &world, done).map_err(VariantError::Path)?;
    Ok(Evaluation {
        scenario: s,
        world,
        paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_keys_set_nested_values_and_array_items() {
        let mut t = json!({"venue": {"preset": "generic"}, "m": {"tiers": [{"r": 1}, {"r": 2}]}});
        apply(&mut t, "venue.dynamic_margin.k", json!(3)).unwrap();
        apply(&mut t, "m.tiers[1].r", json!(5)).unwrap();
        assert_eq!(
            t,
            json!({"venue": {"preset": "generic", "dynamic_margin": {"k": 3}}, "m": {"tiers": [{"r": 1}, {"r": 5}]}})
        );
        let e = apply(&mut t, "m.tiers[2].r", json!(1)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.tiers[2]: index out of range: the base scenario's array has 2 items"
        );
        let e = apply(&mut t, "venue.preset.x", json!(1)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "venue.preset: the base scenario has a value here, not a table"
        );
        for bad in ["", "a..b", "a[x]", "a[1", ".a"] {
            assert!(apply(&mut t, bad, json!(1)).is_err(), "{bad}");
        }
        assert!(apply(&mut t, "run.seed", json!(1)).is_err());
    }
}
