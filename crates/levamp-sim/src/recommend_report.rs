//! The self-contained `report.html` of `levamp recommend --out`: the
//! metric against the parameter with its 95 % band, the target line and
//! the recommendation.

use crate::recommend::Recommendation;
use crate::recommend_frontier::Frontier;
use crate::report::chart::{Plot, Scale};
use crate::report::esc;
use std::fmt::Write;

/// The report of `r` for `param` on `scenario` (as shown to the user).
pub fn html(r: &Recommendation, param: &str, scenario: &str, paths: usize, seed: u64) -> String {
    let mut h = head(
        &format!("Recommendation: {}", esc(param)),
        param,
        scenario,
        paths,
        seed,
        &r.target.to_string(),
    );
    match r.recommended() {
        Some(e) => {
            let _ = write!(
                h,
                "<p><b>Recommended {} = {}</b>: {} estimate {:.6} (95 % CI [{:.6}, {:.6}]).</p>",
                esc(param),
                r.grid.text(e.units),
                esc(&r.target.metric.name),
                e.estimate,
                e.ci[0],
                e.ci[1]
            );
        }
        None => {
            let why = r.refusal(param).unwrap_or_default();
            let _ = write!(h, "<p><b>No recommendation</b>: {}.</p>", esc(&why));
        }
    }
    h += &chart(r, param);
    h += "<table><tr><th>#</th><th>value</th><th>estimate</th><th>95 % CI</th><th>meets</th></tr>";
    let best = r.recommended().map(|e| e.units);
    for (i, e) in r.evaluations.iter().enumerate() {
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td>{:.6}</td><td>[{:.6}, {:.6}]</td><td>{}</td></tr>",
            if Some(e.units) == best {
                " class=\"best\""
            } else {
                ""
            },
            i + 1,
            r.grid.text(e.units),
            e.estimate,
            e.ci[0],
            e.ci[1],
            if r.target.meets(e.ci) { "yes" } else { "no" }
        );
    }
    h += "</table></body></html>\n";
    h
}

/// The metric against the parameter: estimates, the band, target, answer.
fn chart(r: &Recommendation, param: &str) -> String {
    let mut pts: Vec<_> = r.evaluations.iter().collect();
    pts.sort_by_key(|e| e.units);
    let x = |e: &&crate::recommend::Evaluated| r.grid.value(e.units);
    let ys = pts.iter().flat_map(|e| [e.ci[0], e.ci[1]]);
    let (ylo, yhi) = ys
        .chain([r.target.value])
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let (ylo, yhi) = if ylo == yhi {
        (ylo - 1.0, yhi + 1.0)
    } else {
        (ylo, yhi)
    };
    let name = &r.target.metric.name;
    let mut p = Plot::new(
        &format!("{name} against {param}"),
        Scale::fitted(
            r.grid.value(r.grid.lo),
            r.grid.value(r.grid.hi),
            param,
            false,
        ),
        Scale::fitted(ylo, yhi, name, false),
    );
    let lo: Vec<_> = pts.iter().map(|e| (x(e), e.ci[0])).collect();
    let hi: Vec<_> = pts.iter().map(|e| (x(e), e.ci[1])).collect();
    p.band(&lo, &hi, "rgba(44,111,187,.18)");
    let est: Vec<_> = pts.iter().map(|e| (x(e), e.estimate)).collect();
    p.line(&est, "#2c6fbb", 1.5, false);
    for e in &pts {
        p.circle(x(e), e.estimate, 3.0);
    }
    p.hrule(r.target.value, "#c0392b", "target");
    if let Some(e) = r.recommended() {
        let v = r.grid.value(e.units);
        p.line(&[(v, ylo), (v, yhi)], "#1b7f3b", 1.5, true);
        p.label(
            v,
            e.estimate,
            &format!("recommended {}", r.grid.text(e.units)),
        );
    }
    p.note("line: estimates at the evaluated values; band: 95 % bootstrap intervals; dashed: the recommendation");
    p.finish()
}

/// The page's head, style and the paragraph on how candidates were run;
/// `title` is HTML already.
fn head(
    title: &str,
    params: &str,
    scenario: &str,
    paths: usize,
    seed: u64,
    target: &str,
) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>levamp recommend {p}</title>\
         <style>body{{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}}\
         table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}}\
         tr.best td{{background:#e8f5e9}}\
         svg{{display:block;margin:14px 0;background:#fcfcfd;border:1px solid #e3e6ea}}.t{{font-size:13px;font-weight:600;fill:#222}}\
         .l{{font-size:10px;fill:#555}}.n{{font-size:11px;fill:#7f1d1d;font-weight:600}}.ax{{stroke:#888}}.grid{{stroke:#eee}}</style>\
         </head><body><h1>{title}</h1><p>Scenario <code>{s}</code>, {paths} paths from \
         seed {seed}; every candidate runs on the same paths (common random numbers), as \
         <code>levamp sim {s} --seed {seed} --paths {paths}</code> with the value set. Target \
         <b>{t}</b>, read at the unfavourable end of each estimate's 95 % bootstrap interval.</p>",
        p = esc(params),
        s = esc(scenario),
        t = esc(target),
    );
    h
}

/// The report of a frontier search (several `--param`s): the searched
/// key's recommendation against the first key (one line per value of the
/// keys between), the frontier's table and every evaluation.
pub fn frontier_html(f: &Frontier, scenario: &str, paths: usize, seed: u64) -> String {
    let keys: Vec<&str> = f.axes.iter().map(|a| a.key.as_str()).collect();
    let searched = &f.searched().key;
    let mut h = head(
        &format!("Frontier: {}", esc(&keys.join(" × "))),
        &keys.join(", "),
        scenario,
        paths,
        seed,
        &f.target.to_string(),
    );
    let _ = write!(
        h,
        "<p>At each point of the grid of {}, the extreme {} that meets the target \
         (the single-parameter search).</p>",
        esc(&keys[..keys.len() - 1].join(", ")),
        esc(searched)
    );
    h += &frontier_chart(f);
    h += "<table><tr>";
    for k in &keys {
        let _ = write!(h, "<th>{}</th>", esc(k));
    }
    h += "<th>estimate</th><th>95 % CI</th><th>evaluations</th></tr>";
    for p in &f.points {
        let best = p.search.recommended();
        h += "<tr>";
        for (_, v) in f.texts(p, best.map(|e| e.units)) {
            let _ = write!(h, "<td>{}</td>", v.as_deref().map_or("none".into(), esc));
        }
        match best {
            Some(e) => {
                let _ = write!(
                    h,
                    "<td>{:.6}</td><td>[{:.6}, {:.6}]</td>",
                    e.estimate, e.ci[0], e.ci[1]
                );
            }
            None => {
                let why = f.refusal(p).unwrap_or_default();
                let _ = write!(h, "<td colspan=\"2\">{}</td>", esc(&why));
            }
        }
        let _ = write!(h, "<td>{}</td></tr>", p.search.evaluations.len());
    }
    h += "</table></body></html>\n";
    h
}

/// The searched key's recommendation against the first key.
fn frontier_chart(f: &Frontier) -> String {
    let first = &f.axes[0];
    let searched = f.searched();
    let mut lines: std::collections::BTreeMap<Vec<i128>, Vec<(f64, f64)>> = Default::default();
    for p in &f.points {
        if let Some(e) = p.search.recommended() {
            let middle = p.fixed[1..].to_vec();
            let x = first.grid.value(p.fixed[0]);
            lines
                .entry(middle)
                .or_default()
                .push((x, searched.grid.value(e.units)));
        }
    }
    let mut p = Plot::new(
        &format!(
            "Frontier: the {} that meets {} against {}",
            searched.key, f.target, first.key
        ),
        Scale::fitted(
            first.grid.value(first.grid.lo),
            first.grid.value(first.grid.hi),
            &first.key,
            false,
        ),
        Scale::fitted(
            searched.grid.value(searched.grid.lo),
            searched.grid.value(searched.grid.hi),
            &searched.key,
            false,
        ),
    );
    let colors = ["#2c6fbb", "#1b7f3b", "#c0392b", "#8e44ad", "#d35400"];
    for (i, (middle, pts)) in lines.iter().enumerate() {
        let color = colors[i % colors.len()];
        p.line(pts, color, 1.5, false);
        for &(x, y) in pts {
            p.circle(x, y, 3.0);
        }
        if !middle.is_empty() {
            let label: Vec<String> = f.axes[1..]
                .iter()
                .zip(middle)
                .map(|(a, &u)| format!("{} = {}", a.key, a.grid.text(u)))
                .collect();
            p.legend(&label.join(", "), color, false, false);
        }
    }
    p.note("points: the recommendation at each grid point (grid points without one are left out)");
    p.finish()
}
