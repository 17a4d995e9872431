//! `levamp study STUDY.toml`: every variant of a base scenario on the same
//! random paths, then `OUT/<study>/study.json` and `report.html`
//! (docs/studies.md), and a table on standard output.

use crate::sim_cmd::{threads, SimOptions};
use crate::table::escape;
use crate::venue_cmd::emit_with;
use anyhow::{Context, Result};
use levamp_sim::sources::Sources;
use levamp_sim::study::{self, Study};
use levamp_sim::study_result::{self, with_interval, VariantResult};
use levamp_sim::variants::{evaluate, Base, VariantError};
use std::path::Path;
use std::sync::atomic::AtomicUsize;

/// `levamp study STUDY.toml` with `sim`'s options (`--paths`, `--seed`
/// override the study's; `--threads`, `--out`, `--force`, `--quiet`).
pub fn run(file: &Path, opts: &SimOptions) -> Result<()> {
    threads(opts.threads)?;
    let text = levamp_io::input_limit::read_file(file)?;
    let study = study::parse(file, &text)?;
    let base_text = levamp_io::input_limit::read_file(&study.base)
        .with_context(|| format!("{}: base", file.display()))?;
    let base = Base::parse(&study.base, &base_text)?;
    let defaults = base.scenario(&[])?;
    let paths = opts.paths.or(study.paths).unwrap_or(defaults.run.paths);
    let seed = opts.seed.or(study.seed).unwrap_or(defaults.run.seed);
    levamp_sim::output::check_destination(&opts.out, &study.name, opts.force)?;
    let base_shown = study.base.display().to_string();
    let sources = Sources::disk();
    let mut results = Vec::with_capacity(study.variants.len());
    for (i, v) in study.variants.iter().enumerate() {
        if !opts.quiet {
            eprintln!(
                "{}: variant {}/{} ({}), {paths} paths",
                escape(&study.name),
                i + 1,
                study.variants.len(),
                escape(&v.name)
            );
        }
        let e = evaluate(
            &base,
            &v.overrides,
            seed,
            paths,
            &sources,
            &AtomicUsize::new(0),
        )
        .map_err(|e| match e {
            VariantError::Input(e) => {
                // A key the variant set is the variant's; any other (a
                // setup error) is placed in the base file.
                let own = v
                    .overrides
                    .iter()
                    .any(|(k, _)| e.at.starts_with(k.as_str()) || k.starts_with(&e.at));
                let e = match own {
                    true => e,
                    false => levamp_sim::scenario::at_line(&base_shown, &base_text, e),
                };
                anyhow::anyhow!("{}: variant {} ({}): {e}", file.display(), i + 1, v.name)
            }
            VariantError::Path(e) => anyhow::anyhow!("variant {} ({}): {e}", i + 1, v.name),
        })?;
        results.push(study_result::summarize(&study, v, &e, seed));
    }
    let doc = study_result::study_json(&study, &base_shown, paths, seed, &results);
    let html = study_result::html(&study, &base_shown, paths, seed, &results);
    let written = levamp_sim::output::write_files(
        &opts.out,
        &study.name,
        &[
            ("study.json", &|w| {
                serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::from)?;
                w.write_all(b"\n")
            }),
            ("report.html", &|w| w.write_all(html.as_bytes())),
            ("study.toml", &|w| w.write_all(text.as_bytes())),
        ],
        "levamp study",
        opts.force,
    )?;
    if let Some(aside) = &written.set_aside {
        eprintln!(
            "note: --force: moved what was at {} to {}",
            written.dir.display(),
            aside.display()
        );
    }
    emit_with(|out| {
        print_table(out, &study, &results)?;
        writeln!(out, "report: {}", written.dir.join("report.html").display())
    })
}

/// The terminal table: each variant's frontier x and y with intervals,
/// and the target's verdict.
fn print_table(
    out: &mut dyn std::io::Write,
    study: &Study,
    results: &[VariantResult],
) -> std::io::Result<()> {
    let width = results
        .iter()
        .map(|r| r.variant.name.chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    let cell = |s: &str| format!("{s:>34}");
    writeln!(
        out,
        "{:<width$}  {}  {}{}",
        "variant",
        cell(study.x.name()),
        cell(&study.y.name),
        if study.target.is_some() {
            "  target"
        } else {
            ""
        }
    )?;
    let best = study_result::best(study, results);
    for (i, r) in results.iter().enumerate() {
        let verdict = match r.meets_target {
            None => "",
            Some(true) if Some(i) == best => "  met (best)",
            Some(true) => "  met",
            Some(false) => "  missed",
        };
        writeln!(
            out,
            "{:<width$}  {}  {}{verdict}",
            escape(&r.variant.name),
            cell(&with_interval(&r.x)),
            cell(&with_interval(&r.y)),
        )?;
    }
    Ok(())
}
