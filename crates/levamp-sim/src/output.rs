//! Writing a run's results: `metrics.json`, `paths.csv`, `series.csv` and
//! `report.html` into `OUT/<scenario>/`. Everything is written into a
//! temporary sibling directory first and renamed into place at the end, so
//! a failed run never leaves a half-written result behind.

use crate::run::PathMetrics;
use crate::scenario::Scenario;
use crate::setup::World;
use crate::summary::{metric, path_json, summary_json, METRICS};
use levamp_io::json::InputError;
use serde_json::{json, Value};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The `metrics.json` document.
pub fn metrics_json(s: &Scenario, world: &World, paths: &[PathMetrics]) -> Value {
    json!({
        "scenario": {
            "name": s.name,
            "seed": s.run.seed,
            "paths": s.run.paths,
            "steps": s.run.steps,
            "dt_s": s.run.dt_s,
            "venue": s.preset,
            "start_price": world.start.to_f64_lossy(),
            "accounts": world.accounts,
            "open_interest_long": world.open_interest.to_f64_lossy(),
            "oracle_latency_steps": s.latency_steps,
            "price_model": format!("{:?}", s.price),
            "impact_model": format!("{:?}", s.impact),
        },
        "summary": summary_json(paths),
        "paths": paths.iter().map(path_json).collect::<Vec<_>>(),
    })
}

fn paths_csv(paths: &[PathMetrics]) -> String {
    let mut out = String::from("path");
    for m in METRICS {
        out.push(',');
        out.push_str(m);
    }
    out.push_str(",time_to_first_liquidation\n");
    for p in paths {
        let _ = write!(out, "{}", p.path);
        for m in METRICS {
            let _ = write!(out, ",{}", metric(p, m));
        }
        let _ = writeln!(
            out,
            ",{}",
            p.time_to_first_liquidation
                .map_or(String::new(), |t| t.to_string())
        );
    }
    out
}

fn series_csv(paths: &[PathMetrics]) -> String {
    let mut out = String::from("path,step,exogenous_price,price,oracle_price,liquidated_notional,rounds,insurance_fund,bad_debt\n");
    for p in paths {
        for r in p.series.iter().flatten() {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{}",
                p.path,
                r.step,
                r.exogenous,
                r.price,
                r.oracle,
                r.liquidated_notional,
                r.rounds,
                r.insurance_fund,
                r.bad_debt
            );
        }
    }
    out
}

/// Writes the results of a run into `out/<name>/`; returns that directory.
pub fn write(
    out: &Path,
    s: &Scenario,
    world: &World,
    paths: &[PathMetrics],
    elapsed_s: f64,
) -> Result<PathBuf, InputError> {
    let io = |p: &Path| {
        let at = p.display().to_string();
        move |e: std::io::Error| InputError {
            at: at.clone(),
            message: e.to_string(),
        }
    };
    let dir = out.join(&s.name);
    let tmp = out.join(format!(".{}.partial", s.name));
    std::fs::create_dir_all(out).map_err(io(out))?;
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let metrics = metrics_json(s, world, paths);
    let files = [
        (
            "metrics.json",
            serde_json::to_string_pretty(&metrics).unwrap_or_default(),
        ),
        ("paths.csv", paths_csv(paths)),
        ("series.csv", series_csv(paths)),
        (
            "report.html",
            crate::report::html(s, world, paths, &metrics["summary"], elapsed_s),
        ),
        ("scenario.toml", s.text.clone()),
    ];
    for (name, text) in files {
        let p = tmp.join(name);
        std::fs::write(&p, text).map_err(io(&p))?;
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
    }
    std::fs::rename(&tmp, &dir).map_err(io(&dir))?;
    Ok(dir)
}
