//! `levamp recommend` with several `--param`s: the frontier. The first
//! keys are laid on a grid (`--grid N` points each, evenly over their
//! ranges, on the keys' decimal precision); at every grid point the last
//! key is searched by the single-parameter search
//! ([`crate::recommend::search`]) for its extreme value that meets the
//! target. Every evaluation runs on the same paths (common random numbers),
//! so the frontier's points differ by the parameters, not by sampling
//! noise (docs/recommend.md, "Several parameters").

use crate::recommend::{search, Grid, Recommendation, Settings, Target};
use serde_json::{json, Map, Value};

/// One searched key and its candidate grid.
#[derive(Clone, Debug)]
pub struct Axis {
    pub key: String,
    pub grid: Grid,
}

/// The last key's search at one point of the other keys' grid.
#[derive(Clone, Debug)]
pub struct FrontierPoint {
    /// The other keys' values, in grid steps of their axes (in order).
    pub fixed: Vec<i128>,
    pub search: Recommendation,
}

/// A finished frontier search.
#[derive(Clone, Debug)]
pub struct Frontier {
    /// All keys, the searched one last.
    pub axes: Vec<Axis>,
    pub target: Target,
    /// In grid order (the first key varying slowest).
    pub points: Vec<FrontierPoint>,
}

/// `n` (≥ 2) points evenly over `grid`'s range, each rounded down to a
/// grid step (LO and HI included; repeats on a coarse grid dropped).
pub fn grid_points(grid: &Grid, n: usize) -> Vec<i128> {
    let n = n.max(2) as i128;
    let span = grid.hi - grid.lo;
    let mut out: Vec<i128> = (0..n)
        .map(|i| grid.lo + (span * i).div_euclid(n - 1))
        .collect();
    out.dedup();
    out
}

/// Searches the last axis at every point of the grid of the others (`n`
/// points each), with `settings` (the tolerance in steps of the last
/// axis, the bootstrap's seed, the scan). `eval` gets every key's exact
/// decimal text (in the axes' order) and returns the target statistic's
/// per-path values, always on the same paths.
pub fn search_frontier<E>(
    axes: Vec<Axis>,
    target: &Target,
    settings: Settings,
    n: usize,
    mut eval: impl FnMut(&[String]) -> Result<Vec<f64>, E>,
) -> Result<Frontier, E> {
    let (searched, fixed_axes) = axes.split_last().expect("at least one axis");
    let mut combos: Vec<Vec<i128>> = vec![Vec::new()];
    for axis in fixed_axes {
        let pts = grid_points(&axis.grid, n);
        combos = combos
            .iter()
            .flat_map(|c| {
                pts.iter().map(move |&u| {
                    let mut c = c.clone();
                    c.push(u);
                    c
                })
            })
            .collect();
    }
    let mut points = Vec::with_capacity(combos.len());
    for fixed in combos {
        let mut texts: Vec<String> = fixed_axes
            .iter()
            .zip(&fixed)
            .map(|(a, &u)| a.grid.text(u))
            .collect();
        let r = search(searched.grid, target, settings, |value| {
            texts.push(value.to_string());
            let out = eval(&texts);
            texts.pop();
            out
        })?;
        points.push(FrontierPoint { fixed, search: r });
    }
    Ok(Frontier {
        axes,
        target: target.clone(),
        points,
    })
}

impl Frontier {
    /// The searched (last) axis.
    pub fn searched(&self) -> &Axis {
        self.axes.last().expect("at least one axis")
    }

    /// The exact decimal text of point `p`'s fixed keys and of `units` on
    /// the searched key, as (key, text) in the axes' order.
    pub fn texts(&self, p: &FrontierPoint, units: Option<i128>) -> Vec<(&str, Option<String>)> {
        let searched = self.searched();
        self.axes
            .iter()
            .zip(&p.fixed)
            .map(|(a, &u)| (a.key.as_str(), Some(a.grid.text(u))))
            .chain([(searched.key.as_str(), units.map(|u| searched.grid.text(u)))])
            .collect()
    }

    /// Whether at least one grid point has a recommendation.
    pub fn any(&self) -> bool {
        self.points.iter().any(|p| p.search.recommended().is_some())
    }

    /// Why there is no recommendation at point `p` (`None` if there is one).
    pub fn refusal(&self, p: &FrontierPoint) -> Option<String> {
        let at: Vec<String> = self
            .texts(p, None)
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k} = {v}")))
            .collect();
        p.search
            .refusal(&self.searched().key)
            .map(|why| format!("at {}: {why}", at.join(", ")))
    }

    /// The `--format json` document of several parameters
    /// (docs/recommend.md): `params`, `target`, `metric`, `frontier` (one
    /// entry per grid point: `values`, `estimate`, `ci`, and `refusal`
    /// with the searched key's value null when the point has none) and
    /// `evaluations` (every run, in order), `paths`, `seed`.
    pub fn json(&self, paths: usize, seed: u64) -> Value {
        let values = |p: &FrontierPoint, u: Option<i128>| -> Value {
            let mut m = Map::new();
            for (k, v) in self.texts(p, u) {
                let v = v.map_or(Value::Null, levamp_io::json::number);
                m.insert(k.to_string(), v);
            }
            Value::Object(m)
        };
        let frontier: Vec<Value> = self
            .points
            .iter()
            .map(|p| {
                let best = p.search.recommended();
                let mut e = json!({
                    "values": values(p, best.map(|e| e.units)),
                    "estimate": best.map(|e| e.estimate),
                    "ci": best.map(|e| e.ci),
                });
                if let Some(why) = self.refusal(p) {
                    e["refusal"] = json!(why);
                }
                e
            })
            .collect();
        let evaluations: Vec<Value> = self
            .points
            .iter()
            .flat_map(|p| {
                p.search.evaluations.iter().map(move |e| {
                    json!({
                        "values": values(p, Some(e.units)),
                        "estimate": e.estimate,
                        "ci": e.ci,
                    })
                })
            })
            .collect();
        json!({
            "params": self.axes.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(),
            "target": self.target.to_string(),
            "metric": self.target.metric.name,
            "frontier": frontier,
            "evaluations": evaluations,
            "paths": paths,
            "seed": seed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_points_are_even_rounded_down_and_include_the_ends() {
        let g = Grid::parse("0..10", &[]).unwrap();
        assert_eq!(grid_points(&g, 5), vec![0, 2, 5, 7, 10]);
        assert_eq!(grid_points(&g, 2), vec![0, 10]);
        let g = Grid::parse("-0.16..-0.14", &[]).unwrap();
        assert_eq!(grid_points(&g, 3), vec![-16, -15, -14]);
        // A coarse grid: repeats dropped.
        let g = Grid::parse("1..2", &[]).unwrap();
        assert_eq!(grid_points(&g, 5), vec![1, 2]);
    }

    /// Metric x·y on common noise, target `<= 12`: the largest y meeting it
    /// falls as x rises (a monotone frontier found point by point).
    #[test]
    fn the_frontier_searches_the_last_key_at_each_grid_point() {
        let axes = vec![
            Axis {
                key: "a".into(),
                grid: Grid::parse("1..4", &[]).unwrap(),
            },
            Axis {
                key: "b".into(),
                grid: Grid::parse("0..20", &[]).unwrap(),
            },
        ];
        let target = Target::parse("bad_debt<=12").unwrap();
        let mut calls = Vec::new();
        let settings = Settings {
            tolerance: 1,
            seed: 3,
            scan: 0,
        };
        let f = search_frontier(axes, &target, settings, 4, |texts: &[String]| {
            calls.push(texts.to_vec());
            let (x, y): (f64, f64) = (texts[0].parse().unwrap(), texts[1].parse().unwrap());
            Ok::<_, ()>(vec![x * y; 10])
        })
        .unwrap();
        let best: Vec<i128> = f
            .points
            .iter()
            .map(|p| p.search.recommended().unwrap().units)
            .collect();
        assert_eq!(best, vec![12, 6, 4, 3]);
        assert_eq!(calls[0], vec!["1".to_string(), "0".to_string()]);
        let doc = f.json(10, 3);
        assert_eq!(doc["params"], json!(["a", "b"]));
        assert_eq!(doc["frontier"][1]["values"], json!({"a": 2, "b": 6}));
        assert_eq!(doc["evaluations"].as_array().unwrap().len(), calls.len());
        assert!(f.any());
    }
}
