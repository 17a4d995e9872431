//! `levamp backtest --compare A.toml B.toml …` and a strategy file with
//! `[[variant]]`s: the strategies over the same history, one table on the
//! terminal, OUT/<name>/compare.csv and report.html
//! (levamp_backtest::compare).

use crate::backtest_cmd::place;
use anyhow::Result;
use levamp_backtest::compare;
use levamp_backtest::strategy::Strategy;
use levamp_sim::output::{self, ResultFile};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Rows printed on the terminal (compare.csv has every one).
const TABLE_ROWS: usize = 40;

/// Folder name of a `--compare` run.
const COMPARE_NAME: &str = "compare";

/// Runs `--compare FILES`: each file's strategy (or its variants).
pub fn run(files: &[PathBuf], out: &Path, quiet: bool, force: bool) -> Result<()> {
    let mut list: Vec<Strategy> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut inputs: Vec<(String, String)> = Vec::new();
    for (k, file) in files.iter().enumerate() {
        let text = levamp_io::input_limit::read_file(file)?;
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("strategy");
        let dir = file.parent().unwrap_or(Path::new(""));
        let (_, expanded) = compare::expand(&text, stem, dir).map_err(place(file, &text))?;
        for s in expanded {
            if list.iter().any(|o| o.name == s.name) {
                anyhow::bail!(
                    "{}: name: {:?} is already the name of another compared strategy; names must differ",
                    file.display(),
                    s.name
                );
            }
            names.push(file.display().to_string());
            list.push(s);
        }
        inputs.push((format!("input-{}-{stem}.toml", k + 1), text));
    }
    compare::check_same_history(&list, &names)?;
    finish(list, COMPARE_NAME, inputs, out, quiet, force)
}

/// Runs the `[[variant]]`s of `file` (already expanded into `list`).
pub fn run_variants(
    file: &Path,
    text: &str,
    list: Vec<Strategy>,
    out: &Path,
    quiet: bool,
    force: bool,
) -> Result<()> {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("strategy");
    // The folder is the file's `name` (the variants' names are their own).
    let root = levamp_backtest::strategy::parse_name(text, stem).map_err(place(file, text))?;
    let inputs = vec![("strategy.toml".to_string(), text.to_string())];
    finish(list, &root, inputs, out, quiet, force)
}

fn finish(
    list: Vec<Strategy>,
    name: &str,
    inputs: Vec<(String, String)>,
    out: &Path,
    quiet: bool,
    force: bool,
) -> Result<()> {
    let started = Instant::now();
    output::check_destination(out, name, force)?;
    let window = compare::load(&list)?;
    let loaded = started.elapsed();
    let rows = compare::run_all(&list, &window)?;
    let ran = started.elapsed() - loaded;
    let html = compare::html(name, &list[0], &rows);
    let csv = |w: &mut dyn Write| compare::compare_csv(&rows, w);
    let page = |w: &mut dyn Write| w.write_all(html.as_bytes());
    let mut files: Vec<ResultFile> = vec![("compare.csv", &csv), ("report.html", &page)];
    let copies: Vec<_> = inputs
        .iter()
        .map(|(_, t)| move |w: &mut dyn Write| w.write_all(t.as_bytes()))
        .collect();
    for ((n, _), copy) in inputs.iter().zip(&copies) {
        files.push((n.as_str(), copy));
    }
    let written = output::write_files(out, name, &files, "levamp backtest", force)?;
    if !quiet {
        let mut so = std::io::stdout().lock();
        write!(so, "{}", compare::table(&rows, TABLE_ROWS))?;
        writeln!(
            so,
            "{} strategies, results in {} (data {:.0} ms, runs {:.0} ms)",
            rows.len(),
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
