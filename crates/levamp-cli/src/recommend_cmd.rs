//! `levamp recommend`: the extreme value of a scenario key whose risk
//! metric meets a target, searched on common random numbers; or, with
//! `--method smart-ltv`, Risk DAO's closed-form LTV (docs/recommend.md).
//!
//! Exit codes: 0 with a recommendation; 1 when the search ran but the
//! range holds none (both ends meet the target, neither does, or the
//! metric is not monotone), with the reason on standard error (and in the
//! JSON as `refusal`, `value` null); 2 for bad input.

use crate::sim_cmd::threads;
use crate::table::escape;
use crate::venue_cmd::emit_with;
use crate::Format;
use anyhow::{bail, Context, Result};
use levamp_sim::recommend::{search, Grid, Recommendation, Settings, Target};
use levamp_sim::recommend_frontier::{search_frontier, Axis, Frontier};
use levamp_sim::smart_ltv::Inputs;
use levamp_sim::sources::Sources;
use levamp_sim::variants::{self, evaluate, Base, VariantError};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicUsize;

/// The closed-form methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Risk DAO's SmartLTV: exp(−C·σ/sqrt(L/D)) − β.
    SmartLtv,
}

/// Arguments of `levamp recommend`.
#[derive(clap::Args, Debug)]
pub struct RecommendArgs {
    /// Scenario file (not with --method).
    #[arg(required_unless_present = "method", conflicts_with = "method")]
    scenario: Option<PathBuf>,
    /// The scenario key to recommend, dotted (e.g. population.leverage.max,
    /// markets.ETHUSDT.tiers[0].maintenance_margin_rate, impact.lambda).
    /// Repeated: the first keys on a grid, the last searched at each point
    /// (the frontier).
    #[arg(long, requires = "scenario")]
    param: Vec<String>,
    /// The range searched, LO..HI (decimal numbers; their decimals set the
    /// value's precision together with the scenario's value); one per
    /// --param, in the same order.
    #[arg(long, requires = "scenario", allow_hyphen_values = true)]
    range: Vec<String>,
    /// Several --param: grid points per key but the last (default 5).
    #[arg(long, requires = "scenario", allow_negative_numbers = true)]
    grid: Option<usize>,
    /// The target, METRIC<=VALUE (or <, >=, >) on a metrics.json key.
    #[arg(long, requires = "scenario")]
    target: Option<String>,
    /// Number of paths (overrides [run] paths).
    #[arg(long, value_parser = crate::at_least_one("--paths"), allow_negative_numbers = true)]
    paths: Option<usize>,
    /// Seed (overrides [run] seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: one per core); the answer is identical
    /// whatever the number.
    #[arg(long, value_parser = crate::at_least_one("--threads"), allow_negative_numbers = true)]
    threads: Option<usize>,
    /// Search resolution in the key's unit (default: 1 % of the range).
    #[arg(long, allow_hyphen_values = true)]
    tolerance: Option<String>,
    /// Evaluate N points evenly over the range before bisecting, and refuse
    /// a metric that reverses between any two of them (a sawtooth that
    /// bisection alone could step over); 0: none.
    #[arg(long, default_value_t = 0, requires = "scenario")]
    scan: usize,
    /// Write OUT/<scenario>-recommend/ (recommend.json, report.html).
    #[arg(long)]
    out: Option<PathBuf>,
    /// When the results folder exists and levamp did not write it, rename
    /// it aside instead of stopping.
    #[arg(long)]
    force: bool,
    /// No progress on standard error.
    #[arg(long)]
    quiet: bool,
    /// Output format; defaults to `table` on a terminal and `json` otherwise.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// A closed form instead of a simulation.
    #[arg(long, value_enum)]
    method: Option<Method>,
    /// smart-ltv: the volatility over the liquidation horizon (0.1 = 10 %).
    #[arg(long, requires = "method")]
    sigma: Option<f64>,
    /// smart-ltv: DEX liquidity available at slippage --slippage.
    #[arg(long, requires = "method")]
    liquidity: Option<f64>,
    /// smart-ltv: the debt or supply cap (same unit as --liquidity).
    #[arg(long, requires = "method")]
    debt: Option<f64>,
    /// smart-ltv: the slippage / liquidation bonus (0.05 = 5 %).
    #[arg(long, requires = "method")]
    slippage: Option<f64>,
    /// smart-ltv: the confidence (risk-level) factor.
    #[arg(long, requires = "method")]
    confidence: Option<f64>,
}

/// Runs `levamp recommend`; the exit code is the outcome's (module docs).
pub fn run(a: &RecommendArgs) -> Result<ExitCode> {
    if let Some(Method::SmartLtv) = a.method {
        return smart_ltv(a);
    }
    let file = a.scenario.as_deref().context("a scenario file")?;
    if a.param.is_empty() {
        bail!("--param is required with a scenario");
    }
    if a.range.len() != a.param.len() {
        bail!(
            "--range: {} given for {} --param (one each, in the same order)",
            a.range.len(),
            a.param.len()
        );
    }
    for (i, p) in a.param.iter().enumerate() {
        if a.param[..i].contains(p) {
            bail!("--param {p}: given twice");
        }
    }
    let several = a.param.len() > 1;
    let grid_points = match (a.grid, several) {
        (Some(_), false) => bail!("--grid: only with several --param"),
        (Some(n), true) if n < 2 => bail!("--grid: at least 2 points, found {n}"),
        (n, _) => n.unwrap_or(5),
    };
    let target = a
        .target
        .as_deref()
        .context("--target is required with a scenario")?;
    threads(a.threads)?;
    let target = Target::parse(target).map_err(anyhow::Error::msg)?;
    let text = levamp_io::input_limit::read_file(file)?;
    let base = Base::parse(file, &text)?;
    let last = a.param.len() - 1;
    let axes = a
        .param
        .iter()
        .zip(&a.range)
        .enumerate()
        .map(|(i, (key, range))| {
            let tolerance = if i == last {
                a.tolerance.as_deref()
            } else {
                None
            };
            let grid = axis_grid(&base, key, range, tolerance).map_err(|e| match several {
                true => anyhow::anyhow!(e.replacen("--range:", &format!("--range ({key}):"), 1)),
                false => anyhow::anyhow!(e),
            })?;
            Ok(Axis {
                key: key.clone(),
                grid,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let tolerance = axes[last]
        .grid
        .tolerance(a.tolerance.as_deref())
        .map_err(anyhow::Error::msg)?;
    let defaults = base.scenario(&[])?;
    let seed = a.seed.unwrap_or(defaults.run.seed);
    let settings = Settings {
        tolerance,
        seed,
        scan: a.scan,
    };
    let paths = a.paths.unwrap_or(defaults.run.paths);
    let name = format!("{}-recommend", defaults.name);
    if let Some(out) = &a.out {
        levamp_sim::output::check_destination(out, &name, a.force)?;
    }
    let sources = Sources::disk();
    let shown = file.display().to_string();
    let eval = |values: &[(&str, &str)]| -> Result<Vec<f64>> {
        let set: Vec<String> = values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        if !a.quiet {
            eprintln!(
                "{}: {}, {paths} paths",
                escape(&shown),
                escape(&set.join(", "))
            );
        }
        let overrides: Vec<(String, Value)> = values
            .iter()
            .map(|(k, v)| (k.to_string(), levamp_io::json::number(v.to_string())))
            .collect();
        let e = evaluate(
            &base,
            &overrides,
            seed,
            paths,
            &sources,
            &AtomicUsize::new(0),
        )
        .map_err(|e| match e {
            VariantError::Input(e) => match values.iter().find(|(k, _)| e.at.starts_with(k)) {
                Some((k, v)) => anyhow::anyhow!("--param {k} = {v}: {}", e.message),
                None => anyhow::anyhow!(levamp_sim::scenario::at_line(&shown, &text, e)),
            },
            VariantError::Path(e) => anyhow::anyhow!("{}: {e}", set.join(", ")),
        })?;
        Ok(target.metric.values(&e.paths))
    };
    let format = a.format.unwrap_or_else(default_format);
    if several {
        let keys: Vec<&str> = a.param.iter().map(String::as_str).collect();
        let f = search_frontier(axes, &target, settings, grid_points, |texts| {
            let values: Vec<(&str, &str)> = keys
                .iter()
                .copied()
                .zip(texts.iter().map(String::as_str))
                .collect();
            eval(&values)
        })?;
        let doc = f.json(paths, seed);
        if let Some(out) = &a.out {
            let html = levamp_sim::recommend_report::frontier_html(&f, &shown, paths, seed);
            write_report(out, &name, &doc, &html, &text, a.force)?;
        }
        emit_with(|out| match format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, &doc)?;
                writeln!(out)
            }
            Format::Table => print_frontier(out, &f, paths),
        })?;
        let refusals: Vec<String> = f.points.iter().filter_map(|p| f.refusal(p)).collect();
        return Ok(match f.any() {
            true => {
                for why in &refusals {
                    eprintln!("note: {}", escape(why));
                }
                ExitCode::SUCCESS
            }
            false => {
                eprintln!(
                    "levamp recommend: no grid point has a recommendation; {}",
                    escape(&refusals.join("; "))
                );
                ExitCode::from(1)
            }
        });
    }
    let (param, grid) = (&axes[0].key, axes[0].grid);
    let r = search(grid, &target, settings, |value| eval(&[(param, value)]))?;
    let doc = r.json(param, paths, seed);
    if let Some(out) = &a.out {
        let html = levamp_sim::recommend_report::html(&r, param, &shown, paths, seed);
        write_report(out, &name, &doc, &html, &text, a.force)?;
    }
    emit_with(|out| match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        Format::Table => print_table(out, &r, param, paths),
    })?;
    Ok(match r.refusal(param) {
        None => ExitCode::SUCCESS,
        Some(why) => {
            eprintln!("levamp recommend: {}", escape(&why));
            ExitCode::from(1)
        }
    })
}

/// The candidate grid of `key` over `range`, at the precision of the most
/// decimals among the range, the scenario's value of the key and
/// `tolerance`; a key the scenario sets to a non-number is refused.
fn axis_grid(base: &Base, key: &str, range: &str, tolerance: Option<&str>) -> Result<Grid, String> {
    let current = match variants::get(&base.tree, key) {
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) if levamp_sim::recommend::decimals(s).is_some() => Some(s.clone()),
        Some(other) => {
            return Err(format!(
                "--param {key}: not a numeric key (the scenario sets it to {})",
                escape(&other.to_string())
            ))
        }
        None => None,
    };
    let extra: Vec<&str> = current.as_deref().into_iter().chain(tolerance).collect();
    Grid::parse(range, &extra)
}

/// `OUT/<name>/`: recommend.json, report.html and the scenario.
fn write_report(
    out: &Path,
    name: &str,
    doc: &Value,
    html: &str,
    text: &str,
    force: bool,
) -> Result<()> {
    let written = levamp_sim::output::write_files(
        out,
        name,
        &[
            ("recommend.json", &|w| {
                serde_json::to_writer_pretty(&mut *w, doc).map_err(std::io::Error::from)?;
                w.write_all(b"\n")
            }),
            ("report.html", &|w| w.write_all(html.as_bytes())),
            ("scenario.toml", &|w| w.write_all(text.as_bytes())),
        ],
        "levamp recommend",
        force,
    )?;
    if let Some(aside) = &written.set_aside {
        eprintln!(
            "note: --force: moved what was at {} to {}",
            written.dir.display(),
            aside.display()
        );
    }
    eprintln!("report: {}", written.dir.join("report.html").display());
    Ok(())
}

/// The terminal table of a frontier: one row per grid point.
fn print_frontier(out: &mut dyn std::io::Write, f: &Frontier, paths: usize) -> std::io::Result<()> {
    writeln!(
        out,
        "frontier of {} for target {} ({paths} paths)",
        escape(&f.searched().key),
        escape(&f.target.to_string())
    )?;
    for a in &f.axes {
        write!(out, "{:>24}  ", escape(&a.key))?;
    }
    writeln!(out, "{:>16}  {:>36}  evaluations", "estimate", "95 % CI")?;
    for p in &f.points {
        let best = p.search.recommended();
        for (_, v) in f.texts(p, best.map(|e| e.units)) {
            write!(out, "{:>24}  ", v.as_deref().unwrap_or("none"))?;
        }
        match best {
            Some(e) => writeln!(
                out,
                "{:>16.6}  {:>36}  {}",
                e.estimate,
                format!("[{:.6}, {:.6}]", e.ci[0], e.ci[1]),
                p.search.evaluations.len()
            )?,
            None => writeln!(
                out,
                "{:>16}  {:>36}  {}",
                "-",
                "-",
                p.search.evaluations.len()
            )?,
        }
    }
    Ok(())
}

/// The terminal table: every evaluation, the answer, and how many paths
/// would narrow its interval to one search step.
fn print_table(
    out: &mut dyn std::io::Write,
    r: &Recommendation,
    param: &str,
    paths: usize,
) -> std::io::Result<()> {
    writeln!(
        out,
        "target {} ({paths} paths)",
        escape(&r.target.to_string())
    )?;
    writeln!(
        out,
        "{:>4}  {:>16}  {:>16}  {:>36}  meets",
        "#", "value", "estimate", "95 % CI"
    )?;
    for (i, e) in r.evaluations.iter().enumerate() {
        writeln!(
            out,
            "{:>4}  {:>16}  {:>16.6}  {:>36}  {}",
            i + 1,
            r.grid.text(e.units),
            e.estimate,
            format!("[{:.6}, {:.6}]", e.ci[0], e.ci[1]),
            if r.target.meets(e.ci) { "yes" } else { "no" }
        )?;
    }
    match r.recommended() {
        Some(e) => {
            writeln!(
                out,
                "recommended {} = {}: {} {:.6} (95 % CI [{:.6}, {:.6}])",
                escape(param),
                r.grid.text(e.units),
                r.target.metric.name,
                e.estimate,
                e.ci[0],
                e.ci[1]
            )?;
            match r.paths_for_tolerance(paths) {
                Some(n) => writeln!(
                    out,
                    "about {n} paths would narrow the interval to the metric's change over one \
                     search step (width ∝ 1/√paths)"
                ),
                None => writeln!(
                    out,
                    "one search step does not move the estimate: more paths cannot tell the \
                     values apart"
                ),
            }
        }
        None => writeln!(out, "no recommendation"),
    }
}

/// `table` on a terminal, `json` otherwise.
fn default_format() -> Format {
    use std::io::IsTerminal;
    match std::io::stdout().is_terminal() {
        true => Format::Table,
        false => Format::Json,
    }
}

/// `--method smart-ltv`.
fn smart_ltv(a: &RecommendArgs) -> Result<ExitCode> {
    let need = |v: Option<f64>, flag: &str| {
        v.with_context(|| format!("{flag} is required with --method smart-ltv"))
    };
    let inputs = Inputs {
        sigma: need(a.sigma, "--sigma")?,
        liquidity: need(a.liquidity, "--liquidity")?,
        debt: need(a.debt, "--debt")?,
        slippage: need(a.slippage, "--slippage")?,
        confidence: need(a.confidence, "--confidence")?,
    };
    inputs.check().map_err(anyhow::Error::msg)?;
    let value = inputs.ltv();
    let format = a.format.unwrap_or_else(default_format);
    emit_with(|out| match format {
        Format::Json => {
            let doc = json!({
                "method": "smart-ltv",
                "value": value,
                "inputs": {
                    "sigma": inputs.sigma,
                    "liquidity": inputs.liquidity,
                    "debt": inputs.debt,
                    "slippage": inputs.slippage,
                    "confidence": inputs.confidence,
                },
            });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        Format::Table => writeln!(
            out,
            "smart-ltv: LTV = exp(-C*sigma/sqrt(L/D)) - B = {value:.8} \
             (sigma {}, L {}, D {}, B {}, C {})",
            inputs.sigma, inputs.liquidity, inputs.debt, inputs.slippage, inputs.confidence
        ),
    })?;
    Ok(ExitCode::SUCCESS)
}
