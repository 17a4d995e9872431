//! `levamp backtest STRATEGY.toml`: runs a strategy on market history
//! (crate levamp-backtest) and writes OUT/<name>/ with the same placement
//! rules as `levamp sim` (levamp_sim::output).

use anyhow::Result;
use levamp_backtest::{compare, files, load_window, metrics, regime, report, run};
use levamp_io::json::InputError;
use levamp_sim::output;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// Places an error of the strategy file at its line (`FILE:LINE: key`);
/// errors in a data file already name that file and line.
pub(crate) fn place<'a>(file: &'a Path, text: &'a str) -> impl Fn(InputError) -> InputError + 'a {
    move |e| {
        let own = ["name", "data", "venue", "strategy", "sizing", "variant"]
            .iter()
            .any(|k| e.at == *k || e.at.starts_with(&format!("{k}.")))
            || e.at.is_empty();
        match own {
            true => levamp_sim::scenario::at_line(&file.display().to_string(), text, e),
            false => e,
        }
    }
}

/// Runs `levamp backtest FILE` (a file with `[[variant]]`s: a comparison).
pub fn run(file: &Path, out: &Path, quiet: bool, force: bool) -> Result<()> {
    let started = Instant::now();
    let text = levamp_io::input_limit::read_file(file)?;
    let at = place(file, &text);
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("strategy");
    let dir = file.parent().unwrap_or(Path::new(""));
    let (variants, mut list) = compare::expand(&text, stem, dir).map_err(&at)?;
    if variants {
        return crate::backtest_compare::run_variants(file, &text, list, out, quiet, force);
    }
    let s = list.remove(0);
    // The name becomes a folder: checked before anything runs.
    output::check_destination(out, &s.name, force).map_err(&at)?;
    let window = load_window(&s).map_err(&at)?;
    let loaded = started.elapsed();
    let o = run::run(&s, &window).map_err(&at)?;
    let summary = metrics::summary(&o).map_err(|e| InputError {
        at: file.display().to_string(),
        message: e.to_string(),
    })?;
    let ran = started.elapsed() - loaded;
    let regime = regime::Regime::of(&window).map_err(|e| InputError {
        at: file.display().to_string(),
        message: e.to_string(),
    })?;
    let json = metrics::metrics_json(&s, &o, &summary);
    let written = output::write_files(
        out,
        &s.name,
        &[
            ("metrics.json", &|w| {
                serde_json::to_writer_pretty(&mut *w, &json).map_err(std::io::Error::from)?;
                writeln!(w)
            }),
            ("equity.csv", &|w| files::equity_csv(&o, w)),
            ("trades.csv", &|w| files::trades_csv(&o, w)),
            ("funding.csv", &|w| files::funding_csv(&o, w)),
            ("regime.csv", &|w| regime::episodes_csv(&regime, w)),
            ("report.html", &|w| {
                w.write_all(report::html(&s, &o, &summary, &json, &regime).as_bytes())
            }),
            ("strategy.toml", &|w| w.write_all(text.as_bytes())),
        ],
        "levamp backtest",
        force,
    )?;
    if !quiet {
        let m = &summary;
        let mut so = std::io::stdout().lock();
        writeln!(
            so,
            "{}: {} h, total return {:.2} %, max drawdown {:.2} %, funding {}, basis {}, fees {}, {} liquidation(s)",
            s.name,
            o.hours.len(),
            m.total_return * 100.0,
            m.max_drawdown * 100.0,
            m.funding_pnl,
            m.basis_pnl,
            m.fees,
            m.liquidations
        )?;
        writeln!(
            so,
            "results in {} (data {:.0} ms, run {:.0} ms)",
            written.dir.display(),
            loaded.as_secs_f64() * 1e3,
            ran.as_secs_f64() * 1e3
        )?;
        if let Some(old) = written.set_aside {
            writeln!(so, "what stood there was moved to {}", old.display())?;
        }
    }
    Ok(())
}
